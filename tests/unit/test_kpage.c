// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the per-frame files: kpageflags names, kpage* reads and lookups, hostile extracts. */
#include <sys/mman.h>

#include "pages.h"

#define PS 4096u
#define BIT(n) (UINT64_C(1) << (n))

static struct vms_kpage *kpage_open(struct vms_ctx *ctx)
{
	struct vms_kpage *k = NULL;
	int ret = vms_kpage_open(ctx, &k);

	if (ret != 0)
		fail_msg("vms_kpage_open: expected 0, got %s", errname(ret));
	return k;
}

/* ---- names ---- */

static void kpf_every_documented_bit_named(void **state)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} known[] = {
		{ VMS_KPF_LOCKED, "locked" },
		{ VMS_KPF_REFERENCED, "referenced" },
		{ VMS_KPF_DIRTY, "dirty" },
		{ VMS_KPF_LRU, "lru" },
		{ VMS_KPF_ACTIVE, "active" },
		{ VMS_KPF_SLAB, "slab" },
		{ VMS_KPF_BUDDY, "buddy" },
		{ VMS_KPF_MMAP, "mmap" },
		{ VMS_KPF_ANON, "anon" },
		{ VMS_KPF_KSM, "ksm" },
		{ VMS_KPF_THP, "thp" },
		{ VMS_KPF_HUGE, "huge" },
		{ VMS_KPF_IDLE, "idle" },
		{ VMS_KPF_PGTABLE, "pgtable" },
		{ VMS_KPF_SWAPCACHE, "swapcache" },
		{ VMS_KPF_UNEVICTABLE, "unevictable" },
	};

	for (unsigned int b = 0; b < VMS_KPF__COUNT; b++) {
		const char *n = vms_kpf_name(b);

		if (!n || !*n)
			fail_msg("kpageflags bit %u: no name", b);
		for (const char *c = n; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || *c == '_'))
				fail_msg("kpageflags bit %u: name \"%s\" is not lowercase a-z/_", b,
					 n);
		for (unsigned int o = 0; o < b; o++)
			if (!strcmp(n, vms_kpf_name(o)))
				fail_msg("bits %u and %u are both \"%s\"", o, b, n);
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		expect_str(vms_kpf_name(known[i].bit), known[i].name);
	expect_u64(VMS_KPF__COUNT, 27);
	expect_u64(VMS_KPF_KNOWN_MASK, BIT(27) - 1);
	/* kernel-internal bits have no name: shown raw */
	assert_null(vms_kpf_name(27));
	assert_null(vms_kpf_name(32));
	assert_null(vms_kpf_name(63));
	assert_null(vms_kpf_name(64));
	assert_null(vms_kpf_name(UINT32_MAX));
}

/* ---- the pages fixture ---- */

static uint64_t pfn_at(struct vms_pagemap *pm, uint64_t addr)
{
	uint64_t e = 0;

	expect_i64(vms_pagemap_read(pm, addr, 1, &e), 1);
	if (!(e & VMS_PM_PRESENT))
		fail_msg("%#" PRIx64 ": expected a present page, got %#" PRIx64, addr, e);
	return e & VMS_PM_PFN_MASK;
}

