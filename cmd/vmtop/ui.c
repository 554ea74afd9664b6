// SPDX-License-Identifier: GPL-2.0-or-later
/* vmtop: the view — the stack of screens, the keys every screen shares, the status line. */

/*
 * The screens never call curses and never read /proc: they draw on a canvas
 * from what the vt_model_* functions hand over, so the frame batch mode prints
 * is the frame the terminal shows.  Each screen is a const struct of function
 * pointers (ui.h); this file keeps the stack they live on, the prompt, and the
 * small drawing helpers they share.
 */

#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "ui.h"

#define KEY_CTRL(c) ((c)&0x1f)

/* ---- drawing helpers ---- */

int ui_width(const struct vt_canvas *c, int unbounded)
{
	return c->w > 0 ? c->w : unbounded;
}

const char *ui_pending(const struct vt_canvas *c)
{
	return c->utf8 ? "\u2026" : "-";
}

const char *ui_size(uint64_t bytes, char *buf, size_t len)
{
	cx_human_size(bytes, buf, len);
	return buf;
}

const char *ui_rate(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.1f", v);
	return buf;
}

const char *ui_err_reason(int err)
{
	switch (err) {
	case -EACCES:
	case -EPERM:
		return "permission denied: needs the same user or CAP_SYS_PTRACE";
	case -ESRCH:
		return "the process exited";
	default:
		return cx_errno_reason(-err);
	}
}

size_t ui_fit(const char *s, int maxw, bool utf8)
{
	size_t n = strlen(s), off = 0;
	int w = 0;

	while (off < n) {
		char one[8];
		uint32_t cp;
		size_t l = cx_utf8_decode((const unsigned char *)s + off, n - off, &cp);
		int cw;

		if (!l || l >= sizeof(one))
			l = 1;
		memcpy(one, s + off, l);
		one[l] = '\0';
		cw = vt_text_width(one, utf8);
		if (w + cw > maxw)
			break;
		w += cw;
		off += l;
	}
	return off;
}

int ui_put_clip(struct vt_canvas *c, int y, int x, int attr, const char *s, int maxw)
{
	const char *more = c->utf8 ? "\u2026" : "+";
	size_t keep;
	char *cut;
	int used;

	if (maxw < 0 || vt_text_width(s, c->utf8) <= maxw)
		return vt_canvas_put(c, y, x, attr, s);
	if (maxw <= 0)
		return 0;
	keep = ui_fit(s, maxw - 1, c->utf8);
	cut = malloc(keep + strlen(more) + 1);
	if (!cut)
		return 0;
	memcpy(cut, s, keep);
	strcpy(cut + keep, more);
	used = vt_canvas_put(c, y, x, attr, cut);
	free(cut);
	return used;
}

int ui_put_proc_clip(struct vt_canvas *c, int y, int x, int attr, const char *s, int maxw)
{
	char *safe = cx_sanitize(s, strlen(s), false);
	int used;

	if (!safe)
		return 0;
	used = ui_put_clip(c, y, x, attr, safe, maxw);
	free(safe);
	return used;
}

void ui_put_right(struct vt_canvas *c, int y, int x, int w, int attr, const char *s)
{
	int tw = vt_text_width(s, c->utf8);

	/* a figure one column too wide takes the blank before the field: a cut number lies */
	if (tw > w + 1 || x + w - tw < 0)
		ui_put_clip(c, y, x, attr, s, w);
	else
		vt_canvas_put(c, y, x + w - tw, attr, s);
}

