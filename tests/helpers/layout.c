// SPDX-License-Identifier: GPL-2.0-or-later
/* layout: a helper process with a known memory layout, for vmscope's live tests. */

/*
 * The process builds these regions, then prints one line of JSON describing
 * them (pids, addresses, and what its own /proc/self/smaps says about them),
 * then waits until its stdin reaches EOF:
 *
 *   A  anonymous private, every page written
 *   B  anonymous private, never touched (Rss 0)
 *   F  a read-only private mapping of a file it creates in --dir, every page read
 *   S  anonymous private, written, then MADV_PAGEOUT on its first --pageout bytes
 *   C  anonymous private, written before fork(); the child then rewrites the
 *      first --cow-rewrite bytes, so that part is exclusive in both processes
 *      and the rest is shared copy-on-write by the two
 *   H  (optional) 2 MiB aligned anonymous region with MADV_HUGEPAGE, written
 *
 * Every region except C is MADV_DONTFORK, so the child holds only C (and the
 * program's own mappings): the arithmetic of each process stays simple.
 * Every anonymous region is MADV_NOHUGEPAGE except H, so THP cannot change
 * the numbers, and sits between two PROT_NONE guard pages, so the kernel can
 * never merge it with a neighbour: each region is exactly one VMA.
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
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif
#define TMPFS_MAGIC_VALUE 0x01021994
#define HUGE_ALIGN (2ul << 20)

struct region {
	const char *name;
	char *start;
	size_t size;
	bool in_child; /* inherited by the child (not MADV_DONTFORK) */
};

/* What /proc/self/smaps says about one region, in bytes. */
struct figures {
	bool found; /* a VMA with exactly this start and end exists */
	uint64_t rss, pss, swap, swap_pss, anonymous, anon_huge_pages;
	uint64_t private_clean, private_dirty, shared_clean, shared_dirty;
};

static size_t page_size;
static const char *prog = "layout";

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

/* A size with an optional K, M or G suffix (1024-based), a multiple of the page size. */
static size_t parse_size(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;
	unsigned long long mult = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		goto bad;
	switch (*end) {
	case 'K':
	case 'k':
		mult = 1ull << 10;
		end++;
		break;
	case 'M':
	case 'm':
		mult = 1ull << 20;
		end++;
		break;
	case 'G':
	case 'g':
		mult = 1ull << 30;
		end++;
		break;
	}
	if (*end != '\0' || v > SIZE_MAX / mult)
		goto bad;
	v *= mult;
	if (v % page_size) {
		errno = 0;
		die("--%s %s: not a multiple of the page size (%zu)", opt, s, page_size);
	}
	return (size_t)v;
bad:
	errno = 0;
	die("--%s: invalid size '%s'", opt, s);
	return 0;
}

static void touch_write(char *p, size_t len, char value)
{
	for (size_t off = 0; off < len; off += page_size)
		((volatile char *)p)[off] = value;
}

static unsigned long touch_read(const char *p, size_t len)
{
	unsigned long sum = 0;

	for (size_t off = 0; off < len; off += page_size)
		sum += ((const volatile char *)p)[off];
	return sum;
}

/*
 * Reserve @size bytes (aligned to @align) with a PROT_NONE guard page on each
 * side, so the region is one VMA of its own whatever its neighbours are.
 */
static char *map_anon(const char *name, size_t size, size_t align, int thp_advice, bool dontfork)
{
	size_t span = size + align + 2 * page_size;
	char *base, *p;
	char label[32];

	base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		die("mmap region %s (%zu bytes)", name, size);
	p = base + page_size;
	if (align > page_size)
		p = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (mprotect(p, size, PROT_READ | PROT_WRITE))
		die("mprotect region %s", name);
	if (madvise(p, size, thp_advice))
		die("madvise region %s (THP advice)", name);
	if (dontfork && madvise(p, size, MADV_DONTFORK))
		die("madvise(MADV_DONTFORK) region %s", name);
	/* A name makes the region easy to spot in maps; kernels without
	 * CONFIG_ANON_VMA_NAME refuse, which changes nothing else. */
	snprintf(label, sizeof(label), "vmscope-layout-%s", name);
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, size, (unsigned long)label);
	return p;
}

