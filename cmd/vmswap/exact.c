// SPDX-License-Identifier: GPL-2.0-or-later
/* vmswap --exact: the swap entries of the page tables, unique and proportional, per device. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmswap.h"

/* A slot: type in the bits above 50, offset below (pagemap gives 5 + 50 bits). */
#define SLOT_SHIFT 50
#define SLOT_OFFSET_MASK ((UINT64_C(1) << SLOT_SHIFT) - 1)

static struct {
	uint64_t *keys; /* every slot referenced, sorted, once */
	uint32_t *refs; /* the entries referencing each, among the processes read */
	size_t n;
	unsigned long page_size;
	size_t read; /* processes read */
	size_t shmem_gap; /* processes whose smaps Swap exceeds their entries */
	const struct vms_swaps *swaps;
} xs;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void xslot_add(struct xproc *x, uint64_t key)
{
	x->slots = cx_grow(x->slots, x->n, &x->cap, sizeof(*x->slots));
	x->slots[x->n++] = key;
}

/* Walk one mapping into @x; false when the process exited during the walk. */
static bool walk_mapping(struct vms_pagemap *pm, const struct vms_mapping *m, struct xproc *x)
{
	struct vms_pagewalk *w;
	struct vms_page_run run;
	bool complete = true;
	int ret;

	ret = vms_pagewalk_open(pm, m->start, m->end, VMS_WALK_ENTRIES, &w);
	/* out of memory: not a walk that was complete */
	if (ret == -ENOMEM)
		cx_oom();
	if (ret < 0)
		return ret != -ESRCH;
	while ((ret = vms_pagewalk_next(w, &run)) > 0) {
		size_t n = (size_t)((run.end - run.start) / xs.page_size);

		if (run.flags & VMS_RUN_UNKNOWN)
			complete = false;
		if (!(run.flags & VMS_RUN_SWAPPED) || !run.entries)
			continue;
		for (size_t i = 0; i < n; i++) {
			struct vms_pme e;

			vms_pme_decode(run.entries[i], true, &e);
			if (e.state != VMS_PAGE_SWAPPED || e.frame_hidden)
				continue;
			xslot_add(x, (uint64_t)e.swap_type << SLOT_SHIFT |
					     (e.swap_offset & SLOT_OFFSET_MASK));
		}
	}
	if (ret == -ENOMEM)
		cx_oom();
	if (ret < 0 || vms_pagewalk_finish(w) < 0)
		complete = false;
	vms_pagewalk_close(w);
	return complete;
}

/*
 * The swap entries of process @i: only the mappings whose smaps Swap is not
 * 0 are walked (swapping is rare; walking every mapping is not).
 */
static void walk_one(size_t i, void *data)
{
	struct prec *r = &((struct prec *)data)[i];
	struct xproc *x = r->x;
	struct vms_proc *p;
	struct vms_pagemap *pm;
	struct vms_maps *it;
	const struct vms_mapping *m;
	int ret;

	if (!x || r->err || !r->have_swap || !r->swap)
		return;
	ret = vms_proc_open(ctx, r->pid, &p);
	if (ret < 0)
		goto fail;
	ret = vms_pagemap_open(p, &pm);
	if (ret < 0)
		goto close_proc;
	ret = vms_maps_open(p, VMS_MAPS_SMAPS, &it);
	if (ret < 0)
		goto close_pagemap;
	while ((ret = vms_maps_next(it, &m)) > 0) {
		uint64_t swap;

		/* [vsyscall] lies in the kernel's half: no pagemap behind it */
		if (m->start >> 63)
			continue;
		if (vms_counters_get(m->counters, VMS_KEY_SWAP, &swap) < 0 || !swap)
			continue;
		if (!walk_mapping(pm, m, x))
			x->cut = true;
	}
	if (ret < 0 || vms_maps_finish(it) < 0)
		x->cut = true;
	vms_maps_close(it);
	vms_pagemap_close(pm);
	vms_proc_close(p);
	if (x->n > 1)
		qsort(x->slots, x->n, sizeof(*x->slots), cmp_u64);
	return;

close_pagemap:
	vms_pagemap_close(pm);
close_proc:
	vms_proc_close(p);
fail:
	x->err = ret;
}

