/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the libvmscope unit tests: test data, chunked feeds, collected results. */
#ifndef VMSCOPE_TESTS_UNIT_H
#define VMSCOPE_TESTS_UNIT_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#ifdef __clang_analyzer__
/*
 * A failed cmocka check ends the test (a longjmp).  cmocka 1.1 does not tell the static
 * analyser so, which then follows each failed check on into the code the check guards.
 */
void _fail(const char *const file, const int line) __attribute__((noreturn));
#undef assert_true
#define assert_true(c) ((c) ? (void)0 : _fail(__FILE__, __LINE__))
#undef assert_false
#define assert_false(c) (!(c) ? (void)0 : _fail(__FILE__, __LINE__))
#undef assert_non_null
#define assert_non_null(c) ((c) != NULL ? (void)0 : _fail(__FILE__, __LINE__))
#undef assert_null
#define assert_null(c) ((c) == NULL ? (void)0 : _fail(__FILE__, __LINE__))
#endif

#include <vmscope/vmscope.h>

#ifndef DATA_DIR
#error "DATA_DIR must be defined to the directory of the test data"
#endif

/* The errno name of a negative errno return ("-ENOENT"), or the number. */
const char *errname(int ret);

/* @len bytes of @s, escaped for a failure message (static buffer, 4 rotating slots). */
const char *esc(const void *s, size_t len);

/*
 * Assertions that say what was expected and what came instead, in decimal and with
 * errno names, unlike cmocka's hex-only assert_int_equal().
 */
