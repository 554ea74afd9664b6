// SPDX-License-Identifier: GPL-2.0-or-later
/* vmtop: the page map's panel — what vmwalk says of the cursor's page, and the legend. */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "ui.h"

#define FACT_LABEL_W 11
#define MAX_FACTS 40

/* The panel's lines before they are laid out: a label and a text that wraps. */
struct facts {
	int n;
	struct {
		const char *label;
		char *text; /* malloc'd, safe for the terminal */
		int attr;
	} f[MAX_FACTS];
};

static void fact(struct facts *fs, const char *label, int attr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fact(struct facts *fs, const char *label, int attr, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (fs->n >= MAX_FACTS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	fs->f[fs->n].label = label;
	fs->f[fs->n].text = s;
	fs->f[fs->n].attr = attr;
	fs->n++;
}

static void facts_free(struct facts *fs)
{
	for (int i = 0; i < fs->n; i++)
		free(fs->f[i].text);
	fs->n = 0;
}

static const char *tri(const struct vt_pmap *p, unsigned int flag, bool yes)
{
	if (!(p->known & flag))
		return "unknown (the walk cannot tell)";
	return yes ? "yes" : "no";
}

static void kpf_fact(struct facts *fs, uint64_t v)
{
	char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int b = 0; b < VMS_KPF__COUNT; b++)
		if ((v & (UINT64_C(1) << b)) && vms_kpf_name(b))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
						len ? ", " : "", vms_kpf_name(b));
	fact(fs, "kpageflags", VT_A_NORMAL, "0x%" PRIx64 ": %s", v, len ? buf : "none");
	if (v & ~VMS_KPF_KNOWN_MASK)
		fact(fs, "", VT_A_DIM, "and 0x%" PRIx64 " (kernel-internal bits)",
		     v & ~VMS_KPF_KNOWN_MASK);
}

static const char *region_label(const struct vt_pm_region *rg)
{
	return rg->name && *rg->name ? rg->name : "[anon]";
}

/* What the map cannot say here: flags the walk cannot tell, an unfinished walk. */
static void notes(const struct vt_pmap *p, struct facts *fs)
{
	if (!(p->known & VMS_RUN_HUGE))
		fact(fs, "note", VT_A_DIM, "huge pages cannot be told here: H never shows");
	if (!(p->known & VMS_RUN_ZERO))
		fact(fs, "note", VT_A_DIM, "the zero page cannot be told here: z never shows");
	if (p->partial)
		fact(fs, "note", VT_A_ERROR, "the process exited during the walk: the rest is ?");
}

