// SPDX-License-Identifier: GPL-2.0-or-later
/* pagezoo: regions whose pages are in known states (touched, swapped, THP, guard, COW). */

/*
 * Usage: pagezoo [--fork] [--swap] [--thp] [--guard] [--file PATH]
 *
 * The process builds the regions below, prints ONE line of JSON that
 * describes them, then "ready", and then reads commands from stdin:
 *   write   the child writes pages 0..7 of "cow"; "written" is printed after
 *   quit    (or EOF) kill and reap the child, remove the file, exit 0
 *
 * JSON: {"pid":N,"child":N|null,"page_size":N,"regions":{"NAME":{"start":"0x..",
 * "end":"0x..","present":n,"swapped":n,"thp_pages":n,"none":n,"guard":n}}}.
 * All counts are in pages of "page_size" (thp_pages too: the base pages that
 * a huge page maps).  Every region is private anonymous memory (except
 * "file"), 2 MiB aligned, with a PROT_NONE page on each side so that the
 * kernel never merges it with a neighbour:
 *
 *   touched  64 pages: 0..31 written, 32..63 never touched
 *   sparse   1 GiB (MAP_NORESERVE): every 4096th page written (64 pages)
 *   thp      --thp: 4 MiB, MADV_HUGEPAGE, all written; thp_pages is what
 *            smaps AnonHugePages says we got (THP can fail)
 *   swapped  --swap: 32 pages written, then MADV_PAGEOUT; present/swapped
 *            are what our own pagemap says afterwards (no swap: 0 swapped)
 *   guard    --guard: 8 pages, pages 2..3 MADV_GUARD_INSTALL, the other 6
 *            written; "guard":null when the kernel refuses (before 6.15)
 *   cow      --fork: 16 pages written before fork(); the child stays alive
 *            and shares them until "write"
 *   zero     8 pages only read: each maps the shared zero page
 *   file     --file PATH: PATH is created with 16 pages, mapped private
 *            read-only, pages 0..7 read ("touched":8); "present" is what our
 *            own pagemap says (fault-around may map more on some filesystems)
 *
 * The child (--fork) has the same regions at the same addresses, but in it
 * "zero" and "file" are not present: fork() copies no page table for a
 * mapping that holds no anonymous page (it would fault again on access).
 *
 * Every region except "thp" is MADV_NOHUGEPAGE: with THP "always" (or
 * khugepaged) a single touched page could otherwise become 512.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif

#define HUGE_ALIGN (2ul << 20)
#define PM_PRESENT (UINT64_C(1) << 63)
#define PM_SWAPPED (UINT64_C(1) << 62)
#define PM_GUARD (UINT64_C(1) << 58)
#define MAX_REGIONS 8

struct region {
	const char *name;
	char *start;
	size_t pages;
	long present, swapped, thp_pages, none, guard; /* guard < 0: null */
	long touched; /* < 0: not printed */
};

static struct region regions[MAX_REGIONS];
static size_t nregions;
static size_t page_size;
static const char *prog = "pagezoo";
static const char *file_path;
static bool file_made;
static pid_t child;

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
	if (file_made)
		unlink(file_path);
	if (child > 0)
		kill(child, SIGKILL);
	exit(1);
}

static struct region *add(const char *name, char *start, size_t pages)
{
	struct region *r = &regions[nregions++];

	r->name = name;
	r->start = start;
	r->pages = pages;
	r->touched = -1;
	return r;
}

/*
 * @pages pages of private anonymous memory, 2 MiB aligned, between two
 * PROT_NONE pages: an over-sized reservation trimmed to what is needed.
 */
static char *map_region(const char *name, size_t pages, int extra_flags, int thp_advice)
{
	size_t size = pages * page_size;
	size_t span = size + HUGE_ALIGN + 2 * page_size;
	char *base, *p, *lo, *hi;

	base = mmap(NULL, span, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra_flags, -1, 0);
	if (base == MAP_FAILED)
		die("mmap region %s (%zu pages)", name, pages);
	p = (char *)(((uintptr_t)base + page_size + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1));
	lo = p - page_size;
	hi = p + size + page_size;
	if (lo > base && munmap(base, (size_t)(lo - base)))
		die("munmap below region %s", name);
	if (base + span > hi && munmap(hi, (size_t)(base + span - hi)))
		die("munmap above region %s", name);
	if (mprotect(p, size, PROT_READ | PROT_WRITE))
		die("mprotect region %s", name);
	if (madvise(p, size, thp_advice) && thp_advice == MADV_HUGEPAGE)
		die("madvise(MADV_HUGEPAGE) region %s", name);
	return p;
}

/* Write page @i of @p with a value that is not zero (zero-filled pages may be
 * treated specially by swap). */
static void write_page(char *p, size_t i, char value)
{
	volatile char *c = (volatile char *)(p + i * page_size);

	c[0] = value;
	c[page_size - 1] = (char)(value ^ 0x5a);
}

