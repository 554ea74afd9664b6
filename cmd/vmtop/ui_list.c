// SPDX-License-Identifier: GPL-2.0-or-later
/* vmtop: the process list (columns, sort mark, tree, selection) and the column chooser. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ui.h"

struct layout {
	int n;
	struct {
		enum vt_col col;
		int x, w; /* w < 0: to the end of an unbounded line */
	} c[VT_COL__N];
	int end; /* columns the fixed-width fields take */
};

const char *ui_sort_mark(const struct vt_ui *ui, const struct vt_canvas *c)
{
	/* numbers sort largest first, text A-Z, PIDs smallest first (as the model does);
	 * --reverse flips either */
	enum vt_col s = ui->q.sort;
	bool desc = vt_cols[s].numeric && s != VT_COL_PID && s != VT_COL_PPID;
	bool down = desc != ui->q.reverse;

	if (!c->utf8)
		return "*";
	return down ? "\u25bc" : "\u25b2";
}

char *ui_row_command(const char *cmdline, const char *comm)
{
	char *raw, *safe;

	if (cmdline && *cmdline)
		return cx_sanitize(cmdline, strlen(cmdline), false);
	if (asprintf(&raw, "[%s]", comm ? comm : "") < 0)
		return NULL;
	safe = cx_sanitize(raw, strlen(raw), false);
	free(raw);
	return safe;
}

static bool stale(const struct vt_ui *ui, double age)
{
	return ui->sys.delay > 0 && age > 2 * ui->sys.delay;
}

/* The text of one field of @r; *@attr set when the field has its own look. */
static const char *cell_text(const struct vt_ui *ui, const struct vt_canvas *c,
			     const struct vt_row *r, enum vt_col col, char *buf, size_t len,
			     int *attr)
{
	uint64_t v = 0;

	switch (col) {
	case VT_COL_PID:
		snprintf(buf, len, "%d", (int)r->pid);
		return buf;
	case VT_COL_PPID:
		snprintf(buf, len, "%d", (int)r->ppid);
		return buf;
	case VT_COL_STATE:
		snprintf(buf, len, "%c", r->state >= 0x21 && r->state < 0x7f ? r->state : '?');
		return buf;
	case VT_COL_VSZ:
		return ui_size(r->vsz, buf, len);
	case VT_COL_RSS:
		return ui_size(r->rss, buf, len);
	case VT_COL_PSS:
	case VT_COL_USS:
	case VT_COL_SWAP:
		if (r->mem == VT_MEM_OK) {
			v = col == VT_COL_PSS ? r->pss : col == VT_COL_USS ? r->uss : r->swap;
			if (stale(ui, r->mem_age))
				*attr = VT_A_DIM;
			return ui_size(v, buf, len);
		}
		/* no address space (kernel thread, zombie): nothing to read, and nothing there */
		if (r->kthread || r->state == 'Z') {
			*attr = VT_A_DIM;
			return ui_size(0, buf, len);
		}
		if (r->mem == VT_MEM_PENDING) {
			*attr = VT_A_DIM;
			return ui_pending(c);
		}
		*attr = VT_A_ERROR;
		return "?";
	case VT_COL_MINFLT:
	case VT_COL_MAJFLT:
		if (!r->have_rate) {
			*attr = VT_A_DIM;
			return ui_pending(c);
		}
		return ui_rate(col == VT_COL_MINFLT ? r->minflt_rate : r->majflt_rate, buf, len);
	case VT_COL_MINFLT_TOTAL:
		snprintf(buf, len, "%" PRIu64, r->minflt);
		return buf;
	case VT_COL_MAJFLT_TOTAL:
		snprintf(buf, len, "%" PRIu64, r->majflt);
		return buf;
	case VT_COL_USER:
	case VT_COL_COMMAND:
	case VT_COL__N:
		break;
	}
	return "";
}

/* Columns COMMAND keeps at least before the others give up their spare room. */
#define MIN_COMMAND 8

/* The columns a field takes for the rows of this frame (at most its full width). */
static int natural_width(const struct vt_ui *ui, const struct vt_canvas *c, enum vt_col col)
{
	int w = vt_text_width(vt_cols[col].header, c->utf8) + (col == ui->q.sort);
	char buf[48];

	for (size_t i = 0; ui->have_rows && i < ui->rows.n && w < vt_cols[col].width; i++) {
		const struct vt_row *r = &ui->rows.v[i];
		int attr = VT_A_NORMAL, tw;

		if (col == VT_COL_USER) {
			char *safe = cx_sanitize(r->user, strlen(r->user), false);

			tw = safe ? vt_text_width(safe, c->utf8) : 0;
			free(safe);
		} else {
			tw = vt_text_width(cell_text(ui, c, r, col, buf, sizeof(buf), &attr),
					   c->utf8);
		}
		if (tw > w)
			w = tw;
	}
	return w < vt_cols[col].width ? w : vt_cols[col].width;
}

