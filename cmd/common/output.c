// SPDX-License-Identifier: GPL-2.0-or-later
/* cmd/common: column tables and their table, raw, JSON and OpenMetrics writers. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

int cx_column_find(const struct cx_column *cols, size_t ncols, const char *name, size_t len)
{
	for (size_t i = 0; i < ncols; i++)
		if (strlen(cols[i].name) == len && strncasecmp(cols[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

struct sel_ctx {
	struct cx_table *t;
};

static void add_sel(const char *item, size_t len, void *data)
{
	struct cx_table *t = ((struct sel_ctx *)data)->t;
	int c = cx_column_find(t->cols, t->ncols, item, len);

	if (c < 0)
		cx_usage_error("unknown column: '%.*s'", (int)len, item);
	t->sel = realloc(t->sel, (t->nsel + 1) * sizeof(*t->sel));
	if (!t->sel) {
		cx_warn("out of memory");
		exit(CX_EXIT_FAILURE);
	}
	t->sel[t->nsel++] = c;
}

void cx_table_init(struct cx_table *t, const struct cx_column *cols, size_t ncols,
		   const char *defaults, const struct cx_outopts *o)
{
	struct sel_ctx sc = { t };

	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols;
	if (o->output_all) {
		for (size_t i = 0; i < ncols; i++)
			add_sel(cols[i].name, strlen(cols[i].name), &sc);
		return;
	}
	if (!o->output || o->output[0] == '+')
		cx_split(defaults, add_sel, &sc);
	if (o->output)
		cx_split(o->output[0] == '+' ? o->output + 1 : o->output, add_sel, &sc);
	if (!t->nsel)
		cx_usage_error("no columns to print");
}

struct needs_ctx {
	const struct cx_column *cols;
	size_t ncols;
	bool (*needs)(int col);
	const char *opt;
};

static void check_needs(const char *item, size_t len, void *data)
{
	const struct needs_ctx *n = data;
	int c = cx_column_find(n->cols, n->ncols, item, len);

	if (c >= 0 && n->needs(c))
		cx_usage_error("column '%.*s' needs %s", (int)len, item, n->opt);
}

void cx_check_option_columns(const struct cx_outopts *o, const struct cx_column *cols, size_t ncols,
			     bool (*needs)(int col), const char *opt)
{
	struct needs_ctx n = { cols, ncols, needs, opt };
	const char *l = o->output;

	if (l && *l == '+')
		l++;
	if (l && *l)
		cx_split(l, check_needs, &n);
	if (o->sort)
		check_needs(o->sort, strlen(o->sort), &n);
}

static void oom(void)
{
	cx_warn("out of memory");
	exit(CX_EXIT_FAILURE);
}

size_t cx_table_add_row(struct cx_table *t)
{
	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;

		t->cells = realloc(t->cells, ncap * t->ncols * sizeof(*t->cells));
		t->indent = realloc(t->indent, ncap * sizeof(*t->indent));
		if (!t->cells || !t->indent)
			oom();
		t->cap = ncap;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		t->cells[t->nrows * t->ncols + c].null = true;
		t->cells[t->nrows * t->ncols + c].s = NULL;
	}
	t->indent[t->nrows] = 0;
	return t->nrows++;
}

struct cx_cell *cx_cell(struct cx_table *t, size_t row, int col)
{
	return &t->cells[row * t->ncols + (size_t)col];
}

void cx_set_u64(struct cx_table *t, size_t row, int col, uint64_t v)
{
	struct cx_cell *c = cx_cell(t, row, col);

	c->null = false;
	c->u = v;
}

void cx_set_int(struct cx_table *t, size_t row, int col, int64_t v)
{
	struct cx_cell *c = cx_cell(t, row, col);

	c->null = false;
	c->i = v;
}

void cx_set_rate(struct cx_table *t, size_t row, int col, double v)
{
	struct cx_cell *c = cx_cell(t, row, col);

	c->null = false;
	c->d = v;
}

void cx_set_str(struct cx_table *t, size_t row, int col, const char *s)
{
	struct cx_cell *c = cx_cell(t, row, col);

	if (!c->null && t->cols[col].type == CX_STR)
		free(c->s);
	c->s = NULL;
	c->null = !s;
	if (s) {
		c->s = strdup(s);
		if (!c->s)
			oom();
	}
}

static const struct cx_table *sort_table;
static int sort_col;
static bool sort_reverse;

static int cmp_rows(const void *a, const void *b)
{
	size_t ra = *(const size_t *)a, rb = *(const size_t *)b;
	const struct cx_cell *ca = &sort_table->cells[ra * sort_table->ncols + (size_t)sort_col];
	const struct cx_cell *cb = &sort_table->cells[rb * sort_table->ncols + (size_t)sort_col];
	int r = 0;

	/* nulls last, whatever the order */
	if (ca->null || cb->null)
		return ca->null == cb->null ? (ra > rb) - (ra < rb) : ca->null ? 1 : -1;
	switch (sort_table->cols[sort_col].type) {
	case CX_STR:
		r = strcmp(ca->s, cb->s);
		break;
	case CX_SIZE:
	case CX_U64:
		r = (ca->u < cb->u) - (ca->u > cb->u); /* largest first */
		break;
	case CX_INT:
		r = (ca->i < cb->i) - (ca->i > cb->i);
		break;
	case CX_RATE:
		r = (ca->d < cb->d) - (ca->d > cb->d);
		break;
	}
	if (sort_reverse)
		r = -r;
	return r ? r : (ra > rb) - (ra < rb);
}

