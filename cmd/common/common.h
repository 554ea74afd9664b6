/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/common: what every vmscope command shares — output, errors, options, threads. */
#ifndef VMSCOPE_CMD_COMMON_H
#define VMSCOPE_CMD_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>
#include <vmscope/vmscope.h>

enum {
	CX_EXIT_OK = 0,
	CX_EXIT_FAILURE = 1,
	CX_EXIT_USAGE = 2,
	CX_EXIT_PARTIAL = 3,
};

/* ---- program, errors ---- */
extern const char *cx_prog;
/* Set up a command: its name, locale, closed std fds, exit-time stdout check. */
void cx_init(const char *prog);
void cx_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "out of memory" on stderr and exit 1: for allocations a command cannot go on without. */
_Noreturn void cx_oom(void);
/*
 * Why named PID @pid is not in the process table of @ctx: -ESRCH, or what
 * opening it again says (-EPERM on a hidepid=1 procfs, -EACCES).
 */
int cx_missing_errno(struct vms_ctx *ctx, pid_t pid);
/* Out of file descriptors (@err EMFILE or ENFILE): say so, with the limit, and exit 1. */
_Noreturn void cx_fd_exhausted(int err);
char *cx_xstrdup(const char *s);
/* Room for one more element in a growable array of @n used, *@cap allocated
 * elements of @elem bytes: returns the array, doubled when full (cx_oom()
 * when that fails). */
void *cx_grow(void *array, size_t n, size_t *cap, size_t elem);
char *cx_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: msg" + "Try 'prog --help'..." on stderr, exit 2. */
_Noreturn void cx_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: pid N: cannot read FILE: reason (hint)" */
void cx_proc_error(int pid, const char *file, int err);
/* A short hint for an errno met while reading /proc, or "". */
const char *cx_errno_hint(int err);
/* "EACCES" for 13, etc. */
const char *cx_errno_name(int err);
/* Short lower-case reason: "permission denied", "no such process", ... */
const char *cx_errno_reason(int err);
/* Flush stdout; on error print "write error: ..." and return 1 (EPIPE: 0). */
int cx_close_stdout(void);
_Noreturn void cx_version(void);

/* ---- text ---- */
/* Decode one UTF-8 sequence: its length, or 0 when invalid. */
size_t cx_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Is the output locale UTF-8? */
bool cx_utf8(void);
/*
 * Make bytes from /proc safe for a terminal: control bytes, C1 and bidi
 * controls, and invalid UTF-8 become \xNN (or \u{XXXX}); @raw also escapes
 * spaces and backslashes so that raw fields stay one word.  Returns a
 * malloc'd string (NULL only on ENOMEM).
 */
char *cx_sanitize(const char *s, size_t len, bool raw);
/* Human size, 1024-based: "0 B", "512 KiB", "12.3 MiB". */
void cx_human_size(uint64_t bytes, char *buf, size_t len);
/* Display width of a sanitized string (columns). */
size_t cx_width(const char *s);

/* ---- columns and tables ---- */
enum cx_type {
	CX_STR,
	CX_SIZE, /* bytes: human or -b */
	CX_U64,
	CX_INT,
	CX_RATE, /* per second: one decimal in text, a number in JSON */
};

struct cx_column {
	const char *name; /* -o name, JSON key */
	const char *header;
	enum cx_type type;
	const char *help;
};

struct cx_cell {
	bool null;
	union {
		uint64_t u;
		int64_t i;
		double d;
		char *s; /* owned by the table */
	};
};

struct cx_table {
	const struct cx_column *cols; /* all columns of the command */
	size_t ncols;
	int *sel; /* selected column indices */
	size_t nsel;
	struct cx_cell *cells; /* nrows * ncols */
	size_t nrows, cap;
	size_t *indent; /* per row: tree depth */
	size_t *width; /* cx_table_flush(): the widths printed so far */
	bool header_done;
};

enum cx_format { CX_FMT_TABLE, CX_FMT_RAW, CX_FMT_JSON, CX_FMT_OPENMETRICS };

struct cx_outopts {
	enum cx_format format;
	bool noheadings;
	bool bytes;
	const char *output; /* -o argument */
	bool output_all;
	const char *sort;
	bool reverse;
};

/*
 * The output options of DESIGN.md, shared by every listing command: put
 * CX_OUTPUT_LONGOPTS in the getopt_long table and CX_OUTPUT_SHORTOPTS in the
 * short string, number the command's own long-only options from
 * CX_OPT__FIRST_FREE, and hand every option to cx_output_option() first.
 */