static void fixture_flags_of_known_frames(void **state)
{
	struct vms_ctx *ctx = pages_ctx(ROOT_PAGES);
	struct vms_kpage *k = kpage_open(ctx);
	struct vms_proc *p;
	struct vms_pagemap *pm;
	uint64_t v[2] = { 0, 0 }, pfn, reads;
	struct zoo z;

	zoo_load(ROOT_PAGES, &z);
	p = pages_proc(ctx, z.pid);
	pm = pages_pagemap(p);
	/* the zero page */
	expect_i64(vms_kpage_read(k, VMS_KPAGE_FLAGS, z.zero_pfn, 1, v), 1);
	if (!(v[0] & BIT(VMS_KPF_ZERO_PAGE)))
		fail_msg("zero PFN %#" PRIx64 ": flags %#" PRIx64 " lack zero_page", z.zero_pfn,
			 v[0]);
	/* an anonymous page the parent alone maps */
	pfn = pfn_at(pm, z.touched.start);
	expect_i64(vms_kpage_read(k, VMS_KPAGE_FLAGS, pfn, 1, v), 1);
	if ((v[0] & (BIT(VMS_KPF_ANON) | BIT(VMS_KPF_MMAP))) !=
	    (BIT(VMS_KPF_ANON) | BIT(VMS_KPF_MMAP)))
		fail_msg("touched PFN %#" PRIx64 ": flags %#" PRIx64 " lack anon|mmap", pfn, v[0]);
	expect_i64(vms_kpage_read(k, VMS_KPAGE_COUNT, pfn, 1, v), 1);
	expect_u64(v[0], 2); /* the child shares it */
	expect_i64(vms_kpage_read(k, VMS_KPAGE_CGROUP, pfn, 1, v), 1);
	/* the THP: a head then tails, all thp */
	if (z.thp.thp_pages == 1024) {
		uint64_t f[512];

		pfn = pfn_at(pm, z.thp.start);
		expect_i64(vms_kpage_read(k, VMS_KPAGE_FLAGS, pfn, 512, f), 512);
		if (!(f[0] & BIT(VMS_KPF_COMPOUND_HEAD)) || !(f[0] & BIT(VMS_KPF_THP)))
			fail_msg("THP head %#" PRIx64 ": flags %#" PRIx64, pfn, f[0]);
		for (int i = 1; i < 512; i++)
			if (!(f[i] & BIT(VMS_KPF_COMPOUND_TAIL)))
				fail_msg("THP tail %d: flags %#" PRIx64, i, f[i]);
	}
	/* kernel-internal bits above 26 are kept as they were read */
	reads = vms_kpage_reads(k);
	if (!reads)
		fail_msg("vms_kpage_reads() counted no read");
	vms_pagemap_close(pm);
	vms_proc_close(p);
	vms_kpage_close(k);
	vms_ctx_unref(ctx);
}

static void fixture_cow_mapcounts(void **state)
{
	struct vms_ctx *ctx = pages_ctx(ROOT_PAGES);
	struct vms_kpage *k = kpage_open(ctx);
	struct vms_proc *p;
	struct vms_pagemap *pm;
	uint64_t e[16], pfns[16], cnt[16];
	size_t missing = 99;
	struct zoo z;

	zoo_load(ROOT_PAGES, &z);
	p = pages_proc(ctx, z.pid);
	pm = pages_pagemap(p);
	expect_i64(vms_pagemap_read(pm, z.cow.start, 16, e), 16);
	/* in reverse order: lookups take any order */
	for (int i = 0; i < 16; i++)
		pfns[15 - i] = e[i] & VMS_PM_PFN_MASK;
	expect_ret(vms_kpage_lookup(k, VMS_KPAGE_COUNT, pfns, 16, cnt, &missing), 0);
	expect_u64(missing, 0);
	for (int i = 0; i < 16; i++)
		if (cnt[15 - i] != (i < 8 ? 1u : 2u))
			fail_msg("cow page %d (PFN %#" PRIx64 "): mapcount %" PRIu64
				 ", expected %d",
				 i, pfns[15 - i], cnt[15 - i], i < 8 ? 1 : 2);
	vms_pagemap_close(pm);
	vms_proc_close(p);
	vms_kpage_close(k);
	vms_ctx_unref(ctx);
}

