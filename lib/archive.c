// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmscope: snapshot archives, unpacked into a private temporary directory
 * that the context then reads like any snapshot directory.
 *
 * An archive comes from anywhere, so it is treated as hostile: every path is
 * checked component by component and created relative to the unpack
 * directory without following a symlink; only regular files, directories and
 * the proc/PID/exe symlinks are accepted; sizes and counts are bounded before
 * anything is written; and any failure removes the directory.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "private.h"

const struct vms_unpack_limits vms_unpack_defaults = {
	.total = 4ULL << 30,
	.file = 2ULL << 30,
	.entries = 1000000,
	.path = 4096,
};

#define CHUNK (64 * 1024)
#define TAR_BLOCK 512

struct unpack {
	struct archive *a;
	const struct vms_unpack_limits *lim;
	struct vms_unpacked *out;
	char **why;
	int fd; /* the archive file */
	bool eof; /* its end was reached: a failure then is a truncation */
	int read_err; /* read() failed on it */
	uint64_t raw; /* bytes read from it */
	uint64_t total, entries;
	const char *path; /* of the entry being unpacked, as the archive gives it */
	char esc[160]; /* the same, fit for a message */
	char in[CHUNK]; /* the archive file, read by libarchive through read_cb() */
	char data[CHUNK]; /* an entry's data, on its way to its file */
};

static la_ssize_t read_cb(struct archive *a, void *data, const void **buf)
{
	struct unpack *u = data;
	ssize_t n = vms_read_retry(u->fd, u->in, sizeof(u->in));

	if (n < 0) {
		u->read_err = (int)-n;
		archive_set_error(a, u->read_err, "%s", strerror(u->read_err));
		return -1;
	}
	if (n == 0)
		u->eof = true;
	u->raw += (uint64_t)n;
	*buf = u->in;
	return n;
}

/* A libarchive failure, as a reason. */
static int archive_failed(struct unpack *u)
{
	const char *msg = archive_error_string(u->a);
	la_int64_t at = archive_filter_bytes(u->a, -1);

	if (u->read_err)
		return vms_why(u->why, -u->read_err, "reading the archive: %s",
			       strerror(u->read_err));
	if (archive_errno(u->a) == ENOMEM)
		return vms_why(u->why, -ENOMEM, "out of memory");
	/* no tar found in it (EILSEQ: ARCHIVE_ERRNO_FILE_FORMAT on Linux), rather
	 * than a compressed stream that broke off */
	if (!u->entries && archive_format(u->a) == 0 && archive_errno(u->a) == EILSEQ)
		return vms_why(u->why, -ENOTDIR,
			       "not a vmscope snapshot archive (a tar file, plain or compressed "
			       "with gzip, xz or zstd)");
	if (u->eof)
		return vms_why(u->why, -EPROTO, "snapshot truncated at byte %llu",
			       (unsigned long long)u->raw);
	if (at < 0)
		at = (la_int64_t)u->raw;
	return vms_why(u->why, -EPROTO, "snapshot corrupt at byte %lld: %s", (long long)at,
		       msg ? msg : "unknown error");
}

static int entry_failed(struct unpack *u, int err, const char *what)
{
	return vms_why(u->why, err, "archive entry '%s' %s", u->esc, what);
}

static int too_big(struct unpack *u, bool one_file)
{
	uint64_t lim = one_file ? u->lim->file : u->lim->total;
	char size[32];

	if (lim % (1 << 20) == 0)
		snprintf(size, sizeof(size), "%llu MiB", (unsigned long long)(lim >> 20));
	else
		snprintf(size, sizeof(size), "%llu bytes", (unsigned long long)lim);
	if (one_file)
		return vms_why(u->why, -EFBIG, "archive entry '%s' is larger than %s", u->esc,
			       size);
	return vms_why(u->why, -EFBIG, "more than %s when unpacked (a decompression bomb?)", size);
}

static int fs_failed(struct unpack *u, int err)
{
	return vms_why(u->why, -err, "unpacking '%s': %s", u->esc, strerror(err));
}

/*
 * Check the entry's path and normalise it into @clean (at least as long):
 * relative, no "..", no empty component (a trailing '/' aside), no control
 * byte; "." components dropped.  "" is the unpack directory itself.
 */
