// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvmscope: fault counters of processes over time, with deltas that survive exits and PID reuse. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "private.h"

/* Rows and their strings as one sample found them. */
struct sample {
	struct vms_fault_row *rows;
	size_t n, cap;
	char *arena; /* comm strings; rows hold offsets until the sample is done */
	size_t alen, acap;
	pid_t *miss_pid;
	int *miss_err;
	size_t nmiss, capmiss;
};

/* A watched PID and its place in the watch list. */
struct watch_key {
	pid_t pid;
	size_t i;
};

struct vms_sampler {
	struct vms_ctx *ctx;
	unsigned int flags;
	/* vms_sampler_watch(): the processes, and who they were at the first sample */
	pid_t *watch;
	uint64_t *watch_start;
	bool *watch_known;
	size_t nwatch;
	/* the watch list by PID (then index): found by bisection, not by a scan */
	struct watch_key *watch_sorted;
	struct sample last, cur;
	unsigned long index;
	bool sampled;
	double time, interval;
	/* the previous sample's time is on the boot clock, as start times are */
	bool boot_basis;
	long tck;
};

static void sample_free(struct sample *sm)
{
	free(sm->rows);
	free(sm->arena);
	free(sm->miss_pid);
	free(sm->miss_err);
}

VMS_EXPORT int vms_sampler_new(struct vms_ctx *ctx, unsigned int flags, struct vms_sampler **out)
{
	struct vms_sampler *s;

	if (!ctx || !out || (flags & ~(unsigned int)(VMS_SAMPLER_THREADS | VMS_SAMPLER_TREE)))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ctx = vms_ctx_ref(ctx);
	s->flags = flags;
	s->tck = sysconf(_SC_CLK_TCK);
	if (s->tck <= 0)
		s->tck = 100;
	*out = s;
	return 0;
}

VMS_EXPORT void vms_sampler_free(struct vms_sampler *s)
{
	if (!s)
		return;
	sample_free(&s->last);
	sample_free(&s->cur);
	free(s->watch);
	free(s->watch_start);
	free(s->watch_known);
	free(s->watch_sorted);
	vms_ctx_unref(s->ctx);
	free(s);
}

