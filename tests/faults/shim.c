// SPDX-License-Identifier: GPL-2.0-or-later
/* faultshim: an LD_PRELOAD library injecting faults into a vmscope command (VMSF_* variables). */

/*
 * Every fault is off unless its variable is set, and each counts only from
 * the command's main() on (not while the dynamic loader and the libraries'
 * constructors run: a failure there is the loader's business, not ours).
 *
 *   VMSF_MALLOC_FAIL=N     the N-th allocation (malloc, calloc, realloc,
 *                          posix_memalign, aligned_alloc, memalign, valloc,
 *                          pvalloc; glibc's strdup, asprintf, fopen... call
 *                          malloc) fails with ENOMEM ...
 *   VMSF_MALLOC_MODE=once  ... and only that one; "after" (the default): it
 *                          and every later one, as a real shortage would.
 *   VMSF_MALLOC_COUNT=FILE at exit, write "CALLS FAILED\n" to FILE: how many
 *                          allocations were made, and how many failed.
 *   VMSF_MALLOC_BACKTRACE=1  print a backtrace of the first failed allocation
 *                          on stderr (for whoever debugs a failure).
 *                          (Not built under a sanitizer, whose runtime owns
 *                          malloc: VMSF_NO_MALLOC.)
 *
 *   VMSF_READ_MAX=K        read() and pread() of a /proc file (fd >= 3) return
 *                          at most K bytes; a pread of whole u64 entries
 *                          (pagemap, kpageflags) at most one entry, since the
 *                          kernel never cuts an entry.
 *   VMSF_READ_ALL=1        ... of any regular file too (fixture roots).
 *   VMSF_READ_SKIP_FROM=S,...  ... except the reads called from an object whose
 *                          path holds one of these words (libproc2: it reads
 *                          stat and status in one read(), which the kernel
 *                          always fills for files that small).
 *   VMSF_EIO=GLOB:K        the K-th read() or pread() of each opening of a
 *                          file whose path (readlink of /proc/self/fd/N)
 *                          matches the fnmatch(3) pattern GLOB fails with
 *                          EIO (K=1: at once; K=3: after two reads, which
 *                          is in the middle of a long smaps).
 *
 *   VMSF_TRIGGER=EV:GLOB[:K]  once, after an event EV on a file whose path
 *                          matches GLOB succeeded, and before the command
 *                          sees its result: write one line "EV PATH\n" to fd
 *                          W and wait for one byte on fd R (VMSF_SYNC=W,R).
 *                          The test does what it needs meanwhile (kill the
 *                          target, reap it, start another with its PID).
 *                          EV open: the K-th (default 1st) opening of such a
 *                          file; EV read, pread, ioctl (PAGEMAP_SCAN) or io
 *                          (any of the three): the K-th of one opening, in
 *                          the first opening that gets that far (a command
 *                          that peeks at a file first does not fire it).
 *
 *   VMSF_SCAN_ERRNO=E      every PAGEMAP_SCAN ioctl fails with errno E
 *                          (a number, or ENOTTY or EINVAL): a kernel < 6.7.
 *   VMSF_SCAN_GUARD_ERRNO=E  only those whose masks hold PAGE_IS_GUARD: a
 *                          kernel 6.7 to 6.14, which does not know it.
 *   VMSF_SCAN_LOG=FILE     append one line per PAGEMAP_SCAN call: its flags
 *                          and masks, and the result.
 *   VMSF_SCAN_ADD_FLAGS=F  OR F into every scan's flags: the control of the
 *                          test that no write-protecting scan is made (1,
 *                          PM_SCAN_WP_MATCHING, must show in the target).
 *
 *   VMSF_SIGNALS=ALRM,WINCH,...  install a handler that does nothing, without
 *                          SA_RESTART, for these signals before main(): any
 *                          blocking call of the command can then fail with
 *                          EINTR when one arrives (a signal storm's worst case).
 *
 * The shim's own I/O goes through syscall(2); it allocates nothing itself
 * (fnmatch(3) of a short path works on the stack).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* open/pread/openat are defined here under their own names, not redirected to *64 */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PROC_MAGIC 0x9fa0
