// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: /proc/vmstat, read through a snapshot root (vms_vmstat_read) and
 * from an fd (vms_counters_parse_fd).  Properties: both give the same keys and
 * values; every key read is found again by name (unless a NUL cut its name).
 */
#include <string.h>
#include <unistd.h>

#include <vmscope/vmscope.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int dirfd, fd = fuzz_memfd(data, size), ret;
	struct vms_ctx *ctx = fuzz_root(&dirfd);
	struct vms_counters *a, *b;

	FUZZ_CHECK(fuzz_write_file(dirfd, "proc/vmstat", data, size) == 0);
	FUZZ_CHECK(vms_vmstat_read(ctx, &a) == 0);
	FUZZ_CHECK(vms_counters_parse_fd(fd, &b) == 0);
	close(fd);
	FUZZ_CHECK(vms_counters_count(a) == vms_counters_count(b));
	FUZZ_CHECK(vms_counters_bad_lines(a) == vms_counters_bad_lines(b));
	for (size_t i = 0; i < vms_counters_count(a); i++) {
		const char *na, *nb;
		uint64_t va, vb, v;
		bool ka, kb;

		FUZZ_CHECK(vms_counters_at(a, i, &na, &va, &ka) == 0);
		FUZZ_CHECK(vms_counters_at(b, i, &nb, &vb, &kb) == 0);
		FUZZ_CHECK(strcmp(na, nb) == 0 && va == vb && ka == kb);
		ret = vms_counters_find(a, na, &v);
		FUZZ_CHECK(ret == 0 || ret == -EOVERFLOW || ret == -ENOENT);
	}
	for (int k = 0; k < VMS_KEY__COUNT; k++) {
		uint64_t v;

		ret = vms_counters_get(a, k, &v);
		FUZZ_CHECK(ret == 0 || ret == -ENOENT || ret == -EOVERFLOW);
	}
	vms_counters_free(a);
	vms_counters_free(b);
	return 0;
}