void cx_table_sort(struct cx_table *t, int col, bool reverse)
{
	size_t *order = malloc(t->nrows * sizeof(*order) + 1);
	struct cx_cell *cells = malloc(t->nrows * t->ncols * sizeof(*cells) + 1);

	if (!order || !cells)
		oom();
	for (size_t i = 0; i < t->nrows; i++)
		order[i] = i;
	sort_table = t;
	sort_col = col;
	sort_reverse = reverse;
	qsort(order, t->nrows, sizeof(*order), cmp_rows);
	for (size_t i = 0; i < t->nrows; i++)
		memcpy(&cells[i * t->ncols], &t->cells[order[i] * t->ncols],
		       t->ncols * sizeof(*cells));
	free(t->cells);
	t->cells = cells;
	t->cap = t->nrows;
	free(order);
}

void cx_table_truncate(struct cx_table *t, size_t nrows)
{
	if (nrows >= t->nrows)
		return;
	for (size_t r = nrows; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++)
			if (t->cols[c].type == CX_STR)
				free(t->cells[r * t->ncols + c].s);
	t->nrows = nrows;
}

void cx_table_free(struct cx_table *t)
{
	cx_table_truncate(t, 0);
	free(t->cells);
	free(t->indent);
	free(t->sel);
	free(t->width);
	memset(t, 0, sizeof(*t));
}

/*
 * Print the rows of @t; @w holds the width of each selected column and is
 * widened to fit these rows.  The header line first when @header.
 */
/* Is @s printable ASCII that needs no escape (for raw output: no space or backslash)? */
static bool clean_text(const char *s, bool raw)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
		if (raw && (*s == ' ' || *s == '\\'))
			return false;
	}
	return true;
}

/*
 * Like cell_text(), without a malloc for the common cells: numbers go into
 * @num (32 bytes), clean strings are the cell's own.  *@owned says whether
 * the result must be freed.
 */
