// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmscope: the "vmscope sparse u64 file" of snapshots and fixtures, which
 * stands in for pagemap and the kpage* files (those are indexed by page or
 * frame number over a range far too large to store as a plain file).
 *
 * Layout, little-endian: "VMSPARSE", u32 version (1), u32 entry size (8),
 * then records {u64 first_index, u64 count >= 1, count x u64} in strictly
 * ascending, non-overlapping order, up to the exact end of the file.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

#define SPARSE_MAGIC "VMSPARSE"
#define SPARSE_VERSION 1
#define SPARSE_HDR 16

struct sparse_rec {
	uint64_t first, count;
	off_t off; /* file offset of the first value */
};

struct vms_sparse {
	int fd;
	struct sparse_rec *r;
	size_t n;
	size_t last; /* record of the last lookup: reads are mostly in order */
};

static int pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + (off_t)done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPROTO;
		done += (size_t)n;
	}
	return 0;
}

void vms_sparse_close(struct vms_sparse *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->r);
	free(s);
}

int vms_sparse_open(int fd, struct vms_sparse **out)
{
	struct vms_sparse *s;
	struct stat st;
	unsigned char hdr[SPARSE_HDR];
	uint32_t v;
	off_t off = SPARSE_HDR;
	size_t cap = 0;
	int ret;

	if (fstat(fd, &st) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	/* a FIFO, a device or /dev/zero is not a snapshot file */
	if (!S_ISREG(st.st_mode) || st.st_size < SPARSE_HDR) {
		close(fd);
		return -EPROTO;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	ret = pread_full(fd, hdr, sizeof(hdr), 0);
	if (ret < 0)
		goto fail;
	memcpy(&v, hdr + 8, 4);
	if (memcmp(hdr, SPARSE_MAGIC, 8) != 0 || le32toh(v) != SPARSE_VERSION) {
		ret = -EPROTO;
		goto fail;
	}
	memcpy(&v, hdr + 12, 4);
	if (le32toh(v) != 8) {
		ret = -EPROTO;
		goto fail;
	}
	while (off < st.st_size) {
		uint64_t rh[2], first, count;

		if (st.st_size - off < 16) {
			ret = -EPROTO;
			goto fail;
		}
		ret = pread_full(fd, rh, sizeof(rh), off);
		if (ret < 0)
			goto fail;
		first = le64toh(rh[0]);
		count = le64toh(rh[1]);
		off += 16;
		if (count == 0 || count > (uint64_t)(st.st_size - off) / 8 ||
		    first + count < first ||
		    (s->n && first < s->r[s->n - 1].first + s->r[s->n - 1].count)) {
			ret = -EPROTO;
			goto fail;
		}
		if (s->n == cap) {
			struct sparse_rec *nr;

			cap = cap ? cap * 2 : 16;
			nr = realloc(s->r, cap * sizeof(*nr));
			if (!nr) {
				ret = -ENOMEM;
				goto fail;
			}
			s->r = nr;
		}
		s->r[s->n++] = (struct sparse_rec){ first, count, off };
		off += (off_t)(count * 8);
	}
	*out = s;
	return 0;
fail:
	vms_sparse_close(s);
	return ret;
}

/* The first record that ends after @index, or s->n. */
static size_t find_rec(struct vms_sparse *s, uint64_t index)
{
	size_t lo = 0, hi = s->n;

	if (s->last < s->n && s->r[s->last].first <= index &&
	    index < s->r[s->last].first + s->r[s->last].count)
		return s->last;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->r[mid].first + s->r[mid].count <= index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

ssize_t vms_sparse_read(struct vms_sparse *s, uint64_t index, size_t n, uint64_t *out,
			bool gaps_are_zero)
{
	size_t done = 0, i = find_rec(s, index);

	while (done < n) {
		uint64_t at = index + done;
		const struct sparse_rec *r = i < s->n ? &s->r[i] : NULL;
		size_t take;
		int ret;

		if (!r || at < r->first) {
			uint64_t gap = r ? r->first - at : UINT64_MAX;

			if (!gaps_are_zero)
				break;
			take = gap < n - done ? (size_t)gap : n - done;
			memset(out + done, 0, take * 8);
			done += take;
			continue;
		}
		take = (size_t)(r->first + r->count - at);
		if (take > n - done)
			take = n - done;
		ret = pread_full(s->fd, out + done, take * 8,
				 r->off + (off_t)((at - r->first) * 8));
		if (ret < 0)
			return ret == -EPROTO ? -EIO : ret;
		for (size_t k = 0; k < take; k++)
			out[done + k] = le64toh(out[done + k]);
		done += take;
		s->last = i;
		i++;
	}
	return (ssize_t)done;
}
