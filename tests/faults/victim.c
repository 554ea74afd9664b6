// SPDX-License-Identifier: GPL-2.0-or-later
/* victim: a target process for the fault tests, with many mappings and long maps/smaps files. */

/*
 * It maps --regions anonymous regions of --pages pages each, every one
 * between PROT_NONE pages so that each is its own VMA (maps then holds
 * about 2 * --regions lines, smaps about 25 lines per VMA: far more than one
 * read(2), which returns about a page), writes every other page of them,
 * prints one line of JSON and waits until its stdin reaches EOF:
 *
 *   {"pid": P, "first": "0x...", "last_end": "0x...", "regions": N, "pages": K,
 *    "touched": T, "wp": {"start": "0x...", "pages": W} or null, "wp_error": "..."}
 *
 * With --uffd-wp W, one more region of W pages is registered for
 * asynchronous userfaultfd write-protect tracking (UFFD_FEATURE_WP_ASYNC,
 * 6.7+) and written: its pagemap entries then have bit 57 (uffd-wp) clear,
 * and any PAGEMAP_SCAN that asks to write-protect (PM_SCAN_WP_MATCHING)
 * would set it.  When the kernel refuses, "wp" is null and "wp_error" says
 * why.  A line "check" on stdin makes it print how many of those pages
 * have bit 57 set now, read from its own pagemap.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* userfaultfd uapi, spelled out: Debian 12's headers lack WP_ASYNC (6.7). */
#define UFFD_API_ 0xAAULL
#define UFFD_FEATURE_WP_ASYNC_ (1ULL << 15)
#define UFFD_USER_MODE_ONLY_ 1
#define UFFDIO_REGISTER_MODE_WP_ ((uint64_t)1 << 1)
struct uffdio_api_ {
	uint64_t api, features, ioctls;
};
struct uffdio_range_ {
	uint64_t start, len;
};
struct uffdio_register_ {
	struct uffdio_range_ range;
	uint64_t mode, ioctls;
};
#define UFFDIO_API_ _IOWR(0xAA, 0x3F, struct uffdio_api_)
#define UFFDIO_REGISTER_ _IOWR(0xAA, 0x00, struct uffdio_register_)
#define PM_UFFD_WP (UINT64_C(1) << 57)

static size_t ps;

static void die(const char *what)
{
	fprintf(stderr, "victim: %s: %s\n", what, strerror(errno));
	exit(1);
}

static char *map_between_guards(size_t pages)
{
	char *m = mmap(NULL, (pages + 2) * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		die("mmap");
	if (mprotect(m + ps, pages * ps, PROT_READ | PROT_WRITE))
		die("mprotect");
	/* no THP: each page is a page, whatever the system's setting */
	madvise(m + ps, pages * ps, MADV_NOHUGEPAGE);
	return m + ps;
}

/* Set up a write-protect tracked region; NULL and a reason when the kernel refuses. */
static char *wp_region(size_t pages, const char **why)
{
	struct uffdio_api_ api = { .api = UFFD_API_, .features = UFFD_FEATURE_WP_ASYNC_ };
	struct uffdio_register_ reg = { .mode = UFFDIO_REGISTER_MODE_WP_ };
	char *m = map_between_guards(pages);
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY_);

	if (uffd < 0) {
		*why = "userfaultfd";
		return NULL;
	}
	if (ioctl(uffd, UFFDIO_API_, &api)) {
		*why = "UFFDIO_API with UFFD_FEATURE_WP_ASYNC";
		return NULL;
	}
	reg.range.start = (uintptr_t)m;
	reg.range.len = pages * ps;
	if (ioctl(uffd, UFFDIO_REGISTER_, &reg)) {
		*why = "UFFDIO_REGISTER in write-protect mode";
		return NULL;
	}
	/* the fd stays open: closing it would end the registration */
	for (size_t i = 0; i < pages; i++)
		m[i * ps] = 1;
	return m;
}

static long wp_pages_set(const char *m, size_t pages)
{
	uint64_t e;
	long n = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < pages; i++) {
		if (pread(fd, &e, 8, (off_t)((uintptr_t)(m + i * ps) / ps * 8)) != 8) {
			n = -1;
			break;
		}
		n += !!(e & PM_UFFD_WP);
	}
	close(fd);
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "regions", required_argument, NULL, 'r' },
					      { "pages", required_argument, NULL, 'p' },
					      { "uffd-wp", required_argument, NULL, 'w' },
					      { NULL, 0, NULL, 0 } };
	size_t regions = 200, pages = 8, wp = 0, touched = 0;
	char *first = NULL, *last = NULL, *wpm = NULL;
	const char *why = NULL;
	char line[64];
	int c;

	ps = (size_t)sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			regions = strtoul(optarg, NULL, 10);
			break;
		case 'p':
			pages = strtoul(optarg, NULL, 10);
			break;
		case 'w':
			wp = strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: victim [--regions N] [--pages K] [--uffd-wp W]\n");
			return 2;
		}
	}
	if (!regions || !pages)
		return 2;
	for (size_t r = 0; r < regions; r++) {
		char *m = map_between_guards(pages);

		for (size_t i = 0; i < pages; i += 2, touched++)
			m[i * ps] = (char)r;
		if (!first || m < first)
			first = m;
		if (!last || m > last)
			last = m;
	}
	if (wp)
		wpm = wp_region(wp, &why);
	printf("{\"pid\": %d, \"first\": \"%p\", \"last_end\": \"%p\", \"regions\": %zu, "
	       "\"pages\": %zu, \"touched\": %zu, ",
	       (int)getpid(), (void *)first, (void *)(last + pages * ps), regions, pages, touched);
	if (wpm)
		printf("\"wp\": {\"start\": \"%p\", \"pages\": %zu}, \"wp_error\": null}\n",
		       (void *)wpm, wp);
	else
		printf("\"wp\": null, \"wp_error\": %s%s%s%s%s}\n", why ? "\"" : "",
		       why ? why : "null", why ? ": " : "", why ? strerror(errno) : "",
		       why ? "\"" : "");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "check", 5)) {
			printf("{\"wp_set\": %ld}\n", wpm ? wp_pages_set(wpm, wp) : -1L);
			fflush(stdout);
		}
	}
	return 0;
}
