// SPDX-License-Identifier: GPL-2.0-or-later
/* cmd/common: terminal-safe strings, UTF-8 checks and human-readable sizes. */
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common.h"

static int utf8_state = -1;

bool cx_utf8(void)
{
	if (utf8_state < 0) {
		const char *cs = nl_langinfo(CODESET);

		utf8_state = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	}
	return utf8_state;
}

/*
 * Decode one UTF-8 sequence at s (n bytes left).  Returns its length and
 * the code point, or 0 for an invalid or truncated sequence (overlong
 * forms and surrogates are invalid).
 */
size_t cx_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static bool dangerous_cp(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || /* C1 controls: 0x9b is CSI */
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || /* bidi */
	       c == 0x200e || c == 0x200f || c == 0x061c || c == 0xfeff;
}

char *cx_sanitize(const char *s, size_t len, bool raw)
{
	/* worst case: every byte becomes \xNN */
	char *out = malloc(len * 4 + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	bool utf8 = cx_utf8();

	if (!out)
		return NULL;
	while (p < end) {
		uint32_t cp;
		size_t n;

		if (*p >= 0x20 && *p < 0x7f) {
			if (raw && (*p == ' ' || *p == '\\')) {
				o += sprintf(o, "\\x%02x", *p);
			} else {
				*o++ = (char)*p;
			}
			p++;
			continue;
		}
		n = *p >= 0x80 && utf8 ? cx_utf8_decode(p, (size_t)(end - p), &cp) : 0;
		if (n > 1 && !dangerous_cp(cp)) {
			memcpy(o, p, n);
			o += n;
			p += n;
			continue;
		}
		if (n > 1) {
			/* a valid but dangerous code point: its bytes */
			for (size_t i = 0; i < n; i++)
				o += sprintf(o, "\\x%02x", p[i]);
			p += n;
			continue;
		}
		o += sprintf(o, "\\x%02x", *p);
		p++;
	}
	*o = '\0';
	return out;
}

size_t cx_width(const char *s)
{
	size_t w = 0;
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	/* printable ASCII (what sanitized text mostly is) is one column a byte */
	while (p[n] >= 0x20 && p[n] < 0x7f)
		n++;
	if (!p[n])
		return n;
	n += strlen(s + n);

	while (n) {
		uint32_t cp;
		size_t l = cx_utf8_decode(p, n, &cp);
		int cw;

		if (!l) {
			l = 1;
			cw = 1;
		} else {
			cw = wcwidth((wchar_t)cp);
			if (cw < 0)
				cw = 1;
		}
		w += (size_t)cw;
		p += l;
		n -= l;
	}
	return w;
}

/* Decimal digits of @v at @o; returns the end. */
static char *put_u64(char *o, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*o++ = tmp[--n];
	return o;
}

void cx_human_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;
	uint64_t div = 1, whole, tenths = 0;
	char tmp[48], *o = tmp;

	/* formatted by hand: a table prints millions of these */
	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes / div >= 1024) {
		div *= 1024;
		u++;
	}
	whole = bytes / div;
	if (bytes % div) {
		/* one decimal, rounded half up, computed in integers */
		tenths = whole * 10 + ((bytes % div) * 10 + div / 2) / div;
		whole = tenths / 10;
		tenths %= 10;
		if (!tenths && whole == 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
			whole = 1;
			u++;
		}
	}
	o = put_u64(o, whole);
	if (tenths) {
		*o++ = '.';
		*o++ = (char)('0' + tenths);
	}
	*o++ = ' ';
	strcpy(o, units[u]);
	if (len) {
		size_t n = strlen(tmp);

		if (n >= len)
			n = len - 1;
		memcpy(buf, tmp, n);
		buf[n] = '\0';
	}
}
