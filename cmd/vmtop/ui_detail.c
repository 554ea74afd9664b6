// SPDX-License-Identifier: GPL-2.0-or-later
/* vmtop: the detail screen — one process's figures, fault-rate sparklines, and its mappings. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ui.h"

#define FIG_LABEL_W 11
#define FIG_NUM_W 10
#define SIZE_W 10

static void detail_enter(struct vt_ui *ui)
{
	if (ui->det) {
		vt_detail_free(ui->det);
		ui->det = NULL;
	}
	ui->det_sel = 0;
	ui->det_top = 0;
	vt_model_detail_request(ui->m, ui->det_pid);
}

static void detail_leave(struct vt_ui *ui)
{
	vt_model_detail_request(ui->m, 0);
	if (ui->det) {
		vt_detail_free(ui->det);
		ui->det = NULL;
	}
}

/* The latest detail of the process asked for, or NULL while it is being read. */
static const struct vt_detail *fetch(struct vt_ui *ui)
{
	struct vt_detail *d;

	if (vt_model_detail(ui->m, &d) == 0) {
		if (d->pid != ui->det_pid) {
			vt_detail_free(d);
		} else {
			if (ui->det)
				vt_detail_free(ui->det);
			ui->det = d;
		}
	}
	return ui->det;
}

/* Gone, or its PID now names another process: never show that one's data. */
static bool exited(const struct vt_ui *ui, const struct vt_detail *d)
{
	return d->err == -ESRCH ||
	       (ui->det_start && d->start_time && d->start_time != ui->det_start);
}

static int kind_width(void)
{
	int w = 4;

	for (int k = 0; k < VMS_KIND__COUNT; k++) {
		const char *n = vms_kind_name((enum vms_kind)k);

		if (n && (int)strlen(n) > w)
			w = (int)strlen(n);
	}
	return w;
}

static int addr_width(const struct vt_detail *d)
{
	int w = 12;

	for (size_t i = 0; i < d->nmaps; i++) {
		char buf[24];
		int n = snprintf(buf, sizeof(buf), "%" PRIx64, d->maps[i].end - 1);

		if (n > w)
			w = n;
	}
	return w;
}

static void draw_title(struct vt_ui *ui, struct vt_canvas *c, int y, const struct vt_detail *d)
{
	int x = vt_canvas_printf(c, y, 0, VT_A_TITLE, "pid %d", (int)ui->det_pid);
	char *cmd;

	if (d && d->user) {
		x += vt_canvas_put(c, y, x, VT_A_TITLE, "  user ");
		x += vt_canvas_put_proc(c, y, x, VT_A_TITLE, d->user);
	}
	if (!d || (!d->comm && !d->cmdline))
		return;
	x += vt_canvas_put(c, y, x, VT_A_TITLE, "  ");
	cmd = ui_row_command(d->cmdline, d->comm);
	if (cmd)
		ui_put_clip(c, y, x, VT_A_TITLE, cmd, c->w > 0 ? (c->w > x ? c->w - x : 0) : -1);
	free(cmd);
}

static int draw_figures(struct vt_ui *ui, struct vt_canvas *c, int y, const struct vt_detail *d)
{
	static const char *const names[] = { "RSS", "PSS", "USS", "swap", "SwapPss" };
	const uint64_t v[] = { d->rss, d->pss, d->uss, d->swap, d->swap_pss };
	char buf[32];
	int x = 0;

	for (int i = 0; i < 5; i++) {
		bool have = i == 0 || d->have_rollup;

		x += vt_canvas_put(c, y, x, VT_A_LABEL, names[i]);
		x += vt_canvas_put(c, y, x, VT_A_NORMAL, " ");
		x += vt_canvas_put(c, y, x, have ? VT_A_NORMAL : VT_A_ERROR,
				   have ? ui_size(v[i], buf, sizeof(buf)) : "?");
		x += vt_canvas_put(c, y, x, VT_A_NORMAL, "  ");
	}
	return x;
}

