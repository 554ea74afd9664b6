// SPDX-License-Identifier: GPL-2.0-or-later
/* vmrank: rank processes, users, programs, cgroups or mappings by memory use. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"

enum col {
	C_PID,
	C_PPID,
	C_USER,
	C_UID,
	C_STATE,
	C_COMM,
	C_CMDLINE,
	C_NAME, /* the group key */
	C_PROCS,
	C_VSZ,
	/* from here to C__LAST_ROLLUP: smaps_rollup keys, in vms_key order where known */
	C_RSS,
	C_PSS,
	C_USS,
	C_SWAP,
	C_SWAP_PSS,
	C_PSS_ANON,
	C_PSS_FILE,
	C_PSS_SHMEM,
	C_PSS_DIRTY,
	C_ANONYMOUS,
	C_ANON_HUGE_PAGES,
	C_LOCKED,
	C_SHARED_CLEAN,
	C_SHARED_DIRTY,
	C_PRIVATE_CLEAN,
	C_PRIVATE_DIRTY,
	C_REFERENCED,
	C_KSM,
	C_LAZY_FREE,
	C_SHMEM_PMD_MAPPED,
	C_FILE_PMD_MAPPED,
	C_SHARED_HUGETLB,
	C_PRIVATE_HUGETLB,
	C_MINFLT,
	C_MAJFLT,
	C_OOM_SCORE,
	C_OOM_SCORE_ADJ,
	/* --exact, per group: from the page tables, not from smaps_rollup */
	C_FRAMES,
	C_ONLY,
	C_ONLY_ANON,
	C_ONLY_FILE,
	C__STATIC
};

#define MAX_DYN 16

static struct cx_column columns[C__STATIC + MAX_DYN] = {
	[C_PID] = { "pid", "PID", CX_INT, "process ID" },
	[C_PPID] = { "ppid", "PPID", CX_INT, "parent process ID" },
	[C_USER] = { "user", "USER", CX_STR, "effective user name (or uid)" },
	[C_UID] = { "uid", "UID", CX_INT, "effective user ID" },
	[C_STATE] = { "state", "S", CX_STR, "process state (R S D Z T I ...)" },
	[C_COMM] = { "comm", "COMM", CX_STR, "command name (stat comm)" },
	[C_CMDLINE] = { "cmdline", "COMMAND", CX_STR, "command line" },
	[C_NAME] = { "name", "NAME", CX_STR, "group key (with --by)" },
	[C_PROCS] = { "procs", "PROCS", CX_U64, "processes in the group (with --by)" },
	[C_VSZ] = { "vsz", "VSZ", CX_SIZE, "virtual size (stat vsize)" },
	[C_RSS] = { "rss", "RSS", CX_SIZE, "resident set size (Rss)" },
	[C_PSS] = { "pss", "PSS", CX_SIZE, "proportional set size (Pss)" },
	[C_USS] = { "uss", "USS", CX_SIZE, "unique set size (Private_Clean + Private_Dirty)" },
	[C_SWAP] = { "swap", "SWAP", CX_SIZE, "swapped out anonymous memory (Swap)" },
	[C_SWAP_PSS] = { "swap_pss", "SWAPPSS", CX_SIZE, "proportional swap (SwapPss)" },
	[C_PSS_ANON] = { "pss_anon", "PSS_ANON", CX_SIZE, "anonymous PSS (Pss_Anon)" },
	[C_PSS_FILE] = { "pss_file", "PSS_FILE", CX_SIZE, "file-backed PSS (Pss_File)" },
	[C_PSS_SHMEM] = { "pss_shmem", "PSS_SHMEM", CX_SIZE, "shmem PSS (Pss_Shmem)" },
	[C_PSS_DIRTY] = { "pss_dirty", "PSS_DIRTY", CX_SIZE, "dirty PSS (Pss_Dirty)" },
	[C_ANONYMOUS] = { "anonymous", "ANON", CX_SIZE, "anonymous resident (Anonymous)" },
	[C_ANON_HUGE_PAGES] = { "anon_huge_pages", "ANONHUGE", CX_SIZE, "AnonHugePages" },
	[C_LOCKED] = { "locked", "LOCKED", CX_SIZE, "mlocked (Locked)" },
	[C_SHARED_CLEAN] = { "shared_clean", "SHR_CLEAN", CX_SIZE, "Shared_Clean" },
	[C_SHARED_DIRTY] = { "shared_dirty", "SHR_DIRTY", CX_SIZE, "Shared_Dirty" },
	[C_PRIVATE_CLEAN] = { "private_clean", "PRV_CLEAN", CX_SIZE, "Private_Clean" },
	[C_PRIVATE_DIRTY] = { "private_dirty", "PRV_DIRTY", CX_SIZE, "Private_Dirty" },
	[C_REFERENCED] = { "referenced", "REFERENCED", CX_SIZE, "Referenced" },
	[C_KSM] = { "ksm", "KSM", CX_SIZE, "KSM" },
	[C_LAZY_FREE] = { "lazy_free", "LAZYFREE", CX_SIZE, "LazyFree" },
	[C_SHMEM_PMD_MAPPED] = { "shmem_pmd_mapped", "SHMEM_PMD", CX_SIZE, "ShmemPmdMapped" },
	[C_FILE_PMD_MAPPED] = { "file_pmd_mapped", "FILE_PMD", CX_SIZE, "FilePmdMapped" },
	[C_SHARED_HUGETLB] = { "shared_hugetlb", "SHR_HUGETLB", CX_SIZE, "Shared_Hugetlb" },
	[C_PRIVATE_HUGETLB] = { "private_hugetlb", "PRV_HUGETLB", CX_SIZE, "Private_Hugetlb" },
	[C_MINFLT] = { "minflt", "MINFLT", CX_U64, "minor page faults (stat)" },
	[C_MAJFLT] = { "majflt", "MAJFLT", CX_U64, "major page faults (stat)" },
	[C_OOM_SCORE] = { "oom_score", "OOM", CX_INT, "OOM killer badness (oom_score)" },
	[C_OOM_SCORE_ADJ] = { "oom_score_adj", "OOM_ADJ", CX_INT, "oom_score_adj" },
	[C_FRAMES] = { "frames", "FRAMES", CX_SIZE, "distinct physical frames mapped (--exact)" },
	[C_ONLY] = { "only", "ONLY", CX_SIZE, "frames mapped only by the group (--exact)" },
	[C_ONLY_ANON] = { "only_anon", "ONLY_ANON", CX_SIZE, "anonymous part of only (--exact)" },
	[C_ONLY_FILE] = { "only_file", "ONLY_FILE", CX_SIZE,
			  "file and shmem part of only (--exact)" },
};
static size_t ncolumns = C__STATIC;
/* kernel key behind each rollup column (NULL: derived or not from rollup) */
static const char *col_key[C__STATIC + MAX_DYN];

