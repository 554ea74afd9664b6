// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the /proc/PID/stat parser: vms_stat_parse(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

#define LIT(s) s, sizeof(s) - 1
#define HAVE_STAT_ALL (VMS_HAVE_FAULTS | VMS_HAVE_THREADS | VMS_HAVE_VSZ)
#define HAVE_STAT_MASK HAVE_STAT_ALL

/* The real stat of a 6.18 shell; the tail after field 23 is what a 6.18 kernel prints. */
#define BASH_STAT                                                                               \
	"5137 (bash) S 5134 5134 4676 0 -1 4194304 240 345 0 0 0 0 0 0 20 0 1 0 15547 4464640 " \
	"756 18446744073709551615 94475523309568 94475524098973 140723728501376 0 0 0 65536 4 " \
	"65538 1 0 0 17 1 0 0 0 0 0 94475524332272 94475524380516 94475553300480 "              \
	"140723728505242 140723728505476 140723728505476 140723728506858 0\n"

/* Parse @len bytes of @text in a guarded buffer; the result's comm is copied to @comm. */
static int parse(const char *text, size_t len, struct vms_proc_info *info, char *comm,
		 size_t comm_size)
{
	char *buf = guarded_copy(text, len);
	int ret;

	memset(info, 0, sizeof(*info));
	ret = vms_stat_parse(buf, len, info);
	if (ret == 0) {
		size_t n;

		if (!info->comm)
			fail_msg("comm is NULL after a successful parse");
		if (info->comm < buf || info->comm > buf + len)
			fail_msg("comm does not point into the buffer");
		n = strnlen(info->comm, (size_t)(buf + len - info->comm));
		if (n == (size_t)(buf + len - info->comm))
			fail_msg("comm is not NUL-terminated inside the buffer");
		assert_true(n < comm_size);
		memcpy(comm, info->comm, n + 1);
		info->comm = comm;
	}
	guarded_free(buf, len);
	return ret;
}

static void parse_ok(const char *text, size_t len, struct vms_proc_info *info, char *comm,
		     size_t comm_size)
{
	int ret = parse(text, len, info, comm, comm_size);

	if (ret != 0)
		fail_msg("vms_stat_parse(\"%s\"): expected 0, got %s", esc(text, len),
			 errname(ret));
}

static void expect_have(unsigned int have, unsigned int want)
{
	if ((have & HAVE_STAT_MASK) != want)
		fail_msg("have: expected %#x (faults %d, threads %d, vsz %d), got %#x", want,
			 !!(want & VMS_HAVE_FAULTS), !!(want & VMS_HAVE_THREADS),
			 !!(want & VMS_HAVE_VSZ), have & HAVE_STAT_MASK);
}

static void stat_real_process(void **state)
{
	struct vms_proc_info i;
	char comm[64];

	parse_ok(LIT(BASH_STAT), &i, comm, sizeof(comm));
	expect_i64(i.pid, 5137);
	expect_str(i.comm, "bash");
	expect_i64(i.state, 'S');
	expect_i64(i.ppid, 5134);
	expect_bool(i.kthread, false);
	expect_u64(i.minflt, 240);
	expect_u64(i.majflt, 0);
	expect_i64(i.threads, 1);
	expect_u64(i.start_time, 15547);
	expect_u64(i.vsz, 4464640);
	expect_have(i.have, HAVE_STAT_ALL);
}

static void stat_real_file_matches_the_captured_text(void **state)
{
	size_t len;
	char *text = read_data("real-6.18-bash.stat", &len);

	expect_bytes(text, len, BASH_STAT, sizeof(BASH_STAT) - 1);
	free(text);
}

static void stat_kernel_thread(void **state)
{
	size_t len;
	char *text = read_data("real-6.18-kthread.stat", &len);
	struct vms_proc_info i;
	char comm[64];

	parse_ok(text, len, &i, comm, sizeof(comm));
	expect_i64(i.pid, 2);
	expect_str(i.comm, "kthreadd");
	expect_i64(i.state, 'S');
	expect_i64(i.ppid, 0);
	/* flags 2129984 = 0x208040: PF_KTHREAD (0x00200000) is set. */
	expect_bool(i.kthread, true);
	expect_i64(i.threads, 1);
	expect_u64(i.start_time, 24);
	expect_u64(i.vsz, 0);
	expect_have(i.have, HAVE_STAT_ALL);
	free(text);
}

static void stat_zombie(void **state)
{
	size_t len;
	char *text = read_data("real-6.18-zombie.stat", &len);
	struct vms_proc_info i;
	char comm[64];

	parse_ok(text, len, &i, comm, sizeof(comm));
	expect_i64(i.pid, 5271);
	expect_str(i.comm, "sleep");
	expect_i64(i.state, 'Z');
	expect_i64(i.ppid, 5269);
	expect_bool(i.kthread, false);
	expect_u64(i.minflt, 118);
	expect_u64(i.start_time, 16241);
	expect_u64(i.vsz, 0);
	free(text);
}

