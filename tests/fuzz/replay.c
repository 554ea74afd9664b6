// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/fuzz: run a fuzz target over every file of the given directories (or
 * the given files), as the normal test suite's replay of the committed corpus
 * and crash reproducers; built with any compiler, no libFuzzer needed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* A target may define LLVMFuzzerInitialize, or not. */
#pragma weak LLVMFuzzerInitialize

static FILE *out;

static int replay_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(out, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	/* a copy of exactly the input's size: ASan sees any read past it, as under libFuzzer */
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf)
		abort();
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of @dir, sorted (READMEs and dot files are not inputs). */
static int replay_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	if (!d) {
		/* a target without reproducers has no crashes/ directory */
		if (errno == ENOENT)
			return 0;
		fprintf(out, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, "README", 6) == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				abort();
		}
		if (asprintf(&names[n++], "%s/%s", dir, e->d_name) < 0)
			abort();
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(names[i]) < 0)
				ret = -1;
			else
				(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int ret = 0, fd = dup(2);

	out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out)
		out = stderr;
	setvbuf(out, NULL, _IONBF, 0);
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(argv[i]) < 0)
				ret = 1;
			else
				count++;
		} else if (replay_dir(argv[i], &count) < 0) {
			ret = 1;
		}
	}
	fprintf(out, "replayed %zu inputs\n", count);
	/* a wrong path must not pass as an empty corpus */
	if (!count) {
		fprintf(out, "no inputs found\n");
		ret = 1;
	}
	return ret;
}
