// SPDX-License-Identifier: GPL-2.0-or-later
/* cmd/common: program setup, error reporting, exit statuses, lists and threads. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common.h"
#include "config.h"

const char *cx_prog = "vmscope";

/*
 * cJSON's allocations: one that fails ends the command with "out of memory".
 * cJSON_Add*() say so only by a return value that nobody checks, and a
 * member left out of a document silently is worse than no document.
 */
static void *json_malloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		cx_oom();
	return p;
}

void cx_init(const char *prog)
{
	cJSON_Hooks hooks = { json_malloc, free };

	cx_prog = prog;
	/*
	 * Never run with elevated privileges we were not asked to use: a
	 * setuid vmscope would hand PFNs and other processes' maps to anyone.
	 */
	if (getauxval(AT_SECURE)) {
		fprintf(stderr,
			"%s: must not be installed setuid or setgid; use sudo or capabilities\n",
			prog);
		exit(CX_EXIT_USAGE);
	}
	/*
	 * fds 0-2 closed at start would be reused by the first /proc open, and
	 * output would go into it; park them on /dev/null, read-only, so that
	 * a closed stdout still fails to write (EBADF) as it should.
	 */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int nfd = open("/dev/null", O_RDONLY | O_CLOEXEC);

			if (nfd >= 0 && nfd != fd)
				close(nfd);
		}
	setlocale(LC_ALL, "");
	cJSON_InitHooks(&hooks);
}

__attribute__((format(printf, 1, 0))) static void vwarn(const char *fmt, va_list ap)
{
	char *msg = NULL, *safe = NULL;
	va_list aq;
	int n;

	/* arguments and names in a message may hold escape sequences: never raw */
	va_copy(aq, ap);
	n = vasprintf(&msg, fmt, aq);
	va_end(aq);
	if (n >= 0)
		safe = cx_sanitize(msg, (size_t)n, false);
	fprintf(stderr, "%s: ", cx_prog);
	if (safe)
		fputs(safe, stderr);
	else
		vfprintf(stderr, fmt, ap); /* out of memory: as it is */
	fputc('\n', stderr);
	free(safe);
	if (n >= 0)
		free(msg);
}

void cx_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void cx_oom(void)
{
	cx_warn("out of memory");
	exit(CX_EXIT_FAILURE);
}

int cx_missing_errno(struct vms_ctx *ctx, pid_t pid)
{
	struct vms_proc *p;
	int err = vms_proc_open(ctx, pid, &p);

	if (err == 0) {
		struct vms_proc_info pi;

		err = vms_proc_info_read(p, 0, &pi);
		vms_proc_close(p);
	}
	/* readable now: it appeared after the table was read */
	return err < 0 ? err : -ESRCH;
}

void cx_fd_exhausted(int err)
{
	struct rlimit rl;

	err = err < 0 ? -err : err;
	if (err == EMFILE && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		cx_warn("%s (the limit is %llu: ulimit -n)", strerror(err),
			(unsigned long long)rl.rlim_cur);
	else
		cx_warn("%s", strerror(err));
	exit(CX_EXIT_FAILURE);
}

char *cx_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		cx_oom();
	return d;
}

void *cx_grow(void *array, size_t n, size_t *cap, size_t elem)
{
	size_t ncap;
	void *a;

	if (n < *cap)
		return array;
	ncap = *cap ? 2 * *cap : 64;
	if (ncap > SIZE_MAX / elem)
		cx_oom();
	a = realloc(array, ncap * elem);
	if (!a)
		cx_oom();
	*cap = ncap;
	return a;
}

char *cx_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		cx_oom();
	return s;
}

void cx_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", cx_prog);
	exit(CX_EXIT_USAGE);
}

void cx_version(void)
{
	printf("%s (vmscope) %s\n", cx_prog, VMSCOPE_VERSION);
	exit(cx_close_stdout() ? CX_EXIT_FAILURE : CX_EXIT_OK);
}

const char *cx_errno_name(int err)
{
	switch (err < 0 ? -err : err) {
	case EACCES:
		return "EACCES";
	case EPERM:
		return "EPERM";
	case ESRCH:
		return "ESRCH";
	case ENOENT:
		return "ENOENT";
	case ENOMEM:
		return "ENOMEM";
	case EIO:
		return "EIO";
	case EMFILE:
		return "EMFILE";
	case ENFILE:
		return "ENFILE";
	case EINTR:
		return "EINTR";
	case EBADMSG:
		return "EBADMSG";
	case EINVAL:
		return "EINVAL";
	case EPROTO:
		return "EPROTO";
	default:
		return "EOTHER";
	}
}

