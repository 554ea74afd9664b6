// SPDX-License-Identifier: GPL-2.0-or-later
/* vmwalk: virtual to physical — one page explained, a range summarised, a frame's mappers found. */

/*
 * Five modes share one reader of a process's address space (struct space:
 * every mapping, with its kind found the way vmmap finds it) and one page
 * walker (vms_pagewalk):
 *   PID ADDRESS            one page: page-table indices, entry, frame, flags
 *   PID ADDR-END|ADDR+LEN  a range: page states counted, runs listed
 *   PID --mapping X        the same over the mappings named X or of kind X
 *   --pfn PFN              every process scanned for the frame
 *   PID --shared-with PID2 the frames both processes map
 * The frame-level answers need PFNs, which the kernel shows only to
 * CAP_SYS_ADMIN: without it they are reported hidden, never as 0.
 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/common.h"

#define FLUSH_ROWS 1024
#define USER_TOP_4 (UINT64_C(1) << 47)
#define VSYSCALL_ADDR UINT64_C(0xffffffffff600000)

enum mode { M_PAGE, M_RANGE, M_MAPPING, M_PFN, M_SHARED };

static struct {
	struct cx_outopts out;
	const char *root;
	enum mode mode;
	bool pages;
	unsigned int method; /* VMS_WALK_READ, VMS_WALK_SCAN or 0 (auto) */
	pid_t pid, pid2;
	uint64_t addr, end; /* M_PAGE: addr; M_RANGE: [addr, end) */
	const char *addr_arg;
	const char *mapping;
	uint64_t pfn;
} ctl;

static struct vms_ctx *ctx;
static uint64_t page_size;
static unsigned int caps;
static unsigned int machine_levels = 4;
static bool partial; /* a process exited during a walk: some pages unknown */

static void json_hex(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	if (!cJSON_AddStringToObject(o, key, buf))
		cx_oom();
}

static cJSON *json_obj(cJSON *parent, const char *key)
{
	cJSON *o = key ? cJSON_AddObjectToObject(parent, key) : cx_json_object();

	if (!o)
		cx_oom();
	return o;
}

static cJSON *json_arr(cJSON *parent, const char *key)
{
	cJSON *a = cJSON_AddArrayToObject(parent, key);

	if (!a)
		cx_oom();
	return a;
}

static void json_add(cJSON *arr, cJSON *item)
{
	if (!item)
		cx_oom();
	cJSON_AddItemToArray(arr, item);
}

static void finish_json(cJSON *doc)
{
	if (cx_json_print(doc, stdout) < 0)
		cx_oom();
}

/* ---- a process's address space ---- */

struct map {
	struct vms_mapping m; /* name points to the copy below */
	char *name;
	enum vms_kind kind;
	uint64_t kernel_page_size; /* 0: unknown (maps, not smaps) */
	uint64_t anon_huge;
};

struct space {
	struct vms_proc *p;
	pid_t pid;
	char *comm;
	struct map *maps;
	size_t n;
	unsigned int levels; /* of the page tables */
};

/* Append a copy of @m (its name copied; no counters, no VmFlags) to @sp. */
static struct map *space_add(struct space *sp, size_t *cap, const struct vms_mapping *m)
{
	struct map *mp;

	sp->maps = cx_grow(sp->maps, sp->n, cap, sizeof(*sp->maps));
	mp = &sp->maps[sp->n++];
	memset(mp, 0, sizeof(*mp));
	mp->m = *m;
	mp->name = malloc(m->name_len + 1);
	if (!mp->name)
		cx_oom();
	memcpy(mp->name, m->name, m->name_len);
	mp->name[m->name_len] = '\0';
	mp->m.name = mp->name;
	mp->m.vm_flags = NULL;
	mp->m.counters = NULL;
	return mp;
}

static bool is_file(const struct map *mp)
{
	return mp->m.name_len && mp->m.name[0] != '[';
}

static const struct vms_mapping *space_at(size_t i, void *data)
{
	const struct space *sp = data;

	return &sp->maps[i].m;
}

static void classify(struct space *sp, const struct vms_thread_sp *sps, size_t nsps)
{
	enum vms_kind *kinds = malloc((sp->n ? sp->n : 1) * sizeof(*kinds));

	if (!kinds)
		cx_oom();
	cx_classify(sp->n, space_at, sp, sp->pid, sps, nsps, kinds);
	for (size_t i = 0; i < sp->n; i++)
		sp->maps[i].kind = kinds[i];
	free(kinds);
}

static void space_free(struct space *sp)
{
	for (size_t i = 0; i < sp->n; i++)
		free(sp->maps[i].name);
	free(sp->maps);
	free(sp->comm);
	if (sp->p)
		vms_proc_close(sp->p);
	memset(sp, 0, sizeof(*sp));
}

/*
 * Read the mappings of @pid (from smaps when @smaps: the page size of each
 * mapping).  Returns 0, or a negative errno after saying why on stderr.
 */
static int space_load(pid_t pid, bool smaps, struct space *sp)
{
	struct vms_proc_info pi;
	const struct vms_mapping *m;
	struct vms_maps *it;
	struct vms_thread_sp *sps = NULL;
	size_t nsps = 0, cap = 0;
	int ret;

	memset(sp, 0, sizeof(*sp));
	sp->pid = pid;
	ret = vms_proc_open(ctx, pid, &sp->p);
	if (ret < 0) {
		cx_proc_error(pid, "its /proc directory", ret);
		return ret;
	}
	ret = vms_proc_info_read(sp->p, 0, &pi);
	if (ret < 0) {
		cx_proc_error(pid, "stat", ret);
		goto fail;
	}
	sp->comm = cx_xstrdup(pi.comm);
	if (pi.kthread) {
		cx_warn("pid %d: kernel thread: it has no address space", (int)pid);
		ret = -EINVAL;
		goto fail;
	}
	ret = vms_maps_open(sp->p, smaps ? VMS_MAPS_SMAPS : 0, &it);
	if (ret < 0) {
		if (pi.state == 'Z')
			cx_warn("pid %d: zombie: it has no address space", (int)pid);
		else
			cx_proc_error(pid, smaps ? "smaps" : "maps", ret);
		goto fail;
	}
	while ((ret = vms_maps_next(it, &m)) == 1) {
		struct map *mp = space_add(sp, &cap, m);

		if (m->counters) {
			vms_counters_get(m->counters, VMS_KEY_KERNEL_PAGE_SIZE,
					 &mp->kernel_page_size);
			vms_counters_get(m->counters, VMS_KEY_ANON_HUGE_PAGES, &mp->anon_huge);
			/* hugetlb is told by its VmFlags: keep the hint in the kind */
			if (m->vm_flags && strstr(m->vm_flags, "ht"))
				mp->m.vm_flags = "ht";
		}
	}
	if (ret == 0)
		ret = vms_maps_finish(it);
	vms_maps_close(it);
	if (ret < 0 || (sp->n == 0 && pi.state == 'Z')) {
		if (ret == -ESRCH || pi.state == 'Z')
			cx_warn("pid %d: %s: it has no address space", (int)pid,
				pi.state == 'Z' ? "zombie" : "exited");
		else
			cx_proc_error(pid, smaps ? "smaps" : "maps", ret);
		ret = ret < 0 ? ret : -ESRCH;
		goto fail;
	}
	ret = vms_proc_thread_sps(sp->p, &sps, &nsps);
	if (ret == -ENOMEM)
		cx_oom();
	if (ret < 0)
		nsps = 0;
	classify(sp, sps, nsps);
	free(sps);
	sp->levels = machine_levels;
	for (size_t i = 0; i < sp->n; i++)
		if (sp->maps[i].kind != VMS_KIND_VSYSCALL && sp->maps[i].m.end > USER_TOP_4)
			sp->levels = 5;
	return 0;

fail:
	space_free(sp);
	return ret;
}

/* The mapping holding @addr, or NULL. */
static const struct map *space_find(const struct space *sp, uint64_t addr)
{
	size_t lo = 0, hi = sp->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < sp->maps[mid].m.start)
			hi = mid;
		else if (addr >= sp->maps[mid].m.end)
			lo = mid + 1;
		else
			return &sp->maps[mid];
	}
	return NULL;
}

static char *comm_text(const struct space *sp)
{
	char *s = cx_sanitize(sp->comm, strlen(sp->comm), false);

	if (!s)
		cx_oom();
	return s;
}

static const char *map_label(const struct map *mp)
{
	return mp->m.name_len ? mp->m.name : "[anon]";
}

static void json_mapping(cJSON *o, const struct map *mp)
{
	char buf[32];

	json_hex(o, "start", mp->m.start);
	json_hex(o, "end", mp->m.end);
	cJSON_AddStringToObject(o, "perms", mp->m.perms);
	json_hex(o, "offset", mp->m.offset);
	snprintf(buf, sizeof(buf), "%02x:%02x", mp->m.dev_major, mp->m.dev_minor);
	cJSON_AddStringToObject(o, "device", buf);
	cx_json_u64(o, "inode", mp->m.inode);
	cJSON_AddStringToObject(o, "kind", vms_kind_name(mp->kind));
	cx_json_str(o, "mapping", mp->m.name);
}

static void json_process(cJSON *o, const struct space *sp)
{
	cx_json_int(o, "pid", sp->pid);
	cx_json_str(o, "comm", sp->comm);
}

/* ---- walking pages ---- */

static int open_pagemap(const struct space *sp, struct vms_pagemap **pm)
{
	int ret = vms_pagemap_open(sp->p, pm);

	if (ret < 0)
		cx_proc_error(sp->pid, "pagemap", ret);
	return ret;
}

static int walk_open(const struct space *sp, struct vms_pagemap *pm, uint64_t start, uint64_t end,
		     unsigned int flags, struct vms_pagewalk **w)
{
	int ret = vms_pagewalk_open(pm, start, end, flags | ctl.method, w);

	if (ret == -EOPNOTSUPP) {
		const char *why = vms_ctx_cap_reason(ctx, VMS_CAP_PAGEMAP_SCAN);

		cx_warn("--method scan: the PAGEMAP_SCAN ioctl is not available%s%s",
			why ? ": " : "", why ? why : "");
	} else if (ret < 0) {
		cx_warn("pid %d: cannot walk pagemap at 0x%" PRIx64 "-0x%" PRIx64 ": %s",
			(int)sp->pid, start, end, strerror(-ret));
	}
	return ret;
}

/* The flags of the runs a walk knows, as words. */
static const struct {
	unsigned int flag;
	const char *name;
} run_flags[] = {
	{ VMS_RUN_FILE, "file" },
	{ VMS_RUN_HUGE, "huge" },
	{ VMS_RUN_ZERO, "zero" },
	{ VMS_RUN_EXCLUSIVE, "exclusive" },
	{ VMS_RUN_SOFT_DIRTY, "soft-dirty" },
	{ VMS_RUN_UFFD_WP, "uffd-wp" },
};

static const char *run_state(unsigned int flags)
{
	if (flags & VMS_RUN_PRESENT)
		return "present";
	if (flags & VMS_RUN_SWAPPED)
		return "swapped";
	if (flags & VMS_RUN_GUARD)
		return "guard";
	if (flags & VMS_RUN_UNKNOWN)
		return "unknown";
	return "none";
}

/* "file,huge" or NULL when none of the flags is set. */
static char *run_flag_list(unsigned int flags)
{
	char buf[128];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(run_flags) / sizeof(run_flags[0]); i++) {
		if (!(flags & run_flags[i].flag))
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? "," : "",
					run_flags[i].name);
	}
	return len ? cx_xstrdup(buf) : NULL;
}