static const char *cell_text_fast(const struct cx_table *t, size_t row, int col,
				  const struct cx_outopts *o, char *num, bool *owned)
{
	const struct cx_cell *c = &t->cells[row * t->ncols + (size_t)col];
	bool raw = o->format == CX_FMT_RAW;

	*owned = false;
	if (c->null)
		return "-";
	switch (t->cols[col].type) {
	case CX_STR:
		if (clean_text(c->s, raw))
			return c->s;
		*owned = true;
		return cx_sanitize(c->s, strlen(c->s), raw);
	case CX_SIZE:
		if (!o->bytes && !raw) {
			cx_human_size(c->u, num, 32);
			return num;
		}
		/* fall through */
	case CX_U64: {
		char tmp[24];
		int n = 0;
		uint64_t v = c->u;

		do {
			tmp[n++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		for (int k = 0; k < n; k++)
			num[k] = tmp[n - 1 - k];
		num[n] = '\0';
		return num;
	}
	case CX_INT:
		snprintf(num, 32, "%" PRId64, c->i);
		return num;
	case CX_RATE:
		snprintf(num, 32, "%.1f", c->d);
		return num;
	}
	return "-";
}

static void pad(FILE *f, size_t n)
{
	static const char spaces[] =
		"                                                                ";

	while (n) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		fwrite(spaces, 1, k, f);
		n -= k;
	}
}

static void print_rows(const struct cx_table *t, const struct cx_outopts *o, FILE *f, size_t *w,
		       bool header)
{
	bool raw = o->format == CX_FMT_RAW;
	size_t ncell = t->nrows * t->nsel;
	const char **txt = calloc(ncell + 1, sizeof(*txt));
	size_t *tw = calloc(ncell + 1, sizeof(*tw));
	bool *owned = calloc(ncell + 1, sizeof(*owned));
	char *num = malloc(ncell * 32 + 1);

	if (!txt || !tw || !owned || !num)
		oom();
	for (size_t s = 0; s < t->nsel && header; s++) {
		size_t hw = cx_width(t->cols[t->sel[s]].header);

		if (hw > w[s])
			w[s] = hw;
	}
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t s = 0; s < t->nsel; s++) {
			size_t i = r * t->nsel + s;
			const char *x = cell_text_fast(t, r, t->sel[s], o, num + i * 32, &owned[i]);
			size_t cw;

			if (!x)
				oom();
			if (s == 0 && t->indent[r] && !raw) {
				char *y = malloc(strlen(x) + 2 * t->indent[r] + 1);

				if (!y)
					oom();
				memset(y, ' ', 2 * t->indent[r]);
				strcpy(y + 2 * t->indent[r], x);
				if (owned[i])
					free((char *)x);
				x = y;
				owned[i] = true;
			}
			txt[i] = x;
			cw = raw ? 0 : cx_width(x);
			tw[i] = cw;
			if (cw > w[s])
				w[s] = cw;
		}
	for (size_t r = header ? 0 : 1; r < t->nrows + 1; r++) {
		for (size_t s = 0; s < t->nsel; s++) {
			const struct cx_column *col = &t->cols[t->sel[s]];
			const char *x = r ? txt[(r - 1) * t->nsel + s] : col->header;
			bool last = s + 1 == t->nsel;
			size_t xw, gap;

			if (s)
				putc(' ', f);
			if (raw) {
				fputs(x, f);
				continue;
			}
			xw = r ? tw[(r - 1) * t->nsel + s] : cx_width(x);
			gap = w[s] > xw ? w[s] - xw : 0;
			if (col->type != CX_STR) {
				pad(f, gap);
				fputs(x, f);
			} else {
				fputs(x, f);
				if (!last)
					pad(f, gap);
			}
		}
		putc('\n', f);
	}
	for (size_t i = 0; i < ncell; i++)
		if (owned[i])
			free((char *)txt[i]);
	free(txt);
	free(tw);
	free(owned);
	free(num);
}

void cx_table_print(const struct cx_table *t, const struct cx_outopts *o, FILE *f)
{
	size_t *w = calloc(t->nsel + 1, sizeof(*w));

	if (!w)
		oom();
	print_rows(t, o, f, w, !o->noheadings);
	free(w);
}

void cx_table_flush(struct cx_table *t, const struct cx_outopts *o, FILE *f)
{
	if (!t->width) {
		t->width = calloc(t->nsel + 1, sizeof(*t->width));
		if (!t->width)
			oom();
	}
	print_rows(t, o, f, t->width, !o->noheadings && !t->header_done);
	t->header_done = true;
	cx_table_truncate(t, 0);
}

/* ---- JSON ---- */

void cx_now_rfc3339(char *buf, size_t len)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	time_t now = time(NULL);
	struct tm tm;

	if (sde && *sde) {
		char *end;
		long long v = strtoll(sde, &end, 10);

		if (!*end && v >= 0)
			now = (time_t)v;
	}
	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static cJSON *checked(cJSON *item)
{
	if (!item)
		oom();
	return item;
}

cJSON *cx_json_object(void)
{
	return checked(cJSON_CreateObject());
}

cJSON *cx_json_array(void)
{
	return checked(cJSON_CreateArray());
}

cJSON *cx_json_doc(void)
{
	cJSON *doc = checked(cJSON_CreateObject());
	char now[64];

	cx_now_rfc3339(now, sizeof(now));
	cJSON_AddItemToObject(doc, "schema", checked(cJSON_CreateString("vmscope/1")));
	cJSON_AddItemToObject(doc, "command", checked(cJSON_CreateString(cx_prog)));
	cJSON_AddItemToObject(doc, "time", checked(cJSON_CreateString(now)));
	cx_json_add_snapshot(doc);
	return doc;
}

