// SPDX-License-Identifier: GPL-2.0-or-later
/* vmtop's model: frames of the process table and the system, rollups on demand; no curses. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "vmtop.h"

const struct vt_col_info vt_cols[VT_COL__N] = {
	[VT_COL_PID] = { "pid", "PID", 7, true, false, "process ID" },
	[VT_COL_PPID] = { "ppid", "PPID", 7, true, false, "parent process ID" },
	[VT_COL_USER] = { "user", "USER", 9, false, false, "effective user (name, or uid)" },
	[VT_COL_STATE] = { "state", "S", 1, false, false, "state: R S D Z T I ..." },
	[VT_COL_VSZ] = { "vsz", "VSZ", 10, true, false, "virtual size (stat)" },
	[VT_COL_RSS] = { "rss", "RSS", 10, true, false, "resident set size (statm), every frame" },
	[VT_COL_PSS] = { "pss", "PSS", 10, true, true,
			 "proportional set size (smaps_rollup), rows on screen" },
	[VT_COL_USS] = { "uss", "USS", 10, true, true,
			 "unique set size: Private_Clean + Private_Dirty (smaps_rollup)" },
	[VT_COL_SWAP] = { "swap", "SWAP", 10, true, true, "swapped out (smaps_rollup Swap)" },
	[VT_COL_MINFLT] = { "minflt", "MINFLT/s", 9, true, false, "minor faults per second" },
	[VT_COL_MAJFLT] = { "majflt", "MAJFLT/s", 9, true, false, "major faults per second" },
	[VT_COL_MINFLT_TOTAL] = { "minflt_total", "MINFLT", 10, true, false,
				  "minor faults since the process started" },
	[VT_COL_MAJFLT_TOTAL] = { "majflt_total", "MAJFLT", 8, true, false,
				  "major faults since the process started" },
	[VT_COL_COMMAND] = { "command", "COMMAND", 0, false, false,
			     "command line, or [comm] when it has none" },
};

int vt_col_lookup(const char *name, size_t len)
{
	for (int i = 0; i < VT_COL__N; i++)
		if (strlen(vt_cols[i].name) == len && memcmp(vt_cols[i].name, name, len) == 0)
			return i;
	return -1;
}

/* ---- one process, kept from frame to frame while its PID and start time hold ---- */

struct pstate {
	pid_t pid, ppid;
	uint64_t start_time;
	uint32_t uid;
	char state;
	bool kthread;
	char *comm, *cmdline, *user;
	uint64_t vsz, rss, minflt, majflt;
	bool have_rate, hot;
	double minflt_rate, majflt_rate;
	double avg_rate; /* moving average of minflt+majflt rates before this frame */
	/* the rollup */
	int mem;
	uint64_t pss, uss, swap, swap_pss;
	double mem_time; /* model clock of the read */
	unsigned long mem_frame; /* the frame it was read in (a replay reads once per frame) */
	bool wanted;
	/* rate history, a ring */
	unsigned int nhist, hpos;
	float hmin[VT_HIST], hmaj[VT_HIST];
};

/* What the worker has been asked for beyond rollups. */
struct detail_shared {
	int ref;
	struct vt_map *maps;
	size_t nmaps;
	char **names;
	bool maps_only;
	int err;
	double time;
	unsigned long frame;
};

struct vt_model {
	struct vt_model_opts o;
	struct vms_ctx *ctx; /* of the last frame (a reference) */
	size_t next_root;
	struct vms_sampler *sampler;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* the worker's and the ticker's wait */
	pthread_t ticker, worker;
	bool threads, stop, paused, done, ended;
	unsigned long limit, frames;
	unsigned long gen;
	bool dirty; /* rollups read since the last bump */
	double last_bump;
	int efd;
	double t0; /* model clock origin */
	double tick_start; /* of the last frame, for the rollup budget */
	double budget_used; /* CPU seconds the rollup reads used since */

	struct pstate **procs; /* the processes of the last frame, by PID */
	size_t nprocs;
	size_t nskipped;
	/* the snapshot phrases of the frames so far: a vt_sys handed out points to one */
	char **phrases;
	size_t nphrases, phrases_cap;
	bool pending_first; /* replay: the first root, opened by vt_model_new, not shown yet */
	bool detached; /* stopped with the worker perhaps still blocked in a read */

	struct vt_sys sys;
	bool have_vmstat;
	uint64_t vmstat[VT_RATE__N];

	pid_t *missing_pid;
	int *missing_err;
	size_t nmissing, missing_cap, missing_cap2;

	/* detail */
	pid_t detail_pid;
	uint64_t detail_start;
	struct detail_shared *detail;
	bool detail_busy;
	/* page map */
	pid_t pmap_pid;
	struct vt_pmap *pmap;
	double pmap_time;
	unsigned long pmap_frame;
	/* cursor page */
	pid_t page_pid;
	uint64_t page_addr;
	bool page_done; /* m->page is of (page_pid, page_addr) */
	unsigned long page_frame; /* read in this frame: read again in the next */
	struct vt_page page;
};

static double now(const struct vt_model *m)
{
	return cx_mono_now() - m->t0;
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Something new to draw: wake the loop that polls the eventfd. */
static void bump(struct vt_model *m)
{
	uint64_t one = 1;

	m->gen++;
	if (m->efd >= 0 && write(m->efd, &one, sizeof(one)) < 0) {
		/* full counter: the loop is awake anyway */
	}
}

/*
 * New figures from a rollup: one redraw per read would re-sort a thousand rows
 * a hundred times a second.  Say so at most four times a second; the worker
 * says the rest when it runs out of work.
 */
static void bump_soon(struct vt_model *m)
{
	double t = now(m);

	m->dirty = true;
	if (t - m->last_bump >= 0.25) {
		m->last_bump = t;
		m->dirty = false;
		bump(m);
	}
}

static void pstate_free(struct pstate *p)
{
	if (!p)
		return;
	free(p->comm);
	free(p->cmdline);
	free(p->user);
	free(p);
}

static struct pstate *find_locked(struct vt_model *m, pid_t pid)
{
	size_t lo = 0, hi = m->nprocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->procs[mid]->pid == pid)
			return m->procs[mid];
		if (m->procs[mid]->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- a frame ---- */

static const char *const rate_keys[VT_RATE__N] = {
	[VT_RATE_FAULT] = "pgfault",
	[VT_RATE_MAJFAULT] = "pgmajfault",
	[VT_RATE_SWPIN] = "pswpin",
	[VT_RATE_SWPOUT] = "pswpout",
};

static uint64_t mi(const struct vms_counters *c, const char *key, bool *have)
{
	uint64_t v = 0;

	if (!c || vms_counters_find(c, key, &v) < 0) {
		if (have)
			*have = false;
		return 0;
	}
	return v;
}

/* meminfo, vmstat and zram of @ctx into @s (the rates against the last frame's counters). */
static void read_system(struct vt_model *m, struct vms_ctx *ctx, double interval, struct vt_sys *s,
			uint64_t *vmstat, bool *have_vmstat)
{
	struct vms_counters *c = NULL;
	struct vms_zrams *z = NULL;
	bool have = true;

	if (vms_meminfo_read(ctx, &c) == 0) {
		uint64_t cached = mi(c, "Cached", NULL) + mi(c, "SReclaimable", NULL);

		s->mem_total = mi(c, "MemTotal", &have);
		s->mem_free = mi(c, "MemFree", &have);
		s->mem_available = mi(c, "MemAvailable", NULL);
		s->mem_buffers = mi(c, "Buffers", NULL);
		s->mem_cache = cached;
		/* as free(1): what is neither free nor buffers/cache */
		s->mem_used = s->mem_total - s->mem_free;
		if (s->mem_used >= s->mem_buffers + s->mem_cache)
			s->mem_used -= s->mem_buffers + s->mem_cache;
		s->swap_total = mi(c, "SwapTotal", NULL);
		s->swap_free = mi(c, "SwapFree", NULL);
		s->swap_cached = mi(c, "SwapCached", NULL);
		s->zswap = mi(c, "Zswap", NULL);
		s->zswapped = mi(c, "Zswapped", NULL);
		s->have_zswap = s->zswap || s->zswapped;
		s->have_mem = have;
		vms_counters_free(c);
	}
	c = NULL;
	*have_vmstat = false;
	if (vms_vmstat_read(ctx, &c) == 0) {
		uint64_t v[VT_RATE__N];
		bool all = true;

		for (int i = 0; i < VT_RATE__N; i++)
			v[i] = mi(c, rate_keys[i], &all);
		vms_counters_free(c);
		s->have_rates = false;
		if (all && m->have_vmstat && interval > 0) {
			s->have_rates = true;
			for (int i = 0; i < VT_RATE__N; i++)
				s->rate[i] = v[i] >= vmstat[i] ?
						     (double)(v[i] - vmstat[i]) / interval :
						     0;
		}
		if (all) {
			memcpy(vmstat, v, sizeof(v));
			*have_vmstat = true;
		}
	}
	if (vms_zram_read(ctx, &z) == 0) {
		for (size_t i = 0; i < vms_zram_count(z); i++) {
			const struct vms_zram *d = vms_zram_get(z, i);

			if (!d->have_mm_stat || !d->orig_data_size)
				continue;
			s->have_zram = true;
			s->zram_orig += d->orig_data_size;
			s->zram_compr += d->compr_data_size;
			s->zram_used += d->mem_used_total;
		}
		vms_zram_free(z);
	}
}

/* user and cmdline of a process new in this frame (the same process: start time checked) */
/*
 * The resident size from proc/PID/statm, in bytes, or @fallback (stat's) when
 * it cannot be read (a snapshot holds no statm).  stat's own figure reads the
 * kernel's per-CPU counters without folding them in and can lag by dozens of
 * pages, even below PSS; statm sums them, as top and htop read it.
 */
static uint64_t read_statm_rss(struct vms_ctx *ctx, pid_t pid, uint64_t fallback)
{
	char path[32], buf[128];
	unsigned long long size, res;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "proc/%d/statm", (int)pid);
	fd = vms_ctx_openat(ctx, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fallback;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return fallback;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size, &res) != 2 || res > UINT64_MAX / vms_ctx_page_size(ctx))
		return fallback;
	return (uint64_t)res * vms_ctx_page_size(ctx);
}

