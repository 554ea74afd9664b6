// SPDX-License-Identifier: GPL-2.0-or-later
/* vmfault: page faults counted, as rates, for a command, and down to the mapping that faults. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"

/* ---- columns of the process table ---- */

enum col {
	C_PID,
	C_TID,
	C_PPID,
	C_USER,
	C_UID,
	C_STATE,
	C_COMM,
	C_CMDLINE,
	C_MINFLT_RATE,
	C_MAJFLT_RATE,
	C_MINFLT,
	C_MAJFLT,
	C_CMINFLT,
	C_CMAJFLT,
	C_RSS,
	C_VSZ,
	C_STATUS,
	C__COUNT
};

static const struct cx_column columns[C__COUNT] = {
	[C_PID] = { "pid", "PID", CX_INT, "process ID" },
	[C_TID] = { "tid", "TID", CX_INT, "thread ID (with --threads)" },
	[C_PPID] = { "ppid", "PPID", CX_INT, "parent process ID" },
	[C_USER] = { "user", "USER", CX_STR, "effective user name (or uid)" },
	[C_UID] = { "uid", "UID", CX_INT, "effective user ID" },
	[C_STATE] = { "state", "S", CX_STR, "process state (R S D Z T I ...)" },
	[C_COMM] = { "comm", "COMM", CX_STR, "command name (stat comm)" },
	[C_CMDLINE] = { "cmdline", "COMMAND", CX_STR, "command line" },
	[C_MINFLT_RATE] = { "minflt_rate", "MINFLT/s", CX_RATE, "minor faults per second" },
	[C_MAJFLT_RATE] = { "majflt_rate", "MAJFLT/s", CX_RATE, "major faults per second" },
	[C_MINFLT] = { "minflt", "MINFLT", CX_U64, "minor faults since the process started" },
	[C_MAJFLT] = { "majflt", "MAJFLT", CX_U64, "major faults since the process started" },
	[C_CMINFLT] = { "cminflt", "CMINFLT", CX_U64, "minor faults of children waited for" },
	[C_CMAJFLT] = { "cmajflt", "CMAJFLT", CX_U64, "major faults of children waited for" },
	[C_RSS] = { "rss", "RSS", CX_SIZE, "resident set size (stat rss)" },
	[C_VSZ] = { "vsz", "VSZ", CX_SIZE, "virtual size (stat vsize)" },
	[C_STATUS] = { "status", "STATUS", CX_STR, "first, new, running, unbased or exited" },
};

#define DEFAULT_COLS "pid,user,minflt_rate,majflt_rate,minflt,majflt,rss,cmdline"
#define DEFAULT_COLS_T "pid,tid,user,minflt_rate,majflt_rate,minflt,majflt,comm"

/* ---- the /proc/vmstat figures of the system view ---- */

static const struct {
	const char *key; /* vmstat key, JSON key */
	const char *label; /* in the text line */
} vmkeys[] = {
	{ "pgfault", "faults" },
	{ "pgmajfault", "major" },
	{ "pswpin", "swap-in" },
	{ "pswpout", "swap-out" },
	{ "thp_fault_alloc", "thp" },
	{ "thp_fault_fallback", "thp-fallback" },
	{ "workingset_refault_anon", "refault-anon" },
	{ "workingset_refault_file", "refault-file" },
	/* kernels before 5.9 had one refault counter */
	{ "workingset_refault", "refault" },
};
#define NVMKEYS (sizeof(vmkeys) / sizeof(vmkeys[0]))

struct vmsnap {
	bool have[NVMKEYS];
	uint64_t v[NVMKEYS];
};

enum mode { MODE_SYSTEM, MODE_PIDS, MODE_COMMAND };

static struct {
	struct cx_outopts out;
	enum mode mode;
	const char **roots;
	size_t nroots;
	int *pids;
	size_t npids;
	bool threads, where, tlb;
	double interval;
	bool interval_set;
	unsigned long count;
	bool count_set;
	unsigned long top;
	const char *output_file;
	char **argv;
} ctl = { .interval = 1.0, .top = 10 };

static struct vms_ctx *ctx;
static volatile sig_atomic_t stop_requested;
/* A COMMAND forked but not yet let go: killed when vmfault fails before it runs. */
static pid_t held_child;

static _Noreturn void fail_exit(void)
{
	/* the --output-file being written, if any: its temporary goes */
	cx_outfile_abort_all();
	if (held_child > 0) {
		kill(held_child, SIGKILL);
		waitpid(held_child, NULL, 0);
	}
	exit(CX_EXIT_FAILURE);
}

static void __attribute__((noreturn)) usage(void)
{
	printf("Usage:\n"
	       " %s [options]\n"
	       " %s [options] -p PID[,PID...]\n"
	       " %s [options] -- COMMAND [ARGS...]\n\n"
	       "Page faults: counts and rates for the system, for processes, or for a command\n"
	       "run to its end; with --where, the mappings that fault.\n\n"
	       "Options:\n",
	       cx_prog, cx_prog, cx_prog);
	fputs(" -p, --pid LIST         watch these processes\n"
	      " -T, --threads          one row per thread (with -p)\n"
	      " -i, --interval SEC     seconds between samples (default 1; fractions allowed)\n"
	      " -c, --count N          stop after N samples\n"
	      " -N, --top N            system view: the N busiest processes (default 10, 0: all)\n"
	      "     --where            which mappings fault (perf page-fault sampling)\n"
	      "     --tlb              data-TLB loads and misses (hardware counters)\n"
	      "     --output-file FILE with a COMMAND: the report goes to FILE, not stderr\n"
	      " -o, --output LIST      columns to print (+LIST adds to the default)\n"
	      "     --output-all       print every column\n"
	      " -J, --json             JSON output (one object per line per sample)\n"
	      "     --format FMT       table, raw, json or openmetrics\n"
	      " -r, --raw              raw output: unaligned, sizes in bytes\n"
	      " -n, --noheadings       do not print a header line\n"
	      " -b, --bytes            sizes in bytes instead of KiB/MiB/GiB\n"
	      " -s, --sort COL         sort by COL (numbers largest first)\n"
	      "     --reverse          reverse the sort order\n"
	      "     --root DIR         read a snapshot instead of /proc (repeat: a series)\n"
	      " -h, --help             display this help\n"
	      " -V, --version          display version\n\n"
	      "Columns:\n",
	      stdout);
	for (size_t i = 0; i < C__COUNT; i++)
		printf(" %16s  %s\n", columns[i].name, columns[i].help);
	printf("\nSee vmfault(1) for details.\n");
	exit(cx_close_stdout() ? CX_EXIT_FAILURE : CX_EXIT_OK);
}

/* ---- time ---- */

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* ---- names of the processes shown: read once per process, kept across samples ---- */

struct pname {
	char *user; /* NULL: no name for the uid */
	char *cmdline; /* NULL: none (kernel thread, zombie, or unreadable) */
};

static struct cx_strmap *names_prev, *names_cur;

static void names_key(const struct vms_fault_row *r, char *key, size_t len)
{
	snprintf(key, len, "%d:%" PRIu64, (int)r->pid, r->start_time);
}

static const struct pname *names_of(const struct vms_fault_row *r)
{
	char key[48];
	struct pname *n, *old;
	struct vms_proc *p;
	int ret;

	names_key(r, key, sizeof(key));
	n = cx_strmap_find(names_cur, key, strlen(key));
	if (n)
		return n;
	n = cx_strmap_get(names_cur, key, strlen(key));
	if (!n)
		cx_oom();
	old = names_prev ? cx_strmap_find(names_prev, key, strlen(key)) : NULL;
	if (old) {
		*n = *old;
		memset(old, 0, sizeof(*old));
		return n;
	}
	/* out of memory: not "no name", which would print the uid silently */
	ret = vms_proc_open(ctx, r->pid, &p);
	if (ret == -ENOMEM)
		cx_oom();
	if (ret == 0) {
		struct vms_proc_info pi;

		ret = vms_proc_info_read(p, VMS_PT_USER | VMS_PT_CMDLINE, &pi);
		if (ret == -ENOMEM)
			cx_oom();
		/* the same process, not a later one with its PID */
		if (ret == 0 && pi.start_time == r->start_time) {
			n->user = pi.user ? cx_xstrdup(pi.user) : NULL;
			n->cmdline = pi.cmdline && *pi.cmdline ? cx_xstrdup(pi.cmdline) : NULL;
		}
		vms_proc_close(p);
	}
	return n;
}

static void names_free(struct cx_strmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < cx_strmap_count(m); i++) {
		struct pname *n = cx_strmap_at(m, i, NULL);

		free(n->user);
		free(n->cmdline);
	}
	cx_strmap_free(m);
}

/* After a sample: what was not shown again is dropped. */
static void names_rotate(void)
{
	names_free(names_prev);
	names_prev = names_cur;
	names_cur = cx_strmap_new(sizeof(struct pname));
	if (!names_cur)
		cx_oom();
}

static const char *status_name(enum vms_fault_status s)
{
	switch (s) {
	case VMS_FS_FIRST:
		return "first";
	case VMS_FS_NEW:
		return "new";
	case VMS_FS_RUNNING:
		return "running";
	case VMS_FS_UNBASED:
		return "unbased";
	case VMS_FS_EXITED:
		return "exited";
	}
	return "?";
}

