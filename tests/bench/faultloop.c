// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark helper: takes N minor page faults as fast as it can, and times them. */

/*
 * faultloop [-p PAGES] FAULTS
 *
 * Maps PAGES (default 256) anonymous private pages, THP off for them (MADV_NOHUGEPAGE,
 * so every first touch is one 4 KiB fault), and then, until it has touched FAULTS
 * pages: writes one byte to each page of the region, and drops the whole region with
 * MADV_DONTNEED, so the next pass faults every page in again.  Prints one line:
 *   {"faults": N, "elapsed_s": x, "minflt": N, "majflt": N, "user_s": x, "sys_s": x,
 *    "region": "0x...", "pages": N}
 * elapsed_s is the loop only (CLOCK_MONOTONIC around it), not the program's start; minflt
 * and the CPU times are getrusage(RUSAGE_SELF) over the whole run (the loop is nearly
 * all of it: the mapping's and the libraries' own faults are a few dozen).
 *
 * The benchmark runs it plain, under `vmfault -- faultloop` and `vmfault --where --
 * faultloop`, and under perf, and reports how much the sampling slows the loop.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double tv_seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static int parse_ulong(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	*out = strtoul(s, &end, 10);
	return errno || *end ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long faults, pages = 256, done = 0, i;
	size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
	struct timespec t0, t1;
	volatile char *region;
	struct rusage ru;
	int argi = 1;

	if (argc > 2 && !strcmp(argv[1], "-p")) {
		if (parse_ulong(argv[2], &pages) || !pages) {
			fprintf(stderr, "faultloop: bad page count '%s'\n", argv[2]);
			return 2;
		}
		argi = 3;
	}
	if (argc - argi != 1 || parse_ulong(argv[argi], &faults)) {
		fprintf(stderr, "Usage: faultloop [-p PAGES] FAULTS\n");
		return 2;
	}
	region = mmap(NULL, pages * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (region == MAP_FAILED) {
		fprintf(stderr, "faultloop: mmap: %s\n", strerror(errno));
		return 1;
	}
	/* A huge page would turn 512 first touches into one fault. */
	madvise((void *)region, pages * page_size, MADV_NOHUGEPAGE);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done < faults) {
		for (i = 0; i < pages && done < faults; i++, done++)
			region[i * page_size] = (char)done;
		if (madvise((void *)region, pages * page_size, MADV_DONTNEED)) {
			fprintf(stderr, "faultloop: MADV_DONTNEED: %s\n", strerror(errno));
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	getrusage(RUSAGE_SELF, &ru);
	printf("{\"faults\": %lu, \"elapsed_s\": %.9f, \"minflt\": %ld, \"majflt\": %ld, "
	       "\"user_s\": %.6f, \"sys_s\": %.6f, \"region\": \"0x%" PRIxPTR "\", "
	       "\"pages\": %lu}\n",
	       done, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       ru.ru_minflt, ru.ru_majflt, tv_seconds(&ru.ru_utime), tv_seconds(&ru.ru_stime),
	       (uintptr_t)region, pages);
	return 0;
}
