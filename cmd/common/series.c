// SPDX-License-Identifier: GPL-2.0-or-later
/* cmd/common: sampling over time -- live, or a series of snapshots given as --root ... --root. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

double cx_mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cx_sample_clock(const struct vms_ctx *ctx, char *buf, size_t len)
{
	const char *t = vms_ctx_is_live(ctx) ? NULL : vms_ctx_snapshot_info(ctx, "time");
	struct tm tm;
	time_t now;

	if (t && strlen(t) >= 19 && t[10] == 'T') {
		snprintf(buf, len, "%.8s", t + 11);
		return;
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

double cx_parse_interval(const char *arg, bool zero_ok)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v > 86400 ||
	    (v < 0.01 && !(zero_ok && v == 0)))
		cx_usage_error("invalid interval '%s' (seconds, %s0.01 to 86400)", arg,
			       zero_ok ? "0 or " : "");
	return v;
}

void cx_add_root(const char ***roots, size_t *n, const char *root)
{
	const char **r = realloc(*roots, (*n + 1) * sizeof(*r));

	if (!r)
		cx_oom();
	r[(*n)++] = root;
	*roots = r;
}

void cx_check_series(size_t nroots, bool interval_set, bool count_set, unsigned long count)
{
	if (nroots > 1 && interval_set)
		cx_usage_error(
			"-i has no meaning with a series of snapshots: their times are used");
	if (nroots == 1 && count_set && count > 1)
		cx_usage_error("a snapshot holds one sample; give several --root for a series");
}

struct vms_ctx *cx_open_root(const char *root)
{
	struct vms_ctx *c = cx_ctx_open(root, 0);

	if (!c)
		exit(CX_EXIT_FAILURE);
	return c;
}

void cx_sampler_error(const struct vms_ctx *ctx, int ret, size_t nroots)
{
	if (ret == -EINVAL && nroots > 1)
		cx_warn("the snapshots are not in time order (each --root must be later than the "
			"one before)");
	else if (ret == -ENOENT && !vms_ctx_is_live(ctx))
		cx_warn("%s: the snapshot has neither proc/uptime nor a capture time",
			vms_ctx_root(ctx));
	else
		cx_warn("cannot read the process table: %s", strerror(-ret));
	exit(CX_EXIT_FAILURE);
}

/* The processes the sampler could not read at its last sample, as "skipped" of @doc. */
static void json_sampler_skipped(cJSON *doc, const struct vms_sampler *s)
{
	cJSON *arr = cJSON_AddArrayToObject(doc, "skipped");

	if (!arr)
		cx_oom();
	for (size_t i = 0; i < vms_sampler_missing_count(s); i++) {
		cJSON *o = cx_json_object();
		pid_t pid;
		int err;

		if (!o)
			cx_oom();
		vms_sampler_missing(s, i, &pid, &err);
		cx_json_int(o, "pid", pid);
		cx_json_str(o, "errno", cx_errno_name(err));
		cx_json_str(o, "reason", cx_errno_reason(err));
		cJSON_AddItemToArray(arr, o);
	}
}

bool cx_report_sampler_missing(const struct vms_sampler *s, cJSON *doc, const int *pids,
			       size_t npids, bool *said)
{
	size_t n = vms_sampler_missing_count(s);
	bool any = false;

	if (doc)
		json_sampler_skipped(doc, s);
	for (size_t i = 0; i < n; i++) {
		pid_t pid;
		int err;
		size_t k;

		vms_sampler_missing(s, i, &pid, &err);
		if (!npids)
			continue;
		any = true;
		for (k = 0; k < npids && pids[k] != pid; k++)
			;
		if (k < npids && !said[k]) {
			said[k] = true;
			if (err == -ESRCH)
				cx_warn("pid %d: %s", (int)pid,
					vms_sampler_index(s) ? "exited" : "no such process");
			else
				cx_proc_error(pid, "stat", err);
		}
	}
	/* scanning all: unreadable ones are told once, by reason, at the first sample */
	if (!npids && vms_sampler_index(s) == 0) {
		int errs[8];
		size_t counts[8], nerr = 0;

		for (size_t i = 0; i < n; i++) {
			int err;
			size_t k;

			vms_sampler_missing(s, i, NULL, &err);
			for (k = 0; k < nerr && errs[k] != err; k++)
				;
			if (k == nerr) {
				if (nerr == 8)
					continue;
				errs[nerr] = err;
				counts[nerr++] = 0;
			}
			counts[k]++;
		}
		for (size_t k = 0; k < nerr; k++)
			cx_warn("%zu %s not readable: %s%s", counts[k],
				counts[k] == 1 ? "process" : "processes", cx_errno_reason(errs[k]),
				cx_errno_hint(errs[k]));
	}
	return any;
}
