// SPDX-License-Identifier: GPL-2.0-or-later
/* vmtop: the page map — a process's pages as cells, a cursor, and what vmwalk says of its page. */

/*
 * Regions (mappings) one after another, each from a new line with its address
 * at left; a cell is a run of 1 << zoom pages, its character the most telling
 * state among them.  A region of a terabyte is a billion cells at zoom 0, so
 * nothing is laid out in advance: lines are counted per region and only the
 * cells on screen are looked up (a binary search in the region's runs).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ui.h"

#define SIDE_MIN_W 100 /* narrower canvases get the panel below the map */
#define SIDE_W 42
#define BOTTOM_H 9

const struct ui_pm_look ui_pm_looks[UI_PM__N] = {
	[UI_PM_GUARD] = { 'G', VT_A_PM_GUARD, "guard" },
	[UI_PM_SWAPPED] = { 'S', VT_A_PM_SWAPPED, "swapped" },
	[UI_PM_THP] = { 'H', VT_A_PM_THP, "huge" },
	[UI_PM_ZERO] = { 'z', VT_A_PM_ZERO, "zero page" },
	[UI_PM_ANON] = { '#', VT_A_PM_PRESENT, "anon" },
	[UI_PM_FILE] = { 'f', VT_A_PM_FILE, "file" },
	[UI_PM_UNKNOWN] = { '?', VT_A_PM_UNKNOWN, "unknown" },
	[UI_PM_NONE] = { '.', VT_A_PM_NONE, "none" },
};

/* The map laid out for one zoom and width. */
struct geo {
	const struct vt_pmap *p;
	uint64_t ps, ppc;
	int gw;
	uint64_t *line0; /* per region: its first line; [nregions]: the total */
};

static uint64_t page_size(const struct vt_pmap *p)
{
	return p->page_size ? p->page_size : 4096;
}

static uint64_t region_pages(const struct geo *g, size_t r)
{
	const struct vt_pm_region *rg = &g->p->regions[r];

	return rg->end > rg->start ? (rg->end - rg->start + g->ps - 1) / g->ps : 0;
}

static uint64_t region_cells(const struct geo *g, size_t r)
{
	return (region_pages(g, r) + g->ppc - 1) / g->ppc;
}

static bool geo_init(struct geo *g, const struct vt_pmap *p, unsigned int zoom, int gw)
{
	g->p = p;
	g->ps = page_size(p);
	g->ppc = UINT64_C(1) << zoom;
	g->gw = gw > 0 ? gw : 1;
	g->line0 = malloc((p->nregions + 1) * sizeof(*g->line0));
	if (!g->line0)
		return false;
	g->line0[0] = 0;
	for (size_t r = 0; r < p->nregions; r++) {
		uint64_t cells = region_cells(g, r), lines = (cells + (uint64_t)g->gw - 1) / g->gw;

		g->line0[r + 1] = g->line0[r] + (lines ? lines : 1);
	}
	return true;
}

static void geo_free(struct geo *g)
{
	free(g->line0);
}

static uint64_t geo_lines(const struct geo *g)
{
	return g->line0[g->p->nregions];
}

/* The region holding @addr, else the next one, else the last. */
static size_t region_at(const struct vt_pmap *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nregions;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->regions[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->nregions ? lo : p->nregions - 1;
}

struct pos {
	size_t r;
	uint64_t k; /* cell in the region */
};

static struct pos pos_of(const struct geo *g, uint64_t addr)
{
	struct pos ps = { region_at(g->p, addr), 0 };
	const struct vt_pm_region *rg = &g->p->regions[ps.r];
	uint64_t cells = region_cells(g, ps.r);

	if (addr > rg->start)
		ps.k = (addr - rg->start) / g->ps / g->ppc;
	if (cells && ps.k >= cells)
		ps.k = cells - 1;
	return ps;
}

static uint64_t pos_addr(const struct geo *g, struct pos ps)
{
	return g->p->regions[ps.r].start + ps.k * g->ppc * g->ps;
}

static uint64_t pos_line(const struct geo *g, struct pos ps)
{
	return g->line0[ps.r] + ps.k / (uint64_t)g->gw;
}

/* The cell at column @col of line @line (the line's last cell when it is shorter). */
static struct pos pos_at_line(const struct geo *g, uint64_t line, uint64_t col)
{
	size_t lo = 0, hi = g->p->nregions;
	struct pos ps;
	uint64_t cells;

	/* the last region whose first line is <= line */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->line0[mid] <= line)
			lo = mid;
		else
			hi = mid;
	}
	ps.r = lo;
	ps.k = (line - g->line0[lo]) * (uint64_t)g->gw + col;
	cells = region_cells(g, lo);
	if (cells && ps.k >= cells)
		ps.k = cells - 1;
	return ps;
}

