// SPDX-License-Identifier: GPL-2.0-or-later
/* vmtop: the command line, the batch loop (text frames) and the interactive loop (curses). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "term.h"
#include "vmtop.h"

/* Keys are looked at at least this often (ms), whatever the model does. */
#define KEY_POLL_MS 100
/* The widest batch frame -w takes. */
#define MAX_WIDTH 100000

static const enum vt_col default_cols[] = {
	VT_COL_PID,  VT_COL_USER,   VT_COL_RSS,	   VT_COL_PSS,	   VT_COL_USS,
	VT_COL_SWAP, VT_COL_MINFLT, VT_COL_MAJFLT, VT_COL_COMMAND,
};

static struct {
	double delay;
	bool delay_set;
	int *pids;
	size_t npids;
	bool have_uid;
	const char *user; /* -u NAME */
	uint32_t uid;
	enum vt_col sort;
	bool reverse;
	bool cols[VT_COL__N];
	bool tree;
	unsigned long count;
	bool count_set;
	bool batch;
	int width;
	bool width_set;
	const char **roots;
	size_t nroots;
	bool no_color;
} ctl = { .delay = 1.0, .sort = VT_COL_RSS };

static volatile sig_atomic_t batch_stop;

static void __attribute__((noreturn)) usage(void)
{
	printf("Usage:\n"
	       " %s [options]\n\n"
	       "A live view of the processes by memory (RSS, PSS, USS, swap) and page-fault\n"
	       "rate, with each process's mappings and page map.\n\n"
	       "Options:\n",
	       cx_prog);
	fputs(" -d, --delay SEC        seconds between refreshes, 0.1 to 86400 (default 1)\n"
	      " -p, --pid LIST         show only these processes (repeatable)\n"
	      " -u, --user USER        show only the processes of USER (name or uid)\n"
	      " -s, --sort COL         sort by column COL (default rss)\n"
	      "     --reverse          reverse the sort (smallest first)\n"
	      " -o, --output LIST      the columns shown (+LIST adds to the default)\n"
	      " -t, --tree             start in the tree view\n"
	      " -n, --iterations N     stop after N frames\n"
	      " -b, --batch            plain-text frames on stdout, no escape codes\n"
	      " -w, --width COLS       batch: the width of a frame (default 0: no limit)\n"
	      "     --root SNAPSHOT    replay a snapshot (repeat for a series: one frame each)\n"
	      "     --no-color         monochrome (as NO_COLOR=1 does)\n"
	      " -h, --help             display this help\n"
	      " -V, --version          display version\n\n"
	      "Columns:\n",
	      stdout);
	for (int i = 0; i < VT_COL__N; i++)
		printf(" %14s  %s\n", vt_cols[i].name, vt_cols[i].help);
	printf("\nKeys: F1 or h in the viewer lists them.  See vmtop(1) for details.\n");
	exit(cx_close_stdout() ? CX_EXIT_FAILURE : CX_EXIT_OK);
}

/* ---- options ---- */

static int column(const char *name, size_t len)
{
	int c = vt_col_lookup(name, len);

	if (c < 0)
		cx_usage_error("unknown column '%.*s'", (int)len, name);
	return c;
}

static void add_column(const char *item, size_t len, void *data)
{
	bool *cols = data;

	cols[column(item, len)] = true;
}

static void parse_output(const char *arg)
{
	bool plus = arg[0] == '+';

	memset(ctl.cols, 0, sizeof(ctl.cols));
	if (plus) {
		for (size_t i = 0; i < sizeof(default_cols) / sizeof(default_cols[0]); i++)
			ctl.cols[default_cols[i]] = true;
		arg++;
	}
	if (!*arg)
		cx_usage_error("--output needs a list of columns");
	cx_split(arg, add_column, ctl.cols);
}

static void parse_user(const char *arg)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	char *end;

	if (!*arg)
		cx_usage_error("--user needs a user name or uid");
	if (arg[0] >= '0' && arg[0] <= '9') {
		unsigned long v;

		errno = 0;
		v = strtoul(arg, &end, 10);
		if (*end || errno || v >= UINT32_MAX)
			cx_usage_error("invalid uid '%s'", arg);
		ctl.uid = (uint32_t)v;
		ctl.have_uid = true;
		return;
	}
	/* a name: as the process table gives it, which for a snapshot is its own
	 * etc/passwd; the live system's must know it */
	ctl.user = arg;
	if (ctl.nroots)
		return;
	if (getpwnam_r(arg, &pw, buf, sizeof(buf), &res) != 0 || !res) {
		char *safe = cx_sanitize(arg, strlen(arg), false);

		cx_usage_error("unknown user '%s'", safe ? safe : "?");
	}
}