static void draw_rate(struct vt_canvas *c, int y, const char *label, bool have, double v,
		      const double *hist, size_t n)
{
	char buf[32];
	int w = ui_width(c, UI_BATCH_HEADER_W), x = FIG_LABEL_W + FIG_NUM_W + 2;

	vt_canvas_put(c, y, 0, VT_A_LABEL, label);
	ui_put_right(c, y, FIG_LABEL_W, FIG_NUM_W, have ? VT_A_NORMAL : VT_A_DIM,
		     have ? ui_rate(v, buf, sizeof(buf)) : ui_pending(c));
	if (w > x)
		ui_spark(c, y, x, w - x, hist, n < VT_HIST ? n : VT_HIST);
}

static void draw_map(struct vt_canvas *c, int y, const struct vt_map *m, int aw, int kw, int attr)
{
	char buf[32];
	int x;
	bool sm = m->have_smaps;

	x = vt_canvas_printf(c, y, 0, attr, "%0*" PRIx64 " ", aw, m->start);
	ui_put_right(c, y, x, SIZE_W, attr, ui_size(m->end - m->start, buf, sizeof(buf)));
	x += SIZE_W + 1;
	ui_put_right(c, y, x, SIZE_W, sm ? attr : VT_A_ERROR,
		     sm ? ui_size(m->rss, buf, sizeof(buf)) : "?");
	x += SIZE_W + 1;
	ui_put_right(c, y, x, SIZE_W, sm ? attr : VT_A_ERROR,
		     sm ? ui_size(m->pss, buf, sizeof(buf)) : "?");
	x += SIZE_W + 1;
	ui_put_right(c, y, x, SIZE_W, sm ? attr : VT_A_ERROR,
		     sm ? ui_size(m->swap, buf, sizeof(buf)) : "?");
	x += SIZE_W + 1;
	x += vt_canvas_printf(c, y, x, attr, "%-4.4s ", m->perms);
	vt_canvas_put(c, y, x, attr, vms_kind_name(m->kind) ? vms_kind_name(m->kind) : "?");
	x += kw + 1;
	if (m->name && *m->name)
		ui_put_proc_clip(c, y, x, attr, m->name, c->w > 0 ? (c->w > x ? c->w - x : 0) : -1);
	else
		vt_canvas_put(c, y, x, VT_A_DIM, "[anon]");
}

static void draw_maps(struct vt_ui *ui, struct vt_canvas *c, int y, int h,
		      const struct vt_detail *d)
{
	int aw = addr_width(d), kw = kind_width(), w = ui_width(c, 0), x, vis = h - 1;
	size_t n = d->nmaps;

	if (h <= 0)
		return;
	x = vt_canvas_printf(c, y, 0, VT_A_COLHEAD, "%-*s ", aw, "START");
	x += vt_canvas_printf(c, y, x, VT_A_COLHEAD, "%*s %*s %*s %*s ", SIZE_W, "SIZE", SIZE_W,
			      "RSS", SIZE_W, "PSS", SIZE_W, "SWAP");
	vt_canvas_printf(c, y, x, VT_A_COLHEAD, "PERM %-*s NAME", kw, "KIND");
	if (w > 0)
		vt_canvas_attr(c, y, 0, w, VT_A_COLHEAD);
	ui->det_h = vis;
	if (!n || vis <= 0)
		return;
	if (ui->det_sel >= n)
		ui->det_sel = n - 1;
	if (ui->det_sel < ui->det_top)
		ui->det_top = ui->det_sel;
	if (ui->det_sel >= ui->det_top + (size_t)vis)
		ui->det_top = ui->det_sel - (size_t)vis + 1;
	if (n > (size_t)vis && ui->det_top > n - (size_t)vis)
		ui->det_top = n - (size_t)vis;
	if (n <= (size_t)vis)
		ui->det_top = 0;
	for (size_t i = ui->det_top; i < n && i - ui->det_top < (size_t)vis; i++) {
		int ry = y + 1 + (int)(i - ui->det_top);

		draw_map(c, ry, &d->maps[i], aw, kw, VT_A_NORMAL);
		if (i == ui->det_sel)
			vt_canvas_attr(c, ry, 0, w, VT_A_SELECTED);
	}
}

