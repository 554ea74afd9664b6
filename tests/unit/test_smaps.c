// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the smaps parser: vms_maps_open_fd(VMS_MAPS_SMAPS), mappings with counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#define KB(x) ((uint64_t)(x)*1024)

/* The keys a 6.18 kernel prints for every VMA, in its order (VmFlags aside). */
static const char *const keys_6_18[] = {
	"Size",		 "KernelPageSize", "MMUPageSize",     "Rss",
	"Pss",		 "Pss_Dirty",	   "Shared_Clean",    "Shared_Dirty",
	"Private_Clean", "Private_Dirty",  "Referenced",      "Anonymous",
	"KSM",		 "LazyFree",	   "AnonHugePages",   "ShmemPmdMapped",
	"FilePmdMapped", "Shared_Hugetlb", "Private_Hugetlb", "Swap",
	"SwapPss",	 "Locked",	   "THPeligible",
};

/* The same for 5.4: no Pss_Dirty (6.0) and no KSM (6.8). */
static const char *const keys_5_4[] = {
	"Size",
	"KernelPageSize",
	"MMUPageSize",
	"Rss",
	"Pss",
	"Shared_Clean",
	"Shared_Dirty",
	"Private_Clean",
	"Private_Dirty",
	"Referenced",
	"Anonymous",
	"LazyFree",
	"AnonHugePages",
	"ShmemPmdMapped",
	"FilePmdMapped",
	"Shared_Hugetlb",
	"Private_Hugetlb",
	"Swap",
	"SwapPss",
	"Locked",
	"THPeligible",
};

static void collect_file(const char *name, struct map_list *l)
{
	int fd = open_data(name);

	maps_collect_fd(fd, VMS_MAPS_SMAPS, l);
	close(fd);
}

/* The value of a collected counter by name; -ENOENT when absent. */
static int rec_find(const struct counters_rec *c, const char *name, uint64_t *v)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0) {
			*v = c->v[i].value;
			return c->v[i].get_ret;
		}
	return -ENOENT;
}

static uint64_t rec_value(const struct counters_rec *c, const char *name)
{
	uint64_t v = 0;
	int ret = rec_find(c, name, &v);

	if (ret != 0)
		fail_msg("counter \"%s\": expected present, got %s", name, errname(ret));
	return v;
}

static void expect_keys(const struct counters_rec *c, const char *const *keys, size_t n,
			const char *what)
{
	size_t i;

	if (c->n != n)
		fail_msg("%s: expected %zu keys, got %zu", what, n, c->n);
	for (i = 0; i < n; i++)
		if (strcmp(c->v[i].name, keys[i]) != 0)
			fail_msg("%s: key %zu: expected \"%s\", got \"%s\"", what, i, keys[i],
				 c->v[i].name);
}

/* VmFlags: the two-letter codes, compared without the kernel's trailing space. */
static void expect_vm_flags(const char *got, const char *want)
{
	size_t n;

	if (!got)
		fail_msg("vm_flags: expected \"%s\", got NULL", want);
	n = strlen(got);
	while (n && got[n - 1] == ' ')
		n--;
	if (n != strlen(want) || memcmp(got, want, n) != 0)
		fail_msg("vm_flags: expected \"%s\", got \"%s\"", want, esc(got, strlen(got)));
}

