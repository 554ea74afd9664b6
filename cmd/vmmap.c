// SPDX-License-Identifier: GPL-2.0-or-later
/* vmmap: the map of one process — every mapping, what it is for, and what it costs. */

/*
 * The mappings are read from smaps as a stream and printed as they come
 * (the table is flushed every FLUSH_ROWS rows), so that memory does not grow
 * with the number of mappings.  Only --sort (which must see every row) and
 * --layout (which draws regions, not mappings) hold them.
 *
 * What a mapping is for needs facts the mapping alone does not show: whether
 * its file is a code object (it has an executable mapping somewhere in the
 * process: an ELF program's headers come *before* its text), and what the
 * previous mapping was (bss follows data).  File mappings not yet known to be
 * code are held back until the next file shows up (a short queue, at most
 * HOLD_MAX mappings; past that the file is taken for a data file).
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/common.h"

#define FLUSH_ROWS 1024
#define HOLD_MAX 64
#define MAX_DYN 64

enum {
	C_ADDRESS,
	C_START,
	C_END,
	C_PERMS,
	C_OFFSET,
	C_DEVICE,
	C_INODE,
	C_KIND,
	C_OBJECT,
	C_THREAD,
	C_SIZE,
	C_USS,
	C_DIRTY,
	C_VM_FLAGS,
	C_MAPPING,
	C_KEY0, /* one column per enum vms_key (but Size), then the unknown keys */
};

enum object { OBJ_NONE, OBJ_PROGRAM, OBJ_LIBRARY };

/* --pages: the page counts of a mapping; the order of the columns and JSON keys. */
enum pg {
	PG_PRESENT,
	PG_SWAPPED,
	PG_FILE,
	PG_EXCLUSIVE,
	PG_SOFT_DIRTY,
	PG_THP,
	PG_GUARD,
	PG_NONE,
	PG_UNKNOWN,
	PG_ACTIVE, /* from here on: kpageflags of the present pages */
	PG_INACTIVE,
	PG_REFERENCED,
	PG_DIRTY,
	PG_KSM,
	PG_ZERO,
	PG__COUNT
};
#define PG_ALL ((1u << PG__COUNT) - 1)
#define PG_LRU                                                                                \
	((1u << PG_ACTIVE) | (1u << PG_INACTIVE) | (1u << PG_REFERENCED) | (1u << PG_DIRTY) | \
	 (1u << PG_KSM))

static const struct {
	const char *key; /* JSON key; the column is "pg_" KEY */
	const char *col, *header, *help;
} pg_info[PG__COUNT] = {
	[PG_PRESENT] = { "present", "pg_present", "PRESENT", "pages in RAM (a count of pages)" },
	[PG_SWAPPED] = { "swapped", "pg_swapped", "SWAPPED", "pages in swap" },
	[PG_FILE] = { "file", "pg_file", "FILE",
		      "pages of a file or shared memory, in RAM or swap" },
	[PG_EXCLUSIVE] = { "exclusive", "pg_exclusive", "EXCL", "pages only this process maps" },
	[PG_SOFT_DIRTY] = { "soft_dirty", "pg_soft_dirty", "SDIRTY", "pages marked soft-dirty" },
	[PG_THP] = { "thp", "pg_thp", "THP", "pages mapped by a huge page (THP, hugetlb)" },
	[PG_GUARD] = { "guard", "pg_guard", "GUARD",
		       "pages of guard regions (MADV_GUARD_INSTALL)" },
	[PG_NONE] = { "none", "pg_none", "NONE", "pages not in the page table: never touched" },
	[PG_UNKNOWN] = { "unknown", "pg_unknown", "UNKNOWN",
			 "pages not read: the process exited during the walk" },
	[PG_ACTIVE] = { "active", "pg_active", "ACTIVE", "present pages on the active LRU list" },
	[PG_INACTIVE] = { "inactive", "pg_inactive", "INACTIVE",
			  "present pages on the inactive LRU list" },
	[PG_REFERENCED] = { "referenced", "pg_referenced", "REFERENCED",
			    "present pages marked referenced" },
	[PG_DIRTY] = { "dirty", "pg_dirty", "DIRTY", "present pages marked dirty" },
	[PG_KSM] = { "ksm", "pg_ksm", "KSM", "present pages merged by KSM" },
	[PG_ZERO] = { "zero", "pg_zero", "ZERO", "pages that map the shared zero page" },
};

/* The page counts of one mapping, or the sum over several. */
struct pcount {
	uint64_t v[PG__COUNT];
	uint32_t known; /* bit per enum pg: v[] holds a count */
	uint32_t own_unknown; /* unknown for a reason of this mapping's own (why) */
	bool skip; /* not backed by pagemap: no counts, and left out of the totals */
	char why[96];
};
static const char *const object_names[] = { NULL, "program", "library" };

/* One mapping, copied out of the iterator. */
struct mrow {
	struct vms_mapping m; /* name and vm_flags point into the copies below */
	char *name, *vm_flags;
	uint64_t val[VMS_KEY__COUNT];
	uint32_t have; /* bit per enum vms_key */
	uint64_t dyn[MAX_DYN];
	uint64_t have_dyn;
	enum vms_kind kind;
	enum object object;
	pid_t thread;
	bool deleted;
	bool code; /* its file is a code object */
	struct pcount pg; /* --pages */
};

/* Sums over a set of mappings. */
struct sums {
	uint64_t count, size, uss, dirty;
	uint64_t val[VMS_KEY__COUNT];
	uint32_t have;
	uint64_t dyn[MAX_DYN];
	uint64_t have_dyn;
};

/* A box of the --layout picture. */
struct region {
	uint64_t start, end;
	char *label; /* what it is */
	char *name; /* the file or pseudo-name, may be NULL */
	uint64_t rss, swap;
	unsigned int nmaps;
	enum vms_kind kind;
	enum object object;
};

static struct {
	struct cx_outopts out;
	const char *root;
	bool extended, layout, ascii, no_totals, pages;
	enum { G_NONE, G_KIND, G_PATH } group;
	bool have_range;
	uint64_t lo, hi;
	int *pids;
	size_t npids;
} ctl;

static struct vms_ctx *ctx;
static struct cx_column *cols;
static size_t ncols;
static const char *dyn_names[MAX_DYN]; /* kernel names of the unknown keys */
static size_t ndyn;
static size_t first_dyn_col; /* the column of the first unknown key */
static int key_col[VMS_KEY__COUNT]; /* column of each key, -1 for Size */
static char *defaults_x; /* the --extended column list */
static char *defaults_xp; /* the same with --pages */
static size_t first_pg_col; /* the column of PG_PRESENT; the others follow */

#define DEFAULTS "address,perms,kind,size,rss,pss,uss,dirty,swap,mapping"
#define DEFAULTS_PAGES                                                               \
	"address,perms,kind,size,rss,pg_present,pg_swapped,pg_file,pg_exclusive,"    \
	"pg_soft_dirty,pg_thp,pg_guard,pg_none,pg_active,pg_inactive,pg_referenced," \
	"pg_dirty,pg_ksm,pg_zero,mapping"

/* --pages, found once for the whole run */
static struct {
	struct vms_kpage *kp; /* kpageflags, when the PFNs are visible and it is readable */
	const char *reason[PG__COUNT]; /* why a column cannot be known, or NULL */
	char lru_why[200], thp_why[300], zero_why[300];
	bool told; /* the reasons were printed */
} pgs;

/* ---- columns ---- */

