/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the page unit tests: the pages fixtures, their pagezoo.json, collected walks. */
#ifndef VMSCOPE_TESTS_PAGES_H
#define VMSCOPE_TESTS_PAGES_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

/* tests/fixtures, next to tests/unit/data */
#define FIXTURES DATA_DIR "/../../fixtures"
#define ROOT_PAGES FIXTURES "/pages"
#define ROOT_UNPRIV FIXTURES "/pages-unpriv"
#define ROOT_HOSTILE FIXTURES "/hostile"

#define STATE_FLAGS (VMS_RUN_PRESENT | VMS_RUN_SWAPPED | VMS_RUN_GUARD | VMS_RUN_UNKNOWN)

static inline struct vms_ctx *pages_ctx(const char *root)
{
	struct vms_ctx *ctx = NULL;
	int ret = vms_ctx_new(root, 0, &ctx);

	if (ret != 0)
		fail_msg("vms_ctx_new(%s): expected 0, got %s", root, errname(ret));
	return ctx;
}

static inline struct vms_proc *pages_proc(struct vms_ctx *ctx, pid_t pid)
{
	struct vms_proc *p = NULL;
	int ret = vms_proc_open(ctx, pid, &p);

	if (ret != 0)
		fail_msg("vms_proc_open(%d): expected 0, got %s", (int)pid, errname(ret));
	return p;
}

static inline struct vms_pagemap *pages_pagemap(struct vms_proc *p)
{
	struct vms_pagemap *pm = NULL;
	int ret = vms_pagemap_open(p, &pm);

	if (ret != 0)
		fail_msg("vms_pagemap_open(%d): expected 0, got %s", (int)vms_proc_pid(p),
			 errname(ret));
	return pm;
}

/* ---- pagezoo.json of a pages fixture (json.dump(indent=1, sort_keys=True)) ---- */

struct zoo_region {
	uint64_t start, end;
	long present, swapped, thp_pages, none, guard; /* guard -1: null */
};

struct zoo {
	pid_t pid, child;
	uint64_t zero_pfn; /* 0: null */
	struct zoo_region touched, sparse, thp, swapped, guard, cow, zero, file;
};

static inline const char *zoo_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	if (!p)
		fail_msg("pagezoo.json: no %s", key);
	return p + strlen(key);
}

static inline long zoo_num(const char *obj, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\": ", key);
	p = zoo_after(obj, k);
	return strncmp(p, "null", 4) ? strtol(p, NULL, 10) : -1;
}

static inline void zoo_region(const char *json, const char *name, struct zoo_region *r)
{
	char k[64];
	const char *obj;

	snprintf(k, sizeof(k), "\"%s\": {", name);
	obj = zoo_after(json, k);
	r->start = strtoull(zoo_after(obj, "\"start\": \""), NULL, 16);
	r->end = strtoull(zoo_after(obj, "\"end\": \""), NULL, 16);
	r->present = zoo_num(obj, "present");
	r->swapped = zoo_num(obj, "swapped");
	r->thp_pages = zoo_num(obj, "thp_pages");
	r->none = zoo_num(obj, "none");
	r->guard = zoo_num(obj, "guard");
}

static inline void zoo_load(const char *root, struct zoo *z)
{
	char path[512], buf[16384];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/pagezoo.json", root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("cannot open %s", path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		fail_msg("cannot read %s", path);
	buf[n] = '\0';
	z->pid = (pid_t)zoo_num(buf, "pid");
	z->child = (pid_t)zoo_num(buf, "child");
	z->zero_pfn = (uint64_t)(zoo_num(buf, "zero_pfn") < 0 ? 0 : zoo_num(buf, "zero_pfn"));
	zoo_region(buf, "touched", &z->touched);
	zoo_region(buf, "sparse", &z->sparse);
	zoo_region(buf, "thp", &z->thp);
	zoo_region(buf, "swapped", &z->swapped);
	zoo_region(buf, "guard", &z->guard);
	zoo_region(buf, "cow", &z->cow);
	zoo_region(buf, "zero", &z->zero);
	zoo_region(buf, "file", &z->file);
}

/* ---- a walk, collected page by page ---- */

