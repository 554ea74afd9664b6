// SPDX-License-Identifier: GPL-2.0-or-later
/* ptable_equiv: the live process table from libproc2 and from the snapshot reader agree. */

/*
 * Usage: ptable_equiv LAYOUT ZOMBIE_LEADER EMPTY_CMDLINE NODUMP
 *
 * Starts the helpers (layout's parent and child, named with control bytes and
 * invalid UTF-8, a zombie leader, an empty
 * command line, and a non-dumpable process run as nobody when we are root),
 * stops them with SIGSTOP, then builds the process table of the live system
 * twice with every VMS_PT_* flag: through libproc2 (vms_ctx_new(NULL, 0)) and
 * through the snapshot reader on "/" (VMS_CTX_NO_LIBPROC2).  For the helpers
 * and for pids 1 and 2, every field must agree; minflt, majflt and oom_score
 * only for the stopped helpers, since other processes move.  For every pid in
 * both tables, start_time and kthread (which never change) must agree.
 * Each mismatch is printed with both values.  Exit 0, 1 on a mismatch, 77
 * when the library cannot build a table here.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vmscope/vmscope.h>

#define MAX_HELPERS 8
#define NOBODY_ID 65534

struct helper {
	const char *name;
	pid_t pgid; /* the process we started; its own process group */
	int stdin_fd; /* closing it tells the helper to exit */
	pid_t pid, child; /* from its JSON line; child 0 when none */
	long uid; /* its effective uid */
};

static struct helper helpers[MAX_HELPERS];
static int nhelpers;
static int mismatches;

static void kill_helpers(void)
{
	for (int i = 0; i < nhelpers; i++) {
		if (helpers[i].pgid > 0) {
			kill(-helpers[i].pgid, SIGKILL);
			kill(-helpers[i].pgid, SIGCONT);
		}
	}
}

static void on_signal(int sig)
{
	/* A timeout: stopped helpers would never see EOF, so kill them now. */
	kill_helpers();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void cleanup(void)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };

	/* EOF on stdin first, so that layout can reap its own child; SIGKILL
	 * the group only if a helper is still there after 5 s. */
	for (int i = 0; i < nhelpers; i++) {
		if (helpers[i].pgid <= 0)
			continue;
		kill(-helpers[i].pgid, SIGCONT);
		if (helpers[i].stdin_fd >= 0)
			close(helpers[i].stdin_fd);
		helpers[i].stdin_fd = -1;
	}
	for (int i = 0; i < nhelpers; i++) {
		struct helper *h = &helpers[i];
		int tries = 500;

		if (h->pgid <= 0)
			continue;
		while (waitpid(h->pgid, NULL, WNOHANG) == 0 && --tries)
			nanosleep(&tick, NULL);
		kill(-h->pgid, SIGKILL);
		if (!tries)
			while (waitpid(h->pgid, NULL, 0) < 0 && errno == EINTR)
				;
		h->pgid = 0;
	}
}

__attribute__((format(printf, 1, 2))) static _Noreturn void fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ptable_equiv: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(1);
}

static long json_int(const char *line, const char *key)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : 0;
}

/* Start @argv in its own process group, read its JSON line. */
static void start_helper(const char *name, char *const argv[], bool as_nobody)
{
	struct helper *h = &helpers[nhelpers];
	int in[2], out[2];
	char line[8192];
	size_t len = 0;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		fatal("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fatal("fork: %s", strerror(errno));
	if (pid == 0) {
		setpgid(0, 0);
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		if (as_nobody && (setgroups(0, NULL) || setgid(NOBODY_ID) || setuid(NOBODY_ID))) {
			perror("ptable_equiv: becoming nobody");
			_exit(126);
		}
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	setpgid(pid, pid);
	close(in[0]);
	close(out[1]);
	*h = (struct helper){ .name = name, .pgid = pid, .stdin_fd = in[1] };
	nhelpers++;
	while (!memchr(line, '\n', len)) {
		struct pollfd pfd = { .fd = out[0], .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 30000) <= 0)
			fatal("%s: no JSON line within 30 s", name);
		n = read(out[0], line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			fatal("%s exited before reporting its pid", name);
		len += (size_t)n;
		if (len == sizeof(line) - 1)
			fatal("%s: JSON line too long", name);
	}
	close(out[0]);
	line[len] = '\0';
	h->pid = (pid_t)json_int(line, "pid");
	h->child = (pid_t)json_int(line, "child");
	h->uid = as_nobody ? NOBODY_ID : (long)geteuid();
	if (h->pid <= 0)
		fatal("%s: no pid in %s", name, line);
}

static char task_state(pid_t pid, const char *tid)
{
	char path[96], buf[1024], *paren;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, tid);
	fp = fopen(path, "re");
	if (!fp)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

/* True when every thread of @pid is stopped or a zombie. */
static bool all_stopped(pid_t pid)
{
	char path[64];
	struct dirent *d;
	bool ok = true;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return true; /* gone: nothing left to stop */
	while ((d = readdir(dir))) {
		char st;

		if (d->d_name[0] == '.')
			continue;
		st = task_state(pid, d->d_name);
		if (st && st != 'T' && st != 't' && st != 'Z' && st != 'X')
			ok = false;
	}
	closedir(dir);
	return ok;
}

static void stop_all(void)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < nhelpers; i++) {
		kill(helpers[i].pid, SIGSTOP);
		if (helpers[i].child)
			kill(helpers[i].child, SIGSTOP);
	}
	for (int i = 0; i < nhelpers; i++) {
		int tries = 1000;

		while (!all_stopped(helpers[i].pid) ||
		       (helpers[i].child && !all_stopped(helpers[i].child))) {
			if (--tries == 0)
				fatal("%s (pid %d) did not stop", helpers[i].name,
				      (int)helpers[i].pid);
			nanosleep(&tick, NULL);
		}
	}
}