/* ---- --where: faults by mapping ---- */

struct wmap {
	uint64_t start, end;
	char *name; /* NULL: anonymous without a name */
	enum vms_kind kind;
};

struct wspace {
	pid_t pid;
	struct wmap *maps;
	size_t n, cap;
	unsigned long loaded_gen; /* drain generation of the last read of maps */
	bool gone;
};

struct wgroup {
	char *name;
	enum vms_kind kind;
	pid_t pid; /* anonymous: the process; 0 otherwise */
	uint64_t start, end;
	uint64_t min, maj;
	bool unknown;
};

static struct {
	struct vms_faultrec *rec;
	struct wspace *spaces;
	size_t nspaces, capspaces;
	struct cx_strmap *groups; /* of the current period */
	uint64_t min, maj; /* faults sampled in the period */
	uint64_t lost_seen;
	unsigned long gen;
	uint64_t hung; /* rings (by index in the fd list) that only say POLLHUP */
	struct vms_fault_sample *pending; /* the faults of the drain under way */
	size_t npending, cappending;
} wh;

static void wspace_clear(struct wspace *sp)
{
	for (size_t i = 0; i < sp->n; i++)
		free(sp->maps[i].name);
	sp->n = 0;
}

static struct wspace *wspace_get(pid_t pid)
{
	struct wspace *sp;

	for (size_t i = 0; i < wh.nspaces; i++)
		if (wh.spaces[i].pid == pid)
			return &wh.spaces[i];
	wh.spaces = cx_grow(wh.spaces, wh.nspaces, &wh.capspaces, sizeof(*wh.spaces));
	sp = &wh.spaces[wh.nspaces++];
	memset(sp, 0, sizeof(*sp));
	sp->pid = pid;
	sp->loaded_gen = (unsigned long)-1;
	return sp;
}

static int wmap_cmp(const void *a, const void *b)
{
	const struct wmap *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

struct loadbuf {
	struct vms_mapping *m;
	char **names;
	size_t n, cap, capn;
};

static const struct vms_mapping *loadbuf_at(size_t i, void *data)
{
	return &((struct loadbuf *)data)->m[i];
}

/* Read the mappings of @sp's process now.  False when it is gone or unreadable. */
static bool wspace_load(struct wspace *sp)
{
	struct loadbuf lb = { 0 };
	const struct vms_mapping *m;
	struct vms_maps *it;
	struct vms_proc *p;
	enum vms_kind *kinds;
	int ret;

	sp->loaded_gen = wh.gen;
	if (sp->gone || vms_proc_open(ctx, sp->pid, &p) < 0) {
		sp->gone = true;
		return false;
	}
	ret = vms_maps_open(p, 0, &it);
	if (ret < 0) {
		vms_proc_close(p);
		sp->gone = ret == -ESRCH;
		return false;
	}
	while ((ret = vms_maps_next(it, &m)) == 1) {
		lb.m = cx_grow(lb.m, lb.n, &lb.cap, sizeof(*lb.m));
		lb.names = cx_grow(lb.names, lb.n, &lb.capn, sizeof(*lb.names));
		lb.m[lb.n] = *m;
		lb.names[lb.n] = malloc(m->name_len + 1);
		if (!lb.names[lb.n])
			cx_oom();
		memcpy(lb.names[lb.n], m->name, m->name_len);
		lb.names[lb.n][m->name_len] = '\0';
		lb.m[lb.n].name = lb.names[lb.n];
		lb.m[lb.n].counters = NULL;
		lb.m[lb.n].vm_flags = NULL;
		lb.n++;
	}
	vms_maps_close(it);
	vms_proc_close(p);
	if (ret < 0 || lb.n == 0) {
		/* exiting, or gone: what was known stays the best answer */
		for (size_t i = 0; i < lb.n; i++)
			free(lb.names[i]);
		free(lb.m);
		free(lb.names);
		return false;
	}
	kinds = malloc((lb.n ? lb.n : 1) * sizeof(*kinds));
	if (!kinds)
		cx_oom();
	cx_classify(lb.n, loadbuf_at, &lb, sp->pid, NULL, 0, kinds);
	wspace_clear(sp);
	for (size_t i = 0; i < lb.n; i++) {
		struct wmap *w;

		sp->maps = cx_grow(sp->maps, sp->n, &sp->cap, sizeof(*sp->maps));
		w = &sp->maps[sp->n++];
		w->start = lb.m[i].start;
		w->end = lb.m[i].end;
		w->kind = kinds[i];
		if (lb.m[i].name_len) {
			w->name = lb.names[i];
		} else {
			w->name = NULL;
			free(lb.names[i]);
		}
	}
	free(kinds);
	free(lb.m);
	free(lb.names);
	return true;
}

static struct wmap *wspace_find(struct wspace *sp, uint64_t addr)
{
	size_t lo = 0, hi = sp->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < sp->maps[mid].start)
			hi = mid;
		else if (addr >= sp->maps[mid].end)
			lo = mid + 1;
		else
			return &sp->maps[mid];
	}
	return NULL;
}

static void where_count(const struct wmap *w, pid_t pid, bool major)
{
	char key[64];
	const char *k;
	size_t klen;
	struct wgroup *g;
	char *buf = NULL;

	if (!w) {
		k = "?";
		klen = 1;
	} else if (w->name) {
		buf = cx_xasprintf("%d:%s", (int)w->kind, w->name);
		k = buf;
		klen = strlen(buf);
	} else {
		snprintf(key, sizeof(key), "anon:%d:%" PRIx64, (int)pid, w->start);
		k = key;
		klen = strlen(key);
	}
	g = cx_strmap_get(wh.groups, k, klen);
	if (!g)
		cx_oom();
	if (!g->name && !g->unknown) {
		if (!w) {
			g->unknown = true;
		} else {
			g->name = cx_xstrdup(w->name ? w->name : "[anon]");
			g->kind = w->kind;
			g->pid = w->name ? 0 : pid;
			g->start = w->start;
			g->end = w->end;
		}
	}
	if (major)
		g->maj++;
	else
		g->min++;
	free(buf);
}

/* Faults are placed after the whole drain: see where_drain(). */
static void on_fault(void *data, const struct vms_fault_sample *s)
{
	(void)data;
	wh.pending = cx_grow(wh.pending, wh.npending, &wh.cappending, sizeof(*wh.pending));
	wh.pending[wh.npending++] = *s;
}

static void place_fault(const struct vms_fault_sample *s)
{
	struct wspace *sp = wspace_get(s->pid);
	struct wmap *w = wspace_find(sp, s->addr);

	/* not known yet (a new mapping, a new process): read its maps once per drain */
	if (!w && sp->loaded_gen != wh.gen && wspace_load(sp))
		w = wspace_find(sp, s->addr);
	where_count(w, s->pid, s->major);
	if (s->major)
		wh.maj++;
	else
		wh.min++;
}

/* A mapping made while recording: kept, so that it is known even after the process is gone. */
static void on_mmap(void *data, const struct vms_fault_mmap *m)
{
	struct wspace *sp = wspace_get(m->pid);
	struct vms_mapping vm = { 0 };
	struct wmap *w;
	bool anon = strcmp(m->filename, "//anon") == 0 || !*m->filename;
	size_t kept = 0;

	(void)data;
	if (m->len == 0 || m->start + m->len < m->start)
		return;
	/* drop what the new mapping replaces, keeping the others in order */
	for (size_t i = 0; i < sp->n; i++) {
		if (sp->maps[i].start < m->start + m->len && sp->maps[i].end > m->start)
			free(sp->maps[i].name);
		else
			sp->maps[kept++] = sp->maps[i];
	}
	sp->n = kept;
	vm.start = m->start;
	vm.end = m->start + m->len;
	vm.name = anon ? "" : m->filename;
	vm.name_len = strlen(vm.name);
	vm.perms[0] = m->prot & 1 ? 'r' : '-'; /* PROT_READ */
	vm.perms[1] = m->prot & 2 ? 'w' : '-'; /* PROT_WRITE */
	vm.perms[2] = m->prot & 4 ? 'x' : '-'; /* PROT_EXEC */
	vm.perms[3] = m->flags & 1 ? 's' : 'p'; /* MAP_SHARED */
	sp->maps = cx_grow(sp->maps, sp->n, &sp->cap, sizeof(*sp->maps));
	w = &sp->maps[sp->n++];
	w->start = vm.start;
	w->end = vm.end;
	w->name = anon ? NULL : cx_xstrdup(m->filename);
	{
		struct vms_kind_hints h = { .deleted = -1 };

		/* a file the process also maps executable is a code object */
		h.code_object = !anon && vm.perms[3] == 'p';
		if (h.code_object && vm.perms[2] != 'x') {
			h.code_object = false;
			for (size_t i = 0; i + 1 < sp->n; i++)
				if (sp->maps[i].name && sp->maps[i].kind == VMS_KIND_TEXT &&
				    strcmp(sp->maps[i].name, m->filename) == 0)
					h.code_object = true;
		}
		w->kind = vms_mapping_kind(&vm, &h);
	}
	qsort(sp->maps, sp->n, sizeof(*sp->maps), wmap_cmp);
}

