// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark floor: the least work that reads the same /proc files as vmscope does. */

/*
 * floor [rollup]   readdir /proc; for every PID open smaps_rollup, read it into a stack
 *                  buffer, close it, and add up its Pss line.  Prints
 *                  {"processes": N, "skipped": N, "pss_kb": N}
 * floor table      the same, and also what any ranking tool needs besides Pss: stat
 *                  (state, parent, kernel-thread flag), the owner (fstatat) and cmdline.
 *                  Prints {"processes": N, "skipped": N, "pss_kb": N}
 * floor cat FILE   open FILE, read it to the end into a stack buffer, close it.  Prints
 *                  {"bytes": N}
 *
 * What this costs is what the kernel charges for producing the files: a tool reading
 * the same files cannot do much better, so the benchmark states vmscope's cost as a
 * ratio to this.  Keep it single-threaded and keep everything else out.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read what a process table needs of one process; 0 or -1 when it is gone. */
static int table_extras(int procfd, const char *pid)
{
	char path[sizeof(((struct dirent *)0)->d_name) + 16];
	char buf[4096];
	struct stat st;
	int fd;

	if (fstatat(procfd, pid, &st, 0) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/stat", pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	snprintf(path, sizeof(path), "%s/cmdline", pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}

static int floor_rollup(int table)
{
	unsigned long long pss_kb = 0;
	unsigned long processes = 0, skipped = 0;
	struct dirent *de;
	char path[sizeof(((struct dirent *)0)->d_name) + 16];
	char buf[4096];
	DIR *proc;
	int procfd;

	proc = opendir("/proc");
	if (!proc) {
		fprintf(stderr, "floor: /proc: %s\n", strerror(errno));
		return 1;
	}
	procfd = dirfd(proc);
	while ((de = readdir(proc))) {
		size_t len = 0;
		ssize_t n;
		char *p;
		int fd;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (table && table_extras(procfd, de->d_name) < 0) {
			skipped++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/smaps_rollup", de->d_name);
		fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			/* Gone, a kernel thread (ESRCH), or not ours to read. */
			skipped++;
			continue;
		}
		while (len < sizeof(buf) - 1 &&
		       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
			len += (size_t)n;
		close(fd);
		if (!len) {
			skipped++;
			continue;
		}
		buf[len] = '\0';
		/* The header line comes first, so "Pss:" always follows a newline. */
		p = strstr(buf, "\nPss:");
		if (!p) {
			skipped++;
			continue;
		}
		pss_kb += strtoull(p + 5, NULL, 10);
		processes++;
	}
	closedir(proc);
	printf("{\"processes\": %lu, \"skipped\": %lu, \"pss_kb\": %llu}\n", processes, skipped,
	       pss_kb);
	return 0;
}

static int floor_cat(const char *file)
{
	unsigned long long bytes = 0;
	char buf[65536];
	ssize_t n;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "floor: %s: %s\n", file, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		bytes += (unsigned long long)n;
	if (n < 0) {
		fprintf(stderr, "floor: %s: %s\n", file, strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	printf("{\"bytes\": %llu}\n", bytes);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 1 || (argc == 2 && !strcmp(argv[1], "rollup")))
		return floor_rollup(0);
	if (argc == 2 && !strcmp(argv[1], "table"))
		return floor_rollup(1);
	if (argc == 3 && !strcmp(argv[1], "cat"))
		return floor_cat(argv[2]);
	fprintf(stderr, "Usage: floor [rollup]\n       floor table\n       floor cat FILE\n");
	return 2;
}
