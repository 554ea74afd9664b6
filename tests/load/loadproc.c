// SPDX-License-Identifier: GPL-2.0-or-later
/* loadproc: one big process for the load tests: many mappings or threads, or a sparse TiB. */

/*
 * loadproc maps N|fill [EVERY]   N one-page mappings that cannot merge (read-only and
 *                                read-write in turn, a hole at each end), every EVERY-th
 *                                one written (16 by default; 0: none); "fill" makes as
 *                                many as vm.max_map_count lets the process have.
 * loadproc threads N [STACK_KIB] N threads more (stacks of 64 KiB by default), all
 *                                blocked; as many as could be made if fewer.
 * loadproc sparse SIZE           SIZE bytes (K/M/G/T suffixes) of private anonymous
 *                                memory with MAP_NORESERVE, one page written every
 *                                SIZE/16 and the last one, and SIZE of PROT_NONE beside.
 *
 * When ready it prints one JSON line with its pid and what it made, and waits
 * until its standard input reaches end of file (or SIGTERM), then exits.  It
 * dies with its parent (PR_SET_PDEATHSIG).  Nothing is allocated with malloc
 * once mapping starts: "fill" must not need one mapping more afterwards (stdout
 * has a static buffer, /proc/self/maps is read into a static one).
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static char outbuf[4096];
static char rdbuf[65536];
static size_t page;

static void fail(const char *what)
{
	fprintf(stderr, "loadproc: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Lines of /proc/self/maps, and whether one is [vsyscall] (printed, but not a VMA). */
static long maps_lines(bool *vsyscall)
{
	static const char tag[] = "[vsyscall]";
	long lines = 0;
	size_t carry = 0;
	ssize_t n;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	*vsyscall = false;
	if (fd < 0)
		return -1;
	/* keep the last few bytes of each read so that a tag split across reads is seen */
	while ((n = read(fd, rdbuf + carry, sizeof(rdbuf) - carry - 1)) > 0) {
		size_t len = carry + (size_t)n;

		rdbuf[len] = '\0';
		for (size_t i = carry; i < len; i++)
			lines += rdbuf[i] == '\n';
		if (strstr(rdbuf, tag))
			*vsyscall = true;
		carry = len < sizeof(tag) ? len : sizeof(tag) - 1;
		memmove(rdbuf, rdbuf + len - carry, carry);
	}
	close(fd);
	return n < 0 ? -1 : lines;
}

