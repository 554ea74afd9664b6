// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmscope: the per-frame files /proc/kpageflags, kpagecount and
 * kpagecgroup, read in runs of contiguous frames rather than page by page.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

/* One read covers at most this many frames (64 KiB). */
#define RUN_MAX 8192
/* Frames this close together are read in one go: a few extra bytes cost
 * far less than another system call. */
#define RUN_GAP 32

static const char *const kpf_names[VMS_KPF__COUNT] = {
	"locked",      "error",	    "referenced", "uptodate",	   "dirty",	    "lru",
	"active",      "slab",	    "writeback",  "reclaim",	   "buddy",	    "mmap",
	"anon",	       "swapcache", "swapbacked", "compound_head", "compound_tail", "huge",
	"unevictable", "hwpoison",  "nopage",	  "ksm",	   "thp",	    "offline",
	"zero_page",   "idle",	    "pgtable",
};

static const char *const file_names[VMS_KPAGE__COUNT] = { "proc/kpageflags", "proc/kpagecount",
							  "proc/kpagecgroup" };

struct vms_kpage {
	struct vms_ctx *ctx;
	int fd[VMS_KPAGE__COUNT];
	int err[VMS_KPAGE__COUNT];
	struct vms_sparse *sp[VMS_KPAGE__COUNT];
	uint64_t reads;
	uint64_t buf[RUN_MAX];
};

VMS_EXPORT const char *vms_kpf_name(unsigned int bit)
{
	return bit < VMS_KPF__COUNT ? kpf_names[bit] : NULL;
}

VMS_EXPORT int vms_kpage_open(struct vms_ctx *ctx, struct vms_kpage **out)
{
	struct vms_kpage *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->ctx = vms_ctx_ref(ctx);
	for (int i = 0; i < VMS_KPAGE__COUNT; i++) {
		int fd = vms_ctx_openat(ctx, file_names[i], 0);

		k->fd[i] = -1;
		if (fd < 0) {
			k->err[i] = fd;
			continue;
		}
		if (vms_ctx_is_live(ctx)) {
			k->fd[i] = fd;
		} else {
			int ret = vms_sparse_open(fd, &k->sp[i]);

			if (ret == -ENOMEM) {
				for (int j = i + 1; j < VMS_KPAGE__COUNT; j++)
					k->fd[j] = -1;
				vms_kpage_close(k);
				return ret;
			}
			if (ret < 0) {
				vms_err(ctx, "%s: not a valid vmscope sparse file", file_names[i]);
				k->err[i] = ret;
			}
		}
	}
	*out = k;
	return 0;
}

VMS_EXPORT void vms_kpage_close(struct vms_kpage *k)
{
	if (!k)
		return;
	for (int i = 0; i < VMS_KPAGE__COUNT; i++) {
		if (k->fd[i] >= 0)
			close(k->fd[i]);
		vms_sparse_close(k->sp[i]);
	}
	vms_ctx_unref(k->ctx);
	free(k);
}

VMS_EXPORT uint64_t vms_kpage_reads(const struct vms_kpage *k)
{
	return k->reads;
}

VMS_EXPORT ssize_t vms_kpage_read(struct vms_kpage *k, enum vms_kpage_file which, uint64_t pfn,
				  size_t n, uint64_t *out)
{
	size_t done = 0;

	if ((unsigned int)which >= VMS_KPAGE__COUNT)
		return -EINVAL;
	if (k->err[which])
		return k->err[which];
	if (pfn > VMS_PM_PFN_MASK)
		return 0;
	if (k->sp[which]) {
		k->reads++;
		return vms_sparse_read(k->sp[which], pfn, n, out, false);
	}
	while (done < n) {
		size_t want = n - done < RUN_MAX ? n - done : RUN_MAX;
		ssize_t got;

		k->reads++;
		got = pread(k->fd[which], out + done, want * 8, (off_t)((pfn + done) * 8));
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			break; /* past the last frame */
		done += (size_t)got / 8;
		if ((size_t)got % 8)
			return -EIO;
	}
	return (ssize_t)done;
}

VMS_EXPORT int vms_kpage_lookup(struct vms_kpage *k, enum vms_kpage_file which,
				const uint64_t *pfns, size_t n, uint64_t *out, size_t *missing)
{
	size_t i = 0, miss = 0;

	if ((unsigned int)which >= VMS_KPAGE__COUNT)
		return -EINVAL;
	if (k->err[which])
		return k->err[which];
	while (i < n) {
		uint64_t lo, hi;
		size_t j;
		ssize_t got;

		if (pfns[i] == UINT64_MAX || pfns[i] > VMS_PM_PFN_MASK) {
			out[i] = 0;
			miss += pfns[i] != UINT64_MAX;
			i++;
			continue;
		}
		/* grow a window of nearby frames in input order */
		lo = hi = pfns[i];
		for (j = i + 1; j < n; j++) {
			uint64_t p = pfns[j];

			if (p == UINT64_MAX)
				continue;
			if (p >= lo && p <= hi)
				continue;
			if (p > hi && p - hi <= RUN_GAP && p - lo < RUN_MAX) {
				hi = p;
				continue;
			}
			if (p < lo && lo - p <= RUN_GAP && hi - p < RUN_MAX) {
				lo = p;
				continue;
			}
			break;
		}
		got = vms_kpage_read(k, which, lo, (size_t)(hi - lo + 1), k->buf);
		if (got < 0)
			return (int)got;
		for (; i < j; i++) {
			uint64_t p = pfns[i];

			if (p == UINT64_MAX) {
				out[i] = 0;
			} else if (p - lo < (uint64_t)got) {
				out[i] = k->buf[p - lo];
			} else {
				/* past the end, or (in a snapshot) a frame after a
				 * gap in what was captured */
				uint64_t v = 0;
				ssize_t one = vms_kpage_read(k, which, p, 1, &v);

				if (one < 0)
					return (int)one;
				out[i] = v;
				miss += one != 1;
			}
		}
	}
	if (missing)
		*missing = miss;
	return 0;
}
