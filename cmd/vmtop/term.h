/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vmtop: the terminal back-end (term.c), the only code that calls curses. */
#ifndef VMSCOPE_VMTOP_TERM_H
#define VMSCOPE_VMTOP_TERM_H

#include <stdbool.h>

#include "vmtop.h"

/*
 * Can the interactive mode run here?  stdin and stdout must be terminals and
 * TERM a terminal type with cursor addressing.  Writes nothing to the
 * terminal; saves its modes for every way out.  0, or -1 with *@why (malloc'd)
 * saying why, for "vmtop: WHY" and exit status 2.
 */
int vt_term_check(char **why);

/*
 * Take the terminal (newterm, never initscr): full screen, keys one at a time,
 * cursor hidden, colours unless @color is false or the terminal has none.
 * Handles the signals from now on: SIGINT, SIGTERM, SIGHUP, SIGQUIT (see
 * vt_term_quit_signal), SIGTSTP/SIGCONT (suspend, redraw), SIGWINCH
 * (VT_KEY_RESIZE), and SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, which
 * restore the terminal with async-signal-safe calls and kill the process
 * with the same signal.  0, or -1 with *@why.
 */
int vt_term_open(bool color, char **why);
/* Give the terminal back as it was before vt_term_check(); again: nothing. */
void vt_term_close(void);

/* The terminal's size now (0x0 is possible: then draw nothing). */
void vt_term_size(int *rows, int *cols);
/* Show @c (drawn at the size vt_term_size() gave); clipped to the terminal. */
void vt_term_draw(const struct vt_canvas *c);
/* Clear the screen (a terminal too small to show anything). */
void vt_term_blank(void);

/* What vt_term_wait() saw. */
enum {
	VT_TERM_INPUT = 1 << 0, /* keys (or signal events): call vt_term_getkey() */
	VT_TERM_WAKE = 1 << 1, /* @wake_fd is readable */
	VT_TERM_HANGUP = 1 << 2, /* the terminal is gone */
};
/* Wait for keys, a signal or @wake_fd (-1: none), at most @timeout_ms. */
int vt_term_wait(int wake_fd, int timeout_ms);
/*
 * The next key, without waiting: a code point or a VT_KEY_*; VT_KEY_NONE
 * when there is none.  A resize, or a return from a suspension, comes as
 * VT_KEY_RESIZE (the screen is then repainted whole at the next draw).
 */
int vt_term_getkey(void);
/* A signal asking vmtop to end (SIGINT, SIGTERM, SIGHUP, SIGQUIT) came: its number, or 0. */
int vt_term_quit_signal(void);
/*
 * End as signal @sig would have: the terminal given back, unpacked snapshots
 * removed, then the default action of @sig (exit status 128 + @sig).
 */
_Noreturn void vt_term_die(int sig);

#endif
