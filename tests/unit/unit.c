// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared helpers of the libvmscope unit tests: test data, chunked feeds, collected results. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

const char *errname(int ret)
{
	static char buf[4][48];
	static unsigned int slot;
	char *b = buf[slot++ % 4];
	const char *name;

	if (ret >= 0) {
		snprintf(b, sizeof(buf[0]), "%d", ret);
		return b;
	}
	name = strerrorname_np(-ret);
	if (name)
		snprintf(b, sizeof(buf[0]), "-%s", name);
	else
		snprintf(b, sizeof(buf[0]), "%d", ret);
	return b;
}

const char *esc(const void *s, size_t len)
{
	/* Long enough for the interesting part of a 10 KB name; the rest is elided. */
	static char buf[4][1024];
	static unsigned int slot;
	char *b = buf[slot++ % 4];
	const unsigned char *p = s;
	size_t o = 0, i;

	for (i = 0; i < len && o < sizeof(buf[0]) - 16; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '"')
			b[o++] = (char)p[i];
		else
			o += (size_t)snprintf(b + o, sizeof(buf[0]) - o, "\\x%02x", p[i]);
	}
	if (i < len)
		o += (size_t)snprintf(b + o, sizeof(buf[0]) - o, "...");
	b[o] = '\0';
	return b;
}

const char *data_path(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", DATA_DIR, name);
	return path;
}