static int clean_path(struct unpack *u, const char *path, char *clean)
{
	const char *p = path;
	size_t n = 0;

	if (*p == '/')
		return entry_failed(u, -EPROTO, "leaves the snapshot");
	for (const char *q = p; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return entry_failed(u, -EPROTO, "has a control character in its name");
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);

		if (len == 0)
			return entry_failed(u, -EPROTO, "has an empty path component");
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return entry_failed(u, -EPROTO, "leaves the snapshot");
		if (!(len == 1 && p[0] == '.')) {
			if (n)
				clean[n++] = '/';
			memcpy(clean + n, p, len);
			n += len;
		}
		p = end;
		if (*p == '/' && *++p == '\0')
			break; /* the trailing '/' of a directory */
	}
	clean[n] = '\0';
	return 0;
}

/* proc/PID/exe: the one place a symlink may be (its target is data, never followed). */
static bool symlink_allowed(const char *clean)
{
	const char *p = clean;

	if (strncmp(p, "proc/", 5) != 0)
		return false;
	p += 5;
	if (*p < '1' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return strcmp(p, "/exe") == 0;
}

/*
 * Open the directory that holds @clean's last component, creating the missing
 * ones (0700), each opened with O_NOFOLLOW so that a symlink is never walked
 * through.  Returns an fd, or -errno.
 */
static int open_parent(struct unpack *u, char *clean)
{
	int dfd = fcntl(u->out->fd, F_DUPFD_CLOEXEC, 3);
	char *p = clean, *slash;

	if (dfd < 0)
		return fs_failed(u, errno);
	while ((slash = strchr(p, '/'))) {
		int next;

		*slash = '\0';
		next = openat(dfd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(dfd, p, 0700) < 0 && errno != EEXIST)
				next = -1;
			else
				next = openat(dfd, p,
					      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			/* whatever the umask: the files in it must stay readable to us */
			if (next >= 0 && fchmod(next, 0700) < 0) {
				close(next);
				next = -1;
			}
		}
		if (next < 0) {
			int err = errno;

			close(dfd);
			*slash = '/';
			if (err == ENOTDIR || err == ELOOP)
				return entry_failed(u, -EPROTO,
						    "is below something that is not a directory");
			return fs_failed(u, err);
		}
		close(dfd);
		dfd = next;
		*slash = '/';
		p = slash + 1;
	}
	return dfd;
}

static int write_full(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copy the entry's data into the new file @fd, within the limits. */
static int copy_data(struct unpack *u, int fd)
{
	uint64_t size = 0;

	for (;;) {
		la_ssize_t n = archive_read_data(u->a, u->data, sizeof(u->data));
		int ret;

		if (n == 0)
			return 0;
		if (n < 0)
			return archive_failed(u);
		size += (uint64_t)n;
		u->total += (uint64_t)n;
		/* declared sizes were checked; this holds whatever the decoder does */
		if (u->total > u->lim->total)
			return too_big(u, false);
		if (size > u->lim->file)
			return too_big(u, true);
		ret = write_full(fd, u->data, (size_t)n);
		if (ret < 0)
			return fs_failed(u, -ret);
	}
}

static int make_entry(struct unpack *u, struct archive_entry *e, char *clean)
{
	mode_t type = archive_entry_filetype(e);
	const char *leaf;
	int dfd, fd, ret = 0;

	if (!*clean) /* "./": the unpack directory itself */
		return type == AE_IFDIR ? 0 : entry_failed(u, -EPROTO, "is not a directory");
	dfd = open_parent(u, clean);
	if (dfd < 0)
		return dfd;
	/* the last component, in the directory just opened */
	leaf = strrchr(clean, '/');
	leaf = leaf ? leaf + 1 : clean;
	if (type == AE_IFDIR) {
		struct stat st;

		if (mkdirat(dfd, leaf, 0700) == 0) {
			fd = openat(dfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 || fchmod(fd, 0700) < 0)
				ret = fs_failed(u, errno);
			if (fd >= 0)
				close(fd);
		} else if (errno != EEXIST) {
			ret = fs_failed(u, errno);
		} else if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			   !S_ISDIR(st.st_mode)) {
			/* a directory may come twice, or after a path below it made it */
			ret = entry_failed(u, -EPROTO, "appears twice");
		}
	} else if (type == AE_IFLNK) {
		if (symlinkat(archive_entry_symlink(e), dfd, leaf) < 0)
			ret = errno == EEXIST ? entry_failed(u, -EPROTO, "appears twice") :
						fs_failed(u, errno);
	} else {
		fd = openat(dfd, leaf,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
		if (fd < 0) {
			ret = errno == EEXIST ? entry_failed(u, -EPROTO, "appears twice") :
						fs_failed(u, errno);
		} else {
			if (fchmod(fd, 0600) < 0)
				ret = fs_failed(u, errno);
			if (!ret)
				ret = copy_data(u, fd);
			if (close(fd) < 0 && !ret)
				ret = fs_failed(u, errno);
		}
	}
	close(dfd);
	return ret;
}

/* Whether the entry may be in a snapshot; every check that needs no file system. */
static int check_entry(struct unpack *u, struct archive_entry *e, const char *clean)
{
	mode_t type = archive_entry_filetype(e);
	la_int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
	const char *target;

	if (archive_entry_hardlink(e))
		return entry_failed(u, -EPROTO, "is a hard link");
	switch (type) {
	case AE_IFREG:
		/* a sparse entry's stored size is not the size we check */
		if (archive_entry_sparse_count(e) > 0)
			return entry_failed(u, -EPROTO, "is a sparse file");
		break;
	case AE_IFDIR:
		break;
	case AE_IFLNK:
		target = archive_entry_symlink(e);
		if (!symlink_allowed(clean))
			return entry_failed(u, -EPROTO,
					    "is a symbolic link (only proc/PID/exe may be one)");
		if (!target || !*target || strlen(target) > u->lim->path)
			return entry_failed(u, -EPROTO, "is a symbolic link to a bad target");
		break;
	case AE_IFIFO:
		return entry_failed(u, -EPROTO, "is a FIFO");
	case AE_IFCHR:
		return entry_failed(u, -EPROTO, "is a character device");
	case AE_IFBLK:
		return entry_failed(u, -EPROTO, "is a block device");
	case AE_IFSOCK:
		return entry_failed(u, -EPROTO, "is a socket");
	default:
		return entry_failed(u, -EPROTO, "is of an unknown type");
	}
	if (size < 0 || (type != AE_IFREG && size > 0))
		return entry_failed(u, -EPROTO, "has a bad size");
	/* refused before a byte is written: a bomb cannot fill the disk */
	if ((uint64_t)size > u->lim->total - u->total)
		return too_big(u, false);
	if ((uint64_t)size > u->lim->file)
		return too_big(u, true);
	return 0;
}

/* One archive entry: 0, 1 at the end of the archive, or -errno. */
static int unpack_one(struct unpack *u, char *clean)
{
	struct archive_entry *e;
	la_int64_t before = archive_filter_bytes(u->a, 0);
	int r = archive_read_next_header(u->a, &e);

	if (r == ARCHIVE_EOF) {
		/*
		 * tar also ends, without a word, where the input ends between two
		 * entries; only the end-of-archive blocks say that nothing is missing.
		 */
		if (archive_filter_bytes(u->a, 0) - before < TAR_BLOCK)
			return vms_why(u->why, -EPROTO, "snapshot truncated at byte %llu",
				       (unsigned long long)u->raw);
		return 1;
	}
	/* a warning is about metadata we do not use; the checks below still apply */
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return archive_failed(u);
	u->path = archive_entry_pathname(e);
	vms_escape(u->esc, sizeof(u->esc), u->path ? u->path : "");
	if (!u->path)
		return vms_why(u->why, -EPROTO, "archive entry %llu has a name that cannot be read",
			       (unsigned long long)u->entries + 1);
	if (++u->entries > u->lim->entries)
		return vms_why(u->why, -EFBIG, "more than %llu archive entries",
			       (unsigned long long)u->lim->entries);
	if (strlen(u->path) > u->lim->path)
		return vms_why(u->why, -EPROTO,
			       "archive entry '%s' has a path longer than %zu bytes", u->esc,
			       u->lim->path);
	r = clean_path(u, u->path, clean);
	if (!r)
		r = check_entry(u, e, clean);
	if (!r)
		r = make_entry(u, e, clean);
	/* past the entry's padding: the next header starts exactly there */
	if (!r && archive_read_data_skip(u->a) != ARCHIVE_OK)
		r = archive_failed(u);
	return r;
}

static void remove_contents(int top);

/* ---- the registry of live unpack directories, for vms_snapshot_cleanup_signal_safe() ---- */

enum { SLOT_FREE, SLOT_FILLING, SLOT_LIVE, SLOT_CLEANING, SLOT_CLEANED };

/*
 * Plain atomics and fixed storage only: a signal handler reads this at any
 * moment.  A slot's parentfd is closed only by whoever takes it from LIVE
 * (or CLEANED) to FREE, so the cleanup never uses an fd number reused meanwhile.
 */
static struct live_dir {
	atomic_int state;
	pid_t pid; /* the process that made it: a forked child leaves it alone */
	int parentfd;
	char name[sizeof(((struct vms_unpacked *)0)->name)];
} live_dirs[VMS_UNPACKED_MAX];

static void register_dir(struct vms_unpacked *out)
{
	out->slot = -1;
	for (int i = 0; i < VMS_UNPACKED_MAX; i++) {
		struct live_dir *l = &live_dirs[i];
		int expect = SLOT_FREE;

		if (!atomic_compare_exchange_strong(&l->state, &expect, SLOT_FILLING))
			continue;
		l->pid = getpid();
		l->parentfd = out->parentfd;
		memcpy(l->name, out->name, sizeof(l->name));
		atomic_store(&l->state, SLOT_LIVE);
		out->slot = i;
		return;
	}
}

/* The directory is gone: free its slot; false when a cleanup still uses parentfd. */
static bool unregister_dir(struct vms_unpacked *u)
{
	struct live_dir *l;
	int expect = SLOT_LIVE;

	if (u->slot < 0)
		return true;
	l = &live_dirs[u->slot];
	u->slot = -1;
	if (atomic_compare_exchange_strong(&l->state, &expect, SLOT_FREE))
		return true;
	expect = SLOT_CLEANED;
	return atomic_compare_exchange_strong(&l->state, &expect, SLOT_FREE);
}

/* getdents64(2)'s record (glibc's struct dirent64 needs _LARGEFILE64_SOURCE). */
struct raw_dirent {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/* One buffer per level, so that a parent's place survives a visit below it. */
static char safe_dents[VMS_CLEANUP_DEPTH + 1][2048] __attribute__((aligned(8)));
static atomic_int cleaner_tid;

static bool is_dot(const char *n)
{
	return n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]));
}

