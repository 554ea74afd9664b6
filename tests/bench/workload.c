// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark workload: many processes, many mappings or a sparse address space. */

/*
 * Usage: workload [-t SECONDS] [-s] procs N [SHARED_MIB [PRIVATE_MIB]]
 *        workload [-t SECONDS] maps N
 *        workload [-t SECONDS] sparse [SIZE]
 *
 * Once the layout is in place, one line of JSON goes to stdout
 * ({"mode": ..., "leader": PID, "pids": [...], ...}); then the workload waits for
 * SIGTERM, SIGINT or SIGHUP (or -t SECONDS), kills and reaps every process it made,
 * restores anything it changed, and exits 0.
 *
 * It never leaves processes behind: every child asks for SIGKILL when the leader dies
 * (PR_SET_PDEATHSIG), and the leader asks for SIGTERM when whoever started it dies, so
 * a runner killed with SIGKILL still takes the whole workload down with it.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define MIB (1024UL * 1024UL)
#define HPAGE_SIZE (2UL * MIB)

static const char *prog = "workload";
static size_t page_size;

/* What the leader must undo before it exits. */
static pid_t *children;
static size_t nr_children;
static long saved_max_map_count = -1;
/* -s: procs page their private region out */
static bool page_out;

static void warn_errno(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [-t SECONDS] [-s] procs N [SHARED_MIB [PRIVATE_MIB]]\n"
		"       %s [-t SECONDS] maps N\n"
		"       %s [-t SECONDS] sparse [SIZE]\n"
		"\n"
		"Build a memory layout for the vmscope benchmark, print its pids as one line\n"
		"of JSON on stdout, then wait for SIGTERM/SIGINT/SIGHUP and clean up.\n"
		"\n"
		"  procs N     N children sharing a MAP_SHARED region (default 4 MiB) and\n"
		"              copy-on-write pages of a private region (default 4 MiB)\n"
		"  -s          procs: the private region goes to swap (MADV_PAGEOUT) before\n"
		"              the fork, so the children share its swap slots; each child\n"
		"              then pushes its own copied slice to swap too\n"
		"  maps N      one process with N mappings (raises vm.max_map_count if needed,\n"
		"              root only, and restores it on exit)\n"
		"  sparse SIZE one process with a SIZE (default 8G) sparse address space: dense\n"
		"              4 KiB pages, scattered pages, a THP part, a part paged out to swap\n"
		"  -t SECONDS  exit by itself after SECONDS even without a signal\n",
		prog, prog, prog);
}

static int parse_ulong(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	*out = strtoul(s, &end, 10);
	if (errno || *end)
		return -1;
	return 0;
}

/* "8G", "64M", "512K" or plain bytes, 1024-based. */
static int parse_size(const char *s, unsigned long *out)
{
	unsigned long v, mult = 1;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1024UL;
		end++;
		break;
	case 'm':
	case 'M':
		mult = MIB;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1024UL * MIB;
		end++;
		break;
	case 't':
	case 'T':
		mult = 1024UL * 1024UL * MIB;
		end++;
		break;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end || (mult > 1 && v > ULONG_MAX / mult))
		return -1;
	*out = v * mult;
	return 0;
}

/*
 * The signals that end the workload stay blocked in the leader and are collected with
 * sigwaitinfo(), so no handler can run in the middle of setting up the layout.
 */
static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGALRM);
}

static int read_long_file(const char *path, long *out)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	*out = strtol(buf, NULL, 10);
	return 0;
}

static int write_long_file(const char *path, long v)
{
	char buf[64];
	int fd, len, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%ld\n", v);
	if (write(fd, buf, (size_t)len) != len)
		ret = -1;
	if (close(fd))
		ret = -1;
	return ret;
}

static void restore_max_map_count(void)
{
	if (saved_max_map_count < 0)
		return;
	if (write_long_file("/proc/sys/vm/max_map_count", saved_max_map_count))
		fprintf(stderr, "%s: cannot restore vm.max_map_count to %ld: %s\n", prog,
			saved_max_map_count, strerror(errno));
	saved_max_map_count = -1;
}

static void kill_children(void)
{
	size_t i;

	for (i = 0; i < nr_children; i++)
		if (children[i] > 0)
			kill(children[i], SIGKILL);
	for (i = 0; i < nr_children; i++) {
		if (children[i] <= 0)
			continue;
		while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR)
			;
		children[i] = 0;
	}
	nr_children = 0;
}

