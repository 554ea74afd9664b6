// SPDX-License-Identifier: GPL-2.0-or-later
/* swapzoo: anonymous pages in swap in a known layout, alone or shared with a forked child. */

/*
 * Usage: swapzoo [--shared S] [--unique U] [--fork] [--rss R] [--oom-adj N] [--tries T]
 *
 * Regions, each private anonymous memory, MADV_NOHUGEPAGE (one touched page
 * never becomes 512, and khugepaged never swaps pages back in to collapse
 * them), with a PROT_NONE page on each side so that it is a VMA of its own:
 *
 *   shared  S pages, written, then pushed to swap with MADV_PAGEOUT; with
 *           --fork the child is forked only after that, so parent and child
 *           reference the same swap slots (the child never touches them)
 *   unique  U pages, written and pushed to swap, MADV_DONTFORK: never in the
 *           child, so their slots are the parent's alone
 *   rss     R pages, written and left resident
 *
 * Every 8-byte word of a shared or unique page gets its own value from a
 * sequence: no page is zero or same-filled (zram and zswap keep those
 * without storing them) and no two pages are alike.  Paging out is repeated
 * (up to T rounds, default 20, 20 ms apart) until our own pagemap says that
 * every page is a swap entry (bit 62; bit 58 would be a guard page): a page
 * still in a per-CPU LRU batch is skipped by MADV_PAGEOUT.  Without swap the
 * pages stay in RAM and "swapped" says 0.
 *
 * --oom-adj N is written to /proc/self/oom_score_adj before anything else
 * (the child inherits it); lowering it needs CAP_SYS_RESOURCE, so that
 * fails unprivileged (exit 1 with the reason).
 *
 * Then ONE line of JSON on stdout, and "ready":
 *   {"pid":N,"child":N|null,"page_size":N,"oom_score_adj":N,
 *    "regions":{"shared":{"start":"0x..","end":"0x..","pages":S,"swapped":n,
 *    "present":n,"in_swap_cache":n},"unique":{..},"rss":{"start","end",
 *    "pages":R,"present":n}},"swapped_shared":n,"swapped_unique":n,
 *    "resident":n,"rounds":n}
 * (a region of 0 pages is left out; counts are pages, from our own pagemap
 * after the fork; in_swap_cache from mincore(), which answers for a
 * swapped-out anonymous page whether the swap cache still holds it).
 *
 * Commands on stdin, one a line; each answers with one JSON line:
 *   status   {"swapped_shared","swapped_unique","present_shared",
 *            "present_unique","in_swap_cache","resident"} from our pagemap
 *   pageout  pushes shared and unique to swap again (the same rounds), then
 *            answers as status, plus "rounds"
 *   touch    reads every page of shared and unique once, checking its
 *            contents: a swap-in of each page in swap; {"majflt","minflt",
 *            "bad_pages"} from getrusage() around the reads
 *   cycle    touch + MADV_PAGEOUT over and over until the next line on stdin
 *            (any line: "stop"; "quit" also ends the program); answers {"cycling":true} after the first
 *            round, then on that line {"rounds","majflt","minflt",
 *            "bad_pages"} over the whole cycle.  A page read back from swap
 *            stays in the swap cache, clean, so the next MADV_PAGEOUT frees
 *            it at once and the next read is a major fault again.
 *   quit     (or EOF) kill and reap the child, exit 0
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif

#define PM_PRESENT (UINT64_C(1) << 63)
#define PM_SWAPPED (UINT64_C(1) << 62)
#define PM_GUARD (UINT64_C(1) << 58)

struct region {
	const char *name;
	unsigned int tag; /* seeds the contents: no two regions alike */
	char *start;
	size_t pages;
	long present, swapped, in_cache;
};

static const char *prog = "swapzoo";
static size_t page_size;
static pid_t child;
static struct region shared = { .name = "shared", .tag = 1 };
static struct region unique = { .name = "unique", .tag = 2 };
static struct region rss = { .name = "rss", .tag = 3 };

