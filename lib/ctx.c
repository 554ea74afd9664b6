// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvmscope: the context — a root directory, its description, and logging. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "private.h"

#define SNAPSHOT_FILE "vmscope-snapshot"
#define SNAPSHOT_FORMAT_MAX 1
#define SNAPSHOT_FILE_MAX (64 * 1024)

void vms_log(const struct vms_ctx *ctx, int prio, const char *file, int line, const char *fn,
	     const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!ctx || !ctx->log_fn || prio > ctx->log_prio)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->log_fn(ctx->log_data, prio, file, line, fn, msg);
}

void vms_why_set(char **why, const char *fmt, ...)
{
	va_list ap;

	if (!why || *why)
		return;
	va_start(ap, fmt);
	if (vasprintf(why, fmt, ap) < 0)
		*why = NULL;
	va_end(ap);
}

const char *vms_escape(char *buf, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		size_t need = c < 0x20 || c >= 0x7f ? 4 : c == '\\' ? 2 : 1;

		if (o + need + 4 > size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (need == 4)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		else if (need == 2)
			buf[o++] = '\\', buf[o++] = '\\';
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/* The reason of a failed system call: errno's own phrase. */
static int errno_why(char **why)
{
	int err = errno;

	return vms_why(why, -err, "%s", strerror(err));
}

static void free_info(struct vms_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_info; i++) {
		free(ctx->info_keys[i]);
		free(ctx->info_vals[i]);
	}
	free(ctx->info_keys);
	free(ctx->info_vals);
}

/*
 * The description file, whole: a regular file of at most SNAPSHOT_FILE_MAX
 * bytes (O_NONBLOCK: a FIFO put in its place must not block the open).
 * Returns its length, -ENOENT without a reason, or -errno with one.
 */
static ssize_t read_description_file(struct vms_ctx *ctx, char **out, char **why)
{
	struct stat st;
	size_t len = 0;
	char *buf;
	int fd = openat(ctx->rootfd, SNAPSHOT_FILE, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		if (err == ENOENT)
			return -ENOENT;
		return vms_why(why, -err, "%s: %s", SNAPSHOT_FILE, strerror(err));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return vms_why(why, -EPROTO, "%s is not a regular file", SNAPSHOT_FILE);
	}
	buf = malloc(SNAPSHOT_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return vms_why(why, -ENOMEM, "out of memory");
	}
	for (;;) {
		ssize_t n = vms_read_retry(fd, buf + len, SNAPSHOT_FILE_MAX + 1 - len);

		if (n < 0) {
			close(fd);
			free(buf);
			return vms_why(why, (int)n, "%s: %s", SNAPSHOT_FILE, strerror((int)-n));
		}
		len += (size_t)n;
		if (n == 0 || len > SNAPSHOT_FILE_MAX)
			break;
	}
	close(fd);
	if (len > SNAPSHOT_FILE_MAX) {
		free(buf);
		return vms_why(why, -EPROTO, "%s: larger than %d KiB", SNAPSHOT_FILE,
			       SNAPSHOT_FILE_MAX / 1024);
	}
	buf[len] = '\0';
	*out = buf;
	return (ssize_t)len;
}

/* "key value" lines; '#' comments.  Returns 0, -ENOENT (no reason given), -EPROTO, -ENOMEM. */
static int read_description(struct vms_ctx *ctx, char **why)
{
	char *buf = NULL, *line, *save = NULL, esc[48];
	ssize_t n;
	size_t cap = 16;
	unsigned long format = 0;
	int ret = 0;

	n = read_description_file(ctx, &buf, why);
	if (!buf) /* failed: n is -errno, whose sign the static analyser cannot follow */
		return (int)n;
	if (memchr(buf, '\0', (size_t)n)) {
		free(buf);
		return vms_why(why, -EPROTO, "%s: contains a NUL byte", SNAPSHOT_FILE);
	}
	ctx->n_info = 0;
	ctx->info_keys = calloc(cap, sizeof(char *));
	ctx->info_vals = calloc(cap, sizeof(char *));
	if (!ctx->info_keys || !ctx->info_vals) {
		ret = vms_why(why, -ENOMEM, "out of memory");
		goto out;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp;

		if (*line == '#')
			continue;
		sp = strchr(line, ' ');
		if (!sp || sp == line) {
			ret = vms_why(why, -EPROTO, "%s: bad line '%s'", SNAPSHOT_FILE,
				      vms_escape(esc, sizeof(esc), line));
			goto out;
		}
		*sp = '\0';
		if (ctx->n_info == cap) {
			char **nk, **nv;

			cap *= 2;
			nk = realloc(ctx->info_keys, cap * sizeof(char *));
			if (nk)
				ctx->info_keys = nk;
			nv = realloc(ctx->info_vals, cap * sizeof(char *));
			if (nv)
				ctx->info_vals = nv;
			if (!nk || !nv) {
				ret = vms_why(why, -ENOMEM, "out of memory");
				goto out;
			}
		}
		ctx->info_keys[ctx->n_info] = strdup(line);
		ctx->info_vals[ctx->n_info] = strdup(sp + 1);
		if (!ctx->info_keys[ctx->n_info] || !ctx->info_vals[ctx->n_info]) {
			free(ctx->info_keys[ctx->n_info]);
			free(ctx->info_vals[ctx->n_info]);
			ret = vms_why(why, -ENOMEM, "out of memory");
			goto out;
		}
		ctx->n_info++;
	}
	{
		const char *f = vms_ctx_snapshot_info(ctx, "format");
		const char *ps = vms_ctx_snapshot_info(ctx, "page_size");
		char *end;

		if (!f) {
			ret = vms_why(why, -EPROTO, "%s: no format line", SNAPSHOT_FILE);
			goto out;
		}
		format = strtoul(f, &end, 10);
		if (*end || format == 0 || format > SNAPSHOT_FORMAT_MAX) {
			ret = vms_why(why, -EPROTO,
				      "unsupported snapshot format %s (this build reads <= %d)",
				      vms_escape(esc, sizeof(esc), f), SNAPSHOT_FORMAT_MAX);
			goto out;
		}
		if (ps) {
			unsigned long v = strtoul(ps, &end, 10);

			if (*end || v < 512 || (v & (v - 1))) {
				ret = vms_why(why, -EPROTO, "%s: bad page_size '%s'", SNAPSHOT_FILE,
					      vms_escape(esc, sizeof(esc), ps));
				goto out;
			}
			ctx->page_size = v;
		}
	}
out:
	free(buf);
	return ret;
}

static const char *file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	case S_IFLNK:
		return "a symbolic link";
	default:
		return "neither a directory nor an archive file";
	}
}