static long read_long(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static void wait_for_eof(void)
{
	char c;
	ssize_t r;

	/* until end of file or an error other than EINTR; data is ignored */
	while ((r = read(0, &c, 1)) != 0)
		if (r < 0 && errno != EINTR)
			break;
}

static int run_maps(const char *count, unsigned long every)
{
	long max = read_long("/proc/sys/vm/max_map_count"), before, after;
	unsigned long n, made;
	bool vsys;
	char *base;
	int stop_err = 0;

	before = maps_lines(&vsys);
	if (before < 0)
		fail("read /proc/self/maps");
	if (!strcmp(count, "fill")) {
		/* the VMAs we have (vsyscall is no VMA) plus ours reach the limit */
		if (max < 0)
			fail("read /proc/sys/vm/max_map_count");
		n = (unsigned long)(max - (before - vsys));
	} else {
		n = strtoul(count, NULL, 10);
	}
	if (n < 2) {
		fprintf(stderr, "loadproc: maps needs N >= 2\n");
		return 2;
	}
	/* a page of hole at each end, so no neighbour can merge with the first or last */
	base = mmap(NULL, (n + 2) * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (base == MAP_FAILED)
		fail("mmap");
	munmap(base, page);
	munmap(base + (n + 1) * page, page);
	base += page;
	/* every even page read-write: each page is a mapping of its own */
	for (made = 1; made < n; made += 2) {
		if (mprotect(base + (made - 1) * page, page, PROT_READ | PROT_WRITE)) {
			stop_err = errno;
			break;
		}
	}
	if (!stop_err && n % 2 == 1 &&
	    mprotect(base + (n - 1) * page, page, PROT_READ | PROT_WRITE))
		stop_err = errno;
	if (every)
		for (unsigned long i = 0; i < n; i += 2 * every)
			base[i * page] = 'm';
	after = maps_lines(&vsys);
	printf("{\"pid\": %d, \"mode\": \"maps\", \"wanted\": %lu, \"base\": \"0x%" PRIxPTR "\", "
	       "\"before\": %ld, \"maps_lines\": %ld, \"vsyscall\": %s, \"max_map_count\": %ld, "
	       "\"stopped\": \"%s\"}\n",
	       (int)getpid(), n, (uintptr_t)base, before, after, vsys ? "true" : "false", max,
	       stop_err ? strerror(stop_err) : "");
	if (fflush(stdout))
		return 1;
	wait_for_eof();
	return 0;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *sleeper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&never, &lock);
	return NULL;
}

static int run_threads(unsigned long n, unsigned long stack_kib)
{
	pthread_attr_t attr;
	unsigned long made = 0;
	int err = 0;

	if (pthread_attr_init(&attr))
		fail("pthread_attr_init");
	if ((err = pthread_attr_setstacksize(&attr, stack_kib * 1024))) {
		errno = err;
		fail("pthread_attr_setstacksize");
	}
	for (; made < n; made++) {
		pthread_t t;

		err = pthread_create(&t, &attr, sleeper, NULL);
		if (err)
			break;
		pthread_detach(t);
	}
	pthread_attr_destroy(&attr);
	printf("{\"pid\": %d, \"mode\": \"threads\", \"wanted\": %lu, \"threads\": %lu, "
	       "\"stopped\": \"%s\"}\n",
	       (int)getpid(), n, made + 1, made < n ? strerror(err) : "");
	if (fflush(stdout))
		return 1;
	wait_for_eof();
	return 0;
}

static int run_sparse(unsigned long long size)
{
	unsigned long long step = size / 16, touched = 0;
	char *rw, *none;

	rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		  -1, 0);
	if (rw == MAP_FAILED)
		fail("mmap (read-write, no reserve)");
	none = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (none == MAP_FAILED)
		fail("mmap (PROT_NONE)");
	step -= step % page;
	for (unsigned long long off = 0; step && off < size; off += step, touched++)
		rw[off] = 's';
	rw[size - page] = 's';
	touched++;
	printf("{\"pid\": %d, \"mode\": \"sparse\", \"size\": %llu, \"rw\": \"0x%" PRIxPTR "\", "
	       "\"none\": \"0x%" PRIxPTR "\", \"touched\": %llu}\n",
	       (int)getpid(), size, (uintptr_t)rw, (uintptr_t)none, touched);
	if (fflush(stdout))
		return 1;
	wait_for_eof();
	return 0;
}

static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	switch (*end) {
	case 'T':
		v <<= 10;
		/* fallthrough */
	case 'G':
		v <<= 10;
		/* fallthrough */
	case 'M':
		v <<= 10;
		/* fallthrough */
	case 'K':
		v <<= 10;
		break;
	}
	return v;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	page = (size_t)sysconf(_SC_PAGESIZE);
	if (argc >= 3 && !strcmp(argv[1], "maps"))
		return run_maps(argv[2], argc > 3 ? strtoul(argv[3], NULL, 10) : 16);
	if (argc >= 3 && !strcmp(argv[1], "threads"))
		return run_threads(strtoul(argv[2], NULL, 10),
				   argc > 3 ? strtoul(argv[3], NULL, 10) : 64);
	if (argc == 3 && !strcmp(argv[1], "sparse")) {
		unsigned long long size = parse_size(argv[2]);

		if (size < 16 * page || size % page) {
			fprintf(stderr, "loadproc: sparse SIZE must be whole pages, at least 16\n");
			return 2;
		}
		return run_sparse(size);
	}
	fprintf(stderr, "usage: loadproc maps N|fill [EVERY] | threads N [STACK_KIB] | "
			"sparse SIZE\n");
	return 2;
}
