// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: /proc/PID/smaps_rollup, read through a snapshot root
 * (vms_proc_rollup, which also reads stat when the file is empty).
 * Property: every well-known key it holds is found by number and by name alike.
 */
#include <vmscope/vmscope.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int dirfd, ret;
	struct vms_ctx *ctx = fuzz_root(&dirfd);
	struct vms_counters *c;
	struct vms_proc *p;

	FUZZ_CHECK(fuzz_write_file(dirfd, "proc/1/smaps_rollup", data, size) == 0);
	FUZZ_CHECK(vms_proc_open(ctx, 1, &p) == 0);
	ret = vms_proc_rollup(p, &c);
	if (ret == 0) {
		FUZZ_CHECK(vms_counters_count(c) > 0);
		for (int k = 0; k < VMS_KEY__COUNT; k++) {
			uint64_t v, w;
			int r1 = vms_counters_get(c, k, &v), r2;

			FUZZ_CHECK(r1 == 0 || r1 == -ENOENT || r1 == -EOVERFLOW);
			r2 = vms_counters_find(c, vms_key_name(k), &w);
			FUZZ_CHECK(r1 == r2 && (r1 || v == w));
		}
		vms_counters_free(c);
	} else {
		FUZZ_CHECK(ret == -ESRCH);
	}
	vms_proc_close(p);
	return 0;
}
