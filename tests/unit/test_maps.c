// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the maps parser: vms_maps_line_parse(), and vms_maps_open_fd()/next() on maps. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#define LINE(s) s, sizeof(s) - 1

/* The length of the last parse_exact() copy, for unparse(). */
static size_t guarded_len;

/*
 * Parse @line (len bytes, copied to end at an inaccessible page: no NUL after it, and a
 * read past @len crashes).  Free *@copy with unparse().
 */
static void parse_exact(const char *line, size_t len, struct vms_mapping *m, char **copy)
{
	char *buf = guarded_copy(line, len);
	int ret;

	memset(m, 0xa5, sizeof(*m));
	ret = vms_maps_line_parse(buf, len, m);
	if (ret != 0)
		fail_msg("vms_maps_line_parse(\"%s\"): expected 0, got %s", esc(line, len),
			 errname(ret));
	if (m->name_len && (m->name < buf || m->name + m->name_len > buf + len))
		fail_msg("name does not point into the line");
	*copy = buf;
	guarded_len = len;
}

static void unparse(char *buf)
{
	guarded_free(buf, guarded_len);
}

static void expect_header(const struct vms_mapping *m, uint64_t start, uint64_t end,
			  const char *perms, uint64_t offset, uint32_t maj, uint32_t min,
			  uint64_t inode)
{
	expect_u64(m->start, start);
	expect_u64(m->end, end);
	expect_str(m->perms, perms);
	expect_u64(m->offset, offset);
	expect_u64(m->dev_major, maj);
	expect_u64(m->dev_minor, min);
	expect_u64(m->inode, inode);
}

static void maps_line_parse_real_file_mapping(void **state)
{
	static const char line[] = "55eccbfed000-55eccc01c000 r--p 00000000 fe:00 247101"
				   "                     /usr/bin/bash";
	struct vms_mapping m;
	char *buf;

	parse_exact(LINE(line), &m, &buf);
	expect_header(&m, 0x55eccbfed000, 0x55eccc01c000, "r--p", 0, 0xfe, 0, 247101);
	expect_lit(m.name, m.name_len, "/usr/bin/bash");
	expect_bool(m.name_says_deleted, false);
	unparse(buf);
}

static void maps_line_parse_anonymous_mapping_has_empty_name(void **state)
{
	/* The kernel ends an unnamed mapping's line with the space after the inode. */
	struct vms_mapping m;
	char *buf;

	parse_exact(LINE("55eccc122000-55eccc12d000 rw-p 00000000 00:00 0 "), &m, &buf);
	expect_header(&m, 0x55eccc122000, 0x55eccc12d000, "rw-p", 0, 0, 0, 0);
	expect_u64(m.name_len, 0);
	expect_bool(m.name_says_deleted, false);
	unparse(buf);
}

static void maps_line_parse_accepts_missing_space_after_inode(void **state)
{
	/* A hand-edited file may drop the kernel's trailing space; the name is still empty. */
	struct vms_mapping m;
	char *buf;

	parse_exact(LINE("55eccc122000-55eccc12d000 rw-p 00000000 00:00 0"), &m, &buf);
	expect_header(&m, 0x55eccc122000, 0x55eccc12d000, "rw-p", 0, 0, 0, 0);
	expect_u64(m.name_len, 0);
	unparse(buf);
}

static void maps_line_parse_vsyscall_address_above_2_63(void **state)
{
	struct vms_mapping m;
	char *buf;

	parse_exact(LINE("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
			 "                  [vsyscall]"),
		    &m, &buf);
	expect_header(&m, 0xffffffffff600000, 0xffffffffff601000, "--xp", 0, 0, 0, 0);
	expect_lit(m.name, m.name_len, "[vsyscall]");
	unparse(buf);
}

static void maps_line_parse_8_digit_addresses(void **state)
{
	struct vms_mapping m;
	char *buf;

	parse_exact(LINE("00400000-0040b000 r-xp 00000000 08:01 131090"
			 "                             /bin/old32"),
		    &m, &buf);
	expect_header(&m, 0x400000, 0x40b000, "r-xp", 0, 8, 1, 131090);
	expect_lit(m.name, m.name_len, "/bin/old32");
	unparse(buf);
}

