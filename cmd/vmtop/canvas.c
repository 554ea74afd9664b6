// SPDX-License-Identifier: GPL-2.0-or-later
/* vmtop: the canvas, a grid of printable cells the screens draw on, printed as text in batch. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common/common.h"
#include "vmtop.h"

/*
 * Bounds on an unbounded canvas (batch): far beyond any real frame, but a
 * stray coordinate must not make us allocate gigabytes.
 */
#define VT_MAX_COLS (1 << 16)
#define VT_MAX_LINES (1 << 22)

static const struct vt_cell blank = { ' ', VT_A_NORMAL };

void vt_canvas_init(struct vt_canvas *c, int w, int h, bool utf8)
{
	memset(c, 0, sizeof(*c));
	c->w = w > 0 ? w : 0;
	c->h = h > 0 ? h : 0;
	c->utf8 = utf8;
}

void vt_canvas_reset(struct vt_canvas *c, int w, int h)
{
	for (int i = 0; i < c->nlines; i++)
		c->lines[i].len = 0;
	c->nlines = 0;
	c->w = w > 0 ? w : 0;
	c->h = h > 0 ? h : 0;
}

void vt_canvas_free(struct vt_canvas *c)
{
	for (int i = 0; i < c->cap; i++)
		free(c->lines[i].cells);
	free(c->lines);
	memset(c, 0, sizeof(*c));
}

static int max_cols(const struct vt_canvas *c)
{
	return c->w > 0 ? c->w : VT_MAX_COLS;
}

/* Line @y, made to exist; NULL when @y is off the canvas. */
static struct vt_line *line_at(struct vt_canvas *c, int y)
{
	if (y < 0 || y >= (c->h > 0 ? c->h : VT_MAX_LINES))
		return NULL;
	if (y >= c->cap) {
		size_t cap = (size_t)c->cap;
		struct vt_line *l = c->lines;

		while (cap <= (size_t)y)
			l = cx_grow(l, cap, &cap, sizeof(*l));
		memset(l + c->cap, 0, (cap - (size_t)c->cap) * sizeof(*l));
		c->lines = l;
		c->cap = (int)cap;
	}
	/* lines between the last one drawn and @y were emptied by the reset */
	for (int i = c->nlines; i <= y; i++)
		c->lines[i].len = 0;
	if (y >= c->nlines)
		c->nlines = y + 1;
	return &c->lines[y];
}

/* Make cells [0, @n) of @l exist, the new ones blank. */
static void line_extend(struct vt_line *l, int n)
{
	if (n <= l->len)
		return;
	if (n > l->cap) {
		size_t cap = (size_t)l->cap;

		while (cap < (size_t)n)
			l->cells = cx_grow(l->cells, cap, &cap, sizeof(*l->cells));
		l->cap = (int)cap;
	}
	for (int i = l->len; i < n; i++)
		l->cells[i] = blank;
	l->len = n;
}

/*
 * Put one cell of width @cw (1 or 2) at @x, mending the wide characters it
 * cuts in half: their other half becomes a blank, never a lone half.
 */
static void put_cell(struct vt_line *l, int x, int cw, uint32_t cp, uint8_t attr)
{
	line_extend(l, x + cw);
	if (l->cells[x].cp == 0 && x > 0)
		l->cells[x - 1] = blank;
	if (x + cw < l->len && l->cells[x + cw].cp == 0)
		l->cells[x + cw] = blank;
	l->cells[x].cp = cp;
	l->cells[x].attr = attr;
	if (cw == 2) {
		l->cells[x + 1].cp = 0;
		l->cells[x + 1].attr = attr;
	}
}

static uint8_t clamp_attr(int attr)
{
	return attr >= 0 && attr < VT_A__N ? (uint8_t)attr : VT_A_NORMAL;
}

/* Format and bidi controls: invisible, yet they reorder or hide what follows. */
static bool invisible_control(uint32_t cp)
{
	return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0x061c || cp == 0xfeff;
}

/*
 * The next character of @s as the canvas draws it: its code point in *@cp
 * and its width in *@cw (0: nothing is drawn, a combining mark or a
 * zero-width character).  Returns the bytes used (at least one).
 */
static size_t next_char(const char *s, bool utf8, uint32_t *cp, int *cw)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	int w;

	*cw = 1;
	if (p[0] >= 0x20 && p[0] < 0x7f) {
		*cp = p[0];
		return 1;
	}
	if (p[0] < 0x80) {
		*cp = '?'; /* C0 controls and DEL */
		return 1;
	}
	n = cx_utf8_decode(p, strnlen(s, 4), cp);
	if (!n) {
		*cp = '?';
		return 1;
	}
	if (!utf8 || *cp < 0xa0 || invisible_control(*cp)) {
		*cp = '?'; /* C1 controls (0x9b is CSI), or no way to show it */
		return n;
	}
	w = wcwidth((wchar_t)*cp);
	if (w < 0) {
		*cp = '?';
	} else if (w == 0) {
		*cw = 0;
	} else {
		*cw = w > 2 ? 2 : w;
	}
	return n;
}

