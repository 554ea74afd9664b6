// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the pagemap layer: entry decoding, geometry, sparse extracts, and live walks. */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "pages.h"

#define PS 4096u
#define P VMS_PM_PRESENT
#define S VMS_PM_SWAPPED
#define B59 (UINT64_C(1) << 59)
#define B60 (UINT64_C(1) << 60)
#define CHECKED                                                                         \
	(STATE_FLAGS | VMS_RUN_FILE | VMS_RUN_HUGE | VMS_RUN_ZERO | VMS_RUN_EXCLUSIVE | \
	 VMS_RUN_UFFD_WP)

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

static struct vms_pme decode(uint64_t raw, bool visible)
{
	struct vms_pme e;

	memset(&e, 0xa5, sizeof(e)); /* every field must be written */
	vms_pme_decode(raw, visible, &e);
	expect_u64(e.raw, raw);
	return e;
}

static void expect_state(const struct vms_pme *e, enum vms_page_state want)
{
	if (e->state != want)
		fail_msg("entry %#" PRIx64 ": expected state %s, got %s (%d)", e->raw,
			 vms_page_state_name(want), vms_page_state_name(e->state), (int)e->state);
}

/* ---- vms_pme_decode() ---- */

static void pme_zero_is_none(void **state)
{
	struct vms_pme e = decode(0, true);

	expect_state(&e, VMS_PAGE_NONE);
	expect_bool(e.file, false);
	expect_bool(e.exclusive, false);
	expect_bool(e.soft_dirty, false);
	expect_bool(e.uffd_wp, false);
	expect_u64(e.unknown_bits, 0);
	e = decode(0, false);
	expect_state(&e, VMS_PAGE_NONE);
}

static void pme_present_with_pfn(void **state)
{
	struct vms_pme e = decode(P | 0x12345, true);

	expect_state(&e, VMS_PAGE_PRESENT);
	expect_bool(e.frame_hidden, false);
	expect_u64(e.pfn, 0x12345);
	expect_bool(e.file, false);
	expect_bool(e.exclusive, false);
	/* the largest PFN the 55 bits hold */
	e = decode(P | VMS_PM_PFN_MASK, true);
	expect_u64(e.pfn, VMS_PM_PFN_MASK);
	expect_u64(e.unknown_bits, 0);
}

static void pme_present_with_hidden_pfn(void **state)
{
	/* what a reader without CAP_SYS_ADMIN reads: the frame bits zeroed */
	struct vms_pme e = decode(P | VMS_PM_EXCLUSIVE, false);

	expect_state(&e, VMS_PAGE_PRESENT);
	expect_bool(e.frame_hidden, true);
	expect_bool(e.exclusive, true);
	e = decode(P | VMS_PM_FILE, false);
	expect_state(&e, VMS_PAGE_PRESENT);
	expect_bool(e.frame_hidden, true);
	expect_bool(e.file, true);
}

static void pme_each_flag_bit(void **state)
{
	struct vms_pme e = decode(P | VMS_PM_FILE | 7, true);

	expect_bool(e.file, true);
	expect_bool(e.exclusive || e.soft_dirty || e.uffd_wp, false);
	expect_u64(e.pfn, 7);
	e = decode(P | VMS_PM_EXCLUSIVE | 7, true);
	expect_bool(e.exclusive, true);
	expect_bool(e.file || e.soft_dirty || e.uffd_wp, false);
	e = decode(P | VMS_PM_SOFT_DIRTY | 7, true);
	expect_bool(e.soft_dirty, true);
	expect_bool(e.file || e.exclusive || e.uffd_wp, false);
	expect_u64(e.pfn, 7);
	e = decode(P | VMS_PM_UFFD_WP | 7, true);
	expect_bool(e.uffd_wp, true);
	expect_bool(e.file || e.exclusive || e.soft_dirty, false);
	expect_state(&e, VMS_PAGE_PRESENT);
	/* soft-dirty on a page never touched (a VMA with VM_SOFTDIRTY) */
	e = decode(VMS_PM_SOFT_DIRTY, true);
	expect_state(&e, VMS_PAGE_NONE);
	expect_bool(e.soft_dirty, true);
}

static void pme_swap_type_and_offset(void **state)
{
	/* type in bits 0-4, offset in bits 5-54 */
	struct vms_pme e = decode(S | (UINT64_C(0x1234) << 5) | 3, true);

	expect_state(&e, VMS_PAGE_SWAPPED);
	expect_bool(e.frame_hidden, false);
	expect_u64(e.swap_type, 3);
	expect_u64(e.swap_offset, 0x1234);
	/* as captured in the pages fixture: type 0, slot 1 */
	e = decode(UINT64_C(0x4000000000000020), true);
	expect_state(&e, VMS_PAGE_SWAPPED);
	expect_u64(e.swap_type, 0);
	expect_u64(e.swap_offset, 1);
	e = decode(S | VMS_PM_SOFT_DIRTY | VMS_PM_FILE | (UINT64_C(5) << 5) | 31, true);
	expect_state(&e, VMS_PAGE_SWAPPED);
	expect_u64(e.swap_type, 31);
	expect_u64(e.swap_offset, 5);
	expect_bool(e.file, true);
	expect_bool(e.soft_dirty, true);
	/* unprivileged: the slot is zeroed, so it is hidden, not "type 0 slot 0" */
	e = decode(S, false);
	expect_state(&e, VMS_PAGE_SWAPPED);
	expect_bool(e.frame_hidden, true);
}

static void pme_guard_is_guard_not_swap(void **state)
{
	/* MADV_GUARD_INSTALL (6.15): bit 62 "swapped" plus bit 58, marker bits below */
	struct vms_pme e = decode(UINT64_C(0x440000000000009f), true);

	expect_state(&e, VMS_PAGE_GUARD);
	e = decode(UINT64_C(0x4400000000000000), false);
	expect_state(&e, VMS_PAGE_GUARD);
	e = decode(UINT64_C(0x4400000000000000), true);
	expect_state(&e, VMS_PAGE_GUARD);
}

static void pme_unknown_bits_kept(void **state)
{
	struct vms_pme e = decode(P | B59 | 0x1000, true);

	expect_state(&e, VMS_PAGE_PRESENT);
	expect_u64(e.unknown_bits, B59);
	expect_u64(e.pfn, 0x1000);
	e = decode(P | B60 | B59 | VMS_PM_EXCLUSIVE | 0x1001, true);
	expect_u64(e.unknown_bits, B59 | B60);
	expect_bool(e.exclusive, true);
	expect_u64(e.pfn, 0x1001);
	e = decode(S | B60 | (1 << 5), true);
	expect_state(&e, VMS_PAGE_SWAPPED);
	expect_u64(e.unknown_bits, B60);
	expect_u64(e.swap_offset, 1);
	e = decode(B60, false);
	expect_u64(e.unknown_bits, B60);
}

