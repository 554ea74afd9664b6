// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: /proc/swaps (vms_swaps_parse_fd, and vms_swaps_read through a
 * snapshot root), and the row of a swap entry (vms_swaps_by_type).
 * Properties: both readers agree; the row found for (type, offset) holds it.
 */
#include <string.h>
#include <unistd.h>

#include <vmscope/vmscope.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int dirfd, fd = fuzz_memfd(data, size), r1, r2;
	struct vms_ctx *ctx = fuzz_root(&dirfd);
	struct vms_swaps *a = NULL, *b = NULL;

	FUZZ_CHECK(fuzz_write_file(dirfd, "proc/swaps", data, size) == 0);
	r1 = vms_swaps_parse_fd(fd, &a);
	close(fd);
	r2 = vms_swaps_read(ctx, &b);
	FUZZ_CHECK(r1 == r2 && (r1 == 0 || r1 == -EBADMSG));
	if (r1 < 0)
		return 0;
	FUZZ_CHECK(vms_swaps_count(a) == vms_swaps_count(b));
	for (size_t i = 0; i < vms_swaps_count(a); i++) {
		const struct vms_swap *x = vms_swaps_get(a, i), *y = vms_swaps_get(b, i);

		FUZZ_CHECK(x->filename && x->type);
		FUZZ_CHECK(strcmp(x->filename, y->filename) == 0 && strcmp(x->type, y->type) == 0);
		FUZZ_CHECK(x->size == y->size && x->used == y->used && x->priority == y->priority);
		FUZZ_CHECK(x->size % 1024 == 0 && x->used % 1024 == 0);
	}
	FUZZ_CHECK(vms_swaps_get(a, vms_swaps_count(a)) == NULL);
	for (unsigned int type = 0; type < 4; type++) {
		static const uint64_t offsets[] = { 0,	       1, 255, 1u << 20, UINT64_MAX / 4096,
						    UINT64_MAX };

		for (size_t k = 0; k < sizeof(offsets) / sizeof(offsets[0]); k++) {
			const struct vms_swap *w = vms_swaps_by_type(a, type, offsets[k], 4096);

			/* the row holds the slot: slot 0 is the header, the size does
			 * not count it */
			FUZZ_CHECK(!w || (offsets[k] > 0 && offsets[k] <= w->size / 4096));
		}
	}
	vms_swaps_free(a);
	vms_swaps_free(b);
	return 0;
}
