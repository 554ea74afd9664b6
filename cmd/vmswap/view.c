// SPDX-License-Identifier: GPL-2.0-or-later
/* vmswap: the default view -- swap devices, zram, zswap, and the processes holding swap. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vmswap.h"

/* The JSON figures of a process (what --output-all prints, too). */
static const int json_default[] = { C_SWAP,	 C_SWAP_PSS,	  C_RSS,
				    C_SWAP_PCT,	 C_MAJFLT,	  C_MAJFLT_RATE,
				    C_OOM_SCORE, C_OOM_SCORE_ADJ, C_CGROUP };
static const int json_exact[] = { C_SWAP,	  C_SWAP_PSS,  C_SWAPPED,	C_UNIQUE,
				  C_PROPORTIONAL, C_RSS,       C_SWAP_PCT,	C_MAJFLT,
				  C_MAJFLT_RATE,  C_OOM_SCORE, C_OOM_SCORE_ADJ, C_CGROUP };

/* ---- devices: /proc/swaps, zram, zswap ---- */

struct dev {
	const char *name;
	const char *type;
	uint64_t size, used;
	int prio;
	bool swap; /* a /proc/swaps row (else a zram device used otherwise) */
	const struct vms_zram *zram;
};

static struct {
	struct vms_swaps *swaps;
	struct vms_zrams *zrams;
	struct vms_counters *meminfo;
	struct dev *devs;
	size_t ndevs;
	bool any_zram;
} sys;

/* The zram device behind /proc/swaps name @name ("/dev/zram0"), or NULL. */
static const struct vms_zram *zram_of(const char *name)
{
	if (strncmp(name, "/dev/", 5) != 0)
		return NULL;
	for (size_t i = 0; i < vms_zram_count(sys.zrams); i++)
		if (strcmp(vms_zram_get(sys.zrams, i)->name, name + 5) == 0)
			return vms_zram_get(sys.zrams, i);
	return NULL;
}

static void read_system(void)
{
	size_t nsw, nz, k = 0;
	int ret;

	ret = vms_swaps_read(ctx, &sys.swaps);
	if (ret < 0) {
		cx_warn("cannot read /proc/swaps: %s", vs_file_reason(ret));
		sys.swaps = NULL;
	}
	ret = vms_zram_read(ctx, &sys.zrams);
	if (ret < 0) {
		cx_warn("cannot read the zram devices: %s", vs_file_reason(ret));
		sys.zrams = NULL;
	}
	ret = vms_meminfo_read(ctx, &sys.meminfo);
	if (ret < 0) {
		cx_warn("cannot read /proc/meminfo: %s", vs_file_reason(ret));
		sys.meminfo = NULL;
	}
	nsw = sys.swaps ? vms_swaps_count(sys.swaps) : 0;
	nz = vms_zram_count(sys.zrams);
	sys.devs = calloc(nsw + nz + 1, sizeof(*sys.devs));
	if (!sys.devs)
		cx_oom();
	for (size_t i = 0; i < nsw; i++) {
		const struct vms_swap *s = vms_swaps_get(sys.swaps, i);
		struct dev *d = &sys.devs[k++];

		d->name = s->filename;
		d->type = s->type;
		d->size = s->size;
		d->used = s->used;
		d->prio = s->priority;
		d->swap = true;
		d->zram = zram_of(s->filename);
		sys.any_zram |= d->zram != NULL;
	}
	/* zram devices set up but not swapped on: a block device (a /tmp, a cache) */
	for (size_t i = 0; i < nz; i++) {
		const struct vms_zram *z = vms_zram_get(sys.zrams, i);
		bool listed = false;

		for (size_t j = 0; j < nsw; j++)
			listed |= sys.devs[j].zram == z;
		if (listed || !z->disksize)
			continue;
		sys.devs[k].name = cx_xasprintf("/dev/%s", z->name);
		sys.devs[k].type = "zram (not swap)";
		sys.devs[k].size = z->disksize;
		sys.devs[k].zram = z;
		sys.any_zram = true;
		k++;
	}
	sys.ndevs = k;
}

