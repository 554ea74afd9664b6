// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the fault sampler: statuses and deltas over the faults/t0..t2 series, and live. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"

#define FAULTS DATA_DIR "/../../fixtures/faults"
#define PAGE 4096
/* every user process of the series: 256 resident pages, 10 MiB mapped (make-faults.py) */
#define RSS (256 * PAGE)
#define VSZ (10 << 20)

static const char *status_name(enum vms_fault_status st)
{
	switch (st) {
	case VMS_FS_FIRST:
		return "FIRST";
	case VMS_FS_NEW:
		return "NEW";
	case VMS_FS_RUNNING:
		return "RUNNING";
	case VMS_FS_UNBASED:
		return "UNBASED";
	case VMS_FS_EXITED:
		return "EXITED";
	}
	return "(unknown status)";
}

/* What one row of a sample must be, field for field. */
struct want {
	pid_t pid, ppid;
	const char *comm;
	enum vms_fault_status status;
	uint64_t minflt, majflt, cminflt, cmajflt;
	uint64_t d_minflt, d_majflt, d_cminflt, d_cmajflt; /* when has_delta */
	uint64_t start_time; /* ticks */
	uint32_t uid;
	bool kthread;
	uint64_t rss, vsz;
};

/* The rows of the series, each as make-faults.py wrote it (deltas set per sample). */
#define KTHREADD                                                                              \
	{                                                                                     \
		.pid = 2, .ppid = 0, .comm = "kthreadd", .kthread = true, .rss = 0, .vsz = 0, \
		.start_time = 0                                                               \
	}
#define USER(p, pp, c, start) \
	.pid = (p), .ppid = (pp), .comm = (c), .start_time = (start), .rss = RSS, .vsz = VSZ

static struct vms_ctx *open_series(const char *name)
{
	char path[512];
	struct vms_ctx *ctx = NULL;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", FAULTS, name);
	ret = vms_ctx_new(path, 0, &ctx);
	if (ret != 0)
		fail_msg("vms_ctx_new(%s): expected 0, got %s", path, errname(ret));
	assert_non_null(ctx);
	return ctx;
}

static struct vms_sampler *new_sampler(struct vms_ctx *ctx, unsigned int flags)
{
	struct vms_sampler *s = NULL;
	int ret = vms_sampler_new(ctx, flags, &s);

	if (ret != 0)
		fail_msg("vms_sampler_new(flags %#x): expected 0, got %s", flags, errname(ret));
	assert_non_null(s);
	return s;
}

/* Take a sample of snapshot @name; the sampler holds its own reference to the context. */
static void sample_of(struct vms_sampler *s, const char *name)
{
	struct vms_ctx *ctx = open_series(name);
	int ret = vms_sampler_sample(s, ctx);

	if (ret != 0)
		fail_msg("vms_sampler_sample(%s): expected 0, got %s", name, errname(ret));
	vms_ctx_unref(ctx);
}

static void row_compare(const struct vms_fault_row *r, const struct want *w, const char *at,
			size_t i)
{
	bool delta = w->status == VMS_FS_NEW || w->status == VMS_FS_RUNNING;
	char what[96];

	snprintf(what, sizeof(what), "%s row %zu (pid %d %s)", at, i, (int)w->pid,
		 status_name(w->status));
	if (r->pid != w->pid)
		fail_msg("%s: pid expected %d, got %d", what, (int)w->pid, (int)r->pid);
	if (r->status != w->status)
		fail_msg("%s: status expected %s, got %s", what, status_name(w->status),
			 status_name(r->status));
	if (!r->comm || strcmp(r->comm, w->comm) != 0)
		fail_msg("%s: comm expected \"%s\", got %s%s%s", what, w->comm, r->comm ? "\"" : "",
			 r->comm ? esc(r->comm, strlen(r->comm)) : "NULL", r->comm ? "\"" : "");
	if (r->tid != w->pid || r->thread)
		fail_msg("%s: expected a process row (tid %d, thread false), got tid %d thread %d",
			 what, (int)w->pid, (int)r->tid, r->thread);
	if (r->has_delta != delta)
		fail_msg("%s: has_delta expected %d, got %d", what, delta, r->has_delta);
#define CHECK(field)                                                                        \
	do {                                                                                \
		if ((uint64_t)r->field != (uint64_t)w->field)                               \
			fail_msg("%s: " #field " expected %" PRIu64 ", got %" PRIu64, what, \
				 (uint64_t)w->field, (uint64_t)r->field);                   \
	} while (0)
	CHECK(ppid);
	CHECK(uid);
	CHECK(kthread);
	CHECK(start_time);
	CHECK(minflt);
	CHECK(majflt);
	CHECK(cminflt);
	CHECK(cmajflt);
	CHECK(rss);
	CHECK(vsz);
	if (delta) {
		CHECK(d_minflt);
		CHECK(d_majflt);
		CHECK(d_cminflt);
		CHECK(d_cmajflt);
	}
#undef CHECK
}