static uint32_t slot_refs(uint64_t key)
{
	size_t lo = 0, hi = xs.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (xs.keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < xs.n && xs.keys[lo] == key ? xs.refs[lo] : 0;
}

static struct xdev *xdev_get(struct xproc *x, unsigned int type, bool resolved)
{
	struct xdev *d;

	for (size_t i = 0; i < x->ndevs; i++)
		if (x->devs[i].type == type && x->devs[i].resolved == resolved)
			return &x->devs[i];
	x->devs = cx_grow(x->devs, x->ndevs, &x->capdevs, sizeof(*x->devs));
	d = &x->devs[x->ndevs++];
	memset(d, 0, sizeof(*d));
	d->type = type;
	d->resolved = resolved;
	return d;
}

/* Devices in /proc/swaps order, then the types no row holds. */
static int cmp_xdev(const void *a, const void *b)
{
	const struct xdev *x = a, *y = b;

	if (x->resolved != y->resolved)
		return x->resolved ? -1 : 1;
	return (x->type > y->type) - (x->type < y->type);
}

/* The figures of one process from its slots and everyone's references. */
static void exact_account(struct xproc *x)
{
	uint64_t ps = xs.page_size;

	for (size_t i = 0; i < x->n;) {
		uint64_t key = x->slots[i];
		size_t own = 0;
		uint32_t refs;
		unsigned int type = (unsigned int)(key >> SLOT_SHIFT);
		bool resolved;
		struct xdev *d;
		uint64_t fx;

		while (i < x->n && x->slots[i] == key)
			own++, i++;
		refs = slot_refs(key);
		if (refs < own)
			refs = (uint32_t)own;
		resolved = xs.swaps &&
			   vms_swaps_by_type(xs.swaps, type, key & SLOT_OFFSET_MASK, ps) != NULL;
		d = xdev_get(x, type, resolved);
		fx = own * ((ps << PSS_SHIFT) / refs);
		d->swapped += own * ps;
		d->prop_fx += fx;
		x->swapped += own * ps;
		x->prop_fx += fx;
		if (refs == own) {
			d->unique += ps;
			x->unique += ps;
		}
	}
	if (x->ndevs > 1)
		qsort(x->devs, x->ndevs, sizeof(*x->devs), cmp_xdev);
}

void vs_exact_check_caps(void)
{
	if (!(vms_ctx_caps(ctx) & VMS_CAP_PFN)) {
		cx_warn("--exact needs the swap slots of pagemap: %s",
			vms_ctx_cap_reason(ctx, VMS_CAP_PFN));
		exit(CX_EXIT_FAILURE);
	}
	xs.page_size = vms_ctx_page_size(ctx);
}

/*
 * Walk every process read that has swap, count the references to each slot
 * among them, and give each process its figures.  Returns true when a named
 * process exited during its walk (a partial result).
 */
bool vs_exact_run(struct prec *recs, size_t n, const struct vms_swaps *swaps)
{
	size_t total = 0, k = 0;
	uint64_t *all;
	bool partial = false;

	xs.swaps = swaps;
	for (size_t i = 0; i < n; i++) {
		if (recs[i].err)
			continue;
		recs[i].x = calloc(1, sizeof(*recs[i].x));
		if (!recs[i].x)
			cx_oom();
		xs.read++;
	}
	cx_parallel_for(n, ctl.jobs, walk_one, recs);
	for (size_t i = 0; i < n; i++) {
		const struct xproc *x = recs[i].x;

		if (x && x->err == -EPROTO) {
			cx_warn("%s: corrupt or unsupported snapshot: pid %d: pagemap",
				vms_ctx_root(ctx), (int)recs[i].pid);
			exit(CX_EXIT_FAILURE);
		}
		/* a process that is gone holds no slot any more */
		if (vs_exact_known(&recs[i]))
			total += x->n;
	}
	all = malloc((total + 1) * sizeof(*all));
	if (!all)
		cx_oom();
	for (size_t i = 0; i < n; i++)
		if (vs_exact_known(&recs[i]) && recs[i].x->n) {
			memcpy(all + k, recs[i].x->slots, recs[i].x->n * sizeof(*all));
			k += recs[i].x->n;
		}
	if (total > 1)
		qsort(all, total, sizeof(*all), cmp_u64);
	xs.keys = all;
	xs.refs = malloc((total + 1) * sizeof(*xs.refs));
	if (!xs.refs)
		cx_oom();
	for (size_t i = 0; i < total;) {
		size_t j = i;

		while (j < total && all[j] == all[i])
			j++;
		xs.keys[xs.n] = all[i];
		xs.refs[xs.n++] = (uint32_t)(j - i > UINT32_MAX ? UINT32_MAX : j - i);
		i = j;
	}
	for (size_t i = 0; i < n; i++) {
		struct prec *r = &recs[i];

		if (!r->x)
			continue;
		if (r->x->err) {
			if (r->named)
				partial = true;
			cx_proc_error(r->pid, "pagemap", r->x->err);
			continue;
		}
		if (r->x->cut) {
			if (r->named)
				partial = true;
			cx_warn("pid %d exited during its page walk: its --exact figures are "
				"unknown",
				(int)r->pid);
			continue;
		}
		exact_account(r->x);
		if (r->have_swap && r->swap > r->x->swapped)
			xs.shmem_gap++;
	}
	if (xs.shmem_gap)
		cx_warn("smaps Swap exceeds the swap entries of the page tables for %zu %s: "
			"shmem/tmpfs pages in swap are not page-table entries",
			xs.shmem_gap, xs.shmem_gap == 1 ? "process" : "processes");
	return partial;
}

void vs_exact_free(struct prec *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!recs[i].x)
			continue;
		free(recs[i].x->slots);
		free(recs[i].x->devs);
		free(recs[i].x);
	}
	free(xs.keys);
	free(xs.refs);
}