void vs_free_system(void)
{
	for (size_t i = 0; i < sys.ndevs; i++)
		if (!sys.devs[i].swap)
			free((char *)sys.devs[i].name);
	free(sys.devs);
	vms_swaps_free(sys.swaps);
	vms_zram_free(sys.zrams);
	vms_counters_free(sys.meminfo);
}

static bool mi(const char *key, uint64_t *v)
{
	return sys.meminfo && vms_counters_find(sys.meminfo, key, v) == 0;
}

static void print_devices(void)
{
	enum {
		D_NAME,
		D_TYPE,
		D_SIZE,
		D_USED,
		D_PCT,
		D_PRIO,
		D_COMP,
		D_ORIG,
		D_COMPR,
		D_MEM,
		D_RATIO
	};
	static const struct cx_column dcols[] = {
		[D_NAME] = { "name", "NAME", CX_STR, "" },
		[D_TYPE] = { "type", "TYPE", CX_STR, "" },
		[D_SIZE] = { "size", "SIZE", CX_SIZE, "" },
		[D_USED] = { "used", "USED", CX_SIZE, "" },
		[D_PCT] = { "use_pct", "USE%", CX_RATE, "" },
		[D_PRIO] = { "prio", "PRIO", CX_INT, "" },
		[D_COMP] = { "comp", "COMP", CX_STR, "" },
		[D_ORIG] = { "orig", "ORIG", CX_SIZE, "" },
		[D_COMPR] = { "compr", "COMPR", CX_SIZE, "" },
		[D_MEM] = { "memused", "MEMUSED", CX_SIZE, "" },
		[D_RATIO] = { "ratio", "RATIO", CX_STR, "" },
	};
	struct cx_outopts o = ctl.out;
	struct cx_table t;

	if (!sys.ndevs) {
		/* an unread /proc/swaps is no proof that there is no swap */
		printf(sys.swaps ? "no swap devices\n" :
				   "swap devices: unknown (no /proc/swaps)\n");
		return;
	}
	o.output = NULL;
	o.output_all = false;
	cx_table_init(&t, dcols, NELEM(dcols),
		      sys.any_zram ?
			      "name,type,size,used,use_pct,prio,comp,orig,compr,memused,ratio" :
			      "name,type,size,used,use_pct,prio",
		      &o);
	for (size_t i = 0; i < sys.ndevs; i++) {
		const struct dev *d = &sys.devs[i];
		const struct vms_zram *z = d->zram;
		size_t r = cx_table_add_row(&t);

		cx_set_str(&t, r, D_NAME, d->name);
		cx_set_str(&t, r, D_TYPE, d->type);
		cx_set_u64(&t, r, D_SIZE, d->size);
		if (d->swap) {
			cx_set_u64(&t, r, D_USED, d->used);
			if (d->size)
				cx_set_rate(&t, r, D_PCT,
					    100.0 * (double)d->used / (double)d->size);
			cx_set_int(&t, r, D_PRIO, d->prio);
		}
		if (!z)
			continue;
		cx_set_str(&t, r, D_COMP, z->algorithm);
		if (!z->have_mm_stat)
			continue;
		cx_set_u64(&t, r, D_ORIG, z->orig_data_size);
		cx_set_u64(&t, r, D_COMPR, z->compr_data_size);
		cx_set_u64(&t, r, D_MEM, z->mem_used_total);
		if (z->compr_data_size) {
			char ratio[32];

			snprintf(ratio, sizeof(ratio), "%.2f",
				 (double)z->orig_data_size / (double)z->compr_data_size);
			cx_set_str(&t, r, D_RATIO, ratio);
		}
	}
	vs_right_align(&t, D_RATIO);
	cx_table_print(&t, &o, stdout);
	cx_table_free(&t);
}