/*
 * The columns shown, in table order, COMMAND last with the rest of the line.  Each
 * field has its full width when the line has room; on a narrow screen (80 columns) the
 * fields shrink to what this frame's figures need, so that COMMAND still shows.
 */
static void layout_cols(const struct vt_ui *ui, const struct vt_canvas *c, struct layout *l)
{
	int width = ui_width(c, 0), x = 0, full = 0;
	bool compact;

	for (int i = 0; i < VT_COL__N; i++)
		if (ui->cols[i] && i != VT_COL_COMMAND)
			full += vt_cols[i].width + 1;
	compact = width > 0 && full + (ui->cols[VT_COL_COMMAND] ? MIN_COMMAND : 0) > width;
	l->n = 0;
	for (int i = 0; i < VT_COL__N; i++) {
		int w;

		if (!ui->cols[i] || i == VT_COL_COMMAND)
			continue;
		w = compact ? natural_width(ui, c, (enum vt_col)i) : vt_cols[i].width;
		l->c[l->n].col = (enum vt_col)i;
		l->c[l->n].x = x;
		l->c[l->n].w = w;
		l->n++;
		x += w + 1;
	}
	l->end = x;
	if (ui->cols[VT_COL_COMMAND]) {
		l->c[l->n].col = VT_COL_COMMAND;
		l->c[l->n].x = x;
		l->c[l->n].w = width > 0 ? (width > x ? width - x : 0) : -1;
		l->n++;
	}
}

/* The tree's lines before COMMAND: "│  " per ancestor going on, then "├─ " or "└─ ". */
static int draw_tree(struct vt_canvas *c, int y, int x, int attr, const struct vt_row *r)
{
	const char *bar = c->utf8 ? "\u2502  " : "|  ";
	const char *tee = c->utf8 ? "\u251c\u2500 " : "|- ";
	const char *elbow = c->utf8 ? "\u2514\u2500 " : "`- ";
	int x0 = x;

	if (r->depth <= 0)
		return 0;
	for (int d = 1; d < r->depth; d++) {
		bool more = d < 64 && (r->more_below >> d) & 1;

		x += vt_canvas_put(c, y, x, attr, more ? bar : "   ");
	}
	x += vt_canvas_put(c, y, x, attr, r->last_child ? elbow : tee);
	return x - x0;
}

static void draw_row(struct vt_ui *ui, struct vt_canvas *c, int y, const struct layout *l,
		     const struct vt_row *r)
{
	int base = r->hot ? VT_A_HOT : r->kthread ? VT_A_DIM : VT_A_NORMAL;

	for (int i = 0; i < l->n; i++) {
		enum vt_col col = l->c[i].col;
		int x = l->c[i].x, w = l->c[i].w, attr = base;
		char buf[48];
		const char *t;

		if (col == VT_COL_COMMAND) {
			char *cmd = ui_row_command(r->cmdline, r->comm);
			int used = ui->q.tree ? draw_tree(c, y, x, base, r) : 0;

			if (cmd)
				ui_put_clip(c, y, x + used, base, cmd,
					    w < 0 ? -1 : (w > used ? w - used : 0));
			free(cmd);
			continue;
		}
		if (col == VT_COL_USER) {
			ui_put_proc_clip(c, y, x, base, r->user, w);
			continue;
		}
		t = cell_text(ui, c, r, col, buf, sizeof(buf), &attr);
		if (r->hot)
			attr = VT_A_HOT;
		if (vt_cols[col].numeric)
			ui_put_right(c, y, x, w, attr, t);
		else
			ui_put_clip(c, y, x, attr, t, w);
	}
}

