// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the /proc/swaps parser: vms_swaps_parse_fd() and the row accessors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#define KB(x) ((uint64_t)(x)*1024)
#define LIT(s) s, sizeof(s) - 1
#define HEADER "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"

static struct vms_swaps *parse_file(const char *name)
{
	int fd = open_data(name);
	struct vms_swaps *s = NULL;
	int ret = vms_swaps_parse_fd(fd, &s);

	close(fd);
	if (ret != 0)
		fail_msg("vms_swaps_parse_fd(%s): expected 0, got %s", name, errname(ret));
	assert_non_null(s);
	return s;
}

static struct vms_swaps *parse_text(const char *text, size_t len, size_t chunk, int want)
{
	struct feed *f = feed_start(text, len, chunk);
	struct vms_swaps *s = NULL;
	int ret = vms_swaps_parse_fd(feed_fd(f), &s);

	feed_finish(f);
	if (ret != want)
		fail_msg("vms_swaps_parse_fd(\"%s\"): expected %s, got %s", esc(text, len),
			 errname(want), errname(ret));
	if (want == 0)
		assert_non_null(s);
	return s;
}

static void expect_row(const struct vms_swaps *s, size_t i, const char *filename,
		       size_t filename_len, const char *type, uint64_t size, uint64_t used,
		       int priority)
{
	const struct vms_swap *w = vms_swaps_get(s, i);

	if (!w)
		fail_msg("row %zu: expected a row, got NULL", i);
	assert_non_null(w->filename);
	expect_bytes(w->filename, strlen(w->filename), filename, filename_len);
	expect_str(w->type, type);
	expect_u64(w->size, size);
	expect_u64(w->used, used);
	expect_i64(w->priority, priority);
}

static void swaps_real_swap_file_with_escaped_space(void **state)
{
	/* Captured with a 16 MiB swap file named "swap file", swapon -p -2. */
	struct vms_swaps *s = parse_file("real-6.18-file.swaps");

	expect_u64(vms_swaps_count(s), 1);
	expect_row(s, 0, LIT("/var/tmp/vmsswapH7JC/swap file"), "file", KB(16380), 0, -2);
	assert_null(vms_swaps_get(s, 1));
	vms_swaps_free(s);
}

static void swaps_header_only_has_no_rows(void **state)
{
	struct vms_swaps *s = parse_file("real-6.18-header-only.swaps");

	expect_u64(vms_swaps_count(s), 0);
	assert_null(vms_swaps_get(s, 0));
	vms_swaps_free(s);
}

static void swaps_partition_and_file_rows_unescaped(void **state)
{
	struct vms_swaps *s = parse_file("mixed.swaps");

	expect_u64(vms_swaps_count(s), 3);
	expect_row(s, 0, LIT("/dev/vda2"), "partition", KB(2097148), KB(1024), -2);
	/* The kernel escapes " \t\n\\" in octal, so "\040(deleted)" is unambiguous. */
	expect_row(s, 1, LIT("/swapfile (deleted)"), "file", KB(1048572), 0, -3);
	/* Sizes above 2^32 kB; the largest priority. */
	expect_row(s, 2, LIT("/var/swap\ttab\nnl\\012"), "file", KB(8589934592ULL),
		   KB(4294967296ULL), 32767);
	vms_swaps_free(s);
}

static void swaps_long_path_and_raw_bytes(void **state)
{
	/* A path of 40 bytes or more is followed by a single space; bytes >= 0x80 are raw. */
	static const char text[] = HEADER
		"/a/very/long/path/to/a/swap/file/somewhere/deep/swapfile partition\t"
		"1024\t\t0\t\t0\n"
		"/swap-\xff\xfe-\x1b[2J                   file\t\t4\t\t4\t\t-1\n";
	struct vms_swaps *s = parse_text(text, sizeof(text) - 1, 0, 0);

	expect_u64(vms_swaps_count(s), 2);
	expect_row(s, 0, LIT("/a/very/long/path/to/a/swap/file/somewhere/deep/swapfile"),
		   "partition", KB(1024), 0, 0);
	expect_row(s, 1, LIT("/swap-\xff\xfe-\x1b[2J"), "file", KB(4), KB(4), -1);
	vms_swaps_free(s);
}