static void page_state_names(void **state)
{
	expect_str(vms_page_state_name(VMS_PAGE_NONE), "none");
	expect_str(vms_page_state_name(VMS_PAGE_PRESENT), "present");
	expect_str(vms_page_state_name(VMS_PAGE_SWAPPED), "swapped");
	expect_str(vms_page_state_name(VMS_PAGE_GUARD), "guard");
	expect_str(vms_page_state_name(VMS_PAGE_UNKNOWN), "unknown");
}

/* ---- vms_pt_split() ---- */

static void expect_level(const struct vms_pt_level *l, const char *name, unsigned int lo,
			 unsigned int hi, uint64_t index)
{
	expect_str(l->name, name);
	expect_u64(l->lo_bit, lo);
	expect_u64(l->hi_bit, hi);
	expect_u64(l->index, index);
}

static void pt_split_four_levels(void **state)
{
	struct vms_pt_level lv[6];
	/* PML4 0x0ff, PDPT 0x1a5, PD 0x003, PT 0x1fe, offset 0xabc */
	uint64_t a = (UINT64_C(0xff) << 39) | (UINT64_C(0x1a5) << 30) | (UINT64_C(3) << 21) |
		     (UINT64_C(0x1fe) << 12) | 0xabc;
	int n = vms_pt_split(a, 4, lv, 6);

#ifndef __x86_64__
	expect_ret(n, -EOPNOTSUPP);
	skip();
#endif
	expect_ret(n, 5);
	expect_level(&lv[0], "PML4", 39, 47, 0xff);
	expect_level(&lv[1], "PDPT", 30, 38, 0x1a5);
	expect_level(&lv[2], "PD", 21, 29, 3);
	expect_level(&lv[3], "PT", 12, 20, 0x1fe);
	expect_level(&lv[4], "offset", 0, 11, 0xabc);
	/* the top of the 4-level user address space */
	n = vms_pt_split(UINT64_C(0x7ffffffff000), 4, lv, 5);
	expect_ret(n, 5);
	expect_level(&lv[0], "PML4", 39, 47, 0xff);
	expect_level(&lv[3], "PT", 12, 20, 0x1ff);
	expect_level(&lv[4], "offset", 0, 11, 0);
}

static void pt_split_five_levels(void **state)
{
	struct vms_pt_level lv[6];
	uint64_t a = (UINT64_C(0x0ab) << 48) | (UINT64_C(0x101) << 39) | (UINT64_C(7) << 30) |
		     (UINT64_C(0x100) << 21) | (UINT64_C(1) << 12) | 0xfff;
	int n = vms_pt_split(a, 5, lv, 6);

#ifndef __x86_64__
	skip();
#endif
	expect_ret(n, 6);
	expect_level(&lv[0], "PML5", 48, 56, 0xab);
	expect_level(&lv[1], "PML4", 39, 47, 0x101);
	expect_level(&lv[2], "PDPT", 30, 38, 7);
	expect_level(&lv[3], "PD", 21, 29, 0x100);
	expect_level(&lv[4], "PT", 12, 20, 1);
	expect_level(&lv[5], "offset", 0, 11, 0xfff);
	/* the indices put back together give the address */
	uint64_t back = lv[5].index;
	for (int i = 0; i < 5; i++)
		back |= lv[i].index << lv[i].lo_bit;
	expect_u64(back, a);
}

static void pt_split_rejects_bad_arguments(void **state)
{
	struct vms_pt_level lv[6];
	int n;

#ifndef __x86_64__
	skip();
#endif
	n = vms_pt_split(0x1000, 0, lv, 6); /* 0: found out; 4 or 5 */
	if (n != 5 && n != 6)
		fail_msg("vms_pt_split(levels 0): expected 5 or 6 entries, got %s", errname(n));
	n = vms_pt_split(0x1000, 3, lv, 6);
	if (n >= 0)
		fail_msg("vms_pt_split(levels 3): expected an error, got %d", n);
	n = vms_pt_split(0x1000, 5, lv, 5); /* no room for the offset */
	if (n >= 0)
		fail_msg("vms_pt_split(levels 5, max 5): expected an error, got %d", n);
}

/* ---- vms_swaps_by_type() ---- */

static struct vms_swaps *swaps_text(const char *text)
{
	int fd = memfd_create("swaps", MFD_CLOEXEC);
	struct vms_swaps *s = NULL;
	int ret;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	lseek(fd, 0, SEEK_SET);
	ret = vms_swaps_parse_fd(fd, &s);
	close(fd);
	expect_ret(ret, 0);
	return s;
}

