// SPDX-License-Identifier: GPL-2.0-or-later
/* loopscan: a vmrank-like full scan repeated in one process, watching its own fds and memory. */

/*
 * loopscan [-n ITERATIONS] [-w WARMUP] [-j JOBS] [-m EVERY] [-R RSS_KIB] [-H HEAP_KIB] [-S] [-v]
 *
 * Each iteration does what a vmrank scan does, through the same library and
 * the same thread pool: the PIDs (readdir), the process table (libproc2),
 * every process's smaps_rollup on JOBS threads; and for every EVERY-th
 * process what vmmap and vmwalk do: its smaps walked to the end, its maps,
 * its pagemap walked over each mapping.  Processes vanish all the time while
 * this runs (the load tests run it beside churn), so every error path of
 * the library is taken again and again.
 *
 * After each iteration it counts the entries of /proc/self/fd and reads its
 * anonymous resident size (RssAnon) and the heap in use (mallinfo2; run it with
 * GLIBC_TUNABLES=glibc.malloc.tcache_count=0, or glibc's per-thread cache makes
 * freed chunks count as in use for a while).  It fails (exit 1)
 * when the fd count after the last iteration differs from the count after
 * the first, when the anonymous resident size grew by RSS_KIB or more (1024 by
 * default) from the end of the warm-up to the end, or when the heap in use
 * grew by HEAP_KIB (64) or more over the same iterations; or when the
 * process table holds a PID twice.  -S (a sanitizer build): the resident
 * size and the heap are not checked, since the sanitizer's quarantine keeps
 * freed memory resident by design and its allocator is not glibc's;
 * LeakSanitizer checks for leaks at exit instead.
 * Prints one JSON line of figures on stdout; -v also one line per iteration on stderr.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vmscope/vmscope.h>

#include "common.h"

#define MAX_RANGES 64

struct row {
	pid_t pid;
	bool deep;
};

static struct vms_ctx *ctx;
static atomic_ulong n_ok, n_esrch, n_denied, n_other, n_maps, n_walks, n_partial;

static void count_err(int e)
{
	if (e == -ESRCH || e == -ENOENT)
		atomic_fetch_add(&n_esrch, 1);
	else if (e == -EACCES || e == -EPERM)
		atomic_fetch_add(&n_denied, 1);
	else
		atomic_fetch_add(&n_other, 1);
}

/* vmmap's and vmwalk's reads of one process: smaps, maps, the pagemap of each mapping */
static void deep_read(struct vms_proc *p)
{
	struct {
		uint64_t start, end;
	} ranges[MAX_RANGES];
	const struct vms_mapping *m;
	struct vms_pagemap *pm;
	struct vms_maps *it;
	size_t nr = 0;
	int ret;

	if (vms_maps_open(p, VMS_MAPS_SMAPS, &it) == 0) {
		while ((ret = vms_maps_next(it, &m)) > 0)
			;
		if (ret < 0 || vms_maps_finish(it) < 0)
			atomic_fetch_add(&n_partial, 1);
		vms_maps_close(it);
		atomic_fetch_add(&n_maps, 1);
	}
	if (vms_maps_open(p, 0, &it) == 0) {
		while (vms_maps_next(it, &m) > 0)
			/* [vsyscall] is not in the pagemap's user range */
			if (nr < MAX_RANGES && m->start < 0x800000000000ULL) {
				ranges[nr].start = m->start;
				ranges[nr].end = m->end;
				nr++;
			}
		vms_maps_close(it);
	}
	if (!nr || vms_pagemap_open(p, &pm) < 0)
		return;
	for (size_t i = 0; i < nr; i++) {
		struct vms_pagewalk *w;
		struct vms_page_run run;

		if (vms_pagewalk_open(pm, ranges[i].start, ranges[i].end, 0, &w) < 0)
			continue;
		while (vms_pagewalk_next(w, &run) > 0)
			;
		if (vms_pagewalk_finish(w) < 0)
			atomic_fetch_add(&n_partial, 1);
		vms_pagewalk_close(w);
		atomic_fetch_add(&n_walks, 1);
	}
	vms_pagemap_close(pm);
}

