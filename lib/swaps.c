// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvmscope: /proc/swaps rows, with the kernel's octal escapes undone. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

struct vms_swaps {
	struct vms_swap *v;
	size_t n, cap;
};

VMS_EXPORT size_t vms_swaps_count(const struct vms_swaps *s)
{
	return s ? s->n : 0;
}

VMS_EXPORT const struct vms_swap *vms_swaps_get(const struct vms_swaps *s, size_t i)
{
	return s && i < s->n ? &s->v[i] : NULL;
}

VMS_EXPORT void vms_swaps_free(struct vms_swaps *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free((char *)s->v[i].filename);
		free((char *)s->v[i].type);
	}
	free(s->v);
	free(s);
}

/* Undo seq_escape's "\ooo" (mm/swapfile.c escapes " \t\n\\"). */
static char *unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*o++ = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
				      (s[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static const char *next_field(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *f;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	f = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*len = (size_t)(s - f);
	*p = s;
	return *len ? f : NULL;
}

static int parse_row(const char *line, size_t len, struct vms_swap *w)
{
	const char *p = line, *end = line + len, *f, *q;
	size_t flen;
	uint64_t size, used;
	int64_t prio;
	bool neg = false;
	uint64_t pv;

	f = next_field(&p, end, &flen);
	if (!f)
		return -EBADMSG;
	w->filename = unescape(f, flen);
	if (!w->filename)
		return -ENOMEM;
	f = next_field(&p, end, &flen);
	if (!f)
		return -EBADMSG;
	w->type = strndup(f, flen);
	if (!w->type)
		return -ENOMEM;
	f = next_field(&p, end, &flen);
	q = f;
	if (!f || vms_parse_u64(&q, f + flen, 10, &size) < 0 || q != f + flen)
		return -EBADMSG;
	f = next_field(&p, end, &flen);
	q = f;
	if (!f || vms_parse_u64(&q, f + flen, 10, &used) < 0 || q != f + flen)
		return -EBADMSG;
	f = next_field(&p, end, &flen);
	if (!f)
		return -EBADMSG;
	q = f;
	if (*q == '-') {
		neg = true;
		q++;
	}
	if (vms_parse_u64(&q, f + flen, 10, &pv) < 0 || q != f + flen || pv > INT32_MAX)
		return -EBADMSG;
	prio = neg ? -(int64_t)pv : (int64_t)pv;
	if (size > UINT64_MAX / 1024 || used > UINT64_MAX / 1024)
		return -EBADMSG;
	w->size = size * 1024;
	w->used = used * 1024;
	w->priority = (int)prio;
	return 0;
}

VMS_EXPORT int vms_swaps_parse_fd(int fd, struct vms_swaps **out)
{
	struct vms_swaps *s = calloc(1, sizeof(*s));
	struct vms_reader r;
	char *line;
	size_t len;
	int ret;
	bool header = true;

	if (!s)
		return -ENOMEM;
	ret = vms_reader_init(&r, fd, 4096);
	if (ret < 0) {
		free(s);
		return ret;
	}
	while ((ret = vms_reader_line(&r, &line, &len)) > 0) {
		struct vms_swap w = { 0 };

		if (header) {
			header = false;
			if (strncmp(line, "Filename", 8) == 0)
				continue;
		}
		if (len == 0)
			continue;
		ret = parse_row(line, len, &w);
		if (ret == 0 && s->n == s->cap) {
			size_t ncap = s->cap ? s->cap * 2 : 4;
			struct vms_swap *nv = realloc(s->v, ncap * sizeof(*nv));

			if (!nv)
				ret = -ENOMEM;
			else
				s->v = nv, s->cap = ncap;
		}
		if (ret < 0) {
			free((char *)w.filename);
			free((char *)w.type);
			break;
		}
		s->v[s->n++] = w;
	}
	vms_reader_release(&r);
	if (ret < 0) {
		vms_swaps_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

VMS_EXPORT int vms_swaps_read(struct vms_ctx *ctx, struct vms_swaps **out)
{
	int fd = vms_ctx_openat(ctx, "proc/swaps", 0), ret;

	if (fd < 0)
		return fd;
	ret = vms_swaps_parse_fd(fd, out);
	close(fd);
	return ret;
}