static void json_flag_array(cJSON *o, const char *key, unsigned int flags)
{
	cJSON *a = json_arr(o, key);

	for (size_t i = 0; i < sizeof(run_flags) / sizeof(run_flags[0]); i++)
		if (flags & run_flags[i].flag)
			json_add(a, cJSON_CreateString(run_flags[i].name));
}

/* ---- one page ---- */

struct page_info {
	const struct map *map;
	uint64_t addr, page;
	struct vms_pt_level lv[6];
	int nlv;
	unsigned int flags, known;
	uint64_t raw, raw_again;
	bool changed;
	struct vms_pme pme;
	uint64_t zero_pfn;
	bool have_zero_pfn;
	/* kpageflags, kpagecount, kpagecgroup: the value or why not */
	uint64_t kv[VMS_KPAGE__COUNT];
	const char *kwhy[VMS_KPAGE__COUNT]; /* NULL: kv is valid */
	char *kwhy_own[VMS_KPAGE__COUNT];
	char *cg_path;
	struct vms_swaps *swaps;
	const struct vms_swap *swap;
	const char *swap_why;
};

static const char *pfn_hidden_reason(void)
{
	const char *r = vms_ctx_cap_reason(ctx, VMS_CAP_PFN);

	return r ? r : "needs CAP_SYS_ADMIN";
}

/* The cgroup v2 directory with inode @ino, found under /sys/fs/cgroup. */
static uint64_t cg_want;
static char *cg_found;

static int cg_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D && (uint64_t)st->st_ino == cg_want) {
		cg_found = cx_xstrdup(path);
		return 1;
	}
	return 0;
}

/*
 * The inode is one of the memory controller's hierarchy: the v1 "memory"
 * mount when there is one (inode numbers of other hierarchies mean nothing
 * here), else the v2 tree.  FTW_MOUNT keeps the search inside that one.
 */
static char *cgroup_path(uint64_t ino)
{
	static const char *const roots[] = { "/sys/fs/cgroup/memory", "/sys/fs/cgroup" };
	struct stat st;

	cg_want = ino;
	cg_found = NULL;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (stat(roots[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			nftw(roots[i], cg_visit, 16, FTW_PHYS | FTW_MOUNT);
			break;
		}
	return cg_found;
}

static const unsigned int kpage_cap[VMS_KPAGE__COUNT] = {
	[VMS_KPAGE_FLAGS] = VMS_CAP_KPAGEFLAGS,
	[VMS_KPAGE_COUNT] = VMS_CAP_KPAGECOUNT,
	[VMS_KPAGE_CGROUP] = VMS_CAP_KPAGECGROUP,
};

static const char *const kpage_file[VMS_KPAGE__COUNT] = {
	[VMS_KPAGE_FLAGS] = "/proc/kpageflags",
	[VMS_KPAGE_COUNT] = "/proc/kpagecount",
	[VMS_KPAGE_CGROUP] = "/proc/kpagecgroup",
};

static void read_frame(struct page_info *pi)
{
	const char *why = NULL;
	struct vms_kpage *k = NULL;

	if (pi->pme.state != VMS_PAGE_PRESENT)
		why = "the page is not present: no frame";
	else if (pi->pme.frame_hidden)
		why = pi->kwhy_own[0] = cx_xasprintf("the PFN is hidden: %s", pfn_hidden_reason());
	else if (vms_kpage_open(ctx, &k) < 0)
		cx_oom();
	for (int f = 0; f < VMS_KPAGE__COUNT; f++) {
		ssize_t n;

		if (why) {
			pi->kwhy[f] = why;
			continue;
		}
		if (!(caps & kpage_cap[f])) {
			const char *r = vms_ctx_cap_reason(ctx, kpage_cap[f]);

			pi->kwhy[f] = r ? r : "not readable";
			continue;
		}
		n = vms_kpage_read(k, f, pi->pme.pfn, 1, &pi->kv[f]);
		if (n == 1)
			continue;
		if (n == 0)
			pi->kwhy[f] = "the frame lies past the end of the file";
		else
			pi->kwhy[f] = pi->kwhy_own[f] =
				cx_xasprintf("%s: %s", kpage_file[f], strerror((int)-n));
	}
	if (k)
		vms_kpage_close(k);
	if (!pi->kwhy[VMS_KPAGE_CGROUP] && pi->kv[VMS_KPAGE_CGROUP] && vms_ctx_is_live(ctx))
		pi->cg_path = cgroup_path(pi->kv[VMS_KPAGE_CGROUP]);
}

static void read_swap(struct page_info *pi)
{
	int ret;

	if (pi->pme.state != VMS_PAGE_SWAPPED)
		return;
	if (pi->pme.frame_hidden) {
		pi->swap_why = "the swap slot is hidden: needs CAP_SYS_ADMIN";
		return;
	}
	ret = vms_swaps_read(ctx, &pi->swaps);
	if (ret < 0) {
		pi->swaps = NULL;
		pi->swap_why = ret == -ENOENT ? "/proc/swaps is missing" :
						"cannot read /proc/swaps";
		return;
	}
	pi->swap = vms_swaps_by_type(pi->swaps, pi->pme.swap_type, pi->pme.swap_offset,
				     (unsigned long)page_size);
	if (!pi->swap)
		pi->swap_why = "no device of /proc/swaps holds this slot (a migration entry?)";
}

static const char *state_text(const struct page_info *pi)
{
	switch (pi->pme.state) {
	case VMS_PAGE_NONE:
		return "not present: never touched (or dropped); the first access will fault";
	case VMS_PAGE_PRESENT:
		return "present in RAM";
	case VMS_PAGE_SWAPPED:
		return "swapped out: the page is in swap";
	case VMS_PAGE_GUARD:
		return "guard region: access raises SIGSEGV; not swap";
	case VMS_PAGE_UNKNOWN:
	default:
		return "unknown: the process exited during the read";
	}
}

/* The page size and what backs it: 4 KiB, THP 2 MiB, hugetlb. */
static char *page_size_text(const struct page_info *pi, uint64_t *bytes, const char **what)
{
	char sz[32];
	uint64_t kps = pi->map->kernel_page_size;
	bool thp_flag = !pi->kwhy[VMS_KPAGE_FLAGS] &&
			(pi->kv[VMS_KPAGE_FLAGS] & (UINT64_C(1) << VMS_KPF_THP));

	*what = "base page";
	*bytes = page_size;
	if (pi->map->kind == VMS_KIND_HUGETLB || kps > page_size) {
		*bytes = kps > page_size ? kps : page_size;
		*what = "hugetlb";
	} else if ((pi->known & VMS_RUN_HUGE) && (pi->flags & VMS_RUN_HUGE)) {
		*bytes = page_size << 9;
		*what = "transparent huge page";
	} else if (thp_flag) {
		*what = "part of a transparent huge page, mapped by base-page entries";
	}
	cx_human_size(*bytes, sz, sizeof(sz));
	return cx_xasprintf("%s (%s)", sz, *what);
}

static char *kpf_names(uint64_t v)
{
	char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int b = 0; b < VMS_KPF__COUNT; b++)
		if ((v & (UINT64_C(1) << b)) && vms_kpf_name(b))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
						len ? ", " : "", vms_kpf_name(b));
	return cx_xstrdup(len ? buf : "none");
}

static void page_info_free(struct page_info *pi)
{
	for (int f = 0; f < VMS_KPAGE__COUNT; f++)
		free(pi->kwhy_own[f]);
	free(pi->cg_path);
	if (pi->swaps)
		vms_swaps_free(pi->swaps);
}

static const char *const racy_note =
	"kpageflags, kpagecount and kpagecgroup describe the frame at the moment they were "
	"read; the frame can be reused at any time";

/* A two-column table of what was found, one fact per row. */
enum { F_FIELD, F_VALUE };
static const struct cx_column fact_cols[] = {
	[F_FIELD] = { "field", "FIELD", CX_STR, "" },
	[F_VALUE] = { "value", "VALUE", CX_STR, "" },
};