void ui_spark(struct vt_canvas *c, int y, int x, int w, const double *v, size_t n)
{
	static const uint32_t blocks[8] = { 0x2581, 0x2582, 0x2583, 0x2584,
					    0x2585, 0x2586, 0x2587, 0x2588 };
	static const char ascii[] = " .:-=+*#";
	size_t k = n < (size_t)(w > 0 ? w : 0) ? n : (size_t)(w > 0 ? w : 0);
	const double *p = v + (n - k);
	double max = 0;

	/* scaled to the largest value shown, so that a quiet system still shows its shape */
	for (size_t i = 0; i < k; i++)
		if (p[i] > max)
			max = p[i];
	for (size_t i = 0; i < k; i++) {
		int cx = x + w - (int)k + (int)i, level;
		uint32_t cp;

		/* 0: nothing; 1..8: the height of a non-zero value */
		if (!(p[i] > 0) || !(max > 0))
			level = 0;
		else
			level = 1 + (int)fmin(7.0, floor(p[i] / max * 8.0));
		if (level > 8)
			level = 8;
		if (!level)
			cp = ' ';
		else if (c->utf8)
			cp = blocks[level - 1];
		else
			cp = (uint32_t)ascii[(level * 7 + 7) / 8];
		vt_canvas_fill(c, y, cx, 1, VT_A_SPARK, cp);
	}
}

/* ---- the stack of screens ---- */

void ui_push(struct vt_ui *ui, const struct ui_screen *s)
{
	if (ui->depth >= UI_STACK)
		return;
	ui->stack[ui->depth++] = s;
	if (s->enter)
		s->enter(ui);
}

void ui_pop(struct vt_ui *ui)
{
	const struct ui_screen *s;

	if (ui->depth <= 1)
		return;
	s = ui->stack[--ui->depth];
	if (s->leave)
		s->leave(ui);
}

static const struct ui_screen *top_screen(const struct vt_ui *ui)
{
	return ui->stack[ui->depth - 1];
}

void ui_message(struct vt_ui *ui, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ui->msg, sizeof(ui->msg), fmt, ap);
	va_end(ap);
}

/* ---- life ---- */

/* The name of @uid for the status line (-u gave a uid), else the uid in decimal. */
static char *user_name(uint32_t uid)
{
	struct passwd pw, *res = NULL;
	long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	char *buf, *name = NULL;

	buf = malloc(sz > 0 ? (size_t)sz : 16384);
	if (buf && getpwuid_r((uid_t)uid, &pw, buf, sz > 0 ? (size_t)sz : 16384, &res) == 0 &&
	    res && pw.pw_name)
		name = strdup(pw.pw_name);
	free(buf);
	if (!name && asprintf(&name, "%u", uid) < 0)
		name = NULL;
	return name;
}

struct vt_ui *vt_ui_new(struct vt_model *m, const struct vt_ui_opts *o)
{
	struct vt_ui *ui = calloc(1, sizeof(*ui));
	bool any = false;

	if (!ui)
		return NULL;
	ui->m = m;
	ui->batch = o->batch;
	ui->utf8 = o->utf8;
	ui->q = o->query;
	ui->q.filter = NULL;
	ui->q.pids = NULL;
	if (o->query.filter && *o->query.filter) {
		ui->filter = strdup(o->query.filter);
		if (!ui->filter)
			goto fail;
		ui->q.filter = ui->filter;
	}
	if (o->query.have_uid || o->query.user) {
		ui->user = o->query.user ? strdup(o->query.user) : user_name(o->query.uid);
		if (!ui->user)
			goto fail;
		ui->q.user = o->query.user ? ui->user : NULL;
	}
	if (o->query.npids) {
		ui->pids = malloc(o->query.npids * sizeof(*ui->pids));
		if (!ui->pids)
			goto fail;
		memcpy(ui->pids, o->query.pids, o->query.npids * sizeof(*ui->pids));
		ui->q.pids = ui->pids;
	}
	for (int i = 0; i < VT_COL__N; i++) {
		ui->cols[i] = o->cols[i];
		any |= o->cols[i];
	}
	if (!any)
		ui->cols[VT_COL_COMMAND] = true;
	ui_push(ui, &ui_list_screen);
	return ui;

fail:
	vt_ui_free(ui);
	return NULL;
}

void vt_ui_free(struct vt_ui *ui)
{
	if (!ui)
		return;
	while (ui->depth > 1)
		ui_pop(ui);
	if (ui->have_rows)
		vt_rows_free(&ui->rows);
	if (ui->det)
		vt_detail_free(ui->det);
	if (ui->pm)
		vt_pmap_free(ui->pm);
	free(ui->filter);
	free(ui->user);
	free(ui->pids);
	free(ui);
}

