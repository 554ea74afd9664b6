// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of a context on a fixture root: ctx, process table, one process's files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#define KB(x) ((uint64_t)(x)*1024)
#define ROOT DATA_DIR "/root-basic"
#define ALL_PT                                                                                    \
	(VMS_PT_USER | VMS_PT_CMDLINE | VMS_PT_FAULTS | VMS_PT_OOM | VMS_PT_CGROUP | VMS_PT_VSZ | \
	 VMS_PT_THREADS)

static struct vms_ctx *open_root(void)
{
	struct vms_ctx *ctx = NULL;
	int ret = vms_ctx_new(ROOT, 0, &ctx);

	if (ret != 0)
		fail_msg("vms_ctx_new(%s): expected 0, got %s", ROOT, errname(ret));
	assert_non_null(ctx);
	return ctx;
}

static struct vms_proc *open_pid(struct vms_ctx *ctx, pid_t pid)
{
	struct vms_proc *p = NULL;
	int ret = vms_proc_open(ctx, pid, &p);

	if (ret != 0)
		fail_msg("vms_proc_open(%d): expected 0, got %s", (int)pid, errname(ret));
	assert_non_null(p);
	return p;
}

static const struct vms_proc_info *find_pid(const struct vms_ptable *t, pid_t pid)
{
	size_t i;

	for (i = 0; i < vms_ptable_count(t); i++) {
		const struct vms_proc_info *pi = vms_ptable_get(t, i);

		if (pi && pi->pid == pid)
			return pi;
	}
	fail_msg("pid %d is not in the process table", (int)pid);
	return NULL;
}

static void expect_have_bits(const struct vms_proc_info *pi, unsigned int bits)
{
	if ((pi->have & bits) != bits)
		fail_msg("pid %d: have %#x lacks %#x", (int)pi->pid, pi->have, bits & ~pi->have);
}

/* ---- the context ---- */

static void ctx_on_fixture_root_reads_its_description(void **state)
{
	struct vms_ctx *ctx = open_root();

	expect_bool(vms_ctx_is_live(ctx), false);
	expect_str(vms_ctx_root(ctx), ROOT);
	expect_u64(vms_ctx_page_size(ctx), 4096);
	expect_str(vms_ctx_snapshot_info(ctx, "format"), "1");
	expect_str(vms_ctx_snapshot_info(ctx, "kernel"), "6.18.44");
	expect_str(vms_ctx_snapshot_info(ctx, "page_size"), "4096");
	expect_str(vms_ctx_snapshot_info(ctx, "time"), "2026-11-21T10:00:00Z");
	expect_str(vms_ctx_snapshot_info(ctx, "privileged"), "1");
	expect_str(vms_ctx_snapshot_info(ctx, "host"), "fixture");
	assert_null(vms_ctx_snapshot_info(ctx, "no-such-key"));
	assert_null(vms_ctx_snapshot_info(ctx, "forma"));
	assert_ptr_equal(vms_ctx_ref(ctx), ctx);
	assert_null(vms_ctx_unref(ctx));
	assert_null(vms_ctx_unref(ctx));
}

static void ctx_new_errors(void **state)
{
	struct vms_ctx *ctx = NULL;

	expect_ret(vms_ctx_new(DATA_DIR "/no-such-root", 0, &ctx), -ENOENT);
	expect_ret(vms_ctx_new(DATA_DIR "/mixed.swaps", 0, &ctx), -ENOTDIR);
	expect_ret(vms_ctx_new(ROOT, 1u << 30, &ctx), -EINVAL);
	/* VMS_CTX_NO_LIBPROC2 changes nothing for a root other than "/". */
	expect_ret(vms_ctx_new(ROOT, VMS_CTX_NO_LIBPROC2, &ctx), 0);
	expect_bool(vms_ctx_is_live(ctx), false);
	vms_ctx_unref(ctx);
	/* A description of a format this build does not read, and one that is not text. */
	expect_ret(vms_ctx_new(DATA_DIR "/root-future-format", 0, &ctx), -EPROTO);
	expect_ret(vms_ctx_new(DATA_DIR "/root-corrupt", 0, &ctx), -EPROTO);
}