static void fixture_missing_frames(void **state)
{
	struct vms_ctx *ctx = pages_ctx(ROOT_PAGES);
	struct vms_kpage *k = kpage_open(ctx);
	uint64_t v[4] = { 9, 9, 9, 9 }, pfns[4], out[4];
	size_t missing = 0;
	struct zoo z;
	ssize_t n;

	zoo_load(ROOT_PAGES, &z);
	/* PFN 1 was not captured: nothing read */
	n = vms_kpage_read(k, VMS_KPAGE_FLAGS, 1, 4, v);
	expect_i64(n, 0);
	/* the zero page was captured alone: one value, then the gap */
	n = vms_kpage_read(k, VMS_KPAGE_FLAGS, z.zero_pfn, 4, v);
	if (n < 1 || n > 4)
		fail_msg("vms_kpage_read(zero PFN, 4): expected 1..4, got %s", errname((int)n));
	pfns[0] = 1;
	pfns[1] = z.zero_pfn;
	pfns[2] = UINT64_MAX;
	pfns[3] = VMS_PM_PFN_MASK;
	memset(out, 0x5a, sizeof(out));
	expect_ret(vms_kpage_lookup(k, VMS_KPAGE_FLAGS, pfns, 4, out, &missing), 0);
	expect_u64(out[0], 0);
	if (!(out[1] & BIT(VMS_KPF_ZERO_PAGE)))
		fail_msg("lookup of the zero PFN: flags %#" PRIx64, out[1]);
	expect_u64(out[2], 0);
	expect_u64(out[3], 0);
	expect_u64(missing, 2); /* PFN 1 and the last PFN; UINT64_MAX is skipped, not missing */
	expect_ret(vms_kpage_lookup(k, VMS_KPAGE_FLAGS, pfns, 0, out, NULL), 0);
	expect_ret(vms_kpage_lookup(k, VMS_KPAGE_FLAGS, pfns, 4, out, NULL), 0);
	vms_kpage_close(k);
	vms_ctx_unref(ctx);
}

static void fixture_unprivileged_has_no_kpage_files(void **state)
{
	struct vms_ctx *ctx = pages_ctx(ROOT_UNPRIV);
	struct vms_kpage *k = kpage_open(ctx);
	uint64_t v = 0, pfn = 0x1000;
	size_t missing = 0;

	for (int f = 0; f < VMS_KPAGE__COUNT; f++) {
		ssize_t n = vms_kpage_read(k, (enum vms_kpage_file)f, 0x1000, 1, &v);

		if (n != -ENOENT && n != -EACCES)
			fail_msg("kpage file %d not in the snapshot: expected -ENOENT, got %s", f,
				 errname((int)n));
		n = vms_kpage_lookup(k, (enum vms_kpage_file)f, &pfn, 1, &v, &missing);
		if (n != -ENOENT && n != -EACCES)
			fail_msg("lookup in kpage file %d not in the snapshot: got %s", f,
				 errname((int)n));
	}
	vms_kpage_close(k);
	vms_ctx_unref(ctx);
}

/* ---- hostile extracts ---- */

static void hostile_kpage_files(void **state)
{
	struct vms_ctx *ctx = pages_ctx(ROOT_HOSTILE);
	struct vms_kpage *k = kpage_open(ctx);
	uint64_t v[2] = { 0, 0 }, pfns[2] = { 0x1001, 0x1000 };
	ssize_t n;

	/* valid, with bits >= 27 kept raw */
	expect_i64(vms_kpage_read(k, VMS_KPAGE_FLAGS, 0x1000, 2, v), 2);
	expect_u64(v[0], BIT(VMS_KPF_LRU) | BIT(VMS_KPF_ANON) | BIT(VMS_KPF_MMAP) | BIT(27) |
				 BIT(32) | BIT(63));
	expect_u64(v[1], VMS_KPF_KNOWN_MASK | BIT(40));
	expect_u64(v[0] & ~VMS_KPF_KNOWN_MASK, BIT(27) | BIT(32) | BIT(63));
	expect_ret(vms_kpage_lookup(k, VMS_KPAGE_FLAGS, pfns, 2, v, NULL), 0);
	expect_u64(v[0], VMS_KPF_KNOWN_MASK | BIT(40));
	/* kpagecount: bad magic; kpagecgroup: truncated in a record */
	n = vms_kpage_read(k, VMS_KPAGE_COUNT, 0x1000, 2, v);
	expect_i64(n, -EPROTO);
	n = vms_kpage_read(k, VMS_KPAGE_CGROUP, 0x1000, 2, v);
	expect_i64(n, -EPROTO);
	expect_ret(vms_kpage_lookup(k, VMS_KPAGE_COUNT, pfns, 2, v, NULL), -EPROTO);
	expect_ret(vms_kpage_lookup(k, VMS_KPAGE_CGROUP, pfns, 2, v, NULL), -EPROTO);
	vms_kpage_close(k);
	vms_ctx_unref(ctx);
}