/* -d: as every command's interval, but at least 0.1 s (a screen redrawn faster helps nobody). */
static double parse_delay(const char *arg)
{
	double v = cx_parse_seconds(arg);

	if (v < 0.1 || v > 86400)
		cx_usage_error("invalid delay '%s' (seconds, 0.1 to 86400)", arg);
	return cx_parse_interval(arg, false);
}

static int parse_width(const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || *end || errno || v < 0 || v > MAX_WIDTH || arg[0] < '0' || arg[0] > '9')
		cx_usage_error("invalid --width argument '%s' (0 to %d columns)", arg, MAX_WIDTH);
	return (int)v;
}

static void parse_options(int argc, char **argv)
{
	enum { OPT_REVERSE = 0x100, OPT_ROOT, OPT_NO_COLOR };
	static const struct option longopts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "sort", required_argument, NULL, 's' },
		{ "reverse", no_argument, NULL, OPT_REVERSE },
		{ "output", required_argument, NULL, 'o' },
		{ "tree", no_argument, NULL, 't' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "batch", no_argument, NULL, 'b' },
		{ "width", required_argument, NULL, 'w' },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_cols = false;
	const char *user_arg = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "d:p:u:s:o:tn:bw:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			ctl.delay = parse_delay(optarg);
			ctl.delay_set = true;
			break;
		case 'p':
			ctl.npids = cx_parse_pid_list(optarg, &ctl.pids, ctl.npids);
			break;
		case 'u':
			user_arg = optarg;
			break;
		case 's':
			ctl.sort = (enum vt_col)column(optarg, strlen(optarg));
			break;
		case OPT_REVERSE:
			ctl.reverse = true;
			break;
		case 'o':
			parse_output(optarg);
			have_cols = true;
			break;
		case 't':
			ctl.tree = true;
			break;
		case 'n':
			ctl.count = cx_parse_count("--iterations", optarg, 100000000);
			ctl.count_set = true;
			break;
		case 'b':
			ctl.batch = true;
			break;
		case 'w':
			ctl.width = parse_width(optarg);
			ctl.width_set = true;
			break;
		case OPT_ROOT:
			cx_add_root(&ctl.roots, &ctl.nroots, optarg);
			break;
		case OPT_NO_COLOR:
			ctl.no_color = true;
			break;
		case 'h':
			usage();
		case 'V':
			cx_version();
		default:
			cx_bad_option();
		}
	}
	if (optind < argc)
		cx_usage_error("unexpected argument '%s'", argv[optind]);
	if (user_arg)
		parse_user(user_arg); /* after --root: a snapshot knows its own names */
	if (ctl.width_set && !ctl.batch)
		cx_usage_error("--width goes with --batch (the terminal sets the width)");
	if (ctl.nroots > 1 && ctl.delay_set)
		cx_usage_error("--delay means nothing when replaying a series");
	/* the rest of a series' rules (one snapshot, one frame) are everybody's */
	cx_check_series(ctl.nroots, false, ctl.count_set, ctl.count);
	if (!have_cols)
		for (size_t i = 0; i < sizeof(default_cols) / sizeof(default_cols[0]); i++)
			ctl.cols[default_cols[i]] = true;
}

/* ---- shared by both loops ---- */

/* Say which -p processes the first frame could not read; true when there were some. */
static bool report_missing(struct vt_model *m)
{
	size_t n = vt_model_missing(m);

	for (size_t i = 0; i < n; i++) {
		pid_t pid;
		int err;

		if (vt_model_missing_at(m, i, &pid, &err) < 0)
			break;
		cx_proc_error(pid, "stat", err);
	}
	return n > 0;
}

/*
 * A process named with -p whose smaps_rollup is denied shows "?": say why on
 * stderr, once, as the other commands do, and make the status 3 (hazard C9).
 */
