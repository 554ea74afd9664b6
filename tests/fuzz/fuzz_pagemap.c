// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: pagemap entries and what is built on them: vms_pme_decode, the
 * names of kpageflags bits, vms_pt_split, and the page walk over a snapshot's
 * pagemap and kpageflags extracts made of the input's words.
 * Properties: the decoded fields are the documented bits; the walk's runs tile
 * the range and each page's flags are those of its entry (plus HUGE, which only
 * a present page has); the entries a run hands out are the entries read.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmscope/vmscope.h>

#include "fuzz.h"

#define MAX_WORDS 2048
#define PS 4096
/* the walk starts at this page plus an offset from the input: 0x40000 is
 * a multiple of the walk's 8192-page chunks, so ranges cross chunk ends */
#define BASE_PAGE 0x40000
#define ZERO_PFN 0x2a

static void check_decode(uint64_t raw)
{
	for (int vis = 0; vis < 2; vis++) {
		struct vms_pme p;

		vms_pme_decode(raw, vis, &p);
		FUZZ_CHECK(p.raw == raw);
		FUZZ_CHECK(p.file == !!(raw & VMS_PM_FILE));
		FUZZ_CHECK(p.exclusive == !!(raw & VMS_PM_EXCLUSIVE));
		FUZZ_CHECK(p.soft_dirty == !!(raw & VMS_PM_SOFT_DIRTY));
		FUZZ_CHECK(p.uffd_wp == !!(raw & VMS_PM_UFFD_WP));
		FUZZ_CHECK(p.unknown_bits == (raw & VMS_PM_UNKNOWN_MASK));
		FUZZ_CHECK(vms_page_state_name(p.state) != NULL);
		if (raw & VMS_PM_GUARD) {
			FUZZ_CHECK(p.state == VMS_PAGE_GUARD);
		} else if (raw & VMS_PM_PRESENT) {
			FUZZ_CHECK(p.state == VMS_PAGE_PRESENT);
			FUZZ_CHECK(p.frame_hidden == !vis);
			FUZZ_CHECK(p.pfn == (vis ? raw & VMS_PM_PFN_MASK : 0));
		} else if (raw & VMS_PM_SWAPPED) {
			FUZZ_CHECK(p.state == VMS_PAGE_SWAPPED);
			FUZZ_CHECK(p.frame_hidden == !vis);
			FUZZ_CHECK(p.swap_type == (vis ? (unsigned int)(raw & 0x1f) : 0));
			FUZZ_CHECK(p.swap_offset == (vis ? (raw & VMS_PM_PFN_MASK) >> 5 : 0));
		} else {
			FUZZ_CHECK(p.state == VMS_PAGE_NONE);
		}
		if (p.state != VMS_PAGE_PRESENT)
			FUZZ_CHECK(p.pfn == 0);
		if (p.state != VMS_PAGE_SWAPPED)
			FUZZ_CHECK(p.swap_type == 0 && p.swap_offset == 0);
	}
	/* the word as kpageflags: a name for each known bit set, none for the others */
	for (unsigned int bit = 0; bit < 64; bit++)
		if (raw >> bit & 1)
			FUZZ_CHECK((vms_kpf_name(bit) != NULL) == (bit < VMS_KPF__COUNT));
}

static void check_split(uint64_t addr, unsigned int levels, size_t max)
{
	struct vms_pt_level out[8];
	int n = vms_pt_split(addr, levels, out, max);
	unsigned int want = levels ? levels : 4;
	uint64_t back = 0;

	if (n == -EOPNOTSUPP)
		return;
	if (want != 4 && want != 5) {
		FUZZ_CHECK(n == -EINVAL);
		return;
	}
	if (max < want + 1) {
		FUZZ_CHECK(n == -ERANGE);
		return;
	}
	FUZZ_CHECK(n == (int)want + 1);
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(out[i].name && out[i].lo_bit <= out[i].hi_bit && out[i].hi_bit < 64);
		FUZZ_CHECK(out[i].index < (UINT64_C(1) << (out[i].hi_bit - out[i].lo_bit + 1)));
		back |= out[i].index << out[i].lo_bit;
	}
	FUZZ_CHECK(back == (addr & ((UINT64_C(1) << (12 + 9 * want)) - 1)));
}

