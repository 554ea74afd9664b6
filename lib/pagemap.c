// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmscope: pagemap — decoding entries, reading them in large batches, and
 * walking ranges as runs of pages, with the PAGEMAP_SCAN ioctl where it wins.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

/* One 64 KiB pread of entries: measured fastest on this kind of machine. */
#define READ_PAGES 8192
/* A walk works in chunks of this many pages, aligned to it. */
#define CHUNK_PAGES 8192
#define SCAN_VEC 512
/* A PMD maps 512 pages of 4 KiB. */
#define HUGE_PAGES 512
/* With entries wanted, more regions than this in one scan are read as one span. */
#define SPAN_REGIONS 64

struct vms_pagemap {
	struct vms_ctx *ctx;
	int fd; /* live pagemap, or -1 */
	struct vms_sparse *sp; /* snapshot extract, or NULL */
	unsigned long ps;
};

VMS_EXPORT void vms_pme_decode(uint64_t raw, bool frames_visible, struct vms_pme *out)
{
	memset(out, 0, sizeof(*out));
	out->raw = raw;
	out->file = raw & VMS_PM_FILE;
	out->exclusive = raw & VMS_PM_EXCLUSIVE;
	out->soft_dirty = raw & VMS_PM_SOFT_DIRTY;
	out->uffd_wp = raw & VMS_PM_UFFD_WP;
	out->unknown_bits = raw & VMS_PM_UNKNOWN_MASK;
	/* A guard entry also carries the swap bit: test it first. */
	if (raw & VMS_PM_GUARD) {
		out->state = VMS_PAGE_GUARD;
	} else if (raw & VMS_PM_PRESENT) {
		out->state = VMS_PAGE_PRESENT;
		out->pfn = raw & VMS_PM_PFN_MASK;
		out->frame_hidden = !frames_visible;
		if (out->frame_hidden)
			out->pfn = 0;
	} else if (raw & VMS_PM_SWAPPED) {
		out->state = VMS_PAGE_SWAPPED;
		out->frame_hidden = !frames_visible;
		if (!out->frame_hidden) {
			out->swap_type = (unsigned int)(raw & 0x1f);
			out->swap_offset = (raw & VMS_PM_PFN_MASK) >> 5;
		}
	} else {
		out->state = VMS_PAGE_NONE;
	}
}

VMS_EXPORT const char *vms_page_state_name(enum vms_page_state st)
{
	switch (st) {
	case VMS_PAGE_NONE:
		return "none";
	case VMS_PAGE_PRESENT:
		return "present";
	case VMS_PAGE_SWAPPED:
		return "swapped";
	case VMS_PAGE_GUARD:
		return "guard";
	case VMS_PAGE_UNKNOWN:
		return "unknown";
	}
	return NULL;
}

VMS_EXPORT const struct vms_swap *vms_swaps_by_type(const struct vms_swaps *s, unsigned int type,
						    uint64_t offset, unsigned long page_size)
{
	const struct vms_swap *sw = vms_swaps_get(s, type);

	if (!sw || !page_size)
		return NULL;
	/* slot 0 holds the swap header; the last slot is size/page_size - 1 */
	if (offset == 0 || offset >= sw->size / page_size + 1)
		return NULL;
	return sw;
}

VMS_EXPORT int vms_pagemap_open(struct vms_proc *p, struct vms_pagemap **out)
{
	struct vms_ctx *ctx = vms_proc_ctx(p);
	struct vms_pagemap *pm;
	int fd, ret;

	/* a zombie leader's pagemap is empty: read a live thread's */
	vms_proc_memory_tid(p);
	fd = vms_proc_openat(p, "pagemap", 0);
	if (fd < 0)
		return fd;
	pm = calloc(1, sizeof(*pm));
	if (!pm) {
		close(fd);
		return -ENOMEM;
	}
	pm->ctx = ctx;
	pm->ps = vms_ctx_page_size(ctx);
	pm->fd = -1;
	if (vms_ctx_is_live(ctx)) {
		pm->fd = fd;
	} else {
		ret = vms_sparse_open(fd, &pm->sp);
		if (ret < 0) {
			vms_err(ctx, "pid %d: pagemap: not a valid vmscope sparse file",
				(int)vms_proc_pid(p));
			free(pm);
			return ret;
		}
	}
	*out = pm;
	return 0;
}