const char *cx_errno_reason(int err)
{
	switch (err < 0 ? -err : err) {
	case EACCES:
		return "permission denied";
	case EPERM:
		return "operation not permitted";
	case ESRCH:
		return "no such process";
	case ENOENT:
		return "not in snapshot";
	case EMFILE:
	case ENFILE:
		return "too many open files";
	case ENOMEM:
		return "out of memory";
	case EBADMSG:
		return "malformed file";
	case EPROTO:
		return "corrupt snapshot file";
	default:
		return "read error";
	}
}

const char *cx_errno_hint(int err)
{
	switch (err < 0 ? -err : err) {
	case EACCES:
		return " (needs the same user or CAP_SYS_PTRACE)";
	case EPERM:
		return " (procfs mounted with hidepid?)";
	case ENOENT:
		return " (not captured in the snapshot)";
	case EPROTO: /* what the library says of a snapshot file it cannot trust */
		return " (the snapshot's file is corrupt)";
	default:
		return "";
	}
}

void cx_proc_error(int pid, const char *file, int err)
{
	err = err < 0 ? -err : err;
	if (err == ESRCH) {
		cx_warn("pid %d: no such process", pid);
		return;
	}
	/* not a fault of that process: nothing after it would be whole either */
	if (err == ENOMEM)
		cx_oom();
	if (err == EMFILE || err == ENFILE)
		cx_fd_exhausted(err);
	cx_warn("pid %d: cannot read %s: %s%s", pid, file, strerror(err), cx_errno_hint(err));
}

int cx_close_stdout(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		return 0;
	cx_warn("write error: %s", strerror(errno ? errno : EIO));
	return 1;
}

void cx_split(const char *arg, void (*fn)(const char *item, size_t len, void *data), void *data)
{
	const char *p = arg;

	for (;;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);

		if (len == 0)
			cx_usage_error("empty item in list '%s'", arg);
		fn(p, len, data);
		if (!c)
			break;
		p = c + 1;
	}
}

struct pid_list {
	int *pids;
	size_t n, cap;
};

/* The largest PID vms_parse_pid() accepts (PID_MAX_LIMIT on 64-bit). */
#define CX_PID_MAX 4194304

/*
 * The PIDs of the list last built, one bit each (512 KiB): a duplicate is
 * found at once, where scanning the list made 100,000 PIDs on a command line
 * cost seconds, quadratically (hazard A6).
 */
static struct {
	uint64_t *bits;
	const int *list;
	size_t n;
} pid_seen;

static void add_pid(const char *item, size_t len, void *data)
{
	struct pid_list *l = data;
	char buf[32];
	pid_t pid;
	int r;

	if (len >= sizeof(buf))
		cx_usage_error("invalid PID '%.*s'", (int)len, item);
	memcpy(buf, item, len);
	buf[len] = '\0';
	r = vms_parse_pid(buf, &pid);
	if (r == -ERANGE)
		cx_usage_error("PID out of range: '%s'", buf);
	if (r < 0)
		cx_usage_error("invalid PID '%s' (decimal number expected)", buf);
	if (pid_seen.bits[pid / 64] & (1ULL << (pid % 64)))
		return;
	pid_seen.bits[pid / 64] |= 1ULL << (pid % 64);
	l->pids = cx_grow(l->pids, l->n, &l->cap, sizeof(*l->pids));
	l->pids[l->n++] = pid;
}

