// SPDX-License-Identifier: GPL-2.0-or-later
/* vmsnap: writing a snapshot, entry by entry, as a directory tree or a tar archive. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "vmsnap.h"

enum compression { Z_NONE, Z_GZIP, Z_XZ, Z_ZSTD };

static int sink_fail(struct sink *s, int err, const char *rel)
{
	if (!s->err) {
		s->err = err < 0 ? err : -EIO;
		if (s->ar && archive_errno(s->ar) == 0 && archive_error_string(s->ar))
			cx_warn("%s: %s: %s", cx_outfile_path(s->out), rel,
				archive_error_string(s->ar));
		else if (s->ar && err == 0 && !archive_error_string(s->ar))
			cx_warn("%s: %s: libarchive failed without a reason (out of memory?)",
				cx_outfile_path(s->out), rel);
		else
			cx_warn("%s: write error: %s", cx_outfile_path(s->out), strerror(-s->err));
	}
	return s->err;
}

/* An archive entry with the fixed owner and times of every entry. */
static struct archive_entry *new_entry(struct sink *s, const char *rel, mode_t type, mode_t perm,
				       uint64_t size)
{
	struct archive_entry *e = archive_entry_new();

	if (!e)
		cx_oom();
	archive_entry_set_pathname(e, rel);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, s->mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	return e;
}