static void init_col_keys(void)
{
	static const struct {
		int col;
		enum vms_key key;
	} map[] = {
		{ C_RSS, VMS_KEY_RSS },
		{ C_PSS, VMS_KEY_PSS },
		{ C_SWAP, VMS_KEY_SWAP },
		{ C_SWAP_PSS, VMS_KEY_SWAP_PSS },
		{ C_PSS_ANON, VMS_KEY_PSS_ANON },
		{ C_PSS_FILE, VMS_KEY_PSS_FILE },
		{ C_PSS_SHMEM, VMS_KEY_PSS_SHMEM },
		{ C_PSS_DIRTY, VMS_KEY_PSS_DIRTY },
		{ C_ANONYMOUS, VMS_KEY_ANONYMOUS },
		{ C_ANON_HUGE_PAGES, VMS_KEY_ANON_HUGE_PAGES },
		{ C_LOCKED, VMS_KEY_LOCKED },
		{ C_SHARED_CLEAN, VMS_KEY_SHARED_CLEAN },
		{ C_SHARED_DIRTY, VMS_KEY_SHARED_DIRTY },
		{ C_PRIVATE_CLEAN, VMS_KEY_PRIVATE_CLEAN },
		{ C_PRIVATE_DIRTY, VMS_KEY_PRIVATE_DIRTY },
		{ C_REFERENCED, VMS_KEY_REFERENCED },
		{ C_KSM, VMS_KEY_KSM },
		{ C_LAZY_FREE, VMS_KEY_LAZY_FREE },
		{ C_SHMEM_PMD_MAPPED, VMS_KEY_SHMEM_PMD_MAPPED },
		{ C_FILE_PMD_MAPPED, VMS_KEY_FILE_PMD_MAPPED },
		{ C_SHARED_HUGETLB, VMS_KEY_SHARED_HUGETLB },
		{ C_PRIVATE_HUGETLB, VMS_KEY_PRIVATE_HUGETLB },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		col_key[map[i].col] = vms_key_name(map[i].key);
}

static bool is_exact_col(size_t c)
{
	return c >= C_FRAMES && c <= C_ONLY_FILE;
}

static bool is_memory_col(size_t c)
{
	return (c >= C_VSZ && c < C_MINFLT) || c >= C__STATIC;
}

/* BY_SET: --exact without --by, the selected processes as one group */
enum by { BY_NONE, BY_USER, BY_PROGRAM, BY_CGROUP, BY_MAPPING, BY_SET };

static struct {
	struct cx_outopts out;
	bool totals;
	enum by by;
	bool tree;
	int *pids;
	size_t npids;
	char **users;
	size_t nusers;
	bool have_regex;
	regex_t regex;
	unsigned long top;
	bool kthreads;
	bool system;
	unsigned int jobs;
	const char *root;
	bool exact;
} ctl;

/* One process as read. */
struct prow {
	pid_t pid;
	bool done; /* memory already read */
	const struct vms_proc_info *info;
	struct vms_counters *roll;
	int err; /* reading its memory: 0 or -errno */
	const char *errfile; /* the file behind err; NULL: smaps_rollup */
	size_t group; /* --exact: index in xgroups */
	bool walk_cut; /* --exact: exited during its page walk, or walk_err */
	int walk_err; /* --exact: the walk failed (-EIO...), not an exit */
	bool named;
	bool taken; /* a background read given to a row of the table */
	bool no_mm; /* kernel thread: no address space */
	char *program; /* --by program key */
	struct cx_strmap *maps; /* --by mapping: name -> struct mfig */
};

struct mfig {
	uint64_t rss, pss, uss, swap, swap_pss;
	pid_t last_pid;
	uint64_t procs;
};

static struct vms_ctx *ctx;
static bool json_all; /* --output-all: JSON carries every figure */

/*
 * A frame the group maps: how many times the group maps it (n), and after
 * the lookups its kpagecount (kc) with two bits of kpageflags.  An open
 * addressing table keyed by PFN; PFNs fit in 55 bits, so UINT64_MAX marks
 * an empty slot.
 */
struct fentry {
	uint64_t pfn;
	uint32_t n;
	uint32_t kc;
};
#define FE_EMPTY UINT64_MAX
#define KC_ANON (UINT32_C(1) << 31) /* kpageflags ANON */
#define KC_DROP (UINT32_C(1) << 30) /* the zero page (kpageflags ZERO_PAGE) */
#define KC_MASK (KC_DROP - 1)

struct fset {
	struct fentry *e;
	size_t mask; /* slots - 1 */
	unsigned int shift; /* 64 - log2(slots) */
	size_t count;
};

struct xgroup {
	pthread_mutex_t lock;
	struct fset set; /* while walking; then its entries, sorted by PFN */
	bool partial; /* a member exited during its walk */
	int lookup_err; /* kpagecount could not be read: ONLY unknown */
	bool split; /* only_anon/only_file known */
	uint64_t frames, only, only_anon, only_file; /* in pages */
};

static struct {
	struct xgroup *groups;
	size_t ngroups;
	struct cx_strmap *by_key; /* group key -> index + 1 */
	uint64_t zero_pfn;
	bool zero_known;
	bool have_flags; /* kpageflags readable */
	const char *flags_reason; /* why not */
	unsigned long page_size;
	char *set_key; /* BY_SET: the key of the one group */
} xs;

static void __attribute__((noreturn)) usage(void)
{
	printf("Usage:\n"
	       " %s [options]\n\n"
	       "Rank processes by memory use, from the kernel's smaps_rollup figures.\n\n"
	       "Options:\n",
	       cx_prog);
	fputs(" -o, --output LIST      columns to print (+LIST adds to the default)\n"
	      "     --output-all       print every column\n"
	      " -J, --json             JSON output\n"
	      "     --format FMT       table, raw, json or openmetrics\n"
	      " -r, --raw              raw output: unaligned, sizes in bytes\n"
	      " -n, --noheadings       do not print a header line\n"
	      " -b, --bytes            sizes in bytes instead of KiB/MiB/GiB\n"
	      " -s, --sort COL         sort by COL (numbers largest first)\n"
	      "     --reverse          reverse the sort order\n"
	      " -t, --totals           add a total row\n"
	      "     --by KEY           group by user, program, cgroup or mapping\n"
	      "     --tree             with --by: list each group's processes\n"
	      "     --exact            per group: distinct physical frames (needs root)\n"
	      " -p, --pid LIST         only these PIDs\n"
	      " -U, --user LIST        only these users (names or uids)\n"
	      " -P, --command REGEX    only commands matching REGEX (extended)\n"
	      " -N, --top N            only the first N rows\n"
	      "     --kthreads         also list kernel threads\n"
	      " -w, --system           whole-system ledger: where MemTotal goes\n"
	      " -j, --jobs N           read with N threads (default: CPUs, at most 8)\n"
	      "     --root DIR         read a snapshot or fixture instead of /proc\n"
	      " -h, --help             display this help\n"
	      " -V, --version          display version\n\n"
	      "Columns:\n",
	      stdout);
	for (size_t i = 0; i < C__STATIC; i++)
		printf(" %16s  %s\n", columns[i].name, columns[i].help);
	printf("\nSee vmrank(1) for details.\n");
	exit(cx_close_stdout() ? CX_EXIT_FAILURE : CX_EXIT_OK);
}

/* ---- dynamic columns: smaps_rollup keys this build does not know ---- */

static struct vms_counters *sample_rollup(void)
{
	struct vms_ptable *t;
	struct vms_counters *c = NULL;

	if (vms_ctx_is_live(ctx) && strcmp(vms_ctx_root(ctx), "/") == 0) {
		struct vms_proc *p;

		if (vms_proc_open(ctx, getpid(), &p) == 0) {
			vms_proc_rollup(p, &c);
			vms_proc_close(p);
		}
		return c;
	}
	if (vms_ptable_read(ctx, 0, &t) < 0)
		return NULL;
	for (size_t i = 0; i < vms_ptable_count(t) && !c; i++) {
		struct vms_proc *p;

		if (vms_proc_open(ctx, vms_ptable_get(t, i)->pid, &p) == 0) {
			vms_proc_rollup(p, &c);
			vms_proc_close(p);
		}
	}
	vms_ptable_free(t);
	return c;
}

static void add_dyn(const char *item, size_t len, void *data)
{
	struct vms_counters **sample = data;
	char snake[128];

	if (cx_column_find(columns, ncolumns, item, len) >= 0)
		return;
	if (!*sample)
		*sample = sample_rollup();
	for (size_t i = 0; *sample && i < vms_counters_count(*sample); i++) {
		const char *key;

		vms_counters_at(*sample, i, &key, NULL, NULL);
		cx_snake_case(key, snake, sizeof(snake));
		if (strlen(snake) == len && strncmp(snake, item, len) == 0 &&
		    ncolumns < C__STATIC + MAX_DYN) {
			char *name = strdup(snake), *hdr = strdup(snake);

			if (!name || !hdr)
				cx_oom();
			for (char *h = hdr; *h; h++)
				*h = (char)(*h >= 'a' && *h <= 'z' ? *h - 32 : *h);
			columns[ncolumns] =
				(struct cx_column){ name, hdr, CX_SIZE, "smaps_rollup key" };
			col_key[ncolumns] = cx_xstrdup(key);
			ncolumns++;
			return;
		}
	}
}

static void add_dynamic_columns(void)
{
	struct vms_counters *sample = NULL;
	const char *lists[2] = { ctl.out.output, ctl.out.sort };

	for (int i = 0; i < 2; i++) {
		const char *l = lists[i];

		if (!l)
			continue;
		if (*l == '+')
			l++;
		if (*l)
			cx_split(l, add_dyn, &sample);
	}
	vms_counters_free(sample);
}

/* ---- reading ---- */

static void read_one(size_t i, void *data)
{
	struct prow *r = &((struct prow *)data)[i];
	struct vms_proc *p;
	int ret;

	if (r->no_mm || r->done)
		return;
	r->done = true;
	ret = vms_proc_open(ctx, r->pid, &p);
	if (ret < 0) {
		r->err = ret;
		return;
	}
	ret = vms_proc_rollup(p, &r->roll);
	r->err = ret;
	if (ret == 0 && ctl.by == BY_PROGRAM) {
		char buf[4096];
		ssize_t n = -1;
		int dfd = vms_proc_openat(p, ".", O_DIRECTORY);

		if (dfd >= 0) {
			n = readlinkat(dfd, "exe", buf, sizeof(buf) - 1);
			close(dfd);
		}
		if (n > 0) {
			buf[n] = '\0';
			r->program = strdup(buf);
		}
	}
	if (ret == 0 && ctl.by == BY_MAPPING) {
		struct vms_maps *it;
		const struct vms_mapping *m;

		r->maps = cx_strmap_new(sizeof(struct mfig));
		ret = vms_maps_open(p, VMS_MAPS_SMAPS, &it);
		if (ret == 0) {
			while (vms_maps_next(it, &m) > 0) {
				const char *name = m->name_len ? m->name : "[anon]";
				size_t nlen = m->name_len ? m->name_len : 6;
				struct mfig *f = cx_strmap_get(r->maps, name, nlen);
				uint64_t v;

				if (vms_counters_get(m->counters, VMS_KEY_RSS, &v) == 0)
					f->rss += v;
				if (vms_counters_get(m->counters, VMS_KEY_PSS, &v) == 0)
					f->pss += v;
				if (vms_counters_get(m->counters, VMS_KEY_PRIVATE_CLEAN, &v) == 0)
					f->uss += v;
				if (vms_counters_get(m->counters, VMS_KEY_PRIVATE_DIRTY, &v) == 0)
					f->uss += v;
				if (vms_counters_get(m->counters, VMS_KEY_SWAP, &v) == 0)
					f->swap += v;
				if (vms_counters_get(m->counters, VMS_KEY_SWAP_PSS, &v) == 0)
					f->swap_pss += v;
			}
			/* the real reason: ENOMEM or EIO is not "vanished" */
			ret = vms_maps_finish(it);
			vms_maps_close(it);
			if (ret < 0) {
				r->err = ret;
				r->errfile = "smaps";
			}
		} else if (ret == -ENOMEM) {
			r->err = ret;
		}
	}
	vms_proc_close(p);
}

static int cmp_prow_pid(const void *a, const void *b)
{
	pid_t x = ((const struct prow *)a)->pid, y = ((const struct prow *)b)->pid;

	return (x > y) - (x < y);
}

static bool user_matches(const struct vms_proc_info *pi)
{
	char uid[16];

	snprintf(uid, sizeof(uid), "%u", pi->uid);
	for (size_t i = 0; i < ctl.nusers; i++)
		if (strcmp(ctl.users[i], uid) == 0 ||
		    (pi->user && strcmp(ctl.users[i], pi->user) == 0))
			return true;
	return false;
}

static bool selected(const struct vms_proc_info *pi, bool *named)
{
	*named = false;
	if (ctl.npids) {
		for (size_t i = 0; i < ctl.npids; i++)
			if (ctl.pids[i] == pi->pid)
				*named = true;
		if (!*named)
			return false;
	}
	if (pi->kthread && !ctl.kthreads && !*named)
		return false;
	if (ctl.nusers && !user_matches(pi))
		return false;
	if (ctl.have_regex && regexec(&ctl.regex, pi->comm, 0, NULL, 0) != 0 &&
	    (!pi->cmdline || regexec(&ctl.regex, pi->cmdline, 0, NULL, 0) != 0))
		return false;
	return true;
}

/* ---- filling rows ---- */

static void fill_memory(struct cx_table *t, size_t row, const struct prow *r)
{
	uint64_t v, pc, pd;

	if (r->info->have & VMS_HAVE_VSZ)
		cx_set_u64(t, row, C_VSZ, r->info->vsz);
	if (r->no_mm || r->err)
		return;
	if (!r->roll) {
		/* zombie: no address space left, every figure is 0 */
		for (size_t c = C_RSS; c < ncolumns; c++)
			if (is_memory_col(c))
				cx_set_u64(t, row, (int)c, 0);
		return;
	}
	for (size_t c = C_RSS; c < ncolumns; c++) {
		if (!col_key[c])
			continue;
		if (vms_counters_find(r->roll, col_key[c], &v) == 0)
			cx_set_u64(t, row, (int)c, v);
	}
	if (vms_counters_get(r->roll, VMS_KEY_PRIVATE_CLEAN, &pc) == 0 &&
	    vms_counters_get(r->roll, VMS_KEY_PRIVATE_DIRTY, &pd) == 0)
		cx_set_u64(t, row, C_USS, pc + pd);
}

static void fill_process(struct cx_table *t, size_t row, const struct prow *r)
{
	const struct vms_proc_info *pi = r->info;
	char st[2] = { pi->state, 0 };
	char uid[16];

	cx_set_int(t, row, C_PID, pi->pid);
	cx_set_int(t, row, C_PPID, pi->ppid);
	cx_set_int(t, row, C_UID, pi->uid);
	snprintf(uid, sizeof(uid), "%u", pi->uid);
	cx_set_str(t, row, C_USER, (pi->have & VMS_HAVE_USER) && pi->user ? pi->user : uid);
	cx_set_str(t, row, C_STATE, st);
	cx_set_str(t, row, C_COMM, pi->comm);
	/* raw; an empty one is shown as [comm] in text output only */
	if (pi->have & VMS_HAVE_CMDLINE)
		cx_set_str(t, row, C_CMDLINE, pi->cmdline);
	if (pi->have & VMS_HAVE_FAULTS) {
		cx_set_u64(t, row, C_MINFLT, pi->minflt);
		cx_set_u64(t, row, C_MAJFLT, pi->majflt);
	}
	if (pi->have & VMS_HAVE_OOM_SCORE)
		cx_set_int(t, row, C_OOM_SCORE, pi->oom_score);
	if (pi->have & VMS_HAVE_OOM_ADJ)
		cx_set_int(t, row, C_OOM_SCORE_ADJ, pi->oom_score_adj);
	fill_memory(t, row, r);
}

static bool is_summed_col(size_t c)
{
	return is_memory_col(c) || c == C_MINFLT || c == C_MAJFLT;
}

/* Add the numeric cells of row @src of @st to row @dst of @dt (null + x = x). */
static void add_row_into(struct cx_table *dt, size_t dst, struct cx_table *st, size_t src)
{
	for (size_t c = C_VSZ; c < ncolumns; c++) {
		struct cx_cell *s = cx_cell(st, src, (int)c), *d = cx_cell(dt, dst, (int)c);

		if (!is_summed_col(c))
			continue;
		if (s->null)
			continue;
		if (d->null) {
			d->null = false;
			d->u = 0;
		}
		d->u += s->u;
	}
}

/* ---- output ---- */

static int sort_column(void)
{
	int c;

	if (!ctl.out.sort)
		return ctl.exact ? C_FRAMES : C_PSS;
	c = cx_column_find(columns, ncolumns, ctl.out.sort, strlen(ctl.out.sort));
	if (c < 0)
		cx_usage_error("unknown sort column: '%s'", ctl.out.sort);
	return c;
}

static void print_openmetrics(const struct cx_table *t, size_t nrows, const char *label)
{
	static const struct {
		int col;
		const char *metric;
		const char *type;
		const char *help;
	} fams[] = {
		{ C_RSS, "rss_bytes", "gauge", "Resident set size (smaps_rollup Rss)." },
		{ C_PSS, "pss_bytes", "gauge", "Proportional set size (smaps_rollup Pss)." },
		{ C_USS, "uss_bytes", "gauge", "Unique set size (Private_Clean + Private_Dirty)." },
		{ C_SWAP, "swap_bytes", "gauge", "Swapped-out memory (smaps_rollup Swap)." },
		{ C_SWAP_PSS, "swap_pss_bytes", "gauge",
		  "Proportional swap (smaps_rollup SwapPss)." },
		{ C_PSS_ANON, "pss_anon_bytes", "gauge", "Anonymous PSS (smaps_rollup Pss_Anon)." },
		{ C_PSS_FILE, "pss_file_bytes", "gauge",
		  "File-backed PSS (smaps_rollup Pss_File)." },
		{ C_PSS_SHMEM, "pss_shmem_bytes", "gauge", "Shmem PSS (smaps_rollup Pss_Shmem)." },
		{ C_MINFLT, "minor_faults", "counter", "Minor page faults (stat minflt)." },
		{ C_MAJFLT, "major_faults", "counter", "Major page faults (stat majflt)." },
		{ C_FRAMES, "frames_bytes", "gauge",
		  "Distinct physical frames the group maps, zero page excluded." },
		{ C_ONLY, "only_bytes", "gauge",
		  "Frames mapped by the group alone (kpagecount equals the group's mappings)." },
		{ C_ONLY_ANON, "only_anon_bytes", "gauge", "Anonymous frames of only." },
		{ C_ONLY_FILE, "only_file_bytes", "gauge", "File and shmem frames of only." },
	};

	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		bool counter = strcmp(fams[f].type, "counter") == 0;
		bool bytes = strstr(fams[f].metric, "_bytes") != NULL;

		if (is_exact_col((size_t)fams[f].col) && !ctl.exact)
			continue;
		printf("# TYPE vmscope_%s_%s %s\n", label, fams[f].metric, fams[f].type);
		if (bytes)
			printf("# UNIT vmscope_%s_%s bytes\n", label, fams[f].metric);
		printf("# HELP vmscope_%s_%s %s\n", label, fams[f].metric, fams[f].help);
		for (size_t r = 0; r < nrows; r++) {
			const struct cx_cell *c = &t->cells[r * t->ncols + (size_t)fams[f].col];
			const struct cx_cell *pid = &t->cells[r * t->ncols + C_PID];

			if (c->null)
				continue;
			printf("vmscope_%s_%s%s{", label, fams[f].metric, counter ? "_total" : "");
			if (!pid->null) {
				char *comm = cx_om_label(t->cells[r * t->ncols + C_COMM].s);
				char *user = cx_om_label(t->cells[r * t->ncols + C_USER].s);

				printf("pid=\"%" PRId64 "\",comm=\"%s\",user=\"%s\"", pid->i, comm,
				       user);
				free(comm);
				free(user);
			} else {
				char *name = cx_om_label(t->cells[r * t->ncols + C_NAME].s);

				printf("%s=\"%s\"", label, name);
				free(name);
			}
			printf("} %" PRIu64 "\n", c->u);
		}
	}
	printf("# EOF\n");
}