size_t cx_parse_pid_list(const char *arg, int **pids, size_t n)
{
	/* lists are only grown here, by cx_grow(): their capacity follows from n */
	size_t cap = n ? 64 : 0;
	struct pid_list l;

	while (cap && cap < n)
		cap *= 2;
	l = (struct pid_list){ *pids, n, cap };
	if (!*arg) /* -p "": a PID left out, more than an empty list */
		cx_usage_error("invalid PID '' (decimal number expected)");
	if (!pid_seen.bits) {
		pid_seen.bits = calloc(CX_PID_MAX / 64 + 1, sizeof(uint64_t));
		if (!pid_seen.bits)
			cx_oom();
	}
	if (pid_seen.list != *pids || pid_seen.n != n) {
		/* another list than the last one */
		memset(pid_seen.bits, 0, (CX_PID_MAX / 64 + 1) * sizeof(uint64_t));
		for (size_t i = 0; i < n; i++)
			pid_seen.bits[(*pids)[i] / 64] |= 1ULL << ((*pids)[i] % 64);
	}
	cx_split(arg, add_pid, &l);
	pid_seen.list = l.pids;
	pid_seen.n = l.n;
	*pids = l.pids;
	return l.n;
}

unsigned long cx_parse_count(const char *opt, const char *arg, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!arg[0] || arg[0] < '0' || arg[0] > '9')
		cx_usage_error("invalid %s argument '%s'", opt, arg);
	v = strtoul(arg, &end, 10);
	if (*end || errno || v == 0 || v > max)
		cx_usage_error("invalid %s argument '%s' (1..%lu)", opt, arg, max);
	return v;
}

struct par {
	size_t n;
	atomic_size_t next;
	void (*fn)(size_t i, void *data);
	void *data;
};

static void *worker(void *arg)
{
	struct par *p = arg;

	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);

		if (i >= p->n)
			break;
		p->fn(i, p->data);
	}
	return NULL;
}

void cx_parallel_for(size_t n, unsigned int nthreads, void (*fn)(size_t i, void *data), void *data)
{
	struct par p = { .n = n, .fn = fn, .data = data };
	pthread_t tids[64];
	unsigned int started = 0;

	atomic_init(&p.next, 0);
	if (nthreads > 64)
		nthreads = 64;
	if (nthreads > n)
		nthreads = (unsigned int)n;
	/* the calling thread is one of the workers */
	for (unsigned int i = 1; i < nthreads; i++) {
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (pthread_create(&tids[started], &attr, worker, &p) == 0)
			started++;
		pthread_attr_destroy(&attr);
	}
	worker(&p);
	for (unsigned int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
}

struct cx_parallel {
	struct par p;
	pthread_t tids[64];
	unsigned int started;
};

struct cx_parallel *cx_parallel_spawn(size_t n, unsigned int nthreads,
				      void (*fn)(size_t i, void *data), void *data)
{
	struct cx_parallel *bg = calloc(1, sizeof(*bg));

	if (!bg) {
		cx_warn("out of memory");
		exit(CX_EXIT_FAILURE);
	}
	bg->p.n = n;
	bg->p.fn = fn;
	bg->p.data = data;
	atomic_init(&bg->p.next, 0);
	if (nthreads > 64)
		nthreads = 64;
	for (unsigned int i = 0; i < nthreads; i++) {
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (pthread_create(&bg->tids[bg->started], &attr, worker, &bg->p) == 0)
			bg->started++;
		pthread_attr_destroy(&attr);
	}
	return bg;
}

void cx_parallel_join(struct cx_parallel *bg)
{
	/* if no thread could start, do the work here */
	worker(&bg->p);
	for (unsigned int i = 0; i < bg->started; i++)
		pthread_join(bg->tids[i], NULL);
	free(bg);
}

unsigned int cx_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > 8 ? 8 : (unsigned int)n;
}

bool cx_output_option(int c, const char *arg, struct cx_outopts *o, const char **root)
{
	switch (c) {
	case 'o':
		o->output = arg;
		return true;
	case CX_OPT_OUTPUT_ALL:
		o->output_all = true;
		return true;
	case 'J':
		o->format = CX_FMT_JSON;
		return true;
	case 'r':
		o->format = CX_FMT_RAW;
		return true;
	case 'n':
		o->noheadings = true;
		return true;
	case 'b':
		o->bytes = true;
		return true;
	case 's':
		o->sort = arg;
		return true;
	case CX_OPT_REVERSE:
		o->reverse = true;
		return true;
	case CX_OPT_ROOT:
		*root = arg;
		return true;
	default:
		return false;
	}
}

void cx_bad_option(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", cx_prog);
	exit(CX_EXIT_USAGE);
}

/* The signals that end a command and that it may meet while it reads a snapshot. */
static const int cx_fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };

/* Remove the unpacked archives, then die of @sig as if we had not caught it. */
static void cx_fatal_signal(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	vms_snapshot_cleanup_signal_safe();
	sigaction(sig, &dfl, NULL);
	/* blocked until we return: then the default action, with the right status */
	raise(sig);
}

static void cx_snapshot_atexit(void)
{
	vms_snapshot_cleanup_signal_safe();
}

/*
 * An archive root is unpacked under $TMPDIR and removed at the context's last
 * unref, which neither a fatal signal nor an exit() on the way reaches: clean
 * up there too.  A signal the command handles itself (vmfault and vmswap stop
 * on SIGINT/SIGTERM, and unref) or that was ignored for us is left as it is.
 */
static void cx_guard_snapshots(void)
{
	static bool done;
	struct sigaction sa = { .sa_handler = cx_fatal_signal };

	if (done)
		return;
	done = true;
	atexit(cx_snapshot_atexit);
	sigemptyset(&sa.sa_mask);
	/* one at a time: a second signal must not cut the cleanup short */
	for (size_t i = 0; i < sizeof(cx_fatal_signals) / sizeof(cx_fatal_signals[0]); i++)
		sigaddset(&sa.sa_mask, cx_fatal_signals[i]);
	for (size_t i = 0; i < sizeof(cx_fatal_signals) / sizeof(cx_fatal_signals[0]); i++) {
		struct sigaction old;

		if (sigaction(cx_fatal_signals[i], NULL, &old) == 0 &&
		    !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL)
			sigaction(cx_fatal_signals[i], &sa, NULL);
	}
}

struct vms_ctx *cx_ctx_open(const char *root, unsigned int flags)
{
	struct vms_ctx *ctx;
	char *why;
	int ret;

	/* before the unpacking, which takes a while for a big archive */
	if (root)
		cx_guard_snapshots();
	ret = vms_ctx_open(root, flags, &ctx, &why);
	if (ret == 0) {
		if (root)
			cx_warn_exposed_snapshot(ctx, root);
		return ctx;
	}
	/* the library's phrase has its control bytes escaped already */
	cx_warn("%s: %s", root ? root : "/", why ? why : strerror(-ret));
	free(why);
	return NULL;
}

static bool mapping_is_file(const struct vms_mapping *m)
{
	return m->name_len && m->name[0] != '[';
}

void cx_classify(size_t n, const struct vms_mapping *(*at)(size_t i, void *data), void *data,
		 pid_t pid, const struct vms_thread_sp *sps, size_t nsps, enum vms_kind *kinds)
{
	struct cx_strmap *code = cx_strmap_new(1);
	bool prev_code = false;

	if (!code)
		cx_oom();
	for (size_t i = 0; i < n; i++) {
		const struct vms_mapping *m = at(i, data);

		if (mapping_is_file(m) && m->perms[2] == 'x' && m->perms[3] == 'p' &&
		    !cx_strmap_get(code, m->name, m->name_len))
			cx_oom();
	}
	for (size_t i = 0; i < n; i++) {
		const struct vms_mapping *m = at(i, data);
		struct vms_kind_hints h = { .deleted = -1 };
		bool file = mapping_is_file(m);

		h.code_object = file && m->perms[3] == 'p' &&
				cx_strmap_find(code, m->name, m->name_len) != NULL;
		h.follows_code_object = !file && i > 0 && prev_code &&
					at(i - 1, data)->end == m->start;
		for (size_t t = 0; t < nsps; t++)
			if (sps[t].tid != pid && sps[t].sp >= m->start && sps[t].sp < m->end)
				h.thread_stack = true;
		kinds[i] = vms_mapping_kind(m, &h);
		prev_code = h.code_object;
	}
	cx_strmap_free(code);
}

void cx_pme_flags(const struct vms_pme *pme, char *buf, size_t len)
{
	const struct {
		bool on;
		const char *name;
	} bits[] = {
		{ pme->file, "file page or shared anonymous" },
		{ pme->exclusive, "exclusively mapped" },
		{ pme->soft_dirty, "soft-dirty" },
		{ pme->uffd_wp, "uffd-wp" },
	};
	size_t at = 0;

	snprintf(buf, len, "none");
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		int n;

		if (!bits[i].on || at >= len)
			continue;
		n = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", bits[i].name);
		if (n > 0)
			at += (size_t)n;
	}
}