static unsigned long read_page(const char *p, size_t i)
{
	return ((const volatile char *)p)[i * page_size];
}

/* Our own pagemap entries of @r: present and swapped counts (present bit and
 * swapped bit are visible without privileges; a guard entry is not swap). */
static void count_from_pagemap(struct region *r)
{
	uint64_t *e = calloc(r->pages, sizeof(*e));
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	size_t want = r->pages * sizeof(*e);
	ssize_t n;

	if (!e)
		die("calloc");
	if (fd < 0)
		die("open /proc/self/pagemap");
	n = pread(fd, e, want, (off_t)((uintptr_t)r->start / page_size * sizeof(*e)));
	if (n != (ssize_t)want)
		die("read /proc/self/pagemap");
	close(fd);
	r->present = r->swapped = r->none = 0;
	for (size_t i = 0; i < r->pages; i++) {
		if (e[i] & PM_PRESENT)
			r->present++;
		else if (e[i] & PM_GUARD)
			continue;
		else if (e[i] & PM_SWAPPED)
			r->swapped++;
		else
			r->none++;
	}
	free(e);
}

/* AnonHugePages of the mapping that starts at @start, in pages. */
static long anon_huge_pages(const char *start)
{
	FILE *fp = fopen("/proc/self/smaps", "re");
	char *line = NULL;
	size_t cap = 0;
	bool in = false;
	long pages = 0;

	if (!fp)
		die("open /proc/self/smaps");
	while (getline(&line, &cap, fp) > 0) {
		unsigned long long a, b, kb;

		if (sscanf(line, "%llx-%llx ", &a, &b) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)a == (uintptr_t)start;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %llu kB", &kb) == 1)
			pages = (long)(kb * 1024 / page_size);
	}
	free(line);
	fclose(fp);
	return pages;
}

static void make_touched(void)
{
	struct region *r = add("touched", map_region("touched", 64, 0, MADV_NOHUGEPAGE), 64);

	for (size_t i = 0; i < 32; i++)
		write_page(r->start, i, 't');
	r->present = 32;
	r->none = 32;
}

static void make_sparse(void)
{
	size_t pages = (1ul << 30) / page_size;
	struct region *r = add("sparse", map_region("sparse", pages, 0, MADV_NOHUGEPAGE), pages);

	for (size_t i = 0; i < pages; i += 4096) {
		write_page(r->start, i, 's');
		r->present++;
	}
	r->none = (long)pages - r->present;
}

static void make_thp(void)
{
	size_t pages = (4ul << 20) / page_size;
	struct region *r = add("thp", map_region("thp", pages, 0, MADV_HUGEPAGE), pages);

	for (size_t i = 0; i < pages; i++)
		write_page(r->start, i, 'h');
	r->present = (long)pages;
	r->thp_pages = anon_huge_pages(r->start);
}

static void make_swapped(void)
{
	struct region *r = add("swapped", map_region("swapped", 32, 0, MADV_NOHUGEPAGE), 32);

	for (size_t i = 0; i < 32; i++)
		write_page(r->start, i, (char)(0x30 + i));
	/*
	 * Without swap (or before 5.4) nothing is paged out: that is what we
	 * report.  With swap, reclaim may skip a page that is busy at that
	 * moment (isolated by another reclaimer, under writeback): ask again
	 * a few times before reporting what the pagemap says.
	 */
	for (int tries = 0; tries < 10; tries++) {
		if (madvise(r->start, 32 * page_size, MADV_PAGEOUT))
			break;
		count_from_pagemap(r);
		if (r->swapped == 32 || (tries > 0 && r->swapped == 0))
			break;
		usleep(20000);
	}
	count_from_pagemap(r);
}

static void make_guard(void)
{
	struct region *r = add("guard", map_region("guard", 8, 0, MADV_NOHUGEPAGE), 8);

	if (madvise(r->start + 2 * page_size, 2 * page_size, MADV_GUARD_INSTALL)) {
		if (errno != EINVAL)
			die("madvise(MADV_GUARD_INSTALL)");
		r->guard = -1;
	} else {
		r->guard = 2;
	}
	for (size_t i = 0; i < 8; i++) {
		if (i == 2 || i == 3)
			continue;
		write_page(r->start, i, 'g');
		r->present++;
	}
	r->none = r->guard < 0 ? 2 : 0;
}

static struct region *make_cow(void)
{
	struct region *r = add("cow", map_region("cow", 16, 0, MADV_NOHUGEPAGE), 16);

	for (size_t i = 0; i < 16; i++)
		write_page(r->start, i, 'c');
	r->present = 16;
	return r;
}

static void make_zero(void)
{
	struct region *r = add("zero", map_region("zero", 8, 0, MADV_NOHUGEPAGE), 8);
	unsigned long sum = 0;

	for (size_t i = 0; i < 8; i++)
		sum += read_page(r->start, i);
	if (sum)
		die("fresh anonymous memory is not zero");
	r->present = 8;
}