#define expect_ret(got, want)                                                                     \
	do {                                                                                      \
		int got_ = (got), want_ = (want);                                                 \
		if (got_ != want_)                                                                \
			fail_msg("%s: expected %s, got %s", #got, errname(want_), errname(got_)); \
	} while (0)

#define expect_u64(got, want)                                                             \
	do {                                                                              \
		uint64_t got_ = (got), want_ = (want);                                    \
		if (got_ != want_)                                                        \
			fail_msg("%s: expected %" PRIu64 " (0x%" PRIx64 "), got %" PRIu64 \
				 " (0x%" PRIx64 ")",                                      \
				 #got, want_, want_, got_, got_);                         \
	} while (0)

#define expect_i64(got, want)                                                                  \
	do {                                                                                   \
		int64_t got_ = (got), want_ = (want);                                          \
		if (got_ != want_)                                                             \
			fail_msg("%s: expected %" PRId64 ", got %" PRId64, #got, want_, got_); \
	} while (0)

#define expect_bool(got, want)                                                              \
	do {                                                                                \
		bool got_ = (got), want_ = (want);                                          \
		if (got_ != want_)                                                          \
			fail_msg("%s: expected %s, got %s", #got, want_ ? "true" : "false", \
				 got_ ? "true" : "false");                                  \
	} while (0)

/* Byte-exact comparison of (ptr, len) with a C string literal or (ptr, len). */
#define expect_bytes(gotp, gotlen, wantp, wantlen)                                                 \
	do {                                                                                       \
		const char *gp_ = (const char *)(gotp);                                            \
		size_t gl_ = (gotlen), wl_ = (wantlen);                                            \
		const char *wp_ = (const char *)(wantp);                                           \
		if (!gp_ || gl_ != wl_ || memcmp(gp_, wp_, wl_) != 0)                              \
			fail_msg("%s: expected \"%s\" (%zu bytes), got \"%s\" (%zu bytes)", #gotp, \
				 esc(wp_, wl_), wl_, gp_ ? esc(gp_, gl_) : "(null)", gl_);         \
	} while (0)

/* Byte-exact comparison of (ptr, len) with a string literal (which may hold NULs). */
#define expect_lit(gotp, gotlen, lit) expect_bytes(gotp, gotlen, lit, sizeof(lit) - 1)

#define expect_str(got, want)                                                                  \
	do {                                                                                   \
		const char *g_ = (got), *w_ = (want);                                          \
		if (!g_ || strcmp(g_, w_) != 0)                                                \
			fail_msg("%s: expected \"%s\", got %s%s%s", #got, esc(w_, strlen(w_)), \
				 g_ ? "\"" : "", g_ ? esc(g_, strlen(g_)) : "NULL",            \
				 g_ ? "\"" : "");                                              \
	} while (0)

/* ---- test data ---- */

/* DATA_DIR "/" @name, in a static buffer. */
const char *data_path(const char *name);
/* Open a data file read-only; fails the test when it cannot. */
int open_data(const char *name);
/* The whole content of a data file (malloc'd, NUL-terminated), its length in *@len. */
char *read_data(const char *name, size_t *len);

/*
 * A copy of @len bytes that ends exactly at an inaccessible page, so that a parser reading
 * or writing even one byte past @len crashes instead of passing by luck.
 */
char *guarded_copy(const void *s, size_t len);
void guarded_free(char *p, size_t len);

/* ---- feeding text to a parser through an fd ---- */

/*
 * A feed hands @len bytes of @buf to a parser through an fd:
 *  - chunk == 0: a regular (memfd) file, so the parser sees one big read;
 *  - chunk > 0: a pipe written by a thread @chunk bytes at a time, each chunk only once
 *    the previous one was read, so that no read() returns more than @chunk bytes.
 */
struct feed;
struct feed *feed_start(const void *buf, size_t len, size_t chunk);
int feed_fd(const struct feed *f);
/* Close the read end, join the writer; fails the test if the writer hit an error. */
void feed_finish(struct feed *f);

/* ---- collected parser results, comparable across feeds ---- */

struct counter_rec {
	char *name;
	uint64_t raw;
	bool in_kb;
	int get_ret; /* vms_counters_find() on the name */
	uint64_t value;
};

struct counters_rec {
	size_t n;
	struct counter_rec *v;
	size_t bad_lines;
};

struct map_rec {
	struct vms_mapping m; /* name, counters and vm_flags point into this record */
	char *name; /* copy, NUL-terminated; name_len bytes */
	char *vm_flags; /* copy or NULL */
	bool has_counters;
	struct counters_rec counters;
};

struct map_list {
	size_t n;
	struct map_rec *v;
	size_t ebadmsg; /* vms_maps_next() returns of -EBADMSG */
	size_t bad_lines; /* vms_maps_bad_lines() at the end */
	int end_ret; /* the return that ended the walk: 0 or a negative errno */
	int finish_ret; /* vms_maps_finish() */
};

/* Copy every counter (in file order) of @c into @out. */
void counters_collect(const struct vms_counters *c, struct counters_rec *out);
void counters_rec_free(struct counters_rec *r);
/* Fail with the first difference between two collected counter sets. */
void counters_rec_compare(const struct counters_rec *a, const struct counters_rec *b,
			  const char *what);

/* Walk vms_maps_open_fd(@fd, @flags) to the end, copying every mapping. */
void maps_collect_fd(int fd, unsigned int flags, struct map_list *out);
/* The same on text in memory, fed with @chunk (see feed_start()). */
void maps_collect_text(const void *buf, size_t len, size_t chunk, unsigned int flags,
		       struct map_list *out);
/* Walk an open iterator to the end (it is closed by the caller). */
void maps_collect_it(struct vms_maps *it, struct map_list *out);
void map_list_free(struct map_list *l);
void map_list_compare(const struct map_list *a, const struct map_list *b, const char *what);

/* vms_counters_parse_fd() on text in memory fed with @chunk; fails the test on error. */
struct vms_counters *counters_parse_text(const void *buf, size_t len, size_t chunk);
/* vms_counters_parse_fd() on a data file; fails the test on error. */
struct vms_counters *counters_parse_data(const char *name);

/* The value of @name in @c, failing the test unless it is present and readable. */
uint64_t counter(const struct vms_counters *c, const char *name);

/* A growable byte buffer for generated test input. */
struct sbuf {
	char *p;
	size_t len, cap;
};
void sbuf_add(struct sbuf *b, const void *s, size_t len);
void sbuf_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_free(struct sbuf *b);

/*
 * Append a maps header line as the kernel prints it (show_vma_header_prefix():
 * %08lx addresses, %08llx offset, %02x:%02x device, decimal inode, then a pad to column
 * 73 before a non-empty name), without the newline.
 */
void sbuf_add_maps_line(struct sbuf *b, uint64_t start, uint64_t end, const char *perms,
			uint64_t offset, unsigned int maj, unsigned int min, uint64_t inode,
			const char *name, size_t name_len);

#endif