/* A snapshot root with a pagemap for pid 1 and a kpageflags extract, opened once;
 * @zero: its description names a zero page (PFN ZERO_PFN). */
static struct vms_ctx *pm_root(bool zero, int *dirfd)
{
	static struct vms_ctx *ctx[2];
	static int fd[2];
	char path[4200], desc[128];

	if (!ctx[zero]) {
		const char *name = zero ? "pm-zero" : "pm";
		static const char stat[] = "1 (p) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 "
					   "12 1000 10\n";
		static const char sparse[] = "VMSPARSE\1\0\0\0\10\0\0\0";

		fd[zero] = fuzz_fresh_dir(name);
		snprintf(desc, sizeof(desc), "format 1\npage_size 4096\nprivileged 1\n%s",
			 zero ? "zero_pfn 2a\n" : "");
		if (fuzz_write_file(fd[zero], "vmscope-snapshot", desc, strlen(desc)) < 0 ||
		    fuzz_write_file(fd[zero], "proc/1/stat", stat, sizeof(stat) - 1) < 0 ||
		    fuzz_write_file(fd[zero], "proc/kpageflags", sparse, sizeof(sparse) - 1) < 0)
			abort();
		snprintf(path, sizeof(path), "%s/%s", fuzz_workdir(), name);
		if (vms_ctx_new(path, 0, &ctx[zero]) < 0)
			abort();
		FUZZ_CHECK(vms_ctx_caps(ctx[zero]) & VMS_CAP_PFN);
		FUZZ_CHECK(vms_ctx_caps(ctx[zero]) & VMS_CAP_KPAGEFLAGS);
	}
	*dirfd = fd[zero];
	return ctx[zero];
}

/* Write @n values from index @first as a sparse extract at @rel. */
static void write_sparse(int dirfd, const char *rel, uint64_t first, const uint64_t *v, size_t n)
{
	char path[64];
	struct vms_sparse_writer *w;
	int fd;

	snprintf(path, sizeof(path), "%s.new", rel);
	fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(vms_sparse_writer_new(fd, &w) == 0);
	FUZZ_CHECK(!n || vms_sparse_writer_add(w, first, v, n) == 0);
	FUZZ_CHECK(vms_sparse_writer_finish(w) == 0);
	close(fd);
	/* renamed into place: a file held open by a reader is never cut under it */
	FUZZ_CHECK(renameat(dirfd, path, dirfd, rel) == 0);
}

static unsigned int expect_flags(uint64_t e, bool zero, bool entries)
{
	unsigned int f;

	if (e & VMS_PM_GUARD)
		return VMS_RUN_GUARD;
	if (e & VMS_PM_PRESENT) {
		f = VMS_RUN_PRESENT;
		if (zero && (e & VMS_PM_PFN_MASK) == ZERO_PFN)
			f |= VMS_RUN_ZERO;
	} else if (e & VMS_PM_SWAPPED) {
		f = VMS_RUN_SWAPPED;
	} else {
		return 0;
	}
	if (e & VMS_PM_FILE)
		f |= VMS_RUN_FILE;
	if (e & VMS_PM_SOFT_DIRTY)
		f |= VMS_RUN_SOFT_DIRTY;
	if (entries && (e & VMS_PM_EXCLUSIVE))
		f |= VMS_RUN_EXCLUSIVE;
	if (entries && (e & VMS_PM_UFFD_WP))
		f |= VMS_RUN_UFFD_WP;
	return f;
}

