// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvmscope: compressed swap (zram devices) and the memory controller of cgroups. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

/* sysfs and cgroup attribute files are at most a page; a fuller read is not one of them. */
#define ATTR_MAX 4096
/* mm_stat has 7 fields (4.x), 8, or 9 (6.x); room for a few more, not for garbage. */
#define MM_STAT_MIN_FIELDS 7
#define MM_STAT_MAX_FIELDS 16
/* The kernel's "no limit" of v1 is PAGE_COUNTER_MAX pages: just under 2^63 bytes. */
#define V1_NO_LIMIT (UINT64_C(1) << 62)

struct vms_zrams {
	struct vms_zram *v;
	size_t n, cap;
};

/*
 * Read a small attribute file.  Returns its length, -EFBIG when it fills
 * @max bytes (a truncated number must not pass for a whole one), or -errno.
 */
static ssize_t read_attr(int dirfd, const char *name, char **out)
{
	ssize_t n = vms_read_small(dirfd, name, ATTR_MAX + 1, out);

	if (n >= ATTR_MAX) {
		free(*out);
		*out = NULL;
		return -EFBIG;
	}
	return n;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One unsigned decimal, or "max" when @max_ok, and an optional final '\n'. */
static int parse_value(const char *s, size_t len, bool max_ok, uint64_t *out)
{
	const char *p = s, *end = s + len;

	if (len && end[-1] == '\n')
		end--;
	if (max_ok && end - p == 3 && memcmp(p, "max", 3) == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	if (vms_parse_u64(&p, end, 10, out) < 0 || p != end)
		return -EBADMSG;
	return 0;
}

/* Read a one-value file: 0, -ENOENT, -EACCES, -EBADMSG, -ENOMEM. */
static int read_value(int dirfd, const char *name, bool max_ok, uint64_t *out)
{
	char *buf;
	ssize_t n = read_attr(dirfd, name, &buf);
	int ret;

	if (n < 0)
		return n == -EFBIG ? -EBADMSG : (int)n;
	ret = parse_value(buf, (size_t)n, max_ok, out);
	free(buf);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* zram                                                                    */

VMS_EXPORT int vms_zram_parse_mm_stat(const char *text, size_t len, struct vms_zram *z)
{
	uint64_t f[MM_STAT_MIN_FIELDS + 1];
	const char *p, *end;
	size_t n = 0;

	if (!text || !z)
		return -EINVAL;
	p = text;
	end = text + len;
	/* one line: a newline may only end it */
	if (len && end[-1] == '\n')
		end--;
	for (;;) {
		uint64_t v;

		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			break;
		if (n == MM_STAT_MAX_FIELDS)
			return -EBADMSG;
		if (vms_parse_u64(&p, end, 10, &v) < 0 || (p < end && !is_blank(*p)))
			return -EBADMSG;
		if (n < MM_STAT_MIN_FIELDS + 1)
			f[n] = v;
		n++;
	}
	if (n < MM_STAT_MIN_FIELDS)
		return -EBADMSG;
	z->orig_data_size = f[0];
	z->compr_data_size = f[1];
	z->mem_used_total = f[2];
	z->mem_limit = f[3];
	z->mem_used_max = f[4];
	z->same_pages = f[5];
	z->pages_compacted = f[6];
	z->have_huge_pages = n > MM_STAT_MIN_FIELDS;
	z->huge_pages = z->have_huge_pages ? f[7] : 0;
	z->have_mm_stat = true;
	return 0;
}

VMS_EXPORT size_t vms_zram_count(const struct vms_zrams *z)
{
	return z ? z->n : 0;
}

VMS_EXPORT const struct vms_zram *vms_zram_get(const struct vms_zrams *z, size_t i)
{
	return z && i < z->n ? &z->v[i] : NULL;
}

VMS_EXPORT void vms_zram_free(struct vms_zrams *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->n; i++) {
		free((char *)z->v[i].name);
		free((char *)z->v[i].algorithm);
	}
	free(z->v);
	free(z);
}

/* "zram" and a decimal device number, as the driver names them; -1 otherwise. */
static long zram_number(const char *name)
{
	const char *p = name + 4, *end;
	uint64_t v;

	if (strncmp(name, "zram", 4) != 0)
		return -1;
	end = p + strlen(p);
	if (vms_parse_u64(&p, end, 10, &v) < 0 || p != end || v > INT32_MAX)
		return -1;
	return (long)v;
}

static int cmp_zram(const void *a, const void *b)
{
	long x = zram_number(((const struct vms_zram *)a)->name);
	long y = zram_number(((const struct vms_zram *)b)->name);

	return (x > y) - (x < y);
}

/* The bracketed name in "lzo [lz4] zstd", the one in use, or NULL.  0 or -ENOMEM. */
static int selected_algorithm(const char *s, size_t len, const char **out)
{
	const char *open = memchr(s, '[', len), *close;

	*out = NULL;
	if (!open)
		return 0;
	close = memchr(open + 1, ']', len - (size_t)(open + 1 - s));
	if (!close || close == open + 1)
		return 0;
	for (const char *q = open + 1; q < close; q++)
		if ((unsigned char)*q <= ' ' || *q == '[')
			return 0;
	*out = strndup(open + 1, (size_t)(close - open - 1));
	return *out ? 0 : -ENOMEM;
}

/* Fill @z from the device directory @dfd; only -ENOMEM is an error. */
static int zram_fill(int dfd, struct vms_zram *z)
{
	char *buf;
	ssize_t n = read_value(dfd, "disksize", false, &z->disksize);

	if (n == -ENOMEM)
		return -ENOMEM;
	if (n < 0)
		z->disksize = 0;
	n = read_attr(dfd, "comp_algorithm", &buf);
	if (n == -ENOMEM)
		return -ENOMEM;
	if (n >= 0) {
		int ret = selected_algorithm(buf, (size_t)n, &z->algorithm);

		free(buf);
		if (ret < 0)
			return ret;
	}
	n = read_attr(dfd, "mm_stat", &buf);
	if (n == -ENOMEM)
		return -ENOMEM;
	if (n >= 0) {
		vms_zram_parse_mm_stat(buf, (size_t)n, z);
		free(buf);
	}
	return 0;
}

VMS_EXPORT int vms_zram_read(struct vms_ctx *ctx, struct vms_zrams **out)
{
	struct vms_zrams *z;
	struct dirent *de;
	int fd, ret = 0;
	DIR *d;

	if (!ctx || !out)
		return -EINVAL;
	z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	fd = openat(ctx->rootfd, "sys/block", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		/* no sysfs in the root (a snapshot without zram): no devices */
		if (ret == -ENOENT || ret == -ENOTDIR)
			goto done;
		goto fail;
	}
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		goto fail;
	}
	while ((de = readdir(d))) {
		struct vms_zram dev = { 0 };
		int dfd;

		if (zram_number(de->d_name) < 0)
			continue;
		dfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue; /* removed (hot_remove) since readdir */
		dev.name = strdup(de->d_name);
		ret = dev.name ? zram_fill(dfd, &dev) : -ENOMEM;
		close(dfd);
		if (ret == 0 && z->n == z->cap) {
			size_t ncap = z->cap ? z->cap * 2 : 4;
			struct vms_zram *nv = realloc(z->v, ncap * sizeof(*nv));

			if (!nv)
				ret = -ENOMEM;
			else
				z->v = nv, z->cap = ncap;
		}
		if (ret < 0) {
			free((char *)dev.name);
			free((char *)dev.algorithm);
			break;
		}
		z->v[z->n++] = dev;
	}
	closedir(d);
	if (ret < 0)
		goto fail;
	if (z->n > 1)
		qsort(z->v, z->n, sizeof(z->v[0]), cmp_zram);
done:
	*out = z;
	return 0;
fail:
	vms_zram_free(z);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* Memory cgroups                                                          */

/*
 * Record one file's outcome: a value read sets its flag; a denial is kept
 * so that a cgroup where nothing was readable says -EACCES.
 */
static int note(int ret, bool *have, bool *denied)
{
	if (ret == 0)
		*have = true;
	else if (ret == -EACCES || ret == -EPERM)
		*denied = true;
	return ret;
}

/* v2 memory.events: "key value" lines; unknown keys are checked and ignored. */
static int parse_events(const char *s, size_t len, struct vms_cgmem *out)
{
	static const char *const keys[] = { "low", "high", "max", "oom", "oom_kill" };
	uint64_t *const dst[] = { &out->ev_low, &out->ev_high, &out->ev_max, &out->ev_oom,
				  &out->ev_oom_kill };
	uint64_t v[5] = { 0 };
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		const char *sp = memchr(p, ' ', (size_t)(le - p)), *q;
		uint64_t val;

		if (!sp || sp == p)
			return -EBADMSG;
		q = sp + 1;
		if (vms_parse_u64(&q, le, 10, &val) < 0 || q != le)
			return -EBADMSG;
		for (size_t i = 0; i < 5; i++)
			if ((size_t)(sp - p) == strlen(keys[i]) &&
			    memcmp(p, keys[i], (size_t)(sp - p)) == 0)
				v[i] = val;
		p = nl ? nl + 1 : end;
	}
	for (size_t i = 0; i < 5; i++)
		*dst[i] = v[i];
	return 0;
}

/* v1 memory.oom_control: "oom_kill_disable 0\nunder_oom 0\noom_kill 0" (4.13+ for oom_kill). */
static int parse_oom_control(const char *s, size_t len, uint64_t *under_oom, uint64_t *oom_kill)
{
	const char *p = s, *end = s + len;
	bool have_under = false;

	*oom_kill = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		const char *sp = memchr(p, ' ', (size_t)(le - p)), *q;
		uint64_t val;

		if (!sp || sp == p)
			return -EBADMSG;
		q = sp + 1;
		if (vms_parse_u64(&q, le, 10, &val) < 0 || q != le)
			return -EBADMSG;
		if (sp - p == 9 && memcmp(p, "under_oom", 9) == 0) {
			*under_oom = val;
			have_under = true;
		} else if (sp - p == 8 && memcmp(p, "oom_kill", 8) == 0) {
			*oom_kill = val;
		}
		p = nl ? nl + 1 : end;
	}
	return have_under ? 0 : -EBADMSG;
}