static void swaps_by_type_position_and_offset(void **state)
{
	/* 128 MiB file: 32768 slots, slot 0 the header; /proc/swaps shows 32767 pages */
	struct vms_swaps *s =
		swaps_text("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
			   "/dev/vdb                                partition\t1048572\t\t0\t\t-2\n"
			   "/var/tmp/swapfile                       file\t\t131068\t\t128\t\t-3\n");
	const struct vms_swap *w;

	w = vms_swaps_by_type(s, 0, 1, PS);
	assert_non_null(w);
	expect_str(w->filename, "/dev/vdb");
	w = vms_swaps_by_type(s, 1, 1, PS);
	assert_non_null(w);
	expect_str(w->filename, "/var/tmp/swapfile");
	w = vms_swaps_by_type(s, 1, 32767, PS); /* the last slot */
	assert_non_null(w);
	expect_str(w->filename, "/var/tmp/swapfile");
	assert_null(vms_swaps_by_type(s, 1, 32768, PS)); /* past the device */
	assert_null(vms_swaps_by_type(s, 1, 0, PS)); /* the header slot */
	assert_null(vms_swaps_by_type(s, 2, 1, PS)); /* no such row */
	assert_null(vms_swaps_by_type(s, 31, 1, PS));
	assert_non_null(vms_swaps_by_type(s, 0, 262143, PS));
	assert_null(vms_swaps_by_type(s, 0, 262144, PS));
	vms_swaps_free(s);
	s = swaps_text("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	assert_null(vms_swaps_by_type(s, 0, 1, PS));
	vms_swaps_free(s);
}

/* ---- the pages fixture (a snapshot of pagezoo --fork --thp --guard --swap, after write) ---- */

static void fixture_caps_and_zero_pfn(void **state)
{
	struct vms_ctx *ctx = pages_ctx(ROOT_PAGES);
	unsigned int caps = vms_ctx_caps(ctx);
	struct zoo z;
	uint64_t zp = 0;

	zoo_load(ROOT_PAGES, &z);
	if ((caps &
	     (VMS_CAP_PFN | VMS_CAP_KPAGEFLAGS | VMS_CAP_KPAGECOUNT | VMS_CAP_KPAGECGROUP)) !=
	    (VMS_CAP_PFN | VMS_CAP_KPAGEFLAGS | VMS_CAP_KPAGECOUNT | VMS_CAP_KPAGECGROUP))
		fail_msg("caps of the privileged fixture: expected PFN and all kpage*, got %#x",
			 caps);
	if (caps & (VMS_CAP_PAGEMAP_SCAN | VMS_CAP_SCAN_GUARD))
		fail_msg("a snapshot never has PAGEMAP_SCAN: caps %#x", caps);
	assert_null(vms_ctx_cap_reason(ctx, VMS_CAP_PFN));
	assert_null(vms_ctx_cap_reason(ctx, VMS_CAP_KPAGEFLAGS));
	assert_non_null(vms_ctx_cap_reason(ctx, VMS_CAP_PAGEMAP_SCAN));
	expect_ret(vms_ctx_zero_pfn(ctx, &zp), 0);
	expect_u64(zp, z.zero_pfn);
	vms_ctx_unref(ctx);

	ctx = pages_ctx(ROOT_UNPRIV);
	caps = vms_ctx_caps(ctx);
	if (caps & (VMS_CAP_PFN | VMS_CAP_KPAGEFLAGS | VMS_CAP_KPAGECOUNT | VMS_CAP_KPAGECGROUP |
		    VMS_CAP_PAGEMAP_SCAN))
		fail_msg("caps of the unprivileged fixture: expected none, got %#x", caps);
	assert_non_null(vms_ctx_cap_reason(ctx, VMS_CAP_PFN));
	assert_non_null(vms_ctx_cap_reason(ctx, VMS_CAP_KPAGEFLAGS));
	expect_ret(vms_ctx_zero_pfn(ctx, &zp), -ENOENT);
	vms_ctx_unref(ctx);
}

static void fixture_pagemap_read(void **state)
{
	struct vms_ctx *ctx = pages_ctx(ROOT_PAGES);
	struct zoo z;
	struct vms_proc *p;
	struct vms_pagemap *pm;
	uint64_t buf[64];
	ssize_t n;

	zoo_load(ROOT_PAGES, &z);
	p = pages_proc(ctx, z.pid);
	pm = pages_pagemap(p);
	/* guard: pages 2..3 are guard entries, the others present */
	n = vms_pagemap_read(pm, z.guard.start, 8, buf);
	expect_i64(n, 8);
	for (int i = 0; i < 8; i++) {
		if (i == 2 || i == 3)
			expect_u64(buf[i], UINT64_C(0x440000000000009f));
		else if (!(buf[i] & P) || !(buf[i] & VMS_PM_PFN_MASK))
			fail_msg("guard page %d: expected present with a PFN, got %#" PRIx64, i,
				 buf[i]);
	}
	/* touched: 32 present then 32 never touched, stored only as the first 32 */
	n = vms_pagemap_read(pm, z.touched.start, 64, buf);
	expect_i64(n, 64);
	for (int i = 0; i < 64; i++)
		if ((i < 32) != !!(buf[i] & P))
			fail_msg("touched page %d: got %#" PRIx64, i, buf[i]);
	for (int i = 32; i < 64; i++)
		expect_u64(buf[i], 0);
	/* zero: every page maps the zero PFN */
	n = vms_pagemap_read(pm, z.zero.start, 8, buf);
	expect_i64(n, 8);
	for (int i = 0; i < 8; i++)
		expect_u64(buf[i], P | z.zero_pfn);
	/* an address in no record reads as 0, like the kernel's hole */
	n = vms_pagemap_read(pm, 0x10000, 4, buf);
	expect_i64(n, 4);
	expect_u64(buf[0] | buf[1] | buf[2] | buf[3], 0);
	expect_i64(vms_pagemap_read(pm, z.touched.start + 8, 1, buf), -EINVAL);
	vms_pagemap_close(pm);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
}

/* The per-page expectations of pagezoo's regions, for the parent or the child. */
static void check_zoo(const char *root, struct vms_pagemap *pm, const struct zoo *z, bool child,
		      unsigned int walk_flags)
{
	const uint64_t ps = PS;
	struct walk w;
	size_t i;

	/* touched */
	expect_ret(walk_collect(pm, ps, z->touched.start, z->touched.end, walk_flags, &w), 0);
	expect_ret(w.finish_ret, 0);
	for (i = 0; i < w.pages; i++)
		walk_expect(&w, i, STATE_FLAGS | VMS_RUN_FILE | VMS_RUN_ZERO,
			    i < 32 ? VMS_RUN_PRESENT : 0, "touched");
	walk_free(&w);
	/* sparse: every 4096th page */
	expect_ret(walk_collect(pm, ps, z->sparse.start, z->sparse.end, walk_flags, &w), 0);
	expect_ret(w.finish_ret, 0);
	for (i = 0; i < w.pages; i++)
		walk_expect(&w, i, STATE_FLAGS | VMS_RUN_HUGE, i % 4096 == 0 ? VMS_RUN_PRESENT : 0,
			    "sparse");
	if (w.nruns < 128)
		fail_msg("sparse: expected at least 128 runs, got %zu", w.nruns);
	walk_free(&w);
	/* thp: present, mapped by huge entries as far as pagezoo got them */
	expect_ret(walk_collect(pm, ps, z->thp.start, z->thp.end, walk_flags, &w), 0);
	for (i = 0; i < w.pages; i++)
		walk_expect(&w, i, STATE_FLAGS | VMS_RUN_FILE, VMS_RUN_PRESENT, "thp");
	if (z->thp.thp_pages == (long)w.pages)
		for (i = 0; i < w.pages; i++)
			walk_expect(&w, i, VMS_RUN_HUGE, VMS_RUN_HUGE, "thp");
	walk_free(&w);
	/* swapped */
	expect_ret(walk_collect(pm, ps, z->swapped.start, z->swapped.end, walk_flags, &w), 0);
	if (z->swapped.swapped == (long)w.pages)
		for (i = 0; i < w.pages; i++)
			walk_expect(&w, i, STATE_FLAGS | VMS_RUN_FILE, VMS_RUN_SWAPPED, "swapped");
	walk_free(&w);
	/* guard */
	expect_ret(walk_collect(pm, ps, z->guard.start, z->guard.end, walk_flags, &w), 0);
	for (i = 0; i < w.pages; i++)
		walk_expect(&w, i, STATE_FLAGS, i == 2 || i == 3 ? VMS_RUN_GUARD : VMS_RUN_PRESENT,
			    "guard");
	walk_free(&w);
	/* cow after the child's write: 0..7 copied (exclusive in both), 8..15 shared */
	expect_ret(walk_collect(pm, ps, z->cow.start, z->cow.end, walk_flags, &w), 0);
	for (i = 0; i < w.pages; i++)
		walk_expect(&w, i, STATE_FLAGS | VMS_RUN_EXCLUSIVE | VMS_RUN_ZERO,
			    VMS_RUN_PRESENT | (i < 8 ? VMS_RUN_EXCLUSIVE : 0), "cow");
	walk_free(&w);
	/* zero: the parent maps the zero page; fork() copied no page table of it */
	expect_ret(walk_collect(pm, ps, z->zero.start, z->zero.end, walk_flags, &w), 0);
	for (i = 0; i < w.pages; i++)
		walk_expect(&w, i, STATE_FLAGS | VMS_RUN_ZERO | VMS_RUN_EXCLUSIVE,
			    child ? 0 : VMS_RUN_PRESENT | VMS_RUN_ZERO, "zero");
	walk_free(&w);
	/* file: pages 0..7 read (what pagezoo saw present) */
	expect_ret(walk_collect(pm, ps, z->file.start, z->file.end, walk_flags, &w), 0);
	for (i = 0; i < w.pages; i++)
		walk_expect(&w, i, STATE_FLAGS | VMS_RUN_FILE,
			    !child && (long)i < z->file.present ? VMS_RUN_PRESENT | VMS_RUN_FILE :
								  0,
			    "file");
	walk_free(&w);
	(void)root;
}

/* Walk every region with entries and check them against vms_pagemap_read(). */
static void check_entries_match_read(struct vms_pagemap *pm, const struct zoo *z)
{
	const struct zoo_region *rs[] = { &z->touched, &z->thp,	 &z->swapped, &z->guard,
					  &z->cow,     &z->zero, &z->file };

	for (size_t k = 0; k < sizeof(rs) / sizeof(rs[0]); k++) {
		struct walk w;
		uint64_t *buf;
		ssize_t n;

		expect_ret(walk_collect(pm, PS, rs[k]->start, rs[k]->end, VMS_WALK_ENTRIES, &w), 0);
		buf = calloc(w.pages, sizeof(*buf));
		assert_non_null(buf);
		n = vms_pagemap_read(pm, rs[k]->start, w.pages, buf);
		expect_i64(n, (int64_t)w.pages);
		for (size_t i = 0; i < w.pages; i++) {
			if (w.has_entry[i] && w.entries[i] != buf[i])
				fail_msg("page %#" PRIx64 ": walk entry %#" PRIx64
					 ", vms_pagemap_read %#" PRIx64,
					 rs[k]->start + i * PS, w.entries[i], buf[i]);
			if (!w.has_entry[i] && buf[i] & (P | S))
				fail_msg("page %#" PRIx64 ": entry %#" PRIx64
					 " but no entry in walk",
					 rs[k]->start + i * PS, buf[i]);
		}
		free(buf);
		walk_free(&w);
	}
}

static void fixture_walks_match_the_capture(void **state)
{
	struct vms_ctx *ctx = pages_ctx(ROOT_PAGES);
	struct zoo z;
	pid_t pids[2];

	zoo_load(ROOT_PAGES, &z);
	pids[0] = z.pid;
	pids[1] = z.child;
	for (int k = 0; k < 2; k++) {
		struct vms_proc *p = pages_proc(ctx, pids[k]);
		struct vms_pagemap *pm = pages_pagemap(p);
		struct vms_pagewalk *pw = NULL;

		check_zoo(ROOT_PAGES, pm, &z, k == 1, 0);
		check_zoo(ROOT_PAGES, pm, &z, k == 1, VMS_WALK_ENTRIES);
		check_zoo(ROOT_PAGES, pm, &z, k == 1, VMS_WALK_READ | VMS_WALK_ENTRIES);
		check_entries_match_read(pm, &z);
		/* a snapshot has no PAGEMAP_SCAN */
		expect_ret(vms_pagewalk_open(pm, z.touched.start, z.touched.end, VMS_WALK_SCAN,
					     &pw),
			   -EOPNOTSUPP);
		expect_ret(vms_pagewalk_open(pm, z.touched.start + 1, z.touched.end, 0, &pw),
			   -EINVAL);
		expect_ret(vms_pagewalk_open(pm, z.touched.end, z.touched.start, 0, &pw), -EINVAL);
		vms_pagemap_close(pm);
		vms_proc_close(p);
	}
	vms_ctx_unref(ctx);
}

static void fixture_cow_pfns_shared_then_copied(void **state)
{
	struct vms_ctx *ctx = pages_ctx(ROOT_PAGES);
	struct vms_proc *pp, *cp;
	struct vms_pagemap *ppm, *cpm;
	uint64_t a[16], b[16];
	struct zoo z;

	zoo_load(ROOT_PAGES, &z);
	pp = pages_proc(ctx, z.pid);
	cp = pages_proc(ctx, z.child);
	ppm = pages_pagemap(pp);
	cpm = pages_pagemap(cp);
	expect_i64(vms_pagemap_read(ppm, z.cow.start, 16, a), 16);
	expect_i64(vms_pagemap_read(cpm, z.cow.start, 16, b), 16);
	for (int i = 0; i < 16; i++) {
		struct vms_pme x, y;

		vms_pme_decode(a[i], true, &x);
		vms_pme_decode(b[i], true, &y);
		expect_state(&x, VMS_PAGE_PRESENT);
		expect_state(&y, VMS_PAGE_PRESENT);
		if ((i < 8) != (x.pfn != y.pfn))
			fail_msg("cow page %d: parent PFN %#" PRIx64 ", child PFN %#" PRIx64
				 " (expected %s)",
				 i, x.pfn, y.pfn, i < 8 ? "different" : "the same");
		expect_bool(x.exclusive, i < 8);
		expect_bool(y.exclusive, i < 8);
	}
	vms_pagemap_close(ppm);
	vms_pagemap_close(cpm);
	vms_proc_close(pp);
	vms_proc_close(cp);
	vms_ctx_unref(ctx);
}

static void fixture_unprivileged_hides_frames(void **state)
{
	struct vms_ctx *ctx = pages_ctx(ROOT_UNPRIV);
	struct vms_proc *p;
	struct vms_pagemap *pm;
	uint64_t buf[32];
	struct vms_pme e;
	struct zoo z;

	zoo_load(ROOT_UNPRIV, &z);
	p = pages_proc(ctx, z.pid);
	pm = pages_pagemap(p);
	expect_i64(vms_pagemap_read(pm, z.guard.start, 8, buf), 8);
	expect_u64(buf[2], UINT64_C(0x4400000000000000));
	vms_pme_decode(buf[2], false, &e);
	expect_state(&e, VMS_PAGE_GUARD);
	vms_pme_decode(buf[0], false, &e);
	expect_state(&e, VMS_PAGE_PRESENT);
	expect_bool(e.frame_hidden, true);
	if (z.swapped.swapped > 0) {
		expect_i64(vms_pagemap_read(pm, z.swapped.start, 1, buf), 1);
		vms_pme_decode(buf[0], false, &e);
		expect_state(&e, VMS_PAGE_SWAPPED);
		expect_bool(e.frame_hidden, true);
	}
	/* the states are the same without PFNs; the zero page cannot be told */
	check_zoo(ROOT_UNPRIV, pm, &z, false, VMS_WALK_ENTRIES);
	check_zoo(ROOT_UNPRIV, pm, &z, false, 0);
	vms_pagemap_close(pm);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
}

/* ---- hostile sparse files (made by tests/fixtures/make-hostile.py) ---- */

static void hostile_pagemaps_are_eproto(void **state)
{
	/* truncated header, bad magic, version 2, overlapping records, count past EOF,
	 * a count that wraps count * 8, entry size 4, a record of 0 entries, records out
	 * of order with trailing bytes */
	static const pid_t bad[] = { 4001, 4002, 4003, 4007, 4008, 20988, 21058, 22057, 22059 };
	struct vms_ctx *ctx = pages_ctx(ROOT_HOSTILE);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vms_proc *p = pages_proc(ctx, bad[i]);
		struct vms_pagemap *pm = NULL;
		int ret = vms_pagemap_open(p, &pm);

		if (ret != -EPROTO)
			fail_msg("hostile pid %d: vms_pagemap_open: expected -EPROTO, got %s",
				 (int)bad[i], errname(ret));
		vms_proc_close(p);
	}
	vms_ctx_unref(ctx);
}

