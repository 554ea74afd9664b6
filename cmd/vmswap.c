// SPDX-License-Identifier: GPL-2.0-or-later
/* vmswap: swap devices and compressed swap, who holds swap, who is paging, whom the OOM killer picks. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmswap/vmswap.h"

const struct cx_column columns[C__COUNT] = {
	[C_PID] = { "pid", "PID", CX_INT, "process ID" },
	[C_PPID] = { "ppid", "PPID", CX_INT, "parent process ID" },
	[C_USER] = { "user", "USER", CX_STR, "effective user name (or uid)" },
	[C_UID] = { "uid", "UID", CX_INT, "effective user ID" },
	[C_COMM] = { "comm", "COMM", CX_STR, "command name (stat comm)" },
	[C_CMDLINE] = { "cmdline", "COMMAND", CX_STR, "command line" },
	[C_STATUS] = { "status", "STATUS", CX_STR,
		       "--activity: first, new, running, unbased or exited" },
	[C_SWAP] = { "swap", "SWAP", CX_SIZE, "swapped-out memory (smaps_rollup Swap)" },
	[C_SWAP_PSS] = { "swap_pss", "SWAPPSS", CX_SIZE, "proportional swap (SwapPss)" },
	[C_SWAPPED] = { "swapped", "SWAPPED", CX_SIZE, "--exact: swap entries in its page tables" },
	[C_UNIQUE] = { "unique", "UNIQUE", CX_SIZE,
		       "--exact: slots no other process read references" },
	[C_PROPORTIONAL] = { "proportional", "PROP", CX_SIZE,
			     "--exact: each slot's size divided by its references" },
	[C_RSS] = { "rss", "RSS", CX_SIZE, "resident set size (smaps_rollup Rss)" },
	[C_SWAP_PCT] = { "swap_pct", "SWAP%", CX_RATE, "Swap / (Rss + Swap), in percent" },
	[C_MAJFLT] = { "majflt", "MAJFLT", CX_U64, "major faults since the process started" },
	[C_MAJFLT_RATE] = { "majflt_rate", "MAJFLT/s", CX_RATE,
			    "major faults per second (over -i)" },
	[C_OOM_SCORE] = { "oom_score", "OOM_SCORE", CX_INT, "the kernel's oom_score" },
	[C_OOM_SCORE_ADJ] = { "oom_score_adj", "OOM_ADJ", CX_INT, "oom_score_adj" },
	[C_POINTS] = { "points", "POINTS", CX_SIZE,
		       "what the OOM killer weighs: RSS + SWAP + PGTABLES" },
	[C_VM_RSS] = { "vm_rss", "RSS", CX_SIZE, "resident memory (status VmRSS)" },
	[C_VM_SWAP] = { "vm_swap", "SWAP", CX_SIZE, "swap entries (status VmSwap)" },
	[C_VM_PTE] = { "vm_pte", "PGTABLES", CX_SIZE, "page tables (status VmPTE)" },
	[C_CGROUP] = { "cgroup", "CGROUP", CX_STR, "memory cgroup" },
};

#define DEFAULT_COLS "pid,user,swap,swap_pss,swap_pct,rss,majflt_rate,cmdline"
#define DEFAULT_COLS_EXACT \
	"pid,user,swap,swap_pss,swapped,unique,proportional,swap_pct,rss,majflt_rate,cmdline"
#define DEFAULT_COLS_ACTIVITY "pid,user,majflt_rate,swap,swap_pct,rss,cmdline"
#define DEFAULT_COLS_OOM \
	"pid,user,oom_score,oom_score_adj,points,vm_rss,vm_swap,vm_pte,cgroup,cmdline"

struct vs_ctl ctl = { .interval = 1.0 };
struct vs_need need;
struct vms_ctx *ctx;
double vs_view_dt;
volatile sig_atomic_t vs_stop_requested;

static void __attribute__((noreturn)) usage(void)
{
	printf("Usage:\n"
	       " %s [options]\n"
	       " %s [options] -p PID[,PID...]\n"
	       " %s --exact [options]\n"
	       " %s --activity [options]\n"
	       " %s --oom [options]\n\n"
	       "Swap devices and compressed swap, the processes holding swap and paging in,\n"
	       "swap-in/out activity, and the order in which the OOM killer picks processes.\n\n"
	       "Options:\n",
	       cx_prog, cx_prog, cx_prog, cx_prog, cx_prog);
	fputs(" -p, --pid LIST         only these processes\n"
	      " -a, --all              also list processes without swap or major faults\n"
	      " -N, --top N            only the first N rows (default all; --activity 10)\n"
	      " -i, --interval SEC     seconds over which MAJFLT/s is measured (default 1;\n"
	      "                        0: no rate); with --activity, between samples\n"
	      " -c, --count N          --activity: stop after N samples\n"
	      "     --exact            swap entries of the page tables, per device (root)\n"
	      "     --activity         swap-in/out rates and the processes paging most\n"
	      "     --oom              processes in the order the OOM killer picks them\n"
	      " -o, --output LIST      columns to print (+LIST adds to the default)\n"
	      "     --output-all       print every column\n"
	      " -J, --json             JSON output (--activity: one object per line)\n"
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
	printf("\nSee vmswap(1) for details.\n");
	exit(cx_close_stdout() ? CX_EXIT_FAILURE : CX_EXIT_OK);
}

/* ---- small helpers ---- */