/*
 * Remove @name in @parentfd and what is in it, VMS_CLEANUP_DEPTH levels
 * down at most, with async-signal-safe calls only: one fd per level,
 * getdents64 into that level's static buffer.  What cannot be removed (or
 * lies deeper) is left, and so is every directory above it.
 */
static void remove_tree_safe(int parentfd, const char *name)
{
	int fds[VMS_CLEANUP_DEPTH + 1];
	long pos[VMS_CLEANUP_DEPTH + 1], len[VMS_CLEANUP_DEPTH + 1], cur[VMS_CLEANUP_DEPTH + 1];
	int depth = 0;

	fds[0] = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fds[0] < 0)
		return;
	pos[0] = len[0] = 0;
	for (;;) {
		struct raw_dirent *d;
		int fd = fds[depth], sub;

		if (pos[depth] >= len[depth]) {
			len[depth] = syscall(SYS_getdents64, fd, safe_dents[depth],
					     sizeof(safe_dents[depth]));
			pos[depth] = 0;
			if (len[depth] > 0)
				continue;
			/* this directory is as empty as it gets: up, and remove it */
			close(fd);
			if (depth == 0)
				break;
			depth--;
			d = (struct raw_dirent *)(safe_dents[depth] + cur[depth]);
			unlinkat(fds[depth], d->name, AT_REMOVEDIR);
			continue;
		}
		d = (struct raw_dirent *)(safe_dents[depth] + pos[depth]);
		cur[depth] = pos[depth];
		pos[depth] += d->reclen;
		if (is_dot(d->name))
			continue;
		if (d->type != DT_DIR && (unlinkat(fd, d->name, 0) == 0 || errno != EISDIR))
			continue;
		if (unlinkat(fd, d->name, AT_REMOVEDIR) == 0 || errno != ENOTEMPTY ||
		    depth == VMS_CLEANUP_DEPTH)
			continue;
		sub = openat(fd, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		fds[++depth] = sub;
		pos[depth] = len[depth] = 0;
	}
	unlinkat(parentfd, name, AT_REMOVEDIR);
}

