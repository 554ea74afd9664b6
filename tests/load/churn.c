// SPDX-License-Identifier: GPL-2.0-or-later
/* churn: keeps processes, some multi-threaded, being created and exiting (load tests). */

/*
 * churn [-s SPAWNERS] [-c MAXLIVE] [-l MS] [-T THREADS] [-f EVERY] [-r RATE] [-t SECONDS]
 *
 * The leader forks SPAWNERS processes; each forks children as fast as RATE
 * (forks per second per spawner, 0 = no limit) lets it, keeping at most
 * MAXLIVE of them alive.  A child lives a random 0..MS milliseconds with a
 * few written pages; every EVERY-th child first starts THREADS threads with
 * 64 KiB stacks, which live as long as it (in half of those, the main thread
 * ends first and leaves a zombie leader until they end).  So a scan of /proc meets
 * processes that vanish at every step: before their directory is opened,
 * between two files, as zombies, with threads coming and going.
 *
 * Once the spawners run, one line: {"leader": PID, "spawners": [PID, ...]}.
 * It stops on SIGTERM, SIGINT or SIGHUP (or after -t SECONDS, 300 by default,
 * so nothing churns forever), kills and reaps everything it made, and prints
 * {"created": N, "threaded": N, "fork_failures": N, "seconds": S}.
 * The leader is a child subreaper and every process it makes dies with its
 * parent (PR_SET_PDEATHSIG), so nothing is left behind even if it is killed.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SPAWNERS 16

struct shared {
	atomic_ulong created, threaded, fork_failures;
};

static struct shared *sh;
static unsigned int nspawners = 2, maxlive = 300, life_ms = 100, nthreads = 4, every = 8;
static unsigned int rate = 1000, seconds = 300;
static volatile sig_atomic_t stop;
static pid_t *live;
/* some written pages in every child, so that its smaps_rollup has figures */
static char scratch[16 * 4096];

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop)
		;
}

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic per spawner, no locking, no libc state */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static void die_with_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* the parent may have died before the prctl took effect */
	if (getppid() != parent)
		_exit(0);
}

static void *thread_main(void *arg)
{
	sleep_ms((unsigned int)(uintptr_t)arg);
	return NULL;
}

static void child_main(pid_t parent, unsigned int ms, bool threaded)
{
	pthread_t th[64];
	pthread_attr_t attr;
	unsigned int n = 0;

	die_with_parent(parent);
	signal(SIGTERM, SIG_DFL);
	for (size_t i = 0; i < sizeof(scratch); i += 4096)
		scratch[i] = 1;
	if (threaded && !pthread_attr_init(&attr)) {
		pthread_attr_setstacksize(&attr, 64 * 1024);
		for (; n < nthreads && n < 64; n++)
			if (pthread_create(&th[n], &attr, thread_main, (void *)(uintptr_t)ms))
				break;
		pthread_attr_destroy(&attr);
	}
	if (n && (ms & 1)) {
		/* half of them end the leader first: a zombie leader with live threads,
		 * whose memory is read through task/TID until the last thread exits */
		pthread_exit(NULL);
	} else if (n) {
		for (unsigned int i = 0; i < n; i++)
			pthread_join(th[i], NULL);
	} else {
		sleep_ms(ms);
	}
	_exit(0);
}

static void forget(pid_t pid)
{
	for (unsigned int i = 0; i < maxlive; i++)
		if (live[i] == pid) {
			live[i] = 0;
			return;
		}
}

static int remember(pid_t pid)
{
	for (unsigned int i = 0; i < maxlive; i++)
		if (!live[i]) {
			live[i] = pid;
			return 0;
		}
	return -1;
}