void ui_pm_count(const struct vt_pmap *p, size_t r, uint64_t a, uint64_t b, uint64_t ps,
		 struct ui_pm_counts *ct)
{
	const struct vt_pm_region *rg = &p->regions[r];
	const struct vt_pm_run *runs = p->runs + rg->first;
	size_t nr = rg->nruns, lo = 0, hi;
	uint64_t covered = 0;

	memset(ct, 0, sizeof(*ct));
	if (rg->first > p->nruns || nr > p->nruns - rg->first)
		nr = 0;
	ct->pages = (b - a + ps - 1) / ps;
	hi = nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (runs[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < nr && runs[i].start < b; i++) {
		uint64_t s = runs[i].start > a ? runs[i].start : a;
		uint64_t e = runs[i].end < b ? runs[i].end : b;
		uint64_t n = e > s ? (e - s + ps - 1) / ps : 0;
		unsigned int f = runs[i].flags;

		if (!n)
			continue;
		covered += n;
		ct->flags |= f;
		if (f & VMS_RUN_GUARD) {
			ct->guard += n;
		} else if (f & VMS_RUN_SWAPPED) {
			ct->swapped += n;
		} else if (f & VMS_RUN_PRESENT) {
			ct->present += n;
			if (f & VMS_RUN_FILE)
				ct->file += n;
			if (f & VMS_RUN_HUGE)
				ct->huge += n;
			if (f & VMS_RUN_ZERO)
				ct->zero += n;
		} else if (f & VMS_RUN_UNKNOWN) {
			ct->unknown += n;
		} else {
			ct->none += n;
		}
	}
	/* pages no run speaks of were never touched */
	if (covered < ct->pages)
		ct->none += ct->pages - covered;
}

static enum ui_pm_class classify(const struct ui_pm_counts *ct)
{
	if (ct->guard)
		return UI_PM_GUARD;
	if (ct->swapped)
		return UI_PM_SWAPPED;
	if (ct->huge)
		return UI_PM_THP;
	if (ct->zero)
		return UI_PM_ZERO;
	if (ct->present > ct->file)
		return UI_PM_ANON;
	if (ct->file)
		return UI_PM_FILE;
	if (ct->unknown)
		return UI_PM_UNKNOWN;
	return UI_PM_NONE;
}

/* ---- life ---- */

static void pmap_enter(struct vt_ui *ui)
{
	if (ui->pm) {
		vt_pmap_free(ui->pm);
		ui->pm = NULL;
	}
	ui->pm_pid = ui->det_pid;
	ui->pm_zoom = 0;
	ui->pm_zoom_set = false;
	ui->pm_top = 0;
	ui->pg_asked = false;
	vt_model_pmap_request(ui->m, ui->pm_pid);
}

static void pmap_leave(struct vt_ui *ui)
{
	vt_model_pmap_request(ui->m, 0);
	vt_model_page_request(ui->m, 0, 0);
	ui->pg_asked = false;
	if (ui->pm) {
		vt_pmap_free(ui->pm);
		ui->pm = NULL;
	}
}

static const struct vt_pmap *fetch(struct vt_ui *ui)
{
	struct vt_pmap *p;

	if (vt_model_pmap(ui->m, &p) == 0) {
		if (p->pid != ui->pm_pid) {
			vt_pmap_free(p);
		} else {
			if (ui->pm)
				vt_pmap_free(ui->pm);
			ui->pm = p;
		}
	}
	return ui->pm;
}

/* Zoom out to here at most: one cell holds the largest region. */
static unsigned int max_zoom(const struct vt_pmap *p)
{
	uint64_t ps = page_size(p), most = 1;
	unsigned int z = 0;

	for (size_t r = 0; r < p->nregions; r++) {
		uint64_t n = (p->regions[r].end - p->regions[r].start + ps - 1) / ps;

		if (n > most)
			most = n;
	}
	while (z < 63 && (UINT64_C(1) << z) < most)
		z++;
	return z;
}

/* The first zoom at which the map is about a screen long (each region takes a line at least). */
static unsigned int fit_zoom(const struct vt_pmap *p, int gw, int lines)
{
	unsigned int z, maxz = max_zoom(p);
	uint64_t want = (uint64_t)(lines > 0 ? lines : 1);

	if (want < 2 * p->nregions)
		want = 2 * p->nregions;
	for (z = 0; z < maxz; z++) {
		struct geo g;
		uint64_t n;

		if (!geo_init(&g, p, z, gw))
			return z;
		n = geo_lines(&g);
		geo_free(&g);
		if (n <= want)
			break;
	}
	return z;
}

/* ---- the map ---- */

static int addr_width(const struct vt_pmap *p)
{
	int w = 8;

	for (size_t r = 0; r < p->nregions; r++) {
		char buf[24];
		int n = snprintf(buf, sizeof(buf), "%" PRIx64, p->regions[r].end - 1);

		if (n > w)
			w = n;
	}
	return w;
}

static const char *region_label(const struct vt_pm_region *rg)
{
	return rg->name && *rg->name ? rg->name : "[anon]";
}

static void draw_map(struct vt_ui *ui, struct vt_canvas *c, const struct geo *g, int y, int x0,
		     int mw, int mh, int aw, struct pos cur)
{
	const struct vt_pmap *p = g->p;
	uint64_t total = geo_lines(g);

	for (int i = 0; i < mh && ui->pm_top + (uint64_t)i < total; i++) {
		uint64_t line = ui->pm_top + (uint64_t)i;
		struct pos at = pos_at_line(g, line, 0);
		const struct vt_pm_region *rg = &p->regions[at.r];
		uint64_t cells = region_cells(g, at.r), k0 = at.k;
		bool first = line == g->line0[at.r];
		int x = x0 + aw + 1, n = 0;

		vt_canvas_printf(c, y + i, x0, first ? VT_A_LABEL : VT_A_DIM, "%0*" PRIx64, aw,
				 pos_addr(g, at));
		for (uint64_t k = k0; k < cells && n < g->gw; k++, n++) {
			uint64_t a = rg->start + k * g->ppc * g->ps, b = a + g->ppc * g->ps;
			struct ui_pm_counts ct;
			enum ui_pm_class cl;

			if (b > rg->end || b < a)
				b = rg->end;
			ui_pm_count(p, at.r, a, b, g->ps, &ct);
			cl = classify(&ct);
			vt_canvas_fill(c, y + i, x + n, 1,
				       at.r == cur.r && k == cur.k ? VT_A_PM_CURSOR :
								     ui_pm_looks[cl].attr,
				       (uint32_t)ui_pm_looks[cl].ch);
		}
		/* a region's first line names it when the cells leave room */
		if (first && mw - (aw + 1 + n) > 6) {
			char *safe = cx_sanitize(region_label(rg), strlen(region_label(rg)), false);

			if (safe)
				ui_put_clip(c, y + i, x + n + 2, VT_A_DIM, safe,
					    mw - (aw + 1 + n) - 2);
			free(safe);
		}
	}
}

static void draw_message(struct vt_canvas *c, int y, int h, int attr, const char *msg)
{
	if (h > 0)
		ui_put_clip(c, y, 0, attr, msg, c->w > 0 ? c->w : -1);
}

static int title(struct vt_ui *ui, struct vt_canvas *c, int y, const struct vt_pmap *p)
{
	int x = vt_canvas_printf(c, y, 0, VT_A_TITLE, "page map of pid %d", (int)ui->pm_pid);

	if (ui->det && ui->det->pid == ui->pm_pid && !ui->det->err) {
		char *cmd = ui_row_command(ui->det->cmdline, ui->det->comm);

		if (cmd) {
			x += vt_canvas_put(c, y, x, VT_A_TITLE, "  ");
			x += ui_put_clip(c, y, x, VT_A_TITLE, cmd, 40);
		}
		free(cmd);
	}
	if (p && !p->err && p->nregions) {
		char sz[32];

		cx_human_size((UINT64_C(1) << ui->pm_zoom) * page_size(p), sz, sizeof(sz));
		x += vt_canvas_printf(c, y, x, VT_A_TITLE, "  %" PRIu64 " page%s per cell (%s)",
				      UINT64_C(1) << ui->pm_zoom, ui->pm_zoom ? "s" : "", sz);
	}
	return x;
}

static void pmap_draw(struct vt_ui *ui, struct vt_canvas *c, int y, int h)
{
	const struct vt_pmap *p = fetch(ui);
	int w = ui_width(c, 120), mw, mh, ph = 0, aw, gw, maxz;
	bool side = w >= SIDE_MIN_W;
	struct geo g;
	struct pos cur;
	struct ui_pm_cursor pc;
	struct vt_page pg;
	uint64_t line, total;
	bool have_pg;
	char buf[160];

	title(ui, c, y, p);
	y++;
	h--;
	if (!p) {
		snprintf(buf, sizeof(buf), "walking the page map of pid %d%s", (int)ui->pm_pid,
			 ui_pending(c));
		draw_message(c, y, h, VT_A_DIM, buf);
		return;
	}
	if (p->err == -ESRCH) {
		snprintf(buf, sizeof(buf), "process %d exited", (int)ui->pm_pid);
		draw_message(c, y, h, VT_A_ERROR, buf);
		return;
	}
	if (p->err) {
		snprintf(buf, sizeof(buf), "cannot read the page map of pid %d:", (int)ui->pm_pid);
		draw_message(c, y, h, VT_A_ERROR, buf);
		if (h > 1)
			vt_canvas_put(c, y + 1, 2, VT_A_ERROR, ui_err_reason(p->err));
		return;
	}
	if (!p->nregions) {
		draw_message(c, y, h, VT_A_DIM,
			     "no mappings: a kernel thread or a zombie has no address space");
		return;
	}
	if (!side) {
		ph = h / 2 < BOTTOM_H ? h / 2 : BOTTOM_H;
		if (h - ph < 2)
			ph = h > 2 ? h - 2 : 0;
	}
	mw = side ? w - SIDE_W - 1 : w;
	mh = h - ph;
	aw = addr_width(p);
	gw = mw - aw - 1;
	/* round numbers of cells a line keep the addresses at left round too */
	if (gw >= 32)
		gw &= ~15;
	else if (gw >= 8)
		gw &= ~7;
	if (gw < 1)
		gw = 1;
	maxz = (int)max_zoom(p);
	if (!ui->pm_zoom_set) {
		ui->pm_zoom = fit_zoom(p, gw, mh);
		ui->pm_zoom_set = true;
	}
	if ((int)ui->pm_zoom > maxz)
		ui->pm_zoom = (unsigned int)maxz;
	if (!geo_init(&g, p, ui->pm_zoom, gw))
		return;
	if (!ui->pm_have_cur) {
		ui->pm_cur = p->regions[0].start;
		ui->pm_have_cur = true;
	}
	ui->pm_cur &= ~(g.ps - 1);
	cur = pos_of(&g, ui->pm_cur);
	/* the mapping went away under the cursor: to the nearest cell */
	if (ui->pm_cur < p->regions[cur.r].start || ui->pm_cur >= p->regions[cur.r].end)
		ui->pm_cur = pos_addr(&g, cur);
	line = pos_line(&g, cur);
	total = geo_lines(&g);
	if (line < ui->pm_top)
		ui->pm_top = line;
	if (mh > 0 && line >= ui->pm_top + (uint64_t)mh)
		ui->pm_top = line - (uint64_t)mh + 1;
	if (mh > 0 && total > (uint64_t)mh && ui->pm_top > total - (uint64_t)mh)
		ui->pm_top = total - (uint64_t)mh;
	if (mh > 0 && total <= (uint64_t)mh)
		ui->pm_top = 0;
	ui->pm_gw = gw;
	ui->pm_h = mh;
	draw_map(ui, c, &g, y, 0, mw, mh, aw, cur);

	if (!ui->pg_asked || ui->pg_addr != ui->pm_cur) {
		vt_model_page_request(ui->m, ui->pm_pid, ui->pm_cur);
		ui->pg_asked = true;
		ui->pg_addr = ui->pm_cur;
	}
	memset(&pg, 0, sizeof(pg));
	have_pg = vt_model_page(ui->m, &pg) == 0 && pg.pid == ui->pm_pid &&
		  (pg.addr & ~(g.ps - 1)) == ui->pm_cur;
	pc.r = cur.r;
	pc.a = pos_addr(&g, cur);
	pc.b = pc.a + g.ppc * g.ps;
	if (pc.b > p->regions[cur.r].end || pc.b < pc.a)
		pc.b = p->regions[cur.r].end;
	pc.ppc = g.ppc;
	pc.ps = g.ps;
	if (side) {
		for (int i = 0; i < h; i++)
			vt_canvas_fill(c, y + i, mw, 1, VT_A_DIM, c->utf8 ? 0x2502 : '|');
		ui_pm_panel_draw(ui, c, p, &pc, have_pg ? &pg : NULL, y, mw + 1, SIDE_W, h, 1);
	} else if (ph > 0) {
		/* columns of about 40, as many as the width holds */
		ui_pm_panel_draw(ui, c, p, &pc, have_pg ? &pg : NULL, y + mh, 0, w, ph,
				 w / 40 > 0 ? w / 40 : 1);
	}
	geo_free(&g);
}

static int pmap_status(struct vt_ui *ui, struct vt_canvas *c, int y)
{
	if (!ui->pm || ui->pm->err || !ui->pm->nregions)
		return vt_canvas_put(c, y, 0, VT_A_STATUS, "Esc: back");
	return vt_canvas_printf(c, y, 0, VT_A_STATUS, "cursor 0x%" PRIx64 "  %zu mappings",
				ui->pm_cur, ui->pm->nregions);
}

static void pmap_move(struct vt_ui *ui, int key)
{
	const struct vt_pmap *p = ui->pm;
	struct geo g;
	struct pos cur;
	uint64_t line, total, cells, col, page = ui->pm_h > 1 ? (uint64_t)ui->pm_h - 1 : 1;

	if (!p || p->err || !p->nregions || !ui->pm_have_cur || ui->pm_gw <= 0)
		return;
	if (!geo_init(&g, p, ui->pm_zoom, ui->pm_gw))
		return;
	cur = pos_of(&g, ui->pm_cur);
	line = pos_line(&g, cur);
	total = geo_lines(&g);
	col = cur.k % (uint64_t)g.gw;
	cells = region_cells(&g, cur.r);
	switch (key) {
	case VT_KEY_LEFT:
	case 'h':
		if (cur.k > 0) {
			cur.k--;
		} else if (cur.r > 0) {
			cur.r--;
			cells = region_cells(&g, cur.r);
			cur.k = cells ? cells - 1 : 0;
		}
		break;
	case VT_KEY_RIGHT:
	case 'l':
		if (cur.k + 1 < cells) {
			cur.k++;
		} else if (cur.r + 1 < p->nregions) {
			cur.r++;
			cur.k = 0;
		}
		break;
	case VT_KEY_UP:
	case 'k':
		if (line > 0)
			cur = pos_at_line(&g, line - 1, col);
		break;
	case VT_KEY_DOWN:
	case 'j':
		if (line + 1 < total)
			cur = pos_at_line(&g, line + 1, col);
		break;
	case VT_KEY_PGUP:
		cur = pos_at_line(&g, line > page ? line - page : 0, col);
		ui->pm_top = ui->pm_top > page ? ui->pm_top - page : 0;
		break;
	case VT_KEY_PGDN:
		cur = pos_at_line(&g, line + page < total ? line + page : total - 1, col);
		ui->pm_top += page;
		break;
	case VT_KEY_HOME:
	case 'g':
		cur.r = 0;
		cur.k = 0;
		break;
	case VT_KEY_END:
	case 'G':
		cur.r = p->nregions - 1;
		cells = region_cells(&g, cur.r);
		cur.k = cells ? cells - 1 : 0;
		break;
	default:
		break;
	}
	ui->pm_cur = pos_addr(&g, cur);
	geo_free(&g);
}

static int pmap_key(struct vt_ui *ui, int key)
{
	switch (key) {
	case VT_KEY_LEFT:
	case VT_KEY_RIGHT:
	case VT_KEY_UP:
	case VT_KEY_DOWN:
	case VT_KEY_PGUP:
	case VT_KEY_PGDN:
	case VT_KEY_HOME:
	case VT_KEY_END:
	case 'h':
	case 'j':
	case 'k':
	case 'l':
	case 'g':
	case 'G':
		pmap_move(ui, key);
		break;
	case '+':
	case '=':
		if (ui->pm_zoom > 0)
			ui->pm_zoom--;
		ui->pm_zoom_set = true;
		break;
	case '-':
	case '_':
		if (ui->pm && ui->pm_zoom < max_zoom(ui->pm))
			ui->pm_zoom++;
		ui->pm_zoom_set = true;
		break;
	default:
		return UI_KEY_IGNORED;
	}
	return UI_KEY_DONE;
}

const struct ui_screen ui_pmap_screen = {
	.name = "page map",
	.enter = pmap_enter,
	.leave = pmap_leave,
	.draw = pmap_draw,
	.status = pmap_status,
	.key = pmap_key,
	.hint = "+/- zoom  Esc back  F1 help",
};
