// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the counters parser (smaps_rollup, meminfo, vmstat, status) and the key table. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#define KB(x) ((uint64_t)(x)*1024)

/* ---- the well-known key table ---- */

static const char *const key_names[] = {
	[VMS_KEY_SIZE] = "Size",
	[VMS_KEY_KERNEL_PAGE_SIZE] = "KernelPageSize",
	[VMS_KEY_MMU_PAGE_SIZE] = "MMUPageSize",
	[VMS_KEY_RSS] = "Rss",
	[VMS_KEY_PSS] = "Pss",
	[VMS_KEY_PSS_DIRTY] = "Pss_Dirty",
	[VMS_KEY_PSS_ANON] = "Pss_Anon",
	[VMS_KEY_PSS_FILE] = "Pss_File",
	[VMS_KEY_PSS_SHMEM] = "Pss_Shmem",
	[VMS_KEY_SHARED_CLEAN] = "Shared_Clean",
	[VMS_KEY_SHARED_DIRTY] = "Shared_Dirty",
	[VMS_KEY_PRIVATE_CLEAN] = "Private_Clean",
	[VMS_KEY_PRIVATE_DIRTY] = "Private_Dirty",
	[VMS_KEY_REFERENCED] = "Referenced",
	[VMS_KEY_ANONYMOUS] = "Anonymous",
	[VMS_KEY_KSM] = "KSM",
	[VMS_KEY_LAZY_FREE] = "LazyFree",
	[VMS_KEY_ANON_HUGE_PAGES] = "AnonHugePages",
	[VMS_KEY_SHMEM_PMD_MAPPED] = "ShmemPmdMapped",
	[VMS_KEY_FILE_PMD_MAPPED] = "FilePmdMapped",
	[VMS_KEY_SHARED_HUGETLB] = "Shared_Hugetlb",
	[VMS_KEY_PRIVATE_HUGETLB] = "Private_Hugetlb",
	[VMS_KEY_SWAP] = "Swap",
	[VMS_KEY_SWAP_PSS] = "SwapPss",
	[VMS_KEY_LOCKED] = "Locked",
	[VMS_KEY_THP_ELIGIBLE] = "THPeligible",
	[VMS_KEY_PROTECTION_KEY] = "ProtectionKey",
};

static void key_numbers_are_abi_stable(void **state)
{
	/* Appended, never sorted in: a renumbering breaks every binary built against 0.1. */
	expect_i64(VMS_KEY_SIZE, 0);
	expect_i64(VMS_KEY_RSS, 3);
	expect_i64(VMS_KEY_PSS_DIRTY, 5);
	expect_i64(VMS_KEY_PSS_SHMEM, 8);
	expect_i64(VMS_KEY_PRIVATE_DIRTY, 12);
	expect_i64(VMS_KEY_KSM, 15);
	expect_i64(VMS_KEY_FILE_PMD_MAPPED, 19);
	expect_i64(VMS_KEY_SWAP, 22);
	expect_i64(VMS_KEY_LOCKED, 24);
	expect_i64(VMS_KEY_THP_ELIGIBLE, 25);
	expect_i64(VMS_KEY_PROTECTION_KEY, 26);
	expect_i64(VMS_KEY__COUNT, 27);
}

static void key_name_and_lookup_round_trip(void **state)
{
	int k;

	for (k = 0; k < VMS_KEY__COUNT; k++) {
		expect_str(vms_key_name((enum vms_key)k), key_names[k]);
		if (vms_key_lookup(key_names[k]) != k)
			fail_msg("vms_key_lookup(\"%s\"): expected %d, got %s", key_names[k], k,
				 errname(vms_key_lookup(key_names[k])));
	}
	assert_null(vms_key_name(VMS_KEY__COUNT));
	assert_null(vms_key_name((enum vms_key)1000));
	assert_null(vms_key_name((enum vms_key) - 1));
}

