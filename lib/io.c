// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvmscope: streaming line reader, small-file reads and number parsing. */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

ssize_t vms_read_retry(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = read(fd, buf, len);

		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -errno;
	}
}

int vms_reader_init(struct vms_reader *r, int fd, size_t initial)
{
	r->fd = fd;
	r->cap = initial ? initial : 16384;
	r->buf = malloc(r->cap);
	r->start = r->end = 0;
	r->eof = false;
	r->pf = NULL;
	return r->buf ? 0 : -ENOMEM;
}

#define PF_CHUNK (64 * 1024)
#define PF_NBUF 4

struct vms_prefetch {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	char *buf[PF_NBUF];
	ssize_t len[PF_NBUF]; /* bytes, 0 at EOF, -errno */
	unsigned int head, tail; /* chunks filled, chunks consumed */
	bool stop;
};

static void *prefetch_main(void *arg)
{
	struct vms_prefetch *pf = arg;

	for (;;) {
		unsigned int slot;
		ssize_t n;

		pthread_mutex_lock(&pf->mu);
		while (!pf->stop && pf->head - pf->tail == PF_NBUF)
			pthread_cond_wait(&pf->cv, &pf->mu);
		if (pf->stop) {
			pthread_mutex_unlock(&pf->mu);
			return NULL;
		}
		slot = pf->head % PF_NBUF;
		pthread_mutex_unlock(&pf->mu);

		/*
		 * A seq_file read returns about a page at a time: fill the chunk
		 * with many, so that the two threads meet once per chunk.
		 */
		{
			size_t fill = 0;

			for (;;) {
				n = vms_read_retry(pf->fd, pf->buf[slot] + fill, PF_CHUNK - fill);
				if (n <= 0)
					break;
				fill += (size_t)n;
				if (PF_CHUNK - fill < PF_CHUNK / 8)
					break;
			}
			/* data first; the end (or error) comes as the next chunk */
			if (fill) {
				pthread_mutex_lock(&pf->mu);
				pf->len[slot] = (ssize_t)fill;
				pf->head++;
				pthread_cond_broadcast(&pf->cv);
				if (n > 0) {
					pthread_mutex_unlock(&pf->mu);
					continue;
				}
				while (!pf->stop && pf->head - pf->tail == PF_NBUF)
					pthread_cond_wait(&pf->cv, &pf->mu);
				if (pf->stop) {
					pthread_mutex_unlock(&pf->mu);
					return NULL;
				}
				slot = pf->head % PF_NBUF;
				pthread_mutex_unlock(&pf->mu);
			}
		}

		pthread_mutex_lock(&pf->mu);
		pf->len[slot] = n;
		pf->head++;
		pthread_cond_broadcast(&pf->cv);
		pthread_mutex_unlock(&pf->mu);
		if (n <= 0)
			return NULL;
	}
}

static void prefetch_free(struct vms_prefetch *pf)
{
	for (int i = 0; i < PF_NBUF; i++)
		free(pf->buf[i]);
	pthread_mutex_destroy(&pf->mu);
	pthread_cond_destroy(&pf->cv);
	free(pf);
}

int vms_reader_prefetch(struct vms_reader *r)
{
	struct vms_prefetch *pf = calloc(1, sizeof(*pf));
	int err;

	if (!pf)
		return -ENOMEM;
	pthread_mutex_init(&pf->mu, NULL);
	pthread_cond_init(&pf->cv, NULL);
	pf->fd = r->fd;
	for (int i = 0; i < PF_NBUF; i++) {
		pf->buf[i] = malloc(PF_CHUNK);
		if (!pf->buf[i]) {
			prefetch_free(pf);
			return -ENOMEM;
		}
	}
	err = pthread_create(&pf->thread, NULL, prefetch_main, pf);
	if (err) {
		prefetch_free(pf);
		return -err;
	}
	r->pf = pf;
	return 0;
}

/* The next chunk into [buf, buf + len): bytes, 0 at EOF, -errno. */
static ssize_t prefetch_read(struct vms_prefetch *pf, char *buf, size_t len)
{
	unsigned int slot;
	ssize_t n;

	pthread_mutex_lock(&pf->mu);
	while (pf->head == pf->tail)
		pthread_cond_wait(&pf->cv, &pf->mu);
	slot = pf->tail % PF_NBUF;
	n = pf->len[slot];
	pthread_mutex_unlock(&pf->mu);
	if (n <= 0)
		return n; /* stays at the end: the thread has stopped */
	if ((size_t)n > len)
		n = (ssize_t)len; /* never: the reader asks for a whole chunk */
	memcpy(buf, pf->buf[slot], (size_t)n);
	pthread_mutex_lock(&pf->mu);
	pf->tail++;
	pthread_cond_broadcast(&pf->cv);
	pthread_mutex_unlock(&pf->mu);
	return n;
}

