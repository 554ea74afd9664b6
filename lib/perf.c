// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvmscope: page-fault sampling and data-TLB counting of a process through perf_event_open. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "private.h"

/* Data pages of one CPU's ring: 512 KiB, 16384 fault samples of 32 bytes. */
#define RING_PAGES_MAX 128
/* ... halved while the locked-memory budget refuses it, down to this. */
#define RING_PAGES_MIN 4
/* Passes over proc/PID/task before a process that keeps making threads is left to inherit. */
#define RELIST_MAX 64

#define PARANOID_FILE "proc/sys/kernel/perf_event_paranoid"

/* Sample layout of PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_ADDR. */
#define SAMPLE_SIZE 32
/* The sample_id trailer of other records (sample_id_all): TID, then IDENTIFIER. */
#define TRAILER_SIZE 16
/* Offsets in a PERF_RECORD_MMAP2 record. */
#define MMAP2_PROT 64
#define MMAP2_FILENAME 72

enum refusal_cause {
	CAUSE_NONE,
	CAUSE_PARANOID, /* kernel.perf_event_paranoid (value read) */
	CAUSE_PTRACE, /* another user's process */
	CAUSE_MLOCK, /* the ring buffers exceed the locked-memory budget */
	CAUSE_POLICY, /* EPERM: seccomp, an LSM, lockdown */
};

/*
 * Why the last open on this thread was refused: vms_perf_refusal() is asked
 * after the fact, with only the context and the errno, and some causes (the
 * locked-memory limit, whose process it was) are only known at the open.
 */
static _Thread_local struct {
	const struct vms_ctx *ctx;
	int err;
	enum refusal_cause cause;
} last_refusal;

/* ---- a small tid -> u32 table (open addressing; tid 0 marks a free slot) ---- */

struct tidmap {
	uint32_t *keys, *vals;
	size_t cap, n;
};

static size_t tidmap_slot(const struct tidmap *m, uint32_t key)
{
	size_t i = (key * 2654435761u) & (m->cap - 1);

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static bool tidmap_get(const struct tidmap *m, uint32_t key, uint32_t *val)
{
	size_t i;

	if (!m->cap)
		return false;
	i = tidmap_slot(m, key);
	if (!m->keys[i])
		return false;
	if (val)
		*val = m->vals[i];
	return true;
}

static int tidmap_put(struct tidmap *m, uint32_t key, uint32_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct tidmap g = { .cap = m->cap ? m->cap * 2 : 64 };

		g.keys = calloc(g.cap, sizeof(*g.keys));
		g.vals = calloc(g.cap, sizeof(*g.vals));
		if (!g.keys || !g.vals) {
			free(g.keys);
			free(g.vals);
			return -ENOMEM;
		}
		for (size_t j = 0; j < m->cap; j++) {
			if (!m->keys[j])
				continue;
			i = tidmap_slot(&g, m->keys[j]);
			g.keys[i] = m->keys[j];
			g.vals[i] = m->vals[j];
		}
		g.n = m->n;
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	i = tidmap_slot(m, key);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
	return 0;
}

static void tidmap_free(struct tidmap *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct tidmap){ 0 };
}

/* ---- system settings and the open loop shared by faults and TLB counters ---- */

static int read_int_file(struct vms_ctx *ctx, const char *rel, int *out)
{
	char *buf, *end;
	ssize_t n;
	long v;

	n = vms_read_small(ctx->rootfd, rel, 64, &buf);
	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || errno || v < INT_MIN || v > INT_MAX) {
		free(buf);
		return -EBADMSG;
	}
	free(buf);
	*out = (int)v;
	return 0;
}