/* Counters reached through the live pointer of vms_maps_next(), not the copies. */
static void smaps_well_known_keys_of_the_first_real_mapping(void **state)
{
	int fd = open_data("real-6.18-bash.smaps");
	const struct vms_mapping *m = NULL;
	struct vms_maps *it = NULL;
	const char *name;
	uint64_t v = 0, raw = 0;
	bool in_kb = true;

	expect_ret(vms_maps_open_fd(fd, VMS_MAPS_SMAPS, &it), 0);
	expect_ret(vms_maps_next(it, &m), 1);
	expect_u64(m->start, 0x55eccbfed000);
	expect_lit(m->name, m->name_len, "/usr/bin/bash");
	assert_non_null(m->counters);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_SIZE, &v), 0);
	expect_u64(v, KB(188));
	expect_ret(vms_counters_get(m->counters, VMS_KEY_KERNEL_PAGE_SIZE, &v), 0);
	expect_u64(v, 4096);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_MMU_PAGE_SIZE, &v), 0);
	expect_u64(v, 4096);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_RSS, &v), 0);
	expect_u64(v, KB(188));
	expect_ret(vms_counters_get(m->counters, VMS_KEY_PSS, &v), 0);
	expect_u64(v, KB(31));
	expect_ret(vms_counters_get(m->counters, VMS_KEY_PSS_DIRTY, &v), 0);
	expect_u64(v, 0);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_SHARED_CLEAN, &v), 0);
	expect_u64(v, KB(188));
	expect_ret(vms_counters_get(m->counters, VMS_KEY_REFERENCED, &v), 0);
	expect_u64(v, KB(188));
	expect_ret(vms_counters_get(m->counters, VMS_KEY_KSM, &v), 0);
	expect_u64(v, 0);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_THP_ELIGIBLE, &v), 0);
	expect_u64(v, 0);
	/* Rollup-only keys, and ProtectionKey (no pkeys here), are absent, not 0. */
	expect_ret(vms_counters_get(m->counters, VMS_KEY_PSS_ANON, &v), -ENOENT);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_PSS_FILE, &v), -ENOENT);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_PROTECTION_KEY, &v), -ENOENT);
	expect_ret(vms_counters_find(m->counters, "Pss_Shmem", &v), -ENOENT);
	/* vms_counters_at() gives the value as printed and whether it carried kB. */
	expect_ret(vms_counters_at(m->counters, 0, &name, &raw, &in_kb), 0);
	expect_str(name, "Size");
	expect_u64(raw, 188);
	expect_bool(in_kb, true);
	expect_ret(vms_counters_at(m->counters, 22, &name, &raw, &in_kb), 0);
	expect_str(name, "THPeligible");
	expect_u64(raw, 0);
	expect_bool(in_kb, false);
	expect_ret(vms_counters_at(m->counters, 23, &name, &raw, &in_kb), -ERANGE);
	expect_vm_flags(m->vm_flags, "rd mr mw me");
	vms_maps_close(it);
	close(fd);
}

static void smaps_real_file_every_mapping_with_all_keys(void **state)
{
	struct map_list l, maps;
	int fd = open_data("real-6.18-bash.maps");
	size_t i;

	collect_file("real-6.18-bash.smaps", &l);
	expect_u64(l.n, 43);
	expect_u64(l.ebadmsg, 0);
	expect_u64(l.bad_lines, 0);
	expect_ret(l.end_ret, 0);
	expect_ret(l.finish_ret, 0);
	/* The headers are those of maps, read at the same moment. */
	maps_collect_fd(fd, 0, &maps);
	close(fd);
	expect_u64(maps.n, l.n);
	for (i = 0; i < l.n; i++) {
		char what[64];
		const struct map_rec *a = &l.v[i], *b = &maps.v[i];

		snprintf(what, sizeof(what), "smaps mapping %zu", i);
		if (a->m.start != b->m.start || a->m.end != b->m.end ||
		    a->m.offset != b->m.offset || a->m.inode != b->m.inode ||
		    a->m.dev_major != b->m.dev_major || a->m.dev_minor != b->m.dev_minor ||
		    strcmp(a->m.perms, b->m.perms) != 0 || a->m.name_len != b->m.name_len ||
		    memcmp(a->name, b->name, a->m.name_len) != 0)
			fail_msg("%s: header differs from maps line %zu", what, i + 1);
		if (!a->has_counters)
			fail_msg("%s: no counters with VMS_MAPS_SMAPS", what);
		expect_keys(&a->counters, keys_6_18, sizeof(keys_6_18) / sizeof(keys_6_18[0]),
			    what);
		if (a->counters.bad_lines != 0)
			fail_msg("%s: %zu bad lines", what, a->counters.bad_lines);
		if (!a->vm_flags)
			fail_msg("%s: no VmFlags", what);
	}
	/* [heap] */
	expect_lit(l.v[6].name, l.v[6].m.name_len, "[heap]");
	expect_u64(rec_value(&l.v[6].counters, "Size"), KB(132));
	expect_u64(rec_value(&l.v[6].counters, "Rss"), KB(88));
	expect_u64(rec_value(&l.v[6].counters, "Private_Dirty"), KB(88));
	expect_u64(rec_value(&l.v[6].counters, "Pss_Dirty"), KB(88));
	expect_u64(rec_value(&l.v[6].counters, "THPeligible"), 0);
	expect_vm_flags(l.v[6].vm_flags, "rd wr mr mw me ac");
	expect_vm_flags(l.v[42].vm_flags, "ex");
	map_list_free(&maps);
	map_list_free(&l);
}