static void ctx_openat_is_relative_to_the_root(void **state)
{
	struct vms_ctx *ctx = open_root();
	int fd = vms_ctx_openat(ctx, "proc/meminfo", O_RDONLY);
	char buf[32] = { 0 };

	if (fd < 0)
		fail_msg("vms_ctx_openat(proc/meminfo): expected an fd, got %s", errname(fd));
	assert_true(read(fd, buf, 9) == 9);
	expect_str(buf, "MemTotal:");
	close(fd);
	expect_ret(vms_ctx_openat(ctx, "proc/no-such-file", O_RDONLY), -ENOENT);
	vms_ctx_unref(ctx);
}

static void system_tables_of_the_fixture(void **state)
{
	struct vms_ctx *ctx = open_root();
	struct vms_counters *mi = NULL, *vs = NULL;
	struct vms_swaps *sw = NULL;

	expect_ret(vms_meminfo_read(ctx, &mi), 0);
	expect_u64(counter(mi, "MemTotal"), KB(24684084));
	expect_ret(vms_vmstat_read(ctx, &vs), 0);
	assert_true(vms_counters_count(vs) > 100);
	expect_ret(vms_swaps_read(ctx, &sw), 0);
	expect_u64(vms_swaps_count(sw), 1);
	expect_str(vms_swaps_get(sw, 0)->filename, "/var/tmp/vmsswapH7JC/swap file");
	expect_i64(vms_swaps_get(sw, 0)->priority, -2);
	vms_swaps_free(sw);
	vms_counters_free(vs);
	vms_counters_free(mi);
	vms_ctx_unref(ctx);
}

/* ---- the process table ---- */

static void ptable_lists_every_process_of_the_fixture(void **state)
{
	static const pid_t want[] = { 1, 2, 1000, 1001, 1002, 1004 };
	struct vms_ctx *ctx = open_root();
	struct vms_ptable *t = NULL;
	size_t i, k;

	expect_ret(vms_ptable_read(ctx, ALL_PT, &t), 0);
	/* Thread 1003 lives under 1002/task and proc/sys is no process. */
	expect_u64(vms_ptable_count(t), sizeof(want) / sizeof(want[0]));
	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++)
		find_pid(t, want[k]);
	for (i = 0; i < vms_ptable_count(t); i++)
		if (vms_ptable_get(t, i)->pid == 1003)
			fail_msg("thread 1003 listed as a process");
	assert_null(vms_ptable_get(t, vms_ptable_count(t)));
	vms_ptable_free(t);
	vms_ctx_unref(ctx);
}

static void ptable_user_process_all_fields(void **state)
{
	struct vms_ctx *ctx = open_root();
	struct vms_ptable *t = NULL;
	const struct vms_proc_info *pi;

	expect_ret(vms_ptable_read(ctx, ALL_PT, &t), 0);
	pi = find_pid(t, 1000);
	expect_i64(pi->ppid, 1);
	/* From status, since a fixture's files are owned by whoever checked them out. */
	expect_u64(pi->uid, 1000);
	expect_i64(pi->state, 'S');
	expect_bool(pi->kthread, false);
	expect_str(pi->comm, "sleep");
	expect_have_bits(pi, VMS_HAVE_USER | VMS_HAVE_CMDLINE | VMS_HAVE_FAULTS |
				     VMS_HAVE_OOM_SCORE | VMS_HAVE_OOM_ADJ | VMS_HAVE_CGROUP |
				     VMS_HAVE_VSZ | VMS_HAVE_THREADS);
	/* The fixture's etc/passwd, not this machine's (where uid 1000 has another name). */
	expect_str(pi->user, "alice");
	expect_str(pi->cmdline, "sleep 100");
	expect_str(pi->cgroup, "/user.slice/user-1000.slice/session-3.scope");
	expect_u64(pi->start_time, 28978);
	expect_u64(pi->vsz, 2990080);
	expect_u64(pi->minflt, 250);
	expect_u64(pi->majflt, 1);
	expect_i64(pi->oom_score, 800);
	expect_i64(pi->oom_score_adj, 200);
	expect_i64(pi->threads, 1);

	pi = find_pid(t, 1);
	expect_i64(pi->ppid, 0);
	expect_u64(pi->uid, 0);
	expect_str(pi->user, "root");
	expect_str(pi->cmdline, "sleep 300");
	expect_i64(pi->oom_score, 666);
	expect_i64(pi->oom_score_adj, 0);
	expect_u64(pi->minflt, 267);
	vms_ptable_free(t);
	vms_ctx_unref(ctx);
}

