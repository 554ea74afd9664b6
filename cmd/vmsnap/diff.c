// SPDX-License-Identifier: GPL-2.0-or-later
/* vmsnap diff: which processes and mappings appeared, vanished, grew or shrank between two snapshots. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "vmsnap.h"

/* The figures compared, from smaps_rollup. */
enum fig { F_RSS, F_PSS, F_USS, F_SWAP, F__COUNT };
static const char *const fig_names[F__COUNT] = { "rss", "pss", "uss", "swap" };

/* Mappings listed per process in text (JSON has them all). */
#define TEXT_MAPPINGS 5

enum col {
	C_PID,
	C_USER,
	C_STATUS,
	C_RSS_OLD,
	C_RSS_NEW,
	C_RSS_DELTA,
	C_PSS_OLD,
	C_PSS_NEW,
	C_PSS_DELTA,
	C_USS_OLD,
	C_USS_NEW,
	C_USS_DELTA,
	C_SWAP_OLD,
	C_SWAP_NEW,
	C_SWAP_DELTA,
	C_COMM,
	C_CMDLINE,
	C__COUNT
};

/* Deltas are signed: text the command formats itself ("+1.5 MiB"), right-aligned. */
static const struct cx_column columns[C__COUNT] = {
	[C_PID] = { "pid", "PID", CX_INT, "process ID" },
	[C_USER] = { "user", "USER", CX_STR, "user name (or uid)" },
	[C_STATUS] = { "status", "STATUS", CX_STR, "appeared, vanished, changed or unchanged" },
	[C_RSS_OLD] = { "rss_old", "RSS-OLD", CX_SIZE, "resident set size in OLD" },
	[C_RSS_NEW] = { "rss_new", "RSS-NEW", CX_SIZE, "resident set size in NEW" },
	[C_RSS_DELTA] = { "rss_delta", "RSS-DIFF", CX_STR, "change of the resident set size" },
	[C_PSS_OLD] = { "pss_old", "PSS-OLD", CX_SIZE, "proportional set size in OLD" },
	[C_PSS_NEW] = { "pss_new", "PSS-NEW", CX_SIZE, "proportional set size in NEW" },
	[C_PSS_DELTA] = { "pss_delta", "PSS-DIFF", CX_STR, "change of the proportional set size" },
	[C_USS_OLD] = { "uss_old", "USS-OLD", CX_SIZE, "unique set size in OLD" },
	[C_USS_NEW] = { "uss_new", "USS-NEW", CX_SIZE, "unique set size in NEW" },
	[C_USS_DELTA] = { "uss_delta", "USS-DIFF", CX_STR, "change of the unique set size" },
	[C_SWAP_OLD] = { "swap_old", "SWAP-OLD", CX_SIZE, "swap used in OLD" },
	[C_SWAP_NEW] = { "swap_new", "SWAP-NEW", CX_SIZE, "swap used in NEW" },
	[C_SWAP_DELTA] = { "swap_delta", "SWAP-DIFF", CX_STR, "change of the swap used" },
	[C_COMM] = { "comm", "COMM", CX_STR, "command name" },
	[C_CMDLINE] = { "cmdline", "COMMAND", CX_STR, "command line" },
};

enum mcol {
	M_ADDRESS,
	M_STATUS,
	M_SIZE,
	M_SIZE_DELTA,
	M_PSS_OLD,
	M_PSS_NEW,
	M_PSS_DELTA,
	M_RSS_DELTA,
	M_NAME,
	M__COUNT
};

static const struct cx_column mcolumns[M__COUNT] = {
	[M_ADDRESS] = { "address", "ADDRESS", CX_STR, "" },
	[M_STATUS] = { "status", "STATUS", CX_STR, "" },
	[M_SIZE] = { "size", "SIZE", CX_SIZE, "" },
	[M_SIZE_DELTA] = { "size_delta", "SIZE-DIFF", CX_STR, "" },
	[M_PSS_OLD] = { "pss_old", "PSS-OLD", CX_SIZE, "" },
	[M_PSS_NEW] = { "pss_new", "PSS-NEW", CX_SIZE, "" },
	[M_PSS_DELTA] = { "pss_delta", "PSS-DIFF", CX_STR, "" },
	[M_RSS_DELTA] = { "rss_delta", "RSS-DIFF", CX_STR, "" },
	[M_NAME] = { "name", "NAME", CX_STR, "" },
};

struct figs {
	bool have[F__COUNT];
	uint64_t v[F__COUNT];
};

struct dmap {
	uint64_t start, end;
	char *name;
	bool have_rss, have_pss;
	uint64_t rss, pss;
	bool matched;
};

struct dproc {
	pid_t pid, ppid;
	uint32_t uid;
	uint64_t start_time;
	char *comm, *cmdline, *user;
	struct figs f;
};

/* The system figures: MemTotal, MemAvailable, and swap used. */
enum { S_TOTAL, S_AVAIL, S_SWAP, S__COUNT };