static void walk(const uint64_t *words, size_t n, uint8_t mode, uint16_t off, uint16_t pre,
		 uint16_t post)
{
	bool zero = mode & 1, entries = mode & 2;
	uint64_t first = BASE_PAGE + off, lo = first - pre % 1024, hi = first + n + post % 1024;
	uint64_t *want = calloc(hi - lo, 8), *got = calloc(hi - lo, 8), at = lo;
	int dirfd, ret;
	struct vms_ctx *ctx = pm_root(zero, &dirfd);
	struct vms_pagewalk *w;
	struct vms_pagemap *pm;
	struct vms_page_run run;
	struct vms_proc *p;
	unsigned int known;

	FUZZ_CHECK(want && got);
	memcpy(want + (first - lo), words, n * 8);
	write_sparse(dirfd, "proc/1/pagemap", first, words, n);
	/* the frames 0.. get the same words as their flags: a few are compound heads */
	write_sparse(dirfd, "proc/kpageflags", 0, words, n);

	FUZZ_CHECK(vms_proc_open(ctx, 1, &p) == 0);
	FUZZ_CHECK(vms_pagemap_open(p, &pm) == 0);
	FUZZ_CHECK(vms_pagemap_read(pm, lo * PS, hi - lo, got) == (ssize_t)(hi - lo));
	FUZZ_CHECK(memcmp(want, got, (hi - lo) * 8) == 0);
	FUZZ_CHECK(vms_pagemap_read(pm, lo * PS + 1, 1, got) == -EINVAL);

	FUZZ_CHECK(vms_pagewalk_open(pm, lo * PS, hi * PS,
				     (entries ? VMS_WALK_ENTRIES : 0) |
					     ((mode & 4) ? VMS_WALK_READ : 0),
				     &w) == 0);
	known = vms_pagewalk_known(w);
	while ((ret = vms_pagewalk_next(w, &run)) == 1) {
		FUZZ_CHECK(run.start == at * PS && run.end > run.start && run.end <= hi * PS);
		FUZZ_CHECK(run.end % PS == 0);
		FUZZ_CHECK(!(run.flags & ~known));
		FUZZ_CHECK(!(run.flags & VMS_RUN_HUGE) || (run.flags & VMS_RUN_PRESENT));
		FUZZ_CHECK(!(run.flags & VMS_RUN_UNKNOWN));
		for (uint64_t a = run.start / PS; a < run.end / PS; a++) {
			uint64_t e = want[a - lo];

			FUZZ_CHECK((run.flags & ~(unsigned int)VMS_RUN_HUGE) ==
				   (expect_flags(e, zero, entries) & known));
			if (entries &&
			    (run.flags & (VMS_RUN_PRESENT | VMS_RUN_SWAPPED | VMS_RUN_GUARD)))
				FUZZ_CHECK(run.entries && run.entries[a - run.start / PS] == e);
		}
		at = run.end / PS;
	}
	FUZZ_CHECK(ret == 0 && at == hi);
	FUZZ_CHECK(vms_pagewalk_finish(w) == 0);
	vms_pagewalk_close(w);

	/* the frames of the present entries, through the lookup that batches reads */
	{
		struct vms_kpage *k;
		uint64_t *pfns = calloc(n + 1, 8), *flags = calloc(n + 1, 8);
		size_t np = 0, missing = 0;

		FUZZ_CHECK(pfns && flags);
		for (size_t i = 0; i < n; i++)
			if ((words[i] & (VMS_PM_PRESENT | VMS_PM_GUARD)) == VMS_PM_PRESENT)
				pfns[np++] = (i & 7) ? words[i] & VMS_PM_PFN_MASK : UINT64_MAX;
		FUZZ_CHECK(vms_kpage_open(ctx, &k) == 0);
		FUZZ_CHECK(vms_kpage_lookup(k, VMS_KPAGE_FLAGS, pfns, np, flags, &missing) == 0);
		FUZZ_CHECK(missing <= np);
		for (size_t i = 0; i < np; i++) {
			if (pfns[i] < n)
				FUZZ_CHECK(flags[i] == words[pfns[i]]);
			if (pfns[i] == UINT64_MAX)
				FUZZ_CHECK(flags[i] == 0);
		}
		vms_kpage_close(k);
		free(pfns);
		free(flags);
	}
	vms_pagemap_close(pm);
	vms_proc_close(p);
	free(want);
	free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t words[MAX_WORDS];
	size_t n = 0;
	uint8_t mode;
	uint16_t off, pre, post;

	if (size < 7)
		return 0;
	mode = data[0];
	memcpy(&off, data + 1, 2);
	memcpy(&pre, data + 3, 2);
	memcpy(&post, data + 5, 2);
	data += 7;
	size -= 7;
	for (; n < MAX_WORDS && size >= 8; n++, data += 8, size -= 8) {
		memcpy(&words[n], data, 8);
		check_decode(words[n]);
		check_split(words[n], (unsigned int)(words[n] >> 61), (size_t)(words[n] & 7));
	}
	walk(words, n, mode, off, pre, post);
	return 0;
}