static void print_zswap(void)
{
	uint64_t zs, zd;
	char a[32], b[32];

	if (!mi("Zswap", &zs) || !mi("Zswapped", &zd))
		return;
	if (!zs && !zd) {
		printf("zswap: empty\n");
		return;
	}
	vs_size_text(zs, a, sizeof(a));
	vs_size_text(zd, b, sizeof(b));
	printf("zswap: %s compressed holding %s", a, b);
	if (zs)
		printf(" (ratio %.2f)", (double)zd / (double)zs);
	printf("\n");
}

/* "swap: 1.2 GiB used of 4.0 GiB (30%); SwapCached 12 MiB; processes hold ..." */
static void print_summary(uint64_t held, uint64_t held_pss, size_t nread, bool all_read)
{
	uint64_t total, free_, cached;
	char a[32], b[32], c[32], d[32], e[32];

	if (!mi("SwapTotal", &total) || !mi("SwapFree", &free_))
		return;
	if (!total && !sys.ndevs)
		return;
	if (free_ > total)
		free_ = total;
	vs_size_text(total - free_, a, sizeof(a));
	vs_size_text(total, b, sizeof(b));
	vs_size_text(held, d, sizeof(d));
	vs_size_text(held_pss, e, sizeof(e));
	printf("swap: %s used of %s", a, b);
	if (total)
		printf(" (%" PRIu64 "%%)", ((total - free_) * 100 + total / 2) / total);
	if (mi("SwapCached", &cached)) {
		vs_size_text(cached, c, sizeof(c));
		printf("; SwapCached %s", c);
	}
	/* Swap counts a slot shared after fork in each process; SwapPss once in all */
	if (!nread)
		printf("\n");
	else if (all_read)
		printf("; processes hold %s (Swap), %s counting shared slots once (SwapPss); "
		       "shmem/tmpfs swap not attributed to processes is the rest\n",
		       d, e);
	else
		printf("; processes hold %s (Swap), %s counting shared slots once (SwapPss), "
		       "of the %zu %s read\n",
		       d, e, nread, nread == 1 ? "process" : "processes");
}