static void detail_draw(struct vt_ui *ui, struct vt_canvas *c, int y, int h)
{
	const struct vt_detail *d = fetch(ui);
	int row = y, end = y + h;

	draw_title(ui, c, row++, d);
	if (!d) {
		if (row < end)
			vt_canvas_printf(c, row, 0, VT_A_DIM, "reading process %d%s",
					 (int)ui->det_pid, ui_pending(c));
		return;
	}
	if (exited(ui, d)) {
		if (row < end)
			vt_canvas_printf(c, row, 0, VT_A_ERROR, "process %d exited",
					 (int)ui->det_pid);
		return;
	}
	if (d->err) {
		if (row < end)
			vt_canvas_printf(c, row++, 0, VT_A_ERROR,
					 "cannot read the memory of pid %d:", (int)ui->det_pid);
		if (row < end)
			vt_canvas_put(c, row, 2, VT_A_ERROR, ui_err_reason(d->err));
		return;
	}
	if (row < end)
		draw_figures(ui, c, row++, d);
	if (row < end)
		draw_rate(c, row++, "minflt/s", d->have_rate, d->minflt_rate, d->minflt_hist,
			  d->nhist);
	if (row < end)
		draw_rate(c, row++, "majflt/s", d->have_rate, d->majflt_rate, d->majflt_hist,
			  d->nhist);
	if (row < end) {
		int x = vt_canvas_printf(c, row, 0, VT_A_DIM, "%zu mappings, read %.1fs ago",
					 d->nmaps, d->age);

		if (d->maps_only)
			vt_canvas_put(c, row, x, VT_A_ERROR,
				      "  smaps not readable (needs the same user or "
				      "CAP_SYS_PTRACE): sizes only");
		row++;
	}
	draw_maps(ui, c, row, end - row, d);
}

static int detail_status(struct vt_ui *ui, struct vt_canvas *c, int y)
{
	const struct vt_detail *d = ui->det;

	if (d && !d->err && d->nmaps)
		return vt_canvas_printf(c, y, 0, VT_A_STATUS, "mapping %zu of %zu  m: page map",
					ui->det_sel + 1, d->nmaps);
	return vt_canvas_put(c, y, 0, VT_A_STATUS, "Esc: back");
}

static void move(struct vt_ui *ui, long delta, bool absolute)
{
	long n = ui->det ? (long)ui->det->nmaps : 0, i;

	if (!n)
		return;
	i = absolute ? delta : (long)ui->det_sel + delta;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	ui->det_sel = (size_t)i;
}

static int detail_key(struct vt_ui *ui, int key)
{
	long page = ui->det_h > 1 ? ui->det_h - 1 : 1;

	switch (key) {
	case VT_KEY_UP:
	case 'k':
		move(ui, -1, false);
		break;
	case VT_KEY_DOWN:
	case 'j':
		move(ui, 1, false);
		break;
	case VT_KEY_PGUP:
		move(ui, -page, false);
		break;
	case VT_KEY_PGDN:
		move(ui, page, false);
		break;
	case VT_KEY_HOME:
	case 'g':
		move(ui, 0, true);
		break;
	case VT_KEY_END:
	case 'G':
		move(ui, ui->det ? (long)ui->det->nmaps : 0, true);
		break;
	case 'm':
	case VT_KEY_ENTER:
	case '\r':
	case '\n':
		/* the page map opens on the mapping selected here */
		ui->pm_have_cur = false;
		if (ui->det && !ui->det->err && ui->det_sel < ui->det->nmaps) {
			ui->pm_have_cur = true;
			ui->pm_cur = ui->det->maps[ui->det_sel].start;
		}
		ui_push(ui, &ui_pmap_screen);
		break;
	default:
		return UI_KEY_IGNORED;
	}
	return UI_KEY_DONE;
}

const struct ui_screen ui_detail_screen = {
	.name = "detail",
	.enter = detail_enter,
	.leave = detail_leave,
	.draw = detail_draw,
	.status = detail_status,
	.key = detail_key,
	.hint = "Esc back  F1 help",
};