void vs_on_stop_signal(int sig)
{
	(void)sig;
	vs_stop_requested = 1;
}

/* Sleep until @deadline (CLOCK_MONOTONIC); false when a signal asked to stop. */
bool vs_sleep_until(double deadline)
{
	while (!vs_stop_requested) {
		double left = deadline - cx_mono_now();
		struct timespec ts;

		if (left <= 0)
			return true;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
	return false;
}

/* A size as the tables print it: human, or bytes with -b and raw output. */
void vs_size_text(uint64_t v, char *buf, size_t len)
{
	if (ctl.out.bytes || ctl.out.format == CX_FMT_RAW)
		snprintf(buf, len, "%" PRIu64, v);
	else
		cx_human_size(v, buf, len);
}

/* Why a system file (proc/swaps, proc/meminfo) could not be read. */
const char *vs_file_reason(int err)
{
	if (err == -ENOENT && !vms_ctx_is_live(ctx))
		return "not in the snapshot";
	if (err == -ENOENT)
		return "No such file or directory (not available in this procfs: subset=pid?)";
	return strerror(-err);
}

static char *xstrdup_or_null(const char *s)
{
	return s ? cx_xstrdup(s) : NULL;
}

/* ---- reading processes ---- */

/* status of @p: VmRSS, VmSwap, VmPTE (absent for a process without memory). */
static void read_status(struct prec *r, struct vms_proc *p)
{
	struct vms_counters *c;
	int fd = vms_proc_openat(p, "status", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		r->status_err = fd;
		return;
	}
	if (vms_counters_parse_fd(fd, &c) < 0) {
		close(fd);
		r->status_err = -EIO;
		return;
	}
	close(fd);
	r->have_vm_rss = vms_counters_find(c, "VmRSS", &r->vm_rss) == 0;
	r->have_vm_swap = vms_counters_find(c, "VmSwap", &r->vm_swap) == 0;
	r->have_vm_pte = vms_counters_find(c, "VmPTE", &r->vm_pte) == 0;
	vms_counters_free(c);
}

static void read_rollup(struct prec *r, struct vms_proc *p)
{
	struct vms_counters *c;
	int ret = vms_proc_rollup(p, &c);

	if (ret == 0) {
		r->have_swap = vms_counters_get(c, VMS_KEY_SWAP, &r->swap) == 0;
		r->have_swap_pss = vms_counters_get(c, VMS_KEY_SWAP_PSS, &r->swap_pss) == 0;
		r->have_rss = vms_counters_get(c, VMS_KEY_RSS, &r->rss) == 0;
		vms_counters_free(c);
		return;
	}
	if ((ret == -ESRCH || ret == -ENOENT) && r->state == 'Z') {
		/* a zombie has given its memory back: it holds nothing */
		r->have_swap = r->have_swap_pss = r->have_rss = true;
		return;
	}
	r->roll_err = ret;
}

/* Read what @need asks of process @i (run on several threads). */
void vs_read_details(size_t i, void *data)
{
	struct prec *r = &((struct prec *)data)[i];
	struct vms_proc *p;
	int ret;

	if (r->exited)
		return;
	ret = vms_proc_open(ctx, r->pid, &p);
	if (ret < 0) {
		r->err = ret;
		r->errfile = "stat";
		return;
	}
	if (need.info) {
		struct vms_proc_info pi;

		ret = vms_proc_info_read(p, VMS_PT_USER | VMS_PT_CMDLINE, &pi);
		/* the same process, not a later one with its PID */
		if (ret == 0 && pi.start_time != r->start_time)
			ret = -ESRCH;
		if (ret < 0) {
			r->err = ret;
			r->errfile = "stat";
			vms_proc_close(p);
			return;
		}
		r->user = xstrdup_or_null(pi.user);
		r->cmdline = xstrdup_or_null(pi.cmdline);
	}
	if (need.roll)
		read_rollup(r, p);
	if (need.status)
		read_status(r, p);
	if (need.cgroup) {
		char *path;
		int version;

		ret = vms_proc_memcg(p, &path, &version);
		if (ret == -ENOMEM)
			cx_oom();
		if (ret == 0) {
			r->cgroup = path;
			r->cg_version = version;
		}
	}
	vms_proc_close(p);
	/* what leaves a process out: its figures of the view could not be read */
	if (ctl.mode == MODE_DEFAULT && r->roll_err) {
		r->err = r->roll_err;
		r->errfile = "smaps_rollup";
	} else if (ctl.mode == MODE_OOM && r->status_err) {
		r->err = r->status_err;
		r->errfile = "status";
	}
}

void vs_recs_free(struct prec *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(recs[i].user);
		free(recs[i].comm);
		free(recs[i].cmdline);
		free(recs[i].cgroup);
	}
	free(recs);
}