VMS_EXPORT void vms_pagemap_close(struct vms_pagemap *pm)
{
	if (!pm)
		return;
	if (pm->fd >= 0)
		close(pm->fd);
	vms_sparse_close(pm->sp);
	free(pm);
}

VMS_EXPORT ssize_t vms_pagemap_read(struct vms_pagemap *pm, uint64_t addr, size_t n, uint64_t *buf)
{
	size_t done = 0;
	uint64_t index;

	if (addr % pm->ps)
		return -EINVAL;
	index = addr / pm->ps;
	if (pm->sp)
		return vms_sparse_read(pm->sp, index, n, buf, true);
	while (done < n) {
		size_t want = n - done < READ_PAGES ? n - done : READ_PAGES;
		ssize_t got = pread(pm->fd, buf + done, want * 8, (off_t)((index + done) * 8));

		if (got < 0) {
			if (errno == EINTR)
				continue;
			/* mm gone between open and read */
			if (errno == ESRCH)
				break;
			return -errno;
		}
		if (got == 0)
			break; /* the process exited: the rest is unknown */
		done += (size_t)got / 8;
		if ((size_t)got % 8)
			return -EIO;
	}
	return (ssize_t)done;
}

/* ---------------------------------------------------------------------- */
/* The walk                                                                */

struct vms_pagewalk {
	struct vms_pagemap *pm;
	unsigned long ps;
	uint64_t cur, end;
	unsigned int flags, known;
	bool frames_visible;
	bool have_zero;
	uint64_t zero_pfn;
	bool scan; /* PAGEMAP_SCAN may be used */
	bool scan_guard; /* ... and knows guard regions */
	bool read_chunks; /* dense chunks may be read with pread */
	bool prev_dense;
	bool gone;
	uint64_t chunk_end;
	/* huge regions found by one scan in a pread chunk: w->vec[0..huge_n),
	 * valid up to huge_end */
	size_t huge_n;
	uint64_t huge_end;
	struct vms_kpage *kp; /* for huge pages when reading only */
	int err; /* what block_is_huge() met that is not an answer (-ENOMEM) */
	uint64_t chunk_start;
	uint64_t *ent;
	struct vms_page_run *runs;
	size_t nruns, pos;
	struct vms_page_region vec[SCAN_VEC];
	uint64_t n_scans, n_reads;
};

static unsigned int entry_flags(const struct vms_pagewalk *w, uint64_t e)
{
	unsigned int f = 0;

	if (e & VMS_PM_GUARD)
		return VMS_RUN_GUARD;
	if (e & VMS_PM_PRESENT) {
		f = VMS_RUN_PRESENT;
		if (w->have_zero && w->frames_visible && (e & VMS_PM_PFN_MASK) == w->zero_pfn)
			f |= VMS_RUN_ZERO;
	} else if (e & VMS_PM_SWAPPED) {
		f = VMS_RUN_SWAPPED;
	} else {
		return 0;
	}
	if (e & VMS_PM_FILE)
		f |= VMS_RUN_FILE;
	if (e & VMS_PM_EXCLUSIVE)
		f |= VMS_RUN_EXCLUSIVE;
	if (e & VMS_PM_SOFT_DIRTY)
		f |= VMS_RUN_SOFT_DIRTY;
	if (e & VMS_PM_UFFD_WP)
		f |= VMS_RUN_UFFD_WP;
	return f;
}