typedef int (*parse_fn)(const char *s, size_t len, void *data);

static int parse_events_cb(const char *s, size_t len, void *data)
{
	return parse_events(s, len, data);
}

static int parse_oom_cb(const char *s, size_t len, void *data)
{
	struct vms_cgmem *out = data;
	uint64_t under, kill;
	int ret = parse_oom_control(s, len, &under, &kill);

	if (ret == 0) {
		out->ev_oom = under;
		out->ev_oom_kill = kill;
	}
	return ret;
}

/* Read a whole small file and hand it to @fn: 0, -ENOENT, -EACCES, -EBADMSG, -ENOMEM. */
static int read_parsed(int dirfd, const char *name, parse_fn fn, void *data)
{
	char *buf;
	ssize_t n = read_attr(dirfd, name, &buf);
	int ret;

	if (n < 0)
		return n == -EFBIG ? -EBADMSG : (int)n;
	ret = fn(buf, (size_t)n, data);
	free(buf);
	return ret;
}

static bool exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, 0) == 0;
}

/* One value file of a cgroup, and where its value and flag go. */
struct cg_file {
	const char *name;
	bool max_ok; /* "max" means no limit */
	uint64_t *dst;
	bool *have;
};

/* Read @n files; only -ENOMEM stops. */
static int read_files(int dfd, const struct cg_file *f, size_t n, bool *denied)
{
	for (size_t i = 0; i < n; i++)
		if (note(read_value(dfd, f[i].name, f[i].max_ok, f[i].dst), f[i].have, denied) ==
		    -ENOMEM)
			return -ENOMEM;
	return 0;
}