/*
 * The root of a snapshot: a directory as it is; a regular file as an archive,
 * unpacked into a private directory.  Anything else is refused before it is
 * opened for reading (O_PATH): a FIFO would block, a device could act on open.
 */
static int open_snapshot_root(struct vms_ctx *ctx, char **why)
{
	struct stat st;
	int fd = open(ctx->root, O_PATH | O_CLOEXEC), ret;

	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = errno_why(why);
		if (fd >= 0)
			close(fd);
		return ret;
	}
	if (S_ISDIR(st.st_mode)) {
		ctx->rootfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ret = ctx->rootfd < 0 ? errno_why(why) : 0;
		close(fd);
		return ret;
	}
	close(fd);
	if (!S_ISREG(st.st_mode))
		return vms_why(why, -ENOTDIR, "not a snapshot: %s", file_type(st.st_mode));
	/* O_NONBLOCK: should a FIFO have taken the file's place meanwhile */
	fd = open(ctx->root, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno_why(why);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		ret = vms_why(why, -ENOTDIR, "not a snapshot: not a regular file");
	else if (st.st_size == 0)
		ret = vms_why(why, -ENOTDIR, "not a vmscope snapshot archive: an empty file");
	else
		ret = vms_archive_unpack(fd, &vms_unpack_defaults, &ctx->unpacked, why);
	close(fd);
	if (ret == 0)
		ctx->rootfd = ctx->unpacked.fd;
	return ret;
}

static void close_root(struct vms_ctx *ctx)
{
	if (ctx->unpacked.parentfd >= 0)
		vms_unpacked_remove(&ctx->unpacked);
	else if (ctx->rootfd >= 0)
		close(ctx->rootfd);
	ctx->rootfd = -1;
}

