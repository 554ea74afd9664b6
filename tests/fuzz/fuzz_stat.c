// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: /proc/PID/stat, parsed directly (vms_stat_parse) and read through
 * a snapshot root by the process table, the process state and the fault sampler.
 * Properties: comm lies inside the buffer, the pid is positive, fields flagged
 * as read were read.
 */
#include <stdlib.h>
#include <string.h>

#include <vmscope/vmscope.h>

#include "fuzz.h"

static void through_root(const uint8_t *data, size_t size)
{
	int dirfd, ret;
	struct vms_ctx *ctx = fuzz_root(&dirfd);
	struct vms_proc_info info;
	struct vms_sampler *s;
	struct vms_ptable *t;
	struct vms_proc *p;

	FUZZ_CHECK(fuzz_write_file(dirfd, "proc/1/stat", data, size) == 0);
	FUZZ_CHECK(vms_proc_open(ctx, 1, &p) == 0);
	ret = vms_proc_info_read(p, ~0u, &info);
	FUZZ_CHECK(ret == 0 || ret == -EBADMSG || ret == -ESRCH);
	ret = vms_proc_state(p);
	FUZZ_CHECK(ret >= 0 || ret == -EBADMSG || ret == -ESRCH);
	vms_proc_close(p);
	if (vms_ptable_read(ctx, ~0u, &t) == 0) {
		for (size_t i = 0; i < vms_ptable_count(t); i++)
			FUZZ_CHECK(vms_ptable_get(t, i)->comm);
		vms_ptable_free(t);
	}
	FUZZ_CHECK(vms_sampler_new(ctx, VMS_SAMPLER_THREADS, &s) == 0);
	/* twice: the second sample compares with the first */
	for (int k = 0; k < 2; k++) {
		ret = vms_sampler_sample(s, NULL);
		FUZZ_CHECK(ret == 0 || ret == -EINVAL);
		for (size_t i = 0; i < vms_sampler_count(s); i++)
			FUZZ_CHECK(vms_sampler_row(s, i)->comm);
	}
	vms_sampler_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct vms_proc_info info;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	if (vms_stat_parse(buf, size, &info) == 0) {
		FUZZ_CHECK(info.pid > 0);
		FUZZ_CHECK(info.comm > buf && info.comm < buf + size);
		FUZZ_CHECK(info.comm + strlen(info.comm) < buf + size);
		FUZZ_CHECK(info.ppid >= 0);
		FUZZ_CHECK(!(info.have &
			     ~(unsigned int)(VMS_HAVE_FAULTS | VMS_HAVE_THREADS | VMS_HAVE_VSZ)));
	}
	free(buf);
	through_root(data, size);
	return 0;
}