static void read_one(size_t i, void *data)
{
	struct row *r = &((struct row *)data)[i];
	struct vms_counters *roll;
	struct vms_proc *p;
	int ret;

	ret = vms_proc_open(ctx, r->pid, &p);
	if (ret < 0) {
		count_err(ret);
		return;
	}
	ret = vms_proc_rollup(p, &roll);
	if (ret == 0) {
		atomic_fetch_add(&n_ok, 1);
		vms_counters_free(roll);
	} else {
		count_err(ret);
	}
	if (r->deep)
		deep_read(p);
	vms_proc_close(p);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

/*
 * Anonymous resident memory (RssAnon): what a leak grows.  File pages count in
 * the full resident size too, and more of the libraries' code is paged in as
 * rarer paths (a process vanishing at each step) run for the first time.
 */
static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static long heap_kib(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (long)((mi.uordblks + mi.hblkhd) / 1024);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = ((const struct row *)a)->pid, y = ((const struct row *)b)->pid;

	return (x > y) - (x < y);
}

/* One scan, as vmrank does it; returns the number of processes or -1. */
static long iteration(unsigned int jobs, unsigned int every)
{
	unsigned int what = VMS_PT_USER | VMS_PT_CMDLINE | VMS_PT_FAULTS | VMS_PT_VSZ |
			    VMS_PT_THREADS | VMS_PT_OOM;
	struct vms_ptable *pt;
	struct row *rows;
	pid_t *pids;
	size_t npids, n;
	int ret;

	ret = vms_pids_read(ctx, &pids, &npids);
	if (ret < 0) {
		fprintf(stderr, "loopscan: vms_pids_read: %s\n", strerror(-ret));
		return -1;
	}
	free(pids);
	ret = vms_ptable_read(ctx, what, &pt);
	if (ret < 0) {
		fprintf(stderr, "loopscan: vms_ptable_read: %s\n", strerror(-ret));
		return -1;
	}
	n = vms_ptable_count(pt);
	rows = calloc(n + 1, sizeof(*rows));
	if (!rows) {
		vms_ptable_free(pt);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct vms_proc_info *pi = vms_ptable_get(pt, i);

		rows[i].pid = pi->pid;
		rows[i].deep = !pi->kthread && every && i % every == 0;
	}
	qsort(rows, n, sizeof(*rows), cmp_pid);
	for (size_t i = 1; i < n; i++)
		if (rows[i].pid == rows[i - 1].pid) {
			fprintf(stderr, "loopscan: pid %d twice in the process table\n",
				(int)rows[i].pid);
			free(rows);
			vms_ptable_free(pt);
			return -1;
		}
	cx_parallel_for(n, jobs, read_one, rows);
	free(rows);
	vms_ptable_free(pt);
	return (long)n;
}

static unsigned int arg_uint(const char *s, unsigned int max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "loopscan: bad number '%s' (0..%u)\n", s, max);
		exit(2);
	}
	return (unsigned int)v;
}