#define PAGE_IS_GUARD (1u << 8)

/* The PAGEMAP_SCAN argument (linux/fs.h, 6.7), which Debian 12's headers lack. */
struct scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN_NR _IOWR('f', 16, struct scan_arg)

static volatile int armed; /* main() has started */
static bool configured;

static long malloc_fail; /* 0: never */
static bool malloc_once;
static const char *malloc_count_file;
static bool malloc_backtrace;
static unsigned long n_alloc, n_failed;

static long read_max;
static bool read_all;
static const char *read_skip_from;
static char eio_glob[512];
static long eio_nth;
/* reads of each fd since it was opened (by the open wrappers below) */
#define MAX_FD 4096
static unsigned long n_eio_reads[MAX_FD];
static unsigned long n_trig_io[MAX_FD];

enum ev { EV_NONE, EV_OPEN, EV_READ, EV_PREAD, EV_IOCTL, EV_IO };
static enum ev trig_ev;
static char trig_glob[512];
static long trig_nth = 1;
static unsigned long n_trig_opens;
static int trig_fired;
static int sync_w = -1, sync_r = -1;

static int scan_errno, scan_guard_errno;
static uint64_t scan_add_flags;
static const char *scan_log;

/* ---- small tools that neither allocate nor recurse into the shim ---- */

static size_t slen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static void put(int fd, const char *s, size_t n)
{
	while (n) {
		long w = syscall(SYS_write, fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static char *fmt_u64(char *p, uint64_t v, int base)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % (uint64_t)base];
		v /= (uint64_t)base;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static long env_long(const char *name, long dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtol(s, NULL, 0) : dflt;
}

static int errno_of(const char *s)
{
	if (!s || !*s)
		return 0;
	if (!strcmp(s, "ENOTTY"))
		return ENOTTY;
	if (!strcmp(s, "EINVAL"))
		return EINVAL;
	if (!strcmp(s, "EIO"))
		return EIO;
	return (int)strtol(s, NULL, 0);
}

static int signal_of(const char *s, size_t n)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = { { "ALRM", SIGALRM }, { "WINCH", SIGWINCH }, { "CHLD", SIGCHLD },
		     { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },	 { "URG", SIGURG },
		     { "CONT", SIGCONT }, { "PROF", SIGPROF },	 { "VTALRM", SIGVTALRM } };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (slen(sigs[i].name) == n && !strncmp(sigs[i].name, s, n))
			return sigs[i].sig;
	return 0;
}

static void nothing(int sig)
{
	(void)sig;
}

static void configure(void)
{
	const char *s;

	malloc_fail = env_long("VMSF_MALLOC_FAIL", 0);
	s = getenv("VMSF_MALLOC_MODE");
	malloc_once = s && !strcmp(s, "once");
	malloc_count_file = getenv("VMSF_MALLOC_COUNT");
	malloc_backtrace = env_long("VMSF_MALLOC_BACKTRACE", 0) != 0;
	if (malloc_backtrace) {
		void *warm[1];

		/* the first call loads libgcc_s, which allocates: not later */
		backtrace(warm, 1);
	}

	read_max = env_long("VMSF_READ_MAX", 0);
	read_all = env_long("VMSF_READ_ALL", 0) != 0;
	read_skip_from = getenv("VMSF_READ_SKIP_FROM");
	s = getenv("VMSF_EIO");
	if (s) {
		const char *colon = strrchr(s, ':');

		if (colon && (size_t)(colon - s) < sizeof(eio_glob)) {
			memcpy(eio_glob, s, (size_t)(colon - s));
			eio_nth = strtol(colon + 1, NULL, 0);
		}
	}
	s = getenv("VMSF_TRIGGER");
	if (s) {
		const char *c1 = strchr(s, ':'), *c2;
		size_t n;

		if (c1) {
			if (!strncmp(s, "open:", 5))
				trig_ev = EV_OPEN;
			else if (!strncmp(s, "read:", 5))
				trig_ev = EV_READ;
			else if (!strncmp(s, "pread:", 6))
				trig_ev = EV_PREAD;
			else if (!strncmp(s, "ioctl:", 6))
				trig_ev = EV_IOCTL;
			else if (!strncmp(s, "io:", 3))
				trig_ev = EV_IO;
			c2 = strrchr(c1 + 1, ':');
			/* a ':' followed by digits only is the count */
			if (c2 && c2[1] && strspn(c2 + 1, "0123456789") == slen(c2 + 1))
				trig_nth = strtol(c2 + 1, NULL, 10);
			else
				c2 = c1 + 1 + slen(c1 + 1);
			n = (size_t)(c2 - (c1 + 1));
			if (n < sizeof(trig_glob))
				memcpy(trig_glob, c1 + 1, n);
			else
				trig_ev = EV_NONE;
		}
		s = getenv("VMSF_SYNC");
		if (!s || sscanf(s, "%d,%d", &sync_w, &sync_r) != 2)
			trig_ev = EV_NONE;
	}
	scan_errno = errno_of(getenv("VMSF_SCAN_ERRNO"));
	scan_guard_errno = errno_of(getenv("VMSF_SCAN_GUARD_ERRNO"));
	scan_log = getenv("VMSF_SCAN_LOG");
	scan_add_flags = (uint64_t)env_long("VMSF_SCAN_ADD_FLAGS", 0);

	s = getenv("VMSF_SIGNALS");
	while (s && *s) {
		size_t n = strcspn(s, ",");
		int sig = signal_of(s, n);

		if (sig) {
			struct sigaction sa;

			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = nothing;
			sigemptyset(&sa.sa_mask);
			sa.sa_flags = 0; /* no SA_RESTART: the harshest case */
			sigaction(sig, &sa, NULL);
		}
		s += n;
		if (*s == ',')
			s++;
	}
	configured = true;
}

/* ---- main() and the end ---- */

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void),
			void *);
