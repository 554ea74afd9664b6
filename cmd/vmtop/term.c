// SPDX-License-Identifier: GPL-2.0-or-later
/* vmtop: the terminal back-end: curses, keys, signals, the terminal given back on every way out. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>
#include <term.h>
/* term.h names every capability as a macro; these would hit our own names */
#undef lines
#undef columns

#include "common/common.h"
#include "term.h"
#include "vmtop.h"

/* Far beyond any real terminal; keeps a bogus size from costing gigabytes. */
#define VT_TERM_MAX 2000

static struct {
	bool checked, open;
	/* the modes before vmtop, for every way out (the same terminal, usually) */
	struct termios tio_in, tio_out;
	bool have_tio_in, have_tio_out;
	/* sgr0, cnorm, rmkx, rmcup of the terminal, padding taken out: for a crash */
	char restore[256];
	size_t nrestore;
	SCREEN *scr;
	int pipe[2];
	attr_t attrs[VT_A__N];
	short pairs[VT_A__N];
	bool clear_next; /* repaint the whole screen at the next draw */
	bool catch_tstp;
} t = { .pipe = { -1, -1 } };

/* What the signal handlers tell the main loop. */
static volatile sig_atomic_t term_active, quit_sig, got_winch, got_tstp, got_cont;

static const int quit_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
static const int event_signals[] = { SIGWINCH, SIGTSTP, SIGCONT };

/* The dispositions before vt_term_open(), put back by vt_term_close(). */
static struct sigaction old_quit[4], old_crash[5], old_event[3];

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the checks: before anything is written ---- */

/* Append capability @name to the crash restore string, without its padding ($<5>). */
static void cache_cap(const char *name)
{
	const char *s = tigetstr(name);

	if (!s || s == (char *)-1)
		return;
	while (*s && t.nrestore < sizeof(t.restore) - 1) {
		if (s[0] == '$' && s[1] == '<' && strchr(s, '>')) {
			s = strchr(s, '>') + 1;
			continue;
		}
		t.restore[t.nrestore++] = *s++;
	}
}

static char *bad_term(const char *term, const char *more)
{
	char *safe = cx_sanitize(term, strlen(term), false);
	char *why = cx_xasprintf("cannot use terminal type '%s'%s; use --batch", safe ? safe : "?",
				 more);

	free(safe);
	return why;
}

/*
 * May curses load terminal descriptions from @path?  Only from a directory that
 * we (the euid) or root own and nobody else may write, below directories of
 * ours or root's that others may write only if sticky (/tmp): a description is
 * read like a configuration, and a malformed one has corrupted curses' memory
 * before (CVE-2023-29491).  A path that does not exist yet is judged by the
 * directory it would be created in; one we cannot see is harmless, curses
 * cannot read it either.
 */
static bool trusted_dir(const char *path)
{
	char *p, *real, *slash;
	bool ok = true;
	struct stat st;

	/* relative: a path in whatever directory vmtop was started in (hazard I3) */
	if (path[0] != '/')
		return false;
	p = cx_xstrdup(path);
	while (!(real = realpath(p, NULL))) {
		if (errno != ENOENT || !(slash = strrchr(p, '/'))) {
			free(p);
			return true;
		}
		slash[slash == p] = '\0';
	}
	free(p);
	for (bool leaf = true; ok; leaf = false) {
		if (stat(real, &st) < 0)
			break;
		ok = (st.st_uid == geteuid() || st.st_uid == 0) &&
		     (!(st.st_mode & (S_IWGRP | S_IWOTH)) || (!leaf && (st.st_mode & S_ISVTX)));
		slash = strrchr(real, '/');
		if (!slash || !real[1])
			break;
		slash[slash == real] = '\0';
	}
	free(real);
	return ok;
}

/* Keep curses away from $TERMINFO, $TERMINFO_DIRS and ~/.terminfo we cannot trust (hazard B5). */
static void distrust_terminfo(void)
{
	const char *ti = getenv("TERMINFO"), *dirs = getenv("TERMINFO_DIRS");
	const char *home = getenv("HOME");

	if (ti && *ti && !trusted_dir(ti)) {
		cx_warn("not using TERMINFO: others may write it, or it is not yours");
		unsetenv("TERMINFO");
	}
	if (dirs && *dirs) {
		char *copy = cx_xstrdup(dirs), *save = NULL;
		bool ok = true;

		for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
			ok = ok && trusted_dir(d);
		free(copy);
		if (!ok) {
			cx_warn("not using TERMINFO_DIRS: others may write a directory in it, "
				"or it is not yours");
			unsetenv("TERMINFO_DIRS");
		}
	}
	if (home && *home) {
		char *mine = cx_xasprintf("%s/.terminfo", home);

		/* vmtop uses HOME for nothing else: without it curses skips ~/.terminfo */
		if (!trusted_dir(mine)) {
			cx_warn("not using ~/.terminfo: others may write it, or it is not yours");
			unsetenv("HOME");
		}
		free(mine);
	}
}