void vms_reader_release(struct vms_reader *r)
{
	if (r->pf) {
		pthread_mutex_lock(&r->pf->mu);
		r->pf->stop = true;
		pthread_cond_broadcast(&r->pf->cv);
		pthread_mutex_unlock(&r->pf->mu);
		pthread_join(r->pf->thread, NULL);
		prefetch_free(r->pf);
		r->pf = NULL;
	}
	free(r->buf);
	r->buf = NULL;
}

int vms_reader_line(struct vms_reader *r, char **line, size_t *len)
{
	size_t scanned = 0;

	for (;;) {
		char *nl = memchr(r->buf + r->start + scanned, '\n', r->end - r->start - scanned);

		if (nl || (r->eof && r->end > r->start)) {
			char *s = r->buf + r->start;
			size_t n = nl ? (size_t)(nl - s) : r->end - r->start;

			if (!nl) {
				/* final line without '\n': terminate in place */
				if (r->end == r->cap) {
					char *nb = realloc(r->buf, r->cap + 1);

					if (!nb)
						return -ENOMEM;
					r->buf = nb;
					r->cap++;
					s = r->buf + r->start;
				}
				r->end++;
			}
			s[n] = '\0';
			r->start += n + 1;
			*line = s;
			*len = n;
			return 1;
		}
		if (r->eof)
			return 0;
		scanned = r->end - r->start;
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, scanned);
			r->end = scanned;
			r->start = 0;
		}
		while (r->end == r->cap || (r->pf && r->cap - r->end < PF_CHUNK)) {
			size_t ncap = r->cap * 2;
			char *nb;

			if (ncap < r->cap)
				return -ENOMEM;
			nb = realloc(r->buf, ncap);
			if (!nb)
				return -ENOMEM;
			r->buf = nb;
			r->cap = ncap;
		}
		ssize_t n = r->pf ? prefetch_read(r->pf, r->buf + r->end, r->cap - r->end) :
				    vms_read_retry(r->fd, r->buf + r->end, r->cap - r->end);

		if (n < 0)
			return (int)n;
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
	}
}

ssize_t vms_read_small(int dirfd, const char *name, size_t max, char **out)
{
	size_t cap = 1024, len = 0;
	char *buf;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= max) {
				/* bounded: keep what fits, like ps does for cmdline */
				break;
			}
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = vms_read_retry(fd, buf + len, cap - len - 1);
		if (n < 0) {
			free(buf);
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return (ssize_t)len;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vms_parse_u64(const char **p, const char *end, int base, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end)
		return -EBADMSG;
	if (base == 10) {
		/* the common case, kept simple: up to 19 digits cannot overflow */
		while (s < end && (unsigned char)(*s - '0') < 10 && s - *p < 19)
			v = v * 10 + (uint64_t)(*s++ - '0');
		if (s == *p)
			return -EBADMSG;
		if (s == end || (unsigned char)(*s - '0') >= 10) {
			*p = s;
			*out = v;
			return 0;
		}
		/* a 20th digit or more: the careful loop below */
		s = *p;
		v = 0;
	}
	while (s < end) {
		int d = hexval(*s);

		if (d < 0 || d >= base)
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -ERANGE;
		v = v * (uint64_t)base + (uint64_t)d;
		s++;
	}
	if (s == *p)
		return -EBADMSG;
	*p = s;
	*out = v;
	return 0;
}

VMS_EXPORT int vms_parse_pid(const char *s, pid_t *out)
{
	const char *p = s, *end;
	uint64_t v;
	int r;

	if (!s || !*s)
		return -EINVAL;
	end = s + strlen(s);
	for (const char *q = s; q < end; q++)
		if (*q < '0' || *q > '9')
			return -EINVAL;
	r = vms_parse_u64(&p, end, 10, &v);
	if (r == -ERANGE)
		return -ERANGE;
	if (r < 0 || p != end)
		return -EINVAL;
	if (v == 0)
		return -EINVAL;
	/* PID_MAX_LIMIT on 64-bit: 4 * 1024 * 1024 */
	if (v > 4194304)
		return -ERANGE;
	*out = (pid_t)v;
	return 0;
}
