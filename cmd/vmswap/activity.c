// SPDX-License-Identifier: GPL-2.0-or-later
/* vmswap --activity: swap-in/out rates each interval, and the processes paging most. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "vmswap.h"

/* The JSON figures of a process. */
static const int json_activity[] = { C_STATUS,	 C_MAJFLT, C_MAJFLT_RATE, C_SWAP,
				     C_SWAP_PSS, C_RSS,	   C_SWAP_PCT };

static const struct {
	const char *key; /* vmstat key, JSON key */
	const char *label; /* in the text line */
	bool pages; /* also in bytes */
} vmkeys[] = {
	{ "pswpin", "swap-in", true },
	{ "pswpout", "swap-out", true },
	{ "pgmajfault", "major", false },
	{ "zswpin", "zswap-in", false },
	{ "zswpout", "zswap-out", false },
	{ "pgsteal_anon", "reclaim-anon", false },
	{ "pgsteal_file", "reclaim-file", false },
};
#define NVMKEYS NELEM(vmkeys)

struct vmsnap {
	bool ok;
	bool have[NVMKEYS];
	uint64_t v[NVMKEYS];
};

/* Why the last read_vmstat() failed. */
static int vmstat_err;

static void read_vmstat(struct vmsnap *v)
{
	struct vms_counters *c;

	memset(v, 0, sizeof(*v));
	vmstat_err = vms_vmstat_read(ctx, &c);
	if (vmstat_err < 0)
		return;
	v->ok = true;
	for (size_t i = 0; i < NVMKEYS; i++)
		v->have[i] = vms_counters_find(c, vmkeys[i].key, &v->v[i]) == 0;
	vms_counters_free(c);
}

/* A per-second rate of counter @i, or false (first sample, absent, or gone back). */
static bool vm_rate(const struct vmsnap *v, const struct vmsnap *pv, size_t i, double dt,
		    double *rate)
{
	if (!pv || !v->have[i] || !pv->have[i] || v->v[i] < pv->v[i] || dt <= 0)
		return false;
	*rate = (double)(v->v[i] - pv->v[i]) / dt;
	return true;
}

static void activity_line(const struct vmsnap *v, const struct vmsnap *pv, double dt)
{
	unsigned long ps = vms_ctx_page_size(ctx);
	char clock[16], size[32];

	cx_sample_clock(ctx, clock, sizeof(clock));
	fputs(clock, stdout);
	if (!v->ok) {
		printf("  (no /proc/vmstat)\n");
		return;
	}
	if (!pv)
		fputs("  since boot:", stdout);
	for (size_t i = 0; i < NVMKEYS; i++) {
		double rate;

		if (!v->have[i])
			continue;
		if (!pv) {
			printf("  %s %" PRIu64, vmkeys[i].label, v->v[i]);
			if (vmkeys[i].pages) {
				vs_size_text(v->v[i] * ps, size, sizeof(size));
				printf(" (%s)", size);
			}
			continue;
		}
		if (!vm_rate(v, pv, i, dt, &rate)) {
			printf("  %s -", vmkeys[i].label);
			continue;
		}
		printf("  %s %.1f/s", vmkeys[i].label, rate);
		if (vmkeys[i].pages) {
			vs_size_text((uint64_t)llround(rate * (double)ps), size, sizeof(size));
			printf(" (%s/s)", size);
		}
	}
	putchar('\n');
}

static void activity_json(cJSON *doc, const struct vmsnap *v, const struct vmsnap *pv, double dt)
{
	unsigned long ps = vms_ctx_page_size(ctx);
	cJSON *o, *rates;

	if (!v->ok) {
		cJSON_AddNullToObject(doc, "system");
		return;
	}
	o = cJSON_AddObjectToObject(doc, "system");
	if (!o)
		cx_oom();
	for (size_t i = 0; i < NVMKEYS; i++)
		if (v->have[i])
			cx_json_u64(o, vmkeys[i].key, v->v[i]);
	if (!pv) {
		cJSON_AddNullToObject(o, "rates");
		return;
	}
	rates = cJSON_AddObjectToObject(o, "rates");
	if (!rates)
		cx_oom();
	for (size_t i = 0; i < NVMKEYS; i++) {
		double rate;

		if (!v->have[i])
			continue;
		if (!vm_rate(v, pv, i, dt, &rate)) {
			cJSON_AddNullToObject(rates, vmkeys[i].key);
			continue;
		}
		cx_json_rate(rates, vmkeys[i].key, rate);
		if (vmkeys[i].pages) {
			char *k = cx_xasprintf("%s_bytes", vmkeys[i].key);

			cx_json_rate(rates, k, rate * (double)ps);
			free(k);
		}
	}
}