int vt_term_check(char **why)
{
	const char *term = getenv("TERM");
	const char *cup;
	int err;

	*why = NULL;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		*why = cx_xstrdup("interactive mode needs a terminal; use --batch");
		return -1;
	}
	if (!term || !*term) {
		*why = bad_term("", " (TERM is not set)");
		return -1;
	}
	distrust_terminfo();
	/* the size from the terminal itself, never from LINES or COLUMNS (hazard B4) */
	use_env(FALSE);
	use_tioctl(TRUE);
	/*
	 * Load the description only (setupterm writes nothing), to refuse a
	 * terminal curses cannot drive before newterm() sends it anything.
	 */
	if (setupterm(term, STDOUT_FILENO, &err) != OK) {
		*why = bad_term(term, "");
		return -1;
	}
	cup = tigetstr("cup");
	if (!cup || cup == (char *)-1) {
		del_curterm(cur_term);
		*why = bad_term(term, " (it has no cursor addressing)");
		return -1;
	}
	t.nrestore = 0;
	cache_cap("sgr0");
	cache_cap("cnorm");
	cache_cap("rmkx");
	cache_cap("rmcup");
	del_curterm(cur_term);
	t.have_tio_in = tcgetattr(STDIN_FILENO, &t.tio_in) == 0;
	t.have_tio_out = tcgetattr(STDOUT_FILENO, &t.tio_out) == 0;
	t.checked = true;
	return 0;
}

/* ---- signals ---- */

static void poke(void)
{
	int saved = errno;
	char c = 0;

	if (t.pipe[1] >= 0 && write(t.pipe[1], &c, 1) < 0) {
		/* full: a wake-up is pending anyway */
	}
	errno = saved;
}

/* The terminal as it was, from a signal handler: async-signal-safe calls only. */
static void emergency_restore(void)
{
	if (!term_active)
		return;
	term_active = 0;
	if (t.have_tio_out)
		tcsetattr(STDOUT_FILENO, TCSANOW, &t.tio_out);
	if (t.have_tio_in)
		tcsetattr(STDIN_FILENO, TCSANOW, &t.tio_in);
	if (t.nrestore && write(STDOUT_FILENO, t.restore, t.nrestore) < 0) {
		/* nothing more can be done from here */
	}
}

/* Die of @sig now, from a handler: the terminal back, archives removed, default action. */
static void die_in_handler(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	emergency_restore();
	vms_snapshot_cleanup_signal_safe();
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	/* blocked while we are here: delivered, with its default action, on return */
	raise(sig);
}

static void on_quit(int sig)
{
	/* a second one: the main loop did not get to it (stuck?); go at once */
	if (quit_sig) {
		die_in_handler(sig);
		return;
	}
	quit_sig = sig;
	poke();
}

static void on_crash(int sig)
{
	die_in_handler(sig);
}

static void on_event(int sig)
{
	if (sig == SIGWINCH)
		got_winch = 1;
	else if (sig == SIGTSTP)
		got_tstp = 1;
	else
		got_cont = 1;
	poke();
}

static void catch_signals(void)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { .sa_handler = on_quit };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_LEN(quit_signals); i++)
		sigaddset(&sa.sa_mask, quit_signals[i]);
	for (size_t i = 0; i < ARRAY_LEN(quit_signals); i++)
		sigaction(quit_signals[i], &sa, &old_quit[i]);

	/* a stack overflow must still be able to give the terminal back */
	sigaltstack(&ss, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_LEN(quit_signals); i++)
		sigaddset(&sa.sa_mask, quit_signals[i]);
	for (size_t i = 0; i < ARRAY_LEN(crash_signals); i++)
		sigaction(crash_signals[i], &sa, &old_crash[i]);

	sa.sa_handler = on_event;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_LEN(event_signals); i++) {
		sigaction(event_signals[i], NULL, &old_event[i]);
		/* a shell without job control ignores SIGTSTP for us: leave it so */
		if (event_signals[i] == SIGTSTP) {
			t.catch_tstp = old_event[i].sa_handler != SIG_IGN;
			if (!t.catch_tstp)
				continue;
		}
		sigaction(event_signals[i], &sa, NULL);
	}
}