static char *map_file(const char *dir, size_t size, bool keep, char **path_out)
{
	static char buf[1 << 16];
	size_t len = strlen(dir) + sizeof("/vmscope-layout-XXXXXX");
	char *path = malloc(len);
	char *p;
	int fd;

	if (!path)
		die("malloc");
	snprintf(path, len, "%s/vmscope-layout-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		die("cannot create a file in %s", dir);
	memset(buf, 0x5a, sizeof(buf));
	for (size_t done = 0; done < size;) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);
		ssize_t w = write(fd, buf, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			unlink(path);
			die("write %s", path);
		}
		done += (size_t)w;
	}
	/* Written back now, so its pages stay clean while the tests look. */
	if (fdatasync(fd)) {
		unlink(path);
		die("fdatasync %s", path);
	}
	p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		unlink(path);
		die("mmap %s", path);
	}
	close(fd);
	if (madvise(p, size, MADV_DONTFORK))
		die("madvise(MADV_DONTFORK) region F");
	if (!keep && unlink(path))
		die("unlink %s", path);
	*path_out = path;
	return p;
}

static uint64_t kb_value(const char *line, const char *key)
{
	size_t klen = strlen(key);
	unsigned long long v;

	if (strncmp(line, key, klen) || line[klen] != ':')
		return UINT64_MAX;
	if (sscanf(line + klen + 1, " %llu", &v) != 1)
		return UINT64_MAX;
	return (uint64_t)v * 1024;
}

/* Read our own smaps for the VMAs that are exactly our regions. */
static void self_figures(const struct region *r, struct figures *f, size_t n)
{
	FILE *fp = fopen("/proc/self/smaps", "re");
	char *line = NULL;
	size_t cap = 0;
	struct figures *cur = NULL;

	if (!fp)
		die("open /proc/self/smaps");
	memset(f, 0, n * sizeof(*f));
	while (getline(&line, &cap, fp) > 0) {
		unsigned long long start, end;
		uint64_t v;

		/* Key lines never parse as two hex numbers around a '-'. */
		if (sscanf(line, "%llx-%llx ", &start, &end) == 2) {
			cur = NULL;
			for (size_t i = 0; i < n; i++) {
				if (r[i].size && (uintptr_t)r[i].start == start &&
				    (uintptr_t)r[i].start + r[i].size == end) {
					cur = &f[i];
					cur->found = true;
				}
			}
			continue;
		}
		if (!cur)
			continue;
#define KEY(k, field)                                \
	if ((v = kb_value(line, k)) != UINT64_MAX) { \
		cur->field = v;                      \
		continue;                            \
	}
		KEY("Rss", rss);
		KEY("Pss", pss);
		KEY("Swap", swap);
		KEY("SwapPss", swap_pss);
		KEY("Anonymous", anonymous);
		KEY("AnonHugePages", anon_huge_pages);
		KEY("Private_Clean", private_clean);
		KEY("Private_Dirty", private_dirty);
		KEY("Shared_Clean", shared_clean);
		KEY("Shared_Dirty", shared_dirty);
#undef KEY
	}
	free(line);
	fclose(fp);
}

/* Block until stdin reaches EOF (the test closes its end, or dies). */
static void wait_stdin_eof(void)
{
	char buf[256];

	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EINTR))
			return;
	}
}

static void json_string(const char *s)
{
	putchar('"');
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f)
			printf("\\u%04x", *c); /* names we set are ASCII; never raw bytes */
		else
			putchar(*c);
	}
	putchar('"');
}

static void usage(FILE *out, int status)
{
	fprintf(out,
		"Usage: %s [options]\n"
		"Build a known memory layout, print it as one JSON line, wait for EOF on stdin.\n"
		"  --anon SIZE         region A: anonymous, written (default 16M)\n"
		"  --untouched SIZE    region B: anonymous, never touched (default 16M)\n"
		"  --file SIZE         region F: private read-only file mapping, read (default 8M)\n"
		"  --cow SIZE          region C: anonymous, shared with the child (default 16M)\n"
		"  --cow-rewrite SIZE  bytes of C the child rewrites (default: half of C)\n"
		"  --swap SIZE         region S: anonymous, written, then paged out (default 8M)\n"
		"  --pageout SIZE      bytes of S given to MADV_PAGEOUT (default: half of S)\n"
		"  --huge SIZE         region H: MADV_HUGEPAGE, 2 MiB aligned (default 0: none)\n"
		"  --dir DIR           directory for F's file (default: .)\n"
		"  --keep-file         do not unlink F's file (default: unlinked once mapped)\n"
		"  --comm NAME         set the command name of both processes\n"
		"SIZE takes a K, M or G suffix and must be a multiple of the page size.\n",
		prog);
	exit(status);
}