/* ---- rows, order ---- */

/* The kernel never picks init, nor a process with oom_score_adj -1000. */
bool vs_never_killed(const struct prec *r)
{
	return r->pid == 1 || (r->have_oom_adj && r->oom_adj == -1000);
}

static bool swap_pct(const struct prec *r, double *v)
{
	if (!r->have_swap || !r->have_rss || r->swap + r->rss == 0)
		return false;
	*v = 100.0 * (double)r->swap / (double)(r->swap + r->rss);
	return true;
}

/* The value of numeric column @col for @r; false when unknown (a null cell). */
bool vs_rec_number(const struct prec *r, int col, double *v)
{
	switch (col) {
	case C_PID:
		*v = r->pid;
		return true;
	case C_PPID:
		*v = r->ppid;
		return true;
	case C_UID:
		*v = r->uid;
		return true;
	case C_SWAP:
		*v = (double)r->swap;
		return r->have_swap;
	case C_SWAP_PSS:
		*v = (double)r->swap_pss;
		return r->have_swap_pss;
	case C_RSS:
		*v = (double)r->rss;
		return r->have_rss;
	case C_SWAP_PCT:
		return swap_pct(r, v);
	case C_MAJFLT:
		*v = (double)r->majflt;
		return r->have_majflt;
	case C_MAJFLT_RATE:
		*v = r->majflt_rate;
		return r->have_rate;
	case C_OOM_SCORE:
		/* never killed: below every score */
		*v = vs_never_killed(r) ? -1 : r->oom_score;
		return r->have_oom_score;
	case C_OOM_SCORE_ADJ:
		*v = r->oom_adj;
		return r->have_oom_adj;
	case C_POINTS:
		*v = (double)(r->vm_rss + r->vm_swap + r->vm_pte);
		return r->have_vm_rss && r->have_vm_swap && r->have_vm_pte;
	case C_VM_RSS:
		*v = (double)r->vm_rss;
		return r->have_vm_rss;
	case C_VM_SWAP:
		*v = (double)r->vm_swap;
		return r->have_vm_swap;
	case C_VM_PTE:
		*v = (double)r->vm_pte;
		return r->have_vm_pte;
	case C_SWAPPED:
		*v = vs_exact_known(r) ? (double)r->x->swapped : 0;
		return vs_exact_known(r);
	case C_UNIQUE:
		*v = vs_exact_known(r) ? (double)r->x->unique : 0;
		return vs_exact_known(r);
	case C_PROPORTIONAL:
		*v = vs_exact_known(r) ? (double)(r->x->prop_fx >> 12) : 0;
		return vs_exact_known(r);
	}
	return false;
}

const char *vs_rec_user(const struct prec *r, char *buf, size_t len)
{
	if (r->user)
		return r->user;
	snprintf(buf, len, "%u", r->uid);
	return buf;
}

static const char *rec_text(const struct prec *r, int col, char *buf, size_t len)
{
	switch (col) {
	case C_USER:
		return vs_rec_user(r, buf, len);
	case C_COMM:
		return r->comm;
	case C_CMDLINE:
		return r->cmdline;
	case C_STATUS:
		return r->status;
	case C_CGROUP:
		return r->cgroup;
	}
	return NULL;
}

void vs_fill_row(struct cx_table *t, size_t row, const struct prec *r)
{
	char buf[16];
	double v;

	for (int c = 0; c < C__COUNT; c++) {
		if (columns[c].type == CX_STR) {
			cx_set_str(t, row, c, rec_text(r, c, buf, sizeof(buf)));
			continue;
		}
		if (!vs_rec_number(r, c, &v))
			continue;
		switch (columns[c].type) {
		case CX_INT:
			/* the sort key of "never" is not what the kernel printed */
			cx_set_int(t, row, c, c == C_OOM_SCORE ? r->oom_score : (int64_t)v);
			break;
		case CX_RATE:
			cx_set_rate(t, row, c, v);
			break;
		default:
			/* from the integer, not through a double */
			cx_set_u64(t, row, c,
				   c == C_SWAP	   ? r->swap :
				   c == C_SWAP_PSS ? r->swap_pss :
				   c == C_RSS	   ? r->rss :
				   c == C_MAJFLT   ? r->majflt :
				   c == C_POINTS   ? r->vm_rss + r->vm_swap + r->vm_pte :
				   c == C_VM_RSS   ? r->vm_rss :
				   c == C_VM_SWAP  ? r->vm_swap :
				   c == C_VM_PTE   ? r->vm_pte :
				   c == C_SWAPPED  ? r->x->swapped :
				   c == C_UNIQUE   ? r->x->unique :
						     r->x->prop_fx >> 12);
		}
	}
}

static struct {
	const struct prec *recs;
	int col;
} sorting;