static void release_signals(void)
{
	for (size_t i = 0; i < ARRAY_LEN(event_signals); i++)
		sigaction(event_signals[i], &old_event[i], NULL);
	for (size_t i = 0; i < ARRAY_LEN(crash_signals); i++)
		sigaction(crash_signals[i], &old_crash[i], NULL);
	for (size_t i = 0; i < ARRAY_LEN(quit_signals); i++)
		sigaction(quit_signals[i], &old_quit[i], NULL);
}

/* ---- colours ---- */

/* How each vt_attr looks: with colours (fg, bg, extra attributes), and without. */
static const struct {
	short fg, bg; /* -1: the terminal's default */
	attr_t color_attr;
	attr_t mono;
} looks[VT_A__N] = {
	[VT_A_NORMAL] = { -1, -1, A_NORMAL, A_NORMAL },
	[VT_A_TITLE] = { -1, -1, A_BOLD, A_BOLD },
	[VT_A_LABEL] = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
	[VT_A_COLHEAD] = { COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_REVERSE },
	[VT_A_SORTCOL] = { COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD | A_UNDERLINE },
	[VT_A_SELECTED] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[VT_A_HOT] = { COLOR_RED, -1, A_BOLD, A_BOLD },
	[VT_A_DIM] = { -1, -1, A_DIM, A_DIM },
	[VT_A_ERROR] = { COLOR_RED, -1, A_NORMAL, A_BOLD | A_UNDERLINE },
	[VT_A_STATUS] = { COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_REVERSE },
	[VT_A_BAR_USED] = { COLOR_GREEN, -1, A_NORMAL, A_BOLD },
	[VT_A_BAR_CACHE] = { COLOR_YELLOW, -1, A_NORMAL, A_DIM },
	[VT_A_BAR_SWAP] = { COLOR_RED, -1, A_NORMAL, A_BOLD },
	[VT_A_BAR_COMPR] = { COLOR_MAGENTA, -1, A_NORMAL, A_UNDERLINE },
	[VT_A_SPARK] = { COLOR_CYAN, -1, A_NORMAL, A_NORMAL },
	[VT_A_PM_PRESENT] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[VT_A_PM_FILE] = { COLOR_BLUE, -1, A_BOLD, A_NORMAL },
	[VT_A_PM_THP] = { COLOR_MAGENTA, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[VT_A_PM_SWAPPED] = { COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE },
	[VT_A_PM_GUARD] = { COLOR_YELLOW, -1, A_NORMAL, A_UNDERLINE },
	[VT_A_PM_NONE] = { -1, -1, A_DIM, A_DIM },
	[VT_A_PM_ZERO] = { COLOR_CYAN, -1, A_NORMAL, A_DIM | A_UNDERLINE },
	[VT_A_PM_UNKNOWN] = { COLOR_RED, -1, A_DIM, A_NORMAL },
	[VT_A_PM_CURSOR] = { COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE | A_BOLD | A_UNDERLINE },
};

static void setup_looks(bool color)
{
	short def_fg = -1, def_bg = -1;

	for (int i = 0; i < VT_A__N; i++) {
		t.attrs[i] = looks[i].mono;
		t.pairs[i] = 0;
	}
	if (!color || !has_colors() || start_color() != OK || COLORS < 8 || COLOR_PAIRS < VT_A__N)
		return;
	if (use_default_colors() != OK) {
		def_fg = COLOR_WHITE;
		def_bg = COLOR_BLACK;
	}
	for (int i = 1; i < VT_A__N; i++) {
		short fg = looks[i].fg < 0 ? def_fg : looks[i].fg;
		short bg = looks[i].bg < 0 ? def_bg : looks[i].bg;

		/* the dim ones in grey where there is one (bright black) */
		if ((i == VT_A_DIM || i == VT_A_PM_NONE) && COLORS >= 16)
			fg = 8;
		if (init_pair((short)i, fg, bg) != OK)
			continue;
		t.pairs[i] = (short)i;
		t.attrs[i] = looks[i].color_attr;
	}
}

/* ---- the terminal ---- */

static void term_atexit(void)
{
	/* an exit() on the way (out of memory): the shell gets its terminal back */
	vt_term_close();
}

int vt_term_open(bool color, char **why)
{
	static bool atexit_done;
	const char *term = getenv("TERM");

	*why = NULL;
	if (!t.checked && vt_term_check(why) < 0)
		return -1;
	if (t.pipe[0] < 0 && pipe2(t.pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		*why = cx_xasprintf("cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	/* ours first: curses then leaves SIGINT, SIGTSTP, SIGWINCH ... alone */
	catch_signals();
	t.scr = newterm(NULL, stdout, stdin);
	if (!t.scr) {
		release_signals();
		*why = bad_term(term ? term : "", "");
		return -1;
	}
	set_term(t.scr);
	t.open = true;
	term_active = 1;
	if (!atexit_done) {
		atexit(term_atexit);
		atexit_done = true;
	}
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	meta(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	leaveok(stdscr, TRUE);
	/* Esc alone (back) apart from the start of a key's sequence, quickly */
	set_escdelay(25);
	curs_set(0);
	setup_looks(color);
	t.clear_next = true;
	return 0;
}

void vt_term_close(void)
{
	if (!t.open)
		return;
	t.open = false;
	/* endwin shows the cursor again, resets attributes, leaves the alternate screen */
	endwin();
	term_active = 0;
	delscreen(t.scr);
	t.scr = NULL;
	/* exactly the modes from before, whatever curses thought they were */
	if (t.have_tio_out)
		tcsetattr(STDOUT_FILENO, TCSADRAIN, &t.tio_out);
	if (t.have_tio_in)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &t.tio_in);
	release_signals();
}

void vt_term_size(int *rows, int *cols)
{
	struct winsize ws;
	int r, c;

	*rows = *cols = 0;
	if (!t.open)
		return;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		r = ws.ws_row;
		c = ws.ws_col;
	} else {
		r = LINES;
		c = COLS;
	}
	if (r <= 0 || c <= 0)
		return; /* nothing can be shown; curses keeps its last size */
	if (r > VT_TERM_MAX)
		r = VT_TERM_MAX;
	if (c > VT_TERM_MAX)
		c = VT_TERM_MAX;
	if ((r != LINES || c != COLS) && resizeterm(r, c) == OK)
		t.clear_next = true;
	*rows = LINES > 0 ? LINES : 0;
	*cols = COLS > 0 ? COLS : 0;
}

/* Put one cell at (@y, @x); returns the columns it took (a wide character: 2). */
static int draw_cell(int y, int x, int ncols, const struct vt_cell *cell)
{
	wchar_t wc[2] = { (wchar_t)cell->cp, L'\0' };
	int a = cell->attr < VT_A__N ? cell->attr : VT_A_NORMAL;
	int w = 1;
	cchar_t cc;

	/* the canvas holds printable characters only; this keeps it so */
	if (cell->cp == 0) {
		wc[0] = L' '; /* half of a wide character, alone */
	} else if (cell->cp < 0x20 || (cell->cp >= 0x7f && cell->cp < 0xa0) ||
		   cell->cp > 0x10ffff) {
		wc[0] = L'?';
	} else if (cell->cp >= 0x80) {
		w = wcwidth(wc[0]);
		if (w < 1 || w > 2) {
			wc[0] = L'?';
			w = 1;
		} else if (w == 2 && x + 1 >= ncols) {
			wc[0] = L' ';
			w = 1;
		}
	}
	if (setcchar(&cc, wc, t.attrs[a], t.pairs[a], NULL) == OK)
		mvwadd_wch(stdscr, y, x, &cc);
	return w;
}

void vt_term_draw(const struct vt_canvas *c)
{
	int nrows, ncols;

	if (!t.open || LINES <= 0 || COLS <= 0)
		return;
	nrows = c->h > 0 && c->h < LINES ? c->h : LINES;
	ncols = c->w > 0 && c->w < COLS ? c->w : COLS;
	if (t.clear_next) {
		clearok(curscr, TRUE);
		t.clear_next = false;
	}
	werase(stdscr);
	for (int y = 0; y < nrows && y < c->nlines; y++) {
		const struct vt_line *l = &c->lines[y];
		int n = l->len < ncols ? l->len : ncols;

		for (int x = 0; x < n;)
			x += draw_cell(y, x, ncols, &l->cells[x]);
	}
	wnoutrefresh(stdscr);
	doupdate();
}

void vt_term_blank(void)
{
	if (!t.open)
		return;
	werase(stdscr);
	wnoutrefresh(stdscr);
	doupdate();
}

int vt_term_wait(int wake_fd, int timeout_ms)
{
	struct pollfd p[3] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = t.pipe[0], .events = POLLIN },
		{ .fd = wake_fd, .events = POLLIN },
	};
	int ret = 0;

	if (quit_sig || got_winch || got_tstp || got_cont)
		return VT_TERM_INPUT;
	if (poll(p, wake_fd >= 0 ? 3 : 2, timeout_ms) < 0)
		return errno == EINTR ? VT_TERM_INPUT : 0;
	if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL))
		ret |= VT_TERM_HANGUP;
	if (p[0].revents & POLLIN)
		ret |= VT_TERM_INPUT;
	if (p[1].revents & POLLIN) {
		char buf[64];

		while (read(t.pipe[0], buf, sizeof(buf)) > 0)
			;
		ret |= VT_TERM_INPUT;
	}
	if (wake_fd >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)))
		ret |= VT_TERM_WAKE;
	return ret;
}