static int cgmem_v2(int dfd, struct vms_cgmem *out, bool *denied)
{
	const struct cg_file files[] = {
		{ "memory.max", true, &out->max, &out->have_max },
		{ "memory.high", true, &out->high, &out->have_high },
		{ "memory.swap.current", false, &out->swap_current, &out->have_swap_current },
		{ "memory.swap.max", true, &out->swap_max, &out->have_swap_max },
	};
	int ret;

	ret = note(read_value(dfd, "memory.current", false, &out->current), &out->have_current,
		   denied);
	if (ret == -ENOMEM)
		return ret;
	/* the root cgroup has memory.stat but none of the figures */
	if (ret == -ENOENT && !exists(dfd, "memory.stat"))
		return -ENOENT;
	if (read_files(dfd, files, sizeof(files) / sizeof(files[0]), denied) < 0)
		return -ENOMEM;
	ret = note(read_parsed(dfd, "memory.events", parse_events_cb, out), &out->have_events,
		   denied);
	return ret == -ENOMEM ? ret : 0;
}

static int cgmem_v1(int dfd, struct vms_cgmem *out, bool *denied)
{
	uint64_t memsw, failcnt;
	bool have_memsw = false, have_failcnt = false, have_oom = false;
	const struct cg_file files[] = {
		{ "memory.limit_in_bytes", false, &out->max, &out->have_max },
		{ "memory.memsw.usage_in_bytes", false, &memsw, &have_memsw },
		{ "memory.failcnt", false, &failcnt, &have_failcnt },
	};
	int ret;

	ret = note(read_value(dfd, "memory.usage_in_bytes", false, &out->current),
		   &out->have_current, denied);
	if (ret == -ENOENT)
		return -ENOENT; /* not a memory controller directory */
	if (ret == -ENOMEM || read_files(dfd, files, sizeof(files) / sizeof(files[0]), denied) < 0)
		return -ENOMEM;
	if (note(read_parsed(dfd, "memory.oom_control", parse_oom_cb, out), &have_oom, denied) ==
	    -ENOMEM)
		return -ENOMEM;
	if (out->have_max && out->max >= V1_NO_LIMIT)
		out->max = UINT64_MAX;
	/* two reads, not one snapshot: memsw may lag the usage a little */
	if (have_memsw && out->have_current) {
		out->swap_current = memsw > out->current ? memsw - out->current : 0;
		out->have_swap_current = true;
	}
	if (have_oom && have_failcnt) {
		out->ev_max = failcnt;
		out->have_events = true;
	} else {
		out->ev_oom = out->ev_oom_kill = 0;
	}
	return 0;
}