static void maps_line_parse_old_kernel_narrow_padding(void **state)
{
	/* The proc(5) example: a 2.6-era kernel padded the name to a narrower column. */
	struct vms_mapping m;
	char *buf;

	parse_exact(LINE("08048000-08056000 r-xp 00000000 03:0c 64593      /usr/sbin/gpm"), &m,
		    &buf);
	expect_header(&m, 0x8048000, 0x8056000, "r-xp", 0, 3, 0xc, 64593);
	expect_lit(m.name, m.name_len, "/usr/sbin/gpm");
	unparse(buf);
}

static void maps_line_parse_inode_above_2_32(void **state)
{
	struct vms_mapping m;
	char *buf;

	parse_exact(LINE("0804a000-0804b000 rw-p 00001000 103:02 4294967297"
			 "                        /mnt/nvme/big inode"),
		    &m, &buf);
	expect_header(&m, 0x804a000, 0x804b000, "rw-p", 0x1000, 0x103, 2, 4294967297ULL);
	expect_lit(m.name, m.name_len, "/mnt/nvme/big inode");
	unparse(buf);
	parse_exact(LINE("7f0000000000-7f0000001000 r--s 00000000 103:02 18446744073709551615"
			 "  /x"),
		    &m, &buf);
	expect_u64(m.inode, UINT64_MAX);
	expect_lit(m.name, m.name_len, "/x");
	unparse(buf);
}

static void maps_line_parse_offset_above_2_32(void **state)
{
	struct vms_mapping m;
	char *buf;

	parse_exact(LINE("7f0000000000-7f0000001000 r--s 1ffffffff000 103:02 7"
			 "                    /mnt/nvme/huge offset"),
		    &m, &buf);
	expect_header(&m, 0x7f0000000000, 0x7f0000001000, "r--s", 0x1ffffffff000ULL, 0x103, 2, 7);
	expect_lit(m.name, m.name_len, "/mnt/nvme/huge offset");
	unparse(buf);
	parse_exact(LINE("7f0000000000-7f0000001000 r--s fffffffffffff000 00:05 7  /y"), &m, &buf);
	expect_u64(m.offset, 0xfffffffffffff000ULL);
	unparse(buf);
}

static void maps_line_parse_device_numbers_are_hex(void **state)
{
	struct vms_mapping m;
	char *buf;

	parse_exact(LINE("7f0000000000-7f0000001000 r--p 00000000 103:02 12  /nvme"), &m, &buf);
	expect_u64(m.dev_major, 259);
	expect_u64(m.dev_minor, 2);
	unparse(buf);
	parse_exact(LINE("7f0000000000-7f0000001000 r--p 00000000 fe:1a 12  /dm"), &m, &buf);
	expect_u64(m.dev_major, 254);
	expect_u64(m.dev_minor, 26);
	unparse(buf);
	/* Minor numbers above 255 print with more digits. */
	parse_exact(LINE("7f0000000000-7f0000001000 r--p 00000000 00:1ff 12  /big minor"), &m,
		    &buf);
	expect_u64(m.dev_major, 0);
	expect_u64(m.dev_minor, 0x1ff);
	unparse(buf);
}

struct name_case {
	const char *name;
	size_t len;
	bool says_deleted;
};

#define NAME(s, d)                  \
	{                           \
		s, sizeof(s) - 1, d \
	}

/* Names as a kernel prints them after the padding, kept byte for byte. */
static const struct name_case hostile_names[] = {
	NAME("/tmp/dir with spaces/file name", false),
	NAME("/tmp/trailing space ", false),
	NAME("/tmp/two trailing spaces  ", false),
	NAME("/tmp/new\\012line", false), /* the kernel's escape of a newline, left as is */
	NAME("/tmp/lit\\012backslash", false), /* a literal backslash: the same text */
	NAME("/tmp/back\\slash", false),
	NAME("/tmp/esc\x1b[2Jbel\x07", false),
	NAME("/memfd:my memfd\x1b]0;title\x07 (deleted)", true),
	NAME("/tmp/\xff\xfe-invalid-utf8\xc3(", false),
	NAME("/tmp/tab\there", false),
	NAME("/tmp/fake (deleted)", true), /* a file can be called that: the name says so */
	NAME("/tmp/really (deleted)", true),
	NAME("/memfd:x (deleted)", true),
	NAME("/tmp/x(deleted)", false),
	NAME("/tmp/x (deleted) ", false),
	NAME("/tmp/x (deleted)/y", false),
	NAME("/tmp/x (deleted) (deleted)", true),
	NAME("[anon:name]", false),
	NAME("[anon:x (deleted)]", false),
	NAME("[anon_shmem:n]", false),
	NAME("[vvar_vclock]", false),
	NAME("[uprobes]", false),
	NAME("[heap]", false),
	NAME("[stack]", false),
	NAME("[vdso]", false),
	NAME("[vvar]", false),
	NAME("[some future name]", false),
	NAME("/", false),
};