static void draw_colhead(struct vt_ui *ui, struct vt_canvas *c, int y, const struct layout *l)
{
	int w = ui_width(c, 0);
	const char *mark = ui_sort_mark(ui, c);

	if (w > 0)
		vt_canvas_fill(c, y, 0, w, VT_A_COLHEAD, ' ');
	for (int i = 0; i < l->n; i++) {
		enum vt_col col = l->c[i].col;
		bool sorted = col == ui->q.sort;
		int attr = sorted ? VT_A_SORTCOL : VT_A_COLHEAD, cw = l->c[i].w;
		char text[64];

		/* the mark goes on the side away from the figures' alignment */
		if (!sorted)
			snprintf(text, sizeof(text), "%s", vt_cols[col].header);
		else if (vt_cols[col].numeric)
			snprintf(text, sizeof(text), "%s%s", mark, vt_cols[col].header);
		else
			snprintf(text, sizeof(text), "%s%s", vt_cols[col].header, mark);
		if (vt_cols[col].numeric && vt_text_width(text, c->utf8) <= cw)
			ui_put_right(c, y, l->c[i].x, cw, attr, text);
		else
			vt_canvas_put(c, y, l->c[i].x, attr, text);
	}
	/* the header line is a bar across the screen, the sort column in its own look */
	if (w <= 0)
		return;
	vt_canvas_attr(c, y, 0, w, VT_A_COLHEAD);
	for (int i = 0; i < l->n; i++)
		if (l->c[i].col == ui->q.sort && l->c[i].x < w)
			vt_canvas_attr(c, y, l->c[i].x,
				       l->c[i].w < 0 || l->c[i].x + l->c[i].w > w ? w - l->c[i].x :
										    l->c[i].w,
				       VT_A_SORTCOL);
}

static void fetch_rows(struct vt_ui *ui)
{
	struct vt_rows r;

	if (vt_model_rows(ui->m, &ui->q, &r) < 0)
		return; /* keep the last rows: better than an empty screen */
	if (ui->have_rows)
		vt_rows_free(&ui->rows);
	ui->rows = r;
	ui->have_rows = true;
}