static void hostile_unknown_pagemap_bits_kept(void **state)
{
	const uint64_t base = UINT64_C(0x7e0000000000);
	struct vms_ctx *ctx = pages_ctx(ROOT_HOSTILE);
	struct vms_proc *p = pages_proc(ctx, 4010);
	struct vms_pagemap *pm = pages_pagemap(p);
	uint64_t buf[5];
	struct vms_pme e;
	struct walk w;

	expect_i64(vms_pagemap_read(pm, base, 5, buf), 5);
	expect_u64(buf[0], P | B59 | 0x1000);
	expect_u64(buf[1], P | B60 | B59 | VMS_PM_EXCLUSIVE | 0x1001);
	expect_u64(buf[2], 0);
	expect_u64(buf[3], S | B60 | (1 << 5));
	expect_u64(buf[4], S | VMS_PM_GUARD | B59 | 0x9f);
	vms_pme_decode(buf[1], true, &e);
	expect_u64(e.unknown_bits, B59 | B60);
	expect_u64(e.pfn, 0x1001);
	vms_pme_decode(buf[4], true, &e);
	expect_state(&e, VMS_PAGE_GUARD);
	expect_u64(e.unknown_bits, B59);
	expect_ret(walk_collect(pm, PS, base, base + 5 * PS, VMS_WALK_ENTRIES, &w), 0);
	walk_expect(&w, 0, STATE_FLAGS, VMS_RUN_PRESENT, "hostile 4010");
	walk_expect(&w, 1, STATE_FLAGS | VMS_RUN_EXCLUSIVE, VMS_RUN_PRESENT | VMS_RUN_EXCLUSIVE,
		    "hostile 4010");
	walk_expect(&w, 2, STATE_FLAGS, 0, "hostile 4010");
	walk_expect(&w, 3, STATE_FLAGS, VMS_RUN_SWAPPED, "hostile 4010");
	walk_expect(&w, 4, STATE_FLAGS, VMS_RUN_GUARD, "hostile 4010");
	expect_u64(w.entries[1], buf[1]);
	walk_free(&w);
	vms_pagemap_close(pm);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
}

