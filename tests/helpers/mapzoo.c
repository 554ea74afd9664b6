// SPDX-License-Identifier: GPL-2.0-or-later
/* mapzoo: one process holding one mapping of each kind vmmap tells apart, for the live tests. */

/*
 * The process builds the mappings below, then prints one line of JSON that
 * describes each of them, then waits until its stdin reaches EOF, and then
 * removes every file it made.  For each region the JSON gives "kind" (the
 * KIND vmmap must report), "addr" (an address inside it), "start"/"end" (the
 * range the helper made, when it made it; the mapping in /proc/self/maps is
 * then exactly that range) and "vma_start"/"vma_end"/"vma_name" (the mapping
 * of /proc/self/maps that holds "addr", as read just before printing).
 *
 *   anon          private anonymous, written                     anon
 *   anon_named    the same, named with PR_SET_VMA_ANON_NAME      anon  ([anon:vmscope-mapzoo])
 *   guard         PROT_NONE                                      guard
 *   shared_anon   MAP_SHARED|MAP_ANONYMOUS, written              shared-anon (/dev/zero (deleted))
 *   shared_anon_named   the same, named ([anon_shmem:...])       shared-anon
 *   posix_shm     shm_open() file in /dev/shm, MAP_SHARED        shmem
 *   sysv_shm      shmget()/shmat(), IPC_RMID right after shmat   sysv-shm (/SYSV00000000 (deleted))
 *   memfd         memfd_create(), MAP_SHARED, written            memfd
 *   deleted       a file in --dir, mapped, then unlinked         deleted
 *   spoof         a file in --dir whose name really ends in " (deleted)", kept   file
 *   data_file     a plain file in --dir, read-only private       file
 *   heap          sbrk()'s area, written                         heap
 *   thread_stack  the stack of a second thread blocked in read() on a pipe
 *                 (its TID is "tid" in the JSON)                 thread-stack
 *   thp           2 MiB aligned, MADV_HUGEPAGE, written          anon (AnonHugePages)
 *   hugetlb       MAP_HUGETLB (only with --hugetlb; left out when the kernel refuses)   hugetlb
 *   prog_text, prog_rodata, prog_data, prog_bss
 *                 the program's own code, constants, .data and .bss   text/rodata/data/bss, object program
 *   stack         the main thread's stack                        stack
 *
 * Anonymous regions sit between PROT_NONE pages (and the guard region
 * between read-only pages), so the kernel never merges one with a neighbour.
 * A region the kernel refuses (no System V IPC, no hugetlb pages) is listed
 * in "missing" with the reason instead.
 *
 * The helper is linked dynamically (unlike layout), so that libc is a
 * library mapping in it.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif
#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1u
#endif
#define HUGE_ALIGN (2ul << 20)
#define MAX_REGIONS 32
#define ANON_NAME "vmscope-mapzoo"

struct region {
	const char *name;
	const char *kind;
	const char *object; /* "program" or NULL */
	uintptr_t addr; /* an address inside */
	uintptr_t start, end; /* what we made (0 when we did not choose the range) */
	const char *path; /* the file behind it, if we made one */
	bool named; /* PR_SET_VMA_ANON_NAME took */
	/* from /proc/self/maps and smaps */
	uintptr_t vma_start, vma_end;
	char *vma_name;
	uint64_t anon_huge_pages, private_hugetlb, rss;
};

static struct region regions[MAX_REGIONS];
static size_t nregions;
static struct {
	const char *name;
	char reason[160];
} missing[MAX_REGIONS];
static size_t nmissing;

static size_t page_size;
static const char *prog = "mapzoo";
static char *made_files[8];
static size_t nmade;
static char posix_shm_name[64];

/* The program's own .rodata, .data and .bss (used, so never optimised away). */
__attribute__((used)) static const char zoo_rodata[16384] = { 'r', 'o' };
__attribute__((used)) volatile int zoo_data[1024] = { 1, 2, 3 };
/* 4 MiB of .bss: most of it lies past the file-backed part of the data
 * segment, in the anonymous mapping right after it. */