enum { CX_OPT_OUTPUT_ALL = 0x100, CX_OPT_REVERSE, CX_OPT_ROOT, CX_OPT__FIRST_FREE };
#define CX_OUTPUT_SHORTOPTS "o:Jrnbs:"
#define CX_OUTPUT_LONGOPTS                                                                     \
	{ "output", required_argument, NULL, 'o' },                                            \
		{ "output-all", no_argument, NULL, CX_OPT_OUTPUT_ALL },                        \
		{ "json", no_argument, NULL, 'J' }, { "raw", no_argument, NULL, 'r' },         \
		{ "noheadings", no_argument, NULL, 'n' }, { "bytes", no_argument, NULL, 'b' }, \
		{ "sort", required_argument, NULL, 's' },                                      \
		{ "reverse", no_argument, NULL, CX_OPT_REVERSE },                              \
	{                                                                                      \
		"root", required_argument, NULL, CX_OPT_ROOT                                   \
	}
/* Apply option @c if it is one of the shared output options (--root included);
 * false when it is not. */
bool cx_output_option(int c, const char *arg, struct cx_outopts *o, const char **root);
/* --format FMT of a listing command: table, raw, json or openmetrics (usage error otherwise). */
enum cx_format cx_parse_format(const char *arg);
/* getopt_long has said what is wrong: add the --help hint and exit 2. */
_Noreturn void cx_bad_option(void);
/*
 * Open the context on @root (NULL: live), or say why not and return NULL.
 * With a root, it first sees to it that an unpacked archive is removed even
 * when the command ends by exit() or by SIGINT, SIGTERM, SIGHUP, SIGQUIT or
 * SIGPIPE (those still at their default action; the process then dies of it).
 */
struct vms_ctx *cx_ctx_open(const char *root, unsigned int flags);

int cx_column_find(const struct cx_column *cols, size_t ncols, const char *name, size_t len);
/*
 * A usage error when -o or --sort names a column that means nothing without
 * option @opt (@needs(column index) is true): "column 'x' needs --exact".
 */
void cx_check_option_columns(const struct cx_outopts *o, const struct cx_column *cols, size_t ncols,
			     bool (*needs)(int col), const char *opt);
/*
 * Select the columns to print from the -o list (or @defaults when none,
 * "+LIST" appends).  Unknown names: usage error.
 */
void cx_table_init(struct cx_table *t, const struct cx_column *cols, size_t ncols,
		   const char *defaults, const struct cx_outopts *o);
/* Add a row; every cell starts null. Returns the row index. */
size_t cx_table_add_row(struct cx_table *t);
struct cx_cell *cx_cell(struct cx_table *t, size_t row, int col);
void cx_set_u64(struct cx_table *t, size_t row, int col, uint64_t v);
void cx_set_int(struct cx_table *t, size_t row, int col, int64_t v);
void cx_set_str(struct cx_table *t, size_t row, int col, const char *s);
void cx_set_rate(struct cx_table *t, size_t row, int col, double v);
/* Sort rows by column (numbers largest first, text A-Z; @reverse flips). */
void cx_table_sort(struct cx_table *t, int col, bool reverse);
void cx_table_truncate(struct cx_table *t, size_t nrows);
void cx_table_free(struct cx_table *t);
/* Print the selected columns as a table or raw text. */
void cx_table_print(const struct cx_table *t, const struct cx_outopts *o, FILE *f);
/*
 * Streaming: print the rows added so far and drop them.  Column widths are
 * kept and only grow (a later wider cell pushes its own row only); the
 * header goes out with the first flush.  Memory stays bounded by the rows
 * between two flushes.
 */
void cx_table_flush(struct cx_table *t, const struct cx_outopts *o, FILE *f);

/* ---- JSON ---- */
/* {"schema":"vmscope/1","command":prog,"time":...} */
/* A new JSON object or array; out of memory is a failure (exit 1), never a
 * document silently missing a member. */
cJSON *cx_json_object(void);
cJSON *cx_json_array(void);
cJSON *cx_json_doc(void);
/* Add an integer (exact; a string past 2^53), or null. */
void cx_json_u64(cJSON *obj, const char *key, uint64_t v);
void cx_json_int(cJSON *obj, const char *key, int64_t v);
/* Add a string from /proc: valid UTF-8 always; invalid bytes become U+FFFD
 * and the exact bytes go to "<key>_b64". */