VMS_EXPORT void vms_snapshot_cleanup_signal_safe(void)
{
	int saved = errno, tid = (int)syscall(SYS_gettid), expect = 0;
	pid_t pid = (pid_t)syscall(SYS_getpid);

	/* one cleaner at a time (the buffers are shared); a signal in another
	 * thread waits for it, so that its default action cannot cut it short */
	while (!atomic_compare_exchange_weak(&cleaner_tid, &expect, tid)) {
		if (expect == tid)
			goto out; /* a signal in the middle of our own cleanup */
		/* its thread is gone (we are a forked child): take over */
		if (expect && syscall(SYS_tgkill, pid, expect, 0) < 0 && errno == ESRCH &&
		    atomic_compare_exchange_strong(&cleaner_tid, &expect, tid))
			break;
		syscall(SYS_sched_yield);
		expect = 0;
	}
	for (int i = 0; i < VMS_UNPACKED_MAX; i++) {
		struct live_dir *l = &live_dirs[i];
		int live = SLOT_LIVE;

		if (atomic_load(&l->state) != SLOT_LIVE || l->pid != pid ||
		    !atomic_compare_exchange_strong(&l->state, &live, SLOT_CLEANING))
			continue;
		remove_tree_safe(l->parentfd, l->name);
		atomic_store(&l->state, SLOT_CLEANED);
	}
	atomic_store(&cleaner_tid, 0);
out:
	errno = saved;
}