/* The order of cx_table_sort(): numbers largest first, text A-Z, nulls last, then as read. */
static int rec_cmp(const void *a, const void *b)
{
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const struct prec *ra = &sorting.recs[ia], *rb = &sorting.recs[ib];
	int r = 0;

	if (columns[sorting.col].type == CX_STR) {
		char ba[16], bb[16];
		const char *sa = rec_text(ra, sorting.col, ba, sizeof(ba));
		const char *sb = rec_text(rb, sorting.col, bb, sizeof(bb));

		if (!sa || !sb)
			return !sa == !sb ? (ia > ib) - (ia < ib) : !sa ? 1 : -1;
		r = strcmp(sa, sb);
	} else {
		double va, vb;
		bool na = !vs_rec_number(ra, sorting.col, &va),
		     nb = !vs_rec_number(rb, sorting.col, &vb);

		if (na || nb)
			return na == nb ? (ia > ib) - (ia < ib) : na ? 1 : -1;
		r = (va < vb) - (va > vb);
	}
	if (ctl.out.reverse)
		r = -r;
	return r ? r : (ia > ib) - (ia < ib);
}

/* @order gets the indices of @recs sorted by column @col. */
void vs_sort_records(struct prec *recs, size_t n, size_t *order, int col)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	sorting.recs = recs;
	sorting.col = col;
	if (n > 1)
		qsort(order, n, sizeof(*order), rec_cmp);
}

int vs_sort_column(int dflt)
{
	int c;

	if (!ctl.out.sort)
		return dflt;
	c = cx_column_find(columns, C__COUNT, ctl.out.sort, strlen(ctl.out.sort));
	if (c < 0)
		cx_usage_error("unknown sort column: '%s'", ctl.out.sort);
	return c;
}

/*
 * A text column of numbers ("never", "max", "3.56" and "-" among them) right
 * aligned as the number columns are: padded here, since the table writer
 * aligns text left.  Raw output is never padded.
 */
/* A table's own copy of its columns, to change a type or a header for text output. */
static struct cx_column *own_columns(struct cx_table *t)
{
	static struct {
		const struct cx_column *orig;
		struct cx_column cols[C__COUNT];
		char head[C__COUNT][32];
	} copies[4];

	for (size_t i = 0; i < NELEM(copies); i++)
		if (t->cols == copies[i].cols)
			return copies[i].cols;
	for (size_t i = 0; i < NELEM(copies) && t->ncols <= C__COUNT; i++) {
		if (copies[i].orig && copies[i].orig != t->cols)
			continue;
		copies[i].orig = t->cols;
		memcpy(copies[i].cols, t->cols, t->ncols * sizeof(*t->cols));
		for (size_t c = 0; c < t->ncols; c++) {
			snprintf(copies[i].head[c], sizeof(copies[i].head[c]), "%s",
				 t->cols[c].header);
			copies[i].cols[c].header = copies[i].head[c];
		}
		t->cols = copies[i].cols;
		return copies[i].cols;
	}
	return NULL;
}

void vs_right_align(struct cx_table *t, int col)
{
	struct cx_column *cols;
	size_t w = cx_width(t->cols[col].header);

	if (ctl.out.format != CX_FMT_TABLE)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		const struct cx_cell *c = cx_cell(t, r, col);
		size_t cw = c->null ? 1 : cx_width(c->s);

		if (cw > w)
			w = cw;
	}
	for (size_t r = 0; r < t->nrows; r++) {
		const struct cx_cell *c = cx_cell(t, r, col);
		const char *s = c->null ? "-" : c->s;
		char *p = cx_xasprintf("%*s%s", (int)(w - cx_width(s)), "", s);

		cx_set_str(t, r, col, p);
		free(p);
	}
	/* the header too: a copy of the columns, whose header text is its own */
	cols = own_columns(t);
	if (cols && w < 32) {
		char h[32];

		snprintf(h, sizeof(h), "%s", cols[col].header);
		snprintf((char *)cols[col].header, 32, "%*s", (int)w, h);
	}
}

/*
 * Text output only: an empty command line as ps shows it ("[comm]"), and the
 * oom_score of a process the OOM killer never picks as "never".
 */
void vs_text_fixups(struct cx_table *t, bool oom_never)
{
	struct cx_column *cols;

	for (size_t r = 0; r < t->nrows; r++) {
		struct cx_cell *cmd = cx_cell(t, r, C_CMDLINE);
		const struct cx_cell *comm = cx_cell(t, r, C_COMM);

		if ((cmd->null || !cmd->s[0]) && !comm->null) {
			char *b = cx_xasprintf("[%s]", comm->s);

			cx_set_str(t, r, C_CMDLINE, b);
			free(b);
		}
	}
	if (!oom_never)
		return;
	/* OOM_SCORE becomes text: in a copy of the columns */
	cols = own_columns(t);
	if (!cols)
		cx_oom();
	for (size_t r = 0; r < t->nrows; r++) {
		struct cx_cell *s = cx_cell(t, r, C_OOM_SCORE);
		const struct cx_cell *adj = cx_cell(t, r, C_OOM_SCORE_ADJ);
		const struct cx_cell *pid = cx_cell(t, r, C_PID);
		char num[32];

		if (s->null)
			continue;
		if ((!adj->null && adj->i == -1000) || (!pid->null && pid->i == 1))
			snprintf(num, sizeof(num), "never");
		else
			snprintf(num, sizeof(num), "%" PRId64, s->i);
		s->s = cx_xstrdup(num);
	}
	cols[C_OOM_SCORE].type = CX_STR;
	vs_right_align(t, C_OOM_SCORE);
}