__attribute__((format(printf, 1, 2))) static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (saved)
		fprintf(stderr, ": %s", strerror(saved));
	fputc('\n', stderr);
	if (child > 0)
		kill(child, SIGKILL);
	exit(1);
}

static long number(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		errno = 0;
		die("bad %s: '%s' (%ld..%ld)", what, s, min, max);
	}
	return v;
}

/* @r->pages pages between two PROT_NONE pages; @advice on top of NOHUGEPAGE. */
static void map_region(struct region *r, int advice)
{
	size_t size = r->pages * page_size;
	char *base;

	if (!r->pages)
		return;
	base = mmap(NULL, size + 2 * page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		die("mmap %s (%zu pages)", r->name, r->pages);
	r->start = base + page_size;
	if (mprotect(r->start, size, PROT_READ | PROT_WRITE))
		die("mprotect %s", r->name);
	/* EINVAL only on a kernel without THP: then there is nothing to avoid. */
	if (madvise(r->start, size, MADV_NOHUGEPAGE) && errno != EINVAL)
		die("madvise(MADV_NOHUGEPAGE) %s", r->name);
	if (advice && madvise(r->start, size, advice))
		die("madvise(%d) %s", advice, r->name);
}

/* Word @w of page @i of region @tag: a splitmix64 step, different for each. */
static uint64_t word_value(unsigned int tag, size_t i, size_t w)
{
	uint64_t z = ((uint64_t)tag << 56) ^ ((uint64_t)i << 20) ^ (uint64_t)w;

	z += UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return (z ^ (z >> 31)) | 1;
}

static void fill(const struct region *r)
{
	size_t words = page_size / sizeof(uint64_t);

	for (size_t i = 0; i < r->pages; i++) {
		uint64_t *p = (uint64_t *)(r->start + i * page_size);

		for (size_t w = 0; w < words; w++)
			p[w] = word_value(r->tag, i, w);
	}
}

/* Reads the first and last word of every page (one fault each if not
 * mapped); returns how many did not hold what fill() wrote. */
static long read_back(const struct region *r)
{
	size_t last = page_size / sizeof(uint64_t) - 1;
	long bad = 0;

	for (size_t i = 0; i < r->pages; i++) {
		const volatile uint64_t *p = (const volatile uint64_t *)(r->start + i * page_size);

		if (p[0] != word_value(r->tag, i, 0) || p[last] != word_value(r->tag, i, last))
			bad++;
	}
	return bad;
}

/* present / swapped / in the swap cache, from our own pagemap and mincore(). */
static void count_states(struct region *r)
{
	size_t want = r->pages * sizeof(uint64_t), got = 0;
	off_t off = (off_t)((uintptr_t)r->start / page_size * sizeof(uint64_t));
	uint64_t *e;
	unsigned char *vec;
	int fd;

	r->present = r->swapped = r->in_cache = 0;
	if (!r->pages)
		return;
	e = malloc(want);
	vec = malloc(r->pages);
	if (!e || !vec)
		die("malloc");
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open /proc/self/pagemap");
	while (got < want) {
		ssize_t n = pread(fd, (char *)e + got, want - got, off + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read /proc/self/pagemap");
		got += (size_t)n;
	}
	close(fd);
	if (mincore(r->start, r->pages * page_size, vec))
		die("mincore %s", r->name);
	for (size_t i = 0; i < r->pages; i++) {
		if (e[i] & PM_PRESENT) {
			r->present++;
		} else if ((e[i] & PM_SWAPPED) && !(e[i] & PM_GUARD)) {
			r->swapped++;
			if (vec[i] & 1)
				r->in_cache++;
		}
	}
	free(e);
	free(vec);
}

static bool all_swapped(void)
{
	count_states(&shared);
	count_states(&unique);
	return shared.swapped == (long)shared.pages && unique.swapped == (long)unique.pages;
}

static void pageout_once(const struct region *r)
{
	if (r->pages && madvise(r->start, r->pages * page_size, MADV_PAGEOUT))
		die("madvise(MADV_PAGEOUT) %s", r->name);
}

/* Rounds of MADV_PAGEOUT until every page is in swap; returns the rounds run. */
static long push_to_swap(long tries)
{
	long round;

	for (round = 1;; round++) {
		pageout_once(&shared);
		pageout_once(&unique);
		if (all_swapped() || round >= tries)
			return round;
		usleep(20000);
	}
}

static void set_oom_adj(long adj)
{
	char buf[32];
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	int n = snprintf(buf, sizeof(buf), "%ld\n", adj);

	if (fd < 0)
		die("open /proc/self/oom_score_adj");
	if (write(fd, buf, (size_t)n) != n)
		die("cannot set oom_score_adj to %ld", adj);
	close(fd);
}

static long read_oom_adj(void)
{
	FILE *fp = fopen("/proc/self/oom_score_adj", "re");
	long v = 0;

	if (!fp)
		die("open /proc/self/oom_score_adj");
	if (fscanf(fp, "%ld", &v) != 1)
		die("read /proc/self/oom_score_adj");
	fclose(fp);
	return v;
}

static void print_region(const struct region *r, bool *first)
{
	if (!r->pages)
		return;
	printf("%s\"%s\":{\"start\":\"0x%" PRIxPTR "\",\"end\":\"0x%" PRIxPTR
	       "\",\"pages\":%zu,\"present\":%ld",
	       *first ? "" : ",", r->name, (uintptr_t)r->start,
	       (uintptr_t)(r->start + r->pages * page_size), r->pages, r->present);
	if (r != &rss)
		printf(",\"swapped\":%ld,\"in_swap_cache\":%ld", r->swapped, r->in_cache);
	putchar('}');
	*first = false;
}

static void print_status(long rounds)
{
	count_states(&shared);
	count_states(&unique);
	count_states(&rss);
	printf("{\"swapped_shared\":%ld,\"swapped_unique\":%ld,\"present_shared\":%ld,"
	       "\"present_unique\":%ld,\"in_swap_cache\":%ld,\"resident\":%ld",
	       shared.swapped, unique.swapped, shared.present, unique.present,
	       shared.in_cache + unique.in_cache, rss.present);
	if (rounds >= 0)
		printf(",\"rounds\":%ld", rounds);
	printf("}\n");
	fflush(stdout);
}

/* ---------------------------------------------------------------------- */
/* stdin, read with read(2) so that poll() tells the truth about it */

static char inbuf[4096];
static size_t inlen;

/* One line into @line (without the newline): 1; 0 on EOF; -1 when nothing
 * came within @timeout_ms (-1: wait for ever). */
static int read_line(char *line, size_t size, int timeout_ms)
{
	for (;;) {
		char *nl = memchr(inbuf, '\n', inlen);
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - inbuf);

			if (len >= size)
				len = size - 1;
			memcpy(line, inbuf, len);
			line[len] = '\0';
			inlen -= (size_t)(nl + 1 - inbuf);
			memmove(inbuf, nl + 1, inlen);
			return 1;
		}
		if (inlen == sizeof(inbuf))
			inlen = 0; /* a line that long is no command: drop it */
		n = poll(&pfd, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return -1;
		n = read(0, inbuf + inlen, sizeof(inbuf) - inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		inlen += (size_t)n;
	}
}

static void touch(void)
{
	struct rusage before, after;
	long bad;

	getrusage(RUSAGE_SELF, &before);
	bad = read_back(&shared) + read_back(&unique);
	getrusage(RUSAGE_SELF, &after);
	printf("{\"majflt\":%ld,\"minflt\":%ld,\"bad_pages\":%ld}\n",
	       after.ru_majflt - before.ru_majflt, after.ru_minflt - before.ru_minflt, bad);
	fflush(stdout);
}

/* Returns false on EOF (the caller then ends). */
static bool cycle(void)
{
	struct rusage before, after;
	long rounds = 0, bad = 0;
	char line[256];
	int got;

	getrusage(RUSAGE_SELF, &before);
	for (;;) {
		bad += read_back(&shared) + read_back(&unique);
		pageout_once(&shared);
		pageout_once(&unique);
		if (++rounds == 1) {
			printf("{\"cycling\":true}\n");
			fflush(stdout);
		}
		got = read_line(line, sizeof(line), 1);
		if (got >= 0)
			break;
	}
	getrusage(RUSAGE_SELF, &after);
	printf("{\"rounds\":%ld,\"majflt\":%ld,\"minflt\":%ld,\"bad_pages\":%ld}\n", rounds,
	       after.ru_majflt - before.ru_majflt, after.ru_minflt - before.ru_minflt, bad);
	fflush(stdout);
	return got > 0 && strcmp(line, "quit");
}

/* The child: holds its copy of the page tables (the shared slots) and
 * sleeps; it never touches the shared pages, and dies with the parent. */
static void child_main(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	close(0);
	close(1);
	for (;;)
		pause();
}

static void usage(FILE *out, int status)
{
	fprintf(out,
		"usage: %s [--shared S] [--unique U] [--fork] [--rss R] [--oom-adj N]"
		" [--tries T]\n",
		prog);
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "shared", required_argument, NULL, 's' },
					      { "unique", required_argument, NULL, 'u' },
					      { "fork", no_argument, NULL, 'f' },
					      { "rss", required_argument, NULL, 'r' },
					      { "oom-adj", required_argument, NULL, 'o' },
					      { "tries", required_argument, NULL, 't' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	bool do_fork = false, have_adj = false;
	long adj = 0, tries = 20, rounds = 0;
	char line[256];
	pid_t self;
	bool first = true;
	int c;

	page_size = (size_t)sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			shared.pages = (size_t)number(optarg, "--shared", 0, 1L << 22);
			break;
		case 'u':
			unique.pages = (size_t)number(optarg, "--unique", 0, 1L << 22);
			break;
		case 'f':
			do_fork = true;
			break;
		case 'r':
			rss.pages = (size_t)number(optarg, "--rss", 0, 1L << 22);
			break;
		case 'o':
			adj = number(optarg, "--oom-adj", -1000, 1000);
			have_adj = true;
			break;
		case 't':
			tries = number(optarg, "--tries", 1, 1000);
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	signal(SIGPIPE, SIG_IGN);

	if (have_adj)
		set_oom_adj(adj);
	map_region(&shared, 0);
	map_region(&unique, MADV_DONTFORK);
	map_region(&rss, 0);
	fill(&shared);
	fill(&unique);
	fill(&rss);
	if (shared.pages || unique.pages)
		rounds = push_to_swap(tries);

	if (do_fork) {
		self = getpid();
		fflush(NULL);
		child = fork();
		if (child < 0)
			die("fork");
		if (child == 0)
			child_main(self);
	}

	count_states(&shared);
	count_states(&unique);
	count_states(&rss);
	printf("{\"pid\":%d,\"child\":", (int)getpid());
	if (child > 0)
		printf("%d", (int)child);
	else
		printf("null");
	printf(",\"page_size\":%zu,\"oom_score_adj\":%ld,\"regions\":{", page_size, read_oom_adj());
	print_region(&shared, &first);
	print_region(&unique, &first);
	print_region(&rss, &first);
	printf("},\"swapped_shared\":%ld,\"swapped_unique\":%ld,\"resident\":%ld,\"rounds\":%ld}\n"
	       "ready\n",
	       shared.swapped, unique.swapped, rss.present, rounds);
	fflush(stdout);

	for (;;) {
		int got = read_line(line, sizeof(line), -1);

		if (got <= 0 || !strcmp(line, "quit"))
			break;
		if (!strcmp(line, "status")) {
			print_status(-1);
		} else if (!strcmp(line, "pageout")) {
			print_status(push_to_swap(tries));
		} else if (!strcmp(line, "touch")) {
			touch();
		} else if (!strcmp(line, "cycle")) {
			if (!cycle())
				break;
		} else {
			fprintf(stderr, "%s: unknown command: %s\n", prog, line);
		}
	}
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return 0;
}