static void fact(struct cx_table *t, size_t indent, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fact(struct cx_table *t, size_t indent, const char *field, const char *fmt, ...)
{
	size_t row = cx_table_add_row(t);
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		cx_oom();
	va_end(ap);
	t->indent[row] = indent;
	cx_set_str(t, row, F_FIELD, field);
	cx_set_str(t, row, F_VALUE, s);
	free(s);
}

static void facts_init(struct cx_table *t)
{
	struct cx_outopts o = ctl.out;

	o.output = NULL;
	o.output_all = false;
	cx_table_init(t, fact_cols, 2, "field,value", &o);
}

static void facts_print(struct cx_table *t)
{
	struct cx_outopts o = ctl.out;

	o.noheadings = true;
	cx_table_print(t, &o, stdout);
	cx_table_free(t);
}

static void mapping_fact(struct cx_table *t, const struct map *mp)
{
	if (is_file(mp))
		fact(t, 0, "mapping", "%" PRIx64 "-%" PRIx64 " %s %s %s, file offset 0x%" PRIx64,
		     mp->m.start, mp->m.end, mp->m.perms, vms_kind_name(mp->kind), mp->m.name,
		     mp->m.offset);
	else
		fact(t, 0, "mapping", "%" PRIx64 "-%" PRIx64 " %s %s %s", mp->m.start, mp->m.end,
		     mp->m.perms, vms_kind_name(mp->kind), map_label(mp));
}

static void pt_facts(struct cx_table *t, const struct page_info *pi, const char *huge_note)
{
	fact(t, 0, "page table", "%d levels", pi->nlv > 0 ? pi->nlv - 1 : 0);
	for (int i = 0; i < pi->nlv; i++) {
		const struct vms_pt_level *l = &pi->lv[i];

		if (strcmp(l->name, "offset") == 0)
			fact(t, 1, l->name, "0x%" PRIx64 " (address bits %u-%u)", l->index,
			     l->hi_bit, l->lo_bit);
		else
			fact(t, 1, l->name, "%" PRIu64 " (address bits %u-%u)", l->index, l->hi_bit,
			     l->lo_bit);
	}
	if (huge_note)
		fact(t, 1, "", "%s", huge_note);
}

static void print_page_text(const struct space *sp, struct page_info *pi)
{
	struct cx_table t;
	char *comm = comm_text(sp), *s;
	uint64_t bytes;
	const char *what;
	const struct map *mp = pi->map;

	facts_init(&t);
	fact(&t, 0, "pid", "%d (%s)", (int)sp->pid, comm);
	free(comm);
	fact(&t, 0, "address", "0x%" PRIx64, pi->addr);
	mapping_fact(&t, mp);
	fact(&t, 0, "page",
	     "0x%" PRIx64 " + 0x%" PRIx64 ", page %" PRIu64 " of %" PRIu64 " in the mapping",
	     pi->page, pi->addr - pi->page, (pi->page - mp->m.start) / page_size,
	     (mp->m.end - mp->m.start) / page_size);
	s = page_size_text(pi, &bytes, &what);
	pt_facts(&t, pi,
		 bytes > page_size && bytes == page_size << 9 ?
			 "the PD entry maps the 2 MiB page: PT index and offset together are "
			 "the offset in it" :
			 NULL);
	fact(&t, 0, "page size", "%s", s);
	free(s);
	fact(&t, 0, "entry", "0x%016" PRIx64, pi->raw);
	fact(&t, 0, "state", "%s", state_text(pi));
	{
		char buf[128];

		cx_pme_flags(&pi->pme, buf, sizeof(buf));
		fact(&t, 0, "entry flags", "%s", buf);
	}
	if (pi->pme.unknown_bits)
		fact(&t, 0, "unknown bits", "0x%016" PRIx64, pi->pme.unknown_bits);
	if (pi->pme.state == VMS_PAGE_PRESENT) {
		if (pi->pme.frame_hidden) {
			fact(&t, 0, "PFN", "PFN hidden: %s", pfn_hidden_reason());
		} else {
			fact(&t, 0, "PFN", "0x%" PRIx64 "%s", pi->pme.pfn,
			     pi->have_zero_pfn && pi->pme.pfn == pi->zero_pfn ?
				     " (the shared zero page)" :
				     "");
			fact(&t, 0, "physical address", "0x%" PRIx64,
			     pi->pme.pfn * page_size + (pi->addr - pi->page));
		}
	}
	if (pi->pme.state == VMS_PAGE_SWAPPED) {
		if (pi->pme.frame_hidden) {
			fact(&t, 0, "swap", "swap slot hidden: %s", pfn_hidden_reason());
		} else {
			fact(&t, 0, "swap", "type %u, offset %" PRIu64 " (in pages)",
			     pi->pme.swap_type, pi->pme.swap_offset);
			if (pi->swap)
				fact(&t, 0, "swap device", "%s (by position in /proc/swaps)",
				     pi->swap->filename);
			else
				fact(&t, 0, "swap device", "unknown: %s", pi->swap_why);
		}
	}
	if (pi->kwhy[VMS_KPAGE_FLAGS]) {
		fact(&t, 0, "kpageflags", "n/a (%s)", pi->kwhy[VMS_KPAGE_FLAGS]);
	} else {
		uint64_t v = pi->kv[VMS_KPAGE_FLAGS];

		s = kpf_names(v);
		fact(&t, 0, "kpageflags", "0x%016" PRIx64 ": %s", v, s);
		free(s);
		if (v & ~VMS_KPF_KNOWN_MASK)
			fact(&t, 0, "unknown flags", "0x%016" PRIx64 " (kernel-internal bits)",
			     v & ~VMS_KPF_KNOWN_MASK);
	}
	if (pi->kwhy[VMS_KPAGE_COUNT])
		fact(&t, 0, "mapcount", "n/a (%s)", pi->kwhy[VMS_KPAGE_COUNT]);
	else
		fact(&t, 0, "mapcount", "%" PRIu64, pi->kv[VMS_KPAGE_COUNT]);
	if (pi->kwhy[VMS_KPAGE_CGROUP])
		fact(&t, 0, "memory cgroup", "n/a (%s)", pi->kwhy[VMS_KPAGE_CGROUP]);
	else if (pi->cg_path)
		fact(&t, 0, "memory cgroup", "inode %" PRIu64 ": %s", pi->kv[VMS_KPAGE_CGROUP],
		     pi->cg_path);
	else
		fact(&t, 0, "memory cgroup", "inode %" PRIu64, pi->kv[VMS_KPAGE_CGROUP]);
	if (!pi->kwhy[VMS_KPAGE_FLAGS] || !pi->kwhy[VMS_KPAGE_COUNT]) {
		if (pi->changed)
			fact(&t, 0, "note",
			     "the entry changed to 0x%016" PRIx64 " while the frame was read: "
			     "the frame figures above may be of another page",
			     pi->raw_again);
		else
			fact(&t, 0, "note", "%s; the entry was read again after them, unchanged",
			     racy_note);
	}
	facts_print(&t);
}

static void print_page_json(const struct space *sp, struct page_info *pi)
{
	cJSON *doc = cx_json_doc(), *o, *a;
	uint64_t bytes;
	const char *what;
	char *s;

	json_process(doc, sp);
	json_hex(doc, "address", pi->addr);
	json_hex(doc, "page", pi->page);
	json_hex(doc, "page_offset", pi->addr - pi->page);
	json_mapping(json_obj(doc, "mapping"), pi->map);
	o = json_obj(doc, "page_table");
	cx_json_int(o, "levels", pi->nlv > 0 ? pi->nlv - 1 : 0);
	a = json_arr(o, "indices");
	for (int i = 0; i < pi->nlv; i++) {
		cJSON *l = json_obj(NULL, NULL);

		cJSON_AddStringToObject(l, "level", pi->lv[i].name);
		cx_json_u64(l, "index", pi->lv[i].index);
		cx_json_int(l, "lo_bit", pi->lv[i].lo_bit);
		cx_json_int(l, "hi_bit", pi->lv[i].hi_bit);
		json_add(a, l);
	}
	s = page_size_text(pi, &bytes, &what);
	free(s);
	cx_json_u64(doc, "page_size", bytes);
	cJSON_AddStringToObject(doc, "page_kind", what);
	json_hex(doc, "entry", pi->raw);
	cJSON_AddStringToObject(doc, "state", vms_page_state_name(pi->pme.state));
	cJSON_AddBoolToObject(doc, "file", pi->pme.file);
	cJSON_AddBoolToObject(doc, "exclusive", pi->pme.exclusive);
	cJSON_AddBoolToObject(doc, "soft_dirty", pi->pme.soft_dirty);
	cJSON_AddBoolToObject(doc, "uffd_wp", pi->pme.uffd_wp);
	json_hex(doc, "unknown_bits", pi->pme.unknown_bits);
	if (pi->pme.state == VMS_PAGE_PRESENT && !pi->pme.frame_hidden) {
		json_hex(doc, "pfn", pi->pme.pfn);
		json_hex(doc, "physical_address", pi->pme.pfn * page_size + (pi->addr - pi->page));
		cJSON_AddBoolToObject(doc, "zero_page",
				      pi->have_zero_pfn && pi->pme.pfn == pi->zero_pfn);
	} else {
		cJSON_AddNullToObject(doc, "pfn");
		cJSON_AddNullToObject(doc, "physical_address");
	}
	cJSON_AddBoolToObject(doc, "pfn_hidden",
			      pi->pme.frame_hidden && (pi->pme.state == VMS_PAGE_PRESENT ||
						       pi->pme.state == VMS_PAGE_SWAPPED));
	if (pi->pme.frame_hidden &&
	    (pi->pme.state == VMS_PAGE_PRESENT || pi->pme.state == VMS_PAGE_SWAPPED))
		cJSON_AddStringToObject(doc, "pfn_hidden_reason", pfn_hidden_reason());
	if (pi->pme.state == VMS_PAGE_SWAPPED && !pi->pme.frame_hidden) {
		o = json_obj(doc, "swap");
		cx_json_int(o, "type", pi->pme.swap_type);
		cx_json_u64(o, "offset", pi->pme.swap_offset);
		cx_json_str(o, "device", pi->swap ? pi->swap->filename : NULL);
		if (!pi->swap)
			cJSON_AddStringToObject(o, "device_unknown", pi->swap_why);
	} else {
		cJSON_AddNullToObject(doc, "swap");
	}
	if (pi->kwhy[VMS_KPAGE_FLAGS]) {
		cJSON_AddNullToObject(doc, "kpageflags");
		cJSON_AddStringToObject(doc, "kpageflags_unavailable", pi->kwhy[VMS_KPAGE_FLAGS]);
	} else {
		uint64_t v = pi->kv[VMS_KPAGE_FLAGS];

		o = json_obj(doc, "kpageflags");
		json_hex(o, "raw", v);
		a = json_arr(o, "flags");
		for (unsigned int b = 0; b < VMS_KPF__COUNT; b++)
			if ((v & (UINT64_C(1) << b)) && vms_kpf_name(b))
				json_add(a, cJSON_CreateString(vms_kpf_name(b)));
		json_hex(o, "unknown_bits", v & ~VMS_KPF_KNOWN_MASK);
	}
	if (pi->kwhy[VMS_KPAGE_COUNT]) {
		cJSON_AddNullToObject(doc, "mapcount");
		cJSON_AddStringToObject(doc, "mapcount_unavailable", pi->kwhy[VMS_KPAGE_COUNT]);
	} else {
		cx_json_u64(doc, "mapcount", pi->kv[VMS_KPAGE_COUNT]);
	}
	if (pi->kwhy[VMS_KPAGE_CGROUP]) {
		cJSON_AddNullToObject(doc, "cgroup_inode");
		cJSON_AddStringToObject(doc, "cgroup_unavailable", pi->kwhy[VMS_KPAGE_CGROUP]);
	} else {
		cx_json_u64(doc, "cgroup_inode", pi->kv[VMS_KPAGE_CGROUP]);
	}
	cx_json_str(doc, "cgroup_path", pi->cg_path);
	cJSON_AddBoolToObject(doc, "entry_changed", pi->changed);
	if (pi->changed)
		json_hex(doc, "entry_reread", pi->raw_again);
	cJSON_AddBoolToObject(doc, "partial", pi->pme.state == VMS_PAGE_UNKNOWN);
	finish_json(doc);
}

static void print_vsyscall(const struct space *sp, const struct map *mp, uint64_t addr)
{
	const char *why = "not backed by pagemap: the legacy vsyscall page belongs to the kernel "
			  "and lies above the user address space that pagemap covers; it has no "
			  "PFN to show";

	if (ctl.out.format == CX_FMT_JSON) {
		cJSON *doc = cx_json_doc();

		json_process(doc, sp);
		json_hex(doc, "address", addr);
		json_hex(doc, "page", addr & ~(page_size - 1));
		json_hex(doc, "page_offset", addr & (page_size - 1));
		json_mapping(json_obj(doc, "mapping"), mp);
		cJSON_AddNullToObject(doc, "entry");
		cJSON_AddStringToObject(doc, "state", "not-in-pagemap");
		cJSON_AddNullToObject(doc, "pfn");
		cJSON_AddBoolToObject(doc, "pfn_hidden", false);
		cJSON_AddStringToObject(doc, "note", why);
		finish_json(doc);
	} else {
		struct cx_table t;
		char *comm = comm_text(sp);

		facts_init(&t);
		fact(&t, 0, "pid", "%d (%s)", (int)sp->pid, comm);
		free(comm);
		fact(&t, 0, "address", "0x%" PRIx64, addr);
		mapping_fact(&t, mp);
		fact(&t, 0, "pagemap", "%s", why);
		facts_print(&t);
	}
}

static int do_page(void)
{
	struct space sp;
	struct vms_pagemap *pm = NULL;
	struct vms_pagewalk *w = NULL;
	struct vms_page_run run;
	struct page_info pi;
	const struct map *mp;
	int ret, rc = CX_EXIT_FAILURE;

	if (space_load(ctl.pid, true, &sp) < 0)
		return CX_EXIT_FAILURE;
	mp = space_find(&sp, ctl.addr);
	if (!mp) {
		cx_warn("address 0x%" PRIx64 " not mapped in pid %d", ctl.addr, (int)ctl.pid);
		goto out;
	}
	if (mp->kind == VMS_KIND_VSYSCALL || mp->m.start >= VSYSCALL_ADDR) {
		print_vsyscall(&sp, mp, ctl.addr);
		rc = CX_EXIT_OK;
		goto out;
	}
	memset(&pi, 0, sizeof(pi));
	pi.map = mp;
	pi.addr = ctl.addr;
	pi.page = ctl.addr & ~(page_size - 1);
	ret = vms_pt_split(ctl.addr, sp.levels, pi.lv, 6);
	pi.nlv = ret < 0 ? 0 : ret;
	if (open_pagemap(&sp, &pm) < 0)
		goto out;
	if (walk_open(&sp, pm, pi.page, pi.page + page_size, VMS_WALK_ENTRIES, &w) < 0)
		goto out;
	ret = vms_pagewalk_next(w, &run);
	if (ret < 0) {
		cx_warn("pid %d: cannot read pagemap: %s", (int)ctl.pid, strerror(-ret));
		goto out;
	}
	if (ret == 0)
		run.flags = VMS_RUN_UNKNOWN; /* nothing came back: the process went */
	pi.flags = run.flags;
	pi.known = vms_pagewalk_known(w);
	pi.raw = run.entries ? run.entries[0] : 0;
	pi.have_zero_pfn = vms_ctx_zero_pfn(ctx, &pi.zero_pfn) == 0;
	vms_pme_decode(pi.raw, caps & VMS_CAP_PFN, &pi.pme);
	if (run.flags & VMS_RUN_UNKNOWN)
		pi.pme.state = VMS_PAGE_UNKNOWN;
	read_frame(&pi);
	read_swap(&pi);
	/* the frame may have been reused while its flags were read: look again */
	if (pi.pme.state == VMS_PAGE_PRESENT && !pi.pme.frame_hidden) {
		uint64_t again;

		if (vms_pagemap_read(pm, pi.page, 1, &again) == 1) {
			pi.raw_again = again;
			pi.changed = again != pi.raw;
		}
	}
	if (ctl.out.format == CX_FMT_JSON)
		print_page_json(&sp, &pi);
	else
		print_page_text(&sp, &pi);
	page_info_free(&pi);
	if (pi.pme.state == VMS_PAGE_UNKNOWN || vms_pagewalk_finish(w) == -ESRCH) {
		cx_warn("pid %d: exited during the read: the entry is unknown", (int)ctl.pid);
		rc = CX_EXIT_PARTIAL;
	} else {
		rc = CX_EXIT_OK;
	}
out:
	if (w)
		vms_pagewalk_close(w);
	if (pm)
		vms_pagemap_close(pm);
	space_free(&sp);
	return rc;
}

/* ---- ranges and mappings ---- */

enum {
	S_PRESENT,
	S_PRESENT_HUGE,
	S_SWAPPED,
	S_GUARD,
	S_NONE,
	S_UNKNOWN,
	S_UNMAPPED,
	S_TOTAL,
	S_FILE,
	S_EXCLUSIVE,
	S_ZERO,
	S_SOFT_DIRTY,
	S_UFFD_WP,
	S__COUNT
};

static const struct {
	const char *key; /* JSON */
	const char *label; /* text */
	unsigned int flag; /* for the "of which" rows: the run flag */
} srows[S__COUNT] = {
	[S_PRESENT] = { "present", "present 4 KiB", 0 },
	[S_PRESENT_HUGE] = { "present_huge", "present huge", VMS_RUN_HUGE },
	[S_SWAPPED] = { "swapped", "swapped", 0 },
	[S_GUARD] = { "guard", "guard", 0 },
	[S_NONE] = { "none", "not present", 0 },
	[S_UNKNOWN] = { "unknown", "unknown", 0 },
	[S_UNMAPPED] = { "not_mapped", "not mapped", 0 },
	[S_TOTAL] = { "total", "total", 0 },
	[S_FILE] = { "file", "file", VMS_RUN_FILE },
	[S_EXCLUSIVE] = { "exclusive", "exclusive", VMS_RUN_EXCLUSIVE },
	[S_ZERO] = { "zero", "zero page", VMS_RUN_ZERO },
	[S_SOFT_DIRTY] = { "soft_dirty", "soft-dirty", VMS_RUN_SOFT_DIRTY },
	[S_UFFD_WP] = { "uffd_wp", "uffd-wp", VMS_RUN_UFFD_WP },
};

struct runrec {
	uint64_t start, end;
	unsigned int flags;
	bool unmapped;
};

enum { P_ADDRESS, P_STATE, P_FLAGS, P_ENTRY, P_PFN, P_SWAP, P_KIND, P_MAPPING, P__COUNT };
static const struct cx_column page_cols[P__COUNT] = {
	[P_ADDRESS] = { "address", "ADDRESS", CX_STR, "the page's address (hex)" },
	[P_STATE] = { "state", "STATE", CX_STR, "present, swapped, guard, none or unknown" },
	[P_FLAGS] = { "flags", "FLAGS", CX_STR,
		      "file, huge, zero, exclusive, soft-dirty, uffd-wp" },
	[P_ENTRY] = { "entry", "ENTRY", CX_STR, "the raw pagemap entry (hex)" },
	[P_PFN] = { "pfn", "PFN", CX_STR, "the physical frame number (hex), or hidden" },
	[P_SWAP] = { "swap", "SWAP", CX_STR, "swap type:offset of a swapped page, or hidden" },
	[P_KIND] = { "kind", "KIND", CX_STR, "what the mapping is for (see vmmap(1))" },
	[P_MAPPING] = { "mapping", "MAPPING", CX_STR, "file or pseudo-name; [anon] for anonymous" },
};
#define PAGE_DEFAULTS "address,state,flags,entry,pfn"

struct rangewalk {
	struct space sp;
	struct vms_pagemap *pm;
	uint64_t count[S__COUNT];
	unsigned int known; /* the run flags every walk knew */
	bool walked;
	struct runrec *runs;
	size_t nruns, cap;
	/* --pages */
	struct cx_table pt;
	bool sorted;
	int sort_col;
	cJSON *jpages;
	uint64_t pages_rows;
	const struct map **sel; /* the mappings walked */
	size_t nsel;
};

static void add_run(struct rangewalk *rw, uint64_t start, uint64_t end, unsigned int flags,
		    bool unmapped)
{
	struct runrec *last = rw->nruns ? &rw->runs[rw->nruns - 1] : NULL;

	if (last && last->end == start && last->flags == flags && last->unmapped == unmapped) {
		last->end = end;
		return;
	}
	rw->runs = cx_grow(rw->runs, rw->nruns, &rw->cap, sizeof(*rw->runs));
	rw->runs[rw->nruns++] = (struct runrec){ start, end, flags, unmapped };
}

static void count_run(struct rangewalk *rw, const struct vms_page_run *r)
{
	uint64_t n = (r->end - r->start) / page_size;
	unsigned int f = r->flags;

	if (f & VMS_RUN_PRESENT)
		rw->count[(f & VMS_RUN_HUGE) ? S_PRESENT_HUGE : S_PRESENT] += n;
	else if (f & VMS_RUN_SWAPPED)
		rw->count[S_SWAPPED] += n;
	else if (f & VMS_RUN_GUARD)
		rw->count[S_GUARD] += n;
	else if (f & VMS_RUN_UNKNOWN)
		rw->count[S_UNKNOWN] += n;
	else
		rw->count[S_NONE] += n;
	rw->count[S_TOTAL] += n;
	for (int s = S_FILE; s < S__COUNT; s++)
		if (f & srows[s].flag)
			rw->count[s] += n;
}

static void page_rows(struct rangewalk *rw, const struct map *mp, const struct vms_page_run *r)
{
	uint64_t n = (r->end - r->start) / page_size;
	bool frames = caps & VMS_CAP_PFN;
	char buf[64];
	char *flags = run_flag_list(r->flags);

	for (uint64_t i = 0; i < n; i++) {
		uint64_t addr = r->start + i * page_size;
		struct vms_pme pme;
		bool have = r->entries != NULL;

		if (have)
			vms_pme_decode(r->entries[i], frames, &pme);
		if (ctl.out.format == CX_FMT_JSON) {
			cJSON *o = json_obj(NULL, NULL);

			json_hex(o, "address", addr);
			cJSON_AddStringToObject(o, "state", run_state(r->flags));
			json_flag_array(o, "flags", r->flags);
			if (have)
				json_hex(o, "entry", r->entries[i]);
			else
				cJSON_AddNullToObject(o, "entry");
			if (have && pme.state == VMS_PAGE_PRESENT && !pme.frame_hidden)
				json_hex(o, "pfn", pme.pfn);
			else
				cJSON_AddNullToObject(o, "pfn");
			cJSON_AddBoolToObject(o, "pfn_hidden",
					      have && pme.frame_hidden &&
						      (pme.state == VMS_PAGE_PRESENT ||
						       pme.state == VMS_PAGE_SWAPPED));
			if (have && pme.state == VMS_PAGE_SWAPPED && !pme.frame_hidden) {
				cx_json_int(o, "swap_type", pme.swap_type);
				cx_json_u64(o, "swap_offset", pme.swap_offset);
			} else {
				cJSON_AddNullToObject(o, "swap_type");
				cJSON_AddNullToObject(o, "swap_offset");
			}
			cJSON_AddStringToObject(o, "kind", vms_kind_name(mp->kind));
			cx_json_str(o, "mapping", mp->m.name);
			json_add(rw->jpages, o);
			continue;
		}
		{
			struct cx_table *t = &rw->pt;
			size_t row = cx_table_add_row(t);

			snprintf(buf, sizeof(buf), "%012" PRIx64, addr);
			cx_set_str(t, row, P_ADDRESS, buf);
			cx_set_str(t, row, P_STATE, run_state(r->flags));
			cx_set_str(t, row, P_FLAGS, flags);
			if (have) {
				snprintf(buf, sizeof(buf), "%016" PRIx64, r->entries[i]);
				cx_set_str(t, row, P_ENTRY, buf);
				if (pme.state == VMS_PAGE_PRESENT) {
					if (pme.frame_hidden)
						cx_set_str(t, row, P_PFN, "hidden");
					else {
						snprintf(buf, sizeof(buf), "%" PRIx64, pme.pfn);
						cx_set_str(t, row, P_PFN, buf);
					}
				}
				if (pme.state == VMS_PAGE_SWAPPED) {
					if (pme.frame_hidden)
						cx_set_str(t, row, P_SWAP, "hidden");
					else {
						snprintf(buf, sizeof(buf), "%u:%" PRIx64,
							 pme.swap_type, pme.swap_offset);
						cx_set_str(t, row, P_SWAP, buf);
					}
				}
			}
			cx_set_str(t, row, P_KIND, vms_kind_name(mp->kind));
			cx_set_str(t, row, P_MAPPING, map_label(mp));
			if (!rw->sorted && t->nrows >= FLUSH_ROWS)
				cx_table_flush(t, &ctl.out, stdout);
		}
	}
	free(flags);
}

/* Walk [start, end) of mapping @mp.  Returns 0 or a negative errno (said). */
static int walk_part(struct rangewalk *rw, const struct map *mp, uint64_t start, uint64_t end)
{
	struct vms_pagewalk *w;
	struct vms_page_run r;
	unsigned int known;
	int ret;

	ret = walk_open(&rw->sp, rw->pm, start, end, ctl.pages ? VMS_WALK_ENTRIES : 0, &w);
	if (ret < 0)
		return ret;
	/*
	 * Without the entries, whether a page is exclusive or uffd-wp depends on
	 * how the walk read it (pread sees it, PAGEMAP_SCAN does not): leave it
	 * out, so that the summary is the same whatever the method.
	 */
	known = vms_pagewalk_known(w);
	if (!ctl.pages)
		known &= ~(unsigned int)(VMS_RUN_EXCLUSIVE | VMS_RUN_UFFD_WP);
	rw->known = rw->walked ? rw->known & known : known;
	rw->walked = true;
	while ((ret = vms_pagewalk_next(w, &r)) == 1) {
		r.flags &= known | VMS_RUN_PRESENT | VMS_RUN_SWAPPED | VMS_RUN_GUARD |
			   VMS_RUN_UNKNOWN;
		count_run(rw, &r);
		add_run(rw, r.start, r.end, r.flags, false);
		if (ctl.pages)
			page_rows(rw, mp, &r);
	}
	if (ret == 0 && vms_pagewalk_finish(w) == -ESRCH)
		partial = true;
	if (ret < 0)
		cx_warn("pid %d: cannot read pagemap: %s", (int)rw->sp.pid, strerror(-ret));
	vms_pagewalk_close(w);
	return ret;
}

static void add_unmapped(struct rangewalk *rw, uint64_t start, uint64_t end)
{
	uint64_t n = (end - start) / page_size;

	if (!n)
		return;
	rw->count[S_UNMAPPED] += n;
	rw->count[S_TOTAL] += n;
	add_run(rw, start, end, 0, true);
	if (ctl.pages && ctl.out.format != CX_FMT_JSON) {
		/* no page rows for address space nothing maps: one line says so */
	}
}

static bool mapping_matches(const struct map *mp, const char *want, int kind)
{
	if (kind >= 0 && (int)mp->kind == kind)
		return true;
	return mp->m.name_len && strstr(mp->m.name, want) != NULL;
}

static void summary_rows(struct rangewalk *rw, struct cx_table *t)
{
	static const struct cx_column cols[] = {
		{ "state", "STATE", CX_STR, "" },
		{ "pages", "PAGES", CX_U64, "" },
		{ "size", "SIZE", CX_SIZE, "" },
	};
	struct cx_outopts o = ctl.out;
	bool huge_known = rw->known & VMS_RUN_HUGE;

	o.output = NULL;
	o.output_all = false;
	cx_table_init(t, cols, 3, "state,pages,size", &o);
	for (int s = 0; s < S__COUNT; s++) {
		size_t row;

		if (s == S_PRESENT_HUGE && !huge_known)
			continue;
		if (s == S_UNMAPPED && !rw->count[S_UNMAPPED])
			continue;
		if (s >= S_FILE && !(rw->known & srows[s].flag))
			continue;
		row = cx_table_add_row(t);
		if (s >= S_FILE) {
			char label[64];

			snprintf(label, sizeof(label), "of which %s", srows[s].label);
			cx_set_str(t, row, 0, label);
		} else {
			cx_set_str(t, row, 0,
				   s == S_PRESENT && !huge_known ? "present" : srows[s].label);
		}
		cx_set_u64(t, row, 1, rw->count[s]);
		cx_set_u64(t, row, 2, rw->count[s] * page_size);
	}
}

static void runs_table(struct rangewalk *rw, struct cx_table *t)
{
	static const struct cx_column cols[] = {
		{ "start", "START", CX_STR, "" }, { "end", "END", CX_STR, "" },
		{ "pages", "PAGES", CX_U64, "" }, { "state", "STATE", CX_STR, "" },
		{ "flags", "FLAGS", CX_STR, "" },
	};
	struct cx_outopts o = ctl.out;

	o.output = NULL;
	o.output_all = false;
	cx_table_init(t, cols, 5, "start,end,pages,state,flags", &o);
	for (size_t i = 0; i < rw->nruns; i++) {
		const struct runrec *r = &rw->runs[i];
		size_t row = cx_table_add_row(t);
		char buf[32], *f;

		snprintf(buf, sizeof(buf), "%012" PRIx64, r->start);
		cx_set_str(t, row, 0, buf);
		snprintf(buf, sizeof(buf), "%012" PRIx64, r->end);
		cx_set_str(t, row, 1, buf);
		cx_set_u64(t, row, 2, (r->end - r->start) / page_size);
		cx_set_str(t, row, 3, r->unmapped ? "unmapped" : run_state(r->flags));
		f = run_flag_list(r->flags);
		cx_set_str(t, row, 4, f);
		free(f);
	}
}

static void mappings_table(struct rangewalk *rw, struct cx_table *t)
{
	static const struct cx_column cols[] = {
		{ "start", "START", CX_STR, "" }, { "end", "END", CX_STR, "" },
		{ "perms", "PERM", CX_STR, "" },  { "kind", "KIND", CX_STR, "" },
		{ "size", "SIZE", CX_SIZE, "" },  { "mapping", "MAPPING", CX_STR, "" },
	};
	struct cx_outopts o = ctl.out;

	o.output = NULL;
	o.output_all = false;
	cx_table_init(t, cols, 6, "start,end,perms,kind,size,mapping", &o);
	for (size_t i = 0; i < rw->nsel; i++) {
		const struct map *mp = rw->sel[i];
		size_t row = cx_table_add_row(t);
		char buf[32];

		snprintf(buf, sizeof(buf), "%012" PRIx64, mp->m.start);
		cx_set_str(t, row, 0, buf);
		snprintf(buf, sizeof(buf), "%012" PRIx64, mp->m.end);
		cx_set_str(t, row, 1, buf);
		cx_set_str(t, row, 2, mp->m.perms);
		cx_set_str(t, row, 3, vms_kind_name(mp->kind));
		cx_set_u64(t, row, 4, mp->m.end - mp->m.start);
		cx_set_str(t, row, 5, map_label(mp));
	}
}

static void range_json(struct rangewalk *rw, uint64_t lo, uint64_t hi)
{
	cJSON *doc = cx_json_doc(), *o, *a;

	json_process(doc, &rw->sp);
	if (ctl.mode == M_RANGE) {
		json_hex(doc, "start", lo);
		json_hex(doc, "end", hi);
	} else {
		cx_json_str(doc, "match", ctl.mapping);
	}
	cx_json_u64(doc, "page_size", page_size);
	a = json_arr(doc, "mappings");
	for (size_t i = 0; i < rw->nsel; i++) {
		o = json_obj(NULL, NULL);
		json_mapping(o, rw->sel[i]);
		json_add(a, o);
	}
	o = json_obj(doc, "summary");
	for (int s = 0; s < S__COUNT; s++) {
		bool known = s < S_FILE ? (s != S_PRESENT_HUGE || (rw->known & VMS_RUN_HUGE)) :
					  (rw->known & srows[s].flag) != 0;
		cJSON *e;

		if (!known) {
			cJSON_AddNullToObject(o, srows[s].key);
			continue;
		}
		e = json_obj(o, srows[s].key);
		cx_json_u64(e, "pages", rw->count[s]);
		cx_json_u64(e, "size", rw->count[s] * page_size);
	}
	a = json_arr(doc, "known_flags");
	for (size_t i = 0; i < sizeof(run_flags) / sizeof(run_flags[0]); i++)
		if (rw->known & run_flags[i].flag)
			json_add(a, cJSON_CreateString(run_flags[i].name));
	if (ctl.pages) {
		cJSON_AddItemToObject(doc, "pages", rw->jpages);
		rw->jpages = NULL;
	} else {
		a = json_arr(doc, "runs");
		for (size_t i = 0; i < rw->nruns; i++) {
			const struct runrec *r = &rw->runs[i];

			o = json_obj(NULL, NULL);
			json_hex(o, "start", r->start);
			json_hex(o, "end", r->end);
			cx_json_u64(o, "pages", (r->end - r->start) / page_size);
			cJSON_AddStringToObject(o, "state",
						r->unmapped ? "unmapped" : run_state(r->flags));
			json_flag_array(o, "flags", r->flags);
			json_add(a, o);
		}
	}
	cJSON_AddBoolToObject(doc, "partial", partial);
	finish_json(doc);
}

static int do_range(void)
{
	struct rangewalk rw;
	uint64_t lo = ctl.addr, hi = ctl.end, covered = lo;
	int kind = -1, rc = CX_EXIT_FAILURE;

	memset(&rw, 0, sizeof(rw));
	rw.sort_col = -1;
	if (space_load(ctl.pid, false, &rw.sp) < 0)
		return CX_EXIT_FAILURE;
	rw.sel = calloc(rw.sp.n + 1, sizeof(*rw.sel));
	if (!rw.sel)
		cx_oom();
	if (ctl.mode == M_MAPPING)
		kind = vms_kind_lookup(ctl.mapping);
	for (size_t i = 0; i < rw.sp.n; i++) {
		const struct map *mp = &rw.sp.maps[i];

		if (mp->kind == VMS_KIND_VSYSCALL || mp->m.start >= VSYSCALL_ADDR)
			continue; /* not in pagemap */
		if (ctl.mode == M_MAPPING ? !mapping_matches(mp, ctl.mapping, kind) :
					    (mp->m.end <= lo || mp->m.start >= hi))
			continue;
		rw.sel[rw.nsel++] = mp;
	}
	if (!rw.nsel) {
		if (ctl.mode == M_MAPPING)
			cx_warn("no mapping of pid %d matches '%s' (a name or a kind)",
				(int)ctl.pid, ctl.mapping);
		else
			cx_warn("address range 0x%" PRIx64 "-0x%" PRIx64 " not mapped in pid %d",
				lo, hi, (int)ctl.pid);
		goto out;
	}
	if (open_pagemap(&rw.sp, &rw.pm) < 0)
		goto out;
	if (ctl.pages) {
		if (ctl.out.format == CX_FMT_JSON) {
			rw.jpages = cx_json_array();
			if (!rw.jpages)
				cx_oom();
		} else {
			cx_table_init(&rw.pt, page_cols, P__COUNT, PAGE_DEFAULTS, &ctl.out);
			if (ctl.out.sort) {
				rw.sorted = true;
				rw.sort_col = cx_column_find(page_cols, P__COUNT, ctl.out.sort,
							     strlen(ctl.out.sort));
			}
		}
	}
	/* text: what is walked, then the summary, then the runs (or pages) */
	if (ctl.out.format != CX_FMT_JSON) {
		struct cx_table t;
		char *comm = comm_text(&rw.sp);

		if (ctl.mode == M_RANGE)
			printf("pid %d (%s): 0x%" PRIx64 "-0x%" PRIx64 ", %" PRIu64
			       " pages of %" PRIu64 " bytes\n\n",
			       (int)ctl.pid, comm, lo, hi, (hi - lo) / page_size, page_size);
		else {
			char *m = cx_sanitize(ctl.mapping, strlen(ctl.mapping), false);

			if (!m)
				cx_oom();
			printf("pid %d (%s): %zu mapping%s matching '%s'\n\n", (int)ctl.pid, comm,
			       rw.nsel, rw.nsel == 1 ? "" : "s", m);
			free(m);
		}
		free(comm);
		mappings_table(&rw, &t);
		cx_table_print(&t, &ctl.out, stdout);
		cx_table_free(&t);
		putchar('\n');
	}
	for (size_t i = 0; i < rw.nsel; i++) {
		const struct map *mp = rw.sel[i];
		uint64_t s = mp->m.start, e = mp->m.end;

		if (ctl.mode == M_RANGE) {
			s = s > lo ? s : lo;
			e = e < hi ? e : hi;
			add_unmapped(&rw, covered, s);
			covered = e;
		}
		if (walk_part(&rw, mp, s, e) < 0)
			goto out;
	}
	if (ctl.mode == M_RANGE)
		add_unmapped(&rw, covered, hi);

	if (ctl.out.format == CX_FMT_JSON) {
		range_json(&rw, lo, hi);
	} else {
		struct cx_table t;

		summary_rows(&rw, &t);
		/* the per-page rows were streamed already: the summary goes after them */
		if (!ctl.pages) {
			cx_table_print(&t, &ctl.out, stdout);
			cx_table_free(&t);
			putchar('\n');
			runs_table(&rw, &t);
			cx_table_print(&t, &ctl.out, stdout);
			cx_table_free(&t);
		} else {
			if (rw.sorted && rw.sort_col >= 0)
				cx_table_sort(&rw.pt, rw.sort_col, ctl.out.reverse);
			cx_table_flush(&rw.pt, &ctl.out, stdout);
			putchar('\n');
			cx_table_print(&t, &ctl.out, stdout);
			cx_table_free(&t);
		}
	}
	if (partial) {
		cx_warn("pid %d: exited during the walk: the pages not read are \"unknown\"",
			(int)ctl.pid);
		rc = CX_EXIT_PARTIAL;
	} else {
		rc = CX_EXIT_OK;
	}
out:
	if (rw.pt.cols)
		cx_table_free(&rw.pt);
	if (rw.jpages)
		cJSON_Delete(rw.jpages);
	if (rw.pm)
		vms_pagemap_close(rw.pm);
	free(rw.runs);
	free(rw.sel);
	space_free(&rw.sp);
	return rc;
}

/* ---- walking every present page of a process (--pfn, --shared-with) ---- */

typedef bool (*page_fn)(void *data, const struct map *mp, uint64_t addr, uint64_t pfn, bool zero);

/*
 * Call @fn for each present page of @sp whose frame is visible; stop when it
 * returns false.  Returns 0, or a negative errno (said, unless @quiet).
 */
static int walk_frames(struct space *sp, page_fn fn, void *data, bool quiet)
{
	struct vms_pagemap *pm;
	uint64_t zero_pfn;
	bool have_zero = vms_ctx_zero_pfn(ctx, &zero_pfn) == 0;
	int ret = vms_pagemap_open(sp->p, &pm);

	if (ret < 0) {
		if (!quiet)
			cx_proc_error(sp->pid, "pagemap", ret);
		return ret;
	}
	for (size_t i = 0; i < sp->n; i++) {
		const struct map *mp = &sp->maps[i];
		struct vms_pagewalk *w;
		struct vms_page_run r;
		bool go = true;

		if (mp->kind == VMS_KIND_VSYSCALL || mp->m.start >= VSYSCALL_ADDR)
			continue;
		ret = quiet ? vms_pagewalk_open(pm, mp->m.start, mp->m.end,
						VMS_WALK_ENTRIES | ctl.method, &w) :
			      walk_open(sp, pm, mp->m.start, mp->m.end, VMS_WALK_ENTRIES, &w);
		if (ret < 0)
			break;
		while (go && (ret = vms_pagewalk_next(w, &r)) == 1) {
			uint64_t n = (r.end - r.start) / page_size;

			if (!(r.flags & VMS_RUN_PRESENT) || !r.entries)
				continue;
			for (uint64_t k = 0; go && k < n; k++) {
				struct vms_pme pme;

				vms_pme_decode(r.entries[k], true, &pme);
				if (pme.state != VMS_PAGE_PRESENT || pme.frame_hidden)
					continue;
				go = fn(data, mp, r.start + k * page_size, pme.pfn,
					(r.flags & VMS_RUN_ZERO) ||
						(have_zero && pme.pfn == zero_pfn));
			}
		}
		if (ret == 0 && vms_pagewalk_finish(w) == -ESRCH)
			partial = true;
		vms_pagewalk_close(w);
		if (ret < 0) {
			if (!quiet)
				cx_warn("pid %d: cannot read pagemap: %s", (int)sp->pid,
					strerror(-ret));
			break;
		}
		if (!go)
			break;
	}
	vms_pagemap_close(pm);
	return ret < 0 ? ret : 0;
}

static void need_pfns(void)
{
	if (caps & VMS_CAP_PFN)
		return;
	cx_warn("%s needs the PFNs of pagemap, which are hidden: %s",
		ctl.mode == M_PFN ? "--pfn" : "--shared-with", pfn_hidden_reason());
	exit(CX_EXIT_FAILURE);
}

/* ---- --pfn ---- */

enum { R_PID, R_COMM, R_ADDRESS, R_KIND, R_MAPPING, R_NAME };
static const struct cx_column pfn_cols[] = {
	[R_PID] = { "pid", "PID", CX_INT, "" },
	[R_COMM] = { "comm", "COMM", CX_STR, "" },
	[R_ADDRESS] = { "address", "ADDRESS", CX_STR, "" },
	[R_KIND] = { "kind", "KIND", CX_STR, "" },
	[R_MAPPING] = { "mapping", "MAPPING", CX_STR, "" },
	[R_NAME] = { "name", "NAME", CX_STR, "" }, /* the raw name, for JSON */
};

struct pfn_scan {
	struct cx_table t;
	const struct space *sp;
	uint64_t hits, want; /* want: kpagecount, 0 unknown */
};

static bool pfn_visit(void *data, const struct map *mp, uint64_t addr, uint64_t pfn, bool zero)
{
	struct pfn_scan *ps = data;
	size_t row;
	char buf[32];

	(void)zero;
	if (pfn != ctl.pfn)
		return true;
	row = cx_table_add_row(&ps->t);
	cx_set_int(&ps->t, row, R_PID, ps->sp->pid);
	cx_set_str(&ps->t, row, R_COMM, ps->sp->comm);
	snprintf(buf, sizeof(buf), "%012" PRIx64, addr);
	cx_set_str(&ps->t, row, R_ADDRESS, buf);
	cx_set_str(&ps->t, row, R_KIND, vms_kind_name(mp->kind));
	cx_set_str(&ps->t, row, R_MAPPING, map_label(mp));
	cx_set_str(&ps->t, row, R_NAME, mp->m.name);
	ps->hits++;
	return !(ps->want && ps->hits >= ps->want);
}

/* Quiet space_load for a scan: unreadable processes are counted, not reported. */
static int space_load_quiet(pid_t pid, struct space *sp)
{
	struct vms_proc_info pi;
	const struct vms_mapping *m;
	struct vms_maps *it;
	size_t cap = 0;
	int ret;

	memset(sp, 0, sizeof(*sp));
	sp->pid = pid;
	ret = vms_proc_open(ctx, pid, &sp->p);
	if (ret < 0)
		return ret;
	ret = vms_proc_info_read(sp->p, 0, &pi);
	if (ret < 0)
		goto fail;
	sp->comm = cx_xstrdup(pi.comm);
	if (pi.kthread || pi.state == 'Z') {
		ret = -ECHILD; /* no address space: not an error */
		goto fail;
	}
	ret = vms_maps_open(sp->p, 0, &it);
	if (ret < 0)
		goto fail;
	while ((ret = vms_maps_next(it, &m)) == 1) {
		space_add(sp, &cap, m);
	}
	vms_maps_close(it);
	if (ret < 0)
		goto fail;
	classify(sp, NULL, 0);
	return 0;
fail:
	space_free(sp);
	return ret;
}

static int do_pfn(void)
{
	struct pfn_scan ps;
	struct vms_kpage *k;
	pid_t *pids;
	size_t npids, denied = 0, gone = 0, other = 0;
	bool tty = isatty(STDERR_FILENO);
	int ret, last_err = 0;
	uint64_t v;
	struct cx_outopts o = ctl.out;

	need_pfns();
	memset(&ps, 0, sizeof(ps));
	if ((caps & VMS_CAP_KPAGECOUNT) && vms_kpage_open(ctx, &k) == 0) {
		if (vms_kpage_read(k, VMS_KPAGE_COUNT, ctl.pfn, 1, &v) == 1)
			ps.want = v;
		vms_kpage_close(k);
	}
	ret = vms_pids_read(ctx, &pids, &npids);
	if (ret < 0) {
		cx_warn("cannot list the processes: %s", strerror(-ret));
		return CX_EXIT_FAILURE;
	}
	o.output = NULL;
	o.output_all = false;
	cx_table_init(&ps.t, pfn_cols, 6, "pid,comm,address,kind,mapping", &o);
	for (size_t i = 0; i < npids; i++) {
		struct space sp;

		if (pids[i] == getpid() && vms_ctx_is_live(ctx))
			continue;
		if (tty)
			fprintf(stderr, "\r%s: scanning pid %d (%zu of %zu)\033[K", cx_prog,
				(int)pids[i], i + 1, npids);
		ret = space_load_quiet(pids[i], &sp);
		if (ret == 0) {
			ps.sp = &sp;
			ret = walk_frames(&sp, pfn_visit, &ps, true);
			space_free(&sp);
		}
		if (ret == -EACCES || ret == -EPERM)
			denied++;
		else if (ret == -ESRCH || ret == -ENOENT)
			gone++;
		else if (ret < 0 && ret != -ECHILD) {
			other++;
			last_err = ret;
		}
		if (ps.want && ps.hits >= ps.want)
			break;
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	free(pids);
	/* partial here is a process that exited mid-walk: part of a scan, not an error */
	partial = false;
	if (denied || gone || other) {
		cx_warn("%zu process%s skipped: %zu permission denied, %zu gone or not captured, "
			"%zu other errors%s%s",
			denied + gone + other, denied + gone + other == 1 ? "" : "es", denied, gone,
			other, last_err ? ": " : "", last_err ? strerror(-last_err) : "");
	}
	if (ctl.out.format == CX_FMT_JSON) {
		cJSON *doc = cx_json_doc(), *a;

		json_hex(doc, "pfn", ctl.pfn);
		json_hex(doc, "physical_address", ctl.pfn * page_size);
		if (caps & VMS_CAP_KPAGECOUNT)
			cx_json_u64(doc, "mapcount", ps.want);
		else
			cJSON_AddNullToObject(doc, "mapcount");
		a = json_arr(doc, "mappers");
		for (size_t r = 0; r < ps.t.nrows; r++) {
			cJSON *e = json_obj(NULL, NULL);
			const char *addr = cx_cell(&ps.t, r, R_ADDRESS)->s;

			cx_json_int(e, "pid", cx_cell(&ps.t, r, R_PID)->i);
			cx_json_str(e, "comm", cx_cell(&ps.t, r, R_COMM)->s);
			{
				char buf[32];

				snprintf(buf, sizeof(buf), "0x%s", addr + strspn(addr, "0"));
				if (!buf[2])
					strcpy(buf, "0x0");
				cJSON_AddStringToObject(e, "address", buf);
			}
			cJSON_AddStringToObject(e, "kind", cx_cell(&ps.t, r, R_KIND)->s);
			cx_json_str(e, "mapping", cx_cell(&ps.t, r, R_NAME)->s);
			json_add(a, e);
		}
		cx_json_u64(doc, "skipped", denied + gone + other);
		finish_json(doc);
	} else if (ps.t.nrows) {
		cx_table_print(&ps.t, &ctl.out, stdout);
	}
	cx_table_free(&ps.t);
	if (!ps.hits) {
		cx_warn("pfn 0x%" PRIx64 " is mapped by no process that could be read", ctl.pfn);
		return CX_EXIT_FAILURE;
	}
	if (ps.want && ps.hits < ps.want)
		cx_warn("found %" PRIu64 " of the %" PRIu64
			" mappings kpagecount reports: the others are in processes that could not "
			"be read",
			ps.hits, ps.want);
	return CX_EXIT_OK;
}

/* ---- --shared-with ---- */

/* PFN -> address in PID2; open addressing, keys stored as PFN + 1 (0: empty). */
struct pfnset {
	uint64_t *key, *val;
	size_t cap, n;
};

static size_t pfn_hash(uint64_t k, size_t cap)
{
	return (size_t)((k * UINT64_C(0x9e3779b97f4a7c15)) >> 20) & (cap - 1);
}

static void pfnset_put(struct pfnset *s, uint64_t pfn, uint64_t addr)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct pfnset ns = { .cap = s->cap ? 2 * s->cap : 4096 };

		ns.key = calloc(ns.cap, sizeof(*ns.key));
		ns.val = calloc(ns.cap, sizeof(*ns.val));
		if (!ns.key || !ns.val)
			cx_oom();
		for (size_t j = 0; j < s->cap; j++)
			if (s->key[j]) {
				i = pfn_hash(s->key[j], ns.cap);
				while (ns.key[i])
					i = (i + 1) & (ns.cap - 1);
				ns.key[i] = s->key[j];
				ns.val[i] = s->val[j];
			}
		ns.n = s->n;
		free(s->key);
		free(s->val);
		*s = ns;
	}
	for (i = pfn_hash(pfn + 1, s->cap); s->key[i]; i = (i + 1) & (s->cap - 1))
		if (s->key[i] == pfn + 1)
			return; /* mapped twice in PID2: keep the first address */
	s->key[i] = pfn + 1;
	s->val[i] = addr;
	s->n++;
}

