// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the snapshot loader on a directory (vms_ctx_open on --root DIR) and
 * every reader of a snapshot, on a tree made from the input.  The input lists files
 * as head(1) prints them:
 *
 *	==> vmscope-snapshot <==
 *	format 1
 *	...
 *	==> proc/42/maps <==
 *	...
 *
 * a file's bytes running up to the newline before the next "==> " line (head's blank
 * separator line is part of that).  Paths with "..", a leading '/' or an empty part
 * are left out.  Property: the API's promises hold on whatever tree (fuzz_walk_ctx).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmscope/vmscope.h>

#include "fuzz.h"

#define MAX_FILES 64

static bool path_ok(const char *p)
{
	size_t depth = 0;

	if (!*p || *p == '/' || strlen(p) > 200)
		return false;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");

		if (n == 0 || (n == 2 && s[0] == '.' && s[1] == '.') || (n == 1 && s[0] == '.'))
			return false;
		if (++depth > 8)
			return false;
		s += n;
		if (*s == '/')
			s++;
	}
	return true;
}

/* The next "==> " at the start of a line from @at, or @size. */
static size_t next_header(const uint8_t *data, size_t size, size_t at)
{
	for (size_t i = at; i + 4 <= size; i++)
		if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, "==> ", 4) == 0)
			return i;
	return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int dirfd = fuzz_fresh_dir("snap"), nfiles = 0;
	size_t at = next_header(data, size, 0);
	char root[4200];
	struct vms_ctx *ctx;
	char *why;

	while (at < size && nfiles < MAX_FILES) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t hlen = nl ? (size_t)(nl - (data + at)) : size - at;
		size_t body = at + hlen + 1,
		       next = next_header(data, size, body > size ? size : body);
		size_t blen = next > body ? next - body : 0;

		size_t plen = hlen - 4;
		char path[256];

		/* "==> PATH <==" or "==> PATH" */
		if (plen >= 4 && memcmp(data + at + hlen - 4, " <==", 4) == 0)
			plen -= 4;
		/* the newline before the next header is head's separator */
		if (blen && next < size)
			blen--;
		if (plen < sizeof(path) && !memchr(data + at + 4, '\0', plen)) {
			memcpy(path, data + at + 4, plen);
			path[plen] = '\0';
			if (path_ok(path))
				fuzz_write_file(dirfd, path, data + body, blen);
		}
		nfiles++;
		at = next;
	}
	close(dirfd);
	snprintf(root, sizeof(root), "%s/snap", fuzz_workdir());
	/* without libproc2: a tree with no description passes for a procfs (read as
	 * live files), and the system's process table must not be read instead */
	if (vms_ctx_open(root, VMS_CTX_NO_LIBPROC2, &ctx, &why) == 0) {
		FUZZ_CHECK(why == NULL);
		fuzz_walk_ctx(ctx);
		vms_ctx_unref(ctx);
	} else {
		FUZZ_CHECK(why != NULL);
		free(why);
	}
	return 0;
}