static void swaps_unparsable_row_is_ebadmsg(void **state)
{
	static const char *const rows[] = {
		"garbage\n",
		"/dev/sda1\n",
		"/dev/sda1 partition\n",
		"/dev/sda1 partition\t1024\n",
		"/dev/sda1 partition\t1024\t\t0\n",
		"/dev/sda1 partition\tabc\t\t0\t\t-2\n",
		"/dev/sda1 partition\t1024\t\tx\t\t-2\n",
		"/dev/sda1 partition\t1024\t\t0\t\tprio\n",
		"/dev/sda1 partition\t-1024\t\t0\t\t-2\n",
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sbuf b = { 0 };
		struct vms_swaps *s;

		sbuf_addf(&b, HEADER "/dev/vda2 partition\t2097148\t\t0\t\t-2\n%s", rows[i]);
		s = parse_text(b.p, b.len, 0, -EBADMSG);
		if (s)
			vms_swaps_free(s);
		sbuf_free(&b);
	}
}

static void swaps_size_beyond_64_bits_in_bytes_is_an_error(void **state)
{
	/* 2^54 kB is 2^64 bytes: must not wrap to 0. */
	static const char text[] = HEADER "/dev/vda2 partition\t18014398509481984\t0\t\t-2\n";
	struct feed *f = feed_start(text, sizeof(text) - 1, 0);
	struct vms_swaps *s = NULL;
	int ret = vms_swaps_parse_fd(feed_fd(f), &s);

	feed_finish(f);
	if (ret == 0)
		fail_msg("size 2^54 kB: expected an error, got 0 with size %" PRIu64,
			 vms_swaps_count(s) ? vms_swaps_get(s, 0)->size : 0);
	if (ret > 0)
		fail_msg("expected a negative errno, got %d", ret);
	if (s)
		vms_swaps_free(s);
}

static void swaps_final_row_without_newline(void **state)
{
	static const char text[] = HEADER "/dev/vda2 partition\t2097148\t\t0\t\t-2";
	struct vms_swaps *s = parse_text(text, sizeof(text) - 1, 0, 0);

	expect_u64(vms_swaps_count(s), 1);
	expect_row(s, 0, LIT("/dev/vda2"), "partition", KB(2097148), 0, -2);
	vms_swaps_free(s);
}

static void swaps_chunked_reads_give_identical_results(void **state)
{
	static const size_t chunks[] = { 1, 7, 4096 };
	size_t len, c, i;
	char *text = read_data("mixed.swaps", &len);
	struct vms_swaps *whole = parse_text(text, len, 0, 0);

	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct vms_swaps *part = parse_text(text, len, chunks[c], 0);

		expect_u64(vms_swaps_count(part), vms_swaps_count(whole));
		for (i = 0; i < vms_swaps_count(whole); i++) {
			const struct vms_swap *a = vms_swaps_get(whole, i);

			expect_row(part, i, a->filename, strlen(a->filename), a->type, a->size,
				   a->used, a->priority);
		}
		vms_swaps_free(part);
	}
	vms_swaps_free(whole);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(swaps_real_swap_file_with_escaped_space),
		cmocka_unit_test(swaps_header_only_has_no_rows),
		cmocka_unit_test(swaps_partition_and_file_rows_unescaped),
		cmocka_unit_test(swaps_long_path_and_raw_bytes),
		cmocka_unit_test(swaps_unparsable_row_is_ebadmsg),
		cmocka_unit_test(swaps_size_beyond_64_bits_in_bytes_is_an_error),
		cmocka_unit_test(swaps_final_row_without_newline),
		cmocka_unit_test(swaps_chunked_reads_give_identical_results),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