struct walk {
	uint64_t start, end, ps;
	size_t pages;
	unsigned int *flags; /* per page */
	uint64_t *entries; /* per page, with VMS_WALK_ENTRIES (0 for "none" runs) */
	bool *has_entry;
	size_t nruns; /* as returned */
	size_t stray_entries; /* runs with entries although VMS_WALK_ENTRIES was not asked */
	unsigned int known;
	int end_ret, finish_ret;
	uint64_t scans, reads;
};

/*
 * Walk [@start, @end) with @flags; fails the test unless the runs come back
 * in order, contiguous, non-empty and exactly covering the range, with no
 * flag outside vms_pagewalk_known(), and entries only where promised.
 */
static inline int walk_collect(struct vms_pagemap *pm, uint64_t ps, uint64_t start, uint64_t end,
			       unsigned int flags, struct walk *w)
{
	struct vms_pagewalk *pw = NULL;
	struct vms_page_run run;
	uint64_t at = start;
	int ret;

	memset(w, 0, sizeof(*w));
	w->start = start;
	w->end = end;
	w->ps = ps;
	w->pages = (size_t)((end - start) / ps);
	ret = vms_pagewalk_open(pm, start, end, flags, &pw);
	if (ret < 0)
		return ret;
	w->flags = calloc(w->pages, sizeof(*w->flags));
	w->entries = calloc(w->pages, sizeof(*w->entries));
	w->has_entry = calloc(w->pages, sizeof(*w->has_entry));
	assert_non_null(w->flags);
	assert_non_null(w->entries);
	assert_non_null(w->has_entry);
	w->known = vms_pagewalk_known(pw);
	while ((ret = vms_pagewalk_next(pw, &run)) == 1) {
		size_t i0 = (size_t)((run.start - start) / ps),
		       n = (size_t)((run.end - run.start) / ps);

		if (run.start != at || run.end <= run.start || run.end > end || run.start % ps ||
		    run.end % ps)
			fail_msg("walk %#" PRIx64 "-%#" PRIx64 " flags %#x: run %zu is %#" PRIx64
				 "-%#" PRIx64 ", expected one starting at %#" PRIx64,
				 start, end, flags, w->nruns, run.start, run.end, at);
		if (run.flags & ~w->known)
			fail_msg("run %#" PRIx64 "-%#" PRIx64 ": flags %#x outside known %#x",
				 run.start, run.end, run.flags, w->known);
		/* counted, not failed here: one test checks it (so one bug fails one test) */
		if (run.entries && !(flags & VMS_WALK_ENTRIES))
			w->stray_entries++;
		if ((flags & VMS_WALK_ENTRIES) && (run.flags & STATE_FLAGS) &&
		    !(run.flags & VMS_RUN_UNKNOWN) && !run.entries)
			fail_msg("run %#" PRIx64 "-%#" PRIx64 " flags %#x: no entries", run.start,
				 run.end, run.flags);
		for (size_t i = 0; i < n; i++) {
			w->flags[i0 + i] = run.flags;
			if (run.entries) {
				w->entries[i0 + i] = run.entries[i];
				w->has_entry[i0 + i] = true;
			}
		}
		at = run.end;
		w->nruns++;
	}
	w->end_ret = ret;
	w->finish_ret = vms_pagewalk_finish(pw);
	vms_pagewalk_stats(pw, &w->scans, &w->reads);
	vms_pagewalk_close(pw);
	if (ret == 0 && at != end)
		fail_msg("walk %#" PRIx64 "-%#" PRIx64 " flags %#x ended at %#" PRIx64, start, end,
			 flags, at);
	return 0;
}

static inline void walk_free(struct walk *w)
{
	free(w->flags);
	free(w->entries);
	free(w->has_entry);
	memset(w, 0, sizeof(*w));
}

/* Page @i of @w has exactly flags @want among @mask (restricted to what the walk knows). */
static inline void walk_expect(const struct walk *w, size_t i, unsigned int mask, unsigned int want,
			       const char *what)
{
	mask &= w->known;
	if ((w->flags[i] & mask) != (want & mask))
		fail_msg("%s: page %zu (%#" PRIx64 "): expected flags %#x of %#x, got %#x", what, i,
			 w->start + i * w->ps, want & mask, mask, w->flags[i] & mask);
}

#endif
