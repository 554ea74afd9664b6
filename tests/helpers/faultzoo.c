// SPDX-License-Identifier: GPL-2.0-or-later
/* faultzoo: page faults on demand (a known rate, major faults from swap, exact rusage). */

/*
 * Usage: faultzoo MODE [options]; every mode prints ONE line of JSON on
 * stdout ("pid" first), then (where it waits) "ready".
 *
 * rate --rate N --pages P [--seconds S] [--tick-ms T] [--ignore-stdin]
 *	Exactly N minor faults a second, steady: every T ms (default 10) it
 *	writes the pages that are due, floor(N * seconds since start) in all,
 *	cycling through a P-page private anonymous region and dropping each
 *	batch with MADV_DONTNEED right after writing it.  A write to a dropped
 *	(or never touched) anonymous page is one minor fault: a fresh zeroed
 *	page; a read would map the shared zero page and fault again on the
 *	write, so only writes are used.  The region is MADV_NOHUGEPAGE (no
 *	THP or mTHP folio that would make one fault populate many pages) and
 *	has a PROT_NONE page on each side, so it is one VMA of its own.
 *	After warm-up nothing else in the process faults.
 *	JSON: {"pid","mode":"rate","region_start":"0x..","region_end":"0x..",
 *	"rate","pages","page_size","tick_ms"}.  Runs until S seconds have
 *	passed, or (unless --ignore-stdin) "quit" or EOF on stdin; then prints
 *	{"faults":n} (the pages it wrote) and exits 0.
 *
 * major --pages P [--zero]
 *	Writes P pages (distinct non-zero contents, or zeros with --zero),
 *	pushes them to swap with MADV_PAGEOUT and makes sure no copy stays in
 *	RAM: after the first pass a page that was written to swap normally
 *	stays in the swap cache until writeback ends (a fault on it would be a
 *	minor fault); such pages are read back (mapped clean from the swap
 *	cache) and paged out again, which now frees them at once since the
 *	copy in swap is valid.  Our pagemap (swapped bit) and mincore() (which
 *	for a swapped-out anonymous page says whether the swap cache holds it)
 *	tell when every page is out.  JSON: {"pid","mode":"major",
 *	"region_start","region_end","pages","page_size","swapped":n (pagemap),
 *	"present":n,"in_swap_cache":n,"rounds":n,"page_cluster":n|null}.
 *	Then on "go" it reads every page back, checks the contents, and prints
 *	{"minflt_before","majflt_before","minflt_after","majflt_after",
 *	"minflt","majflt","bad_pages"} (getrusage(RUSAGE_SELF) around the
 *	reads) and "done".  Each read of a page that is in swap but not in the
 *	swap cache is one major fault; swap readahead (vm.page-cluster > 0)
 *	brings neighbouring slots into the swap cache, and faults on those are
 *	minor: majflt == P exactly only with vm.page-cluster = 0, otherwise
 *	1 <= majflt <= P and minflt + majflt >= P.  "quit" or EOF: exit 0.
 *
 * exit-rusage [--pages P] [--fork] [--child-pages Q] [--status N] [--signal SIG]
 *	Writes P pages (default 1000); with --fork a child writes Q pages
 *	(default P) and is waited for.  Then getrusage(RUSAGE_SELF) and
 *	(RUSAGE_CHILDREN) go as one JSON line to STDERR, written with write(2)
 *	from a buffer on an already touched stack page, and the process ends
 *	with exit_group(N) (default 0), or kill(self, SIG) with --signal.  Every
 *	function used after getrusage ran once before, so no code or stack
 *	page faults in between: self + children are the final counts, what
 *	wait4() reports to the parent.  Nothing is printed on stdout.
 *	JSON: {"pid","mode":"exit-rusage","self":{"minflt","majflt","maxrss"},
 *	"children":{"minflt","majflt","maxrss"}} (maxrss in KiB, as getrusage).
 *
 * idle [--pages P] [--tag T] [--status N]
 *	Writes P pages (default 0), prints {"pid","mode":"idle","tag","minflt",
 *	"majflt","starttime"} (getrusage; stat field 22) and "ready", then
 *	waits: "quit", EOF on stdin, SIGTERM or SIGUSR1 ends it with status N.
 *
 * cat
 *	Copies stdin to stdout byte for byte (for pass-through tests); no JSON.
 *
 * perf-probe [--pid N] [--event page-faults|dtlb-loads]
 *	One perf_event_open() the way vmfault would (page-faults: software
 *	PERF_COUNT_SW_PAGE_FAULTS_MIN with sample period 1 and addresses, user
 *	space only; dtlb-loads: hardware cache dTLB read accesses), on process
 *	N (default: itself), every CPU.  Prints {"ok":true} or {"ok":false,
 *	"errno":"EACCES","error":"Permission denied"} and exits 0.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif

#define PM_PRESENT (UINT64_C(1) << 63)
#define PM_SWAPPED (UINT64_C(1) << 62)

static const char *prog = "faultzoo";
static size_t page_size;

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
	exit(1);
}

static void usage(FILE *out, int status)
{
	fprintf(out,
		"usage: %s rate --rate N --pages P [--seconds S] [--tick-ms T] [--ignore-stdin]\n"
		"       %s major --pages P [--zero]\n"
		"       %s exit-rusage [--pages P] [--fork] [--child-pages Q] [--status N]"
		" [--signal SIG]\n"
		"       %s idle [--pages P] [--tag T] [--status N]\n"
		"       %s cat\n"
		"       %s perf-probe [--pid N] [--event page-faults|dtlb-loads]\n",
		prog, prog, prog, prog, prog, prog);
	exit(status);
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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* @pages of private anonymous memory between two PROT_NONE pages: a VMA of
 * its own that the kernel cannot merge with a neighbour, and without THP. */
