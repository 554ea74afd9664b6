// SPDX-License-Identifier: GPL-2.0-or-later
/* vmtop: the help screen — every key, every column, what the colours and page-map characters mean. */

#include <stdlib.h>
#include <string.h>

#include "ui.h"

#define KEY_W 24

struct help_out {
	struct vt_canvas *c;
	int y, h, top, n;
};

/* One line: @left in @attr from column 2 (a sample of the look it explains), then @right,
 * wrapped at spaces onto more lines when the screen is narrow. */
static void line(struct help_out *o, int attr, const char *left, const char *right)
{
	int w = o->c->w > 0 ? o->c->w : 0, x;
	bool first = true;

	do {
		int row = o->n++ - o->top, rx;
		size_t take;

		x = 2;
		if (first && row >= 0 && (o->h <= 0 || row < o->h))
			x += vt_canvas_put(o->c, o->y + row, 2, attr, left);
		else if (first)
			x += vt_text_width(left, o->c->utf8);
		rx = x < KEY_W ? KEY_W : x + 1;
		first = false;
		if (!right)
			return;
		take = strlen(right);
		if (w > rx + 10 && vt_text_width(right, o->c->utf8) > w - rx) {
			size_t fit = ui_fit(right, w - rx, o->c->utf8), cut = fit;

			while (cut > 0 && right[cut] != ' ')
				cut--;
			take = cut ? cut : fit;
		}
		if (row >= 0 && (o->h <= 0 || row < o->h)) {
			char *part = strndup(right, take);

			if (part)
				vt_canvas_put(o->c, o->y + row, rx, VT_A_NORMAL, part);
			free(part);
		}
		right += take;
		while (*right == ' ')
			right++;
	} while (*right);
}

static void heading(struct help_out *o, const char *text)
{
	int row = o->n++ - o->top;

	if (row >= 0 && (o->h <= 0 || row < o->h))
		vt_canvas_put(o->c, o->y + row, 0, VT_A_TITLE, text);
}

static void blank(struct help_out *o)
{
	o->n++;
}

static const struct {
	const char *keys, *what;
} keys[] = {
	{ "q, F10, Ctrl-C", "quit (from any screen)" },
	{ "h, ?, F1", "this help" },
	{ "Esc, Backspace, Left", "back (from the detail, the page map, the help)" },
	{ "Up/Down, j/k", "move the selection (in the help: scroll)" },
	{ "PgUp/PgDn", "a screen up or down" },
	{ "Home/End, g/G", "the first or the last" },
	{ "Enter", "the selected process in detail; in the detail: its page map" },
	{ "m", "the page map (of the process or the mapping selected)" },
	{ "< >", "sort by the previous or next column" },
	{ "M P U S", "sort by rss, pss, uss, swap" },
	{ "F J N", "sort by minflt/s, majflt/s, pid" },
	{ "I, R", "reverse the sort" },
	{ "/",
	  "filter by command text (case-insensitive; Enter applies, Esc cancels, empty clears)" },
	{ "u", "filter by user: a name or a uid (empty clears)" },
	{ "\\", "clear both filters" },
	{ "t", "tree view on or off" },
	{ "K", "kernel threads shown or hidden (hidden at start, as in htop)" },
	{ "c", "choose the columns (Up/Down, Space toggles, Enter or Esc: done)" },
	{ "Space, Z", "pause or resume the updates (the header says PAUSED)" },
	{ "Ctrl-L", "redraw the screen" },
};

static const struct {
	const char *keys, *what;
} pmap_keys[] = {
	{ "arrows, h j k l", "move the cursor from cell to cell" },
	{ "+ -", "zoom in or out: pages per cell 1, 2, 4 ... up to whole mappings" },
	{ "PgUp/PgDn", "a screen up or down" },
	{ "Home/End, g/G", "the first or the last cell" },
};