static bool pfnset_get(const struct pfnset *s, uint64_t pfn, uint64_t *addr)
{
	if (!s->cap)
		return false;
	for (size_t i = pfn_hash(pfn + 1, s->cap); s->key[i]; i = (i + 1) & (s->cap - 1))
		if (s->key[i] == pfn + 1) {
			*addr = s->val[i];
			return true;
		}
	return false;
}

struct shared {
	struct pfnset set;
	uint64_t zero1, zero2, total;
	uint64_t *per_map; /* shared pages per mapping of PID */
	const struct space *sp1;
	struct {
		uint64_t a1, a2, pages;
	} * ranges;
	size_t nranges, cap;
};

static bool collect2(void *data, const struct map *mp, uint64_t addr, uint64_t pfn, bool zero)
{
	struct shared *sh = data;

	(void)mp;
	if (zero)
		sh->zero2++;
	else
		pfnset_put(&sh->set, pfn, addr);
	return true;
}

static bool match1(void *data, const struct map *mp, uint64_t addr, uint64_t pfn, bool zero)
{
	struct shared *sh = data;
	uint64_t a2;

	if (zero) {
		sh->zero1++;
		return true;
	}
	if (!pfnset_get(&sh->set, pfn, &a2))
		return true;
	sh->total++;
	sh->per_map[mp - sh->sp1->maps]++;
	if (sh->nranges) {
		__typeof__(sh->ranges[0]) *r = &sh->ranges[sh->nranges - 1];

		if (r->a1 + r->pages * page_size == addr && r->a2 + r->pages * page_size == a2) {
			r->pages++;
			return true;
		}
	}
	sh->ranges = cx_grow(sh->ranges, sh->nranges, &sh->cap, sizeof(*sh->ranges));
	sh->ranges[sh->nranges].a1 = addr;
	sh->ranges[sh->nranges].a2 = a2;
	sh->ranges[sh->nranges].pages = 1;
	sh->nranges++;
	return true;
}

