// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of zram devices, memory cgroup figures and a process's memory cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#define FIXTURES DATA_DIR "/../../fixtures"
#define V1 FIXTURES "/swapx-v1"
#define V2 FIXTURES "/swapx-v2"
#define LIT(s) s, sizeof(s) - 1

static struct vms_ctx *open_root(const char *root)
{
	struct vms_ctx *ctx = NULL;
	int ret = vms_ctx_new(root, 0, &ctx);

	if (ret != 0)
		fail_msg("vms_ctx_new(%s): expected 0, got %s", root ? root : "NULL", errname(ret));
	assert_non_null(ctx);
	return ctx;
}

static struct vms_zrams *read_zrams(struct vms_ctx *ctx)
{
	struct vms_zrams *z = NULL;
	int ret = vms_zram_read(ctx, &z);

	if (ret != 0)
		fail_msg("vms_zram_read(%s): expected 0, got %s", vms_ctx_root(ctx), errname(ret));
	assert_non_null(z);
	return z;
}

static const struct vms_zram *zram_at(const struct vms_zrams *z, size_t i, const char *name)
{
	const struct vms_zram *d = vms_zram_get(z, i);

	if (!d)
		fail_msg("device %zu: expected %s, got NULL", i, name);
	expect_str(d->name, name);
	return d;
}

static void expect_mm_stat(const struct vms_zram *d, uint64_t orig, uint64_t compr, uint64_t used,
			   uint64_t limit, uint64_t used_max, uint64_t same, uint64_t compacted)
{
	expect_bool(d->have_mm_stat, true);
	expect_u64(d->orig_data_size, orig);
	expect_u64(d->compr_data_size, compr);
	expect_u64(d->mem_used_total, used);
	expect_u64(d->mem_limit, limit);
	expect_u64(d->mem_used_max, used_max);
	expect_u64(d->same_pages, same);
	expect_u64(d->pages_compacted, compacted);
}

static struct vms_cgmem cgmem(struct vms_ctx *ctx, const char *path, int version)
{
	struct vms_cgmem m;
	int ret;

	memset(&m, 0xa5, sizeof(m));
	ret = vms_cgmem_read(ctx, path, version, &m);
	if (ret != 0)
		fail_msg("vms_cgmem_read(%s, v%d): expected 0, got %s", path, version,
			 errname(ret));
	expect_i64(m.version, version);
	return m;
}

/* ---- scratch roots for hostile trees ---- */

/* The scratch root of the running test, removed by its teardown even when it fails. */
static char *scratch;

static char *scratch_root(void)
{
	char tmpl[] = "/tmp/vms-swapx-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char path[512];
	FILE *f;

	if (!dir) {
		fail_msg("mkdtemp: %s", strerror(errno));
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/vmscope-snapshot", dir);
	f = fopen(path, "we");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	fputs("format 1\nkernel 6.18.0-test\npage_size 4096\nprivileged 0\n", f);
	fclose(f);
	scratch = strdup(dir);
	assert_non_null(scratch);
	return scratch;
}

/* Write @len bytes to @root/@rel, making the directories on the way. */
static void put(const char *root, const char *rel, const void *text, size_t len)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*s = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len)
		fail_msg("write %s: %s", path, strerror(errno));
	close(fd);
}

static void put_str(const char *root, const char *rel, const char *text)
{
	put(root, rel, text, strlen(text));
}

