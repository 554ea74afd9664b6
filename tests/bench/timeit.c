// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark launcher: runs one command, reports its wall time, CPU time and peak RSS. */

/*
 * timeit CMD [ARG...]
 *
 * Runs CMD with stdin and stdout on /dev/null (stderr is inherited), waits for it, and
 * prints one line of JSON:
 *   {"wall_s": 0.123456789, "user_s": ..., "sys_s": ..., "maxrss_kib": N, "exit": N}
 * ("exit" is 128+N when CMD was killed by signal N, 127 when it could not be run).
 *
 * Why not time the command from python directly: ru_maxrss survives exec(), and a
 * child forked (or vforked) from python starts out charged with python's own peak RSS
 * (~17 MiB), which would hide any tool smaller than that.  A child of this small program
 * starts from this program's size (about 1 MiB), and the wall time is taken here,
 * around the fork and the wait, without python's noise.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status, code, null;
	pid_t pid;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "Usage: timeit CMD [ARG...]\n");
		return 2;
	}
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0) {
		fprintf(stderr, "timeit: /dev/null: %s\n", strerror(errno));
		return 1;
	}
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "timeit: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		/* If the runner kills us, the command must not outlive the benchmark. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || dup2(null, 0) < 0 || dup2(null, 1) < 0)
			_exit(127);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "timeit: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "timeit: wait4: %s\n", strerror(errno));
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("{\"wall_s\": %.9f, \"user_s\": %.6f, \"sys_s\": %.6f, \"maxrss_kib\": %ld, "
	       "\"exit\": %d}\n",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       seconds(&ru.ru_utime), seconds(&ru.ru_stime), ru.ru_maxrss, code);
	return 0;
}