static void key_lookup_is_exact(void **state)
{
	static const char *const unknown[] = { "pss_dirty", "PSS",   "Pss_Dirty ", " Rss",
					       "Rss:",	    "Pss_",  "VmFlags",	   "MemTotal",
					       "",	    "Size\n" };
	size_t i;

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		if (vms_key_lookup(unknown[i]) != -ENOENT)
			fail_msg("vms_key_lookup(\"%s\"): expected -ENOENT, got %s",
				 esc(unknown[i], strlen(unknown[i])),
				 errname(vms_key_lookup(unknown[i])));
}

/* ---- a reference reading of well-formed files, to compare with vms_counters_at() ---- */

struct ref_line {
	char name[64];
	uint64_t raw;
	bool in_kb;
};

static size_t ref_parse(const char *text, struct ref_line *out, size_t max)
{
	size_t n = 0;
	const char *p = text;

	while (*p && n < max) {
		const char *nl = strchr(p, '\n'), *sep;
		size_t klen;
		char *end;

		if (!nl)
			nl = p + strlen(p);
		sep = memchr(p, ':', (size_t)(nl - p));
		if (!sep)
			sep = memchr(p, ' ', (size_t)(nl - p));
		assert_non_null(sep);
		klen = (size_t)(sep - p);
		assert_true(klen < sizeof(out[n].name));
		memcpy(out[n].name, p, klen);
		out[n].name[klen] = '\0';
		out[n].raw = strtoull(sep + 1, &end, 10);
		out[n].in_kb = (size_t)(nl - end) == 3 && memcmp(end, " kB", 3) == 0;
		n++;
		p = *nl ? nl + 1 : nl;
	}
	return n;
}

static void expect_file_order(const struct vms_counters *c, const char *file)
{
	size_t len, n, i;
	char *text = read_data(file, &len);
	struct ref_line *ref = calloc(1000, sizeof(*ref));

	assert_non_null(ref);
	n = ref_parse(text, ref, 1000);
	if (vms_counters_count(c) != n)
		fail_msg("%s: expected %zu keys, got %zu", file, n, vms_counters_count(c));
	for (i = 0; i < n; i++) {
		const char *name = NULL;
		uint64_t raw = 0, v = 0;
		bool in_kb = false;

		expect_ret(vms_counters_at(c, i, &name, &raw, &in_kb), 0);
		if (!name || strcmp(name, ref[i].name) != 0 || raw != ref[i].raw ||
		    in_kb != ref[i].in_kb)
			fail_msg("%s: key %zu: expected \"%s\" %" PRIu64 "%s, got \"%s\" %" PRIu64
				 "%s",
				 file, i, ref[i].name, ref[i].raw, ref[i].in_kb ? " kB" : "",
				 name ? name : "(null)", raw, in_kb ? " kB" : "");
		expect_ret(vms_counters_find(c, name, &v), 0);
		expect_u64(v, ref[i].in_kb ? ref[i].raw * 1024 : ref[i].raw);
	}
	{
		const char *name = NULL;
		uint64_t raw = 0;
		bool in_kb = false;

		expect_ret(vms_counters_at(c, n, &name, &raw, &in_kb), -ERANGE);
	}
	free(ref);
	free(text);
}

/* ---- smaps_rollup ---- */