/* ---- JSON pieces ---- */

/*
 * A process: who it is, then the figures: those of -o, or all of the view's
 * (@all).  Each key once.  Returns the object, added to @arr.
 */
cJSON *vs_json_process(cJSON *arr, struct cx_table *t, size_t row, const struct prec *r,
		       const int *all, size_t nall)
{
	cJSON *o = cx_json_object();
	char buf[16];

	cx_json_int(o, "pid", r->pid);
	cx_json_int(o, "ppid", r->ppid);
	cx_json_int(o, "uid", r->uid);
	cx_json_str(o, "user", vs_rec_user(r, buf, sizeof(buf)));
	cx_json_str(o, "comm", r->comm);
	cx_json_str(o, "cmdline", r->cmdline ? r->cmdline : "");
	if (!ctl.out.output || ctl.out.output_all) {
		int *sel = t->sel;
		size_t nsel = t->nsel;

		/* the view's figures: the table's selection, swapped for a moment */
		t->sel = (int *)all;
		t->nsel = nall;
		cx_json_row(o, t, row, false);
		t->sel = sel;
		t->nsel = nsel;
	} else {
		cx_json_row(o, t, row, false);
	}
	cJSON_AddItemToArray(arr, o);
	return o;
}

void vs_json_skipped(cJSON *doc, const struct prec *recs, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(doc, "skipped");

	if (!arr)
		cx_oom();
	/* named PIDs that were not there at all */
	for (size_t i = 0; i < ctl.npids; i++) {
		bool found = false;
		cJSON *o;
		int err;

		for (size_t j = 0; j < n && !found; j++)
			found = recs[j].pid == ctl.pids[i];
		if (found)
			continue;
		err = cx_missing_errno(ctx, ctl.pids[i]);
		o = cx_json_object();
		cx_json_int(o, "pid", ctl.pids[i]);
		cx_json_str(o, "errno", cx_errno_name(err));
		cx_json_str(o, "reason", cx_errno_reason(err));
		cJSON_AddItemToArray(arr, o);
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *o;

		if (!recs[i].err)
			continue;
		o = cx_json_object();
		cx_json_int(o, "pid", recs[i].pid);
		cx_json_str(o, "file", recs[i].errfile);
		cx_json_str(o, "errno", cx_errno_name(recs[i].err));
		cx_json_str(o, "reason", cx_errno_reason(recs[i].err));
		cJSON_AddItemToArray(arr, o);
	}
}

/*
 * Processes that could not be read: a named one by itself (and the result
 * is partial), the others counted by reason.
 */
void vs_report_skipped(const struct prec *recs, size_t n, bool *partial)
{
	int errs[8];
	size_t counts[8], nerr = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k;

		if (!recs[i].err)
			continue;
		/* not the process's fault: the list would silently lack it */
		if (recs[i].err == -ENOMEM)
			cx_oom();
		if (recs[i].err == -EMFILE || recs[i].err == -ENFILE)
			cx_fd_exhausted(recs[i].err);
		if (recs[i].named) {
			cx_proc_error(recs[i].pid, recs[i].errfile, recs[i].err);
			*partial = true;
			continue;
		}
		for (k = 0; k < nerr && errs[k] != recs[i].err; k++)
			;
		if (k == nerr) {
			if (nerr == 8)
				continue;
			errs[nerr] = recs[i].err;
			counts[nerr++] = 0;
		}
		counts[k]++;
	}
	for (size_t k = 0; k < nerr; k++)
		cx_warn("skipped %zu %s (%s)", counts[k], counts[k] == 1 ? "process" : "processes",
			vs_skip_reason(errs[k]));
}

const char *vs_skip_reason(int err)
{
	switch (-err) {
	case EACCES:
		return "permission denied: needs the same user or CAP_SYS_PTRACE";
	case EPERM:
		return "operation not permitted: procfs mounted with hidepid?";
	case ESRCH:
		return "exited while being read";
	case ENOENT:
		return "not in the snapshot";
	default:
		return cx_errno_reason(err);
	}
}

/* ---- OpenMetrics pieces ---- */

void vs_om_family(const char *name, const char *type, const char *help)
{
	printf("# TYPE vmscope_%s %s\n", name, type);
	if (strstr(name, "_bytes"))
		printf("# UNIT vmscope_%s bytes\n", name);
	printf("# HELP vmscope_%s %s\n", name, help);
}