__attribute__((used)) static char zoo_bss[4u << 20];

static void cleanup_files(void)
{
	for (size_t i = 0; i < nmade; i++)
		unlink(made_files[i]);
	nmade = 0;
	if (posix_shm_name[0]) {
		shm_unlink(posix_shm_name);
		posix_shm_name[0] = '\0';
	}
}

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
	cleanup_files();
	exit(1);
}

static struct region *add(const char *name, const char *kind, uintptr_t addr, uintptr_t start,
			  size_t size)
{
	struct region *r;

	if (nregions == MAX_REGIONS) {
		errno = 0;
		die("too many regions");
	}
	r = &regions[nregions++];
	r->name = name;
	r->kind = kind;
	r->addr = addr;
	r->start = start;
	r->end = start ? start + size : 0;
	return r;
}

__attribute__((format(printf, 2, 3))) static void add_missing(const char *name, const char *fmt,
							      ...)
{
	va_list ap;

	missing[nmissing].name = name;
	va_start(ap, fmt);
	vsnprintf(missing[nmissing].reason, sizeof(missing[nmissing].reason), fmt, ap);
	va_end(ap);
	nmissing++;
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
 * @size bytes of private anonymous memory (aligned to @align) with a page of
 * protection @side_prot on each side, so that the region is one VMA of its own.
 */
static char *map_isolated(const char *name, size_t size, size_t align, int prot, int side_prot)
{
	size_t span = size + align + 2 * page_size;
	char *base, *p;

	base = mmap(NULL, span, side_prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		die("mmap region %s (%zu bytes)", name, size);
	p = base + page_size;
	if (align > page_size)
		p = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (mprotect(p, size, prot))
		die("mprotect region %s", name);
	return p;
}

static char *make_file(const char *dir, const char *suffix, size_t size, bool keep_track)
{
	static char buf[1 << 16];
	size_t len = strlen(dir) + strlen(suffix) + 64;
	char *path = malloc(len);
	int fd;

	if (!path)
		die("malloc");
	snprintf(path, len, "%s/vmscope-mapzoo-%d-%s", dir, (int)getpid(), suffix);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		die("cannot create %s", path);
	if (keep_track)
		made_files[nmade++] = path;
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
	close(fd);
	return path;
}

static char *map_path(const char *path, size_t size, int prot, int flags)
{
	int fd = open(path, ((prot & PROT_WRITE) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	char *p;

	if (fd < 0)
		die("open %s", path);
	p = mmap(NULL, size, prot, flags, fd, 0);
	if (p == MAP_FAILED)
		die("mmap %s", path);
	close(fd);
	return p;
}

/* ---- the second thread: blocked in read() on a pipe ---- */

static int wake_pipe[2];
static pid_t thread_tid;
static uintptr_t thread_stack_addr;

static void *sleeper(void *arg)
{
	volatile char on_stack[64];
	char c;

	(void)arg;
	on_stack[0] = 1;
	thread_stack_addr = (uintptr_t)on_stack;
	__atomic_store_n(&thread_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	while (read(wake_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	/* the address was reported while the thread was blocked; its stack goes now */
	thread_stack_addr = 0;
	return NULL;
}

/* Wait (up to 10 s) until the thread sits in read(): /proc/self/task/TID/syscall. */
static void wait_thread_blocked(void)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	char path[64], buf[256];

	while (!__atomic_load_n(&thread_tid, __ATOMIC_ACQUIRE))
		nanosleep(&tick, NULL);
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)thread_tid);
	for (int i = 0; i < 2000; i++) {
		FILE *fp = fopen(path, "re");
		long nr = -2;

		if (fp) {
			if (fgets(buf, sizeof(buf), fp))
				nr = strtol(buf, NULL, 10);
			fclose(fp);
		}
		if (nr == SYS_read)
			return;
		nanosleep(&tick, NULL);
	}
	errno = 0;
	die("thread %d never blocked in read()", (int)thread_tid);
}

/* ---- reading our own maps/smaps ---- */

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

static void find_vmas(void)
{
	FILE *fp = fopen("/proc/self/smaps", "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct region *cur[MAX_REGIONS];
	size_t ncur = 0;

	if (!fp)
		die("open /proc/self/smaps");
	while ((n = getline(&line, &cap, fp)) > 0) {
		unsigned long long start, end, ino;
		char perms[8], dev[16];
		int name_at = 0;
		uint64_t v;

		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (sscanf(line, "%llx-%llx %7s %*x %15s %llu %n", &start, &end, perms, dev, &ino,
			   &name_at) >= 5 &&
		    name_at > 0) {
			ncur = 0;
			for (size_t i = 0; i < nregions; i++) {
				struct region *r = &regions[i];

				if (r->addr >= start && r->addr < end) {
					r->vma_start = (uintptr_t)start;
					r->vma_end = (uintptr_t)end;
					free(r->vma_name);
					r->vma_name = strdup(line + name_at);
					cur[ncur++] = r;
				}
			}
			continue;
		}
		for (size_t i = 0; i < ncur; i++) {
			if ((v = kb_value(line, "AnonHugePages")) != UINT64_MAX)
				cur[i]->anon_huge_pages = v;
			else if ((v = kb_value(line, "Private_Hugetlb")) != UINT64_MAX)
				cur[i]->private_hugetlb = v;
			else if ((v = kb_value(line, "Rss")) != UINT64_MAX)
				cur[i]->rss = v;
		}
	}
	free(line);
	fclose(fp);
}

/* ---- output ---- */

static void json_string(const char *s)
{
	putchar('"');
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f)
			printf("\\u%04x", *c); /* our names are ASCII; never raw bytes */
		else
			putchar(*c);
	}
	putchar('"');
}

static void json_addr(const char *key, uintptr_t a)
{
	printf(",\"%s\":", key);
	if (a)
		printf("\"0x%" PRIxPTR "\"", a);
	else
		printf("null");
}

static void print_json(const char *dir, bool hugetlb_asked)
{
	printf("{\"pid\":%d,\"tid\":%d,\"page_size\":%zu,\"dir\":", (int)getpid(), (int)thread_tid,
	       page_size);
	json_string(dir);
	printf(",\"hugetlb_asked\":%s,\"regions\":{", hugetlb_asked ? "true" : "false");
	for (size_t i = 0; i < nregions; i++) {
		const struct region *r = &regions[i];

		printf("%s\"%s\":{\"kind\":\"%s\",\"object\":", i ? "," : "", r->name, r->kind);
		if (r->object)
			json_string(r->object);
		else
			printf("null");
		printf(",\"addr\":\"0x%" PRIxPTR "\"", r->addr);
		json_addr("start", r->start);
		json_addr("end", r->end);
		json_addr("vma_start", r->vma_start);
		json_addr("vma_end", r->vma_end);
		printf(",\"vma_name\":");
		if (r->vma_name)
			json_string(r->vma_name);
		else
			printf("null");
		printf(",\"path\":");
		if (r->path)
			json_string(r->path);
		else
			printf("null");
		printf(",\"named\":%s,\"rss\":%" PRIu64 ",\"anon_huge_pages\":%" PRIu64
		       ",\"private_hugetlb\":%" PRIu64 "}",
		       r->named ? "true" : "false", r->rss, r->anon_huge_pages, r->private_hugetlb);
	}
	printf("},\"missing\":{");
	for (size_t i = 0; i < nmissing; i++) {
		printf("%s\"%s\":", i ? "," : "", missing[i].name);
		json_string(missing[i].reason);
	}
	printf("}}\n");
	if (fflush(stdout))
		die("write stdout");
}

static void wait_stdin_eof(void)
{
	char buf[256];

	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EINTR))
			return;
	}
}

