/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vmtop: what its screens (ui*.c) share — the view's state, the screen table, drawing helpers. */
#ifndef VMSCOPE_VMTOP_UI_H
#define VMSCOPE_VMTOP_UI_H

#include "vmtop.h"

/* Below this, "terminal too small" (the header, a column header, a row, the status line). */
#define UI_MIN_W 20
#define UI_MIN_H 6
/* Rows the body keeps when the header must shrink (column header, one row, one more). */
#define UI_MIN_BODY 3
/* Width of the header's bars in batch mode when the frame has no width. */
#define UI_BATCH_HEADER_W 80

enum { UI_KEY_IGNORED = 0, UI_KEY_DONE = 1, UI_KEY_QUIT = 2 };

struct vt_ui;

/*
 * One screen, after htop's Panel: what it draws below the header and the keys
 * it takes before the global ones (q, help, pause, back).
 */
struct ui_screen {
	const char *name;
	/* Pushed on the stack / popped off it (the model's requests follow). */
	void (*enter)(struct vt_ui *ui);
	void (*leave)(struct vt_ui *ui);
	/* Draw the body on rows [@y, @y + @h); @h 0: no limit (batch). */
	void (*draw)(struct vt_ui *ui, struct vt_canvas *c, int y, int h);
	/* Draw the left part of the status line at row @y; returns the columns used. */
	int (*status)(struct vt_ui *ui, struct vt_canvas *c, int y);
	int (*key)(struct vt_ui *ui, int key);
	const char *hint; /* right end of the status line, ASCII */
};

extern const struct ui_screen ui_list_screen;
extern const struct ui_screen ui_columns_screen;
extern const struct ui_screen ui_help_screen;
extern const struct ui_screen ui_detail_screen;
extern const struct ui_screen ui_pmap_screen;

enum ui_prompt { UI_PROMPT_NONE, UI_PROMPT_FILTER, UI_PROMPT_USER };

#define UI_STACK 8
#define UI_PROMPT_MAX 256

struct vt_ui {
	struct vt_model *m;
	bool batch, utf8;
	bool cols[VT_COL__N];
	struct vt_sys sys; /* of the frame being drawn */

	const struct ui_screen *stack[UI_STACK];
	int depth;
	bool paused;

	/* the list's query; filter, user name and pids owned here */
	struct vt_query q;
	char *filter;
	char *user; /* as typed (or given), for the status line */
	pid_t *pids;

	/* the prompt on the status line, and a one-shot message */
	enum ui_prompt prompt;
	char pbuf[UI_PROMPT_MAX];
	size_t plen;
	char msg[160];

	/* the list: rows of the last frame drawn, selection by PID */
	struct vt_rows rows;
	bool have_rows;
	pid_t sel_pid;
	size_t sel, top;
	int list_h; /* rows visible at the last draw */

	/* the column chooser */
	int col_cur;

	/* help */
	int help_top, help_h, help_n;

	/* detail */
	pid_t det_pid;
	uint64_t det_start; /* start time of the process chosen (0: unknown) */
	struct vt_detail *det;
	size_t det_sel, det_top;
	int det_h;

	/* page map */
	pid_t pm_pid;
	struct vt_pmap *pm;
	unsigned int pm_zoom; /* pages per cell: 1 << pm_zoom */
	bool pm_zoom_set; /* chosen by the user or fitted once */
	bool pm_have_cur;
	uint64_t pm_cur; /* the cursor: an address of a page */
	uint64_t pm_top; /* first line shown */
	int pm_gw, pm_h; /* cells per line, lines shown at the last draw */
	bool pg_asked;
	uint64_t pg_addr;
};