static void json_devices(cJSON *doc)
{
	cJSON *arr = cJSON_AddArrayToObject(doc, "devices"), *o, *z;
	uint64_t zs, zd, v;

	if (!arr)
		cx_oom();
	for (size_t i = 0; i < sys.ndevs; i++) {
		const struct dev *d = &sys.devs[i];
		const struct vms_zram *zr = d->zram;

		o = cx_json_object();
		cx_json_str(o, "name", d->name);
		cx_json_str(o, "type", d->type);
		cx_json_u64(o, "size", d->size);
		if (d->swap) {
			cx_json_u64(o, "used", d->used);
			cx_json_int(o, "priority", d->prio);
		} else {
			cJSON_AddNullToObject(o, "used");
			cJSON_AddNullToObject(o, "priority");
		}
		if (!zr) {
			cJSON_AddNullToObject(o, "zram");
		} else {
			z = cJSON_AddObjectToObject(o, "zram");
			if (!z)
				cx_oom();
			cx_json_str(z, "device", zr->name);
			cx_json_str(z, "algorithm", zr->algorithm);
			cx_json_u64(z, "disksize", zr->disksize);
			if (zr->have_mm_stat) {
				cx_json_u64(z, "orig_data_size", zr->orig_data_size);
				cx_json_u64(z, "compr_data_size", zr->compr_data_size);
				cx_json_u64(z, "mem_used_total", zr->mem_used_total);
				cx_json_u64(z, "mem_limit", zr->mem_limit);
				cx_json_u64(z, "mem_used_max", zr->mem_used_max);
				cx_json_u64(z, "same_pages", zr->same_pages);
				cx_json_u64(z, "pages_compacted", zr->pages_compacted);
				if (zr->have_huge_pages)
					cx_json_u64(z, "huge_pages", zr->huge_pages);
				else
					cJSON_AddNullToObject(z, "huge_pages");
			} else {
				static const char *const keys[] = {
					"orig_data_size",  "compr_data_size", "mem_used_total",
					"mem_limit",	   "mem_used_max",    "same_pages",
					"pages_compacted", "huge_pages"
				};

				for (size_t k = 0; k < NELEM(keys); k++)
					cJSON_AddNullToObject(z, keys[k]);
			}
			if (zr->have_mm_stat && zr->compr_data_size)
				cx_json_rate(z, "ratio",
					     (double)zr->orig_data_size /
						     (double)zr->compr_data_size);
			else
				cJSON_AddNullToObject(z, "ratio");
		}
		cJSON_AddBoolToObject(o, "swap", d->swap);
		cJSON_AddItemToArray(arr, o);
	}
	if (mi("Zswap", &zs) && mi("Zswapped", &zd)) {
		o = cJSON_AddObjectToObject(doc, "zswap");
		if (!o)
			cx_oom();
		cx_json_u64(o, "zswap", zs);
		cx_json_u64(o, "zswapped", zd);
		if (zs)
			cx_json_rate(o, "ratio", (double)zd / (double)zs);
		else
			cJSON_AddNullToObject(o, "ratio");
	} else {
		cJSON_AddNullToObject(doc, "zswap");
	}
	o = cJSON_AddObjectToObject(doc, "meminfo");
	if (!o)
		cx_oom();
	if (mi("SwapTotal", &v))
		cx_json_u64(o, "swap_total", v);
	else
		cJSON_AddNullToObject(o, "swap_total");
	if (mi("SwapFree", &v))
		cx_json_u64(o, "swap_free", v);
	else
		cJSON_AddNullToObject(o, "swap_free");
	if (mi("SwapCached", &v))
		cx_json_u64(o, "swap_cached", v);
	else
		cJSON_AddNullToObject(o, "swap_cached");
}

static void om_devices(void)
{
	static const struct {
		const char *name, *help;
	} dev_fams[] = {
		{ "swap_device_size_bytes", "Size of the swap device (/proc/swaps Size)." },
		{ "swap_device_used_bytes", "Swap in use on the device (/proc/swaps Used)." },
	};
	static const struct {
		const char *name, *help;
	} zram_fams[] = {
		{ "zram_orig_data_bytes", "Data stored in the zram device, uncompressed." },
		{ "zram_compr_data_bytes", "Data stored in the zram device, compressed." },
		{ "zram_mem_used_bytes",
		  "Memory the zram device uses, allocator overhead included." },
	};
	uint64_t v;

	for (size_t f = 0; f < NELEM(dev_fams); f++) {
		vs_om_family(dev_fams[f].name, "gauge", dev_fams[f].help);
		for (size_t i = 0; i < sys.ndevs; i++) {
			char *n, *t;

			if (!sys.devs[i].swap)
				continue;
			n = cx_om_label(sys.devs[i].name);
			t = cx_om_label(sys.devs[i].type);
			printf("vmscope_%s{device=\"%s\",type=\"%s\"} %" PRIu64 "\n",
			       dev_fams[f].name, n, t, f ? sys.devs[i].used : sys.devs[i].size);
			free(n);
			free(t);
		}
	}
	if (sys.any_zram) {
		for (size_t f = 0; f < NELEM(zram_fams); f++) {
			vs_om_family(zram_fams[f].name, "gauge", zram_fams[f].help);
			for (size_t i = 0; i < sys.ndevs; i++) {
				const struct vms_zram *z = sys.devs[i].zram;
				char *n;

				if (!z || !z->have_mm_stat)
					continue;
				n = cx_om_label(z->name);
				printf("vmscope_%s{device=\"%s\"} %" PRIu64 "\n", zram_fams[f].name,
				       n,
				       f == 0 ? z->orig_data_size :
				       f == 1 ? z->compr_data_size :
						z->mem_used_total);
				free(n);
			}
		}
	}
	if (mi("Zswap", &v)) {
		vs_om_family("zswap_bytes", "gauge", "Memory zswap uses for compressed pages.");
		printf("vmscope_zswap_bytes %" PRIu64 "\n", v);
	}
	if (mi("Zswapped", &v)) {
		vs_om_family("zswapped_bytes", "gauge", "Pages held in zswap, uncompressed.");
		printf("vmscope_zswapped_bytes %" PRIu64 "\n", v);
	}
}