static char *map_region(size_t pages)
{
	size_t size = pages * page_size;
	char *base;

	base = mmap(NULL, size + 2 * page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		die("mmap %zu pages", pages);
	if (mprotect(base + page_size, size, PROT_READ | PROT_WRITE))
		die("mprotect");
	/* EINVAL only on a kernel without THP: then there is nothing to avoid. */
	if (madvise(base + page_size, size, MADV_NOHUGEPAGE) && errno != EINVAL)
		die("madvise(MADV_NOHUGEPAGE)");
	return base + page_size;
}

static void write_page(char *p, size_t i, unsigned char value)
{
	volatile unsigned char *c = (volatile unsigned char *)(p + i * page_size);

	c[0] = value;
	c[page_size - 1] = (unsigned char)(value ^ 0x5a);
}

static void touch_pages(size_t pages)
{
	char *p;

	if (!pages)
		return;
	p = map_region(pages);
	for (size_t i = 0; i < pages; i++)
		write_page(p, i, (unsigned char)(i | 1));
}

/* One line from stdin: 1 and the line, 0 on EOF (or error). */
static int read_command(char *buf, size_t size)
{
	if (!fgets(buf, (int)size, stdin))
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	return 1;
}

/* ---------------------------------------------------------------------- */

static int mode_rate(int argc, char **argv)
{
	static const struct option opts[] = { { "rate", required_argument, NULL, 'r' },
					      { "pages", required_argument, NULL, 'p' },
					      { "seconds", required_argument, NULL, 's' },
					      { "tick-ms", required_argument, NULL, 't' },
					      { "ignore-stdin", no_argument, NULL, 'i' },
					      { NULL, 0, NULL, 0 } };
	long rate = -1, pages = -1, tick_ms = 10;
	double seconds = 0, t0, next;
	bool use_stdin = true;
	uint64_t done = 0;
	size_t cur = 0;
	char *region;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rate = number(optarg, "--rate", 1, 10000000);
			break;
		case 'p':
			pages = number(optarg, "--pages", 1, 1L << 24);
			break;
		case 's':
			seconds = (double)number(optarg, "--seconds", 1, 86400);
			break;
		case 't':
			tick_ms = number(optarg, "--tick-ms", 1, 1000);
			break;
		case 'i':
			use_stdin = false;
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (rate < 0 || pages < 0 || optind != argc)
		usage(stderr, 2);

	region = map_region((size_t)pages);
	printf("{\"pid\":%d,\"mode\":\"rate\",\"region_start\":\"0x%" PRIxPTR
	       "\",\"region_end\":\"0x%" PRIxPTR "\",\"rate\":%ld,\"pages\":%ld,"
	       "\"page_size\":%zu,\"tick_ms\":%ld}\nready\n",
	       (int)getpid(), (uintptr_t)region, (uintptr_t)(region + pages * page_size), rate,
	       pages, page_size, tick_ms);
	fflush(stdout);

	/* The schedule is absolute (due = rate * elapsed), so a late tick
	 * catches up and the count over any window of a second or more is
	 * rate * window within a tick's worth. */
	t0 = now();
	next = t0;
	for (;;) {
		double t = now(), wait_ms;
		uint64_t due = (uint64_t)((t - t0) * (double)rate);
		struct pollfd pfd = { .fd = 0, .events = POLLIN };

		if (seconds > 0 && t - t0 >= seconds)
			break;
		while (done < due) {
			/* Up to the end of the region, so that no page is
			 * written twice before it is dropped. */
			size_t n = (size_t)pages - cur;

			if (n > due - done)
				n = (size_t)(due - done);
			for (size_t i = 0; i < n; i++)
				write_page(region, cur + i, (unsigned char)(done + i + 1) | 1);
			if (madvise(region + cur * page_size, n * page_size, MADV_DONTNEED))
				die("madvise(MADV_DONTNEED)");
			done += n;
			cur = (cur + n) % (size_t)pages;
		}
		next += (double)tick_ms / 1000;
		wait_ms = (next - now()) * 1000;
		if (wait_ms < 0)
			wait_ms = 0;
		if (poll(&pfd, use_stdin ? 1 : 0, (int)(wait_ms + 0.5)) > 0) {
			char line[256];

			if (!read_command(line, sizeof(line)) || !strcmp(line, "quit"))
				break;
		}
	}
	printf("{\"faults\":%" PRIu64 "}\n", done);
	return 0;
}

/* ---------------------------------------------------------------------- */

struct page_states {
	long present, swapped, in_cache;
};

static struct page_states page_states(const char *p, size_t pages)
{
	struct page_states st = { 0, 0, 0 };
	uint64_t *e = calloc(pages, sizeof(*e));
	unsigned char *vec = calloc(pages, 1);
	size_t want = pages * sizeof(*e);
	int fd;

	if (!e || !vec)
		die("calloc");
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open /proc/self/pagemap");
	if (pread(fd, e, want, (off_t)((uintptr_t)p / page_size * sizeof(*e))) != (ssize_t)want)
		die("read /proc/self/pagemap");
	close(fd);
	/* For a swapped-out anonymous page mincore() answers whether the swap
	 * cache still holds it. */
	if (mincore((void *)p, pages * page_size, vec))
		die("mincore");
	for (size_t i = 0; i < pages; i++) {
		if (e[i] & PM_PRESENT) {
			st.present++;
		} else if (e[i] & PM_SWAPPED) {
			st.swapped++;
			if (vec[i] & 1)
				st.in_cache++;
		}
	}
	free(e);
	free(vec);
	return st;
}

static unsigned char major_value(size_t i, bool zero)
{
	return zero ? 0 : (unsigned char)((i * 7 + 1) | 1);
}

static long read_page_cluster(void)
{
	FILE *fp = fopen("/proc/sys/vm/page-cluster", "re");
	long v = -1;

	if (fp) {
		if (fscanf(fp, "%ld", &v) != 1)
			v = -1;
		fclose(fp);
	}
	return v;
}

static int mode_major(int argc, char **argv)
{
	static const struct option opts[] = { { "pages", required_argument, NULL, 'p' },
					      { "zero", no_argument, NULL, 'z' },
					      { NULL, 0, NULL, 0 } };
	struct page_states st = { 0, 0, 0 };
	long pages = -1, rounds = 0, cluster;
	bool zero = false;
	char line[256];
	char *p;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pages = number(optarg, "--pages", 1, 1L << 22);
			break;
		case 'z':
			zero = true;
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (pages < 0 || optind != argc)
		usage(stderr, 2);

	p = map_region((size_t)pages);
	for (size_t i = 0; i < (size_t)pages; i++) {
		unsigned char v = major_value(i, zero);

		memset(p + i * page_size, v, page_size);
	}
	/* Each round: page out what is mapped; pages left in the swap cache
	 * are mapped again by a read (clean: their copy in swap is valid) and
	 * freed outright by the next round, once writeback has ended. */
	for (rounds = 1; rounds <= 50; rounds++) {
		if (madvise(p, (size_t)pages * page_size, MADV_PAGEOUT))
			die("madvise(MADV_PAGEOUT)");
		st = page_states(p, (size_t)pages);
		if (!st.swapped || (!st.present && !st.in_cache))
			break;
		usleep(rounds < 10 ? 20000 : 100000);
		st = page_states(p, (size_t)pages);
		if (!st.present && !st.in_cache)
			break;
		for (size_t i = 0; i < (size_t)pages; i++) {
			unsigned char vec;

			if (!mincore(p + i * page_size, page_size, &vec) && (vec & 1))
				(void)*(volatile char *)(p + i * page_size);
		}
	}
	cluster = read_page_cluster();
	printf("{\"pid\":%d,\"mode\":\"major\",\"region_start\":\"0x%" PRIxPTR
	       "\",\"region_end\":\"0x%" PRIxPTR "\",\"pages\":%ld,\"page_size\":%zu,"
	       "\"swapped\":%ld,\"present\":%ld,\"in_swap_cache\":%ld,\"rounds\":%ld,"
	       "\"page_cluster\":",
	       (int)getpid(), (uintptr_t)p, (uintptr_t)(p + pages * page_size), pages, page_size,
	       st.swapped, st.present, st.in_cache, rounds > 50 ? 50 : rounds);
	if (cluster < 0)
		printf("null}\n");
	else
		printf("%ld}\n", cluster);
	printf("ready\n");
	fflush(stdout);

	while (read_command(line, sizeof(line))) {
		struct rusage before, after;
		long bad = 0;

		if (!strcmp(line, "quit"))
			break;
		if (strcmp(line, "go")) {
			fprintf(stderr, "%s: unknown command: %s\n", prog, line);
			continue;
		}
		getrusage(RUSAGE_SELF, &before);
		for (size_t i = 0; i < (size_t)pages; i++) {
			const volatile unsigned char *q =
				(const volatile unsigned char *)(p + i * page_size);

			if (q[0] != major_value(i, zero) ||
			    q[page_size - 1] != major_value(i, zero))
				bad++;
		}
		getrusage(RUSAGE_SELF, &after);
		printf("{\"minflt_before\":%ld,\"majflt_before\":%ld,\"minflt_after\":%ld,"
		       "\"majflt_after\":%ld,\"minflt\":%ld,\"majflt\":%ld,\"bad_pages\":%ld}\n"
		       "done\n",
		       before.ru_minflt, before.ru_majflt, after.ru_minflt, after.ru_majflt,
		       after.ru_minflt - before.ru_minflt, after.ru_majflt - before.ru_majflt, bad);
		fflush(stdout);
	}
	return 0;
}

/* ---------------------------------------------------------------------- */

#define RUSAGE_FMT                                                                      \
	"{\"pid\":%d,\"mode\":\"exit-rusage\",\"self\":{\"minflt\":%ld,\"majflt\":%ld," \
	"\"maxrss\":%ld},\"children\":{\"minflt\":%ld,\"majflt\":%ld,\"maxrss\":%ld}}\n"

/* Touch a generous amount of stack now, so that nothing below needs a new
 * stack page later. */
static void __attribute__((noinline)) pretouch_stack(void)
{
	volatile char pad[128 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += 256)
		pad[i] = 1;
}

static int mode_exit_rusage(int argc, char **argv)
{
	static const struct option opts[] = { { "pages", required_argument, NULL, 'p' },
					      { "fork", no_argument, NULL, 'f' },
					      { "child-pages", required_argument, NULL, 'c' },
					      { "status", required_argument, NULL, 's' },
					      { "signal", required_argument, NULL, 'k' },
					      { NULL, 0, NULL, 0 } };
	long pages = 1000, child_pages = -1, status = 0, sig = 0;
	struct rusage self, children;
	bool do_fork = false;
	char buf[1024];
	int c, n;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pages = number(optarg, "--pages", 0, 1L << 22);
			break;
		case 'f':
			do_fork = true;
			break;
		case 'c':
			child_pages = number(optarg, "--child-pages", 0, 1L << 22);
			break;
		case 's':
			status = number(optarg, "--status", 0, 255);
			break;
		case 'k':
			sig = number(optarg, "--signal", 1, 64);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	if (child_pages < 0)
		child_pages = pages;

	touch_pages((size_t)pages);
	if (do_fork) {
		pid_t pid;
		int st;

		fflush(NULL);
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			touch_pages((size_t)child_pages);
			_exit(0);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			die("the child failed");
	}

	/* Warm-up: every code path and stack page used after the getrusage
	 * calls below runs once now (a static binary's code pages fault in on
	 * first use, like any file page). */
	pretouch_stack();
	memset(buf, 0, sizeof(buf));
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	n = snprintf(buf, sizeof(buf), RUSAGE_FMT, (int)getpid(), self.ru_minflt, self.ru_majflt,
		     self.ru_maxrss, children.ru_minflt, children.ru_majflt, children.ru_maxrss);
	if (write(2, buf, 0) < 0 || n <= 0)
		die("write");
	syscall(SYS_kill, (long)getpid(), 0L);

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	n = snprintf(buf, sizeof(buf), RUSAGE_FMT, (int)getpid(), self.ru_minflt, self.ru_majflt,
		     self.ru_maxrss, children.ru_minflt, children.ru_majflt, children.ru_maxrss);
	if (write(2, buf, (size_t)n) != n)
		syscall(SYS_exit_group, 1L);
	if (sig)
		syscall(SYS_kill, (long)getpid(), sig);
	syscall(SYS_exit_group, status);
	return 1;
}

/* ---------------------------------------------------------------------- */

static volatile sig_atomic_t idle_stop;

static void on_stop(int sig)
{
	(void)sig;
	idle_stop = 1;
}

static long stat_starttime(void)
{
	char buf[4096], *p;
	long long v = -1;
	ssize_t n;
	int fd;

	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* The k-th space after the ')' starts field k + 2: field 22 is the 20th. */
	for (int k = 0; p && k < 20; k++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%lld", &v);
	return (long)v;
}

static int mode_idle(int argc, char **argv)
{
	static const struct option opts[] = { { "pages", required_argument, NULL, 'p' },
					      { "tag", required_argument, NULL, 't' },
					      { "status", required_argument, NULL, 's' },
					      { NULL, 0, NULL, 0 } };
	long pages = 0, status = 0;
	const char *tag = "";
	struct sigaction sa;
	struct rusage ru;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pages = number(optarg, "--pages", 0, 1L << 22);
			break;
		case 't':
			tag = optarg;
			break;
		case 's':
			status = number(optarg, "--status", 0, 255);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	for (const char *t = tag; *t; t++)
		if (*t == '"' || *t == '\\' || (unsigned char)*t < 0x20)
			usage(stderr, 2);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	touch_pages((size_t)pages);
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"pid\":%d,\"mode\":\"idle\",\"tag\":\"%s\",\"minflt\":%ld,\"majflt\":%ld,"
	       "\"starttime\":%ld}\nready\n",
	       (int)getpid(), tag, ru.ru_minflt, ru.ru_majflt, stat_starttime());
	fflush(stdout);
	while (!idle_stop) {
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		char line[256];

		if (poll(&pfd, 1, -1) <= 0)
			continue;
		if (!read_command(line, sizeof(line)) || !strcmp(line, "quit"))
			break;
	}
	return (int)status;
}

/* ---------------------------------------------------------------------- */

static int mode_cat(int argc, char **argv)
{
	char buf[65536];

	(void)argv;
	if (argc != 1)
		usage(stderr, 2);
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf)), off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read stdin");
		if (n == 0)
			return 0;
		while (off < n) {
			ssize_t w = write(1, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				die("write stdout");
			off += w;
		}
	}
}

