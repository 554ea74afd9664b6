// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of snapshot archives (hostile ones made here) and of the sparse u64 writer. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "private.h"
#include "unit.h"

/* A work directory of the test's own, and in it the $TMPDIR the library unpacks into. */
static char work[PATH_MAX], tmp[PATH_MAX + 16], outside[PATH_MAX + 16];

#define NOT_AN_ARCHIVE \
	"not a vmscope snapshot archive (a tar file, plain or compressed with gzip, xz or zstd)"

/* ---- the test snapshot ---- */

static const char description[] = "format 1\nkernel 6.1.0-test\npage_size 4096\n"
				  "time 2026-01-02T03:04:05Z\nprivileged 0\nhost archive-test\n";

static const struct {
	const char *path, *text;
	size_t len;
} snap_files[] = {
	{ "vmscope-snapshot", description, sizeof(description) - 1 },
	{ "proc/meminfo", "MemTotal:       16318412 kB\nMemFree:         1234567 kB\n", 0 },
	{ "proc/1/stat",
	  "1 (init) S 0 1 1 0 -1 4194560 2000 0 10 0 5 7 0 0 20 0 1 0 9 172032000 3000 "
	  "18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 "
	  "0 0 0\n",
	  0 },
	{ "proc/1/status", "Name:\tinit\nUid:\t0\t0\t0\t0\nVmRSS:\t   12000 kB\n", 0 },
	{ "proc/1/cmdline", "/sbin/init\0splash\0", 18 },
	{ "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0 },
};
#define EXE_TARGET "/usr/lib/systemd/systemd (deleted)"

static size_t file_len(size_t i)
{
	return snap_files[i].len ? snap_files[i].len : strlen(snap_files[i].text);
}

/* ---- archives written with libarchive, into memory ---- */

static la_ssize_t sbuf_write(struct archive *a, void *data, const void *buf, size_t n)
{
	(void)a;
	sbuf_add(data, buf, n);
	return (la_ssize_t)n;
}

static struct archive *arc_start(struct sbuf *out, const char *filter)
{
	struct archive *a = archive_write_new();

	assert_non_null(a);
	expect_ret(archive_write_set_format_pax(a), ARCHIVE_OK);
	if (filter)
		expect_ret(archive_write_add_filter_by_name(a, filter), ARCHIVE_OK);
	/* no padding to 10 KiB: every byte offset of the archive is a truncation */
	expect_ret(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	expect_ret(archive_write_open(a, out, NULL, sbuf_write, NULL), ARCHIVE_OK);
	return a;
}

static void arc_entry(struct archive *a, const char *path, mode_t type, const void *data,
		      size_t len, const char *link)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t)len : 0);
	if (type == AE_IFLNK)
		archive_entry_set_symlink(e, link);
	else if (link)
		archive_entry_set_hardlink(e, link);
	if (type == AE_IFCHR || type == AE_IFBLK)
		archive_entry_set_rdev(e, makedev(1, 5));
	if (archive_write_header(a, e) != ARCHIVE_OK)
		fail_msg("writing the header of %s: %s", path, archive_error_string(a));
	if (type == AE_IFREG && len)
		expect_i64(archive_write_data(a, data, len), (int64_t)len);
	archive_entry_free(e);
}

static void arc_file(struct archive *a, const char *path, const char *text)
{
	arc_entry(a, path, AE_IFREG, text, strlen(text), NULL);
}