static void rollup_real_6_18_all_keys_in_bytes(void **state)
{
	struct vms_counters *c = counters_parse_data("real-6.18-bash.smaps_rollup");
	uint64_t v = 0;
	const char *name;
	uint64_t raw;
	bool in_kb;
	size_t i;

	/* The "[rollup]" header is not a key; whether it counts as a bad line is open. */
	if (vms_counters_bad_lines(c) > 1)
		fail_msg("expected at most 1 bad line (the header), got %zu",
			 vms_counters_bad_lines(c));
	expect_u64(vms_counters_count(c), 22);
	expect_ret(vms_counters_get(c, VMS_KEY_RSS, &v), 0);
	expect_u64(v, KB(3108));
	expect_ret(vms_counters_get(c, VMS_KEY_PSS, &v), 0);
	expect_u64(v, KB(674));
	expect_ret(vms_counters_get(c, VMS_KEY_PSS_DIRTY, &v), 0);
	expect_u64(v, KB(276));
	expect_ret(vms_counters_get(c, VMS_KEY_PSS_ANON, &v), 0);
	expect_u64(v, KB(276));
	expect_ret(vms_counters_get(c, VMS_KEY_PSS_FILE, &v), 0);
	expect_u64(v, KB(398));
	expect_ret(vms_counters_get(c, VMS_KEY_PSS_SHMEM, &v), 0);
	expect_u64(v, 0);
	expect_ret(vms_counters_get(c, VMS_KEY_SHARED_CLEAN, &v), 0);
	expect_u64(v, KB(2832));
	expect_ret(vms_counters_get(c, VMS_KEY_PRIVATE_DIRTY, &v), 0);
	expect_u64(v, KB(276));
	expect_ret(vms_counters_get(c, VMS_KEY_KSM, &v), 0);
	expect_u64(v, 0);
	expect_ret(vms_counters_get(c, VMS_KEY_LOCKED, &v), 0);
	expect_u64(v, 0);
	/* A rollup has no Size, page sizes, THPeligible or VmFlags. */
	expect_ret(vms_counters_get(c, VMS_KEY_SIZE, &v), -ENOENT);
	expect_ret(vms_counters_get(c, VMS_KEY_KERNEL_PAGE_SIZE, &v), -ENOENT);
	expect_ret(vms_counters_get(c, VMS_KEY_THP_ELIGIBLE, &v), -ENOENT);
	expect_ret(vms_counters_find(c, "VmFlags", &v), -ENOENT);
	/* vms_counters_get() and vms_counters_find() agree on every key. */
	for (i = 0; i < vms_counters_count(c); i++) {
		uint64_t a = 1, b = 2;
		int k;

		expect_ret(vms_counters_at(c, i, &name, &raw, &in_kb), 0);
		expect_bool(in_kb, true);
		k = vms_key_lookup(name);
		if (k < 0)
			fail_msg("rollup key \"%s\" is not a well-known key", name);
		expect_ret(vms_counters_get(c, (enum vms_key)k, &a), 0);
		expect_ret(vms_counters_find(c, name, &b), 0);
		expect_u64(a, b);
		expect_u64(a, raw * 1024);
	}
	expect_ret(vms_counters_at(c, 0, &name, &raw, &in_kb), 0);
	expect_str(name, "Rss");
	expect_ret(vms_counters_at(c, 21, &name, &raw, &in_kb), 0);
	expect_str(name, "Locked");
	vms_counters_free(c);
}

static void rollup_old_5_4_keys_absent_not_zero(void **state)
{
	struct vms_counters *c = counters_parse_data("old-5.4.smaps_rollup");
	uint64_t v = 42;

	expect_u64(vms_counters_count(c), 17);
	expect_ret(vms_counters_get(c, VMS_KEY_PSS_ANON, &v), -ENOENT);
	expect_ret(vms_counters_get(c, VMS_KEY_PSS_FILE, &v), -ENOENT);
	expect_ret(vms_counters_get(c, VMS_KEY_PSS_SHMEM, &v), -ENOENT);
	expect_ret(vms_counters_get(c, VMS_KEY_PSS_DIRTY, &v), -ENOENT);
	expect_ret(vms_counters_get(c, VMS_KEY_KSM, &v), -ENOENT);
	expect_ret(vms_counters_find(c, "Pss_Anon", &v), -ENOENT);
	expect_ret(vms_counters_get(c, VMS_KEY_FILE_PMD_MAPPED, &v), 0);
	expect_u64(v, 0);
	expect_ret(vms_counters_get(c, VMS_KEY_PRIVATE_HUGETLB, &v), 0);
	expect_u64(v, 0);
	expect_ret(vms_counters_get(c, VMS_KEY_PSS, &v), 0);
	expect_u64(v, KB(102));
	expect_ret(vms_counters_get(c, VMS_KEY_SWAP_PSS, &v), 0);
	expect_u64(v, KB(8));
	vms_counters_free(c);
}

/* ---- meminfo ---- */