static void where_drain(void)
{
	int ret;

	if (!wh.rec)
		return;
	wh.gen++;
	/*
	 * The rings are per CPU and read one after another: a fault in one
	 * may come before the record of the mapping it hit, in another.
	 * Place the faults once every record of the drain is in.
	 */
	wh.npending = 0;
	ret = vms_faultrec_drain(wh.rec, on_fault, on_mmap, NULL);
	if (ret < 0 && ret != -ESRCH)
		cx_warn("--where: reading the fault records: %s", strerror(-ret));
	for (size_t i = 0; i < wh.npending; i++)
		place_fault(&wh.pending[i]);
	wh.npending = 0;
}

static void where_reset(void)
{
	if (wh.groups) {
		for (size_t i = 0; i < cx_strmap_count(wh.groups); i++) {
			struct wgroup *g = cx_strmap_at(wh.groups, i, NULL);

			free(g->name);
		}
		cx_strmap_free(wh.groups);
	}
	wh.groups = cx_strmap_new(sizeof(struct wgroup));
	if (!wh.groups)
		cx_oom();
	wh.min = wh.maj = 0;
}

/* Perf events take 2 fds per thread and CPU: allow as many as the hard limit does. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void where_open(pid_t pid, unsigned int flags)
{
	int ret;

	raise_fd_limit();
	ret = vms_faultrec_open(ctx, pid, flags, &wh.rec);

	if (ret == -EACCES || ret == -EPERM) {
		cx_warn("--where: perf_event_open: %s: %s", strerror(-ret),
			vms_perf_refusal(ctx, ret));
	} else if (ret == -ESRCH) {
		cx_warn("--where: pid %d: no such process", (int)pid);
	} else if (ret == -ENOENT || ret == -ENOSYS || ret == -EOPNOTSUPP) {
		cx_warn("--where: this kernel has no software page-fault events "
			"(perf_event_open: %s)",
			strerror(-ret));
	} else if (ret < 0) {
		cx_warn("--where: perf_event_open: %s", strerror(-ret));
	}
	if (ret < 0)
		fail_exit();
	where_reset();
}

enum {
	W_MAPPING,
	W_KIND,
	W_PID,
	W_START,
	W_END,
	W_MINFLT,
	W_MIN_PCT,
	W_MAJFLT,
	W_MAJ_PCT,
	W__COUNT
};

static const struct cx_column wcolumns[W__COUNT] = {
	[W_MAPPING] = { "mapping", "MAPPING", CX_STR, "" },
	[W_KIND] = { "kind", "KIND", CX_STR, "" },
	[W_PID] = { "pid", "PID", CX_INT, "" },
	[W_START] = { "start", "START", CX_STR, "" },
	[W_END] = { "end", "END", CX_STR, "" },
	[W_MINFLT] = { "minflt", "MINFLT", CX_U64, "" },
	[W_MIN_PCT] = { "minflt_pct", "MIN%", CX_RATE, "" },
	[W_MAJFLT] = { "majflt", "MAJFLT", CX_U64, "" },
	[W_MAJ_PCT] = { "majflt_pct", "MAJ%", CX_RATE, "" },
};

/* The faults of the period by mapping, busiest first. */
static void where_table(struct cx_table *t)
{
	struct cx_outopts o = { .format = CX_FMT_TABLE };

	cx_table_init(t, wcolumns, W__COUNT,
		      "mapping,kind,pid,start,minflt,minflt_pct,majflt,majflt_pct", &o);
	for (size_t i = 0; i < cx_strmap_count(wh.groups); i++) {
		struct wgroup *g = cx_strmap_at(wh.groups, i, NULL);
		size_t r = cx_table_add_row(t);

		cx_set_str(t, r, W_MAPPING, g->unknown ? "[unknown]" : g->name);
		if (!g->unknown) {
			char hex[24];

			cx_set_str(t, r, W_KIND, vms_kind_name(g->kind));
			if (g->pid) {
				cx_set_int(t, r, W_PID, g->pid);
				snprintf(hex, sizeof(hex), "0x%" PRIx64, g->start);
				cx_set_str(t, r, W_START, hex);
				snprintf(hex, sizeof(hex), "0x%" PRIx64, g->end);
				cx_set_str(t, r, W_END, hex);
			}
		}
		cx_set_u64(t, r, W_MINFLT, g->min);
		cx_set_u64(t, r, W_MAJFLT, g->maj);
		if (wh.min)
			cx_set_rate(t, r, W_MIN_PCT, 100.0 * (double)g->min / (double)wh.min);
		if (wh.maj)
			cx_set_rate(t, r, W_MAJ_PCT, 100.0 * (double)g->maj / (double)wh.maj);
	}
	cx_table_sort(t, W_MINFLT, false);
}

static uint64_t where_lost_new(void)
{
	uint64_t lost = vms_faultrec_lost(wh.rec), d = lost - wh.lost_seen;

	wh.lost_seen = lost;
	return d;
}

/* Text output shows the busiest mappings; JSON has them all. */
#define WHERE_TEXT_ROWS 20

static void where_print_text(FILE *f, const char *what)
{
	struct cx_table t;
	uint64_t lost = where_lost_new();

	fprintf(f, "where: %" PRIu64 " minor, %" PRIu64 " major faults sampled%s%s\n", wh.min,
		wh.maj, what ? " " : "", what ? what : "");
	if (lost)
		fprintf(f, "where: %" PRIu64 " samples lost (the ring buffer was full)\n", lost);
	if (vms_faultrec_user_only(wh.rec))
		fprintf(f, "where: user-mode faults only (kernel.perf_event_paranoid)\n");
	where_table(&t);
	if (t.nrows > WHERE_TEXT_ROWS) {
		uint64_t min = 0, maj = 0;
		size_t more = t.nrows - WHERE_TEXT_ROWS;

		for (size_t r = WHERE_TEXT_ROWS; r < t.nrows; r++) {
			min += t.cells[r * t.ncols + W_MINFLT].u;
			maj += t.cells[r * t.ncols + W_MAJFLT].u;
		}
		cx_table_truncate(&t, WHERE_TEXT_ROWS);
		cx_table_print(&t, &ctl.out, f);
		fprintf(f,
			"(%zu more mappings: %" PRIu64 " minor, %" PRIu64
			" major faults; --json lists all)\n",
			more, min, maj);
	} else {
		cx_table_print(&t, &ctl.out, f);
	}
	cx_table_free(&t);
}

static void where_json(cJSON *parent)
{
	cJSON *o = cJSON_AddObjectToObject(parent, "where"), *arr;
	struct cx_table t;

	if (!o)
		cx_oom();
	cx_json_u64(o, "minflt", wh.min);
	cx_json_u64(o, "majflt", wh.maj);
	cx_json_u64(o, "lost", where_lost_new());
	cJSON_AddBoolToObject(o, "user_only", vms_faultrec_user_only(wh.rec));
	arr = cJSON_AddArrayToObject(o, "mappings");
	if (!arr)
		cx_oom();
	where_table(&t);
	for (size_t r = 0; r < t.nrows; r++) {
		cJSON *m = cx_json_object();

		cx_json_row(m, &t, r, true);
		cJSON_AddItemToArray(arr, m);
	}
	cx_table_free(&t);
}

/* ---- --tlb ---- */

static struct vms_tlbcount **tlbs;
static size_t ntlbs;

static void tlb_open_or_die(pid_t pid, unsigned int flags)
{
	struct vms_tlbcount *t;
	int ret;

	raise_fd_limit();
	ret = vms_tlb_open(ctx, pid, flags, &t);

	if (ret == -ENOENT || ret == -EOPNOTSUPP || ret == -ENODEV) {
		cx_warn("--tlb: this machine exposes no hardware performance counters "
			"(dTLB-loads: perf_event_open: %s); in a virtual machine the hypervisor "
			"must pass a virtual PMU through",
			strerror(-ret));
		fail_exit();
	}
	if (ret == -EACCES || ret == -EPERM) {
		cx_warn("--tlb: perf_event_open: %s: %s", strerror(-ret),
			vms_perf_refusal(ctx, ret));
		fail_exit();
	}
	if (ret < 0) {
		cx_warn("--tlb: pid %d: perf_event_open: %s", (int)pid, strerror(-ret));
		fail_exit();
	}
	tlbs = realloc(tlbs, (ntlbs + 1) * sizeof(*tlbs));
	if (!tlbs)
		cx_oom();
	tlbs[ntlbs++] = t;
}

struct tlbval {
	bool ok, scaled;
	uint64_t loads, misses;
};

static struct tlbval *tlb_prev;