/* ---- ui.c: the stack, drawing helpers ---- */
void ui_push(struct vt_ui *ui, const struct ui_screen *s);
void ui_pop(struct vt_ui *ui);
/* Open the prompt on the status line (its text: the filter or user in force). */
void ui_prompt_open(struct vt_ui *ui, enum ui_prompt p);
void ui_message(struct vt_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The width of the canvas, or @unbounded when it has none. */
int ui_width(const struct vt_canvas *c, int unbounded);
/* Draw safe text @s at (@y, @x) in at most @maxw columns (< 0: no limit); a
 * longer text is cut and ends with "…" ("+" in ASCII).  Returns the columns used. */
int ui_put_clip(struct vt_canvas *c, int y, int x, int attr, const char *s, int maxw);
/* The same for bytes from /proc (escaped first). */
int ui_put_proc_clip(struct vt_canvas *c, int y, int x, int attr, const char *s, int maxw);
/* The bytes of the longest prefix of @s that takes at most @maxw columns. */
size_t ui_fit(const char *s, int maxw, bool utf8);
/* Right-aligned in [@x, @x + @w); one column more takes the blank at @x - 1. */
void ui_put_right(struct vt_canvas *c, int y, int x, int w, int attr, const char *s);
/* A sparkline of the last @n values of @v (oldest first) in [@x, @x + @w), newest at right. */
void ui_spark(struct vt_canvas *c, int y, int x, int w, const double *v, size_t n);
/* "…" when the canvas takes UTF-8, "-" otherwise: a figure not read yet. */
const char *ui_pending(const struct vt_canvas *c);
/* Human size into @buf. */
const char *ui_size(uint64_t bytes, char *buf, size_t len);
/* A rate with one decimal. */
const char *ui_rate(double v, char *buf, size_t len);
/* The reason for a -errno, in words, with the hint for permission errors. */
const char *ui_err_reason(int err);

/* ---- ui_header.c: the meters above every screen ---- */
/* Draw the header from row 0 in at most @maxh rows (0: no limit); returns the rows used. */
int ui_header_draw(struct vt_ui *ui, struct vt_canvas *c, int maxh);

/* ---- ui_list.c ---- */
/* The row of the selection in the last frame drawn, or NULL. */
const struct vt_row *ui_list_selected(struct vt_ui *ui);
/* The command of a row as the list shows it (cmdline, else [comm]), malloc'd and safe. */
char *ui_row_command(const char *cmdline, const char *comm);
/* The direction mark of the sort column (▼ largest first, ▲ smallest first). */
const char *ui_sort_mark(const struct vt_ui *ui, const struct vt_canvas *c);

/* ---- ui_pmap.c, ui_pmap_panel.c: the page map and the panel beside it ---- */
/* The states of a cell, most telling first. */
enum ui_pm_class {
	UI_PM_GUARD,
	UI_PM_SWAPPED,
	UI_PM_THP,
	UI_PM_ZERO,
	UI_PM_ANON,
	UI_PM_FILE,
	UI_PM_UNKNOWN,
	UI_PM_NONE,
	UI_PM__N
};
struct ui_pm_look {
	char ch;
	int attr;
	const char *word; /* for the legend */
};
extern const struct ui_pm_look ui_pm_looks[UI_PM__N];

/* What the pages of a cell are. */
struct ui_pm_counts {
	uint64_t pages, present, file, huge, zero, swapped, guard, unknown, none;
	unsigned int flags; /* every VMS_RUN_* flag met */
};
/* Count the pages of [@a, @b) of region @r (pages of @ps bytes) by state. */
void ui_pm_count(const struct vt_pmap *p, size_t r, uint64_t a, uint64_t b, uint64_t ps,
		 struct ui_pm_counts *ct);

/* The cursor's cell: [@a, @b) of region @r, @ppc pages of @ps bytes a cell. */
struct ui_pm_cursor {
	size_t r;
	uint64_t a, b, ppc, ps;
};
/* The facts of the cursor's page (@pg, NULL while it is read) and the legend, in the
 * box at (@y, @x) of @w x @h, in @ncols columns. */
void ui_pm_panel_draw(struct vt_ui *ui, struct vt_canvas *c, const struct vt_pmap *p,
		      const struct ui_pm_cursor *cur, const struct vt_page *pg, int y, int x, int w,
		      int h, int ncols);

#endif
