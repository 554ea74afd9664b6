// SPDX-License-Identifier: GPL-2.0-or-later
/* vmtop_helper: processes for vmtop's pty tests (named ones, a tree, one whose mmap_lock is held). */

/*
 * Usage: vmtop_helper MODE [options] [-- ARGS...]; every mode prints ONE line
 * of JSON on stdout ("pid" first), then waits for commands or EOF on stdin.
 * ARGS after "--" are ignored: the tests put what they want in the command
 * line there (escape sequences, invalid UTF-8 ...).
 *
 * idle [--comm BYTES] [--pages N] [--map FILE] [--children N] [--empty-cmdline]
 *	PR_SET_NAME(BYTES) (the kernel keeps 15 bytes, whatever they are);
 *	writes N pages of a private anonymous region of its own (default 0);
 *	maps FILE read-only and reads every page (the detail view then lists
 *	it by name); forks N children that do the same wait (they die with
 *	the parent: PR_SET_PDEATHSIG).  JSON: {"pid","mode":"idle",
 *	"children":[pids],"region_start","region_end","map_start","map_end"}.
 *	EOF on stdin (or SIGTERM): exit 0.  --empty-cmdline: first re-executes
 *	itself with an empty argument list, so that /proc/PID/cmdline is empty
 *	and tools show the comm ("[comm]"); only --comm carries over (through
 *	the environment).
 *
 * lock
 *	A process whose mmap_lock stays taken for as long as the test wants,
 *	so that every reader of its smaps, smaps_rollup or cmdline blocks.
 *	Needs root and /dev/fuse.  In a private mount namespace it mounts a
 *	FUSE file system that it serves itself, from a child process; the file
 *	"slow" in it is mapped (never read yet); the mount point is on a tmpfs
 *	of its own over /tmp, so nothing is left behind if it is killed.  On "lock": thread A reads
 *	that page through /proc/self/mem, which faults it in with the
 *	mmap_lock held for reading and without the right to drop it (a
 *	remote access, unlike an ordinary fault); the FUSE server holds the
 *	READ request, so the fault waits.  Then thread B calls mmap(), a
 *	writer that queues behind A, and from then on every new reader queues
 *	behind B.  JSON then {"locked":true,"reader_tid","writer_tid"}.  On
 *	"release" (or EOF) the server answers, A and B finish:
 *	{"released":true,"read":n}.  Both threads exist before anything is
 *	locked (creating a thread maps its stack: a writer too).
 *	When it cannot (not root, no FUSE): {"pid","mode":"lock","ok":false,
 *	"why":"..."} and exit 0 at EOF; else {"pid","mode":"lock","ok":true}.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif

static const char *prog = "vmtop_helper";
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
		"usage: %s idle [--comm BYTES] [--pages N] [--map FILE] [--children N] [-- ARGS...]\n"
		"       %s lock\n",
		prog, prog);
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

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Until EOF on stdin: the test closes it to end us. */
static void wait_eof(void)
{
	char buf[256];

	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EINTR))
			return;
	}
}

/* ---------------------------------------------------------------------- */
/* idle */

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

#define REEXEC_MARK "VMTOP_HELPER_REEXEC"
#define REEXEC_COMM "VMTOP_HELPER_COMM"

extern char **environ;

/* execve() ourselves with argv = { NULL }: since Linux 5.18 the kernel then
 * supplies one empty argv[0], before that argc is 0; either way the new
 * image's cmdline is empty. */
static void reexec_empty(const char *comm)
{
	char *const empty[] = { NULL };

	if (setenv(REEXEC_MARK, "1", 1) || (comm && setenv(REEXEC_COMM, comm, 1)))
		die("setenv");
	execve("/proc/self/exe", empty, environ);
	die("execve /proc/self/exe");
}

