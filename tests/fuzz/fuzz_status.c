// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: /proc/PID/status, as the counter parser reads it
 * (vms_counters_parse_fd) and as a snapshot's process table reads it (Uid,
 * Kthread) with every other per-process file it may ask for.
 */
#include <unistd.h>

#include <vmscope/vmscope.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int dirfd, fd = fuzz_memfd(data, size), ret;
	struct vms_ctx *ctx = fuzz_root(&dirfd);
	struct vms_proc_info info;
	struct vms_counters *c;
	struct vms_ptable *t;
	struct vms_proc *p;

	FUZZ_CHECK(vms_counters_parse_fd(fd, &c) == 0);
	FUZZ_CHECK(vms_counters_bad_lines(c) <= size + 1);
	vms_counters_free(c);
	close(fd);

	FUZZ_CHECK(fuzz_write_file(dirfd, "proc/1/status", data, size) == 0);
	FUZZ_CHECK(vms_proc_open(ctx, 1, &p) == 0);
	ret = vms_proc_info_read(p, ~0u, &info);
	FUZZ_CHECK(ret == 0);
	FUZZ_CHECK(info.pid == 1 && info.comm);
	vms_proc_close(p);
	FUZZ_CHECK(vms_ptable_read(ctx, ~0u, &t) == 0);
	vms_ptable_free(t);
	return 0;
}