/* ---------------------------------------------------------------------- */

static const char *errno_name(int e)
{
	switch (e) {
	case EACCES:
		return "EACCES";
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case ENODEV:
		return "ENODEV";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case ESRCH:
		return "ESRCH";
	case EINVAL:
		return "EINVAL";
	case ENOSYS:
		return "ENOSYS";
	case EMFILE:
		return "EMFILE";
	default:
		return "other";
	}
}

static int mode_perf_probe(int argc, char **argv)
{
	static const struct option opts[] = { { "pid", required_argument, NULL, 'p' },
					      { "event", required_argument, NULL, 'e' },
					      { NULL, 0, NULL, 0 } };
	struct perf_event_attr attr;
	long pid = 0;
	const char *event = "page-faults";
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int c, err = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pid = number(optarg, "--pid", 1, 1L << 22);
			break;
		case 'e':
			event = optarg;
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.disabled = 1;
	attr.inherit = 1;
	attr.exclude_hv = 1;
	attr.exclude_kernel = 1;
	if (!strcmp(event, "page-faults")) {
		attr.type = PERF_TYPE_SOFTWARE;
		attr.config = PERF_COUNT_SW_PAGE_FAULTS_MIN;
		attr.sample_period = 1;
		attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_ADDR;
	} else if (!strcmp(event, "dtlb-loads")) {
		attr.type = PERF_TYPE_HW_CACHE;
		attr.config = PERF_COUNT_HW_CACHE_DTLB | (PERF_COUNT_HW_CACHE_OP_READ << 8) |
			      (PERF_COUNT_HW_CACHE_RESULT_ACCESS << 16);
	} else {
		usage(stderr, 2);
	}
	for (long cpu = 0; cpu < (cpus > 0 ? cpus : 1); cpu++) {
		int fd = (int)syscall(SYS_perf_event_open, &attr, pid ? (pid_t)pid : getpid(),
				      (int)cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			err = errno;
			break;
		}
		close(fd);
	}
	if (err)
		printf("{\"ok\":false,\"errno\":\"%s\",\"error\":\"%s\"}\n", errno_name(err),
		       strerror(err));
	else
		printf("{\"ok\":true}\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode;

	page_size = (size_t)sysconf(_SC_PAGESIZE);
	if (argc < 2)
		usage(stderr, 2);
	mode = argv[1];
	signal(SIGPIPE, SIG_IGN);
	/* getopt_long over the mode's own arguments: argv[1] plays argv[0]. */
	argc--;
	argv++;
	if (!strcmp(mode, "rate"))
		return mode_rate(argc, argv);
	if (!strcmp(mode, "major"))
		return mode_major(argc, argv);
	if (!strcmp(mode, "exit-rusage"))
		return mode_exit_rusage(argc, argv);
	if (!strcmp(mode, "idle"))
		return mode_idle(argc, argv);
	if (!strcmp(mode, "cat"))
		return mode_cat(argc, argv);
	if (!strcmp(mode, "perf-probe"))
		return mode_perf_probe(argc, argv);
	if (!strcmp(mode, "-h") || !strcmp(mode, "--help"))
		usage(stdout, 0);
	usage(stderr, 2);
	return 2;
}