/* ---- the default view ---- */

/* Shown without -a: holds swap, or pages in now. */
static bool interesting(const struct prec *r)
{
	return r->named || ctl.all || (r->have_swap && r->swap) ||
	       (r->have_rate && r->majflt_rate > 0);
}

/* The columns the total row sums. */
static const int summed[] = { C_SWAP, C_SWAP_PSS, C_RSS, C_SWAPPED, C_UNIQUE, C_PROPORTIONAL };

/* The sums of the first @shown rows, as a last row. */
static void set_total_row(struct cx_table *t, size_t shown)
{
	size_t tr = cx_table_add_row(t);

	for (size_t k = 0; k < NELEM(summed); k++) {
		uint64_t sum = 0;
		bool any = false;

		for (size_t r = 0; r < shown; r++) {
			const struct cx_cell *c = cx_cell(t, r, summed[k]);

			if (c->null)
				continue;
			sum += c->u;
			any = true;
		}
		if (any || !shown)
			cx_set_u64(t, tr, summed[k], sum);
	}
	{
		const struct cx_cell *s = cx_cell(t, tr, C_SWAP), *rs = cx_cell(t, tr, C_RSS);

		if (!s->null && !rs->null && s->u + rs->u)
			cx_set_rate(t, tr, C_SWAP_PCT,
				    100.0 * (double)s->u / (double)(s->u + rs->u));
	}
	cx_set_str(t, tr, C_CMDLINE, "TOTAL");
	cx_set_str(t, tr, C_COMM, "TOTAL");
}

static void json_total(cJSON *doc, struct cx_table *t, size_t tr, size_t shown)
{
	cJSON *o = cJSON_AddObjectToObject(doc, "total");

	if (!o)
		cx_oom();
	cx_json_u64(o, "processes", shown);
	for (size_t k = 0; k < NELEM(summed); k++) {
		const struct cx_cell *c = cx_cell(t, tr, summed[k]);

		if (!ctl.exact && summed[k] >= C_SWAPPED && summed[k] <= C_PROPORTIONAL)
			continue;
		if (c->null)
			cJSON_AddNullToObject(o, columns[summed[k]].name);
		else
			cx_json_u64(o, columns[summed[k]].name, c->u);
	}
}

static void om_processes(const struct prec *recs, const size_t *order, size_t shown)
{
	static const struct {
		int col;
		const char *name, *help;
	} fams[] = {
		{ C_SWAP, "process_swap_bytes", "Swapped-out memory (smaps_rollup Swap)." },
		{ C_SWAP_PSS, "process_swap_pss_bytes",
		  "Proportional swap (smaps_rollup SwapPss)." },
		{ C_SWAPPED, "process_swap_entries_bytes",
		  "Swap entries in the page tables (--exact)." },
		{ C_UNIQUE, "process_swap_unique_bytes",
		  "Swap slots no other process read references (--exact)." },
		{ C_PROPORTIONAL, "process_swap_proportional_bytes",
		  "Each swap slot's size divided by its references (--exact)." },
	};

	for (size_t f = 0; f < NELEM(fams); f++) {
		if (!ctl.exact && fams[f].col >= C_SWAPPED && fams[f].col <= C_PROPORTIONAL)
			continue;
		vs_om_family(fams[f].name, "gauge", fams[f].help);
		for (size_t i = 0; i < shown; i++) {
			const struct prec *r = &recs[order[i]];
			double v;

			if (!vs_rec_number(r, fams[f].col, &v))
				continue;
			vs_om_process(fams[f].name, r,
				      fams[f].col == C_SWAP	? r->swap :
				      fams[f].col == C_SWAP_PSS ? r->swap_pss :
				      fams[f].col == C_SWAPPED	? r->x->swapped :
				      fams[f].col == C_UNIQUE	? r->x->unique :
								  r->x->prop_fx >> PSS_SHIFT);
		}
	}
}