int vt_term_quit_signal(void)
{
	return quit_sig;
}

/* Ctrl-Z: the shell gets its terminal back while we are stopped; a full redraw after. */
static void suspend(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, mine;
	sigset_t set;

	got_tstp = 0;
	endwin();
	term_active = 0;
	if (t.have_tio_out)
		tcsetattr(STDOUT_FILENO, TCSADRAIN, &t.tio_out);
	if (t.have_tio_in)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &t.tio_in);
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGTSTP, &dfl, &mine);
	sigemptyset(&set);
	sigaddset(&set, SIGTSTP);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(SIGTSTP);
	/* here again after SIGCONT; the next draw puts curses' modes back */
	sigaction(SIGTSTP, &mine, NULL);
	term_active = 1;
	got_cont = 0;
	t.clear_next = true;
}

static int function_key(wint_t k)
{
	if (k >= (wint_t)KEY_F(1) && k <= (wint_t)KEY_F(12))
		return VT_KEY_F1 + (int)(k - (wint_t)KEY_F(1));
	switch (k) {
	case KEY_UP:
		return VT_KEY_UP;
	case KEY_DOWN:
		return VT_KEY_DOWN;
	case KEY_LEFT:
		return VT_KEY_LEFT;
	case KEY_RIGHT:
		return VT_KEY_RIGHT;
	case KEY_PPAGE:
	case KEY_A3:
		return VT_KEY_PGUP;
	case KEY_NPAGE:
	case KEY_C3:
		return VT_KEY_PGDN;
	case KEY_HOME:
	case KEY_A1:
	case KEY_FIND:
		return VT_KEY_HOME;
	case KEY_END:
	case KEY_C1:
	case KEY_SELECT:
		return VT_KEY_END;
	case KEY_ENTER:
		return VT_KEY_ENTER;
	case KEY_BACKSPACE:
		return VT_KEY_BACKSPACE;
	case KEY_DC:
		return VT_KEY_DELETE;
	case KEY_RESIZE:
		return VT_KEY_RESIZE;
	default:
		return VT_KEY_NONE; /* mouse reports, unknown keys: ignored */
	}
}