static main_fn real_main;

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
		      void (*rtld_fini)(void), void *stack_end);

static int shim_main(int argc, char **argv, char **envp)
{
	configure();
	armed = 1;
	return real_main(argc, argv, envp);
}

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
		      void (*rtld_fini)(void), void *stack_end)
{
	start_fn real = (start_fn)dlsym(RTLD_NEXT, "__libc_start_main");

	real_main = main;
	return real(shim_main, argc, argv, init, fini, rtld_fini, stack_end);
}

__attribute__((destructor)) static void shim_fini(void)
{
	char buf[64], *p = buf;
	int fd;

	if (!configured || !malloc_count_file)
		return;
	p = fmt_u64(p, __atomic_load_n(&n_alloc, __ATOMIC_SEQ_CST), 10);
	*p++ = ' ';
	p = fmt_u64(p, __atomic_load_n(&n_failed, __ATOMIC_SEQ_CST), 10);
	*p++ = '\n';
	fd = (int)syscall(SYS_openat, AT_FDCWD, malloc_count_file,
			  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		put(fd, buf, (size_t)(p - buf));
		syscall(SYS_close, fd);
	}
}

/* ---- allocations ---- */

#ifndef VMSF_NO_MALLOC
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

/* Does this allocation fail? */
static bool fail_now(void)
{
	unsigned long n;

	if (!armed || !configured)
		return false;
	n = __atomic_add_fetch(&n_alloc, 1, __ATOMIC_SEQ_CST);
	if (malloc_fail <= 0 || n < (unsigned long)malloc_fail ||
	    (malloc_once && n != (unsigned long)malloc_fail))
		return false;
	if (__atomic_add_fetch(&n_failed, 1, __ATOMIC_SEQ_CST) == 1 && malloc_backtrace) {
		void *bt[32];
		int depth = backtrace(bt, 32);

		put(2, "faultshim: this allocation fails:\n", 35);
		backtrace_symbols_fd(bt, depth, 2);
	}
	errno = ENOMEM;
	return true;
}