static char *upper(const char *s)
{
	char *u = cx_xstrdup(s);

	for (char *p = u; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return u;
}

static const struct cx_column fixed_cols[] = {
	[C_ADDRESS] = { "address", "ADDRESS", CX_STR, "start-end of the mapping (hex)" },
	[C_START] = { "start", "START", CX_STR, "first address (hex)" },
	[C_END] = { "end", "END", CX_STR, "address after the last byte (hex)" },
	[C_PERMS] = { "perms", "PERM", CX_STR, "r/w/x and p (private) or s (shared)" },
	[C_OFFSET] = { "offset", "OFFSET", CX_STR, "offset in the file (hex)" },
	[C_DEVICE] = { "device", "DEVICE", CX_STR, "device of the file, major:minor (hex)" },
	[C_INODE] = { "inode", "INODE", CX_U64, "inode of the file" },
	[C_KIND] = { "kind", "KIND", CX_STR, "what the mapping is for (see vmmap(1))" },
	[C_OBJECT] = { "object", "OBJECT", CX_STR, "program or library, for code objects" },
	[C_THREAD] = { "thread", "THREAD", CX_INT, "the thread whose stack this is" },
	[C_SIZE] = { "size", "SIZE", CX_SIZE, "virtual size" },
	[C_USS] = { "uss", "USS", CX_SIZE, "private memory: Private_Clean + Private_Dirty" },
	[C_DIRTY] = { "dirty", "DIRTY", CX_SIZE, "Shared_Dirty + Private_Dirty" },
	[C_VM_FLAGS] = { "vm_flags", "VMFLAGS", CX_STR, "the kernel's VmFlags codes" },
	[C_MAPPING] = { "mapping", "MAPPING", CX_STR, "file or pseudo-name; [anon] for anonymous" },
};

static const char *const short_headers[VMS_KEY__COUNT] = {
	[VMS_KEY_RSS] = "RSS",		[VMS_KEY_PSS] = "PSS",
	[VMS_KEY_SWAP] = "SWAP",	[VMS_KEY_SWAP_PSS] = "SWAPPSS",
	[VMS_KEY_ANONYMOUS] = "ANON",	[VMS_KEY_ANON_HUGE_PAGES] = "ANONHUGE",
	[VMS_KEY_LOCKED] = "LOCKED",	[VMS_KEY_REFERENCED] = "REFD",
	[VMS_KEY_THP_ELIGIBLE] = "THP", [VMS_KEY_KSM] = "KSM",
};

static bool key_in_kb(int k)
{
	return k != VMS_KEY_THP_ELIGIBLE && k != VMS_KEY_PROTECTION_KEY;
}

/* Figures that add up over mappings (a page size or a flag does not). */
static bool key_summed(int k)
{
	return key_in_kb(k) && k != VMS_KEY_SIZE && k != VMS_KEY_KERNEL_PAGE_SIZE &&
	       k != VMS_KEY_MMU_PAGE_SIZE;
}

static void add_col(const char *name, const char *header, enum cx_type type, const char *help)
{
	struct cx_column *nc = realloc(cols, (ncols + 1) * sizeof(*cols));

	if (!nc)
		cx_oom();
	cols = nc;
	cols[ncols++] = (struct cx_column){ name, header, type, help };
}

/* Remember the unknown keys of a sample mapping. */
static void sample_keys(const struct vms_counters *c)
{
	for (size_t i = 0; c && i < vms_counters_count(c) && ndyn < MAX_DYN; i++) {
		const char *name;
		uint64_t raw;
		bool kb;

		if (vms_counters_at(c, i, &name, &raw, &kb) < 0 || vms_key_lookup(name) >= 0)
			continue;
		dyn_names[ndyn] = cx_xstrdup(name);
		add_col(NULL, NULL, kb ? CX_SIZE : CX_U64, "a key this vmscope does not know");
		ndyn++;
	}
}

static void build_columns(const struct vms_counters *sample)
{
	size_t len = 0, cap = 256;

	for (size_t i = 0; i < C_KEY0; i++)
		add_col(fixed_cols[i].name, fixed_cols[i].header, fixed_cols[i].type,
			fixed_cols[i].help);
	for (int k = 0; k < VMS_KEY__COUNT; k++) {
		char snake[64];

		key_col[k] = -1;
		/* Size is the size column; the Pss_* split is printed by smaps_rollup only */
		if (k == VMS_KEY_SIZE || k == VMS_KEY_PSS_ANON || k == VMS_KEY_PSS_FILE ||
		    k == VMS_KEY_PSS_SHMEM)
			continue;
		cx_snake_case(vms_key_name(k), snake, sizeof(snake));
		key_col[k] = (int)ncols;
		add_col(cx_xstrdup(snake), short_headers[k] ? short_headers[k] : upper(snake),
			key_in_kb(k) ? CX_SIZE : CX_U64, "the smaps key of this name");
	}
	{
		size_t first = ncols;

		first_dyn_col = ncols;
		sample_keys(sample);
		for (size_t d = 0; d < ndyn; d++) {
			char snake[128];

			cx_snake_case(dyn_names[d], snake, sizeof(snake));
			cols[first + d].name = cx_xstrdup(snake);
			cols[first + d].header = upper(snake);
		}
	}
	/* --extended: the identity, then every key in the kernel's order */
	defaults_x = malloc(cap);
	if (!defaults_x)
		cx_oom();
	defaults_x[0] = '\0';
#define APPEND(s)                                              \
	do {                                                   \
		size_t l_ = strlen(s);                         \
		if (len + l_ + 2 > cap) {                      \
			cap = 2 * (len + l_ + 2);              \
			defaults_x = realloc(defaults_x, cap); \
			if (!defaults_x)                       \
				cx_oom();                      \
		}                                              \
		if (len)                                       \
			defaults_x[len++] = ',';               \
		memcpy(defaults_x + len, s, l_ + 1);           \
		len += l_;                                     \
	} while (0)
	APPEND("address,perms,offset,device,inode,kind,object,size");
	if (sample) {
		for (size_t i = 0; i < vms_counters_count(sample); i++) {
			const char *name;
			uint64_t raw;
			bool kb;
			char snake[128];

			if (vms_counters_at(sample, i, &name, &raw, &kb) < 0 ||
			    strcmp(name, "Size") == 0)
				continue;
			cx_snake_case(name, snake, sizeof(snake));
			APPEND(snake);
		}
	} else {
		for (int k = 0; k < VMS_KEY__COUNT; k++)
			if (key_col[k] >= 0)
				APPEND(cols[key_col[k]].name);
	}
	APPEND("uss,dirty,vm_flags");
	/* --extended --pages: the page counts before the name */
	defaults_xp = malloc(len + sizeof(DEFAULTS_PAGES) + 16);
	if (!defaults_xp)
		cx_oom();
	sprintf(defaults_xp, "%s,%s", defaults_x, strstr(DEFAULTS_PAGES, "pg_present"));
	APPEND("mapping");
#undef APPEND
	first_pg_col = ncols;
	for (int i = 0; i < PG__COUNT; i++)
		add_col(pg_info[i].col, pg_info[i].header, CX_U64, pg_info[i].help);
}

/* ---- reading one process ---- */

struct pstate {
	struct vms_proc *p;
	pid_t pid;
	char *exe;
	struct vms_thread_sp *sps;
	size_t nsps;
	struct cx_strmap *code; /* names of the code objects seen */
	struct mrow *hold; /* file mappings waiting to be told */
	size_t nhold;
	struct mrow prev; /* the last mapping passed on (its name not kept) */
	bool have_prev;
	/* output */
	struct cx_table t;
	bool sorted; /* hold every row for --sort */
	int sort_col;
	struct sums total;
	struct cx_strmap *groups;
	struct region *regions;
	size_t nregions, cap_regions;
	bool json_first;
	char *code_name; /* the last code object passed on: its bss is grouped with it */
	bool *want; /* per column: selected (or the sort key) */
	/* --pages */
	struct vms_pagemap *pm; /* NULL: pagemap could not be opened */
	uint32_t pg_known; /* what a walk of this process can tell, bit per enum pg */
	const char *pg_reason[PG__COUNT]; /* why the others cannot be told */
	char pm_why[160];
	struct cx_column *pcols; /* the columns, "n/a" ones turned into text */
	struct pcount pg_total;
	bool pages_gone; /* the process exited during a page walk */
	int pages_err; /* a page walk failed (-EIO...): the page counts are partial */
};

static void mrow_free(struct mrow *r)
{
	free(r->name);
	free(r->vm_flags);
	r->name = r->vm_flags = NULL;
}

static void mrow_copy(struct mrow *r, const struct vms_mapping *m)
{
	const struct vms_counters *c = m->counters;

	memset(r, 0, sizeof(*r));
	r->m = *m;
	r->name = malloc(m->name_len + 1);
	if (!r->name)
		cx_oom();
	memcpy(r->name, m->name, m->name_len);
	r->name[m->name_len] = '\0';
	r->m.name = r->name;
	r->vm_flags = m->vm_flags ? cx_xstrdup(m->vm_flags) : NULL;
	r->m.vm_flags = r->vm_flags;
	r->m.counters = NULL;
	for (int k = 0; c && k < VMS_KEY__COUNT; k++)
		if (vms_counters_get(c, k, &r->val[k]) == 0)
			r->have |= 1u << k;
	for (size_t d = 0; c && d < ndyn; d++)
		if (vms_counters_find(c, dyn_names[d], &r->dyn[d]) == 0)
			r->have_dyn |= 1ull << d;
}

static bool is_file(const struct mrow *r)
{
	return r->m.name_len && r->m.name[0] != '[';
}

static uint64_t val(const struct mrow *r, int k)
{
	return (r->have & (1u << k)) ? r->val[k] : 0;
}

/* Live: is a file called exactly so, with this inode, still there? */
static int deleted_hint(const struct mrow *r)
{
	struct stat st;

	if (!r->m.name_says_deleted)
		return 0;
	if (!vms_ctx_is_live(ctx) || r->m.name[0] != '/')
		return -1;
	if (fstatat(AT_FDCWD, r->m.name, &st, AT_NO_AUTOMOUNT) == 0 && st.st_ino == r->m.inode &&
	    major(st.st_dev) == r->m.dev_major && minor(st.st_dev) == r->m.dev_minor)
		return 0;
	return 1;
}

static void classify(struct pstate *ps, struct mrow *r)
{
	struct vms_kind_hints h = { .deleted = -1 };

	h.code_object = r->code;
	if (!is_file(r) && ps->have_prev && ps->prev.object != OBJ_NONE &&
	    ps->prev.m.end == r->m.start)
		h.follows_code_object = true;
	for (size_t i = 0; i < ps->nsps; i++)
		if (ps->sps[i].tid != ps->pid && ps->sps[i].sp >= r->m.start &&
		    ps->sps[i].sp < r->m.end) {
			h.thread_stack = true;
			r->thread = ps->sps[i].tid;
			break;
		}
	if (is_file(r))
		h.deleted = deleted_hint(r);
	r->kind = vms_mapping_kind(&r->m, &h);
	r->deleted = r->m.name_says_deleted && h.deleted != 0;
	if (r->kind != VMS_KIND_THREAD_STACK)
		r->thread = 0;
	if (r->code)
		r->object = ps->exe && strcmp(ps->exe, r->m.name) == 0 ? OBJ_PROGRAM : OBJ_LIBRARY;
	else if (r->kind == VMS_KIND_BSS)
		r->object = ps->prev.object;
}

/* ---- --pages: the pagemap entries of each mapping, and kpageflags of its frames ---- */

/* What the context lets a page walk tell, and why not the rest: found once. */
static void pages_setup(void)
{
	unsigned int caps = vms_ctx_caps(ctx);
	const char *pfn = vms_ctx_cap_reason(ctx, VMS_CAP_PFN);
	const char *kpf = vms_ctx_cap_reason(ctx, VMS_CAP_KPAGEFLAGS);
	const char *scan = vms_ctx_cap_reason(ctx, VMS_CAP_PAGEMAP_SCAN);

	if (!(caps & VMS_CAP_PFN))
		snprintf(pgs.lru_why, sizeof(pgs.lru_why),
			 "kpageflags is indexed by PFN, and the PFNs are hidden: %s", pfn);
	else if (!(caps & VMS_CAP_KPAGEFLAGS))
		snprintf(pgs.lru_why, sizeof(pgs.lru_why), "%s", kpf);
	else if (vms_kpage_open(ctx, &pgs.kp) < 0)
		cx_oom();
	snprintf(pgs.thp_why, sizeof(pgs.thp_why),
		 "huge pages are told by PAGEMAP_SCAN or by kpageflags, and neither can be "
		 "used: %s; %s",
		 scan ? scan : "-", pgs.lru_why);
	snprintf(pgs.zero_why, sizeof(pgs.zero_why),
		 "the zero page is told by PAGEMAP_SCAN or by its PFN, and neither can be "
		 "used: %s; %s",
		 scan ? scan : "-", pfn ? pfn : "the PFN of the zero page is not known");
}

/* The columns no walk of this process can fill, and why: said once per run. */
static void pages_tell(uint32_t unknown)
{
	bool done[PG__COUNT] = { false };

	if (pgs.told || !unknown)
		return;
	pgs.told = true;
	for (int i = 0; i < PG__COUNT; i++) {
		char list[256] = "";
		size_t len = 0;

		if (!(unknown & (1u << i)) || done[i])
			continue;
		for (int j = i; j < PG__COUNT; j++)
			if ((unknown & (1u << j)) && !done[j] &&
			    strcmp(pgs.reason[j], pgs.reason[i]) == 0) {
				len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
							len ? ", " : "", pg_info[j].col);
				done[j] = true;
			}
		cx_warn("--pages: %s: n/a: %s", list, pgs.reason[i]);
	}
}

