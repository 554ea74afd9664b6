// SPDX-License-Identifier: GPL-2.0-or-later
/* cmd/common: output files and directories written whole or not at all, 0600, never through a link. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

struct cx_outfile {
	char *path; /* the destination, without trailing slashes */
	char *tmp; /* the temporary beside it */
	int fd; /* the temporary file, or the temporary directory's fd */
	bool dir;
	bool force;
	bool replace_dir; /* @path is a directory that --force replaces */
	dev_t dev;
	ino_t ino;
};

/* What is being written now: removed by cx_outfile_abort_all() when the command fails. */
static struct cx_outfile *pending;

/* getdents64(2)'s record (glibc's struct dirent64 needs _LARGEFILE64_SOURCE). */
struct cx_dirent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/*
 * Remove directory @name of @dfd and all below it, never following a
 * symlink.  Without malloc (getdents64 into a buffer on the stack, where
 * opendir() allocates): it also runs on the way out of "out of memory", to
 * remove a half-written snapshot.
 */
static int rm_tree_at(int dfd, const char *name, int depth)
{
	char buf[2048] __attribute__((aligned(8)));
	bool again = true;
	int fd, ret = 0;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	if (depth > 64)
		return -ELOOP;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* entries removed while the directory is read may hide others: read it
	 * again while a pass removed something */
	while (again && lseek(fd, 0, SEEK_SET) == 0) {
		again = false;
		for (;;) {
			long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));

			if (n < 0 && !ret)
				ret = -errno;
			if (n <= 0)
				break;
			for (long off = 0; off < n;) {
				const struct cx_dirent64 *de = (const void *)(buf + off);
				int r;

				off += de->reclen;
				if (strcmp(de->name, ".") == 0 || strcmp(de->name, "..") == 0)
					continue;
				r = rm_tree_at(fd, de->name, depth + 1);
				if (r == 0)
					again = true;
				else if (!ret)
					ret = r;
			}
		}
	}
	close(fd);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && !ret)
		ret = -errno;
	return ret;
}

int cx_rm_tree(const char *path)
{
	return rm_tree_at(AT_FDCWD, path, 0);
}

/* Does the snapshot of @ctx hold a pagemap extract?  Its mode in *@st. */
static bool find_pagemap(const struct vms_ctx *ctx, struct stat *st)
{
	int fd = vms_ctx_openat(ctx, "proc", O_RDONLY | O_DIRECTORY);
	bool found = false;
	struct dirent *de;
	char rel[300];
	DIR *d;

	if (fd < 0)
		return false;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(rel, sizeof(rel), "%s/pagemap", de->d_name);
		found = fstatat(dirfd(d), rel, st, AT_SYMLINK_NOFOLLOW) == 0 &&
			S_ISREG(st->st_mode);
	}
	closedir(d);
	return found;
}

void cx_warn_exposed_snapshot(const struct vms_ctx *ctx, const char *root)
{
	const char *priv = vms_ctx_snapshot_info(ctx, "privileged");
	const char *shared = vms_ctx_snapshot_info(ctx, "shared");
	struct stat st, pm;
	bool exposed;
	char *esc;

	/* only frame numbers that are real: captured as root, with --pages */
	if (!priv || strcmp(priv, "1") != 0 || (shared && strcmp(shared, "1") == 0) ||
	    stat(root, &st) < 0 || !find_pagemap(ctx, &pm))
		return;
	if (S_ISDIR(st.st_mode)) /* group or others can enter it and read the pagemap */
		exposed = ((st.st_mode & S_IXGRP) && (pm.st_mode & S_IRGRP)) ||
			  ((st.st_mode & S_IXOTH) && (pm.st_mode & S_IROTH));
	else /* an archive */
		exposed = st.st_mode & (S_IRGRP | S_IROTH);
	if (!exposed)
		return;
	esc = cx_sanitize(root, strlen(root), false);
	cx_warn("%s: holds physical frame numbers (PFNs), privileged data, and other users can "
		"read it: chmod -R go-rwx it",
		esc);
	free(esc);
}