static void read_names(struct vms_ctx *ctx, struct pstate *p)
{
	struct vms_proc *proc;
	struct vms_proc_info pi;

	if (vms_proc_open(ctx, p->pid, &proc) < 0)
		return;
	if (vms_proc_info_read(proc, VMS_PT_USER | VMS_PT_CMDLINE, &pi) == 0 &&
	    pi.start_time == p->start_time) {
		if (pi.user)
			p->user = cx_xstrdup(pi.user);
		if (pi.cmdline)
			p->cmdline = cx_xstrdup(pi.cmdline);
	}
	vms_proc_close(proc);
}

/*
 * A process's fault rate "jumps" when minor plus major faults per second reach
 * 4 times their moving average and at least 1000/s (or any major fault rate of
 * 10/s that is 4 times its average): the moment a program starts to grow or to
 * page, highlighted for that frame.
 */
static void rate_update(struct pstate *p, const struct vms_fault_row *r, double interval)
{
	double rate;

	p->have_rate = r->has_delta && interval > 0;
	p->hot = false;
	if (!p->have_rate)
		return;
	p->minflt_rate = (double)r->d_minflt / interval;
	p->majflt_rate = (double)r->d_majflt / interval;
	rate = p->minflt_rate + p->majflt_rate;
	if (p->nhist >= 1 && rate >= 4 * p->avg_rate &&
	    (rate >= 1000 || p->majflt_rate >= 10 * (1 + p->avg_rate / 4)))
		p->hot = true;
	p->avg_rate = p->nhist ? 0.7 * p->avg_rate + 0.3 * rate : rate;
	p->hmin[p->hpos] = (float)p->minflt_rate;
	p->hmaj[p->hpos] = (float)p->majflt_rate;
	p->hpos = (p->hpos + 1) % VT_HIST;
	if (p->nhist < VT_HIST)
		p->nhist++;
}

static struct vms_ctx *next_ctx(struct vt_model *m, int *err)
{
	struct vms_ctx *c;

	*err = 0;
	if (!m->o.nroots)
		return NULL;
	if (m->next_root >= m->o.nroots) {
		*err = 1;
		return NULL;
	}
	c = cx_ctx_open(m->o.roots[m->next_root], 0);
	if (!c) {
		*err = -EIO;
		return NULL;
	}
	m->next_root++;
	return c;
}