static void page_facts(struct vt_ui *ui, struct vt_canvas *c, struct facts *fs,
		       const struct vt_pmap *p, const struct ui_pm_cursor *cur,
		       const struct vt_page *pg)
{
	const struct vt_pm_region *rg = &p->regions[cur->r];
	struct ui_pm_counts ct, one;
	char *name;
	const char *kind = vms_kind_name(rg->kind);

	fact(fs, "address", VT_A_NORMAL, "0x%" PRIx64, ui->pm_cur);
	fact(fs, "mapping", VT_A_NORMAL, "%" PRIx64 "-%" PRIx64 " %.4s %s", rg->start, rg->end,
	     rg->perms, kind ? kind : "?");
	name = cx_sanitize(region_label(rg), strlen(region_label(rg)), false);
	if (name)
		fact(fs, "", VT_A_NORMAL, "%s", name);
	free(name);
	fact(fs, "page", VT_A_NORMAL, "%" PRIu64 " of %" PRIu64 " in the mapping",
	     (ui->pm_cur - rg->start) / cur->ps + 1, (rg->end - rg->start + cur->ps - 1) / cur->ps);
	ui_pm_count(p, cur->r, cur->a, cur->b, cur->ps, &ct);
	if (cur->ppc > 1) {
		char buf[200], sub[96];
		size_t len = 0, sl = 0;
		const struct {
			uint64_t n;
			const char *what;
		} parts[] = {
			{ ct.swapped, "swapped" }, { ct.guard, "guard" },
			{ ct.unknown, "unknown" }, { ct.none, "not present" },
		}, sub_parts[] = {
			{ ct.file, "file" },
			{ ct.huge, "huge" },
			{ ct.zero, "zero" },
		};

		buf[0] = sub[0] = '\0';
		for (size_t i = 0; i < sizeof(sub_parts) / sizeof(sub_parts[0]); i++)
			if (sub_parts[i].n)
				sl += (size_t)snprintf(sub + sl, sizeof(sub) - sl,
						       "%s%" PRIu64 " %s", sl ? ", " : "",
						       sub_parts[i].n, sub_parts[i].what);
		if (ct.present)
			len += (size_t)snprintf(buf, sizeof(buf), "%" PRIu64 " present%s%s%s",
						ct.present, sl ? " (" : "", sub, sl ? ")" : "");
		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
			if (parts[i].n)
				len += (size_t)snprintf(buf + len, sizeof(buf) - len,
							"%s%" PRIu64 " %s", len ? ", " : "",
							parts[i].n, parts[i].what);
		fact(fs, "cell", VT_A_NORMAL, "%" PRIu64 " pages: %s", ct.pages, buf);
	}
	notes(p, fs);
	if (!pg) {
		fact(fs, "entry", VT_A_DIM, "reading%s", ui_pending(c));
		return;
	}
	if (pg->err) {
		fact(fs, "entry", VT_A_ERROR, "cannot read: %s", ui_err_reason(pg->err));
		return;
	}
	if (pg->nlevels) {
		char buf[160];
		size_t len = 0;

		buf[0] = '\0';
		for (unsigned int i = 0; i < pg->nlevels && i < 5; i++) {
			const struct vms_pt_level *l = &pg->levels[i];

			if (!l->name)
				continue;
			if (strcmp(l->name, "offset") == 0)
				len += (size_t)snprintf(buf + len, sizeof(buf) - len,
							"%soffset 0x%" PRIx64, len ? "  " : "",
							l->index);
			else
				len += (size_t)snprintf(buf + len, sizeof(buf) - len,
							"%s%s %" PRIu64, len ? "  " : "", l->name,
							l->index);
		}
		fact(fs, "page table", VT_A_NORMAL, "%s", buf);
	}
	fact(fs, "entry", VT_A_NORMAL, "0x%016" PRIx64, pg->pme.raw);
	fact(fs, "state", VT_A_NORMAL, "%s", vms_page_state_name(pg->pme.state));
	{
		char buf[128];

		cx_pme_flags(&pg->pme, buf, sizeof(buf));
		fact(fs, "entry flags", VT_A_NORMAL, "%s", buf);
	}
	if (pg->pme.unknown_bits)
		fact(fs, "unknown bits", VT_A_NORMAL, "0x%016" PRIx64, pg->pme.unknown_bits);
	if (pg->pme.state == VMS_PAGE_PRESENT) {
		if (pg->pme.frame_hidden || pg->hidden_why)
			fact(fs, "PFN", VT_A_DIM, "hidden: %s",
			     pg->hidden_why ? pg->hidden_why : "needs CAP_SYS_ADMIN");
		else
			fact(fs, "PFN", VT_A_NORMAL, "0x%" PRIx64, pg->pme.pfn);
	}
	if (pg->pme.state == VMS_PAGE_SWAPPED) {
		if (pg->pme.frame_hidden)
			fact(fs, "swap", VT_A_DIM, "hidden: %s",
			     pg->hidden_why ? pg->hidden_why : "needs CAP_SYS_ADMIN");
		else
			fact(fs, "swap", VT_A_NORMAL, "type %u, offset %" PRIu64 "%s%s",
			     pg->pme.swap_type, pg->pme.swap_offset, pg->swapdev[0] ? ", " : "",
			     pg->swapdev);
	}
	if (pg->have_kpf)
		kpf_fact(fs, pg->kpf);
	else if (pg->pme.state == VMS_PAGE_PRESENT)
		fact(fs, "kpageflags", VT_A_DIM, "n/a (%s)",
		     pg->pme.frame_hidden ? "the PFN is hidden" : "not readable");
	if (pg->have_count)
		fact(fs, "kpagecount", VT_A_NORMAL, "%" PRIu64, pg->count);
	else if (pg->pme.state == VMS_PAGE_PRESENT)
		fact(fs, "kpagecount", VT_A_DIM, "n/a");
	/* what the walk says of this page and the entry does not; a flag the walk cannot
	 * tell is unknown, not "no" */
	ui_pm_count(p, cur->r, ui->pm_cur, ui->pm_cur + cur->ps, cur->ps, &one);
	fact(fs, "huge page", VT_A_NORMAL, "%s", tri(p, VMS_RUN_HUGE, one.flags & VMS_RUN_HUGE));
	fact(fs, "zero page", VT_A_NORMAL, "%s", tri(p, VMS_RUN_ZERO, one.flags & VMS_RUN_ZERO));
}

