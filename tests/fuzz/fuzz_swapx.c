// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: zram's sysfs files (mm_stat, comp_algorithm, disksize) and the
 * memory controller's files of cgroups v1 and v2, with a process's cgroup file:
 * the input's NUL-separated parts are those files, in a snapshot root.
 * Properties: vms_zram_parse_mm_stat agrees with the device read; the flags
 * say what was read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmscope/vmscope.h>

#include "fuzz.h"

static const struct {
	const char *path, *text;
} files[] = {
	{ "sys/block/zram0/mm_stat", "4096 74 12288 0 12288 0 0 0 0\n" },
	{ "sys/block/zram0/comp_algorithm", "lzo lzo-rle [zstd] lz4\n" },
	{ "sys/block/zram0/disksize", "1073741824\n" },
	{ "proc/1/cgroup", "0::/a\n" },
	{ "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n" },
	{ "sys/fs/cgroup/a/memory.current", "1048576\n" },
	{ "sys/fs/cgroup/a/memory.max", "max\n" },
	{ "sys/fs/cgroup/a/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n" },
	{ "sys/fs/cgroup/memory/a/memory.usage_in_bytes", "1048576\n" },
	{ "sys/fs/cgroup/memory/a/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n"
						       "oom_kill 2\n" },
	{ "sys/fs/cgroup/memory/a/memory.failcnt", "5\n" },
	{ "sys/fs/cgroup/memory/a/memory.memsw.usage_in_bytes", "2097152\n" },
};

#define NFILES (sizeof(files) / sizeof(files[0]))

static struct vms_ctx *sx_root(int *dirfd)
{
	static const char desc[] = "format 1\npage_size 4096\n";
	static const char stat[] = "1 (p) S 0 1 1 0 -1 4194560 0 0 0 0\n";
	static struct vms_ctx *ctx;
	static int fd;
	char path[4200];

	if (!ctx) {
		fd = fuzz_fresh_dir("swapx");
		if (fuzz_write_file(fd, "vmscope-snapshot", desc, sizeof(desc) - 1) < 0 ||
		    fuzz_write_file(fd, "proc/1/stat", stat, sizeof(stat) - 1) < 0)
			abort();
		snprintf(path, sizeof(path), "%s/swapx", fuzz_workdir());
		if (vms_ctx_new(path, 0, &ctx) < 0)
			abort();
	}
	*dirfd = fd;
	return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[NFILES] = { 0 };
	size_t len[NFILES] = { 0 }, at = 0;
	int dirfd, ret, version;
	struct vms_ctx *ctx = sx_root(&dirfd);
	struct vms_zrams *z;
	struct vms_cgmem cg;
	struct vms_zram one;
	struct vms_proc *p;
	char *path;

	for (size_t i = 0; i < NFILES && at <= size; i++) {
		const uint8_t *nul = memchr(data + at, 0, size - at);

		part[i] = data + at;
		len[i] = nul ? (size_t)(nul - (data + at)) : size - at;
		at += len[i] + 1;
	}
	for (size_t i = 0; i < NFILES; i++)
		FUZZ_CHECK(fuzz_write_file(dirfd, files[i].path,
					   part[i] ? (const void *)part[i] : files[i].text,
					   part[i] ? len[i] : strlen(files[i].text)) == 0);

	/* the parser alone, on a buffer of exactly the part's size */
	if (part[0]) {
		char *buf = malloc(len[0] ? len[0] : 1);

		FUZZ_CHECK(buf);
		memcpy(buf, part[0], len[0]);
		memset(&one, 0, sizeof(one));
		ret = vms_zram_parse_mm_stat(buf, len[0], &one);
		FUZZ_CHECK(ret == 0 || ret == -EBADMSG);
		FUZZ_CHECK(one.have_mm_stat == (ret == 0));
		FUZZ_CHECK(!one.have_huge_pages || one.have_mm_stat);
		free(buf);
	}
	FUZZ_CHECK(vms_zram_read(ctx, &z) == 0);
	FUZZ_CHECK(vms_zram_count(z) == 1);
	{
		const struct vms_zram *d = vms_zram_get(z, 0);

		FUZZ_CHECK(strcmp(d->name, "zram0") == 0);
		if (part[0] && len[0] < 4096)
			FUZZ_CHECK(d->have_mm_stat == one.have_mm_stat &&
				   (!d->have_mm_stat || (d->orig_data_size == one.orig_data_size &&
							 d->huge_pages == one.huge_pages)));
		FUZZ_CHECK(!d->algorithm || (*d->algorithm && !strpbrk(d->algorithm, " []")));
	}
	vms_zram_free(z);

	for (version = 1; version <= 2; version++) {
		ret = vms_cgmem_read(ctx, "/a", version, &cg);
		FUZZ_CHECK(ret == 0);
		FUZZ_CHECK(cg.version == version);
		FUZZ_CHECK(!cg.have_max || version == 2 || cg.max == UINT64_MAX ||
			   cg.max < (UINT64_C(1) << 62));
	}
	FUZZ_CHECK(vms_proc_open(ctx, 1, &p) == 0);
	ret = vms_proc_memcg(p, &path, &version);
	FUZZ_CHECK(ret == 0 || ret == -ENOENT);
	if (ret == 0) {
		FUZZ_CHECK(path[0] == '/' && (version == 1 || version == 2));
		ret = vms_cgmem_read(ctx, path, version, &cg);
		FUZZ_CHECK(ret == 0 || ret == -ENOENT || ret == -EINVAL || ret == -ENAMETOOLONG);
		free(path);
	}
	vms_proc_close(p);
	return 0;
}