static void meminfo_real_6_18_file_order_and_bytes(void **state)
{
	struct vms_counters *c = counters_parse_data("real-6.18.meminfo");
	const char *name;
	uint64_t raw, v = 0;
	bool in_kb;

	expect_u64(vms_counters_bad_lines(c), 0);
	expect_u64(vms_counters_count(c), 54);
	expect_file_order(c, "real-6.18.meminfo");
	expect_u64(counter(c, "MemTotal"), KB(24684084));
	expect_u64(counter(c, "MemAvailable"), KB(24313960));
	expect_u64(counter(c, "Active(anon)"), KB(1536));
	expect_u64(counter(c, "SwapTotal"), 0);
	/* Above 2^32 kB. */
	expect_u64(counter(c, "VmallocTotal"), KB(34359738367ULL));
	expect_u64(counter(c, "DirectMap1G"), KB(25165824));
	/* HugePages_* have no unit: as printed. */
	expect_u64(counter(c, "HugePages_Total"), 0);
	expect_ret(vms_counters_at(c, 45, &name, &raw, &in_kb), 0);
	expect_str(name, "HugePages_Total");
	expect_bool(in_kb, false);
	expect_u64(counter(c, "Hugepagesize"), KB(2048));
	/* No prefix matching, no smaps key in meminfo. */
	expect_ret(vms_counters_find(c, "Mem", &v), -ENOENT);
	expect_ret(vms_counters_find(c, "MemTotal:", &v), -ENOENT);
	expect_ret(vms_counters_find(c, "memtotal", &v), -ENOENT);
	expect_ret(vms_counters_find(c, "", &v), -ENOENT);
	expect_ret(vms_counters_get(c, VMS_KEY_RSS, &v), -ENOENT);
	/* "AnonHugePages" and "ShmemPmdMapped" are also smaps key names. */
	expect_ret(vms_counters_get(c, VMS_KEY_ANON_HUGE_PAGES, &v), 0);
	expect_u64(v, 0);
	expect_ret(vms_counters_get(c, VMS_KEY_FILE_PMD_MAPPED, &v), 0);
	expect_u64(v, 0);
	vms_counters_free(c);
}

static void meminfo_without_swap_with_extra_keys(void **state)
{
	struct vms_counters *c = counters_parse_data("custom-noswap.meminfo");
	uint64_t v = 0;
	const char *name;
	uint64_t raw;
	bool in_kb;

	expect_u64(vms_counters_bad_lines(c), 0);
	expect_file_order(c, "custom-noswap.meminfo");
	expect_ret(vms_counters_find(c, "SwapTotal", &v), -ENOENT);
	expect_ret(vms_counters_find(c, "SwapFree", &v), -ENOENT);
	expect_ret(vms_counters_find(c, "SwapCached", &v), -ENOENT);
	expect_u64(counter(c, "CmaTotal"), KB(65536));
	expect_u64(counter(c, "HardwareCorrupted"), 0);
	expect_u64(counter(c, "ZzFutureKey"), KB(5));
	expect_u64(counter(c, "ZzFutureCount"), 42);
	expect_u64(counter(c, "HugePages_Total"), 8);
	expect_ret(vms_counters_at(c, 10, &name, &raw, &in_kb), 0);
	expect_str(name, "HugePages_Total");
	expect_u64(raw, 8);
	expect_bool(in_kb, false);
	vms_counters_free(c);
}

/* ---- vmstat ---- */

static void vmstat_real_6_18_file_order(void **state)
{
	struct vms_counters *c = counters_parse_data("real-6.18.vmstat");

	expect_u64(vms_counters_bad_lines(c), 0);
	expect_u64(vms_counters_count(c), 192);
	expect_file_order(c, "real-6.18.vmstat");
	expect_u64(counter(c, "pgfault"), 2032477);
	expect_u64(counter(c, "pgmajfault"), 789);
	vms_counters_free(c);
}

static void vmstat_without_pgmajfault(void **state)
{
	struct vms_counters *c = counters_parse_data("custom-nomajfault.vmstat");
	uint64_t v = 0;

	expect_u64(vms_counters_bad_lines(c), 0);
	expect_file_order(c, "custom-nomajfault.vmstat");
	expect_ret(vms_counters_find(c, "pgmajfault", &v), -ENOENT);
	expect_u64(counter(c, "pgfault"), 99);
	expect_u64(counter(c, "pgfuture_event"), 7);
	vms_counters_free(c);
}