struct ledger_row {
	const char *name;
	int64_t bytes;
	const char *source;
};

static int system_ledger(struct prow *rows, size_t n, size_t skipped)
{
	struct vms_counters *mi;
	uint64_t total, sum_anon = 0, sum_file = 0, sum_shmem = 0;
	struct ledger_row lr[24];
	size_t nl = 0;
	int64_t explained = 0;
	int ret = vms_meminfo_read(ctx, &mi);

	if (ret < 0) {
		cx_warn("cannot read meminfo: %s%s", strerror(-ret),
			ret == -ENOENT ? " (not available in this procfs: subset=pid?)" : "");
		return CX_EXIT_FAILURE;
	}
	if (vms_counters_find(mi, "MemTotal", &total) < 0) {
		cx_warn("meminfo has no MemTotal");
		vms_counters_free(mi);
		return CX_EXIT_FAILURE;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		if (!rows[i].roll)
			continue;
		if (vms_counters_get(rows[i].roll, VMS_KEY_PSS_ANON, &v) == 0)
			sum_anon += v;
		if (vms_counters_get(rows[i].roll, VMS_KEY_PSS_FILE, &v) == 0)
			sum_file += v;
		if (vms_counters_get(rows[i].roll, VMS_KEY_PSS_SHMEM, &v) == 0)
			sum_shmem += v;
	}
#define MI(k) (vms_counters_find(mi, k, &v) == 0 ? (int64_t)v : (int64_t)0)
#define HAS(k) (vms_counters_find(mi, k, &v) == 0)
#define ROW(nm, b, src) lr[nl++] = (struct ledger_row){ nm, b, src }
	{
		uint64_t v;

		ROW("processes: anonymous", (int64_t)sum_anon, "sum of smaps_rollup Pss_Anon");
		ROW("processes: file-mapped", (int64_t)sum_file, "sum of smaps_rollup Pss_File");
		ROW("processes: shmem-mapped", (int64_t)sum_shmem, "sum of smaps_rollup Pss_Shmem");
		ROW("page cache, not mapped",
		    MI("Buffers") + MI("Cached") - MI("Shmem") - (int64_t)sum_file,
		    "meminfo Buffers + Cached - Shmem - sum(Pss_File)");
		ROW("shmem/tmpfs, not mapped", MI("Shmem") - (int64_t)sum_shmem,
		    "meminfo Shmem - sum(Pss_Shmem)");
		ROW("swap cache", MI("SwapCached"),
		    "meminfo SwapCached (mapped ones are in Pss_Anon too)");
		ROW("kernel: slab reclaimable", MI("SReclaimable"), "meminfo SReclaimable");
		ROW("kernel: slab unreclaimable", MI("SUnreclaim"), "meminfo SUnreclaim");
		ROW("kernel: page tables", MI("PageTables"), "meminfo PageTables");
		if (HAS("SecPageTables"))
			ROW("kernel: secondary page tables", MI("SecPageTables"),
			    "meminfo SecPageTables");
		ROW("kernel: stacks", MI("KernelStack"), "meminfo KernelStack");
		ROW("kernel: vmalloc", MI("VmallocUsed"),
		    "meminfo VmallocUsed (holds KernelStack too with CONFIG_VMAP_STACK)");
		if (HAS("Percpu"))
			ROW("kernel: percpu", MI("Percpu"), "meminfo Percpu");
		if (HAS("Hugetlb"))
			ROW("hugetlb pool", MI("Hugetlb"), "meminfo Hugetlb");
		else
			ROW("hugetlb pool", MI("HugePages_Total") * MI("Hugepagesize"),
			    "meminfo HugePages_Total * Hugepagesize");
		ROW("free", MI("MemFree"), "meminfo MemFree");
	}
#undef ROW
	for (size_t i = 0; i < nl; i++)
		explained += lr[i].bytes;

	if (ctl.out.format == CX_FMT_JSON) {
		cJSON *doc = cx_json_doc(), *sys = cx_json_object(), *arr = cx_json_array();

		cx_json_str(doc, "root", vms_ctx_root(ctx));
		cx_json_str(doc, "consistency", "per-file, non-atomic");
		cx_json_u64(sys, "mem_total", total);
		for (size_t i = 0; i < nl; i++) {
			cJSON *o = cx_json_object();

			cx_json_str(o, "name", lr[i].name);
			cx_json_int(o, "bytes", lr[i].bytes);
			cx_json_str(o, "source", lr[i].source);
			cJSON_AddItemToArray(arr, o);
		}
		cJSON_AddItemToObject(sys, "rows", arr);
		cx_json_int(sys, "unexplained", (int64_t)total - explained);
		cx_json_u64(sys, "processes_skipped", skipped);
		cJSON_AddItemToObject(doc, "system", sys);
		cx_json_print(doc, stdout);
	} else if (ctl.out.format == CX_FMT_OPENMETRICS) {
		printf("# TYPE vmscope_system_memory_bytes gauge\n"
		       "# UNIT vmscope_system_memory_bytes bytes\n"
		       "# HELP vmscope_system_memory_bytes Where MemTotal goes, by /proc/meminfo source.\n");
		for (size_t i = 0; i < nl; i++) {
			char *l = cx_om_label(lr[i].name);

			printf("vmscope_system_memory_bytes{row=\"%s\"} %" PRId64 "\n", l,
			       lr[i].bytes);
			free(l);
		}
		printf("vmscope_system_memory_bytes{row=\"unexplained\"} %" PRId64 "\n",
		       (int64_t)total - explained);
		printf("# EOF\n");
	} else {
		static const struct cx_column lcols[] = {
			{ "name", "WHERE", CX_STR, "" },
			{ "bytes", "SIZE", CX_INT, "" },
			{ "percent", "%TOTAL", CX_STR, "" },
			{ "source", "SOURCE", CX_STR, "" },
		};
		struct cx_outopts lo = ctl.out;
		struct cx_table t;
		char pct[32], hs[32];

		lo.output = NULL;
		lo.output_all = false;
		cx_table_init(&t, lcols, 4, "name,bytes,percent,source", &lo);
		for (size_t i = 0; i <= nl + 1; i++) {
			size_t r = cx_table_add_row(&t);
			const char *nm = i < nl ? lr[i].name : i == nl ? "unexplained" : "MemTotal";
			int64_t b = i < nl  ? lr[i].bytes :
				    i == nl ? (int64_t)total - explained :
					      (int64_t)total;
			const char *src = i < nl  ? lr[i].source :
					  i == nl ? "MemTotal - every row above" :
						    "meminfo MemTotal";

			cx_set_str(&t, r, 0, nm);
			if (ctl.out.bytes || ctl.out.format == CX_FMT_RAW) {
				cx_set_int(&t, r, 1, b);
			} else {
				/* a signed human size: the "not mapped" rows can go negative */
				cx_human_size((uint64_t)(b < 0 ? -b : b), hs, sizeof(hs));
				if (b < 0) {
					char neg[40];

					snprintf(neg, sizeof(neg), "-%s", hs);
					cx_set_str(&t, r, 1, neg);
				} else {
					cx_set_str(&t, r, 1, hs);
				}
				cx_cell(&t, r, 1)->null = false;
			}
			snprintf(pct, sizeof(pct), "%.1f",
				 total ? 100.0 * (double)b / (double)total : 0.0);
			cx_set_str(&t, r, 2, pct);
			cx_set_str(&t, r, 3, src);
		}
		if (!(ctl.out.bytes || ctl.out.format == CX_FMT_RAW)) {
			/* print sizes as text: a local column set with a string SIZE */
			static const struct cx_column hcols[] = {
				{ "name", "WHERE", CX_STR, "" },
				{ "bytes", "SIZE", CX_STR, "" },
				{ "percent", "%TOTAL", CX_STR, "" },
				{ "source", "SOURCE", CX_STR, "" },
			};
			t.cols = hcols;
		}
		cx_table_print(&t, &ctl.out, stdout);
		t.cols = lcols;
		if (!(ctl.out.bytes || ctl.out.format == CX_FMT_RAW))
			for (size_t r = 0; r < t.nrows; r++)
				free(cx_cell(&t, r, 1)->s), cx_cell(&t, r, 1)->null = true;
		cx_table_free(&t);
		if (skipped)
			cx_warn("%zu processes could not be read: their memory is in \"unexplained\"",
				skipped);
	}
	vms_counters_free(mi);
#undef MI
#undef HAS
	return CX_EXIT_OK;
}