void cx_json_str(cJSON *obj, const char *key, const char *s);
/* Add every column of @row (all columns, or only the selected). */
void cx_json_row(cJSON *obj, const struct cx_table *t, size_t row, bool all);
/* Add a rate (per second), rounded to 1/100 so that it prints short. */
void cx_json_rate(cJSON *obj, const char *key, double v);
/* Print and free the document; returns 0 or -ENOMEM. */
int cx_json_print(cJSON *doc, FILE *f);
/* The same on one line (NDJSON: one object per line), flushed. */
int cx_json_print_line(cJSON *doc, FILE *f);

/* ---- OpenMetrics ---- */
/* Escape a label value (\\, \", \n), valid UTF-8. malloc'd. */
char *cx_om_label(const char *s);

/* ---- lists ---- */
/* Parse "1,2,3" into PIDs: usage error on a bad one, duplicates dropped. */
size_t cx_parse_pid_list(const char *arg, int **pids, size_t n);
/* Split a comma list; callback per item. */
void cx_split(const char *arg, void (*fn)(const char *item, size_t len, void *data), void *data);
/* Parse a positive count; usage error otherwise. */
unsigned long cx_parse_count(const char *opt, const char *arg, unsigned long max);

/* ---- names ---- */
/* The snake_case JSON/column name of a kernel key: "AnonHugePages" ->
 * "anon_huge_pages", "THPeligible" -> "thp_eligible".  Writes into @buf. */
void cx_snake_case(const char *key, char *buf, size_t len);

/* ---- a string-keyed hash map (for grouping) ---- */
struct cx_strmap;
struct cx_strmap *cx_strmap_new(size_t value_size);
/* The value for @key, created zeroed when absent (its key copied). */
void *cx_strmap_get(struct cx_strmap *m, const char *key, size_t len);
/* The value for @key, or NULL when absent (nothing is created). */
void *cx_strmap_find(const struct cx_strmap *m, const char *key, size_t len);
size_t cx_strmap_count(const struct cx_strmap *m);
/* The i-th entry in insertion order. */
void *cx_strmap_at(const struct cx_strmap *m, size_t i, const char **key);
void cx_strmap_free(struct cx_strmap *m);

/* ---- threads ---- */
/* Run fn(i, data) for i in [0, n) on @nthreads threads (1: inline). */
void cx_parallel_for(size_t n, unsigned int nthreads, void (*fn)(size_t i, void *data), void *data);
unsigned int cx_default_jobs(void);
/* The same on @nthreads background threads; cx_parallel_join() waits. */
struct cx_parallel;
struct cx_parallel *cx_parallel_spawn(size_t n, unsigned int nthreads,
				      void (*fn)(size_t i, void *data), void *data);
void cx_parallel_join(struct cx_parallel *p);

/* ---- mappings ---- */
/*
 * The kinds of the @n mappings of process @pid, in address order (@at
 * gives the i-th), as vmmap gives them: a file is a code object when the
 * process maps part of it executable; an anonymous mapping right after a
 * code object's last mapping is its bss; a thread's stack pointer (@sps,
 * may be empty) marks its stack.
 */
void cx_classify(size_t n, const struct vms_mapping *(*at)(size_t i, void *data), void *data,
		 pid_t pid, const struct vms_thread_sp *sps, size_t nsps, enum vms_kind *kinds);

/* The flags of a pagemap entry in words, "file page or shared anonymous,
 * exclusively mapped, soft-dirty, uffd-wp", or "none" (vmwalk, vmtop's page map). */
void cx_pme_flags(const struct vms_pme *pme, char *buf, size_t len);

/* ---- output files (snapshots, reports): whole or not at all ---- */
/*
 * Write @path through a temporary beside it (PATH.tmpXXXXXX: a file, or a
 * directory with CX_OUT_DIR), created 0600 (0700) whatever the umask and
 * never through a symlink.  An existing @path is refused, unless
 * CX_OUT_FORCE; then a directory is replaced only when it is empty or holds
 * a regular file @marker.  A symlink at @path is always refused.  Returns
 * NULL after saying why.
 */
enum { CX_OUT_FORCE = 1u << 0, CX_OUT_DIR = 1u << 1 };
struct cx_outfile;
struct cx_outfile *cx_outfile_open(const char *path, unsigned int flags, const char *marker);
/* The temporary's fd: the file to write, or the directory to create entries in. */
int cx_outfile_fd(const struct cx_outfile *o);
const char *cx_outfile_path(const struct cx_outfile *o);
/*
 * Flush (fsync, or syncfs for a directory) and rename into place; a write
 * error, a temporary swapped meanwhile, or a @path that appeared without
 * CX_OUT_FORCE: a message, the temporary removed, -1.  Frees @o.
 */