struct dsnap {
	const char *path;
	struct vms_ctx *ctx;
	struct dproc *procs;
	size_t n;
	bool have_sys[S__COUNT];
	uint64_t sys[S__COUNT];
	bool have_time;
	time_t time;
	/* the description's host, time and kernel, kept after the context is gone */
	char *info[3];
};

static const char *const info_keys[3] = { "host", "time", "kernel" };

static const char *snap_info(const struct dsnap *s, const char *key)
{
	for (size_t i = 0; i < 3; i++)
		if (strcmp(key, info_keys[i]) == 0)
			return s->info[i];
	return NULL;
}

enum dstatus { D_VANISHED, D_APPEARED, D_CHANGED, D_UNCHANGED };
static const char *const status_names[] = { "vanished", "appeared", "changed", "unchanged" };

enum mstatus { MS_VANISHED, MS_APPEARED, MS_RESIZED, MS_CHANGED };
static const char *const mstatus_names[] = { "vanished", "appeared", "resized", "changed" };

struct mrow {
	const struct dmap *o, *n;
	enum mstatus st;
	int64_t dpss;
};

struct drow {
	const struct dproc *o, *n;
	enum dstatus st;
	bool have_delta[F__COUNT];
	int64_t delta[F__COUNT];
	struct dmap *om, *nm; /* the mappings of both, for one in both snapshots */
	size_t nom, nnm;
	int maps_err;
	struct mrow *maps;
	size_t nmaps;
};

static struct {
	struct cx_outopts out;
	bool all;
	unsigned long top;
	enum fig sort;
} dctl = { .sort = F_PSS };

void vmsnap_diff_columns(FILE *f)
{
	for (size_t i = 0; i < C__COUNT; i++)
		fprintf(f, " %16s  %s\n", columns[i].name, columns[i].help);
}

/* ---- reading a snapshot ---- */

static void figs_of(struct vms_proc *p, const struct vms_proc_info *pi, struct figs *f)
{
	static const enum vms_key keys[] = { VMS_KEY_RSS, VMS_KEY_PSS, 0, VMS_KEY_SWAP };
	struct vms_counters *c;
	uint64_t pc, pd;
	int ret = vms_proc_rollup(p, &c);

	memset(f, 0, sizeof(*f));
	if (ret < 0) {
		/* a zombie has given its memory back: it holds 0 */
		if ((ret == -ESRCH || ret == -ENOENT) && pi->state == 'Z' && !pi->kthread)
			for (int i = 0; i < F__COUNT; i++)
				f->have[i] = true;
		return;
	}
	for (int i = 0; i < F__COUNT; i++)
		if (i != F_USS)
			f->have[i] = vms_counters_get(c, keys[i], &f->v[i]) == 0;
	if (vms_counters_get(c, VMS_KEY_PRIVATE_CLEAN, &pc) == 0 &&
	    vms_counters_get(c, VMS_KEY_PRIVATE_DIRTY, &pd) == 0) {
		f->have[F_USS] = true;
		f->v[F_USS] = pc + pd;
	}
	vms_counters_free(c);
}