/* ---- the prompt ---- */

void ui_prompt_open(struct vt_ui *ui, enum ui_prompt p)
{
	const char *init = p == UI_PROMPT_FILTER ? ui->filter : ui->user;

	ui->prompt = p;
	ui->plen = 0;
	ui->pbuf[0] = '\0';
	if (init) {
		ui->plen = strlen(init) < sizeof(ui->pbuf) - 1 ? strlen(init) :
								 sizeof(ui->pbuf) - 1;
		memcpy(ui->pbuf, init, ui->plen);
		ui->pbuf[ui->plen] = '\0';
	}
}

static bool parse_uid(const char *s, uint32_t *uid)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > UINT32_MAX - 1)
			return false;
	}
	*uid = (uint32_t)v;
	return true;
}

static void prompt_apply(struct vt_ui *ui)
{
	char *text = ui->plen ? strdup(ui->pbuf) : NULL;
	uint32_t uid = 0;

	if (ui->plen && !text) {
		ui_message(ui, "out of memory");
		return;
	}
	if (ui->prompt == UI_PROMPT_FILTER) {
		free(ui->filter);
		ui->filter = text;
		ui->q.filter = text;
		return;
	}
	if (!text) {
		free(ui->user);
		ui->user = NULL;
		ui->q.have_uid = false;
		ui->q.user = NULL;
		return;
	}
	free(ui->user);
	ui->user = text;
	/* a uid, or a name as the process table gives it (a snapshot's own
	 * etc/passwd when replaying: the local one may not know it) */
	ui->q.have_uid = parse_uid(text, &uid);
	ui->q.uid = uid;
	ui->q.user = ui->q.have_uid ? NULL : text;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static void prompt_key(struct vt_ui *ui, int key)
{
	char enc[4];
	size_t n;

	switch (key) {
	case VT_KEY_ENTER:
	case '\r':
	case '\n':
		prompt_apply(ui);
		ui->prompt = UI_PROMPT_NONE;
		return;
	case VT_KEY_ESC:
		ui->prompt = UI_PROMPT_NONE;
		return;
	case VT_KEY_BACKSPACE:
	case 0x7f:
	case KEY_CTRL('H'):
		/* drop the last code point, not the last byte */
		while (ui->plen && (ui->pbuf[ui->plen - 1] & 0xc0) == 0x80)
			ui->plen--;
		if (ui->plen)
			ui->plen--;
		ui->pbuf[ui->plen] = '\0';
		return;
	case KEY_CTRL('U'):
		ui->plen = 0;
		ui->pbuf[0] = '\0';
		return;
	default:
		break;
	}
	/* text: printable code points only (a control would end up on the screen) */
	if (key < 0x20 || key == 0x7f || (key >= 0x80 && key < 0xa0) || key >= 0x110000 ||
	    (key >= 0xd800 && key < 0xe000))
		return;
	n = utf8_encode((uint32_t)key, enc);
	if (ui->plen + n >= sizeof(ui->pbuf))
		return;
	memcpy(ui->pbuf + ui->plen, enc, n);
	ui->plen += n;
	ui->pbuf[ui->plen] = '\0';
}

/* ---- keys ---- */

int vt_ui_key(struct vt_ui *ui, int key)
{
	const struct ui_screen *s = top_screen(ui);
	int ret;

	if (key == KEY_CTRL('C'))
		return VT_UI_QUIT;
	if (ui->prompt != UI_PROMPT_NONE) {
		if (key == VT_KEY_F10)
			return VT_UI_QUIT;
		prompt_key(ui, key);
		return VT_UI_OK;
	}
	if (key == VT_KEY_RESIZE || key == VT_KEY_REDRAW || key == KEY_CTRL('L') ||
	    key == VT_KEY_NONE)
		return VT_UI_OK;
	ui->msg[0] = '\0';
	if (key == 'q' || key == VT_KEY_F10)
		return VT_UI_QUIT;
	ret = s->key ? s->key(ui, key) : UI_KEY_IGNORED;
	if (ret == UI_KEY_QUIT)
		return VT_UI_QUIT;
	if (ret == UI_KEY_DONE)
		return VT_UI_OK;
	switch (key) {
	case 'h':
	case '?':
	case VT_KEY_F1:
		ui_push(ui, &ui_help_screen);
		break;
	case ' ':
	case 'Z':
		ui->paused = !ui->paused;
		vt_model_pause(ui->m, ui->paused);
		break;
	case VT_KEY_ESC:
	case VT_KEY_BACKSPACE:
	case 0x7f:
	case VT_KEY_LEFT:
		ui_pop(ui);
		break;
	default:
		break;
	}
	return VT_UI_OK;
}

/* ---- drawing ---- */

static void draw_too_small(struct vt_canvas *c)
{
	static const char text[] = "terminal too small";
	int len = (int)sizeof(text) - 1;

	/* a canvas of 0 columns or rows would mean "no limit": draw nothing at all */
	if (c->w <= 0 || c->h <= 0)
		return;
	vt_canvas_put(c, (c->h - 1) / 2, c->w > len ? (c->w - len) / 2 : 0, VT_A_ERROR, text);
}

static int draw_prompt(struct vt_ui *ui, struct vt_canvas *c, int y)
{
	const char *label = ui->prompt == UI_PROMPT_FILTER ? "Filter (command): " :
							     "User (name or uid): ";
	int x = vt_canvas_put(c, y, 0, VT_A_STATUS, label);
	int w = ui_width(c, 0), room = w - x - 1;
	const char *text = ui->pbuf;

	/* keep the end of a long text in view, where the typing happens */
	while (*text && vt_text_width(text, c->utf8) > room) {
		text++;
		while ((*text & 0xc0) == 0x80)
			text++;
	}
	x += ui_put_proc_clip(c, y, x, VT_A_STATUS, text, room);
	vt_canvas_fill(c, y, x, 1, VT_A_SELECTED, ' ');
	return x + 1;
}

static void draw_status(struct vt_ui *ui, struct vt_canvas *c, int y)
{
	const struct ui_screen *s = top_screen(ui);
	int w = ui_width(c, 0), x, hw;

	if (ui->prompt != UI_PROMPT_NONE) {
		x = draw_prompt(ui, c, y);
		if (x < w)
			vt_canvas_fill(c, y, x, w - x, VT_A_STATUS, ' ');
		return;
	}
	hw = s->hint ? (int)strlen(s->hint) : 0;
	if (ui->msg[0])
		x = ui_put_clip(c, y, 0, VT_A_ERROR, ui->msg, w - hw - 2 > 0 ? w - hw - 2 : w);
	else
		x = s->status ? s->status(ui, c, y) : 0;
	if (x < w)
		vt_canvas_fill(c, y, x, w - x, VT_A_STATUS, ' ');
	/* the hint wins over the end of a long status: it is how to find the help */
	if (s->hint && w >= hw + 12) {
		vt_canvas_fill(c, y, w - hw - 2, 2, VT_A_STATUS, ' ');
		vt_canvas_put(c, y, w - hw, VT_A_STATUS, s->hint);
	}
}

void vt_ui_render(struct vt_ui *ui, struct vt_canvas *c)
{
	int hh, body;

	vt_model_sys(ui->m, &ui->sys);
	if (ui->batch) {
		hh = ui_header_draw(ui, c, 0);
		if (c->h > 0 && c->h <= hh)
			return;
		ui_list_screen.draw(ui, c, hh, c->h > 0 ? c->h - hh : 0);
		return;
	}
	if (c->w < UI_MIN_W || c->h < UI_MIN_H) {
		draw_too_small(c);
		return;
	}
	hh = ui_header_draw(ui, c, c->h - 1 - UI_MIN_BODY);
	body = c->h - hh - 1;
	top_screen(ui)->draw(ui, c, hh, body);
	draw_status(ui, c, c->h - 1);
}