static bool report_denied(struct vt_model *m)
{
	struct vt_query q = {
		.sort = VT_COL_PID, .pids = ctl.pids, .npids = ctl.npids, .kthreads = true
	};
	struct vt_rows rows;
	bool any = false;

	if (!ctl.npids || vt_model_rows(m, &q, &rows) < 0)
		return false;
	for (size_t i = 0; i < rows.n; i++)
		if (rows.v[i].mem == -EACCES || rows.v[i].mem == -EPERM) {
			cx_proc_error(rows.v[i].pid, "smaps_rollup", rows.v[i].mem);
			any = true;
		}
	vt_rows_free(&rows);
	return any;
}

/* ---- batch ---- */

static void on_batch_stop(int sig)
{
	(void)sig;
	batch_stop = 1;
}

/* Sleep until @deadline (CLOCK_MONOTONIC); false when asked to stop meanwhile. */
static bool sleep_until(const struct timespec *deadline)
{
	while (!batch_stop) {
		int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL);

		if (r != EINTR)
			return !batch_stop;
	}
	return false;
}

static void add_seconds(struct timespec *ts, double s)
{
	long ns = (long)((s - (double)(long)s) * 1e9);

	ts->tv_sec += (time_t)s;
	ts->tv_nsec += ns;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* A frame could not be written: say so and fail; a closed pipe ends quietly with @status. */
static _Noreturn void write_failed(int err, int status)
{
	if (err == EPIPE)
		exit(status);
	cx_warn("write error: %s", strerror(err ? err : EIO));
	exit(CX_EXIT_FAILURE);
}

static int run_batch(struct vt_model *m, struct vt_ui *ui, bool utf8)
{
	struct vt_canvas c;
	struct timespec next;
	unsigned long frames = 0;
	int status = CX_EXIT_OK;

	vt_canvas_init(&c, ctl.width, 0, utf8);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!batch_stop) {
		int ret, err;

		/* live frames a delay apart, from the start of one to the next; a series at once */
		if (frames > 0 && !ctl.nroots && !sleep_until(&next))
			break;
		clock_gettime(CLOCK_MONOTONIC, &next);
		add_seconds(&next, ctl.delay);
		ret = vt_model_tick(m);
		if (ret == 1)
			break;
		if (ret < 0) {
			status = CX_EXIT_FAILURE;
			break;
		}
		if (frames == 0 && report_missing(m))
			status = CX_EXIT_PARTIAL;
		/* a first pass tells the model the rows; their rollups are read; then the frame */
		vt_canvas_reset(&c, ctl.width, 0);
		vt_ui_render(ui, &c);
		vt_model_read_all(m);
		if (frames == 0 && report_denied(m))
			status = CX_EXIT_PARTIAL;
		vt_canvas_reset(&c, ctl.width, 0);
		vt_ui_render(ui, &c);
		if (frames > 0)
			putchar('\n');
		err = vt_canvas_print(&c, stdout);
		if (err < 0)
			write_failed(-err, status);
		if (fflush(stdout) != 0 || ferror(stdout))
			write_failed(errno, status);
		frames++;
		if (ctl.count_set && frames >= ctl.count)
			break;
		if (ctl.nroots == 1)
			break;
	}
	vt_canvas_free(&c);
	return status;
}

/* ---- interactive ---- */

/*
 * VMTOP_TEST_CRASH=segv|abort: the pty tests' way to check that a crash gives
 * the terminal back (hazard H3): the loop raises that signal after its first
 * frame.  It does nothing else, and nothing without the variable.
 */
static int test_crash_signal(void)
{
	const char *s = getenv("VMTOP_TEST_CRASH");

	if (!s)
		return 0;
	if (strcmp(s, "segv") == 0)
		return SIGSEGV;
	if (strcmp(s, "abort") == 0)
		return SIGABRT;
	return 0;
}

/* Draw the current screen at the terminal's size (nothing at all at 0x0). */
static void draw(struct vt_ui *ui, struct vt_canvas *c)
{
	int rows, cols;

	vt_term_size(&rows, &cols);
	if (rows <= 0 || cols <= 0) {
		vt_term_blank();
		return;
	}
	vt_canvas_reset(c, cols, rows);
	vt_ui_render(ui, c);
	vt_term_draw(c);
}