static int cmp_dproc(const void *a, const void *b)
{
	const struct dproc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static bool parse_time(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	if (!s)
		return false;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return false;
	*out = timegm(&tm);
	return true;
}

static void load_system(struct dsnap *s)
{
	static const char *const keys[] = { "MemTotal", "MemAvailable" };
	struct vms_counters *c;
	uint64_t total, free_;

	if (vms_meminfo_read(s->ctx, &c) < 0)
		return;
	for (int i = 0; i < 2; i++)
		s->have_sys[i] = vms_counters_find(c, keys[i], &s->sys[i]) == 0;
	if (vms_counters_find(c, "SwapTotal", &total) == 0 &&
	    vms_counters_find(c, "SwapFree", &free_) == 0) {
		s->have_sys[S_SWAP] = true;
		s->sys[S_SWAP] = total > free_ ? total - free_ : 0;
	}
	vms_counters_free(c);
}

/*
 * The contexts open: an archive's is a directory unpacked under $TMPDIR, which
 * only its last unref removes, so every exit unrefs them.
 */
static struct vms_ctx *open_ctxs[2];

static void unref_open_ctxs(void)
{
	for (size_t i = 0; i < 2; i++)
		open_ctxs[i] = vms_ctx_unref(open_ctxs[i]);
}

static void load_snapshot(struct dsnap *s, const char *path, size_t slot)
{
	struct vms_ptable *pt;
	int ret;

	memset(s, 0, sizeof(*s));
	s->path = path;
	s->ctx = cx_ctx_open(path, 0);
	if (!s->ctx)
		exit(CX_EXIT_FAILURE);
	open_ctxs[slot] = s->ctx;
	if (vms_ctx_is_live(s->ctx)) {
		cx_warn("%s: not a snapshot", path);
		exit(CX_EXIT_FAILURE);
	}
	ret = vms_ptable_read(s->ctx, VMS_PT_USER | VMS_PT_CMDLINE, &pt);
	if (ret < 0) {
		cx_warn("%s: cannot read the process table: %s", path, strerror(-ret));
		exit(CX_EXIT_FAILURE);
	}
	s->procs = calloc(vms_ptable_count(pt) + 1, sizeof(*s->procs));
	if (!s->procs)
		cx_oom();
	for (size_t i = 0; i < vms_ptable_count(pt); i++) {
		const struct vms_proc_info *pi = vms_ptable_get(pt, i);
		struct dproc *d = &s->procs[s->n++];
		struct vms_proc *p;

		d->pid = pi->pid;
		d->ppid = pi->ppid;
		d->uid = pi->uid;
		d->start_time = pi->start_time;
		d->comm = cx_xstrdup(pi->comm);
		d->cmdline = cx_xstrdup((pi->have & VMS_HAVE_CMDLINE) ? pi->cmdline : "");
		d->user = (pi->have & VMS_HAVE_USER) && pi->user ? cx_xstrdup(pi->user) : NULL;
		if (vms_proc_open(s->ctx, pi->pid, &p) == 0) {
			figs_of(p, pi, &d->f);
			vms_proc_close(p);
		}
	}
	vms_ptable_free(pt);
	qsort(s->procs, s->n, sizeof(*s->procs), cmp_dproc);
	load_system(s);
	s->have_time = parse_time(vms_ctx_snapshot_info(s->ctx, "time"), &s->time);
	for (size_t i = 0; i < 3; i++) {
		const char *v = vms_ctx_snapshot_info(s->ctx, info_keys[i]);

		s->info[i] = v ? cx_xstrdup(v) : NULL;
	}
}

/* Done reading @s: an archive's unpacked directory goes now, before any output
 * (a reader that stops early would kill us with SIGPIPE, leaving it behind). */
static void close_snapshot(struct dsnap *s)
{
	for (size_t i = 0; i < 2; i++)
		if (open_ctxs[i] == s->ctx)
			open_ctxs[i] = NULL;
	s->ctx = vms_ctx_unref(s->ctx);
}

static void free_snapshot(struct dsnap *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->procs[i].comm);
		free(s->procs[i].cmdline);
		free(s->procs[i].user);
	}
	free(s->procs);
	for (size_t i = 0; i < 3; i++)
		free(s->info[i]);
	close_snapshot(s);
}

/* The mappings of @pid in @s, with their smaps figures; 0 or -errno. */
static int load_maps(const struct dsnap *s, pid_t pid, struct dmap **out, size_t *n)
{
	const struct vms_mapping *m;
	struct vms_maps *it;
	struct vms_proc *p;
	struct dmap *v = NULL;
	size_t cap = 0;
	int ret;

	*out = NULL;
	*n = 0;
	ret = vms_proc_open(s->ctx, pid, &p);
	if (ret < 0)
		return ret;
	ret = vms_maps_open(p, VMS_MAPS_SMAPS, &it);
	if (ret < 0) {
		vms_proc_close(p);
		return ret;
	}
	while ((ret = vms_maps_next(it, &m)) > 0) {
		struct dmap *d;

		v = cx_grow(v, *n, &cap, sizeof(*v));
		d = &v[(*n)++];
		memset(d, 0, sizeof(*d));
		d->start = m->start;
		d->end = m->end;
		d->name = strndup(m->name, m->name_len);
		if (!d->name)
			cx_oom();
		if (m->counters) {
			d->have_rss = vms_counters_get(m->counters, VMS_KEY_RSS, &d->rss) == 0;
			d->have_pss = vms_counters_get(m->counters, VMS_KEY_PSS, &d->pss) == 0;
		}
	}
	vms_maps_close(it);
	vms_proc_close(p);
	*out = v;
	return ret < 0 ? ret : 0;
}