static void ptable_kernel_thread_zombies_and_hostile_comm(void **state)
{
	struct vms_ctx *ctx = open_root();
	struct vms_ptable *t = NULL;
	const struct vms_proc_info *pi;

	expect_ret(vms_ptable_read(ctx, ALL_PT, &t), 0);
	/* Its status has no "Kthread:" line (as before 6.0): PF_KTHREAD in stat tells. */
	pi = find_pid(t, 2);
	expect_bool(pi->kthread, true);
	expect_str(pi->comm, "kthreadd");
	expect_i64(pi->ppid, 0);
	expect_i64(pi->state, 'S');

	pi = find_pid(t, 1001);
	expect_i64(pi->state, 'Z');
	expect_bool(pi->kthread, false);
	expect_str(pi->comm, "sleep");

	pi = find_pid(t, 1002);
	expect_i64(pi->state, 'Z');
	expect_str(pi->comm, "zl");
	expect_i64(pi->threads, 2);

	pi = find_pid(t, 1004);
	expect_lit(pi->comm, strlen(pi->comm), "x) R 1 2\n\x1b[2Jz");
	expect_i64(pi->state, 'S');
	expect_i64(pi->ppid, 1);
	expect_u64(pi->start_time, 999);
	expect_u64(pi->majflt, 3);
	expect_str(pi->cmdline, "evil arg");
	vms_ptable_free(t);
	vms_ctx_unref(ctx);
}

static void ptable_without_optional_fields(void **state)
{
	struct vms_ctx *ctx = open_root();
	struct vms_ptable *t = NULL;
	const struct vms_proc_info *pi;

	expect_ret(vms_ptable_read(ctx, 0, &t), 0);
	expect_u64(vms_ptable_count(t), 6);
	pi = find_pid(t, 1000);
	expect_i64(pi->ppid, 1);
	expect_u64(pi->uid, 1000);
	expect_i64(pi->state, 'S');
	expect_str(pi->comm, "sleep");
	pi = find_pid(t, 2);
	expect_bool(pi->kthread, true);
	vms_ptable_free(t);
	vms_ctx_unref(ctx);
}

/* ---- one process ---- */

static void proc_open_errors(void **state)
{
	struct vms_ctx *ctx = open_root();
	struct vms_proc *p = NULL;

	expect_ret(vms_proc_open(ctx, 0, &p), -EINVAL);
	expect_ret(vms_proc_open(ctx, -1, &p), -EINVAL);
	expect_ret(vms_proc_open(ctx, 999, &p), -ESRCH);
	/* A thread is not a process of the table, but 1003 has no proc/1003 either. */
	expect_ret(vms_proc_open(ctx, 1003, &p), -ESRCH);
	vms_ctx_unref(ctx);
}

static void proc_rollup_of_a_user_process(void **state)
{
	struct vms_ctx *ctx = open_root();
	struct vms_proc *p = open_pid(ctx, 1000);
	struct vms_counters *c = NULL;
	uint64_t v = 0;

	expect_i64(vms_proc_pid(p), 1000);
	expect_i64(vms_proc_memory_tid(p), 1000);
	expect_i64(vms_proc_state(p), 'S');
	expect_ret(vms_proc_rollup(p, &c), 0);
	expect_ret(vms_counters_get(c, VMS_KEY_RSS, &v), 0);
	expect_u64(v, KB(1824));
	expect_ret(vms_counters_get(c, VMS_KEY_PSS, &v), 0);
	expect_u64(v, KB(289));
	expect_ret(vms_counters_get(c, VMS_KEY_PSS_FILE, &v), 0);
	expect_u64(v, KB(181));
	expect_ret(vms_counters_get(c, VMS_KEY_PRIVATE_DIRTY, &v), 0);
	expect_u64(v, KB(108));
	expect_ret(vms_counters_get(c, VMS_KEY_SIZE, &v), -ENOENT);
	vms_counters_free(c);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
}

static void proc_info_read_matches_the_table(void **state)
{
	struct vms_ctx *ctx = open_root();
	struct vms_proc *p = open_pid(ctx, 1000);
	struct vms_proc_info info;

	memset(&info, 0, sizeof(info));
	expect_ret(vms_proc_info_read(p, ALL_PT, &info), 0);
	expect_i64(info.pid, 1000);
	expect_i64(info.ppid, 1);
	expect_u64(info.uid, 1000);
	expect_str(info.comm, "sleep");
	expect_str(info.user, "alice");
	expect_str(info.cmdline, "sleep 100");
	expect_u64(info.vsz, 2990080);
	expect_i64(info.oom_score_adj, 200);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
}