static void arc_finish(struct archive *a)
{
	expect_ret(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* The whole test snapshot, and then what @more adds. */
static void snapshot_into(struct archive *a, void (*more)(struct archive *a))
{
	arc_entry(a, "./", AE_IFDIR, NULL, 0, NULL);
	arc_entry(a, "./vmscope-snapshot", AE_IFREG, description, sizeof(description) - 1, NULL);
	arc_entry(a, "./proc/", AE_IFDIR, NULL, 0, NULL);
	arc_entry(a, "./proc/1/", AE_IFDIR, NULL, 0, NULL);
	for (size_t i = 1; i < sizeof(snap_files) / sizeof(snap_files[0]); i++)
		arc_entry(a, snap_files[i].path, AE_IFREG, snap_files[i].text, file_len(i), NULL);
	arc_entry(a, "proc/1/exe", AE_IFLNK, NULL, 0, EXE_TARGET);
	if (more)
		more(a);
}

static char *snapshot_archive(const char *filter, void (*more)(struct archive *a), size_t *len)
{
	struct sbuf b = { 0 };
	struct archive *a = arc_start(&b, filter);

	snapshot_into(a, more);
	arc_finish(a);
	*len = b.len;
	return b.p;
}

/* An archive of the description file and what @add puts after it. */
static char *hostile_archive(void (*add)(struct archive *a), size_t *len)
{
	struct sbuf b = { 0 };
	struct archive *a = arc_start(&b, NULL);

	arc_entry(a, "vmscope-snapshot", AE_IFREG, description, sizeof(description) - 1, NULL);
	arc_entry(a, "proc/", AE_IFDIR, NULL, 0, NULL);
	add(a);
	arc_finish(a);
	*len = b.len;
	return b.p;
}

/* ---- files and checks ---- */

static const char *work_file(const char *name, const void *buf, size_t len)
{
	static char path[4][PATH_MAX + NAME_MAX + 2];
	static unsigned int slot;
	char *p = path[slot++ % 4];
	int fd;

	snprintf(p, sizeof(path[0]), "%s/%s", work, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fail_msg("%s: %s", p, strerror(errno));
	if (len && write(fd, buf, len) != (ssize_t)len)
		fail_msg("writing %s: %s", p, strerror(errno));
	close(fd);
	return p;
}

/* The first name in @dir, or NULL when it is empty. */
static const char *first_entry(const char *dir)
{
	static char name[NAME_MAX + 1];
	DIR *d = opendir(dir);
	struct dirent *de;
	const char *ret = NULL;

	if (!d)
		fail_msg("%s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(name, sizeof(name), "%s", de->d_name);
			ret = name;
			break;
		}
	closedir(d);
	return ret;
}

static void expect_tmp_empty(const char *when)
{
	const char *left = first_entry(tmp);

	if (left)
		fail_msg("%s: '%s' was left in $TMPDIR", when, left);
	left = first_entry(outside);
	if (left)
		fail_msg("%s: '%s' was written outside the snapshot", when, left);
}

/* vms_ctx_open() on @path must fail with @want and exactly the reason @why. */
static void expect_refused(const char *path, int want, const char *why_want)
{
	struct vms_ctx *ctx = NULL;
	char *why = NULL;
	int ret = vms_ctx_open(path, 0, &ctx, &why);

	if (ret != want)
		fail_msg("%s: expected %s (%s), got %s (%s)", path, errname(want), why_want,
			 errname(ret), why ? why : "no reason");
	assert_null(ctx);
	expect_str(why, why_want);
	free(why);
	expect_tmp_empty(why_want);
}

static void expect_refused_archive(const char *buf, size_t len, int want, const char *why_want)
{
	expect_refused(work_file("hostile.tar", buf, len), want, why_want);
}

static char *read_at(struct vms_ctx *ctx, const char *rel, size_t *len)
{
	int fd = vms_ctx_openat(ctx, rel, 0);
	size_t cap = 65536;
	char *buf = malloc(cap);
	ssize_t n;

	if (fd < 0)
		fail_msg("vms_ctx_openat(%s): %s", rel, errname(fd));
	assert_non_null(buf);
	n = read(fd, buf, cap);
	close(fd);
	assert_true(n >= 0);
	*len = (size_t)n;
	return buf;
}

/* Every file of the test snapshot is there, byte for byte, and the exe link too. */
static void expect_whole_snapshot(struct vms_ctx *ctx)
{
	struct vms_counters *mi;
	struct vms_proc *p;
	char *exe;
	uint64_t v;

	for (size_t i = 0; i < sizeof(snap_files) / sizeof(snap_files[0]); i++) {
		size_t len;
		char *got = read_at(ctx, snap_files[i].path, &len);

		expect_bytes(got, len, snap_files[i].text, file_len(i));
		free(got);
	}
	expect_str(vms_ctx_snapshot_info(ctx, "host"), "archive-test");
	expect_u64(vms_ctx_page_size(ctx), 4096);
	expect_ret(vms_meminfo_read(ctx, &mi), 0);
	expect_ret(vms_counters_find(mi, "MemTotal", &v), 0);
	expect_u64(v, 16318412ULL * 1024);
	vms_counters_free(mi);
	expect_ret(vms_proc_open(ctx, 1, &p), 0);
	expect_ret(vms_proc_exe(p, &exe), 0);
	expect_str(exe, EXE_TARGET);
	free(exe);
	vms_proc_close(p);
}

/* ---- archives that are snapshots ---- */

static void archive_of_each_kind_reads_like_a_directory(void **state)
{
	static const char *filters[] = { NULL, "gzip", "xz", "zstd" };

	for (size_t f = 0; f < 4; f++) {
		struct vms_ctx *ctx = NULL;
		char *why = (char *)"unset", path[PATH_MAX * 2], *buf;
		const char *name, *p;
		struct stat st;
		size_t len;

		buf = snapshot_archive(filters[f], NULL, &len);
		p = work_file(filters[f] ? filters[f] : "plain", buf, len);
		free(buf);
		expect_ret(vms_ctx_open(p, 0, &ctx, &why), 0);
		assert_null(why);
		expect_str(vms_ctx_root(ctx), p);
		expect_bool(vms_ctx_is_live(ctx), false);
		expect_whole_snapshot(ctx);

		/* one private directory while the context lives, whatever the umask was */
		name = first_entry(tmp);
		assert_non_null(name);
		snprintf(path, sizeof(path), "%s/%s", tmp, name);
		expect_ret(lstat(path, &st), 0);
		expect_u64(st.st_mode & 07777, 0700);
		expect_bool(S_ISDIR(st.st_mode), true);
		snprintf(path, sizeof(path), "%s/%s/proc/meminfo", tmp, name);
		expect_ret(lstat(path, &st), 0);
		expect_u64(st.st_mode & 07777, 0600);

		assert_ptr_equal(vms_ctx_ref(ctx), ctx);
		assert_null(vms_ctx_unref(ctx));
		assert_non_null(first_entry(tmp));
		assert_null(vms_ctx_unref(ctx));
		expect_tmp_empty("after the last unref");
	}
}

static void archive_unpacks_under_any_umask(void **state)
{
	struct vms_ctx *ctx = NULL;
	size_t len;
	char *buf = snapshot_archive("zstd", NULL, &len);
	const char *p = work_file("umask.tar.zst", buf, len);
	mode_t old = umask(0277);

	free(buf);
	expect_ret(vms_ctx_open(p, 0, &ctx, NULL), 0);
	umask(old);
	expect_whole_snapshot(ctx);
	vms_ctx_unref(ctx);
	expect_tmp_empty("umask 0277");
}

static void zeros_after_the_end_are_not_read(void **state)
{
	/* the end-of-archive blocks end the reading: the rest is never decompressed */
	static char zeros[1 << 20];
	struct sbuf b = { 0 }, frame = { 0 };
	struct archive *a;
	struct vms_ctx *ctx = NULL;
	struct timespec t0, t1;

	a = arc_start(&b, "zstd");
	snapshot_into(a, NULL);
	arc_finish(a);
	a = archive_write_new();
	archive_write_set_format_raw(a);
	archive_write_add_filter_zstd(a);
	archive_write_set_bytes_per_block(a, 0);
	expect_ret(archive_write_open(a, &frame, NULL, sbuf_write, NULL), ARCHIVE_OK);
	{
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, "zeros");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_size(e, sizeof(zeros));
		expect_ret(archive_write_header(a, e), ARCHIVE_OK);
		expect_i64(archive_write_data(a, zeros, sizeof(zeros)), (int64_t)sizeof(zeros));
		archive_entry_free(e);
	}
	arc_finish(a);
	for (int i = 0; i < 5 * 1024; i++) /* 5 GiB */
		sbuf_add(&b, frame.p, frame.len);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_ret(vms_ctx_open(work_file("trailing-zeros.tar.zst", b.p, b.len), 0, &ctx, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	expect_whole_snapshot(ctx);
	vms_ctx_unref(ctx);
	if (t1.tv_sec - t0.tv_sec > 10)
		fail_msg("took %ld s", (long)(t1.tv_sec - t0.tv_sec));
	sbuf_free(&b);
	sbuf_free(&frame);
	expect_tmp_empty("trailing zeros");
}

/* ---- the description file: the same reasons for a directory and an archive ---- */

static void make_dir_snapshot(const char *dir, const char *desc)
{
	char p[PATH_MAX * 2];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", work, dir);
	expect_ret(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/%s/etc", work, dir);
	expect_ret(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/%s/etc/passwd", work, dir);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	if (!desc)
		return;
	snprintf(p, sizeof(p), "%s/%s/vmscope-snapshot", work, dir);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_true(write(fd, desc, strlen(desc)) == (ssize_t)strlen(desc));
	close(fd);
}

static void description_reasons_are_the_same_for_a_directory(void **state)
{
	static const struct {
		const char *desc;
		int ret;
		const char *why;
	} cases[] = {
		{ "format 9\nkernel 9.9\n", -EPROTO,
		  "unsupported snapshot format 9 (this build reads <= 1)" },
		{ "format 1x\n", -EPROTO,
		  "unsupported snapshot format 1x (this build reads <= 1)" },
		{ "format \x1b[2J\n", -EPROTO,
		  "unsupported snapshot format \\x1b[2J (this build reads <= 1)" },
		{ "kernel 6.1\n", -EPROTO, "vmscope-snapshot: no format line" },
		{ "format1\n", -EPROTO, "vmscope-snapshot: bad line 'format1'" },
		{ "format 1\npage_size 4000\n", -EPROTO, "vmscope-snapshot: bad page_size '4000'" },
		{ NULL, -ENOENT, "not a vmscope snapshot: no vmscope-snapshot file" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbuf b = { 0 };
		struct archive *a = arc_start(&b, "gzip");
		char dir[32], path[PATH_MAX + 64];

		snprintf(dir, sizeof(dir), "desc%zu", i);
		make_dir_snapshot(dir, cases[i].desc);
		if (cases[i].desc)
			arc_file(a, "vmscope-snapshot", cases[i].desc);
		arc_entry(a, "etc/passwd", AE_IFREG, "", 0, NULL);
		arc_finish(a);
		expect_refused(work_file("desc.tar.gz", b.p, b.len), cases[i].ret, cases[i].why);
		snprintf(path, sizeof(path), "%s/%s", work, dir);
		expect_refused(path, cases[i].ret, cases[i].why);
		sbuf_free(&b);
	}
}

/* ---- truncation at every byte offset ---- */

static void truncated_everywhere(const char *filter)
{
	size_t len, opened = 0, not_archive = 0;
	char *full = snapshot_archive(filter, NULL, &len);

	for (size_t n = 0; n < len; n++) {
		struct vms_ctx *ctx = NULL;
		char *why = NULL, want[64];
		int ret = vms_ctx_open(work_file("cut.tar", full, n), 0, &ctx, &why);

		if (ret == 0) {
			/* only the end-of-archive blocks may be cut: all the rest is there */
			expect_whole_snapshot(ctx);
			vms_ctx_unref(ctx);
			opened++;
		} else if (n == 0) {
			expect_ret(ret, -ENOTDIR);
			expect_str(why, "not a vmscope snapshot archive: an empty file");
		} else if (ret == -ENOTDIR) {
			/* less than a tar header, or less than a compressed stream's magic */
			expect_str(why, NOT_AN_ARCHIVE);
			not_archive++;
		} else {
			snprintf(want, sizeof(want), "snapshot truncated at byte %zu", n);
			expect_ret(ret, -EPROTO);
			expect_str(why, want);
		}
		free(why);
		expect_tmp_empty("a truncated archive");
	}
	if (!filter) {
		/* the first of the two end blocks is enough; a header needs 512 bytes */
		expect_u64(opened, 512);
		expect_u64(not_archive, 511);
	} else {
		expect_u64(opened, 0);
		if (not_archive > 4)
			fail_msg("%zu cuts of the %s stream were not taken for one", not_archive,
				 filter);
	}
	free(full);
}

static void truncated_plain_tar_at_every_offset(void **state)
{
	truncated_everywhere(NULL);
}

static void truncated_zstd_tar_at_every_offset(void **state)
{
	truncated_everywhere("zstd");
}

/* ---- hostile entries ---- */

static void add_dotdot(struct archive *a)
{
	arc_file(a, "../etc/x", "x");
}

static void add_dotdot_inside(struct archive *a)
{
	arc_file(a, "proc/1/../../../x", "x");
}

static void add_absolute(struct archive *a)
{
	arc_file(a, "/etc/x", "x");
}

static void add_empty_component(struct archive *a)
{
	arc_file(a, "proc//x", "x");
}

static void add_control(struct archive *a)
{
	arc_file(a, "proc/a\x1b[2Jb", "x");
}

static void add_symlink_dir(struct archive *a)
{
	arc_entry(a, "proc", AE_IFLNK, NULL, 0, outside);
	arc_file(a, "proc/x", "x");
}

static void add_through_exe(struct archive *a)
{
	arc_entry(a, "proc/1/exe", AE_IFLNK, NULL, 0, outside);
	arc_file(a, "proc/1/exe/x", "x");
}

static void add_exe_elsewhere(struct archive *a)
{
	arc_entry(a, "proc/1/task/1/exe", AE_IFLNK, NULL, 0, "/bin/sh");
}

static void add_hardlink(struct archive *a)
{
	arc_file(a, "proc/meminfo", "MemTotal: 1 kB\n");
	arc_entry(a, "proc/vmstat", AE_IFREG, NULL, 0, "proc/meminfo");
}

static void add_hardlink_out(struct archive *a)
{
	arc_entry(a, "etc/passwd", AE_IFREG, NULL, 0, "/etc/passwd");
}

static void add_chr(struct archive *a)
{
	arc_entry(a, "proc/kcore", AE_IFCHR, NULL, 0, NULL);
}

static void add_blk(struct archive *a)
{
	arc_entry(a, "proc/sda", AE_IFBLK, NULL, 0, NULL);
}

static void add_fifo(struct archive *a)
{
	arc_entry(a, "proc/meminfo", AE_IFIFO, NULL, 0, NULL);
}

static void add_twice(struct archive *a)
{
	arc_file(a, "proc/meminfo", "MemTotal: 1 kB\n");
	arc_file(a, "proc/meminfo", "MemTotal: 2 kB\n");
}

static void add_file_then_dir(struct archive *a)
{
	arc_file(a, "proc/1", "x");
	arc_entry(a, "proc/1/", AE_IFDIR, NULL, 0, NULL);
}

static void add_long_path(struct archive *a)
{
	char p[4200];

	memcpy(p, "proc/", 5);
	for (size_t i = 5; i < 4196; i += 2)
		memcpy(p + i, "a/", 2);
	strcpy(p + 4195, "x");
	arc_file(a, p, "x");
}

static void add_sparse(struct archive *a)
{
	struct archive_entry *e = archive_entry_new();
	char data[1024] = { 'x' };

	archive_entry_set_pathname(e, "proc/1/pagemap");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, 1 << 20);
	archive_entry_sparse_add_entry(e, 0, 512);
	archive_entry_sparse_add_entry(e, 65536, 512);
	expect_ret(archive_write_header(a, e), ARCHIVE_OK);
	archive_write_data(a, data, sizeof(data));
	archive_entry_free(e);
}

static void hostile_entries_are_refused(void **state)
{
	static const struct {
		void (*add)(struct archive *a);
		const char *why;
	} cases[] = {
		{ add_dotdot, "archive entry '../etc/x' leaves the snapshot" },
		{ add_dotdot_inside, "archive entry 'proc/1/../../../x' leaves the snapshot" },
		{ add_absolute, "archive entry '/etc/x' leaves the snapshot" },
		{ add_empty_component, "archive entry 'proc//x' has an empty path component" },
		{ add_control,
		  "archive entry 'proc/a\\x1b[2Jb' has a control character in its name" },
		{ add_symlink_dir,
		  "archive entry 'proc' is a symbolic link (only proc/PID/exe may be one)" },
		{ add_through_exe,
		  "archive entry 'proc/1/exe/x' is below something that is not a directory" },
		{ add_exe_elsewhere, "archive entry 'proc/1/task/1/exe' is a symbolic link (only "
				     "proc/PID/exe may be one)" },
		{ add_hardlink, "archive entry 'proc/vmstat' is a hard link" },
		{ add_hardlink_out, "archive entry 'etc/passwd' is a hard link" },
		{ add_chr, "archive entry 'proc/kcore' is a character device" },
		{ add_blk, "archive entry 'proc/sda' is a block device" },
		{ add_fifo, "archive entry 'proc/meminfo' is a FIFO" },
		{ add_twice, "archive entry 'proc/meminfo' appears twice" },
		{ add_file_then_dir, "archive entry 'proc/1/' appears twice" },
		{ add_sparse, "archive entry 'proc/1/pagemap' is a sparse file" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		char *buf = hostile_archive(cases[i].add, &len);

		expect_refused_archive(buf, len, -EPROTO, cases[i].why);
		free(buf);
	}
}

static void a_path_over_4096_bytes_is_refused(void **state)
{
	struct vms_ctx *ctx = NULL;
	char *why = NULL;
	size_t len;
	char *buf = hostile_archive(add_long_path, &len);

	expect_ret(vms_ctx_open(work_file("long.tar", buf, len), 0, &ctx, &why), -EPROTO);
	free(buf);
	assert_non_null(why);
	if (strncmp(why, "archive entry 'proc/a/a/", 24) ||
	    !strstr(why, "...' has a path longer than 4096 bytes"))
		fail_msg("unexpected reason: %s", why);
	free(why);
	expect_tmp_empty("a long path");
}

static void not_an_archive_is_refused(void **state)
{
	struct sbuf b = { 0 };
	struct archive *a;
	struct archive_entry *e;
	size_t len;
	char *buf;

	for (int i = 0; i < 100; i++)
		sbuf_add(&b, "not a tar file at all\n", 22);
	expect_refused_archive(b.p, b.len, -ENOTDIR, NOT_AN_ARCHIVE);
	sbuf_free(&b);

	/* a gzip stream of something else than a tar */
	a = archive_write_new();
	archive_write_set_format_raw(a);
	archive_write_add_filter_gzip(a);
	archive_write_set_bytes_per_block(a, 0);
	expect_ret(archive_write_open(a, &b, NULL, sbuf_write, NULL), ARCHIVE_OK);
	e = archive_entry_new();
	archive_entry_set_pathname(e, "text");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, 3000);
	expect_ret(archive_write_header(a, e), ARCHIVE_OK);
	for (int i = 0; i < 100; i++)
		archive_write_data(a, "thirty bytes of plain text...\n", 30);
	archive_entry_free(e);
	arc_finish(a);
	expect_refused_archive(b.p, b.len, -ENOTDIR, NOT_AN_ARCHIVE);
	sbuf_free(&b);

	/* a damaged header in the middle: its checksum no longer matches */
	buf = snapshot_archive(NULL, NULL, &len);
	buf[3 * 512 + 10] ^= 0x40;
	{
		struct vms_ctx *ctx = NULL;
		char *why = NULL;

		expect_ret(vms_ctx_open(work_file("damaged.tar", buf, len), 0, &ctx, &why),
			   -EPROTO);
		if (!why || strncmp(why, "snapshot corrupt at byte ", 25) ||
		    !strstr(why, ": Damaged tar archive"))
			fail_msg("unexpected reason: %s", why ? why : "none");
		free(why);
	}
	free(buf);
	expect_tmp_empty("a damaged header");
}

/* ---- roots that are not snapshots ---- */

static void on_alarm(int sig)
{
	static const char msg[] = "test_snapshot: an open blocked\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static void roots_that_are_no_snapshot_are_refused_at_once(void **state)
{
	char p[PATH_MAX * 2];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	signal(SIGALRM, on_alarm);
	alarm(30);
	snprintf(p, sizeof(p), "%s/fifo", work);
	expect_ret(mkfifo(p, 0600), 0);
	expect_refused(p, -ENOTDIR, "not a snapshot: a FIFO");
	expect_refused("/dev/zero", -ENOTDIR, "not a snapshot: a character device");
	expect_refused("/dev/urandom", -ENOTDIR, "not a snapshot: a character device");
	snprintf(p, sizeof(p), "%s/zero-link", work);
	expect_ret(symlink("/dev/zero", p), 0);
	expect_refused(p, -ENOTDIR, "not a snapshot: a character device");
	/* 1 TiB of zeros, as a sparse file: an empty tar, read no further than its end */
	snprintf(p, sizeof(p), "%s/sparse-tib", work);
	s = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(s >= 0);
	if (ftruncate(s, 1LL << 40) == 0)
		expect_refused(p, -ENOENT, "not a vmscope snapshot: no vmscope-snapshot file");
	close(s);
	unlink(p);
	expect_refused(work_file("empty", "", 0), -ENOTDIR,
		       "not a vmscope snapshot archive: an empty file");
	snprintf(p, sizeof(p), "%s/no-such-file", work);
	expect_refused(p, -ENOENT, "No such file or directory");
	if (strlen(work) + 6 < sizeof(sa.sun_path)) {
		memcpy(sa.sun_path, work, strlen(work));
		memcpy(sa.sun_path + strlen(work), "/sock", 6);
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(s >= 0);
		expect_ret(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
		expect_refused(sa.sun_path, -ENOTDIR, "not a snapshot: a socket");
		close(s);
	}
	alarm(0);
}

static void an_unusable_tmpdir_is_an_error(void **state)
{
	char p[PATH_MAX * 2], want[PATH_MAX * 3];
	size_t len;
	char *buf = snapshot_archive(NULL, NULL, &len);
	const char *arc = work_file("tmpdir.tar", buf, len);

	free(buf);
	snprintf(p, sizeof(p), "%s/no-such-dir", work);
	setenv("TMPDIR", p, 1);
	snprintf(want, sizeof(want), "temporary directory %s: No such file or directory", p);
	expect_refused(arc, -ENOENT, want);
	setenv("TMPDIR", tmp, 1);
}

static void a_write_error_removes_the_directory(void **state)
{
	/* the error path of ENOSPC, with a file size limit in place of a full disk */
	static char big[100000];
	struct rlimit old, small = { 4096, 0 };
	const char *p;

	{
		struct sbuf b = { 0 };
		struct archive *a = arc_start(&b, "zstd");

		snapshot_into(a, NULL);
		arc_entry(a, "proc/big", AE_IFREG, big, sizeof(big), NULL);
		arc_finish(a);
		p = work_file("big.tar.zst", b.p, b.len);
		sbuf_free(&b);
	}
	expect_ret(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	expect_ret(setrlimit(RLIMIT_FSIZE, &small), 0);
	{
		struct vms_ctx *ctx = NULL;
		char *why = NULL;
		int ret = vms_ctx_open(p, 0, &ctx, &why);

		setrlimit(RLIMIT_FSIZE, &old);
		expect_ret(ret, -EFBIG);
		expect_str(why, "unpacking 'proc/big': File too large");
		free(why);
	}
	signal(SIGXFSZ, SIG_DFL);
	expect_tmp_empty("a write error");
}

/* In a child, in a mount namespace of its own: unpack into a 64 KiB tmpfs.  Exit
 * 0 when it fails with ENOSPC and leaves nothing, 77 when it cannot be tried. */
static int full_disk_child(const char *arc)
{
	char dir[PATH_MAX + 16], *why = NULL;
	struct vms_ctx *ctx = NULL;
	int ret;

	snprintf(dir, sizeof(dir), "%s/tiny", work);
	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mkdir(dir, 0700) < 0 || mount("tmpfs", dir, "tmpfs", 0, "size=64k") < 0)
		return 77;
	setenv("TMPDIR", dir, 1);
	ret = vms_ctx_open(arc, 0, &ctx, &why);
	if (ret != -ENOSPC || !why || strncmp(why, "unpacking '", 11) ||
	    !strstr(why, "': No space left on device")) {
		fprintf(stderr, "expected -ENOSPC, got %s (%s)\n", errname(ret), why ? why : "");
		return 1;
	}
	if (first_entry(dir)) {
		fprintf(stderr, "'%s' was left in the full $TMPDIR\n", first_entry(dir));
		return 1;
	}
	return 0;
}

static void a_full_disk_removes_the_directory(void **state)
{
	static char big[256 * 1024];
	struct sbuf b = { 0 };
	struct archive *a = arc_start(&b, "zstd");
	const char *p;
	int status;
	pid_t pid;

	snapshot_into(a, NULL);
	arc_entry(a, "proc/big", AE_IFREG, big, sizeof(big), NULL);
	arc_finish(a);
	p = work_file("full.tar.zst", b.p, b.len);
	sbuf_free(&b);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(full_disk_child(p));
	assert_true(waitpid(pid, &status, 0) == pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		print_message("SKIP: a tmpfs in a mount namespace of its own needs root\n");
		skip();
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("unpacking into a full tmpfs: status %#x", status);
	{
		char dir[PATH_MAX + 16];

		snprintf(dir, sizeof(dir), "%s/tiny", work);
		rmdir(dir);
	}
	expect_tmp_empty("a full disk");
}

/* ---- limits ---- */

/* A ustar header block for a regular file of @size bytes, made by hand. */
static void tar_header(unsigned char *h, const char *name, uint64_t size)
{
	unsigned int sum = 0;

	memset(h, 0, 512);
	snprintf((char *)h, 100, "%s", name);
	memcpy(h + 100, "0000600", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
	memcpy(h + 136, "00000000000", 12);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

/* One zstd frame of @len bytes of @data. */
static void zstd_frame(struct sbuf *out, const void *data, size_t len)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	archive_write_set_format_raw(a);
	archive_write_add_filter_zstd(a);
	archive_write_set_bytes_per_block(a, 0);
	expect_ret(archive_write_open(a, out, NULL, sbuf_write, NULL), ARCHIVE_OK);
	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)len);
	expect_ret(archive_write_header(a, e), ARCHIVE_OK);
	expect_i64(archive_write_data(a, data, len), (int64_t)len);
	archive_entry_free(e);
	arc_finish(a);
}

/* A zstd stream of the description, then a file of @size zero bytes, made of
 * small frames of 1 MiB each. */
static void bomb(uint64_t size, const char *why)
{
	static unsigned char zeros[1 << 20];
	struct sbuf tar = { 0 }, z = { 0 }, frame = { 0 };
	struct archive *a = arc_start(&tar, NULL);
	unsigned char h[512];
	struct timespec t0, t1;

	arc_entry(a, "vmscope-snapshot", AE_IFREG, description, sizeof(description) - 1, NULL);
	arc_finish(a);
	tar.len -= 1024; /* no end-of-archive blocks */
	tar_header(h, "proc/big", size);
	sbuf_add(&tar, h, sizeof(h));
	zstd_frame(&z, tar.p, tar.len);
	zstd_frame(&frame, zeros, sizeof(zeros));
	for (uint64_t i = 0; i < (size >> 20) + 1; i++)
		sbuf_add(&z, frame.p, frame.len);
	if (z.len > (1 << 20))
		fail_msg("the bomb takes %zu bytes", z.len);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_refused_archive(z.p, z.len, -EFBIG, why);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (t1.tv_sec - t0.tv_sec > 5)
		fail_msg("stopping took %ld s", (long)(t1.tv_sec - t0.tv_sec));
	sbuf_free(&tar);
	sbuf_free(&z);
	sbuf_free(&frame);
}

static void a_decompression_bomb_stops_at_once(void **state)
{
	bomb(5ULL << 30, "more than 4096 MiB when unpacked (a decompression bomb?)");
	bomb(3ULL << 30, "archive entry 'proc/big' is larger than 2048 MiB");
}

static int unpack_with(const struct vms_unpack_limits *lim, const char *buf, size_t len, char **why)
{
	struct vms_unpacked u;
	int fd = open(work_file("limits.tar", buf, len), O_RDONLY | O_CLOEXEC);
	int ret;

	assert_true(fd >= 0);
	*why = NULL;
	ret = vms_archive_unpack(fd, lim, &u, why);
	close(fd);
	if (ret == 0) {
		assert_non_null(first_entry(tmp));
		vms_unpacked_remove(&u);
	}
	expect_tmp_empty("unpacking with limits");
	return ret;
}

static void add_three_files(struct archive *a)
{
	static char data[40000];

	arc_entry(a, "proc/a", AE_IFREG, data, sizeof(data), NULL);
	arc_entry(a, "proc/b", AE_IFREG, data, sizeof(data), NULL);
	arc_entry(a, "proc/c", AE_IFREG, data, sizeof(data), NULL);
}

static void add_one_big_file(struct archive *a)
{
	static char data[70000];

	arc_entry(a, "proc/a", AE_IFREG, data, sizeof(data), NULL);
}

static void add_entries(struct archive *a)
{
	for (int i = 0; i < 7; i++) {
		char p[32];

		snprintf(p, sizeof(p), "proc/%d", i + 1);
		arc_entry(a, p, AE_IFDIR, NULL, 0, NULL);
	}
}

#define PATH65 "proc/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static void add_path65(struct archive *a)
{
	assert_int_equal(strlen(PATH65), 65);
	arc_file(a, PATH65, "x");
}

static void limits_are_counted(void **state)
{
	static const struct vms_unpack_limits lim = {
		.total = 100000, .file = 60000, .entries = 8, .path = 64
	};
	static const struct {
		void (*add)(struct archive *a);
		int ret;
		const char *why;
	} cases[] = {
		{ add_three_files, -EFBIG,
		  "more than 100000 bytes when unpacked (a decompression bomb?)" },
		{ add_one_big_file, -EFBIG, "archive entry 'proc/a' is larger than 60000 bytes" },
		{ add_entries, -EFBIG, "more than 8 archive entries" },
		{ add_path65, -EPROTO,
		  "archive entry '" PATH65 "' has a path longer than 64 bytes" },
	};
	struct vms_unpack_limits roomy = lim;
	char *why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		char *buf = hostile_archive(cases[i].add, &len);

		expect_ret(unpack_with(&lim, buf, len, &why), cases[i].ret);
		expect_str(why, cases[i].why);
		free(why);
		/* and one more of each allowed: then it unpacks */
		roomy.total = 120000 + sizeof(description);
		roomy.file = 70000;
		roomy.entries = 10;
		roomy.path = 65;
		expect_ret(unpack_with(&roomy, buf, len, &why), 0);
		assert_null(why);
		free(buf);
	}
}

/* ---- the sparse u64 writer ---- */

struct run {
	uint64_t first;
	size_t n;
	uint64_t *v;
};

static void write_runs(int fd, const struct run *runs, size_t nruns)
{
	struct vms_sparse_writer *w;

	expect_ret(vms_sparse_writer_new(fd, &w), 0);
	for (size_t i = 0; i < nruns; i++)
		expect_ret(vms_sparse_writer_add(w, runs[i].first, runs[i].v, runs[i].n), 0);
	expect_ret(vms_sparse_writer_finish(w), 0);
}

/* Runs with a gap, two adjacent adds, zeros, one longer than a record and one at 2^64 - 1. */
static size_t test_runs(struct run *r)
{
	static uint64_t a[] = { 1, 2, 3 }, b[] = { 4 }, c[] = { 0, 0, 5 },
			e[] = { 7, 8, 9, 10, 11 };
	static uint64_t *d;

	if (!d) {
		d = malloc(200000 * sizeof(*d));
		assert_non_null(d);
		for (size_t i = 0; i < 200000; i++)
			d[i] = i * 3 + 0x8000000000000001ULL;
	}
	r[0] = (struct run){ 10, 3, a };
	r[1] = (struct run){ 13, 1, b };
	r[2] = (struct run){ 100, 3, c };
	r[3] = (struct run){ 1ULL << 40, 200000, d };
	r[4] = (struct run){ UINT64_MAX - 5, 5, e };
	return 5;
}

static uint64_t expected_at(const struct run *r, size_t n, uint64_t index, bool *found)
{
	for (size_t i = 0; i < n; i++)
		if (index >= r[i].first && index - r[i].first < r[i].n) {
			*found = true;
			return r[i].v[index - r[i].first];
		}
	*found = false;
	return 0;
}

static void sparse_writer_round_trip_with_the_reader(void **state)
{
	static const uint64_t probes[] = { 0,
					   9,
					   10,
					   12,
					   13,
					   14,
					   99,
					   100,
					   102,
					   103,
					   (1ULL << 40) - 1,
					   1ULL << 40,
					   (1ULL << 40) + 65535,
					   (1ULL << 40) + 65536,
					   (1ULL << 40) + 199999,
					   (1ULL << 40) + 200000,
					   UINT64_MAX - 6,
					   UINT64_MAX - 5,
					   UINT64_MAX - 1 };
	struct run runs[5];
	size_t n = test_runs(runs);
	int fd = open(work_file("sparse", "", 0), O_RDWR | O_CLOEXEC);
	struct vms_sparse *s;

	assert_true(fd >= 0);
	write_runs(fd, runs, n);
	expect_ret(vms_sparse_open(fd, &s), 0);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint64_t v = 0xdead, want;
		bool found;
		ssize_t got = vms_sparse_read(s, probes[i], 1, &v, false);

		want = expected_at(runs, n, probes[i], &found);
		expect_i64(got, found ? 1 : 0);
		if (found)
			expect_u64(v, want);
		expect_i64(vms_sparse_read(s, probes[i], 1, &v, true), 1);
		expect_u64(v, want);
	}
	{
		/* a long read across the record boundaries the writer chose */
		uint64_t *buf = malloc(200001 * sizeof(*buf));

		assert_non_null(buf);
		expect_i64(vms_sparse_read(s, 1ULL << 40, 200001, buf, false), 200000);
		for (size_t i = 0; i < 200000; i++)
			if (buf[i] != runs[3].v[i])
				fail_msg("index 2^40 + %zu: %#" PRIx64, i, buf[i]);
		free(buf);
	}
	vms_sparse_close(s);
}

static void sparse_writer_refuses_bad_indexes(void **state)
{
	static const uint64_t v[] = { 1, 2 };
	struct vms_sparse_writer *w;
	int fd = open(work_file("sparse-bad", "", 0), O_WRONLY | O_CLOEXEC);
	int pfd[2];

	assert_true(fd >= 0);
	expect_ret(vms_sparse_writer_new(fd, &w), 0);
	expect_ret(vms_sparse_writer_add(w, 10, v, 2), 0);
	expect_ret(vms_sparse_writer_add(w, 11, v, 1), -EINVAL); /* overlaps */
	expect_ret(vms_sparse_writer_add(w, 5, v, 1), -EINVAL); /* goes back */
	expect_ret(vms_sparse_writer_add(w, UINT64_MAX - 1, v, 2), -EINVAL); /* reaches 2^64 */
	expect_ret(vms_sparse_writer_add(w, 20, NULL, 1), -EINVAL);
	expect_ret(vms_sparse_writer_add(w, 20, NULL, 0), 0);
	expect_ret(vms_sparse_writer_add(w, 12, v, 2), 0);
	expect_ret(vms_sparse_writer_finish(w), 0);
	close(fd);

	/* write errors: at once for the header, then sticky */
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		expect_ret(vms_sparse_writer_new(fd, &w), -ENOSPC);
		close(fd);
	}
	fd = open(work_file("sparse-ro", "", 0), O_RDONLY | O_CLOEXEC);
	expect_ret(vms_sparse_writer_new(fd, &w), -EBADF);
	close(fd);
	signal(SIGPIPE, SIG_IGN);
	assert_true(pipe2(pfd, O_CLOEXEC) == 0);
	expect_ret(vms_sparse_writer_new(pfd[1], &w), 0);
	close(pfd[0]);
	expect_ret(vms_sparse_writer_add(w, 0, v, 2), 0); /* buffered */
	expect_ret(vms_sparse_writer_add(w, 5, v, 2), -EPIPE); /* ends the first record */
	expect_ret(vms_sparse_writer_add(w, 9, v, 2), -EPIPE);
	expect_ret(vms_sparse_writer_finish(w), -EPIPE);
	close(pfd[1]);
	signal(SIGPIPE, SIG_DFL);
}

#ifdef PYTHON3
/* Run vmsparse.py's functions on @file through python3: its stdout, malloc'd. */
static char *run_vmsparse(const char *code, const char *file)
{
	struct sbuf out = { 0 };
	int pfd[2], status;
	pid_t pid;
	char buf[4096];
	ssize_t n;

	assert_true(pipe2(pfd, O_CLOEXEC) == 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[] = { (char *)PYTHON3,      (char *)"-c", (char *)code,
				 (char *)FIXTURES_DIR, (char *)file, NULL };

		dup2(pfd[1], 1);
		execv(PYTHON3, argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf, sizeof(buf))) > 0)
		sbuf_add(&out, buf, (size_t)n);
	close(pfd[0]);
	assert_true(waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("python3 failed (status %#x): %s", status, out.p ? out.p : "");
	sbuf_add(&out, "", 0);
	return out.p;
}
#endif

static void sparse_writer_round_trip_with_vmsparse_py(void **state)
{
#ifndef PYTHON3
	skip();
#else
	/* merge what the writer split: the records are its choice, the runs are not */
	static const char dump[] =
		"import sys\nsys.path.insert(0, sys.argv[1])\nimport vmsparse\n"
		"runs = []\n"
		"for first, values in vmsparse.read(sys.argv[2]):\n"
		"    if runs and runs[-1][0] + len(runs[-1][1]) == first:\n"
		"        runs[-1][1].extend(values)\n"
		"    else:\n"
		"        runs.append((first, list(values)))\n"
		"for first, values in runs:\n"
		"    print(first, len(values), sum(values) % (1 << 64), values[0], values[-1])\n";
	static const char make[] = "import sys\nsys.path.insert(0, sys.argv[1])\nimport vmsparse\n"
				   "vmsparse.write(sys.argv[2], [(7, [1, 2]), (9, [3]), "
				   "(1 << 50, [0, 1 << 63]), ((1 << 64) - 2, [5])])\n";
	struct run runs[5];
	size_t n = test_runs(runs);
	struct sbuf want = { 0 };
	const char *p = work_file("sparse-py", "", 0);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	struct vms_sparse *s;
	char *got;
	uint64_t v[4];

	assert_true(fd >= 0);
	write_runs(fd, runs, n);
	close(fd);
	got = run_vmsparse(dump, p);
	/* the runs as the file must hold them: adjacent adds make one */
	for (size_t i = 0; i < n;) {
		uint64_t sum = 0, first = runs[i].first, end = first;
		size_t from = i;

		for (; i < n && runs[i].first == end; i++) {
			for (size_t j = 0; j < runs[i].n; j++)
				sum += runs[i].v[j];
			end += runs[i].n;
		}
		sbuf_addf(&want, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			  first, end - first, sum, runs[from].v[0],
			  runs[i - 1].v[runs[i - 1].n - 1]);
	}
	assert_non_null(want.p);
	expect_str(got, want.p);
	free(got);
	sbuf_free(&want);

	free(run_vmsparse(make, p));
	fd = open(p, O_RDONLY | O_CLOEXEC);
	expect_ret(vms_sparse_open(fd, &s), 0);
	expect_i64(vms_sparse_read(s, 7, 4, v, false), 3);
	expect_u64(v[0], 1);
	expect_u64(v[1], 2);
	expect_u64(v[2], 3);
	expect_i64(vms_sparse_read(s, 1ULL << 50, 2, v, false), 2);
	expect_u64(v[1], 1ULL << 63);
	expect_i64(vms_sparse_read(s, UINT64_MAX - 1, 1, v, false), 1);
	expect_u64(v[0], 5);
	vms_sparse_close(s);
#endif
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw);

/* ---- removal by a signal handler: vms_snapshot_cleanup_signal_safe() ---- */

static void cleanup_and_die(int sig)
{
	vms_snapshot_cleanup_signal_safe();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* proc/1/d/d/... @levels deep below the unpack directory, with a file at the bottom. */
static void add_deep(struct archive *a, int levels)
{
	char path[256] = "proc/1";

	for (int i = 2; i < levels; i++)
		strcat(path, "/d");
	strcat(path, "/f");
	arc_file(a, path, "deep\n");
}

static void add_deep_snapshot(struct archive *a)
{
	add_deep(a, 6);
}

static void add_too_deep(struct archive *a)
{
	add_deep(a, 20);
}

static const char *archive_file(const char *name, void (*more)(struct archive *a))
{
	size_t len;
	char *buf = snapshot_archive("zstd", more, &len);
	const char *p = work_file(name, buf, len);

	free(buf);
	return p;
}

/* Fork a child that opens @n archives, then dies of @sig through the cleanup;
 * its status. */
static int die_holding(const char *const *arcs, size_t n, int sig)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = cleanup_and_die };

		for (size_t i = 0; i < n; i++) {
			struct vms_ctx *ctx = NULL;

			if (vms_ctx_open(arcs[i], 0, &ctx, NULL) < 0)
				_exit(10);
		}
		if (!first_entry(tmp))
			_exit(11);
		sigaction(sig, &sa, NULL);
		raise(sig);
		_exit(12);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void a_signal_handler_removes_the_directories(void **state)
{
	const char *arcs[] = { archive_file("a.tar.zst", NULL),
			       archive_file("b.tar.zst", add_deep_snapshot) };
	const int sigs[] = { SIGTERM, SIGINT, SIGPIPE };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int status = die_holding(arcs, 2, sigs[i]);

		if (!WIFSIGNALED(status) || WTERMSIG(status) != sigs[i])
			fail_msg("%s: the child did not die of it (status 0x%x)",
				 strsignal(sigs[i]), status);
		expect_tmp_empty(strsignal(sigs[i]));
	}
}

static void a_tree_deeper_than_the_bound_is_left(void **state)
{
	const char *arc = archive_file("deep.tar.zst", add_too_deep);
	char dir[PATH_MAX + NAME_MAX + 32];
	struct stat st;
	int status = die_holding(&arc, 1, SIGTERM);

	assert_true(WIFSIGNALED(status));
	/* what it could reach is gone; the path to the bottom stays */
	assert_non_null(first_entry(tmp));
	snprintf(dir, sizeof(dir), "%s/%s/vmscope-snapshot", tmp, first_entry(tmp));
	expect_ret(lstat(dir, &st) < 0 ? -errno : 0, -ENOENT);
	snprintf(dir, sizeof(dir), "%s/%s/proc/1", tmp, first_entry(tmp));
	expect_ret(lstat(dir, &st), 0);
	snprintf(dir, sizeof(dir), "%s/%s", tmp, first_entry(tmp));
	nftw(dir, rm_one, 32, FTW_DEPTH | FTW_PHYS);
	expect_tmp_empty("a tree too deep");
}

static void a_forked_child_leaves_its_parents_directory(void **state)
{
	const char *arc = archive_file("c.tar.zst", NULL);
	struct vms_ctx *ctx = NULL;
	int status;
	pid_t pid;

	expect_ret(vms_ctx_open(arc, 0, &ctx, NULL), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vms_snapshot_cleanup_signal_safe();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	expect_whole_snapshot(ctx);
	/* and in the process itself: gone at once, and the unref after it is harmless */
	vms_snapshot_cleanup_signal_safe();
	expect_tmp_empty("the cleanup");
	vms_ctx_unref(ctx);
	expect_tmp_empty("the unref after the cleanup");
	/* the slots are free again */
	for (int i = 0; i < VMS_UNPACKED_MAX + 2; i++) {
		expect_ret(vms_ctx_open(arc, 0, &ctx, NULL), 0);
		vms_ctx_unref(ctx);
	}
	expect_tmp_empty("reopening");
}

static void make_stale(const char *name, char *path, size_t size)
{
	char file[PATH_MAX + NAME_MAX + 128];

	snprintf(path, size, "%s/%s", tmp, name);
	expect_ret(mkdir(path, 0700), 0);
	snprintf(file, sizeof(file), "%s/proc", path);
	expect_ret(mkdir(file, 0700), 0);
	snprintf(file, sizeof(file), "%s/proc/meminfo", path);
	close(open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
}

static void stale_directories_of_dead_processes_go(void **state)
{
	const char *arc = archive_file("d.tar.zst", NULL);
	char key[NAME_MAX + 1], name[NAME_MAX + 64], dead[PATH_MAX + NAME_MAX + 96];
	char alive[sizeof(dead)], other[sizeof(dead)], *dot;
	struct vms_ctx *ctx = NULL;
	struct stat st;
	pid_t pid;

	/* this system's key, as the library names its directories */
	expect_ret(vms_ctx_open(arc, 0, &ctx, NULL), 0);
	assert_non_null(first_entry(tmp));
	snprintf(key, sizeof(key), "%s", first_entry(tmp));
	vms_ctx_unref(ctx);
	dot = strncmp(key, "vmscope-snap.", 13) == 0 ? strchr(key + 13, '.') : NULL;
	if (!dot)
		fail_msg("unexpected unpack directory name '%s'", key);
	dot[1] = '\0';
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	snprintf(name, sizeof(name), "%s%d.AbC123", key, (int)pid);
	make_stale(name, dead, sizeof(dead));
	snprintf(name, sizeof(name), "%s%d.AbC123", key, (int)getppid());
	make_stale(name, alive, sizeof(alive));
	/* another system's or PID namespace's: its PIDs mean nothing here */
	snprintf(name, sizeof(name), "vmscope-snap.00000000-1.%d.AbC123", (int)pid);
	make_stale(name, other, sizeof(other));

	expect_ret(vms_ctx_open(arc, 0, &ctx, NULL), 0);
	expect_ret(lstat(dead, &st) < 0 ? -errno : 0, -ENOENT);
	expect_ret(lstat(alive, &st), 0);
	expect_ret(lstat(other, &st), 0);
	vms_ctx_unref(ctx);
	nftw(alive, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	nftw(other, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	expect_tmp_empty("stale directories");
}

/* ---- setup ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int setup(void **state)
{
	const char *base = getenv("TMPDIR");

	if (!base || !*base)
		base = "/tmp";
	snprintf(work, sizeof(work), "%s/vmscope-test-snapshot-XXXXXX", base);
	if (!mkdtemp(work)) {
		fprintf(stderr, "mkdtemp %s: %s\n", work, strerror(errno));
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/tmp", work);
	snprintf(outside, sizeof(outside), "%s/outside", work);
	if (mkdir(tmp, 0700) < 0 || mkdir(outside, 0700) < 0)
		return -1;
	/* the library unpacks here, and the tests check that nothing stays */
	setenv("TMPDIR", tmp, 1);
	return 0;
}

static int teardown(void **state)
{
	nftw(work, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(archive_of_each_kind_reads_like_a_directory),
		cmocka_unit_test(archive_unpacks_under_any_umask),
		cmocka_unit_test(zeros_after_the_end_are_not_read),
		cmocka_unit_test(description_reasons_are_the_same_for_a_directory),
		cmocka_unit_test(truncated_plain_tar_at_every_offset),
		cmocka_unit_test(truncated_zstd_tar_at_every_offset),
		cmocka_unit_test(hostile_entries_are_refused),
		cmocka_unit_test(a_path_over_4096_bytes_is_refused),
		cmocka_unit_test(not_an_archive_is_refused),
		cmocka_unit_test(roots_that_are_no_snapshot_are_refused_at_once),
		cmocka_unit_test(an_unusable_tmpdir_is_an_error),
		cmocka_unit_test(a_write_error_removes_the_directory),
		cmocka_unit_test(a_full_disk_removes_the_directory),
		cmocka_unit_test(a_decompression_bomb_stops_at_once),
		cmocka_unit_test(limits_are_counted),
		cmocka_unit_test(a_signal_handler_removes_the_directories),
		cmocka_unit_test(a_tree_deeper_than_the_bound_is_left),
		cmocka_unit_test(a_forked_child_leaves_its_parents_directory),
		cmocka_unit_test(stale_directories_of_dead_processes_go),
		cmocka_unit_test(sparse_writer_round_trip_with_the_reader),
		cmocka_unit_test(sparse_writer_refuses_bad_indexes),
		cmocka_unit_test(sparse_writer_round_trip_with_vmsparse_py),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