static void maps_line_parse_keeps_hostile_names_byte_for_byte(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(hostile_names) / sizeof(hostile_names[0]); i++) {
		const struct name_case *c = &hostile_names[i];
		struct sbuf b = { 0 };
		struct vms_mapping m;
		char *buf;

		sbuf_add_maps_line(&b, 0x7f4c505f0000 + i * 0x1000, 0x7f4c505f1000 + i * 0x1000,
				   "r--s", 0, 0xfe, 0, 10953210 + i, c->name, c->len);
		parse_exact(b.p, b.len, &m, &buf);
		expect_header(&m, 0x7f4c505f0000 + i * 0x1000, 0x7f4c505f1000 + i * 0x1000, "r--s",
			      0, 0xfe, 0, 10953210 + i);
		expect_bytes(m.name, m.name_len, c->name, c->len);
		if (m.name_says_deleted != c->says_deleted)
			fail_msg("name \"%s\": name_says_deleted expected %d, got %d",
				 esc(c->name, c->len), c->says_deleted, m.name_says_deleted);
		unparse(buf);
		sbuf_free(&b);
	}
}

static void maps_line_parse_empty_name_says_nothing(void **state)
{
	struct vms_mapping m;
	char *buf;

	parse_exact(LINE("7f0000005000-7f0000006000 rw-p 00000000 00:00 0 "), &m, &buf);
	expect_u64(m.name_len, 0);
	expect_bool(m.name_says_deleted, false);
	unparse(buf);
}

static void maps_line_parse_reads_only_len_bytes(void **state)
{
	/* The length, not a NUL or a newline, ends the line. */
	static const char text[] = "7f0000000000-7f0000001000 r--p 00000000 fe:00 9"
				   "                          /usr/lib/libfoo.so\n"
				   "7f0000001000-7f0000002000 r--p 00000000 fe:00 9  /other";
	const char *nl = strchr(text, '\n');
	struct vms_mapping m;
	char *buf;

	parse_exact(text, (size_t)(nl - text), &m, &buf);
	expect_lit(m.name, m.name_len, "/usr/lib/libfoo.so");
	unparse(buf);
	/* A name cut by @len keeps only what is inside. */
	parse_exact(text, (size_t)(nl - text) - 3, &m, &buf);
	expect_lit(m.name, m.name_len, "/usr/lib/libfoo");
	unparse(buf);
}

static void maps_line_parse_name_points_into_line(void **state)
{
	static const char line[] = "7f0000000000-7f0000001000 r--p 00000000 fe:00 9  /a b ";
	struct vms_mapping m;

	expect_ret(vms_maps_line_parse(line, sizeof(line) - 1, &m), 0);
	if (m.name != line + sizeof(line) - 1 - 5)
		fail_msg("name points to %p, expected %p (inside the line)", (void *)m.name,
			 (void *)(line + sizeof(line) - 6));
	expect_u64(m.name_len, 5);
}

/*
 * Append a maps line of @line_len bytes (its newline included, but not appended) whose name
 * is a deep path; a 10,125-byte line is the longest seen on a real system.
 */
static void make_long_line(struct sbuf *b, size_t line_len, char **name, size_t *name_len)
{
	struct sbuf n = { 0 };
	size_t start = b->len, prefix, want;

	sbuf_add_maps_line(b, 0x7f0000000000, 0x7f0000001000, "r--p", 0, 0xfe, 0, 424242, "x", 1);
	prefix = b->len - start - 1;
	b->len = start + prefix;
	want = line_len - 1 - prefix;
	while (n.len < want - 5)
		sbuf_addf(&n, "/d%07zu", n.len);
	n.len = want - 5;
	sbuf_add(&n, "/file", 5);
	sbuf_add(b, n.p, n.len);
	*name = n.p;
	*name_len = n.len;
}