int vt_model_tick(struct vt_model *m)
{
	struct vms_ctx *ctx;
	struct vt_sys s;
	struct pstate **old, **procs = NULL;
	size_t nold, n = 0, cap = 0, rcap = 0, nskip = 0, j = 0, *rowidx = NULL;
	bool *moved;
	uint64_t *rss = NULL;
	size_t scap = 0;
	uint64_t vmstat[VT_RATE__N];
	bool have_vmstat;
	double interval;
	int ret;

	pthread_mutex_lock(&m->lock);
	if (m->ended || (m->limit && m->frames >= m->limit)) {
		m->done = true;
		pthread_mutex_unlock(&m->lock);
		return 1;
	}
	pthread_mutex_unlock(&m->lock);

	if (m->pending_first) {
		m->pending_first = false;
		ctx = vms_ctx_ref(m->ctx);
		ret = 0;
	} else {
		ctx = next_ctx(m, &ret);
	}
	if (ret == 1) {
		pthread_mutex_lock(&m->lock);
		m->ended = m->done = true;
		bump(m);
		pthread_mutex_unlock(&m->lock);
		return 1;
	}
	if (ret < 0)
		return ret;
	if (!ctx)
		ctx = vms_ctx_ref(m->ctx);

	ret = vms_sampler_sample(m->sampler, m->o.nroots ? ctx : NULL);
	if (ret < 0) {
		vms_ctx_unref(ctx);
		return ret;
	}
	interval = vms_sampler_interval(m->sampler);

	/*
	 * Only this thread changes the list and adds processes: it reads the last
	 * frame's PIDs without the lock, makes the new processes (reading their
	 * names, which may block) before anyone can see them, and takes the lock
	 * only to update the others and swap the lists.
	 */
	old = m->procs;
	nold = m->nprocs;
	moved = calloc(nold ? nold : 1, sizeof(*moved));
	if (!moved)
		cx_oom();
	for (size_t i = 0; i < vms_sampler_count(m->sampler); i++) {
		const struct vms_fault_row *r = vms_sampler_row(m->sampler, i);
		struct pstate *p;

		if (r->thread || r->status == VMS_FS_EXITED)
			continue;
		while (j < nold && old[j]->pid < r->pid)
			j++;
		if (j < nold && old[j]->pid == r->pid && old[j]->start_time == r->start_time) {
			p = old[j];
			moved[j] = true;
		} else {
			p = calloc(1, sizeof(*p));
			if (!p)
				cx_oom();
			p->pid = r->pid;
			p->start_time = r->start_time;
			p->mem = VT_MEM_PENDING;
			read_names(ctx, p);
			if (!p->user)
				p->user = cx_xasprintf("%" PRIu32, r->uid);
		}
		procs = cx_grow(procs, n, &cap, sizeof(*procs));
		rowidx = cx_grow(rowidx, n, &rcap, sizeof(*rowidx));
		procs[n] = p;
		rss = cx_grow(rss, n, &scap, sizeof(*rss));
		rss[n] = read_statm_rss(ctx, r->pid, r->rss);
		rowidx[n++] = i;
	}
	nskip = vms_sampler_missing_count(m->sampler);

	memset(&s, 0, sizeof(s));
	memcpy(vmstat, m->vmstat, sizeof(vmstat));
	read_system(m, ctx, interval, &s, vmstat, &have_vmstat);
	cx_sample_clock(ctx, s.clock, sizeof(s.clock));

	pthread_mutex_lock(&m->lock);
	for (size_t k = 0; k < n; k++) {
		const struct vms_fault_row *r = vms_sampler_row(m->sampler, rowidx[k]);
		struct pstate *p = procs[k];

		p->ppid = r->ppid;
		p->uid = r->uid;
		p->state = r->state;
		p->kthread = r->kthread;
		if (!p->comm || strcmp(p->comm, r->comm)) {
			free(p->comm);
			p->comm = cx_xstrdup(r->comm);
		}
		p->vsz = r->vsz;
		p->rss = rss[k];
		p->minflt = r->minflt;
		p->majflt = r->majflt;
		rate_update(p, r, interval);
	}
	/* the first frame: which -p processes could not be read */
	if (m->frames == 0 && m->o.npids) {
		for (size_t i = 0; i < vms_sampler_missing_count(m->sampler); i++) {
			pid_t pid;
			int err;

			if (vms_sampler_missing(m->sampler, i, &pid, &err) < 0)
				break;
			m->missing_pid = cx_grow(m->missing_pid, m->nmissing, &m->missing_cap,
						 sizeof(pid_t));
			m->missing_err =
				cx_grow(m->missing_err, m->nmissing, &m->missing_cap2, sizeof(int));
			m->missing_pid[m->nmissing] = pid;
			m->missing_err[m->nmissing++] = err;
		}
	}
	m->procs = procs;
	m->nprocs = n;
	m->nskipped = nskip;
	s.frame = ++m->frames;
	s.delay = m->o.nroots ? interval : m->o.delay;
	s.nprocs = n;
	s.nskipped = nskip;
	/* history: carried over, the new rates appended */
	s.nhist = m->sys.nhist;
	memcpy(s.hist, m->sys.hist, sizeof(s.hist));
	if (s.have_rates) {
		if (s.nhist == VT_HIST) {
			for (int r = 0; r < VT_RATE__N; r++)
				memmove(s.hist[r], s.hist[r] + 1, (VT_HIST - 1) * sizeof(double));
			s.nhist--;
		}
		for (int r = 0; r < VT_RATE__N; r++)
			s.hist[r][s.nhist] = s.rate[r];
		s.nhist++;
	}
	s.mem_fresh = m->sys.mem_fresh;
	s.mem_wanted = m->sys.mem_wanted;
	s.mem_cpu = m->budget_used;
	m->sys = s;
	memcpy(m->vmstat, vmstat, sizeof(vmstat));
	m->have_vmstat = have_vmstat;
	if (!vms_ctx_is_live(ctx)) {
		m->phrases = cx_grow(m->phrases, m->nphrases, &m->phrases_cap, sizeof(char *));
		m->phrases[m->nphrases] = cx_snapshot_phrase(ctx, NULL);
		m->sys.snapshot = m->phrases[m->nphrases++];
	}
	vms_ctx_unref(m->ctx);
	m->ctx = ctx;
	m->tick_start = now(m);
	m->budget_used = 0;
	if (m->limit && m->frames >= m->limit)
		m->done = true;
	if (m->o.nroots && m->next_root >= m->o.nroots)
		m->ended = m->done = true;
	bump(m);
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);

	for (size_t i = 0; i < nold; i++)
		if (!moved[i])
			pstate_free(old[i]);
	free(old);
	free(moved);
	free(rowidx);
	free(rss);
	return 0;
}

/* ---- rollups ---- */

/* Read the rollup of (@pid, @start) of @ctx: VT_MEM_OK or -errno. */
static int read_rollup(struct vms_ctx *ctx, pid_t pid, uint64_t start, uint64_t v[4])
{
	struct vms_proc *p;
	struct vms_proc_info pi;
	struct vms_counters *c;
	uint64_t pc = 0, pd = 0;
	int ret = vms_proc_open(ctx, pid, &p);

	if (ret < 0)
		return ret;
	ret = vms_proc_info_read(p, 0, &pi);
	if (ret >= 0 && pi.start_time != start)
		ret = -ESRCH; /* the PID is another process's now */
	if (ret >= 0)
		ret = vms_proc_rollup(p, &c);
	vms_proc_close(p);
	if (ret < 0)
		return ret;
	memset(v, 0, 4 * sizeof(*v));
	vms_counters_get(c, VMS_KEY_PSS, &v[0]);
	vms_counters_get(c, VMS_KEY_PRIVATE_CLEAN, &pc);
	vms_counters_get(c, VMS_KEY_PRIVATE_DIRTY, &pd);
	v[1] = pc + pd;
	vms_counters_get(c, VMS_KEY_SWAP, &v[2]);
	vms_counters_get(c, VMS_KEY_SWAP_PSS, &v[3]);
	vms_counters_free(c);
	return 0;
}

/*
 * The wanted process whose figures are oldest (never read first), and not
 * read within the last delay; NULL when none.  Under the lock.
 */
static struct pstate *next_rollup_locked(struct vt_model *m, double t)
{
	struct pstate *best = NULL;

	for (size_t i = 0; i < m->nprocs; i++) {
		struct pstate *p = m->procs[i];

		if (!p->wanted || p->kthread)
			continue;
		if (p->mem != VT_MEM_PENDING &&
		    (m->o.nroots ? p->mem_frame == m->frames : t - p->mem_time < m->o.delay))
			continue;
		if (!best || (p->mem == VT_MEM_PENDING && best->mem != VT_MEM_PENDING) ||
		    ((p->mem == VT_MEM_PENDING) == (best->mem == VT_MEM_PENDING) &&
		     p->mem_time < best->mem_time))
			best = p;
	}
	return best;
}

/* One rollup read, the lock dropped around it.  False when there is none to do. */
static bool rollup_step_locked(struct vt_model *m)
{
	struct pstate *p = next_rollup_locked(m, now(m));
	struct vms_ctx *ctx;
	pid_t pid;
	uint64_t start, v[4];
	double c0;
	int ret;

	if (!p)
		return false;
	pid = p->pid;
	start = p->start_time;
	ctx = vms_ctx_ref(m->ctx);
	pthread_mutex_unlock(&m->lock);
	c0 = thread_cpu();
	ret = read_rollup(ctx, pid, start, v);
	c0 = thread_cpu() - c0;
	vms_ctx_unref(ctx);
	pthread_mutex_lock(&m->lock);
	m->budget_used += c0;
	p = find_locked(m, pid);
	if (p && p->start_time == start) {
		p->mem = ret;
		p->mem_time = now(m);
		p->mem_frame = m->frames;
		if (ret == 0) {
			p->pss = v[0];
			p->uss = v[1];
			p->swap = v[2];
			p->swap_pss = v[3];
		}
		bump_soon(m);
	}
	return true;
}

static bool page_step_locked(struct vt_model *m);
static bool detail_step_locked(struct vt_model *m);
static bool pmap_step_locked(struct vt_model *m);