static int do_shared(void)
{
	struct space s1, s2;
	struct shared sh;
	int rc = CX_EXIT_FAILURE;

	need_pfns();
	memset(&sh, 0, sizeof(sh));
	if (space_load(ctl.pid, false, &s1) < 0)
		return CX_EXIT_FAILURE;
	if (space_load(ctl.pid2, false, &s2) < 0) {
		space_free(&s1);
		return CX_EXIT_FAILURE;
	}
	sh.sp1 = &s1;
	sh.per_map = calloc(s1.n + 1, sizeof(*sh.per_map));
	if (!sh.per_map)
		cx_oom();
	if (walk_frames(&s2, collect2, &sh, false) < 0 || walk_frames(&s1, match1, &sh, false) < 0)
		goto out;
	if (ctl.out.format == CX_FMT_JSON) {
		cJSON *doc = cx_json_doc(), *a, *o;

		json_process(doc, &s1);
		o = json_obj(doc, "shared_with");
		json_process(o, &s2);
		cx_json_u64(doc, "page_size", page_size);
		cx_json_u64(doc, "shared_pages", sh.total);
		cx_json_u64(doc, "shared_size", sh.total * page_size);
		o = json_obj(doc, "zero_page");
		cx_json_u64(o, "pages", sh.zero1);
		cx_json_u64(o, "pages_shared_with", sh.zero2);
		a = json_arr(doc, "mappings");
		for (size_t i = 0; i < s1.n; i++) {
			if (!sh.per_map[i])
				continue;
			o = json_obj(NULL, NULL);
			json_mapping(o, &s1.maps[i]);
			cx_json_u64(o, "shared_pages", sh.per_map[i]);
			cx_json_u64(o, "shared_size", sh.per_map[i] * page_size);
			json_add(a, o);
		}
		a = json_arr(doc, "ranges");
		for (size_t i = 0; i < sh.nranges; i++) {
			o = json_obj(NULL, NULL);
			json_hex(o, "address", sh.ranges[i].a1);
			json_hex(o, "address_shared_with", sh.ranges[i].a2);
			cx_json_u64(o, "pages", sh.ranges[i].pages);
			json_add(a, o);
		}
		cJSON_AddBoolToObject(doc, "partial", partial);
		finish_json(doc);
	} else {
		static const struct cx_column mcols[] = {
			{ "start", "START", CX_STR, "" },     { "kind", "KIND", CX_STR, "" },
			{ "shared", "SHARED", CX_U64, "" },   { "size", "SIZE", CX_SIZE, "" },
			{ "mapping", "MAPPING", CX_STR, "" },
		};
		static const struct cx_column rcols[] = {
			{ "addr1", "ADDR1", CX_STR, "" },
			{ "addr2", "ADDR2", CX_STR, "" },
			{ "pages", "PAGES", CX_U64, "" },
		};
		struct cx_outopts o = ctl.out;
		struct cx_table t;
		char *c1 = comm_text(&s1), *c2 = comm_text(&s2), sz[32];

		cx_human_size(sh.total * page_size, sz, sizeof(sz));
		printf("pid %d (%s) and pid %d (%s) share %" PRIu64 " frame%s (%s)\n", (int)s1.pid,
		       c1, (int)s2.pid, c2, sh.total, sh.total == 1 ? "" : "s", sz);
		printf("the shared zero page is not counted: pid %d maps it at %" PRIu64
		       " page%s, pid %d at %" PRIu64 "\n\n",
		       (int)s1.pid, sh.zero1, sh.zero1 == 1 ? "" : "s", (int)s2.pid, sh.zero2);
		free(c1);
		free(c2);
		o.output = NULL;
		o.output_all = false;
		cx_table_init(&t, mcols, 5, "start,kind,shared,size,mapping", &o);
		for (size_t i = 0; i < s1.n; i++) {
			size_t row;
			char buf[32];

			if (!sh.per_map[i])
				continue;
			row = cx_table_add_row(&t);
			snprintf(buf, sizeof(buf), "%012" PRIx64, s1.maps[i].m.start);
			cx_set_str(&t, row, 0, buf);
			cx_set_str(&t, row, 1, vms_kind_name(s1.maps[i].kind));
			cx_set_u64(&t, row, 2, sh.per_map[i]);
			cx_set_u64(&t, row, 3, sh.per_map[i] * page_size);
			cx_set_str(&t, row, 4, map_label(&s1.maps[i]));
		}
		if (t.nrows) {
			cx_table_print(&t, &ctl.out, stdout);
			putchar('\n');
		}
		cx_table_free(&t);
		cx_table_init(&t, rcols, 3, "addr1,addr2,pages", &o);
		for (size_t i = 0; i < sh.nranges; i++) {
			size_t row = cx_table_add_row(&t);
			char buf[32];

			snprintf(buf, sizeof(buf), "%012" PRIx64, sh.ranges[i].a1);
			cx_set_str(&t, row, 0, buf);
			snprintf(buf, sizeof(buf), "%012" PRIx64, sh.ranges[i].a2);
			cx_set_str(&t, row, 1, buf);
			cx_set_u64(&t, row, 2, sh.ranges[i].pages);
		}
		if (t.nrows)
			cx_table_print(&t, &ctl.out, stdout);
		cx_table_free(&t);
	}
	if (partial) {
		cx_warn("a process exited during the walk: the result is partial");
		rc = CX_EXIT_PARTIAL;
	} else {
		rc = CX_EXIT_OK;
	}
out:
	free(sh.set.key);
	free(sh.set.val);
	free(sh.per_map);
	free(sh.ranges);
	space_free(&s1);
	space_free(&s2);
	return rc;
}