static void cleanup(void)
{
	kill_children();
	restore_max_map_count();
}

/* Wait for a stop signal or the -t alarm; children that die early are reaped later. */
static void wait_for_stop(void)
{
	sigset_t set;
	int sig;

	stop_signals(&set);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig < 0 && errno == EINTR)
			continue;
		break;
	}
}

/*
 * The ready line starts with the mode and the pids; each mode adds its own fields
 * (numbers and fixed names only, so printf is enough) and then calls end_ready_line().
 */
static void begin_ready_line(const char *mode)
{
	size_t i;

	printf("{\"mode\": \"%s\", \"leader\": %d, \"pids\": [%d", mode, (int)getpid(),
	       (int)getpid());
	for (i = 0; i < nr_children; i++)
		printf(", %d", (int)children[i]);
	printf("]");
}

/* Whoever started us waits for this line: if it cannot be written, give up. */
static int end_ready_line(void)
{
	printf("}\n");
	if (fflush(stdout) || ferror(stdout)) {
		warn_errno("write to stdout");
		return -1;
	}
	return 0;
}

/* Read one kB figure from our own smaps_rollup; -1 if the key is absent. */
static long self_rollup_kb(const char *key)
{
	char buf[4096];
	size_t len = 0, klen = strlen(key);
	ssize_t n;
	char *p;
	int fd;

	fd = open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	for (p = buf; (p = strstr(p, key)); p += klen) {
		if ((p == buf || p[-1] == '\n') && p[klen] == ':')
			return strtol(p + klen + 1, NULL, 10);
	}
	return -1;
}

/* ---- procs ------------------------------------------------------------------ */

static void child_main(unsigned long idx, pid_t leader, int ready_fd, volatile char *shared,
		       size_t shared_len, volatile char *priv, size_t priv_len)
{
	const size_t slice = 64 * 1024;
	sigset_t set;
	size_t off, i;
	char c = 1;
	unsigned long sum = 0;

	/* Die with the leader, even if it is SIGKILLed; it may already be gone. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != leader)
		_exit(1);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);

	/* fork() does not copy page tables of shared mappings: fault them in (read). */
	for (off = 0; off < shared_len; off += page_size)
		sum += (unsigned long)shared[off];
	/* One 64 KiB slice of the private region becomes this child's own (COW) copy. */
	off = (idx * slice) % priv_len;
	for (i = 0; i < slice && off + i < priv_len; i += page_size)
		priv[off + i] = (char)(idx + sum);
	/* -s: the copied slice becomes a swap slot of this child alone */
	if (page_out && madvise((char *)priv + off, slice < priv_len - off ? slice : priv_len - off,
				MADV_PAGEOUT))
		_exit(1);

	if (write(ready_fd, &c, 1) != 1)
		_exit(1);
	close(ready_fd);
	for (;;)
		pause();
}

static int run_procs(unsigned long n, unsigned long shared_mib, unsigned long priv_mib)
{
	size_t shared_len = shared_mib * MIB, priv_len = priv_mib * MIB, off;
	pid_t leader = getpid();
	char *shared, *priv;
	unsigned long i, ready = 0;
	int pipefd[2];
	char buf[256];
	ssize_t r;
	pid_t pid;

	if (!shared_mib || !priv_mib || shared_mib > 65536 || priv_mib > 65536) {
		fprintf(stderr, "%s: region sizes must be between 1 and 65536 MiB\n", prog);
		return 1;
	}
	shared = mmap(NULL, shared_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		warn_errno("mmap shared region");
		return 1;
	}
	priv = mmap(NULL, priv_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (priv == MAP_FAILED) {
		warn_errno("mmap private region");
		return 1;
	}
	for (off = 0; off < shared_len; off += page_size)
		shared[off] = 's';
	for (off = 0; off < priv_len; off += page_size)
		priv[off] = 'p';
	/* -s: before the fork, so that every child inherits the same swap entries */
	if (page_out && madvise(priv, priv_len, MADV_PAGEOUT)) {
		warn_errno("MADV_PAGEOUT");
		return 1;
	}

	children = calloc(n ? n : 1, sizeof(*children));
	if (!children) {
		warn_errno("calloc");
		return 1;
	}
	if (pipe2(pipefd, O_CLOEXEC)) {
		warn_errno("pipe");
		return 1;
	}
	fflush(stdout);
	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0) {
			warn_errno("fork");
			goto fail;
		}
		if (pid == 0) {
			close(pipefd[0]);
			child_main(i, leader, pipefd[1], shared, shared_len, priv, priv_len);
		}
		children[nr_children++] = pid;
	}
	close(pipefd[1]);

	/* Each child writes a byte when its pages are in place; EOF means one failed. */
	while (ready < n) {
		r = read(pipefd[0], buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "%s: only %lu of %lu children became ready\n", prog, ready,
				n);
			goto fail;
		}
		ready += (unsigned long)r;
	}
	close(pipefd[0]);

	begin_ready_line("procs");
	printf(", \"shared_bytes\": %zu, \"private_bytes\": %zu, \"paged_out\": %s", shared_len,
	       priv_len, page_out ? "true" : "false");
	if (end_ready_line())
		goto fail;
	wait_for_stop();
	cleanup();
	return 0;