void vt_model_read_all(struct vt_model *m)
{
	pthread_mutex_lock(&m->lock);
	while (page_step_locked(m) || detail_step_locked(m) || pmap_step_locked(m) ||
	       rollup_step_locked(m))
		;
	if (m->dirty) {
		m->dirty = false;
		bump(m);
	}
	pthread_mutex_unlock(&m->lock);
}

void vt_model_want(struct vt_model *m, const pid_t *pids, size_t n, bool all_sorted)
{
	size_t fresh = 0, wanted = 0;
	double t;

	pthread_mutex_lock(&m->lock);
	t = now(m);
	for (size_t i = 0; i < m->nprocs; i++)
		m->procs[i]->wanted = all_sorted;
	for (size_t i = 0; i < n; i++) {
		struct pstate *p = find_locked(m, pids[i]);

		if (p)
			p->wanted = true;
	}
	for (size_t i = 0; i < m->nprocs; i++) {
		struct pstate *p = m->procs[i];

		if (!p->wanted || p->kthread)
			continue;
		wanted++;
		if (p->mem == VT_MEM_OK &&
		    (m->o.nroots ? p->mem_frame == m->frames : t - p->mem_time <= 2 * m->o.delay))
			fresh++;
	}
	m->sys.mem_fresh = fresh;
	m->sys.mem_wanted = wanted;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/* ---- the detail of one process ---- */

static void detail_unref(struct detail_shared *d)
{
	if (!d || --d->ref > 0)
		return;
	for (size_t i = 0; i < d->nmaps; i++)
		free(d->names[i]);
	free(d->names);
	free(d->maps);
	free(d);
}

struct maplist {
	struct vms_mapping *v;
	size_t n;
};

static const struct vms_mapping *maplist_at(size_t i, void *data)
{
	return &((struct maplist *)data)->v[i];
}

static uint64_t counter(const struct vms_counters *c, enum vms_key k)
{
	uint64_t v = 0;

	vms_counters_get(c, k, &v);
	return v;
}

/*
 * The mappings of (@pid, @start), with their smaps figures when @smaps (maps
 * only otherwise), named (a copy in @names[i]) and with their kinds as vmmap
 * gives them.  Returns 0 or -errno.
 */
static int read_maps(struct vms_ctx *ctx, pid_t pid, uint64_t start, bool smaps,
		     struct vt_map **out, char ***names, size_t *n)
{
	struct vms_proc *p;
	struct vms_proc_info pi;
	struct vms_maps *it;
	const struct vms_mapping *mp;
	struct vms_thread_sp *sps = NULL;
	size_t nsps = 0, cap = 0, ncap = 0, mcap = 0;
	struct maplist l = { 0 };
	struct vt_map *maps = NULL;
	enum vms_kind *kinds;
	char **nm = NULL;
	int ret = vms_proc_open(ctx, pid, &p);

	*n = 0;
	if (ret < 0)
		return ret;
	ret = vms_proc_info_read(p, 0, &pi);
	if (ret >= 0 && pi.start_time != start)
		ret = -ESRCH; /* the PID is another process's now */
	if (ret >= 0)
		ret = vms_maps_open(p, smaps ? VMS_MAPS_SMAPS : 0, &it);
	if (ret < 0) {
		vms_proc_close(p);
		return ret;
	}
	while ((ret = vms_maps_next(it, &mp)) > 0) {
		struct vt_map *t;

		l.v = cx_grow(l.v, l.n, &cap, sizeof(*l.v));
		nm = cx_grow(nm, l.n, &ncap, sizeof(*nm));
		maps = cx_grow(maps, l.n, &mcap, sizeof(*maps));
		nm[l.n] = malloc(mp->name_len + 1);
		if (!nm[l.n])
			cx_oom();
		memcpy(nm[l.n], mp->name, mp->name_len);
		nm[l.n][mp->name_len] = '\0';
		l.v[l.n] = *mp;
		l.v[l.n].name = nm[l.n];
		l.v[l.n].counters = NULL; /* they die with the iterator */
		l.v[l.n].vm_flags = NULL;
		t = &maps[l.n];
		memset(t, 0, sizeof(*t));
		t->start = mp->start;
		t->end = mp->end;
		memcpy(t->perms, mp->perms, sizeof(t->perms));
		t->name = nm[l.n];
		if (mp->counters) {
			const struct vms_counters *c = mp->counters;

			t->have_smaps = true;
			t->rss = counter(c, VMS_KEY_RSS);
			t->pss = counter(c, VMS_KEY_PSS);
			t->uss = counter(c, VMS_KEY_PRIVATE_CLEAN) +
				 counter(c, VMS_KEY_PRIVATE_DIRTY);
			t->swap = counter(c, VMS_KEY_SWAP);
			t->anon_huge = counter(c, VMS_KEY_ANON_HUGE_PAGES);
		}
		l.n++;
	}
	if (ret == 0)
		ret = vms_maps_finish(it);
	vms_maps_close(it);
	if (ret < 0) {
		for (size_t i = 0; i < l.n; i++)
			free(nm[i]);
		free(nm);
		free(l.v);
		free(maps);
		vms_proc_close(p);
		return ret;
	}
	kinds = calloc(l.n ? l.n : 1, sizeof(*kinds));
	if (!kinds)
		cx_oom();
	if (vms_proc_thread_sps(p, &sps, &nsps) < 0)
		nsps = 0;
	*n = l.n;
	cx_classify(l.n, maplist_at, &l, pid, sps, nsps, kinds);
	for (size_t i = 0; i < *n; i++)
		maps[i].kind = kinds[i];
	free(kinds);
	free(sps);
	free(l.v);
	vms_proc_close(p);
	*out = maps;
	*names = nm;
	return 0;
}

/* Read the asked detail when it is missing or older than two delays.  Under the lock. */
static bool detail_step_locked(struct vt_model *m)
{
	struct detail_shared *d;
	struct vms_ctx *ctx;
	struct pstate *p;
	pid_t pid = m->detail_pid;
	uint64_t start;
	int ret;

	if (!pid || (m->detail && (m->o.nroots ? m->detail->frame == m->frames :
						 now(m) - m->detail->time < 2 * m->o.delay)))
		return false;
	if (m->detail && m->detail->err == -ESRCH)
		return false; /* exited: stays so */
	d = calloc(1, sizeof(*d));
	if (!d)
		cx_oom();
	d->ref = 1;
	p = find_locked(m, pid);
	if (!m->detail_start && p)
		m->detail_start = p->start_time;
	start = m->detail_start;
	ctx = vms_ctx_ref(m->ctx);
	pthread_mutex_unlock(&m->lock);
	if (!start) {
		ret = -ESRCH;
	} else {
		ret = read_maps(ctx, pid, start, true, &d->maps, &d->names, &d->nmaps);
		if (ret == -EACCES || ret == -EPERM) {
			/* maps is world-readable where smaps is not: sizes at least */
			int r2 = read_maps(ctx, pid, start, false, &d->maps, &d->names, &d->nmaps);

			d->maps_only = r2 == 0;
			if (r2 < 0)
				ret = r2 == -ESRCH ? r2 : ret;
		}
	}
	vms_ctx_unref(ctx);
	d->err = d->maps_only ? 0 : ret;
	if (d->maps_only)
		d->err = 0;
	pthread_mutex_lock(&m->lock);
	d->time = now(m);
	d->frame = m->frames;
	if (m->detail_pid == pid && m->detail_start == start) {
		detail_unref(m->detail);
		m->detail = d;
		bump(m);
	} else {
		detail_unref(d);
	}
	return true;
}

void vt_model_detail_request(struct vt_model *m, pid_t pid)
{
	pthread_mutex_lock(&m->lock);
	if (pid != m->detail_pid) {
		struct pstate *p = pid ? find_locked(m, pid) : NULL;

		m->detail_pid = pid;
		m->detail_start = p ? p->start_time : 0;
		detail_unref(m->detail);
		m->detail = NULL;
		pthread_cond_broadcast(&m->cond);
	}
	pthread_mutex_unlock(&m->lock);
}

int vt_model_detail(struct vt_model *m, struct vt_detail **out)
{
	struct vt_detail *d;
	struct pstate *p;

	*out = NULL;
	pthread_mutex_lock(&m->lock);
	if (!m->detail_pid || !m->detail) {
		pthread_mutex_unlock(&m->lock);
		return VT_MEM_PENDING;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		pthread_mutex_unlock(&m->lock);
		return -ENOMEM;
	}
	d->pid = m->detail_pid;
	d->start_time = m->detail_start;
	d->err = m->detail->err;
	d->maps_only = m->detail->maps_only;
	d->maps = m->detail->maps;
	d->nmaps = m->detail->nmaps;
	d->age = now(m) - m->detail->time;
	d->mem = m->detail;
	m->detail->ref++;
	p = find_locked(m, d->pid);
	if (p && p->start_time == d->start_time) {
		d->user = p->user;
		d->comm = p->comm;
		d->cmdline = p->cmdline ? p->cmdline : "";
		/* strings of the process state: copied, it may go at the next frame */
		d->user = cx_xstrdup(d->user);
		d->comm = cx_xstrdup(d->comm);
		d->cmdline = cx_xstrdup(d->cmdline);
		d->rss = p->rss;
		d->have_rollup = p->mem == VT_MEM_OK;
		d->pss = p->pss;
		d->uss = p->uss;
		d->swap = p->swap;
		d->swap_pss = p->swap_pss;
		d->have_rate = p->have_rate;
		d->minflt_rate = p->minflt_rate;
		d->majflt_rate = p->majflt_rate;
		d->nhist = p->nhist;
		for (unsigned int i = 0; i < p->nhist; i++) {
			unsigned int k = (p->hpos + VT_HIST - p->nhist + i) % VT_HIST;

			d->minflt_hist[i] = p->hmin[k];
			d->majflt_hist[i] = p->hmaj[k];
		}
		/* a rollup the list does not ask for: the detail wants it */
		p->wanted = true;
	} else {
		d->err = -ESRCH;
		d->user = cx_xstrdup("");
		d->comm = cx_xstrdup("");
		d->cmdline = cx_xstrdup("");
	}
	pthread_mutex_unlock(&m->lock);
	*out = d;
	return 0;
}

void vt_detail_free(struct vt_detail *d)
{
	if (!d)
		return;
	free((char *)d->user);
	free((char *)d->comm);
	free((char *)d->cmdline);
	detail_unref(d->mem);
	free(d);
}

/* ---- the page map ---- */

void vt_pmap_free(struct vt_pmap *p)
{
	if (!p)
		return;
	if (p->mem)
		for (size_t i = 0; i < p->nregions; i++)
			free((char *)p->regions[i].name);
	free(p->regions);
	free(p->runs);
	free(p);
}

static struct vt_pmap *pmap_copy(const struct vt_pmap *s)
{
	struct vt_pmap *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	*p = *s;
	p->regions = calloc(s->nregions ? s->nregions : 1, sizeof(*p->regions));
	p->runs = calloc(s->nruns ? s->nruns : 1, sizeof(*p->runs));
	if (!p->regions || !p->runs)
		cx_oom();
	if (s->nruns)
		memcpy(p->runs, s->runs, s->nruns * sizeof(*p->runs));
	for (size_t i = 0; i < s->nregions; i++) {
		p->regions[i] = s->regions[i];
		p->regions[i].name = cx_xstrdup(s->regions[i].name);
	}
	p->mem = p;
	return p;
}

/* Append a run to the region whose runs start at @first, merged with its last when alike. */
static void add_run(struct vt_pmap *pm, size_t *cap, size_t first, uint64_t start, uint64_t end,
		    unsigned int flags)
{
	struct vt_pm_run *last = pm->nruns > first ? &pm->runs[pm->nruns - 1] : NULL;

	flags &= ~(unsigned int)VMS_RUN_SOFT_DIRTY;
	if (last && last->end == start && last->flags == flags) {
		last->end = end;
		return;
	}
	pm->runs = cx_grow(pm->runs, pm->nruns, cap, sizeof(*pm->runs));
	pm->runs[pm->nruns++] = (struct vt_pm_run){ start, end, flags };
}

/* Walk every mapping of (@pid, @start): the page map. */
static struct vt_pmap *read_pmap(struct vms_ctx *ctx, pid_t pid, uint64_t start)
{
	struct vt_pmap *pm = calloc(1, sizeof(*pm));
	struct vms_pagemap *pgm = NULL;
	struct vms_proc *p = NULL;
	struct vt_map *maps = NULL;
	char **names = NULL;
	size_t n = 0, rcap = 0;
	int ret;

	if (!pm)
		cx_oom();
	pm->pid = pid;
	pm->page_size = vms_ctx_page_size(ctx);
	pm->mem = pm;
	ret = read_maps(ctx, pid, start, false, &maps, &names, &n);
	if (ret == 0)
		ret = vms_proc_open(ctx, pid, &p);
	if (ret == 0)
		ret = vms_pagemap_open(p, &pgm);
	if (ret < 0) {
		pm->err = ret;
		goto out;
	}
	pm->regions = calloc(n ? n : 1, sizeof(*pm->regions));
	if (!pm->regions)
		cx_oom();
	pm->known = ~0u;
	for (size_t i = 0; i < n; i++) {
		struct vt_pm_region *r = &pm->regions[pm->nregions++];
		struct vms_pagewalk *w;
		struct vms_page_run run;

		r->start = maps[i].start;
		r->end = maps[i].end;
		r->kind = maps[i].kind;
		r->name = names[i];
		names[i] = NULL;
		memcpy(r->perms, maps[i].perms, sizeof(r->perms));
		r->first = pm->nruns;
		if (pm->partial || vms_pagewalk_open(pgm, r->start, r->end, 0, &w) < 0) {
			/* outside what pagemap covers ([vsyscall]), or the process is gone */
			add_run(pm, &rcap, r->first, r->start, r->end, VMS_RUN_UNKNOWN);
			r->nruns = pm->nruns - r->first;
			continue;
		}
		pm->known &= vms_pagewalk_known(w);
		while ((ret = vms_pagewalk_next(w, &run)) > 0)
			add_run(pm, &rcap, r->first, run.start, run.end, run.flags);
		if (ret < 0 || vms_pagewalk_finish(w) < 0) {
			/* the process is gone: the rest of the map is unknown; another
			 * error ([vvar] and other special mappings) costs this region only */
			if (ret == -ESRCH || vms_pagewalk_finish(w) == -ESRCH)
				pm->partial = true;
			if (pm->nruns == r->first || pm->runs[pm->nruns - 1].end < r->end)
				add_run(pm, &rcap, r->first,
					pm->nruns > r->first ? pm->runs[pm->nruns - 1].end :
							       r->start,
					r->end, VMS_RUN_UNKNOWN);
		}
		vms_pagewalk_close(w);
		r->nruns = pm->nruns - r->first;
	}
out:
	if (pgm)
		vms_pagemap_close(pgm);
	if (p)
		vms_proc_close(p);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(maps);
	return pm;
}

static bool pmap_step_locked(struct vt_model *m)
{
	struct vms_ctx *ctx;
	struct vt_pmap *pm;
	struct pstate *p;
	pid_t pid = m->pmap_pid;
	uint64_t start;

	if (!pid || (m->pmap && (m->pmap->err == -ESRCH ||
				 (m->o.nroots ? m->pmap_frame == m->frames :
						now(m) - m->pmap_time < 2 * m->o.delay))))
		return false;
	p = find_locked(m, pid);
	if (pid == m->detail_pid && m->detail_start)
		start = m->detail_start;
	else
		start = p ? p->start_time : 0;
	ctx = vms_ctx_ref(m->ctx);
	pthread_mutex_unlock(&m->lock);
	if (start) {
		pm = read_pmap(ctx, pid, start);
	} else {
		pm = calloc(1, sizeof(*pm));
		if (!pm)
			cx_oom();
		pm->pid = pid;
		pm->err = -ESRCH;
		pm->mem = pm;
	}
	vms_ctx_unref(ctx);
	pthread_mutex_lock(&m->lock);
	if (m->pmap_pid == pid) {
		vt_pmap_free(m->pmap);
		m->pmap = pm;
		m->pmap_time = now(m);
		m->pmap_frame = m->frames;
		bump(m);
	} else {
		vt_pmap_free(pm);
	}
	return true;
}

void vt_model_pmap_request(struct vt_model *m, pid_t pid)
{
	pthread_mutex_lock(&m->lock);
	if (pid != m->pmap_pid) {
		m->pmap_pid = pid;
		vt_pmap_free(m->pmap);
		m->pmap = NULL;
		pthread_cond_broadcast(&m->cond);
	}
	pthread_mutex_unlock(&m->lock);
}

int vt_model_pmap(struct vt_model *m, struct vt_pmap **out)
{
	int ret = VT_MEM_PENDING;

	*out = NULL;
	pthread_mutex_lock(&m->lock);
	if (m->pmap_pid && m->pmap) {
		*out = pmap_copy(m->pmap);
		ret = *out ? 0 : -ENOMEM;
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

/* ---- the cursor page ---- */

static void read_page(struct vms_ctx *ctx, uint64_t start, struct vt_page *pg)
{
	struct vms_proc *p = NULL;
	struct vms_proc_info pi;
	struct vms_pagemap *pm = NULL;
	unsigned int caps = vms_ctx_caps(ctx);
	bool visible = caps & VMS_CAP_PFN;
	uint64_t raw = 0;
	ssize_t got;
	int ret;

	pg->hidden_why = visible ? NULL : vms_ctx_cap_reason(ctx, VMS_CAP_PFN);
	ret = vms_pt_split(pg->addr, pg->addr >> 47 ? 5 : 4, pg->levels,
			   sizeof(pg->levels) / sizeof(pg->levels[0]));
	pg->nlevels = ret > 0 ? (unsigned int)ret : 0;
	ret = vms_proc_open(ctx, pg->pid, &p);
	if (ret == 0)
		ret = vms_proc_info_read(p, 0, &pi);
	if (ret == 0 && pi.start_time != start)
		ret = -ESRCH;
	if (ret == 0)
		ret = vms_pagemap_open(p, &pm);
	if (ret == 0) {
		got = vms_pagemap_read(pm, pg->addr & ~(uint64_t)(vms_ctx_page_size(ctx) - 1), 1,
				       &raw);
		ret = got == 1 ? 0 : got < 0 ? (int)got : -ESRCH;
	}
	pg->err = ret;
	if (ret == 0) {
		vms_pme_decode(raw, visible, &pg->pme);
		if (pg->pme.state == VMS_PAGE_PRESENT && !pg->pme.frame_hidden) {
			struct vms_kpage *k;

			if (vms_kpage_open(ctx, &k) == 0) {
				pg->have_kpf = vms_kpage_read(k, VMS_KPAGE_FLAGS, pg->pme.pfn, 1,
							      &pg->kpf) == 1;
				pg->have_count = vms_kpage_read(k, VMS_KPAGE_COUNT, pg->pme.pfn, 1,
								&pg->count) == 1;
				vms_kpage_close(k);
			}
		}
		if (pg->pme.state == VMS_PAGE_SWAPPED && !pg->pme.frame_hidden) {
			struct vms_swaps *s;

			if (vms_swaps_read(ctx, &s) == 0) {
				const struct vms_swap *d =
					vms_swaps_by_type(s, pg->pme.swap_type, pg->pme.swap_offset,
							  vms_ctx_page_size(ctx));

				if (d)
					snprintf(pg->swapdev, sizeof(pg->swapdev), "%s",
						 d->filename);
				vms_swaps_free(s);
			}
		}
	}
	if (pm)
		vms_pagemap_close(pm);
	if (p)
		vms_proc_close(p);
}

static bool page_step_locked(struct vt_model *m)
{
	struct vt_page pg;
	struct vms_ctx *ctx;
	struct pstate *p;
	uint64_t start;

	if (!m->page_pid || (m->page_done && m->page_frame == m->frames))
		return false;
	memset(&pg, 0, sizeof(pg));
	pg.pid = m->page_pid;
	pg.addr = m->page_addr;
	p = find_locked(m, pg.pid);
	start = pg.pid == m->detail_pid && m->detail_start ? m->detail_start :
		p					   ? p->start_time :
							     0;
	ctx = vms_ctx_ref(m->ctx);
	pthread_mutex_unlock(&m->lock);
	if (start)
		read_page(ctx, start, &pg);
	else
		pg.err = -ESRCH;
	vms_ctx_unref(ctx);
	pthread_mutex_lock(&m->lock);
	if (m->page_pid == pg.pid && m->page_addr == pg.addr) {
		m->page = pg;
		m->page_done = true;
		m->page_frame = m->frames;
		bump(m);
	}
	return true;
}

void vt_model_page_request(struct vt_model *m, pid_t pid, uint64_t addr)
{
	pthread_mutex_lock(&m->lock);
	if (pid != m->page_pid || addr != m->page_addr) {
		m->page_pid = pid;
		m->page_addr = addr;
		m->page_done = false;
		pthread_cond_broadcast(&m->cond);
	}
	pthread_mutex_unlock(&m->lock);
}

int vt_model_page(struct vt_model *m, struct vt_page *out)
{
	int ret = VT_MEM_PENDING;

	pthread_mutex_lock(&m->lock);
	if (m->page_pid && m->page_done) {
		*out = m->page;
		ret = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

/* ---- the threads ---- */

/* Is the rollup budget of this frame spent?  At least one read per frame is made. */
static bool over_budget_locked(const struct vt_model *m)
{
	return m->budget_used > 0 && m->budget_used >= m->o.budget * m->o.delay;
}

/* @secs from now on CLOCK_REALTIME, as pthread's timed waits want it. */
static struct timespec deadline(double secs)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)secs;
	ts.tv_nsec += (long)((secs - floor(secs)) * 1e9);
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

/* Wait on the model's condition at most @secs (a broadcast ends it sooner). */
static void wait_locked(struct vt_model *m, double secs)
{
	struct timespec ts = deadline(secs > 0 ? secs : 0);

	pthread_cond_timedwait(&m->cond, &m->lock, &ts);
}

static void *worker_main(void *arg)
{
	struct vt_model *m = arg;

	pthread_mutex_lock(&m->lock);
	while (!m->stop) {
		/* what a person looks at first: the page, the detail, its map, the rows */
		if (page_step_locked(m) || detail_step_locked(m) || pmap_step_locked(m))
			continue;
		if (!over_budget_locked(m) && rollup_step_locked(m))
			continue;
		if (m->dirty) {
			m->dirty = false;
			bump(m);
		}
		/* the detail and the map age: look again within a quarter delay */
		wait_locked(m, m->o.delay / 4);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

static void *ticker_main(void *arg)
{
	struct vt_model *m = arg;
	double next = now(m);

	for (;;) {
		bool run;

		pthread_mutex_lock(&m->lock);
		while (!m->stop && (m->paused || m->done || now(m) < next)) {
			wait_locked(m, m->paused || m->done ? 1.0 : next - now(m));
			if (m->paused || m->done)
				next = now(m);
		}
		run = !m->stop;
		pthread_mutex_unlock(&m->lock);
		if (!run)
			break;
		if (vt_model_tick(m) < 0) {
			/* the next frame may read again: a snapshot that failed ends the series */
			if (m->o.nroots) {
				pthread_mutex_lock(&m->lock);
				m->ended = m->done = true;
				bump(m);
				pthread_mutex_unlock(&m->lock);
			}
		}
		next += m->o.delay;
		if (next < now(m))
			next = now(m) + m->o.delay;
	}
	return NULL;
}

int vt_model_start(struct vt_model *m)
{
	int ret;

	ret = pthread_create(&m->worker, NULL, worker_main, m);
	if (ret)
		return -ret;
	ret = pthread_create(&m->ticker, NULL, ticker_main, m);
	if (ret) {
		pthread_mutex_lock(&m->lock);
		m->stop = true;
		pthread_cond_broadcast(&m->cond);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->worker, NULL);
		return -ret;
	}
	m->threads = true;
	return 0;
}

/* Join @t within 200 ms; false when it is still busy (then it is detached). */
static bool join_briefly(pthread_t t)
{
	struct timespec ts = deadline(0.2);

	if (pthread_timedjoin_np(t, NULL, &ts) == 0)
		return true;
	pthread_detach(t);
	return false;
}

void vt_model_stop(struct vt_model *m)
{
	if (!m->threads)
		return;
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	/*
	 * A thread blocked in a read of a process that holds its mmap_lock (the
	 * worker in smaps_rollup, the ticker in a new process's cmdline) would
	 * hold up the exit: each gets a moment, then is left to exit() to end.
	 */
	m->detached = !join_briefly(m->ticker);
	m->detached |= !join_briefly(m->worker);
	m->threads = false;
}

void vt_model_pause(struct vt_model *m, bool paused)
{
	pthread_mutex_lock(&m->lock);
	m->paused = paused;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

unsigned long vt_model_generation(struct vt_model *m)
{
	unsigned long g;

	pthread_mutex_lock(&m->lock);
	g = m->gen;
	pthread_mutex_unlock(&m->lock);
	return g;
}

int vt_model_wakeup_fd(struct vt_model *m)
{
	return m->efd;
}

bool vt_model_done(struct vt_model *m)
{
	bool d;

	pthread_mutex_lock(&m->lock);
	d = m->done;
	pthread_mutex_unlock(&m->lock);
	return d;
}

void vt_model_set_limit(struct vt_model *m, unsigned long n)
{
	pthread_mutex_lock(&m->lock);
	m->limit = n;
	pthread_mutex_unlock(&m->lock);
}

size_t vt_model_missing(struct vt_model *m)
{
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = m->nmissing;
	pthread_mutex_unlock(&m->lock);
	return n;
}

int vt_model_missing_at(struct vt_model *m, size_t i, pid_t *pid, int *err)
{
	int ret = -ERANGE;

	pthread_mutex_lock(&m->lock);
	if (i < m->nmissing) {
		*pid = m->missing_pid[i];
		*err = m->missing_err[i];
		ret = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

void vt_model_sys(struct vt_model *m, struct vt_sys *out)
{
	pthread_mutex_lock(&m->lock);
	*out = m->sys;
	pthread_mutex_unlock(&m->lock);
}

/* ---- the rows, as the screen asks for them ---- */

struct arena {
	char *buf;
	size_t len, cap;
};

static size_t arena_add(struct arena *a, const char *s)
{
	size_t n = strlen(s) + 1, at = a->len;

	if (a->len + n > a->cap) {
		size_t cap = a->cap ? a->cap : 4096;
		char *b;

		while (a->len + n > cap)
			cap *= 2;
		b = realloc(a->buf, cap);
		if (!b)
			cx_oom();
		a->buf = b;
		a->cap = cap;
	}
	memcpy(a->buf + at, s, n);
	a->len += n;
	return at;
}

static bool row_matches(const struct pstate *p, const struct vt_query *q)
{
	if (q->npids) {
		bool in = false;

		for (size_t i = 0; i < q->npids && !in; i++)
			in = q->pids[i] == p->pid;
		if (!in)
			return false;
	}
	if (q->have_uid && p->uid != q->uid)
		return false;
	if (q->user && strcmp(p->user, q->user))
		return false;
	if (p->kthread && !q->kthreads && !q->npids)
		return false;
	if (q->filter && *q->filter) {
		if (strcasestr(p->comm, q->filter))
			return true;
		if (p->cmdline && strcasestr(p->cmdline, q->filter))
			return true;
		return false;
	}
	return true;
}

/* The value a numeric column sorts by; false when the row has none (sorted last). */
static bool sort_value(const struct vt_row *r, enum vt_col c, double *v)
{
	switch (c) {
	case VT_COL_PID:
		*v = r->pid;
		return true;
	case VT_COL_PPID:
		*v = r->ppid;
		return true;
	case VT_COL_VSZ:
		*v = (double)r->vsz;
		return true;
	case VT_COL_RSS:
		*v = (double)r->rss;
		return true;
	case VT_COL_PSS:
		*v = (double)r->pss;
		return r->mem == VT_MEM_OK;
	case VT_COL_USS:
		*v = (double)r->uss;
		return r->mem == VT_MEM_OK;
	case VT_COL_SWAP:
		*v = (double)r->swap;
		return r->mem == VT_MEM_OK;
	case VT_COL_MINFLT:
		*v = r->minflt_rate;
		return r->have_rate;
	case VT_COL_MAJFLT:
		*v = r->majflt_rate;
		return r->have_rate;
	case VT_COL_MINFLT_TOTAL:
		*v = (double)r->minflt;
		return true;
	case VT_COL_MAJFLT_TOTAL:
		*v = (double)r->majflt;
		return true;
	default:
		return false;
	}
}

static const char *command_of(const struct vt_row *r)
{
	return *r->cmdline ? r->cmdline : r->comm;
}

static const struct vt_query *cmp_q;

/* Numbers largest first, text A-Z (PID and PPID smallest first); --reverse flips;
 * rows without the figure last either way; ties by PID. */
static int row_cmp(const void *a, const void *b)
{
	const struct vt_row *x = *(const struct vt_row *const *)a;
	const struct vt_row *y = *(const struct vt_row *const *)b;
	enum vt_col c = cmp_q->sort;
	int d = 0;

	if (vt_cols[c].numeric) {
		double vx, vy;
		bool hx = sort_value(x, c, &vx), hy = sort_value(y, c, &vy);

		if (hx != hy)
			return hx ? -1 : 1;
		if (hx && vx != vy)
			d = vx > vy ? -1 : 1;
		if (c == VT_COL_PID || c == VT_COL_PPID)
			d = -d;
	} else if (c == VT_COL_USER) {
		d = strcmp(x->user, y->user);
	} else if (c == VT_COL_STATE) {
		d = (x->state > y->state) - (x->state < y->state);
	} else {
		d = strcmp(command_of(x), command_of(y));
	}
	if (cmp_q->reverse)
		d = -d;
	if (d)
		return d;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static void sort_rows(struct vt_row **v, size_t n, const struct vt_query *q)
{
	/* qsort has no context argument in C17: the query is set for the call, under
	 * a lock of its own since two threads may sort at once */
	static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

	pthread_mutex_lock(&sort_lock);
	cmp_q = q;
	qsort(v, n, sizeof(*v), row_cmp);
	pthread_mutex_unlock(&sort_lock);
}

/* Depth-first: @v[i]'s children after it, each level sorted. */
static void tree_walk(struct vt_row **sorted, size_t n, const size_t *first_child,
		      const size_t *next_sibling, size_t i, int depth, uint64_t more,
		      struct vt_row *out, size_t *k)
{
	for (; i != SIZE_MAX; i = next_sibling[i]) {
		struct vt_row *r = &out[(*k)++];
		bool last = next_sibling[i] == SIZE_MAX;

		*r = *sorted[i];
		r->depth = depth;
		r->last_child = last;
		r->more_below = more;
		if (first_child[i] != SIZE_MAX)
			tree_walk(sorted, n, first_child, next_sibling, first_child[i],
				  depth < 63 ? depth + 1 : 63,
				  depth < 63 && !last ? more | (UINT64_C(1) << depth) : more, out,
				  k);
	}
}

/* The index of @pid in @rows (in PID order, as the model keeps them), or SIZE_MAX. */
static size_t row_index(const struct vt_row *rows, size_t n, pid_t pid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rows[mid].pid == pid)
			return mid;
		if (rows[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

int vt_model_rows(struct vt_model *m, const struct vt_query *q, struct vt_rows *out)
{
	struct arena a = { 0 };
	struct vt_row *rows, **sorted;
	size_t n = 0, *uoff, *coff, *moff;
	double t;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&m->lock);
	t = now(m);
	rows = calloc(m->nprocs ? m->nprocs : 1, sizeof(*rows));
	uoff = calloc(m->nprocs ? m->nprocs : 1, 3 * sizeof(*uoff));
	if (!rows || !uoff) {
		pthread_mutex_unlock(&m->lock);
		free(rows);
		free(uoff);
		return -ENOMEM;
	}
	coff = uoff + m->nprocs;
	moff = coff + m->nprocs;
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct pstate *p = m->procs[i];
		struct vt_row *r = &rows[n];

		if (!row_matches(p, q))
			continue;
		r->pid = p->pid;
		r->ppid = p->ppid;
		r->uid = p->uid;
		r->state = p->state;
		r->kthread = p->kthread;
		r->start_time = p->start_time;
		r->vsz = p->vsz;
		r->rss = p->rss;
		r->minflt = p->minflt;
		r->majflt = p->majflt;
		r->have_rate = p->have_rate;
		r->minflt_rate = p->minflt_rate;
		r->majflt_rate = p->majflt_rate;
		r->hot = p->hot;
		r->mem = p->kthread && p->mem == VT_MEM_PENDING ? -ESRCH : p->mem;
		r->pss = p->pss;
		r->uss = p->uss;
		r->swap = p->swap;
		r->swap_pss = p->swap_pss;
		r->mem_age = p->mem == VT_MEM_PENDING ? INFINITY : t - p->mem_time;
		uoff[n] = arena_add(&a, p->user);
		coff[n] = arena_add(&a, p->comm);
		moff[n] = arena_add(&a, p->cmdline ? p->cmdline : "");
		n++;
	}
	pthread_mutex_unlock(&m->lock);
	for (size_t i = 0; i < n; i++) {
		rows[i].user = a.buf + uoff[i];
		rows[i].comm = a.buf + coff[i];
		rows[i].cmdline = a.buf + moff[i];
	}
	free(uoff);

	sorted = calloc(n ? n : 1, sizeof(*sorted));
	if (!sorted) {
		free(rows);
		free(a.buf);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = &rows[i];
	sort_rows(sorted, n, q);
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	if (!out->v) {
		free(sorted);
		free(rows);
		free(a.buf);
		return -ENOMEM;
	}
	if (q->tree) {
		/* a parent not listed makes its children roots; siblings keep the sort order */
		size_t *fc = calloc(4 * (n ? n : 1), sizeof(*fc)), *ns, *tail, *pos, k = 0;
		size_t root = SIZE_MAX, root_tail = SIZE_MAX;

		if (!fc)
			cx_oom();
		ns = fc + n;
		tail = ns + n;
		pos = tail + n; /* pos[index in rows] = index in sorted */
		for (size_t i = 0; i < n; i++) {
			fc[i] = ns[i] = tail[i] = SIZE_MAX;
			pos[(size_t)(sorted[i] - rows)] = i;
		}
		for (size_t i = 0; i < n; i++) {
			size_t par = SIZE_MAX;

			/* the parent's position in sorted order: rows[] is in PID order */
			if (sorted[i]->ppid > 0 && sorted[i]->ppid != sorted[i]->pid) {
				size_t ri = row_index(rows, n, sorted[i]->ppid);

				if (ri != SIZE_MAX)
					par = pos[ri];
			}
			if (par == SIZE_MAX) {
				if (root == SIZE_MAX)
					root = i;
				else
					ns[root_tail] = i;
				root_tail = i;
			} else {
				if (fc[par] == SIZE_MAX)
					fc[par] = i;
				else
					ns[tail[par]] = i;
				tail[par] = i;
			}
		}
		if (root != SIZE_MAX)
			tree_walk(sorted, n, fc, ns, root, 0, 0, out->v, &k);
		/* a cycle of parents (cannot be in /proc, can in a snapshot): the rest flat */
		if (k < n) {
			bool *seen = calloc(n, sizeof(*seen));

			if (!seen)
				cx_oom();
			for (size_t i = 0; i < k; i++)
				seen[pos[row_index(rows, n, out->v[i].pid)]] = true;
			for (size_t j = 0; j < n && k < n; j++)
				if (!seen[j])
					out->v[k++] = *sorted[j];
			free(seen);
		}
		free(fc);
	} else {
		for (size_t i = 0; i < n; i++)
			out->v[i] = *sorted[i];
	}
	out->n = n;
	out->mem = a.buf;
	free(sorted);
	free(rows);
	return 0;
}

void vt_rows_free(struct vt_rows *r)
{
	free(r->v);
	free(r->mem);
	memset(r, 0, sizeof(*r));
}

/* ---- life ---- */

struct vt_model *vt_model_new(const struct vt_model_opts *o)
{
	struct vt_model *m = calloc(1, sizeof(*m));
	int ret;

	if (!m)
		cx_oom();
	m->o = *o;
	if (m->o.budget <= 0)
		m->o.budget = 0.10;
	if (m->o.delay <= 0)
		m->o.delay = 1.0;
	m->t0 = cx_mono_now();
	m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	if (m->o.nroots) {
		int err;

		m->ctx = next_ctx(m, &err);
		if (!m->ctx)
			goto fail;
		m->pending_first = true;
	} else {
		m->ctx = cx_ctx_open(NULL, 0);
		if (!m->ctx)
			goto fail;
	}
	ret = vms_sampler_new(m->ctx, 0, &m->sampler);
	if (ret == 0 && m->o.npids)
		ret = vms_sampler_watch(m->sampler, m->o.pids, m->o.npids);
	if (ret < 0) {
		cx_warn("cannot sample the process table: %s", strerror(-ret));
		goto fail;
	}
	return m;
fail:
	vt_model_free(m);
	return NULL;
}

void vt_model_free(struct vt_model *m)
{
	if (!m)
		return;
	vt_model_stop(m);
	if (m->detached)
		return; /* the worker may still be in a read: leave it its data */
	for (size_t i = 0; i < m->nprocs; i++)
		pstate_free(m->procs[i]);
	free(m->procs);
	if (m->sampler)
		vms_sampler_free(m->sampler);
	vms_ctx_unref(m->ctx);
	for (size_t i = 0; i < m->nphrases; i++)
		free(m->phrases[i]);
	free(m->phrases);
	free(m->missing_pid);
	free(m->missing_err);
	detail_unref(m->detail);
	vt_pmap_free(m->pmap);
	if (m->efd >= 0)
		close(m->efd);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m);
}
