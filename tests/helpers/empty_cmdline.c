// SPDX-License-Identifier: GPL-2.0-or-later
/* empty_cmdline: a user process that runs with an empty argument list (argc == 0 exec). */

/*
 * The program re-executes itself with execve(path, {NULL}, envp).  Since
 * Linux 5.18 the kernel then supplies a single empty argv[0], older kernels
 * give argc == 0; either way /proc/PID/cmdline holds no name, which is what
 * some tools take for a kernel thread.  The new image prints one JSON line
 * ({"pid":..,"argc":..,"cmdline_bytes":..}) and waits for EOF on stdin.
 */

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define MARK "VMSCOPE_EMPTY_CMDLINE_EXECED"

extern char **environ;

static void fail(const char *what)
{
	fprintf(stderr, "empty_cmdline: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	char path[PATH_MAX], buf[4096];
	ssize_t n, total = 0;
	FILE *fp;

	(void)argv;
	if (!getenv(MARK)) {
		char *const empty[] = { NULL };

		/* The real path, not /proc/self/exe, so comm keeps our name. */
		n = readlink("/proc/self/exe", path, sizeof(path) - 1);
		if (n < 0)
			fail("readlink /proc/self/exe");
		path[n] = '\0';
		if (setenv(MARK, "1", 1))
			fail("setenv");
		execve(path, empty, environ);
		fail("execve");
	}
	/* Die with the test that started us, even while stopped. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	fp = fopen("/proc/self/cmdline", "re");
	if (!fp)
		fail("open /proc/self/cmdline");
	while ((n = (ssize_t)fread(buf, 1, sizeof(buf), fp)) > 0)
		total += n;
	fclose(fp);
	printf("{\"pid\":%d,\"argc\":%d,\"cmdline_bytes\":%zd}\n", (int)getpid(), argc, total);
	if (fflush(stdout))
		fail("write stdout");
	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	return 0;
}