void *malloc(size_t n)
{
	return fail_now() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	/* realloc(p, 0) frees: not an allocation that can fail */
	if (p && n == 0)
		return __libc_realloc(p, n);
	return fail_now() ? NULL : __libc_realloc(p, n);
}

void *memalign(size_t align, size_t n)
{
	return fail_now() ? NULL : __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	return fail_now() ? NULL : __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	if (fail_now())
		return ENOMEM;
	p = __libc_memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t n)
{
	return fail_now() ? NULL : __libc_memalign((size_t)sysconf(_SC_PAGESIZE), n);
}

void *pvalloc(size_t n)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);

	return fail_now() ? NULL : __libc_memalign(ps, (n + ps - 1) / ps * ps);
}
#endif

/* ---- files ---- */

/* The path of @fd, in @buf (NUL-terminated, may be cut); false if unknown. */
static bool fd_path(int fd, char *buf, size_t len)
{
	char link[40], *p;
	long n;

	memcpy(link, "/proc/self/fd/", 14);
	p = fmt_u64(link + 14, (uint64_t)fd, 10);
	*p = '\0';
	n = syscall(SYS_readlinkat, AT_FDCWD, link, buf, len - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

static bool matches(const char *glob, int fd)
{
	char path[4096];

	return glob[0] && fd_path(fd, path, sizeof(path)) && fnmatch(glob, path, 0) == 0;
}

/* Tell the test that event @ev happened on @fd, and wait until it says go on. */
static void trigger(enum ev ev, int fd)
{
	static const char *const names[] = { "", "open", "read", "pread", "ioctl", "io" };
	char path[4096], c;
	int saved = errno;
	unsigned long n;

	if (!armed || __atomic_load_n(&trig_fired, __ATOMIC_SEQ_CST) ||
	    (trig_ev != ev && !(trig_ev == EV_IO && ev != EV_OPEN)) || fd < 0 || fd >= MAX_FD ||
	    !matches(trig_glob, fd))
		return;
	/* opens: counted over all; the rest: per opening of the file */
	n = ev == EV_OPEN ? __atomic_add_fetch(&n_trig_opens, 1, __ATOMIC_SEQ_CST) :
			    __atomic_add_fetch(&n_trig_io[fd], 1, __ATOMIC_SEQ_CST);
	if (n != (unsigned long)trig_nth || __atomic_exchange_n(&trig_fired, 1, __ATOMIC_SEQ_CST))
		return;
	if (!fd_path(fd, path, sizeof(path)))
		path[0] = '\0';
	put(sync_w, names[ev], slen(names[ev]));
	put(sync_w, " ", 1);
	put(sync_w, path, slen(path));
	put(sync_w, "\n", 1);
	while (syscall(SYS_read, sync_r, &c, 1) < 0 && errno == EINTR)
		;
	errno = saved;
}

/* Is @caller's object one of VMSF_READ_SKIP_FROM? */
static bool skipped_caller(const void *caller)
{
	const char *s = read_skip_from;
	Dl_info info;

	if (!s || !*s || !dladdr(caller, &info) || !info.dli_fname)
		return false;
	while (*s) {
		size_t n = strcspn(s, ",");
		char word[128];

		if (n && n < sizeof(word)) {
			memcpy(word, s, n);
			word[n] = '\0';
			if (strstr(info.dli_fname, word))
				return true;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return false;
}

static bool shaped(int fd, const void *caller)
{
	struct statfs sf;
	struct stat st;

	if (!armed || read_max <= 0 || fd < 3 || skipped_caller(caller))
		return false;
	if (syscall(SYS_fstatfs, fd, &sf) == 0 && sf.f_type == PROC_MAGIC)
		return true;
	return read_all && syscall(SYS_fstat, fd, &st) == 0 && S_ISREG(st.st_mode);
}

static bool eio_now(int fd)
{
	if (!armed || !eio_glob[0] || fd < 0 || fd >= MAX_FD || !matches(eio_glob, fd))
		return false;
	return __atomic_add_fetch(&n_eio_reads[fd], 1, __ATOMIC_SEQ_CST) == (unsigned long)eio_nth;
}

ssize_t read(int fd, void *buf, size_t n)
{
	long r;

	if (eio_now(fd)) {
		errno = EIO;
		return -1;
	}
	if (n > (size_t)read_max && shaped(fd, __builtin_return_address(0)))
		n = (size_t)read_max;
	r = syscall(SYS_read, fd, buf, n);
	if (r >= 0)
		trigger(EV_READ, fd);
	return (ssize_t)r;
}

static ssize_t do_pread(int fd, void *buf, size_t n, off_t off, const void *caller)
{
	long r;

	if (eio_now(fd)) {
		errno = EIO;
		return -1;
	}
	if (n > (size_t)read_max && shaped(fd, caller)) {
		/* whole u64 entries: one at a time; text: read_max bytes */
		if (n % 8 == 0 && off % 8 == 0)
			n = read_max >= 8 ? (size_t)read_max / 8 * 8 : 8;
		else
			n = (size_t)read_max;
	}
	r = syscall(SYS_pread64, fd, buf, n, off);
	if (r >= 0)
		trigger(EV_PREAD, fd);
	return (ssize_t)r;
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	return do_pread(fd, buf, n, off, __builtin_return_address(0));
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	return do_pread(fd, buf, n, off, __builtin_return_address(0));
}

static int open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? va_arg(ap, int) : 0;
}

int openat64(int dfd, const char *path, int flags, ...)
{
	va_list ap;
	int mode, fd;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	fd = (int)syscall(SYS_openat, dfd, path, flags, mode);
	if (fd >= 0 && fd < MAX_FD) {
		__atomic_store_n(&n_eio_reads[fd], 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&n_trig_io[fd], 0, __ATOMIC_SEQ_CST);
	}
	if (fd >= 0)
		trigger(EV_OPEN, fd);
	return fd;
}

int openat(int dfd, const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return openat64(dfd, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return openat64(AT_FDCWD, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return openat64(AT_FDCWD, path, flags, mode);
}

/* ---- PAGEMAP_SCAN ---- */

static void log_scan(const struct scan_arg *a, long r, int err)
{
	char buf[256], *p = buf;
	int fd;

	if (!scan_log)
		return;
	memcpy(p, "flags=0x", 8);
	p = fmt_u64(p + 8, a->flags, 16);
	memcpy(p, " inverted=0x", 12);
	p = fmt_u64(p + 12, a->category_inverted, 16);
	memcpy(p, " mask=0x", 8);
	p = fmt_u64(p + 8, a->category_mask, 16);
	memcpy(p, " anyof=0x", 9);
	p = fmt_u64(p + 9, a->category_anyof_mask, 16);
	memcpy(p, " return=0x", 10);
	p = fmt_u64(p + 10, a->return_mask, 16);
	if (r < 0) {
		memcpy(p, " errno=", 7);
		p = fmt_u64(p + 7, (uint64_t)err, 10);
	} else {
		memcpy(p, " regions=", 9);
		p = fmt_u64(p + 9, (uint64_t)r, 10);
	}
	*p++ = '\n';
	fd = (int)syscall(SYS_openat, AT_FDCWD, scan_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			  0600);
	if (fd >= 0) {
		put(fd, buf, (size_t)(p - buf));
		syscall(SYS_close, fd);
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	long r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (armed && req == PAGEMAP_SCAN_NR && arg) {
		struct scan_arg *a = arg;
		bool guard = (a->category_mask | a->category_anyof_mask | a->category_inverted |
			      a->return_mask) &
			     PAGE_IS_GUARD;
		int e = scan_errno ? scan_errno : (guard ? scan_guard_errno : 0);

		if (e) {
			log_scan(a, -1, e);
			errno = e;
			return -1;
		}
		a->flags |= scan_add_flags;
		r = syscall(SYS_ioctl, fd, req, arg);
		log_scan(a, r, errno);
		if (r >= 0)
			trigger(EV_IOCTL, fd);
		return (int)r;
	}
	return (int)syscall(SYS_ioctl, fd, req, arg);
}