enum cx_format cx_parse_format(const char *arg)
{
	static const struct {
		const char *name;
		enum cx_format format;
	} formats[] = {
		{ "table", CX_FMT_TABLE },
		{ "raw", CX_FMT_RAW },
		{ "json", CX_FMT_JSON },
		{ "openmetrics", CX_FMT_OPENMETRICS },
	};

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(arg, formats[i].name) == 0)
			return formats[i].format;
	cx_usage_error("unknown format '%s' (table, raw, json, openmetrics)", arg);
}

/* ---- snapshots: saying that the data is not from the live system ---- */

/* A description value, escaped for the terminal (NULL stays NULL). */
static char *snap_clean(const char *s)
{
	char *t;

	if (!s)
		return NULL;
	t = cx_sanitize(s, strlen(s), false);
	if (!t)
		cx_oom();
	return t;
}

char *cx_snapshot_text(const char *host, const char *time, const char *until, const char *kernel)
{
	char *h = snap_clean(host), *t = snap_clean(time), *u = snap_clean(until);
	char *k = snap_clean(kernel), *kp = k ? cx_xasprintf(" (kernel %s)", k) : NULL, *s;
	bool both = t && u;

	/* a description missing a key: that part is left out rather than guessed */
	s = cx_xasprintf("snapshot%s%s%s%s%s%s%s%s", both ? "s" : "", h ? " of " : "", h ? h : "",
			 t || u ? " taken " : "",
			 t ? t :
			 u ? u :
			     "",
			 both ? " to " : "", both ? u : "", kp ? kp : "");
	free(h);
	free(t);
	free(u);
	free(k);
	free(kp);
	return s;
}

char *cx_snapshot_phrase(const struct vms_ctx *first, const struct vms_ctx *last)
{
	if (vms_ctx_is_live(first))
		return NULL;
	return cx_snapshot_text(vms_ctx_snapshot_info(first, "host"),
				vms_ctx_snapshot_info(first, "time"),
				last ? vms_ctx_snapshot_info(last, "time") : NULL,
				vms_ctx_snapshot_info(first, "kernel"));
}

void cx_snapshot_banner(const struct vms_ctx *first, const struct vms_ctx *last,
			const struct cx_outopts *o)
{
	char *s;

	/* scripts read -n, -r, JSON and OpenMetrics: only people get the line */
	if (o->format != CX_FMT_TABLE || o->noheadings)
		return;
	s = cx_snapshot_phrase(first, last);
	if (!s)
		return;
	printf("%s\n", s);
	free(s);
}

cJSON *cx_json_snapshot_obj(const char *root, const char *host, const char *time,
			    const char *kernel)
{
	cJSON *o = cx_json_object();

	cx_json_str(o, "root", root);
	cx_json_str(o, "time", time);
	cx_json_str(o, "host", host);
	cx_json_str(o, "kernel", kernel);
	return o;
}

/* The snapshot the output describes now, copied: a series drops each context after its sample. */
static struct {
	bool set;
	char *root, *host, *time, *kernel;
} cur_snap;

static void cur_snap_clear(void)
{
	free(cur_snap.root);
	free(cur_snap.host);
	free(cur_snap.time);
	free(cur_snap.kernel);
	memset(&cur_snap, 0, sizeof(cur_snap));
}

static char *dup_or_null(const char *s)
{
	return s ? cx_xstrdup(s) : NULL;
}

void cx_snapshot_set(const struct vms_ctx *ctx, const char *root)
{
	cur_snap_clear();
	if (!ctx || vms_ctx_is_live(ctx))
		return;
	cur_snap.set = true;
	cur_snap.root = dup_or_null(root ? root : vms_ctx_root(ctx));
	cur_snap.host = dup_or_null(vms_ctx_snapshot_info(ctx, "host"));
	cur_snap.time = dup_or_null(vms_ctx_snapshot_info(ctx, "time"));
	cur_snap.kernel = dup_or_null(vms_ctx_snapshot_info(ctx, "kernel"));
}

void cx_json_add_snapshot(cJSON *obj)
{
	if (!cur_snap.set)
		return;
	cJSON_AddItemToObject(obj, "snapshot",
			      cx_json_snapshot_obj(cur_snap.root, cur_snap.host, cur_snap.time,
						   cur_snap.kernel));
}