static void expect_rows(const struct vms_sampler *s, const struct want *w, size_t n, const char *at)
{
	size_t got = vms_sampler_count(s);

	for (size_t i = 0; i < n && i < got; i++) {
		const struct vms_fault_row *r = vms_sampler_row(s, i);

		if (!r)
			fail_msg("%s: vms_sampler_row(%zu) is NULL with count %zu", at, i, got);
		row_compare(r, &w[i], at, i);
	}
	if (got > n) {
		const struct vms_fault_row *r = vms_sampler_row(s, n);

		fail_msg("%s: expected %zu rows, got %zu (the first extra: pid %d tid %d %s)", at,
			 n, got, r ? (int)r->pid : -1, r ? (int)r->tid : -1,
			 r ? status_name(r->status) : "-");
	}
	if (got < n)
		fail_msg("%s: expected %zu rows, got %zu (the first absent: pid %d %s)", at, n, got,
			 (int)w[got].pid, status_name(w[got].status));
	assert_null(vms_sampler_row(s, n));
}

struct miss {
	pid_t pid;
	int err;
};

static void expect_missing(const struct vms_sampler *s, const struct miss *m, size_t n,
			   const char *at)
{
	size_t got = vms_sampler_missing_count(s);

	for (size_t i = 0; i < got; i++) {
		pid_t pid = 0;
		int err = 0;

		expect_ret(vms_sampler_missing(s, i, &pid, &err), 0);
		if (i >= n)
			fail_msg("%s: expected %zu missing, got more: pid %d (%s)", at, n, (int)pid,
				 errname(err));
		if (pid != m[i].pid || err != m[i].err)
			fail_msg("%s: missing %zu expected pid %d (%s), got pid %d (%s)", at, i,
				 (int)m[i].pid, errname(m[i].err), (int)pid, errname(err));
	}
	if (got != n)
		fail_msg("%s: expected %zu missing, got %zu (first absent: pid %d)", at, n, got,
			 (int)m[got].pid);
	expect_ret(vms_sampler_missing(s, n, NULL, NULL), -ERANGE);
}

static void expect_clock(const struct vms_sampler *s, unsigned long index, double interval,
			 const char *at)
{
	if (vms_sampler_index(s) != index)
		fail_msg("%s: vms_sampler_index() expected %lu, got %lu", at, index,
			 vms_sampler_index(s));
	if (vms_sampler_interval(s) != interval)
		fail_msg("%s: vms_sampler_interval() expected %g, got %.17g", at, interval,
			 vms_sampler_interval(s));
}

static const struct miss bad700[] = { { 700, -EBADMSG } };

/* ---- every process of the series ---- */

