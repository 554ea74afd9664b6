// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvmscope: "Key: value [kB]" counter sets, as in smaps, meminfo and vmstat. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

struct entry {
	uint32_t name_off; /* into names[], for a key this library does not know */
	uint32_t name_len;
	int32_t key; /* enum vms_key, or -1: the name is in names[] */
	uint64_t value; /* as printed */
	bool kb;
};

struct vms_counters {
	struct entry *e;
	size_t n, cap;
	char *names; /* NUL-separated key names */
	size_t names_len, names_cap;
	int32_t known[VMS_KEY__COUNT]; /* index into e[], or -1 */
	size_t bad;
	size_t hint; /* where the last known key was found in key_names[] */
};

static const char *const key_names[VMS_KEY__COUNT] = {
	[VMS_KEY_SIZE] = "Size",
	[VMS_KEY_KERNEL_PAGE_SIZE] = "KernelPageSize",
	[VMS_KEY_MMU_PAGE_SIZE] = "MMUPageSize",
	[VMS_KEY_RSS] = "Rss",
	[VMS_KEY_PSS] = "Pss",
	[VMS_KEY_PSS_DIRTY] = "Pss_Dirty",
	[VMS_KEY_PSS_ANON] = "Pss_Anon",
	[VMS_KEY_PSS_FILE] = "Pss_File",
	[VMS_KEY_PSS_SHMEM] = "Pss_Shmem",
	[VMS_KEY_SHARED_CLEAN] = "Shared_Clean",
	[VMS_KEY_SHARED_DIRTY] = "Shared_Dirty",
	[VMS_KEY_PRIVATE_CLEAN] = "Private_Clean",
	[VMS_KEY_PRIVATE_DIRTY] = "Private_Dirty",
	[VMS_KEY_REFERENCED] = "Referenced",
	[VMS_KEY_ANONYMOUS] = "Anonymous",
	[VMS_KEY_KSM] = "KSM",
	[VMS_KEY_LAZY_FREE] = "LazyFree",
	[VMS_KEY_ANON_HUGE_PAGES] = "AnonHugePages",
	[VMS_KEY_SHMEM_PMD_MAPPED] = "ShmemPmdMapped",
	[VMS_KEY_FILE_PMD_MAPPED] = "FilePmdMapped",
	[VMS_KEY_SHARED_HUGETLB] = "Shared_Hugetlb",
	[VMS_KEY_PRIVATE_HUGETLB] = "Private_Hugetlb",
	[VMS_KEY_SWAP] = "Swap",
	[VMS_KEY_SWAP_PSS] = "SwapPss",
	[VMS_KEY_LOCKED] = "Locked",
	[VMS_KEY_THP_ELIGIBLE] = "THPeligible",
	[VMS_KEY_PROTECTION_KEY] = "ProtectionKey",
};

VMS_EXPORT const char *vms_key_name(enum vms_key key)
{
	if ((unsigned int)key >= VMS_KEY__COUNT)
		return NULL;
	return key_names[key];
}

static int key_find(const char *name, size_t len, size_t hint)
{
	/* smaps prints its keys in a fixed order: try the next one first */
	for (size_t k = 0; k < VMS_KEY__COUNT; k++) {
		size_t i = (hint + k) % VMS_KEY__COUNT;

		/* strnlen: a name holding a NUL must not match, nor read past a key */
		if (key_names[i][0] == name[0] && strnlen(key_names[i], len + 1) == len &&
		    memcmp(key_names[i], name, len) == 0)
			return (int)i;
	}
	return -ENOENT;
}

VMS_EXPORT int vms_key_lookup(const char *name)
{
	if (!name)
		return -EINVAL;
	return key_find(name, strlen(name), 0);
}

struct vms_counters *vms_counters_new(void)
{
	struct vms_counters *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	vms_counters_reset(c);
	return c;
}

void vms_counters_reset(struct vms_counters *c)
{
	c->n = 0;
	c->names_len = 0;
	c->bad = 0;
	c->hint = 0;
	for (size_t i = 0; i < VMS_KEY__COUNT; i++)
		c->known[i] = -1;
}

VMS_EXPORT void vms_counters_free(struct vms_counters *c)
{
	if (!c)
		return;
	free(c->e);
	free(c->names);
	free(c);
}

