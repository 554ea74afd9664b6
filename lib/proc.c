// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvmscope: one process — its held /proc/PID directory, stat, and memory files. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

#define PF_KTHREAD 0x00200000UL
#define STAT_MAX 4096
#define STATUS_MAX (64 * 1024)

struct vms_proc {
	struct vms_ctx *ctx;
	pid_t pid;
	pid_t memtid;
	int dirfd;
	int memdirfd; /* == dirfd unless a zombie leader is read via a thread */
	bool mem_resolved;
	char state; /* from stat when the memory directory was resolved */
	bool kthread;
	/* strings handed out by vms_proc_info_read() */
	char *stat_buf, *cmdline_buf, *cgroup_buf, *user_buf;
};

int vms_proc_errno(const struct vms_ctx *ctx, int err)
{
	/*
	 * Through a held directory fd the kernel says ESRCH once the process
	 * is gone; by path it says ENOENT.  In a snapshot a missing file just
	 * was not captured, so ENOENT stays.
	 */
	if (ctx->live && err == -ENOENT)
		return -ESRCH;
	return err;
}

VMS_EXPORT int vms_proc_open(struct vms_ctx *ctx, pid_t pid, struct vms_proc **out)
{
	struct vms_proc *p;
	char name[16];

	if (!ctx || pid <= 0 || !out)
		return -EINVAL;
	if (ctx->procfd < 0)
		return ctx->procfd_err;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(name, sizeof(name), "%d", (int)pid);
	p->dirfd = openat(ctx->procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd < 0) {
		int err = -errno;

		free(p);
		return err == -ENOENT ? -ESRCH : err;
	}
	p->ctx = vms_ctx_ref(ctx);
	p->pid = pid;
	p->memtid = pid;
	p->memdirfd = p->dirfd;
	*out = p;
	return 0;
}

VMS_EXPORT void vms_proc_close(struct vms_proc *p)
{
	if (!p)
		return;
	if (p->memdirfd != p->dirfd)
		close(p->memdirfd);
	close(p->dirfd);
	free(p->stat_buf);
	free(p->cmdline_buf);
	free(p->cgroup_buf);
	free(p->user_buf);
	vms_ctx_unref(p->ctx);
	free(p);
}

static int resolve_memory_dir(struct vms_proc *p);

VMS_EXPORT pid_t vms_proc_pid(const struct vms_proc *p)
{
	return p->pid;
}

VMS_EXPORT pid_t vms_proc_memory_tid(struct vms_proc *p)
{
	resolve_memory_dir(p);
	return p->memtid;
}

static int read_stat_of(struct vms_proc *p, int dirfd, struct vms_proc_info *info, char **keep)
{
	char *buf;
	ssize_t n;
	int ret;

	n = vms_read_small(dirfd, "stat", STAT_MAX, &buf);
	if (n < 0)
		return vms_proc_errno(p->ctx, (int)n);
	if (n == 0) {
		free(buf);
		return -ESRCH;
	}
	ret = vms_stat_parse(buf, (size_t)n, info);
	if (ret < 0 || !keep)
		free(buf);
	else
		*keep = buf;
	return ret;
}

/*
 * A zombie leader whose other threads run has no mm of its own any more;
 * the threads share one, reachable through task/TID.  Find a live thread.
 */
static int resolve_memory_dir(struct vms_proc *p)
{
	struct vms_proc_info info;
	DIR *d;
	struct dirent *de;
	int fd, ret;

	if (p->mem_resolved)
		return 0;
	p->mem_resolved = true;
	ret = read_stat_of(p, p->dirfd, &info, NULL);
	if (ret < 0)
		return ret;
	p->state = info.state;
	p->kthread = info.kthread;
	if (info.state != 'Z' || !(info.have & VMS_HAVE_THREADS) || info.threads <= 1)
		return 0;
	fd = openat(p->dirfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vms_proc_errno(p->ctx, -errno);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct vms_proc_info tinfo;
		pid_t tid;
		int tfd;

		if (vms_parse_pid(de->d_name, &tid) < 0 || tid == p->pid)
			continue;
		tfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (tfd < 0)
			continue;
		if (read_stat_of(p, tfd, &tinfo, NULL) == 0 && tinfo.state != 'Z' &&
		    tinfo.state != 'X') {
			p->memdirfd = tfd;
			p->memtid = tid;
			break;
		}
		close(tfd);
	}
	closedir(d);
	vms_dbg(p->ctx, "pid %d: zombie leader, memory read through task %d", (int)p->pid,
		(int)p->memtid);
	return 0;
}

int vms_proc_dirfd(const struct vms_proc *p)
{
	return p->dirfd;
}

struct vms_ctx *vms_proc_ctx(const struct vms_proc *p)
{
	return p->ctx;
}

static bool is_memory_file(const char *name)
{
	static const char *const files[] = { "maps", "smaps", "smaps_rollup", "pagemap",
					     "numa_maps" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strcmp(name, files[i]) == 0)
			return true;
	return false;
}