static void spawner_main(pid_t leader, unsigned int idx)
{
	unsigned int alive = 0;
	unsigned long made = 0;
	double t0 = now();
	pid_t me = getpid();

	die_with_parent(leader);
	rng_state = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)me << 17) ^ idx;
	live = calloc(maxlive, sizeof(*live));
	if (!live)
		_exit(1);
	while (!stop) {
		pid_t pid;
		int st;

		while (alive && (pid = waitpid(-1, &st, WNOHANG)) > 0) {
			forget(pid);
			alive--;
		}
		if (alive >= maxlive) {
			pid = waitpid(-1, &st, 0);
			if (pid > 0) {
				forget(pid);
				alive--;
			}
			continue;
		}
		if (rate && (double)made > (now() - t0) * rate) {
			sleep_ms(1);
			continue;
		}
		{
			unsigned int ms = life_ms ? rnd() % (life_ms + 1) : 0;
			bool threaded = every && (made % every) == every - 1;

			pid = fork();
			if (pid == 0)
				child_main(me, ms, threaded);
		}
		if (pid < 0) {
			atomic_fetch_add(&sh->fork_failures, 1);
			sleep_ms(1);
			continue;
		}
		remember(pid);
		alive++;
		made++;
		atomic_fetch_add(&sh->created, 1);
		if (every && (made % every) == 0)
			atomic_fetch_add(&sh->threaded, 1);
	}
	for (unsigned int i = 0; i < maxlive; i++)
		if (live[i] > 0)
			kill(live[i], SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	_exit(0);
}

static unsigned int arg_uint(const char *s, unsigned int max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "churn: bad number '%s' (0..%u)\n", s, max);
		exit(2);
	}
	return (unsigned int)v;
}

int main(int argc, char **argv)
{
	pid_t spawners[MAX_SPAWNERS], leader = getpid();
	struct sigaction sa = { .sa_handler = on_stop };
	sigset_t set;
	double t0;
	int c, sig;

	while ((c = getopt(argc, argv, "s:c:l:T:f:r:t:")) != -1) {
		switch (c) {
		case 's':
			nspawners = arg_uint(optarg, MAX_SPAWNERS);
			break;
		case 'c':
			maxlive = arg_uint(optarg, 100000);
			break;
		case 'l':
			life_ms = arg_uint(optarg, 60000);
			break;
		case 'T':
			nthreads = arg_uint(optarg, 64);
			break;
		case 'f':
			every = arg_uint(optarg, 1000000);
			break;
		case 'r':
			rate = arg_uint(optarg, 1000000);
			break;
		case 't':
			seconds = arg_uint(optarg, 86400);
			break;
		default:
			fprintf(stderr,
				"usage: churn [-s SPAWNERS] [-c MAXLIVE] [-l MS] [-T THREADS] "
				"[-f EVERY] [-r RATE] [-t SECONDS]\n");
			return 2;
		}
	}
	if (!nspawners || !maxlive) {
		fprintf(stderr, "churn: -s and -c must be at least 1\n");
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("churn: mmap");
		return 1;
	}
	/* orphans (children of a spawner that died) come to us to be reaped */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* the spawners stop on SIGTERM through the handler; we wait for it in sigwait */
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	t0 = now();
	for (unsigned int i = 0; i < nspawners; i++) {
		spawners[i] = fork();
		if (spawners[i] == 0) {
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			spawner_main(leader, i);
		}
		if (spawners[i] < 0) {
			perror("churn: fork");
			nspawners = i;
			break;
		}
	}
	printf("{\"leader\": %d, \"spawners\": [", (int)leader);
	for (unsigned int i = 0; i < nspawners; i++)
		printf("%s%d", i ? ", " : "", (int)spawners[i]);
	printf("]}\n");
	fflush(stdout);
	alarm(seconds);
	do
		sig = sigwaitinfo(&set, NULL);
	while (sig < 0 && errno == EINTR);
	for (unsigned int i = 0; i < nspawners; i++)
		kill(spawners[i], SIGTERM);
	/* the spawners, and any orphan handed to us as subreaper */
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	printf("{\"created\": %lu, \"threaded\": %lu, \"fork_failures\": %lu, \"seconds\": %.3f}\n",
	       atomic_load(&sh->created), atomic_load(&sh->threaded),
	       atomic_load(&sh->fork_failures), now() - t0);
	return fflush(stdout) ? 1 : 0;
}