static const char *group_key(const struct prow *r, char *buf, size_t len)
{
	switch (ctl.by) {
	case BY_USER:
		if (r->info->user)
			return r->info->user;
		snprintf(buf, len, "%u", r->info->uid);
		return buf;
	case BY_PROGRAM:
		return r->program ? r->program : r->info->comm;
	case BY_CGROUP:
		return r->info->cgroup ? r->info->cgroup : "-";
	case BY_SET:
		return xs.set_key;
	default:
		return "";
	}
}

/*
 * Processes denied (EACCES, EPERM) that libproc2 left out of the table: the
 * stderr summary counts them, so "skipped" lists them too.
 */
static struct untabled {
	pid_t pid;
	int err;
} * untabled_procs;
static size_t n_untabled, cap_untabled;

static void json_skipped(cJSON *doc, const struct prow *rows, size_t n)
{
	cJSON *arr = cx_json_array();

	for (size_t i = 0; i < n_untabled; i++) {
		cJSON *o = cx_json_object();

		cx_json_int(o, "pid", untabled_procs[i].pid);
		cx_json_str(o, "file", "stat");
		cx_json_str(o, "errno", cx_errno_name(untabled_procs[i].err));
		cx_json_str(o, "reason", cx_errno_reason(untabled_procs[i].err));
		cJSON_AddItemToArray(arr, o);
	}

	/* named PIDs that were not there at all */
	for (size_t i = 0; i < ctl.npids; i++) {
		bool found = false;
		cJSON *o;
		int err;

		for (size_t j = 0; j < n && !found; j++)
			found = rows[j].info->pid == ctl.pids[i];
		if (found)
			continue;
		err = cx_missing_errno(ctx, ctl.pids[i]);
		o = cx_json_object();
		cx_json_int(o, "pid", ctl.pids[i]);
		cx_json_str(o, "file", "stat");
		cx_json_str(o, "errno", cx_errno_name(err));
		cx_json_str(o, "reason", cx_errno_reason(err));
		cJSON_AddItemToArray(arr, o);
	}

	for (size_t i = 0; i < n; i++) {
		cJSON *o;

		if (!rows[i].err)
			continue;
		o = cx_json_object();
		cx_json_int(o, "pid", rows[i].info->pid);
		cx_json_str(o, "file", rows[i].errfile ? rows[i].errfile : "smaps_rollup");
		cx_json_str(o, "errno", cx_errno_name(rows[i].err));
		cx_json_str(o, "reason", cx_errno_reason(rows[i].err));
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_AddItemToObject(doc, "skipped", arr);
}

static void json_process(cJSON *arr, const struct cx_table *t, size_t row)
{
	cJSON *o = cx_json_object();
	static const int ident[] = { C_PID, C_PPID, C_UID, C_USER, C_COMM, C_CMDLINE, C_STATE };

	for (size_t i = 0; i < sizeof(ident) / sizeof(ident[0]); i++) {
		const struct cx_cell *c = &t->cells[row * t->ncols + (size_t)ident[i]];

		if (columns[ident[i]].type == CX_STR)
			cx_json_str(o, columns[ident[i]].name, c->null ? NULL : c->s);
		else if (c->null)
			cJSON_AddNullToObject(o, columns[ident[i]].name);
		else
			cx_json_int(o, columns[ident[i]].name, c->i);
	}
	/* every figure by default; only the asked-for ones with -o */
	cx_json_row(o, t, row, !ctl.out.output || json_all);
	cJSON_DeleteItemFromObjectCaseSensitive(o, "name");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "procs");
	/* group figures: a member has none of its own */
	for (size_t c = C_FRAMES; c <= C_ONLY_FILE; c++)
		cJSON_DeleteItemFromObjectCaseSensitive(o, columns[c].name);
	cJSON_AddItemToArray(arr, o);
}

/* Group rows from the process rows, keyed by their NAME cell. */
static void build_groups(struct cx_table *pt, struct cx_table *gt)
{
	struct cx_strmap *m = cx_strmap_new(sizeof(size_t)); /* group row + 1 */

	for (size_t i = 0; i < pt->nrows; i++) {
		const char *k = cx_cell(pt, i, C_NAME)->s;
		size_t *g = cx_strmap_get(m, k, strlen(k));
		struct cx_cell *procs;

		if (!*g) {
			size_t r = cx_table_add_row(gt);

			cx_set_str(gt, r, C_NAME, k);
			cx_set_u64(gt, r, C_PROCS, 0);
			*g = r + 1;
		}
		add_row_into(gt, *g - 1, pt, i);
		procs = cx_cell(gt, *g - 1, C_PROCS);
		procs->u++;
	}
	cx_strmap_free(m);
}

static void build_mapping_groups(struct prow *rows, size_t n, struct cx_table *gt)
{
	struct cx_strmap *all = cx_strmap_new(sizeof(struct mfig));

	for (size_t i = 0; i < n; i++) {
		if (!rows[i].maps)
			continue;
		for (size_t j = 0; j < cx_strmap_count(rows[i].maps); j++) {
			const char *k;
			struct mfig *f = cx_strmap_at(rows[i].maps, j, &k);
			struct mfig *a = cx_strmap_get(all, k, strlen(k));

			a->rss += f->rss;
			a->pss += f->pss;
			a->uss += f->uss;
			a->swap += f->swap;
			a->swap_pss += f->swap_pss;
			a->procs++;
		}
	}
	for (size_t j = 0; j < cx_strmap_count(all); j++) {
		const char *k;
		struct mfig *a = cx_strmap_at(all, j, &k);
		size_t r = cx_table_add_row(gt);

		cx_set_str(gt, r, C_NAME, k);
		cx_set_u64(gt, r, C_PROCS, a->procs);
		cx_set_u64(gt, r, C_RSS, a->rss);
		cx_set_u64(gt, r, C_PSS, a->pss);
		cx_set_u64(gt, r, C_USS, a->uss);
		cx_set_u64(gt, r, C_SWAP, a->swap);
		cx_set_u64(gt, r, C_SWAP_PSS, a->swap_pss);
	}
	cx_strmap_free(all);
}

/* ---- --exact: the distinct physical frames of each group ---- */

static inline size_t fset_slot(const struct fset *s, uint64_t pfn)
{
	/* Fibonacci hashing: runs of consecutive PFNs spread over the table */
	return (size_t)((pfn * UINT64_C(0x9e3779b97f4a7c15)) >> s->shift);
}