static int char_key(wint_t c)
{
	switch (c) {
	case 27:
		return VT_KEY_ESC;
	case 8:
	case 127:
		return VT_KEY_BACKSPACE;
	case '\r':
	case '\n':
		return VT_KEY_ENTER;
	case 12: /* Ctrl-L */
		t.clear_next = true;
		return VT_KEY_REDRAW;
	case 3: /* Ctrl-C, should it ever come as a key */
	case '\t':
		return (int)c;
	default:
		break;
	}
	/* other controls, C1, surrogates: nothing the screens could use */
	if (c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return VT_KEY_NONE;
	return (int)c;
}

int vt_term_getkey(void)
{
	if (!t.open)
		return VT_KEY_NONE;
	if (got_tstp) {
		suspend();
		return VT_KEY_RESIZE;
	}
	if (got_cont) {
		/* continued after a stop we did not see (SIGSTOP): the screen may be anything */
		got_cont = 0;
		t.clear_next = true;
		return VT_KEY_RESIZE;
	}
	if (got_winch) {
		got_winch = 0;
		return VT_KEY_RESIZE;
	}
	for (;;) {
		wint_t k;
		int r = wget_wch(stdscr, &k), key;

		if (r == ERR)
			return VT_KEY_NONE;
		key = r == KEY_CODE_YES ? function_key(k) : char_key(k);
		if (key != VT_KEY_NONE)
			return key;
	}
}

void vt_term_die(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t set;

	vt_term_close();
	vms_snapshot_cleanup_signal_safe();
	fflush(stdout);
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* a signal whose default is not to end (it cannot be one of ours) */
	_exit(128 + sig);
}