static const char *xdev_name(const struct xdev *d, char *buf, size_t len)
{
	if (d->resolved)
		return vms_swaps_get(xs.swaps, d->type)->filename;
	snprintf(buf, len, "[type %u]", d->type);
	return buf;
}

/* "Swap by device": one row per (device, process), a subtotal per device. */
void vs_print_exact_devices(const struct prec *recs, const size_t *order, size_t shown)
{
	enum { X_DEV, X_PID, X_USER, X_SWAPPED, X_UNIQUE, X_PROP, X_CMD };
	static const struct cx_column xcols[] = {
		[X_DEV] = { "device", "DEVICE", CX_STR, "" },
		[X_PID] = { "pid", "PID", CX_INT, "" },
		[X_USER] = { "user", "USER", CX_STR, "" },
		[X_SWAPPED] = { "swapped", "SWAPPED", CX_SIZE, "" },
		[X_UNIQUE] = { "unique", "UNIQUE", CX_SIZE, "" },
		[X_PROP] = { "proportional", "PROP", CX_SIZE, "" },
		[X_CMD] = { "cmdline", "COMMAND", CX_STR, "" },
	};
	struct cx_outopts o = ctl.out;
	struct xdev *devs = NULL;
	size_t ndevs = 0, cap = 0;
	struct cx_table t;

	/* the devices any shown process has entries on, in order */
	for (size_t i = 0; i < shown; i++) {
		const struct prec *r = &recs[order[i]];

		if (!vs_exact_known(r))
			continue;
		for (size_t d = 0; d < r->x->ndevs; d++) {
			size_t k;

			for (k = 0; k < ndevs; k++)
				if (devs[k].type == r->x->devs[d].type &&
				    devs[k].resolved == r->x->devs[d].resolved)
					break;
			if (k < ndevs)
				continue;
			devs = cx_grow(devs, ndevs, &cap, sizeof(*devs));
			devs[ndevs] = r->x->devs[d];
			devs[ndevs++].swapped = 0;
		}
	}
	if (ndevs > 1)
		qsort(devs, ndevs, sizeof(*devs), cmp_xdev);
	o.output = NULL;
	o.output_all = false;
	cx_table_init(&t, xcols, NELEM(xcols),
		      "device,pid,user,swapped,unique,proportional,cmdline", &o);
	for (size_t k = 0; k < ndevs; k++) {
		uint64_t sw = 0, un = 0, pr = 0;
		char buf[32], ubuf[16];
		const char *name = xdev_name(&devs[k], buf, sizeof(buf));
		size_t row;

		for (size_t i = 0; i < shown; i++) {
			const struct prec *r = &recs[order[i]];
			const struct xdev *d = NULL;

			if (!vs_exact_known(r))
				continue;
			for (size_t j = 0; j < r->x->ndevs && !d; j++)
				if (r->x->devs[j].type == devs[k].type &&
				    r->x->devs[j].resolved == devs[k].resolved)
					d = &r->x->devs[j];
			if (!d || !d->swapped)
				continue;
			row = cx_table_add_row(&t);
			cx_set_str(&t, row, X_DEV, name);
			cx_set_int(&t, row, X_PID, r->pid);
			cx_set_str(&t, row, X_USER, vs_rec_user(r, ubuf, sizeof(ubuf)));
			cx_set_u64(&t, row, X_SWAPPED, d->swapped);
			cx_set_u64(&t, row, X_UNIQUE, d->unique);
			cx_set_u64(&t, row, X_PROP, d->prop_fx >> PSS_SHIFT);
			if (r->cmdline && r->cmdline[0]) {
				cx_set_str(&t, row, X_CMD, r->cmdline);
			} else {
				char *b = cx_xasprintf("[%s]", r->comm);

				cx_set_str(&t, row, X_CMD, b);
				free(b);
			}
			sw += d->swapped;
			un += d->unique;
			pr += d->prop_fx >> PSS_SHIFT;
		}
		row = cx_table_add_row(&t);
		cx_set_str(&t, row, X_DEV, name);
		cx_set_u64(&t, row, X_SWAPPED, sw);
		cx_set_u64(&t, row, X_UNIQUE, un);
		cx_set_u64(&t, row, X_PROP, pr);
		cx_set_str(&t, row, X_CMD, "subtotal");
	}
	printf("\nSwap by device (from page tables):\n");
	if (ndevs)
		cx_table_print(&t, &o, stdout);
	else
		printf("no swap entries in the page tables read\n");
	printf("UNIQUE and PROP count references among the %zu %s read\n", xs.read,
	       xs.read == 1 ? "process" : "processes");
	cx_table_free(&t);
	free(devs);
}