static void stat_comm_with_paren_newline_and_escape(void **state)
{
	/* prctl(PR_SET_NAME, "x) R 1 2\n\e[2Jz") as seen on a real system. */
	static const char text[] = "4242 (x) R 1 2\n\x1b[2Jz) S 1 4242 4242 0 -1 4194304 7 0 3 0 "
				   "0 0 0 0 20 0 1 0 999 2220032 90 18446744073709551615 0\n";
	struct vms_proc_info i;
	char comm[64];

	parse_ok(LIT(text), &i, comm, sizeof(comm));
	expect_i64(i.pid, 4242);
	expect_lit(i.comm, strlen(i.comm), "x) R 1 2\n\x1b[2Jz");
	expect_i64(i.state, 'S');
	expect_i64(i.ppid, 1);
	expect_u64(i.minflt, 7);
	expect_u64(i.majflt, 3);
	expect_u64(i.start_time, 999);
	expect_u64(i.vsz, 2220032);
}

static void stat_odd_comms_split_at_the_last_paren(void **state)
{
	static const struct {
		const char *text, *comm;
	} cases[] = {
		{ "7 () S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n", "" },
		{ "7 ()) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n", ")" },
		{ "7 (() S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n", "(" },
		{ "7 (a b) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n", "a b" },
		{ "7 (a) S 99 (b) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n", "a) S 99 (b" },
		{ "7 ( ) ) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n", " ) " },
		{ "7 (abcdefghijklmno) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
		  "abcdefghijklmno" },
		{ "7 (\xff\xfe\xc3() S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
		  "\xff\xfe\xc3(" },
		{ "7 (kworker/0:1-events) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
		  "kworker/0:1-events" },
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct vms_proc_info i;
		char comm[64];

		parse_ok(cases[k].text, strlen(cases[k].text), &i, comm, sizeof(comm));
		expect_i64(i.pid, 7);
		expect_str(i.comm, cases[k].comm);
		expect_i64(i.ppid, k == 8 ? 2 : 1);
		expect_u64(i.start_time, 5);
	}
}

static void stat_idle_kworker_state_and_kthread(void **state)
{
	/* flags 69238880 = 0x4208060: PF_KTHREAD set; state I (idle). */
	static const char text[] =
		"8 (kworker/0:0H-events_highpri) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 0 -20 1 0 "
		"30 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0 0 0 0 "
		"0 0 0 0 0\n";
	struct vms_proc_info i;
	char comm[64];

	parse_ok(LIT(text), &i, comm, sizeof(comm));
	expect_str(i.comm, "kworker/0:0H-events_highpri");
	expect_i64(i.state, 'I');
	expect_bool(i.kthread, true);
}

static void stat_older_kernel_with_fewer_fields(void **state)
{
	/* Cut after nice (19), after starttime (22), after flags (9): missing = absent. */
	static const char after19[] = "5137 (bash) S 5134 5134 4676 0 -1 4194304 240 345 1 0 0 0 "
				      "0 0 20 0\n";
	static const char after22[] = "5137 (bash) S 5134 5134 4676 0 -1 4194304 240 345 1 0 0 0 "
				      "0 0 20 0 3 0 15547\n";
	static const char after9[] = "5137 (bash) S 5134 5134 4676 0 -1 2129984";
	struct vms_proc_info i;
	char comm[64];

	parse_ok(LIT(after19), &i, comm, sizeof(comm));
	expect_u64(i.minflt, 240);
	expect_u64(i.majflt, 1);
	expect_have(i.have, VMS_HAVE_FAULTS);
	expect_i64(i.threads, 0);
	expect_u64(i.start_time, 0);
	expect_u64(i.vsz, 0);

	parse_ok(LIT(after22), &i, comm, sizeof(comm));
	expect_have(i.have, VMS_HAVE_FAULTS | VMS_HAVE_THREADS);
	expect_i64(i.threads, 3);
	expect_u64(i.start_time, 15547);
	expect_u64(i.vsz, 0);

	parse_ok(LIT(after9), &i, comm, sizeof(comm));
	expect_i64(i.pid, 5137);
	expect_i64(i.ppid, 5134);
	expect_bool(i.kthread, true);
	expect_have(i.have, 0);
	expect_u64(i.minflt, 0);
}

static void stat_future_kernel_with_more_fields(void **state)
{
	static const char text[] =
		"5137 (bash) S 5134 5134 4676 0 -1 4194304 240 345 0 0 0 0 0 0 "
		"20 0 1 0 15547 4464640 756 18446744073709551615 94475523309568 "
		"94475524098973 140723728501376 0 0 0 65536 4 65538 1 0 0 17 1 "
		"0 0 0 0 0 94475524332272 94475524380516 94475553300480 "
		"140723728505242 140723728505476 140723728505476 140723728506858 "
		"0 123 456 789 18446744073709551615 -1 future\n";
	struct vms_proc_info i;
	char comm[64];

	parse_ok(LIT(text), &i, comm, sizeof(comm));
	expect_i64(i.pid, 5137);
	expect_str(i.comm, "bash");
	expect_u64(i.minflt, 240);
	expect_i64(i.threads, 1);
	expect_u64(i.start_time, 15547);
	expect_u64(i.vsz, 4464640);
	expect_have(i.have, HAVE_STAT_ALL);
}