static const char *status_name(enum vms_fault_status s)
{
	static const char *const names[] = { "first", "new", "running", "unbased", "exited" };

	return (size_t)s < NELEM(names) ? names[s] : "?";
}

/*
 * The names of the processes shown at the previous sample: a process that
 * has exited since can no longer be asked for its user and command line.
 */
static struct {
	struct prec *v;
	size_t n;
} shown_before;

static void names_keep(const struct prec *recs, const size_t *order, size_t shown)
{
	for (size_t i = 0; i < shown_before.n; i++) {
		free(shown_before.v[i].user);
		free(shown_before.v[i].cmdline);
	}
	free(shown_before.v);
	shown_before.v = NULL;
	shown_before.n = 0;
	if (!shown)
		return;
	shown_before.v = calloc(shown, sizeof(*shown_before.v));
	if (!shown_before.v)
		cx_oom();
	for (size_t i = 0; i < shown; i++) {
		const struct prec *r = &recs[order[i]];
		struct prec *k = &shown_before.v[i];

		k->pid = r->pid;
		k->start_time = r->start_time;
		k->user = r->user ? cx_xstrdup(r->user) : NULL;
		k->cmdline = r->cmdline ? cx_xstrdup(r->cmdline) : NULL;
	}
	shown_before.n = shown;
}

static void names_recall(struct prec *r)
{
	for (size_t i = 0; i < shown_before.n; i++) {
		const struct prec *k = &shown_before.v[i];

		if (k->pid != r->pid || k->start_time != r->start_time)
			continue;
		r->user = k->user ? cx_xstrdup(k->user) : NULL;
		r->cmdline = k->cmdline ? cx_xstrdup(k->cmdline) : NULL;
		return;
	}
}

/* The rows of the sample, as records (no user, command line or memory yet). */
static struct prec *activity_records(struct vms_sampler *s, size_t *np)
{
	size_t m = vms_sampler_count(s), n = 0;
	double dt = vms_sampler_interval(s);
	struct prec *recs = calloc(m + 1, sizeof(*recs));

	if (!recs)
		cx_oom();
	for (size_t i = 0; i < m; i++) {
		const struct vms_fault_row *row = vms_sampler_row(s, i);
		struct prec *r = &recs[n];

		if (row->thread || row->kthread)
			continue;
		r->pid = row->pid;
		r->ppid = row->ppid;
		r->uid = row->uid;
		r->state = row->state;
		r->start_time = row->start_time;
		r->comm = cx_xstrdup(row->comm);
		r->status = status_name(row->status);
		r->exited = row->status == VMS_FS_EXITED;
		r->named = ctl.npids > 0;
		r->have_majflt = true;
		r->majflt = row->majflt;
		if (row->has_delta && dt > 0) {
			r->have_rate = true;
			r->majflt_rate = (double)row->d_majflt / dt;
		}
		/* shown without -a: paging in now (at the first sample: ever) */
		if (!ctl.all && !ctl.npids &&
		    !(vms_sampler_index(s) ? r->have_rate && r->majflt_rate > 0 : r->majflt > 0)) {
			free(r->comm);
			memset(r, 0, sizeof(*r));
			continue;
		}
		if (r->exited)
			names_recall(r);
		n++;
	}
	*np = n;
	return recs;
}

/* smaps_rollup could not be read: the rows stay, their figures unknown (said once). */
static void activity_unread(const struct prec *recs, size_t n, bool *said)
{
	size_t unread = 0;
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		/* exited since the sample: shown as the sample saw it */
		if (!recs[i].roll_err || recs[i].roll_err == -ESRCH)
			continue;
		unread++;
		err = recs[i].roll_err;
	}
	if (unread && !*said) {
		cx_warn("the memory of %zu %s shown could not be read (%s)", unread,
			unread == 1 ? "process" : "processes", vs_skip_reason(err));
		*said = true;
	}
}