VMS_EXPORT int vms_proc_openat(struct vms_proc *p, const char *name, int flags)
{
	int dfd = p->dirfd, fd;

	if (!name || name[0] == '/' || strstr(name, ".."))
		return -EINVAL;
	if (is_memory_file(name))
		dfd = p->memdirfd;
	fd = openat(dfd, name,
		    (flags & ~(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) | O_RDONLY | O_CLOEXEC |
			    O_NOCTTY);
	return fd < 0 ? vms_proc_errno(p->ctx, -errno) : fd;
}

static int state_of(struct vms_proc *p, int dirfd)
{
	struct vms_proc_info info;
	int ret = read_stat_of(p, dirfd, &info, NULL);

	/* unsigned: a corrupt state byte above 0x7f must not pass for an errno */
	return ret < 0 ? ret : (unsigned char)info.state;
}

VMS_EXPORT int vms_proc_state(struct vms_proc *p)
{
	return state_of(p, p->dirfd);
}

int vms_proc_memory_state(struct vms_proc *p)
{
	return state_of(p, p->memdirfd);
}

VMS_EXPORT int vms_proc_rollup(struct vms_proc *p, struct vms_counters **out)
{
	struct vms_counters *c;
	int fd, ret;

	fd = vms_proc_openat(p, "smaps_rollup", 0);
	if (fd >= 0) {
		ret = vms_counters_parse_fd(fd, &c);
		close(fd);
		if (ret < 0)
			return vms_proc_errno(p->ctx, ret);
		/* an empty file: the address space went away (exit, zombie) */
		if (vms_counters_count(c) > 0) {
			*out = c;
			return 0;
		}
		vms_counters_free(c);
		fd = -ESRCH;
	}
	/*
	 * No address space: gone, a zombie, or a zombie leader whose threads
	 * still run.  Only now is it worth reading stat to tell which.
	 */
	if ((fd == -ESRCH || fd == -ENOENT) && !p->mem_resolved) {
		ret = resolve_memory_dir(p);
		if (ret < 0)
			return ret;
		if (p->memdirfd != p->dirfd)
			return vms_proc_rollup(p, out);
		/* a snapshot has no smaps_rollup where the kernel refused it */
		if (p->state == 'Z' || p->state == 'X' || p->kthread)
			return -ESRCH;
	}
	return fd;
}

VMS_EXPORT int vms_maps_open(struct vms_proc *p, unsigned int flags, struct vms_maps **out)
{
	struct vms_maps *it;
	int fd, ret;

	if (!p || !out || (flags & ~(VMS_MAPS_SMAPS | VMS_MAPS_PREFETCH)))
		return -EINVAL;
	/* a zombie leader's maps reads empty: find its live thread first */
	ret = resolve_memory_dir(p);
	if (ret < 0)
		return ret;
	fd = vms_proc_openat(p, (flags & VMS_MAPS_SMAPS) ? "smaps" : "maps", 0);
	if (fd < 0)
		return fd;
	it = vms_maps_new_for_proc(p, fd, flags);
	if (!it) {
		close(fd);
		return -ENOMEM;
	}
	*out = it;
	return 0;
}

/* ---------------------------------------------------------------------- */

VMS_EXPORT int vms_stat_parse(char *buf, size_t len, struct vms_proc_info *info)
{
	char *open, *close_paren, *p, *end = buf + len;
	uint64_t v[24];
	size_t n = 0;
	uint64_t pid;
	const char *q;

	memset(info, 0, sizeof(*info));
	open = memchr(buf, '(', len);
	if (!open)
		return -EBADMSG;
	/* comm may hold ')' and newlines: the last ')' ends it */
	close_paren = NULL;
	for (char *s = end; s > open;)
		if (*--s == ')') {
			close_paren = s;
			break;
		}
	if (!close_paren)
		return -EBADMSG;
	q = buf;
	if (vms_parse_u64(&q, open, 10, &pid) < 0 || q + 1 != open || *q != ' ' || pid == 0 ||
	    pid > INT32_MAX)
		return -EBADMSG;
	info->pid = (pid_t)pid;
	*close_paren = '\0';
	info->comm = open + 1;
	p = close_paren + 1;
	if (end - p < 3 || p[0] != ' ' || p[2] != ' ')
		return -EBADMSG;
	info->state = p[1];
	p += 3;
	/* the numeric fields after state; signed ones (tty, priority) parsed loosely */
	while (p < end && n < sizeof(v) / sizeof(v[0])) {
		const char *s = p;
		bool neg = false;

		if (*s == '-') {
			neg = true;
			s++;
		}
		if (vms_parse_u64(&s, end, 10, &v[n]) < 0)
			break;
		if (neg && n == 0)
			return -EBADMSG; /* a negative ppid is corrupt input */
		if (neg)
			v[n] = 0;
		n++;
		p = (char *)s;
		if (p < end && *p == ' ')
			p++;
		else
			break;
	}
	/* v[k] is stat field k + 4; a negative ppid, or one no pid_t holds, is corrupt input */
	if (n < 1 || v[0] > INT32_MAX)
		return -EBADMSG;
	info->ppid = (pid_t)v[0];
	if (n > 5 && (v[5] & PF_KTHREAD))
		info->kthread = true;
	if (n > 9) {
		info->minflt = v[6];
		info->cminflt = v[7];
		info->majflt = v[8];
		info->cmajflt = v[9];
		info->have |= VMS_HAVE_FAULTS;
	}
	if (n > 16) {
		info->threads = (int)v[16];
		info->have |= VMS_HAVE_THREADS;
	}
	if (n > 18)
		info->start_time = v[18];
	if (n > 19) {
		info->vsz = v[19];
		info->have |= VMS_HAVE_VSZ;
	}
	if (n > 20)
		info->rss_pages = v[20];
	return 0;
}

void vms_cmdline_join(char *buf, size_t n)
{
	/* arguments are NUL-separated; the last NUL ends the list */
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
}

static char *status_value(char *status, const char *key)
{
	size_t klen = strlen(key);

	for (char *line = status; line && *line;) {
		char *nl = strchr(line, '\n');

		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			char *v = line + klen + 1;

			while (*v == '\t' || *v == ' ')
				v++;
			return v;
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static int read_int_file(struct vms_proc *p, const char *name, int *out)
{
	char *buf, *end;
	ssize_t n = vms_read_small(p->dirfd, name, 64, &buf);
	long v;

	if (n < 0)
		return vms_proc_errno(p->ctx, (int)n);
	v = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n')) {
		free(buf);
		return -EBADMSG;
	}
	free(buf);
	*out = (int)v;
	return 0;
}

VMS_EXPORT int vms_proc_info_read(struct vms_proc *p, unsigned int what, struct vms_proc_info *info)
{
	char *status = NULL;
	int ret;

	free(p->stat_buf);
	p->stat_buf = NULL;
	ret = read_stat_of(p, p->dirfd, info, &p->stat_buf);
	if (ret < 0)
		return ret;
	if (p->ctx->live) {
		struct stat st;

		if (fstat(p->dirfd, &st) < 0)
			return -errno;
		info->uid = st.st_uid;
	} else {
		char *v;
		ssize_t n = vms_read_small(p->dirfd, "status", STATUS_MAX, &status);

		if (n < 0)
			return vms_proc_errno(p->ctx, (int)n);
		/* Uid: real effective saved fs */
		v = status_value(status, "Uid");
		if (v) {
			char *sp = strchr(v, '\t');

			info->uid = (uint32_t)strtoul(sp ? sp + 1 : v, NULL, 10);
		}
		v = status_value(status, "Kthread");
		if (v && *v == '1')
			info->kthread = true;
		free(status);
	}
	if (!(what & VMS_PT_FAULTS))
		info->have &= ~(unsigned int)VMS_HAVE_FAULTS;
	if (!(what & VMS_PT_VSZ))
		info->have &= ~(unsigned int)VMS_HAVE_VSZ;
	if (!(what & VMS_PT_THREADS))
		info->have &= ~(unsigned int)VMS_HAVE_THREADS;
	if (what & VMS_PT_CMDLINE) {
		ssize_t n;

		free(p->cmdline_buf);
		p->cmdline_buf = NULL;
		n = vms_read_small(p->dirfd, "cmdline", VMS_CMDLINE_MAX, &p->cmdline_buf);
		if (n >= 0) {
			vms_cmdline_join(p->cmdline_buf, (size_t)n);
			info->cmdline = p->cmdline_buf;
			info->have |= VMS_HAVE_CMDLINE;
		} else if (n == -ENOMEM) {
			return -ENOMEM;
		}
	}
	if (what & VMS_PT_OOM) {
		ret = read_int_file(p, "oom_score", &info->oom_score);
		if (ret == 0)
			info->have |= VMS_HAVE_OOM_SCORE;
		else if (ret == -ENOMEM)
			return ret;
		ret = read_int_file(p, "oom_score_adj", &info->oom_score_adj);
		if (ret == 0)
			info->have |= VMS_HAVE_OOM_ADJ;
		else if (ret == -ENOMEM)
			return ret;
	}
	if (what & VMS_PT_CGROUP) {
		ssize_t n;

		free(p->cgroup_buf);
		p->cgroup_buf = NULL;
		n = vms_read_small(p->dirfd, "cgroup", 64 * 1024, &p->cgroup_buf);
		if (n == -ENOMEM)
			return -ENOMEM;
		if (n > 0) {
			char *s = p->cgroup_buf;

			while (n > 0 && s[n - 1] == '\n')
				s[--n] = '\0';
			/* the unified (v2) hierarchy's line, "0::/path", when there is one */
			for (char *l = s; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
				if (strncmp(l, "0::", 3) == 0) {
					char *nl = strchr(l, '\n');

					if (nl)
						*nl = '\0';
					s = l + 3;
					break;
				}
			}
			info->cgroup = s;
			info->have |= VMS_HAVE_CGROUP;
		}
	}
	if (what & VMS_PT_USER) {
		free(p->user_buf);
		ret = vms_passwd_name(p->ctx, info->uid, &p->user_buf);
		if (ret < 0)
			return ret;
		info->user = p->user_buf;
		info->have |= VMS_HAVE_USER;
	}
	return 0;
}
