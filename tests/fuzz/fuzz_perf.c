// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the perf ring-buffer parser of the fault recorder
 * (vms_perf_ring_read) over a ring made of the input, with its tail anywhere.
 * Properties: the tail always ends at the head; every sample has a known id's
 * thread; every mapping's file name is a string inside its record.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "private.h"

static const struct vms_perf_id ids[] = {
	{ .id = 100, .owner = 0, .major = false },
	{ .id = 101, .owner = 0, .major = true },
	{ .id = 200, .owner = 1, .major = false },
	{ .id = 201, .owner = 1, .major = true },
};

static void on_sample(void *data, const struct vms_fault_sample *s)
{
	(*(size_t *)data)++;
	(void)s;
}

static void on_mmap(void *data, const struct vms_fault_mmap *m)
{
	/* the name must be a string: ASan sees any read past the record */
	(*(size_t *)data) += strlen(m->filename) & 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vms_faultrec *r;
	uint64_t tail, head, rsize;
	uint32_t avail;
	size_t seen = 0;
	unsigned char *ring;
	int ret;

	if (size < 13)
		return 0;
	memcpy(&tail, data, 8);
	memcpy(&avail, data + 8, 4);
	rsize = UINT64_C(1) << (3 + data[12] % 14);
	data += 13;
	size -= 13;
	/* the ring, exactly its size: the input repeated, or cut */
	ring = malloc(rsize);
	FUZZ_CHECK(ring);
	for (uint64_t i = 0; i < rsize; i++)
		ring[i] = size ? data[i % size] : 0;
	head = tail + avail % (2 * rsize);
	FUZZ_CHECK(vms_faultrec_new_ids(ids, sizeof(ids) / sizeof(ids[0]), &r) == 0);
	/* in two steps (the second from where the first stopped), then nothing left */
	ret = vms_perf_ring_read(r, ring, rsize, &tail, tail + (head - tail) / 2, on_sample,
				 on_mmap, &seen);
	FUZZ_CHECK(ret >= 0 || ret == -EBADMSG);
	ret = vms_perf_ring_read(r, ring, rsize, &tail, head, on_sample, on_mmap, &seen);
	FUZZ_CHECK(ret >= 0 || ret == -EBADMSG);
	FUZZ_CHECK(tail == head);
	FUZZ_CHECK(vms_perf_ring_read(r, ring, rsize, &tail, head, on_sample, on_mmap, &seen) == 0);
	FUZZ_CHECK(vms_perf_ring_read(r, ring, rsize + 1, &tail, head, NULL, NULL, NULL) ==
		   -EINVAL);
	vms_faultrec_close(r);
	free(ring);
	return 0;
}
