// SPDX-License-Identifier: GPL-2.0-or-later
/* nodump: a non-dumpable process with some memory, for access-denied tests. */

/*
 * prctl(PR_SET_DUMPABLE, 0) makes /proc/PID owned by root and refuses
 * PTRACE_MODE_READ to everyone without CAP_SYS_PTRACE, even the process's own
 * user: its smaps_rollup cannot be read by that user.  Then it writes
 * --size MiB (default 4) of anonymous memory, prints one JSON line
 * ({"pid":..,"uid":..,"dumpable":..,"size":..}) and waits for EOF on stdin.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static void fail(const char *what)
{
	fprintf(stderr, "nodump: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = 4u << 20;
	char buf[256], *p;
	ssize_t n;

	if (argc > 1) {
		char *end;
		unsigned long long mib = strtoull(argv[1], &end, 10);

		if (*end || mib == 0 || mib > 1ull << 20) {
			fprintf(stderr, "usage: nodump [MiB]   (default 4)\n");
			return 2;
		}
		size = (size_t)mib << 20;
	}
	/* Die with the test that started us, even while stopped. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		fail("prctl(PR_SET_DUMPABLE)");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fail("mmap");
	madvise(p, size, MADV_NOHUGEPAGE); /* exact figures; failure changes nothing else */
	for (size_t off = 0; off < size; off += page)
		p[off] = 'n';
	printf("{\"pid\":%d,\"uid\":%u,\"dumpable\":%d,\"size\":%zu}\n", (int)getpid(),
	       (unsigned)geteuid(), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), size);
	if (fflush(stdout))
		fail("write stdout");
	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	return 0;
}