static void tlb_report_json(cJSON *parent, double dt)
{
	cJSON *arr = cJSON_AddArrayToObject(parent, "tlb");

	if (!arr)
		cx_oom();
	if (!tlb_prev && !(tlb_prev = calloc(ntlbs ? ntlbs : 1, sizeof(*tlb_prev))))
		cx_oom();
	for (size_t i = 0; i < ntlbs; i++) {
		struct tlbval v = { 0 };
		cJSON *o = cx_json_object();

		v.ok = vms_tlb_read(tlbs[i], &v.loads, &v.misses, &v.scaled) == 0;
		if (ctl.mode == MODE_PIDS)
			cx_json_int(o, "pid", ctl.pids[i]);
		if (v.ok) {
			cx_json_u64(o, "dtlb_loads", v.loads);
			cx_json_u64(o, "dtlb_misses", v.misses);
			if (v.loads)
				cx_json_rate(o, "miss_ratio", (double)v.misses / (double)v.loads);
			if (dt > 0 && tlb_prev[i].ok && v.loads >= tlb_prev[i].loads) {
				cx_json_rate(o, "dtlb_loads_rate",
					     (double)(v.loads - tlb_prev[i].loads) / dt);
				cx_json_rate(o, "dtlb_misses_rate",
					     (double)(v.misses - tlb_prev[i].misses) / dt);
			}
			cJSON_AddBoolToObject(o, "estimate", v.scaled);
		} else {
			cJSON_AddNullToObject(o, "dtlb_loads");
		}
		tlb_prev[i] = v;
		cJSON_AddItemToArray(arr, o);
	}
}

static void tlb_report_text(FILE *f)
{
	for (size_t i = 0; i < ntlbs; i++) {
		uint64_t loads, misses;
		bool scaled;

		if (vms_tlb_read(tlbs[i], &loads, &misses, &scaled) < 0) {
			fprintf(f, "tlb: could not be read\n");
			continue;
		}
		if (ctl.mode == MODE_PIDS)
			fprintf(f, "tlb: pid %d: ", ctl.pids[i]);
		else
			fprintf(f, "tlb: ");
		fprintf(f, "%" PRIu64 " dTLB loads, %" PRIu64 " misses (user space)", loads,
			misses);
		if (loads)
			fprintf(f, " (%.3f%% missed)", 100.0 * (double)misses / (double)loads);
		fprintf(f, "%s\n", scaled ? " [estimate: counters were multiplexed]" : "");
	}
}

/* ---- one sample: the system line and the process table ---- */

/* Why the last read_vmstat() failed. */
static int vmstat_err;

static bool read_vmstat(struct vmsnap *v)
{
	struct vms_counters *c;
	int ret;

	memset(v, 0, sizeof(*v));
	ret = vms_vmstat_read(ctx, &c);
	if (ret == -ENOMEM)
		cx_oom();
	vmstat_err = ret;
	if (ret < 0)
		return false;
	for (size_t i = 0; i < NVMKEYS; i++)
		v->have[i] = vms_counters_find(c, vmkeys[i].key, &v->v[i]) == 0;
	vms_counters_free(c);
	return true;
}

static bool show_row(const struct vms_fault_row *r)
{
	if (r->thread && !ctl.threads)
		return false;
	/* kernel threads take no page faults of their own */
	return !(ctl.mode == MODE_SYSTEM && r->kthread);
}

static double rate_of(uint64_t d, double dt)
{
	return dt > 0 ? (double)d / dt : 0;
}

/* One row; @n: the names of the process (a thread's are its process's). */
static void fill_row(struct cx_table *t, size_t row, const struct vms_fault_row *r, double dt,
		     const struct pname *n)
{
	char st[2] = { r->state, 0 };

	cx_set_int(t, row, C_PID, r->pid);
	if (r->thread)
		cx_set_int(t, row, C_TID, r->tid);
	cx_set_int(t, row, C_PPID, r->ppid);
	cx_set_int(t, row, C_UID, r->uid);
	if (n->user) {
		cx_set_str(t, row, C_USER, n->user);
	} else {
		char uid[16];

		snprintf(uid, sizeof(uid), "%u", r->uid);
		cx_set_str(t, row, C_USER, uid);
	}
	cx_set_str(t, row, C_STATE, st);
	cx_set_str(t, row, C_COMM, r->comm);
	if (r->thread || !n->cmdline) {
		/* a thread, or a process without a command line: its name, as ps shows it */
		char *b = cx_xasprintf("[%s]", r->comm);

		cx_set_str(t, row, C_CMDLINE, b);
		free(b);
	} else {
		cx_set_str(t, row, C_CMDLINE, n->cmdline);
	}
	cx_set_u64(t, row, C_MINFLT, r->minflt);
	cx_set_u64(t, row, C_MAJFLT, r->majflt);
	if (!r->thread) {
		cx_set_u64(t, row, C_CMINFLT, r->cminflt);
		cx_set_u64(t, row, C_CMAJFLT, r->cmajflt);
	}
	if (r->has_delta && dt > 0) {
		cx_set_rate(t, row, C_MINFLT_RATE, rate_of(r->d_minflt, dt));
		cx_set_rate(t, row, C_MAJFLT_RATE, rate_of(r->d_majflt, dt));
	}
	if (r->status != VMS_FS_EXITED) {
		cx_set_u64(t, row, C_RSS, r->rss);
		cx_set_u64(t, row, C_VSZ, r->vsz);
	}
	cx_set_str(t, row, C_STATUS, status_name(r->status));
}

static int sort_column(bool first)
{
	int c;

	if (!ctl.out.sort)
		return first ? C_MINFLT : C_MINFLT_RATE;
	c = cx_column_find(columns, C__COUNT, ctl.out.sort, strlen(ctl.out.sort));
	if (c < 0)
		cx_usage_error("unknown sort column: '%s'", ctl.out.sort);
	return c;
}

/* The value a numeric column has for @r, as fill_row() sets it; false for a null cell. */
static bool row_number(const struct vms_fault_row *r, int col, double dt, double *v)
{
	switch (col) {
	case C_PID:
		*v = r->pid;
		return true;
	case C_TID:
		*v = r->tid;
		return r->thread;
	case C_PPID:
		*v = r->ppid;
		return true;
	case C_UID:
		*v = r->uid;
		return true;
	case C_MINFLT_RATE:
	case C_MAJFLT_RATE:
		*v = rate_of(col == C_MINFLT_RATE ? r->d_minflt : r->d_majflt, dt);
		return r->has_delta && dt > 0;
	case C_MINFLT:
		*v = (double)r->minflt;
		return true;
	case C_MAJFLT:
		*v = (double)r->majflt;
		return true;
	case C_CMINFLT:
		*v = (double)r->cminflt;
		return !r->thread;
	case C_CMAJFLT:
		*v = (double)r->cmajflt;
		return !r->thread;
	case C_RSS:
		*v = (double)r->rss;
		return r->status != VMS_FS_EXITED;
	case C_VSZ:
		*v = (double)r->vsz;
		return r->status != VMS_FS_EXITED;
	}
	return false;
}

static struct {
	struct vms_sampler *s;
	int col;
	double dt;
	bool reverse;
} pick;

/* The order of cx_table_sort(): largest first, nulls last, then the order of the rows. */
static int pick_cmp(const void *a, const void *b)
{
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	double va, vb;
	bool na = !row_number(vms_sampler_row(pick.s, ia), pick.col, pick.dt, &va);
	bool nb = !row_number(vms_sampler_row(pick.s, ib), pick.col, pick.dt, &vb);
	int r;

	if (na || nb)
		return na == nb ? (ia > ib) - (ia < ib) : na ? 1 : -1;
	r = (va < vb) - (va > vb);
	if (pick.reverse)
		r = -r;
	return r ? r : (ia > ib) - (ia < ib);
}

/*
 * The rows to show, in order: processes sorted, each with its threads
 * after it (-T).  Returns the table; @rowsrc gets the sampler row of each.
 */
static void build_table(struct vms_sampler *s, struct cx_table *t, double dt, bool first)
{
	size_t n = vms_sampler_count(s);
	int sc = sort_column(first);

	cx_table_init(t, columns, C__COUNT, ctl.threads ? DEFAULT_COLS_T : DEFAULT_COLS, &ctl.out);
	if (ctl.threads) {
		/* a process, then its threads, in PID order: the tree is the order */
		const struct pname *pn = NULL;

		for (size_t i = 0; i < n; i++) {
			const struct vms_fault_row *r = vms_sampler_row(s, i);

			if (!r->thread)
				pn = names_of(r);
			if (show_row(r) && pn)
				fill_row(t, cx_table_add_row(t), r, dt, pn);
		}
		return;
	}
	if (ctl.mode == MODE_SYSTEM && ctl.top && columns[sc].type != CX_STR) {
		/*
		 * The top N by a number: chosen from the sampler's rows before
		 * any name is read, so that only the rows shown cost a look at
		 * their user and command line.
		 */
		size_t *idx = malloc((n ? n : 1) * sizeof(*idx)), m = 0;

		if (!idx)
			cx_oom();
		for (size_t i = 0; i < n; i++)
			if (show_row(vms_sampler_row(s, i)))
				idx[m++] = i;
		pick.s = s;
		pick.col = sc;
		pick.dt = dt;
		pick.reverse = ctl.out.reverse;
		if (m)
			qsort(idx, m, sizeof(*idx), pick_cmp);
		for (size_t i = 0; i < m && i < ctl.top; i++) {
			const struct vms_fault_row *r = vms_sampler_row(s, idx[i]);

			fill_row(t, cx_table_add_row(t), r, dt, names_of(r));
		}
		free(idx);
		cx_table_sort(t, sc, ctl.out.reverse);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct vms_fault_row *r = vms_sampler_row(s, i);

		if (show_row(r))
			fill_row(t, cx_table_add_row(t), r, dt, names_of(r));
	}
	cx_table_sort(t, sc, ctl.out.reverse);
	if (ctl.mode == MODE_SYSTEM && ctl.top && t->nrows > ctl.top)
		cx_table_truncate(t, ctl.top);
}

