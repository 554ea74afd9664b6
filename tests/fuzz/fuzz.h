/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz: what the fuzz targets share (scratch files, caught exit(), chunked reads). */
#ifndef VMSCOPE_FUZZ_H
#define VMSCOPE_FUZZ_H

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry points: replay.c calls them the same way. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken property: say which and abort, so that the fuzzer keeps the input. */
_Noreturn void fuzz_fail(const char *file, int line, const char *what);
#define FUZZ_CHECK(cond)                                      \
	do {                                                  \
		if (!(cond))                                  \
			fuzz_fail(__FILE__, __LINE__, #cond); \
	} while (0)

/* A memfd holding @size bytes of @data, at offset 0 (aborts when none can be had). */
int fuzz_memfd(const void *data, size_t size);

/* The process's own scratch directory under $TMPDIR (else /tmp), removed at exit. */
const char *fuzz_workdir(void);
/* An fd of the empty directory @name under the scratch directory, emptied first. */
int fuzz_fresh_dir(const char *name);
/* Write @rel under @dirfd (parents made as needed); 0 or -errno. */
int fuzz_write_file(int dirfd, const char *rel, const void *data, size_t size);

/*
 * Every read() of the code under test goes through __wrap_read (-Wl,--wrap=read):
 * reads of fd @fuzz_read_fd are cut to @fuzz_read_chunk bytes (0: not cut) and
 * counted in @fuzz_read_calls.
 */
extern int fuzz_read_fd;
extern size_t fuzz_read_chunk;
extern unsigned long fuzz_read_calls;

/*
 * exit() (-Wl,--wrap=exit) and the first step of a command's real work
 * (cx_ctx_open, cx_outfile_open: -Wl,--wrap=...) longjmp to *@fuzz_catch while
 * it is set: setjmp() then returns FUZZ_EXITED | status, or FUZZ_STOPPED.
 */
extern jmp_buf *fuzz_catch;
enum { FUZZ_EXITED = 0x100, FUZZ_STOPPED = 0x200 };

/* Send what the code under test prints (stdout, stderr) to /dev/null; the
 * sanitizers still report on fd 2. */
void fuzz_quiet(void);

/* Split the input at NUL bytes into an argv after @argv0 (at most @max entries in all,
 * NULL-terminated); the strings are copies the caller frees with fuzz_argv_free(). */
char **fuzz_argv(const char *argv0, const uint8_t *data, size_t size, int max, int *argc);
void fuzz_argv_free(char **argv);

/*
 * Run a command's main (or its option parser) @fn on an argv made of the input,
 * with getopt reset, output silenced, and exit() and the first real step caught.
 * Then @after (may be NULL) gets that code, while argv still lives (the command's
 * options point into it).  Returns what @fn returned, FUZZ_EXITED | status, or
 * FUZZ_STOPPED.
 */
int fuzz_run_main(int (*fn)(int argc, char **argv), const char *argv0, const uint8_t *data,
		  size_t size, void (*after)(int code));

/* FNV-1a over @len bytes, continuing from @h (start with FUZZ_HASH_INIT). */
#define FUZZ_HASH_INIT UINT64_C(0xcbf29ce484222325)
uint64_t fuzz_hash(uint64_t h, const void *data, size_t len);

/*
 * Iterate the maps (or smaps, @flags VMS_MAPS_*) text @data with vms_maps_open_fd(),
 * its reads cut to @chunk bytes (0: whole), and digest every field of every mapping
 * (counters and VmFlags too).  Returns the digest; *@n mappings, *@bad skipped lines,
 * *@reads read() calls.  Aborts on an error return (the input is in memory).
 */
uint64_t fuzz_maps_digest(const uint8_t *data, size_t size, unsigned int flags, size_t chunk,
			  size_t *n, size_t *bad, unsigned long *reads);

/*
 * A small snapshot root made once under the scratch directory (its description,
 * proc/1/{stat,status,cmdline}, proc/meminfo, ...) and a context on it (opened
 * with VMS_CTX_NO_LIBPROC2); *@dirfd gets the root's fd, where a target
 * rewrites the file it fuzzes before reading it through the context.
 */
struct vms_ctx *fuzz_root(int *dirfd);

/*
 * Read everything a command may read of the root of @ctx, with bounded work
 * (a few processes, mappings and pages each), checking what the API promises.
 */
void fuzz_walk_ctx(struct vms_ctx *ctx);

#endif
