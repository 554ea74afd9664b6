// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the JSON string writer (cx_json_str) and integers (cx_json_u64,
 * cx_json_int), printed by cJSON, parsed back by a strict RFC 8259 parser of our
 * own.  Property (hazard D8): the document is strict JSON, valid UTF-8, and
 * decodes to the documented mapping of the input bytes: up to the first NUL,
 * each byte that does not start a well-formed UTF-8 sequence becomes U+FFFD,
 * and then "<key>_b64" holds the exact bytes in base64 (absent otherwise);
 * integers stay exact (a string past 2^53).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fuzz.h"

/* ---- well-formed UTF-8 (the Unicode standard's table 3-7), written independently ---- */

/* Length of the well-formed sequence at @s (@n bytes left), or 0. */
static size_t wf_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] <= 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* ---- a strict JSON reader of the documents written here ---- */

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		FUZZ_CHECK(b->s);
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void put_cp(struct buf *b, uint32_t cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	put(b, u, n);
}

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			fuzz_fail(__FILE__, __LINE__, "bad \\u escape");
	}
	return v;
}

/* A string token at @p (the quote): decoded into @out; returns the end. */
static const char *string(const char *p, struct buf *out)
{
	FUZZ_CHECK(*p == '"');
	p++;
	out->len = 0;
	put(out, "", 0);
	for (;;) {
		unsigned char c = (unsigned char)*p;

		FUZZ_CHECK(c >= 0x20); /* no raw control byte, no end of text */
		if (c == '"')
			return p + 1;
		if (c == '\\') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *e = strchr(from, p[1]);
			uint32_t cp;

			FUZZ_CHECK(p[1]);
			if (p[1] != 'u') {
				FUZZ_CHECK(e);
				put(out, &to[e - from], 1);
				p += 2;
				continue;
			}
			cp = (uint32_t)hex4(p + 2);
			p += 6;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				uint32_t lo;

				FUZZ_CHECK(p[0] == '\\' && p[1] == 'u');
				lo = (uint32_t)hex4(p + 2);
				FUZZ_CHECK(lo >= 0xdc00 && lo <= 0xdfff);
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			} else {
				FUZZ_CHECK(cp < 0xdc00 || cp > 0xdfff);
			}
			put_cp(out, cp);
			continue;
		}
		{
			size_t n = wf_len((const unsigned char *)p, strlen(p));

			FUZZ_CHECK(n > 0); /* valid UTF-8 */
			put(out, p, n);
			p += n;
		}
	}
}

/* A number token (only integers are written here): its text. */
static const char *number(const char *p, struct buf *out)
{
	const char *s = p;

	if (*p == '-')
		p++;
	FUZZ_CHECK(*p >= '0' && *p <= '9');
	FUZZ_CHECK(*p != '0' || !(p[1] >= '0' && p[1] <= '9')); /* no leading zero */
	while (*p >= '0' && *p <= '9')
		p++;
	out->len = 0;
	put(out, s, (size_t)(p - s));
	return p;
}

struct member {
	struct buf key, val;
	bool is_string;
};

/* The whole document: one object of string and integer members. */
static size_t object(const char *p, struct member *m, size_t max)
{
	size_t n = 0;

	p = ws(p);
	FUZZ_CHECK(*p == '{');
	p = ws(p + 1);
	if (*p != '}') {
		for (;;) {
			FUZZ_CHECK(n < max);
			p = ws(string(p, &m[n].key));
			FUZZ_CHECK(*p == ':');
			p = ws(p + 1);
			m[n].is_string = *p == '"';
			if (strncmp(p, "null", 4) == 0) {
				m[n].val.len = 0;
				put(&m[n].val, "null", 4);
				p += 4;
			} else {
				p = m[n].is_string ? string(p, &m[n].val) : number(p, &m[n].val);
			}
			n++;
			p = ws(p);
			if (*p == '}')
				break;
			FUZZ_CHECK(*p == ',');
			p = ws(p + 1);
		}
	}
	FUZZ_CHECK(*ws(p + 1) == '\0');
	return n;
}

static struct member *find(struct member *m, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].key.s, key) == 0)
			return &m[i];
	return NULL;
}

static void base64(const unsigned char *s, size_t n, struct buf *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	out->len = 0;
	put(out, "", 0);
	for (size_t i = 0; i < n; i += 3) {
		char q[4];
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? s[i + 2] : 0);

		q[0] = a[v >> 18];
		q[1] = a[(v >> 12) & 63];
		q[2] = i + 1 < n ? a[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? a[v & 63] : '=';
		put(out, q, 4);
	}
}

static void check_doc(const char *text, const char *str, uint64_t u, int64_t i)
{
	struct member m[8] = { 0 };
	size_t n = object(text, m, 8), len = strlen(str);
	struct buf want = { 0 }, b64 = { 0 };
	struct member *s, *sb, *nu, *ni;
	bool changed = false;
	char num[32];

	/* the documented mapping */
	put(&want, "", 0);
	for (size_t at = 0; at < len;) {
		size_t l = wf_len((const unsigned char *)str + at, len - at);

		if (l) {
			put(&want, str + at, l);
			at += l;
		} else {
			put(&want, "\xef\xbf\xbd", 3);
			at++;
			changed = true;
		}
	}
	s = find(m, n, "name");
	sb = find(m, n, "name_b64");
	FUZZ_CHECK(s && s->is_string);
	FUZZ_CHECK(s->val.len == want.len && memcmp(s->val.s, want.s, want.len) == 0);
	FUZZ_CHECK(!!sb == changed);
	if (sb) {
		base64((const unsigned char *)str, len, &b64);
		FUZZ_CHECK(sb->is_string && strcmp(sb->val.s, b64.s) == 0);
	}
	nu = find(m, n, "u");
	FUZZ_CHECK(nu && nu->is_string == (u > (UINT64_C(1) << 53)));
	snprintf(num, sizeof(num), "%" PRIu64, u);
	FUZZ_CHECK(strcmp(nu->val.s, num) == 0);
	ni = find(m, n, "i");
	snprintf(num, sizeof(num), "%" PRId64, i);
	FUZZ_CHECK(ni && !ni->is_string && strcmp(ni->val.s, num) == 0);
	FUZZ_CHECK(find(m, n, "null") && strcmp(find(m, n, "null")->val.s, "null") == 0);
	FUZZ_CHECK(n == 4 + !!sb);
	for (size_t k = 0; k < 8; k++) {
		free(m[k].key.s);
		free(m[k].val.s);
	}
	free(want.s);
	free(b64.s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t u = 0;
	int64_t i;
	char *str, *text = NULL;
	size_t len = 0;
	cJSON *o;
	FILE *f;

	memcpy(&u, data, size < 8 ? size : 8);
	i = (int64_t)(u ^ (u >> 7));
	str = malloc(size + 1);
	FUZZ_CHECK(str);
	memcpy(str, data, size);
	str[size] = '\0';
	for (int pretty = 0; pretty < 2; pretty++) {
		o = cx_json_object();
		cx_json_str(o, "name", str);
		cx_json_u64(o, "u", u);
		cx_json_int(o, "i", i);
		cx_json_str(o, "null", NULL);
		f = open_memstream(&text, &len);
		FUZZ_CHECK(f);
		/* cx_json_print frees the document */
		FUZZ_CHECK((pretty ? cx_json_print(o, f) : cx_json_print_line(o, f)) == 0);
		fclose(f);
		check_doc(text, str, u, i);
		free(text);
	}
	free(str);
	return 0;
}