static int start_model(struct vt_model *m)
{
	static const int sigs[] = { SIGINT,  SIGTERM, SIGHUP,	SIGQUIT,
				    SIGTSTP, SIGCONT, SIGWINCH, SIGPIPE };
	sigset_t set, old;
	int ret;

	/* the model's threads inherit this: every such signal comes to this thread */
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	ret = vt_model_start(m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

static int run_interactive(struct vt_model *m, struct vt_ui *ui, bool utf8, bool color)
{
	struct vt_canvas c;
	unsigned long drawn_gen = 0;
	bool redraw = true, quit = false;
	int crash = test_crash_signal(), wake, ret;
	char *why;

	if (vt_term_open(color, &why) < 0) {
		cx_warn("%s", why);
		free(why);
		return CX_EXIT_USAGE;
	}
	ret = start_model(m);
	if (ret < 0) {
		vt_term_close();
		cx_warn("cannot start sampling: %s", strerror(-ret));
		return CX_EXIT_FAILURE;
	}
	wake = vt_model_wakeup_fd(m);
	vt_canvas_init(&c, 1, 1, utf8);
	while (!quit) {
		unsigned long gen = vt_model_generation(m);
		int sig = vt_term_quit_signal(), ev, key;

		if (sig)
			vt_term_die(sig);
		if (gen != drawn_gen)
			redraw = true;
		if (redraw) {
			/* read before drawing: the frame that made it so is then on screen */
			bool done = ctl.count_set && vt_model_done(m);

			draw(ui, &c);
			drawn_gen = gen;
			redraw = false;
			if (crash)
				raise(crash);
			if (done)
				break;
		}
		ev = vt_term_wait(wake, KEY_POLL_MS);
		if (ev & VT_TERM_HANGUP)
			vt_term_die(SIGHUP);
		if (ev & VT_TERM_WAKE) {
			char buf[64];

			if (read(wake, buf, sizeof(buf)) < 0) {
				/* EAGAIN: drained already */
			}
		}
		while (!quit && (key = vt_term_getkey()) != VT_KEY_NONE) {
			redraw = true;
			quit = vt_ui_key(ui, key) == VT_UI_QUIT;
		}
	}
	/* the terminal first: a model thread slow to stop must not keep it */
	vt_term_close();
	vt_model_stop(m);
	vt_canvas_free(&c);
	return report_missing(m) ? CX_EXIT_PARTIAL : CX_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct vt_model_opts mo = { .budget = 0.10 };
	struct vt_ui_opts uo = { 0 };
	struct vt_model *m;
	struct vt_ui *ui;
	const char *nc = getenv("NO_COLOR");
	bool utf8, color;
	char *why;
	int status;

	/* first of all: it refuses to run setuid (AT_SECURE), before any environment is used */
	cx_init("vmtop");
	parse_options(argc, argv);
	utf8 = cx_utf8();
	color = !ctl.no_color && !(nc && *nc);

	/* nothing is written to the terminal before it has passed the checks */
	if (!ctl.batch && vt_term_check(&why) < 0) {
		cx_warn("%s", why);
		free(why);
		return CX_EXIT_USAGE;
	}
	if (ctl.batch) {
		struct sigaction sa = { .sa_handler = on_batch_stop, .sa_flags = SA_RESTART };

		/* the frame being taken is finished and printed, then vmtop ends */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}

	mo.delay = ctl.delay;
	mo.roots = ctl.roots;
	mo.nroots = ctl.nroots;
	mo.pids = ctl.pids;
	mo.npids = ctl.npids;
	m = vt_model_new(&mo);
	if (!m)
		return CX_EXIT_FAILURE;
	if (!ctl.batch && ctl.count_set)
		vt_model_set_limit(m, ctl.count);

	uo.query.sort = ctl.sort;
	uo.query.reverse = ctl.reverse;
	uo.query.tree = ctl.tree;
	uo.query.have_uid = ctl.have_uid;
	uo.query.uid = ctl.uid;
	uo.query.user = ctl.user;
	uo.query.pids = ctl.pids;
	uo.query.npids = ctl.npids;
	memcpy(uo.cols, ctl.cols, sizeof(uo.cols));
	uo.batch = ctl.batch;
	uo.utf8 = utf8;
	ui = vt_ui_new(m, &uo);
	if (!ui)
		cx_oom();

	if (ctl.batch)
		status = run_batch(m, ui, utf8);
	else
		status = run_interactive(m, ui, utf8, color);

	vt_ui_free(ui);
	vt_model_free(m);
	free(ctl.pids);
	free(ctl.roots);
	if (cx_close_stdout())
		status = CX_EXIT_FAILURE;
	return status;
}