static void series_every_process(void **state)
{
	struct vms_ctx *ctx0 = open_series("t0");
	struct vms_sampler *s = new_sampler(ctx0, 0);

	(void)state;
	/* before any sample: nothing, and no interval */
	expect_u64(vms_sampler_count(s), 0);
	assert_null(vms_sampler_row(s, 0));
	expect_u64(vms_sampler_missing_count(s), 0);
	expect_clock(s, 0, 0.0, "before the first sample");

	expect_ret(vms_sampler_sample(s, NULL), 0);
	vms_ctx_unref(ctx0);
	{
		const struct want t0[] = {
			KTHREADD,
			{ USER(100, 1, "steady", 1000), .uid = 1000, .minflt = 1000 },
			{ USER(200, 1, "leaver", 2000), .minflt = 300, .majflt = 1 },
			{ USER(300, 1, "old300", 3000), .minflt = 9000, .majflt = 5 },
			{ USER(500, 1, "rewound", 5000), .minflt = 777 },
			{ USER(600, 1, "parent", 6000), .minflt = 100 },
		};

		expect_rows(s, t0, sizeof(t0) / sizeof(t0[0]), "t0");
		expect_missing(s, bad700, 1, "t0");
		expect_clock(s, 0, 0.0, "t0");
	}

	sample_of(s, "t1");
	{
		const struct want t1[] = {
			{ .pid = 2,
			  .ppid = 0,
			  .comm = "kthreadd",
			  .kthread = true,
			  .status = VMS_FS_RUNNING },
			{ USER(100, 1, "steady", 1000), .uid = 1000, .status = VMS_FS_RUNNING,
			  .minflt = 1500, .majflt = 2, .d_minflt = 500, .d_majflt = 2 },
			/* gone: its last counts */
			{ USER(200, 1, "leaver", 2000), .status = VMS_FS_EXITED, .minflt = 300,
			  .majflt = 1 },
			/* the old 300 ended; its PID now is a process started after t0 */
			{ USER(300, 1, "old300", 3000), .status = VMS_FS_EXITED, .minflt = 9000,
			  .majflt = 5 },
			{ USER(300, 1, "new300", 100050), .status = VMS_FS_NEW, .minflt = 50,
			  .d_minflt = 50 },
			/* started long before t0 but not seen then: no basis for a delta */
			{ USER(400, 1, "hidden", 4000), .status = VMS_FS_UNBASED, .minflt = 4000,
			  .majflt = 3 },
			{ USER(500, 1, "rewound", 5000), .status = VMS_FS_RUNNING, .minflt = 800,
			  .d_minflt = 23 },
			{ USER(600, 1, "parent", 6000), .status = VMS_FS_RUNNING, .minflt = 110,
			  .d_minflt = 10 },
			{ USER(601, 600, "child", 100020), .status = VMS_FS_NEW, .minflt = 40,
			  .majflt = 1, .d_minflt = 40, .d_majflt = 1 },
		};

		expect_rows(s, t1, sizeof(t1) / sizeof(t1[0]), "t1");
		expect_missing(s, bad700, 1, "t1");
		expect_clock(s, 1, 1.0, "t1");
	}

	sample_of(s, "t2");
	{
		const struct want t2[] = {
			{ .pid = 2,
			  .ppid = 0,
			  .comm = "kthreadd",
			  .kthread = true,
			  .status = VMS_FS_RUNNING },
			{ USER(100, 1, "steady", 1000), .uid = 1000, .status = VMS_FS_RUNNING,
			  .minflt = 2100, .majflt = 2, .d_minflt = 600, .d_majflt = 0 },
			/* 200 and the old 300 were said to have exited once: not again */
			{ USER(300, 1, "new300", 100050), .status = VMS_FS_RUNNING, .minflt = 80,
			  .d_minflt = 30 },
			{ USER(400, 1, "hidden", 4000), .status = VMS_FS_RUNNING, .minflt = 4010,
			  .majflt = 3, .d_minflt = 10 },
			/* counters that go back: no delta */
			{ USER(500, 1, "rewound", 5000), .status = VMS_FS_UNBASED, .minflt = 10 },
			/* the reaped child's faults arrive as the parent's children counts */
			{ USER(600, 1, "parent", 6000), .status = VMS_FS_RUNNING, .minflt = 115,
			  .cminflt = 100, .cmajflt = 1, .d_minflt = 5, .d_cminflt = 100,
			  .d_cmajflt = 1 },
			{ USER(601, 600, "child", 100020), .status = VMS_FS_EXITED, .minflt = 40,
			  .majflt = 1 },
		};

		expect_rows(s, t2, sizeof(t2) / sizeof(t2[0]), "t2");
		expect_missing(s, bad700, 1, "t2");
		expect_clock(s, 2, 1.0, "t2");
	}
	vms_sampler_free(s);
}

