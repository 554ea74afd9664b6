// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the option-argument parsers every command shares (cmd/common):
 * PID lists, counts, intervals, --format, column lists (-o, --sort) and the
 * table printed with them, comma lists, snake_case names, human sizes, and
 * vms_parse_pid.  A usage error ends in exit(), caught (fuzz.h).  Properties:
 * what a parser accepts is in its documented range; a table printed for a
 * terminal has no control bytes but its newlines (hazard A11).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fuzz.h"

static const struct cx_column cols[] = {
	{ "pid", "PID", CX_INT, "process" },	  { "name", "NAME", CX_STR, "name" },
	{ "rss", "RSS", CX_SIZE, "resident" },	  { "rate", "RATE", CX_RATE, "per second" },
	{ "count", "COUNT", CX_U64, "how many" },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

static bool needs_odd(int col)
{
	return col & 1;
}

/* Only '\n' of the C0 controls, no DEL, no C1 (as bytes, or as UTF-8 code points). */
static void check_terminal_text(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++) {
		FUZZ_CHECK(p[i] == '\n' || (p[i] >= 0x20 && p[i] != 0x7f));
		/* U+0080..U+009F is 0xc2 0x80..0x9f */
		if (p[i] == 0xc2 && i + 1 < len)
			FUZZ_CHECK(p[i + 1] < 0x80 || p[i + 1] > 0x9f);
	}
}

static void table(const char *arg, uint8_t mode)
{
	struct cx_outopts o = {
		.format = mode & 1 ? CX_FMT_RAW : CX_FMT_TABLE,
		.noheadings = mode & 2,
		.bytes = mode & 4,
		.output = arg,
		.output_all = (mode & 0x18) == 0x18,
	};
	static struct cx_table t;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	/* what a usage error left in it last time */
	cx_table_free(&t);
	cx_check_option_columns(&o, cols, NCOLS, needs_odd, "--odd");
	cx_table_init(&t, cols, NCOLS, "pid,name", &o);
	FUZZ_CHECK(t.nsel > 0);
	for (size_t i = 0; i < t.nsel; i++)
		FUZZ_CHECK(t.sel[i] >= 0 && (size_t)t.sel[i] < NCOLS);
	for (int r = 0; r < 3; r++) {
		size_t row = cx_table_add_row(&t);

		cx_set_int(&t, row, 0, (int64_t)strlen(arg) * (r - 1));
		cx_set_str(&t, row, 1, arg + r % (strlen(arg) + 1));
		cx_set_u64(&t, row, 2, (uint64_t)arg[0] << (8 * r));
		cx_set_rate(&t, row, 3, strlen(arg) / 3.0);
		t.indent[row] = (size_t)r;
	}
	cx_table_sort(&t, mode % NCOLS, mode & 0x20);
	f = open_memstream(&text, &len);
	FUZZ_CHECK(f);
	cx_table_print(&t, &o, f);
	cx_table_flush(&t, &o, f);
	fclose(f);
	check_terminal_text(text, len);
	free(text);
	cx_table_free(&t);
}

static void split_item(const char *item, size_t len, void *data)
{
	size_t *total = data;

	FUZZ_CHECK(len > 0 && !memchr(item, ',', len));
	*total += len + 1;
}

static void run(const uint8_t *data, size_t size)
{
	/* static: a usage error longjmps past the free */
	static char *arg;
	uint8_t op = data[0];
	int *pids = NULL;
	size_t n;

	free(arg);
	arg = malloc(size);
	FUZZ_CHECK(arg);
	memcpy(arg, data + 1, size - 1);
	arg[size - 1] = '\0';
	switch (op % 10) {
	case 0:
		n = cx_parse_pid_list(arg, &pids, 0);
		FUZZ_CHECK(n > 0);
		for (size_t i = 0; i < n; i++) {
			FUZZ_CHECK(pids[i] >= 1 && pids[i] <= 4194304);
			for (size_t j = 0; j < i; j++)
				FUZZ_CHECK(pids[i] != pids[j]);
		}
		free(pids);
		break;
	case 1: {
		unsigned long max = op < 128 ? 64 : 100000000, v = cx_parse_count("--n", arg, max);

		FUZZ_CHECK(v >= 1 && v <= max && isdigit((unsigned char)arg[0]));
		break;
	}
	case 2: {
		bool zero_ok = op & 0x80;
		double v = cx_parse_interval(arg, zero_ok);

		FUZZ_CHECK(isfinite(v) && v <= 86400 && (v >= 0.01 || (zero_ok && v == 0)));
		break;
	}
	case 3: {
		static const char *const names[] = { "table", "raw", "json", "openmetrics" };
		enum cx_format f = cx_parse_format(arg);

		FUZZ_CHECK((unsigned int)f < 4 && strcmp(names[f], arg) == 0);
		break;
	}
	case 4:
		table(arg, op);
		break;
	case 5:
		n = 0;
		cx_split(arg, split_item, &n);
		FUZZ_CHECK(n == strlen(arg) + 1);
		break;
	case 6: {
		char buf[64];
		size_t len = 1 + op % sizeof(buf);

		cx_snake_case(arg, buf, len);
		FUZZ_CHECK(memchr(buf, '\0', len));
		break;
	}
	case 7: {
		uint64_t v = 0;
		char buf[32];
		size_t len = 1 + op % sizeof(buf);

		memcpy(&v, data + 1, size - 1 < 8 ? size - 1 : 8);
		cx_human_size(v, buf, len);
		FUZZ_CHECK(memchr(buf, '\0', len));
		cx_human_size(v, buf, sizeof(buf));
		FUZZ_CHECK(strstr(buf, "B") && strlen(buf) < 12);
		break;
	}
	case 8: {
		pid_t pid;
		int r = vms_parse_pid(arg, &pid);
		bool digits = arg[0] && strspn(arg, "0123456789") == strlen(arg);

		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
		FUZZ_CHECK(r == -EINVAL || digits);
		if (r == 0)
			FUZZ_CHECK(pid >= 1 && pid <= 4194304 && pid == atoi(arg));
		break;
	}
	case 9: {
		/* four NUL-separated parts of a snapshot's description */
		const char *part[4] = { NULL, NULL, NULL, NULL };
		size_t at = 1;
		char *s;

		for (int i = 0; i < 4 && at < size; i++) {
			part[i] = (const char *)data + at;
			at += strnlen(part[i], size - at) + 1;
		}
		/* the parts must be strings: copy them as such */
		{
			char *copy[4] = { 0 };

			for (int i = 0; i < 4; i++)
				if (part[i]) {
					size_t l = strnlen(
						part[i],
						size - (size_t)(part[i] - (const char *)data));

					copy[i] = strndup(part[i], l);
				}
			s = cx_snapshot_text(copy[0], copy[1], copy[2], copy[3]);
			check_terminal_text(s, strlen(s));
			free(s);
			for (int i = 0; i < 4; i++)
				free(copy[i]);
		}
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jmp_buf jb;

	if (size < 1 || size > 4096)
		return 0;
	fuzz_quiet();
	fuzz_catch = &jb;
	if (setjmp(jb) == 0)
		run(data, size);
	fuzz_catch = NULL;
	return 0;
}
