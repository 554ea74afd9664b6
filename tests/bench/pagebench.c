// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark of the page layer: libvmscope's page walk and kpageflags lookups, and their floors. */

/*
 * pagebench summary PID [auto|scan|read]
 *	Walk every mapping of PID with vms_pagewalk() (default method, or forced to
 *	PAGEMAP_SCAN or pread) and count the pages in each state.
 * pagebench floor PID
 *	pread() the whole pagemap of every mapping in 64 KiB buffers and classify each
 *	entry by its bits: the least work that gives the same counts without the library.
 * pagebench kpage PID runs|each
 *	Collect the PFN of every present page of PID (untimed), then look up the kpageflags
 *	of all of them: with vms_kpage_lookup() (runs), or with one pread() per page (each).
 *
 * Each prints one line of JSON with the counts and the time of the measured part only
 * ("wall_s", "cpu_s"): the mapping list (read the same way by every mode) and, for
 * kpage, the collection of PFNs are not part of it.  The runner (run.py --bench pages)
 * runs the modes interleaved and compares medians.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vmscope/vmscope.h>

/* 64 KiB of pagemap entries: the read size measured fastest here (kernel-facts 1.3). */
#define FLOOR_ENTRIES 8192

struct range {
	uint64_t start, end;
};

/* Page counts per state; the same fields whichever mode filled them. */
struct counts {
	uint64_t pages, present, present_huge, swapped, guard, none, unknown;
	uint64_t file, zero, soft_dirty, exclusive;
};

static const char *prog = "pagebench";

static void die(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(err));
	exit(1);
}

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The process's mappings in user space.  [vsyscall] lies in the kernel's half, where
 * pagemap has no entries (a read there returns 0 bytes), so every mode leaves it out.
 */
static struct range *list_ranges(struct vms_proc *p, size_t *n)
{
	const struct vms_mapping *m;
	struct vms_maps *it;
	struct range *r = NULL;
	size_t cap = 0;
	int ret;

	*n = 0;
	ret = vms_maps_open(p, 0, &it);
	if (ret < 0)
		die("maps", -ret);
	while ((ret = vms_maps_next(it, &m)) != 0) {
		if (ret == -EBADMSG)
			continue;
		if (ret < 0)
			die("maps", -ret);
		if (m->start >> 63)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			r = realloc(r, cap * sizeof(*r));
			if (!r)
				die("realloc", ENOMEM);
		}
		r[*n].start = m->start;
		r[*n].end = m->end;
		(*n)++;
	}
	ret = vms_maps_finish(it);
	vms_maps_close(it);
	if (ret < 0)
		die("maps", -ret);
	return r;
}

static void count_run(struct counts *c, const struct vms_page_run *run, unsigned long ps)
{
	uint64_t n = (run->end - run->start) / ps;

	c->pages += n;
	if (run->flags & VMS_RUN_UNKNOWN)
		c->unknown += n;
	else if (run->flags & VMS_RUN_PRESENT)
		c->present += n;
	else if (run->flags & VMS_RUN_SWAPPED)
		c->swapped += n;
	else if (run->flags & VMS_RUN_GUARD)
		c->guard += n;
	else
		c->none += n;
	if ((run->flags & (VMS_RUN_PRESENT | VMS_RUN_HUGE)) == (VMS_RUN_PRESENT | VMS_RUN_HUGE))
		c->present_huge += n;
	if (run->flags & VMS_RUN_FILE)
		c->file += n;
	if (run->flags & VMS_RUN_ZERO)
		c->zero += n;
	if (run->flags & VMS_RUN_SOFT_DIRTY)
		c->soft_dirty += n;
	if (run->flags & VMS_RUN_EXCLUSIVE)
		c->exclusive += n;
}