void vs_om_process(const char *name, const struct prec *r, uint64_t v)
{
	char buf[16];
	char *comm = cx_om_label(r->comm), *user = cx_om_label(vs_rec_user(r, buf, sizeof(buf)));

	printf("vmscope_%s{pid=\"%d\",comm=\"%s\",user=\"%s\"} %" PRIu64 "\n", name, (int)r->pid,
	       comm, user, v);
	free(comm);
	free(user);
}

/* ---- sampling: MAJFLT/s of the views, and --activity ---- */

/* Take sample @k: of root @k in a series (it becomes the context), else live. */
void vs_take_sample(struct vms_sampler *s, size_t k)
{
	struct vms_ctx *sctx = NULL;
	int ret;

	if (ctl.nroots > 1) {
		sctx = cx_open_root(ctl.roots[k]);
		vms_ctx_unref(ctx);
		ctx = sctx;
		/* the JSON of each sample names its own snapshot */
		cx_snapshot_set(ctx, ctl.roots[k]);
	}
	ret = vms_sampler_sample(s, sctx);
	if (ret < 0)
		cx_sampler_error(ctx, ret, ctl.nroots);
}

struct vms_sampler *vs_new_sampler(void)
{
	struct vms_sampler *s;

	if (vms_sampler_new(ctx, 0, &s) < 0)
		cx_oom();
	if (ctl.npids) {
		pid_t *p = malloc(ctl.npids * sizeof(*p));

		if (!p)
			cx_oom();
		for (size_t i = 0; i < ctl.npids; i++)
			p[i] = ctl.pids[i];
		if (vms_sampler_watch(s, p, ctl.npids) < 0)
			cx_oom();
		free(p);
	}
	return s;
}

/*
 * MAJFLT/s of the one-shot views: every root of a series sampled in order,
 * or two live samples -i apart.  The rates are those of the last interval.
 */
static struct vms_sampler *measure_rates(void)
{
	struct vms_sampler *s = vs_new_sampler();

	if (ctl.nroots > 1) {
		for (size_t k = 0; k < ctl.nroots; k++)
			vs_take_sample(s, k);
		return s;
	}
	vs_take_sample(s, 0);
	vs_sleep_until(cx_mono_now() + ctl.interval);
	vs_take_sample(s, 1);
	return s;
}

static void apply_rates(struct vms_sampler *s, struct prec *recs, size_t n)
{
	size_t m = vms_sampler_count(s), j = 0;
	double dt = vms_sampler_interval(s);

	if (dt <= 0)
		return;
	vs_view_dt = dt;
	/* both by PID */
	for (size_t i = 0; i < n; i++) {
		while (j < m && vms_sampler_row(s, j)->pid < recs[i].pid)
			j++;
		for (size_t k = j; k < m && vms_sampler_row(s, k)->pid == recs[i].pid; k++) {
			const struct vms_fault_row *row = vms_sampler_row(s, k);

			if (row->thread || !row->has_delta || row->start_time != recs[i].start_time)
				continue;
			recs[i].have_rate = true;
			recs[i].majflt_rate = (double)row->d_majflt / dt;
		}
	}
}

/* ---- the one-shot views: the default one and --oom ---- */

/* The place of @pid among the PIDs named, or npids. */
static size_t named_index(pid_t pid)
{
	size_t i;

	for (i = 0; i < ctl.npids && ctl.pids[i] != pid; i++)
		;
	return i;
}

static int run_views(struct cx_table *t)
{
	struct vms_sampler *s = need.rate ? measure_rates() : NULL;
	unsigned int what = VMS_PT_USER | VMS_PT_CMDLINE | VMS_PT_FAULTS;
	struct vms_ptable *pt;
	struct prec *recs;
	size_t n = 0;
	bool partial = false, *found;
	int ret;

	if (need.oom)
		what |= VMS_PT_OOM;
	ret = vms_ptable_read(ctx, what, &pt);
	if (ret < 0) {
		cx_warn("cannot read the process table: %s", strerror(-ret));
		return CX_EXIT_FAILURE;
	}
	recs = calloc(vms_ptable_count(pt) + 1, sizeof(*recs));
	/* the named PIDs met, kernel threads too: each is told about once */
	found = calloc(ctl.npids + 1, sizeof(*found));
	if (!recs || !found)
		cx_oom();
	for (size_t i = 0; i < vms_ptable_count(pt); i++) {
		const struct vms_proc_info *pi = vms_ptable_get(pt, i);
		struct prec *r = &recs[n];
		size_t k = named_index(pi->pid);

		if (ctl.npids && k == ctl.npids)
			continue;
		found[k] = true;
		if (pi->kthread) {
			if (ctl.npids)
				cx_warn("pid %d: a kernel thread: it has no memory of its own",
					(int)pi->pid);
			continue;
		}
		/* the kernel never picks init */
		if (ctl.mode == MODE_OOM && pi->pid == 1 && !ctl.npids)
			continue;
		r->pid = pi->pid;
		r->ppid = pi->ppid;
		r->uid = pi->uid;
		r->state = pi->state;
		r->start_time = pi->start_time;
		r->named = ctl.npids > 0;
		r->comm = cx_xstrdup(pi->comm);
		r->user = (pi->have & VMS_HAVE_USER) ? xstrdup_or_null(pi->user) : NULL;
		r->cmdline = (pi->have & VMS_HAVE_CMDLINE) ? xstrdup_or_null(pi->cmdline) : NULL;
		r->have_majflt = pi->have & VMS_HAVE_FAULTS;
		r->majflt = pi->majflt;
		r->have_oom_score = pi->have & VMS_HAVE_OOM_SCORE;
		r->oom_score = pi->oom_score;
		r->have_oom_adj = pi->have & VMS_HAVE_OOM_ADJ;
		r->oom_adj = pi->oom_score_adj;
		n++;
	}
	vms_ptable_free(pt);
	for (size_t i = 0; i < ctl.npids; i++) {
		if (!found[i]) {
			cx_proc_error(ctl.pids[i], "stat", cx_missing_errno(ctx, ctl.pids[i]));
			partial = true;
		}
	}
	free(found);
	cx_parallel_for(n, ctl.jobs, vs_read_details, recs);
	if (s) {
		apply_rates(s, recs, n);
		vms_sampler_free(s);
	}
	if (ctl.mode == MODE_OOM)
		ret = vs_run_oom(recs, n, t, partial);
	else
		ret = vs_run_default(recs, n, t, partial);
	if (ctl.exact)
		vs_exact_free(recs, n);
	vs_recs_free(recs, n);
	return ret;
}