/* ---- arguments ---- */

/*
 * A hexadecimal number, "0x" optional, any case.  Returns 0, -EINVAL (not
 * hex), -ERANGE (more than 64 bits).
 */
static int parse_hex(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -EINVAL;
		if (v >> 60)
			return -ERANGE;
		v = v * 16 + (uint64_t)d;
	}
	*out = v;
	return 0;
}

static uint64_t parse_addr(const char *what, const char *s, size_t len)
{
	uint64_t v;
	int r;

	if (len && s[0] == '-')
		cx_usage_error("invalid %s '%.*s': negative", what, (int)len, s);
	if (memchr(s, '_', len))
		cx_usage_error("invalid %s '%.*s': '_' is not allowed in a number", what, (int)len,
			       s);
	r = parse_hex(s, len, &v);
	if (r == -ERANGE)
		cx_usage_error("invalid %s '%.*s': larger than 64 bits", what, (int)len, s);
	if (r < 0)
		cx_usage_error("invalid %s '%.*s': not a hexadecimal number", what, (int)len, s);
	return v;
}

/* LEN: hexadecimal like an address, or decimal with a unit: 4K, 2M, 1G (KiB...). */
static uint64_t parse_len(const char *s)
{
	static const struct {
		const char *unit;
		unsigned int shift;
	} units[] = { { "K", 10 }, { "KiB", 10 }, { "M", 20 }, { "MiB", 20 },
		      { "G", 30 }, { "GiB", 30 }, { "T", 40 }, { "TiB", 40 } };
	size_t digits = strspn(s, "0123456789");

	if (digits && s[digits]) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			char *end;
			unsigned long long v;

			if (strcmp(s + digits, units[i].unit) != 0)
				continue;
			errno = 0;
			v = strtoull(s, &end, 10);
			if (errno || v > (UINT64_MAX >> units[i].shift))
				cx_usage_error("invalid length '%s': larger than 64 bits", s);
			return (uint64_t)v << units[i].shift;
		}
	}
	return parse_addr("length", s, strlen(s));
}

