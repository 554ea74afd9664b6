// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the sparse u64 files of snapshots (pagemap and kpage* extracts):
 * vms_sparse_open and vms_sparse_read on the input as a file, and a round trip
 * through vms_sparse_writer of records built from the input.
 * Properties: a read of N values equals N reads of one; with gaps read as zero
 * every value comes back; what the writer wrote reads back the same.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "private.h"

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* The input as a file, read at @index (@n values) from the query bytes. */
static void read_file(const uint8_t *q, const uint8_t *data, size_t size)
{
	uint64_t index = get64(q), one, *all;
	size_t n = (size_t)(q[8] | q[9] << 8) % 512 + 1;
	struct vms_sparse *s;
	ssize_t got;

	/* indexes end at 2^64 - 1: a read past it would wrap (no caller asks for one) */
	if (index > UINT64_MAX - n)
		index = UINT64_MAX - n;
	if (vms_sparse_open(fuzz_memfd(data, size), &s) < 0)
		return;
	all = calloc(n, 8);
	FUZZ_CHECK(all);
	for (int gaps = 0; gaps < 2; gaps++) {
		got = vms_sparse_read(s, index, n, all, gaps);
		FUZZ_CHECK(got >= 0 && (size_t)got <= n);
		FUZZ_CHECK(!gaps || (size_t)got == n);
		/* one at a time, backwards: the cached record must not lead astray */
		for (size_t i = (size_t)got; i-- > 0;) {
			FUZZ_CHECK(vms_sparse_read(s, index + i, 1, &one, gaps) == 1);
			FUZZ_CHECK(one == all[i]);
		}
	}
	{
		uint64_t end[8];

		/* up to the last index: the gap reads as zeros, nothing wraps */
		FUZZ_CHECK(vms_sparse_read(s, UINT64_MAX - 8, 8, end, true) == 8);
	}
	free(all);
	vms_sparse_close(s);
}

/* Records from the input: (gap u16, count u8, count values) ..., written then read back. */
static void round_trip(const uint8_t *data, size_t size)
{
	uint64_t *idx = malloc((size / 8 + 1) * sizeof(*idx));
	uint64_t *val = malloc((size / 8 + 1) * sizeof(*val));
	uint64_t next = data[0] ? UINT64_C(1) << (data[0] % 64) : 0, got;
	struct vms_sparse_writer *w;
	struct vms_sparse *s;
	size_t n = 0, at = 1;
	int fd = fuzz_memfd("", 0);

	FUZZ_CHECK(idx && val);
	FUZZ_CHECK(vms_sparse_writer_new(fd, &w) == 0);
	while (at + 3 <= size) {
		uint64_t first = next + (uint64_t)(data[at] | data[at + 1] << 8);
		size_t count = data[at + 2];

		at += 3;
		if (count * 8 > size - at)
			count = (size - at) / 8;
		if (first < next) /* wrapped past 2^64 */
			break;
		for (size_t k = 0; k < count; k++) {
			val[n + k] = get64(data + at + 8 * k);
			idx[n + k] = first + k;
		}
		/* an empty record, or one past 2^64, is refused */
		if (vms_sparse_writer_add(w, first, val + n, count) < 0) {
			FUZZ_CHECK(count == 0 || first + count < first || first + count == 0);
			break;
		}
		n += count;
		at += count * 8;
		next = first + count;
	}
	FUZZ_CHECK(vms_sparse_writer_finish(w) == 0);
	FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
	FUZZ_CHECK(vms_sparse_open(fd, &s) == 0);
	for (size_t k = 0; k < n; k++) {
		FUZZ_CHECK(vms_sparse_read(s, idx[k], 1, &got, false) == 1);
		FUZZ_CHECK(got == val[k]);
	}
	vms_sparse_close(s);
	free(idx);
	free(val);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 10)
		return 0;
	read_file(data, data + 10, size - 10);
	round_trip(data, size);
	return 0;
}
