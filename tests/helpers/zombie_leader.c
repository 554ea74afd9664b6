// SPDX-License-Identifier: GPL-2.0-or-later
/* zombie_leader: a process whose main thread has exited while another thread holds memory. */

/*
 * The main thread allocates nothing and calls pthread_exit(), so the thread
 * group leader becomes a zombie (state Z, smaps_rollup gives ESRCH) while a
 * second thread keeps --size bytes (default 50 MiB) of written anonymous
 * memory.  Once the leader is seen as Z, the thread prints one JSON line
 * ({"pid":..,"tid":..,"size":..}) and waits for EOF on stdin, then ends the
 * whole process.  Tools that read only /proc/PID see nothing; the memory is
 * under /proc/PID/task/TID.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static size_t size = 50u << 20;
static pid_t leader;

static void fail(const char *what)
{
	fprintf(stderr, "zombie_leader: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The state letter of the leader, from /proc/PID/stat (after the last ')'). */
static char leader_state(void)
{
	char path[64], buf[1024], *paren;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)leader);
	fp = fopen(path, "re");
	if (!fp)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

static void *holder(void *arg)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char buf[256];
	char *p;
	int i;

	(void)arg;
	/* The parent-death signal is per thread: this one outlives main. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fail("mmap");
	madvise(p, size, MADV_NOHUGEPAGE); /* exact figures; failure changes nothing else */
	for (size_t off = 0; off < size; off += page)
		p[off] = 'z';
	/* Report only once the leader really is a zombie (up to 10 s). */
	for (i = 0; i < 1000 && leader_state() != 'Z'; i++)
		nanosleep(&tick, NULL);
	printf("{\"pid\":%d,\"tid\":%ld,\"size\":%zu,\"leader_state\":\"%c\"}\n", (int)leader,
	       (long)syscall(SYS_gettid), size, leader_state());
	if (fflush(stdout))
		fail("write stdout");
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	exit(0);
}

int main(int argc, char **argv)
{
	pthread_t t;
	int err;

	if (argc > 1) {
		char *end;
		unsigned long long mib = strtoull(argv[1], &end, 10);

		if (*end || mib == 0 || mib > 1ull << 20) {
			fprintf(stderr, "usage: zombie_leader [MiB]   (default 50)\n");
			return 2;
		}
		size = (size_t)mib << 20;
	}
	/* Die with the test that started us, even while stopped. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	leader = getpid();
	err = pthread_create(&t, NULL, holder, NULL);
	if (err) {
		errno = err;
		fail("pthread_create");
	}
	pthread_exit(NULL);
}
