// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvmscope: streaming parser of /proc/PID/maps and /proc/PID/smaps. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

static const char deleted_suffix[] = " (deleted)";

VMS_EXPORT int vms_maps_line_parse(const char *line, size_t len, struct vms_mapping *m)
{
	const char *p = line, *end = line + len;
	uint64_t maj, min;

	if (vms_parse_u64(&p, end, 16, &m->start) < 0 || p == end || *p++ != '-')
		return -EBADMSG;
	if (vms_parse_u64(&p, end, 16, &m->end) < 0 || p == end || *p++ != ' ')
		return -EBADMSG;
	if (m->end < m->start || end - p < 5 || p[4] != ' ')
		return -EBADMSG;
	if ((p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') ||
	    (p[2] != 'x' && p[2] != '-') || (p[3] != 'p' && p[3] != 's'))
		return -EBADMSG;
	memcpy(m->perms, p, 4);
	m->perms[4] = '\0';
	p += 5;
	if (vms_parse_u64(&p, end, 16, &m->offset) < 0 || p == end || *p++ != ' ')
		return -EBADMSG;
	if (vms_parse_u64(&p, end, 16, &maj) < 0 || p == end || *p++ != ':')
		return -EBADMSG;
	if (vms_parse_u64(&p, end, 16, &min) < 0 || maj > UINT32_MAX || min > UINT32_MAX)
		return -EBADMSG;
	m->dev_major = (uint32_t)maj;
	m->dev_minor = (uint32_t)min;
	if (p == end || *p++ != ' ')
		return -EBADMSG;
	if (vms_parse_u64(&p, end, 10, &m->inode) < 0)
		return -EBADMSG;
	if (p < end && *p != ' ')
		return -EBADMSG;
	/*
	 * The kernel pads to a column and then adds one space before the
	 * name; names never start with a space (paths are absolute, pseudo
	 * names start with '['), so everything after the run of spaces is the
	 * name, trailing spaces included.
	 */
	while (p < end && *p == ' ')
		p++;
	m->name = p;
	m->name_len = (size_t)(end - p);
	m->name_says_deleted = m->name_len > sizeof(deleted_suffix) - 1 &&
			       memcmp(end - (sizeof(deleted_suffix) - 1), deleted_suffix,
				      sizeof(deleted_suffix) - 1) == 0;
	m->counters = NULL;
	m->vm_flags = NULL;
	return 0;
}

struct vms_maps {
	struct vms_reader r;
	struct vms_proc *proc; /* NULL for vms_maps_open_fd() */
	int fd;
	bool own_fd;
	unsigned int flags;
	struct vms_mapping cur;
	struct vms_counters *counters;
	/* two header copies: the current mapping's, and the one read ahead */
	char *hdr[2];
	size_t hdr_cap[2];
	size_t hdr_len[2];
	int cur_hdr;
	bool pending;
	char *vm_flags;
	size_t vm_flags_cap;
	size_t bad;
	size_t count;
	int err; /* sticky error */
	bool done;
};

static bool looks_like_header(const char *line, size_t len)
{
	/* "start-end ...": hex digits then '-'; counter keys never match */
	size_t i = 0;

	while (i < len &&
	       ((line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'f')))
		i++;
	return i > 0 && i < len && line[i] == '-';
}

static int copy_into(char **buf, size_t *cap, const char *src, size_t len)
{
	if (len + 1 > *cap) {
		size_t ncap = *cap ? *cap : 256;
		char *nb;

		while (ncap < len + 1)
			ncap *= 2;
		nb = realloc(*buf, ncap);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf, src, len);
	(*buf)[len] = '\0';
	return 0;
}

static struct vms_maps *maps_new(int fd, unsigned int flags)
{
	struct vms_maps *it = calloc(1, sizeof(*it));

	if (!it)
		return NULL;
	if (vms_reader_init(&it->r, fd, 65536) < 0) {
		free(it);
		return NULL;
	}
	it->fd = fd;
	it->flags = flags;
	/* when no thread can be had, the reader just reads inline */
	if (flags & VMS_MAPS_PREFETCH)
		(void)vms_reader_prefetch(&it->r);
	if (flags & VMS_MAPS_SMAPS) {
		it->counters = vms_counters_new();
		if (!it->counters) {
			vms_reader_release(&it->r);
			free(it);
			return NULL;
		}
	}
	return it;
}

VMS_EXPORT int vms_maps_open_fd(int fd, unsigned int flags, struct vms_maps **out)
{
	struct vms_maps *it;

	if (fd < 0 || (flags & ~(VMS_MAPS_SMAPS | VMS_MAPS_PREFETCH)))
		return -EINVAL;
	it = maps_new(fd, flags);
	if (!it)
		return -ENOMEM;
	*out = it;
	return 0;
}

struct vms_maps *vms_maps_new_for_proc(struct vms_proc *p, int fd, unsigned int flags)
{
	struct vms_maps *it = maps_new(fd, flags);

	if (!it)
		return NULL;
	it->proc = p;
	it->own_fd = true;
	return it;
}

/* Read lines until a header is found; store it as pending. 1, 0 at EOF, -errno. */
static int find_header(struct vms_maps *it, int slot)
{
	char *line;
	size_t len;
	int ret;

	while ((ret = vms_reader_line(&it->r, &line, &len)) > 0) {
		if (looks_like_header(line, len)) {
			ret = copy_into(&it->hdr[slot], &it->hdr_cap[slot], line, len);
			if (ret < 0)
				return ret;
			it->hdr_len[slot] = len;
			return 1;
		}
		/* a body line with no header before it */
		it->bad++;
	}
	return ret;
}

VMS_EXPORT int vms_maps_next(struct vms_maps *it, const struct vms_mapping **m)
{
	int slot, ret;
	char *line;
	size_t len;

	if (!it || !m)
		return -EINVAL;
	if (it->err)
		return it->err;
	for (;;) {
		if (it->done)
			return 0;
		slot = it->pending ? 1 - it->cur_hdr : it->cur_hdr;
		if (!it->pending) {
			ret = find_header(it, slot);
			if (ret <= 0)
				goto end;
		}
		it->pending = false;
		it->cur_hdr = slot;
		if (vms_maps_line_parse(it->hdr[slot], it->hdr_len[slot], &it->cur) == 0)
			break;
		it->bad++;
	}
	if (!(it->flags & VMS_MAPS_SMAPS))
		goto found;
	vms_counters_reset(it->counters);
	it->cur.counters = it->counters;
	while ((ret = vms_reader_line(&it->r, &line, &len)) > 0) {
		if (looks_like_header(line, len)) {
			int other = 1 - slot;

			ret = copy_into(&it->hdr[other], &it->hdr_cap[other], line, len);
			if (ret < 0)
				goto fail;
			it->hdr_len[other] = len;
			it->pending = true;
			/* the current name lives in hdr[slot], untouched */
			goto found;
		}
		if (len >= 8 && memcmp(line, "VmFlags:", 8) == 0) {
			const char *f = line + 8;

			while (*f == ' ')
				f++;
			ret = copy_into(&it->vm_flags, &it->vm_flags_cap, f, strlen(f));
			if (ret < 0)
				goto fail;
			it->cur.vm_flags = it->vm_flags;
			goto found;
		}
		ret = vms_counters_add_line(it->counters, line, len);
		if (ret == -ENOMEM)
			goto fail;
		if (ret == -EBADMSG)
			it->bad++;
	}
	if (ret < 0)
		goto fail;
	it->done = true;
found:
	it->count++;
	*m = &it->cur;
	return 1;
end:
	if (ret == 0) {
		it->done = true;
		return 0;
	}
fail:
	it->err = ret;
	return ret;
}

VMS_EXPORT size_t vms_maps_bad_lines(const struct vms_maps *it)
{
	return it ? it->bad : 0;
}

VMS_EXPORT int vms_maps_finish(struct vms_maps *it)
{
	int st;

	if (!it)
		return -EINVAL;
	if (it->err)
		return it->err;
	if (!it->proc)
		return 0;
	/*
	 * A process that exits mid-read makes the kernel end the file early
	 * (read returns 0).  Look at it again through the held directory.
	 */
	st = vms_proc_memory_state(it->proc);
	if (st < 0)
		return st == -ENOENT ? 0 : st;
	if (st == 'Z' || st == 'X')
		return -ESRCH;
	return 0;
}

VMS_EXPORT void vms_maps_close(struct vms_maps *it)
{
	if (!it)
		return;
	if (it->own_fd)
		close(it->fd);
	vms_reader_release(&it->r);
	vms_counters_free(it->counters);
	free(it->hdr[0]);
	free(it->hdr[1]);
	free(it->vm_flags);
	free(it);
}
