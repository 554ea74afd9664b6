// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: /proc/PID/maps lines (vms_maps_line_parse) and the maps stream
 * (vms_maps_open_fd).  Properties: a parsed line is self-consistent; the stream
 * gives exactly the lines that parse, whatever the read() sizes (1, 7, 4096
 * bytes, whole, and the read-ahead thread: hazard D2).
 */
#include <stdlib.h>
#include <string.h>

#include <vmscope/vmscope.h>

#include "fuzz.h"

static const char deleted[] = " (deleted)";

/* What the stream takes for a header: lower-case hex digits, then '-'. */
static bool header_like(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
		i++;
	return i > 0 && i < len && s[i] == '-';
}

/* Parse one line, held in a buffer of exactly its size, and check the result. */
static bool parse_line(const uint8_t *data, size_t len, uint64_t *h)
{
	char *line = malloc(len ? len : 1);
	struct vms_mapping m;
	bool ok;

	if (!line)
		abort();
	memcpy(line, data, len);
	ok = vms_maps_line_parse(line, len, &m) == 0;
	if (ok) {
		uint64_t f[6] = { m.start, m.end, m.offset, m.inode, m.dev_major, m.dev_minor };

		FUZZ_CHECK(m.start <= m.end);
		FUZZ_CHECK(strlen(m.perms) == 4);
		FUZZ_CHECK(strchr("r-", m.perms[0]) && strchr("w-", m.perms[1]) &&
			   strchr("x-", m.perms[2]) && strchr("ps", m.perms[3]));
		FUZZ_CHECK(m.name >= line && m.name + m.name_len == line + len);
		FUZZ_CHECK(m.name_len == 0 || m.name[0] != ' ');
		FUZZ_CHECK(m.name_says_deleted ==
			   (m.name_len > sizeof(deleted) - 1 &&
			    memcmp(m.name + m.name_len - (sizeof(deleted) - 1), deleted,
				   sizeof(deleted) - 1) == 0));
		FUZZ_CHECK(!m.counters && !m.vm_flags);
		ok = header_like(line, len);
		/* the same digest as fuzz_maps_digest() gives the stream */
		if (ok) {
			*h = fuzz_hash(*h, f, sizeof(f));
			*h = fuzz_hash(*h, m.perms, 4);
			*h = fuzz_hash(*h, &m.name_len, sizeof(m.name_len));
			*h = fuzz_hash(*h, m.name, m.name_len);
			*h = fuzz_hash(*h, &m.name_says_deleted, 1);
		}
	}
	free(line);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[] = { 4096, 7, 1 };
	uint64_t want = FUZZ_HASH_INIT, got;
	size_t lines = 0, good = 0, n, bad, at = 0;
	unsigned long reads;

	/* the oracle: line by line */
	while (at < size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - (data + at)) : size - at;

		if (parse_line(data + at, len, &want))
			good++;
		lines++;
		at += len + 1;
	}
	got = fuzz_maps_digest(data, size, 0, 0, &n, &bad, &reads);
	FUZZ_CHECK(got == want && n == good && bad == lines - good);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		/* a read() a byte or 7 is slow: only for short inputs */
		if ((chunks[i] == 1 && size > 512) || (chunks[i] == 7 && size > 4096))
			continue;
		got = fuzz_maps_digest(data, size, 0, chunks[i], &n, &bad, &reads);
		FUZZ_CHECK(got == want && n == good && bad == lines - good);
		/* the cut reads did happen (not a fortified read() the wrap misses) */
		FUZZ_CHECK(reads == 0 || reads >= size / chunks[i]);
	}
	got = fuzz_maps_digest(data, size, VMS_MAPS_PREFETCH, 0, &n, &bad, &reads);
	FUZZ_CHECK(got == want && n == good && bad == lines - good);
	return 0;
}