static unsigned int scan_flags(uint64_t cats)
{
	unsigned int f = 0;

	if (cats & VMS_PAGE_IS_GUARD)
		return VMS_RUN_GUARD;
	if (cats & VMS_PAGE_IS_PRESENT)
		f |= VMS_RUN_PRESENT;
	else if (cats & VMS_PAGE_IS_SWAPPED)
		f |= VMS_RUN_SWAPPED;
	if (cats & VMS_PAGE_IS_FILE)
		f |= VMS_RUN_FILE;
	if (cats & VMS_PAGE_IS_HUGE)
		f |= VMS_RUN_HUGE;
	if (cats & VMS_PAGE_IS_PFNZERO)
		f |= VMS_RUN_ZERO;
	if (cats & VMS_PAGE_IS_SOFT_DIRTY)
		f |= VMS_RUN_SOFT_DIRTY;
	return f;
}

static int push_run(struct vms_pagewalk *w, uint64_t start, uint64_t end, unsigned int flags,
		    bool with_entries)
{
	const uint64_t *ents = NULL;

	if (start >= end)
		return 0;
	if (!(flags & (VMS_RUN_PRESENT | VMS_RUN_SWAPPED | VMS_RUN_GUARD | VMS_RUN_UNKNOWN)))
		with_entries = false;
	flags &= w->known;
	if (with_entries)
		ents = w->ent + (start - w->chunk_start) / w->ps;
	if (w->nruns) {
		struct vms_page_run *last = &w->runs[w->nruns - 1];

		if (last->end == start && last->flags == flags &&
		    (last->entries != NULL) == (ents != NULL)) {
			last->end = end;
			return 0;
		}
	}
	/* at most one run per page of a chunk, plus the gaps */
	if (w->nruns == 2 * CHUNK_PAGES + 2)
		return -EIO;
	w->runs[w->nruns++] = (struct vms_page_run){ start, end, flags, ents };
	return 0;
}

/* Split [start, end) by the flags of the entries already in w->ent. */
static int push_entries(struct vms_pagewalk *w, uint64_t start, uint64_t end, unsigned int extra)
{
	uint64_t a = start;

	while (a < end) {
		size_t i = (a - w->chunk_start) / w->ps, j = i + 1,
		       n = (end - w->chunk_start) / w->ps;
		unsigned int f = entry_flags(w, w->ent[i]);
		/* equal bits above the PFN and the same zero-page answer give
		 * equal flags: the common case, tested without decoding */
		uint64_t hi = w->ent[i] & ~VMS_PM_PFN_MASK;
		bool zero_test = w->have_zero && w->frames_visible && (hi & VMS_PM_PRESENT) &&
				 !(hi & VMS_PM_GUARD);
		uint64_t b;
		int ret;

		while (j < n && (w->ent[j] & ~VMS_PM_PFN_MASK) == hi &&
		       (!zero_test ||
			((w->ent[j] & VMS_PM_PFN_MASK) == w->zero_pfn) == !!(f & VMS_RUN_ZERO)))
			j++;
		b = w->chunk_start + j * w->ps;
		/* what the scan saw and an entry cannot say (huge, zero page),
		 * kept while the page is still present */
		ret = push_run(w, a, b, (f & VMS_RUN_PRESENT) ? f | extra : f,
			       w->flags & VMS_WALK_ENTRIES);
		if (ret < 0)
			return ret;
		a = b;
	}
	return 0;
}

static void mark_gone(struct vms_pagewalk *w, uint64_t from)
{
	w->gone = true;
	push_run(w, from, w->end, VMS_RUN_UNKNOWN, false);
	w->cur = w->end;
}

/* Read the entries of [start, end) into w->ent.  Returns how many were
 * read (fewer when the process exited) or -errno. */