static void system_line(FILE *f, const struct vmsnap *v, const struct vmsnap *pv, double dt,
			bool first)
{
	char clock[16];

	cx_sample_clock(ctx, clock, sizeof(clock));
	fputs(clock, f);
	if (first)
		fputs("  since boot:", f);
	for (size_t i = 0; i < NVMKEYS; i++) {
		if (!v->have[i])
			continue;
		if (first || !pv->have[i])
			fprintf(f, "  %s %" PRIu64, vmkeys[i].label, v->v[i]);
		else if (v->v[i] < pv->v[i])
			fprintf(f, "  %s -", vmkeys[i].label); /* a counter went back: no rate */
		else
			fprintf(f, "  %s %.1f/s", vmkeys[i].label, rate_of(v->v[i] - pv->v[i], dt));
	}
	fputc('\n', f);
}

static void system_json(cJSON *doc, const struct vmsnap *v, const struct vmsnap *pv, double dt,
			bool first)
{
	cJSON *o = cJSON_AddObjectToObject(doc, "system"), *rates;

	if (!o)
		cx_oom();
	for (size_t i = 0; i < NVMKEYS; i++)
		if (v->have[i])
			cx_json_u64(o, vmkeys[i].key, v->v[i]);
	if (first) {
		cJSON_AddNullToObject(o, "rates");
		return;
	}
	rates = cJSON_AddObjectToObject(o, "rates");
	if (!rates)
		cx_oom();
	for (size_t i = 0; i < NVMKEYS; i++) {
		if (!v->have[i] || !pv->have[i])
			continue;
		if (v->v[i] < pv->v[i])
			cJSON_AddNullToObject(rates, vmkeys[i].key);
		else
			cx_json_rate(rates, vmkeys[i].key, rate_of(v->v[i] - pv->v[i], dt));
	}
}

static void json_processes(cJSON *doc, const struct cx_table *t)
{
	cJSON *arr = cJSON_AddArrayToObject(doc, "processes"), *proc = NULL, *threads = NULL;
	static const int ident[] = { C_PID, C_PPID, C_UID, C_USER, C_COMM, C_CMDLINE, C_STATE };

	if (!arr)
		cx_oom();
	for (size_t r = 0; r < t->nrows; r++) {
		const struct cx_cell *tid = &t->cells[r * t->ncols + C_TID];
		cJSON *o = cx_json_object();

		if (!tid->null) {
			cx_json_int(o, "tid", tid->i);
			cx_json_row(o, t, r, !ctl.out.output || ctl.out.output_all);
			cJSON_DeleteItemFromObjectCaseSensitive(o, "pid");
			cJSON_DeleteItemFromObjectCaseSensitive(o, "ppid");
			cJSON_DeleteItemFromObjectCaseSensitive(o, "uid");
			cJSON_DeleteItemFromObjectCaseSensitive(o, "user");
			cJSON_DeleteItemFromObjectCaseSensitive(o, "cmdline");
			cJSON_DeleteItemFromObjectCaseSensitive(o, "cminflt");
			cJSON_DeleteItemFromObjectCaseSensitive(o, "cmajflt");
			cJSON_DeleteItemFromObjectCaseSensitive(o, "rss");
			cJSON_DeleteItemFromObjectCaseSensitive(o, "vsz");
			if (!threads && proc) {
				threads = cJSON_AddArrayToObject(proc, "threads");
				if (!threads)
					cx_oom();
			}
			if (threads)
				cJSON_AddItemToArray(threads, o);
			else
				cJSON_Delete(o);
			continue;
		}
		for (size_t i = 0; i < sizeof(ident) / sizeof(ident[0]); i++) {
			const struct cx_cell *c = &t->cells[r * t->ncols + (size_t)ident[i]];

			if (columns[ident[i]].type == CX_STR)
				cx_json_str(o, columns[ident[i]].name, c->null ? NULL : c->s);
			else
				cx_json_int(o, columns[ident[i]].name, c->i);
		}
		cx_json_str(o, "status", t->cells[r * t->ncols + C_STATUS].s);
		cx_json_row(o, t, r, !ctl.out.output || ctl.out.output_all);
		cJSON_DeleteItemFromObjectCaseSensitive(o, "tid");
		cJSON_AddItemToArray(arr, o);
		proc = o;
		threads = NULL;
	}
}

static void print_openmetrics(struct vms_sampler *s, const struct vmsnap *v)
{
	size_t n = vms_sampler_count(s);

	if (ctl.mode == MODE_SYSTEM) {
		for (size_t i = 0; i < NVMKEYS; i++) {
			if (!v->have[i])
				continue;
			printf("# TYPE vmscope_vmstat_%s counter\n", vmkeys[i].key);
			printf("# HELP vmscope_vmstat_%s /proc/vmstat %s.\n", vmkeys[i].key,
			       vmkeys[i].key);
			printf("vmscope_vmstat_%s_total %" PRIu64 "\n", vmkeys[i].key, v->v[i]);
		}
	}
	for (int k = 0; k < 2; k++) {
		const char *m = k ? "major" : "minor";

		printf("# TYPE vmscope_process_%s_faults counter\n", m);
		printf("# HELP vmscope_process_%s_faults %s page faults of the process (stat %s).\n",
		       m, k ? "Major" : "Minor", k ? "majflt" : "minflt");
		for (size_t i = 0; i < n; i++) {
			const struct vms_fault_row *r = vms_sampler_row(s, i);
			const struct pname *nm;
			char *comm, *user, uid[16];

			if (!show_row(r) || r->thread)
				continue;
			nm = names_of(r);
			snprintf(uid, sizeof(uid), "%u", r->uid);
			comm = cx_om_label(r->comm);
			user = cx_om_label(nm->user ? nm->user : uid);
			printf("vmscope_process_%s_faults_total{pid=\"%d\",comm=\"%s\",user=\"%s\"} "
			       "%" PRIu64 "\n",
			       m, (int)r->pid, comm, user, k ? r->majflt : r->minflt);
			free(comm);
			free(user);
		}
	}
	printf("# EOF\n");
}

/* Output of one sample.  Returns false when stdout failed (a closed pipe). */
static bool output_sample(struct vms_sampler *s, unsigned long idx, const struct vmsnap *v,
			  const struct vmsnap *pv, bool *said, bool *partial)
{
	double dt = vms_sampler_interval(s);
	bool first = idx == 0;
	struct cx_table t;

	build_table(s, &t, dt, first);
	if (ctl.out.format == CX_FMT_JSON) {
		cJSON *doc = cx_json_doc();

		cx_json_str(doc, "root", vms_ctx_root(ctx));
		cx_json_u64(doc, "sample", idx);
		if (first)
			cJSON_AddNullToObject(doc, "interval");
		else
			cJSON_AddNumberToObject(doc, "interval", round(dt * 1000) / 1000);
		if (ctl.mode == MODE_SYSTEM)
			system_json(doc, v, pv, dt, first);
		json_processes(doc, &t);
		if (wh.rec && first) {
			cJSON_AddNullToObject(doc, "where"); /* no period yet */
			where_reset();
		} else if (wh.rec) {
			where_json(doc);
			where_reset();
		}
		if (ntlbs)
			tlb_report_json(doc, dt);
		*partial |= cx_report_sampler_missing(s, doc, ctl.pids, ctl.npids, said);
		if (cx_json_print_line(doc, stdout) < 0)
			cx_oom();
	} else {
		*partial |= cx_report_sampler_missing(s, NULL, ctl.pids, ctl.npids, said);
		if (idx)
			putchar('\n');
		if (ctl.mode == MODE_SYSTEM) {
			system_line(stdout, v, pv, dt, first);
		} else {
			char clock[16];

			cx_sample_clock(ctx, clock, sizeof(clock));
			if (first)
				printf("%s  since start\n", clock);
			else
				printf("%s  over %.2f s\n", clock, dt);
		}
		cx_table_print(&t, &ctl.out, stdout);
		if (wh.rec && !first) {
			putchar('\n');
			where_print_text(stdout, NULL);
		}
		if (wh.rec)
			where_reset();
		if (ntlbs)
			tlb_report_text(stdout);
		fflush(stdout);
	}
	cx_table_free(&t);
	names_rotate();
	return !ferror(stdout);
}

/*
 * Wait until @deadline (CLOCK_MONOTONIC), draining the fault records as
 * they come, and watching @pidfd (>= 0) for the command's end.
 * Returns 1 when the command ended, 0 at the deadline, -1 when stopped.
 */