static void fset_init(struct fset *s, unsigned int bits)
{
	size_t slots = (size_t)1 << bits;

	s->e = malloc(slots * sizeof(*s->e));
	if (!s->e) {
		cx_warn("out of memory");
		exit(CX_EXIT_FAILURE);
	}
	memset(s->e, 0xff, slots * sizeof(*s->e));
	s->mask = slots - 1;
	s->shift = 64 - bits;
	s->count = 0;
}

static struct fentry *fset_add(struct fset *s, uint64_t pfn, uint32_t n);

static void fset_grow(struct fset *s)
{
	struct fset old = *s;

	fset_init(s, 64 - old.shift + 1);
	for (size_t i = 0; i <= old.mask; i++)
		if (old.e[i].pfn != FE_EMPTY)
			fset_add(s, old.e[i].pfn, old.e[i].n)->kc = old.e[i].kc;
	free(old.e);
}

/* Count @n more mappings of @pfn; returns its entry. */
static struct fentry *fset_add(struct fset *s, uint64_t pfn, uint32_t n)
{
	size_t i;

	/* at most 3/4 full: linear probing stays short */
	if ((s->count + 1) * 4 > (s->mask + 1) * 3)
		fset_grow(s);
	for (i = fset_slot(s, pfn);; i = (i + 1) & s->mask) {
		struct fentry *e = &s->e[i];

		if (e->pfn == pfn) {
			e->n += n;
			return e;
		}
		if (e->pfn == FE_EMPTY) {
			e->pfn = pfn;
			e->n = n;
			e->kc = 0;
			s->count++;
			return e;
		}
	}
}

