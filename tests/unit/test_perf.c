// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit and live tests of the perf part: ring parsing, fault sampling, TLB counters, refusals. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "private.h"

#define FIXTURES DATA_DIR "/../../fixtures"
#define NPAGES 256

/* ---- synthetic rings ---- */

struct ring {
	unsigned char *data;
	uint64_t size, tail, head;
};

static struct ring ring_new(uint64_t size, uint64_t start)
{
	struct ring r = { .size = size, .tail = start, .head = start };

	r.data = calloc(1, size);
	assert_non_null(r.data);
	/* a parser that reads what was not written sees this, not zeroes */
	memset(r.data, 0xa5, size);
	return r;
}

/*
 * Write @len bytes (at most the ring's size) at the head, wrapping at the end of the data
 * area as the kernel does.  Two copies, not a byte loop: the static analyser cannot follow
 * the bytes of a record's fields one at a time.
 */
static void ring_put(struct ring *r, const void *rec, size_t len)
{
	size_t at = (size_t)(r->head & (r->size - 1));
	size_t first = len < r->size - at ? len : (size_t)(r->size - at);

	assert_true(len <= r->size);
	memcpy(r->data + at, rec, first);
	memcpy(r->data, (const unsigned char *)rec + first, len - first);
	r->head += len;
}

static void put_sample(struct ring *r, uint64_t id, uint32_t pid, uint32_t tid, uint64_t addr)
{
	struct {
		struct perf_event_header h;
		uint64_t id;
		uint32_t pid, tid;
		uint64_t addr;
	} s = { { PERF_RECORD_SAMPLE, 0, sizeof(s) }, id, pid, tid, addr };

	ring_put(r, &s, sizeof(s));
}

static void put_lost(struct ring *r, uint64_t id, uint64_t lost)
{
	struct {
		struct perf_event_header h;
		uint64_t id, lost;
		uint32_t pid, tid; /* sample_id: TID, IDENTIFIER */
		uint64_t ident;
	} l = { { PERF_RECORD_LOST, 0, sizeof(l) }, id, lost, 0, 0, id };

	ring_put(r, &l, sizeof(l));
}

static void put_mmap2(struct ring *r, uint64_t id, uint32_t pid, uint32_t tid, uint64_t start,
		      uint64_t len, uint64_t pgoff, uint32_t prot, uint32_t flags, const char *name)
{
	unsigned char buf[512];
	size_t nlen = strlen(name) + 1, pad = (nlen + 7) & ~(size_t)7;
	struct perf_event_header h = { PERF_RECORD_MMAP2, 0, (uint16_t)(72 + pad + 16) };
	uint64_t zero = 0;

	assert_true(h.size <= sizeof(buf));
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &h, 8);
	memcpy(buf + 8, &pid, 4);
	memcpy(buf + 12, &tid, 4);
	memcpy(buf + 16, &start, 8);
	memcpy(buf + 24, &len, 8);
	memcpy(buf + 32, &pgoff, 8);
	memcpy(buf + 40, &zero, 8); /* maj, min */
	memcpy(buf + 48, &zero, 8); /* ino */
	memcpy(buf + 56, &zero, 8); /* ino_generation */
	memcpy(buf + 64, &prot, 4);
	memcpy(buf + 68, &flags, 4);
	memcpy(buf + 72, name, nlen);
	memcpy(buf + 72 + pad, &pid, 4);
	memcpy(buf + 76 + pad, &tid, 4);
	memcpy(buf + 80 + pad, &id, 8);
	ring_put(r, buf, h.size);
}

/* What the callbacks saw. */
struct seen {
	size_t n_samples, n_mmaps;
	struct vms_fault_sample samples[64];
	struct {
		struct vms_fault_mmap m;
		char name[64];
	} mmaps[8];
};

static void on_sample(void *data, const struct vms_fault_sample *s)
{
	struct seen *w = data;

	if (w->n_samples < 64)
		w->samples[w->n_samples] = *s;
	w->n_samples++;
}

static void on_mmap(void *data, const struct vms_fault_mmap *m)
{
	struct seen *w = data;

	if (w->n_mmaps < 8) {
		w->mmaps[w->n_mmaps].m = *m;
		snprintf(w->mmaps[w->n_mmaps].name, sizeof(w->mmaps[0].name), "%s", m->filename);
		w->mmaps[w->n_mmaps].m.filename = w->mmaps[w->n_mmaps].name;
	}
	w->n_mmaps++;
}