/* A row's comm must stay valid until the next sample, whatever the sampler frees meanwhile. */
static void series_comm_outlives_its_context(void **state)
{
	struct vms_ctx *ctx = open_series("t0");
	struct vms_sampler *s = new_sampler(ctx, 0);
	const struct vms_fault_row *r;

	(void)state;
	vms_ctx_unref(ctx);
	sample_of(s, "t0");
	sample_of(s, "t1");
	r = vms_sampler_row(s, 3);
	assert_non_null(r);
	expect_str(r->comm, "old300");
	vms_sampler_free(s);
}

static void series_cannot_go_back_in_time(void **state)
{
	struct vms_ctx *ctx0 = open_series("t0"), *ctx1 = open_series("t1");
	struct vms_sampler *s = new_sampler(ctx1, 0);

	(void)state;
	expect_ret(vms_sampler_sample(s, ctx1), 0);
	expect_ret(vms_sampler_sample(s, ctx0), -EINVAL);
	/* the same snapshot again is not later either */
	expect_ret(vms_sampler_sample(s, ctx1), -EINVAL);
	vms_sampler_free(s);
	vms_ctx_unref(ctx0);
	vms_ctx_unref(ctx1);
}

/* ---- watched processes ---- */

static void watch_follows_a_process_until_it_exits(void **state)
{
	struct vms_ctx *ctx = open_series("t0");
	struct vms_sampler *s = new_sampler(ctx, 0);
	const pid_t pids[] = { 100, 200 };
	const struct miss gone200[] = { { 200, -ESRCH } };

	(void)state;
	vms_ctx_unref(ctx);
	expect_ret(vms_sampler_watch(s, pids, 2), 0);
	sample_of(s, "t0");
	{
		const struct want t0[] = {
			{ USER(100, 1, "steady", 1000), .uid = 1000, .minflt = 1000 },
			{ USER(200, 1, "leaver", 2000), .minflt = 300, .majflt = 1 },
		};

		expect_rows(s, t0, 2, "watch {100,200} t0");
		expect_missing(s, NULL, 0, "watch {100,200} t0");
	}
	sample_of(s, "t1");
	{
		const struct want t1[] = {
			{ USER(100, 1, "steady", 1000), .uid = 1000, .status = VMS_FS_RUNNING,
			  .minflt = 1500, .majflt = 2, .d_minflt = 500, .d_majflt = 2 },
			{ USER(200, 1, "leaver", 2000), .status = VMS_FS_EXITED, .minflt = 300,
			  .majflt = 1 },
		};

		expect_rows(s, t1, 2, "watch {100,200} t1");
		expect_missing(s, gone200, 1, "watch {100,200} t1");
		expect_clock(s, 1, 1.0, "watch {100,200} t1");
	}
	sample_of(s, "t2");
	{
		const struct want t2[] = {
			{ USER(100, 1, "steady", 1000), .uid = 1000, .status = VMS_FS_RUNNING,
			  .minflt = 2100, .majflt = 2, .d_minflt = 600 },
		};

		expect_rows(s, t2, 1, "watch {100,200} t2");
		expect_missing(s, gone200, 1, "watch {100,200} t2");
	}
	vms_sampler_free(s);
}