fail:
	cleanup();
	return 1;
}

/* ---- maps ------------------------------------------------------------------- */

static int raise_max_map_count(unsigned long n)
{
	/* Our own libraries, stack and so on need some mappings besides the N. */
	long need = (long)n + 1000, cur;

	if (read_long_file("/proc/sys/vm/max_map_count", &cur)) {
		warn_errno("read /proc/sys/vm/max_map_count");
		return -1;
	}
	if (cur >= need)
		return 0;
	if (geteuid() != 0) {
		fprintf(stderr,
			"%s: %lu mappings need vm.max_map_count >= %ld (now %ld); run as root or raise it first\n",
			prog, n, need, cur);
		return -1;
	}
	if (write_long_file("/proc/sys/vm/max_map_count", need)) {
		warn_errno("raise vm.max_map_count");
		return -1;
	}
	saved_max_map_count = cur;
	return 0;
}

static int run_maps(unsigned long n)
{
	volatile char *base;
	unsigned long i;
	size_t len;

	if (n < 2) {
		fprintf(stderr, "%s: maps needs N >= 2\n", prog);
		return 1;
	}
	if (raise_max_map_count(n))
		return 1;
	len = n * page_size;
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		warn_errno("mmap");
		goto fail;
	}
	/* Every other page read-only: neighbours differ, so they cannot be merged. */
	for (i = 1; i < n; i += 2) {
		if (mprotect((char *)base + i * page_size, page_size, PROT_READ)) {
			warn_errno("mprotect");
			goto fail;
		}
	}
	/* Touch some: write every 4th page, read (zero page) every 8th read-only one. */
	for (i = 0; i < n; i += 4)
		base[i * page_size] = 'm';
	for (i = 1; i < n; i += 8)
		(void)base[i * page_size];

	begin_ready_line("maps");
	printf(", \"mappings\": %lu, \"base\": \"0x%" PRIxPTR "\"", n, (uintptr_t)base);
	if (end_ready_line())
		goto fail;
	wait_for_stop();
	cleanup();
	return 0;

fail:
	cleanup();
	return 1;
}

/* ---- sparse ----------------------------------------------------------------- */

struct part {
	const char *name;
	size_t off, len;
	size_t stride; /* touch one page every stride bytes */
	int advice;
};

