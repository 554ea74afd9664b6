// SPDX-License-Identifier: GPL-2.0-or-later
/* vmtop: the header above every screen — title, memory and swap bars, system rates. */

#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ui.h"

/* What the meters of one header share: the bars end at the same column. */
struct hdr {
	struct vt_ui *ui;
	const struct vt_sys *s;
	int w; /* columns of the header */
	int bar_w; /* cells inside a bar's brackets */
	int room; /* columns for a bar's figures */
};

/* Bars and rates, after htop's Meter: each a const struct, drawn one per line. */
struct ui_meter {
	const char *label;
	/* NULL: always shown */
	bool (*shown)(const struct vt_sys *s);
	void (*draw)(const struct ui_meter *mt, const struct hdr *h, struct vt_canvas *c, int y);
	enum vt_rate rate;
};

#define LABEL_W 5 /* "Swap " */
#define RATE_LABEL_W 11 /* "swap-out/s " */
#define RATE_NUM_W 10
#define MIN_BAR 10

/* ---- title ---- */

static void title_draw(const struct ui_meter *mt, const struct hdr *h, struct vt_canvas *c, int y)
{
	const struct vt_sys *s = h->s;
	double d = s->delay;
	int x;

	(void)mt;
	if (!s->frame) {
		x = vt_canvas_put(c, y, 0, VT_A_TITLE, "vmtop  waiting for the first frame");
	} else {
		/* "1.0s", "0.25s": one decimal unless the delay needs more */
		long centi = (long)(d * 100 + 0.5);

		x = vt_canvas_printf(c, y, 0, VT_A_TITLE, "vmtop %s  %zu process%s", s->clock,
				     s->nprocs, s->nprocs == 1 ? "" : "es");
		if (s->nskipped)
			x += vt_canvas_printf(c, y, x, VT_A_TITLE, " (%zu unreadable)",
					      s->nskipped);
		/* a single snapshot has no delay to speak of */
		if (centi > 0 && centi % 10)
			x += vt_canvas_printf(c, y, x, VT_A_TITLE, "  delay %.2fs", d);
		else if (centi > 0)
			x += vt_canvas_printf(c, y, x, VT_A_TITLE, "  delay %.1fs", d);
	}
	if (s->snapshot) {
		x += vt_canvas_put(c, y, x, VT_A_TITLE, "  ");
		x += vt_canvas_put_proc(c, y, x, VT_A_TITLE, s->snapshot);
	}
	if (h->ui->paused) {
		x += vt_canvas_put(c, y, x, VT_A_TITLE, "  ");
		vt_canvas_put(c, y, x, VT_A_SELECTED, "PAUSED");
	}
}

/* ---- bars ---- */

struct seg {
	uint64_t v;
	int attr;
	uint32_t cp_utf8;
	char cp_ascii;
};

struct part {
	const char *name;
	uint64_t v;
	int attr;
};

#define MAX_PARTS 5

static int mem_parts(const struct vt_sys *s, struct part *p)
{
	const struct part parts[] = {
		{ "used", s->mem_used, VT_A_BAR_USED },
		{ "buff/cache", s->mem_buffers + s->mem_cache, VT_A_BAR_CACHE },
		{ "avail", s->mem_available, VT_A_NORMAL },
		{ "free", s->mem_free, VT_A_NORMAL },
		{ "total", s->mem_total, VT_A_NORMAL },
	};

	memcpy(p, parts, sizeof(parts));
	return 5;
}

static uint64_t swap_used(const struct vt_sys *s)
{
	return s->swap_total > s->swap_free ? s->swap_total - s->swap_free : 0;
}

static int swap_parts(const struct vt_sys *s, struct part *p)
{
	const struct part parts[] = {
		{ "used", swap_used(s), VT_A_BAR_SWAP },
		{ "total", s->swap_total, VT_A_NORMAL },
		{ "cached", s->swap_cached, VT_A_BAR_CACHE },
	};

	memcpy(p, parts, sizeof(parts));
	return 3;
}

/* How many of @p fit in @room columns (" used 1 GiB  total 2 GiB"); their width in *@tw. */
static int parts_fit(const struct part *p, int n, int room, int *tw)
{
	char val[32], text[64];
	int k = 0;

	*tw = 0;
	for (; k < n; k++) {
		int pw;

		snprintf(text, sizeof(text), "%s %s", p[k].name, ui_size(p[k].v, val, sizeof(val)));
		pw = (int)strlen(text) + (k ? 2 : 1);
		if (*tw + pw > room)
			break;
		*tw += pw;
	}
	return k;
}