static void maps_line_parse_10125_byte_line(void **state)
{
	struct sbuf b = { 0 };
	struct vms_mapping m;
	size_t name_len;
	char *name, *buf;

	make_long_line(&b, 10125, &name, &name_len);
	expect_u64(b.len + 1, 10125);
	parse_exact(b.p, b.len, &m, &buf);
	expect_header(&m, 0x7f0000000000, 0x7f0000001000, "r--p", 0, 0xfe, 0, 424242);
	expect_bytes(m.name, m.name_len, name, name_len);
	unparse(buf);
	free(name);
	sbuf_free(&b);
}

static void maps_line_parse_rejects_malformed_lines(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"garbage",
		"Rss:                   4 kB",
		"VmFlags: rd wr mr mw me ac",
		"55eccc122000",
		"55eccc122000-",
		"55eccc122000-55eccc12d000",
		"55eccc122000-55eccc12d000 rw-p",
		"55eccc122000-55eccc12d000 rw-p 00000000",
		"55eccc122000-55eccc12d000 rw-p 00000000 00:00",
		"55eccc122000 55eccc12d000 rw-p 00000000 00:00 0",
		"55eccc12200g-55eccc12d000 rw-p 00000000 00:00 0",
		"55eccc122000-55eccc12d00g rw-p 00000000 00:00 0",
		"-55eccc12d000 rw-p 00000000 00:00 0",
		"55eccc122000-55eccc12d000 rw-p 0000000g 00:00 0",
		"55eccc122000-55eccc12d000 rw-p 00000000 0000 0",
		"55eccc122000-55eccc12d000 rw-p 00000000 00:00 x",
		"55eccc122000-55eccc12d000 rw-p 00000000 zz:00 0",
		"55eccc122000-55eccc12d000 rw- 00000000 00:00 0",
		"55eccc122000-55eccc12d000 rw-pp 00000000 00:00 0",
		/* 17 hex digits: more than 64 bits, must not wrap */
		"10000000000000000-10000000000001000 rw-p 00000000 00:00 0",
		"00000000-10000000000000000 rw-p 00000000 00:00 0",
		"00400000-00401000 rw-p 10000000000000000 00:00 0",
		/* an inode of 2^64 */
		"00400000-00401000 rw-p 00000000 00:00 18446744073709551616  /x",
		"00400000-00401000 rw-p 00000000 00:00 -1  /x",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]);
		char *buf = guarded_copy(bad[i], len);
		struct vms_mapping m;
		int ret = vms_maps_line_parse(buf, len, &m);

		if (ret != -EBADMSG)
			fail_msg("vms_maps_line_parse(\"%s\"): expected -EBADMSG, got %s",
				 esc(bad[i], len), errname(ret));
		guarded_free(buf, len);
	}
}

static void maps_line_parse_random_input_stays_inside_the_line(void **state)
{
	/* Mutations of a valid line: the parser answers 0 or -EBADMSG, and never reads out. */
	static const char base[] = "7f4c505f0000-7f4c505f1000 r--s 00000000 fe:00 10953218"
				   "                   /tmp/x (deleted)";
	static const char alphabet[] = "0123456789abcdefx-: \t\n\\()[]rwxps";
	unsigned int seed = 12345;
	int round;

	for (round = 0; round < 20000; round++) {
		size_t len = sizeof(base) - 1, k, edits;
		char *buf;
		struct vms_mapping m;
		int ret;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % (len + 1);
		buf = guarded_copy(base, len);
		edits = (seed >> 4) % 4;
		for (k = 0; k < edits && len; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % len] =
				(seed >> 20) % 3 == 0 ?
					(char)((seed >> 12) & 0xff) :
					alphabet[(seed >> 12) % (sizeof(alphabet) - 1)];
		}
		ret = vms_maps_line_parse(buf, len, &m);
		if (ret != 0 && ret != -EBADMSG)
			fail_msg("vms_maps_line_parse(\"%s\"): expected 0 or -EBADMSG, got %s",
				 esc(buf, len), errname(ret));
		if (ret == 0 && m.name_len && (m.name < buf || m.name + m.name_len > buf + len))
			fail_msg("vms_maps_line_parse(\"%s\"): name outside the line",
				 esc(buf, len));
		guarded_free(buf, len);
	}
}