int cx_outfile_commit(struct cx_outfile *o);
/* Remove the temporary and free @o (NULL: nothing). */
void cx_outfile_abort(struct cx_outfile *o);
/* The same for the output being written, if any: for exit paths. */
void cx_outfile_abort_all(void);
/* Remove a directory tree without following symlinks; 0 or -errno. */
int cx_rm_tree(const char *path);
/*
 * Hazard E7: warn when snapshot @root (opened as @ctx) holds real PFNs (taken
 * as root with --pages) and group or others can read it (unless its
 * description says "shared 1": published test data).
 */
void cx_warn_exposed_snapshot(const struct vms_ctx *ctx, const char *root);

/* ---- time ---- */
/* RFC 3339 UTC of now, e.g. "2026-11-21T10:00:00Z" (SOURCE_DATE_EPOCH if set). */
void cx_now_rfc3339(char *buf, size_t len);

/* ---- sampling over time: live, or a series of snapshots (--root ... --root) ---- */
/* Seconds on CLOCK_MONOTONIC. */
double cx_mono_now(void);
/* "HH:MM:SS" of a sample of @ctx: local time live, the capture's time (UTC) for a snapshot. */
void cx_sample_clock(const struct vms_ctx *ctx, char *buf, size_t len);
/* -i SEC: 0.01 to 86400 (or 0 when @zero_ok); usage error otherwise. */
double cx_parse_interval(const char *arg, bool zero_ok);
/* Seconds as digits with an optional '.' fraction, in any locale; -1 for anything else. */
double cx_parse_seconds(const char *arg);
/* One more --root of a series. */
void cx_add_root(const char ***roots, size_t *n, const char *root);
/* The usage errors of a series: -i with several roots, -c N > 1 with one. */
void cx_check_series(size_t nroots, bool interval_set, bool count_set, unsigned long count);
/* cx_ctx_open(@root, 0), or exit 1 after saying why. */
struct vms_ctx *cx_open_root(const char *root);
/* Say why vms_sampler_sample() failed with @ret and exit 1. */
_Noreturn void cx_sampler_error(const struct vms_ctx *ctx, int ret, size_t nroots);
/*
 * Tell the processes the sampler could not read at its last sample: one of
 * @pids (the watched ones) once, by itself ("exited" after the first
 * sample), @said[k] remembering it; when watching all (@npids 0) the others
 * counted by reason, at the first sample only.  Adds "skipped" to @doc when
 * not NULL: [{"pid","errno","reason"}].  Returns true when a watched process is missing.
 */
bool cx_report_sampler_missing(const struct vms_sampler *s, cJSON *doc, const int *pids,
			       size_t npids, bool *said);

/* ---- snapshots: saying that the data is not from the live system ---- */
/*
 * "snapshot of HOST taken TIME (kernel K)", or for a series ending at @until
 * (not NULL) "snapshots of HOST taken TIME to UNTIL (kernel K)": the parts that
 * are NULL are left out, the others escaped for the terminal.  malloc'd.
 */
char *cx_snapshot_text(const char *host, const char *time, const char *until, const char *kernel);
/* The same from the description of @first (and the time of @last, the end of a
 * series, or NULL); NULL when @first is live. */
char *cx_snapshot_phrase(const struct vms_ctx *first, const struct vms_ctx *last);
/*
 * The phrase as a line on stdout, for text tables only (not -n, -r, JSON or
 * OpenMetrics: scripts read those); nothing when live.  Goes before any output.
 */
void cx_snapshot_banner(const struct vms_ctx *first, const struct vms_ctx *last,
			const struct cx_outopts *o);
/* {"root","time","host","kernel"}, null for what is missing. */
cJSON *cx_json_snapshot_obj(const char *root, const char *host, const char *time,
			    const char *kernel);
/*
 * The snapshot the output describes from now on: @ctx opened on @root (the
 * --root argument); live: none.  Every cx_json_doc() then carries it as
 * "snapshot"; a series sets it at each sample.
 */
void cx_snapshot_set(const struct vms_ctx *ctx, const char *root);
/* Add that "snapshot" member to @obj (nothing when live). */
void cx_json_add_snapshot(cJSON *obj);

#endif