static ssize_t read_entries(struct vms_pagewalk *w, uint64_t start, uint64_t end)
{
	size_t i = (start - w->chunk_start) / w->ps, n = (end - start) / w->ps;

	w->n_reads += (n + READ_PAGES - 1) / READ_PAGES;
	return vms_pagemap_read(w->pm, start, n, w->ent + i);
}

/* The process exited after @got pages from @start: keep those, the rest is unknown. */
static int cut_short(struct vms_pagewalk *w, uint64_t start, size_t got, unsigned int extra)
{
	int ret = push_entries(w, start, start + got * w->ps, extra);

	if (ret < 0)
		return ret;
	mark_gone(w, start + got * w->ps);
	return 0;
}

static long do_scan(struct vms_pagewalk *w, struct vms_pm_scan_arg *a)
{
	long r;

	w->n_scans++;
	do
		r = ioctl(w->pm->fd, VMS_PAGEMAP_SCAN, a);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* Is the 2 MiB block [start, end) (all present) mapped by a huge entry? */
static bool block_is_huge(struct vms_pagewalk *w, uint64_t start, uint64_t end)
{
	if (w->scan) {
		/* one scan for the huge regions of the rest of the chunk,
		 * not one per block */
		if (start >= w->huge_end) {
			struct vms_pm_scan_arg a = {
				.size = sizeof(a),
				.start = start,
				.end = w->chunk_end,
				.vec = (uintptr_t)w->vec,
				.vec_len = SCAN_VEC,
				.category_mask = VMS_PAGE_IS_HUGE,
				.return_mask = VMS_PAGE_IS_HUGE,
			};
			long r = do_scan(w, &a);

			w->huge_n = r < 0 ? 0 : (size_t)r;
			w->huge_end = w->chunk_end;
			if (r == SCAN_VEC) {
				w->huge_end = a.walk_end;
				if (w->vec[r - 1].end < w->huge_end)
					w->huge_end = w->vec[r - 1].end;
			}
			if (w->huge_end <= start)
				w->huge_end = end;
		}
		for (size_t i = 0; i < w->huge_n; i++)
			if (w->vec[i].start <= start && end <= w->vec[i].end)
				return true;
		return false;
	}
	if (!w->kp) {
		int r = vms_kpage_open(w->pm->ctx, &w->kp);

		if (r < 0) {
			w->err = r;
			return false;
		}
	}
	if (w->frames_visible) {
		/* the frames are one aligned compound page, in order */
		size_t i = (start - w->chunk_start) / w->ps, n = (end - start) / w->ps;
		uint64_t first = w->ent[i] & VMS_PM_PFN_MASK;
		uint64_t head = first - (start / w->ps) % HUGE_PAGES, kpf = 0;

		if (head % HUGE_PAGES || first < (start / w->ps) % HUGE_PAGES)
			return false;
		for (size_t k = 1; k < n; k++)
			if ((w->ent[i + k] & VMS_PM_PFN_MASK) != first + k)
				return false;
		if (vms_kpage_read(w->kp, VMS_KPAGE_FLAGS, head, 1, &kpf) != 1)
			return false;
		return (kpf & (UINT64_C(1) << VMS_KPF_COMPOUND_HEAD)) &&
		       (kpf & ((UINT64_C(1) << VMS_KPF_THP) | (UINT64_C(1) << VMS_KPF_HUGE)));
	}
	return false;
}

/* A chunk by pread: every entry, then huge blocks found. */
static int chunk_read(struct vms_pagewalk *w, uint64_t cs, uint64_t ce)
{
	size_t n = (ce - cs) / w->ps, present = 0;
	uint64_t huge_step = (uint64_t)HUGE_PAGES * w->ps;
	ssize_t got = read_entries(w, cs, ce);
	int ret;

	w->chunk_end = ce;
	w->huge_n = 0;
	w->huge_end = 0;

	if (got < 0)
		return (int)got;
	if ((size_t)got < n)
		return cut_short(w, cs, (size_t)got, 0);
	if (w->known & VMS_RUN_HUGE) {
		/* blocks wholly present; a PMD maps only an aligned block */
		uint64_t b = cs - cs % huge_step;

		for (; b < ce; b += huge_step) {
			uint64_t s = b < cs ? cs : b, e = b + huge_step > ce ? ce : b + huge_step;
			size_t i0 = (s - cs) / w->ps, k, m = (e - s) / w->ps;
			bool all = true;

			for (k = 0; k < m && all; k++)
				all = (w->ent[i0 + k] & (VMS_PM_PRESENT | VMS_PM_GUARD)) ==
				      VMS_PM_PRESENT;
			if (all && block_is_huge(w, s, e)) {
				ret = push_entries(w, s, e, VMS_RUN_HUGE);
				if (ret < 0)
					return ret;
				continue;
			}
			if (w->err)
				return w->err;
			ret = push_entries(w, s, e, 0);
			if (ret < 0)
				return ret;
			for (k = 0; k < m; k++)
				present += (w->ent[i0 + k] & (VMS_PM_PRESENT | VMS_PM_GUARD)) ==
					   VMS_PM_PRESENT;
		}
	} else {
		ret = push_entries(w, cs, ce, 0);
		if (ret < 0)
			return ret;
		for (size_t k = 0; k < n; k++)
			present += (w->ent[k] & (VMS_PM_PRESENT | VMS_PM_GUARD)) == VMS_PM_PRESENT;
	}
	w->prev_dense = present * 2 >= n;
	return 0;
}

/* A chunk by PAGEMAP_SCAN: the regions in the page table, the gaps between
 * them not present; entries read only for what the caller needs. */
static int chunk_scan(struct vms_pagewalk *w, uint64_t cs, uint64_t ce)
{
	uint64_t pos = cs, present4k = 0;
	uint64_t cats = VMS_PAGE_IS_PRESENT | VMS_PAGE_IS_SWAPPED | VMS_PAGE_IS_FILE |
			VMS_PAGE_IS_HUGE | VMS_PAGE_IS_PFNZERO | VMS_PAGE_IS_SOFT_DIRTY;
	struct vms_pm_scan_arg a = {
		.size = sizeof(a),
		.start = cs,
		.end = ce,
		.vec = (uintptr_t)w->vec,
		.vec_len = SCAN_VEC,
		/* never PM_SCAN_WP_MATCHING nor PM_SCAN_CHECK_WPASYNC: they would
		 * write-protect the target's pages */
		.flags = 0,
		.category_anyof_mask = VMS_PAGE_IS_PRESENT | VMS_PAGE_IS_SWAPPED,
	};
	int ret;

	if (w->scan_guard) {
		cats |= VMS_PAGE_IS_GUARD;
		a.category_anyof_mask |= VMS_PAGE_IS_GUARD;
	}
	a.return_mask = cats;
	for (;;) {
		long n = do_scan(w, &a);
		uint64_t resume;
		bool span_read;

		if (n == -ESRCH) {
			mark_gone(w, pos);
			return 0;
		}
		if (n < 0)
			return (int)n;
		span_read = false;
		if ((w->flags & VMS_WALK_ENTRIES) && n > SPAN_REGIONS) {
			/* many small regions: one read of their span costs less
			 * than a read each */
			uint64_t ss = w->vec[0].start < pos ? pos : w->vec[0].start;
			uint64_t se = w->vec[n - 1].end > ce ? ce : w->vec[n - 1].end;

			if (se > ss) {
				ssize_t got = read_entries(w, ss, se);

				if (got < 0)
					return (int)got;
				if ((size_t)got < (se - ss) / w->ps) {
					ret = push_run(w, pos, ss, 0, false);
					if (ret < 0)
						return ret;
					return cut_short(w, ss, (size_t)got, 0);
				}
				span_read = true;
			}
		}
		for (long i = 0; i < n; i++) {
			const struct vms_page_region *r = &w->vec[i];
			unsigned int f = scan_flags(r->categories);
			uint64_t rs = r->start < pos ? pos : r->start,
				 re = r->end > ce ? ce : r->end;

			/* walk_end can lag: a region may come back twice */
			if (re <= rs)
				continue;
			ret = push_run(w, pos, rs, 0, false);
			if (ret < 0)
				return ret;
			if ((f & VMS_RUN_PRESENT) && !(f & VMS_RUN_HUGE))
				present4k += (re - rs) / w->ps;
			if (span_read) {
				ret = push_entries(w, rs, re, f & (VMS_RUN_HUGE | VMS_RUN_ZERO));
			} else if ((w->flags & VMS_WALK_ENTRIES) ||
				   ((f & VMS_RUN_SWAPPED) && !w->scan_guard)) {
				ssize_t got = read_entries(w, rs, re);

				if (got < 0)
					return (int)got;
				if ((size_t)got < (re - rs) / w->ps)
					return cut_short(w, rs, (size_t)got,
							 f & (VMS_RUN_HUGE | VMS_RUN_ZERO));
				ret = push_entries(w, rs, re, f & (VMS_RUN_HUGE | VMS_RUN_ZERO));
			} else {
				ret = push_run(w, rs, re, f, false);
			}
			if (ret < 0)
				return ret;
			pos = re;
		}
		if (n < SCAN_VEC)
			break;
		resume = a.walk_end;
		if (n > 0 && w->vec[n - 1].end > resume)
			resume = w->vec[n - 1].end;
		if (resume >= ce)
			break;
		a.start = resume;
		a.walk_end = 0;
	}
	ret = push_run(w, pos, ce, 0, false);
	w->prev_dense = present4k * 2 >= (ce - cs) / w->ps;
	return ret;
}

static int next_chunk(struct vms_pagewalk *w)
{
	uint64_t span = (uint64_t)CHUNK_PAGES * w->ps;
	uint64_t cs = w->cur, ce = (cs / span + 1) * span;

	if (ce > w->end || ce < cs)
		ce = w->end;
	w->nruns = w->pos = 0;
	w->chunk_start = cs;
	w->cur = ce;
	if (w->scan && !(w->read_chunks && w->prev_dense))
		return chunk_scan(w, cs, ce);
	return chunk_read(w, cs, ce);
}

VMS_EXPORT int vms_pagewalk_open(struct vms_pagemap *pm, uint64_t start, uint64_t end,
				 unsigned int flags, struct vms_pagewalk **out)
{
	struct vms_ctx *ctx = pm->ctx;
	unsigned int caps = vms_ctx_caps(ctx);
	struct vms_pagewalk *w;

	if ((flags & ~(VMS_WALK_ENTRIES | VMS_WALK_READ | VMS_WALK_SCAN)) ||
	    (flags & VMS_WALK_READ && flags & VMS_WALK_SCAN) || start % pm->ps || end % pm->ps ||
	    end < start)
		return -EINVAL;
	if ((flags & VMS_WALK_SCAN) && (!(caps & VMS_CAP_PAGEMAP_SCAN) || pm->fd < 0))
		return -EOPNOTSUPP;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ent = malloc(CHUNK_PAGES * sizeof(uint64_t));
	w->runs = malloc((2 * CHUNK_PAGES + 2) * sizeof(*w->runs));
	if (!w->ent || !w->runs) {
		vms_pagewalk_close(w);
		return -ENOMEM;
	}
	w->pm = pm;
	w->ps = pm->ps;
	w->cur = start;
	w->end = end;
	w->flags = flags;
	w->frames_visible = caps & VMS_CAP_PFN;
	w->have_zero = vms_ctx_zero_pfn(ctx, &w->zero_pfn) == 0;
	w->scan = pm->fd >= 0 && (caps & VMS_CAP_PAGEMAP_SCAN) && !(flags & VMS_WALK_READ);
	w->scan_guard = w->scan && (caps & VMS_CAP_SCAN_GUARD);
	w->known = VMS_RUN_PRESENT | VMS_RUN_SWAPPED | VMS_RUN_FILE | VMS_RUN_GUARD |
		   VMS_RUN_SOFT_DIRTY | VMS_RUN_UNKNOWN;
	if (w->scan) {
		w->known |= VMS_RUN_HUGE | VMS_RUN_ZERO;
		if (flags & VMS_WALK_ENTRIES)
			w->known |= VMS_RUN_EXCLUSIVE | VMS_RUN_UFFD_WP;
		/*
		 * pread wins on dense 4 KiB memory, and gives the same answer
		 * when the zero page can be told from the PFN (huge blocks are
		 * confirmed with a one-block scan).
		 */
		w->read_chunks = !(flags & VMS_WALK_SCAN) && w->frames_visible && w->have_zero &&
				 w->ps * HUGE_PAGES == 2u << 20;
	} else {
		/* the entries are read anyway, but what a walk knows must not
		 * depend on how it reads */
		if (flags & VMS_WALK_ENTRIES)
			w->known |= VMS_RUN_EXCLUSIVE | VMS_RUN_UFFD_WP;
		if (w->frames_visible && w->have_zero)
			w->known |= VMS_RUN_ZERO;
		/* kpageflags is opened on the first wholly present block */
		if (w->frames_visible && (caps & VMS_CAP_KPAGEFLAGS) &&
		    w->ps * HUGE_PAGES == 2u << 20)
			w->known |= VMS_RUN_HUGE;
	}
	*out = w;
	return 0;
}

VMS_EXPORT unsigned int vms_pagewalk_known(const struct vms_pagewalk *w)
{
	return w->known;
}

VMS_EXPORT int vms_pagewalk_next(struct vms_pagewalk *w, struct vms_page_run *run)
{
	while (w->pos == w->nruns) {
		int ret;

		if (w->cur >= w->end)
			return 0;
		ret = next_chunk(w);
		if (ret < 0)
			return ret;
	}
	*run = w->runs[w->pos++];
	return 1;
}

VMS_EXPORT int vms_pagewalk_finish(const struct vms_pagewalk *w)
{
	return w->gone ? -ESRCH : 0;
}

VMS_EXPORT void vms_pagewalk_stats(const struct vms_pagewalk *w, uint64_t *scans, uint64_t *reads)
{
	if (scans)
		*scans = w->n_scans;
	if (reads)
		*reads = w->n_reads;
}

VMS_EXPORT void vms_pagewalk_close(struct vms_pagewalk *w)
{
	if (!w)
		return;
	vms_kpage_close(w->kp);
	free(w->ent);
	free(w->runs);
	free(w);
}

/* ---------------------------------------------------------------------- */
/* Page-table geometry                                                     */

VMS_EXPORT int vms_pt_split(uint64_t addr, unsigned int levels, struct vms_pt_level *out,
			    size_t max)
{
#if defined(__x86_64__)
	static const char *const names5[] = { "PML5", "PML4", "PDPT", "PD", "PT" };
	unsigned int n = 0, first;

	if (levels == 0)
		levels = 4;
	if (levels != 4 && levels != 5)
		return -EINVAL;
	if (max < levels + 1)
		return -ERANGE;
	first = 5 - levels;
	for (unsigned int l = first; l < 5; l++) {
		unsigned int lo = 12 + 9 * (4 - l);

		out[n++] = (struct vms_pt_level){ names5[l], lo, lo + 8, (addr >> lo) & 0x1ff };
	}
	out[n++] = (struct vms_pt_level){ "offset", 0, 11, addr & 0xfff };
	return (int)n;
#else
	(void)addr;
	(void)levels;
	(void)out;
	(void)max;
	return -EOPNOTSUPP;
#endif
}