/* ---- the iterator ---- */

static void maps_next_real_file_matches_line_by_line_parse(void **state)
{
	size_t len, i = 0;
	char *text = read_data("real-6.18-bash.maps", &len);
	char *p = text, *nl;
	struct map_list l;
	int fd = open_data("real-6.18-bash.maps");

	maps_collect_fd(fd, 0, &l);
	close(fd);
	expect_u64(l.n, 43);
	expect_u64(l.ebadmsg, 0);
	expect_u64(l.bad_lines, 0);
	expect_ret(l.end_ret, 0);
	expect_ret(l.finish_ret, 0);
	while ((nl = strchr(p, '\n'))) {
		struct vms_mapping m;

		expect_ret(vms_maps_line_parse(p, (size_t)(nl - p), &m), 0);
		assert_true(i < l.n);
		if (m.start != l.v[i].m.start || m.end != l.v[i].m.end ||
		    m.offset != l.v[i].m.offset || m.inode != l.v[i].m.inode ||
		    m.dev_major != l.v[i].m.dev_major || m.dev_minor != l.v[i].m.dev_minor ||
		    strcmp(m.perms, l.v[i].m.perms) != 0 || m.name_len != l.v[i].m.name_len ||
		    memcmp(m.name, l.v[i].name, m.name_len) != 0 ||
		    m.name_says_deleted != l.v[i].m.name_says_deleted)
			fail_msg("line %zu: vms_maps_next() and vms_maps_line_parse() differ",
				 i + 1);
		p = nl + 1;
		i++;
	}
	expect_u64(i, 43);

	expect_header(&l.v[0].m, 0x55eccbfed000, 0x55eccc01c000, "r--p", 0, 0xfe, 0, 247101);
	expect_lit(l.v[0].name, l.v[0].m.name_len, "/usr/bin/bash");
	expect_header(&l.v[1].m, 0x55eccc01c000, 0x55eccc0dd000, "r-xp", 0x2f000, 0xfe, 0, 247101);
	expect_header(&l.v[5].m, 0x55eccc122000, 0x55eccc12d000, "rw-p", 0, 0, 0, 0);
	expect_u64(l.v[5].m.name_len, 0);
	expect_lit(l.v[6].name, l.v[6].m.name_len, "[heap]");
	expect_header(&l.v[6].m, 0x55eccdcb6000, 0x55eccdcd7000, "rw-p", 0, 0, 0, 0);
	expect_lit(l.v[30].name, l.v[30].m.name_len,
		   "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache");
	expect_str(l.v[30].m.perms, "r--s");
	expect_lit(l.v[34].name, l.v[34].m.name_len, "[vvar_vclock]");
	expect_lit(l.v[41].name, l.v[41].m.name_len, "[stack]");
	expect_header(&l.v[42].m, 0xffffffffff600000, 0xffffffffff601000, "--xp", 0, 0, 0, 0);
	expect_lit(l.v[42].name, l.v[42].m.name_len, "[vsyscall]");
	map_list_free(&l);
	free(text);
}

static void maps_next_has_no_counters_or_vm_flags_without_smaps_flag(void **state)
{
	struct map_list l;
	int fd = open_data("real-6.18-bash.maps");
	size_t i;

	maps_collect_fd(fd, 0, &l);
	close(fd);
	for (i = 0; i < l.n; i++) {
		if (l.v[i].has_counters)
			fail_msg("mapping %zu: counters set without VMS_MAPS_SMAPS", i);
		if (l.v[i].vm_flags)
			fail_msg("mapping %zu: vm_flags \"%s\" on a maps file", i, l.v[i].vm_flags);
	}
	map_list_free(&l);
}