static bool swap_is_on(void)
{
	char buf[512];
	ssize_t n;
	int fd, lines = 0;

	fd = open("/proc/swaps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	/* A header line, then one line per active swap area. */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return lines > 1;
}

static size_t round_hpage(size_t v)
{
	v = (v + HPAGE_SIZE - 1) & ~(HPAGE_SIZE - 1);
	return v ? v : HPAGE_SIZE;
}

static int run_sparse(unsigned long size)
{
	struct part parts[] = {
		{ "dense", 0, size / 32, page_size, MADV_NOHUGEPAGE },
		{ "scattered", size / 8, size / 8, 8 * page_size, MADV_NOHUGEPAGE },
		{ "thp", size / 2, size / 8, page_size, MADV_HUGEPAGE },
		{ "swap", 3 * (size / 4), size / 64, page_size, MADV_NOHUGEPAGE },
	};
	bool swap_on = swap_is_on();
	size_t i, off;
	char *raw, *base;

	if (size < 32 * MIB || size % HPAGE_SIZE) {
		fprintf(stderr, "%s: sparse SIZE must be a multiple of 2 MiB, at least 32 MiB\n",
			prog);
		return 1;
	}
	/* Reserve 2 MiB more and trim the ends, so the THP part can be 2 MiB aligned. */
	raw = mmap(NULL, size + HPAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED) {
		warn_errno("mmap");
		return 1;
	}
	base = (char *)(((uintptr_t)raw + HPAGE_SIZE - 1) & ~(uintptr_t)(HPAGE_SIZE - 1));
	if (base > raw)
		munmap(raw, (size_t)(base - raw));
	if (base + size < raw + size + HPAGE_SIZE)
		munmap(base + size, (size_t)(raw + size + HPAGE_SIZE - (base + size)));

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		struct part *p = &parts[i];

		p->off = p->off & ~(HPAGE_SIZE - 1);
		p->len = round_hpage(p->len);
		if (madvise(base + p->off, p->len, p->advice))
			fprintf(stderr, "%s: madvise %s: %s (continuing)\n", prog, p->name,
				strerror(errno));
		for (off = 0; off < p->len; off += p->stride)
			base[p->off + off] = 'x';
		if (!strcmp(p->name, "swap") && swap_on &&
		    madvise(base + p->off, p->len, MADV_PAGEOUT))
			fprintf(stderr, "%s: MADV_PAGEOUT: %s (continuing)\n", prog,
				strerror(errno));
	}

	begin_ready_line("sparse");
	printf(", \"base\": \"0x%" PRIxPTR "\", \"size\": %lu, \"swap_on\": %s", (uintptr_t)base,
	       size, swap_on ? "true" : "false");
	printf(", \"rss_kb\": %ld, \"anon_huge_pages_kb\": %ld, \"swap_kb\": %ld",
	       self_rollup_kb("Rss"), self_rollup_kb("AnonHugePages"), self_rollup_kb("Swap"));
	printf(", \"parts\": [");
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		printf("%s{\"name\": \"%s\", \"start\": \"0x%" PRIxPTR "\", \"length\": %zu, "
		       "\"stride\": %zu}",
		       i ? ", " : "", parts[i].name, (uintptr_t)(base + parts[i].off), parts[i].len,
		       parts[i].stride);
	printf("]");
	if (end_ready_line())
		return 1;
	wait_for_stop();
	cleanup();
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n, a = 4, b = 4, timeout = 0;
	pid_t parent = getppid();
	sigset_t set;
	int argi = 1;

	page_size = (size_t)sysconf(_SC_PAGESIZE);
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "-t")) {
		if (parse_ulong(argv[2], &timeout)) {
			fprintf(stderr, "%s: bad timeout '%s'\n", prog, argv[2]);
			return 2;
		}
		argi = 3;
	}
	if (argc > argi && !strcmp(argv[argi], "-s")) {
		page_out = true;
		argi++;
	}
	if (argc <= argi) {
		usage(stderr);
		return 2;
	}

	/* Block the stop signals before any child exists; children unblock them. */
	stop_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* Whoever started us may die without cleaning up: then stop, as if told to. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent) {
		fprintf(stderr, "%s: parent already gone\n", prog);
		return 1;
	}
	if (timeout)
		alarm((unsigned int)timeout);

	if (!strcmp(argv[argi], "procs") && argc - argi >= 2 && argc - argi <= 4) {
		if (parse_ulong(argv[argi + 1], &n) ||
		    (argc - argi > 2 && parse_ulong(argv[argi + 2], &a)) ||
		    (argc - argi > 3 && parse_ulong(argv[argi + 3], &b))) {
			usage(stderr);
			return 2;
		}
		return run_procs(n, a, b);
	}
	if (!strcmp(argv[argi], "maps") && argc - argi == 2) {
		if (parse_ulong(argv[argi + 1], &n)) {
			usage(stderr);
			return 2;
		}
		return run_maps(n);
	}
	if (!strcmp(argv[argi], "sparse") && argc - argi <= 2) {
		n = 8 * 1024 * MIB;
		if (argc - argi == 2 && parse_size(argv[argi + 1], &n)) {
			fprintf(stderr, "%s: bad size '%s'\n", prog, argv[argi + 1]);
			return 2;
		}
		return run_sparse(n);
	}
	usage(stderr);
	return 2;
}