static void proc_rollup_without_address_space_is_esrch(void **state)
{
	/* The kernel answers ESRCH for these; a snapshot holds no smaps_rollup for them. */
	static const pid_t pids[] = { 2, 1001 };
	struct vms_ctx *ctx = open_root();
	size_t i;

	char msg[256] = "";
	size_t o = 0;

	for (i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		struct vms_proc *p = open_pid(ctx, pids[i]);
		struct vms_counters *c = NULL;
		int ret = vms_proc_rollup(p, &c);

		if (ret != -ESRCH)
			o += (size_t)snprintf(msg + o, sizeof(msg) - o,
					      "%spid %d: expected -ESRCH, got %s", o ? "; " : "",
					      (int)pids[i], errname(ret));
		if (ret == 0)
			vms_counters_free(c);
		vms_proc_close(p);
	}
	vms_ctx_unref(ctx);
	if (o)
		fail_msg("vms_proc_rollup(): %s", msg);
}

static void proc_maps_of_kernel_thread_and_zombie_are_empty(void **state)
{
	static const pid_t pids[] = { 2, 1001 };
	struct vms_ctx *ctx = open_root();
	size_t i;

	for (i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		struct vms_proc *p = open_pid(ctx, pids[i]);
		struct vms_maps *it = NULL;
		struct map_list l;
		int ret = vms_maps_open(p, 0, &it);

		if (ret == 0) {
			maps_collect_it(it, &l);
			vms_maps_close(it);
			expect_u64(l.n, 0);
			map_list_free(&l);
		} else if (ret != -ESRCH) {
			fail_msg("pid %d: vms_maps_open(): expected 0 (empty) or -ESRCH, got %s",
				 (int)pids[i], errname(ret));
		}
		vms_proc_close(p);
	}
	vms_ctx_unref(ctx);
}

static void proc_maps_and_smaps_of_a_user_process(void **state)
{
	struct vms_ctx *ctx = open_root();
	struct vms_proc *p = open_pid(ctx, 1000);
	struct vms_maps *it = NULL;
	struct map_list maps, smaps;
	uint64_t rss = 0;
	size_t i;

	expect_ret(vms_maps_open(p, 0, &it), 0);
	maps_collect_it(it, &maps);
	vms_maps_close(it);
	expect_u64(maps.n, 37);
	expect_u64(maps.bad_lines, 0);
	expect_ret(maps.finish_ret, 0);
	expect_u64(maps.v[0].m.start, 0x55e870065000);
	expect_lit(maps.v[0].name, maps.v[0].m.name_len, "/usr/bin/sleep");
	expect_lit(maps.v[36].name, maps.v[36].m.name_len, "[vsyscall]");
	expect_lit(maps.v[35].name, maps.v[35].m.name_len, "[stack]");

	expect_ret(vms_maps_open(p, VMS_MAPS_SMAPS, &it), 0);
	maps_collect_it(it, &smaps);
	vms_maps_close(it);
	expect_u64(smaps.n, 37);
	expect_u64(smaps.bad_lines, 0);
	expect_ret(smaps.finish_ret, 0);
	for (i = 0; i < smaps.n; i++) {
		size_t k;

		if (smaps.v[i].m.start != maps.v[i].m.start)
			fail_msg("mapping %zu: smaps and maps differ", i);
		if (!smaps.v[i].has_counters)
			fail_msg("mapping %zu: no counters with VMS_MAPS_SMAPS", i);
		for (k = 0; k < smaps.v[i].counters.n; k++)
			if (strcmp(smaps.v[i].counters.v[k].name, "Rss") == 0)
				rss += smaps.v[i].counters.v[k].value;
	}
	/* The idle sleep's smaps adds up to its smaps_rollup. */
	expect_u64(rss, KB(1824));
	map_list_free(&smaps);
	map_list_free(&maps);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
}