/*
 * Open the pagemap of a process and find out what its walks can tell (the
 * library's answer for a zero-length walk at @addr): before the first row,
 * since a column that cannot be known shows "n/a", a text cell.
 */
static void pages_open(struct pstate *ps, uint64_t addr)
{
	struct vms_pagewalk *w;
	unsigned int k;
	int ret;

	ps->pg_known = 0;
	ret = vms_pagemap_open(ps->p, &ps->pm);
	if (ret >= 0) {
		ret = vms_pagewalk_open(ps->pm, addr, addr, VMS_WALK_ENTRIES, &w);
		if (ret < 0) {
			vms_pagemap_close(ps->pm);
			ps->pm = NULL;
		}
	}
	if (ret == -ENOMEM)
		cx_oom();
	if (ret < 0) {
		snprintf(ps->pm_why, sizeof(ps->pm_why), "cannot read pagemap: %s%s",
			 strerror(-ret), cx_errno_hint(ret));
		for (int i = 0; i < PG__COUNT; i++)
			ps->pg_reason[i] = ps->pm_why;
		cx_warn("pid %d: %s: the page columns show n/a", (int)ps->pid, ps->pm_why);
		return;
	}
	k = vms_pagewalk_known(w);
	vms_pagewalk_close(w);
	ps->pg_known = 1u << PG_UNKNOWN;
	if (k & VMS_RUN_PRESENT)
		ps->pg_known |= 1u << PG_PRESENT;
	if (k & VMS_RUN_SWAPPED)
		ps->pg_known |= 1u << PG_SWAPPED;
	if (k & VMS_RUN_GUARD)
		ps->pg_known |= 1u << PG_GUARD;
	if ((k & (VMS_RUN_PRESENT | VMS_RUN_SWAPPED | VMS_RUN_GUARD)) ==
	    (VMS_RUN_PRESENT | VMS_RUN_SWAPPED | VMS_RUN_GUARD))
		ps->pg_known |= 1u << PG_NONE;
	if (k & VMS_RUN_FILE)
		ps->pg_known |= 1u << PG_FILE;
	if (k & VMS_RUN_EXCLUSIVE)
		ps->pg_known |= 1u << PG_EXCLUSIVE;
	if (k & VMS_RUN_SOFT_DIRTY)
		ps->pg_known |= 1u << PG_SOFT_DIRTY;
	if (k & VMS_RUN_HUGE)
		ps->pg_known |= 1u << PG_THP;
	if ((k & VMS_RUN_ZERO) || pgs.kp)
		ps->pg_known |= 1u << PG_ZERO;
	if (pgs.kp)
		ps->pg_known |= PG_LRU;
	for (int i = 0; i < PG__COUNT; i++) {
		if (ps->pg_known & (1u << i))
			continue;
		ps->pg_reason[i] = i == PG_THP		? pgs.thp_why :
				   i == PG_ZERO		? pgs.zero_why :
				   (PG_LRU & (1u << i)) ? pgs.lru_why :
							  "this page walk cannot tell it";
		pgs.reason[i] = ps->pg_reason[i];
	}
	pages_tell(PG_ALL & ~ps->pg_known);
}

#define KBATCH 4096

/* Count the kpageflags of the present pages whose entries are @e[0..@n). */
static int count_kflags(struct pcount *c, const uint64_t *e, size_t n, bool zero)
{
	static uint64_t pfns[KBATCH], fl[KBATCH];

	for (size_t off = 0; off < n; off += KBATCH) {
		size_t k = n - off < KBATCH ? n - off : KBATCH;
		int ret;

		for (size_t i = 0; i < k; i++)
			pfns[i] = (e[off + i] & VMS_PM_PRESENT) ? e[off + i] & VMS_PM_PFN_MASK :
								  UINT64_MAX;
		ret = vms_kpage_lookup(pgs.kp, VMS_KPAGE_FLAGS, pfns, k, fl, NULL);
		if (ret < 0)
			return ret;
		for (size_t i = 0; i < k; i++) {
			uint64_t f = fl[i];

			if (pfns[i] == UINT64_MAX)
				continue;
			/* an unevictable page is on an LRU list of its own */
			if ((f & (1u << VMS_KPF_LRU)) && !(f & (1u << VMS_KPF_UNEVICTABLE)))
				c->v[(f & (1u << VMS_KPF_ACTIVE)) ? PG_ACTIVE : PG_INACTIVE]++;
			if (f & (1u << VMS_KPF_REFERENCED))
				c->v[PG_REFERENCED]++;
			if (f & (1u << VMS_KPF_DIRTY))
				c->v[PG_DIRTY]++;
			if (f & (1u << VMS_KPF_KSM))
				c->v[PG_KSM]++;
			if (zero && (f & (1u << VMS_KPF_ZERO_PAGE)))
				c->v[PG_ZERO]++;
		}
	}
	return 0;
}

/* Walk the pages of @r (with their entries: exclusive and the PFNs need them). */
static void walk_pages(struct pstate *ps, struct mrow *r)
{
	struct pcount *c = &r->pg;
	unsigned long psz = vms_ctx_page_size(ctx);
	struct vms_pagewalk *w;
	struct vms_page_run run;
	bool kflags = ps->pg_known & (1u << PG_ACTIVE);
	bool zero_kf = false;
	int ret;

	memset(c, 0, sizeof(*c));
	if (!ps->pm)
		return;
	if (r->kind == VMS_KIND_VSYSCALL) {
		/* the kernel's page, above the user address space */
		c->skip = true;
		c->own_unknown = PG_ALL;
		snprintf(c->why, sizeof(c->why), "not backed by pagemap");
		return;
	}
	ret = vms_pagewalk_open(ps->pm, r->m.start, r->m.end, VMS_WALK_ENTRIES, &w);
	if (ret < 0)
		goto fail;
	c->known = ps->pg_known;
	zero_kf = kflags && !(vms_pagewalk_known(w) & VMS_RUN_ZERO);
	while ((ret = vms_pagewalk_next(w, &run)) == 1) {
		uint64_t n = (run.end - run.start) / psz;
		unsigned int f = run.flags;

		if (f & VMS_RUN_UNKNOWN) {
			c->v[PG_UNKNOWN] += n;
			continue;
		}
		if (f & VMS_RUN_GUARD)
			c->v[PG_GUARD] += n;
		else if (f & VMS_RUN_SWAPPED)
			c->v[PG_SWAPPED] += n;
		else if (f & VMS_RUN_PRESENT)
			c->v[PG_PRESENT] += n;
		else
			c->v[PG_NONE] += n;
		if (f & VMS_RUN_FILE)
			c->v[PG_FILE] += n;
		if (f & VMS_RUN_EXCLUSIVE)
			c->v[PG_EXCLUSIVE] += n;
		if (f & VMS_RUN_SOFT_DIRTY)
			c->v[PG_SOFT_DIRTY] += n;
		if (f & VMS_RUN_HUGE)
			c->v[PG_THP] += n;
		if (f & VMS_RUN_ZERO)
			c->v[PG_ZERO] += n;
		if (kflags && (f & VMS_RUN_PRESENT) && run.entries &&
		    (c->known & (1u << PG_ACTIVE))) {
			int err = count_kflags(c, run.entries, n, zero_kf);

			if (err == -ENOMEM)
				cx_oom();
			if (err < 0) {
				uint32_t lost = PG_LRU | (zero_kf ? 1u << PG_ZERO : 0);

				c->known &= ~lost;
				c->own_unknown |= lost;
				snprintf(c->why, sizeof(c->why), "cannot read kpageflags: %s",
					 strerror(-err));
			}
		}
	}
	if (ret == 0 && vms_pagewalk_finish(w) == -ESRCH)
		ps->pages_gone = true;
	vms_pagewalk_close(w);
	if (ret == 0)
		return;
fail:
	if (ret == -ENOMEM)
		cx_oom();
	if (!ps->pages_err)
		ps->pages_err = ret;
	c->known = 0;
	c->own_unknown = PG_ALL;
	snprintf(c->why, sizeof(c->why), "page walk: %s", strerror(-ret));
	cx_warn("pid %d: %" PRIx64 "-%" PRIx64 ": %s", (int)ps->pid, r->m.start, r->m.end, c->why);
}