/*
 * How much of @t (wider than @tw columns) goes on this line: up to a break between
 * items (", " or two spaces), else after a space, else as much as fits; a break that
 * would leave the line two-thirds empty is not taken.
 */
static size_t break_at(const char *t, int tw, bool utf8)
{
	size_t fit = ui_fit(t, tw, utf8), item = 0, space = 0;

	for (size_t i = fit; i > fit / 3 && i >= 2; i--) {
		if (!space && t[i - 1] == ' ')
			space = i;
		if (t[i - 1] == ' ' && (t[i - 2] == ',' || t[i - 2] == ' ')) {
			item = i;
			break;
		}
	}
	if (item)
		return item;
	if (space)
		return space;
	return fit ? fit : 1;
}

/* Draw @fs in @ncols columns of @colw in the box at (@y, @x), @h rows: wrapped, column-major. */
static void draw_facts(struct vt_canvas *c, const struct facts *fs, int y, int x, int colw,
		       int ncols, int h)
{
	int slot = 0, tw = colw - FACT_LABEL_W - 1;

	if (tw < 4 || h <= 0)
		return;
	for (int i = 0; i < fs->n; i++) {
		const char *t = fs->f[i].text;
		bool first = true;

		while (first || *t) {
			int col = slot / h, row = slot % h, fx;
			size_t take = strlen(t);

			if (col >= ncols)
				return;
			fx = x + col * (colw + 1);
			if (first && fs->f[i].label)
				vt_canvas_put(c, y + row, fx, VT_A_LABEL, fs->f[i].label);
			if (vt_text_width(t, c->utf8) > tw)
				take = break_at(t, tw, c->utf8);
			{
				char *part = strndup(t, take);

				if (part)
					vt_canvas_put(c, y + row, fx + FACT_LABEL_W + 1,
						      fs->f[i].attr, part);
				free(part);
			}
			t += take;
			while (*t == ' ')
				t++;
			first = false;
			slot++;
		}
	}
}

/* The characters and what they mean, as many to a line as fit in @w; returns the lines. */
static int draw_legend(struct vt_canvas *c, int y, int x, int w, int maxh, bool draw)
{
	static const enum ui_pm_class order[] = { UI_PM_ANON,	 UI_PM_FILE,	UI_PM_THP,
						  UI_PM_ZERO,	 UI_PM_SWAPPED, UI_PM_GUARD,
						  UI_PM_UNKNOWN, UI_PM_NONE };
	int line = 0, cx = 0;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct ui_pm_look *l = &ui_pm_looks[order[i]];
		int iw = 2 + (int)strlen(l->word);

		if (cx && cx + 2 + iw > w) {
			line++;
			cx = 0;
		}
		if (line >= maxh)
			return line;
		if (cx)
			cx += 2;
		if (draw) {
			vt_canvas_fill(c, y + line, x + cx, 1, l->attr, (uint32_t)l->ch);
			vt_canvas_put(c, y + line, x + cx + 2, VT_A_NORMAL, l->word);
		}
		cx += iw;
	}
	return line + 1;
}

void ui_pm_panel_draw(struct vt_ui *ui, struct vt_canvas *c, const struct vt_pmap *p,
		      const struct ui_pm_cursor *cur, const struct vt_page *pg, int y, int x, int w,
		      int h, int ncols)
{
	struct facts fs = { 0 };
	int lh = draw_legend(c, 0, x, w, h, false), colw = (w - (ncols - 1)) / ncols;

	page_facts(ui, c, &fs, p, cur, pg);
	/* the legend at the bottom; beside the map, a blank line above it */
	draw_facts(c, &fs, y, x, colw, ncols, h - lh - (ncols == 1 ? 1 : 0));
	draw_legend(c, y + h - lh, x, w, lh, true);
	facts_free(&fs);
}