VMS_EXPORT int vms_ctx_open(const char *root, unsigned int flags, struct vms_ctx **out, char **why)
{
	struct vms_ctx *ctx;
	int ret;

	if (why)
		*why = NULL;
	if (flags & ~VMS_CTX_NO_LIBPROC2)
		return vms_why(why, -EINVAL, "unknown flags %#x", flags & ~VMS_CTX_NO_LIBPROC2);
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return vms_why(why, -ENOMEM, "out of memory");
	atomic_init(&ctx->refs, 1);
	pthread_mutex_init(&ctx->pw_lock, NULL);
	ctx->flags = flags;
	ctx->log_prio = VMS_LOG_ERR;
	ctx->procfd = -1;
	ctx->rootfd = -1;
	ctx->unpacked.parentfd = ctx->unpacked.fd = ctx->unpacked.slot = -1;
	ctx->live = !root || strcmp(root, "/") == 0;
	ctx->root = strdup(root ? root : "/");
	if (!ctx->root) {
		ret = vms_why(why, -ENOMEM, "out of memory");
		goto fail;
	}
	if (ctx->live) {
		ctx->rootfd = open(ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ret = ctx->rootfd < 0 ? errno_why(why) : 0;
	} else {
		ret = open_snapshot_root(ctx, why);
	}
	if (ret < 0)
		goto fail;
	ctx->page_size = (unsigned long)sysconf(_SC_PAGESIZE);
	if (!ctx->live) {
		ret = read_description(ctx, why);
		if (ret == -ENOENT && ctx->unpacked.parentfd < 0) {
			struct statfs sfs;

			/* a plain procfs mount given as root (/proc/PID/root/...) */
			if (faccessat(ctx->rootfd, "proc/meminfo", F_OK, 0) == 0 ||
			    faccessat(ctx->rootfd, "proc/1", F_OK, 0) == 0)
				ctx->live = true, ret = 0;
			else if (fstatfs(ctx->rootfd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC)
				/* the procfs itself (/proc/PID/root/proc): say what is wanted */
				ret = vms_why(why, -ENOENT,
					      "a procfs mount is not a root: give the directory "
					      "it is mounted in (/proc/PID/root, not "
					      "/proc/PID/root/proc)");
		}
		if (ret == -ENOENT)
			ret = vms_why(why, -ENOENT, "not a vmscope snapshot: no %s file",
				      SNAPSHOT_FILE);
		if (ret < 0)
			goto fail;
	}
	ctx->procfd = openat(ctx->rootfd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ctx->procfd_err = ctx->procfd < 0 ? -errno : 0;
	vms_ctx_probe_caps(ctx);
	*out = ctx;
	return 0;
fail:
	close_root(ctx);
	free_info(ctx);
	pthread_mutex_destroy(&ctx->pw_lock);
	free(ctx->root);
	free(ctx);
	return ret;
}

VMS_EXPORT int vms_ctx_new(const char *root, unsigned int flags, struct vms_ctx **out)
{
	return vms_ctx_open(root, flags, out, NULL);
}

VMS_EXPORT struct vms_ctx *vms_ctx_ref(struct vms_ctx *ctx)
{
	if (ctx)
		atomic_fetch_add(&ctx->refs, 1);
	return ctx;
}

VMS_EXPORT struct vms_ctx *vms_ctx_unref(struct vms_ctx *ctx)
{
	if (!ctx || atomic_fetch_sub(&ctx->refs, 1) > 1)
		return NULL;
	if (ctx->procfd >= 0)
		close(ctx->procfd);
	close_root(ctx);
	free_info(ctx);
	vms_passwd_free(ctx);
	pthread_mutex_destroy(&ctx->pw_lock);
	free(ctx->root);
	free(ctx);
	return NULL;
}

VMS_EXPORT void vms_ctx_set_log_fn(struct vms_ctx *ctx, vms_log_fn fn, void *data)
{
	ctx->log_fn = fn;
	ctx->log_data = data;
}

VMS_EXPORT void vms_ctx_set_log_priority(struct vms_ctx *ctx, int priority)
{
	ctx->log_prio = priority;
}

VMS_EXPORT bool vms_ctx_is_live(const struct vms_ctx *ctx)
{
	return ctx->live;
}

VMS_EXPORT const char *vms_ctx_root(const struct vms_ctx *ctx)
{
	return ctx->root;
}

VMS_EXPORT unsigned long vms_ctx_page_size(const struct vms_ctx *ctx)
{
	return ctx->page_size;
}

VMS_EXPORT const char *vms_ctx_snapshot_info(const struct vms_ctx *ctx, const char *key)
{
	for (size_t i = 0; i < ctx->n_info; i++)
		if (strcmp(ctx->info_keys[i], key) == 0)
			return ctx->info_vals[i];
	return NULL;
}

VMS_EXPORT int vms_ctx_openat(const struct vms_ctx *ctx, const char *relpath, int flags)
{
	int fd;

	if (!relpath || relpath[0] == '/')
		return -EINVAL;
	fd = openat(ctx->rootfd, relpath,
		    (flags & ~(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) | O_RDONLY | O_CLOEXEC |
			    O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

static int read_table(struct vms_ctx *ctx, const char *rel, struct vms_counters **out)
{
	int fd = vms_ctx_openat(ctx, rel, 0);
	int ret;

	if (fd < 0)
		return fd;
	ret = vms_counters_parse_fd(fd, out);
	close(fd);
	return ret;
}

VMS_EXPORT int vms_meminfo_read(struct vms_ctx *ctx, struct vms_counters **out)
{
	return read_table(ctx, "proc/meminfo", out);
}

VMS_EXPORT int vms_vmstat_read(struct vms_ctx *ctx, struct vms_counters **out)
{
	return read_table(ctx, "proc/vmstat", out);
}

/* ---------------------------------------------------------------------- */
/* Capabilities                                                            */

static int cap_index(unsigned int cap)
{
	for (int i = 0; i < 6; i++)
		if (cap == 1u << i)
			return i;
	return -1;
}

static void cap_set(struct vms_ctx *ctx, unsigned int cap, bool ok, const char *fmt, ...)
	VMS_PRINTF(4, 5);
static void cap_set(struct vms_ctx *ctx, unsigned int cap, bool ok, const char *fmt, ...)
{
	int i = cap_index(cap);
	va_list ap;

	if (ok) {
		ctx->caps |= cap;
		ctx->cap_reason[i][0] = '\0';
		return;
	}
	ctx->caps &= ~cap;
	va_start(ap, fmt);
	vsnprintf(ctx->cap_reason[i], sizeof(ctx->cap_reason[i]), fmt, ap);
	va_end(ap);
}

static const char *kpage_names[] = { "kpageflags", "kpagecount", "kpagecgroup" };
static const unsigned int kpage_caps[] = { VMS_CAP_KPAGEFLAGS, VMS_CAP_KPAGECOUNT,
					   VMS_CAP_KPAGECGROUP };

static void probe_kpage_live(struct vms_ctx *ctx)
{
	for (int i = 0; i < 3; i++) {
		int fd = ctx->procfd >= 0 ?
				 openat(ctx->procfd, kpage_names[i], O_RDONLY | O_CLOEXEC) :
				 -1;
		int err = fd < 0 ? (ctx->procfd >= 0 ? errno : -ctx->procfd_err) : 0;

		if (fd >= 0)
			close(fd);
		if (err == EACCES || err == EPERM)
			cap_set(ctx, kpage_caps[i], false,
				"/proc/%s: %s (needs root or CAP_DAC_READ_SEARCH)", kpage_names[i],
				strerror(err));
		else if (err == ENOENT)
			cap_set(ctx, kpage_caps[i], false,
				"/proc/%s is missing (a subset=pid procfs, or a kernel without "
				"CONFIG_PROC_PAGE_MONITOR%s)",
				kpage_names[i], i == 2 ? " or CONFIG_MEMCG" : "");
		else
			cap_set(ctx, kpage_caps[i], err == 0, "/proc/%s: %s", kpage_names[i],
				strerror(err));
	}
}

static int self_entry(int fd, const void *addr, unsigned long ps, uint64_t *e)
{
	off_t off = (off_t)((uintptr_t)addr / ps * 8);

	return pread(fd, e, 8, off) == 8 ? 0 : -1;
}

static void probe_live(struct vms_ctx *ctx)
{
	volatile char here = 1;
	uint64_t e = 0;
	int fd = ctx->procfd >= 0 ? openat(ctx->procfd, "self/pagemap", O_RDONLY | O_CLOEXEC) : -1;

	probe_kpage_live(ctx);
	if (fd < 0) {
		const char *why = strerror(ctx->procfd >= 0 ? errno : -ctx->procfd_err);

		cap_set(ctx, VMS_CAP_PFN, false, "cannot read /proc/self/pagemap: %s", why);
		cap_set(ctx, VMS_CAP_PAGEMAP_SCAN, false, "cannot read /proc/self/pagemap: %s",
			why);
		cap_set(ctx, VMS_CAP_SCAN_GUARD, false, "cannot read /proc/self/pagemap: %s", why);
		return;
	}
	(void)here;
	/* The kernel's own decision for our credentials: the PFN of a page
	 * we just touched is shown, or zeroed. */
	if (self_entry(fd, (const void *)&here, ctx->page_size, &e) == 0 && (e & VMS_PM_PRESENT))
		cap_set(ctx, VMS_CAP_PFN, (e & VMS_PM_PFN_MASK) != 0, "needs CAP_SYS_ADMIN");
	else
		cap_set(ctx, VMS_CAP_PFN, false, "cannot read /proc/self/pagemap");

	if (ctx->caps & VMS_CAP_PFN) {
		/* A private page that was only read maps the shared zero page. */
		void *z = mmap(NULL, ctx->page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (z != MAP_FAILED) {
			volatile const char *zc = z;

			(void)*zc;
			if (self_entry(fd, z, ctx->page_size, &e) == 0 && (e & VMS_PM_PRESENT) &&
			    (e & VMS_PM_PFN_MASK)) {
				ctx->zero_pfn = e & VMS_PM_PFN_MASK;
				ctx->have_zero_pfn = true;
			}
			munmap(z, ctx->page_size);
		}
	}

	{
		struct vms_page_region v[1];
		uint64_t page = (uintptr_t)&here & ~((uint64_t)ctx->page_size - 1);
		struct vms_pm_scan_arg a = {
			.size = sizeof(a),
			.start = page,
			.end = page + ctx->page_size,
			.vec = (uintptr_t)v,
			.vec_len = 1,
			.category_anyof_mask = VMS_PAGE_IS_PRESENT | VMS_PAGE_IS_SWAPPED,
			.return_mask = VMS_PAGE_IS_PRESENT,
		};
		long r = ioctl(fd, VMS_PAGEMAP_SCAN, &a);
		int err = r < 0 ? errno : 0;

		if (r >= 0)
			cap_set(ctx, VMS_CAP_PAGEMAP_SCAN, true, " ");
		else if (err == EINVAL || err == ENOTTY)
			cap_set(ctx, VMS_CAP_PAGEMAP_SCAN, false,
				"PAGEMAP_SCAN not supported (Linux < 6.7)");
		else
			cap_set(ctx, VMS_CAP_PAGEMAP_SCAN, false, "PAGEMAP_SCAN: %s",
				strerror(err));
		if (r >= 0) {
			a.category_anyof_mask |= VMS_PAGE_IS_GUARD;
			a.return_mask |= VMS_PAGE_IS_GUARD;
			r = ioctl(fd, VMS_PAGEMAP_SCAN, &a);
			cap_set(ctx, VMS_CAP_SCAN_GUARD, r >= 0,
				"PAGEMAP_SCAN has no guard category (Linux < 6.15)");
		} else {
			cap_set(ctx, VMS_CAP_SCAN_GUARD, false, "%s",
				ctx->cap_reason[cap_index(VMS_CAP_PAGEMAP_SCAN)]);
		}
	}
	close(fd);
}

static void probe_snapshot(struct vms_ctx *ctx)
{
	const char *priv = vms_ctx_snapshot_info(ctx, "privileged");
	const char *zp = vms_ctx_snapshot_info(ctx, "zero_pfn");

	cap_set(ctx, VMS_CAP_PFN, priv && strcmp(priv, "1") == 0,
		"not in the snapshot (taken without CAP_SYS_ADMIN)");
	for (int i = 0; i < 3; i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "proc/%s", kpage_names[i]);
		cap_set(ctx, kpage_caps[i], faccessat(ctx->rootfd, rel, R_OK, 0) == 0,
			"/proc/%s is not in the snapshot", kpage_names[i]);
	}
	cap_set(ctx, VMS_CAP_PAGEMAP_SCAN, false, "a snapshot is read with pread");
	cap_set(ctx, VMS_CAP_SCAN_GUARD, false, "a snapshot is read with pread");
	if (zp) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(zp, &end, 16);
		if (!errno && end != zp && !*end && v && v <= VMS_PM_PFN_MASK) {
			ctx->zero_pfn = v;
			ctx->have_zero_pfn = true;
		}
	}
}

void vms_ctx_probe_caps(struct vms_ctx *ctx)
{
	if (!ctx->live)
		probe_snapshot(ctx);
	else
		probe_live(ctx);
}

VMS_EXPORT unsigned int vms_ctx_caps(const struct vms_ctx *ctx)
{
	return ctx->caps;
}

VMS_EXPORT const char *vms_ctx_cap_reason(const struct vms_ctx *ctx, unsigned int cap)
{
	int i = cap_index(cap);

	if (i < 0)
		return "unknown capability";
	return (ctx->caps & cap) ? NULL : ctx->cap_reason[i];
}

VMS_EXPORT int vms_ctx_zero_pfn(const struct vms_ctx *ctx, uint64_t *pfn)
{
	if (!ctx->have_zero_pfn)
		return -ENOENT;
	*pfn = ctx->zero_pfn;
	return 0;
}