static void smaps_real_file_sums_match_its_rollup(void **state)
{
	/* smaps and smaps_rollup of the same idle shell, read one after the other. */
	static const char *const keys[] = { "Rss",	 "Shared_Clean", "Private_Dirty",
					    "Anonymous", "Referenced",	 "Swap" };
	struct vms_counters *rollup = counters_parse_data("real-6.18-bash.smaps_rollup");
	struct map_list l;
	size_t i, k;

	collect_file("real-6.18-bash.smaps", &l);
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		uint64_t sum = 0;

		for (i = 0; i < l.n; i++)
			sum += rec_value(&l.v[i].counters, keys[k]);
		if (sum != counter(rollup, keys[k]))
			fail_msg("%s: smaps sum %" PRIu64 ", smaps_rollup %" PRIu64, keys[k], sum,
				 counter(rollup, keys[k]));
	}
	expect_u64(counter(rollup, "Rss"), KB(3108));
	map_list_free(&l);
	vms_counters_free(rollup);
}

static void smaps_real_hostile_names_from_this_kernel(void **state)
{
	struct map_list l, maps;
	int fd = open_data("real-6.18-hostile.maps");
	size_t i;

	collect_file("real-6.18-hostile.smaps", &l);
	maps_collect_fd(fd, 0, &maps);
	close(fd);
	expect_u64(l.n, maps.n);
	expect_u64(l.bad_lines, 0);
	for (i = 0; i < l.n; i++) {
		expect_bytes(l.v[i].name, l.v[i].m.name_len, maps.v[i].name, maps.v[i].m.name_len);
		expect_bool(l.v[i].m.name_says_deleted, maps.v[i].m.name_says_deleted);
		expect_keys(&l.v[i].counters, keys_6_18, sizeof(keys_6_18) / sizeof(keys_6_18[0]),
			    l.v[i].name);
	}
	/* The memfd with ESC and BEL: one shared page, never touched. */
	expect_lit(l.v[1].name, l.v[1].m.name_len, "/memfd:my memfd\x1b]0;title\x07 (deleted)");
	expect_u64(rec_value(&l.v[1].counters, "Size"), 4096);
	expect_u64(rec_value(&l.v[1].counters, "Rss"), 0);
	expect_vm_flags(l.v[1].vm_flags, "rd sh mr mw me ms");
	map_list_free(&maps);
	map_list_free(&l);
}

static void smaps_old_kernel_5_4_keys_absent_not_zero(void **state)
{
	struct map_list l;
	size_t i;
	uint64_t v;

	collect_file("old-5.4.smaps", &l);
	expect_u64(l.n, 3);
	expect_u64(l.bad_lines, 0);
	for (i = 0; i < l.n; i++) {
		expect_keys(&l.v[i].counters, keys_5_4, sizeof(keys_5_4) / sizeof(keys_5_4[0]),
			    l.v[i].name);
		expect_ret(rec_find(&l.v[i].counters, "Pss_Dirty", &v), -ENOENT);
		expect_ret(rec_find(&l.v[i].counters, "KSM", &v), -ENOENT);
	}
	expect_lit(l.v[0].name, l.v[0].m.name_len, "/usr/bin/cat");
	expect_u64(l.v[0].m.dev_major, 8);
	expect_u64(l.v[0].m.dev_minor, 1);
	expect_u64(rec_value(&l.v[0].counters, "Private_Clean"), KB(8));
	/* 5.4 printed "FilePmdMapped:" one column short and THPeligible after two tabs. */
	expect_u64(rec_value(&l.v[0].counters, "FilePmdMapped"), 0);
	expect_u64(rec_value(&l.v[0].counters, "Private_Hugetlb"), 0);
	expect_u64(l.v[0].counters.v[20].raw, 0);
	expect_bool(l.v[0].counters.v[20].in_kb, false);
	expect_u64(rec_value(&l.v[2].counters, "Swap"), KB(8));
	expect_u64(rec_value(&l.v[2].counters, "SwapPss"), KB(8));
	expect_vm_flags(l.v[2].vm_flags, "rd wr mr mw me gd ac");
	map_list_free(&l);
}

