// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the snapshot loader on an archive (vms_ctx_open on --root FILE.tar[.gz|.xz
 * |.zst]): the input as the archive file.  It is first unpacked with small limits, so
 * that a decompression bomb costs the fuzzer no more than a few MiB; when that works
 * the real loader opens the file, and every reader runs on the result.
 * Properties: a failed unpacking leaves nothing behind and says why; a context on an
 * archive is not live and reads what was unpacked.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <vmscope/vmscope.h>

#include "fuzz.h"
#include "private.h"

static const struct vms_unpack_limits small = {
	.total = 8 << 20,
	.file = 4 << 20,
	.entries = 2000,
	.path = 4096,
};

/* Entries of the scratch directory, to see that nothing is left behind. */
static size_t count_entries(void)
{
	DIR *d = opendir(fuzz_workdir());
	size_t n = 0;

	FUZZ_CHECK(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[4200];
	struct vms_unpacked u;
	struct vms_ctx *ctx;
	size_t before;
	char *why = NULL;
	int fd, ret;

	if (!path[0]) {
		/* unpacked directories go to $TMPDIR: our own scratch directory */
		snprintf(path, sizeof(path), "%s/archive", fuzz_workdir());
		setenv("TMPDIR", fuzz_workdir(), 1);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	close(fd);
	before = count_entries();

	fd = open(path, O_RDONLY | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	ret = vms_archive_unpack(fd, &small, &u, &why);
	close(fd);
	if (ret < 0) {
		FUZZ_CHECK(why != NULL);
		free(why);
		FUZZ_CHECK(count_entries() == before);
		return 0;
	}
	FUZZ_CHECK(why == NULL);
	vms_unpacked_remove(&u);
	FUZZ_CHECK(count_entries() == before);

	ret = vms_ctx_open(path, VMS_CTX_NO_LIBPROC2, &ctx, &why);
	if (ret == 0) {
		FUZZ_CHECK(!vms_ctx_is_live(ctx) && why == NULL);
		fuzz_walk_ctx(ctx);
		vms_ctx_unref(ctx);
	} else {
		FUZZ_CHECK(why != NULL);
		free(why);
	}
	FUZZ_CHECK(count_entries() == before);
	return 0;
}