/* ---- status ---- */

static void status_real_process(void **state)
{
	struct vms_counters *c = counters_parse_data("real-6.18-bash.status");
	uint64_t v = 0;

	expect_u64(counter(c, "VmRSS"), KB(3108));
	expect_u64(counter(c, "VmSize"), KB(4360));
	expect_u64(counter(c, "RssAnon"), KB(276));
	expect_u64(counter(c, "Threads"), 1);
	expect_u64(counter(c, "Kthread"), 0);
	expect_u64(counter(c, "Tgid"), 5137);
	/* "Name:\tbash" is not a counter: skipped, not read as 0. */
	expect_ret(vms_counters_find(c, "Name", &v), -ENOENT);
	expect_ret(vms_counters_find(c, "State", &v), -ENOENT);
	if (vms_counters_bad_lines(c) == 0)
		fail_msg("status has text lines (Name, State, ...): expected bad lines, got 0");
	vms_counters_free(c);
}

static void status_zombie_has_no_vm_lines(void **state)
{
	struct vms_counters *c = counters_parse_data("real-6.18-zombie.status");
	uint64_t v = 0;

	expect_ret(vms_counters_find(c, "VmRSS", &v), -ENOENT);
	expect_ret(vms_counters_find(c, "VmSize", &v), -ENOENT);
	expect_ret(vms_counters_find(c, "RssAnon", &v), -ENOENT);
	expect_u64(counter(c, "Threads"), 1);
	expect_u64(counter(c, "Kthread"), 0);
	vms_counters_free(c);
}

static void status_kernel_thread(void **state)
{
	struct vms_counters *c = counters_parse_data("real-6.18-kthread.status");
	uint64_t v = 0;

	expect_u64(counter(c, "Kthread"), 1);
	expect_u64(counter(c, "PPid"), 0);
	expect_ret(vms_counters_find(c, "VmRSS", &v), -ENOENT);
	vms_counters_free(c);
}

static void status_hostile_name_does_not_disturb_the_rest(void **state)
{
	/* Name: escapes the newline as "\n" but leaves ESC raw; NSpid has three levels. */
	static const char text[] = "Name:\tx) R 1 2\\n\x1b[2Jz\n"
				   "Umask:\t0022\n"
				   "State:\tS (sleeping)\n"
				   "Tgid:\t12183\n"
				   "NSpid:\t12183\t6\t1\n"
				   "Threads:\t3\n"
				   "FutureKey:\t7\n"
				   "VmRSS:\t     128 kB";
	struct vms_counters *c = counters_parse_text(text, sizeof(text) - 1, 0);
	uint64_t v = 0;

	expect_ret(vms_counters_find(c, "Name", &v), -ENOENT);
	expect_u64(counter(c, "Tgid"), 12183);
	expect_u64(counter(c, "Threads"), 3);
	expect_u64(counter(c, "FutureKey"), 7);
	expect_u64(counter(c, "VmRSS"), KB(128));
	vms_counters_free(c);
}

/* ---- hostile values and lines ---- */

static void counters_value_overflowing_64_bits_in_bytes_is_eoverflow(void **state)
{
	static const char text[] = "Edge:   18014398509481983 kB\n"
				   "Big:    18014398509481984 kB\n"
				   "Huge:   18446744073709551615 kB\n"
				   "Raw:    18446744073709551615\n"
				   "Rss:    36028797018963968 kB\n"
				   "After:  1 kB\n";
	struct vms_counters *c = counters_parse_text(text, sizeof(text) - 1, 0);
	const char *name;
	uint64_t raw = 0, v = 0;
	bool in_kb = false;

	expect_u64(counter(c, "Edge"), 18014398509481983ULL * 1024);
	expect_ret(vms_counters_find(c, "Big", &v), -EOVERFLOW);
	expect_ret(vms_counters_find(c, "Huge", &v), -EOVERFLOW);
	expect_u64(counter(c, "Raw"), UINT64_MAX);
	expect_ret(vms_counters_get(c, VMS_KEY_RSS, &v), -EOVERFLOW);
	expect_u64(counter(c, "After"), 1024);
	/* The value as printed survives. */
	expect_ret(vms_counters_at(c, 1, &name, &raw, &in_kb), 0);
	expect_str(name, "Big");
	expect_u64(raw, 18014398509481984ULL);
	expect_bool(in_kb, true);
	expect_u64(vms_counters_bad_lines(c), 0);
	vms_counters_free(c);
}