static void smaps_old_kernel_5_4_through_the_live_pointer(void **state)
{
	/* vms_counters_get() on the iterator's own counters, for an absent key. */
	int fd = open_data("old-5.4.smaps");
	const struct vms_mapping *m = NULL;
	struct vms_maps *it = NULL;
	uint64_t v = 42;

	expect_ret(vms_maps_open_fd(fd, VMS_MAPS_SMAPS, &it), 0);
	expect_ret(vms_maps_next(it, &m), 1);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_PSS_DIRTY, &v), -ENOENT);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_KSM, &v), -ENOENT);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_FILE_PMD_MAPPED, &v), 0);
	expect_u64(v, 0);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_THP_ELIGIBLE, &v), 0);
	expect_u64(v, 0);
	expect_ret(vms_maps_next(it, &m), 1);
	expect_lit(m->name, m->name_len, "[heap]");
	expect_ret(vms_counters_get(m->counters, VMS_KEY_PRIVATE_DIRTY, &v), 0);
	expect_u64(v, KB(4));
	vms_maps_close(it);
	close(fd);
}

static void smaps_hostile_file(void **state)
{
	static const char *const first_keys[] = { "Rss",	   "Size",	  "Pss",
						  "FutureKey",	   "FutureCount", "Swap",
						  "ProtectionKey", "THPeligible" };
	static const char *const third_keys[] = { "Size", "KernelPageSize", "Rss" };
	struct map_list l;
	const struct counters_rec *c;
	uint64_t v;

	collect_file("hostile.smaps", &l);
	expect_u64(l.n, 3);
	expect_ret(l.end_ret, 0);
	/* The body line before any header, and the garbage line: two bad lines in all. */
	expect_u64(l.bad_lines, 2);

	/* 1: keys in another order, unknown keys kept, a value above 2^32 kB. */
	expect_lit(l.v[0].name, l.v[0].m.name_len, "/opt/app/bin");
	c = &l.v[0].counters;
	expect_keys(c, first_keys, sizeof(first_keys) / sizeof(first_keys[0]), "mapping 0");
	expect_u64(rec_value(c, "Rss"), KB(8));
	expect_u64(rec_value(c, "Size"), KB(4));
	expect_u64(rec_value(c, "Pss"), KB(8));
	expect_u64(rec_value(c, "FutureKey"), KB(16));
	expect_bool(c->v[3].in_kb, true);
	expect_u64(c->v[3].raw, 16);
	expect_u64(rec_value(c, "FutureCount"), 7);
	expect_bool(c->v[4].in_kb, false);
	expect_u64(rec_value(c, "Swap"), KB(4294967296ULL));
	expect_u64(c->v[5].raw, 4294967296ULL);
	expect_u64(rec_value(c, "ProtectionKey"), 3);
	expect_bool(c->v[6].in_kb, false);
	expect_u64(rec_value(c, "THPeligible"), 1);
	expect_ret(rec_find(c, "KernelPageSize", &v), -ENOENT);
	expect_ret(rec_find(c, "Pss_Dirty", &v), -ENOENT);
	expect_ret(rec_find(c, "Private_Clean", &v), -ENOENT);
	expect_vm_flags(l.v[0].vm_flags, "rd ex ?? mr zz");

	/* 2: a header without a body. */
	expect_u64(l.v[1].m.start, 0x401000);
	expect_lit(l.v[1].name, l.v[1].m.name_len, "/opt/app/bin");
	if (!l.v[1].has_counters)
		fail_msg("mapping 1: counters NULL with VMS_MAPS_SMAPS (expected an empty set)");
	expect_u64(l.v[1].counters.n, 0);
	if (l.v[1].vm_flags)
		fail_msg("mapping 1: vm_flags \"%s\" for a block without VmFlags", l.v[1].vm_flags);

	/* 3: a garbage line inside the body, and a last line without a newline. */
	expect_u64(l.v[2].m.start, 0x402000);
	expect_u64(l.v[2].m.name_len, 0);
	expect_keys(&l.v[2].counters, third_keys, 3, "mapping 2");
	expect_u64(rec_value(&l.v[2].counters, "Rss"), KB(4));
	expect_vm_flags(l.v[2].vm_flags, "rd wr mr mw me ac");
	map_list_free(&l);
}