static int put_header(struct sink *s, struct archive_entry *e, const char *rel)
{
	int r = archive_write_header(s->ar, e);

	archive_entry_free(e);
	/* ARCHIVE_WARN: a name kept as bytes (not UTF-8); still written */
	if (r < ARCHIVE_WARN)
		return sink_fail(s, -archive_errno(s->ar), rel);
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int put_data(struct sink *s, int fd, const char *p, size_t len, const char *rel)
{
	int r;

	if (fd >= 0) {
		r = write_all(fd, p, len);
		return r < 0 ? sink_fail(s, r, rel) : 0;
	}
	while (len) {
		la_ssize_t w = archive_write_data(s->ar, p, len);

		if (w <= 0)
			return sink_fail(s, -archive_errno(s->ar), rel);
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int sink_mkdir(struct sink *s, const char *rel)
{
	if (s->err)
		return s->err;
	s->entries++;
	if (s->ar)
		return put_header(s, new_entry(s, rel, AE_IFDIR, 0700, 0), rel);
	if (mkdirat(s->dirfd, rel, 0700) < 0)
		return sink_fail(s, -errno, rel);
	return 0;
}

/* Make the directories above @rel that are not there yet ("proc", "proc/42"). */
static int sink_parents(struct sink *s, const char *rel)
{
	for (const char *sl = strchr(rel, '/'); sl; sl = strchr(sl + 1, '/')) {
		size_t len = (size_t)(sl - rel);
		char *dir;
		int r;

		if (cx_strmap_find(s->dirs, rel, len))
			continue;
		if (!cx_strmap_get(s->dirs, rel, len))
			cx_oom();
		dir = strndup(rel, len);
		if (!dir)
			cx_oom();
		r = sink_mkdir(s, dir);
		free(dir);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Open a new file @rel of a directory snapshot: 0600, never an existing one or a link. */
static int dir_create(struct sink *s, const char *rel)
{
	int fd = openat(s->dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	return fd < 0 ? sink_fail(s, -errno, rel) : fd;
}

static int dir_close(struct sink *s, int fd, const char *rel)
{
	if (close(fd) < 0)
		return sink_fail(s, -errno, rel);
	return s->err;
}

int sink_file(struct sink *s, const char *rel, const char *data, size_t len)
{
	int fd = -1;

	if (sink_parents(s, rel) < 0)
		return s->err;
	s->entries++;
	s->bytes += len;
	if (s->ar) {
		if (put_header(s, new_entry(s, rel, AE_IFREG, 0600, len), rel) < 0)
			return s->err;
	} else {
		fd = dir_create(s, rel);
		if (fd < 0)
			return fd;
	}
	put_data(s, fd, data, len, rel);
	return fd >= 0 ? dir_close(s, fd, rel) : s->err;
}

/* A file whose bytes are in @src (a pagemap extract built in memory). */
int sink_file_fd(struct sink *s, const char *rel, int src)
{
	static char buf[1 << 16];
	struct stat st;
	off_t off = 0;
	int fd = -1;

	if (sink_parents(s, rel) < 0)
		return s->err;
	if (fstat(src, &st) < 0)
		return sink_fail(s, -errno, rel);
	s->entries++;
	s->bytes += (uint64_t)st.st_size;
	if (s->ar) {
		if (put_header(s, new_entry(s, rel, AE_IFREG, 0600, (uint64_t)st.st_size), rel) < 0)
			return s->err;
	} else {
		fd = dir_create(s, rel);
		if (fd < 0)
			return fd;
	}
	while (off < st.st_size && !s->err) {
		ssize_t n = pread(src, buf, sizeof(buf), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sink_fail(s, n < 0 ? -errno : -EIO, rel);
			break;
		}
		put_data(s, fd, buf, (size_t)n, rel);
		off += n;
	}
	return fd >= 0 ? dir_close(s, fd, rel) : s->err;
}

/* proc/PID/exe: a symlink whose target is only data, the path the kernel printed. */
int sink_symlink(struct sink *s, const char *rel, const char *target)
{
	struct archive_entry *e;

	if (sink_parents(s, rel) < 0)
		return s->err;
	s->entries++;
	if (!s->ar) {
		if (symlinkat(target, s->dirfd, rel) < 0)
			return sink_fail(s, -errno, rel);
		return 0;
	}
	e = new_entry(s, rel, AE_IFLNK, 0777, 0);
	archive_entry_set_symlink(e, target);
	return put_header(s, e, rel);
}

static enum compression compression_of(const char *path)
{
	static const struct {
		const char *suffix;
		enum compression z;
	} suffixes[] = {
		{ ".tar", Z_NONE },  { ".tar.gz", Z_GZIP }, { ".tgz", Z_GZIP },
		{ ".tar.xz", Z_XZ }, { ".txz", Z_XZ },	    { ".tar.zst", Z_ZSTD },
		{ ".tzst", Z_ZSTD },
	};
	size_t len = strlen(path);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i].suffix);

		if (len > sl && strcmp(path + len - sl, suffixes[i].suffix) == 0)
			return suffixes[i].z;
	}
	return Z_ZSTD;
}

/* A directory snapshot for OUT/ or an existing directory; else an archive. */
static bool wants_dir(const char *path)
{
	size_t len = strlen(path);
	struct stat st;

	if (len && path[len - 1] == '/')
		return true;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool sink_open(struct sink *s, const char *path, bool force, time_t mtime)
{
	bool dir = wants_dir(path);
	int r = ARCHIVE_OK;

	memset(s, 0, sizeof(*s));
	s->dirfd = -1;
	s->mtime = mtime;
	s->dirs = cx_strmap_new(1);
	if (!s->dirs)
		cx_oom();
	s->out = cx_outfile_open(path, (force ? CX_OUT_FORCE : 0) | (dir ? CX_OUT_DIR : 0),
				 SNAPSHOT_DESCRIPTION);
	if (!s->out) {
		cx_strmap_free(s->dirs);
		s->dirs = NULL;
		return false;
	}
	if (dir) {
		s->dirfd = cx_outfile_fd(s->out);
		return true;
	}
	s->ar = archive_write_new();
	if (!s->ar)
		cx_oom();
	switch (compression_of(path)) {
	case Z_NONE:
		break;
	case Z_GZIP:
		r = archive_write_add_filter_gzip(s->ar);
		break;
	case Z_XZ:
		r = archive_write_add_filter_xz(s->ar);
		break;
	case Z_ZSTD:
		r = archive_write_add_filter_zstd(s->ar);
		break;
	}
	if (r == ARCHIVE_OK)
		r = archive_write_set_format_pax_restricted(s->ar);
	if (r == ARCHIVE_OK)
		r = archive_write_open_fd(s->ar, cx_outfile_fd(s->out));
	if (r != ARCHIVE_OK) {
		/* libarchive says nothing when it could not allocate even that */
		const char *why = archive_error_string(s->ar);

		if (!why)
			why = strerror(archive_errno(s->ar) > 0 ? archive_errno(s->ar) : ENOMEM);
		cx_warn("%s: %s", cx_outfile_path(s->out), why);
		archive_write_free(s->ar);
		s->ar = NULL;
		cx_outfile_abort(s->out);
		s->out = NULL;
		return false;
	}
	return true;
}

/* Finish the snapshot and put it in place, or remove it after an error.  0 or -1. */
int sink_close(struct sink *s, bool keep)
{
	int ret = 0;

	if (s->ar) {
		if (archive_write_close(s->ar) != ARCHIVE_OK && keep && !s->err)
			sink_fail(s, -archive_errno(s->ar), "(end of archive)");
		archive_write_free(s->ar);
		s->ar = NULL;
	}
	cx_strmap_free(s->dirs);
	s->dirs = NULL;
	if (!s->out)
		return -1;
	if (!keep || s->err) {
		cx_outfile_abort(s->out);
		ret = -1;
	} else {
		ret = cx_outfile_commit(s->out);
	}
	s->out = NULL;
	return ret;
}