static void parse_address_arg(const char *arg)
{
	const char *sep = NULL;

	ctl.addr_arg = arg;
	/* the first '-' or '+' after the first character splits a range */
	for (const char *p = arg + 1; *arg && *p; p++)
		if (*p == '-' || *p == '+') {
			sep = p;
			break;
		}
	if (!sep) {
		ctl.mode = M_PAGE;
		ctl.addr = parse_addr("address", arg, strlen(arg));
		return;
	}
	ctl.mode = M_RANGE;
	ctl.addr = parse_addr("address", arg, (size_t)(sep - arg));
	if (*sep == '-') {
		ctl.end = parse_addr("address", sep + 1, strlen(sep + 1));
		if (ctl.end <= ctl.addr)
			cx_usage_error("invalid range '%s': the end must be above the start", arg);
	} else {
		uint64_t len = parse_len(sep + 1);

		if (!len)
			cx_usage_error("invalid range '%s': the length is 0", arg);
		if (len > UINT64_MAX - ctl.addr)
			cx_usage_error("invalid range '%s': it ends past 2^64", arg);
		ctl.end = ctl.addr + len;
	}
}

/* PFN: hex with 0x, or decimal. */
static uint64_t parse_pfn(const char *arg)
{
	uint64_t v;

	if (arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X')) {
		v = parse_addr("PFN", arg, strlen(arg));
	} else {
		char *end;
		unsigned long long d;

		if (!arg[0] || arg[0] < '0' || arg[0] > '9')
			cx_usage_error("invalid PFN '%s': not a number (hex with 0x, or decimal)",
				       arg);
		errno = 0;
		d = strtoull(arg, &end, 10);
		if (*end)
			cx_usage_error("invalid PFN '%s': not a number (hex with 0x, or decimal)",
				       arg);
		if (errno)
			cx_usage_error("invalid PFN '%s': larger than 64 bits", arg);
		v = d;
	}
	if (v > VMS_PM_PFN_MASK)
		cx_usage_error("invalid PFN '%s': larger than the 55 bits pagemap gives", arg);
	return v;
}