static void help_lines(struct vt_ui *ui, struct help_out *o)
{
	char buf[256];
	const char *pend = o->c->utf8 ? "\u2026" : "-";

	heading(o, "vmtop: processes by memory and fault rate");
	blank(o);
	heading(o, "Keys");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		line(o, VT_A_LABEL, keys[i].keys, keys[i].what);
	heading(o, "Keys of the page map");
	for (size_t i = 0; i < sizeof(pmap_keys) / sizeof(pmap_keys[0]); i++)
		line(o, VT_A_LABEL, pmap_keys[i].keys, pmap_keys[i].what);
	blank(o);
	heading(o, "Columns (-o and --sort names)");
	for (int i = 0; i < VT_COL__N; i++) {
		snprintf(buf, sizeof(buf), "%-9s %s", vt_cols[i].header,
			 vt_cols[i].help ? vt_cols[i].help : "");
		line(o, VT_A_LABEL, vt_cols[i].name, buf);
	}
	blank(o);
	heading(o, "Colours and marks");
	line(o, VT_A_SELECTED, " selected ", "the selection bar");
	line(o, VT_A_HOT, " hot ", "a process whose fault rate jumped at this refresh");
	line(o, VT_A_DIM, " dim ",
	     "a kernel thread, or a PSS/USS/SWAP figure older than two refreshes");
	line(o, VT_A_SORTCOL, " sort ",
	     o->c->utf8 ?
		     "the sort column: \u25bc largest (or Z) first, \u25b2 smallest (or A) first" :
		     "the sort column (marked *)");
	line(o, VT_A_DIM, pend,
	     "a figure not read yet (PSS, USS and SWAP of the rows on screen are read a few at a time)");
	line(o, VT_A_ERROR, "?",
	     "a figure denied: reading it needs the same user or CAP_SYS_PTRACE");
	line(o, VT_A_BAR_USED, "Mem used", "memory in use (not buffers or cache)");
	line(o, VT_A_BAR_CACHE, "buff/cache",
	     "buffers and page cache (swap cache on the Swap bar)");
	line(o, VT_A_BAR_SWAP, "Swap used", "swap in use");
	line(o, VT_A_BAR_COMPR, "zswap/zram", "compressed swap: its size and what it holds");
	line(o, VT_A_SPARK, o->c->utf8 ? "\u2581\u2582\u2583\u2585\u2587\u2588" : " .:-=+*#",
	     "the history of a rate, newest at right, scaled to the largest shown");
	blank(o);
	heading(o, "Page map: one character per cell (a run of pages), the first that applies");
	line(o, VT_A_PM_GUARD, "G", "guard region: an access raises SIGSEGV");
	line(o, VT_A_PM_SWAPPED, "S", "swapped out");
	line(o, VT_A_PM_THP, "H", "mapped by a huge page (transparent huge page or hugetlb)");
	line(o, VT_A_PM_ZERO, "z", "the shared zero page (read, never written)");
	line(o, VT_A_PM_PRESENT, "#", "present in RAM, anonymous");
	line(o, VT_A_PM_FILE, "f", "present in RAM, file-backed (or shared anonymous)");
	line(o, VT_A_PM_UNKNOWN, "?", "unknown: the process exited during the walk");
	line(o, VT_A_PM_NONE, ".", "not present: never touched, or dropped");
	line(o, VT_A_PM_CURSOR, " ", "the cursor: its page is explained beside or below the map");
	line(o, VT_A_NORMAL, "",
	     "A property the walk cannot tell on this machine (huge pages without");
	line(o, VT_A_NORMAL, "", "PAGEMAP_SCAN or kpageflags, the zero page) is shown as unknown.");
	(void)ui;
}

static void help_draw(struct vt_ui *ui, struct vt_canvas *c, int y, int h)
{
	struct help_out o = { c, y, h, 0, 0 };

	/* count first, so that the scroll stops at the last line */
	o.h = -1;
	o.top = 1 << 30;
	help_lines(ui, &o);
	ui->help_n = o.n;
	ui->help_h = h;
	if (ui->help_top > ui->help_n - h)
		ui->help_top = ui->help_n - h;
	if (ui->help_top < 0)
		ui->help_top = 0;
	o.n = 0;
	o.h = h;
	o.top = ui->help_top;
	help_lines(ui, &o);
}

static int help_status(struct vt_ui *ui, struct vt_canvas *c, int y)
{
	int last = ui->help_top + ui->help_h;

	if (last > ui->help_n)
		last = ui->help_n;
	return vt_canvas_printf(c, y, 0, VT_A_STATUS, "help: lines %d-%d of %d", ui->help_top + 1,
				last, ui->help_n);
}

static int help_key(struct vt_ui *ui, int key)
{
	int page = ui->help_h > 1 ? ui->help_h - 1 : 1;

	switch (key) {
	case VT_KEY_UP:
	case 'k':
		ui->help_top--;
		break;
	case VT_KEY_DOWN:
	case 'j':
		ui->help_top++;
		break;
	case VT_KEY_PGUP:
		ui->help_top -= page;
		break;
	case VT_KEY_PGDN:
		ui->help_top += page;
		break;
	case VT_KEY_HOME:
	case 'g':
		ui->help_top = 0;
		break;
	case VT_KEY_END:
	case 'G':
		ui->help_top = ui->help_n;
		break;
	case 'h':
	case '?':
	case VT_KEY_F1:
		ui_pop(ui);
		break;
	default:
		return UI_KEY_IGNORED;
	}
	/* the draw clamps the far end; the near end here */
	if (ui->help_top < 0)
		ui->help_top = 0;
	return UI_KEY_DONE;
}

static void help_enter(struct vt_ui *ui)
{
	ui->help_top = 0;
}

const struct ui_screen ui_help_screen = {
	.name = "help",
	.enter = help_enter,
	.draw = help_draw,
	.status = help_status,
	.key = help_key,
	.hint = "Esc back",
};