static void stat_without_trailing_newline(void **state)
{
	struct vms_proc_info i;
	char comm[64];

	parse_ok(BASH_STAT, sizeof(BASH_STAT) - 2, &i, comm, sizeof(comm));
	expect_u64(i.vsz, 4464640);
	expect_str(i.comm, "bash");
}

static void stat_large_values(void **state)
{
	/* vsz of a 128 TiB address space and a pid at PID_MAX_LIMIT. */
	static const char text[] = "4194304 (big) R 4194303 1 1 0 -1 4194304 18446744073709551615 "
				   "0 4294967296 0 0 0 0 0 20 0 2147483647 0 18446744073709551615 "
				   "140737488351232 0\n";
	struct vms_proc_info i;
	char comm[64];

	parse_ok(LIT(text), &i, comm, sizeof(comm));
	expect_i64(i.pid, 4194304);
	expect_i64(i.ppid, 4194303);
	expect_u64(i.minflt, UINT64_MAX);
	expect_u64(i.majflt, 4294967296ULL);
	expect_i64(i.threads, 2147483647);
	expect_u64(i.start_time, UINT64_MAX);
	expect_u64(i.vsz, 140737488351232ULL);
}

static void stat_malformed_is_ebadmsg(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"5137",
		"5137 ",
		"5137 (bash",
		"5137 (bash S 5134 5134",
		"5137 bash) S 5134",
		"(bash) S 5134 5134",
		"abc (bash) S 5134",
		"-1 (bash) S 5134",
		"5137x (bash) S 5134",
		"5137 (bash)",
		"5137 (bash) ",
		"5137 (bash)\n",
		"5137 (bash) S",
		"5137 (bash) S ",
		"5137 (bash) S x 5134",
		"99999999999999999999 (bash) S 1",
	};
	size_t k;

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct vms_proc_info i;
		char comm[64];
		int ret = parse(bad[k], strlen(bad[k]), &i, comm, sizeof(comm));

		if (ret != -EBADMSG)
			fail_msg("vms_stat_parse(\"%s\"): expected -EBADMSG, got %s",
				 esc(bad[k], strlen(bad[k])), errname(ret));
	}
}

static void stat_negative_ppid_is_ebadmsg(void **state)
{
	/* The kernel prints ppid as a pid: a sign means a corrupt file, not a parent. */
	static const char text[] = "5137 (bash) S -5 5134 4676 0 -1 4194304 240 345 0 0 0 0 0 0 "
				   "20 0 1 0 15547 4464640 756\n";
	struct vms_proc_info i;
	char comm[64];

	expect_ret(parse(LIT(text), &i, comm, sizeof(comm)), -EBADMSG);
}

static void stat_fills_its_fields_whatever_info_held(void **state)
{
	/* The caller need not clear @info: every field the parser promises is written. */
	char *buf = guarded_copy(LIT(BASH_STAT));
	struct vms_proc_info i;

	memset(&i, 0xa5, sizeof(i));
	expect_ret(vms_stat_parse(buf, sizeof(BASH_STAT) - 1, &i), 0);
	expect_i64(i.pid, 5137);
	expect_str(i.comm, "bash");
	expect_i64(i.state, 'S');
	expect_i64(i.ppid, 5134);
	expect_bool(i.kthread, false);
	expect_u64(i.minflt, 240);
	expect_u64(i.majflt, 0);
	expect_i64(i.threads, 1);
	expect_u64(i.start_time, 15547);
	expect_u64(i.vsz, 4464640);
	guarded_free(buf, sizeof(BASH_STAT) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stat_real_process),
		cmocka_unit_test(stat_real_file_matches_the_captured_text),
		cmocka_unit_test(stat_kernel_thread),
		cmocka_unit_test(stat_zombie),
		cmocka_unit_test(stat_comm_with_paren_newline_and_escape),
		cmocka_unit_test(stat_odd_comms_split_at_the_last_paren),
		cmocka_unit_test(stat_idle_kworker_state_and_kthread),
		cmocka_unit_test(stat_older_kernel_with_fewer_fields),
		cmocka_unit_test(stat_future_kernel_with_more_fields),
		cmocka_unit_test(stat_without_trailing_newline),
		cmocka_unit_test(stat_large_values),
		cmocka_unit_test(stat_malformed_is_ebadmsg),
		cmocka_unit_test(stat_negative_ppid_is_ebadmsg),
		cmocka_unit_test(stat_fills_its_fields_whatever_info_held),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