static int mode_idle(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "comm", required_argument, NULL, 'c' },
		{ "pages", required_argument, NULL, 'p' },
		{ "map", required_argument, NULL, 'm' },
		{ "children", required_argument, NULL, 'k' },
		{ "empty-cmdline", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *comm = NULL, *map = NULL;
	long pages = 0, children = 0;
	bool empty = false;
	char *region = NULL, *mapped = NULL;
	size_t map_len = 0;
	pid_t kids[64];
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			comm = optarg;
			break;
		case 'p':
			pages = number(optarg, "--pages", 0, 1L << 20);
			break;
		case 'm':
			map = optarg;
			break;
		case 'k':
			children = number(optarg, "--children", 0, 64);
			break;
		case 'e':
			empty = true;
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (empty)
		reexec_empty(comm);
	signal(SIGTERM, on_term);
	if (comm && prctl(PR_SET_NAME, comm, 0, 0, 0))
		die("prctl(PR_SET_NAME)");
	if (pages) {
		size_t size = (size_t)pages * page_size;
		char *base = mmap(NULL, size + 2 * page_size, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (base == MAP_FAILED)
			die("mmap %ld pages", pages);
		region = base + page_size;
		/* a VMA of its own (PROT_NONE on each side), and no THP */
		if (mprotect(region, size, PROT_READ | PROT_WRITE))
			die("mprotect");
		if (madvise(region, size, MADV_NOHUGEPAGE) && errno != EINVAL)
			die("madvise(MADV_NOHUGEPAGE)");
		for (long i = 0; i < pages; i++)
			region[(size_t)i * page_size] = (char)(i | 1);
	}
	if (map) {
		int fd = open(map, O_RDONLY | O_CLOEXEC);
		struct stat st;
		volatile char sink = 0;

		if (fd < 0 || fstat(fd, &st))
			die("open %s", map);
		map_len = (size_t)st.st_size;
		if (!map_len)
			die("%s is empty", map);
		mapped = mmap(NULL, map_len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (mapped == MAP_FAILED)
			die("mmap %s", map);
		close(fd);
		for (size_t off = 0; off < map_len; off += page_size)
			sink = (char)(sink + mapped[off]);
		(void)sink;
	}
	fflush(stdout);
	for (long i = 0; i < children; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
			if (getppid() == 1)
				_exit(0);
			/* stdin stays shared with the parent: it must not eat the EOF */
			for (;;)
				pause();
		}
		kids[i] = pid;
	}
	printf("{\"pid\":%d,\"mode\":\"idle\",\"children\":[", (int)getpid());
	for (long i = 0; i < children; i++)
		printf("%s%d", i ? "," : "", (int)kids[i]);
	printf("]");
	if (region)
		printf(",\"region_start\":\"0x%" PRIxPTR "\",\"region_end\":\"0x%" PRIxPTR "\"",
		       (uintptr_t)region, (uintptr_t)region + (size_t)pages * page_size);
	if (mapped)
		printf(",\"map_start\":\"0x%" PRIxPTR "\",\"map_end\":\"0x%" PRIxPTR "\"",
		       (uintptr_t)mapped, (uintptr_t)mapped + map_len);
	printf("}\n");
	fflush(stdout);
	wait_eof();
	for (long i = 0; i < children; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* lock: a FUSE server of one file whose reads wait for the test */

#define FUSE_BUF (1u << 20)
#define SLOW_INO 2
#define SLOW_SIZE (1u << 20)
#define MAX_HELD 64

struct held {
	uint64_t unique;
	uint32_t size;
};

static int fuse_reply(int fd, uint64_t unique, int error, const void *data, size_t len)
{
	struct fuse_out_header h = { .len = (uint32_t)(sizeof(h) + len),
				     .error = error,
				     .unique = unique };
	char buf[sizeof(h) + 4096];
	const void *src = buf;
	size_t n = sizeof(h) + len;
	char *big = NULL;

	if (len > 4096) {
		big = malloc(n);
		if (!big)
			return -1;
		src = big;
	}
	memcpy(big ? big : buf, &h, sizeof(h));
	if (len)
		memcpy((big ? big : buf) + sizeof(h), data, len);
	/* ENOENT: the request was interrupted meanwhile; nothing to do */
	if (write(fd, src, n) < 0 && errno != ENOENT) {
		free(big);
		return -1;
	}
	free(big);
	return 0;
}

static void fill_attr(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->nlink = 1;
	a->blksize = 4096;
	if (ino == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0555;
		a->nlink = 2;
	} else {
		a->mode = S_IFREG | 0444;
		a->size = SLOW_SIZE;
		a->blocks = SLOW_SIZE / 512;
	}
}

/* Answer the held READs with pages of 'x'. */
static void release_held(int fd, struct held *held, size_t *nheld)
{
	static char data[128 * 1024];

	memset(data, 'x', sizeof(data));
	for (size_t i = 0; i < *nheld; i++) {
		uint32_t n = held[i].size < sizeof(data) ? held[i].size : sizeof(data);

		fuse_reply(fd, held[i].unique, 0, data, n);
	}
	*nheld = 0;
}

/* The server: the child's loop.  @ctl: a byte from the parent releases the
 * held reads (and every later one is answered at once); EOF ends it. */
static void fuse_serve(int fd, int ctl)
{
	char *buf = malloc(FUSE_BUF + 4096);
	struct held held[MAX_HELD];
	size_t nheld = 0;
	bool hold = true;

	if (!buf)
		_exit(1);
	for (;;) {
		fd_set rd;
		ssize_t n;
		struct fuse_in_header *in = (struct fuse_in_header *)buf;
		void *arg = buf + sizeof(*in);

		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		FD_SET(ctl, &rd);
		if (select((fd > ctl ? fd : ctl) + 1, &rd, NULL, NULL, NULL) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (FD_ISSET(ctl, &rd)) {
			char b;

			n = read(ctl, &b, 1);
			release_held(fd, held, &nheld);
			hold = false;
			if (n <= 0)
				_exit(0);
		}
		if (!FD_ISSET(fd, &rd))
			continue;
		n = read(fd, buf, FUSE_BUF + 4096);
		if (n < 0) {
			if (errno == EINTR || errno == ENOENT || errno == EAGAIN)
				continue;
			_exit(0); /* ENODEV: unmounted */
		}
		if ((size_t)n < sizeof(*in))
			continue;
		switch (in->opcode) {
		case FUSE_INIT: {
			const struct fuse_init_in *ii = arg;
			struct fuse_init_out out;

			memset(&out, 0, sizeof(out));
			out.major = FUSE_KERNEL_VERSION;
			out.minor = ii->minor < FUSE_KERNEL_MINOR_VERSION ?
					    ii->minor :
					    FUSE_KERNEL_MINOR_VERSION;
			out.max_readahead = ii->max_readahead;
			out.max_write = 4096;
			out.max_background = 16;
			out.congestion_threshold = 12;
			fuse_reply(fd, in->unique, 0, &out,
				   out.minor < 23 ? FUSE_COMPAT_22_INIT_OUT_SIZE : sizeof(out));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out out;

			if (in->nodeid != FUSE_ROOT_ID || strcmp(arg, "slow")) {
				fuse_reply(fd, in->unique, -ENOENT, NULL, 0);
				break;
			}
			memset(&out, 0, sizeof(out));
			out.nodeid = SLOW_INO;
			out.generation = 1;
			out.entry_valid = 3600;
			out.attr_valid = 3600;
			fill_attr(&out.attr, SLOW_INO);
			fuse_reply(fd, in->unique, 0, &out, sizeof(out));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out out;

			memset(&out, 0, sizeof(out));
			out.attr_valid = 3600;
			fill_attr(&out.attr, in->nodeid);
			fuse_reply(fd, in->unique, 0, &out, sizeof(out));
			break;
		}
		case FUSE_OPEN:
		case FUSE_OPENDIR: {
			struct fuse_open_out out;

			memset(&out, 0, sizeof(out));
			out.fh = 1;
			/* page cache on: the mapping is filled by READ requests */
			out.open_flags = FOPEN_KEEP_CACHE;
			fuse_reply(fd, in->unique, 0, &out, sizeof(out));
			break;
		}
		case FUSE_READ: {
			const struct fuse_read_in *ri = arg;
			struct held now = { in->unique, ri->size };
			size_t one = 1;

			if (hold && nheld < MAX_HELD) {
				held[nheld++] = now;
				break;
			}
			release_held(fd, &now, &one);
			break;
		}
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break; /* no reply */
		case FUSE_FLUSH:
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
			fuse_reply(fd, in->unique, 0, NULL, 0);
			break;
		case FUSE_DESTROY:
			fuse_reply(fd, in->unique, 0, NULL, 0);
			_exit(0);
		default:
			fuse_reply(fd, in->unique, -ENOSYS, NULL, 0);
			break;
		}
	}
}

struct lock_state {
	int reader_go[2], writer_go[2];
	int memfd;
	const char *page;
	volatile pid_t reader_tid, writer_tid;
	volatile int read_result;
	volatile int writer_done;
};

static void *reader_thread(void *p)
{
	struct lock_state *s = p;
	char b, out[16];

	s->reader_tid = (pid_t)syscall(SYS_gettid);
	if (read(s->reader_go[0], &b, 1) != 1)
		return NULL;
	/* __access_remote_vm(): mmap_read_lock, then a fault that may not retry */
	s->read_result = (int)pread(s->memfd, out, 1, (off_t)(uintptr_t)s->page);
	return NULL;
}

static void *writer_thread(void *p)
{
	struct lock_state *s = p;
	char b;
	void *m;

	s->writer_tid = (pid_t)syscall(SYS_gettid);
	if (read(s->writer_go[0], &b, 1) != 1)
		return NULL;
	m = mmap(NULL, page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m != MAP_FAILED)
		munmap(m, page_size);
	s->writer_done = 1;
	return NULL;
}

static void json_why(const char *what)
{
	printf("{\"pid\":%d,\"mode\":\"lock\",\"ok\":false,\"why\":\"%s: %s\"}\n", (int)getpid(),
	       what, strerror(errno));
	fflush(stdout);
	wait_eof();
	exit(0);
}

static int mode_lock(int argc, char **argv)
{
	static struct lock_state s;
	char dir[] = "/tmp/vmtop-lock-XXXXXX", path[64], opts[128], line[64];
	int fd, ctl[2];
	pid_t server;
	pthread_t rt, wt;
	bool locked = false;

	(void)argc;
	(void)argv;
	if (geteuid() != 0) {
		errno = EPERM;
		json_why("mounting FUSE needs root");
	}
	/* the mount is ours alone, and goes away with us */
	if (unshare(CLONE_NEWNS))
		json_why("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		json_why("mount --make-rprivate /");
	/* a tmpfs of our own over /tmp: no mount point is left behind if we are killed */
	if (mount("vmtop_helper", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=700"))
		json_why("mount tmpfs on /tmp");
	if (!mkdtemp(dir))
		json_why("mkdtemp");
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		json_why("open /dev/fuse");
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (mount("vmtop_helper", dir, "fuse", MS_NOSUID | MS_NODEV, opts))
		json_why("mount fuse");
	if (pipe2(ctl, O_CLOEXEC))
		die("pipe");
	fflush(stdout);
	server = fork();
	if (server < 0)
		die("fork");
	if (server == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		close(ctl[1]);
		fuse_serve(fd, ctl[0]);
		_exit(0);
	}
	close(ctl[0]);
	close(fd);

	snprintf(path, sizeof(path), "%s/slow", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s", path);
	s.page = mmap(NULL, SLOW_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (s.page == MAP_FAILED)
		die("mmap %s", path);
	close(fd);
	s.memfd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	if (s.memfd < 0)
		die("open /proc/self/mem");
	if (pipe2(s.reader_go, O_CLOEXEC) || pipe2(s.writer_go, O_CLOEXEC))
		die("pipe");
	s.read_result = -2;
	if (pthread_create(&rt, NULL, reader_thread, &s) ||
	    pthread_create(&wt, NULL, writer_thread, &s))
		die("pthread_create");
	while (!s.reader_tid || !s.writer_tid)
		sleep_ms(1);
	printf("{\"pid\":%d,\"mode\":\"lock\",\"ok\":true,\"reader_tid\":%d,\"writer_tid\":%d}\n",
	       (int)getpid(), (int)s.reader_tid, (int)s.writer_tid);
	fflush(stdout);

	/* From "lock" on, this thread must not fault: fixed buffers, no stdio
	 * growth (the output buffer is allocated by the first printf above). */
	for (;;) {
		ssize_t n = 0;
		size_t len = 0;

		while (len < sizeof(line) - 1) {
			n = read(0, line + len, 1);
			if (n <= 0 || line[len] == '\n')
				break;
			len++;
		}
		line[len] = '\0';
		if (n <= 0)
			break;
		if (!strcmp(line, "lock") && !locked) {
			locked = true;
			if (write(s.reader_go[1], "g", 1) != 1)
				die("write");
			/* the reader must hold the lock before the writer queues */
			sleep_ms(300);
			if (write(s.writer_go[1], "g", 1) != 1)
				die("write");
			sleep_ms(100);
			printf("{\"locked\":true,\"reader_tid\":%d,\"writer_tid\":%d,"
			       "\"writer_done\":%s}\n",
			       (int)s.reader_tid, (int)s.writer_tid,
			       s.writer_done ? "true" : "false");
			fflush(stdout);
		} else if (!strcmp(line, "release")) {
			break;
		}
	}
	if (write(ctl[1], "r", 1) != 1)
		die("write");
	if (!locked) {
		/* let the threads end */
		if (write(s.reader_go[1], "g", 1) != 1 || write(s.writer_go[1], "g", 1) != 1)
			die("write");
	}
	pthread_join(rt, NULL);
	pthread_join(wt, NULL);
	printf("{\"released\":true,\"read\":%d}\n", s.read_result);
	fflush(stdout);
	close(ctl[1]);
	munmap((void *)s.page, SLOW_SIZE);
	umount2(dir, MNT_DETACH);
	waitpid(server, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode;

	page_size = (size_t)sysconf(_SC_PAGESIZE);
	if ((argc == 0 || (argc == 1 && !argv[0][0])) && getenv(REEXEC_MARK)) {
		/* the image reexec_empty() started: idle, with the comm it was given */
		static char comm_opt[] = "--comm", mode_arg[] = "idle";
		char *args[] = { mode_arg, comm_opt, getenv(REEXEC_COMM), NULL };

		unsetenv(REEXEC_MARK);
		return mode_idle(args[2] ? 3 : 1, args);
	}
	if (argc < 2)
		usage(stderr, 2);
	mode = argv[1];
	if (!strcmp(mode, "-h") || !strcmp(mode, "--help"))
		usage(stdout, 0);
	argc--;
	argv++;
	if (!strcmp(mode, "idle"))
		return mode_idle(argc, argv);
	if (!strcmp(mode, "lock"))
		return mode_lock(argc, argv);
	usage(stderr, 2);
	return 2;
}
