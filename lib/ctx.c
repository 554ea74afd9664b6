// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvmscope: the context — a root directory, its description, and logging. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static void free_info(struct vms_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_info; i++) {
		free(ctx->info_keys[i]);
		free(ctx->info_vals[i]);
	}
	free(ctx->info_keys);
	free(ctx->info_vals);
}

/* "key value" lines; '#' comments.  Returns 0, -EPROTO, -ENOMEM. */
static int read_description(struct vms_ctx *ctx, int fd)
{
	char *buf, *line, *save = NULL;
	ssize_t n;
	size_t cap = 16;
	unsigned long format = 0;
	int ret = 0;

	n = vms_read_small(fd, SNAPSHOT_FILE, SNAPSHOT_FILE_MAX, &buf);
	if (n < 0)
		return (int)n;
	if (memchr(buf, '\0', (size_t)n)) {
		vms_err(ctx, "%s: contains a NUL byte", SNAPSHOT_FILE);
		free(buf);
		return -EPROTO;
	}
	ctx->info_keys = calloc(cap, sizeof(char *));
	ctx->info_vals = calloc(cap, sizeof(char *));
	if (!ctx->info_keys || !ctx->info_vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp;

		if (*line == '#')
			continue;
		sp = strchr(line, ' ');
		if (!sp || sp == line) {
			vms_err(ctx, "%s: bad line '%.40s'", SNAPSHOT_FILE, line);
			ret = -EPROTO;
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
				ret = -ENOMEM;
				goto out;
			}
		}
		ctx->info_keys[ctx->n_info] = strdup(line);
		ctx->info_vals[ctx->n_info] = strdup(sp + 1);
		if (!ctx->info_keys[ctx->n_info] || !ctx->info_vals[ctx->n_info]) {
			free(ctx->info_keys[ctx->n_info]);
			free(ctx->info_vals[ctx->n_info]);
			ret = -ENOMEM;
			goto out;
		}
		ctx->n_info++;
	}
	{
		const char *f = vms_ctx_snapshot_info(ctx, "format");
		const char *ps = vms_ctx_snapshot_info(ctx, "page_size");
		char *end;

		if (!f) {
			vms_err(ctx, "%s: no format line", SNAPSHOT_FILE);
			ret = -EPROTO;
			goto out;
		}
		format = strtoul(f, &end, 10);
		if (*end || format == 0 || format > SNAPSHOT_FORMAT_MAX) {
			vms_err(ctx, "unsupported snapshot format %s (this build reads <= %d)", f,
				SNAPSHOT_FORMAT_MAX);
			ret = -EPROTO;
			goto out;
		}
		if (ps) {
			unsigned long v = strtoul(ps, &end, 10);

			if (*end || v < 512 || (v & (v - 1))) {
				vms_err(ctx, "%s: bad page_size '%s'", SNAPSHOT_FILE, ps);
				ret = -EPROTO;
				goto out;
			}
			ctx->page_size = v;
		}
	}
out:
	free(buf);
	return ret;
}

VMS_EXPORT int vms_ctx_new(const char *root, unsigned int flags, struct vms_ctx **out)
{
	struct vms_ctx *ctx;
	int ret;

	if (flags & ~VMS_CTX_NO_LIBPROC2)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	atomic_init(&ctx->refs, 1);
	pthread_mutex_init(&ctx->pw_lock, NULL);
	ctx->flags = flags;
	ctx->log_prio = VMS_LOG_ERR;
	ctx->procfd = -1;
	ctx->rootfd = -1;
	ctx->live = !root || strcmp(root, "/") == 0;
	ctx->root = strdup(root ? root : "/");
	if (!ctx->root) {
		ret = -ENOMEM;
		goto fail;
	}
	ctx->rootfd = open(ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctx->rootfd < 0) {
		ret = -errno;
		goto fail;
	}
	ctx->page_size = (unsigned long)sysconf(_SC_PAGESIZE);
	if (!ctx->live) {
		ret = read_description(ctx, ctx->rootfd);
		if (ret == -ENOENT) {
			/* a plain procfs mount given as root (/proc/PID/root/...) */
			if (faccessat(ctx->rootfd, "proc/meminfo", F_OK, 0) == 0 ||
			    faccessat(ctx->rootfd, "proc/1", F_OK, 0) == 0)
				ctx->live = true, ret = 0;
		}
		if (ret < 0)
			goto fail;
	}
	ctx->procfd = openat(ctx->rootfd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ctx->procfd_err = ctx->procfd < 0 ? -errno : 0;
	*out = ctx;
	return 0;
fail:
	if (ctx->rootfd >= 0)
		close(ctx->rootfd);
	free_info(ctx);
	free(ctx->root);
	free(ctx);
	return ret;
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
	close(ctx->rootfd);
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