static void maps_next_real_hostile_names_from_this_kernel(void **state)
{
	/* Captured by data/capture-hostile-maps.py: the kernel's own text for these names. */
	static const struct name_case want[] = {
		NAME("[heap]", false),
		NAME("/memfd:my memfd\x1b]0;title\x07 (deleted)", true),
		NAME("/memfd:x (deleted)", true),
		NAME("/tmp/vmscope-capture/really (deleted)", true),
		NAME("/tmp/vmscope-capture/fake (deleted)", true),
		NAME("/tmp/vmscope-capture/\xff\xfe-invalid-utf8", false),
		NAME("/tmp/vmscope-capture/esc\x1b[2Jbel\x07", false),
		NAME("/tmp/vmscope-capture/back\\slash", false),
		NAME("/tmp/vmscope-capture/lit\\012backslash", false),
		NAME("/tmp/vmscope-capture/new\\012line", false),
		NAME("/tmp/vmscope-capture/trailing space ", false),
		NAME("/tmp/vmscope-capture/with space", false),
		NAME("[vvar]", false),
		NAME("[vvar_vclock]", false),
		NAME("[vdso]", false),
		NAME("[stack]", false),
		NAME("[vsyscall]", false),
	};
	struct map_list l;
	int fd = open_data("real-6.18-hostile.maps");
	size_t i;

	maps_collect_fd(fd, 0, &l);
	close(fd);
	expect_u64(l.n, sizeof(want) / sizeof(want[0]));
	expect_u64(l.bad_lines, 0);
	for (i = 0; i < l.n; i++) {
		expect_bytes(l.v[i].name, l.v[i].m.name_len, want[i].name, want[i].len);
		if (l.v[i].m.name_says_deleted != want[i].says_deleted)
			fail_msg("\"%s\": name_says_deleted expected %d, got %d",
				 esc(want[i].name, want[i].len), want[i].says_deleted,
				 l.v[i].m.name_says_deleted);
	}
	expect_header(&l.v[1].m, 0x7f4c505f0000, 0x7f4c505f1000, "r--s", 0, 0, 1, 1049);
	expect_header(&l.v[11].m, 0x7f4c506b4000, 0x7f4c506b5000, "r--s", 0, 0xfe, 0, 10953210);
	map_list_free(&l);
}

static void maps_next_hand_written_hostile_file(void **state)
{
	struct map_list l;
	int fd = open_data("hostile.maps");

	maps_collect_fd(fd, 0, &l);
	close(fd);
	expect_u64(l.n, 10);
	expect_u64(l.ebadmsg, 0);
	expect_u64(l.bad_lines, 0);
	expect_ret(l.end_ret, 0);
	expect_header(&l.v[0].m, 0x400000, 0x40b000, "r-xp", 0, 8, 1, 131090);
	expect_lit(l.v[0].name, l.v[0].m.name_len, "/bin/old32");
	expect_header(&l.v[1].m, 0x8048000, 0x8056000, "r-xp", 0, 3, 0xc, 64593);
	expect_lit(l.v[1].name, l.v[1].m.name_len, "/usr/sbin/gpm");
	expect_header(&l.v[2].m, 0x804a000, 0x804b000, "rw-p", 0x1000, 0x103, 2, 4294967297ULL);
	expect_lit(l.v[2].name, l.v[2].m.name_len, "/mnt/nvme/big inode");
	expect_header(&l.v[3].m, 0x7f0000000000, 0x7f0000001000, "r--s", 0x1ffffffff000ULL, 0x103,
		      2, UINT64_MAX);
	expect_lit(l.v[3].name, l.v[3].m.name_len, "/mnt/nvme/huge offset");
	expect_lit(l.v[4].name, l.v[4].m.name_len, "[anon:name]");
	expect_header(&l.v[5].m, 0x7f0000002000, 0x7f0000003000, "rw-s", 0, 0, 1, 2050);
	expect_lit(l.v[5].name, l.v[5].m.name_len, "[anon_shmem:n]");
	expect_lit(l.v[6].name, l.v[6].m.name_len, "[uprobes]");
	expect_lit(l.v[7].name, l.v[7].m.name_len, "[vvar_vclock]");
	expect_u64(l.v[8].m.name_len, 0);
	/* The last line has no newline. */
	expect_header(&l.v[9].m, 0xffffffffff600000, 0xffffffffff601000, "--xp", 0, 0, 0, 0);
	expect_lit(l.v[9].name, l.v[9].m.name_len, "[vsyscall]");
	map_list_free(&l);
}