/* The same decisions as the library's, written out on the raw bits. */
static void count_entry(struct counts *c, uint64_t e)
{
	c->pages++;
	if (e & VMS_PM_PRESENT)
		c->present++;
	else if (e & VMS_PM_GUARD)
		c->guard++; /* also has the swapped bit: test it first */
	else if (e & VMS_PM_SWAPPED)
		c->swapped++;
	else
		c->none++;
	if ((e & VMS_PM_FILE) && (e & (VMS_PM_PRESENT | VMS_PM_SWAPPED)) && !(e & VMS_PM_GUARD))
		c->file++;
	if (e & VMS_PM_SOFT_DIRTY)
		c->soft_dirty++;
	if (e & VMS_PM_EXCLUSIVE)
		c->exclusive++;
}

static void print_counts(const struct counts *c)
{
	printf("\"pages\": %" PRIu64 ", \"present\": %" PRIu64 ", \"present_huge\": %" PRIu64
	       ", \"swapped\": %" PRIu64 ", \"guard\": %" PRIu64 ", \"none\": %" PRIu64
	       ", \"unknown\": %" PRIu64 ", \"file\": %" PRIu64 ", \"zero\": %" PRIu64
	       ", \"soft_dirty\": %" PRIu64 ", \"exclusive\": %" PRIu64,
	       c->pages, c->present, c->present_huge, c->swapped, c->guard, c->none, c->unknown,
	       c->file, c->zero, c->soft_dirty, c->exclusive);
}

static int run_summary(struct vms_proc *p, unsigned long ps, const char *method)
{
	unsigned int flags = 0, known = ~0u;
	uint64_t scans = 0, reads = 0;
	struct vms_pagemap *pm;
	struct counts c = { 0 };
	struct range *r;
	double t0, c0, t1, c1;
	size_t n, i;
	int ret, partial = 0;

	if (!strcmp(method, "scan"))
		flags = VMS_WALK_SCAN;
	else if (!strcmp(method, "read"))
		flags = VMS_WALK_READ;
	else if (strcmp(method, "auto")) {
		fprintf(stderr, "%s: method must be auto, scan or read\n", prog);
		return 2;
	}
	r = list_ranges(p, &n);

	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	ret = vms_pagemap_open(p, &pm);
	if (ret < 0)
		die("pagemap", -ret);
	for (i = 0; i < n; i++) {
		struct vms_pagewalk *w;
		struct vms_page_run run;
		uint64_t s, rd;

		ret = vms_pagewalk_open(pm, r[i].start, r[i].end, flags, &w);
		if (ret < 0)
			die("vms_pagewalk_open", -ret);
		known &= vms_pagewalk_known(w);
		while ((ret = vms_pagewalk_next(w, &run)) > 0)
			count_run(&c, &run, ps);
		if (ret < 0)
			die("vms_pagewalk_next", -ret);
		if (vms_pagewalk_finish(w) < 0)
			partial = 1;
		vms_pagewalk_stats(w, &s, &rd);
		scans += s;
		reads += rd;
		vms_pagewalk_close(w);
	}
	vms_pagemap_close(pm);
	t1 = now(CLOCK_MONOTONIC);
	c1 = now(CLOCK_PROCESS_CPUTIME_ID);

	printf("{\"mode\": \"summary\", \"method\": \"%s\", \"mappings\": %zu, ", method, n);
	print_counts(&c);
	printf(", \"known_flags\": %u, \"huge_known\": %s, \"scans\": %" PRIu64
	       ", \"reads\": %" PRIu64 ", \"partial\": %s, \"wall_s\": %.9f, \"cpu_s\": %.9f}\n",
	       known, (known & VMS_RUN_HUGE) ? "true" : "false", scans, reads,
	       partial ? "true" : "false", t1 - t0, c1 - c0);
	free(r);
	return 0;
}

