// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvmscope: the process table — libproc2 on the live system, the files otherwise. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libproc2/pids.h>

#include "private.h"

#define PF_KTHREAD 0x00200000UL

struct vms_ptable {
	struct vms_proc_info *v;
	size_t n, cap;
};

VMS_EXPORT size_t vms_ptable_count(const struct vms_ptable *t)
{
	return t ? t->n : 0;
}

VMS_EXPORT const struct vms_proc_info *vms_ptable_get(const struct vms_ptable *t, size_t i)
{
	return t && i < t->n ? &t->v[i] : NULL;
}

static void info_free_strings(struct vms_proc_info *i)
{
	free((char *)i->comm);
	free((char *)i->user);
	free((char *)i->cmdline);
	free((char *)i->cgroup);
}

VMS_EXPORT void vms_ptable_free(struct vms_ptable *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		info_free_strings(&t->v[i]);
	free(t->v);
	free(t);
}

static struct vms_proc_info *ptable_add(struct vms_ptable *t)
{
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		struct vms_proc_info *nv = realloc(t->v, ncap * sizeof(*nv));

		if (!nv)
			return NULL;
		t->v = nv;
		t->cap = ncap;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	return &t->v[t->n++];
}

/* Duplicate the strings of @src into @dst, which owns them afterwards. */
static int info_copy(struct vms_proc_info *dst, const struct vms_proc_info *src)
{
	*dst = *src;
	dst->comm = strdup(src->comm ? src->comm : "");
	dst->user = src->user ? strdup(src->user) : NULL;
	dst->cmdline = src->cmdline ? strdup(src->cmdline) : NULL;
	dst->cgroup = src->cgroup ? strdup(src->cgroup) : NULL;
	if (!dst->comm || (src->user && !dst->user) || (src->cmdline && !dst->cmdline) ||
	    (src->cgroup && !dst->cgroup)) {
		info_free_strings(dst);
		memset(dst, 0, sizeof(*dst));
		return -ENOMEM;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* From the files: snapshots, and the live system on request               */

static int ptable_from_files(struct vms_ctx *ctx, unsigned int what, struct vms_ptable *t)
{
	pid_t *pids;
	size_t n;
	int ret = vms_pids_read(ctx, &pids, &n);

	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n; i++) {
		struct vms_proc_info info, *slot;
		struct vms_proc *p;

		ret = vms_proc_open(ctx, pids[i], &p);
		if (ret == -ENOMEM)
			break;
		if (ret < 0) {
			ret = 0;
			continue; /* vanished between readdir and open */
		}
		ret = vms_proc_info_read(p, what, &info);
		if (ret < 0) {
			vms_proc_close(p);
			if (ret == -ENOMEM)
				break;
			ret = 0;
			continue;
		}
		slot = ptable_add(t);
		ret = slot ? info_copy(slot, &info) : -ENOMEM;
		if (ret < 0 && slot)
			t->n--;
		vms_proc_close(p);
		if (ret < 0)
			break;
	}
	free(pids);
	return ret;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

VMS_EXPORT int vms_pids_read(struct vms_ctx *ctx, pid_t **pids, size_t *n)
{
	pid_t *v = NULL;
	size_t cnt = 0, cap = 0;
	DIR *d;
	struct dirent *de;
	int fd;

	/* an empty list on failure too: a caller never sees what it did not get */
	*pids = NULL;
	*n = 0;
	if (ctx->procfd < 0)
		return ctx->procfd_err;
	fd = openat(ctx->procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		pid_t pid;

		if (vms_parse_pid(de->d_name, &pid) < 0)
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			pid_t *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt++] = pid;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_pid);
	*pids = v;
	*n = cnt;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* libproc2                                                                */

/* The raw comm and cmdline of @pid (cmdline NULs turned into spaces). */
static int read_raw_names(struct vms_ctx *ctx, pid_t pid, unsigned int what, const char *escaped,
			  char **comm, char **cmdline)
{
	char path[32];
	ssize_t n;

	*comm = *cmdline = NULL;
	/*
	 * libproc2 replaces what it escapes with '?' or '.', and changes
	 * nothing else: without those, its comm is the raw one.
	 */
	if (!strpbrk(escaped, "?.")) {
		*comm = strdup(escaped);
		if (!*comm)
			return -ENOMEM;
		goto cmdline;
	}
	snprintf(path, sizeof(path), "%d/comm", (int)pid);
	n = vms_read_small(ctx->procfd, path, 256, comm);
	if (n < 0)
		return (int)n;
	if (n > 0 && (*comm)[n - 1] == '\n')
		(*comm)[n - 1] = '\0';
cmdline:
	if (!(what & VMS_PT_CMDLINE))
		return 0;
	snprintf(path, sizeof(path), "%d/cmdline", (int)pid);
	n = vms_read_small(ctx->procfd, path, VMS_CMDLINE_MAX, cmdline);
	if (n < 0) {
		free(*comm);
		*comm = NULL;
		return (int)n;
	}
	vms_cmdline_join(*cmdline, (size_t)n);
	return 0;
}

enum slot {
	S_PID,
	S_PPID,
	S_EUID,
	S_STATE,
	S_CMD,
	S_FLAGS,
	S_BEGAN,
	S_USER,
	S_FLT_MIN,
	S_FLT_MAJ,
	S_FLT_MIN_C,
	S_FLT_MAJ_C,
	S_RSS_PGS,
	S_OOM_SCORE,
	S_OOM_ADJ,
	S_CGROUP,
	S_VSZ,
	S_NLWP,
	S__COUNT
};

static int ptable_from_libproc2(struct vms_ctx *ctx, unsigned int what, struct vms_ptable *t)
{
	enum pids_item items[S__COUNT];
	int idx[S__COUNT];
	int n = 0, ret = 0;
	struct pids_info *info = NULL;
	struct pids_fetch *f;

	for (int i = 0; i < S__COUNT; i++)
		idx[i] = -1;
#define WANT(s, item)              \
	do {                       \
		idx[s] = n;        \
		items[n++] = item; \
	} while (0)
	WANT(S_PID, PIDS_ID_PID);
	WANT(S_PPID, PIDS_ID_PPID);
	WANT(S_EUID, PIDS_ID_EUID);
	WANT(S_STATE, PIDS_STATE);
	WANT(S_CMD, PIDS_CMD);
	WANT(S_FLAGS, PIDS_FLAGS);
	WANT(S_BEGAN, PIDS_TICS_BEGAN);
	if (what & VMS_PT_USER)
		WANT(S_USER, PIDS_ID_EUSER);
	if (what & VMS_PT_FAULTS) {
		WANT(S_FLT_MIN, PIDS_FLT_MIN);
		WANT(S_FLT_MAJ, PIDS_FLT_MAJ);
		WANT(S_FLT_MIN_C, PIDS_FLT_MIN_C);
		WANT(S_FLT_MAJ_C, PIDS_FLT_MAJ_C);
		WANT(S_RSS_PGS, PIDS_RSS);
	}
	if (what & VMS_PT_OOM) {
		WANT(S_OOM_SCORE, PIDS_OOM_SCORE);
		WANT(S_OOM_ADJ, PIDS_OOM_ADJ);
	}
	if (what & VMS_PT_CGROUP)
		WANT(S_CGROUP, PIDS_CGROUP_V);
	if (what & VMS_PT_VSZ)
		WANT(S_VSZ, PIDS_VSIZE_BYTES);
	if (what & VMS_PT_THREADS)
		WANT(S_NLWP, PIDS_NLWP);
#undef WANT

	/* out of memory or of file descriptors is said as such; else EIO */
	ret = procps_pids_new(&info, items, n);
	if (ret < 0) {
		vms_err(ctx, "libproc2: procps_pids_new failed");
		return ret == -ENOMEM || ret == -EMFILE || ret == -ENFILE ? ret : -EIO;
	}
	f = procps_pids_reap(info, PIDS_FETCH_TASKS_ONLY);
	if (!f) {
		int e = errno;

		vms_err(ctx, "libproc2: procps_pids_reap failed");
		procps_pids_unref(&info);
		return e == ENOMEM || e == EMFILE || e == ENFILE ? -e : -EIO;
	}
	for (int i = 0; i < f->counts->total; i++) {
		struct pids_stack *s = f->stacks[i];
		struct vms_proc_info src = { 0 }, *slot;
		char *cmdline = NULL, *comm = NULL;
		char uidbuf[16];

#define R(sl) (s->head[idx[sl]].result)
		src.pid = R(S_PID).s_int;
		src.ppid = R(S_PPID).s_int;
		src.uid = R(S_EUID).u_int;
		src.state = R(S_STATE).s_ch;
		src.kthread = (R(S_FLAGS).ul_int & PF_KTHREAD) != 0;
		src.start_time = R(S_BEGAN).ull_int;
		if (idx[S_USER] >= 0) {
			/* libproc2 prints the number when the uid has no name */
			snprintf(uidbuf, sizeof(uidbuf), "%u", src.uid);
			src.user = strcmp(R(S_USER).str, uidbuf) ? R(S_USER).str : NULL;
			src.have |= VMS_HAVE_USER;
		}
		/*
		 * libproc2 escapes comm and turns newlines in cmdline into
		 * spaces; vmscope keeps the raw bytes and escapes on output,
		 * so these two come from the files themselves.
		 */
		ret = read_raw_names(ctx, src.pid, what, R(S_CMD).str, &comm, &cmdline);
		if (ret == -ENOMEM)
			break;
		if (ret < 0) {
			ret = 0;
			continue; /* gone since libproc2 saw it */
		}
		src.comm = comm;
		if (what & VMS_PT_CMDLINE) {
			src.cmdline = cmdline;
			src.have |= VMS_HAVE_CMDLINE;
		}
		if (idx[S_FLT_MIN] >= 0) {
			src.minflt = R(S_FLT_MIN).ul_int;
			src.majflt = R(S_FLT_MAJ).ul_int;
			/* libproc2 gives own + children's */
			src.cminflt = R(S_FLT_MIN_C).ul_int - src.minflt;
			src.cmajflt = R(S_FLT_MAJ_C).ul_int - src.majflt;
			src.rss_pages = R(S_RSS_PGS).ul_int;
			src.have |= VMS_HAVE_FAULTS;
		}
		if (idx[S_OOM_SCORE] >= 0) {
			src.oom_score = R(S_OOM_SCORE).s_int;
			src.oom_score_adj = R(S_OOM_ADJ).s_int;
			src.have |= VMS_HAVE_OOM_SCORE | VMS_HAVE_OOM_ADJ;
		}
		if (idx[S_CGROUP] >= 0) {
			char **cg = R(S_CGROUP).strv;

			/* the unified (v2) hierarchy's line, as the file reader picks */
			src.cgroup = cg && cg[0] ? cg[0] : "";
			for (char **l = cg; l && *l; l++)
				if (strncmp(*l, "0::", 3) == 0) {
					src.cgroup = *l + 3;
					break;
				}
			src.have |= VMS_HAVE_CGROUP;
		}
		if (idx[S_VSZ] >= 0) {
			src.vsz = R(S_VSZ).ul_int;
			src.have |= VMS_HAVE_VSZ;
		}
		if (idx[S_NLWP] >= 0) {
			src.threads = R(S_NLWP).s_int;
			src.have |= VMS_HAVE_THREADS;
		}
#undef R
		slot = ptable_add(t);
		ret = slot ? info_copy(slot, &src) : -ENOMEM;
		free(cmdline);
		free(comm);
		if (ret < 0) {
			if (slot)
				t->n--;
			break;
		}
	}
	procps_pids_unref(&info);
	return ret;
}

VMS_EXPORT int vms_ptable_read(struct vms_ctx *ctx, unsigned int what, struct vms_ptable **out)
{
	struct vms_ptable *t;
	int ret;

	if (!ctx || !out)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (ctx->live && strcmp(ctx->root, "/") == 0 && !(ctx->flags & VMS_CTX_NO_LIBPROC2))
		ret = ptable_from_libproc2(ctx, what, t);
	else
		ret = ptable_from_files(ctx, what, t);
	if (ret < 0) {
		vms_ptable_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* etc/passwd of the root                                                  */

/* 0, or -ENOMEM with nothing loaded: a user table with holes would name some users only. */
static int passwd_load(struct vms_ctx *ctx)
{
	char *buf, *save = NULL;
	size_t cap = 0;
	ssize_t n = vms_read_small(ctx->rootfd, "etc/passwd", 16 * 1024 * 1024, &buf);

	if (n == -ENOMEM)
		return -ENOMEM;
	ctx->pw_loaded = true;
	if (n < 0)
		return 0;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *name = line, *c1, *c2, *end;
		unsigned long uid;

		c1 = strchr(line, ':');
		if (!c1)
			continue;
		c2 = strchr(c1 + 1, ':');
		if (!c2)
			continue;
		uid = strtoul(c2 + 1, &end, 10);
		if (end == c2 + 1 || *end != ':' || uid > UINT32_MAX)
			continue;
		*c1 = '\0';
		if (ctx->n_pw == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			uint32_t *nu = realloc(ctx->pw_uids, ncap * sizeof(*nu));
			char **nn;

			if (!nu)
				goto nomem;
			ctx->pw_uids = nu;
			nn = realloc(ctx->pw_names, ncap * sizeof(*nn));
			if (!nn)
				goto nomem;
			ctx->pw_names = nn;
			cap = ncap;
		}
		ctx->pw_names[ctx->n_pw] = strdup(name);
		if (!ctx->pw_names[ctx->n_pw])
			goto nomem;
		ctx->pw_uids[ctx->n_pw++] = (uint32_t)uid;
	}
	free(buf);
	return 0;
nomem:
	free(buf);
	vms_passwd_free(ctx);
	ctx->pw_loaded = false;
	return -ENOMEM;
}

int vms_passwd_name(struct vms_ctx *ctx, uint32_t uid, char **name)
{
	int ret = 0;

	*name = NULL;
	pthread_mutex_lock(&ctx->pw_lock);
	if (!ctx->pw_loaded)
		ret = passwd_load(ctx);
	/* the first entry for a uid wins, as getpwuid() does */
	for (size_t i = 0; i < ctx->n_pw; i++)
		if (ctx->pw_uids[i] == uid) {
			*name = strdup(ctx->pw_names[i]);
			if (!*name)
				ret = -ENOMEM;
			break;
		}
	pthread_mutex_unlock(&ctx->pw_lock);
	return ret;
}

void vms_passwd_free(struct vms_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_pw; i++)
		free(ctx->pw_names[i]);
	free(ctx->pw_names);
	free(ctx->pw_uids);
	ctx->pw_names = NULL;
	ctx->pw_uids = NULL;
	ctx->n_pw = 0;
}