void cx_json_u64(cJSON *obj, const char *key, uint64_t v)
{
	char buf[32];

	if (v > (UINT64_C(1) << 53)) {
		/* past what a double holds exactly: a string keeps every digit */
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		cJSON_AddItemToObject(obj, key, checked(cJSON_CreateString(buf)));
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	cJSON_AddItemToObject(obj, key, checked(cJSON_CreateRaw(buf)));
}

void cx_json_int(cJSON *obj, const char *key, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	cJSON_AddItemToObject(obj, key, checked(cJSON_CreateRaw(buf)));
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64(const unsigned char *s, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		oom();
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		*o++ = b64chars[(v >> 18) & 63];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? b64chars[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Valid UTF-8 copy: invalid bytes become U+FFFD.  *changed tells if any did. */
static char *utf8_clean(const char *s, bool *changed)
{
	size_t n = strlen(s);
	char *out = malloc(n * 3 + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s;

	if (!out)
		oom();
	*changed = false;
	while (n) {
		uint32_t cp;
		size_t l = cx_utf8_decode(p, n, &cp);

		if (l) {
			memcpy(o, p, l);
			o += l;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			l = 1;
			*changed = true;
		}
		p += l;
		n -= l;
	}
	*o = '\0';
	return out;
}

void cx_json_str(cJSON *obj, const char *key, const char *s)
{
	bool changed;
	char *clean;

	if (!s) {
		cJSON_AddItemToObject(obj, key, checked(cJSON_CreateNull()));
		return;
	}
	clean = utf8_clean(s, &changed);
	cJSON_AddItemToObject(obj, key, checked(cJSON_CreateString(clean)));
	free(clean);
	if (changed) {
		char *k = malloc(strlen(key) + 5), *b = base64((const unsigned char *)s, strlen(s));

		if (!k)
			oom();
		sprintf(k, "%s_b64", key);
		cJSON_AddItemToObject(obj, k, checked(cJSON_CreateString(b)));
		free(k);
		free(b);
	}
}

void cx_json_row(cJSON *obj, const struct cx_table *t, size_t row, bool all)
{
	size_t n = all ? t->ncols : t->nsel;

	for (size_t i = 0; i < n; i++) {
		int c = all ? (int)i : t->sel[i];
		const struct cx_cell *cell = &t->cells[row * t->ncols + (size_t)c];
		const char *key = t->cols[c].name;

		if (cJSON_GetObjectItemCaseSensitive(obj, key))
			continue;
		if (cell->null) {
			cJSON_AddItemToObject(obj, key, checked(cJSON_CreateNull()));
			continue;
		}
		switch (t->cols[c].type) {
		case CX_STR:
			cx_json_str(obj, key, cell->s);
			break;
		case CX_SIZE:
		case CX_U64:
			cx_json_u64(obj, key, cell->u);
			break;
		case CX_INT:
			cx_json_int(obj, key, cell->i);
			break;
		case CX_RATE:
			cx_json_rate(obj, key, cell->d);
			break;
		}
	}
}

void cx_json_rate(cJSON *obj, const char *key, double v)
{
	checked(cJSON_AddNumberToObject(obj, key, round(v * 100) / 100));
}

static int json_print(cJSON *doc, FILE *f, bool one_line)
{
	char *s = one_line ? cJSON_PrintUnformatted(doc) : cJSON_Print(doc);

	cJSON_Delete(doc);
	if (!s)
		cx_oom(); /* what was built is lost: nothing else to say */
	fputs(s, f);
	fputc('\n', f);
	cJSON_free(s);
	if (one_line)
		fflush(f); /* a stream: each object whole as soon as it is made */
	return 0;
}

int cx_json_print_line(cJSON *doc, FILE *f)
{
	return json_print(doc, f, true);
}

int cx_json_print(cJSON *doc, FILE *f)
{
	return json_print(doc, f, false);
}

/* ---- OpenMetrics ---- */

char *cx_om_label(const char *s)
{
	bool changed;
	char *clean = utf8_clean(s, &changed);
	char *out = malloc(strlen(clean) * 5 + 1), *o = out;

	if (!out)
		oom();
	for (const char *p = clean; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '\\' || ch == '"') {
			*o++ = '\\';
			*o++ = *p;
		} else if (ch == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (ch < 0x20 || ch == 0x7f) {
			/* no raw control byte in a file someone may cat: an escaped "\xNN" */
			o += sprintf(o, "\\\\x%02x", ch);
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	free(clean);
	return out;
}