static void smaps_protection_key_is_read_when_present(void **state)
{
	/* A machine with pkeys prints ProtectionKey between THPeligible and VmFlags. */
	static const char text[] = "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n"
				   "Size:                  4 kB\n"
				   "Rss:                   4 kB\n"
				   "THPeligible:           0\n"
				   "ProtectionKey:        15\n"
				   "VmFlags: rd wr mr mw me ac \n";
	const struct vms_mapping *m = NULL;
	struct vms_maps *it = NULL;
	struct feed *f = feed_start(text, sizeof(text) - 1, 0);
	uint64_t v = 0;

	expect_ret(vms_maps_open_fd(feed_fd(f), VMS_MAPS_SMAPS, &it), 0);
	expect_ret(vms_maps_next(it, &m), 1);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_PROTECTION_KEY, &v), 0);
	expect_u64(v, 15);
	expect_u64(vms_counters_count(m->counters), 4);
	expect_ret(vms_maps_next(it, &m), 0);
	vms_maps_close(it);
	feed_finish(f);
}

static void smaps_key_after_vmflags_does_not_leak_into_the_next_mapping(void **state)
{
	/*
	 * Today's kernels end a block with VmFlags, but the key set is not an ABI.  A key a
	 * future kernel prints after VmFlags may be kept with its mapping or skipped as a bad
	 * line; it must never land in the next mapping or disturb it.
	 */
	static const char text[] = "00400000-00401000 r-xp 00000000 08:01 5  /a\n"
				   "Size:                  4 kB\n"
				   "VmFlags: rd ex mr mw me \n"
				   "FutureAfterFlags:      8 kB\n"
				   "00401000-00402000 rw-p 00000000 00:00 0 \n"
				   "Size:                  4 kB\n"
				   "VmFlags: rd wr mr mw me ac \n";
	struct map_list l;
	uint64_t v = 0;
	int kept;

	maps_collect_text(text, sizeof(text) - 1, 0, VMS_MAPS_SMAPS, &l);
	expect_u64(l.n, 2);
	kept = rec_find(&l.v[0].counters, "FutureAfterFlags", &v);
	if (kept == 0) {
		expect_u64(v, KB(8));
		expect_u64(l.bad_lines, 0);
	} else {
		expect_u64(l.bad_lines, 1);
	}
	expect_u64(l.v[1].counters.n, 1);
	expect_u64(rec_value(&l.v[1].counters, "Size"), KB(4));
	expect_vm_flags(l.v[1].vm_flags, "rd wr mr mw me ac");
	map_list_free(&l);
}

