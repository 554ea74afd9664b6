// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of vms_parse_pid(): decimal only, no sign, no space, 1..4194304 (PID_MAX_LIMIT). */
#include <errno.h>

#include "unit.h"

static void expect_pid(const char *s, int want_ret, pid_t want_pid)
{
	pid_t pid = -12345;
	int ret = vms_parse_pid(s, &pid);

	if (ret != want_ret)
		fail_msg("vms_parse_pid(\"%s\"): expected %s, got %s (pid %d)", esc(s, strlen(s)),
			 errname(want_ret), errname(ret), (int)pid);
	if (want_ret == 0 && pid != want_pid)
		fail_msg("vms_parse_pid(\"%s\"): expected pid %d, got %d", esc(s, strlen(s)),
			 (int)want_pid, (int)pid);
}

static void pid_plain_decimal_is_accepted(void **state)
{
	expect_pid("1", 0, 1);
	expect_pid("5", 0, 5);
	expect_pid("1234", 0, 1234);
	expect_pid("32768", 0, 32768);
	expect_pid("4194304", 0, 4194304);
}

static void pid_leading_zeros_are_decimal_never_octal(void **state)
{
	expect_pid("010", 0, 10);
	expect_pid("0000000000000000000000000000001", 0, 1);
	expect_pid("04194304", 0, 4194304);
}

static void pid_not_a_number_is_einval(void **state)
{
	static const char *const bad[] = {
		"0",
		"-1",
		"+5",
		" 5",
		"5 ",
		"5x",
		"abc",
		"",
		"0x10",
		"0X10",
		"-0",
		"5\n",
		"\t5",
		"5.0",
		"1e3",
		"5,6",
		"--5",
		"0b1",
		"\xd9\xa3" /* Arabic-Indic 3 */,
		"00",
		"-4194305",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_pid(bad[i], -EINVAL, 0);
}

static void pid_too_large_is_erange_without_wrapping(void **state)
{
	static const char *const big[] = {
		"4194305",
		"2147483647",
		"2147483648",
		"4294967295",
		"4294967297", /* 2^32 + 1: wraps to 1 in 32 bits */
		"18446744073709551617", /* 2^64 + 1: wraps to 1 in 64 bits */
		"99999999999999999999",
		"99999999999999999999999999999999999999999999999999",
	};
	size_t i;

	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		expect_pid(big[i], -ERANGE, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pid_plain_decimal_is_accepted),
		cmocka_unit_test(pid_leading_zeros_are_decimal_never_octal),
		cmocka_unit_test(pid_not_a_number_is_einval),
		cmocka_unit_test(pid_too_large_is_erange_without_wrapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