/* Move the entries to the front of the table and sort them by PFN (LSD radix). */
static void fset_sort(struct fset *s)
{
	struct fentry *a = s->e, *tmp;
	size_t n = 0, cnt[2048];
	uint64_t maxpfn = 0;

	for (size_t i = 0; i <= s->mask; i++)
		if (a[i].pfn != FE_EMPTY) {
			a[n++] = a[i];
			if (a[i].pfn > maxpfn)
				maxpfn = a[i].pfn;
		}
	s->count = n;
	if (n < 2)
		return;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp) {
		cx_warn("out of memory");
		exit(CX_EXIT_FAILURE);
	}
	/* sorted runs of PFNs let the kpage lookups read long stretches at once */
	for (unsigned int sh = 0; sh < 64 && (maxpfn >> sh); sh += 11) {
		size_t sum = 0;

		memset(cnt, 0, sizeof(cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(a[i].pfn >> sh) & 2047]++;
		for (size_t d = 0; d < 2048; d++) {
			size_t c = cnt[d];

			cnt[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[cnt[(a[i].pfn >> sh) & 2047]++] = a[i];
		memcpy(a, tmp, n * sizeof(*a));
	}
	free(tmp);
}

/* Frames of one process, handed to its group in batches under the group's lock. */
struct xbatch {
	struct xgroup *g;
	uint64_t *pfn;
	size_t n;
};
#define XBATCH 8192

static void xbatch_flush(struct xbatch *b)
{
	if (!b->n)
		return;
	pthread_mutex_lock(&b->g->lock);
	for (size_t i = 0; i < b->n; i++)
		fset_add(&b->g->set, b->pfn[i], 1);
	pthread_mutex_unlock(&b->g->lock);
	b->n = 0;
}

/* Walk one mapping: 0, -ESRCH when the process exited during the walk, or the error. */
static int walk_mapping(struct vms_pagemap *pm, const struct vms_mapping *m, struct xbatch *b)
{
	struct vms_pagewalk *w;
	struct vms_page_run run;
	bool complete = true;
	int ret;

	ret = vms_pagewalk_open(pm, m->start, m->end, VMS_WALK_ENTRIES, &w);
	if (ret < 0)
		return ret;
	while ((ret = vms_pagewalk_next(w, &run)) > 0) {
		size_t n;

		if (run.flags & VMS_RUN_UNKNOWN)
			complete = false;
		if (!(run.flags & VMS_RUN_PRESENT) || !run.entries)
			continue;
		n = (size_t)((run.end - run.start) / xs.page_size);
		for (size_t i = 0; i < n; i++) {
			uint64_t pfn = run.entries[i] & VMS_PM_PFN_MASK;

			/* the zero page belongs to no one: reading a hole maps it */
			if (xs.zero_known && pfn == xs.zero_pfn)
				continue;
			b->pfn[b->n++] = pfn;
			if (b->n == XBATCH)
				xbatch_flush(b);
		}
	}
	if (ret == 0 && vms_pagewalk_finish(w) < 0)
		complete = false;
	vms_pagewalk_close(w);
	return ret < 0 ? ret : complete ? 0 : -ESRCH;
}

static void walk_one(size_t i, void *data)
{
	struct prow *r = &((struct prow *)data)[i];
	struct xbatch b = { .g = &xs.groups[r->group] };
	struct vms_proc *p;
	struct vms_pagemap *pm;
	struct vms_maps *it;
	const struct vms_mapping *m;
	int ret;

	/* skipped, kernel thread or zombie: nothing mapped to walk */
	if (r->err || r->no_mm || !r->roll)
		return;
	ret = vms_proc_open(ctx, r->pid, &p);
	if (ret < 0)
		goto fail;
	ret = vms_pagemap_open(p, &pm);
	if (ret < 0)
		goto close_proc;
	ret = vms_maps_open(p, 0, &it);
	if (ret < 0)
		goto close_pagemap;
	b.pfn = malloc(XBATCH * sizeof(*b.pfn));
	if (!b.pfn)
		cx_oom();
	while ((ret = vms_maps_next(it, &m)) > 0) {
		/* [vsyscall] lies in the kernel's half: no pagemap behind it */
		if (m->start >> 63)
			continue;
		ret = walk_mapping(pm, m, &b);
		if (ret == -ENOMEM)
			cx_oom();
		if (ret < 0)
			r->walk_cut = true;
		if (ret < 0 && ret != -ESRCH && !r->walk_err)
			r->walk_err = ret;
	}
	if (ret == -ENOMEM)
		cx_oom();
	if (ret < 0 || vms_maps_finish(it) < 0)
		r->walk_cut = true;
	if (ret < 0 && ret != -ESRCH && !r->walk_err)
		r->walk_err = ret;
	xbatch_flush(&b);
	free(b.pfn);
	vms_maps_close(it);
	vms_pagemap_close(pm);
	vms_proc_close(p);
	if (r->walk_cut) {
		pthread_mutex_lock(&b.g->lock);
		b.g->partial = true;
		pthread_mutex_unlock(&b.g->lock);
	}
	return;

close_pagemap:
	vms_pagemap_close(pm);
close_proc:
	vms_proc_close(p);
fail:
	/* gone or denied before the walk began: skipped, like a failed rollup */
	r->err = ret;
	r->errfile = "pagemap";
}

#define XCHUNK 65536

/* kpagecount (and kpageflags) of every frame of group @i, then its figures. */
static void lookup_group(size_t i, void *data)
{
	struct xgroup *g = &xs.groups[i];
	struct vms_kpage *k;
	uint64_t *pfn, *kc, *fl, *fpfn, *fout;
	size_t *fidx;
	int ret;

	fset_sort(&g->set);
	g->split = xs.have_flags;
	if (!g->set.count)
		return;
	ret = vms_kpage_open(ctx, &k);
	/* zeroed: no slot that a lookup left alone is ever read uninitialised */
	pfn = calloc(5 * XCHUNK, sizeof(*pfn));
	fidx = malloc(XCHUNK * sizeof(*fidx));
	if (ret < 0 || !pfn || !fidx) {
		cx_warn("out of memory");
		exit(CX_EXIT_FAILURE);
	}
	kc = pfn + XCHUNK;
	fl = kc + XCHUNK;
	fpfn = fl + XCHUNK;
	fout = fpfn + XCHUNK;
	for (size_t off = 0; off < g->set.count; off += XCHUNK) {
		struct fentry *e = g->set.e + off;
		size_t n = g->set.count - off < XCHUNK ? g->set.count - off : XCHUNK;

		for (size_t j = 0; j < n; j++)
			pfn[j] = e[j].pfn;
		ret = vms_kpage_lookup(k, VMS_KPAGE_COUNT, pfn, n, kc, NULL);
		if (ret < 0) {
			g->lookup_err = ret;
			memset(kc, 0, n * sizeof(*kc));
		}
		if (g->split) {
			size_t m = 0;

			/*
			 * Flags only where they tell something: frames in ONLY
			 * (anon or file), frames with no map count (the huge zero
			 * page), and with -t those more groups may share.
			 */
			for (size_t j = 0; j < n; j++) {
				fl[j] = 0;
				if (kc[j] == 0 || kc[j] == e[j].n ||
				    (ctl.totals && kc[j] > e[j].n)) {
					fidx[m] = j;
					fpfn[m++] = pfn[j];
				}
			}
			if (vms_kpage_lookup(k, VMS_KPAGE_FLAGS, fpfn, m, fout, NULL) < 0)
				g->split = false;
			for (size_t j = 0; g->split && j < m; j++)
				fl[fidx[j]] = fout[j];
		}
		for (size_t j = 0; j < n; j++) {
			uint32_t c = kc[j] > KC_MASK ? KC_MASK : (uint32_t)kc[j];

			if (g->split && (fl[j] >> VMS_KPF_ZERO_PAGE) & 1) {
				/* the huge zero page, or the zero page when its PFN is unknown */
				e[j].kc = KC_DROP;
				continue;
			}
			if (g->split && (fl[j] >> VMS_KPF_ANON) & 1)
				c |= KC_ANON;
			e[j].kc = c;
			g->frames++;
			/* every mapping of the frame is one of ours */
			if ((c & KC_MASK) != e[j].n)
				continue;
			g->only++;
			if (c & KC_ANON)
				g->only_anon++;
			else
				g->only_file++;
		}
	}
	free(pfn);
	free(fidx);
	vms_kpage_close(k);
}

/* Exit when the context cannot see frames and their map counts. */
static void exact_check_caps(void)
{
	unsigned int caps = vms_ctx_caps(ctx);

	if (!(caps & VMS_CAP_PFN)) {
		cx_warn("--exact needs the physical frame numbers of pagemap: %s",
			vms_ctx_cap_reason(ctx, VMS_CAP_PFN));
		exit(CX_EXIT_FAILURE);
	}
	if (!(caps & VMS_CAP_KPAGECOUNT)) {
		cx_warn("--exact needs /proc/kpagecount: %s",
			vms_ctx_cap_reason(ctx, VMS_CAP_KPAGECOUNT));
		exit(CX_EXIT_FAILURE);
	}
	xs.have_flags = caps & VMS_CAP_KPAGEFLAGS;
	if (!xs.have_flags)
		xs.flags_reason = vms_ctx_cap_reason(ctx, VMS_CAP_KPAGEFLAGS);
	xs.zero_known = vms_ctx_zero_pfn(ctx, &xs.zero_pfn) == 0;
	xs.page_size = vms_ctx_page_size(ctx);
}

/*
 * Walk the page tables of every process read (rows without an error), each
 * into its group's table, then look up the frames.  A process that cannot
 * be walked at all becomes a skipped row.
 */
static void exact_run(struct prow *rows, size_t nrows)
{
	char buf[32];

	xs.by_key = cx_strmap_new(sizeof(size_t));
	for (size_t i = 0; i < nrows; i++) {
		const char *k;
		size_t *g;

		if (rows[i].err)
			continue;
		k = group_key(&rows[i], buf, sizeof(buf));
		g = cx_strmap_get(xs.by_key, k, strlen(k));
		if (!*g)
			*g = ++xs.ngroups;
		rows[i].group = *g - 1;
	}
	xs.groups = calloc(xs.ngroups + 1, sizeof(*xs.groups));
	if (!xs.groups) {
		cx_warn("out of memory");
		exit(CX_EXIT_FAILURE);
	}
	for (size_t i = 0; i < xs.ngroups; i++) {
		pthread_mutex_init(&xs.groups[i].lock, NULL);
		fset_init(&xs.groups[i].set, 12);
	}
	cx_parallel_for(nrows, ctl.jobs, walk_one, rows);
	/* a snapshot's binary extract that cannot be read: the snapshot is corrupt */
	for (size_t i = 0; i < nrows; i++)
		if (rows[i].err == -EPROTO) {
			cx_warn("%s: corrupt or unsupported snapshot: pid %d: pagemap",
				vms_ctx_root(ctx), rows[i].pid);
			exit(CX_EXIT_FAILURE);
		}
	cx_parallel_for(xs.ngroups, ctl.jobs, lookup_group, NULL);
	for (size_t i = 0; i < xs.ngroups; i++)
		if (xs.groups[i].lookup_err == -EPROTO) {
			cx_warn("%s: corrupt or unsupported snapshot: kpagecount",
				vms_ctx_root(ctx));
			exit(CX_EXIT_FAILURE);
		}
	if (!xs.have_flags && xs.ngroups)
		cx_warn("only_anon and only_file unavailable: %s", xs.flags_reason);
	if (!xs.have_flags && !xs.zero_known)
		cx_warn("the zero page cannot be told apart: frames may count it");
	for (size_t i = 0; i < xs.ngroups; i++)
		if (xs.groups[i].lookup_err) {
			cx_warn("cannot read kpagecount: %s: only is unknown",
				strerror(-xs.groups[i].lookup_err));
			break;
		}
}

/* Report the processes that exited during their walk; true if one was named. */
static bool exact_report_cut(const struct prow *rows, size_t n)
{
	size_t cut = 0, failed = 0;
	bool named = false;

	for (size_t i = 0; i < n; i++) {
		if (!rows[i].walk_cut || rows[i].err)
			continue;
		if (rows[i].named && rows[i].walk_err) {
			cx_warn("pid %d: page walk: %s: the figures of its group are partial",
				rows[i].pid, strerror(-rows[i].walk_err));
			named = true;
		} else if (rows[i].named) {
			cx_warn("pid %d exited during its page walk: the figures of its group are partial",
				rows[i].pid);
			named = true;
		} else if (rows[i].walk_err) {
			failed++;
		} else {
			cut++;
		}
	}
	if (cut)
		cx_warn("%zu %s exited during the page walk: the figures of their groups are partial",
			cut, cut == 1 ? "process" : "processes");
	if (failed)
		cx_warn("%zu %s could not be walked (read error): the figures of their groups are "
			"partial",
			failed, failed == 1 ? "process" : "processes");
	return named;
}

static const struct xgroup *xgroup_of(struct cx_table *t, size_t row)
{
	const char *k = cx_cell(t, row, C_NAME)->s;
	size_t *g = k ? cx_strmap_find(xs.by_key, k, strlen(k)) : NULL;

	return g ? &xs.groups[*g - 1] : NULL;
}

static void set_exact_cells(struct cx_table *t, size_t row, uint64_t frames, uint64_t only,
			    uint64_t anon, uint64_t file, bool only_known, bool split)
{
	uint64_t ps = xs.page_size;

	cx_set_u64(t, row, C_FRAMES, frames * ps);
	if (!only_known)
		return;
	cx_set_u64(t, row, C_ONLY, only * ps);
	if (!split)
		return;
	cx_set_u64(t, row, C_ONLY_ANON, anon * ps);
	cx_set_u64(t, row, C_ONLY_FILE, file * ps);
}

/* The group rows of @gt get their figures. */
static void exact_fill(struct cx_table *gt)
{
	for (size_t r = 0; r < gt->nrows; r++) {
		const struct xgroup *g = xgroup_of(gt, r);

		if (g)
			set_exact_cells(gt, r, g->frames, g->only, g->only_anon, g->only_file,
					!g->lookup_err, g->split);
	}
}

/*
 * The total of the first @shown groups of @t into row @tr: not a sum (two
 * groups can map the same frame) but the union of their frames, each with
 * its map counts added up.
 */
static bool exact_totals(struct cx_table *t, size_t shown, size_t tr)
{
	struct fset all;
	uint64_t frames = 0, only = 0, anon = 0, file = 0;
	bool known = true, split = xs.have_flags, partial = false;

	fset_init(&all, 12);
	for (size_t r = 0; r < shown; r++) {
		const struct xgroup *g = xgroup_of(t, r);

		if (!g)
			continue;
		known &= !g->lookup_err;
		split &= g->split;
		partial |= g->partial;
		for (size_t i = 0; i < g->set.count; i++) {
			const struct fentry *e = &g->set.e[i];

			if (!(e->kc & KC_DROP))
				fset_add(&all, e->pfn, e->n)->kc = e->kc;
		}
	}
	for (size_t i = 0; i <= all.mask; i++) {
		const struct fentry *e = &all.e[i];

		if (e->pfn == FE_EMPTY)
			continue;
		frames++;
		if ((e->kc & KC_MASK) != e->n)
			continue;
		only++;
		if (e->kc & KC_ANON)
			anon++;
		else
			file++;
	}
	free(all.e);
	set_exact_cells(t, tr, frames, only, anon, file, known, split);
	return partial;
}

static void exact_free(void)
{
	for (size_t i = 0; i < xs.ngroups; i++) {
		pthread_mutex_destroy(&xs.groups[i].lock);
		free(xs.groups[i].set.e);
	}
	free(xs.groups);
	cx_strmap_free(xs.by_key);
}

/* @untabled: processes denied (EACCES, EPERM) that are not in the table at all. */
static void report_skipped(const struct prow *rows, size_t n, const size_t untabled[2])
{
	size_t denied = untabled[0], eperm = untabled[1], vanished = 0, missing = 0, other = 0;

	for (size_t i = 0; i < n; i++) {
		int e = rows[i].err;

		if (!e)
			continue;
		/* not the process's fault: the ranking would silently lack it */
		if (e == -ENOMEM)
			cx_oom();
		if (e == -EMFILE || e == -ENFILE)
			cx_fd_exhausted(e);
		if (rows[i].named) {
			cx_proc_error(rows[i].info->pid,
				      rows[i].errfile ? rows[i].errfile : "smaps_rollup", e);
			continue;
		}
		if (e == -EACCES)
			denied++;
		else if (e == -EPERM)
			eperm++;
		else if (e == -ESRCH)
			vanished++;
		else if (e == -ENOENT)
			missing++;
		else
			other++;
	}
#define PROCS(n) (n), (n) == 1 ? "process" : "processes"
	if (denied)
		cx_warn("%zu %s not readable: permission denied; run as root to see all",
			PROCS(denied));
	if (eperm)
		cx_warn("%zu %s not readable: operation not permitted (procfs hidepid?)",
			PROCS(eperm));
	if (vanished)
		cx_warn("%zu %s vanished while being read", PROCS(vanished));
	if (missing)
		cx_warn("%zu %s without smaps_rollup in the snapshot (not captured)",
			PROCS(missing));
	if (other)
		cx_warn("%zu %s could not be read", PROCS(other));
#undef PROCS
}

static void json_figures(cJSON *o, struct cx_table *t, size_t r, bool skip_null)
{
	for (size_t c = C_VSZ; c < ncolumns; c++) {
		const struct cx_cell *cell = cx_cell(t, r, (int)c);

		if (!is_summed_col(c) || (skip_null && cell->null))
			continue;
		if (cell->null)
			cJSON_AddNullToObject(o, columns[c].name);
		else
			cx_json_u64(o, columns[c].name, cell->u);
	}
}

/* Sum the first @n rows of @t into a new last row; returns its index. */
static size_t add_totals(struct cx_table *t, size_t n)
{
	size_t tr = cx_table_add_row(t);

	for (size_t r = 0; r < n; r++)
		add_row_into(t, tr, t, r);
	return tr;
}

static void copy_row(struct cx_table *dt, size_t dr, struct cx_table *st, size_t sr)
{
	for (size_t c = 0; c < ncolumns; c++) {
		struct cx_cell *s = cx_cell(st, sr, (int)c);

		if (s->null)
			continue;
		if (columns[c].type == CX_STR)
			cx_set_str(dt, dr, (int)c, s->s);
		else
			*cx_cell(dt, dr, (int)c) = *s;
	}
}

static const char *group_defaults(void)
{
	return ctl.exact ? "name,procs,frames,only,only_anon,only_file,pss,rss" :
			   "name,procs,swap,uss,pss,rss";
}

/* The --exact figures of row @r: null when unknown (the reason is in the notes). */
static void json_exact(cJSON *o, struct cx_table *t, size_t r, bool partial)
{
	for (size_t c = C_FRAMES; c <= C_ONLY_FILE; c++) {
		const struct cx_cell *cell = cx_cell(t, r, (int)c);

		if (cell->null)
			cJSON_AddNullToObject(o, columns[c].name);
		else
			cx_json_u64(o, columns[c].name, cell->u);
	}
	cJSON_AddBoolToObject(o, "partial", partial);
}

static void json_exact_notes(cJSON *doc)
{
	cJSON *n = cx_json_object();

	cx_json_u64(n, "page_size", xs.page_size);
	/* not the PFN itself: physical addresses stay out of files others may read */
	cJSON_AddBoolToObject(n, "zero_page_known", xs.zero_known || xs.have_flags);
	if (!xs.have_flags)
		cx_json_str(n, "only_split_unavailable", xs.flags_reason);
	for (size_t i = 0; i < xs.ngroups; i++)
		if (xs.groups[i].lookup_err) {
			cx_json_str(n, "only_unavailable", strerror(-xs.groups[i].lookup_err));
			break;
		}
	cJSON_AddItemToObject(doc, "exact", n);
}

static int print_result(struct cx_table *t, struct cx_table *out, struct prow *rows, size_t nrows)
{
	static const char *const bys[] = { "process", "user",	 "program",
					   "cgroup",  "mapping", "selection" };
	int sc = sort_column();
	size_t shown;

	cx_table_sort(out, sc, ctl.out.reverse);
	if (out != t)
		cx_table_sort(t, sc, ctl.out.reverse);
	if (ctl.top)
		cx_table_truncate(out, ctl.top);
	shown = out->nrows;

	if (ctl.out.format == CX_FMT_JSON) {
		cJSON *doc = cx_json_doc(), *arr = cx_json_array();

		cx_json_str(doc, "root", vms_ctx_root(ctx));
		cx_json_str(doc, "consistency", "per-file, non-atomic");
		for (size_t r = 0; r < shown; r++) {
			cJSON *o;

			if (ctl.by == BY_NONE) {
				json_process(arr, t, r);
				continue;
			}
			o = cx_json_object();
			if (ctl.by != BY_MAPPING)
				cx_json_str(o, "by", bys[ctl.by]);
			cx_json_str(o, ctl.by == BY_MAPPING ? "name" : "key",
				    cx_cell(out, r, C_NAME)->s);
			cx_json_u64(o, "processes", cx_cell(out, r, C_PROCS)->u);
			json_figures(o, out, r, ctl.by == BY_MAPPING);
			if (ctl.exact)
				json_exact(o, out, r, xgroup_of(out, r)->partial);
			if (ctl.tree) {
				cJSON *mem = cx_json_array();

				for (size_t i = 0; i < t->nrows; i++)
					if (strcmp(cx_cell(t, i, C_NAME)->s,
						   cx_cell(out, r, C_NAME)->s) == 0)
						json_process(mem, t, i);
				cJSON_AddItemToObject(o, "members", mem);
			}
			cJSON_AddItemToArray(arr, o);
		}
		cJSON_AddItemToObject(doc,
				      ctl.by == BY_NONE	   ? "processes" :
				      ctl.by == BY_MAPPING ? "mappings" :
							     "groups",
				      arr);
		if (ctl.totals) {
			cJSON *to = cx_json_object();

			size_t tr = add_totals(out, shown);

			json_figures(to, out, tr, ctl.by == BY_MAPPING);
			if (ctl.exact)
				json_exact(to, out, tr, exact_totals(out, shown, tr));
			cJSON_AddItemToObject(doc, "totals", to);
		}
		if (ctl.exact)
			json_exact_notes(doc);
		json_skipped(doc, rows, nrows);
		return cx_json_print(doc, stdout) ? CX_EXIT_FAILURE : CX_EXIT_OK;
	}
	if (ctl.out.format == CX_FMT_OPENMETRICS) {
		print_openmetrics(out, shown, bys[ctl.by]);
		return CX_EXIT_OK;
	}
	/* text: an empty command line (argc == 0 exec, kernel thread) as ps shows it */
	for (size_t r = 0; r < t->nrows; r++) {
		struct cx_cell *cmd = cx_cell(t, r, C_CMDLINE);

		if (!cmd->null && !cmd->s[0]) {
			const char *comm = cx_cell(t, r, C_COMM)->s;
			char *b = malloc(strlen(comm) + 3);

			if (!b)
				exit(CX_EXIT_FAILURE);
			sprintf(b, "[%s]", comm);
			cx_set_str(t, r, C_CMDLINE, b);
			free(b);
		}
	}
	if (ctl.tree) {
		/* groups with their processes under them, labelled "PID COMM" */
		struct cx_table tt;

		cx_table_init(&tt, columns, ncolumns, group_defaults(), &ctl.out);
		for (size_t r = 0; r < shown; r++) {
			copy_row(&tt, cx_table_add_row(&tt), out, r);
			for (size_t i = 0; i < t->nrows; i++) {
				size_t mr;
				char label[64];

				if (strcmp(cx_cell(t, i, C_NAME)->s, cx_cell(out, r, C_NAME)->s) !=
				    0)
					continue;
				mr = cx_table_add_row(&tt);
				copy_row(&tt, mr, t, i);
				tt.indent[mr] = 1;
				snprintf(label, sizeof(label), "%" PRId64 " %s",
					 cx_cell(t, i, C_PID)->i, cx_cell(t, i, C_COMM)->s);
				cx_set_str(&tt, mr, C_NAME, label);
			}
		}
		if (ctl.totals) {
			size_t tr = add_totals(out, shown);
			uint64_t procs = 0;

			if (ctl.exact)
				exact_totals(out, shown, tr);

			for (size_t r = 0; r < shown; r++)
				procs += cx_cell(out, r, C_PROCS)->u;
			copy_row(&tt, cx_table_add_row(&tt), out, tr);
			cx_set_str(&tt, tt.nrows - 1, C_NAME, "TOTAL");
			cx_set_u64(&tt, tt.nrows - 1, C_PROCS, procs);
		}
		cx_table_print(&tt, &ctl.out, stdout);
		cx_table_free(&tt);
		return CX_EXIT_OK;
	}
	if (ctl.totals) {
		size_t tr = add_totals(out, shown);

		if (ctl.exact)
			exact_totals(out, shown, tr);
		cx_set_str(out, tr, ctl.by != BY_NONE ? C_NAME : C_CMDLINE, "TOTAL");
		if (ctl.by == BY_NONE)
			cx_set_str(out, tr, C_COMM, "TOTAL");
		cx_set_u64(out, tr, C_PROCS, ctl.by == BY_NONE ? shown : 0);
		if (ctl.by != BY_NONE) {
			uint64_t procs = 0;

			for (size_t r = 0; r < shown; r++)
				procs += cx_cell(out, r, C_PROCS)->u;
			cx_set_u64(out, tr, C_PROCS, procs);
		}
	}
	cx_table_print(out, &ctl.out, stdout);
	return CX_EXIT_OK;
}

/* BY_SET: the named PIDs, "all" without any filter, "selected" with one. */
static void set_key_init(void)
{
	size_t len = 0;

	if (!ctl.npids || ctl.nusers || ctl.have_regex) {
		xs.set_key = strdup(ctl.npids || ctl.nusers || ctl.have_regex ? "selected" : "all");
	} else {
		xs.set_key = malloc(ctl.npids * 12 + 1);
		if (xs.set_key)
			for (size_t i = 0; i < ctl.npids; i++)
				len += (size_t)sprintf(xs.set_key + len, "%s%d", i ? "," : "",
						       ctl.pids[i]);
	}
	if (!xs.set_key) {
		cx_warn("out of memory");
		exit(CX_EXIT_FAILURE);
	}
}

static bool needs_exact(int c)
{
	return is_exact_col((size_t)c);
}

/* The --exact columns mean nothing without it: say so rather than print "-". */
static void check_exact_columns(void)
{
	if (!ctl.exact)
		cx_check_option_columns(&ctl.out, columns, ncolumns, needs_exact, "--exact");
}

int main(int argc, char **argv)
{
	enum { OPT_FORMAT = CX_OPT__FIRST_FREE, OPT_BY, OPT_TREE, OPT_KTHREADS, OPT_EXACT };
	static const struct option longopts[] = {
		CX_OUTPUT_LONGOPTS,
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "totals", no_argument, NULL, 't' },
		{ "by", required_argument, NULL, OPT_BY },
		{ "tree", no_argument, NULL, OPT_TREE },
		{ "exact", no_argument, NULL, OPT_EXACT },
		{ "pid", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'U' },
		{ "command", required_argument, NULL, 'P' },
		{ "top", required_argument, NULL, 'N' },
		{ "kthreads", no_argument, NULL, OPT_KTHREADS },
		{ "system", no_argument, NULL, 'w' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct vms_ptable *pt;
	struct prow *rows;
	size_t nrows = 0, skipped = 0, ok_rows = 0, npre = 0;
	size_t untabled[2] = { 0, 0 };
	struct prow *pre = NULL;
	struct cx_parallel *bg = NULL;
	struct cx_table t, gt;
	unsigned int what;
	int c, ret, status = CX_EXIT_OK;
	bool partial = false;

	cx_init("vmrank");
	init_col_keys();
	ctl.jobs = cx_default_jobs();
	while ((c = getopt_long(argc, argv, CX_OUTPUT_SHORTOPTS "tp:U:P:N:wj:hV", longopts,
				NULL)) != -1) {
		if (cx_output_option(c, optarg, &ctl.out, &ctl.root))
			continue;
		switch (c) {
		case OPT_FORMAT:
			ctl.out.format = cx_parse_format(optarg);
			break;
		case 't':
			ctl.totals = true;
			break;
		case OPT_BY:
			if (strcmp(optarg, "user") == 0)
				ctl.by = BY_USER;
			else if (strcmp(optarg, "program") == 0)
				ctl.by = BY_PROGRAM;
			else if (strcmp(optarg, "cgroup") == 0)
				ctl.by = BY_CGROUP;
			else if (strcmp(optarg, "mapping") == 0)
				ctl.by = BY_MAPPING;
			else
				cx_usage_error(
					"unknown --by key '%s' (user, program, cgroup, mapping)",
					optarg);
			break;
		case OPT_TREE:
			ctl.tree = true;
			break;
		case OPT_EXACT:
			ctl.exact = true;
			break;
		case 'p':
			ctl.npids = cx_parse_pid_list(optarg, &ctl.pids, ctl.npids);
			break;
		case 'U': {
			char *s = strdup(optarg), *save = NULL;

			if (!s)
				cx_oom();
			for (char *u = strtok_r(s, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
				ctl.users = realloc(ctl.users, (ctl.nusers + 1) * sizeof(char *));
				if (!ctl.users)
					cx_oom();
				ctl.users[ctl.nusers] = strdup(u);
				if (!ctl.users[ctl.nusers++])
					cx_oom();
			}
			free(s);
			if (!ctl.nusers)
				cx_usage_error("empty user list");
			break;
		}
		case 'P':
			if (ctl.have_regex)
				regfree(&ctl.regex);
			ret = regcomp(&ctl.regex, optarg, REG_EXTENDED | REG_NOSUB);
			if (ret) {
				char err[256];

				regerror(ret, &ctl.regex, err, sizeof(err));
				cx_usage_error("invalid regular expression '%s': %s", optarg, err);
			}
			ctl.have_regex = true;
			break;
		case 'N':
			ctl.top = cx_parse_count("--top", optarg, 100000000);
			break;
		case OPT_KTHREADS:
			ctl.kthreads = true;
			break;
		case 'w':
			ctl.system = true;
			break;
		case 'j':
			ctl.jobs = (unsigned int)cx_parse_count("--jobs", optarg, 64);
			break;
		case 'h':
			usage();
		case 'V':
			cx_version();
		default:
			cx_bad_option();
		}
	}
	if (optind < argc)
		cx_usage_error("unexpected argument '%s'", argv[optind]);
	if (ctl.exact && ctl.by == BY_MAPPING)
		cx_usage_error("--exact works with --by user, program or cgroup");
	if (ctl.exact && ctl.system)
		cx_usage_error("--exact and --system cannot be combined");
	if (ctl.exact && ctl.by == BY_NONE) {
		ctl.by = BY_SET;
		set_key_init();
	}
	if (ctl.tree && ctl.by == BY_NONE)
		cx_usage_error("--tree needs --by");
	if (ctl.tree && ctl.by == BY_MAPPING)
		cx_usage_error("--tree works with --by user, program or cgroup");
	if (ctl.system && ctl.by != BY_NONE)
		cx_usage_error("--system and --by cannot be combined");

	ctx = cx_ctx_open(ctl.root, 0);
	if (!ctx)
		return CX_EXIT_FAILURE;
	add_dynamic_columns();
	check_exact_columns();
	/* a bad --sort is a usage error before any process is read or anything printed */
	if (!ctl.system)
		(void)sort_column();
	if (ctl.exact)
		exact_check_caps();
	cx_snapshot_set(ctx, ctl.root);

	what = VMS_PT_USER | VMS_PT_CMDLINE | VMS_PT_FAULTS | VMS_PT_VSZ | VMS_PT_THREADS;
	/* oom files and cgroup cost one open each per process: only when asked */
	if (ctl.out.format == CX_FMT_JSON || ctl.out.output_all ||
	    (ctl.out.output && strstr(ctl.out.output, "oom")) ||
	    (ctl.out.sort && strstr(ctl.out.sort, "oom")))
		what |= VMS_PT_OOM;
	if (ctl.by == BY_CGROUP)
		what |= VMS_PT_CGROUP;
	/*
	 * A whole-system scan reads every smaps_rollup on background threads
	 * while the process table is built: the kernel's page walks are the
	 * cost, and they overlap libproc2's work on another core.
	 */
	if (!ctl.npids && !ctl.nusers && !ctl.have_regex) {
		pid_t *pids;

		if (vms_pids_read(ctx, &pids, &npre) == 0) {
			pre = calloc(npre + 1, sizeof(*pre));
			if (!pre)
				cx_oom();
			for (size_t i = 0; i < npre; i++)
				pre[i].pid = pids[i];
			free(pids);
			bg = cx_parallel_spawn(npre, ctl.jobs, read_one, pre);
		}
	}
	ret = vms_ptable_read(ctx, what, &pt);
	if (bg)
		cx_parallel_join(bg);
	if (ret < 0) {
		cx_warn("cannot read the process table: %s", strerror(-ret));
		for (size_t i = 0; i < npre && pre; i++) {
			vms_counters_free(pre[i].roll);
			free(pre[i].program);
			cx_strmap_free(pre[i].maps);
		}
		free(pre);
		vms_ctx_unref(ctx);
		return CX_EXIT_FAILURE;
	}
	rows = calloc(vms_ptable_count(pt) + 1, sizeof(*rows));
	if (!rows)
		cx_oom();
	for (size_t i = 0; i < vms_ptable_count(pt); i++) {
		const struct vms_proc_info *pi = vms_ptable_get(pt, i);
		bool named;

		/* the ledger needs every process, whatever the filters */
		if (!ctl.system && !selected(pi, &named))
			continue;
		if (ctl.system && pi->kthread)
			continue;
		rows[nrows].pid = pi->pid;
		rows[nrows].info = pi;
		rows[nrows].named = ctl.system ? false : named;
		rows[nrows].no_mm = pi->kthread;
		nrows++;
	}
	/* named PIDs that are not in the table at all */
	for (size_t i = 0; i < ctl.npids; i++) {
		bool found = false;

		for (size_t j = 0; j < nrows && !found; j++)
			found = rows[j].info->pid == ctl.pids[i];
		if (!found) {
			cx_proc_error(ctl.pids[i], "stat", cx_missing_errno(ctx, ctl.pids[i]));
			partial = true;
		}
	}

	if (pre) {
		/* take what the background readers found, by pid */
		for (size_t i = 0; i < nrows; i++) {
			struct prow key = { .pid = rows[i].pid }, *hit;

			hit = bsearch(&key, pre, npre, sizeof(*pre), cmp_prow_pid);
			if (hit)
				hit->taken = true;
			if (!hit || rows[i].no_mm)
				continue;
			rows[i].done = true;
			rows[i].err = hit->err;
			rows[i].roll = hit->roll;
			rows[i].program = hit->program;
			rows[i].maps = hit->maps;
			hit->roll = NULL;
			hit->program = NULL;
			hit->maps = NULL;
		}
		for (size_t i = 0; i < npre; i++) {
			/* libproc2 leaves out what it could not open: the readers tell why */
			if (pre[i].err == -ENOMEM)
				cx_oom();
			if (pre[i].err == -EMFILE || pre[i].err == -ENFILE)
				cx_fd_exhausted(pre[i].err);
			/* left out of the table for the same reason (hidepid=1): counted */
			if (!pre[i].taken && (pre[i].err == -EACCES || pre[i].err == -EPERM)) {
				untabled[pre[i].err == -EPERM]++;
				untabled_procs = cx_grow(untabled_procs, n_untabled + 1,
							 &cap_untabled, sizeof(*untabled_procs));
				untabled_procs[n_untabled].pid = pre[i].pid;
				untabled_procs[n_untabled++].err = pre[i].err;
			}
			vms_counters_free(pre[i].roll);
			free(pre[i].program);
			cx_strmap_free(pre[i].maps);
		}
		free(pre);
	}
	/* the rest (born after the readdir, or every one when filtering) */
	cx_parallel_for(nrows, ctl.jobs, read_one, rows);
	for (size_t i = 0; i < nrows; i++) {
		int e = rows[i].err;

		/* a zombie has given its memory back: it really holds 0 */
		if ((e == -ESRCH || e == -ENOENT) && rows[i].info->state == 'Z')
			rows[i].err = 0;
	}
	if (ctl.exact) {
		exact_run(rows, nrows);
		if (exact_report_cut(rows, nrows))
			partial = true;
	}

	for (size_t i = 0; i < nrows; i++)
		if (!rows[i].err)
			ok_rows++;
	for (size_t i = 0; i < nrows; i++)
		if (rows[i].err) {
			skipped++;
			if (rows[i].named)
				partial = true;
		}
	report_skipped(rows, nrows, untabled);

	if (ctl.system) {
		status = system_ledger(rows, nrows, skipped);
		goto out;
	}

	if (ctl.out.output_all) {
		/* every column that means something for this kind of row */
		static char all[2048];
		size_t o = 0;

		for (size_t k = 0; k < ncolumns; k++) {
			bool group_col = k == C_NAME || k == C_PROCS;

			if (is_exact_col(k)   ? !ctl.exact :
			    ctl.by == BY_NONE ? group_col :
						!(group_col || is_summed_col(k)))
				continue;
			if (ctl.by == BY_MAPPING && !group_col && k != C_RSS && k != C_PSS &&
			    k != C_USS && k != C_SWAP && k != C_SWAP_PSS)
				continue;
			o += (size_t)snprintf(all + o, sizeof(all) - o, "%s%s", o ? "," : "",
					      columns[k].name);
		}
		ctl.out.output = all;
		ctl.out.output_all = false;
		json_all = true;
	}
	/* the process table: processes whose memory could be read */
	cx_table_init(&t, columns, ncolumns,
		      ctl.by == BY_NONE ? "pid,user,swap,uss,pss,rss,cmdline" : group_defaults(),
		      &ctl.out);
	for (size_t i = 0; i < nrows; i++) {
		size_t r;
		char buf[32];

		if (rows[i].err)
			continue;
		r = cx_table_add_row(&t);
		fill_process(&t, r, &rows[i]);
		if (ctl.by != BY_NONE && ctl.by != BY_MAPPING)
			cx_set_str(&t, r, C_NAME, group_key(&rows[i], buf, sizeof(buf)));
	}
	if (ctl.by != BY_NONE) {
		static const char *const hdrs[] = { "",	      "USER",	 "PROGRAM",
						    "CGROUP", "MAPPING", "GROUP" };

		cx_table_init(&gt, columns, ncolumns, group_defaults(), &ctl.out);
		if (ctl.by == BY_MAPPING)
			build_mapping_groups(rows, nrows, &gt);
		else
			build_groups(&t, &gt);
		if (ctl.exact)
			exact_fill(&gt);
		columns[C_NAME].header = hdrs[ctl.by];
	}
	/* after the checks of -o and --sort: a usage error prints nothing on stdout */
	cx_snapshot_banner(ctx, NULL, &ctl.out);
	status = print_result(&t, ctl.by != BY_NONE ? &gt : &t, rows, nrows);
	if (ctl.by != BY_NONE)
		cx_table_free(&gt);
	cx_table_free(&t);
out:
	for (size_t i = 0; i < nrows; i++) {
		vms_counters_free(rows[i].roll);
		free(rows[i].program);
		cx_strmap_free(rows[i].maps);
	}
	free(rows);
	if (ctl.exact)
		exact_free();
	vms_ptable_free(pt);
	vms_ctx_unref(ctx);
	if (cx_close_stdout())
		return CX_EXIT_FAILURE;
	if (status == CX_EXIT_OK && partial)
		status = ok_rows ? CX_EXIT_PARTIAL : CX_EXIT_FAILURE;
	return status;
}