/* "Mem  [|||||###       ] used 1.2 GiB  buff/cache 300 MiB ...": the figures that fit. */
static void draw_bar(const struct hdr *h, struct vt_canvas *c, int y, const char *label,
		     const struct seg *segs, int nseg, uint64_t total, const struct part *parts,
		     int nparts)
{
	char val[32];
	int bw = h->bar_w, x, filled = 0, tw, k = parts_fit(parts, nparts, h->room, &tw);
	uint64_t acc = 0;

	vt_canvas_put(c, y, 0, VT_A_LABEL, label);
	vt_canvas_put(c, y, LABEL_W, VT_A_LABEL, "[");
	for (int i = 0; i < nseg && total; i++) {
		int upto, n;

		acc += segs[i].v;
		/* cumulative rounding: the segments add up to the filled part exactly */
		upto = (int)((double)(acc > total ? total : acc) / (double)total * bw + 0.5);
		n = upto - filled;
		if (n > 0) {
			vt_canvas_fill(c, y, LABEL_W + 1 + filled, n, segs[i].attr,
				       c->utf8 ? segs[i].cp_utf8 : (uint32_t)segs[i].cp_ascii);
			filled = upto;
		}
	}
	if (filled < bw)
		vt_canvas_fill(c, y, LABEL_W + 1 + filled, bw - filled, VT_A_NORMAL, ' ');
	vt_canvas_put(c, y, LABEL_W + 1 + bw, VT_A_LABEL, "]");
	x = LABEL_W + 2 + bw;
	for (int i = 0; i < k; i++) {
		x += vt_canvas_put(c, y, x, VT_A_NORMAL, i ? "  " : " ");
		x += vt_canvas_put(c, y, x, VT_A_NORMAL, parts[i].name);
		x += vt_canvas_put(c, y, x, VT_A_NORMAL, " ");
		x += vt_canvas_put(c, y, x, parts[i].attr, ui_size(parts[i].v, val, sizeof(val)));
	}
}

static void mem_draw(const struct ui_meter *mt, const struct hdr *h, struct vt_canvas *c, int y)
{
	const struct vt_sys *s = h->s;
	const struct seg segs[] = {
		{ s->mem_used, VT_A_BAR_USED, 0x2588, '|' },
		{ s->mem_buffers + s->mem_cache, VT_A_BAR_CACHE, 0x2592, '#' },
	};
	struct part parts[MAX_PARTS];

	if (!s->have_mem) {
		vt_canvas_put(c, y, 0, VT_A_LABEL, mt->label);
		vt_canvas_put(c, y, LABEL_W, VT_A_DIM, s->frame ? "meminfo not readable" : "");
		return;
	}
	draw_bar(h, c, y, mt->label, segs, 2, s->mem_total, parts, mem_parts(s, parts));
}

static void swap_draw(const struct ui_meter *mt, const struct hdr *h, struct vt_canvas *c, int y)
{
	const struct vt_sys *s = h->s;
	uint64_t used = swap_used(s), cached = s->swap_cached < used ? s->swap_cached : used;
	const struct seg segs[] = {
		{ used - cached, VT_A_BAR_SWAP, 0x2588, '|' },
		{ cached, VT_A_BAR_CACHE, 0x2592, '#' },
	};
	struct part parts[MAX_PARTS];

	if (!s->have_mem) {
		vt_canvas_put(c, y, 0, VT_A_LABEL, mt->label);
		return;
	}
	if (!s->swap_total) {
		vt_canvas_put(c, y, 0, VT_A_LABEL, mt->label);
		vt_canvas_put(c, y, LABEL_W, VT_A_DIM, "no swap");
		return;
	}
	draw_bar(h, c, y, mt->label, segs, 2, s->swap_total, parts, swap_parts(s, parts));
}

/* The bars' common geometry: room for the longest figures that fit beside a MIN_BAR bar. */
static void bar_geometry(struct hdr *h)
{
	struct part p[MAX_PARTS];
	int room = h->w - LABEL_W - 2 - MIN_BAR, tw, most = 0;

	if (room < 0)
		room = 0;
	parts_fit(p, mem_parts(h->s, p), room, &tw);
	most = tw;
	if (h->s->swap_total) {
		parts_fit(p, swap_parts(h->s, p), room, &tw);
		if (tw > most)
			most = tw;
	}
	h->room = most;
	h->bar_w = h->w - LABEL_W - 2 - most;
	if (h->bar_w < 1)
		h->bar_w = 1;
}