static void usage(FILE *out, int status)
{
	fprintf(out,
		"Usage: %s [--dir DIR] [--hugetlb]\n"
		"Build one mapping of each kind vmmap knows, print them as one JSON line,\n"
		"wait for EOF on stdin, then remove the files made.\n"
		"  --dir DIR   directory for the file mappings (default: .; use a disk, not tmpfs)\n"
		"  --hugetlb   also try a MAP_HUGETLB region (needs free huge pages)\n",
		prog);
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "hugetlb", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = ".";
	bool want_hugetlb = false;
	volatile char main_stack_marker[16];
	pthread_t thread;
	unsigned long sink = 0;
	struct region *r;
	char *p, *path;
	size_t sz;
	int c, err, fd;

	/* Die with the test that started us, even if it is SIGKILLed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'H':
			want_hugetlb = true;
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

	/* The thread first, so that its stack is placed before our regions. */
	if (pipe2(wake_pipe, O_CLOEXEC))
		die("pipe");
	err = pthread_create(&thread, NULL, sleeper, NULL);
	if (err) {
		errno = err;
		die("pthread_create");
	}

	/* anon: private anonymous, written */
	sz = 1u << 20;
	p = map_isolated("anon", sz, page_size, PROT_READ | PROT_WRITE, PROT_NONE);
	madvise(p, sz, MADV_NOHUGEPAGE);
	touch_write(p, sz, 'a');
	add("anon", "anon", (uintptr_t)p, (uintptr_t)p, sz);

	/* anon_named: [anon:vmscope-mapzoo] */
	p = map_isolated("anon_named", sz, page_size, PROT_READ | PROT_WRITE, PROT_NONE);
	madvise(p, sz, MADV_NOHUGEPAGE);
	r = add("anon_named", "anon", (uintptr_t)p, (uintptr_t)p, sz);
	r->named = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, sz,
			 (unsigned long)ANON_NAME) == 0;
	touch_write(p, sz, 'n');

	/* guard: PROT_NONE, between two read-only pages */
	sz = 16 * page_size;
	p = map_isolated("guard", sz, page_size, PROT_NONE, PROT_READ);
	add("guard", "guard", (uintptr_t)p, (uintptr_t)p, sz);

	/* shared_anon: /dev/zero (deleted), rw-s */
	sz = 1u << 20;
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap MAP_SHARED|MAP_ANONYMOUS");
	touch_write(p, sz, 's');
	add("shared_anon", "shared-anon", (uintptr_t)p, (uintptr_t)p, sz);

	/* shared_anon_named: [anon_shmem:vmscope-mapzoo] where the kernel names it */
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap MAP_SHARED|MAP_ANONYMOUS");
	r = add("shared_anon_named", "shared-anon", (uintptr_t)p, (uintptr_t)p, sz);
	r->named = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, sz,
			 (unsigned long)ANON_NAME) == 0;
	touch_write(p, sz, 'S');

	/* posix_shm: /dev/shm/vmscope-mapzoo-PID, MAP_SHARED */
	snprintf(posix_shm_name, sizeof(posix_shm_name), "/vmscope-mapzoo-%d", (int)getpid());
	fd = shm_open(posix_shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		posix_shm_name[0] = '\0';
		die("shm_open");
	}
	if (ftruncate(fd, (off_t)sz))
		die("ftruncate (POSIX shm)");
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap (POSIX shm)");
	close(fd);
	touch_write(p, sz, 'p');
	r = add("posix_shm", "shmem", (uintptr_t)p, (uintptr_t)p, sz);
	{
		static char shm_path[80];

		snprintf(shm_path, sizeof(shm_path), "/dev/shm%s", posix_shm_name);
		r->path = shm_path;
	}

	/* sysv_shm: removed (IPC_RMID) right after it is attached: nothing leaks */
	{
		int id = shmget(IPC_PRIVATE, sz, IPC_CREAT | 0600);

		if (id < 0) {
			add_missing("sysv_shm", "shmget: %s", strerror(errno));
		} else {
			void *a = shmat(id, NULL, 0);
			int at_errno = errno;

			shmctl(id, IPC_RMID, NULL);
			if (a == (void *)-1) {
				add_missing("sysv_shm", "shmat: %s", strerror(at_errno));
			} else {
				touch_write(a, sz, 'v');
				add("sysv_shm", "sysv-shm", (uintptr_t)a, (uintptr_t)a, sz);
			}
		}
	}

	/* memfd: /memfd:vmscope-mapzoo (deleted) */
	fd = (int)syscall(SYS_memfd_create, ANON_NAME, MFD_CLOEXEC);
	if (fd < 0)
		die("memfd_create");
	if (ftruncate(fd, (off_t)sz))
		die("ftruncate (memfd)");
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap (memfd)");
	close(fd);
	touch_write(p, sz, 'm');
	add("memfd", "memfd", (uintptr_t)p, (uintptr_t)p, sz);

	/* deleted: a file mapped, then unlinked */
	sz = 256u << 10;
	path = make_file(dir, "gone", sz, false);
	p = map_path(path, sz, PROT_READ, MAP_PRIVATE);
	if (unlink(path))
		die("unlink %s", path);
	sink += touch_read(p, sz);
	r = add("deleted", "deleted", (uintptr_t)p, (uintptr_t)p, sz);
	r->path = path;

	/* spoof: a real file named "... (deleted)", kept while we run */
	path = make_file(dir, "spoof (deleted)", sz, true);
	p = map_path(path, sz, PROT_READ, MAP_PRIVATE);
	sink += touch_read(p, sz);
	r = add("spoof", "file", (uintptr_t)p, (uintptr_t)p, sz);
	r->path = path;

	/* data_file: a plain data file */
	path = make_file(dir, "data", sz, true);
	p = map_path(path, sz, PROT_READ, MAP_PRIVATE);
	sink += touch_read(p, sz);
	r = add("data_file", "file", (uintptr_t)p, (uintptr_t)p, sz);
	r->path = path;

	/* heap: grown with sbrk */
	sz = 1u << 20;
	p = sbrk((intptr_t)sz);
	if (p == (void *)-1)
		die("sbrk");
	touch_write(p, sz, 'h');
	add("heap", "heap", (uintptr_t)p, 0, 0);

	/* thp: 2 MiB aligned, MADV_HUGEPAGE, written */
	sz = 2 * HUGE_ALIGN;
	p = map_isolated("thp", sz, HUGE_ALIGN, PROT_READ | PROT_WRITE, PROT_NONE);
	madvise(p, sz, MADV_HUGEPAGE); /* EINVAL without THP: the region stays plain anon */
	touch_write(p, sz, 't');
	add("thp", "anon", (uintptr_t)p, (uintptr_t)p, sz);

	/* hugetlb: only when asked, and only if the kernel has a page for us */
	if (want_hugetlb) {
		sz = HUGE_ALIGN;
		p = mmap(NULL, sz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (p == MAP_FAILED) {
			add_missing("hugetlb", "mmap(MAP_HUGETLB): %s", strerror(errno));
		} else {
			touch_write(p, sz, 'H');
			add("hugetlb", "hugetlb", (uintptr_t)p, (uintptr_t)p, sz);
		}
	} else {
		add_missing("hugetlb", "not asked for (--hugetlb)");
	}

	/* the program's own segments, and the main stack */
	zoo_bss[sizeof(zoo_bss) - 1] = 'b';
	zoo_data[1] = 5;
	main_stack_marker[0] = 1;
	r = add("prog_text", "text", (uintptr_t)&main, 0, 0);
	r->object = "program";
	r = add("prog_rodata", "rodata", (uintptr_t)&zoo_rodata[sizeof(zoo_rodata) / 2], 0, 0);
	r->object = "program";
	r = add("prog_data", "data", (uintptr_t)&zoo_data[0], 0, 0);
	r->object = "program";
	r = add("prog_bss", "bss", (uintptr_t)&zoo_bss[sizeof(zoo_bss) - 1], 0, 0);
	r->object = "program";
	add("stack", "stack", (uintptr_t)main_stack_marker, 0, 0);

	/* the second thread's stack, once it is blocked in read() */
	wait_thread_blocked();
	add("thread_stack", "thread-stack", thread_stack_addr, 0, 0);

	(void)sink;
	find_vmas();
	print_json(dir, want_hugetlb);

	wait_stdin_eof();
	cleanup_files();
	if (write(wake_pipe[1], "x", 1) == 1)
		pthread_join(thread, NULL);
	return 0;
}