static void put_dir(const char *root, const char *rel)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s/.keep", root, rel);
	put(root, path + strlen(root) + 1, "", 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int scratch_remove(void **state)
{
	if (scratch)
		nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(scratch);
	scratch = NULL;
	return 0;
}

/* ---- zram ---- */

static void zram_v1_captured_device(void **state)
{
	struct vms_ctx *ctx = open_root(V1);
	struct vms_zrams *z = read_zrams(ctx);
	const struct vms_zram *d;

	expect_u64(vms_zram_count(z), 1);
	d = zram_at(z, 0, "zram0");
	expect_u64(d->disksize, 64 << 20);
	expect_str(d->algorithm, "lzo-rle");
	/* 2048 pages written, 512 of them zero (same_pages), 1536 compressed */
	expect_mm_stat(d, 8388608, 864768, 901120, 0, 901120, 512, 0);
	expect_bool(d->have_huge_pages, true);
	expect_u64(d->huge_pages, 0);
	assert_null(vms_zram_get(z, 1));
	vms_zram_free(z);
	vms_ctx_unref(ctx);
}

static void zram_v2_new_and_old_kernel_devices(void **state)
{
	struct vms_ctx *ctx = open_root(V2);
	struct vms_zrams *z = read_zrams(ctx);
	const struct vms_zram *d;

	expect_u64(vms_zram_count(z), 2);
	d = zram_at(z, 0, "zram0");
	expect_u64(d->disksize, 8ULL << 30);
	expect_str(d->algorithm, "zstd");
	expect_mm_stat(d, 1073741824, 268435456, 285212672, 0, 301989888, 16384, 120);
	expect_bool(d->have_huge_pages, true);
	expect_u64(d->huge_pages, 2048);
	d = zram_at(z, 1, "zram1");
	expect_u64(d->disksize, 512 << 20);
	expect_str(d->algorithm, "lz4");
	expect_mm_stat(d, 104857600, 41943040, 44040192, 67108864, 46137344, 512, 7);
	/* 7 fields: a kernel from before huge_pages */
	expect_bool(d->have_huge_pages, false);
	expect_u64(d->huge_pages, 0);
	vms_zram_free(z);
	vms_ctx_unref(ctx);
}

static void zram_root_without_sys_has_no_devices(void **state)
{
	struct vms_ctx *ctx = open_root(DATA_DIR "/root-basic");
	struct vms_zrams *z = read_zrams(ctx);

	expect_u64(vms_zram_count(z), 0);
	assert_null(vms_zram_get(z, 0));
	vms_zram_free(z);
	vms_ctx_unref(ctx);
	expect_u64(vms_zram_count(NULL), 0);
	assert_null(vms_zram_get(NULL, 0));
	vms_zram_free(NULL);
}

static void zram_hostile_devices_listed_in_number_order(void **state)
{
	char *root = scratch_root();
	struct vms_ctx *ctx;
	struct vms_zrams *z;
	const struct vms_zram *d;
	struct sbuf big = { 0 };

	/* malformed everything: listed, with nothing made up */
	put_str(root, "sys/block/zram0/disksize", "abc\n");
	put_str(root, "sys/block/zram0/comp_algorithm", "lzo lz4\n");
	put_str(root, "sys/block/zram0/mm_stat", "1 2 3 4 5 6 -7\n");
	/* a file bigger than any attribute: not cut into a valid one at 4 KiB */
	sbuf_addf(&big, "1 2 3 4 5 6 7");
	while (big.len < 5000)
		sbuf_add(&big, " ", 1);
	sbuf_addf(&big, "x\n");
	put(root, "sys/block/zram10/mm_stat", big.p, big.len);
	put_str(root, "sys/block/zram10/comp_algorithm", "[] [zstd\n");
	put_str(root, "sys/block/zram10/disksize", "18446744073709551616\n");
	/* no files at all */
	put_dir(root, "sys/block/zram2");
	/* not zram devices */
	put_str(root, "sys/block/zramx/mm_stat", "1 2 3 4 5 6 7\n");
	put_str(root, "sys/block/zram/mm_stat", "1 2 3 4 5 6 7\n");
	put_str(root, "sys/block/zram-1/mm_stat", "1 2 3 4 5 6 7\n");
	put_str(root, "sys/block/loop0/mm_stat", "1 2 3 4 5 6 7\n");
	put_str(root, "sys/block/zram99999999999/mm_stat", "1 2 3 4 5 6 7\n");
	put_str(root, "sys/block/zram3/mm_stat", "\t1\t2 3 4 5 6 7 8");
	put_str(root, "sys/block/zram3/comp_algorithm", "[lz4hc]");
	ctx = open_root(root);
	z = read_zrams(ctx);
	expect_u64(vms_zram_count(z), 4);
	d = zram_at(z, 0, "zram0");
	expect_u64(d->disksize, 0);
	assert_null(d->algorithm);
	expect_bool(d->have_mm_stat, false);
	d = zram_at(z, 1, "zram2");
	expect_u64(d->disksize, 0);
	assert_null(d->algorithm);
	expect_bool(d->have_mm_stat, false);
	d = zram_at(z, 2, "zram3");
	expect_str(d->algorithm, "lz4hc");
	expect_mm_stat(d, 1, 2, 3, 4, 5, 6, 7);
	expect_bool(d->have_huge_pages, true);
	expect_u64(d->huge_pages, 8);
	d = zram_at(z, 3, "zram10");
	expect_u64(d->disksize, 0);
	assert_null(d->algorithm);
	expect_bool(d->have_mm_stat, false);
	vms_zram_free(z);
	vms_ctx_unref(ctx);
	sbuf_free(&big);
}

static void mm_stat_hostile_strings(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		int want;
		int fields;
	} cases[] = {
		{ LIT("       0        0        0        0        0        0        0        0        0\n"),
		  0, 9 },
		{ LIT("1 2 3 4 5 6 7\n"), 0, 7 },
		{ LIT("1 2 3 4 5 6 7"), 0, 7 },
		{ LIT("1\t2\t3\t4\t5\t6\t7\t8\t\n"), 0, 8 },
		{ LIT("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"), 0, 16 },
		{ LIT("18446744073709551615 2 3 4 5 6 7\n"), 0, 7 },
		{ LIT(""), -EBADMSG, 0 },
		{ LIT("\n"), -EBADMSG, 0 },
		{ LIT("1 2 3 4 5 6\n"), -EBADMSG, 0 },
		{ LIT("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"), -EBADMSG, 0 },
		{ LIT("18446744073709551616 2 3 4 5 6 7\n"), -EBADMSG, 0 },
		{ LIT("99999999999999999999999 2 3 4 5 6 7\n"), -EBADMSG, 0 },
		{ LIT("-1 2 3 4 5 6 7\n"), -EBADMSG, 0 },
		{ LIT("+1 2 3 4 5 6 7\n"), -EBADMSG, 0 },
		{ LIT("0x10 2 3 4 5 6 7\n"), -EBADMSG, 0 },
		{ LIT("1 2 3 4 5 6 x\n"), -EBADMSG, 0 },
		{ LIT("1 2 3 4 5 6 7x\n"), -EBADMSG, 0 },
		{ LIT("1,2,3,4,5,6,7\n"), -EBADMSG, 0 },
		{ LIT("1 2 3 4 5 6 7\n\n"), -EBADMSG, 0 },
		{ LIT("1 2 3 4 5 6 7\n8 9\n"), -EBADMSG, 0 },
		{ LIT("1 2 3 4 5 6\n7\n"), -EBADMSG, 0 },
		{ LIT("1 2 3 4 5 6 7\0"), -EBADMSG, 0 },
		{ LIT("1 2 3\0 4 5 6 7"), -EBADMSG, 0 },
		{ LIT("1 2 3 4 5 6 7 8 9 \xff\n"), -EBADMSG, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* ends at an inaccessible page: no read past @len */
		char *copy = guarded_copy(cases[i].text, cases[i].len);
		struct vms_zram z;
		int ret;

		memset(&z, 0, sizeof(z));
		z.orig_data_size = 4242;
		ret = vms_zram_parse_mm_stat(copy, cases[i].len, &z);
		if (ret != cases[i].want)
			fail_msg("mm_stat \"%s\": expected %s, got %s",
				 esc(cases[i].text, cases[i].len), errname(cases[i].want),
				 errname(ret));
		if (ret == 0) {
			expect_bool(z.have_mm_stat, true);
			expect_bool(z.have_huge_pages, cases[i].fields >= 8);
			/* the 7th field of every valid case is 7, but for the zeroes */
			expect_u64(z.pages_compacted, i == 0 ? 0 : 7);
		} else {
			/* unchanged on error */
			expect_bool(z.have_mm_stat, false);
			expect_u64(z.orig_data_size, 4242);
		}
		guarded_free(copy, cases[i].len);
	}
	expect_ret(vms_zram_parse_mm_stat(NULL, 0, NULL), -EINVAL);
}

static void mm_stat_values_in_field_order(void **state)
{
	static const char text[] = "11 22 33 44 55 66 77 88 99\n";
	struct vms_zram z = { 0 };

	expect_ret(vms_zram_parse_mm_stat(text, sizeof(text) - 1, &z), 0);
	expect_mm_stat(&z, 11, 22, 33, 44, 55, 66, 77);
	expect_u64(z.huge_pages, 88);
	expect_ret(vms_zram_parse_mm_stat(LIT("18446744073709551615 0 0 0 0 0 0"), &z), 0);
	expect_u64(z.orig_data_size, UINT64_MAX);
	expect_bool(z.have_huge_pages, false);
}

/* ---- memory cgroups ---- */

static void cgmem_v1_captured_group_with_limit(void **state)
{
	struct vms_ctx *ctx = open_root(V1);
	struct vms_cgmem m = cgmem(ctx, "/vmscope-fixture", 1);

	expect_bool(m.have_current, true);
	expect_u64(m.current, 21233664);
	expect_bool(m.have_max, true);
	expect_u64(m.max, 64 << 20);
	expect_bool(m.have_high, false);
	expect_bool(m.have_swap_current, true);
	expect_u64(m.swap_current, 0); /* memsw.usage == usage: nothing in swap */
	expect_bool(m.have_swap_max, false);
	expect_bool(m.have_events, true);
	expect_u64(m.ev_low, 0);
	expect_u64(m.ev_high, 0);
	expect_u64(m.ev_max, 0);
	expect_u64(m.ev_oom, 0);
	expect_u64(m.ev_oom_kill, 0);
	vms_ctx_unref(ctx);
}

static void cgmem_v1_root_group_has_no_limit(void **state)
{
	struct vms_ctx *ctx = open_root(V1);
	struct vms_cgmem m = cgmem(ctx, "/", 1);

	expect_u64(m.current, 463482880);
	/* 9223372036854771712, PAGE_COUNTER_MAX pages: no limit */
	expect_bool(m.have_max, true);
	expect_u64(m.max, UINT64_MAX);
	expect_bool(m.have_swap_current, true);
	expect_u64(m.swap_current, 0);
	/* a double slash or a trailing one is the same group */
	m = cgmem(ctx, "//vmscope-fixture/", 1);
	expect_u64(m.current, 21233664);
	expect_ret(vms_cgmem_read(ctx, "/no-such-group", 1, &m), -ENOENT);
	/* a v1 tree has no unified memory files at the top */
	expect_ret(vms_cgmem_read(ctx, "/", 2, &m), -ENOENT);
	vms_ctx_unref(ctx);
}

static void cgmem_v2_session_without_limits(void **state)
{
	struct vms_ctx *ctx = open_root(V2);
	struct vms_cgmem m = cgmem(ctx, "/user.slice/user-1000.slice/session-3.scope", 2);

	expect_bool(m.have_current, true);
	expect_u64(m.current, 734003200);
	expect_bool(m.have_max, true);
	expect_u64(m.max, UINT64_MAX);
	expect_bool(m.have_high, true);
	expect_u64(m.high, UINT64_MAX);
	expect_bool(m.have_swap_current, true);
	expect_u64(m.swap_current, 52428800);
	expect_bool(m.have_swap_max, true);
	expect_u64(m.swap_max, UINT64_MAX);
	expect_bool(m.have_events, true);
	expect_u64(m.ev_low + m.ev_high + m.ev_max + m.ev_oom + m.ev_oom_kill, 0);
	vms_ctx_unref(ctx);
}

static void cgmem_v2_service_at_its_limit(void **state)
{
	struct vms_ctx *ctx = open_root(V2);
	struct vms_cgmem m = cgmem(ctx, "/system.slice/db.service", 2);

	expect_u64(m.current, 268423168);
	expect_u64(m.max, 256 << 20);
	expect_u64(m.high, 192 << 20);
	expect_u64(m.swap_current, 67104768);
	expect_u64(m.swap_max, 64 << 20);
	expect_bool(m.have_events, true);
	expect_u64(m.ev_low, 0);
	expect_u64(m.ev_high, 4821);
	expect_u64(m.ev_max, 377);
	expect_u64(m.ev_oom, 2);
	expect_u64(m.ev_oom_kill, 1);
	vms_ctx_unref(ctx);
}

static void cgmem_v2_root_controller_off_and_missing(void **state)
{
	struct vms_ctx *ctx = open_root(V2);
	struct vms_cgmem m = cgmem(ctx, "/", 2);

	/* the root cgroup has memory.stat, none of the figures */
	expect_bool(m.have_current || m.have_max || m.have_high || m.have_swap_current ||
			    m.have_swap_max || m.have_events,
		    false);
	expect_ret(vms_cgmem_read(ctx, "/system.slice/nomem.service", 2, &m), -ENOENT);
	expect_ret(vms_cgmem_read(ctx, "/system.slice/gone.service", 2, &m), -ENOENT);
	expect_ret(vms_cgmem_read(ctx, "/system.slice/db.service/memory.max", 2, &m), -ENOENT);
	expect_ret(vms_cgmem_read(ctx, "/system.slice/db.service (deleted)", 2, &m), -ENOENT);
	/* the v1 mount is not there */
	expect_ret(vms_cgmem_read(ctx, "/system.slice/db.service", 1, &m), -ENOENT);
	vms_ctx_unref(ctx);
}

static void cgmem_bad_arguments_are_einval(void **state)
{
	struct vms_ctx *ctx = open_root(V2);
	struct vms_cgmem m;
	static const char *const paths[] = {
		"", "system.slice", "/..", "/../../etc", "/system.slice/../..", "/a/..",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int ret = vms_cgmem_read(ctx, paths[i], 2, &m);

		if (ret != -EINVAL)
			fail_msg("path \"%s\": expected -EINVAL, got %s", paths[i], errname(ret));
	}
	/* "..." and "..x" are names, not the parent */
	expect_ret(vms_cgmem_read(ctx, "/...", 2, &m), -ENOENT);
	expect_ret(vms_cgmem_read(ctx, "/..x", 2, &m), -ENOENT);
	expect_ret(vms_cgmem_read(ctx, "/", 0, &m), -EINVAL);
	expect_ret(vms_cgmem_read(ctx, "/", 3, &m), -EINVAL);
	expect_ret(vms_cgmem_read(ctx, NULL, 2, &m), -EINVAL);
	expect_ret(vms_cgmem_read(ctx, "/", 2, NULL), -EINVAL);
	expect_ret(vms_cgmem_read(NULL, "/", 2, &m), -EINVAL);
	vms_ctx_unref(ctx);
}

static void cgmem_hostile_values_leave_flags_false(void **state)
{
	char *root = scratch_root();
	struct vms_ctx *ctx;
	struct vms_cgmem m;
	struct sbuf big = { 0 };

	put_str(root, "sys/fs/cgroup/cgroup.controllers", "memory\n");
	put_str(root, "sys/fs/cgroup/bad/memory.current", "12abc\n");
	put_str(root, "sys/fs/cgroup/bad/memory.max", "-1\n");
	put_str(root, "sys/fs/cgroup/bad/memory.high", "maxx\n");
	for (int i = 0; i < 5000; i++)
		sbuf_add(&big, "1", 1);
	put(root, "sys/fs/cgroup/bad/memory.swap.current", big.p, big.len);
	put_str(root, "sys/fs/cgroup/bad/memory.swap.max", "\n");
	put_str(root, "sys/fs/cgroup/bad/memory.events", "low 0\nhigh x\n");
	/* good values in odd but valid shapes */
	put_str(root, "sys/fs/cgroup/odd/memory.current", "0");
	put_str(root, "sys/fs/cgroup/odd/memory.max", "max");
	put_str(root, "sys/fs/cgroup/odd/memory.high", "18446744073709551615\n");
	put_str(root, "sys/fs/cgroup/odd/memory.events",
		"oom_kill 5\nfuture_key 9\nlow 1\nhigh 2\nmax 3\noom 4");
	/* v1 with a value that overflows, and an oom_control without under_oom */
	put_str(root, "sys/fs/cgroup/memory/x/memory.usage_in_bytes", "18446744073709551616\n");
	put_str(root, "sys/fs/cgroup/memory/x/memory.limit_in_bytes", "4611686018427387904\n");
	put_str(root, "sys/fs/cgroup/memory/x/memory.memsw.usage_in_bytes", "100\n");
	put_str(root, "sys/fs/cgroup/memory/x/memory.failcnt", "3\n");
	put_str(root, "sys/fs/cgroup/memory/x/memory.oom_control", "oom_kill_disable 0\n");
	put_str(root, "sys/fs/cgroup/memory/y/memory.usage_in_bytes", "1000\n");
	put_str(root, "sys/fs/cgroup/memory/y/memory.limit_in_bytes", "4611686018427383808\n");
	put_str(root, "sys/fs/cgroup/memory/y/memory.memsw.usage_in_bytes", "900\n");
	put_str(root, "sys/fs/cgroup/memory/y/memory.failcnt", "3\n");
	put_str(root, "sys/fs/cgroup/memory/y/memory.oom_control",
		"oom_kill_disable 1\nunder_oom 1\n");
	ctx = open_root(root);

	m = cgmem(ctx, "/bad", 2);
	expect_bool(m.have_current || m.have_max || m.have_high || m.have_swap_current ||
			    m.have_swap_max || m.have_events,
		    false);
	m = cgmem(ctx, "/odd", 2);
	expect_bool(m.have_current, true);
	expect_u64(m.current, 0);
	expect_u64(m.max, UINT64_MAX);
	expect_u64(m.high, UINT64_MAX);
	expect_bool(m.have_swap_current || m.have_swap_max, false);
	expect_bool(m.have_events, true);
	expect_u64(m.ev_low, 1);
	expect_u64(m.ev_high, 2);
	expect_u64(m.ev_max, 3);
	expect_u64(m.ev_oom, 4);
	expect_u64(m.ev_oom_kill, 5);

	m = cgmem(ctx, "/x", 1);
	expect_bool(m.have_current, false);
	expect_bool(m.have_max, true);
	expect_u64(m.max, UINT64_MAX); /* 2^62: no limit */
	expect_bool(m.have_swap_current, false); /* no usage to subtract from */
	expect_bool(m.have_events, false);
	m = cgmem(ctx, "/y", 1);
	expect_u64(m.current, 1000);
	expect_u64(m.max, 4611686018427383808ULL); /* just under 2^62: a limit */
	expect_bool(m.have_swap_current, true);
	expect_u64(m.swap_current, 0); /* memsw read before usage grew: not negative */
	expect_bool(m.have_events, true);
	expect_u64(m.ev_max, 3);
	expect_u64(m.ev_oom, 1);
	expect_u64(m.ev_oom_kill, 0);
	vms_ctx_unref(ctx);
	sbuf_free(&big);
}

/* ---- a process's memory cgroup ---- */

static void expect_memcg(struct vms_ctx *ctx, pid_t pid, const char *path, int version)
{
	struct vms_proc *p = NULL;
	char *got = NULL;
	int v = 0, ret;

	expect_ret(vms_proc_open(ctx, pid, &p), 0);
	ret = vms_proc_memcg(p, &got, &v);
	if (ret != 0)
		fail_msg("pid %d: vms_proc_memcg: expected 0, got %s", (int)pid, errname(ret));
	expect_str(got, path);
	expect_i64(v, version);
	free(got);
	vms_proc_close(p);
}

static void proc_memcg_v1_and_v2_fixtures(void **state)
{
	struct vms_ctx *ctx = open_root(V1);
	struct vms_cgmem m;

	/* hybrid: "0::/" is there, but memory is on v1 */
	expect_memcg(ctx, 32502, "/vmscope-fixture", 1);
	m = cgmem(ctx, "/vmscope-fixture", 1);
	expect_u64(m.max, 64 << 20);
	vms_ctx_unref(ctx);
	ctx = open_root(V2);
	expect_memcg(ctx, 4242, "/user.slice/user-1000.slice/session-3.scope", 2);
	expect_memcg(ctx, 4343, "/system.slice/db.service", 2);
	vms_ctx_unref(ctx);
}

static void proc_memcg_hostile_cgroup_files(void **state)
{
	char *root = scratch_root();
	struct vms_ctx *ctx;
	struct vms_proc *p = NULL;
	char *path = NULL;
	int v = 0;

	/* no cgroup.controllers: v1 */
	put_str(root, "proc/10/cgroup",
		"garbage\n5:memoryx:/not\n4::/empty-controllers\n3:cpu,memory,io:/a:b/c\n");
	put_str(root, "proc/11/cgroup", "0::/only-v2\n4:memory:\n2:cpu:/x\n");
	put_str(root, "proc/12/cgroup", "");
	put_str(root, "proc/13/cgroup", "12:blkio:/\n4:memory:/last");
	put_dir(root, "proc/14");
	ctx = open_root(root);
	expect_memcg(ctx, 10, "/a:b/c", 1);
	expect_memcg(ctx, 13, "/last", 1);
	for (pid_t pid = 11; pid <= 14; pid++) {
		int ret;

		if (pid == 13)
			continue;
		expect_ret(vms_proc_open(ctx, pid, &p), 0);
		ret = vms_proc_memcg(p, &path, &v);
		if (ret != -ENOENT)
			fail_msg("pid %d: expected -ENOENT, got %s", (int)pid, errname(ret));
		vms_proc_close(p);
	}
	vms_ctx_unref(ctx);

	/* memory on v2: only the "0::" line counts */
	put_str(root, "sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n");
	ctx = open_root(root);
	expect_memcg(ctx, 11, "/only-v2", 2);
	expect_ret(vms_proc_open(ctx, 10, &p), 0);
	expect_ret(vms_proc_memcg(p, &path, &v), -ENOENT);
	expect_ret(vms_proc_memcg(p, NULL, &v), -EINVAL);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
}

/* ---- the live system ---- */

static void live_zram_list_matches_sys_block(void **state)
{
	struct vms_ctx *ctx = open_root(NULL);
	struct vms_zrams *z = read_zrams(ctx);
	size_t n = 0;

	for (int i = 0; i < 64; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/sys/block/zram%d", i);
		if (access(path, F_OK) == 0)
			n++;
	}
	expect_u64(vms_zram_count(z), n);
	for (size_t i = 0; i < vms_zram_count(z); i++) {
		const struct vms_zram *d = vms_zram_get(z, i);

		assert_non_null(d);
		if (strncmp(d->name, "zram", 4) != 0)
			fail_msg("device %zu: expected a zramN name, got \"%s\"", i, d->name);
		/* every kernel since 4.x prints mm_stat, readable by anyone */
		expect_bool(d->have_mm_stat, true);
		assert_non_null(d->algorithm);
		if (d->compr_data_size > d->mem_used_max && d->mem_used_max)
			fail_msg("%s: compressed %" PRIu64 " above the peak use %" PRIu64, d->name,
				 d->compr_data_size, d->mem_used_max);
	}
	vms_zram_free(z);
	vms_ctx_unref(ctx);
}

static void live_own_memcg_reads_or_is_absent(void **state)
{
	struct vms_ctx *ctx = open_root(NULL);
	struct vms_proc *p = NULL;
	struct vms_cgmem m;
	char *path = NULL;
	int v = 0, ret;

	expect_ret(vms_proc_open(ctx, getpid(), &p), 0);
	ret = vms_proc_memcg(p, &path, &v);
	if (ret == -ENOENT) {
		printf("# no memory cgroup for this process\n");
		goto out;
	}
	expect_ret(ret, 0);
	if (v != 1 && v != 2)
		fail_msg("version: expected 1 or 2, got %d", v);
	ret = vms_cgmem_read(ctx, path, v, &m);
	if (ret == -ENOENT) {
		printf("# memory cgroup %s (v%d) has no memory controller files here\n", path, v);
		goto out;
	}
	expect_ret(ret, 0);
	expect_i64(m.version, v);
	/* a process in a non-root group is charged for its own pages at least */
	if (strcmp(path, "/") != 0) {
		expect_bool(m.have_current, true);
		if (m.current == 0)
			fail_msg("cgroup %s: memory.current 0 with this process in it", path);
	}
out:
	free(path);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zram_v1_captured_device),
		cmocka_unit_test(zram_v2_new_and_old_kernel_devices),
		cmocka_unit_test(zram_root_without_sys_has_no_devices),
		cmocka_unit_test_teardown(zram_hostile_devices_listed_in_number_order,
					  scratch_remove),
		cmocka_unit_test(mm_stat_hostile_strings),
		cmocka_unit_test(mm_stat_values_in_field_order),
		cmocka_unit_test(cgmem_v1_captured_group_with_limit),
		cmocka_unit_test(cgmem_v1_root_group_has_no_limit),
		cmocka_unit_test(cgmem_v2_session_without_limits),
		cmocka_unit_test(cgmem_v2_service_at_its_limit),
		cmocka_unit_test(cgmem_v2_root_controller_off_and_missing),
		cmocka_unit_test(cgmem_bad_arguments_are_einval),
		cmocka_unit_test_teardown(cgmem_hostile_values_leave_flags_false, scratch_remove),
		cmocka_unit_test(proc_memcg_v1_and_v2_fixtures),
		cmocka_unit_test_teardown(proc_memcg_hostile_cgroup_files, scratch_remove),
		cmocka_unit_test(live_zram_list_matches_sys_block),
		cmocka_unit_test(live_own_memcg_reads_or_is_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