static void pcount_add(struct pcount *sum, const struct pcount *c)
{
	if (c->skip)
		return;
	for (int i = 0; i < PG__COUNT; i++)
		sum->v[i] += c->v[i];
	sum->known &= c->known;
	sum->own_unknown |= c->own_unknown;
	if (c->own_unknown && !sum->why[0])
		memcpy(sum->why, c->why, sizeof(sum->why));
}

static const char *pg_reason(const struct pstate *ps, const struct pcount *c, int i)
{
	return (c->own_unknown & (1u << i)) ? c->why :
	       ps->pg_reason[i]		    ? ps->pg_reason[i] :
					      "not known";
}

/* The page cells of a row: counts, "n/a" in a column that cannot be known, "-" else. */
static void pg_cells(struct pstate *ps, struct cx_table *t, size_t row, const struct pcount *c)
{
	for (int i = 0; i < PG__COUNT; i++) {
		int col = (int)(first_pg_col + (size_t)i);

		if (c->known & (1u << i))
			cx_set_u64(t, row, col, c->v[i]);
		else if (!c->skip && ps->pcols[col].type == CX_STR)
			cx_set_str(t, row, col, "n/a");
	}
}

/* "pages_unavailable": {"active": "why", ...} for the keys in @unknown, or nothing. */
static void json_pages_why(const struct pstate *ps, cJSON *o, const struct pcount *c,
			   uint32_t unknown)
{
	cJSON *why;

	if (!unknown)
		return;
	why = cJSON_AddObjectToObject(o, "pages_unavailable");
	if (!why)
		cx_oom();
	for (int i = 0; i < PG__COUNT; i++)
		if (unknown & (1u << i))
			cJSON_AddStringToObject(why, pg_info[i].key, pg_reason(ps, c, i));
}

/*
 * "pages": {"present": n, ...}, null for what cannot be known; the reasons
 * for the whole process are in the process's object, those of this
 * mapping's own in its "pages_unavailable".
 */
static void json_pages(struct pstate *ps, cJSON *o, const struct pcount *c)
{
	cJSON *pg = cJSON_AddObjectToObject(o, "pages");

	if (!pg)
		cx_oom();
	for (int i = 0; i < PG__COUNT; i++) {
		if (c->known & (1u << i))
			cx_json_u64(pg, pg_info[i].key, c->v[i]);
		else
			cJSON_AddNullToObject(pg, pg_info[i].key);
	}
	json_pages_why(ps, o, c, c->own_unknown & ~c->known);
}

/* ---- output of one mapping ---- */

static void sums_add(struct sums *s, const struct mrow *r)
{
	s->count++;
	s->size += r->m.end - r->m.start;
	s->uss += val(r, VMS_KEY_PRIVATE_CLEAN) + val(r, VMS_KEY_PRIVATE_DIRTY);
	s->dirty += val(r, VMS_KEY_SHARED_DIRTY) + val(r, VMS_KEY_PRIVATE_DIRTY);
	for (int k = 0; k < VMS_KEY__COUNT; k++)
		if ((r->have & (1u << k)) && key_summed(k)) {
			s->val[k] += r->val[k];
			s->have |= 1u << k;
		}
	for (size_t d = 0; d < ndyn; d++)
		if ((r->have_dyn & (1ull << d)) && cols[first_dyn_col + d].type == CX_SIZE) {
			s->dyn[d] += r->dyn[d];
			s->have_dyn |= 1ull << d;
		}
}

static int dyn_col(size_t d)
{
	return (int)(first_dyn_col + d);
}

static int addr_width(uint64_t end)
{
	return end > (1ull << 48) ? 16 : 12;
}

static void fill_sums(struct cx_table *t, size_t row, const struct sums *s)
{
	cx_set_u64(t, row, C_SIZE, s->size);
	cx_set_u64(t, row, C_USS, s->uss);
	cx_set_u64(t, row, C_DIRTY, s->dirty);
	for (int k = 0; k < VMS_KEY__COUNT; k++)
		if (key_col[k] >= 0 && (s->have & (1u << k)))
			cx_set_u64(t, row, key_col[k], s->val[k]);
	for (size_t d = 0; d < ndyn; d++)
		if (s->have_dyn & (1ull << d))
			cx_set_u64(t, row, dyn_col(d), s->dyn[d]);
}

static const char *anon_label(const struct mrow *r)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "[%s]", vms_kind_name(r->kind));
	return buf;
}

/* Lower-case hex of @v, at least @width digits, into @buf (24 bytes). */
static char *hex_fast(char *buf, uint64_t v, int width)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[17];
	int n = 0;

	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	while (n < width)
		tmp[n++] = '0';
	for (int i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return buf + n;
}

static void table_row(struct pstate *ps, const struct mrow *r)
{
	struct cx_table *t = &ps->t;
	size_t row = cx_table_add_row(t);
	int w = addr_width(r->m.end);
	char buf[64];
	const bool *want = ps->want;

	if (want[C_ADDRESS]) {
		char *e = hex_fast(buf, r->m.start, w);

		*e++ = '-';
		hex_fast(e, r->m.end, w);
		cx_set_str(t, row, C_ADDRESS, buf);
	}
	if (want[C_START]) {
		hex_fast(buf, r->m.start, w);
		cx_set_str(t, row, C_START, buf);
	}
	if (want[C_END]) {
		hex_fast(buf, r->m.end, w);
		cx_set_str(t, row, C_END, buf);
	}
	if (want[C_PERMS])
		cx_set_str(t, row, C_PERMS, r->m.perms);
	if (want[C_OFFSET]) {
		hex_fast(buf, r->m.offset, 8);
		cx_set_str(t, row, C_OFFSET, buf);
	}
	if (want[C_DEVICE]) {
		snprintf(buf, sizeof(buf), "%02x:%02x", r->m.dev_major, r->m.dev_minor);
		cx_set_str(t, row, C_DEVICE, buf);
	}
	cx_set_u64(t, row, C_INODE, r->m.inode);
	if (want[C_KIND])
		cx_set_str(t, row, C_KIND, vms_kind_name(r->kind));
	if (want[C_OBJECT] && r->object != OBJ_NONE)
		cx_set_str(t, row, C_OBJECT, object_names[r->object]);
	if (r->thread)
		cx_set_int(t, row, C_THREAD, r->thread);
	cx_set_u64(t, row, C_SIZE, r->m.end - r->m.start);
	if ((r->have & (1u << VMS_KEY_PRIVATE_CLEAN)) && (r->have & (1u << VMS_KEY_PRIVATE_DIRTY)))
		cx_set_u64(t, row, C_USS,
			   val(r, VMS_KEY_PRIVATE_CLEAN) + val(r, VMS_KEY_PRIVATE_DIRTY));
	if ((r->have & (1u << VMS_KEY_SHARED_DIRTY)) && (r->have & (1u << VMS_KEY_PRIVATE_DIRTY)))
		cx_set_u64(t, row, C_DIRTY,
			   val(r, VMS_KEY_SHARED_DIRTY) + val(r, VMS_KEY_PRIVATE_DIRTY));
	if (want[C_VM_FLAGS])
		cx_set_str(t, row, C_VM_FLAGS, r->vm_flags);
	if (want[C_MAPPING])
		cx_set_str(t, row, C_MAPPING, r->m.name_len ? r->m.name : "[anon]");
	for (int k = 0; k < VMS_KEY__COUNT; k++)
		if (key_col[k] >= 0 && (r->have & (1u << k)))
			cx_set_u64(t, row, key_col[k], r->val[k]);
	for (size_t d = 0; d < ndyn; d++)
		if (r->have_dyn & (1ull << d))
			cx_set_u64(t, row, dyn_col(d), r->dyn[d]);
	if (ctl.pages)
		pg_cells(ps, t, row, &r->pg);
	if (!ps->sorted && t->nrows >= FLUSH_ROWS)
		cx_table_flush(t, &ctl.out, stdout);
}

static void json_hex(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	if (!cJSON_AddStringToObject(o, key, buf))
		cx_oom();
}

static void json_flags(cJSON *o, const char *flags)
{
	cJSON *a;
	char *copy, *save = NULL;

	if (!flags) {
		cJSON_AddNullToObject(o, "vm_flags");
		return;
	}
	a = cJSON_AddArrayToObject(o, "vm_flags");
	copy = cx_xstrdup(flags);
	if (!a)
		cx_oom();
	for (char *f = strtok_r(copy, " ", &save); f; f = strtok_r(NULL, " ", &save))
		cJSON_AddItemToArray(a, cJSON_CreateString(f));
	free(copy);
}

/* Print a cJSON item without its own braces' newline, then free it. */
static void json_put(cJSON *o, bool open_end)
{
	char *s = cJSON_PrintUnformatted(o);
	size_t n;

	cJSON_Delete(o);
	if (!s)
		cx_oom();
	n = strlen(s);
	if (open_end && n && s[n - 1] == '}')
		s[--n] = '\0';
	fputs(s, stdout);
	cJSON_free(s);
}