/* "a FIFO", "a directory"...: what a destination that is not a regular file is. */
static const char *node_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "a special file";
}

/* May --force replace directory @path: empty, or holding @marker? */
static bool replaceable_dir(const char *path, const char *marker)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	bool empty = true;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (marker && fstatat(fd, marker, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
		close(fd);
		return true;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

struct cx_outfile *cx_outfile_open(const char *path, unsigned int flags, const char *marker)
{
	struct cx_outfile *o;
	struct stat st;
	size_t len = strlen(path);
	const char *base;

	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len == 0 || (len == 1 && path[0] == '/')) {
		cx_warn("%s: not a name for an output", path);
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		cx_oom();
	o->path = strndup(path, len);
	if (!o->path)
		cx_oom();
	o->fd = -1;
	o->dir = flags & CX_OUT_DIR;
	o->force = flags & CX_OUT_FORCE;
	base = strrchr(o->path, '/');
	base = base ? base + 1 : o->path;
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		cx_warn("%s: not a name for an output", path);
		goto fail;
	}
	if (lstat(o->path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			cx_warn("%s: destination is a symlink; not following it", o->path);
			goto fail;
		}
		if (o->dir && !S_ISDIR(st.st_mode)) {
			cx_warn("%s: exists and is not a directory", o->path);
			goto fail;
		}
		if (!o->dir && !S_ISREG(st.st_mode)) {
			/* never opened: a FIFO would block, a device would take the data */
			cx_warn("%s: exists and is %s, not a regular file", o->path,
				node_kind(st.st_mode));
			goto fail;
		}
		if (!o->force) {
			cx_warn("%s: already exists (--force replaces it)", o->path);
			goto fail;
		}
		if (o->dir && !replaceable_dir(o->path, marker)) {
			cx_warn("%s: not replacing a directory that is not empty and has no %s file",
				o->path, marker ? marker : "snapshot");
			goto fail;
		}
		o->replace_dir = o->dir;
	} else if (errno != ENOENT) {
		cx_warn("%s: %s", o->path, strerror(errno));
		goto fail;
	}

	/* beside the destination, so that rename() is atomic; O_EXCL: never through a link */
	o->tmp = cx_xasprintf("%s.tmpXXXXXX", o->path);
	if (o->dir) {
		if (!mkdtemp(o->tmp)) {
			cx_warn("%s: cannot create a directory beside it: %s", o->path,
				strerror(errno));
			goto fail;
		}
		o->fd = open(o->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	} else {
		o->fd = mkostemp(o->tmp, O_CLOEXEC);
		if (o->fd < 0) {
			cx_warn("%s: cannot create a file beside it: %s", o->path, strerror(errno));
			goto fail;
		}
	}
	/* whatever the umask: a snapshot holds other users' data and PFNs */
	if (o->fd < 0 || fchmod(o->fd, o->dir ? 0700 : 0600) < 0 || fstat(o->fd, &st) < 0) {
		cx_warn("%s: %s", o->tmp, strerror(errno));
		if (o->fd >= 0)
			close(o->fd);
		o->fd = -1;
		cx_rm_tree(o->tmp);
		goto fail;
	}
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	pending = o;
	return o;
fail:
	free(o->tmp);
	free(o->path);
	free(o);
	return NULL;
}

int cx_outfile_fd(const struct cx_outfile *o)
{
	return o->fd;
}

const char *cx_outfile_path(const struct cx_outfile *o)
{
	return o->path;
}

static void outfile_free(struct cx_outfile *o)
{
	if (pending == o)
		pending = NULL;
	if (o->fd >= 0)
		close(o->fd);
	free(o->tmp);
	free(o->path);
	free(o);
}

void cx_outfile_abort(struct cx_outfile *o)
{
	if (!o)
		return;
	if (o->dir)
		cx_rm_tree(o->tmp);
	else
		unlink(o->tmp);
	outfile_free(o);
}

void cx_outfile_abort_all(void)
{
	cx_outfile_abort(pending);
}

/* Is the temporary name still ours (not swapped for a link or another file)? */
static bool still_ours(const struct cx_outfile *o)
{
	struct stat st;

	return lstat(o->tmp, &st) == 0 && st.st_dev == o->dev && st.st_ino == o->ino &&
	       (o->dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

/*
 * A file system without RENAME_EXCHANGE: the old directory is moved aside
 * first, so there is an instant without one, but never a half-written one.
 */
static int replace_dir_slowly(struct cx_outfile *o)
{
	char *old = cx_xasprintf("%s.oldXXXXXX", o->path);
	int e;

	if (!mkdtemp(old))
		goto fail;
	if (rename(o->path, old) < 0) {
		e = errno;
		rmdir(old);
		errno = e;
		goto fail;
	}
	if (rename(o->tmp, o->path) < 0) {
		e = errno;
		rename(old, o->path);
		errno = e;
		goto fail;
	}
	cx_rm_tree(old);
	free(old);
	return 0;
fail:
	e = errno;
	free(old);
	return -e;
}

/* Put the temporary in place of the destination. */
static int move_into_place(struct cx_outfile *o)
{
	struct stat st;

	if (o->replace_dir) {
		/* a directory cannot be renamed over a full one: swap the two, drop the old */
		if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->path, RENAME_EXCHANGE) == 0) {
			int r = cx_rm_tree(o->tmp);

			if (r < 0)
				cx_warn("%s: the replaced snapshot is left at %s: %s", o->path,
					o->tmp, strerror(-r));
			return 0;
		}
		if (errno != EINVAL && errno != ENOSYS)
			return -errno;
		return replace_dir_slowly(o);
	}
	if (o->force)
		return rename(o->tmp, o->path) < 0 ? -errno : 0;
	/* never replace what appeared since the check */
	if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (!o->dir) {
		if (link(o->tmp, o->path) < 0)
			return -errno;
		unlink(o->tmp);
		return 0;
	}
	if (lstat(o->path, &st) == 0)
		return -EEXIST;
	return rename(o->tmp, o->path) < 0 ? -errno : 0;
}

int cx_outfile_commit(struct cx_outfile *o)
{
	char *parent, *slash;
	int ret = 0, pfd;

	/* a full disk or an I/O error shows here at the latest, not after the rename */
	if ((o->dir ? syncfs(o->fd) : fsync(o->fd)) < 0) {
		cx_warn("%s: write error: %s", o->path, strerror(errno));
		cx_outfile_abort(o);
		return -1;
	}
	if (close(o->fd) < 0) {
		o->fd = -1;
		cx_warn("%s: write error: %s", o->path, strerror(errno));
		cx_outfile_abort(o);
		return -1;
	}
	o->fd = -1;
	if (!still_ours(o)) {
		cx_warn("%s: the temporary %s was replaced while being written; not using it",
			o->path, o->tmp);
		/* what is there now is not ours to remove */
		outfile_free(o);
		return -1;
	}
	/* the parent, opened before the rename: nothing may fail after it */
	parent = cx_xstrdup(o->path);
	slash = strrchr(parent, '/');
	if (slash)
		*(slash == parent ? slash + 1 : slash) = '\0';
	pfd = open(slash ? parent : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(parent);
	ret = move_into_place(o);
	if (ret < 0) {
		if (ret == -EEXIST || ret == -ENOTEMPTY)
			cx_warn("%s: appeared while the snapshot was written; not replacing it",
				o->path);
		else
			cx_warn("%s: %s", o->path, strerror(-ret));
		if (pfd >= 0)
			close(pfd);
		cx_outfile_abort(o);
		return -1;
	}
	/* the rename itself reaches the disk with the parent directory */
	if (pfd >= 0) {
		fsync(pfd);
		close(pfd);
	}
	outfile_free(o);
	return 0;
}