static void counters_value_beyond_64_bits_never_wraps(void **state)
{
	static const char text[] = "Wrap:   18446744073709551616\n"
				   "WrapKb: 18446744073709551617 kB\n"
				   "Long:   99999999999999999999999999999999 kB\n"
				   "After:  2 kB\n";
	struct vms_counters *c = counters_parse_text(text, sizeof(text) - 1, 0);
	static const char *const keys[] = { "Wrap", "WrapKb", "Long" };
	size_t i;

	for (i = 0; i < 3; i++) {
		uint64_t v = 12345;
		int ret = vms_counters_find(c, keys[i], &v);

		/* Either a bad line (absent) or -EOVERFLOW; never a wrapped number. */
		if (ret != -ENOENT && ret != -EOVERFLOW)
			fail_msg("\"%s\": expected -ENOENT or -EOVERFLOW, got %s (value %" PRIu64
				 ")",
				 keys[i], errname(ret), v);
	}
	expect_u64(counter(c, "After"), 2048);
	vms_counters_free(c);
}

static void counters_malformed_lines_are_skipped_and_counted(void **state)
{
	static const char *const bad[] = {
		"no colon and no number", "Colon:",	   "Colon:   ",	   "Word:   abc kB",
		"Neg:    -5 kB",	  "Plus:   +5 kB", "Hex:    0x10", "Unit:   12 MB",
		"Junk:   12 kB extra",	  "Junk2:  12x",   ": 5 kB",
	};
	struct sbuf b = { 0 };
	struct vms_counters *c;
	size_t i;

	sbuf_addf(&b, "First:  1 kB\n");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		sbuf_addf(&b, "%s\n", bad[i]);
	sbuf_addf(&b, "Last:   3\n");
	c = counters_parse_text(b.p, b.len, 0);
	expect_u64(counter(c, "First"), 1024);
	expect_u64(counter(c, "Last"), 3);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char key[32];
		uint64_t v = 0;
		size_t k = strcspn(bad[i], ": ");
		int ret;

		memcpy(key, bad[i], k);
		key[k] = '\0';
		ret = vms_counters_find(c, key, &v);
		if (ret != -ENOENT)
			fail_msg("line \"%s\": expected skipped (-ENOENT for \"%s\"), got %s, "
				 "value %" PRIu64,
				 bad[i], key, errname(ret), v);
	}
	expect_u64(vms_counters_count(c), 2);
	expect_u64(vms_counters_bad_lines(c), sizeof(bad) / sizeof(bad[0]));
	vms_counters_free(c);
	sbuf_free(&b);
}

static void counters_final_line_without_newline(void **state)
{
	static const char text[] = "A:       1 kB\nB: 2";
	struct vms_counters *c = counters_parse_text(text, sizeof(text) - 1, 0);

	expect_u64(vms_counters_count(c), 2);
	expect_u64(counter(c, "B"), 2);
	vms_counters_free(c);
}

static void counters_empty_input(void **state)
{
	struct vms_counters *c = counters_parse_text("", 0, 0);
	uint64_t v = 0;

	expect_u64(vms_counters_count(c), 0);
	expect_u64(vms_counters_bad_lines(c), 0);
	const char *name = NULL;
	bool in_kb = false;

	expect_ret(vms_counters_get(c, VMS_KEY_RSS, &v), -ENOENT);
	expect_ret(vms_counters_at(c, 0, &name, &v, &in_kb), -ERANGE);
	vms_counters_free(c);
}