/* ---- the unpack directory ---- */

/*
 * What tells our unpack directories from those of another system or PID
 * namespace sharing $TMPDIR: the pid namespace's inode and the boot id.  A
 * PID is only looked up where this matches.  False when it cannot be known.
 */
static bool instance_key(char *buf, size_t size)
{
	struct stat st;
	char boot[16];
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : vms_read_retry(fd, boot, 8);

	if (fd >= 0)
		close(fd);
	if (n != 8 || stat("/proc/self/ns/pid", &st) < 0)
		return false;
	for (int i = 0; i < 8; i++)
		if (!((boot[i] >= '0' && boot[i] <= '9') || (boot[i] >= 'a' && boot[i] <= 'f')))
			return false;
	snprintf(buf, size, "%.8s-%llx", boot, (unsigned long long)st.st_ino);
	return true;
}

/*
 * Remove the unpack directories that processes killed outright (SIGKILL, a
 * crash) left in @parentfd: named with our @key, owned by us, of a PID that
 * is no more.  A PID reused since is taken for alive: that dir stays.
 */
static void remove_stale(int parentfd, const char *key)
{
	int fd = openat(parentfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char prefix[64];
	size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "vmscope-snap.%s.", key);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		char *end;
		long pid;
		int sub;

		if (strncmp(de->d_name, prefix, plen) != 0)
			continue;
		errno = 0;
		pid = strtol(de->d_name + plen, &end, 10);
		if (errno || pid <= 0 || pid > 4194304 || *end != '.' || pid == getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		remove_contents(sub);
		close(sub);
		unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static int make_dir(struct vms_unpacked *out, char **why)
{
	const char *tmp = secure_getenv("TMPDIR");
	char *path = NULL, esc[128], key[40];
	bool keyed = instance_key(key, sizeof(key));
	int err;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	vms_escape(esc, sizeof(esc), tmp);
	out->parentfd = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (out->parentfd < 0) {
		err = errno;
		return vms_why(why, -err, "temporary directory %s: %s", esc, strerror(err));
	}
	if (keyed)
		remove_stale(out->parentfd, key);
	if ((keyed ? asprintf(&path, "%s/vmscope-snap.%s.%d.XXXXXX", tmp, key, (int)getpid()) :
		     asprintf(&path, "%s/vmscope-snap.XXXXXX", tmp)) < 0) {
		path = NULL;
		err = ENOMEM;
		goto fail;
	}
	if (strlen(strrchr(path, '/') + 1) >= sizeof(out->name)) {
		err = ENAMETOOLONG;
		goto fail;
	}
	if (!mkdtemp(path)) {
		err = errno;
		goto fail;
	}
	snprintf(out->name, sizeof(out->name), "%s", strrchr(path, '/') + 1);
	/* from here on a signal handler may remove it (a big archive takes a while) */
	register_dir(out);
	out->fd = openat(out->parentfd, out->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (out->fd < 0 || fchmod(out->fd, 0700) < 0) {
		err = errno;
		if (out->fd >= 0)
			close(out->fd);
		out->fd = -1;
		free(path);
		vms_why(why, -err, "temporary directory %s: %s", esc, strerror(err));
		vms_unpacked_remove(out);
		return -err;
	}
	free(path);
	return 0;
fail:
	vms_why(why, -err, "temporary directory %s: %s", esc, strerror(err));
	free(path);
	close(out->parentfd);
	out->parentfd = out->fd = -1;
	return -err;
}

int vms_archive_unpack(int fd, const struct vms_unpack_limits *lim, struct vms_unpacked *out,
		       char **why)
{
	struct unpack *u;
	char *clean;
	int ret;

	out->parentfd = out->fd = out->slot = -1;
	u = calloc(1, sizeof(*u));
	clean = calloc(1, lim->path + 1);
	if (!u || !clean) {
		free(u);
		free(clean);
		return vms_why(why, -ENOMEM, "out of memory");
	}
	*u = (struct unpack){ .lim = lim, .out = out, .why = why, .fd = fd };
	u->a = archive_read_new();
	if (!u->a) {
		ret = vms_why(why, -ENOMEM, "out of memory");
		goto out;
	}
	/*
	 * Only these filters, and only built in: a libarchive without one of the
	 * libraries would run an external program instead (ARCHIVE_WARN).
	 */
	if (archive_read_support_filter_gzip(u->a) != ARCHIVE_OK ||
	    archive_read_support_filter_xz(u->a) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(u->a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(u->a) != ARCHIVE_OK) {
		ret = vms_why(why, -EOPNOTSUPP,
			      "this libarchive cannot read gzip, xz and zstd by itself");
		goto out;
	}
	ret = make_dir(out, why);
	if (ret < 0)
		goto out;
	if (archive_read_open(u->a, u, NULL, read_cb, NULL) != ARCHIVE_OK)
		ret = archive_failed(u);
	while (!ret)
		ret = unpack_one(u, clean);
	if (ret < 0)
		vms_unpacked_remove(out);
	else
		ret = 0;
out:
	if (u->a)
		archive_read_free(u->a);
	free(clean);
	free(u);
	return ret;
}

/* Remove everything in @top, holding one directory fd at a time (deep trees
 * would exhaust fds otherwise): down by name, back up through "..". */
static void remove_contents(int top)
{
	char path[4608]; /* the names walked down, '/'-separated */
	size_t len = 0;
	int fd = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	while (fd >= 0) {
		DIR *d = fdopendir(fd);
		struct dirent *de;
		int sub = -1;

		if (!d) {
			close(fd);
			return;
		}
		while ((de = readdir(d))) {
			const char *n = de->d_name;

			if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
				continue;
			if (unlinkat(dirfd(d), n, 0) == 0)
				continue;
			if (errno != EISDIR || len + strlen(n) + 2 > sizeof(path))
				goto give_up;
			sub = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				goto give_up;
			len += (size_t)snprintf(path + len, sizeof(path) - len, "/%s", n);
			break;
		}
		if (sub >= 0) {
			closedir(d);
			fd = sub;
			continue;
		}
		if (!len) {
			closedir(d);
			return;
		}
		/* this directory is empty: up, and remove it */
		fd = openat(dirfd(d), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		closedir(d);
		if (fd < 0)
			return;
		while (path[len - 1] != '/')
			len--;
		path[len - 1] = '\0';
		if (unlinkat(fd, path + len, AT_REMOVEDIR) < 0) {
			/* it would be found again and again: stop here */
			close(fd);
			return;
		}
		len--;
		continue;
give_up:
		closedir(d);
		return;
	}
}

void vms_unpacked_remove(struct vms_unpacked *u)
{
	if (u->parentfd < 0)
		return;
	if (u->fd >= 0) {
		remove_contents(u->fd);
		close(u->fd);
	}
	unlinkat(u->parentfd, u->name, AT_REMOVEDIR);
	/* a cleanup under way in another thread still uses parentfd: leave it open */
	if (unregister_dir(u))
		close(u->parentfd);
	u->parentfd = u->fd = -1;
}