static int run_floor(struct vms_proc *p, pid_t pid)
{
	static uint64_t buf[FLOOR_ENTRIES];
	uint64_t reads = 0;
	struct counts c = { 0 };
	struct range *r;
	double t0, c0, t1, c1;
	char path[64];
	size_t n, i;
	int fd, partial = 0;

	r = list_ranges(p, &n);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);

	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path, errno);
	for (i = 0; i < n && !partial; i++) {
		uint64_t addr = r[i].start;

		while (addr < r[i].end) {
			uint64_t left = (r[i].end - addr) / 4096, j;
			size_t want = left < FLOOR_ENTRIES ? (size_t)left : FLOOR_ENTRIES;
			ssize_t got = pread(fd, buf, want * 8, (off_t)(addr / 4096 * 8));

			reads++;
			if (got < 0)
				die(path, errno);
			if (got == 0) {
				partial = 1; /* the process exited */
				break;
			}
			for (j = 0; j < (uint64_t)got / 8; j++)
				count_entry(&c, buf[j]);
			addr += (uint64_t)got / 8 * 4096;
		}
	}
	close(fd);
	t1 = now(CLOCK_MONOTONIC);
	c1 = now(CLOCK_PROCESS_CPUTIME_ID);

	printf("{\"mode\": \"floor\", \"mappings\": %zu, ", n);
	print_counts(&c);
	printf(", \"scans\": 0, \"reads\": %" PRIu64 ", \"partial\": %s, \"wall_s\": %.9f, "
	       "\"cpu_s\": %.9f}\n",
	       reads, partial ? "true" : "false", t1 - t0, c1 - c0);
	free(r);
	return 0;
}

/* Every present page's PFN, in address order (as a tool walking mappings meets them). */
static uint64_t *collect_pfns(struct vms_proc *p, size_t *npfn)
{
	static uint64_t buf[FLOOR_ENTRIES];
	struct vms_pagemap *pm;
	struct range *r;
	uint64_t *pfns = NULL;
	size_t n, i, cap = 0;
	int ret;

	*npfn = 0;
	r = list_ranges(p, &n);
	ret = vms_pagemap_open(p, &pm);
	if (ret < 0)
		die("pagemap", -ret);
	for (i = 0; i < n; i++) {
		uint64_t addr = r[i].start;

		while (addr < r[i].end) {
			uint64_t left = (r[i].end - addr) / 4096;
			size_t want = left < FLOOR_ENTRIES ? (size_t)left : FLOOR_ENTRIES;
			ssize_t got = vms_pagemap_read(pm, addr, want, buf), j;

			if (got < 0)
				die("vms_pagemap_read", (int)-got);
			if (got == 0)
				break;
			for (j = 0; j < got; j++) {
				if (!(buf[j] & VMS_PM_PRESENT))
					continue;
				if (*npfn == cap) {
					cap = cap ? 2 * cap : 65536;
					pfns = realloc(pfns, cap * sizeof(*pfns));
					if (!pfns)
						die("realloc", ENOMEM);
				}
				pfns[(*npfn)++] = buf[j] & VMS_PM_PFN_MASK;
			}
			addr += (uint64_t)got * 4096;
		}
	}
	vms_pagemap_close(pm);
	free(r);
	return pfns;
}

