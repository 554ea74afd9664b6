// SPDX-License-Identifier: GPL-2.0-or-later
/* cmd/common: sampling over time -- live, or a series of snapshots given as --root ... --root. */
#include <errno.h>
#include <locale.h>
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

double cx_parse_seconds(const char *arg)
{
	static locale_t c_numeric;
	bool dot = false, digit = false;
	char *end;
	double v;

	/* strtod() alone takes signs, spaces, exponents, hex, inf and nan, and a
	 * decimal point that depends on the locale (hazards A9, B3) */
	for (const char *p = arg; *p; p++) {
		if (*p == '.' && !dot)
			dot = true;
		else if (*p >= '0' && *p <= '9')
			digit = true;
		else
			return -1;
	}
	if (!digit)
		return -1;
	if (!c_numeric)
		c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	errno = 0;
	v = c_numeric ? strtod_l(arg, &end, c_numeric) : strtod(arg, &end);
	if (errno || *end || !isfinite(v))
		return -1;
	return v;
}

double cx_parse_interval(const char *arg, bool zero_ok)
{
	double v = cx_parse_seconds(arg);

	if (v < 0 || v > 86400 || (v < 0.01 && !(zero_ok && v == 0)))
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

/* A PID of the command line and its place there. */
struct pid_at {
	int pid;
	size_t k;
};

static int pid_at_cmp(const void *a, const void *b)
{
	const struct pid_at *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

bool cx_report_sampler_missing(const struct vms_sampler *s, cJSON *doc, const int *pids,
			       size_t npids, bool *said)
{
	size_t n = vms_sampler_missing_count(s);
	struct pid_at *by_pid = NULL;
	bool any = false;

	if (doc)
		json_sampler_skipped(doc, s);
	if (npids && n) {
		/* looked up, not scanned: 100,000 PIDs would take n * npids steps */
		by_pid = malloc(npids * sizeof(*by_pid));
		if (!by_pid)
			cx_oom();
		for (size_t k = 0; k < npids; k++)
			by_pid[k] = (struct pid_at){ pids[k], k };
		qsort(by_pid, npids, sizeof(*by_pid), pid_at_cmp);
	}
	for (size_t i = 0; i < n; i++) {
		struct pid_at key = { 0, 0 }, *hit;
		pid_t pid;
		int err;
		size_t k;

		vms_sampler_missing(s, i, &pid, &err);
		if (!npids)
			continue;
		any = true;
		key.pid = pid;
		hit = bsearch(&key, by_pid, npids, sizeof(*by_pid), pid_at_cmp);
		k = hit ? hit->k : npids;
		if (k < npids && !said[k]) {
			said[k] = true;
			if (err == -ESRCH)
				cx_warn("pid %d: %s", (int)pid,
					vms_sampler_index(s) ? "exited" : "no such process");
			else
				cx_proc_error(pid, "stat", err);
		}
	}
	free(by_pid);
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