static int perf_open(struct perf_event_attr *attr, pid_t tid, int cpu, int group)
{
	long fd = syscall(SYS_perf_event_open, attr, tid, cpu, group, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : (int)fd;
}

/* The CPUs of a list like "0-3,6\n"; the count, 0 when it is not one, or -ENOMEM. */
static ssize_t parse_cpu_list(const char *p, int **out)
{
	int *cpus = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	while (*p && *p != '\n') {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p || a < 0)
			goto bad;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a || b > 1 << 20)
				goto bad;
			p = end;
		}
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			goto bad;
		for (long c = a; c <= b; c++) {
			if (n == cap) {
				int *nc;

				cap = cap ? cap * 2 : 16;
				nc = realloc(cpus, cap * sizeof(*cpus));
				if (!nc) {
					free(cpus);
					return -ENOMEM;
				}
				cpus = nc;
			}
			cpus[n++] = (int)c;
		}
	}
	*out = cpus;
	return (ssize_t)n;
bad:
	free(cpus);
	*out = NULL;
	return 0;
}

/* The online CPUs of the root's sys/devices/system/cpu/online, else sysconf's count. */
static int online_cpus(struct vms_ctx *ctx, int **out, size_t *n_out)
{
	char *buf;
	ssize_t n = vms_read_small(ctx->rootfd, "sys/devices/system/cpu/online", 4096, &buf);
	long nr;

	if (n >= 0) {
		n = parse_cpu_list(buf, out);
		free(buf);
		if (n < 0)
			return (int)n;
		if (n > 0) {
			*n_out = (size_t)n;
			return 0;
		}
		free(*out);
	}
	nr = sysconf(_SC_NPROCESSORS_ONLN);
	if (nr < 1)
		nr = 1;
	*out = calloc((size_t)nr, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (long c = 0; c < nr; c++)
		(*out)[c] = (int)c;
	*n_out = (size_t)nr;
	return 0;
}

/*
 * Opens the events of every thread of a process, once each: a thread made
 * after its maker's events exist inherits them; one made before is found by
 * listing proc/PID/task again until a pass finds nothing new.
 */
struct opener {
	struct vms_ctx *ctx;
	pid_t pid;
	unsigned int flags;
	int procdir; /* proc/PID, held to tell a vanished process */
	uint32_t n_threads; /* threads opened; also the owner index of the next */
	/* 0, -ESRCH when the thread is gone (skipped), or an error that ends the open */
	int (*open_thread)(void *self, pid_t tid, uint32_t owner);
	void *self;
};

static int open_pass(struct opener *o, struct tidmap *done, bool *found)
{
	DIR *d;
	struct dirent *de;
	int fd, ret = 0;

	fd = openat(o->procdir, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vms_proc_errno(o->ctx, -errno);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	*found = false;
	while ((de = readdir(d))) {
		char *end;
		unsigned long tid = strtoul(de->d_name, &end, 10);

		if (*end || !tid || tid > INT_MAX || tidmap_get(done, (uint32_t)tid, NULL))
			continue;
		*found = true;
		ret = tidmap_put(done, (uint32_t)tid, 0);
		if (ret < 0)
			break;
		ret = o->open_thread(o->self, (pid_t)tid, o->n_threads);
		if (ret == -ESRCH) {
			ret = 0;
			continue;
		}
		if (ret < 0)
			break;
		o->n_threads++;
	}
	closedir(d);
	return ret;
}

static int open_threads(struct opener *o)
{
	struct tidmap done = { 0 };
	char name[16];
	int ret = 0;

	if (!o->ctx->live)
		return -EINVAL;
	if (o->ctx->procfd < 0)
		return o->ctx->procfd_err;
	snprintf(name, sizeof(name), "%d", (int)o->pid);
	o->procdir = openat(o->ctx->procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->procdir < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if (o->flags & VMS_FR_ONE_TASK) {
		ret = o->open_thread(o->self, o->pid, 0);
		if (ret == 0)
			o->n_threads = 1;
	} else {
		bool found = true;

		for (int pass = 0; ret == 0 && found && pass < RELIST_MAX; pass++)
			ret = open_pass(o, &done, &found);
		if (ret == 0 && !o->n_threads)
			ret = -ESRCH;
	}
	tidmap_free(&done);
	/* Through the held directory: was it still the same process at the end? */
	if (ret == 0 && faccessat(o->procdir, "stat", F_OK, 0) < 0)
		ret = -ESRCH;
	return ret;
}

static void note_refusal(struct opener *o, int err)
{
	struct stat st;
	int paranoid;
	bool have = read_int_file(o->ctx, PARANOID_FILE, &paranoid) == 0;

	last_refusal.ctx = o->ctx;
	last_refusal.err = err;
	if (err == -EPERM && last_refusal.cause == CAUSE_MLOCK)
		return;
	if (have && paranoid >= 3)
		last_refusal.cause = CAUSE_PARANOID;
	else if (err == -EPERM)
		last_refusal.cause = CAUSE_POLICY;
	else if (fstat(o->procdir, &st) == 0 && st.st_uid != geteuid())
		last_refusal.cause = CAUSE_PTRACE;
	else if (!have)
		last_refusal.cause = CAUSE_PARANOID;
	else
		last_refusal.cause = CAUSE_PTRACE;
}

static void begin_open(struct opener *o)
{
	last_refusal.ctx = NULL;
	last_refusal.err = 0;
	last_refusal.cause = CAUSE_NONE;
	o->procdir = -1;
	o->n_threads = 0;
}

static void end_open(struct opener *o, int ret)
{
	if (ret == -EACCES || ret == -EPERM)
		note_refusal(o, ret);
	if (o->procdir >= 0)
		close(o->procdir);
}

/* ---- page-fault events ---- */

struct fr_ring {
	int fd; /* the event whose buffer it is; -1 until the CPU's first event */
	struct perf_event_mmap_page *meta;
	size_t map_len;
	unsigned char *data;
	uint64_t size;
};

struct vms_faultrec {
	int *fds; /* every event */
	size_t n_fds, cap_fds;
	int *cpus;
	struct fr_ring *rings; /* one per entry of cpus */
	int *poll_fds;
	size_t n_rings;
	size_t ring_pages; /* data pages that the budget allowed last */
	struct vms_perf_id *ids; /* sorted by id once open */
	size_t n_ids, cap_ids;
	/* tid -> owner+1 of the events whose samples are kept for it */
	struct tidmap owner_of;
	uint64_t lost;
	bool user_only;
	int paranoid; /* INT_MIN: unreadable */
	unsigned char *scratch; /* a record that wraps the end of its ring, made whole */
	size_t scratch_cap;
};

static int fr_add_fd(struct vms_faultrec *r, int fd)
{
	if (r->n_fds == r->cap_fds) {
		size_t cap = r->cap_fds ? r->cap_fds * 2 : 64;
		int *n = realloc(r->fds, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->fds = n;
		r->cap_fds = cap;
	}
	r->fds[r->n_fds++] = fd;
	return 0;
}

static int fr_add_id(struct vms_faultrec *r, uint64_t id, uint32_t owner, bool major)
{
	if (r->n_ids == r->cap_ids) {
		size_t cap = r->cap_ids ? r->cap_ids * 2 : 64;
		struct vms_perf_id *n = realloc(r->ids, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->ids = n;
		r->cap_ids = cap;
	}
	r->ids[r->n_ids++] = (struct vms_perf_id){ .id = id, .owner = owner, .major = major };
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = ((const struct vms_perf_id *)a)->id, y = ((const struct vms_perf_id *)b)->id;

	return x < y ? -1 : x > y;
}

static const struct vms_perf_id *fr_find_id(const struct vms_faultrec *r, uint64_t id)
{
	size_t lo = 0, hi = r->n_ids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->ids[mid].id == id)
			return &r->ids[mid];
		if (r->ids[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Give the first CPU event its ring, halving it while the locked-memory budget refuses. */
static int fr_map_ring(struct vms_faultrec *r, struct fr_ring *ring, int fd, size_t page_size)
{
	for (;;) {
		size_t len = (r->ring_pages + 1) * page_size;
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (p != MAP_FAILED) {
			ring->fd = fd;
			ring->meta = p;
			ring->map_len = len;
			/* data_offset/data_size exist since Linux 4.1; before, data follows one page */
			if (ring->meta->data_size) {
				ring->data = (unsigned char *)p + ring->meta->data_offset;
				ring->size = ring->meta->data_size;
			} else {
				ring->data = (unsigned char *)p + page_size;
				ring->size = r->ring_pages * page_size;
			}
			return 0;
		}
		if ((errno != EPERM && errno != ENOMEM) || r->ring_pages <= RING_PAGES_MIN) {
			int err = -errno;

			if (err == -EPERM)
				last_refusal.cause = CAUSE_MLOCK;
			return err;
		}
		r->ring_pages /= 2;
	}
}

struct fr_open {
	struct opener o;
	struct vms_faultrec *r;
	size_t page_size;
};

static int fr_open_event(struct fr_open *fo, pid_t tid, size_t ci, bool major, uint32_t owner)
{
	struct vms_faultrec *r = fo->r;
	struct fr_ring *ring = &r->rings[ci];
	struct perf_event_attr a;
	uint64_t id;
	int fd, ret;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof(a);
	a.config = major ? PERF_COUNT_SW_PAGE_FAULTS_MAJ : PERF_COUNT_SW_PAGE_FAULTS_MIN;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_ADDR;
	a.disabled = 1;
	a.inherit = 1;
	a.exclude_hv = 1;
	a.exclude_kernel = r->user_only;
	a.enable_on_exec = !!(fo->o.flags & VMS_FR_ENABLE_ON_EXEC);
	a.sample_id_all = 1;
	/*
	 * Each thread has its own event context, and a mapping is reported to
	 * the events of the thread that made it: track mappings on the minor
	 * event of every thread and CPU, so that each is reported once.
	 */
	a.mmap = a.mmap2 = a.mmap_data = !major;

	fd = perf_open(&a, tid, r->cpus[ci], -1);
	if (fd == -EACCES && !r->n_fds && !r->user_only &&
	    (r->paranoid == INT_MIN || r->paranoid >= 2)) {
		/* only user-space sampling allowed: take what may be had */
		r->user_only = true;
		a.exclude_kernel = 1;
		fd = perf_open(&a, tid, r->cpus[ci], -1);
	}
	if (fd < 0)
		return fd;
	ret = fr_add_fd(r, fd);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	if (ioctl(fd, PERF_EVENT_IOC_ID, &id) < 0)
		return -errno;
	ret = fr_add_id(r, id, owner, major);
	if (ret < 0)
		return ret;
	if (ring->fd < 0)
		return fr_map_ring(r, ring, fd, fo->page_size);
	if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, ring->fd) < 0)
		return -errno;
	return 0;
}

static int fr_open_thread(void *self, pid_t tid, uint32_t owner)
{
	struct fr_open *fo = self;
	size_t first_fd = fo->r->n_fds, first_id = fo->r->n_ids;
	int ret = 0;

	for (size_t ci = 0; ret == 0 && ci < fo->r->n_rings; ci++) {
		ret = fr_open_event(fo, tid, ci, false, owner);
		if (ret == 0)
			ret = fr_open_event(fo, tid, ci, true, owner);
	}
	if (ret == -ESRCH) {
		/*
		 * The thread ended while being opened: drop what it got, unless a
		 * ring lives in one of its events (the other threads use it).
		 */
		for (size_t i = first_fd; i < fo->r->n_fds; i++)
			for (size_t ci = 0; ci < fo->r->n_rings; ci++)
				if (fo->r->rings[ci].fd == fo->r->fds[i])
					return 0;
		while (fo->r->n_fds > first_fd)
			close(fo->r->fds[--fo->r->n_fds]);
		fo->r->n_ids = first_id;
	}
	return ret;
}

VMS_EXPORT int vms_faultrec_open(struct vms_ctx *ctx, pid_t pid, unsigned int flags,
				 struct vms_faultrec **out)
{
	struct fr_open fo = { 0 };
	struct vms_faultrec *r;
	int ret;

	if (!ctx || pid <= 0 || !out || (flags & ~(VMS_FR_ENABLE_ON_EXEC | VMS_FR_ONE_TASK)))
		return -EINVAL;
	if (!ctx->live)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ring_pages = RING_PAGES_MAX;
	if (read_int_file(ctx, PARANOID_FILE, &r->paranoid) < 0)
		r->paranoid = INT_MIN;
	ret = online_cpus(ctx, &r->cpus, &r->n_rings);
	if (ret < 0)
		goto fail_nocpus;
	r->rings = calloc(r->n_rings, sizeof(*r->rings));
	r->poll_fds = calloc(r->n_rings, sizeof(*r->poll_fds));
	if (!r->rings || !r->poll_fds) {
		ret = -ENOMEM;
		goto fail_nocpus;
	}
	for (size_t i = 0; i < r->n_rings; i++)
		r->rings[i].fd = -1;

	fo.r = r;
	fo.page_size = (size_t)sysconf(_SC_PAGESIZE);
	fo.o.ctx = ctx;
	fo.o.pid = pid;
	fo.o.flags = flags;
	fo.o.open_thread = fr_open_thread;
	fo.o.self = &fo;
	begin_open(&fo.o);
	ret = open_threads(&fo.o);
	end_open(&fo.o, ret);
	if (ret < 0)
		goto fail;
	for (size_t i = 0; i < r->n_rings; i++) {
		if (r->rings[i].fd < 0) {
			ret = -ESRCH;
			goto fail;
		}
		r->poll_fds[i] = r->rings[i].fd;
	}
	qsort(r->ids, r->n_ids, sizeof(*r->ids), cmp_id);
	if (!(flags & VMS_FR_ENABLE_ON_EXEC)) {
		for (size_t i = 0; i < r->n_fds; i++) {
			if (ioctl(r->fds[i], PERF_EVENT_IOC_ENABLE, 0) < 0) {
				ret = -errno;
				goto fail;
			}
		}
	}
	*out = r;
	return 0;
fail:
	vms_faultrec_close(r);
	return ret;
fail_nocpus:
	free(r->cpus);
	free(r->rings);
	free(r->poll_fds);
	free(r);
	return ret;
}

VMS_EXPORT size_t vms_faultrec_fds(const struct vms_faultrec *r, const int **fds)
{
	*fds = r->poll_fds;
	return r->poll_fds ? r->n_rings : 0;
}

static void ring_copy(const unsigned char *data, uint64_t size, uint64_t off, void *dst, size_t len)
{
	size_t first = (size_t)(size - off) < len ? (size_t)(size - off) : len;

	memcpy(dst, data + off, first);
	memcpy((unsigned char *)dst + first, data, len - first);
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Whether a record of thread @tid from events of @owner is the one to keep.
 * A thread may be covered twice: made while its maker's events were being
 * opened, it inherited them and was then opened as well.  Every covering
 * event sees each fault; keep the first seen owner's for the thread.
 */
static bool keep_owner(struct vms_faultrec *r, uint32_t tid, uint32_t owner)
{
	uint32_t seen;

	if (tidmap_get(&r->owner_of, tid, &seen))
		return seen == owner + 1;
	/* without memory for the table, keeping is better than losing */
	(void)tidmap_put(&r->owner_of, tid, owner + 1);
	return true;
}

static void parse_record(struct vms_faultrec *r, const unsigned char *rec, uint32_t type,
			 size_t size,
			 void (*on_sample)(void *data, const struct vms_fault_sample *s),
			 void (*on_mmap)(void *data, const struct vms_fault_mmap *m), void *cbdata)
{
	const struct vms_perf_id *id;

	switch (type) {
	case PERF_RECORD_SAMPLE: {
		struct vms_fault_sample s;

		if (size < SAMPLE_SIZE)
			return;
		id = fr_find_id(r, get_u64(rec + 8));
		if (!id)
			return;
		s.pid = (pid_t)get_u32(rec + 16);
		s.tid = (pid_t)get_u32(rec + 20);
		s.addr = get_u64(rec + 24);
		s.major = id->major;
		if (keep_owner(r, (uint32_t)s.tid, id->owner) && on_sample)
			on_sample(cbdata, &s);
		return;
	}
	case PERF_RECORD_LOST:
		if (size >= 24)
			r->lost += get_u64(rec + 16);
		return;
	case PERF_RECORD_MMAP2: {
		struct vms_fault_mmap m;
		const unsigned char *name = rec + MMAP2_FILENAME;
		size_t name_max;

		if (size < MMAP2_FILENAME + TRAILER_SIZE)
			return;
		name_max = size - MMAP2_FILENAME - TRAILER_SIZE;
		if (!memchr(name, '\0', name_max))
			return;
		m.pid = (pid_t)get_u32(rec + 8);
		m.tid = (pid_t)get_u32(rec + 12);
		m.start = get_u64(rec + 16);
		m.len = get_u64(rec + 24);
		m.pgoff = get_u64(rec + 32);
		m.prot = get_u32(rec + MMAP2_PROT);
		m.flags = get_u32(rec + MMAP2_PROT + 4);
		m.filename = (const char *)name;
		id = fr_find_id(r, get_u64(rec + size - 8));
		if (id && !keep_owner(r, (uint32_t)m.tid, id->owner))
			return;
		if (on_mmap)
			on_mmap(cbdata, &m);
		return;
	}
	default:
		return;
	}
}

int vms_perf_ring_read(struct vms_faultrec *r, const unsigned char *data, uint64_t size,
		       uint64_t *tail, uint64_t head,
		       void (*on_sample)(void *data, const struct vms_fault_sample *s),
		       void (*on_mmap)(void *data, const struct vms_fault_mmap *m), void *cbdata)
{
	int n = 0;

	if (!size || (size & (size - 1)))
		return -EINVAL;
	while (head - *tail > 0) {
		uint64_t avail = head - *tail, off = *tail & (size - 1);
		struct perf_event_header h;
		const unsigned char *rec;

		if (avail < sizeof(h) || avail > size)
			goto bad;
		ring_copy(data, size, off, &h, sizeof(h));
		if (h.size < sizeof(h) || h.size > avail)
			goto bad;
		if (off + h.size <= size) {
			rec = data + off;
		} else {
			if (r->scratch_cap < h.size) {
				unsigned char *s = realloc(r->scratch, h.size);

				if (!s)
					return -ENOMEM;
				r->scratch = s;
				r->scratch_cap = h.size;
			}
			ring_copy(data, size, off, r->scratch, h.size);
			rec = r->scratch;
		}
		parse_record(r, rec, h.type, h.size, on_sample, on_mmap, cbdata);
		*tail += h.size;
		if (n < INT_MAX)
			n++;
	}
	return n;
bad:
	/* a ring we cannot follow: skip what it holds rather than stall on it */
	*tail = head;
	return -EBADMSG;
}

VMS_EXPORT int vms_faultrec_drain(struct vms_faultrec *r,
				  void (*on_sample)(void *data, const struct vms_fault_sample *s),
				  void (*on_mmap)(void *data, const struct vms_fault_mmap *m),
				  void *data)
{
	int total = 0;

	for (size_t i = 0; i < r->n_rings; i++) {
		struct fr_ring *ring = &r->rings[i];
		uint64_t head, tail;
		int ret;

		if (!ring->meta)
			continue;
		/* acquire: the records up to head are written before head is */
		head = __atomic_load_n(&ring->meta->data_head, __ATOMIC_ACQUIRE);
		tail = ring->meta->data_tail;
		ret = vms_perf_ring_read(r, ring->data, ring->size, &tail, head, on_sample, on_mmap,
					 data);
		/* release: done reading the records before the kernel may reuse their room */
		__atomic_store_n(&ring->meta->data_tail, tail, __ATOMIC_RELEASE);
		if (ret < 0)
			return ret;
		total = ret > INT_MAX - total ? INT_MAX : total + ret;
	}
	return total;
}

VMS_EXPORT uint64_t vms_faultrec_lost(const struct vms_faultrec *r)
{
	return r->lost;
}

VMS_EXPORT bool vms_faultrec_user_only(const struct vms_faultrec *r)
{
	return r->user_only;
}

VMS_EXPORT void vms_faultrec_close(struct vms_faultrec *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_rings; i++)
		if (r->rings[i].meta)
			munmap(r->rings[i].meta, r->rings[i].map_len);
	for (size_t i = 0; i < r->n_fds; i++)
		close(r->fds[i]);
	free(r->fds);
	free(r->cpus);
	free(r->rings);
	free(r->poll_fds);
	free(r->ids);
	tidmap_free(&r->owner_of);
	free(r->scratch);
	free(r);
}

int vms_faultrec_new_ids(const struct vms_perf_id *ids, size_t n, struct vms_faultrec **out)
{
	struct vms_faultrec *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (fr_add_id(r, ids[i].id, ids[i].owner, ids[i].major) < 0) {
			vms_faultrec_close(r);
			return -ENOMEM;
		}
	}
	if (r->n_ids) /* no ids: no array, and qsort() must not be given NULL */
		qsort(r->ids, r->n_ids, sizeof(*r->ids), cmp_id);
	*out = r;
	return 0;
}

/* ---- why the kernel refused ---- */

VMS_EXPORT const char *vms_perf_refusal(struct vms_ctx *ctx, int err)
{
	static _Thread_local char buf[256];
	enum refusal_cause cause;
	int paranoid;
	bool have = ctx && read_int_file(ctx, PARANOID_FILE, &paranoid) == 0;

	if (ctx && last_refusal.ctx == ctx && last_refusal.err == err &&
	    last_refusal.cause != CAUSE_NONE)
		cause = last_refusal.cause;
	else if (have && paranoid >= 3)
		cause = CAUSE_PARANOID;
	else if (err == -EPERM)
		cause = CAUSE_POLICY;
	else if (err == -EACCES && have)
		/* at <= 2 our own threads may be sampled in user space: not ours */
		cause = CAUSE_PTRACE;
	else
		cause = CAUSE_PARANOID;

	switch (cause) {
	case CAUSE_PTRACE:
		return "needs the same user, CAP_PERFMON or CAP_SYS_PTRACE";
	case CAUSE_MLOCK:
		return "the ring buffers exceed the locked-memory limit (kernel.perf_event_mlock_kb and RLIMIT_MEMLOCK); needs CAP_IPC_LOCK or a higher limit";
	case CAUSE_POLICY:
		if (!have)
			return "refused by a security policy (seccomp, an LSM or kernel lockdown)";
		snprintf(
			buf, sizeof(buf),
			"refused by a security policy (seccomp, an LSM or kernel lockdown), not by kernel.perf_event_paranoid (%d)",
			paranoid);
		return buf;
	default:
		if (!have)
			return "kernel.perf_event_paranoid cannot be read; needs CAP_PERFMON (or CAP_SYS_ADMIN)";
		snprintf(
			buf, sizeof(buf),
			"kernel.perf_event_paranoid is %d; needs CAP_PERFMON (or CAP_SYS_ADMIN), or kernel.perf_event_paranoid <= %d",
			paranoid, paranoid >= 3 ? 2 : 1);
		return buf;
	}
}

/* ---- data-TLB counters ---- */

struct vms_tlbcount {
	int *fds; /* per thread: the group leader (loads), then the member (misses) */
	size_t n_fds, cap_fds;
};

struct tlb_open {
	struct opener o;
	struct vms_tlbcount *t;
	uint32_t type;
	uint64_t config[2];
};

static int tlb_add_fd(struct vms_tlbcount *t, int fd)
{
	if (t->n_fds == t->cap_fds) {
		size_t cap = t->cap_fds ? t->cap_fds * 2 : 16;
		int *n = realloc(t->fds, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->fds = n;
		t->cap_fds = cap;
	}
	t->fds[t->n_fds++] = fd;
	return 0;
}

static int tlb_open_thread(void *self, pid_t tid, uint32_t owner)
{
	struct tlb_open *to = self;
	struct perf_event_attr a;
	int lead, fd, ret;

	memset(&a, 0, sizeof(a));
	a.type = to->type;
	a.size = sizeof(a);
	a.config = to->config[0];
	a.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
			PERF_FORMAT_TOTAL_TIME_RUNNING;
	a.inherit = 1;
	/*
	 * The program's own accesses are what huge pages are for; the same
	 * figures whatever perf_event_paranoid allows.
	 */
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	if (to->o.flags & VMS_FR_ENABLE_ON_EXEC)
		a.disabled = a.enable_on_exec = 1;
	lead = perf_open(&a, tid, -1, -1);
	if (lead < 0)
		return lead;
	/* both in one group, so that multiplexing counts them over the same time */
	a.config = to->config[1];
	a.disabled = a.enable_on_exec = 0;
	fd = perf_open(&a, tid, -1, lead);
	if (fd < 0) {
		close(lead);
		return fd;
	}
	ret = tlb_add_fd(to->t, lead);
	if (ret == 0)
		ret = tlb_add_fd(to->t, fd);
	if (ret < 0) {
		if (to->t->n_fds % 2)
			to->t->n_fds--;
		close(lead);
		close(fd);
	}
	return ret;
}

int vms_tlb_open_events(struct vms_ctx *ctx, pid_t pid, unsigned int flags, uint32_t type,
			uint64_t config_loads, uint64_t config_misses, struct vms_tlbcount **out)
{
	struct tlb_open to = { 0 };
	int ret;

	if (!ctx || pid <= 0 || !out || (flags & ~(VMS_FR_ENABLE_ON_EXEC | VMS_FR_ONE_TASK)))
		return -EINVAL;
	to.t = calloc(1, sizeof(*to.t));
	if (!to.t)
		return -ENOMEM;
	to.type = type;
	to.config[0] = config_loads;
	to.config[1] = config_misses;
	to.o.ctx = ctx;
	to.o.pid = pid;
	to.o.flags = flags;
	to.o.open_thread = tlb_open_thread;
	to.o.self = &to;
	begin_open(&to.o);
	ret = open_threads(&to.o);
	end_open(&to.o, ret);
	if (ret < 0) {
		vms_tlb_close(to.t);
		return ret;
	}
	*out = to.t;
	return 0;
}

#define DTLB_READ(result) \
	(PERF_COUNT_HW_CACHE_DTLB | (PERF_COUNT_HW_CACHE_OP_READ << 8) | ((uint64_t)(result) << 16))

VMS_EXPORT int vms_tlb_open(struct vms_ctx *ctx, pid_t pid, unsigned int flags,
			    struct vms_tlbcount **out)
{
	return vms_tlb_open_events(ctx, pid, flags, PERF_TYPE_HW_CACHE,
				   DTLB_READ(PERF_COUNT_HW_CACHE_RESULT_ACCESS),
				   DTLB_READ(PERF_COUNT_HW_CACHE_RESULT_MISS), out);
}

VMS_EXPORT int vms_tlb_read(struct vms_tlbcount *t, uint64_t *loads, uint64_t *misses, bool *scaled)
{
	uint64_t sum[2] = { 0, 0 };
	bool est = false;

	for (size_t i = 0; i + 1 < t->n_fds; i += 2) {
		/* nr, time_enabled, time_running, then one value per member */
		uint64_t v[5];
		ssize_t n = vms_read_retry(t->fds[i], v, sizeof(v));

		if (n < 0)
			return (int)n;
		if (n != (ssize_t)sizeof(v) || v[0] != 2)
			return -EIO;
		if (v[2] == 0) {
			/* never scheduled: nothing to scale from */
			est |= v[1] > 0;
			continue;
		}
		for (int k = 0; k < 2; k++) {
			uint64_t c = v[3 + k];

			if (v[2] < v[1])
				c = (uint64_t)((long double)c * (long double)v[1] /
					       (long double)v[2]);
			sum[k] += c;
		}
		est |= v[2] < v[1];
	}
	if (loads)
		*loads = sum[0];
	if (misses)
		*misses = sum[1];
	if (scaled)
		*scaled = est;
	return 0;
}

VMS_EXPORT void vms_tlb_close(struct vms_tlbcount *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_fds; i++)
		close(t->fds[i]);
	free(t->fds);
	free(t);
}