static int add_entry(struct vms_counters *c, const char *name, size_t len, uint64_t value, bool kb)
{
	struct entry *e;
	int k;

	if (len > UINT32_MAX / 2 || c->names_len > UINT32_MAX / 2)
		return -EBADMSG;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 32;
		struct entry *ne = realloc(c->e, ncap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		c->e = ne;
		c->cap = ncap;
	}
	e = &c->e[c->n];
	e->name_len = (uint32_t)len;
	e->value = value;
	e->kb = kb;
	k = key_find(name, len, c->hint);
	e->key = k;
	e->name_off = 0;
	if (k < 0) {
		/* a key the library does not know keeps its own copy of its name */
		if (c->names_len + len + 1 > c->names_cap) {
			size_t ncap = c->names_cap ? c->names_cap : 512;
			char *nn;

			while (ncap < c->names_len + len + 1)
				ncap *= 2;
			nn = realloc(c->names, ncap);
			if (!nn)
				return -ENOMEM;
			c->names = nn;
			c->names_cap = ncap;
		}
		memcpy(c->names + c->names_len, name, len);
		c->names[c->names_len + len] = '\0';
		e->name_off = (uint32_t)c->names_len;
		c->names_len += len + 1;
	} else {
		/* the first occurrence wins, as a reader of the file would see it */
		if (c->known[k] < 0)
			c->known[k] = (int32_t)c->n;
		c->hint = (size_t)k + 1;
	}
	c->n++;
	return 0;
}

static const char *entry_name(const struct vms_counters *c, const struct entry *e)
{
	return e->key >= 0 ? key_names[e->key] : c->names + e->name_off;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

int vms_counters_add_line(struct vms_counters *c, const char *line, size_t len)
{
	const char *end = line + len, *p = line, *key_end;
	uint64_t v;
	bool kb = false;

	/* key: up to ':' (smaps, meminfo) or whitespace (vmstat) */
	while (p < end && *p != ':' && !is_space(*p))
		p++;
	key_end = p;
	if (key_end == line)
		goto bad;
	if (p < end && *p == ':')
		p++;
	if (p == end || !is_space(*p))
		goto bad;
	while (p < end && is_space(*p))
		p++;
	if (vms_parse_u64(&p, end, 10, &v) < 0)
		goto bad;
	if (p < end) {
		if (!is_space(*p))
			goto bad;
		while (p < end && is_space(*p))
			p++;
		if (end - p >= 2 && p[0] == 'k' && p[1] == 'B') {
			kb = true;
			p += 2;
		}
		while (p < end && is_space(*p))
			p++;
		if (p != end)
			goto bad;
	}
	return add_entry(c, line, (size_t)(key_end - line), v, kb);
bad:
	c->bad++;
	return -EBADMSG;
}

static int scaled(const struct entry *e, uint64_t *value)
{
	if (!e->kb) {
		*value = e->value;
		return 0;
	}
	if (e->value > UINT64_MAX / 1024)
		return -EOVERFLOW;
	*value = e->value * 1024;
	return 0;
}

VMS_EXPORT int vms_counters_get(const struct vms_counters *c, enum vms_key key, uint64_t *value)
{
	if (!c || (unsigned int)key >= VMS_KEY__COUNT)
		return -EINVAL;
	if (c->known[key] < 0)
		return -ENOENT;
	return scaled(&c->e[c->known[key]], value);
}

VMS_EXPORT int vms_counters_find(const struct vms_counters *c, const char *name, uint64_t *value)
{
	size_t len;

	if (!c || !name)
		return -EINVAL;
	len = strlen(name);
	for (size_t i = 0; i < c->n; i++) {
		const struct entry *e = &c->e[i];

		if (e->name_len == len && memcmp(entry_name(c, e), name, len) == 0)
			return scaled(e, value);
	}
	return -ENOENT;
}

VMS_EXPORT size_t vms_counters_count(const struct vms_counters *c)
{
	return c ? c->n : 0;
}

VMS_EXPORT int vms_counters_at(const struct vms_counters *c, size_t i, const char **name,
			       uint64_t *raw_value, bool *in_kb)
{
	if (!c || i >= c->n)
		return -ERANGE;
	if (name)
		*name = entry_name(c, &c->e[i]);
	if (raw_value)
		*raw_value = c->e[i].value;
	if (in_kb)
		*in_kb = c->e[i].kb;
	return 0;
}

VMS_EXPORT size_t vms_counters_bad_lines(const struct vms_counters *c)
{
	return c ? c->bad : 0;
}

VMS_EXPORT int vms_counters_parse_fd(int fd, struct vms_counters **out)
{
	struct vms_counters *c;
	struct vms_reader r;
	char *line;
	size_t len;
	int ret;

	c = vms_counters_new();
	if (!c)
		return -ENOMEM;
	ret = vms_reader_init(&r, fd, 4096);
	if (ret < 0)
		goto free_counters;
	for (bool first = true; (ret = vms_reader_line(&r, &line, &len)) > 0; first = false) {
		struct vms_mapping hdr;

		/* smaps_rollup starts with a maps-style "[rollup]" header */
		if (first && vms_maps_line_parse(line, len, &hdr) == 0)
			continue;
		ret = vms_counters_add_line(c, line, len);
		if (ret == -ENOMEM)
			break;
	}
	vms_reader_release(&r);
	if (ret == 0 || ret == -EBADMSG) {
		*out = c;
		return 0;
	}
free_counters:
	vms_counters_free(c);
	return ret;
}
