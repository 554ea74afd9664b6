// SPDX-License-Identifier: GPL-2.0-or-later
/* cmd/common: a small string-keyed hash map, and kernel-key name conversion. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct cx_strmap {
	size_t value_size;
	char **keys;
	size_t *key_len;
	char *values;
	size_t n, cap;
	size_t *slots; /* index + 1, 0 = empty */
	size_t nslots;
};

static void oom(void)
{
	cx_warn("out of memory");
	exit(CX_EXIT_FAILURE);
}

struct cx_strmap *cx_strmap_new(size_t value_size)
{
	struct cx_strmap *m = calloc(1, sizeof(*m));

	if (!m)
		oom();
	m->value_size = value_size;
	m->nslots = 64;
	m->slots = calloc(m->nslots, sizeof(*m->slots));
	if (!m->slots)
		oom();
	return m;
}

static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void rehash(struct cx_strmap *m)
{
	size_t ns = m->nslots * 2;
	size_t *slots = calloc(ns, sizeof(*slots));

	if (!slots)
		oom();
	for (size_t i = 0; i < m->n; i++) {
		size_t h = hash(m->keys[i], m->key_len[i]) & (ns - 1);

		while (slots[h])
			h = (h + 1) & (ns - 1);
		slots[h] = i + 1;
	}
	free(m->slots);
	m->slots = slots;
	m->nslots = ns;
}

void *cx_strmap_get(struct cx_strmap *m, const char *key, size_t len)
{
	size_t h = hash(key, len) & (m->nslots - 1);

	while (m->slots[h]) {
		size_t i = m->slots[h] - 1;

		if (m->key_len[i] == len && memcmp(m->keys[i], key, len) == 0)
			return m->values + i * m->value_size;
		h = (h + 1) & (m->nslots - 1);
	}
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 64;

		m->keys = realloc(m->keys, ncap * sizeof(*m->keys));
		m->key_len = realloc(m->key_len, ncap * sizeof(*m->key_len));
		m->values = realloc(m->values, ncap * m->value_size);
		if (!m->keys || !m->key_len || !m->values)
			oom();
		m->cap = ncap;
	}
	m->keys[m->n] = malloc(len + 1);
	if (!m->keys[m->n])
		oom();
	memcpy(m->keys[m->n], key, len);
	m->keys[m->n][len] = '\0';
	m->key_len[m->n] = len;
	memset(m->values + m->n * m->value_size, 0, m->value_size);
	m->slots[h] = m->n + 1;
	m->n++;
	if (m->n * 2 > m->nslots)
		rehash(m);
	return m->values + (m->n - 1) * m->value_size;
}

void *cx_strmap_find(const struct cx_strmap *m, const char *key, size_t len)
{
	size_t h = hash(key, len) & (m->nslots - 1);

	while (m->slots[h]) {
		size_t i = m->slots[h] - 1;

		if (m->key_len[i] == len && memcmp(m->keys[i], key, len) == 0)
			return m->values + i * m->value_size;
		h = (h + 1) & (m->nslots - 1);
	}
	return NULL;
}

size_t cx_strmap_count(const struct cx_strmap *m)
{
	return m->n;
}

void *cx_strmap_at(const struct cx_strmap *m, size_t i, const char **key)
{
	if (key)
		*key = m->keys[i];
	return m->values + i * m->value_size;
}

void cx_strmap_free(struct cx_strmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->key_len);
	free(m->values);
	free(m->slots);
	free(m);
}

void cx_snake_case(const char *key, char *buf, size_t len)
{
	size_t o = 0;

	/* the one kernel key whose capitals do not mark words */
	if (strcmp(key, "THPeligible") == 0) {
		snprintf(buf, len, "thp_eligible");
		return;
	}
	for (size_t i = 0; key[i] && o + 2 < len; i++) {
		char c = key[i];
		bool up = isupper((unsigned char)c);

		if (up && i > 0 && key[i - 1] != '_' &&
		    (islower((unsigned char)key[i - 1]) || isdigit((unsigned char)key[i - 1]) ||
		     (key[i + 1] && islower((unsigned char)key[i + 1]))))
			buf[o++] = '_';
		buf[o++] = (char)tolower((unsigned char)c);
	}
	buf[o] = '\0';
}