static bool compr_shown(const struct vt_sys *s)
{
	return s->have_zswap || s->have_zram;
}

/* "zswap 12 MiB holds 48 MiB (4.0:1)  zram 5 MiB holds 20 MiB (4.0:1), uses 6 MiB" */
static void compr_draw(const struct ui_meter *mt, const struct hdr *h, struct vt_canvas *c, int y)
{
	const struct vt_sys *s = h->s;
	char a[32], b[32], text[128];
	int x = LABEL_W;

	vt_canvas_put(c, y, 0, VT_A_LABEL, mt->label);
	if (s->have_zswap) {
		snprintf(text, sizeof(text), "zswap %s holds %s", ui_size(s->zswap, a, sizeof(a)),
			 ui_size(s->zswapped, b, sizeof(b)));
		x += vt_canvas_put(c, y, x, VT_A_BAR_COMPR, text);
		if (s->zswap)
			x += vt_canvas_printf(c, y, x, VT_A_NORMAL, " (%.1f:1)",
					      (double)s->zswapped / (double)s->zswap);
	}
	if (s->have_zram) {
		if (s->have_zswap)
			x += vt_canvas_put(c, y, x, VT_A_NORMAL, "  ");
		snprintf(text, sizeof(text), "zram %s holds %s",
			 ui_size(s->zram_compr, a, sizeof(a)), ui_size(s->zram_orig, b, sizeof(b)));
		x += vt_canvas_put(c, y, x, VT_A_BAR_COMPR, text);
		if (s->zram_compr)
			x += vt_canvas_printf(c, y, x, VT_A_NORMAL, " (%.1f:1)",
					      (double)s->zram_orig / (double)s->zram_compr);
		vt_canvas_printf(c, y, x, VT_A_NORMAL, ", uses %s",
				 ui_size(s->zram_used, a, sizeof(a)));
	}
}

/* ---- rates ---- */

static void rate_draw(const struct ui_meter *mt, const struct hdr *h, struct vt_canvas *c, int y)
{
	const struct vt_sys *s = h->s;
	int w = h->w;
	char num[32];
	int x = RATE_LABEL_W + RATE_NUM_W + 1;

	vt_canvas_put(c, y, 0, VT_A_LABEL, mt->label);
	ui_put_right(c, y, RATE_LABEL_W, RATE_NUM_W, s->have_rates ? VT_A_NORMAL : VT_A_DIM,
		     s->have_rates ? ui_rate(s->rate[mt->rate], num, sizeof(num)) : ui_pending(c));
	if (w > x + 1)
		ui_spark(c, y, x + 1, w - x - 1, s->hist[mt->rate],
			 s->nhist < VT_HIST ? s->nhist : VT_HIST);
}

static const struct ui_meter meters[] = {
	{ .label = "vmtop", .draw = title_draw },
	{ .label = "Mem", .draw = mem_draw },
	{ .label = "Swap", .draw = swap_draw },
	{ .label = "Comp", .shown = compr_shown, .draw = compr_draw },
	{ .label = "faults/s", .draw = rate_draw, .rate = VT_RATE_FAULT },
	{ .label = "major/s", .draw = rate_draw, .rate = VT_RATE_MAJFAULT },
	{ .label = "swap-in/s", .draw = rate_draw, .rate = VT_RATE_SWPIN },
	{ .label = "swap-out/s", .draw = rate_draw, .rate = VT_RATE_SWPOUT },
};

int ui_header_draw(struct vt_ui *ui, struct vt_canvas *c, int maxh)
{
	struct hdr h = { .ui = ui, .s = &ui->sys, .w = ui_width(c, UI_BATCH_HEADER_W) };
	int y = 0;

	bar_geometry(&h);
	/* when rows are short the last meters go first: the rates, then the bars */
	for (size_t i = 0; i < sizeof(meters) / sizeof(meters[0]); i++) {
		if (meters[i].shown && !meters[i].shown(&ui->sys))
			continue;
		if (maxh > 0 && y >= maxh)
			break;
		meters[i].draw(&meters[i], &h, c, y);
		y++;
	}
	return y;
}
