// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmscope: the writer of "vmscope sparse u64 files" (layout in sparse.c),
 * for captures.  A record's header holds its count, so the values of the
 * record being built wait in a buffer; a full buffer ends the record, and
 * the next values start an adjacent one (adjacent records are valid).
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

#define RECORD_MAX 65536 /* values per record: 512 KiB of buffer */

struct vms_sparse_writer {
	int fd;
	int err; /* the first error: every later call returns it */
	bool started; /* a value was added: @end is meaningful */
	uint64_t end; /* the index after the last value added */
	uint64_t first; /* of the record being built */
	size_t count; /* values in it */
	uint64_t buf[2 + RECORD_MAX]; /* its header and values, little-endian */
};

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int flush_record(struct vms_sparse_writer *w)
{
	int ret;

	if (!w->count)
		return 0;
	w->buf[0] = htole64(w->first);
	w->buf[1] = htole64((uint64_t)w->count);
	ret = write_full(w->fd, w->buf, (2 + w->count) * sizeof(uint64_t));
	w->first += w->count;
	w->count = 0;
	return ret;
}

VMS_EXPORT int vms_sparse_writer_new(int fd, struct vms_sparse_writer **out)
{
	struct vms_sparse_writer *w;
	unsigned char hdr[16];
	uint32_t v;
	int ret;

	if (fd < 0 || !out)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	memcpy(hdr, "VMSPARSE", 8);
	v = htole32(1); /* version */
	memcpy(hdr + 8, &v, 4);
	v = htole32(8); /* entry size */
	memcpy(hdr + 12, &v, 4);
	ret = write_full(fd, hdr, sizeof(hdr));
	if (ret < 0) {
		free(w);
		return ret;
	}
	*out = w;
	return 0;
}

VMS_EXPORT int vms_sparse_writer_add(struct vms_sparse_writer *w, uint64_t first, const uint64_t *v,
				     size_t n)
{
	if (!w)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (n == 0)
		return 0;
	/* ascending, and the reader refuses a record that reaches 2^64 */
	if (!v || (w->started && first < w->end) || n > UINT64_MAX - first)
		return -EINVAL;
	if (w->count && first != w->first + w->count) {
		w->err = flush_record(w);
		if (w->err)
			return w->err;
	}
	if (!w->count)
		w->first = first;
	w->started = true;
	w->end = first + n;
	while (n) {
		size_t take = RECORD_MAX - w->count;

		if (take > n)
			take = n;
		for (size_t i = 0; i < take; i++)
			w->buf[2 + w->count + i] = htole64(v[i]);
		w->count += take;
		v += take;
		n -= take;
		if (w->count == RECORD_MAX) {
			w->err = flush_record(w);
			if (w->err)
				return w->err;
		}
	}
	return 0;
}

VMS_EXPORT int vms_sparse_writer_finish(struct vms_sparse_writer *w)
{
	int ret;

	if (!w)
		return -EINVAL;
	ret = w->err ? w->err : flush_record(w);
	free(w);
	return ret;
}