static const struct vms_perf_id two_threads[] = {
	{ .id = 200, .owner = 1, .major = false },
	{ .id = 100, .owner = 0, .major = false },
	{ .id = 101, .owner = 0, .major = true },
	{ .id = 201, .owner = 1, .major = true },
};

static struct vms_faultrec *parser(void)
{
	struct vms_faultrec *r = NULL;

	expect_ret(vms_faultrec_new_ids(two_threads, 4, &r), 0);
	assert_non_null(r);
	return r;
}

static int read_ring(struct vms_faultrec *fr, struct ring *r, struct seen *w)
{
	return vms_perf_ring_read(fr, r->data, r->size, &r->tail, r->head, on_sample, on_mmap, w);
}

static void expect_sample(const struct vms_fault_sample *s, int pid, int tid, uint64_t addr,
			  bool major)
{
	expect_i64(s->pid, pid);
	expect_i64(s->tid, tid);
	expect_u64(s->addr, addr);
	expect_bool(s->major, major);
}

/* ---- parsing ---- */

static void samples_minor_major_by_id(void **state)
{
	struct vms_faultrec *fr = parser();
	struct ring r = ring_new(4096, 0);
	struct seen w = { 0 };

	put_sample(&r, 100, 10, 10, 0x7f0000001000);
	put_sample(&r, 101, 10, 11, 0x7f0000002008);
	put_sample(&r, 999, 10, 10, 0xdead); /* an event that is not ours */
	put_sample(&r, 100, 10, 12, 0x55550000);
	expect_ret(read_ring(fr, &r, &w), 4);
	expect_u64(r.tail, r.head);
	expect_u64(w.n_samples, 3);
	expect_sample(&w.samples[0], 10, 10, 0x7f0000001000, false);
	expect_sample(&w.samples[1], 10, 11, 0x7f0000002008, true);
	expect_sample(&w.samples[2], 10, 12, 0x55550000, false);
	/* nothing new: nothing read */
	expect_ret(read_ring(fr, &r, &w), 0);
	expect_u64(w.n_samples, 3);
	vms_faultrec_close(fr);
	free(r.data);
}

static void lost_records_add_up(void **state)
{
	struct vms_faultrec *fr = parser();
	struct ring r = ring_new(256, 0);
	struct seen w = { 0 };

	put_lost(&r, 100, 17);
	put_sample(&r, 100, 1, 1, 0x1000);
	put_lost(&r, 101, 25);
	expect_ret(read_ring(fr, &r, &w), 3);
	expect_u64(vms_faultrec_lost(fr), 42);
	expect_u64(w.n_samples, 1);
	put_lost(&r, 100, 1);
	expect_ret(read_ring(fr, &r, &w), 1);
	expect_u64(vms_faultrec_lost(fr), 43);
	vms_faultrec_close(fr);
	free(r.data);
}