/* The selection stays on its PID; when that process is gone, on the same line. */
static void place_selection(struct vt_ui *ui)
{
	size_t n = ui->rows.n;

	if (!n) {
		ui->sel = 0;
		ui->top = 0;
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (ui->rows.v[i].pid == ui->sel_pid) {
			ui->sel = i;
			return;
		}
	if (ui->sel >= n)
		ui->sel = n - 1;
	ui->sel_pid = ui->rows.v[ui->sel].pid;
}

static void scroll_to_selection(struct vt_ui *ui, int vis)
{
	size_t n = ui->rows.n;

	if (vis <= 0)
		return;
	if (ui->sel < ui->top)
		ui->top = ui->sel;
	if (ui->sel >= ui->top + (size_t)vis)
		ui->top = ui->sel - (size_t)vis + 1;
	/* no blank lines below the last row while rows are above the screen */
	if (n > (size_t)vis && ui->top > n - (size_t)vis)
		ui->top = n - (size_t)vis;
	if (n <= (size_t)vis)
		ui->top = 0;
}

static void want_rows(struct vt_ui *ui, size_t from, size_t n)
{
	pid_t *pids = malloc((n ? n : 1) * sizeof(*pids));

	if (!pids)
		return;
	for (size_t i = 0; i < n; i++)
		pids[i] = ui->rows.v[from + i].pid;
	vt_model_want(ui->m, pids, n, vt_cols[ui->q.sort].rollup);
	free(pids);
}

static void list_draw(struct vt_ui *ui, struct vt_canvas *c, int y, int h)
{
	struct layout l;
	size_t n, from, count;
	int vis;

	fetch_rows(ui);
	n = ui->have_rows ? ui->rows.n : 0;
	layout_cols(ui, c, &l);
	draw_colhead(ui, c, y, &l);
	if (ui->batch) {
		count = h > 1 ? ((size_t)(h - 1) < n ? (size_t)(h - 1) : n) : n;
		want_rows(ui, 0, count);
		for (size_t i = 0; i < count; i++)
			draw_row(ui, c, y + 1 + (int)i, &l, &ui->rows.v[i]);
		return;
	}
	vis = h - 1;
	ui->list_h = vis;
	place_selection(ui);
	scroll_to_selection(ui, vis);
	from = ui->top;
	count = n - from < (size_t)vis ? n - from : (size_t)vis;
	want_rows(ui, from, count);
	for (size_t i = 0; i < count; i++) {
		int ry = y + 1 + (int)i;
		const struct vt_row *r = &ui->rows.v[from + i];

		draw_row(ui, c, ry, &l, r);
		/* whole lines, so that a background colour has no holes */
		if (from + i == ui->sel)
			vt_canvas_attr(c, ry, 0, ui_width(c, 0), VT_A_SELECTED);
		else if (r->hot)
			vt_canvas_attr(c, ry, 0, ui_width(c, 0), VT_A_HOT);
	}
	if (!n && vis > 0)
		vt_canvas_put(c, y + 1, 0, VT_A_DIM,
			      ui->q.filter || ui->q.have_uid || ui->q.npids ?
				      "no process matches (\\ clears the filters)" :
				      "no processes yet");
}

static int list_status(struct vt_ui *ui, struct vt_canvas *c, int y)
{
	int x = 0;

	if (ui->q.filter) {
		x += vt_canvas_put(c, y, x, VT_A_STATUS, "filter \"");
		x += ui_put_proc_clip(c, y, x, VT_A_STATUS, ui->q.filter, 24);
		x += vt_canvas_put(c, y, x, VT_A_STATUS, "\"  ");
	}
	if ((ui->q.have_uid || ui->q.user) && ui->user) {
		x += vt_canvas_put(c, y, x, VT_A_STATUS, "user ");
		x += ui_put_proc_clip(c, y, x, VT_A_STATUS, ui->user, 16);
		x += vt_canvas_put(c, y, x, VT_A_STATUS, "  ");
	}
	if (ui->q.npids)
		x += vt_canvas_printf(c, y, x, VT_A_STATUS, "%zu pids  ", ui->q.npids);
	x += vt_canvas_printf(c, y, x, VT_A_STATUS, "sort %s%s%s%s  ", vt_cols[ui->q.sort].name,
			      ui_sort_mark(ui, c), ui->q.tree ? "  tree" : "",
			      ui->q.kthreads ? "  kernel threads" : "");
	x += vt_canvas_printf(c, y, x, VT_A_STATUS, "PSS fresh %zu/%zu", ui->sys.mem_fresh,
			      ui->sys.mem_wanted);
	return x;
}

const struct vt_row *ui_list_selected(struct vt_ui *ui)
{
	if (!ui->have_rows || !ui->rows.n)
		return NULL;
	place_selection(ui);
	return &ui->rows.v[ui->sel];
}

static void move_sel(struct vt_ui *ui, long delta, bool absolute)
{
	long n, i;

	if (!ui->have_rows || !ui->rows.n)
		return;
	place_selection(ui);
	n = (long)ui->rows.n;
	i = absolute ? delta : (long)ui->sel + delta;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	ui->sel = (size_t)i;
	ui->sel_pid = ui->rows.v[i].pid;
}

static void set_sort(struct vt_ui *ui, enum vt_col col)
{
	if (ui->q.sort != col)
		ui->q.reverse = false;
	ui->q.sort = col;
}

/* < and >: the previous or next column shown (in the order of the screen). */
static void step_sort(struct vt_ui *ui, int dir)
{
	int order[VT_COL__N], n = 0, at = -1;

	for (int i = 0; i < VT_COL__N; i++)
		if (ui->cols[i] && i != VT_COL_COMMAND)
			order[n++] = i;
	if (ui->cols[VT_COL_COMMAND])
		order[n++] = VT_COL_COMMAND;
	if (!n)
		return;
	for (int i = 0; i < n; i++)
		if (order[i] == (int)ui->q.sort)
			at = i;
	if (at < 0) {
		/* the sort column is hidden: start from where it would be */
		at = dir > 0 ? -1 : n;
		for (int i = 0; i < n; i++)
			if (order[i] < (int)ui->q.sort)
				at = dir > 0 ? i : i + 1;
	}
	at = (at + dir + n) % n;
	set_sort(ui, (enum vt_col)order[at]);
}

static void open_detail(struct vt_ui *ui, bool pmap)
{
	const struct vt_row *r = ui_list_selected(ui);

	if (!r)
		return;
	ui->det_pid = r->pid;
	ui->det_start = r->start_time;
	ui->pm_have_cur = false;
	ui_push(ui, &ui_detail_screen);
	if (pmap)
		ui_push(ui, &ui_pmap_screen);
}

static int list_key(struct vt_ui *ui, int key)
{
	long page = ui->list_h > 1 ? ui->list_h - 1 : 1;

	switch (key) {
	case VT_KEY_UP:
	case 'k':
		move_sel(ui, -1, false);
		break;
	case VT_KEY_DOWN:
	case 'j':
		move_sel(ui, 1, false);
		break;
	case VT_KEY_PGUP:
		move_sel(ui, -page, false);
		break;
	case VT_KEY_PGDN:
		move_sel(ui, page, false);
		break;
	case VT_KEY_HOME:
	case 'g':
		move_sel(ui, 0, true);
		break;
	case VT_KEY_END:
	case 'G':
		move_sel(ui, (long)ui->rows.n, true);
		break;
	case VT_KEY_ENTER:
	case '\r':
	case '\n':
		open_detail(ui, false);
		break;
	case 'm':
		open_detail(ui, true);
		break;
	case '<':
	case ',':
		step_sort(ui, -1);
		break;
	case '>':
	case '.':
		step_sort(ui, 1);
		break;
	case 'M':
		set_sort(ui, VT_COL_RSS);
		break;
	case 'P':
		set_sort(ui, VT_COL_PSS);
		break;
	case 'U':
		set_sort(ui, VT_COL_USS);
		break;
	case 'S':
		set_sort(ui, VT_COL_SWAP);
		break;
	case 'F':
		set_sort(ui, VT_COL_MINFLT);
		break;
	case 'J':
		set_sort(ui, VT_COL_MAJFLT);
		break;
	case 'N':
		set_sort(ui, VT_COL_PID);
		break;
	case 'I':
	case 'R':
		ui->q.reverse = !ui->q.reverse;
		break;
	case 't':
		ui->q.tree = !ui->q.tree;
		break;
	case 'K':
		ui->q.kthreads = !ui->q.kthreads;
		break;
	case 'c':
		ui_push(ui, &ui_columns_screen);
		break;
	case '/':
		ui_prompt_open(ui, UI_PROMPT_FILTER);
		break;
	case 'u':
		ui_prompt_open(ui, UI_PROMPT_USER);
		break;
	case '\\':
		free(ui->filter);
		ui->filter = NULL;
		ui->q.filter = NULL;
		free(ui->user);
		ui->user = NULL;
		ui->q.have_uid = false;
		ui->q.user = NULL;
		break;
	default:
		return UI_KEY_IGNORED;
	}
	return UI_KEY_DONE;
}

const struct ui_screen ui_list_screen = {
	.name = "list",
	.draw = list_draw,
	.status = list_status,
	.key = list_key,
	.hint = "F1 help",
};

/* ---- the column chooser ---- */

static void columns_draw(struct vt_ui *ui, struct vt_canvas *c, int y, int h)
{
	int w = ui_width(c, 0), top = 0;

	vt_canvas_put(c, y, 0, VT_A_COLHEAD, "   NAME          HEADER    WHAT IT SHOWS");
	if (w > 0)
		vt_canvas_attr(c, y, 0, w, VT_A_COLHEAD);
	if (ui->col_cur >= h - 1 && h > 1)
		top = ui->col_cur - (h - 2);
	for (int i = top; i < VT_COL__N && i - top < h - 1; i++) {
		int ry = y + 1 + i - top, x;

		x = vt_canvas_printf(c, ry, 0, VT_A_NORMAL, "%s %-13s %-9s ",
				     ui->cols[i] ? "[x]" : "[ ]", vt_cols[i].name,
				     vt_cols[i].header);
		ui_put_clip(c, ry, x, VT_A_NORMAL, vt_cols[i].help ? vt_cols[i].help : "",
			    w > x ? w - x : 0);
		if (i == ui->col_cur)
			vt_canvas_attr(c, ry, 0, w, VT_A_SELECTED);
	}
}

static int columns_status(struct vt_ui *ui, struct vt_canvas *c, int y)
{
	int n = 0;

	for (int i = 0; i < VT_COL__N; i++)
		n += ui->cols[i];
	return vt_canvas_printf(c, y, 0, VT_A_STATUS, "columns: %d of %d shown", n, VT_COL__N);
}

static int columns_key(struct vt_ui *ui, int key)
{
	int n = 0;

	switch (key) {
	case VT_KEY_UP:
	case 'k':
		if (ui->col_cur > 0)
			ui->col_cur--;
		break;
	case VT_KEY_DOWN:
	case 'j':
		if (ui->col_cur < VT_COL__N - 1)
			ui->col_cur++;
		break;
	case VT_KEY_HOME:
	case 'g':
	case VT_KEY_PGUP:
		ui->col_cur = 0;
		break;
	case VT_KEY_END:
	case 'G':
	case VT_KEY_PGDN:
		ui->col_cur = VT_COL__N - 1;
		break;
	case ' ':
		for (int i = 0; i < VT_COL__N; i++)
			n += ui->cols[i];
		/* one column at least: an empty list would look like a hang */
		if (ui->cols[ui->col_cur] && n <= 1) {
			ui_message(ui, "one column at least");
			break;
		}
		ui->cols[ui->col_cur] = !ui->cols[ui->col_cur];
		break;
	case VT_KEY_ENTER:
	case '\r':
	case '\n':
	case 'c':
		ui_pop(ui);
		break;
	default:
		return UI_KEY_IGNORED;
	}
	return UI_KEY_DONE;
}

const struct ui_screen ui_columns_screen = {
	.name = "columns",
	.draw = columns_draw,
	.status = columns_status,
	.key = columns_key,
	.hint = "Space toggle  Enter done",
};