static void watch_does_not_follow_a_reused_pid(void **state)
{
	struct vms_ctx *ctx = open_series("t0");
	struct vms_sampler *s = new_sampler(ctx, 0);
	const pid_t pid = 300;
	const struct miss gone300[] = { { 300, -ESRCH } };

	(void)state;
	vms_ctx_unref(ctx);
	expect_ret(vms_sampler_watch(s, &pid, 1), 0);
	sample_of(s, "t0");
	{
		const struct want t0[] = {
			{ USER(300, 1, "old300", 3000), .minflt = 9000, .majflt = 5 },
		};

		expect_rows(s, t0, 1, "watch {300} t0");
		expect_missing(s, NULL, 0, "watch {300} t0");
	}
	sample_of(s, "t1");
	{
		const struct want t1[] = {
			{ USER(300, 1, "old300", 3000), .status = VMS_FS_EXITED, .minflt = 9000,
			  .majflt = 5 },
		};

		expect_rows(s, t1, 1, "watch {300} t1");
		expect_missing(s, gone300, 1, "watch {300} t1");
	}
	sample_of(s, "t2");
	expect_rows(s, NULL, 0, "watch {300} t2");
	expect_missing(s, gone300, 1, "watch {300} t2");
	vms_sampler_free(s);
}

static void watch_tree_takes_in_new_children(void **state)
{
	struct vms_ctx *ctx = open_series("t0");
	struct vms_sampler *s = new_sampler(ctx, VMS_SAMPLER_TREE);
	const pid_t pid = 600;

	(void)state;
	vms_ctx_unref(ctx);
	expect_ret(vms_sampler_watch(s, &pid, 1), 0);
	sample_of(s, "t0");
	{
		const struct want t0[] = {
			{ USER(600, 1, "parent", 6000), .minflt = 100 },
		};

		expect_rows(s, t0, 1, "tree {600} t0");
	}
	sample_of(s, "t1");
	{
		const struct want t1[] = {
			{ USER(600, 1, "parent", 6000), .status = VMS_FS_RUNNING, .minflt = 110,
			  .d_minflt = 10 },
			{ USER(601, 600, "child", 100020), .status = VMS_FS_NEW, .minflt = 40,
			  .majflt = 1, .d_minflt = 40, .d_majflt = 1 },
		};

		expect_rows(s, t1, 2, "tree {600} t1");
		expect_clock(s, 1, 1.0, "tree {600} t1");
	}
	sample_of(s, "t2");
	{
		const struct want t2[] = {
			{ USER(600, 1, "parent", 6000), .status = VMS_FS_RUNNING, .minflt = 115,
			  .cminflt = 100, .cmajflt = 1, .d_minflt = 5, .d_cminflt = 100,
			  .d_cmajflt = 1 },
			{ USER(601, 600, "child", 100020), .status = VMS_FS_EXITED, .minflt = 40,
			  .majflt = 1 },
		};

		expect_rows(s, t2, 2, "tree {600} t2");
	}
	/* the watched process itself was found at every sample */
	for (size_t i = 0; i < vms_sampler_missing_count(s); i++) {
		pid_t p = 0;
		int err = 0;

		expect_ret(vms_sampler_missing(s, i, &p, &err), 0);
		if (p == 600)
			fail_msg("tree {600} t2: watched pid 600 is missing (%s)", errname(err));
	}
	vms_sampler_free(s);
}

/* An empty watch list watches nothing (it does not mean "everything"). */
static void watch_of_nothing_is_empty(void **state)
{
	struct vms_ctx *ctx = open_series("t0");
	struct vms_sampler *s = new_sampler(ctx, 0);

	(void)state;
	vms_ctx_unref(ctx);
	expect_ret(vms_sampler_watch(s, NULL, 0), 0);
	sample_of(s, "t0");
	expect_rows(s, NULL, 0, "watch {} t0");
	expect_missing(s, NULL, 0, "watch {} t0");
	vms_sampler_free(s);
}

/* ---- arguments ---- */