static pid_t parse_one_pid(const char *s)
{
	pid_t pid;
	int r = vms_parse_pid(s, &pid);

	if (r == -ERANGE)
		cx_usage_error("PID out of range: '%s'", s);
	if (r < 0)
		cx_usage_error("invalid PID '%s' (decimal number expected)", s);
	return pid;
}

/* Does the machine (of the root) use 5-level page tables?  The la57 cpu flag says so. */
static unsigned int find_machine_levels(void)
{
	int fd = vms_ctx_openat(ctx, "proc/cpuinfo", O_RDONLY);
	char buf[16384];
	ssize_t n;
	unsigned int levels = 4;

	if (fd < 0)
		return 4;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		char *flags;

		buf[n] = '\0';
		flags = strstr(buf, "\nflags");
		if (flags) {
			char *eol = strchr(flags + 1, '\n');

			if (eol)
				*eol = '\0';
			if (strstr(flags, " la57"))
				levels = 5;
		}
	}
	return levels;
}

/* Addresses the page tables cannot hold: a usage error. */
static void check_canonical(uint64_t a, bool range_end)
{
	unsigned int top = machine_levels == 5 ? 56 : 47;
	uint64_t high = a >> top;

	if (high == 0 || high == (UINT64_MAX >> top))
		return;
	if (range_end)
		cx_usage_error("invalid range '%s': its last byte 0x%" PRIx64
			       " is non-canonical (bits %u-63 must all be equal with %u-level "
			       "page tables)",
			       ctl.addr_arg, a, top, machine_levels);
	cx_usage_error("invalid address '%s': non-canonical (bits %u-63 must all be equal with "
		       "%u-level page tables)",
		       ctl.addr_arg, top, machine_levels);
}

static bool is_kernel_addr(uint64_t a)
{
	return (a >> 63) && !(a >= VSYSCALL_ADDR && a < VSYSCALL_ADDR + 4096);
}

static void __attribute__((noreturn)) usage(void)
{
	printf("Usage:\n"
	       " %1$s [options] PID ADDRESS\n"
	       " %1$s [options] PID ADDRESS-END | ADDRESS+LENGTH\n"
	       " %1$s [options] PID --mapping NAME|KIND\n"
	       " %1$s [options] --pfn PFN\n"
	       " %1$s [options] PID --shared-with PID2\n\n",
	       cx_prog);
	fputs("Follow a process's virtual addresses to physical memory: the page-table walk, the\n"
	      "pagemap entry, the frame and its flags; count the page states of a range; find\n"
	      "the processes that map a frame, or the frames two processes share.\n\n"
	      "Options:\n"
	      "      --mapping NAME|KIND  walk every mapping whose name contains NAME, or of KIND\n"
	      "      --pfn PFN            which processes map frame PFN (hex with 0x, or decimal)\n"
	      "      --shared-with PID2   the frames PID and PID2 both map\n"
	      "      --pages              one row per page (ranges and --mapping)\n"
	      "      --method METHOD      read pagemap with: auto, scan (PAGEMAP_SCAN) or read\n"
	      "  -o, --output [+]LIST     columns of the --pages table (+LIST adds to the default)\n"
	      "      --output-all         every column of the --pages table\n"
	      "  -J, --json               JSON output\n"
	      "  -r, --raw                raw output: no alignment, spaces escaped\n"
	      "  -n, --noheadings         no header lines\n"
	      "  -b, --bytes              sizes in bytes, not KiB/MiB/GiB\n"
	      "  -s, --sort COL           sort the --pages table by COL\n"
	      "      --reverse            reverse the order of the --pages table\n"
	      "      --root DIR           read a snapshot or fixture instead of /proc\n"
	      "  -h, --help               show this help\n"
	      "  -V, --version            show the version\n\n"
	      "Columns:\n",
	      stdout);
	for (size_t i = 0; i < P__COUNT; i++)
		printf("  %-10s %s\n", page_cols[i].name, page_cols[i].help);
	printf("\nDefault: " PAGE_DEFAULTS "\n\nSee vmwalk(1) and vmscope(7).\n");
	exit(cx_close_stdout() ? CX_EXIT_FAILURE : CX_EXIT_OK);
}

static void check_column(const char *item, size_t len, void *data)
{
	(void)data;
	if (cx_column_find(page_cols, P__COUNT, item, len) < 0)
		cx_usage_error("unknown column: '%.*s'", (int)len, item);
}

int main(int argc, char **argv)
{
	enum {
		OPT_MAPPING = CX_OPT__FIRST_FREE,
		OPT_PFN,
		OPT_SHARED,
		OPT_PAGES,
		OPT_METHOD,
	};
	static const struct option longopts[] = {
		CX_OUTPUT_LONGOPTS,
		{ "mapping", required_argument, NULL, OPT_MAPPING },
		{ "pfn", required_argument, NULL, OPT_PFN },
		{ "shared-with", required_argument, NULL, OPT_SHARED },
		{ "pages", no_argument, NULL, OPT_PAGES },
		{ "method", required_argument, NULL, OPT_METHOD },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pfn_arg = NULL, *pid2_arg = NULL;
	int c, nargs, rc;

	cx_init("vmwalk");
	while ((c = getopt_long(argc, argv, CX_OUTPUT_SHORTOPTS "hV", longopts, NULL)) != -1) {
		if (cx_output_option(c, optarg, &ctl.out, &ctl.root))
			continue;
		switch (c) {
		case OPT_MAPPING:
			if (!optarg[0])
				cx_usage_error("--mapping needs a name or a kind");
			ctl.mapping = optarg;
			break;
		case OPT_PFN:
			pfn_arg = optarg;
			break;
		case OPT_SHARED:
			pid2_arg = optarg;
			break;
		case OPT_PAGES:
			ctl.pages = true;
			break;
		case OPT_METHOD:
			if (strcmp(optarg, "auto") == 0)
				ctl.method = 0;
			else if (strcmp(optarg, "scan") == 0)
				ctl.method = VMS_WALK_SCAN;
			else if (strcmp(optarg, "read") == 0)
				ctl.method = VMS_WALK_READ;
			else
				cx_usage_error("unknown --method '%s' (auto, scan, read)", optarg);
			break;
		case 'h':
			usage();
		case 'V':
			cx_version();
		default:
			cx_bad_option();
		}
	}
	nargs = argc - optind;
	if (!!ctl.mapping + !!pfn_arg + !!pid2_arg > 1)
		cx_usage_error("--mapping, --pfn and --shared-with do not go together");
	if (pfn_arg) {
		if (nargs)
			cx_usage_error("--pfn takes no PID or address: it scans every process");
		ctl.mode = M_PFN;
		ctl.pfn = parse_pfn(pfn_arg);
	} else {
		if (nargs < 1)
			cx_usage_error("no PID given");
		ctl.pid = parse_one_pid(argv[optind]);
		if (ctl.mapping || pid2_arg) {
			if (nargs > 1)
				cx_usage_error("unexpected argument '%s'", argv[optind + 1]);
			ctl.mode = ctl.mapping ? M_MAPPING : M_SHARED;
			if (pid2_arg)
				ctl.pid2 = parse_one_pid(pid2_arg);
		} else {
			if (nargs < 2)
				cx_usage_error("no address given");
			if (nargs > 2)
				cx_usage_error("unexpected argument '%s'", argv[optind + 2]);
			parse_address_arg(argv[optind + 1]);
		}
	}
	if (ctl.pages && ctl.mode != M_RANGE && ctl.mode != M_MAPPING)
		cx_usage_error("--pages goes with a range or --mapping");
	if ((ctl.out.output || ctl.out.output_all || ctl.out.sort || ctl.out.reverse) && !ctl.pages)
		cx_usage_error("-o, --output-all, --sort and --reverse are for the --pages table");
	if (ctl.out.output) {
		const char *o = ctl.out.output[0] == '+' ? ctl.out.output + 1 : ctl.out.output;

		cx_split(o, check_column, NULL);
	}
	if (ctl.out.sort &&
	    cx_column_find(page_cols, P__COUNT, ctl.out.sort, strlen(ctl.out.sort)) < 0)
		cx_usage_error("unknown sort column: '%s'", ctl.out.sort);

	ctx = cx_ctx_open(ctl.root, VMS_CTX_NO_LIBPROC2);
	if (!ctx)
		return CX_EXIT_FAILURE;
	page_size = vms_ctx_page_size(ctx);
	caps = vms_ctx_caps(ctx);
	machine_levels = find_machine_levels();
	if (ctl.method == VMS_WALK_SCAN && !(caps & VMS_CAP_PAGEMAP_SCAN)) {
		const char *why = vms_ctx_cap_reason(ctx, VMS_CAP_PAGEMAP_SCAN);

		cx_warn("--method scan: the PAGEMAP_SCAN ioctl is not available%s%s",
			why ? ": " : "", why ? why : "");
		vms_ctx_unref(ctx);
		return CX_EXIT_FAILURE;
	}
	if (ctl.mode == M_PAGE || ctl.mode == M_RANGE) {
		check_canonical(ctl.addr, false);
		if (ctl.mode == M_RANGE)
			check_canonical(ctl.end - 1, true);
		if (is_kernel_addr(ctl.addr)) {
			cx_warn("0x%" PRIx64 " is a kernel address, not in any process's pagemap",
				ctl.addr);
			vms_ctx_unref(ctx);
			return CX_EXIT_FAILURE;
		}
		if (ctl.mode == M_RANGE) {
			/* whole pages */
			ctl.addr &= ~(page_size - 1);
			if ((ctl.end & (page_size - 1)) && ctl.end <= UINT64_MAX - page_size)
				ctl.end = (ctl.end | (page_size - 1)) + 1;
			else
				ctl.end &= ~(page_size - 1);
		}
	}
	cx_snapshot_set(ctx, ctl.root);
	cx_snapshot_banner(ctx, NULL, &ctl.out);
	switch (ctl.mode) {
	case M_PAGE:
		rc = do_page();
		break;
	case M_RANGE:
	case M_MAPPING:
		rc = do_range();
		break;
	case M_PFN:
		rc = do_pfn();
		break;
	case M_SHARED:
	default:
		rc = do_shared();
		break;
	}
	vms_ctx_unref(ctx);
	if (cx_close_stdout())
		return CX_EXIT_FAILURE;
	return rc;
}