static const struct vms_proc_info *find(const struct vms_ptable *t, pid_t pid)
{
	size_t n = vms_ptable_count(t);

	for (size_t i = 0; i < n; i++) {
		const struct vms_proc_info *p = vms_ptable_get(t, i);

		if (p && p->pid == pid)
			return p;
	}
	return NULL;
}

static void mismatch(pid_t pid, const char *field, const char *a, const char *b)
{
	printf("MISMATCH pid %d %s: libproc2 %s, snapshot reader %s\n", (int)pid, field, a, b);
	mismatches++;
}

static const char *quoted(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	if (!s)
		return "(null)";
	buf[o++] = '"';
	for (; *s && o + 6 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static void cmp_str(pid_t pid, const char *field, const char *a, const char *b)
{
	char ba[512], bb[512];

	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
		mismatch(pid, field, quoted(a, ba, sizeof(ba)), quoted(b, bb, sizeof(bb)));
}

static void cmp_u64(pid_t pid, const char *field, uint64_t a, uint64_t b)
{
	char ba[32], bb[32];

	if (a != b) {
		snprintf(ba, sizeof(ba), "%" PRIu64, a);
		snprintf(bb, sizeof(bb), "%" PRIu64, b);
		mismatch(pid, field, ba, bb);
	}
}

static void cmp_i64(pid_t pid, const char *field, int64_t a, int64_t b)
{
	char ba[32], bb[32];

	if (a != b) {
		snprintf(ba, sizeof(ba), "%" PRId64, a);
		snprintf(bb, sizeof(bb), "%" PRId64, b);
		mismatch(pid, field, ba, bb);
	}
}

static void cmp_have(pid_t pid, const char *field, const struct vms_proc_info *a,
		     const struct vms_proc_info *b, unsigned int bit)
{
	cmp_str(pid, field, (a->have & bit) ? "present" : "absent",
		(b->have & bit) ? "present" : "absent");
}

/* Compare one pid in both tables; @stopped adds the fields that move. */
static void compare(const struct vms_ptable *lp, const struct vms_ptable *sn, pid_t pid,
		    bool stopped, long want_uid)
{
	const struct vms_proc_info *a = find(lp, pid), *b = find(sn, pid);
	char sa[4], sb[4];

	if (!a || !b) {
		mismatch(pid, "presence", a ? "listed" : "missing", b ? "listed" : "missing");
		return;
	}
	cmp_i64(pid, "ppid", a->ppid, b->ppid);
	cmp_u64(pid, "uid", a->uid, b->uid);
	if (want_uid >= 0) {
		cmp_u64(pid, "uid (libproc2 vs the helper's euid)", a->uid, (uint64_t)want_uid);
		cmp_u64(pid, "uid (the helper's euid vs snapshot reader)", (uint64_t)want_uid,
			b->uid);
	}
	snprintf(sa, sizeof(sa), "%c", a->state);
	snprintf(sb, sizeof(sb), "%c", b->state);
	cmp_str(pid, "state", sa, sb);
	cmp_str(pid, "kthread", a->kthread ? "true" : "false", b->kthread ? "true" : "false");
	cmp_str(pid, "comm", a->comm, b->comm);
	cmp_have(pid, "have USER", a, b, VMS_HAVE_USER);
	cmp_str(pid, "user", a->user, b->user);
	cmp_have(pid, "have CMDLINE", a, b, VMS_HAVE_CMDLINE);
	cmp_str(pid, "cmdline", a->cmdline, b->cmdline);
	cmp_have(pid, "have CGROUP", a, b, VMS_HAVE_CGROUP);
	cmp_str(pid, "cgroup", a->cgroup, b->cgroup);
	cmp_u64(pid, "start_time", a->start_time, b->start_time);
	cmp_have(pid, "have VSZ", a, b, VMS_HAVE_VSZ);
	cmp_u64(pid, "vsz", a->vsz, b->vsz);
	cmp_have(pid, "have THREADS", a, b, VMS_HAVE_THREADS);
	cmp_i64(pid, "threads", a->threads, b->threads);
	cmp_have(pid, "have OOM_ADJ", a, b, VMS_HAVE_OOM_ADJ);
	cmp_i64(pid, "oom_score_adj", a->oom_score_adj, b->oom_score_adj);
	cmp_have(pid, "have FAULTS", a, b, VMS_HAVE_FAULTS);
	cmp_have(pid, "have OOM_SCORE", a, b, VMS_HAVE_OOM_SCORE);
	if (!stopped)
		return;
	cmp_u64(pid, "minflt", a->minflt, b->minflt);
	cmp_u64(pid, "majflt", a->majflt, b->majflt);
	cmp_i64(pid, "oom_score", a->oom_score, b->oom_score);
}

static void log_fn(void *data, int prio, const char *file, int line, const char *fn,
		   const char *msg)
{
	fprintf(stderr, "libvmscope <%d> %s:%d %s(): %s\n", prio, file, line, fn, msg);
}

static int read_table(const char *root, unsigned int flags, struct vms_ptable **t, const char *what)
{
	const unsigned int all = VMS_PT_USER | VMS_PT_CMDLINE | VMS_PT_FAULTS | VMS_PT_OOM |
				 VMS_PT_CGROUP | VMS_PT_VSZ | VMS_PT_THREADS;
	struct vms_ctx *ctx = NULL;
	int r;

	r = vms_ctx_new(root, flags, &ctx);
	if (r < 0) {
		printf("SKIP: vms_ctx_new(%s): %s\n", what, strerror(-r));
		return 77;
	}
	vms_ctx_set_log_fn(ctx, log_fn, NULL);
	vms_ctx_set_log_priority(ctx, VMS_LOG_WARNING);
	r = vms_ptable_read(ctx, all, t);
	vms_ctx_unref(ctx);
	if (r < 0) {
		printf("FAIL: vms_ptable_read(%s): %s\n", what, strerror(-r));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct vms_ptable *lp = NULL, *sn = NULL;
	int status = 0, attempt;
	size_t n, common = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: ptable_equiv LAYOUT ZOMBIE_LEADER EMPTY_CMDLINE NODUMP\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	{
		/* A command name with a quote, a backslash, a newline, an ESC and
		 * a byte that is not UTF-8: "comm" is raw bytes in both tables.
		 * No file region: we may run as a user who cannot write the cwd. */
		char *layout[] = { argv[1],
				   "--anon",
				   "1M",
				   "--untouched",
				   "1M",
				   "--file",
				   "0",
				   "--cow",
				   "1M",
				   "--swap",
				   "1M",
				   "--comm",
				   "e\"\\\n\033\377z",
				   NULL };
		char *zombie[] = { argv[2], "8", NULL };
		char *empty[] = { argv[3], NULL };
		char *nodump[] = { argv[4], NULL };

		start_helper("layout", layout, false);
		start_helper("zombie_leader", zombie, false);
		start_helper("empty_cmdline", empty, false);
		start_helper("nodump", nodump, geteuid() == 0);
	}
	stop_all();

	/* Both tables describe stopped helpers, so any difference is real; pids 1
	 * and 2 may change state between the two reads, so try a few times. */
	for (attempt = 1; attempt <= 3; attempt++) {
		mismatches = 0;
		status = read_table(NULL, 0, &lp, "libproc2");
		if (!status)
			status = read_table("/", VMS_CTX_NO_LIBPROC2, &sn, "snapshot reader");
		if (status)
			break;
		printf("# attempt %d: libproc2 %zu processes, snapshot reader %zu\n", attempt,
		       vms_ptable_count(lp), vms_ptable_count(sn));
		for (int i = 0; i < nhelpers; i++) {
			compare(lp, sn, helpers[i].pid, true, helpers[i].uid);
			if (helpers[i].child)
				compare(lp, sn, helpers[i].child, true, helpers[i].uid);
		}
		compare(lp, sn, 1, false, -1);
		compare(lp, sn, 2, false, -1);
		n = vms_ptable_count(lp);
		common = 0;
		for (size_t i = 0; i < n; i++) {
			const struct vms_proc_info *a = vms_ptable_get(lp, i);
			const struct vms_proc_info *b = a ? find(sn, a->pid) : NULL;

			if (!b)
				continue;
			common++;
			cmp_u64(a->pid, "start_time (all processes)", a->start_time, b->start_time);
			cmp_str(a->pid, "kthread (all processes)", a->kthread ? "true" : "false",
				b->kthread ? "true" : "false");
		}
		vms_ptable_free(lp);
		vms_ptable_free(sn);
		lp = sn = NULL;
		if (!mismatches)
			break;
		printf("# attempt %d: %d mismatch(es)\n", attempt, mismatches);
	}
	cleanup();
	if (status)
		return status;
	if (common < 10) {
		printf("FAIL: only %zu processes in both tables\n", common);
		return 1;
	}
	if (mismatches) {
		printf("FAIL: %d mismatch(es) between libproc2 and the snapshot reader\n",
		       mismatches);
		return 1;
	}
	printf("ok: the two process tables agree (%zu processes in both)\n", common);
	return 0;
}