static void make_file(void)
{
	size_t size = 16 * page_size;
	char *buf = malloc(size), *p;
	struct region *r;
	int fd;

	if (!buf)
		die("malloc");
	memset(buf, 'f', size);
	fd = open(file_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		die("cannot create %s", file_path);
	file_made = true;
	if (write(fd, buf, size) != (ssize_t)size)
		die("write %s", file_path);
	free(buf);
	/* Out of the page cache (where the filesystem allows), and no
	 * readahead: then fault-around finds only the pages we read. */
	(void)fsync(fd);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		die("mmap %s", file_path);
	close(fd);
	(void)madvise(p, size, MADV_RANDOM);
	r = add("file", p, 16);
	for (size_t i = 0; i < 8; i++)
		(void)read_page(p, i);
	r->touched = 8;
	count_from_pagemap(r);
}

static void print_json(void)
{
	printf("{\"pid\":%d,\"child\":", (int)getpid());
	if (child > 0)
		printf("%d", (int)child);
	else
		printf("null");
	printf(",\"page_size\":%zu,\"regions\":{", page_size);
	for (size_t i = 0; i < nregions; i++) {
		const struct region *r = &regions[i];

		printf("%s\"%s\":{\"start\":\"0x%" PRIxPTR "\",\"end\":\"0x%" PRIxPTR "\"",
		       i ? "," : "", r->name, (uintptr_t)r->start,
		       (uintptr_t)(r->start + r->pages * page_size));
		printf(",\"present\":%ld,\"swapped\":%ld,\"thp_pages\":%ld,\"none\":%ld,\"guard\":",
		       r->present, r->swapped, r->thp_pages, r->none);
		if (r->guard < 0)
			printf("null");
		else
			printf("%ld", r->guard);
		if (r->touched >= 0)
			printf(",\"touched\":%ld", r->touched);
		if (!strcmp(r->name, "file") && file_path) {
			printf(",\"path\":\"");
			for (const char *c = file_path; *c; c++) {
				if (*c == '"' || *c == '\\')
					printf("\\%c", *c);
				else if ((unsigned char)*c < 0x20)
					printf("\\u%04x", (unsigned char)*c);
				else
					putchar(*c);
			}
			putchar('"');
		}
		putchar('}');
	}
	printf("}}\n");
}

/* The child: wait for a byte on @in, write pages 0..7 of @cow, answer on @out. */
static void child_loop(int in, int out, struct region *cow)
{
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		ssize_t n = read(in, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		for (size_t i = 0; i < 8; i++)
			write_page(cow->start, i, 'C');
		if (write(out, "w", 1) != 1)
			_exit(1);
	}
}

static void usage(FILE *out, int status)
{
	fprintf(out, "usage: %s [--fork] [--swap] [--thp] [--guard] [--file PATH]\n", prog);
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "fork", no_argument, NULL, 'f' },
					      { "swap", no_argument, NULL, 's' },
					      { "thp", no_argument, NULL, 't' },
					      { "guard", no_argument, NULL, 'g' },
					      { "file", required_argument, NULL, 'F' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	bool do_fork = false, do_swap = false, do_thp = false, do_guard = false;
	struct region *cow = NULL;
	int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 };
	char *line = NULL;
	size_t cap = 0;
	int c;

	page_size = (size_t)sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			do_fork = true;
			break;
		case 's':
			do_swap = true;
			break;
		case 't':
			do_thp = true;
			break;
		case 'g':
			do_guard = true;
			break;
		case 'F':
			file_path = optarg;
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

	make_touched();
	make_sparse();
	if (do_thp)
		make_thp();
	if (do_swap)
		make_swapped();
	if (do_guard)
		make_guard();
	if (do_fork)
		cow = make_cow();
	make_zero();
	if (file_path)
		make_file();

	if (do_fork) {
		if (pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC))
			die("pipe");
		fflush(stdout);
		child = fork();
		if (child < 0)
			die("fork");
		if (child == 0) {
			file_made = false;
			close(to_child[1]);
			close(from_child[0]);
			child_loop(to_child[0], from_child[1], cow);
		}
		close(to_child[0]);
		close(from_child[1]);
	}

	print_json();
	printf("ready\n");
	fflush(stdout);

	while (getline(&line, &cap, stdin) > 0) {
		if (!strcmp(line, "quit\n") || !strcmp(line, "quit"))
			break;
		if (!strcmp(line, "write\n") || !strcmp(line, "write")) {
			char a;

			if (child <= 0) {
				errno = 0;
				die("write: no child (needs --fork)");
			}
			if (write(to_child[1], "w", 1) != 1 || read(from_child[0], &a, 1) != 1)
				die("talking to the child");
			printf("written\n");
			fflush(stdout);
			continue;
		}
		fprintf(stderr, "%s: unknown command: %s", prog, line);
	}
	free(line);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	if (file_made && file_path)
		unlink(file_path);
	return 0;
}