static void json_mapping(struct pstate *ps, const struct mrow *r)
{
	cJSON *o = cx_json_object();
	char buf[64];

	json_hex(o, "start", r->m.start);
	json_hex(o, "end", r->m.end);
	cJSON_AddStringToObject(o, "perms", r->m.perms);
	json_hex(o, "offset", r->m.offset);
	snprintf(buf, sizeof(buf), "%02x:%02x", r->m.dev_major, r->m.dev_minor);
	cJSON_AddStringToObject(o, "device", buf);
	cx_json_u64(o, "inode", r->m.inode);
	cJSON_AddStringToObject(o, "kind", vms_kind_name(r->kind));
	if (r->object != OBJ_NONE)
		cJSON_AddStringToObject(o, "object", object_names[r->object]);
	else
		cJSON_AddNullToObject(o, "object");
	if (r->thread)
		cx_json_int(o, "thread", r->thread);
	else
		cJSON_AddNullToObject(o, "thread");
	cx_json_str(o, "mapping", r->m.name);
	cJSON_AddBoolToObject(o, "deleted", r->deleted);
	cx_json_u64(o, "size", r->m.end - r->m.start);
	for (int k = 0; k < VMS_KEY__COUNT; k++)
		if (key_col[k] >= 0 && (r->have & (1u << k)))
			cx_json_u64(o, cols[key_col[k]].name, r->val[k]);
	for (size_t d = 0; d < ndyn; d++)
		if (r->have_dyn & (1ull << d))
			cx_json_u64(o, cols[dyn_col(d)].name, r->dyn[d]);
	if ((r->have & (1u << VMS_KEY_PRIVATE_CLEAN)) && (r->have & (1u << VMS_KEY_PRIVATE_DIRTY)))
		cx_json_u64(o, "uss",
			    val(r, VMS_KEY_PRIVATE_CLEAN) + val(r, VMS_KEY_PRIVATE_DIRTY));
	if ((r->have & (1u << VMS_KEY_SHARED_DIRTY)) && (r->have & (1u << VMS_KEY_PRIVATE_DIRTY)))
		cx_json_u64(o, "dirty",
			    val(r, VMS_KEY_SHARED_DIRTY) + val(r, VMS_KEY_PRIVATE_DIRTY));
	json_flags(o, r->vm_flags);
	if (ctl.pages)
		json_pages(ps, o, &r->pg);
	fputs(ps->json_first ? "\n" : ",\n", stdout);
	ps->json_first = false;
	json_put(o, false);
}

static void json_sums(cJSON *o, const struct sums *s, const char *count_key)
{
	cx_json_u64(o, count_key, s->count);
	cx_json_u64(o, "size", s->size);
	for (int k = 0; k < VMS_KEY__COUNT; k++)
		if (key_col[k] >= 0 && (s->have & (1u << k)))
			cx_json_u64(o, cols[key_col[k]].name, s->val[k]);
	for (size_t d = 0; d < ndyn; d++)
		if (s->have_dyn & (1ull << d))
			cx_json_u64(o, cols[dyn_col(d)].name, s->dyn[d]);
	cx_json_u64(o, "uss", s->uss);
	cx_json_u64(o, "dirty", s->dirty);
}

/* ---- --layout regions ---- */

static bool same_region(const struct region *g, const struct mrow *r)
{
	if (g->end != r->m.start)
		return false;
	if (r->object != OBJ_NONE || g->object != OBJ_NONE) {
		/* one box per library; the program's segments each get one */
		if (r->object != g->object || !g->name || strcmp(g->name, r->m.name) != 0) {
			if (!(r->kind == VMS_KIND_BSS && r->object == g->object))
				return false;
		}
		return r->object == OBJ_LIBRARY || r->kind == g->kind;
	}
	if (r->kind != g->kind)
		return false;
	if (is_file(r))
		return g->name && strcmp(g->name, r->m.name) == 0;
	return !r->m.name_len || (g->name && strcmp(g->name, r->m.name) == 0);
}

static void region_add(struct pstate *ps, const struct mrow *r)
{
	struct region *g = ps->nregions ? &ps->regions[ps->nregions - 1] : NULL;

	if (g && same_region(g, r)) {
		g->end = r->m.end;
		g->rss += val(r, VMS_KEY_RSS);
		g->swap += val(r, VMS_KEY_SWAP);
		g->nmaps++;
		return;
	}
	ps->regions = cx_grow(ps->regions, ps->nregions, &ps->cap_regions, sizeof(*ps->regions));
	g = &ps->regions[ps->nregions++];
	memset(g, 0, sizeof(*g));
	g->start = r->m.start;
	g->end = r->m.end;
	g->rss = val(r, VMS_KEY_RSS);
	g->swap = val(r, VMS_KEY_SWAP);
	g->nmaps = 1;
	g->kind = r->kind;
	g->object = r->object;
	g->name = r->m.name_len ? cx_xstrdup(r->m.name) : NULL;
}

/* ---- the pipeline: classify, then emit ---- */

struct group_val {
	struct sums s;
};

static void emit(struct pstate *ps, struct mrow *r)
{
	classify(ps, r);
	/* what the next mapping sees as its neighbour */
	free(ps->prev.name);
	ps->prev = *r;
	ps->prev.name = NULL;
	ps->prev.vm_flags = NULL;
	ps->prev.m.name = NULL;
	ps->have_prev = true;

	if (ctl.have_range && (r->m.end <= ctl.lo || r->m.start >= ctl.hi)) {
		mrow_free(r);
		return;
	}
	if (ctl.pages) {
		walk_pages(ps, r);
		pcount_add(&ps->pg_total, &r->pg);
	}
	sums_add(&ps->total, r);
	if (r->code && (!ps->code_name || strcmp(ps->code_name, r->m.name) != 0)) {
		free(ps->code_name);
		ps->code_name = cx_xstrdup(r->m.name);
	}
	if (ctl.layout) {
		region_add(ps, r);
	} else if (ctl.group != G_NONE) {
		const char *key = ctl.group == G_KIND ? vms_kind_name(r->kind) :
				  r->m.name_len	      ? r->m.name :
				  r->kind == VMS_KIND_BSS && ps->code_name ? ps->code_name :
									     anon_label(r);
		struct group_val *g = cx_strmap_get(ps->groups, key, strlen(key));

		if (!g)
			cx_oom();
		sums_add(&g->s, r);
	} else if (ctl.out.format == CX_FMT_JSON) {
		json_mapping(ps, r);
	} else {
		table_row(ps, r);
	}
	mrow_free(r);
}

static void release_hold(struct pstate *ps)
{
	for (size_t i = 0; i < ps->nhold; i++) {
		ps->hold[i].code = cx_strmap_find(ps->code, ps->hold[i].m.name,
						  ps->hold[i].m.name_len) != NULL;
		emit(ps, &ps->hold[i]);
	}
	ps->nhold = 0;
}

static void feed(struct pstate *ps, const struct vms_mapping *m)
{
	struct mrow r;
	bool private_file;

	mrow_copy(&r, m);
	private_file = is_file(&r) && r.m.perms[3] == 'p';
	if (private_file && r.m.perms[2] == 'x') {
		if (!cx_strmap_get(ps->code, r.m.name, r.m.name_len))
			cx_oom();
	}
	if (ps->nhold &&
	    (!private_file || strcmp(ps->hold[0].m.name, r.m.name) != 0 || ps->nhold == HOLD_MAX))
		release_hold(ps);
	if (private_file && !cx_strmap_find(ps->code, r.m.name, r.m.name_len)) {
		ps->hold[ps->nhold++] = r;
		return;
	}
	if (ps->nhold)
		release_hold(ps);
	r.code = private_file && cx_strmap_find(ps->code, r.m.name, r.m.name_len);
	emit(ps, &r);
}

/* ---- printing a process ---- */

static void print_header(const struct vms_proc_info *pi, pid_t pid, bool first)
{
	const char *cmd = (pi->have & VMS_HAVE_CMDLINE) && pi->cmdline && pi->cmdline[0] ?
				  pi->cmdline :
				  pi->comm;
	char *s = cx_sanitize(cmd, strlen(cmd), false);

	if (!s)
		cx_oom();
	printf("%s%d: %s\n", first ? "" : "\n", (int)pid, s);
	free(s);
}

static void finish_table(struct pstate *ps)
{
	struct cx_table *t = &ps->t;

	if (ps->sorted && ps->sort_col >= 0)
		cx_table_sort(t, ps->sort_col, ctl.out.reverse);
	if (!ctl.no_totals) {
		size_t row = cx_table_add_row(t);

		fill_sums(t, row, &ps->total);
		if (ctl.pages)
			pg_cells(ps, t, row, &ps->pg_total);
		cx_set_str(t, row, C_MAPPING, "total");
		for (int c = C_ADDRESS; c <= C_THREAD; c++)
			if (c != C_INODE && c != C_THREAD)
				cx_set_str(t, row, c, "");
	}
	cx_table_flush(t, &ctl.out, stdout);
}

