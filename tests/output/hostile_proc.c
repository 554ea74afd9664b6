// SPDX-License-Identifier: GPL-2.0-or-later
/* tests/output: a process whose name, command line and mapped file paths are hostile bytes. */

/*
 * Its command line is whatever argv the test execs it with (any bytes).  On
 * stdin it reads NUL-terminated records: the comm to set, then the files to
 * map, ended by an empty record.  A path may be longer than PATH_MAX: it is
 * opened one component at a time with openat().  Each file is mapped shared
 * and read-only, and its first page touched; the helper then prints
 * "ready ADDR..." (the mapping addresses, hex) and waits.  Each further
 * byte on stdin touches every page of every mapping (so that a second
 * capture differs from the first) and is answered with "ok"; EOF ends it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_MAPS 64
#define MAX_RECORD (64 * 1024)

static volatile unsigned char sink;

/* One NUL-terminated record from stdin into @buf; its length, or -1 at EOF. */
static long read_record(char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = read(0, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (c == '\0') {
			buf[n] = '\0';
			return (long)n;
		}
		if (n + 1 >= cap)
			return -1;
		buf[n++] = c;
	}
}

/* Open @path component by component, so that its length is not limited by PATH_MAX. */
static int open_long(char *path)
{
	int dfd = path[0] == '/' ? open("/", O_PATH | O_DIRECTORY | O_CLOEXEC) : AT_FDCWD;
	char *p = path;

	for (;;) {
		char *slash;
		int fd;

		while (*p == '/')
			p++;
		slash = strchr(p, '/');
		if (!slash)
			break;
		*slash = '\0';
		fd = openat(dfd, p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
		if (dfd >= 0)
			close(dfd);
		if (fd < 0)
			return -1;
		dfd = fd;
		p = slash + 1;
	}
	{
		int fd = openat(dfd, p, O_RDONLY | O_CLOEXEC);

		if (dfd >= 0)
			close(dfd);
		return fd;
	}
}

int main(void)
{
	static char rec[MAX_RECORD];
	unsigned char *maps[MAX_MAPS];
	size_t lens[MAX_MAPS], nmaps = 0;
	long n;

	if (read_record(rec, sizeof(rec)) < 0) {
		fprintf(stderr, "hostile_proc: no comm on stdin\n");
		return 2;
	}
	if (prctl(PR_SET_NAME, rec, 0, 0, 0) < 0) {
		perror("hostile_proc: PR_SET_NAME");
		return 2;
	}
	while ((n = read_record(rec, sizeof(rec))) > 0) {
		struct stat st;
		int fd = open_long(rec);

		if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0 || nmaps == MAX_MAPS) {
			fprintf(stderr, "hostile_proc: cannot open file %zu: %s\n", nmaps,
				strerror(errno));
			return 2;
		}
		lens[nmaps] = (size_t)st.st_size;
		maps[nmaps] = mmap(NULL, lens[nmaps], PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (maps[nmaps] == MAP_FAILED) {
			perror("hostile_proc: mmap");
			return 2;
		}
		sink = maps[nmaps][0];
		nmaps++;
	}
	if (n < 0) {
		fprintf(stderr, "hostile_proc: the file list does not end with an empty record\n");
		return 2;
	}
	printf("ready");
	for (size_t i = 0; i < nmaps; i++)
		printf(" %lx", (unsigned long)maps[i]);
	printf("\n");
	fflush(stdout);
	for (;;) {
		char c;
		ssize_t r = read(0, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (size_t i = 0; i < nmaps; i++)
			for (size_t off = 0; off < lens[i]; off += 4096)
				sink = maps[i][off];
		printf("ok\n");
		fflush(stdout);
	}
	return 0;
}