/* Encode @cp as UTF-8 into @buf (5 bytes); returns the length. */
static size_t utf8_encode(uint32_t cp, char *buf)
{
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xc0 | (cp >> 6));
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | (cp >> 12));
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	buf[0] = (char)(0xf0 | (cp >> 18));
	buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	buf[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A code point as one cell value: printable, or '?'. */
static uint32_t fix_cp(uint32_t cp, bool utf8, int *cw)
{
	char buf[5];

	*cw = 1;
	if (cp >= 0x20 && cp < 0x7f)
		return cp;
	if (cp < 0x80 || !utf8 || cp > 0x10ffff)
		return '?';
	/* through the same checks as text */
	buf[utf8_encode(cp, buf)] = '\0';
	next_char(buf, true, &cp, cw);
	if (*cw == 0) {
		/* a lone combining mark fills no cell of its own */
		*cw = 1;
		return '?';
	}
	return cp;
}

/*
 * Draw @s from (@y, @x).  Characters left of column 0 are skipped (a
 * wide one cut by the edge too), drawing stops at the right edge (a wide
 * character that would straddle it is not drawn).  Returns the columns
 * the cursor moved from @x: the text's width, up to the right edge.
 */
int vt_canvas_put(struct vt_canvas *c, int y, int x, int attr, const char *s)
{
	struct vt_line *l = line_at(c, y);
	uint8_t a = clamp_attr(attr);
	int right = max_cols(c);
	int cx = x;

	if (!s || x >= right)
		return 0;
	while (*s) {
		uint32_t cp;
		int cw;

		s += next_char(s, c->utf8, &cp, &cw);
		if (cw == 0)
			continue;
		if (cx + cw > right)
			break;
		if (cx >= 0 && l)
			put_cell(l, cx, cw, cp, a);
		cx += cw;
	}
	return cx > x ? cx - x : 0;
}

int vt_canvas_put_proc(struct vt_canvas *c, int y, int x, int attr, const char *s)
{
	char *t;
	int n;

	if (!s)
		return 0;
	t = cx_sanitize(s, strlen(s), false);
	if (!t)
		return vt_canvas_put(c, y, x, attr, "?");
	n = vt_canvas_put(c, y, x, attr, t);
	free(t);
	return n;
}

int vt_canvas_printf(struct vt_canvas *c, int y, int x, int attr, const char *fmt, ...)
{
	char buf[256], *s = buf;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(buf)) {
		va_start(ap, fmt);
		n = vasprintf(&s, fmt, ap);
		va_end(ap);
		if (n < 0)
			return 0;
	}
	n = vt_canvas_put(c, y, x, attr, s);
	if (s != buf)
		free(s);
	return n;
}

void vt_canvas_fill(struct vt_canvas *c, int y, int x, int n, int attr, uint32_t cp)
{
	struct vt_line *l;
	uint8_t a = clamp_attr(attr);
	int right = max_cols(c), cw;

	if (n <= 0 || x >= right)
		return;
	l = line_at(c, y);
	if (!l)
		return;
	cp = fix_cp(cp, c->utf8, &cw);
	/* whole characters only: n cells, or as many as fit */
	for (int i = 0; i + cw <= n && x + i + cw <= right; i += cw)
		if (x + i >= 0)
			put_cell(l, x + i, cw, cp, a);
}

void vt_canvas_attr(struct vt_canvas *c, int y, int x, int n, int attr)
{
	struct vt_line *l;
	uint8_t a = clamp_attr(attr);
	int right = max_cols(c), end;

	if (n <= 0 || x >= right)
		return;
	l = line_at(c, y);
	if (!l)
		return;
	end = n > right - x ? right : x + n;
	if (x < 0)
		x = 0;
	if (end <= x)
		return;
	line_extend(l, end);
	for (int i = x; i < end; i++)
		l->cells[i].attr = a;
}

int vt_canvas_print(const struct vt_canvas *c, FILE *f)
{
	for (int y = 0; y < c->nlines; y++) {
		const struct vt_line *l = &c->lines[y];
		int end = l->len;

		while (end > 0 && l->cells[end - 1].cp == ' ')
			end--;
		for (int x = 0; x < end; x++) {
			uint32_t cp = l->cells[x].cp;
			char buf[5];

			if (cp == 0)
				continue; /* the right half of a wide character */
			if (cp >= 0x80 && !c->utf8)
				cp = '?';
			fwrite(buf, 1, utf8_encode(cp, buf), f);
		}
		if (putc('\n', f) == EOF)
			break;
	}
	if (ferror(f))
		return -(errno ? errno : EIO);
	return 0;
}

int vt_text_width(const char *s, bool utf8)
{
	int w = 0;

	if (!s)
		return 0;
	while (*s) {
		uint32_t cp;
		int cw;

		s += next_char(s, utf8, &cp, &cw);
		if (w > VT_MAX_COLS)
			break;
		w += cw;
	}
	return w;
}