/* ---- live, on this process ---- */

struct live {
	struct vms_ctx *ctx;
	struct vms_proc *p;
	struct vms_pagemap *pm;
	unsigned int caps;
};

static void live_open(struct live *l, pid_t pid)
{
	int ret = vms_ctx_new(NULL, 0, &l->ctx);

	if (ret)
		fail_msg("vms_ctx_new(live): %s", errname(ret));
	l->caps = vms_ctx_caps(l->ctx);
	l->p = pages_proc(l->ctx, pid);
	l->pm = pages_pagemap(l->p);
}

static void live_close(struct live *l)
{
	vms_pagemap_close(l->pm);
	vms_proc_close(l->p);
	vms_ctx_unref(l->ctx);
}

/* @pages of private anonymous memory, 2 MiB aligned, no THP, between PROT_NONE pages. */
static char *live_map(size_t pages)
{
	size_t size = pages * PS, span = size + (2u << 20) + 2 * PS;
	char *base =
		mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *p;

	assert_true(base != MAP_FAILED);
	p = (char *)(((uintptr_t)base + PS + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
	assert_int_equal(mprotect(p, size, PROT_READ | PROT_WRITE), 0);
	madvise(p, size, MADV_NOHUGEPAGE);
	return p;
}

/* Fail unless @a and @b give every page the same flags (among those both know) and entries. */
static void walks_compare(const struct walk *a, const struct walk *b, const char *what)
{
	unsigned int mask = a->known & b->known;

	for (size_t i = 0; i < a->pages; i++) {
		if ((a->flags[i] & mask) != (b->flags[i] & mask))
			fail_msg("%s: page %zu: flags %#x vs %#x (known %#x)", what, i, a->flags[i],
				 b->flags[i], mask);
		if (a->has_entry[i] && b->has_entry[i] && a->entries[i] != b->entries[i])
			fail_msg("%s: page %zu: entry %#" PRIx64 " vs %#" PRIx64, what, i,
				 a->entries[i], b->entries[i]);
	}
}

static void live_read_scan_and_default_agree(void **state)
{
	const size_t pages = 3000;
	char *m = live_map(pages);
	struct walk r, s, d, re, se;
	struct live l;

	/* dense stretches, lone pages and holes */
	for (size_t i = 0; i < pages; i++)
		if (i < 700 || i % 97 == 0 || (i > 1500 && i < 1600) || (i > 2000 && i % 3 == 0))
			m[i * PS] = 1;
	live_open(&l, getpid());
	expect_ret(walk_collect(l.pm, PS, (uintptr_t)m, (uintptr_t)m + pages * PS, VMS_WALK_READ,
				&r),
		   0);
	expect_ret(walk_collect(l.pm, PS, (uintptr_t)m, (uintptr_t)m + pages * PS, 0, &d), 0);
	expect_ret(walk_collect(l.pm, PS, (uintptr_t)m, (uintptr_t)m + pages * PS,
				VMS_WALK_READ | VMS_WALK_ENTRIES, &re),
		   0);
	for (size_t i = 0; i < pages; i++) {
		bool t = i < 700 || i % 97 == 0 || (i > 1500 && i < 1600) ||
			 (i > 2000 && i % 3 == 0);

		walk_expect(&r, i, STATE_FLAGS | VMS_RUN_FILE | VMS_RUN_ZERO | VMS_RUN_HUGE,
			    t ? VMS_RUN_PRESENT : 0, "live read");
		walk_expect(&re, i, STATE_FLAGS | VMS_RUN_EXCLUSIVE,
			    t ? VMS_RUN_PRESENT | VMS_RUN_EXCLUSIVE : 0, "live read+entries");
	}
	walks_compare(&r, &d, "pread vs default");
	walks_compare(&re, &r, "pread+entries vs pread");
	if (r.scans)
		fail_msg("VMS_WALK_READ made %" PRIu64 " PAGEMAP_SCAN calls", r.scans);
	if (l.caps & VMS_CAP_PAGEMAP_SCAN) {
		expect_ret(walk_collect(l.pm, PS, (uintptr_t)m, (uintptr_t)m + pages * PS,
					VMS_WALK_SCAN, &s),
			   0);
		expect_ret(walk_collect(l.pm, PS, (uintptr_t)m, (uintptr_t)m + pages * PS,
					VMS_WALK_SCAN | VMS_WALK_ENTRIES, &se),
			   0);
		walks_compare(&r, &s, "pread vs scan");
		walks_compare(&re, &se, "pread+entries vs scan+entries");
		if (!s.scans)
			fail_msg("VMS_WALK_SCAN made no PAGEMAP_SCAN call");
		walk_free(&s);
		walk_free(&se);
	} else {
		struct vms_pagewalk *pw = NULL;

		expect_ret(vms_pagewalk_open(l.pm, (uintptr_t)m, (uintptr_t)m + PS, VMS_WALK_SCAN,
					     &pw),
			   -EOPNOTSUPP);
	}
	walk_free(&r);
	walk_free(&d);
	walk_free(&re);
	live_close(&l);
	munmap(m, pages * PS);
}

static void live_scan_continues_past_full_vectors(void **state)
{
	/* every other page touched: one scan region per page, far more than one vector */
	const size_t pages = 20000;
	char *m = live_map(pages);
	unsigned int methods[] = { 0, VMS_WALK_SCAN, VMS_WALK_READ };
	struct live l;

	for (size_t i = 0; i < pages; i += 2)
		m[i * PS] = 1;
	live_open(&l, getpid());
	for (size_t k = 0; k < 3; k++) {
		struct walk w;
		size_t present = 0, none = 0;

		if (methods[k] == VMS_WALK_SCAN && !(l.caps & VMS_CAP_PAGEMAP_SCAN))
			continue;
		/* walk_collect fails on a page seen twice or skipped (runs must tile) */
		expect_ret(walk_collect(l.pm, PS, (uintptr_t)m, (uintptr_t)m + pages * PS,
					methods[k], &w),
			   0);
		for (size_t i = 0; i < pages; i++) {
			walk_expect(&w, i, STATE_FLAGS, i % 2 ? 0 : VMS_RUN_PRESENT, "alternating");
			if (w.flags[i] & VMS_RUN_PRESENT)
				present++;
			else
				none++;
		}
		expect_u64(present, pages / 2);
		expect_u64(none, pages / 2);
		if (w.nruns < pages)
			fail_msg("method %#x: %zu runs for %zu alternating pages", methods[k],
				 w.nruns, pages);
		walk_free(&w);
	}
	/* the same range cut at odd places: each page still counted once */
	for (size_t k = 0; k < 3; k++) {
		struct walk w;
		uint64_t lo = (uintptr_t)m + 511 * PS, hi = (uintptr_t)m + (pages - 3) * PS;
		size_t present = 0;

		if (methods[k] == VMS_WALK_SCAN && !(l.caps & VMS_CAP_PAGEMAP_SCAN))
			continue;
		expect_ret(walk_collect(l.pm, PS, lo, hi, methods[k], &w), 0);
		for (size_t i = 0; i < w.pages; i++)
			present += !!(w.flags[i] & VMS_RUN_PRESENT);
		expect_u64(present, (pages - 3 - 512) / 2 + 1);
		walk_free(&w);
	}
	live_close(&l);
	munmap(m, pages * PS);
}

static void live_guard_region_is_guard_not_swap(void **state)
{
	char *m = live_map(8);
	unsigned int methods[] = { 0, VMS_WALK_SCAN, VMS_WALK_READ, VMS_WALK_ENTRIES };
	struct live l;
	uint64_t e[8];

	if (madvise(m + 2 * PS, 2 * PS, MADV_GUARD_INSTALL)) {
		munmap(m, 8 * PS);
		if (errno == EINVAL) {
			print_message("SKIP: MADV_GUARD_INSTALL not supported (kernel < 6.15)\n");
			skip();
		}
		fail_msg("madvise(MADV_GUARD_INSTALL): %s", strerror(errno));
	}
	for (int i = 0; i < 8; i++)
		if (i != 2 && i != 3)
			m[i * PS] = 1;
	live_open(&l, getpid());
	expect_i64(vms_pagemap_read(l.pm, (uintptr_t)m, 8, e), 8);
	for (int i = 2; i < 4; i++) {
		struct vms_pme d;

		vms_pme_decode(e[i], !!(l.caps & VMS_CAP_PFN), &d);
		expect_state(&d, VMS_PAGE_GUARD);
	}
	for (size_t k = 0; k < 4; k++) {
		struct walk w;

		if (methods[k] == VMS_WALK_SCAN && !(l.caps & VMS_CAP_PAGEMAP_SCAN))
			continue;
		expect_ret(walk_collect(l.pm, PS, (uintptr_t)m, (uintptr_t)m + 8 * PS, methods[k],
					&w),
			   0);
		for (size_t i = 0; i < 8; i++)
			walk_expect(&w, i, STATE_FLAGS,
				    i == 2 || i == 3 ? VMS_RUN_GUARD : VMS_RUN_PRESENT, "guard");
		walk_free(&w);
	}
	live_close(&l);
	munmap(m, 8 * PS);
}

/* A child that holds @pages touched pages at @m (inherited) until killed. */
static pid_t spawn_holder(char *m, size_t pages)
{
	int ready[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (size_t i = 0; i < pages; i += 3)
			m[i * PS] = 2; /* copies: the child's own pages */
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

static void expect_unknown_tail(const struct walk *w, uint64_t from, const char *what)
{
	size_t i0 = (size_t)((from - w->start) / w->ps);

	expect_ret(w->end_ret, 0);
	expect_ret(w->finish_ret, -ESRCH);
	for (size_t i = i0; i < w->pages; i++)
		if (w->flags[i] != VMS_RUN_UNKNOWN && !(w->flags[i] & VMS_RUN_UNKNOWN))
			fail_msg("%s: page %zu after the exit: flags %#x, expected UNKNOWN", what,
				 i, w->flags[i]);
}

static void live_process_exit_mid_walk(void **state)
{
	const size_t pages = 40000; /* several chunks */
	char *m = live_map(pages);
	unsigned int methods[] = { 0, VMS_WALK_READ, VMS_WALK_SCAN, VMS_WALK_ENTRIES };

	for (size_t i = 0; i < pages; i += 5)
		m[i * PS] = 1;
	for (size_t k = 0; k < 4; k++) {
		pid_t pid = spawn_holder(m, pages);
		struct live l;
		struct walk w;

		live_open(&l, pid);
		if (methods[k] == VMS_WALK_SCAN && !(l.caps & VMS_CAP_PAGEMAP_SCAN)) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			live_close(&l);
			continue;
		}
		/* gone before the first read */
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, NULL, 0), pid);
		expect_ret(walk_collect(l.pm, PS, (uintptr_t)m, (uintptr_t)m + pages * PS,
					methods[k], &w),
			   0);
		expect_unknown_tail(&w, w.start, "exited before the walk");
		walk_free(&w);
		live_close(&l);
	}
	/* gone after the first run: the rest is one unknown run */
	for (size_t k = 0; k < 4; k++) {
		pid_t pid = spawn_holder(m, pages);
		struct vms_pagewalk *pw = NULL;
		struct vms_page_run run;
		uint64_t at;
		size_t unknown_runs = 0;
		struct live l;
		int ret;

		live_open(&l, pid);
		if (methods[k] == VMS_WALK_SCAN && !(l.caps & VMS_CAP_PAGEMAP_SCAN)) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			live_close(&l);
			continue;
		}
		expect_ret(vms_pagewalk_open(l.pm, (uintptr_t)m, (uintptr_t)m + pages * PS,
					     methods[k], &pw),
			   0);
		expect_ret(vms_pagewalk_next(pw, &run), 1);
		expect_bool(!!(run.flags & VMS_RUN_UNKNOWN), false);
		at = run.end;
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, NULL, 0), pid);
		while ((ret = vms_pagewalk_next(pw, &run)) == 1) {
			if (run.start != at)
				fail_msg("run at %#" PRIx64 ", expected %#" PRIx64, run.start, at);
			at = run.end;
			unknown_runs += !!(run.flags & VMS_RUN_UNKNOWN);
		}
		expect_ret(ret, 0);
		expect_u64(at, (uintptr_t)m + pages * PS);
		/* pages already read in a chunk may still come; then exactly one unknown run */
		expect_u64(unknown_runs, 1);
		expect_ret(vms_pagewalk_finish(pw), -ESRCH);
		vms_pagewalk_close(pw);
		live_close(&l);
	}
	munmap(m, pages * PS);
}