/* ---- options ---- */

static bool needs_exact(int c)
{
	return c >= C_SWAPPED && c <= C_PROPORTIONAL;
}

static bool needs_activity(int c)
{
	return c == C_STATUS;
}

/* The sampler of --activity has no oom, cgroup or status figures. */
static bool not_in_activity(int c)
{
	return c == C_OOM_SCORE || c == C_OOM_SCORE_ADJ || c == C_CGROUP || c == C_POINTS ||
	       c == C_VM_RSS || c == C_VM_SWAP || c == C_VM_PTE;
}

/* Columns that would mean nothing in this view: say so rather than print "-". */
static void check_view_columns(void)
{
	if (!ctl.exact)
		cx_check_option_columns(&ctl.out, columns, C__COUNT, needs_exact, "--exact");
	if (ctl.mode != MODE_ACTIVITY)
		cx_check_option_columns(&ctl.out, columns, C__COUNT, needs_activity, "--activity");
	else
		cx_check_option_columns(&ctl.out, columns, C__COUNT, not_in_activity,
					"a view other than --activity");
}

static bool uses(const struct cx_table *t, int sc, int col)
{
	if (sc == col)
		return true;
	for (size_t i = 0; i < t->nsel; i++)
		if (t->sel[i] == col)
			return true;
	return false;
}

static const char *output_all_list(void)
{
	switch (ctl.mode) {
	case MODE_OOM:
		/* status's VmRSS and VmSwap stand for the rollup's Rss and Swap here:
		 * both under the headers RSS and SWAP would read as one figure twice */
		return "pid,ppid,user,uid,comm,oom_score,oom_score_adj,points,vm_rss,vm_swap,"
		       "vm_pte,swap_pss,swap_pct,majflt,cgroup,cmdline";
	case MODE_ACTIVITY:
		return "pid,ppid,user,uid,comm,status,majflt,majflt_rate,swap,swap_pss,rss,"
		       "swap_pct,cmdline";
	default:
		return ctl.exact ? "pid,ppid,user,uid,comm,swap,swap_pss,swapped,unique,"
				   "proportional,rss,swap_pct,majflt,majflt_rate,oom_score,"
				   "oom_score_adj,cgroup,cmdline" :
				   "pid,ppid,user,uid,comm,swap,swap_pss,rss,swap_pct,majflt,"
				   "majflt_rate,oom_score,oom_score_adj,cgroup,cmdline";
	}
}

/* What to read, from the columns shown, the sort, the format and the view. */
static void set_needs(const struct cx_table *t)
{
	bool json = ctl.out.format == CX_FMT_JSON;
	int sc = vs_sort_column(ctl.mode == MODE_OOM ? C_OOM_SCORE : C_SWAP);
	bool rollcols = uses(t, sc, C_SWAP) || uses(t, sc, C_SWAP_PSS) || uses(t, sc, C_RSS) ||
			uses(t, sc, C_SWAP_PCT);

	need.status = ctl.mode == MODE_OOM || uses(t, sc, C_POINTS) || uses(t, sc, C_VM_RSS) ||
		      uses(t, sc, C_VM_SWAP) || uses(t, sc, C_VM_PTE);
	need.cgroup = ctl.mode == MODE_OOM || uses(t, sc, C_CGROUP) ||
		      (json && ctl.mode == MODE_DEFAULT);
	need.oom = ctl.mode == MODE_OOM || uses(t, sc, C_OOM_SCORE) ||
		   uses(t, sc, C_OOM_SCORE_ADJ) || (json && ctl.mode == MODE_DEFAULT);
	switch (ctl.mode) {
	case MODE_DEFAULT:
		need.roll = true;
		need.rate = ctl.out.format != CX_FMT_OPENMETRICS &&
			    (ctl.nroots > 1 || (!ctl.nroots && ctl.interval > 0));
		break;
	case MODE_OOM:
		need.roll = rollcols;
		need.rate = uses(t, sc, C_MAJFLT_RATE) &&
			    (ctl.nroots > 1 || (!ctl.nroots && ctl.interval > 0));
		break;
	case MODE_ACTIVITY:
		need.info = true;
		need.roll = true;
		need.oom = false; /* the sampler has no oom figures */
		break;
	}
}