static void free_maps(struct dmap *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* ---- comparing ---- */

static int64_t sdiff(uint64_t a, uint64_t b)
{
	return (int64_t)(b - a);
}

static int cmp_mrow(const void *a, const void *b)
{
	const struct mrow *x = a, *y = b;
	uint64_t ax = x->dpss < 0 ? -(uint64_t)x->dpss : (uint64_t)x->dpss;
	uint64_t ay = y->dpss < 0 ? -(uint64_t)y->dpss : (uint64_t)y->dpss;
	uint64_t sx = x->n ? x->n->start : x->o->start, sy = y->n ? y->n->start : y->o->start;

	if (ax != ay)
		return ax < ay ? 1 : -1;
	return (sx > sy) - (sx < sy);
}

static void add_mrow(struct drow *r, size_t *cap, const struct dmap *o, const struct dmap *n,
		     enum mstatus st)
{
	struct mrow *m;

	r->maps = cx_grow(r->maps, r->nmaps, cap, sizeof(*r->maps));
	m = &r->maps[r->nmaps++];
	m->o = o;
	m->n = n;
	m->st = st;
	m->dpss = sdiff(o && o->have_pss ? o->pss : 0, n && n->have_pss ? n->pss : 0);
}

/*
 * The mappings that changed: matched by start address and name (the same
 * mapping, maybe grown at its end), then by end and name (a stack grown
 * down); what is left appeared or vanished.
 */
static void diff_maps(struct drow *r)
{
	size_t cap = 0, i = 0, j = 0;

	while (i < r->nom && j < r->nnm) {
		struct dmap *o = &r->om[i], *n = &r->nm[j];

		if (o->start < n->start) {
			i++;
		} else if (o->start > n->start) {
			j++;
		} else {
			if (strcmp(o->name, n->name) == 0) {
				o->matched = n->matched = true;
				if (o->end != n->end)
					add_mrow(r, &cap, o, n, MS_RESIZED);
				else if (o->have_rss != n->have_rss || o->rss != n->rss ||
					 o->have_pss != n->have_pss || o->pss != n->pss)
					add_mrow(r, &cap, o, n, MS_CHANGED);
			}
			i++;
			j++;
		}
	}
	for (i = 0; i < r->nom; i++) {
		struct dmap *o = &r->om[i];

		for (j = 0; j < r->nnm && !o->matched; j++) {
			struct dmap *n = &r->nm[j];

			if (!n->matched && n->end == o->end && strcmp(o->name, n->name) == 0) {
				o->matched = n->matched = true;
				add_mrow(r, &cap, o, n, MS_RESIZED);
			}
		}
		if (!o->matched)
			add_mrow(r, &cap, o, NULL, MS_VANISHED);
	}
	for (j = 0; j < r->nnm; j++)
		if (!r->nm[j].matched)
			add_mrow(r, &cap, NULL, &r->nm[j], MS_APPEARED);
	if (r->nmaps)
		qsort(r->maps, r->nmaps, sizeof(*r->maps), cmp_mrow);
}

static void set_deltas(struct drow *r)
{
	for (int i = 0; i < F__COUNT; i++) {
		bool ho = r->o && r->o->f.have[i], hn = r->n && r->n->f.have[i];

		if (r->o && r->n) {
			r->have_delta[i] = ho && hn;
			r->delta[i] = sdiff(r->o->f.v[i], r->n->f.v[i]);
		} else if (r->n) {
			r->have_delta[i] = hn;
			r->delta[i] = (int64_t)r->n->f.v[i];
		} else if (r->o) { /* a row has one side at least */
			r->have_delta[i] = ho;
			r->delta[i] = -(int64_t)r->o->f.v[i];
		}
	}
}

static bool figs_equal(const struct figs *a, const struct figs *b)
{
	for (int i = 0; i < F__COUNT; i++)
		if (a->have[i] != b->have[i] || (a->have[i] && a->v[i] != b->v[i]))
			return false;
	return true;
}

static void add_row(struct drow **rows, size_t *n, size_t *cap, const struct dproc *o,
		    const struct dproc *p, const struct dsnap *os, const struct dsnap *ns)
{
	struct drow *r;

	*rows = cx_grow(*rows, *n, cap, sizeof(**rows));
	r = &(*rows)[(*n)++];
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->n = p;
	r->st = !o ? D_APPEARED : !p ? D_VANISHED : D_UNCHANGED;
	set_deltas(r);
	if (o && p) {
		int e1 = load_maps(os, o->pid, &r->om, &r->nom);
		int e2 = load_maps(ns, p->pid, &r->nm, &r->nnm);

		r->maps_err = e1 < 0 ? e1 : e2;
		if (!r->maps_err)
			diff_maps(r);
		if (!figs_equal(&o->f, &p->f) || r->nmaps)
			r->st = D_CHANGED;
	}
}

static uint64_t abs64(int64_t v)
{
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

static int cmp_drow(const void *a, const void *b)
{
	const struct drow *x = a, *y = b;
	pid_t px = x->n ? x->n->pid : x->o->pid, py = y->n ? y->n->pid : y->o->pid;
	int f = dctl.sort;

	if (x->have_delta[f] != y->have_delta[f])
		return x->have_delta[f] ? -1 : 1;
	if (x->have_delta[f] && abs64(x->delta[f]) != abs64(y->delta[f]))
		return abs64(x->delta[f]) < abs64(y->delta[f]) ? 1 : -1;
	if (px != py)
		return (px > py) - (px < py);
	return (x->st > y->st) - (x->st < y->st);
}

/* Processes matched by (pid, start time): a reused PID is one that vanished and one that appeared. */
static size_t diff_procs(const struct dsnap *os, const struct dsnap *ns, struct drow **rows)
{
	size_t i = 0, j = 0, n = 0, cap = 0;

	*rows = NULL;
	while (i < os->n || j < ns->n) {
		const struct dproc *o = i < os->n ? &os->procs[i] : NULL;
		const struct dproc *p = j < ns->n ? &ns->procs[j] : NULL;

		if (o && (!p || o->pid < p->pid)) {
			add_row(rows, &n, &cap, o, NULL, os, ns);
			i++;
		} else if (p && (!o || p->pid < o->pid)) {
			add_row(rows, &n, &cap, NULL, p, os, ns);
			j++;
		} else if (o->start_time == p->start_time) {
			add_row(rows, &n, &cap, o, p, os, ns);
			i++;
			j++;
		} else {
			add_row(rows, &n, &cap, o, NULL, os, ns);
			add_row(rows, &n, &cap, NULL, p, os, ns);
			i++;
			j++;
		}
	}
	if (n)
		qsort(*rows, n, sizeof(**rows), cmp_drow);
	return n;
}

static void free_rows(struct drow *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free_maps(rows[i].om, rows[i].nom);
		free_maps(rows[i].nm, rows[i].nnm);
		free(rows[i].maps);
	}
	free(rows);
}

/* ---- text ---- */

/* "+1.5 MiB", "-512 KiB", "0 B"; "+1536" with -b. */
static void delta_text(int64_t v, char *buf, size_t len)
{
	char h[32];

	if (dctl.out.bytes || dctl.out.format == CX_FMT_RAW) {
		snprintf(buf, len, v ? "%+" PRId64 : "0", v);
		return;
	}
	cx_human_size(abs64(v), h, sizeof(h));
	snprintf(buf, len, "%s%s", v > 0 ? "+" : v < 0 ? "-" : "", h);
}

/* Right-align the delta columns (text cells): pad each to the widest, header included. */
static void align_deltas(struct cx_table *t, const int *cols, size_t ncols)
{
	if (dctl.out.format == CX_FMT_RAW)
		return;
	for (size_t k = 0; k < ncols; k++) {
		size_t w = dctl.out.noheadings ? 0 : strlen(t->cols[cols[k]].header);

		for (size_t r = 0; r < t->nrows; r++) {
			struct cx_cell *c = cx_cell(t, r, cols[k]);

			if (!c->null && strlen(c->s) > w)
				w = strlen(c->s);
		}
		for (size_t r = 0; r < t->nrows; r++) {
			struct cx_cell *c = cx_cell(t, r, cols[k]);
			char *p = cx_xasprintf("%*s", (int)w, c->null ? "-" : c->s);

			cx_set_str(t, r, cols[k], p);
			free(p);
		}
	}
}

static void set_delta(struct cx_table *t, size_t row, int col, bool have, int64_t v)
{
	char buf[48];

	if (!have)
		return;
	delta_text(v, buf, sizeof(buf));
	cx_set_str(t, row, col, buf);
}

static const char *command_of(const struct dproc *d, char *buf, size_t len)
{
	if (d->cmdline[0])
		return d->cmdline;
	snprintf(buf, len, "[%s]", d->comm);
	return buf;
}

static void fill_row(struct cx_table *t, const struct drow *r)
{
	const struct dproc *d = r->n ? r->n : r->o;
	size_t row = cx_table_add_row(t);
	char buf[4096], uid[16];

	cx_set_int(t, row, C_PID, d->pid);
	snprintf(uid, sizeof(uid), "%u", (unsigned int)d->uid);
	cx_set_str(t, row, C_USER, d->user ? d->user : uid);
	cx_set_str(t, row, C_STATUS, status_names[r->st]);
	for (int i = 0; i < F__COUNT; i++) {
		int base = C_RSS_OLD + 3 * i;

		if (r->o && r->o->f.have[i])
			cx_set_u64(t, row, base, r->o->f.v[i]);
		if (r->n && r->n->f.have[i])
			cx_set_u64(t, row, base + 1, r->n->f.v[i]);
		set_delta(t, row, base + 2, r->have_delta[i], r->delta[i]);
	}
	cx_set_str(t, row, C_COMM, d->comm);
	cx_set_str(t, row, C_CMDLINE, command_of(d, buf, sizeof(buf)));
}

static void print_maps(const struct drow *r)
{
	static const int dcols[] = { M_SIZE_DELTA, M_PSS_DELTA, M_RSS_DELTA };
	struct cx_outopts mo = dctl.out;
	const struct dproc *d = r->n;
	struct cx_table t;
	size_t shown = r->nmaps < TEXT_MAPPINGS ? r->nmaps : TEXT_MAPPINGS;
	char *comm = cx_sanitize(d->comm, strlen(d->comm), false);

	if (!comm)
		cx_oom();
	mo.output = NULL;
	mo.output_all = false;
	if (shown < r->nmaps)
		printf("\npid %d (%s): the %zu of %zu mappings that changed most\n", (int)d->pid,
		       comm, shown, r->nmaps);
	else
		printf("\npid %d (%s): %zu %s changed\n", (int)d->pid, comm, r->nmaps,
		       r->nmaps == 1 ? "mapping" : "mappings");
	free(comm);
	cx_table_init(&t, mcolumns, M__COUNT,
		      "address,status,size,size_delta,pss_old,pss_new,pss_delta,rss_delta,name",
		      &mo);
	for (size_t i = 0; i < shown; i++) {
		const struct mrow *m = &r->maps[i];
		const struct dmap *a = m->n ? m->n : m->o;
		size_t row = cx_table_add_row(&t);
		char addr[48];

		snprintf(addr, sizeof(addr), "%08" PRIx64 "-%08" PRIx64, a->start, a->end);
		cx_set_str(&t, row, M_ADDRESS, addr);
		cx_set_str(&t, row, M_STATUS, mstatus_names[m->st]);
		cx_set_u64(&t, row, M_SIZE, a->end - a->start);
		if (m->o && m->n)
			set_delta(&t, row, M_SIZE_DELTA, true,
				  sdiff(m->o->end - m->o->start, m->n->end - m->n->start));
		if (m->o && m->o->have_pss)
			cx_set_u64(&t, row, M_PSS_OLD, m->o->pss);
		if (m->n && m->n->have_pss)
			cx_set_u64(&t, row, M_PSS_NEW, m->n->pss);
		set_delta(&t, row, M_PSS_DELTA, true, m->dpss);
		set_delta(&t, row, M_RSS_DELTA, true,
			  sdiff(m->o && m->o->have_rss ? m->o->rss : 0,
				m->n && m->n->have_rss ? m->n->rss : 0));
		cx_set_str(&t, row, M_NAME, a->name[0] ? a->name : NULL);
	}
	align_deltas(&t, dcols, sizeof(dcols) / sizeof(dcols[0]));
	cx_table_print(&t, &mo, stdout);
	cx_table_free(&t);
}

/* "5m 0s", "2h 3m 4s", "1d 2h 3m" */
static void duration_text(int64_t s, char *buf, size_t len)
{
	uint64_t a = abs64(s);
	const char *sign = s < 0 ? "-" : "";

	if (a < 60)
		snprintf(buf, len, "%s%" PRIu64 "s", sign, a);
	else if (a < 3600)
		snprintf(buf, len, "%s%" PRIu64 "m %" PRIu64 "s", sign, a / 60, a % 60);
	else if (a < 86400)
		snprintf(buf, len, "%s%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", sign, a / 3600,
			 a / 60 % 60, a % 60);
	else
		snprintf(buf, len, "%s%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m", sign, a / 86400,
			 a / 3600 % 24, a / 60 % 60);
}

static void print_snapshot_line(const char *which, const struct dsnap *s)
{
	char *t = cx_snapshot_text(snap_info(s, "host"), snap_info(s, "time"), NULL,
				   snap_info(s, "kernel"));

	printf("%s: %s\n", which, t);
	free(t);
}

static void print_system(const struct dsnap *os, const struct dsnap *ns)
{
	static const char *const names[S__COUNT] = { "MemTotal", "MemAvailable", "SwapUsed" };
	const char *sep = "";

	if (os->have_time && ns->have_time) {
		char d[64];

		duration_text((int64_t)difftime(ns->time, os->time), d, sizeof(d));
		printf("%s between the snapshots; ", d);
	}
	for (int i = 0; i < S__COUNT; i++) {
		char now[32], dl[48];

		if (!ns->have_sys[i])
			continue;
		if (dctl.out.bytes)
			snprintf(now, sizeof(now), "%" PRIu64, ns->sys[i]);
		else
			cx_human_size(ns->sys[i], now, sizeof(now));
		printf("%s%s %s", sep, names[i], now);
		if (os->have_sys[i]) {
			delta_text(sdiff(os->sys[i], ns->sys[i]), dl, sizeof(dl));
			printf(" (%s)", dl);
		}
		sep = ", ";
	}
	putchar('\n');
}

static void print_text(const struct dsnap *os, const struct dsnap *ns, struct drow *rows, size_t n,
		       size_t shown)
{
	static const int dcols[] = { C_RSS_DELTA, C_PSS_DELTA, C_USS_DELTA, C_SWAP_DELTA };
	size_t count[4] = { 0 };
	struct cx_table t;
	char defaults[160];
	int f = dctl.sort;
	bool raw = dctl.out.format == CX_FMT_RAW;

	snprintf(defaults, sizeof(defaults), "pid,user,status,%s_old,%s_new,%s_delta", fig_names[f],
		 fig_names[f], fig_names[f]);
	for (int i = 0; i < F__COUNT; i++)
		if (i != f)
			snprintf(defaults + strlen(defaults), sizeof(defaults) - strlen(defaults),
				 ",%s_delta", fig_names[i]);
	strcat(defaults, ",cmdline");
	cx_table_init(&t, columns, C__COUNT, defaults, &dctl.out);
	for (size_t i = 0; i < n; i++)
		count[rows[i].st]++;
	for (size_t i = 0; i < shown; i++)
		fill_row(&t, &rows[i]);
	align_deltas(&t, dcols, sizeof(dcols) / sizeof(dcols[0]));
	if (!raw) {
		print_snapshot_line("old", os);
		print_snapshot_line("new", ns);
		print_system(os, ns);
		printf("%zu appeared, %zu vanished, %zu changed, %zu unchanged\n",
		       count[D_APPEARED], count[D_VANISHED], count[D_CHANGED], count[D_UNCHANGED]);
		if (shown)
			putchar('\n');
	}
	if (shown)
		cx_table_print(&t, &dctl.out, stdout);
	cx_table_free(&t);
	if (raw)
		return;
	for (size_t i = 0; i < shown; i++)
		if (rows[i].nmaps)
			print_maps(&rows[i]);
}

/* ---- JSON ---- */

static void jnull(cJSON *o, const char *key)
{
	cJSON_AddItemToObject(o, key, cJSON_CreateNull());
}

static cJSON *json_snapshot(const struct dsnap *s)
{
	return cx_json_snapshot_obj(s->path, snap_info(s, "host"), snap_info(s, "time"),
				    snap_info(s, "kernel"));
}

static cJSON *json_system(const struct dsnap *os, const struct dsnap *ns)
{
	static const char *const keys[S__COUNT] = { "mem_total", "mem_available", "swap_used" };
	cJSON *o = cx_json_object();

	if (os->have_time && ns->have_time)
		cx_json_int(o, "seconds", (int64_t)difftime(ns->time, os->time));
	else
		jnull(o, "seconds");
	for (int i = 0; i < S__COUNT; i++) {
		cJSON *v = cx_json_object();

		if (os->have_sys[i])
			cx_json_u64(v, "old", os->sys[i]);
		else
			jnull(v, "old");
		if (ns->have_sys[i])
			cx_json_u64(v, "new", ns->sys[i]);
		else
			jnull(v, "new");
		if (os->have_sys[i] && ns->have_sys[i])
			cx_json_int(v, "delta", sdiff(os->sys[i], ns->sys[i]));
		else
			jnull(v, "delta");
		cJSON_AddItemToObject(o, keys[i], v);
	}
	return o;
}

static void json_figs(cJSON *o, const char *key, const struct dproc *d)
{
	cJSON *f;

	if (!d) {
		jnull(o, key);
		return;
	}
	f = cx_json_object();
	for (int i = 0; i < F__COUNT; i++)
		if (d->f.have[i])
			cx_json_u64(f, fig_names[i], d->f.v[i]);
		else
			jnull(f, fig_names[i]);
	cJSON_AddItemToObject(o, key, f);
}

static void json_hex(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	cJSON_AddItemToObject(o, key, cJSON_CreateString(buf));
}

static void json_map_side(cJSON *o, const char *key, const struct dmap *m)
{
	cJSON *s;

	if (!m) {
		jnull(o, key);
		return;
	}
	s = cx_json_object();
	json_hex(s, "start", m->start);
	json_hex(s, "end", m->end);
	cx_json_u64(s, "size", m->end - m->start);
	if (m->have_rss)
		cx_json_u64(s, "rss", m->rss);
	else
		jnull(s, "rss");
	if (m->have_pss)
		cx_json_u64(s, "pss", m->pss);
	else
		jnull(s, "pss");
	cJSON_AddItemToObject(o, key, s);
}

static cJSON *json_mappings(const struct drow *r)
{
	cJSON *a = cx_json_array();

	for (size_t i = 0; i < r->nmaps; i++) {
		const struct mrow *m = &r->maps[i];
		const struct dmap *x = m->n ? m->n : m->o;
		cJSON *o = cx_json_object(), *d = cx_json_object();

		json_hex(o, "start", x->start);
		json_hex(o, "end", x->end);
		cx_json_str(o, "name", x->name);
		cJSON_AddItemToObject(o, "status", cJSON_CreateString(mstatus_names[m->st]));
		json_map_side(o, "old", m->o);
		json_map_side(o, "new", m->n);
		cx_json_int(d, "size",
			    sdiff(m->o ? m->o->end - m->o->start : 0,
				  m->n ? m->n->end - m->n->start : 0));
		cx_json_int(d, "rss",
			    sdiff(m->o && m->o->have_rss ? m->o->rss : 0,
				  m->n && m->n->have_rss ? m->n->rss : 0));
		cx_json_int(d, "pss", m->dpss);
		cJSON_AddItemToObject(o, "delta", d);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static int print_json(const struct dsnap *os, const struct dsnap *ns, const struct drow *rows,
		      size_t shown)
{
	cJSON *doc = cx_json_doc(), *procs = cx_json_array();

	cJSON_AddItemToObject(doc, "old", json_snapshot(os));
	cJSON_AddItemToObject(doc, "new", json_snapshot(ns));
	cJSON_AddItemToObject(doc, "system", json_system(os, ns));
	for (size_t i = 0; i < shown; i++) {
		const struct drow *r = &rows[i];
		const struct dproc *d = r->n ? r->n : r->o;
		cJSON *o = cx_json_object(), *delta = cx_json_object();

		cx_json_int(o, "pid", d->pid);
		cx_json_int(o, "ppid", d->ppid);
		cx_json_u64(o, "uid", d->uid);
		cx_json_str(o, "user", d->user);
		cx_json_str(o, "comm", d->comm);
		cx_json_str(o, "cmdline", d->cmdline);
		cx_json_u64(o, "start_time", d->start_time);
		cJSON_AddItemToObject(o, "status", cJSON_CreateString(status_names[r->st]));
		json_figs(o, "old", r->o);
		json_figs(o, "new", r->n);
		for (int f = 0; f < F__COUNT; f++)
			if (r->have_delta[f])
				cx_json_int(delta, fig_names[f], r->delta[f]);
			else
				jnull(delta, fig_names[f]);
		cJSON_AddItemToObject(o, "delta", delta);
		if (r->o && r->n && r->maps_err)
			jnull(o, "mappings");
		else
			cJSON_AddItemToObject(o, "mappings", json_mappings(r));
		cJSON_AddItemToArray(procs, o);
	}
	cJSON_AddItemToObject(doc, "processes", procs);
	return cx_json_print(doc, stdout);
}

/* ---- the command ---- */

static void warn_mismatch(const struct dsnap *os, const struct dsnap *ns, const char *key,
			  const char *what)
{
	const char *a = snap_info(os, key), *b = snap_info(ns, key);
	char *sa, *sb;

	if (!a || !b || strcmp(a, b) == 0)
		return;
	sa = cx_sanitize(a, strlen(a), false);
	sb = cx_sanitize(b, strlen(b), false);
	if (!sa || !sb)
		cx_oom();
	cx_warn("the snapshots are of different %s (%s and %s): compared all the same", what, sa,
		sb);
	free(sa);
	free(sb);
}

static void parse_sort(const char *arg)
{
	for (int i = 0; i < F__COUNT; i++)
		if (strcmp(arg, fig_names[i]) == 0) {
			dctl.sort = (enum fig)i;
			return;
		}
	cx_usage_error("unknown sort column '%s' (rss, pss, uss or swap)", arg);
}

int vmsnap_diff_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "top", required_argument, NULL, 'N' },
		{ "sort", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "output-all", no_argument, NULL, CX_OPT_OUTPUT_ALL },
		{ "json", no_argument, NULL, 'J' },
		{ "raw", no_argument, NULL, 'r' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct dsnap os, ns;
	struct drow *rows;
	size_t n, shown = 0;
	int c, ret = CX_EXIT_OK;

	/* -o is the capture's --output-file: here the columns are --output only */
	while ((c = getopt_long(argc, argv, "aN:s:JrnbhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			dctl.all = true;
			break;
		case 'N':
			dctl.top = strcmp(optarg, "0") == 0 ?
					   0 :
					   cx_parse_count("--top", optarg, 100000000);
			break;
		case 's':
			parse_sort(optarg);
			break;
		case 'h':
			vmsnap_usage();
		case 'V':
			cx_version();
		default:
			if (!cx_output_option(c, optarg, &dctl.out, NULL))
				cx_bad_option();
		}
	}
	if (argc - optind != 2)
		cx_usage_error("diff compares two snapshots: vmsnap diff OLD NEW");
	/* unknown columns are a usage error before anything is read */
	{
		struct cx_table t;

		cx_table_init(&t, columns, C__COUNT, "pid", &dctl.out);
		cx_table_free(&t);
	}
	atexit(unref_open_ctxs);
	load_snapshot(&os, argv[optind], 0);
	load_snapshot(&ns, argv[optind + 1], 1);
	warn_mismatch(&os, &ns, "host", "hosts");
	warn_mismatch(&os, &ns, "kernel", "kernels");
	if (os.have_time && ns.have_time && ns.time < os.time)
		cx_warn("NEW was taken before OLD: the changes go backwards in time");

	n = diff_procs(&os, &ns, &rows);
	close_snapshot(&os);
	close_snapshot(&ns);
	for (size_t i = 0; i < n; i++) {
		if (!dctl.all && rows[i].st == D_UNCHANGED)
			continue;
		if (dctl.top && shown == dctl.top)
			break;
		if (i != shown) {
			struct drow tmp = rows[shown];

			rows[shown] = rows[i];
			rows[i] = tmp;
		}
		shown++;
	}
	if (dctl.out.format == CX_FMT_JSON) {
		if (print_json(&os, &ns, rows, shown) < 0)
			cx_oom();
	} else {
		print_text(&os, &ns, rows, n, shown);
	}
	free_rows(rows, n);
	free_snapshot(&os);
	free_snapshot(&ns);
	if (cx_close_stdout())
		ret = CX_EXIT_FAILURE;
	return ret;
}