static int wait_until(double deadline, int pidfd)
{
	for (;;) {
		struct pollfd pfd[64];
		const int *fds = NULL;
		size_t nfds = 0, np = 0;
		double left = deadline - cx_mono_now();
		struct timespec ts;
		int ret;

		if (stop_requested)
			return -1;
		if (left <= 0)
			return 0;
		if (pidfd >= 0) {
			pfd[np].fd = pidfd;
			pfd[np++].events = POLLIN;
		}
		if (wh.rec)
			nfds = vms_faultrec_fds(wh.rec, &fds);
		for (size_t i = 0; i < nfds && np < 64; i++) {
			if (i < 64 && (wh.hung & (UINT64_C(1) << i)))
				continue;
			pfd[np].fd = fds[i];
			pfd[np++].events = POLLIN;
		}
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		ret = ppoll(pfd, np, &ts, NULL);
		if (ret < 0 && errno != EINTR) {
			cx_warn("poll: %s", strerror(errno));
			return -1;
		}
		if (ret <= 0)
			continue;
		if (wh.rec)
			where_drain();
		/*
		 * A ring whose owning thread has exited reports POLLHUP, and
		 * nothing more, from then on: drained above, it is not polled
		 * again (the next drains still read it).
		 */
		for (size_t i = pidfd >= 0 ? 1 : 0; i < np; i++) {
			if (!(pfd[i].revents & POLLHUP))
				continue;
			for (size_t j = 0; j < nfds && j < 64; j++)
				if (fds[j] == pfd[i].fd)
					wh.hung |= UINT64_C(1) << j;
		}
		if (pidfd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP)))
			return 1;
	}
}

/* The system view and -p: sample, print, sleep, until the count or a signal. */
static int run_sampling(void)
{
	struct vms_sampler *s;
	struct vmsnap v[2] = { 0 }; /* no counters until a system view reads them */
	bool *said = calloc(ctl.npids + 1, sizeof(*said)), partial = false, shown = false;
	unsigned int flags = ctl.threads ? VMS_SAMPLER_THREADS : 0;
	double start = cx_mono_now();
	int ret;

	if (!said)
		cx_oom();
	ret = vms_sampler_new(ctx, flags, &s);
	if (ret < 0)
		cx_oom();
	if (ctl.mode == MODE_PIDS) {
		pid_t *p = malloc(ctl.npids * sizeof(*p));

		if (!p)
			cx_oom();
		for (size_t i = 0; i < ctl.npids; i++)
			p[i] = ctl.pids[i];
		if (vms_sampler_watch(s, p, ctl.npids) < 0)
			cx_oom();
		free(p);
	}
	if (ctl.mode == MODE_PIDS && (ctl.where || ctl.tlb)) {
		if (!vms_ctx_is_live(ctx))
			cx_usage_error("--where and --tlb need the live system, not a snapshot");
		for (size_t i = 0; i < ctl.npids; i++) {
			if (ctl.tlb)
				tlb_open_or_die(ctl.pids[i], 0);
		}
		if (ctl.where) {
			if (ctl.npids > 1)
				cx_usage_error("--where watches one process (and its threads and "
					       "children): give one PID");
			where_open(ctl.pids[0], 0);
		}
	}
	for (unsigned long k = 0;; k++) {
		struct vms_ctx *sctx = NULL;
		bool live;

		if (ctl.nroots > 1) {
			sctx = cx_open_root(ctl.roots[k]);
			vms_ctx_unref(ctx);
			ctx = sctx;
			/* the JSON of each sample names its own snapshot */
			cx_snapshot_set(ctx, ctl.roots[k]);
		}
		if (wh.rec)
			where_drain();
		ret = vms_sampler_sample(s, sctx);
		if (ret < 0)
			cx_sampler_error(ctx, ret, ctl.nroots);
		if (ctl.mode == MODE_SYSTEM && !read_vmstat(&v[k & 1]))
			cx_warn("cannot read /proc/vmstat: %s%s: the system line is left out",
				strerror(-vmstat_err),
				vmstat_err == -ENOENT && vms_ctx_is_live(ctx) ?
					" (not available in this procfs: subset=pid?)" :
					"");
		for (size_t i = 0; i < vms_sampler_count(s); i++)
			shown |= show_row(vms_sampler_row(s, i));
		if (ctl.out.format == CX_FMT_OPENMETRICS) {
			print_openmetrics(s, &v[k & 1]);
			partial |= cx_report_sampler_missing(s, NULL, ctl.pids, ctl.npids, said);
			break;
		}
		if (!output_sample(s, k, &v[k & 1], &v[(k + 1) & 1], said, &partial))
			break;
		live = true;
		if (ctl.mode == MODE_PIDS) {
			/* all gone: nothing more to watch */
			live = false;
			for (size_t i = 0; i < vms_sampler_count(s); i++)
				live |= vms_sampler_row(s, i)->status != VMS_FS_EXITED;
		}
		if (!live || (ctl.count && k + 1 >= ctl.count) ||
		    (ctl.nroots && k + 1 >= ctl.nroots))
			break;
		/* a series of snapshots has its own times: no waiting */
		if (vms_ctx_is_live(ctx) &&
		    wait_until(start + (double)(k + 1) * ctl.interval, -1) < 0)
			break;
	}
	vms_sampler_free(s);
	free(said);
	/* none of the named processes was ever there: nothing useful came out */
	if (ctl.mode == MODE_PIDS && !shown)
		return CX_EXIT_FAILURE;
	return partial ? CX_EXIT_PARTIAL : CX_EXIT_OK;
}

/* ---- running a command ---- */

struct tpoint {
	double t;
	uint64_t dmin, dmaj; /* faults in the interval before t */
	uint64_t tmin, tmaj; /* the first point: the tree's counts so far */
	bool have_rate;
	bool final; /* the last point: from the kernel's exact totals at exit */
	uint64_t rss;
	size_t procs;
};

/*
 * The faults of the command's process tree in the last interval: what
 * each process took (its own, and its reaped children's), less the counts
 * of tree members that a parent in the tree reaped -- those arrive again,
 * whole, in the parent's children counts.
 */
static void tree_delta(struct vms_sampler *s, struct tpoint *p)
{
	size_t n = vms_sampler_count(s);
	uint64_t dmin = 0, dmaj = 0;

	for (size_t i = 0; i < n; i++) {
		const struct vms_fault_row *r = vms_sampler_row(s, i);

		if (r->thread)
			continue;
		if (r->status != VMS_FS_EXITED) {
			p->rss += r->rss;
			p->procs++;
			p->tmin += r->minflt + r->cminflt;
			p->tmaj += r->majflt + r->cmajflt;
		}
		if (r->has_delta) {
			dmin += r->d_minflt + r->d_cminflt;
			dmaj += r->d_majflt + r->d_cmajflt;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct vms_fault_row *e = vms_sampler_row(s, i);

		if (e->thread || e->status != VMS_FS_EXITED)
			continue;
		for (size_t j = 0; j < n; j++) {
			const struct vms_fault_row *par = vms_sampler_row(s, j);
			uint64_t emin = e->minflt + e->cminflt, emaj = e->majflt + e->cmajflt;

			if (par->thread || par->pid != e->ppid || !par->has_delta)
				continue;
			if (par->d_cminflt >= emin && par->d_cmajflt >= emaj && dmin >= emin &&
			    dmaj >= emaj) {
				dmin -= emin;
				dmaj -= emaj;
			}
			break;
		}
	}
	p->dmin = dmin;
	p->dmaj = dmaj;
}

/* The command line for the report: each argument escaped, quoted when it holds a space. */
static void argv_text(char **argv, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (char **a = argv; *a && o + 1 < len; a++) {
		char *c = cx_sanitize(*a, strlen(*a), false);
		bool quote = !**a || strpbrk(*a, " \t'\"$&|;<>()*?") != NULL;

		if (!c)
			cx_oom();
		o += (size_t)snprintf(buf + o, len - o, "%s%s%s%s", a == argv ? "" : " ",
				      quote ? "'" : "", c, quote ? "'" : "");
		free(c);
	}
}

/*
 * The report goes to a temporary beside @path, 0600 whatever the umask and
 * O_CLOEXEC (not the command's to see), renamed over @path when complete.  A
 * regular file there is replaced, as time -o does; a symlink, a FIFO, a
 * device or a directory is refused before the command runs: the rename would
 * replace the node itself (as root, /dev/null).
 */
static FILE *open_output_file(const char *path, struct cx_outfile **out)
{
	FILE *f;
	int fd;

	*out = cx_outfile_open(path, CX_OUT_FORCE, NULL);
	if (!*out)
		exit(CX_EXIT_FAILURE);
	/* the stream has its own fd: cx_outfile_commit() syncs and closes the other */
	fd = fcntl(cx_outfile_fd(*out), F_DUPFD_CLOEXEC, 3);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		cx_warn("%s: %s", path, strerror(errno));
		fail_exit();
	}
	return f;
}

static int close_output_file(FILE *f, struct cx_outfile *out)
{
	int e = 0;

	if (fflush(f) != 0 || ferror(f))
		e = errno ? errno : EIO;
	if (fclose(f) != 0 && !e)
		e = errno;
	if (e) {
		cx_warn("%s: write error: %s", cx_outfile_path(out), strerror(e));
		cx_outfile_abort(out);
		return -1;
	}
	return cx_outfile_commit(out);
}