static void walk_gives_entries_only_when_asked(void **state)
{
	/* "With VMS_WALK_ENTRIES ... the raw pagemap entry of each page; otherwise NULL" */
	const size_t pages = 64;
	char *m = live_map(pages);
	unsigned int methods[] = { 0, VMS_WALK_READ, VMS_WALK_SCAN };
	struct vms_ctx *ctx = pages_ctx(ROOT_PAGES);
	struct vms_proc *p;
	struct vms_pagemap *pm;
	struct live l;
	struct walk w;
	struct zoo z;

	for (size_t i = 0; i < pages; i += 2)
		m[i * PS] = 1;
	live_open(&l, getpid());
	for (size_t k = 0; k < 3; k++) {
		if (methods[k] == VMS_WALK_SCAN && !(l.caps & VMS_CAP_PAGEMAP_SCAN))
			continue;
		expect_ret(walk_collect(l.pm, PS, (uintptr_t)m, (uintptr_t)m + pages * PS,
					methods[k], &w),
			   0);
		if (w.stray_entries)
			fail_msg("live walk, flags %#x: %zu runs came with entries", methods[k],
				 w.stray_entries);
		walk_free(&w);
	}
	live_close(&l);
	munmap(m, pages * PS);
	zoo_load(ROOT_PAGES, &z);
	p = pages_proc(ctx, z.pid);
	pm = pages_pagemap(p);
	expect_ret(walk_collect(pm, PS, z.guard.start, z.guard.end, 0, &w), 0);
	if (w.stray_entries)
		fail_msg("snapshot walk: %zu runs came with entries", w.stray_entries);
	walk_free(&w);
	vms_pagemap_close(pm);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
}