int open_data(const char *name)
{
	int fd = open(data_path(name), O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("cannot open test data %s: %s", data_path(name), strerror(errno));
	return fd;
}

char *read_data(const char *name, size_t *len)
{
	int fd = open_data(name);
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	assert_non_null(buf);
	for (;;) {
		if (cap - n < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail_msg("read %s: %s", name, strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

char *guarded_copy(const void *s, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (len + page - 1) / page * page;
	char *base =
		mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p;

	if (base == MAP_FAILED)
		fail_msg("mmap: %s", strerror(errno));
	if (mprotect(base + span, page, PROT_NONE) != 0)
		fail_msg("mprotect: %s", strerror(errno));
	p = base + span - len;
	if (len)
		memcpy(p, s, len);
	return p;
}

void guarded_free(char *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (len + page - 1) / page * page;

	munmap(p + len - span, span + page);
}

/* ---- feeds ---- */

struct feed {
	int rfd, wfd;
	const char *buf;
	size_t len, chunk;
	pthread_t writer;
	bool threaded;
	atomic_bool stop;
	int writer_errno;
};

static void *feed_writer(void *arg)
{
	struct feed *f = arg;
	size_t off = 0;

	while (off < f->len && !atomic_load(&f->stop)) {
		size_t n = f->len - off < f->chunk ? f->len - off : f->chunk;
		ssize_t r = write(f->wfd, f->buf + off, n);
		int avail;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			/* EPIPE: the reader stopped early (a failed test closed its end). */
			if (errno != EPIPE)
				f->writer_errno = errno;
			break;
		}
		off += (size_t)r;
		/*
		 * Wait until the reader has taken everything, so that no read() can return
		 * more than one chunk: the pipe then behaves like /proc, which hands out one
		 * seq_file buffer per read(), while a short read keeps the rest for later.
		 */
		while (!atomic_load(&f->stop) && ioctl(f->wfd, FIONREAD, &avail) == 0 && avail > 0)
			sched_yield();
	}
	close(f->wfd);
	f->wfd = -1;
	return NULL;
}

struct feed *feed_start(const void *buf, size_t len, size_t chunk)
{
	struct feed *f = calloc(1, sizeof(*f));
	int p[2];

	assert_non_null(f);
	f->buf = buf;
	f->len = len;
	f->chunk = chunk;
	f->wfd = -1;
	atomic_init(&f->stop, false);
	if (chunk == 0) {
		size_t off = 0;

		f->rfd = memfd_create("vmscope-test", MFD_CLOEXEC);
		if (f->rfd < 0)
			fail_msg("memfd_create: %s", strerror(errno));
		while (off < len) {
			ssize_t r = write(f->rfd, (const char *)buf + off, len - off);

			if (r < 0)
				fail_msg("write memfd: %s", strerror(errno));
			off += (size_t)r;
		}
		if (lseek(f->rfd, 0, SEEK_SET) != 0)
			fail_msg("lseek memfd: %s", strerror(errno));
		return f;
	}
	/* A writer meeting a closed pipe must get EPIPE, not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(p, O_CLOEXEC) < 0)
		fail_msg("pipe2: %s", strerror(errno));
	f->rfd = p[0];
	f->wfd = p[1];
	if (pthread_create(&f->writer, NULL, feed_writer, f) != 0)
		fail_msg("pthread_create failed");
	f->threaded = true;
	return f;
}

int feed_fd(const struct feed *f)
{
	return f->rfd;
}

void feed_finish(struct feed *f)
{
	int err;

	atomic_store(&f->stop, true);
	close(f->rfd);
	if (f->threaded)
		pthread_join(f->writer, NULL);
	err = f->writer_errno;
	free(f);
	if (err)
		fail_msg("feed writer failed: %s", strerror(err));
}

/* ---- collected results ---- */

static char *dup_bytes(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	assert_non_null(p);
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void counters_collect(const struct vms_counters *c, struct counters_rec *out)
{
	size_t i, n = vms_counters_count(c);

	out->n = n;
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	assert_non_null(out->v);
	out->bad_lines = vms_counters_bad_lines(c);
	for (i = 0; i < n; i++) {
		struct counter_rec *r = &out->v[i];
		const char *name = NULL;
		int ret = vms_counters_at(c, i, &name, &r->raw, &r->in_kb);

		if (ret != 0)
			fail_msg("vms_counters_at(%zu) of %zu: expected 0, got %s", i, n,
				 errname(ret));
		assert_non_null(name);
		r->name = dup_bytes(name, strlen(name));
		r->get_ret = vms_counters_find(c, name, &r->value);
	}
}

void counters_rec_free(struct counters_rec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].name);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

void counters_rec_compare(const struct counters_rec *a, const struct counters_rec *b,
			  const char *what)
{
	size_t i;

	if (a->n != b->n)
		fail_msg("%s: %zu counters, then %zu", what, a->n, b->n);
	if (a->bad_lines != b->bad_lines)
		fail_msg("%s: %zu bad lines, then %zu", what, a->bad_lines, b->bad_lines);
	for (i = 0; i < a->n; i++) {
		const struct counter_rec *x = &a->v[i], *y = &b->v[i];

		if (strcmp(x->name, y->name) != 0 || x->raw != y->raw || x->in_kb != y->in_kb ||
		    x->get_ret != y->get_ret || x->value != y->value)
			fail_msg("%s: counter %zu: \"%s\" %" PRIu64 "%s (%s, %" PRIu64
				 ") then \"%s\" %" PRIu64 "%s (%s, %" PRIu64 ")",
				 what, i, esc(x->name, strlen(x->name)), x->raw,
				 x->in_kb ? " kB" : "", errname(x->get_ret), x->value,
				 esc(y->name, strlen(y->name)), y->raw, y->in_kb ? " kB" : "",
				 errname(y->get_ret), y->value);
	}
}

void maps_collect_it(struct vms_maps *it, struct map_list *out)
{
	size_t cap = 0, calls = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		const struct vms_mapping *m = NULL;
		int ret = vms_maps_next(it, &m);
		struct map_rec *r;

		/* A parser that never ends would hang the suite; 10 M calls is far past any input. */
		if (++calls > 10000000)
			fail_msg("vms_maps_next() did not end after %zu calls", calls);
		if (ret == -EBADMSG) {
			out->ebadmsg++;
			continue;
		}
		if (ret <= 0) {
			out->end_ret = ret;
			break;
		}
		if (ret != 1)
			fail_msg("vms_maps_next(): expected 1, 0 or a negative errno, got %d", ret);
		assert_non_null(m);
		if (out->n == cap) {
			cap = cap ? cap * 2 : 64;
			out->v = realloc(out->v, cap * sizeof(*out->v));
			assert_non_null(out->v);
		}
		r = &out->v[out->n++];
		memset(r, 0, sizeof(*r));
		r->m = *m;
		if (!m->name && m->name_len)
			fail_msg("mapping %zu: name NULL with name_len %zu", out->n - 1,
				 m->name_len);
		r->name = dup_bytes(m->name ? m->name : "", m->name_len);
		r->m.name = r->name;
		r->vm_flags = m->vm_flags ? dup_bytes(m->vm_flags, strlen(m->vm_flags)) : NULL;
		r->m.vm_flags = r->vm_flags;
		r->has_counters = m->counters != NULL;
		if (m->counters)
			counters_collect(m->counters, &r->counters);
		r->m.counters = NULL;
	}
	out->bad_lines = vms_maps_bad_lines(it);
	out->finish_ret = out->end_ret == 0 ? vms_maps_finish(it) : out->end_ret;
}

void maps_collect_fd(int fd, unsigned int flags, struct map_list *out)
{
	struct vms_maps *it = NULL;
	int ret = vms_maps_open_fd(fd, flags, &it);

	if (ret != 0)
		fail_msg("vms_maps_open_fd(flags %#x): expected 0, got %s", flags, errname(ret));
	assert_non_null(it);
	maps_collect_it(it, out);
	vms_maps_close(it);
}

void maps_collect_text(const void *buf, size_t len, size_t chunk, unsigned int flags,
		       struct map_list *out)
{
	struct feed *f = feed_start(buf, len, chunk);

	maps_collect_fd(feed_fd(f), flags, out);
	feed_finish(f);
}

void map_list_free(struct map_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].vm_flags);
		counters_rec_free(&l->v[i].counters);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void map_list_compare(const struct map_list *a, const struct map_list *b, const char *what)
{
	size_t i;
	char sub[160];

	if (a->n != b->n)
		fail_msg("%s: %zu mappings, then %zu", what, a->n, b->n);
	if (a->ebadmsg != b->ebadmsg || a->bad_lines != b->bad_lines)
		fail_msg("%s: %zu -EBADMSG / %zu bad lines, then %zu / %zu", what, a->ebadmsg,
			 a->bad_lines, b->ebadmsg, b->bad_lines);
	if (a->end_ret != b->end_ret || a->finish_ret != b->finish_ret)
		fail_msg("%s: ended with %s (finish %s), then %s (finish %s)", what,
			 errname(a->end_ret), errname(a->finish_ret), errname(b->end_ret),
			 errname(b->finish_ret));
	for (i = 0; i < a->n; i++) {
		const struct map_rec *x = &a->v[i], *y = &b->v[i];

		if (x->m.start != y->m.start || x->m.end != y->m.end ||
		    x->m.offset != y->m.offset || x->m.inode != y->m.inode ||
		    x->m.dev_major != y->m.dev_major || x->m.dev_minor != y->m.dev_minor ||
		    memcmp(x->m.perms, y->m.perms, sizeof(x->m.perms)) != 0 ||
		    x->m.name_says_deleted != y->m.name_says_deleted)
			fail_msg("%s: mapping %zu (%" PRIx64 "-%" PRIx64 ") differs from %" PRIx64
				 "-%" PRIx64,
				 what, i, x->m.start, x->m.end, y->m.start, y->m.end);
		if (x->m.name_len != y->m.name_len || memcmp(x->name, y->name, x->m.name_len) != 0)
			fail_msg("%s: mapping %zu: name \"%s\" (%zu bytes) then \"%s\" (%zu bytes)",
				 what, i, esc(x->name, x->m.name_len), x->m.name_len,
				 esc(y->name, y->m.name_len), y->m.name_len);
		if (!x->vm_flags != !y->vm_flags ||
		    (x->vm_flags && strcmp(x->vm_flags, y->vm_flags) != 0))
			fail_msg("%s: mapping %zu: VmFlags \"%s\" then \"%s\"", what, i,
				 x->vm_flags ? x->vm_flags : "(null)",
				 y->vm_flags ? y->vm_flags : "(null)");
		if (x->has_counters != y->has_counters)
			fail_msg("%s: mapping %zu: counters %s then %s", what, i,
				 x->has_counters ? "present" : "NULL",
				 y->has_counters ? "present" : "NULL");
		snprintf(sub, sizeof(sub), "%s: mapping %zu", what, i);
		counters_rec_compare(&x->counters, &y->counters, sub);
	}
}

struct vms_counters *counters_parse_text(const void *buf, size_t len, size_t chunk)
{
	struct feed *f = feed_start(buf, len, chunk);
	struct vms_counters *c = NULL;
	int ret = vms_counters_parse_fd(feed_fd(f), &c);

	feed_finish(f);
	if (ret != 0)
		fail_msg("vms_counters_parse_fd(chunk %zu): expected 0, got %s", chunk,
			 errname(ret));
	assert_non_null(c);
	return c;
}

struct vms_counters *counters_parse_data(const char *name)
{
	int fd = open_data(name);
	struct vms_counters *c = NULL;
	int ret = vms_counters_parse_fd(fd, &c);

	close(fd);
	if (ret != 0)
		fail_msg("vms_counters_parse_fd(%s): expected 0, got %s", name, errname(ret));
	assert_non_null(c);
	return c;
}

uint64_t counter(const struct vms_counters *c, const char *name)
{
	uint64_t v = 0;
	int ret = vms_counters_find(c, name, &v);

	if (ret != 0)
		fail_msg("vms_counters_find(\"%s\"): expected 0, got %s", name, errname(ret));
	return v;
}

void sbuf_add(struct sbuf *b, const void *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(tmp));
	sbuf_add(b, tmp, (size_t)n);
}

void sbuf_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void sbuf_add_maps_line(struct sbuf *b, uint64_t start, uint64_t end, const char *perms,
			uint64_t offset, unsigned int maj, unsigned int min, uint64_t inode,
			const char *name, size_t name_len)
{
	size_t line_start = b->len;

	sbuf_addf(b, "%08" PRIx64 "-%08" PRIx64 " %s %08" PRIx64 " %02x:%02x %" PRIu64 " ", start,
		  end, perms, offset, maj, min, inode);
	if (name_len) {
		/* seq_pad(): spaces up to 72 characters, then one more. */
		while (b->len - line_start < 72)
			sbuf_add(b, " ", 1);
		sbuf_add(b, " ", 1);
		sbuf_add(b, name, name_len);
	}
}