int main(int argc, char **argv)
{
	unsigned int iters = 100, warmup = 10, jobs = 2, every = 16;
	long rss_limit = 1024, heap_limit = 64;
	long fd_first = -1, fd_last = -1, rss_warm = -1, rss_last = -1, rss_max = 0;
	long heap_warm = -1, heap_last = -1;
	unsigned long procs = 0;
	bool sanitized = false, verbose = false, ok = true;
	struct timespec t0, t1;
	int c, ret;

	while ((c = getopt(argc, argv, "n:w:j:m:R:H:Sv")) != -1) {
		switch (c) {
		case 'n':
			iters = arg_uint(optarg, 100000);
			break;
		case 'w':
			warmup = arg_uint(optarg, 100000);
			break;
		case 'j':
			jobs = arg_uint(optarg, 64);
			break;
		case 'm':
			every = arg_uint(optarg, 1000000);
			break;
		case 'R':
			rss_limit = arg_uint(optarg, 1u << 30);
			break;
		case 'H':
			heap_limit = arg_uint(optarg, 1u << 30);
			break;
		case 'S':
			sanitized = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: loopscan [-n N] [-w N] [-j N] [-m N] [-R KIB] "
					"[-H KIB] [-S] [-v]\n");
			return 2;
		}
	}
	if (!iters || warmup >= iters || !jobs) {
		fprintf(stderr, "loopscan: need 0 <= WARMUP < ITERATIONS and JOBS >= 1\n");
		return 2;
	}
	ret = vms_ctx_new(NULL, 0, &ctx);
	if (ret < 0) {
		fprintf(stderr, "loopscan: vms_ctx_new: %s\n", strerror(-ret));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int i = 1; i <= iters; i++) {
		long n = iteration(jobs, every);
		long fds = count_fds(), rss = rss_kib(), heap = heap_kib();

		if (n < 0) {
			ok = false;
			break;
		}
		procs += (unsigned long)n;
		if (i == 1)
			fd_first = fds;
		if (i == warmup || (i == 1 && !warmup)) {
			rss_warm = rss;
			heap_warm = heap;
		}
		fd_last = fds;
		rss_last = rss;
		heap_last = heap;
		if (verbose)
			fprintf(stderr,
				"loopscan: iteration %u: %ld processes, %ld fds, RSS %ld KiB, "
				"heap %ld KiB\n",
				i, n, fds, rss, heap);
		if (rss > rss_max)
			rss_max = rss;
		if (fds != fd_first) {
			/* reported at every iteration where it differs: the first says when */
			fprintf(stderr,
				"loopscan: iteration %u: %ld open fds, %ld after the first\n", i,
				fds, fd_first);
			ok = false;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	vms_ctx_unref(ctx);
	if (fd_first < 0 || rss_last < 0) {
		fprintf(stderr, "loopscan: cannot read /proc/self/fd or /proc/self/status\n");
		ok = false;
	}
	if (!sanitized && rss_last - rss_warm >= rss_limit) {
		fprintf(stderr,
			"loopscan: anonymous resident size grew by %ld KiB (from %ld to %ld) "
			"between iterations %u and %u\n",
			rss_last - rss_warm, rss_warm, rss_last, warmup, iters);
		ok = false;
	}
	if (!sanitized && heap_last - heap_warm >= heap_limit) {
		fprintf(stderr,
			"loopscan: heap in use grew by %ld KiB (from %ld to %ld) "
			"between iterations %u and %u\n",
			heap_last - heap_warm, heap_warm, heap_last, warmup, iters);
		ok = false;
	}
	printf("{\"iterations\": %u, \"processes\": %lu, \"rollups_ok\": %lu, \"vanished\": %lu, "
	       "\"denied\": %lu, \"other_errors\": %lu, \"smaps_walks\": %lu, \"page_walks\": %lu, "
	       "\"partial\": %lu, \"fds_first\": %ld, \"fds_last\": %ld, \"rss_kib_warm\": %ld, "
	       "\"rss_kib_last\": %ld, \"rss_kib_max\": %ld, \"heap_kib_warm\": %ld, "
	       "\"heap_kib_last\": %ld, \"sanitized\": %s, \"seconds\": %.3f}\n",
	       iters, procs, atomic_load(&n_ok), atomic_load(&n_esrch), atomic_load(&n_denied),
	       atomic_load(&n_other), atomic_load(&n_maps), atomic_load(&n_walks),
	       atomic_load(&n_partial), fd_first, fd_last, rss_warm, rss_last, rss_max, heap_warm,
	       heap_last, sanitized ? "true" : "false",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (fflush(stdout))
		ok = false;
	return ok ? 0 : 1;
}