static void maps_next_final_line_without_newline(void **state)
{
	static const char text[] = "00400000-00401000 r-xp 00000000 08:01 5  /a\n"
				   "00401000-00402000 rw-p 00000000 08:01 5  /a name ";
	struct map_list l;

	maps_collect_text(LINE(text), 0, 0, &l);
	expect_u64(l.n, 2);
	expect_lit(l.v[1].name, l.v[1].m.name_len, "/a name ");
	expect_header(&l.v[1].m, 0x401000, 0x402000, "rw-p", 0, 8, 1, 5);
	map_list_free(&l);
}

static void maps_next_empty_input_ends_at_once(void **state)
{
	struct map_list l;

	maps_collect_text("", 0, 0, 0, &l);
	expect_u64(l.n, 0);
	expect_u64(l.ebadmsg, 0);
	expect_u64(l.bad_lines, 0);
	expect_ret(l.end_ret, 0);
	expect_ret(l.finish_ret, 0);
	map_list_free(&l);
}

static void maps_next_skips_bad_lines_and_counts_them(void **state)
{
	static const char text[] = "garbage before\n"
				   "00400000-00401000 r-xp 00000000 08:01 5  /a\n"
				   "Rss:                   4 kB\n"
				   "00401000-00402000 rw-p 00000000 08:01 5  /b\n"
				   "10000000000000000-10000000000001000 rw-p 00000000 00:00 0\n"
				   "00402000-00403000 rw-p 00000000 00:00 0 \n"
				   "last garbage without newline";
	struct map_list l;

	maps_collect_text(LINE(text), 0, 0, &l);
	/* the header: bad lines are skipped and counted, never returned */
	if (l.n != 3 || l.ebadmsg != 0 || l.bad_lines != 4)
		fail_msg("expected 3 mappings, 0 returns of -EBADMSG and vms_maps_bad_lines() 4; "
			 "got %zu, %zu and %zu",
			 l.n, l.ebadmsg, l.bad_lines);
	expect_ret(l.end_ret, 0);
	expect_lit(l.v[0].name, l.v[0].m.name_len, "/a");
	expect_lit(l.v[1].name, l.v[1].m.name_len, "/b");
	expect_u64(l.v[2].m.start, 0x402000);
	expect_u64(l.v[2].m.name_len, 0);
	map_list_free(&l);
}

static void maps_next_10125_byte_line_is_not_split(void **state)
{
	static const size_t chunks[] = { 0, 1, 7, 4096 };
	struct sbuf b = { 0 };
	size_t name_len, i;
	char *name;

	sbuf_add(&b, LINE("00400000-00401000 r-xp 00000000 08:01 5  /a\n"));
	make_long_line(&b, 10125, &name, &name_len);
	sbuf_add(&b, LINE("\n00402000-00403000 rw-p 00000000 00:00 0 \n"));
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct map_list l;

		maps_collect_text(b.p, b.len, chunks[i], 0, &l);
		if (l.n != 3 || l.ebadmsg != 0)
			fail_msg("chunk %zu: expected 3 mappings and no bad line, got %zu and %zu",
				 chunks[i], l.n, l.ebadmsg);
		expect_header(&l.v[1].m, 0x7f0000000000, 0x7f0000001000, "r--p", 0, 0xfe, 0,
			      424242);
		expect_bytes(l.v[1].name, l.v[1].m.name_len, name, name_len);
		expect_u64(l.v[2].m.start, 0x402000);
		map_list_free(&l);
	}
	free(name);
	sbuf_free(&b);
}

static void maps_next_line_longer_than_64k_is_not_split(void **state)
{
	/* d_path() output is bounded by the seq_file buffer only: a deep tree prints more. */
	struct sbuf b = { 0 };
	struct map_list l;
	size_t name_len;
	char *name;

	make_long_line(&b, 70001, &name, &name_len);
	sbuf_add(&b, LINE("\n00402000-00403000 rw-p 00000000 00:00 0 \n"));
	maps_collect_text(b.p, b.len, 4096, 0, &l);
	expect_u64(l.n, 2);
	expect_u64(l.ebadmsg, 0);
	expect_bytes(l.v[0].name, l.v[0].m.name_len, name, name_len);
	map_list_free(&l);
	free(name);
	sbuf_free(&b);
}

