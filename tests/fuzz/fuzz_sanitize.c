// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the terminal sanitizer (cx_sanitize) in a UTF-8 locale and not,
 * plain and raw, with cx_width on its output; the OpenMetrics label escaper
 * (cx_om_label) and the library's message escaper (vms_escape).
 * Properties (hazard D8): no output holds a byte 0x00-0x1f or 0x7f, nor a C1
 * control (U+0080-U+009F) or a bidi control as a code point; outside UTF-8 the
 * output is ASCII; raw output has no space and its backslashes are all \xNN
 * escapes, which give back the input exactly.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "private.h"

/* text.c itself, so that the test can set the locale's answer (utf8_state) per input */
#include "../../cmd/common/text.c"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool forbidden_cp(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	       cp == 0x200f || cp == 0x061c || cp == 0xfeff;
}

static void check_sanitized(const char *in, size_t len, bool raw, bool utf8)
{
	char *out = cx_sanitize(in, len, raw), *back;
	const unsigned char *p = (const unsigned char *)out;
	size_t olen, n = 0;

	FUZZ_CHECK(out);
	olen = strlen(out);
	for (size_t i = 0; i < olen;) {
		uint32_t cp;
		size_t l = cx_utf8_decode(p + i, olen - i, &cp);

		/* every byte starts a valid sequence (ASCII only outside UTF-8) */
		FUZZ_CHECK(l > 0 && (utf8 || l == 1));
		FUZZ_CHECK(!forbidden_cp(cp));
		if (raw)
			FUZZ_CHECK(cp != ' ');
		i += l;
	}
	cx_width(out);
	if (raw) {
		/* raw: undo the \xNN escapes and get the input back */
		back = malloc(olen + 1);
		FUZZ_CHECK(back);
		for (size_t i = 0; i < olen; i++) {
			if (out[i] == '\\') {
				FUZZ_CHECK(i + 3 < olen + 1 && out[i + 1] == 'x' &&
					   hexval(out[i + 2]) >= 0 && hexval(out[i + 3]) >= 0);
				back[n++] = (char)(hexval(out[i + 2]) * 16 + hexval(out[i + 3]));
				i += 3;
			} else {
				back[n++] = out[i];
			}
		}
		FUZZ_CHECK(n == len && memcmp(back, in, len) == 0);
		free(back);
	}
	free(out);
}

static void check_om_label(const char *s)
{
	char *out = cx_om_label(s);
	const unsigned char *p = (const unsigned char *)out;
	size_t olen = strlen(out);

	for (size_t i = 0; i < olen;) {
		uint32_t cp;
		size_t l = cx_utf8_decode(p + i, olen - i, &cp);

		FUZZ_CHECK(l > 0 && cp >= 0x20 && cp != 0x7f);
		if (cp == '\\') {
			/* an escape: \\ \" \n */
			FUZZ_CHECK(i + 1 < olen && strchr("\\\"n", out[i + 1]));
			i += 2;
			continue;
		}
		FUZZ_CHECK(cp != '"');
		i += l;
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	const char *in = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	char *copy, esc[256];
	size_t esize;

	if (!init) {
		/* a UTF-8 locale for wcwidth(); utf8_state says which one is pretended */
		setlocale(LC_ALL, "C.UTF-8");
		init = true;
	}
	if (!size)
		return 0;
	utf8_state = data[0] & 1;
	check_sanitized(in, len, data[0] & 2, utf8_state);

	copy = malloc(len + 1);
	FUZZ_CHECK(copy);
	memcpy(copy, in, len);
	copy[len] = '\0';
	check_om_label(copy);
	/* the library's escaper, into @esize bytes (it takes 8 or more) */
	esize = 8 + data[0] % (sizeof(esc) - 8);
	vms_escape(esc, esize, copy);
	FUZZ_CHECK(strlen(esc) < esize);
	for (size_t i = 0; esc[i]; i++)
		FUZZ_CHECK((unsigned char)esc[i] >= 0x20 && esc[i] != 0x7f);
	free(copy);
	return 0;
}