int vs_run_default(struct prec *recs, size_t n, struct cx_table *t, bool partial)
{
	size_t *order = malloc((n + 1) * sizeof(*order)), shown = 0, nread = 0;
	uint64_t held = 0, held_pss = 0;
	bool all_read = !ctl.npids;

	if (!order)
		cx_oom();
	read_system();
	if (ctl.exact)
		partial |= vs_exact_run(recs, n, sys.swaps);
	vs_sort_records(recs, n, order, vs_sort_column(C_SWAP));
	for (size_t i = 0; i < n; i++) {
		const struct prec *r = &recs[order[i]];

		if (r->err) {
			all_read = false;
			continue;
		}
		nread++;
		if (r->have_swap)
			held += r->swap;
		if (r->have_swap_pss)
			held_pss += r->swap_pss;
		if (!interesting(r) || (ctl.top && shown >= ctl.top))
			continue;
		order[shown++] = order[i];
	}
	for (size_t i = 0; i < shown; i++)
		vs_fill_row(t, cx_table_add_row(t), &recs[order[i]]);
	if (ctl.out.format == CX_FMT_OPENMETRICS) {
		om_devices();
		om_processes(recs, order, shown);
		printf("# EOF\n");
	} else if (ctl.out.format == CX_FMT_JSON) {
		cJSON *doc = cx_json_doc(), *arr;

		cx_json_str(doc, "root", vms_ctx_root(ctx));
		cx_json_u64(doc, "page_size", vms_ctx_page_size(ctx));
		if (vs_view_dt > 0)
			cJSON_AddNumberToObject(doc, "interval", round(vs_view_dt * 1000) / 1000);
		else
			cJSON_AddNullToObject(doc, "interval");
		json_devices(doc);
		arr = cJSON_AddArrayToObject(doc, "processes");
		if (!arr)
			cx_oom();
		for (size_t i = 0; i < shown; i++) {
			cJSON *o = vs_json_process(
				arr, t, i, &recs[order[i]], ctl.exact ? json_exact : json_default,
				ctl.exact ? NELEM(json_exact) : NELEM(json_default));

			if (ctl.exact)
				vs_json_exact_process(o, &recs[order[i]]);
		}
		set_total_row(t, shown);
		json_total(doc, t, shown, shown);
		if (ctl.exact)
			vs_json_exact_note(doc);
		vs_json_skipped(doc, recs, n);
		if (cx_json_print(doc, stdout) < 0)
			cx_oom();
	} else {
		print_devices();
		print_zswap();
		print_summary(held, held_pss, nread, all_read);
		putchar('\n');
		if (!shown && ctl.out.format == CX_FMT_TABLE && !ctl.npids) {
			printf("no process holds swap or is paging in (-a lists them all)\n");
		} else {
			if (shown)
				set_total_row(t, shown);
			vs_text_fixups(t, true);
			cx_table_print(t, &ctl.out, stdout);
		}
		if (ctl.exact)
			vs_print_exact_devices(recs, order, shown);
	}
	vs_report_skipped(recs, n, &partial);
	free(order);
	return partial ? (nread ? CX_EXIT_PARTIAL : CX_EXIT_FAILURE) : CX_EXIT_OK;
}