static void maps_chunked_reads_give_identical_results(void **state)
{
	static const char *const files[] = { "real-6.18-bash.maps", "real-6.18-hostile.maps",
					     "hostile.maps" };
	static const size_t chunks[] = { 1, 7, 4096 };
	size_t f, c;

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *text = read_data(files[f], &len);
		struct map_list whole;

		maps_collect_text(text, len, 0, 0, &whole);
		assert_true(whole.n > 0);
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			struct map_list part;
			char what[128];

			snprintf(what, sizeof(what), "%s read in %zu-byte chunks", files[f],
				 chunks[c]);
			maps_collect_text(text, len, chunks[c], 0, &part);
			map_list_compare(&whole, &part, what);
			map_list_free(&part);
		}
		map_list_free(&whole);
		free(text);
	}
}

static void maps_next_reports_read_errors(void **state)
{
	/* read() on a directory fails with EISDIR: an error, never "end" or a bad line. */
	int fd = open(DATA_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct vms_maps *it = NULL;
	struct map_list l;
	int ret;

	assert_true(fd >= 0);
	ret = vms_maps_open_fd(fd, 0, &it);
	if (ret == 0) {
		maps_collect_it(it, &l);
		vms_maps_close(it);
		if (l.end_ret >= 0 || l.n != 0)
			fail_msg(
				"read error: expected a negative errno and no mapping, got %s after "
				"%zu mappings",
				errname(l.end_ret), l.n);
		map_list_free(&l);
	} else if (ret > 0) {
		fail_msg("vms_maps_open_fd(): expected 0 or a negative errno, got %d", ret);
	}
	close(fd);
}

static void maps_open_fd_does_not_close_the_fd(void **state)
{
	int fd = open_data("hostile.maps");
	struct map_list l;

	maps_collect_fd(fd, 0, &l);
	map_list_free(&l);
	if (fcntl(fd, F_GETFD) < 0)
		fail_msg("the fd given to vms_maps_open_fd() was closed by the iterator");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(maps_line_parse_real_file_mapping),
		cmocka_unit_test(maps_line_parse_anonymous_mapping_has_empty_name),
		cmocka_unit_test(maps_line_parse_accepts_missing_space_after_inode),
		cmocka_unit_test(maps_line_parse_vsyscall_address_above_2_63),
		cmocka_unit_test(maps_line_parse_8_digit_addresses),
		cmocka_unit_test(maps_line_parse_old_kernel_narrow_padding),
		cmocka_unit_test(maps_line_parse_inode_above_2_32),
		cmocka_unit_test(maps_line_parse_offset_above_2_32),
		cmocka_unit_test(maps_line_parse_device_numbers_are_hex),
		cmocka_unit_test(maps_line_parse_keeps_hostile_names_byte_for_byte),
		cmocka_unit_test(maps_line_parse_empty_name_says_nothing),
		cmocka_unit_test(maps_line_parse_reads_only_len_bytes),
		cmocka_unit_test(maps_line_parse_name_points_into_line),
		cmocka_unit_test(maps_line_parse_10125_byte_line),
		cmocka_unit_test(maps_line_parse_rejects_malformed_lines),
		cmocka_unit_test(maps_line_parse_random_input_stays_inside_the_line),
		cmocka_unit_test(maps_next_real_file_matches_line_by_line_parse),
		cmocka_unit_test(maps_next_has_no_counters_or_vm_flags_without_smaps_flag),
		cmocka_unit_test(maps_next_real_hostile_names_from_this_kernel),
		cmocka_unit_test(maps_next_hand_written_hostile_file),
		cmocka_unit_test(maps_next_final_line_without_newline),
		cmocka_unit_test(maps_next_empty_input_ends_at_once),
		cmocka_unit_test(maps_next_skips_bad_lines_and_counts_them),
		cmocka_unit_test(maps_next_10125_byte_line_is_not_split),
		cmocka_unit_test(maps_next_line_longer_than_64k_is_not_split),
		cmocka_unit_test(maps_chunked_reads_give_identical_results),
		cmocka_unit_test(maps_next_reports_read_errors),
		cmocka_unit_test(maps_open_fd_does_not_close_the_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