/* An absolute cgroup path with no ".." component (it must stay below the mount). */
static bool path_ok(const char *path)
{
	const char *p = path;

	if (path[0] != '/' || strlen(path) >= PATH_MAX)
		return false;
	while (*p) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
	}
	return true;
}

VMS_EXPORT int vms_cgmem_read(struct vms_ctx *ctx, const char *path, int version,
			      struct vms_cgmem *out)
{
	const char *base = version == 2 ? "sys/fs/cgroup" : "sys/fs/cgroup/memory";
	struct vms_cgmem m = { 0 };
	bool denied = false;
	char *rel;
	size_t len;
	int dfd, ret;

	if (!ctx || !path || !out || (version != 1 && version != 2) || !path_ok(path))
		return -EINVAL;
	len = strlen(base) + strlen(path) + 1;
	rel = malloc(len);
	if (!rel)
		return -ENOMEM;
	memcpy(rel, base, strlen(base));
	/* "/" is the mount itself */
	memcpy(rel + strlen(base), path, strlen(path) + 1);
	dfd = openat(ctx->rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		ret = -errno;
		free(rel);
		return ret == -ENOTDIR ? -ENOENT : ret;
	}
	free(rel);
	m.version = version;
	ret = version == 2 ? cgmem_v2(dfd, &m, &denied) : cgmem_v1(dfd, &m, &denied);
	close(dfd);
	if (ret < 0)
		return ret;
	if (denied && !m.have_current && !m.have_max && !m.have_high && !m.have_swap_current &&
	    !m.have_swap_max && !m.have_events)
		return -EACCES;
	*out = m;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* A process's memory cgroup                                               */

/* Does the root's cgroup v2 mount have the memory controller? */
/* 1: the v2 hierarchy has the memory controller; 0: it has not; -ENOMEM. */
static int memory_on_v2(struct vms_ctx *ctx)
{
	char *buf, *save = NULL;
	bool found = false;
	ssize_t n = read_attr(ctx->rootfd, "sys/fs/cgroup/cgroup.controllers", &buf);

	if (n == -ENOMEM)
		return -ENOMEM;
	if (n < 0)
		return 0;
	for (char *t = strtok_r(buf, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save))
		if (strcmp(t, "memory") == 0)
			found = true;
	free(buf);
	return found;
}

/* Is "memory" one of the comma-separated controllers in [s, end)? */
static bool lists_memory(const char *s, const char *end)
{
	while (s < end) {
		const char *c = memchr(s, ',', (size_t)(end - s)), *e = c ? c : end;

		if (e - s == 6 && memcmp(s, "memory", 6) == 0)
			return true;
		s = c ? c + 1 : end;
	}
	return false;
}

VMS_EXPORT int vms_proc_memcg(struct vms_proc *p, char **path, int *version)
{
	struct vms_ctx *ctx;
	char *buf, *line, *found = NULL;
	bool v2;
	ssize_t n;
	int n2;

	if (!p || !path || !version)
		return -EINVAL;
	ctx = vms_proc_ctx(p);
	/* one line per hierarchy, each path up to PATH_MAX */
	n = vms_read_small(vms_proc_dirfd(p), "cgroup", 256 * 1024, &buf);
	if (n < 0)
		return vms_proc_errno(ctx, (int)n);
	n2 = memory_on_v2(ctx);
	if (n2 < 0) {
		free(buf);
		return n2;
	}
	v2 = n2;
	for (line = buf; line && line < buf + n;) {
		char *nl = memchr(line, '\n', (size_t)(buf + n - line)), *c1, *c2;
		char *le = nl ? nl : buf + n;

		c1 = memchr(line, ':', (size_t)(le - line));
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
		if (c2 && c2 + 1 < le && c2[1] == '/') {
			bool match = v2 ? c1 == line + 1 && line[0] == '0' && c2 == c1 + 1 :
					  lists_memory(c1 + 1, c2);

			if (match) {
				*le = '\0';
				found = c2 + 1;
				break;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	if (!found) {
		free(buf);
		return -ENOENT;
	}
	*path = strdup(found);
	free(buf);
	if (!*path)
		return -ENOMEM;
	*version = v2 ? 2 : 1;
	return 0;
}
