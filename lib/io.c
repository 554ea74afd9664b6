// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvmscope: streaming line reader, small-file reads and number parsing. */
#include <fcntl.h>
#include <limits.h>
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
	return r->buf ? 0 : -ENOMEM;
}

void vms_reader_release(struct vms_reader *r)
{
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
		if (r->end == r->cap) {
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
		ssize_t n = vms_read_retry(r->fd, r->buf + r->end, r->cap - r->end);

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