static void mmap2_record_fields(void **state)
{
	struct vms_faultrec *fr = parser();
	struct ring r = ring_new(1024, 0);
	struct seen w = { 0 };

	put_mmap2(&r, 100, 10, 11, 0x7f1200000000, 0x21000, 0x3000, PROT_READ | PROT_EXEC,
		  MAP_PRIVATE, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	put_mmap2(&r, 100, 10, 10, 0x7f1300000000, 0x100000, 0, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, "//anon");
	put_mmap2(&r, 100, 10, 10, 0x5555000, 0x1000, 0, 3, 2, "1234567"); /* name fills 8 */
	expect_ret(read_ring(fr, &r, &w), 3);
	expect_u64(w.n_mmaps, 3);
	expect_i64(w.mmaps[0].m.pid, 10);
	expect_i64(w.mmaps[0].m.tid, 11);
	expect_u64(w.mmaps[0].m.start, 0x7f1200000000);
	expect_u64(w.mmaps[0].m.len, 0x21000);
	expect_u64(w.mmaps[0].m.pgoff, 0x3000);
	expect_u64(w.mmaps[0].m.prot, PROT_READ | PROT_EXEC);
	expect_u64(w.mmaps[0].m.flags, MAP_PRIVATE);
	expect_str(w.mmaps[0].m.filename, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	expect_str(w.mmaps[1].m.filename, "//anon");
	expect_u64(w.mmaps[1].m.flags, MAP_PRIVATE | MAP_ANONYMOUS);
	expect_str(w.mmaps[2].m.filename, "1234567");
	/* a NULL on_mmap is allowed */
	put_mmap2(&r, 100, 10, 10, 0x1000, 0x1000, 0, 3, 2, "[heap]");
	put_sample(&r, 100, 10, 10, 0x1000);
	expect_ret(vms_perf_ring_read(fr, r.data, r.size, &r.tail, r.head, on_sample, NULL, &w), 2);
	expect_u64(w.n_samples, 1);
	vms_faultrec_close(fr);
	free(r.data);
}

/* The kernel writes records across the end of the data area; the parser must make them whole. */
static void records_wrapping_the_ring_end(void **state)
{
	struct vms_faultrec *fr = parser();
	struct seen w = { 0 };

	/* every start offset, so that each record in turn is split at each of its 8-byte words */
	for (uint64_t start = 0; start < 256; start += 8) {
		struct ring r = ring_new(256, start + 256 * 1000);

		memset(&w, 0, sizeof(w));
		put_sample(&r, 100, 7, 7, 0x1111000 + start);
		put_mmap2(&r, 101, 7, 8, 0x7f0000000000 + start, 0x2000, 1, 3, 0x22,
			  "/tmp/a file with a long name.so");
		put_sample(&r, 101, 7, 8, 0x2222000 + start);
		put_lost(&r, 100, 3);
		put_sample(&r, 100, 7, 7, 0x3333000 + start);
		assert_true(r.head - r.tail <= r.size);
		expect_ret(read_ring(fr, &r, &w), 5);
		expect_u64(w.n_samples, 3);
		expect_sample(&w.samples[0], 7, 7, 0x1111000 + start, false);
		expect_sample(&w.samples[1], 7, 8, 0x2222000 + start, true);
		expect_sample(&w.samples[2], 7, 7, 0x3333000 + start, false);
		expect_u64(w.n_mmaps, 1);
		expect_u64(w.mmaps[0].m.start, 0x7f0000000000 + start);
		expect_str(w.mmaps[0].m.filename, "/tmp/a file with a long name.so");
		free(r.data);
	}
	expect_u64(vms_faultrec_lost(fr), 3 * 32);
	vms_faultrec_close(fr);
}

/* Positions are free-running u64s; reading across 2^64 must not stop or misparse. */
static void positions_across_u64_wrap(void **state)
{
	struct vms_faultrec *fr = parser();
	struct ring r = ring_new(128, UINT64_MAX - 15);
	struct seen w = { 0 };

	put_sample(&r, 100, 1, 2, 0xabc000);
	put_sample(&r, 101, 1, 2, 0xdef000);
	assert_true(r.head < r.tail);
	expect_ret(read_ring(fr, &r, &w), 2);
	expect_u64(r.tail, r.head);
	expect_u64(w.n_samples, 2);
	expect_u64(w.samples[1].addr, 0xdef000);
	vms_faultrec_close(fr);
	free(r.data);
}

/*
 * A thread made while its maker's events were being opened inherits them and
 * is opened as well: each of its faults comes twice.  One owner per thread.
 */
static void thread_covered_twice_counted_once(void **state)
{
	struct vms_faultrec *fr = parser();
	struct ring r = ring_new(4096, 0);
	struct seen w = { 0 };

	put_sample(&r, 100, 5, 7, 0x1000); /* tid 7 first seen through owner 0 */
	put_sample(&r, 200, 5, 7, 0x1000); /* the same fault through owner 1 */
	put_sample(&r, 200, 5, 8, 0x2000); /* tid 8 only through owner 1 */
	put_sample(&r, 201, 5, 7, 0x3000); /* owner 1 again for tid 7: dropped */
	put_sample(&r, 101, 5, 7, 0x3000); /* owner 0: kept */
	put_mmap2(&r, 200, 5, 7, 0x9000, 0x1000, 0, 3, 2, "//anon"); /* dropped */
	put_mmap2(&r, 100, 5, 7, 0x9000, 0x1000, 0, 3, 2, "//anon");
	expect_ret(read_ring(fr, &r, &w), 7);
	expect_u64(w.n_samples, 3);
	expect_sample(&w.samples[0], 5, 7, 0x1000, false);
	expect_sample(&w.samples[1], 5, 8, 0x2000, false);
	expect_sample(&w.samples[2], 5, 7, 0x3000, true);
	expect_u64(w.n_mmaps, 1);
	vms_faultrec_close(fr);
	free(r.data);
}

static void unknown_records_skipped(void **state)
{
	struct vms_faultrec *fr = parser();
	struct ring r = ring_new(256, 0);
	struct seen w = { 0 };
	struct {
		struct perf_event_header h;
		uint32_t pid, tid;
		char comm[16];
	} comm = { { PERF_RECORD_COMM, 0, sizeof(comm) }, 1, 1, "x" };
	struct perf_event_header tiny = { PERF_RECORD_SAMPLE, 0, 8 }; /* a sample too short */

	ring_put(&r, &comm, sizeof(comm));
	ring_put(&r, &tiny, sizeof(tiny));
	put_sample(&r, 100, 1, 1, 0x4000);
	expect_ret(read_ring(fr, &r, &w), 3);
	expect_u64(w.n_samples, 1);
	vms_faultrec_close(fr);
	free(r.data);
}

static void broken_ring_is_ebadmsg(void **state)
{
	struct vms_faultrec *fr = parser();
	struct seen w = { 0 };
	struct perf_event_header zero = { PERF_RECORD_SAMPLE, 0, 0 };
	struct perf_event_header big = { PERF_RECORD_SAMPLE, 0, 200 };
	struct ring r = ring_new(256, 0);

	/* a zero size would never advance */
	put_sample(&r, 100, 1, 1, 0x1000);
	ring_put(&r, &zero, sizeof(zero));
	expect_ret(read_ring(fr, &r, &w), -EBADMSG);
	expect_u64(r.tail, r.head);
	expect_u64(w.n_samples, 1);
	/* a record longer than what the kernel published */
	ring_put(&r, &big, sizeof(big));
	expect_ret(read_ring(fr, &r, &w), -EBADMSG);
	expect_u64(r.tail, r.head);
	/* a head that ran more than a ring ahead of the tail */
	r.head = r.tail + 512;
	expect_ret(read_ring(fr, &r, &w), -EBADMSG);
	expect_u64(r.tail, r.head);
	/* not a power of two */
	expect_ret(vms_perf_ring_read(fr, r.data, 100, &r.tail, r.head, on_sample, on_mmap, &w),
		   -EINVAL);
	vms_faultrec_close(fr);
	free(r.data);
}

/* ---- refusals, on fixture roots ---- */

static struct vms_ctx *fixture(const char *name)
{
	char path[4096];
	struct vms_ctx *ctx = NULL;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	ret = vms_ctx_new(path, 0, &ctx);
	if (ret != 0)
		fail_msg("vms_ctx_new(%s): expected 0, got %s", path, errname(ret));
	return ctx;
}

static void refusal_names_paranoid_3(void **state)
{
	struct vms_ctx *ctx = fixture("perf-paranoid-3");
	const char *want = "kernel.perf_event_paranoid is 3; needs CAP_PERFMON (or CAP_SYS_ADMIN), "
			   "or kernel.perf_event_paranoid <= 2";

	expect_str(vms_perf_refusal(ctx, -EACCES), want);
	expect_str(vms_perf_refusal(ctx, -EPERM), want);
	vms_ctx_unref(ctx);
}

static void refusal_at_paranoid_2_is_the_target(void **state)
{
	struct vms_ctx *ctx = fixture("perf-paranoid-2");
	const char *s;

	/* at 2 anyone may sample their own threads in user space: EACCES is the target's */
	expect_str(vms_perf_refusal(ctx, -EACCES),
		   "needs the same user, CAP_PERFMON or CAP_SYS_PTRACE");
	s = vms_perf_refusal(ctx, -EPERM);
	if (!strstr(s, "security policy") || !strstr(s, "kernel.perf_event_paranoid (2)"))
		fail_msg("EPERM at paranoid 2: got \"%s\"", s);
	vms_ctx_unref(ctx);
}

static void refusal_without_the_setting(void **state)
{
	struct vms_ctx *ctx = fixture("perf-paranoid-none");
	const char *s = vms_perf_refusal(ctx, -EACCES);

	if (!strstr(s, "kernel.perf_event_paranoid cannot be read") || !strstr(s, "CAP_PERFMON"))
		fail_msg("no paranoid file: got \"%s\"", s);
	vms_ctx_unref(ctx);
}

static void snapshot_context_has_no_events(void **state)
{
	struct vms_ctx *ctx = fixture("perf-paranoid-3");
	struct vms_faultrec *fr = NULL;
	struct vms_tlbcount *t = NULL;

	expect_ret(vms_faultrec_open(ctx, getpid(), 0, &fr), -EINVAL);
	assert_null(fr);
	expect_ret(vms_tlb_open(ctx, getpid(), 0, &t), -EINVAL);
	assert_null(t);
	vms_ctx_unref(ctx);
}

/* ---- live ---- */

static struct vms_ctx *live(void)
{
	struct vms_ctx *ctx = NULL;

	expect_ret(vms_ctx_new(NULL, 0, &ctx), 0);
	return ctx;
}

/* Open on @pid, or skip the test with the reason when the kernel will not. */
static struct vms_faultrec *open_or_skip(struct vms_ctx *ctx, pid_t pid, unsigned int flags)
{
	struct vms_faultrec *fr = NULL;
	int ret = vms_faultrec_open(ctx, pid, flags, &fr);

	if (ret == -EACCES || ret == -EPERM) {
		print_message("SKIP: perf_event_open refused (%s): %s\n", errname(ret),
			      vms_perf_refusal(ctx, ret));
		vms_ctx_unref(ctx);
		skip();
	}
	if (ret == -ENOSYS || ret == -ENOENT) {
		print_message("SKIP: no perf events in this kernel (%s)\n", errname(ret));
		vms_ctx_unref(ctx);
		skip();
	}
	if (ret != 0)
		fail_msg("vms_faultrec_open(%d): expected 0, got %s", (int)pid, errname(ret));
	return fr;
}

/* A thread that touches a region when told, then waits to be told to end. */
struct toucher {
	pthread_t th;
	int go[2], done[2];
	unsigned char *region;
	size_t len;
	bool map_itself; /* mmap the region in the thread (after the recorder opened) */
};

static void *toucher_main(void *arg)
{
	struct toucher *t = arg;
	char c;

	if (read(t->go[0], &c, 1) != 1)
		return NULL;
	if (t->map_itself)
		t->region = mmap(NULL, t->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
	if (t->region != MAP_FAILED)
		for (size_t o = 0; o < t->len; o += 4096)
			t->region[o] = 1;
	c = 1;
	if (write(t->done[1], &c, 1) != 1)
		return NULL;
	/* stay alive while the parent reads: live inherited counts include us */
	(void)read(t->go[0], &c, 1);
	return NULL;
}

static void toucher_start(struct toucher *t, size_t len, bool map_itself)
{
	memset(t, 0, sizeof(*t));
	t->len = len;
	t->map_itself = map_itself;
	if (!map_itself) {
		t->region =
			mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(t->region != MAP_FAILED);
	}
	assert_int_equal(pipe2(t->go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(t->done, O_CLOEXEC), 0);
	assert_int_equal(pthread_create(&t->th, NULL, toucher_main, t), 0);
}

static void toucher_touch(struct toucher *t)
{
	char c = 1;

	assert_int_equal(write(t->go[1], &c, 1), 1);
	assert_int_equal(read(t->done[0], &c, 1), 1);
	if (t->region == MAP_FAILED)
		fail_msg("the thread's mmap failed");
}

static void toucher_end(struct toucher *t)
{
	char c = 1;

	assert_int_equal(write(t->go[1], &c, 1), 1);
	pthread_join(t->th, NULL);
	close(t->go[0]);
	close(t->go[1]);
	close(t->done[0]);
	close(t->done[1]);
	munmap(t->region, t->len);
}

struct region_count {
	uintptr_t a_start, a_end, b_start, b_end;
	size_t in_a, in_b, minor, major, total;
	size_t mmaps_of_b;
	pid_t pid;
	size_t other_pid;
};

static void count_sample(void *data, const struct vms_fault_sample *s)
{
	struct region_count *c = data;

	c->total++;
	if (s->major)
		c->major++;
	else
		c->minor++;
	if (s->pid != c->pid)
		c->other_pid++;
	if (s->addr >= c->a_start && s->addr < c->a_end)
		c->in_a++;
	if (s->addr >= c->b_start && s->addr < c->b_end)
		c->in_b++;
}

static void count_mmap(void *data, const struct vms_fault_mmap *m)
{
	struct region_count *c = data;

	/* the kernel reports the mapping as it ends up: merged with a neighbour, it is larger */
	if (m->start <= c->b_start && m->start + m->len >= c->b_end &&
	    !strcmp(m->filename, "//anon"))
		c->mmaps_of_b++;
}

/*
 * Faults of a thread that existed at open (region A) and of one made after it
 * (region B, mapped by that thread: its MMAP2 record must come too).
 */
static void live_faults_of_own_threads(void **state)
{
	struct vms_ctx *ctx = live();
	struct toucher before, after;
	struct vms_faultrec *fr;
	struct region_count c = { 0 };
	size_t len = NPAGES * 4096;
	const int *fds;
	int ret;

	toucher_start(&before, len, false);
	fr = open_or_skip(ctx, getpid(), 0);
	if (vms_faultrec_fds(fr, &fds) < 1)
		fail_msg("no fds to poll");
	if (geteuid() == 0)
		expect_bool(vms_faultrec_user_only(fr), false);
	print_message("# user_only %d, %zu rings\n", vms_faultrec_user_only(fr),
		      vms_faultrec_fds(fr, &fds));
	toucher_start(&after, len, true);
	toucher_touch(&before);
	toucher_touch(&after);
	c.a_start = (uintptr_t)before.region;
	c.a_end = c.a_start + len;
	c.b_start = (uintptr_t)after.region;
	c.b_end = c.b_start + len;
	c.pid = getpid();
	ret = vms_faultrec_drain(fr, count_sample, count_mmap, &c);
	if (ret <= 0)
		fail_msg("vms_faultrec_drain: expected records, got %s", errname(ret));
	print_message("# %zu samples: %zu in A, %zu in B, %zu major, lost %" PRIu64 "\n", c.total,
		      c.in_a, c.in_b, c.major, vms_faultrec_lost(fr));
	if (c.in_a * 10 < NPAGES * 9)
		fail_msg("thread present at open: %zu of %d faults in its region", c.in_a, NPAGES);
	if (c.in_b * 10 < NPAGES * 9)
		fail_msg("thread made after open: %zu of %d faults in its region", c.in_b, NPAGES);
	/* one sample per page: no thread is counted twice */
	if (c.in_a > NPAGES || c.in_b > NPAGES)
		fail_msg("more samples than pages: A %zu, B %zu of %d", c.in_a, c.in_b, NPAGES);
	expect_u64(c.other_pid, 0);
	expect_u64(c.mmaps_of_b, 1);
	expect_u64(vms_faultrec_lost(fr), 0);
	/* drained: a second drain has nothing of these */
	memset(&c, 0, sizeof(c));
	expect_ret(vms_faultrec_drain(fr, count_sample, NULL, &c) >= 0, 1);
	expect_u64(c.in_a + c.in_b, 0);
	vms_faultrec_close(fr);
	toucher_end(&before);
	toucher_end(&after);
	vms_ctx_unref(ctx);
}

/* A child forked after open inherits the events: its faults come with its own pid. */
static void live_faults_of_forked_children(void **state)
{
	struct vms_ctx *ctx = live();
	struct vms_faultrec *fr;
	struct region_count c = { 0 };
	size_t len = NPAGES * 4096;
	unsigned char *m =
		mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int status;
	pid_t pid;

	assert_true(m != MAP_FAILED);
	fr = open_or_skip(ctx, getpid(), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (size_t o = 0; o < len; o += 4096)
			m[o] = 1;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	expect_i64(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	c.a_start = (uintptr_t)m;
	c.a_end = c.a_start + len;
	c.pid = pid;
	if (vms_faultrec_drain(fr, count_sample, NULL, &c) < 0)
		fail_msg("drain failed");
	print_message("# child: %zu of %zu samples in its region\n", c.in_a, c.total);
	if (c.in_a * 10 < NPAGES * 9 || c.in_a > NPAGES)
		fail_msg("child: %zu samples in its region of %d pages", c.in_a, NPAGES);
	vms_faultrec_close(fr);
	munmap(m, len);
	vms_ctx_unref(ctx);
}

/*
 * COMMAND mode: a child waits for the go before exec; what it touches before
 * exec is not counted, what the new program does is.
 */
static void live_enable_on_exec(void **state)
{
	struct vms_ctx *ctx = live();
	struct vms_faultrec *fr;
	struct region_count c = { 0 };
	size_t len = 64 * 4096;
	unsigned char *pre =
		mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int go[2], status, ret;
	pid_t pid;
	char ch = 1;

	assert_true(pre != MAP_FAILED);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (read(go[0], &ch, 1) != 1)
			_exit(100);
		for (size_t o = 0; o < len; o += 4096)
			pre[o] = 1;
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	ret = vms_faultrec_open(ctx, pid, VMS_FR_ENABLE_ON_EXEC | VMS_FR_ONE_TASK, &fr);
	if (ret != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(go[1]);
		munmap(pre, len);
		if (ret == -EACCES || ret == -EPERM) {
			print_message("SKIP: perf_event_open refused (%s): %s\n", errname(ret),
				      vms_perf_refusal(ctx, ret));
			vms_ctx_unref(ctx);
			skip();
		}
		fail_msg("vms_faultrec_open(child): expected 0, got %s", errname(ret));
	}
	assert_int_equal(write(go[1], &ch, 1), 1);
	close(go[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	expect_i64(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	c.a_start = (uintptr_t)pre;
	c.a_end = c.a_start + len;
	c.pid = pid;
	{
		/* what poll() says once the only task of the rings has ended */
		const int *fds;
		size_t n = vms_faultrec_fds(fr, &fds);
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };

		assert_true(n >= 1);
		print_message("# after exit: poll revents %#x\n",
			      poll(&pfd, 1, 0) > 0 ? pfd.revents : 0);
	}
	if (vms_faultrec_drain(fr, count_sample, NULL, &c) < 0)
		fail_msg("drain failed");
	print_message("# /bin/true: %zu faults sampled (%zu major)\n", c.total, c.major);
	if (c.total < 10)
		fail_msg("expected the faults of /bin/true, got %zu samples", c.total);
	expect_u64(c.in_a, 0);
	expect_u64(c.other_pid, 0);
	vms_faultrec_close(fr);
	munmap(pre, len);
	vms_ctx_unref(ctx);
}

/* The counting path of vms_tlb_open(), fed software events that every kernel has. */
static void live_counters_inherited_by_threads(void **state)
{
	struct vms_ctx *ctx = live();
	struct vms_tlbcount *t = NULL;
	struct toucher before, after;
	uint64_t a0, b0, a1, b1;
	bool scaled = true;
	size_t len = NPAGES * 4096;
	int ret;

	toucher_start(&before, len, false);
	ret = vms_tlb_open_events(ctx, getpid(), 0, PERF_TYPE_SOFTWARE,
				  PERF_COUNT_SW_PAGE_FAULTS_MIN, PERF_COUNT_SW_PAGE_FAULTS_MAJ, &t);
	if (ret == -EACCES || ret == -EPERM) {
		print_message("SKIP: perf_event_open refused (%s): %s\n", errname(ret),
			      vms_perf_refusal(ctx, ret));
		toucher_end(&before);
		vms_ctx_unref(ctx);
		skip();
	}
	expect_ret(ret, 0);
	expect_ret(vms_tlb_read(t, &a0, &b0, &scaled), 0);
	toucher_start(&after, len, true);
	toucher_touch(&before);
	toucher_touch(&after);
	expect_ret(vms_tlb_read(t, &a1, &b1, &scaled), 0);
	print_message("# minor %" PRIu64 " -> %" PRIu64 ", major %" PRIu64 " -> %" PRIu64 "\n", a0,
		      a1, b0, b1);
	if (a1 - a0 < 2 * NPAGES * 9 / 10)
		fail_msg("expected >= %d minor faults of two threads, got %" PRIu64,
			 2 * NPAGES * 9 / 10, a1 - a0);
	expect_bool(scaled, false);
	vms_tlb_close(t);
	toucher_end(&before);
	toucher_end(&after);
	vms_ctx_unref(ctx);
}

static void live_tlb_counters_or_a_clear_error(void **state)
{
	struct vms_ctx *ctx = live();
	struct vms_tlbcount *t = NULL;
	uint64_t loads = 0, misses = 0;
	bool scaled;
	int ret = vms_tlb_open(ctx, getpid(), 0, &t);

	if (ret == -ENOENT || ret == -EOPNOTSUPP || ret == -ENODEV) {
		print_message("# no hardware dTLB counters here: %s\n", errname(ret));
		assert_null(t);
	} else if (ret == -EACCES || ret == -EPERM) {
		print_message("SKIP: perf_event_open refused (%s): %s\n", errname(ret),
			      vms_perf_refusal(ctx, ret));
		vms_ctx_unref(ctx);
		skip();
	} else {
		volatile unsigned char *m;

		expect_ret(ret, 0);
		m = mmap(NULL, 1 << 22, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(m != MAP_FAILED);
		for (size_t o = 0; o < 1 << 22; o += 64)
			(void)m[o];
		expect_ret(vms_tlb_read(t, &loads, &misses, &scaled), 0);
		print_message("# dTLB loads %" PRIu64 ", misses %" PRIu64 "%s\n", loads, misses,
			      scaled ? " (scaled)" : "");
		if (!loads)
			fail_msg("hardware counters opened but counted no dTLB load");
		munmap((void *)m, 1 << 22);
		vms_tlb_close(t);
	}
	vms_ctx_unref(ctx);
}

static void live_vanished_pid(void **state)
{
	struct vms_ctx *ctx = live();
	struct vms_faultrec *fr = NULL;
	struct vms_tlbcount *t = NULL;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	expect_ret(vms_faultrec_open(ctx, pid, 0, &fr), -ESRCH);
	expect_ret(vms_faultrec_open(ctx, pid, VMS_FR_ONE_TASK, &fr), -ESRCH);
	expect_ret(vms_tlb_open_events(ctx, pid, 0, PERF_TYPE_SOFTWARE,
				       PERF_COUNT_SW_PAGE_FAULTS_MIN, PERF_COUNT_SW_PAGE_FAULTS_MAJ,
				       &t),
		   -ESRCH);
	assert_null(fr);
	vms_ctx_unref(ctx);
}

/* Another user's process: refused, and the reason says what would allow it. */
static void live_other_users_process(void **state)
{
	int p[2], status;
	char buf[512] = "";
	ssize_t n;
	pid_t target = 1, pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vms_ctx *ctx = NULL;
		struct vms_faultrec *fr = NULL;
		int ret;

		close(p[0]);
		/* as root, become nobody first: then pid 1 is another user's */
		if (geteuid() == 0 &&
		    (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		     setresuid(65534, 65534, 65534) < 0))
			_exit(101);
		if (vms_ctx_new(NULL, 0, &ctx) != 0)
			_exit(102);
		ret = vms_faultrec_open(ctx, target, 0, &fr);
		n = snprintf(buf, sizeof(buf), "%d %s", ret, vms_perf_refusal(ctx, ret));
		if (write(p[1], buf, (size_t)n) != n)
			_exit(103);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the unprivileged child failed (status %#x)", status);
	assert_true(n > 0);
	buf[n] = '\0';
	{
		char want[128];

		snprintf(want, sizeof(want),
			 "%d needs the same user, CAP_PERFMON or CAP_SYS_PTRACE", -EACCES);
		expect_str(buf, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(samples_minor_major_by_id),
		cmocka_unit_test(lost_records_add_up),
		cmocka_unit_test(mmap2_record_fields),
		cmocka_unit_test(records_wrapping_the_ring_end),
		cmocka_unit_test(positions_across_u64_wrap),
		cmocka_unit_test(thread_covered_twice_counted_once),
		cmocka_unit_test(unknown_records_skipped),
		cmocka_unit_test(broken_ring_is_ebadmsg),
		cmocka_unit_test(refusal_names_paranoid_3),
		cmocka_unit_test(refusal_at_paranoid_2_is_the_target),
		cmocka_unit_test(refusal_without_the_setting),
		cmocka_unit_test(snapshot_context_has_no_events),
		cmocka_unit_test(live_faults_of_own_threads),
		cmocka_unit_test(live_faults_of_forked_children),
		cmocka_unit_test(live_enable_on_exec),
		cmocka_unit_test(live_counters_inherited_by_threads),
		cmocka_unit_test(live_tlb_counters_or_a_clear_error),
		cmocka_unit_test(live_vanished_pid),
		cmocka_unit_test(live_other_users_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