static void print_groups(struct pstate *ps, cJSON *proc_obj)
{
	struct cx_column *gc;
	size_t ngc = 2 + 1 + 7;
	struct cx_table t;
	struct cx_outopts o = ctl.out;
	int sort;

	gc = calloc(ngc, sizeof(*gc));
	if (!gc)
		cx_oom();
	gc[0] = ctl.group == G_KIND ? (struct cx_column){ "kind", "KIND", CX_STR, "" } :
				      (struct cx_column){ "mapping", "MAPPING", CX_STR, "" };
	gc[1] = (struct cx_column){ "count", "COUNT", CX_U64, "mappings" };
	gc[2] = (struct cx_column){ "size", "SIZE", CX_SIZE, "" };
	gc[3] = (struct cx_column){ "rss", "RSS", CX_SIZE, "" };
	gc[4] = (struct cx_column){ "pss", "PSS", CX_SIZE, "" };
	gc[5] = (struct cx_column){ "uss", "USS", CX_SIZE, "" };
	gc[6] = (struct cx_column){ "dirty", "DIRTY", CX_SIZE, "" };
	gc[7] = (struct cx_column){ "swap", "SWAP", CX_SIZE, "" };
	gc[8] = (struct cx_column){ "swap_pss", "SWAPPSS", CX_SIZE, "" };
	gc[9] = (struct cx_column){ "anon_huge_pages", "ANONHUGE", CX_SIZE, "" };
	o.output = NULL;
	o.output_all = false;
	cx_table_init(&t, gc, ngc,
		      ctl.group == G_KIND ? "kind,count,size,rss,pss,uss,dirty,swap" :
					    "count,size,rss,pss,uss,dirty,swap,mapping",
		      &o);
	for (size_t i = 0; i < cx_strmap_count(ps->groups); i++) {
		const char *key;
		struct group_val *g = cx_strmap_at(ps->groups, i, &key);
		size_t row = cx_table_add_row(&t);

		cx_set_str(&t, row, 0, key);
		cx_set_u64(&t, row, 1, g->s.count);
		cx_set_u64(&t, row, 2, g->s.size);
		cx_set_u64(&t, row, 3, g->s.val[VMS_KEY_RSS]);
		cx_set_u64(&t, row, 4, g->s.val[VMS_KEY_PSS]);
		cx_set_u64(&t, row, 5, g->s.uss);
		cx_set_u64(&t, row, 6, g->s.dirty);
		cx_set_u64(&t, row, 7, g->s.val[VMS_KEY_SWAP]);
		cx_set_u64(&t, row, 8, g->s.val[VMS_KEY_SWAP_PSS]);
		cx_set_u64(&t, row, 9, g->s.val[VMS_KEY_ANON_HUGE_PAGES]);
	}
	sort = 4;
	if (ctl.out.sort) {
		sort = cx_column_find(gc, ngc, ctl.out.sort, strlen(ctl.out.sort));
		if (sort < 0)
			sort = 4; /* checked against the mapping columns already */
	}
	/* ties in name order */
	cx_table_sort(&t, 0, false);
	cx_table_sort(&t, sort, ctl.out.reverse);
	if (proc_obj) {
		cJSON *arr = cJSON_AddArrayToObject(proc_obj, "groups");

		if (!arr)
			cx_oom();
		for (size_t r = 0; r < t.nrows; r++) {
			cJSON *g = cx_json_object();

			cx_json_row(g, &t, r, true);
			cJSON_AddItemToArray(arr, g);
		}
	} else {
		if (!ctl.no_totals) {
			size_t row = cx_table_add_row(&t);

			cx_set_str(&t, row, 0, "total");
			cx_set_u64(&t, row, 1, ps->total.count);
			cx_set_u64(&t, row, 2, ps->total.size);
			cx_set_u64(&t, row, 3, ps->total.val[VMS_KEY_RSS]);
			cx_set_u64(&t, row, 4, ps->total.val[VMS_KEY_PSS]);
			cx_set_u64(&t, row, 5, ps->total.uss);
			cx_set_u64(&t, row, 6, ps->total.dirty);
			cx_set_u64(&t, row, 7, ps->total.val[VMS_KEY_SWAP]);
			cx_set_u64(&t, row, 8, ps->total.val[VMS_KEY_SWAP_PSS]);
			cx_set_u64(&t, row, 9, ps->total.val[VMS_KEY_ANON_HUGE_PAGES]);
		}
		cx_table_print(&t, &ctl.out, stdout);
	}
	cx_table_free(&t);
	free(gc);
}

/* ---- --layout ---- */

struct box_chars {
	const char *h, *v, *tl, *tr, *bl, *br, *lt, *rt, *gap;
};

static const struct box_chars utf8_box = { "─", "│", "┌", "┐", "└", "┘", "├", "┤", "┆" };
static const struct box_chars ascii_box = { "-", "|", "+", "+", "+", "+", "+", "+", ":" };

#define BOX_W 60 /* columns inside a box */

static void box_rule(const struct box_chars *b, uint64_t addr, bool with_addr, const char *l,
		     const char *r)
{
	if (with_addr)
		printf("%016" PRIx64 " ", addr);
	else
		printf("%17s", "");
	fputs(l, stdout);
	for (int i = 0; i < BOX_W; i++)
		fputs(b->h, stdout);
	fputs(r, stdout);
	fputc('\n', stdout);
}

/* One line of text inside a box, sanitized, padded by display width, cut when too long. */
static void box_text(const struct box_chars *b, const char *text)
{
	char *s = cx_sanitize(text, strlen(text), false);
	size_t w, keep = 0, cw = 0;

	if (!s)
		cx_oom();
	w = cx_width(s);
	if (w > BOX_W - 2) {
		while (s[keep] && cw < BOX_W - 5) {
			uint32_t cp;
			size_t n = cx_utf8_decode((const unsigned char *)s + keep, strlen(s + keep),
						  &cp);

			keep += n ? n : 1;
			cw++;
		}
		strcpy(s + keep, "...");
		w = cx_width(s);
	}
	printf("%17s%s %s%*s%s\n", "", b->v, s, (int)(BOX_W - 1 - w), "", b->v);
	free(s);
}

static void gap_line(const struct box_chars *b, uint64_t size, const char *what)
{
	char sz[32];

	cx_human_size(size, sz, sizeof(sz));
	printf("%17s  %s %s %s\n", "", b->gap, sz, what);
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s[1] ? s + 1 : path;
}

static void region_box(const struct box_chars *b, const struct region *g)
{
	char label[512], line[160], sz[32], rss[32];

	if (g->object == OBJ_LIBRARY)
		snprintf(label, sizeof(label), "library %s", basename_of(g->name));
	else if (g->object == OBJ_PROGRAM)
		snprintf(label, sizeof(label), "%s of %s", vms_kind_name(g->kind),
			 g->name ? basename_of(g->name) : "the program");
	else if (g->name && g->name[0] == '[' &&
		 strlen(g->name) == strlen(vms_kind_name(g->kind)) + 2 &&
		 strncmp(g->name + 1, vms_kind_name(g->kind), strlen(vms_kind_name(g->kind))) == 0)
		snprintf(label, sizeof(label), "%s", vms_kind_name(g->kind));
	else if (g->name)
		snprintf(label, sizeof(label), "%s %s", vms_kind_name(g->kind), g->name);
	else
		snprintf(label, sizeof(label), "%s", vms_kind_name(g->kind));
	cx_human_size(g->end - g->start, sz, sizeof(sz));
	cx_human_size(g->rss, rss, sizeof(rss));
	snprintf(line, sizeof(line), "%s, rss %s", sz, rss);
	if (g->swap) {
		char sw[32];

		cx_human_size(g->swap, sw, sizeof(sw));
		snprintf(line + strlen(line), sizeof(line) - strlen(line), ", swap %s", sw);
	}
	if (g->nmaps > 1)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " (%u mappings)",
			 g->nmaps);
	box_rule(b, g->end - 1, true, b->tl, b->tr);
	box_text(b, label);
	box_text(b, line);
	box_rule(b, g->start, true, b->bl, b->br);
}

/*
 * The address space top to bottom, one box per region, the gaps between them
 * with their size.  x86-64: user space ends at 2^47 (2^56 with 5-level
 * paging, which a process gets only by mapping above 2^47).
 */
static void print_layout(struct pstate *ps)
{
	const struct box_chars *b = (ctl.ascii || !cx_utf8()) ? &ascii_box : &utf8_box;
	uint64_t user_top = 0, above;
	bool la57 = false;

	for (size_t i = 0; i < ps->nregions; i++)
		if (ps->regions[i].kind != VMS_KIND_VSYSCALL && ps->regions[i].end > (1ull << 47))
			la57 = true;
	user_top = la57 ? (1ull << 56) : (1ull << 47);
#if defined(__x86_64__)
	{
		uint64_t kstart = la57 ? 0xff00000000000000ull : 0xffff800000000000ull;
		char line[128];

		box_rule(b, UINT64_MAX, true, b->tl, b->tr);
		box_text(b, "kernel space: not accessible from user mode");
		for (size_t i = 0; i < ps->nregions; i++)
			if (ps->regions[i].kind == VMS_KIND_VSYSCALL) {
				snprintf(line, sizeof(line),
					 "except [vsyscall] at %" PRIx64 ", rss %s",
					 ps->regions[i].start, "0 B");
				box_text(b, line);
			}
		box_rule(b, kstart, true, b->bl, b->br);
		gap_line(b, kstart - user_top, "non-canonical: no address here is valid");
	}
#endif
	above = user_top;
	for (size_t i = ps->nregions; i-- > 0;) {
		const struct region *g = &ps->regions[i];

		if (g->kind == VMS_KIND_VSYSCALL)
			continue;
		if (g->end < above)
			gap_line(b, above - g->end, "not mapped");
		region_box(b, g);
		above = g->start;
	}
	if (above)
		gap_line(b, above, "not mapped, down to address 0");
}

/* ---- one process, start to end ---- */