static void report_command(FILE *f, char **argv, int wstatus, const struct rusage *ru,
			   double elapsed, const struct tpoint *tl, size_t ntl, double interval)
{
	char cmd[1024], size[32];
	uint64_t maxrss = (uint64_t)ru->ru_maxrss * 1024;

	argv_text(argv, cmd, sizeof(cmd));
	if (ctl.out.format == CX_FMT_JSON) {
		cJSON *doc = cx_json_doc(), *run, *a, *arr;

		run = cJSON_AddObjectToObject(doc, "run");
		a = run ? cJSON_AddArrayToObject(run, "argv") : NULL;
		if (!a)
			cx_oom();
		for (char **p = argv; *p; p++) {
			cJSON *tmp = cx_json_object();

			cx_json_str(tmp, "a", *p);
			cJSON_AddItemToArray(a, cJSON_DetachItemFromObject(tmp, "a"));
			cJSON_Delete(tmp);
		}
		if (WIFEXITED(wstatus)) {
			cx_json_int(run, "exit_status", WEXITSTATUS(wstatus));
			cJSON_AddNullToObject(run, "signal");
		} else {
			cx_json_int(run, "exit_status", 128 + WTERMSIG(wstatus));
			cx_json_int(run, "signal", WTERMSIG(wstatus));
		}
		cJSON_AddNumberToObject(run, "elapsed", round(elapsed * 1000) / 1000);
		cx_json_u64(run, "minflt", (uint64_t)ru->ru_minflt);
		cx_json_u64(run, "majflt", (uint64_t)ru->ru_majflt);
		cx_json_u64(run, "max_rss", maxrss);
		cJSON_AddNumberToObject(run, "user_time",
					(double)ru->ru_utime.tv_sec +
						(double)ru->ru_utime.tv_usec / 1e6);
		cJSON_AddNumberToObject(run, "system_time",
					(double)ru->ru_stime.tv_sec +
						(double)ru->ru_stime.tv_usec / 1e6);
		cx_json_u64(run, "voluntary_ctxt_switches", (uint64_t)ru->ru_nvcsw);
		cx_json_u64(run, "involuntary_ctxt_switches", (uint64_t)ru->ru_nivcsw);
		cJSON_AddNumberToObject(run, "interval", interval);
		arr = cJSON_AddArrayToObject(run, "timeline");
		if (!arr)
			cx_oom();
		for (size_t i = 0; i < ntl; i++) {
			cJSON *o = cx_json_object();

			cJSON_AddNumberToObject(o, "t", round(tl[i].t * 1000) / 1000);
			if (tl[i].have_rate) {
				double dt = tl[i].t - (i ? tl[i - 1].t : 0);

				cx_json_u64(o, "minflt", tl[i].dmin);
				cx_json_u64(o, "majflt", tl[i].dmaj);
				cx_json_rate(o, "minflt_rate", rate_of(tl[i].dmin, dt));
				cx_json_rate(o, "majflt_rate", rate_of(tl[i].dmaj, dt));
			} else {
				cJSON_AddNullToObject(o, "minflt_rate");
				cJSON_AddNullToObject(o, "majflt_rate");
			}
			if (tl[i].final) {
				cJSON_AddTrueToObject(o, "exit");
			} else {
				cx_json_u64(o, "rss", tl[i].rss);
				cx_json_u64(o, "processes", tl[i].procs);
			}
			cJSON_AddItemToArray(arr, o);
		}
		if (wh.rec)
			where_json(run);
		if (ntlbs)
			tlb_report_json(run, 0);
		if (cx_json_print_line(doc, f) < 0)
			cx_oom();
		return;
	}
	fprintf(f, "vmfault: %s\n", cmd);
	if (WIFEXITED(wstatus))
		fprintf(f, "  exit status        %d\n", WEXITSTATUS(wstatus));
	else
		fprintf(f, "  killed by signal   %d (%s)%s\n", WTERMSIG(wstatus),
			strsignal(WTERMSIG(wstatus)), WCOREDUMP(wstatus) ? ", core dumped" : "");
	fprintf(f, "  elapsed            %.3f s\n", elapsed);
	fprintf(f, "  minor faults       %ld\n", ru->ru_minflt);
	fprintf(f, "  major faults       %ld\n", ru->ru_majflt);
	fprintf(f, "                     (the command and the children it waited for)\n");
	if (ctl.out.bytes)
		snprintf(size, sizeof(size), "%" PRIu64, maxrss);
	else
		cx_human_size(maxrss, size, sizeof(size));
	fprintf(f, "  peak RSS           %s (the largest single process)\n", size);
	fprintf(f, "  user time          %.3f s\n",
		(double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6);
	fprintf(f, "  system time        %.3f s\n",
		(double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6);
	fprintf(f, "  context switches   %ld voluntary, %ld involuntary\n", ru->ru_nvcsw,
		ru->ru_nivcsw);
	if (ntl > 1) {
		fprintf(f, "\ntimeline: every %.2f s, the command's processes (sampled)\n",
			interval);
		fprintf(f, "%9s %12s %12s %10s %6s\n", "TIME", "MINFLT/s", "MAJFLT/s", "RSS",
			"PROCS");
		for (size_t i = 1; i < ntl; i++) {
			double dt = tl[i].t - tl[i - 1].t;

			if (ctl.out.bytes)
				snprintf(size, sizeof(size), "%" PRIu64, tl[i].rss);
			else
				cx_human_size(tl[i].rss, size, sizeof(size));
			if (tl[i].final) {
				if (tl[i].have_rate)
					fprintf(f, "%9.2f %12.1f %12.1f %10s %6s  (to the exit)\n",
						tl[i].t, rate_of(tl[i].dmin, dt),
						rate_of(tl[i].dmaj, dt), "-", "-");
				else
					fprintf(f, "%9.2f %12s %12s %10s %6s  (to the exit)\n",
						tl[i].t, "-", "-", "-", "-");
				continue;
			}
			fprintf(f, "%9.2f %12.1f %12.1f %10s %6zu\n", tl[i].t,
				rate_of(tl[i].dmin, dt), rate_of(tl[i].dmaj, dt), size,
				tl[i].procs);
		}
	}
	if (wh.rec) {
		fputc('\n', f);
		where_print_text(f, "over the run");
	}
	if (ntlbs)
		tlb_report_text(f);
}

/*
 * Does @name exist as a file the shell would have tried?  An exec call says
 * EACCES both for a file that is not executable (126 in a shell) and for a
 * name it could not look up in a directory it may not search (127).
 */
static bool command_exists(const char *name)
{
	const char *path = getenv("PATH");
	struct stat st;

	if (strchr(name, '/'))
		return stat(name, &st) == 0;
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path;;) {
		const char *c = strchr(p, ':');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		/* an empty entry is the current directory */
		char *full = len ? cx_xasprintf("%.*s/%s", (int)len, p, name) :
				   cx_xasprintf("./%s", name);
		bool found = stat(full, &st) == 0 && !S_ISDIR(st.st_mode);

		free(full);
		if (found)
			return true;
		if (!c)
			return false;
		p = c + 1;
	}
}

static int run_command(void)
{
	int go[2], err[2], pidfd, wstatus = 0, ret, e = 0;
	struct vms_sampler *s;
	struct tpoint *tl = NULL;
	size_t ntl = 0, captl = 0;
	struct rusage ru;
	double start;
	pid_t child, w;
	ssize_t n;
	FILE *f = stderr;
	struct cx_outfile *out = NULL;

	if (!vms_ctx_is_live(ctx))
		cx_usage_error("a COMMAND runs on the live system, not with --root");
	if (ctl.output_file)
		f = open_output_file(ctl.output_file, &out);
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		cx_warn("pipe: %s", strerror(errno));
		return CX_EXIT_FAILURE;
	}
	fflush(NULL);
	start = cx_mono_now();
	child = fork();
	if (child < 0) {
		cx_warn("fork: %s", strerror(errno));
		return CX_EXIT_FAILURE;
	}
	if (child == 0) {
		char c;

		close(go[1]);
		close(err[0]);
		/* wait until the events (if any) are set up on us: no go, no exec */
		do {
			n = read(go[0], &c, 1);
		} while (n < 0 && errno == EINTR);
		if (n != 1)
			_exit(127);
		execvp(ctl.argv[0], ctl.argv); /* the COMMAND vmfault was given */
		e = errno;
		while (write(err[1], &e, sizeof(e)) < 0 && errno == EINTR)
			;
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	held_child = child;
	if (ctl.where)
		where_open(child, VMS_FR_ENABLE_ON_EXEC);
	if (ctl.tlb)
		tlb_open_or_die(child, VMS_FR_ENABLE_ON_EXEC);
	held_child = 0;
	while (write(go[1], "g", 1) < 0 && errno == EINTR)
		;
	close(go[1]);
	do {
		n = read(err[0], &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	close(err[0]);
	if (n == (ssize_t)sizeof(e)) {
		char *c = cx_sanitize(ctl.argv[0], strlen(ctl.argv[0]), false);
		int rc = e == ENOENT || (e == EACCES && !command_exists(ctl.argv[0])) ? 127 : 126;

		waitpid(child, NULL, 0);
		if (rc == 127 && !strchr(ctl.argv[0], '/'))
			cx_warn("cannot run '%s': command not found", c);
		else
			cx_warn("cannot run '%s': %s", c, strerror(e));
		free(c);
		if (out) {
			fclose(f);
			cx_outfile_abort(out);
		}
		return rc;
	}
	pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	ret = vms_sampler_new(ctx, VMS_SAMPLER_TREE, &s);
	if (ret < 0)
		cx_oom();
	if (vms_sampler_watch(s, &child, 1) < 0)
		cx_oom();
	for (unsigned long k = 0;; k++) {
		int r;

		/* while the command lives its maps can be read: place faults now */
		if (wh.rec)
			where_drain();
		if (vms_sampler_sample(s, NULL) == 0) {
			struct tpoint *p;

			tl = cx_grow(tl, ntl, &captl, sizeof(*tl));
			p = &tl[ntl++];
			memset(p, 0, sizeof(*p));
			p->t = cx_mono_now() - start;
			tree_delta(s, p);
			p->have_rate = k > 0;
		}
		if (pidfd < 0) {
			/* no pidfd: look every 10 ms */
			double next = start + (double)(k + 1) * ctl.interval;

			r = 0;
			while (cx_mono_now() < next) {
				w = waitpid(child, &wstatus, WNOHANG | __WALL);
				if (w == child) {
					r = 2;
					break;
				}
				wait_until(cx_mono_now() + 0.01, -1);
			}
		} else {
			r = wait_until(start + (double)(k + 1) * ctl.interval, pidfd);
		}
		if (r != 0)
			break;
	}
	/* the exact totals: the kernel's, from wait4 */
	do {
		w = wait4(child, &wstatus, 0, &ru);
	} while (w < 0 && errno == EINTR);
	if (w < 0 && errno == ECHILD) {
		/* reaped above (the fallback without pidfd): the children's totals */
		getrusage(RUSAGE_CHILDREN, &ru);
		w = child;
	}
	{
		double elapsed = cx_mono_now() - start;
		uint64_t omin = 0, omaj = 0;

		/*
		 * The last stretch, from the last sample to the exit: the exact
		 * totals less what the samples saw (unknown when the samples saw
		 * more, as when a process left the tree unreaped).
		 */
		for (size_t i = 0; i < ntl; i++) {
			omin += i ? tl[i].dmin : tl[i].tmin;
			omaj += i ? tl[i].dmaj : tl[i].tmaj;
		}
		if (ntl && w == child) {
			struct tpoint *p;

			tl = cx_grow(tl, ntl, &captl, sizeof(*tl));
			p = &tl[ntl++];
			memset(p, 0, sizeof(*p));
			p->t = elapsed;
			p->final = true;
			if ((uint64_t)ru.ru_minflt >= omin && (uint64_t)ru.ru_majflt >= omaj) {
				p->dmin = (uint64_t)ru.ru_minflt - omin;
				p->dmaj = (uint64_t)ru.ru_majflt - omaj;
				p->have_rate = true;
			}
		}
		if (wh.rec)
			where_drain();
		report_command(f, ctl.argv, wstatus, &ru, elapsed, tl, ntl, ctl.interval);
	}
	if (pidfd >= 0)
		close(pidfd);
	vms_sampler_free(s);
	free(tl);
	if (out && close_output_file(f, out) < 0)
		return CX_EXIT_FAILURE;
	fflush(stderr);
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	return 128 + WTERMSIG(wstatus);
}

int main(int argc, char **argv)
{
	enum { OPT_FORMAT = CX_OPT__FIRST_FREE, OPT_WHERE, OPT_TLB, OPT_OUTPUT_FILE };
	static const struct option longopts[] = {
		CX_OUTPUT_LONGOPTS,
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "pid", required_argument, NULL, 'p' },
		{ "threads", no_argument, NULL, 'T' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "top", required_argument, NULL, 'N' },
		{ "where", no_argument, NULL, OPT_WHERE },
		{ "tlb", no_argument, NULL, OPT_TLB },
		{ "output-file", required_argument, NULL, OPT_OUTPUT_FILE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_stop_signal };
	int c, ret;

	cx_init("vmfault");
	/* an exit on any error path leaves no half-written --output-file temporary */
	atexit(cx_outfile_abort_all);
	/* "+": options end at the first non-option, the COMMAND */
	while ((c = getopt_long(argc, argv, "+" CX_OUTPUT_SHORTOPTS "p:Ti:c:N:hV", longopts,
				NULL)) != -1) {
		if (c == CX_OPT_ROOT) {
			cx_add_root(&ctl.roots, &ctl.nroots, optarg);
			continue;
		}
		if (cx_output_option(c, optarg, &ctl.out, NULL))
			continue;
		switch (c) {
		case OPT_FORMAT:
			ctl.out.format = cx_parse_format(optarg);
			break;
		case 'p':
			ctl.npids = cx_parse_pid_list(optarg, &ctl.pids, ctl.npids);
			break;
		case 'T':
			ctl.threads = true;
			break;
		case 'i':
			ctl.interval = cx_parse_interval(optarg, false);
			ctl.interval_set = true;
			break;
		case 'c':
			ctl.count = cx_parse_count("--count", optarg, 100000000);
			ctl.count_set = true;
			break;
		case 'N':
			if (strcmp(optarg, "0") == 0)
				ctl.top = 0;
			else
				ctl.top = cx_parse_count("--top", optarg, 100000000);
			break;
		case OPT_WHERE:
			ctl.where = true;
			break;
		case OPT_TLB:
			ctl.tlb = true;
			break;
		case OPT_OUTPUT_FILE:
			if (!*optarg)
				cx_usage_error("--output-file needs a file name");
			ctl.output_file = optarg;
			break;
		case 'h':
			usage();
		case 'V':
			cx_version();
		default:
			cx_bad_option();
		}
	}
	if (optind < argc) {
		ctl.argv = &argv[optind];
		ctl.mode = MODE_COMMAND;
	}
	if (ctl.npids) {
		if (ctl.mode == MODE_COMMAND)
			cx_usage_error("-p and a COMMAND cannot be combined");
		ctl.mode = MODE_PIDS;
	}
	if (ctl.threads && ctl.mode == MODE_SYSTEM)
		cx_usage_error("--threads needs -p");
	if ((ctl.where || ctl.tlb) && ctl.mode == MODE_SYSTEM)
		cx_usage_error("--%s needs -p or a COMMAND", ctl.where ? "where" : "tlb");
	if (ctl.output_file && ctl.mode != MODE_COMMAND)
		cx_usage_error("--output-file goes with a COMMAND (otherwise redirect stdout)");
	if (ctl.out.format == CX_FMT_OPENMETRICS && (ctl.interval_set || ctl.count_set))
		cx_usage_error("--format openmetrics prints the counters once: no -i or -c");
	if (ctl.out.format == CX_FMT_OPENMETRICS && ctl.mode == MODE_COMMAND)
		cx_usage_error("--format openmetrics does not go with a COMMAND");
	if (ctl.mode == MODE_COMMAND && ctl.count_set)
		cx_usage_error("--count does not go with a COMMAND: it runs to its end");
	if (ctl.mode == MODE_COMMAND && ctl.nroots)
		cx_usage_error("a COMMAND runs on the live system, not with --root");
	cx_check_series(ctl.nroots, ctl.interval_set, ctl.count_set, ctl.count);
	if (ctl.mode == MODE_COMMAND && ctl.threads)
		cx_usage_error("--threads needs -p: a finished command's threads are gone");
	if (ctl.out.sort)
		sort_column(false);

	ctx = cx_open_root(ctl.nroots ? ctl.roots[0] : NULL);
	cx_snapshot_set(ctx, ctl.nroots ? ctl.roots[0] : NULL);
	if (ctl.nroots > 1) {
		struct vms_ctx *last = NULL;

		/* check them all before the first sample */
		for (size_t i = 1; i < ctl.nroots; i++) {
			vms_ctx_unref(last);
			last = cx_open_root(ctl.roots[i]);
		}
		cx_snapshot_banner(ctx, last, &ctl.out);
		vms_ctx_unref(last);
	} else {
		cx_snapshot_banner(ctx, NULL, &ctl.out);
	}
	if (ctl.nroots == 1)
		ctl.count = 1;
	names_cur = cx_strmap_new(sizeof(struct pname));
	if (!names_cur)
		cx_oom();
	if (ctl.mode != MODE_COMMAND) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		ret = run_sampling();
	} else {
		ret = run_command();
	}
	names_free(names_prev);
	names_free(names_cur);
	if (wh.rec) {
		vms_faultrec_close(wh.rec);
		where_reset();
		cx_strmap_free(wh.groups);
		for (size_t i = 0; i < wh.nspaces; i++) {
			wspace_clear(&wh.spaces[i]);
			free(wh.spaces[i].maps);
		}
		free(wh.spaces);
		free(wh.pending);
	}
	for (size_t i = 0; i < ntlbs; i++)
		vms_tlb_close(tlbs[i]);
	free(tlbs);
	free(tlb_prev);
	free(ctl.roots);
	free(ctl.pids);
	vms_ctx_unref(ctx);
	if (cx_close_stdout() && ret == CX_EXIT_OK)
		ret = CX_EXIT_FAILURE;
	return ret;
}