void vs_json_exact_process(cJSON *o, const struct prec *r)
{
	cJSON *x, *arr;

	if (!r->x || r->x->err || r->x->cut) {
		cJSON_AddNullToObject(o, "exact");
		cx_json_str(o, "exact_error",
			    !r->x     ? "not read" :
			    r->x->cut ? "exited during its page walk" :
					cx_errno_reason(r->x->err));
		return;
	}
	x = cJSON_AddObjectToObject(o, "exact");
	if (!x)
		cx_oom();
	cx_json_u64(x, "swapped", r->x->swapped);
	cx_json_u64(x, "unique", r->x->unique);
	cx_json_u64(x, "proportional", r->x->prop_fx >> PSS_SHIFT);
	arr = cJSON_AddArrayToObject(x, "devices");
	if (!arr)
		cx_oom();
	for (size_t i = 0; i < r->x->ndevs; i++) {
		const struct xdev *d = &r->x->devs[i];
		cJSON *e = cx_json_object();
		char buf[32];

		cx_json_str(e, "name", xdev_name(d, buf, sizeof(buf)));
		cx_json_int(e, "type_index", d->type);
		cx_json_u64(e, "swapped", d->swapped);
		cx_json_u64(e, "unique", d->unique);
		cx_json_u64(e, "proportional", d->prop_fx >> PSS_SHIFT);
		cJSON_AddItemToArray(arr, e);
	}
}

/* The "exact" object of the JSON document: what the figures count. */
void vs_json_exact_note(cJSON *doc)
{
	cJSON *x = cJSON_AddObjectToObject(doc, "exact");
	char *note = cx_xasprintf("unique and proportional count the references among the %zu "
				  "processes read; shmem/tmpfs pages in swap are not page-table "
				  "entries: smaps Swap may exceed swapped by them",
				  xs.read);

	if (!x)
		cx_oom();
	cx_json_u64(x, "processes_read", xs.read);
	cx_json_str(x, "note", note);
	free(note);
}