static void smaps_value_overflowing_bytes_is_eoverflow(void **state)
{
	/* 2^54 kB is 2^64 bytes: present, but not representable once scaled. */
	static const char text[] = "00400000-00401000 r-xp 00000000 08:01 5  /a\n"
				   "Size:                  4 kB\n"
				   "Rss:    18014398509481984 kB\n"
				   "Pss:    18014398509481983 kB\n"
				   "VmFlags: rd ex mr mw me \n";
	const struct vms_mapping *m = NULL;
	struct vms_maps *it = NULL;
	struct feed *f = feed_start(text, sizeof(text) - 1, 0);
	uint64_t v = 0;

	expect_ret(vms_maps_open_fd(feed_fd(f), VMS_MAPS_SMAPS, &it), 0);
	expect_ret(vms_maps_next(it, &m), 1);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_RSS, &v), -EOVERFLOW);
	expect_ret(vms_counters_get(m->counters, VMS_KEY_PSS, &v), 0);
	expect_u64(v, 18014398509481983ULL * 1024);
	vms_maps_close(it);
	feed_finish(f);
}

static void smaps_long_header_with_body_is_not_split(void **state)
{
	struct sbuf b = { 0 }, name = { 0 };
	size_t chunks[] = { 0, 1, 7, 4096 }, i;

	while (name.len < 10050)
		sbuf_addf(&name, "/dir%06zu", name.len);
	sbuf_add_maps_line(&b, 0x7f0000000000, 0x7f0000001000, "r--p", 0, 0xfe, 0, 77, name.p,
			   name.len);
	sbuf_addf(&b, "\nSize:                  4 kB\nRss:                   4 kB\n"
		      "VmFlags: rd mr mw me \n");
	sbuf_add_maps_line(&b, 0x7f0000001000, 0x7f0000002000, "rw-p", 0, 0, 0, 0, "", 0);
	sbuf_addf(&b, "\nSize:                  4 kB\nVmFlags: rd wr mr mw me ac \n");
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct map_list l;

		maps_collect_text(b.p, b.len, chunks[i], VMS_MAPS_SMAPS, &l);
		if (l.n != 2 || l.bad_lines != 0)
			fail_msg("chunk %zu: expected 2 mappings and no bad line, got %zu and %zu",
				 chunks[i], l.n, l.bad_lines);
		expect_bytes(l.v[0].name, l.v[0].m.name_len, name.p, name.len);
		expect_u64(l.v[0].counters.n, 2);
		expect_u64(rec_value(&l.v[0].counters, "Rss"), 4096);
		expect_u64(l.v[1].counters.n, 1);
		map_list_free(&l);
	}
	sbuf_free(&name);
	sbuf_free(&b);
}

static void smaps_chunked_reads_give_identical_results(void **state)
{
	static const char *const files[] = { "real-6.18-bash.smaps", "real-6.18-hostile.smaps",
					     "old-5.4.smaps", "hostile.smaps" };
	static const size_t chunks[] = { 1, 7, 4096 };
	size_t f, c;

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *text = read_data(files[f], &len);
		struct map_list whole;

		maps_collect_text(text, len, 0, VMS_MAPS_SMAPS, &whole);
		assert_true(whole.n > 0);
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			struct map_list part;
			char what[128];

			snprintf(what, sizeof(what), "%s read in %zu-byte chunks", files[f],
				 chunks[c]);
			maps_collect_text(text, len, chunks[c], VMS_MAPS_SMAPS, &part);
			map_list_compare(&whole, &part, what);
			map_list_free(&part);
		}
		map_list_free(&whole);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(smaps_well_known_keys_of_the_first_real_mapping),
		cmocka_unit_test(smaps_real_file_every_mapping_with_all_keys),
		cmocka_unit_test(smaps_real_file_sums_match_its_rollup),
		cmocka_unit_test(smaps_real_hostile_names_from_this_kernel),
		cmocka_unit_test(smaps_old_kernel_5_4_keys_absent_not_zero),
		cmocka_unit_test(smaps_old_kernel_5_4_through_the_live_pointer),
		cmocka_unit_test(smaps_hostile_file),
		cmocka_unit_test(smaps_protection_key_is_read_when_present),
		cmocka_unit_test(smaps_key_after_vmflags_does_not_leak_into_the_next_mapping),
		cmocka_unit_test(smaps_value_overflowing_bytes_is_eoverflow),
		cmocka_unit_test(smaps_long_header_with_body_is_not_split),
		cmocka_unit_test(smaps_chunked_reads_give_identical_results),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
