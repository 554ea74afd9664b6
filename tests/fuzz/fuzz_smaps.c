// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: /proc/PID/smaps blocks (vms_maps_open_fd with VMS_MAPS_SMAPS),
 * each mapping's counters and VmFlags, and its kind (vms_mapping_kind).
 * Property: the same mappings, counters and VmFlags whatever the read() sizes
 * (1, 7, 4096 bytes, whole, read-ahead thread).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmscope/vmscope.h>

#include "fuzz.h"

/* Every mapping's kind, with no hints and with each hint set. */
static void kinds(const uint8_t *data, size_t size)
{
	int fd = fuzz_memfd(data, size);
	const struct vms_mapping *m;
	struct vms_maps *it;
	unsigned int i = 0;

	FUZZ_CHECK(vms_maps_open_fd(fd, VMS_MAPS_SMAPS, &it) == 0);
	while (vms_maps_next(it, &m) == 1) {
		struct vms_kind_hints h = {
			.code_object = i & 1,
			.follows_code_object = i & 2,
			.thread_stack = i & 4,
			.deleted = (int)(i % 3) - 1,
		};
		enum vms_kind k = vms_mapping_kind(m, NULL);

		FUZZ_CHECK((unsigned int)k < VMS_KIND__COUNT && vms_kind_name(k));
		k = vms_mapping_kind(m, &h);
		FUZZ_CHECK((unsigned int)k < VMS_KIND__COUNT && vms_kind_name(k));
		FUZZ_CHECK(vms_kind_lookup(vms_kind_name(k)) == (int)k);
		for (int key = 0; key < VMS_KEY__COUNT; key++) {
			uint64_t v;
			int ret = vms_counters_get(m->counters, key, &v);

			FUZZ_CHECK(ret == 0 || ret == -ENOENT || ret == -EOVERFLOW);
		}
		i++;
	}
	vms_maps_close(it);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[] = { 4096, 7, 1 };
	size_t n0, bad0, n, bad;
	unsigned long reads;
	uint64_t want, got;

	want = fuzz_maps_digest(data, size, VMS_MAPS_SMAPS, 0, &n0, &bad0, &reads);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		/* a read() a byte or 7 is slow: only for short inputs */
		if ((chunks[i] == 1 && size > 512) || (chunks[i] == 7 && size > 4096))
			continue;
		got = fuzz_maps_digest(data, size, VMS_MAPS_SMAPS, chunks[i], &n, &bad, &reads);
		FUZZ_CHECK(got == want && n == n0 && bad == bad0);
		FUZZ_CHECK(reads == 0 || reads >= size / chunks[i]);
	}
	got = fuzz_maps_digest(data, size, VMS_MAPS_SMAPS | VMS_MAPS_PREFETCH, 0, &n, &bad, &reads);
	FUZZ_CHECK(got == want && n == n0 && bad == bad0);
	kinds(data, size);
	return 0;
}
