/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vmsnap: what its capture, writer (sink.c) and diff (diff.c) share. */
#ifndef VMSCOPE_VMSNAP_H
#define VMSCOPE_VMSNAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* The description file, at the top of every snapshot. */
#define SNAPSHOT_DESCRIPTION "vmscope-snapshot"

/* The --help of both modes, on stdout; exit 0. */
_Noreturn void vmsnap_usage(void);
/* The columns of "vmsnap diff --output", one per line, for --help. */
void vmsnap_diff_columns(FILE *f);
/* "vmsnap diff ...": @argv[0] is "diff".  Returns the exit status. */
int vmsnap_diff_main(int argc, char **argv);

/* ---- writing a snapshot (sink.c) ---- */

/* A snapshot being written; the first error stops everything (it is said once). */
struct sink {
	struct cx_outfile *out;
	int dirfd; /* a directory snapshot: the temporary directory */
	struct archive *ar; /* an archive snapshot */
	time_t mtime;
	struct cx_strmap *dirs; /* the directories made so far */
	int err; /* the first error (-errno): from then on nothing is written */
	uint64_t entries, bytes;
};

/* Start @path: a directory for "DIR/" or an existing directory, else an archive
 * compressed as its suffix says.  False after saying why. */
bool sink_open(struct sink *s, const char *path, bool force, time_t mtime);
/* Entries at @rel ("proc/42/stat"); the directories above are made as needed.
 * Each returns 0 or the sink's first error. */
int sink_file(struct sink *s, const char *rel, const char *data, size_t len);
int sink_file_fd(struct sink *s, const char *rel, int src);
int sink_symlink(struct sink *s, const char *rel, const char *target);
/* Finish: put the snapshot in place (@keep, no error) or remove it.  0 or -1. */
int sink_close(struct sink *s, bool keep);

#endif