/* ---- the scan never write-protects ---- */

#define UFFD_API_ ((uint64_t)0xAA)
#define UFFD_FEATURE_WP_ASYNC_ (1u << 15)
#define UFFD_USER_MODE_ONLY_ 1
#define UFFDIO_REGISTER_MODE_WP_ ((uint64_t)1 << 1)
struct uffdio_api_ {
	uint64_t api, features, ioctls;
};
struct uffdio_register_ {
	uint64_t start, len, mode, ioctls;
};
#define UFFDIO_API_ _IOWR(0xAA, 0x3F, struct uffdio_api_)
#define UFFDIO_REGISTER_ _IOWR(0xAA, 0x00, struct uffdio_register_)

struct pm_scan_arg_ {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inverted,
		category_mask, category_anyof_mask, return_mask;
};
struct page_region_ {
	uint64_t start, end, categories;
};
#define PAGEMAP_SCAN_ _IOWR('f', 16, struct pm_scan_arg_)
#define PM_SCAN_WP_MATCHING_ (1u << 0)
#define PM_SCAN_CHECK_WPASYNC_ (1u << 1)
#define PAGE_IS_PRESENT_ (1u << 3)

static size_t uffd_wp_pages(char *m, size_t pages)
{
	uint64_t e[64];
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	assert_true(fd >= 0 && pages <= 64);
	assert_int_equal(pread(fd, e, pages * 8, (off_t)((uintptr_t)m / PS * 8)),
			 (ssize_t)(pages * 8));
	close(fd);
	for (size_t i = 0; i < pages; i++)
		n += !!(e[i] & VMS_PM_UFFD_WP);
	return n;
}