static void counters_get_of_an_unknown_key_number_fails(void **state)
{
	struct vms_counters *c = counters_parse_data("real-6.18-bash.smaps_rollup");
	uint64_t v = 0;
	int ret = vms_counters_get(c, VMS_KEY__COUNT, &v);

	if (ret >= 0)
		fail_msg("vms_counters_get(VMS_KEY__COUNT): expected a negative errno, got %d",
			 ret);
	ret = vms_counters_get(c, (enum vms_key) - 1, &v);
	if (ret >= 0)
		fail_msg("vms_counters_get(-1): expected a negative errno, got %d", ret);
	vms_counters_free(c);
}

static void counters_long_line_is_not_split(void **state)
{
	/* A 10 KB key name must not be cut into a second "line" that parses as a key. */
	struct sbuf b = { 0 };
	struct vms_counters *c;
	size_t i;

	sbuf_addf(&b, "Before:  1 kB\n");
	for (i = 0; i < 1200; i++)
		sbuf_addf(&b, "Xkey%04zu", i);
	sbuf_addf(&b, ": 5 kB\nAfter:   2 kB\n");
	c = counters_parse_text(b.p, b.len, 4096);
	expect_u64(counter(c, "Before"), 1024);
	expect_u64(counter(c, "After"), 2048);
	expect_u64(vms_counters_count(c) + vms_counters_bad_lines(c), 3);
	vms_counters_free(c);
	sbuf_free(&b);
}

static void counters_read_error_is_returned(void **state)
{
	int fd = open(DATA_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct vms_counters *c = NULL;

	assert_true(fd >= 0);
	expect_ret(vms_counters_parse_fd(fd, &c), -EISDIR);
	close(fd);
	if (c)
		vms_counters_free(c);
}

static void counters_chunked_reads_give_identical_results(void **state)
{
	static const char *const files[] = { "real-6.18.meminfo", "real-6.18.vmstat",
					     "real-6.18-bash.smaps_rollup", "real-6.18-bash.status",
					     "custom-noswap.meminfo" };
	static const size_t chunks[] = { 1, 7, 4096 };
	size_t f, k;

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *text = read_data(files[f], &len);
		struct vms_counters *c = counters_parse_text(text, len, 0);
		struct counters_rec whole;

		counters_collect(c, &whole);
		vms_counters_free(c);
		assert_true(whole.n > 0);
		for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
			struct counters_rec part;
			char what[128];

			c = counters_parse_text(text, len, chunks[k]);
			counters_collect(c, &part);
			vms_counters_free(c);
			snprintf(what, sizeof(what), "%s read in %zu-byte chunks", files[f],
				 chunks[k]);
			counters_rec_compare(&whole, &part, what);
			counters_rec_free(&part);
		}
		counters_rec_free(&whole);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_numbers_are_abi_stable),
		cmocka_unit_test(key_name_and_lookup_round_trip),
		cmocka_unit_test(key_lookup_is_exact),
		cmocka_unit_test(rollup_real_6_18_all_keys_in_bytes),
		cmocka_unit_test(rollup_old_5_4_keys_absent_not_zero),
		cmocka_unit_test(meminfo_real_6_18_file_order_and_bytes),
		cmocka_unit_test(meminfo_without_swap_with_extra_keys),
		cmocka_unit_test(vmstat_real_6_18_file_order),
		cmocka_unit_test(vmstat_without_pgmajfault),
		cmocka_unit_test(status_real_process),
		cmocka_unit_test(status_zombie_has_no_vm_lines),
		cmocka_unit_test(status_kernel_thread),
		cmocka_unit_test(status_hostile_name_does_not_disturb_the_rest),
		cmocka_unit_test(counters_value_overflowing_64_bits_in_bytes_is_eoverflow),
		cmocka_unit_test(counters_value_beyond_64_bits_never_wraps),
		cmocka_unit_test(counters_malformed_lines_are_skipped_and_counted),
		cmocka_unit_test(counters_final_line_without_newline),
		cmocka_unit_test(counters_empty_input),
		cmocka_unit_test(counters_get_of_an_unknown_key_number_fails),
		cmocka_unit_test(counters_long_line_is_not_split),
		cmocka_unit_test(counters_read_error_is_returned),
		cmocka_unit_test(counters_chunked_reads_give_identical_results),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