static int run_kpage(struct vms_ctx *ctx, struct vms_proc *p, const char *how)
{
	uint64_t *pfns, *flags, reads = 0, anon = 0, thp = 0, lru = 0;
	size_t n, i, missing = 0;
	double t0, c0, t1, c1;
	int ret;

	if (strcmp(how, "runs") && strcmp(how, "each")) {
		fprintf(stderr, "%s: kpage mode must be runs or each\n", prog);
		return 2;
	}
	if (!(vms_ctx_caps(ctx) & VMS_CAP_PFN)) {
		fprintf(stderr, "%s: PFNs hidden: %s\n", prog,
			vms_ctx_cap_reason(ctx, VMS_CAP_PFN));
		return 77;
	}
	if (!(vms_ctx_caps(ctx) & VMS_CAP_KPAGEFLAGS)) {
		fprintf(stderr, "%s: kpageflags: %s\n", prog,
			vms_ctx_cap_reason(ctx, VMS_CAP_KPAGEFLAGS));
		return 77;
	}
	pfns = collect_pfns(p, &n);
	flags = calloc(n ? n : 1, sizeof(*flags));
	if (!flags)
		die("calloc", ENOMEM);

	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	if (!strcmp(how, "runs")) {
		struct vms_kpage *k;

		ret = vms_kpage_open(ctx, &k);
		if (ret < 0)
			die("vms_kpage_open", -ret);
		ret = vms_kpage_lookup(k, VMS_KPAGE_FLAGS, pfns, n, flags, &missing);
		if (ret < 0)
			die("vms_kpage_lookup", -ret);
		reads = vms_kpage_reads(k);
		vms_kpage_close(k);
	} else {
		int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die("/proc/kpageflags", errno);
		for (i = 0; i < n; i++) {
			ssize_t got = pread(fd, &flags[i], 8, (off_t)(pfns[i] * 8));

			reads++;
			if (got < 0)
				die("/proc/kpageflags", errno);
			if (got != 8) {
				flags[i] = 0;
				missing++;
			}
		}
		close(fd);
	}
	t1 = now(CLOCK_MONOTONIC);
	c1 = now(CLOCK_PROCESS_CPUTIME_ID);

	/* Stable bits, so the runner can check that both modes saw the same frames. */
	for (i = 0; i < n; i++) {
		anon += (flags[i] >> VMS_KPF_ANON) & 1;
		thp += (flags[i] >> VMS_KPF_THP) & 1;
		lru += (flags[i] >> VMS_KPF_LRU) & 1;
	}
	printf("{\"mode\": \"kpage\", \"how\": \"%s\", \"frames\": %zu, \"missing\": %zu, "
	       "\"anon\": %" PRIu64 ", \"thp\": %" PRIu64 ", \"lru\": %" PRIu64
	       ", \"reads\": %" PRIu64 ", \"wall_s\": %.9f, \"cpu_s\": %.9f}\n",
	       how, n, missing, anon, thp, lru, reads, t1 - t0, c1 - c0);
	free(flags);
	free(pfns);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s summary PID [auto|scan|read]\n"
		"       %s floor PID\n"
		"       %s kpage PID runs|each\n",
		prog, prog, prog);
}

int main(int argc, char **argv)
{
	struct vms_ctx *ctx;
	struct vms_proc *p;
	unsigned long ps;
	pid_t pid;
	int ret;

	if (argc < 3 || argc > 4) {
		usage(stderr);
		return 2;
	}
	if (vms_parse_pid(argv[2], &pid) < 0) {
		fprintf(stderr, "%s: bad pid '%s'\n", prog, argv[2]);
		return 2;
	}
	ret = vms_ctx_new(NULL, 0, &ctx);
	if (ret < 0)
		die("vms_ctx_new", -ret);
	ps = vms_ctx_page_size(ctx);
	if (ps != 4096) {
		/* The floor's arithmetic is written for 4 KiB pages. */
		fprintf(stderr, "%s: page size %lu: only 4 KiB pages are measured\n", prog, ps);
		return 77;
	}
	ret = vms_proc_open(ctx, pid, &p);
	if (ret < 0)
		die("vms_proc_open", -ret);

	if (!strcmp(argv[1], "summary"))
		ret = run_summary(p, ps, argc == 4 ? argv[3] : "auto");
	else if (!strcmp(argv[1], "floor") && argc == 3)
		ret = run_floor(p, pid);
	else if (!strcmp(argv[1], "kpage") && argc == 4)
		ret = run_kpage(ctx, p, argv[3]);
	else {
		usage(stderr);
		ret = 2;
	}
	if (fflush(stdout) || ferror(stdout))
		ret = 1;
	vms_proc_close(p);
	vms_ctx_unref(ctx);
	return ret;
}