int main(int argc, char **argv)
{
	enum { OPT_FORMAT = CX_OPT__FIRST_FREE, OPT_EXACT, OPT_ACTIVITY, OPT_OOM };
	static const struct option longopts[] = {
		CX_OUTPUT_LONGOPTS,
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "pid", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "top", required_argument, NULL, 'N' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "exact", no_argument, NULL, OPT_EXACT },
		{ "activity", no_argument, NULL, OPT_ACTIVITY },
		{ "oom", no_argument, NULL, OPT_OOM },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool activity = false, oom = false, top_set = false;
	const char *defaults;
	struct cx_table t;
	int c, ret;

	cx_init("vmswap");
	ctl.jobs = cx_default_jobs();
	while ((c = getopt_long(argc, argv, CX_OUTPUT_SHORTOPTS "p:aN:i:c:hV", longopts, NULL)) !=
	       -1) {
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
		case 'a':
			ctl.all = true;
			break;
		case 'N':
			ctl.top = strcmp(optarg, "0") == 0 ?
					  0 :
					  cx_parse_count("--top", optarg, 100000000);
			top_set = true;
			break;
		case 'i':
			ctl.interval = cx_parse_interval(optarg, true);
			ctl.interval_set = true;
			break;
		case 'c':
			ctl.count = cx_parse_count("--count", optarg, 100000000);
			ctl.count_set = true;
			break;
		case OPT_EXACT:
			ctl.exact = true;
			break;
		case OPT_ACTIVITY:
			activity = true;
			break;
		case OPT_OOM:
			oom = true;
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
	if (activity && oom)
		cx_usage_error("--activity and --oom cannot be combined");
	if (ctl.exact && (activity || oom))
		cx_usage_error("--exact and --%s cannot be combined",
			       activity ? "activity" : "oom");
	ctl.mode = activity ? MODE_ACTIVITY : oom ? MODE_OOM : MODE_DEFAULT;
	if (ctl.count_set && !activity)
		cx_usage_error("--count goes with --activity");
	if (activity && ctl.interval_set && ctl.interval == 0)
		cx_usage_error("--activity needs an interval above 0");
	if (activity && ctl.out.format == CX_FMT_OPENMETRICS)
		cx_usage_error("--format openmetrics prints one scrape: not with --activity");
	cx_check_series(ctl.nroots, ctl.interval_set, ctl.count_set, ctl.count);
	if (activity && !top_set)
		ctl.top = 10;
	check_view_columns();
	if (ctl.out.sort)
		vs_sort_column(0);
	defaults = activity  ? DEFAULT_COLS_ACTIVITY :
		   oom	     ? DEFAULT_COLS_OOM :
		   ctl.exact ? DEFAULT_COLS_EXACT :
			       DEFAULT_COLS;
	if (ctl.out.output_all) {
		ctl.out.output = output_all_list();
		ctl.out.output_all = false;
		/* JSON: every figure of the view */
		cx_table_init(&t, columns, C__COUNT, defaults, &ctl.out);
		ctl.out.output = NULL;
	} else {
		cx_table_init(&t, columns, C__COUNT, defaults, &ctl.out);
	}
	set_needs(&t);

	ctx = cx_open_root(ctl.nroots ? ctl.roots[0] : NULL);
	if (ctl.nroots > 1) {
		struct vms_ctx *last = NULL;

		/* check them all before the first sample */
		for (size_t i = 1; i < ctl.nroots; i++) {
			vms_ctx_unref(last);
			last = cx_open_root(ctl.roots[i]);
		}
		if (ctl.exact)
			vs_exact_check_caps();
		cx_snapshot_banner(ctx, last, &ctl.out);
		vms_ctx_unref(last);
	} else {
		if (ctl.exact)
			vs_exact_check_caps();
		cx_snapshot_banner(ctx, NULL, &ctl.out);
	}
	cx_snapshot_set(ctx, ctl.nroots ? ctl.roots[0] : NULL);
	if (ctl.mode == MODE_ACTIVITY) {
		ret = vs_run_activity(&t);
	} else {
		ret = run_views(&t);
		vs_free_system();
	}
	cx_table_free(&t);
	free(ctl.roots);
	free(ctl.pids);
	vms_ctx_unref(ctx);
	if (cx_close_stdout() && ret == CX_EXIT_OK)
		ret = CX_EXIT_FAILURE;
	return ret;
}