static void argument_checks(void **state)
{
	struct vms_ctx *ctx = open_series("t0");
	struct vms_sampler *s = NULL;
	const pid_t zero = 0, neg = -1, ok[] = { 100, 0 };

	(void)state;
	expect_ret(vms_sampler_new(NULL, 0, &s), -EINVAL);
	assert_null(s);
	expect_ret(vms_sampler_new(ctx, 0, NULL), -EINVAL);
	expect_ret(vms_sampler_new(ctx, 1u << 2, &s), -EINVAL);
	/* the top bit too: no flag of the caller's may look like an internal one */
	expect_ret(vms_sampler_new(ctx, 1u << 31, &s), -EINVAL);
	assert_null(s);

	s = new_sampler(ctx, VMS_SAMPLER_THREADS | VMS_SAMPLER_TREE);
	expect_ret(vms_sampler_watch(NULL, ok, 1), -EINVAL);
	expect_ret(vms_sampler_watch(s, NULL, 1), -EINVAL);
	expect_ret(vms_sampler_watch(s, &zero, 1), -EINVAL);
	expect_ret(vms_sampler_watch(s, &neg, 1), -EINVAL);
	expect_ret(vms_sampler_watch(s, ok, 2), -EINVAL);
	expect_ret(vms_sampler_watch(s, ok, 1), 0);
	expect_ret(vms_sampler_sample(s, NULL), 0);
	/* the watched processes are identified at the first sample: too late now */
	expect_ret(vms_sampler_watch(s, ok, 1), -EINVAL);
	vms_sampler_free(s);

	expect_ret(vms_sampler_sample(NULL, ctx), -EINVAL);
	expect_u64(vms_sampler_count(NULL), 0);
	assert_null(vms_sampler_row(NULL, 0));
	expect_u64(vms_sampler_missing_count(NULL), 0);
	expect_ret(vms_sampler_missing(NULL, 0, NULL, NULL), -ERANGE);
	vms_sampler_free(NULL);
	vms_ctx_unref(ctx);
}

/* A snapshot series cannot be continued on the live system, nor the other way. */
static void live_and_snapshot_do_not_mix(void **state)
{
	struct vms_ctx *snap = open_series("t0"), *live = NULL;
	struct vms_sampler *s;

	(void)state;
	expect_ret(vms_ctx_new(NULL, 0, &live), 0);
	s = new_sampler(snap, 0);
	expect_ret(vms_sampler_sample(s, live), -EINVAL);
	vms_sampler_free(s);
	s = new_sampler(live, 0);
	expect_ret(vms_sampler_sample(s, snap), -EINVAL);
	vms_sampler_free(s);
	vms_ctx_unref(live);
	vms_ctx_unref(snap);
}

/* ---- live ---- */

