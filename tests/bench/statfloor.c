// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark floor for sampling every process: vmstat and every PID/stat, per sample. */

/*
 * statfloor [-k] INTERVAL COUNT
 *
 * COUNT samples, INTERVAL seconds apart (fractional; the first sample at once).  Each
 * sample reads /proc/vmstat, lists /proc (readdir) and, for every process, opens
 * PID/stat relative to the /proc directory, reads it into a stack buffer and closes it:
 * the least a fault-rate sampler of the whole system must do, since the fault counters
 * of a process are in its stat and nowhere cheaper.  Nothing is parsed or printed per
 * process.  At the end prints
 *   {"samples": N, "processes": N, "skipped": N, "keep_open": false}
 * (processes and skipped of the last sample).
 *
 * -k keeps each PID/stat open from one sample to the next and reads it again with
 * pread() at offset 0, which makes the kernel produce it afresh; new processes are
 * opened, and an fd whose process died (read fails with ESRCH; a reused PID is a new
 * /proc inode, so the old fd never reads the new process) is closed.  It shows what the
 * path lookups of open() cost beside the reads.
 *
 * The benchmark runs this with COUNT 1 and COUNT K+1 and divides the difference in CPU
 * time by K, so what it reports is per sample, without the program's start.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct open_stat {
	int pid;
	int fd;
};

/* -k: the fds of the previous sample, in PID order (readdir of /proc lists PIDs ascending). */
static struct open_stat *kept, *next_kept;
static size_t nr_kept, cap_kept;

static int parse_interval(const char *s, struct timespec *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !(v >= 0) || v > 86400)
		return -1;
	out->tv_sec = (time_t)v;
	out->tv_nsec = (long)((v - (double)out->tv_sec) * 1e9);
	return 0;
}

static void add_time(struct timespec *t, const struct timespec *d)
{
	t->tv_sec += d->tv_sec;
	t->tv_nsec += d->tv_nsec;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static int read_whole(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	return n < 0 ? -1 : 0;
}

static int read_vmstat(void)
{
	int fd, ret;

	fd = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = read_whole(fd);
	close(fd);
	return ret;
}

/* Room for every process of this sample in the -k table. */
static int grow_kept(size_t need)
{
	struct open_stat *a, *b;
	size_t cap = cap_kept ? cap_kept : 1024;

	if (need <= cap_kept)
		return 0;
	while (cap < need)
		cap *= 2;
	a = realloc(kept, cap * sizeof(*a));
	if (!a)
		return -1;
	kept = a;
	b = realloc(next_kept, cap * sizeof(*b));
	if (!b)
		return -1;
	next_kept = b;
	cap_kept = cap;
	return 0;
}

/* One process with -k: reuse its fd from the previous sample, or open one. */
static int sample_kept(int procfd, int pid, const char *name, size_t *old_i, size_t *nr_next)
{
	char path[sizeof(((struct dirent *)0)->d_name) + 8];
	char buf[4096];
	int fd = -1;

	/* Fds of PIDs below this one are of processes that are gone. */
	while (*old_i < nr_kept && kept[*old_i].pid < pid)
		close(kept[(*old_i)++].fd);
	if (*old_i < nr_kept && kept[*old_i].pid == pid) {
		fd = kept[(*old_i)++].fd;
		if (pread(fd, buf, sizeof(buf), 0) > 0)
			goto keep;
		/* ESRCH: the process behind this fd died; a new one may have its PID. */
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/stat", name);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (pread(fd, buf, sizeof(buf), 0) <= 0) {
		close(fd);
		return -1;
	}
keep:
	if (grow_kept(*nr_next + 1)) {
		close(fd);
		return -1;
	}
	next_kept[*nr_next].pid = pid;
	next_kept[(*nr_next)++].fd = fd;
	return 0;
}

static int sample(bool keep_open, unsigned long *processes, unsigned long *skipped)
{
	char path[sizeof(((struct dirent *)0)->d_name) + 8];
	char buf[4096];
	size_t old_i = 0, nr_next = 0;
	struct open_stat *swap;
	struct dirent *de;
	DIR *proc;
	int procfd, fd;

	*processes = *skipped = 0;
	if (read_vmstat())
		return -1;
	proc = opendir("/proc");
	if (!proc)
		return -1;
	procfd = dirfd(proc);
	while ((de = readdir(proc))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (keep_open) {
			if (sample_kept(procfd, atoi(de->d_name), de->d_name, &old_i, &nr_next))
				(*skipped)++;
			else
				(*processes)++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/stat", de->d_name);
		fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			(*skipped)++;
			continue;
		}
		/* One read: a stat line is a few hundred bytes (comm is at most 16). */
		if (read(fd, buf, sizeof(buf)) <= 0)
			(*skipped)++;
		else
			(*processes)++;
		close(fd);
	}
	closedir(proc);
	if (keep_open) {
		while (old_i < nr_kept)
			close(kept[old_i++].fd);
		swap = kept;
		kept = next_kept;
		next_kept = swap;
		nr_kept = nr_next;
	}
	return 0;
}

/* -k holds one fd per process: lift the soft limit to the hard one. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	unsigned long count, i, processes = 0, skipped = 0;
	struct timespec interval, next;
	bool keep_open = false;
	int argi = 1;
	char *end;

	if (argc > 1 && !strcmp(argv[1], "-k")) {
		keep_open = true;
		argi++;
	}
	if (argc - argi != 2 || parse_interval(argv[argi], &interval)) {
		fprintf(stderr, "Usage: statfloor [-k] INTERVAL COUNT\n");
		return 2;
	}
	errno = 0;
	count = strtoul(argv[argi + 1], &end, 10);
	if (errno || *end || !count) {
		fprintf(stderr, "statfloor: bad count '%s'\n", argv[argi + 1]);
		return 2;
	}
	if (keep_open)
		raise_nofile();
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; i < count; i++) {
		if (i) {
			/* Absolute deadlines, so the sampling work does not stretch the interval. */
			add_time(&next, &interval);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) ==
			       EINTR)
				;
		}
		if (sample(keep_open, &processes, &skipped)) {
			fprintf(stderr, "statfloor: /proc: %s\n", strerror(errno));
			return 1;
		}
	}
	printf("{\"samples\": %lu, \"processes\": %lu, \"skipped\": %lu, \"keep_open\": %s}\n",
	       count, processes, skipped, keep_open ? "true" : "false");
	return 0;
}