static int watch_key_cmp(const void *a, const void *b)
{
	const struct watch_key *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

VMS_EXPORT int vms_sampler_watch(struct vms_sampler *s, const pid_t *pids, size_t n)
{
	if (!s || (n && !pids) || s->sampled)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (pids[i] <= 0)
			return -EINVAL;
	free(s->watch);
	free(s->watch_start);
	free(s->watch_known);
	free(s->watch_sorted);
	s->watch = malloc((n ? n : 1) * sizeof(*s->watch));
	s->watch_start = calloc(n ? n : 1, sizeof(*s->watch_start));
	s->watch_known = calloc(n ? n : 1, sizeof(*s->watch_known));
	s->watch_sorted = malloc((n ? n : 1) * sizeof(*s->watch_sorted));
	if (!s->watch || !s->watch_start || !s->watch_known || !s->watch_sorted) {
		free(s->watch);
		free(s->watch_start);
		free(s->watch_known);
		free(s->watch_sorted);
		s->watch = NULL;
		s->watch_start = NULL;
		s->watch_known = NULL;
		s->watch_sorted = NULL;
		s->nwatch = 0;
		return -ENOMEM;
	}
	if (n)
		memcpy(s->watch, pids, n * sizeof(*pids));
	for (size_t i = 0; i < n; i++)
		s->watch_sorted[i] = (struct watch_key){ pids[i], i };
	if (n)
		qsort(s->watch_sorted, n, sizeof(*s->watch_sorted), watch_key_cmp);
	s->nwatch = n;
	/* a watch list is kept even when empty: it then watches nothing */
	s->flags |= 1u << 31;
	return 0;
}

#define WATCHING(s) (((s)->flags >> 31) & 1u)

VMS_EXPORT size_t vms_sampler_count(const struct vms_sampler *s)
{
	return s ? s->last.n : 0;
}

VMS_EXPORT const struct vms_fault_row *vms_sampler_row(const struct vms_sampler *s, size_t i)
{
	return s && i < s->last.n ? &s->last.rows[i] : NULL;
}

VMS_EXPORT double vms_sampler_interval(const struct vms_sampler *s)
{
	return s ? s->interval : 0;
}

VMS_EXPORT unsigned long vms_sampler_index(const struct vms_sampler *s)
{
	return s && s->index ? s->index - 1 : 0;
}

VMS_EXPORT size_t vms_sampler_missing_count(const struct vms_sampler *s)
{
	return s ? s->last.nmiss : 0;
}

VMS_EXPORT int vms_sampler_missing(const struct vms_sampler *s, size_t i, pid_t *pid, int *err)
{
	if (!s || i >= s->last.nmiss)
		return -ERANGE;
	if (pid)
		*pid = s->last.miss_pid[i];
	if (err)
		*err = s->last.miss_err[i];
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Building a sample                                                       */

static struct vms_fault_row *row_add(struct sample *sm)
{
	if (sm->n == sm->cap) {
		size_t ncap = sm->cap ? sm->cap * 2 : 256;
		struct vms_fault_row *nr = realloc(sm->rows, ncap * sizeof(*nr));

		if (!nr)
			return NULL;
		sm->rows = nr;
		sm->cap = ncap;
	}
	memset(&sm->rows[sm->n], 0, sizeof(sm->rows[0]));
	return &sm->rows[sm->n++];
}

/* Copy @str into the arena; the row keeps the offset until comm_fix(). */
static int comm_put(struct sample *sm, struct vms_fault_row *r, const char *str)
{
	size_t len = strlen(str) + 1;

	if (sm->alen + len > sm->acap) {
		size_t ncap = sm->acap ? sm->acap * 2 : 16384;
		char *na;

		while (ncap < sm->alen + len)
			ncap *= 2;
		na = realloc(sm->arena, ncap);
		if (!na)
			return -ENOMEM;
		sm->arena = na;
		sm->acap = ncap;
	}
	memcpy(sm->arena + sm->alen, str, len);
	r->comm = (const char *)(uintptr_t)sm->alen;
	sm->alen += len;
	return 0;
}

static void comm_fix(struct sample *sm)
{
	for (size_t i = 0; i < sm->n; i++)
		sm->rows[i].comm = sm->arena + (uintptr_t)sm->rows[i].comm;
}

static int miss_add(struct sample *sm, pid_t pid, int err)
{
	if (sm->nmiss == sm->capmiss) {
		size_t ncap = sm->capmiss ? sm->capmiss * 2 : 16;
		pid_t *np = realloc(sm->miss_pid, ncap * sizeof(*np));
		int *ne;

		if (!np)
			return -ENOMEM;
		sm->miss_pid = np;
		ne = realloc(sm->miss_err, ncap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		sm->miss_err = ne;
		sm->capmiss = ncap;
	}
	sm->miss_pid[sm->nmiss] = pid;
	sm->miss_err[sm->nmiss++] = err;
	return 0;
}

static void row_from_info(struct vms_sampler *s, struct vms_fault_row *r,
			  const struct vms_proc_info *info)
{
	unsigned long ps = vms_ctx_page_size(s->ctx);

	r->pid = info->pid;
	r->tid = info->pid;
	r->ppid = info->ppid;
	r->state = info->state;
	r->kthread = info->kthread;
	r->start_time = info->start_time;
	r->minflt = info->minflt;
	r->majflt = info->majflt;
	r->cminflt = info->cminflt;
	r->cmajflt = info->cmajflt;
	r->rss = info->rss_pages * ps;
	r->vsz = info->vsz;
}

/*
 * Read one stat file by its path under proc/: one open, one read, one
 * close, and an fstat for the owner when live.  Returns 0, -ESRCH, -EACCES,
 * -EPERM, -EBADMSG.
 */
static int read_stat_path(struct vms_sampler *s, const char *path, struct vms_proc_info *info,
			  char *buf, size_t cap, uint32_t *uid)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = openat(s->ctx->procfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return vms_proc_errno(s->ctx, -errno);
	if (uid && fstat(fd, &st) == 0)
		*uid = st.st_uid;
	n = vms_read_retry(fd, buf, cap - 1);
	/*
	 * The kernel gives a stat file whole; a read that stops short of its
	 * final '\n' (a snapshot on a file system that cuts reads) is finished
	 * here, at no cost in the usual case.
	 */
	while (n > 0 && buf[n - 1] != '\n' && (size_t)n < cap - 1) {
		ssize_t m = vms_read_retry(fd, buf + n, cap - 1 - (size_t)n);

		if (m <= 0) {
			if (m < 0)
				n = m;
			break;
		}
		n += m;
	}
	close(fd);
	if (n < 0)
		return vms_proc_errno(s->ctx, (int)n);
	if (n == 0)
		return -ESRCH;
	buf[n] = '\0';
	return vms_stat_parse(buf, (size_t)n, info);
}

/* Read process @pid into a new row of @sm.  0, or -ESRCH/-EACCES/-EPERM/-EBADMSG/-ENOMEM. */
static int read_process(struct vms_sampler *s, struct sample *sm, pid_t pid)
{
	struct vms_proc_info info = { .comm = "" }; /* defined even where a failed read leaves it */
	struct vms_fault_row *r;
	char buf[4096], path[32];
	uint32_t uid = 0;
	int ret;

	if (s->ctx->live) {
		snprintf(path, sizeof(path), "%d/stat", (int)pid);
		ret = read_stat_path(s, path, &info, buf, sizeof(buf), &uid);
		if (ret < 0)
			return ret;
	} else {
		struct vms_proc *p;

		/* a snapshot keeps the owner in status, not in its files' owners */
		ret = vms_proc_open(s->ctx, pid, &p);
		if (ret < 0)
			return ret;
		ret = vms_proc_info_read(p, VMS_PT_FAULTS | VMS_PT_VSZ, &info);
		if (ret == 0) {
			uid = info.uid;
			snprintf(buf, sizeof(buf), "%s", info.comm);
			info.comm = buf;
		}
		vms_proc_close(p);
		if (ret < 0)
			return ret;
	}
	if (info.pid != pid)
		return -EBADMSG;
	r = row_add(sm);
	if (!r)
		return -ENOMEM;
	row_from_info(s, r, &info);
	r->uid = uid;
	return comm_put(sm, r, info.comm);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* Append a row per thread of the process row @pr (an index into @sm). */
static int read_threads(struct vms_sampler *s, struct sample *sm, size_t pr)
{
	char path[48], buf[4096];
	pid_t pid = sm->rows[pr].pid, *tids = NULL;
	uint32_t uid = sm->rows[pr].uid;
	size_t nt = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%d/task", (int)pid);
	fd = openat(s->ctx->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* gone since its stat was read: the next sample says so */
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno == -ENOMEM ? -ENOMEM : 0;
	}
	while ((de = readdir(d))) {
		pid_t tid;

		if (vms_parse_pid(de->d_name, &tid) < 0)
			continue;
		if (nt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			pid_t *nv = realloc(tids, ncap * sizeof(*nv));

			if (!nv) {
				ret = -ENOMEM;
				break;
			}
			tids = nv;
			cap = ncap;
		}
		tids[nt++] = tid;
	}
	closedir(d);
	if (nt)
		qsort(tids, nt, sizeof(*tids), cmp_pid);
	for (size_t i = 0; i < nt && ret == 0; i++) {
		struct vms_proc_info info = { .comm = "" };
		struct vms_fault_row *r;

		snprintf(path, sizeof(path), "%d/task/%d/stat", (int)pid, (int)tids[i]);
		if (read_stat_path(s, path, &info, buf, sizeof(buf), NULL) < 0 ||
		    info.pid != tids[i])
			continue; /* the thread ended */
		r = row_add(sm);
		if (!r) {
			ret = -ENOMEM;
			break;
		}
		row_from_info(s, r, &info);
		r->pid = pid;
		r->tid = tids[i];
		r->thread = true;
		r->uid = uid;
		r->cminflt = r->cmajflt = 0; /* a thread waits for no one of its own */
		ret = comm_put(sm, r, info.comm);
	}
	free(tids);
	return ret;
}

/* The first place of @pid in the sorted watch list (nwatch when it is not there). */
static size_t watched_first(const struct vms_sampler *s, pid_t pid)
{
	size_t lo = 0, hi = s->nwatch;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->watch_sorted[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nwatch && s->watch_sorted[lo].pid == pid ? lo : s->nwatch;
}

static int watched_index(const struct vms_sampler *s, pid_t pid)
{
	size_t k = watched_first(s, pid);

	return k < s->nwatch ? (int)s->watch_sorted[k].i : -1;
}

/* Mark every place of @pid in the watch list as dealt with. */
static void watched_mark(const struct vms_sampler *s, bool *done, pid_t pid)
{
	for (size_t k = watched_first(s, pid); k < s->nwatch && s->watch_sorted[k].pid == pid; k++)
		done[s->watch_sorted[k].i] = true;
}

/*
 * Keep, of the process rows, the watched ones (the ones the watch list
 * identified at the first sample) and, with VMS_SAMPLER_TREE, their
 * descendants.  Watched processes that are not there are noted missing.
 */
static int select_watched(struct vms_sampler *s, struct sample *sm, bool first)
{
	bool *keep, *done;
	size_t k = 0;
	bool changed;
	int ret = 0;

	keep = calloc(sm->n ? sm->n : 1, sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	for (size_t i = 0; i < sm->n; i++) {
		int w = watched_index(s, sm->rows[i].pid);

		if (w < 0)
			continue;
		if (first && !s->watch_known[w]) {
			s->watch_known[w] = true;
			s->watch_start[w] = sm->rows[i].start_time;
		}
		keep[i] = s->watch_known[w] && s->watch_start[w] == sm->rows[i].start_time;
	}
	if (s->flags & VMS_SAMPLER_TREE) {
		/* descendants, by parent: rows are in PID order, parents anywhere */
		do {
			changed = false;
			for (size_t i = 0; i < sm->n; i++) {
				if (keep[i])
					continue;
				for (size_t j = 0; j < sm->n; j++)
					if (keep[j] && sm->rows[j].pid == sm->rows[i].ppid) {
						keep[i] = changed = true;
						break;
					}
			}
		} while (changed);
	}
	/* the watched processes neither kept nor noted missing are gone: by lookups, as
	 * scans made a watch list of 100,000 PIDs quadratic (hazard A6) */
	done = calloc(s->nwatch ? s->nwatch : 1, sizeof(*done));
	if (!done) {
		free(keep);
		return -ENOMEM;
	}
	for (size_t i = 0; i < sm->n; i++)
		if (keep[i])
			watched_mark(s, done, sm->rows[i].pid);
	for (size_t m = 0; m < sm->nmiss; m++)
		watched_mark(s, done, sm->miss_pid[m]);
	for (size_t w = 0; w < s->nwatch; w++) {
		if (done[w])
			continue;
		ret = miss_add(sm, s->watch[w], -ESRCH);
		if (ret < 0)
			break;
		watched_mark(s, done, s->watch[w]);
	}
	free(done);
	for (size_t i = 0; i < sm->n; i++)
		if (keep[i])
			sm->rows[k++] = sm->rows[i];
	sm->n = k;
	free(keep);
	return ret;
}

static int row_cmp(const struct vms_fault_row *a, const struct vms_fault_row *b)
{
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->thread != b->thread)
		return a->thread ? 1 : -1;
	if (a->tid != b->tid)
		return a->tid < b->tid ? -1 : 1;
	/* the exited one first, before a new one with the same id */
	if ((a->status == VMS_FS_EXITED) != (b->status == VMS_FS_EXITED))
		return a->status == VMS_FS_EXITED ? -1 : 1;
	return 0;
}

static int row_qcmp(const void *a, const void *b)
{
	return row_cmp(a, b);
}

/* The row of the last sample with the same pid/thread/tid, or NULL. */
static struct vms_fault_row *last_find(struct sample *last, const struct vms_fault_row *r)
{
	size_t lo = 0, hi = last->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct vms_fault_row key = *r;
		int c;

		key.status = last->rows[mid].status;
		c = row_cmp(&last->rows[mid], &key);
		if (c == 0)
			return &last->rows[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool was_missing(const struct sample *last, pid_t pid)
{
	for (size_t i = 0; i < last->nmiss; i++)
		if (last->miss_pid[i] == pid)
			return true;
	return false;
}

/* Seconds since boot of the root @ctx: live, the boot clock; else proc/uptime. */
static int sample_time(struct vms_ctx *ctx, double *t, bool *boot)
{
	struct timespec ts;
	char *buf;
	ssize_t n;

	if (ctx->live) {
		if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
			return -errno;
		*t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		*boot = true;
		return 0;
	}
	n = ctx->procfd >= 0 ? vms_read_small(ctx->procfd, "uptime", 4096, &buf) : -ENOENT;
	if (n > 0) {
		char *end;
		double v;

		buf[n] = '\0';
		v = strtod(buf, &end);
		free(buf);
		if (end != buf && v >= 0) {
			*t = v;
			*boot = true;
			return 0;
		}
		return -EBADMSG;
	}
	if (n == 0)
		free(buf);
	if (n == -ENOMEM)
		return -ENOMEM;
	/* no uptime: the capture's wall-clock time, to the second */
	{
		const char *v = vms_ctx_snapshot_info(ctx, "time");
		struct tm tm = { 0 };
		char *end;

		if (!v || !(end = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm)) || *end != 'Z')
			return -ENOENT;
		*t = (double)timegm(&tm);
		*boot = false;
	}
	return 0;
}

/* Compare with the last sample: status and deltas; exited rows appended. */
static int match_last(struct vms_sampler *s, struct sample *cur, double prev_time)
{
	struct sample *last = &s->last;
	bool first = !s->sampled;
	size_t nlive = cur->n;
	bool *matched = calloc(last->n ? last->n : 1, sizeof(*matched));

	if (!matched)
		return -ENOMEM;
	for (size_t i = 0; i < nlive; i++) {
		struct vms_fault_row *r = &cur->rows[i];
		struct vms_fault_row *o = first ? NULL : last_find(last, r);

		if (first) {
			r->status = VMS_FS_FIRST;
			continue;
		}
		if (o && o->start_time == r->start_time) {
			matched[o - last->rows] = true;
			if (r->minflt < o->minflt || r->majflt < o->majflt ||
			    r->cminflt < o->cminflt || r->cmajflt < o->cmajflt) {
				/* counters never go back for one process: do not guess */
				r->status = VMS_FS_UNBASED;
				continue;
			}
			r->status = VMS_FS_RUNNING;
			r->has_delta = true;
			r->d_minflt = r->minflt - o->minflt;
			r->d_majflt = r->majflt - o->majflt;
			r->d_cminflt = r->cminflt - o->cminflt;
			r->d_cmajflt = r->cmajflt - o->cmajflt;
			continue;
		}
		/*
		 * Not in the last sample (or its PID then was another process's).
		 * The last sample's time was taken before its listing, so a
		 * process it could not have listed started after that time,
		 * and all its faults fall in the interval -- unless it was
		 * there but unreadable, or its start time says otherwise.
		 */
		if ((!r->thread && was_missing(last, r->pid)) ||
		    (s->boot_basis && (double)(r->start_time + 1) / (double)s->tck < prev_time)) {
			r->status = VMS_FS_UNBASED;
			continue;
		}
		r->status = VMS_FS_NEW;
		r->has_delta = true;
		r->d_minflt = r->minflt;
		r->d_majflt = r->majflt;
		r->d_cminflt = r->cminflt;
		r->d_cmajflt = r->cmajflt;
	}
	for (size_t j = 0; j < last->n && !first; j++) {
		struct vms_fault_row *r;
		const char *comm = last->rows[j].comm;

		if (matched[j])
			continue;
		r = row_add(cur);
		if (!r) {
			free(matched);
			return -ENOMEM;
		}
		*r = last->rows[j];
		r->status = VMS_FS_EXITED;
		r->has_delta = false;
		r->d_minflt = r->d_majflt = r->d_cminflt = r->d_cmajflt = 0;
		if (comm_put(cur, r, comm) < 0) {
			free(matched);
			return -ENOMEM;
		}
	}
	free(matched);
	return 0;
}

/* Drop the exited rows of the last sample: they were said once. */
static void last_compact(struct sample *last)
{
	size_t k = 0;

	for (size_t i = 0; i < last->n; i++)
		if (last->rows[i].status != VMS_FS_EXITED)
			last->rows[k++] = last->rows[i];
	last->n = k;
}

VMS_EXPORT int vms_sampler_sample(struct vms_sampler *s, struct vms_ctx *ctx)
{
	struct sample *cur;
	pid_t *pids = NULL;
	size_t npids = 0;
	double t = 0, prev_time;
	bool boot = false;
	int ret;

	if (!s)
		return -EINVAL;
	if (ctx && ctx != s->ctx) {
		if (ctx->live != s->ctx->live)
			return -EINVAL;
		vms_ctx_unref(s->ctx);
		s->ctx = vms_ctx_ref(ctx);
	}
	ctx = s->ctx;
	if (ctx->procfd < 0)
		return ctx->procfd_err;
	ret = sample_time(ctx, &t, &boot);
	if (ret < 0)
		return ret;
	if (s->sampled && !(t > s->time))
		return -EINVAL; /* a series must go forward in time */
	cur = &s->cur;
	cur->n = cur->alen = cur->nmiss = 0;

	if (WATCHING(s) && !(s->flags & VMS_SAMPLER_TREE)) {
		pids = malloc((s->nwatch ? s->nwatch : 1) * sizeof(*pids));
		if (!pids)
			return -ENOMEM;
		memcpy(pids, s->watch, s->nwatch * sizeof(*pids));
		npids = s->nwatch;
		if (npids)
			qsort(pids, npids, sizeof(*pids), cmp_pid);
	} else {
		ret = vms_pids_read(ctx, &pids, &npids);
		if (ret < 0)
			return ret;
	}
	for (size_t i = 0; i < npids; i++) {
		ret = read_process(s, cur, pids[i]);
		if (ret == -ENOMEM)
			break;
		if (ret == -ESRCH && (!WATCHING(s) || watched_index(s, pids[i]) < 0))
			ret = 0; /* ended between the listing and the read */
		else if (ret < 0 && WATCHING(s) && watched_index(s, pids[i]) < 0)
			ret = 0; /* not asked about: the tree's roots are what count */
		else if (ret < 0)
			ret = miss_add(cur, pids[i], ret);
		if (ret < 0)
			break;
	}
	free(pids);
	if (ret == 0 && WATCHING(s))
		ret = select_watched(s, cur, !s->sampled);
	if (ret == 0 && (s->flags & VMS_SAMPLER_THREADS)) {
		size_t nproc = cur->n;

		for (size_t i = 0; i < nproc && ret == 0; i++)
			ret = read_threads(s, cur, i);
	}
	if (ret < 0)
		return ret;

	prev_time = s->time;
	if (s->sampled)
		last_compact(&s->last);
	/* the basis holds only when both samples are on the boot clock */
	s->boot_basis = boot && s->boot_basis;
	ret = match_last(s, cur, prev_time);
	if (ret < 0)
		return ret;
	comm_fix(cur);
	if (cur->n)
		qsort(cur->rows, cur->n, sizeof(cur->rows[0]), row_qcmp);

	s->interval = s->sampled ? t - s->time : 0;
	s->time = t;
	s->boot_basis = boot;
	s->sampled = true;
	s->index++;
	/* what was built becomes the sample to read; the old one is reused */
	{
		struct sample tmp = s->last;

		s->last = *cur;
		s->cur = tmp;
	}
	return 0;
}