struct worker {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pid_t tid;
	bool stop;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->lock);
	w->tid = gettid();
	pthread_cond_broadcast(&w->cond);
	while (!w->stop)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void live_threads_and_fresh_pages(void **state)
{
	struct worker w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false };
	const pid_t self = getpid();
	const size_t npages = 100;
	long ps = sysconf(_SC_PAGESIZE);
	const struct vms_fault_row *r;
	struct vms_sampler *s;
	struct vms_ctx *ctx = NULL;
	size_t main_row, worker_row;
	pthread_t th;
	char *mem;

	(void)state;
	expect_ret(vms_ctx_new(NULL, 0, &ctx), 0);
	assert_true(vms_ctx_is_live(ctx));
	expect_i64(pthread_create(&th, NULL, worker_main, &w), 0);
	pthread_setname_np(th, "samp-worker");
	pthread_mutex_lock(&w.lock);
	while (!w.tid)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);

	s = new_sampler(ctx, VMS_SAMPLER_THREADS);
	expect_ret(vms_sampler_watch(s, &self, 1), 0);
	expect_ret(vms_sampler_sample(s, NULL), 0);
	expect_u64(vms_sampler_count(s), 3);
	expect_u64(vms_sampler_missing_count(s), 0);
	r = vms_sampler_row(s, 0);
	expect_i64(r->pid, self);
	expect_i64(r->tid, self);
	expect_bool(r->thread, false);
	expect_i64(r->status, VMS_FS_FIRST);
	expect_bool(r->has_delta, false);
	expect_i64(r->ppid, getppid());
	expect_u64(r->uid, geteuid());
	expect_bool(r->kthread, false);
	expect_str(r->comm, "test_sampler");
	if (r->rss == 0 || r->rss % (uint64_t)ps != 0)
		fail_msg("live: rss %" PRIu64 " is not a positive number of pages", r->rss);
	/*
	 * Thread rows by TID: the main thread (tid == pid) first, unless PIDs wrapped around
	 * (pid_max is often 32768) between the process and its worker.
	 */
	main_row = self < w.tid ? 1 : 2;
	worker_row = 3 - main_row;
	r = vms_sampler_row(s, main_row);
	expect_i64(r->pid, self);
	expect_i64(r->tid, self);
	expect_bool(r->thread, true);
	expect_str(r->comm, "test_sampler");
	r = vms_sampler_row(s, worker_row);
	expect_i64(r->pid, self);
	expect_i64(r->tid, w.tid);
	expect_bool(r->thread, true);
	expect_str(r->comm, "samp-worker");
	expect_i64(r->status, VMS_FS_FIRST);

	mem = mmap(NULL, npages * (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	assert_true(mem != MAP_FAILED);
	for (size_t i = 0; i < npages; i++)
		((volatile char *)mem)[i * (size_t)ps] = 1;

	expect_ret(vms_sampler_sample(s, NULL), 0);
	expect_u64(vms_sampler_count(s), 3);
	expect_u64(vms_sampler_index(s), 1);
	if (!(vms_sampler_interval(s) > 0))
		fail_msg("live: interval expected > 0, got %g", vms_sampler_interval(s));
	r = vms_sampler_row(s, 0);
	expect_i64(r->tid, self);
	expect_bool(r->thread, false);
	if (r->status != VMS_FS_RUNNING)
		fail_msg("live: process row status expected RUNNING, got %s",
			 status_name(r->status));
	expect_bool(r->has_delta, true);
	if (r->d_minflt < npages)
		fail_msg("live: d_minflt expected >= %zu after touching %zu pages, got %" PRIu64,
			 npages, npages, r->d_minflt);
	/* the pages were touched by the main thread: its row saw them too */
	r = vms_sampler_row(s, main_row);
	expect_i64(r->tid, self);
	expect_bool(r->thread, true);
	expect_i64(r->status, VMS_FS_RUNNING);
	if (r->d_minflt < npages)
		fail_msg("live: main thread d_minflt expected >= %zu, got %" PRIu64, npages,
			 r->d_minflt);
	r = vms_sampler_row(s, worker_row);
	expect_i64(r->tid, w.tid);
	expect_i64(r->status, VMS_FS_RUNNING);
	expect_bool(r->has_delta, true);

	munmap(mem, npages * (size_t)ps);
	pthread_mutex_lock(&w.lock);
	w.stop = true;
	pthread_cond_broadcast(&w.cond);
	pthread_mutex_unlock(&w.lock);
	pthread_join(th, NULL);
	/* the kernel wakes the joiner a moment before it removes the thread's task/TID */
	for (int i = 0; i < 1000; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/task/%d", (int)w.tid);
		if (access(path, F_OK) != 0)
			break;
		usleep(1000);
	}

	/* the worker ended: its row is said to have exited, once */
	expect_ret(vms_sampler_sample(s, NULL), 0);
	expect_u64(vms_sampler_count(s), 3);
	r = vms_sampler_row(s, worker_row);
	expect_i64(r->tid, w.tid);
	expect_bool(r->thread, true);
	expect_i64(r->status, VMS_FS_EXITED);
	expect_bool(r->has_delta, false);
	expect_ret(vms_sampler_sample(s, NULL), 0);
	expect_u64(vms_sampler_count(s), 2);
	vms_sampler_free(s);
	vms_ctx_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(series_every_process),
		cmocka_unit_test(series_comm_outlives_its_context),
		cmocka_unit_test(series_cannot_go_back_in_time),
		cmocka_unit_test(watch_follows_a_process_until_it_exits),
		cmocka_unit_test(watch_does_not_follow_a_reused_pid),
		cmocka_unit_test(watch_tree_takes_in_new_children),
		cmocka_unit_test(watch_of_nothing_is_empty),
		cmocka_unit_test(argument_checks),
		cmocka_unit_test(live_and_snapshot_do_not_mix),
		cmocka_unit_test(live_threads_and_fresh_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