static void live_scan_never_write_protects(void **state)
{
	const size_t pages = 64;
	char *m = live_map(pages), *ctl = live_map(pages);
	struct uffdio_api_ api = { .api = UFFD_API_, .features = UFFD_FEATURE_WP_ASYNC_ };
	struct uffdio_register_ reg = { .mode = UFFDIO_REGISTER_MODE_WP_ };
	struct live l;
	struct walk w;
	int uffd;

	/* Registered for asynchronous write-protect tracking, a WP_MATCHING scan would
	 * write-protect the pages and pagemap bit 57 would show it. */
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY_);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API_, &api)) {
		print_message("SKIP: userfaultfd with WP_ASYNC unavailable: %s\n", strerror(errno));
		if (uffd >= 0)
			close(uffd);
		skip();
	}
	for (char *r = m; r; r = r == m ? ctl : NULL) {
		reg.start = (uintptr_t)r;
		reg.len = pages * PS;
		if (ioctl(uffd, UFFDIO_REGISTER_, &reg)) {
			print_message("SKIP: UFFDIO_REGISTER(WP): %s\n", strerror(errno));
			close(uffd);
			skip();
		}
		for (size_t i = 0; i < pages; i++)
			r[i * PS] = 1;
	}
	live_open(&l, getpid());
	if (!(l.caps & VMS_CAP_PAGEMAP_SCAN)) {
		live_close(&l);
		close(uffd);
		print_message("SKIP: no PAGEMAP_SCAN (kernel < 6.7)\n");
		skip();
	}
	expect_u64(uffd_wp_pages(m, pages), 0);
	/* control: a write-protecting scan on the other region does set bit 57 */
	{
		struct page_region_ v[4];
		struct pm_scan_arg_ a = {
			.size = sizeof(a),
			.flags = PM_SCAN_WP_MATCHING_ | PM_SCAN_CHECK_WPASYNC_,
			.start = (uintptr_t)ctl,
			.end = (uintptr_t)ctl + pages * PS,
			.vec = (uintptr_t)v,
			.vec_len = 4,
			.category_anyof_mask = PAGE_IS_PRESENT_,
			.return_mask = PAGE_IS_PRESENT_,
		};
		int pfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

		if (ioctl(pfd, PAGEMAP_SCAN_, &a) < 0)
			print_message("note: the control scan failed: %s\n", strerror(errno));
		else if (uffd_wp_pages(ctl, pages) != pages)
			fail_msg(
				"control: a WP_MATCHING scan left %zu of %zu pages write-protected",
				uffd_wp_pages(ctl, pages), pages);
		close(pfd);
	}
	expect_ret(walk_collect(l.pm, PS, (uintptr_t)m, (uintptr_t)m + pages * PS, VMS_WALK_SCAN,
				&w),
		   0);
	walk_free(&w);
	expect_ret(walk_collect(l.pm, PS, (uintptr_t)m, (uintptr_t)m + pages * PS,
				VMS_WALK_SCAN | VMS_WALK_ENTRIES, &w),
		   0);
	for (size_t i = 0; i < pages; i++)
		walk_expect(&w, i, VMS_RUN_PRESENT | VMS_RUN_UFFD_WP, VMS_RUN_PRESENT,
			    "after scan");
	walk_free(&w);
	expect_ret(walk_collect(l.pm, PS, (uintptr_t)m, (uintptr_t)m + pages * PS, 0, &w), 0);
	walk_free(&w);
	if (uffd_wp_pages(m, pages))
		fail_msg("the walk write-protected %zu of %zu pages (pagemap bit 57 set)",
			 uffd_wp_pages(m, pages), pages);
	live_close(&l);
	close(uffd);
	munmap(m, pages * PS);
	munmap(ctl, pages * PS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pme_zero_is_none),
		cmocka_unit_test(pme_present_with_pfn),
		cmocka_unit_test(pme_present_with_hidden_pfn),
		cmocka_unit_test(pme_each_flag_bit),
		cmocka_unit_test(pme_swap_type_and_offset),
		cmocka_unit_test(pme_guard_is_guard_not_swap),
		cmocka_unit_test(pme_unknown_bits_kept),
		cmocka_unit_test(page_state_names),
		cmocka_unit_test(pt_split_four_levels),
		cmocka_unit_test(pt_split_five_levels),
		cmocka_unit_test(pt_split_rejects_bad_arguments),
		cmocka_unit_test(swaps_by_type_position_and_offset),
		cmocka_unit_test(fixture_caps_and_zero_pfn),
		cmocka_unit_test(fixture_pagemap_read),
		cmocka_unit_test(fixture_walks_match_the_capture),
		cmocka_unit_test(fixture_cow_pfns_shared_then_copied),
		cmocka_unit_test(fixture_unprivileged_hides_frames),
		cmocka_unit_test(hostile_pagemaps_are_eproto),
		cmocka_unit_test(hostile_unknown_pagemap_bits_kept),
		cmocka_unit_test(live_read_scan_and_default_agree),
		cmocka_unit_test(live_scan_continues_past_full_vectors),
		cmocka_unit_test(live_guard_region_is_guard_not_swap),
		cmocka_unit_test(live_process_exit_mid_walk),
		cmocka_unit_test(walk_gives_entries_only_when_asked),
		cmocka_unit_test(live_scan_never_write_protects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