/* ---- live ---- */

static void live_own_frames(void **state)
{
	struct vms_ctx *ctx = NULL;
	struct vms_proc *p;
	struct vms_pagemap *pm;
	struct vms_kpage *k;
	uint64_t pfn, zp, v = 0;
	volatile char *m;
	unsigned long sum = 0;

	expect_ret(vms_ctx_new(NULL, 0, &ctx), 0);
	if ((vms_ctx_caps(ctx) & (VMS_CAP_PFN | VMS_CAP_KPAGEFLAGS | VMS_CAP_KPAGECOUNT)) !=
	    (VMS_CAP_PFN | VMS_CAP_KPAGEFLAGS | VMS_CAP_KPAGECOUNT)) {
		print_message("SKIP: PFNs or kpage* not readable: %s\n",
			      vms_ctx_cap_reason(ctx, VMS_CAP_PFN) ?
				      vms_ctx_cap_reason(ctx, VMS_CAP_PFN) :
				      vms_ctx_cap_reason(ctx, VMS_CAP_KPAGEFLAGS));
		vms_ctx_unref(ctx);
		skip();
	}
	m = mmap(NULL, 2 * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	m[0] = 1;
	sum += m[PS];
	p = pages_proc(ctx, getpid());
	pm = pages_pagemap(p);
	k = kpage_open(ctx);
	pfn = pfn_at(pm, (uintptr_t)m);
	expect_i64(vms_kpage_read(k, VMS_KPAGE_FLAGS, pfn, 1, &v), 1);
	if (!(v & BIT(VMS_KPF_ANON)))
		fail_msg("own anonymous page PFN %#" PRIx64 ": flags %#" PRIx64 " lack anon", pfn,
			 v);
	expect_i64(vms_kpage_read(k, VMS_KPAGE_COUNT, pfn, 1, &v), 1);
	expect_u64(v, 1);
	if (vms_ctx_zero_pfn(ctx, &zp) == 0) {
		expect_u64(pfn_at(pm, (uintptr_t)m + PS), zp);
		expect_i64(vms_kpage_read(k, VMS_KPAGE_FLAGS, zp, 1, &v), 1);
		if (!(v & BIT(VMS_KPF_ZERO_PAGE)))
			fail_msg("zero PFN %#" PRIx64 ": flags %#" PRIx64, zp, v);
	}
	/* past the last frame: nothing, not an error */
	expect_i64(vms_kpage_read(k, VMS_KPAGE_FLAGS, VMS_PM_PFN_MASK, 1, &v), 0);
	vms_kpage_close(k);
	vms_pagemap_close(pm);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
	munmap((void *)m, 2 * PS);
	(void)sum;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kpf_every_documented_bit_named),
		cmocka_unit_test(fixture_flags_of_known_frames),
		cmocka_unit_test(fixture_cow_mapcounts),
		cmocka_unit_test(fixture_missing_frames),
		cmocka_unit_test(fixture_unprivileged_has_no_kpage_files),
		cmocka_unit_test(hostile_kpage_files),
		cmocka_unit_test(live_own_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