int main(int argc, char **argv)
{
	enum {
		O_ANON = 1,
		O_UNTOUCHED,
		O_FILE,
		O_COW,
		O_REWRITE,
		O_SWAP,
		O_PAGEOUT,
		O_HUGE,
		O_DIR,
		O_KEEP,
		O_COMM,
		O_HELP
	};
	static const struct option opts[] = {
		{ "anon", required_argument, NULL, O_ANON },
		{ "untouched", required_argument, NULL, O_UNTOUCHED },
		{ "file", required_argument, NULL, O_FILE },
		{ "cow", required_argument, NULL, O_COW },
		{ "cow-rewrite", required_argument, NULL, O_REWRITE },
		{ "swap", required_argument, NULL, O_SWAP },
		{ "pageout", required_argument, NULL, O_PAGEOUT },
		{ "huge", required_argument, NULL, O_HUGE },
		{ "dir", required_argument, NULL, O_DIR },
		{ "keep-file", no_argument, NULL, O_KEEP },
		{ "comm", required_argument, NULL, O_COMM },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	enum { RA, RB, RF, RS, RC, RH, NREG };
	struct region reg[NREG] = {
		[RA] = { "A", NULL, 16u << 20, false }, [RB] = { "B", NULL, 16u << 20, false },
		[RF] = { "F", NULL, 8u << 20, false },	[RS] = { "S", NULL, 8u << 20, false },
		[RC] = { "C", NULL, 16u << 20, true },	[RH] = { "H", NULL, 0, false },
	};
	struct figures fig[NREG];
	size_t rewrite = SIZE_MAX, pageout = SIZE_MAX;
	const char *dir = ".", *comm = NULL;
	char *file_path = NULL;
	bool keep = false;
	struct statfs sfs;
	unsigned long sink;
	int ready[2], c;
	pid_t parent, child;
	char ok;

	/* Die with the test that started us, even if it is SIGKILLed while we
	 * are stopped (a stopped process never sees EOF on stdin). */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_ANON:
			reg[RA].size = parse_size("anon", optarg);
			break;
		case O_UNTOUCHED:
			reg[RB].size = parse_size("untouched", optarg);
			break;
		case O_FILE:
			reg[RF].size = parse_size("file", optarg);
			break;
		case O_COW:
			reg[RC].size = parse_size("cow", optarg);
			break;
		case O_REWRITE:
			rewrite = parse_size("cow-rewrite", optarg);
			break;
		case O_SWAP:
			reg[RS].size = parse_size("swap", optarg);
			break;
		case O_PAGEOUT:
			pageout = parse_size("pageout", optarg);
			break;
		case O_HUGE:
			reg[RH].size = parse_size("huge", optarg);
			break;
		case O_DIR:
			dir = optarg;
			break;
		case O_KEEP:
			keep = true;
			break;
		case O_COMM:
			comm = optarg;
			break;
		case 'h':
		case O_HELP:
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc || !dir || !*dir)
		usage(stderr, 2);
	if (rewrite == SIZE_MAX)
		rewrite = reg[RC].size / 2 / page_size * page_size;
	if (pageout == SIZE_MAX)
		pageout = reg[RS].size / 2 / page_size * page_size;
	if (rewrite > reg[RC].size || pageout > reg[RS].size) {
		errno = 0;
		die("--cow-rewrite and --pageout must not exceed their region");
	}
	if (reg[RH].size % HUGE_ALIGN) {
		errno = 0;
		die("--huge must be a multiple of 2 MiB");
	}
	if (comm && prctl(PR_SET_NAME, (unsigned long)comm, 0, 0, 0))
		die("prctl(PR_SET_NAME)");
	if (statfs(dir, &sfs))
		die("statfs %s", dir);

	if (reg[RA].size) {
		reg[RA].start = map_anon("A", reg[RA].size, page_size, MADV_NOHUGEPAGE, true);
		touch_write(reg[RA].start, reg[RA].size, 'A');
	}
	if (reg[RB].size)
		reg[RB].start = map_anon("B", reg[RB].size, page_size, MADV_NOHUGEPAGE, true);
	if (reg[RF].size) {
		reg[RF].start = map_file(dir, reg[RF].size, keep, &file_path);
		sink = touch_read(reg[RF].start, reg[RF].size);
		(void)sink;
	}
	if (reg[RS].size) {
		reg[RS].start = map_anon("S", reg[RS].size, page_size, MADV_NOHUGEPAGE, true);
		touch_write(reg[RS].start, reg[RS].size, 'S');
		/* Without swap the kernel cannot reclaim anonymous pages and this
		 * does nothing; the JSON reports what really happened. */
		if (pageout && madvise(reg[RS].start, pageout, MADV_PAGEOUT) && errno != EINVAL)
			die("madvise(MADV_PAGEOUT)");
	}
	if (reg[RH].size) {
		reg[RH].start = map_anon("H", reg[RH].size, HUGE_ALIGN, MADV_HUGEPAGE, true);
		touch_write(reg[RH].start, reg[RH].size, 'H');
	}
	if (reg[RC].size) {
		reg[RC].start = map_anon("C", reg[RC].size, page_size, MADV_NOHUGEPAGE, false);
		touch_write(reg[RC].start, reg[RC].size, 'C');
	}

	if (pipe(ready))
		die("pipe");
	fflush(NULL);
	parent = getpid();
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(ready[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != parent)
			_exit(1);
		/* Copy-on-write: these pages become the child's own copies, and the
		 * parent's originals are then mapped once, exclusive again. */
		touch_write(reg[RC].start, rewrite, 'c');
		ok = 'y';
		if (write(ready[1], &ok, 1) != 1)
			_exit(1);
		close(ready[1]);
		wait_stdin_eof();
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &ok, 1) != 1 || ok != 'y') {
		kill(child, SIGKILL);
		errno = 0;
		die("the child failed to set up its half of region C");
	}
	close(ready[0]);

	self_figures(reg, fig, NREG);
	printf("{\"pid\":%d,\"child\":%d,\"page_size\":%zu,\"dir\":", (int)parent, (int)child,
	       page_size);
	json_string(dir);
	printf(",\"fs_magic\":\"0x%lx\",\"file_shmem\":%s,\"file\":", (unsigned long)sfs.f_type,
	       (unsigned long)sfs.f_type == TMPFS_MAGIC_VALUE ? "true" : "false");
	if (file_path)
		json_string(file_path);
	else
		printf("null");
	printf(",\"file_unlinked\":%s,\"cow_rewrite\":%zu,\"pageout\":%zu,\"regions\":{",
	       keep ? "false" : "true", rewrite, pageout);
	for (int i = 0, first = 1; i < NREG; i++) {
		const struct figures *f = &fig[i];

		if (!reg[i].size)
			continue;
		printf("%s\"%s\":{\"start\":\"%p\",\"end\":\"%p\",\"size\":%zu,\"in_child\":%s,",
		       first ? "" : ",", reg[i].name, (void *)reg[i].start,
		       (void *)(reg[i].start + reg[i].size), reg[i].size,
		       reg[i].in_child ? "true" : "false");
		printf("\"self\":{\"vma_found\":%s,\"rss\":%" PRIu64 ",\"pss\":%" PRIu64
		       ",\"swap\":%" PRIu64 ",\"swap_pss\":%" PRIu64 ",\"anonymous\":%" PRIu64
		       ",\"anon_huge_pages\":%" PRIu64 ",\"private_clean\":%" PRIu64
		       ",\"private_dirty\":%" PRIu64 ",\"shared_clean\":%" PRIu64
		       ",\"shared_dirty\":%" PRIu64 "}}",
		       f->found ? "true" : "false", f->rss, f->pss, f->swap, f->swap_pss,
		       f->anonymous, f->anon_huge_pages, f->private_clean, f->private_dirty,
		       f->shared_clean, f->shared_dirty);
		first = 0;
	}
	printf("},\"swap_pages\":%" PRIu64 ",\"swap_resident_pages\":%" PRIu64 "}\n",
	       fig[RS].swap / page_size, fig[RS].rss / page_size);
	if (fflush(stdout))
		die("write stdout");

	wait_stdin_eof();
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	free(file_path);
	return 0;
}