static void proc_zombie_leader_reads_memory_of_its_live_thread(void **state)
{
	/* 1002 called pthread_exit(); thread 1003 still runs and holds 8 MiB. */
	struct vms_ctx *ctx = open_root();
	struct vms_proc *p = open_pid(ctx, 1002);
	struct vms_counters *c = NULL;
	struct vms_maps *it = NULL;
	struct map_list l;
	uint64_t v = 0;

	expect_i64(vms_proc_pid(p), 1002);
	expect_ret(vms_proc_rollup(p, &c), 0);
	expect_ret(vms_counters_get(c, VMS_KEY_RSS, &v), 0);
	expect_u64(v, KB(9692));
	expect_ret(vms_counters_get(c, VMS_KEY_ANONYMOUS, &v), 0);
	expect_u64(v, KB(8316));
	vms_counters_free(c);

	expect_ret(vms_maps_open(p, 0, &it), 0);
	maps_collect_it(it, &l);
	vms_maps_close(it);
	expect_u64(l.n, 34);
	expect_lit(l.v[0].name, l.v[0].m.name_len, "/tmp/tmp.61CtwaUGio/zl");
	map_list_free(&l);

	expect_ret(vms_maps_open(p, VMS_MAPS_SMAPS, &it), 0);
	maps_collect_it(it, &l);
	vms_maps_close(it);
	expect_u64(l.n, 34);
	map_list_free(&l);
	expect_i64(vms_proc_memory_tid(p), 1003);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
}

static void proc_state_does_not_depend_on_earlier_reads(void **state)
{
	/* A fixture does not change: the state letter must not either. */
	static const pid_t pids[] = { 1000, 1002 };
	struct vms_ctx *ctx = open_root();
	size_t i;

	for (i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		struct vms_proc *p = open_pid(ctx, pids[i]);
		struct vms_counters *c = NULL;
		int before = vms_proc_state(p), after;

		expect_ret(vms_proc_rollup(p, &c), 0);
		vms_counters_free(c);
		after = vms_proc_state(p);
		if (before != after)
			fail_msg("pid %d: vms_proc_state() was '%c' before reading smaps_rollup "
				 "and '%c' after",
				 (int)pids[i], before, after);
		vms_proc_close(p);
	}
	vms_ctx_unref(ctx);
}

static void proc_zombie_leader_memory_tid_is_known_after_open(void **state)
{
	/* vms_proc_open() documents the thread choice; the tid must not wait for a read. */
	struct vms_ctx *ctx = open_root();
	struct vms_proc *p = open_pid(ctx, 1002);

	expect_i64(vms_proc_memory_tid(p), 1003);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
}

static void proc_openat_reads_the_process_files(void **state)
{
	struct vms_ctx *ctx = open_root();
	struct vms_proc *p = open_pid(ctx, 1004);
	int fd = vms_proc_openat(p, "stat", O_RDONLY);
	char buf[16] = { 0 };

	if (fd < 0)
		fail_msg("vms_proc_openat(stat): expected an fd, got %s", errname(fd));
	assert_true(read(fd, buf, 8) == 8);
	expect_str(buf, "1004 (x)");
	close(fd);
	expect_ret(vms_proc_openat(p, "no-such-file", O_RDONLY), -ENOENT);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ctx_on_fixture_root_reads_its_description),
		cmocka_unit_test(ctx_new_errors),
		cmocka_unit_test(ctx_openat_is_relative_to_the_root),
		cmocka_unit_test(system_tables_of_the_fixture),
		cmocka_unit_test(ptable_lists_every_process_of_the_fixture),
		cmocka_unit_test(ptable_user_process_all_fields),
		cmocka_unit_test(ptable_kernel_thread_zombies_and_hostile_comm),
		cmocka_unit_test(ptable_without_optional_fields),
		cmocka_unit_test(proc_open_errors),
		cmocka_unit_test(proc_rollup_of_a_user_process),
		cmocka_unit_test(proc_info_read_matches_the_table),
		cmocka_unit_test(proc_rollup_without_address_space_is_esrch),
		cmocka_unit_test(proc_maps_of_kernel_thread_and_zombie_are_empty),
		cmocka_unit_test(proc_maps_and_smaps_of_a_user_process),
		cmocka_unit_test(proc_zombie_leader_reads_memory_of_its_live_thread),
		cmocka_unit_test(proc_zombie_leader_memory_tid_is_known_after_open),
		cmocka_unit_test(proc_state_does_not_depend_on_earlier_reads),
		cmocka_unit_test(proc_openat_reads_the_process_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