static void pstate_free(struct pstate *ps)
{
	for (size_t i = 0; i < ps->nhold; i++)
		mrow_free(&ps->hold[i]);
	free(ps->hold);
	free(ps->exe);
	free(ps->code_name);
	free(ps->want);
	free(ps->sps);
	free(ps->pcols);
	if (ps->pm)
		vms_pagemap_close(ps->pm);
	cx_strmap_free(ps->code);
	if (ps->groups)
		cx_strmap_free(ps->groups);
	for (size_t i = 0; i < ps->nregions; i++)
		free(ps->regions[i].name);
	free(ps->regions);
	cx_table_free(&ps->t);
}

/*
 * Map one process.  Returns 0, or a negative errno when nothing could be
 * shown (the message is printed here); *@partial when it exited mid-read.
 */
static int map_process(pid_t pid, bool *first_out, cJSON *skipped)
{
	struct pstate ps = { .pid = pid, .json_first = true, .sort_col = -1 };
	struct vms_proc_info pi;
	const struct vms_mapping *m;
	struct vms_maps *it = NULL;
	int ret;

	ret = vms_proc_open(ctx, pid, &ps.p);
	if (ret < 0) {
		cx_proc_error(pid, "its /proc directory", ret);
		goto skip;
	}
	ret = vms_proc_info_read(ps.p, VMS_PT_USER | VMS_PT_CMDLINE, &pi);
	if (ret < 0) {
		cx_proc_error(pid, "stat", ret);
		goto skip;
	}
	if (pi.kthread) {
		cx_warn("pid %d: kernel thread: it has no address space", (int)pid);
		ret = -EINVAL;
		goto skip;
	}
	ret = vms_maps_open(ps.p, VMS_MAPS_SMAPS | VMS_MAPS_PREFETCH, &it);
	if (ret < 0 && pi.state == 'Z') {
		cx_warn("pid %d: zombie: it has no address space", (int)pid);
		ret = -ESRCH;
		goto skip;
	}
	if (ret < 0) {
		cx_proc_error(pid, "smaps", ret);
		goto skip;
	}
	ps.code = cx_strmap_new(1);
	ps.hold = calloc(HOLD_MAX, sizeof(*ps.hold));
	if (!ps.code || !ps.hold)
		cx_oom();
	/* without them the kinds are guessed less well: not for lack of memory */
	ret = vms_proc_exe(ps.p, &ps.exe);
	if (ret == -ENOMEM)
		cx_oom();
	if (ret < 0)
		ps.exe = NULL;
	ret = vms_proc_thread_sps(ps.p, &ps.sps, &ps.nsps);
	if (ret == -ENOMEM)
		cx_oom();
	if (ret < 0)
		ps.nsps = 0;
	if (ctl.group != G_NONE) {
		ps.groups = cx_strmap_new(sizeof(struct group_val));
		if (!ps.groups)
			cx_oom();
	}
	ret = vms_maps_next(it, &m);
	if (ret == 0 && (pi.state == 'Z' || vms_maps_finish(it) == -ESRCH)) {
		cx_warn("pid %d: %s: it has no address space", (int)pid,
			pi.state == 'Z' ? "zombie" : "exited");
		ret = -ESRCH;
		goto skip;
	}
	if (ret < 0) {
		cx_proc_error(pid, "smaps", ret);
		goto skip;
	}

	if (ctl.pages) {
		pages_open(&ps, m->start);
		ps.pg_total.known = ps.pg_known;
	}
	if (ctl.out.format == CX_FMT_JSON) {
		cJSON *o = cx_json_object();

		cx_json_int(o, "pid", pid);
		cx_json_int(o, "ppid", pi.ppid);
		cx_json_u64(o, "uid", pi.uid);
		if ((pi.have & VMS_HAVE_USER) && pi.user)
			cx_json_str(o, "user", pi.user);
		else
			cJSON_AddNullToObject(o, "user");
		cx_json_str(o, "comm", pi.comm);
		if (pi.have & VMS_HAVE_CMDLINE)
			cx_json_str(o, "cmdline", pi.cmdline);
		else
			cJSON_AddNullToObject(o, "cmdline");
		if (ctl.pages) {
			struct pcount none = { .known = 0 };

			cx_json_u64(o, "page_size", vms_ctx_page_size(ctx));
			json_pages_why(&ps, o, &none, PG_ALL & ~ps.pg_known);
		}
		fputs(*first_out ? "\n" : ",\n", stdout);
		json_put(o, true);
		if (ctl.group == G_NONE && !ctl.layout)
			fputs(",\"mappings\":[", stdout);
	} else if (ctl.npids > 1 || ctl.layout) {
		print_header(&pi, pid, *first_out);
	}
	*first_out = false;
	if (!ctl.layout && ctl.group == G_NONE && ctl.out.format != CX_FMT_JSON) {
		/* the page columns only with --pages (not in --output-all without it) */
		size_t n = ctl.pages ? ncols : first_pg_col;
		struct cx_column *pcols = malloc(ncols * sizeof(*pcols));

		if (!pcols)
			cx_oom();
		memcpy(pcols, cols, ncols * sizeof(*pcols));
		for (int i = 0; ctl.pages && i < PG__COUNT; i++)
			if (!(ps.pg_known & (1u << i)))
				pcols[first_pg_col + (size_t)i].type = CX_STR;
		cx_table_init(&ps.t, pcols, n, ctl.pages ? DEFAULTS_PAGES : DEFAULTS, &ctl.out);
		if (ctl.extended && !ctl.out.output) {
			struct cx_outopts o = ctl.out;

			cx_table_free(&ps.t);
			o.output = NULL;
			cx_table_init(&ps.t, pcols, n, ctl.pages ? defaults_xp : defaults_x, &o);
		}
		/* the table's columns: freed with ps, once the table is */
		ps.pcols = pcols;
		if (ctl.out.sort) {
			ps.sorted = true;
			ps.sort_col =
				cx_column_find(cols, ncols, ctl.out.sort, strlen(ctl.out.sort));
		}
		ps.want = calloc(ncols, sizeof(*ps.want));
		if (!ps.want)
			cx_oom();
		for (size_t i = 0; i < ps.t.nsel; i++)
			ps.want[ps.t.sel[i]] = true;
		if (ps.sort_col >= 0)
			ps.want[ps.sort_col] = true;
	}
	while (ret == 1) {
		feed(&ps, m);
		ret = vms_maps_next(it, &m);
	}
	release_hold(&ps);
	if (ret == 0)
		ret = vms_maps_finish(it);
	if (ret < 0)
		cx_warn("pid %d: %s while reading smaps: the list above is partial", (int)pid,
			ret == -ESRCH ? "exited" : strerror(-ret));
	if (vms_maps_bad_lines(it))
		cx_warn("pid %d: %zu line%s of smaps could not be read", (int)pid,
			vms_maps_bad_lines(it), vms_maps_bad_lines(it) == 1 ? "" : "s");
	if (ps.pages_gone) {
		cx_warn("pid %d: exited during the page walk: %" PRIu64
			" pages unknown, the page counts are partial",
			(int)pid, ps.pg_total.v[PG_UNKNOWN]);
		if (ret >= 0)
			ret = -ESRCH;
	}
	/* a walk that failed: said with its mapping; the result is not whole */
	if (ps.pages_err && ret >= 0)
		ret = ps.pages_err;

	if (ctl.out.format == CX_FMT_JSON) {
		cJSON *o = cx_json_object();

		if (ctl.group != G_NONE)
			print_groups(&ps, o);
		else if (ctl.layout)
			; /* --layout is text only: checked in main */
		else
			fputs("\n]", stdout);
		if (ctl.group != G_NONE) {
			char *s = cJSON_PrintUnformatted(o);

			if (!s)
				cx_oom();
			/* the object's members, without its braces */
			s[strlen(s) - 1] = '\0';
			printf(",%s", s + 1);
			cJSON_free(s);
		}
		cJSON_Delete(o);
		o = cx_json_object();
		json_sums(o, &ps.total, "mappings");
		if (ctl.pages)
			json_pages(&ps, o, &ps.pg_total);
		fputs(",\"totals\":", stdout);
		json_put(o, false);
		if (ret < 0) {
			fputs(",\"partial\":true", stdout);
		}
		fputs("}", stdout);
	} else if (ctl.layout) {
		print_layout(&ps);
	} else if (ctl.group != G_NONE) {
		print_groups(&ps, NULL);
	} else {
		finish_table(&ps);
	}
	vms_maps_close(it);
	pstate_free(&ps);
	vms_proc_close(ps.p);
	return ret < 0 ? ret : 0;

skip:
	if (skipped) {
		cJSON *s = cx_json_object();

		cx_json_int(s, "pid", pid);
		/* the errno as vmrank and vmswap give it: EACCES and EPERM are told apart */
		if (ret != -EINVAL)
			cJSON_AddStringToObject(s, "errno", cx_errno_name(ret));
		cJSON_AddStringToObject(s, "reason",
					ret == -EINVAL ? "kernel thread" : cx_errno_reason(ret));
		cJSON_AddItemToArray(skipped, s);
	}
	if (it)
		vms_maps_close(it);
	pstate_free(&ps);
	if (ps.p)
		vms_proc_close(ps.p);
	return ret < 0 ? ret : -EIO;
}

/* ---- arguments ---- */

static bool parse_addr(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (!len || len > 16)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return false;
		v = v * 16 + (uint64_t)d;
	}
	*out = v;
	return true;
}