static bool activity_sample(struct vms_sampler *s, struct cx_table *t, const struct vmsnap *v,
			    const struct vmsnap *pv, bool *said, bool *partial, bool *said_denied)
{
	unsigned long idx = vms_sampler_index(s);
	double dt = vms_sampler_interval(s);
	int sc = vs_sort_column(idx ? C_MAJFLT_RATE : C_MAJFLT);
	bool details_first = sc != C_PID && sc != C_PPID && sc != C_UID && sc != C_COMM &&
			     sc != C_STATUS && sc != C_MAJFLT && sc != C_MAJFLT_RATE;
	size_t n, shown;
	struct prec *recs = activity_records(s, &n);
	size_t *order = malloc((n + 1) * sizeof(*order));

	if (!order)
		cx_oom();
	/* the top N from the sample alone: only the rows shown cost a look at their memory */
	if (details_first)
		cx_parallel_for(n, ctl.jobs, vs_read_details, recs);
	vs_sort_records(recs, n, order, sc);
	shown = ctl.top && ctl.top < n ? ctl.top : n;
	if (!details_first) {
		struct prec *top = calloc(shown + 1, sizeof(*top));

		if (!top)
			cx_oom();
		for (size_t i = 0; i < shown; i++) {
			top[i] = recs[order[i]];
			memset(&recs[order[i]], 0, sizeof(*recs));
			order[i] = i;
		}
		vs_recs_free(recs, n);
		recs = top;
		n = shown;
		cx_parallel_for(n, ctl.jobs, vs_read_details, recs);
	}
	/* a process that ended since the sample is shown as the sample saw it */
	for (size_t i = 0; i < shown; i++)
		vs_fill_row(t, cx_table_add_row(t), &recs[order[i]]);
	activity_unread(recs, n, said_denied);
	if (ctl.out.format == CX_FMT_JSON) {
		cJSON *doc = cx_json_doc(), *arr;

		cx_json_str(doc, "root", vms_ctx_root(ctx));
		cx_json_u64(doc, "sample", idx);
		if (idx)
			cJSON_AddNumberToObject(doc, "interval", round(dt * 1000) / 1000);
		else
			cJSON_AddNullToObject(doc, "interval");
		activity_json(doc, v, idx ? pv : NULL, dt);
		arr = cJSON_AddArrayToObject(doc, "processes");
		if (!arr)
			cx_oom();
		for (size_t i = 0; i < shown; i++) {
			const struct prec *r = &recs[order[i]];
			cJSON *o =
				vs_json_process(arr, t, i, r, json_activity, NELEM(json_activity));

			if (r->roll_err)
				cx_json_str(o, "rollup_error", cx_errno_reason(r->roll_err));
		}
		*partial |= cx_report_sampler_missing(s, doc, ctl.pids, ctl.npids, said);
		if (cx_json_print_line(doc, stdout) < 0)
			cx_oom();
	} else {
		*partial |= cx_report_sampler_missing(s, NULL, ctl.pids, ctl.npids, said);
		if (idx)
			putchar('\n');
		activity_line(v, idx ? pv : NULL, dt);
		vs_text_fixups(t, true);
		cx_table_print(t, &ctl.out, stdout);
		fflush(stdout);
	}
	cx_table_truncate(t, 0);
	t->cols = columns;
	names_keep(recs, order, shown);
	free(order);
	vs_recs_free(recs, n);
	return !ferror(stdout);
}

int vs_run_activity(struct cx_table *t)
{
	struct vms_sampler *s = vs_new_sampler();
	struct vmsnap v[2];
	bool *said = calloc(ctl.npids + 1, sizeof(*said));
	bool partial = false, said_denied = false, seen = false;
	double start = cx_mono_now();
	struct sigaction sa = { .sa_handler = vs_on_stop_signal };

	if (!said)
		cx_oom();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (size_t k = 0;; k++) {
		vs_take_sample(s, k);
		read_vmstat(&v[k & 1]);
		if (k == 0 && !v[0].ok)
			cx_warn("cannot read /proc/vmstat: %s: the system line is left out",
				vs_file_reason(vmstat_err));
		for (size_t i = 0; i < vms_sampler_count(s); i++)
			seen |= !vms_sampler_row(s, i)->kthread;
		if (!activity_sample(s, t, &v[k & 1], &v[(k + 1) & 1], said, &partial,
				     &said_denied))
			break;
		if ((ctl.count && k + 1 >= ctl.count) || (ctl.nroots && k + 1 >= ctl.nroots) ||
		    vs_stop_requested)
			break;
		if (vms_ctx_is_live(ctx) && !vs_sleep_until(start + (double)(k + 1) * ctl.interval))
			break;
	}
	vms_sampler_free(s);
	free(said);
	names_keep(NULL, NULL, 0);
	if (ctl.npids && !seen)
		return CX_EXIT_FAILURE;
	return partial ? CX_EXIT_PARTIAL : CX_EXIT_OK;
}