static void parse_range(const char *arg)
{
	const char *comma = strchr(arg, ',');
	size_t llen = comma ? (size_t)(comma - arg) : strlen(arg);

	ctl.lo = 0;
	ctl.hi = UINT64_MAX;
	if (llen && !parse_addr(arg, llen, &ctl.lo))
		cx_usage_error("invalid --range '%s': LOW is not a hex address", arg);
	if (comma && comma[1] && !parse_addr(comma + 1, strlen(comma + 1), &ctl.hi))
		cx_usage_error("invalid --range '%s': HIGH is not a hex address", arg);
	if (ctl.lo >= ctl.hi)
		cx_usage_error("invalid --range '%s': LOW must be below HIGH", arg);
	ctl.have_range = true;
}

static void __attribute__((noreturn)) usage(void)
{
	printf("Usage: %s [options] PID...\n\n", cx_prog);
	fputs("Show the mappings of each process: what is in its address space and what each\n"
	      "part costs, from /proc/PID/smaps.\n\n"
	      "Options:\n"
	      "  -o, --output [+]LIST   columns to show (+LIST adds to the default)\n"
	      "      --output-all       every column\n"
	      "  -x, --extended         every smaps figure of each mapping (the pmap -XX view)\n"
	      "  -g, --group KEY        one row per kind or per mapped file (KEY: kind, path)\n"
	      "      --layout           draw the address space, top to bottom\n"
	      "      --ascii            draw --layout with ASCII characters only\n"
	      "  -A, --range LOW,HIGH   only mappings overlapping [LOW,HIGH) (hex; either may be "
	      "empty)\n"
	      "  -J, --json             JSON output\n"
	      "  -r, --raw              raw output: no alignment, spaces escaped\n"
	      "  -n, --noheadings       no header line\n"
	      "  -b, --bytes            sizes in bytes, not KiB/MiB/GiB\n"
	      "  -s, --sort COL         sort by COL (default: address order)\n"
	      "      --reverse          reverse the order\n"
	      "  -T, --no-totals        no totals row\n"
	      "      --root DIR         read a snapshot or fixture instead of /proc\n"
	      "  -h, --help             show this help\n"
	      "  -V, --version          show the version\n\n"
	      "Below smaps:\n"
	      "      --pages            count the pages of each mapping by state (pagemap, "
	      "kpageflags)\n\n"
	      "Columns:\n",
	      stdout);
	for (size_t i = 0; i < ncols; i++)
		printf("  %-18s %s\n", cols[i].name, cols[i].help);
	printf("\nDefault: %s\nWith --pages: %s\n"
	       "Kinds: ",
	       DEFAULTS, DEFAULTS_PAGES);
	for (int k = 0; k < VMS_KIND__COUNT; k++)
		printf("%s%s", k ? ", " : "", vms_kind_name(k));
	printf("\n\nSee vmmap(1) and vmscope(7).\n");
	exit(cx_close_stdout() ? CX_EXIT_FAILURE : CX_EXIT_OK);
}

static void check_column(const char *item, size_t len, void *data)
{
	int c = cx_column_find(cols, ncols, item, len);

	(void)data;
	if (c < 0)
		cx_usage_error("unknown column: '%.*s'", (int)len, item);
	/* a page column asks for the page walk */
	if ((size_t)c >= first_pg_col)
		ctl.pages = true;
}

/* Learn the keys this kernel prints from the first mapping of the first readable PID. */
static void learn_columns(void)
{
	const struct vms_mapping *m;
	struct vms_proc *p;
	struct vms_maps *it;

	for (size_t i = 0; i < ctl.npids; i++) {
		bool done = false;

		if (vms_proc_open(ctx, ctl.pids[i], &p) < 0)
			continue;
		if (vms_maps_open(p, VMS_MAPS_SMAPS, &it) == 0) {
			if (vms_maps_next(it, &m) == 1 && m->counters) {
				build_columns(m->counters);
				done = true;
			}
			vms_maps_close(it);
		}
		vms_proc_close(p);
		if (done)
			return;
	}
	build_columns(NULL);
}

int main(int argc, char **argv)
{
	enum { OPT_LAYOUT = CX_OPT__FIRST_FREE, OPT_ASCII, OPT_PAGES };
	static const struct option longopts[] = {
		CX_OUTPUT_LONGOPTS,
		{ "extended", no_argument, NULL, 'x' },
		{ "group", required_argument, NULL, 'g' },
		{ "layout", no_argument, NULL, OPT_LAYOUT },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ "range", required_argument, NULL, 'A' },
		{ "pages", no_argument, NULL, OPT_PAGES },
		{ "no-totals", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	cJSON *skipped = NULL;
	size_t failed = 0;
	bool first = true, help = false;
	int c;

	cx_init("vmmap");
	while ((c = getopt_long(argc, argv, CX_OUTPUT_SHORTOPTS "xg:A:ThV", longopts, NULL)) !=
	       -1) {
		if (cx_output_option(c, optarg, &ctl.out, &ctl.root))
			continue;
		switch (c) {
		case 'x':
			ctl.extended = true;
			break;
		case 'g':
			if (strcmp(optarg, "kind") == 0)
				ctl.group = G_KIND;
			else if (strcmp(optarg, "path") == 0)
				ctl.group = G_PATH;
			else
				cx_usage_error("unknown --group key '%s' (kind, path)", optarg);
			break;
		case OPT_LAYOUT:
			ctl.layout = true;
			break;
		case OPT_ASCII:
			ctl.ascii = true;
			break;
		case 'A':
			parse_range(optarg);
			break;
		case OPT_PAGES:
			ctl.pages = true;
			break;
		case 'T':
			ctl.no_totals = true;
			break;
		case 'h':
			help = true;
			break;
		case 'V':
			cx_version();
		default:
			cx_bad_option();
		}
	}
	if (!help) {
		if (optind >= argc)
			cx_usage_error("no PID given");
		for (int i = optind; i < argc; i++)
			ctl.npids = cx_parse_pid_list(argv[i], &ctl.pids, ctl.npids);
		if (ctl.layout && (ctl.out.format == CX_FMT_JSON || ctl.group != G_NONE))
			cx_usage_error("--layout draws a picture: it takes no --json or --group");
		if (ctl.pages && (ctl.layout || ctl.group != G_NONE))
			cx_usage_error("--pages counts the pages of each mapping: it takes no "
				       "--layout or --group");
		if (ctl.group != G_NONE && (ctl.out.output || ctl.out.output_all || ctl.extended))
			cx_usage_error("--group has its own columns: no -o, --output-all or -x");
		if (ctl.extended && (ctl.out.output || ctl.out.output_all))
			cx_usage_error(
				"--extended is a column list: no -o or --output-all with it");
	}

	if (help) {
		build_columns(NULL);
		usage();
	}
	ctx = cx_ctx_open(ctl.root, VMS_CTX_NO_LIBPROC2);
	if (!ctx)
		return CX_EXIT_FAILURE;
	learn_columns();
	if (ctl.out.output) {
		const char *o = ctl.out.output[0] == '+' ? ctl.out.output + 1 : ctl.out.output;

		cx_split(o, check_column, NULL);
	}
	if (ctl.out.sort) {
		static const char *const group_cols[] = {
			"kind",	 "mapping", "count",	"size",		  "rss", "pss", "uss",
			"dirty", "swap",    "swap_pss", "anon_huge_pages"
		};
		bool ok = cx_column_find(cols, ncols, ctl.out.sort, strlen(ctl.out.sort)) >= 0;

		if (ctl.group != G_NONE) {
			ok = false;
			for (size_t i = 0; i < sizeof(group_cols) / sizeof(group_cols[0]); i++)
				ok |= strcmp(group_cols[i], ctl.out.sort) == 0;
		}
		if (!ok)
			cx_usage_error("unknown sort column: '%s'", ctl.out.sort);
		if (ctl.group == G_NONE && !ctl.layout &&
		    (size_t)cx_column_find(cols, ncols, ctl.out.sort, strlen(ctl.out.sort)) >=
			    first_pg_col)
			ctl.pages = true;
	}
	if (ctl.pages)
		pages_setup();
	cx_snapshot_set(ctx, ctl.root);
	cx_snapshot_banner(ctx, NULL, &ctl.out);

	if (ctl.out.format == CX_FMT_JSON) {
		char now[40];
		/* the document streams: its "snapshot" member is printed by hand */
		cJSON *head = cx_json_object(), *snap;

		if (!head)
			cx_oom();
		cx_json_add_snapshot(head);
		snap = cJSON_GetObjectItem(head, "snapshot");
		cx_now_rfc3339(now, sizeof(now));
		printf("{\"schema\":\"vmscope/1\",\"command\":\"vmmap\",\"time\":\"%s\",", now);
		if (snap) {
			char *s = cJSON_PrintUnformatted(snap);

			if (!s)
				cx_oom();
			printf("\"snapshot\":%s,", s);
			cJSON_free(s);
		}
		cJSON_Delete(head);
		printf("\"processes\":[");
		skipped = cx_json_array();
	}
	for (size_t i = 0; i < ctl.npids; i++)
		if (map_process(ctl.pids[i], &first, skipped) < 0)
			failed++;
	if (ctl.out.format == CX_FMT_JSON) {
		char *s = cJSON_PrintUnformatted(skipped);

		cJSON_Delete(skipped);
		if (!s)
			cx_oom();
		printf("\n],\"skipped\":%s}\n", s);
		cJSON_free(s);
	}
	vms_kpage_close(pgs.kp);
	vms_ctx_unref(ctx);
	if (cx_close_stdout())
		return CX_EXIT_FAILURE;
	if (failed == ctl.npids)
		return CX_EXIT_FAILURE;
	return failed ? CX_EXIT_PARTIAL : CX_EXIT_OK;
}
