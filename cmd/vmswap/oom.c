// SPDX-License-Identifier: GPL-2.0-or-later
/* vmswap --oom: the processes in the order the OOM killer picks them, and their memory cgroups. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmswap.h"

/* One memory cgroup of the processes listed. */
struct cgrow {
	const char *path;
	int version;
	size_t procs;
	int err;
	struct vms_cgmem m;
};

enum {
	G_PATH,
	G_VERSION,
	G_CURRENT,
	G_MAX,
	G_HIGH,
	G_HEADROOM,
	G_SWAP,
	G_OOM,
	G_OOM_KILL,
	G_PROCS,
};

static const struct cx_column gcols[] = {
	[G_PATH] = { "cgroup", "CGROUP", CX_STR, "" },
	[G_VERSION] = { "version", "VER", CX_INT, "" },
	[G_CURRENT] = { "current", "CURRENT", CX_SIZE, "" },
	[G_MAX] = { "max", "MAX", CX_STR, "" },
	[G_HIGH] = { "high", "HIGH", CX_STR, "" },
	[G_HEADROOM] = { "headroom", "HEADROOM", CX_SIZE, "" },
	[G_SWAP] = { "swap", "SWAP", CX_SIZE, "" },
	[G_OOM] = { "oom", "OOM", CX_U64, "" },
	[G_OOM_KILL] = { "oom_kill", "OOM_KILL", CX_U64, "" },
	[G_PROCS] = { "procs", "PROCS", CX_U64, "" },
};

/* The JSON figures of a process in --oom (never_killed is added to them). */
static const int json_oom[] = { C_OOM_SCORE, C_OOM_SCORE_ADJ, C_VM_RSS, C_VM_SWAP,
				C_VM_PTE,    C_POINTS,	      C_CGROUP };

static bool limited(bool have, uint64_t v)
{
	return have && v != UINT64_MAX;
}

/* min(max, high) - current, 0 when over; false when no limit is set or known. */
static bool headroom(const struct vms_cgmem *m, uint64_t *out)
{
	uint64_t lim = UINT64_MAX;

	if (!m->have_current)
		return false;
	if (limited(m->have_max, m->max))
		lim = m->max;
	if (limited(m->have_high, m->high) && m->high < lim)
		lim = m->high;
	if (lim == UINT64_MAX)
		return false;
	*out = lim > m->current ? lim - m->current : 0;
	return true;
}

static const char *cg_reason(int err)
{
	switch (-err) {
	case ENOENT:
		return "no memory controller there (the cgroup is gone, or not in the snapshot)";
	case EINVAL:
		return "not a cgroup path";
	default:
		return cx_errno_reason(err);
	}
}

/* The cgroups of the rows shown, each once, in the order of the rows. */
static struct cgrow *collect_cgroups(const struct prec *recs, const size_t *order, size_t shown,
				     size_t *ncg)
{
	struct cgrow *cg = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < shown; i++) {
		const struct prec *r = &recs[order[i]];
		size_t k;

		if (!r->cgroup)
			continue;
		for (k = 0; k < n; k++)
			if (cg[k].version == r->cg_version && strcmp(cg[k].path, r->cgroup) == 0)
				break;
		if (k == n) {
			cg = cx_grow(cg, n, &cap, sizeof(*cg));
			memset(&cg[n], 0, sizeof(*cg));
			cg[n].path = r->cgroup;
			cg[n].version = r->cg_version;
			cg[n].err = vms_cgmem_read(ctx, r->cgroup, r->cg_version, &cg[n].m);
			n++;
		}
		cg[k].procs++;
	}
	*ncg = n;
	return cg;
}

static void set_limit(struct cx_table *t, size_t row, int col, bool have, uint64_t v)
{
	char buf[32];

	if (!have)
		return;
	if (v == UINT64_MAX)
		snprintf(buf, sizeof(buf), "max");
	else
		vs_size_text(v, buf, sizeof(buf));
	cx_set_str(t, row, col, buf);
}

static void print_cgroups(const struct cgrow *cg, size_t n)
{
	struct cx_outopts o = ctl.out;
	struct cx_table t;

	o.output = NULL;
	o.output_all = false;
	cx_table_init(&t, gcols, sizeof(gcols) / sizeof(gcols[0]),
		      "cgroup,version,current,max,high,headroom,swap,oom,oom_kill,procs", &o);
	for (size_t i = 0; i < n; i++) {
		const struct vms_cgmem *m = &cg[i].m;
		size_t r = cx_table_add_row(&t);
		uint64_t h;

		cx_set_str(&t, r, G_PATH, cg[i].path);
		cx_set_int(&t, r, G_VERSION, cg[i].version);
		cx_set_u64(&t, r, G_PROCS, cg[i].procs);
		if (cg[i].err) {
			char *p = cx_sanitize(cg[i].path, strlen(cg[i].path), false);

			if (!p)
				cx_oom();
			cx_warn("cgroup %s: cannot read its memory controller: %s", p,
				cg_reason(cg[i].err));
			free(p);
			continue;
		}
		if (m->have_current)
			cx_set_u64(&t, r, G_CURRENT, m->current);
		set_limit(&t, r, G_MAX, m->have_max, m->max);
		set_limit(&t, r, G_HIGH, m->have_high, m->high);
		if (headroom(m, &h))
			cx_set_u64(&t, r, G_HEADROOM, h);
		if (m->have_swap_current)
			cx_set_u64(&t, r, G_SWAP, m->swap_current);
		/* v1 has no count of OOM events, only whether the group is out of memory now */
		if (m->have_events && m->version == 2)
			cx_set_u64(&t, r, G_OOM, m->ev_oom);
		if (m->have_events)
			cx_set_u64(&t, r, G_OOM_KILL, m->ev_oom_kill);
	}
	vs_right_align(&t, G_MAX);
	vs_right_align(&t, G_HIGH);
	printf("\nMemory cgroups:\n");
	if (n)
		cx_table_print(&t, &o, stdout);
	else
		printf("none known\n");
	cx_table_free(&t);
}

static void json_u64_or_null(cJSON *o, const char *key, bool have, uint64_t v)
{
	if (have)
		cx_json_u64(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static void json_cgroups(cJSON *oom, const struct cgrow *cg, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(oom, "cgroups");

	if (!arr)
		cx_oom();
	for (size_t i = 0; i < n; i++) {
		const struct vms_cgmem *m = &cg[i].m;
		cJSON *o = cx_json_object(), *ev;
		bool ok = !cg[i].err, v2 = cg[i].version == 2, have_h;
		uint64_t h = 0;

		if (!o)
			cx_oom();
		cx_json_str(o, "path", cg[i].path);
		cx_json_int(o, "version", cg[i].version);
		cx_json_u64(o, "processes", cg[i].procs);
		json_u64_or_null(o, "current", ok && m->have_current, m->current);
		json_u64_or_null(o, "max", ok && limited(m->have_max, m->max), m->max);
		json_u64_or_null(o, "high", ok && limited(m->have_high, m->high), m->high);
		have_h = ok && headroom(m, &h);
		json_u64_or_null(o, "headroom", have_h, h);
		json_u64_or_null(o, "swap_current", ok && m->have_swap_current, m->swap_current);
		json_u64_or_null(o, "swap_max", ok && limited(m->have_swap_max, m->swap_max),
				 m->swap_max);
		ev = cJSON_AddObjectToObject(o, "events");
		if (!ev)
			cx_oom();
		ok = ok && m->have_events;
		json_u64_or_null(ev, "oom", ok && v2, m->ev_oom);
		json_u64_or_null(ev, "oom_kill", ok, m->ev_oom_kill);
		json_u64_or_null(ev, "max", ok, m->ev_max);
		json_u64_or_null(ev, "high", ok && v2, m->ev_high);
		json_u64_or_null(ev, "low", ok && v2, m->ev_low);
		if (cg[i].err)
			cx_json_str(o, "error", cg_reason(cg[i].err));
		else
			cJSON_AddNullToObject(o, "error");
		cJSON_AddItemToArray(arr, o);
	}
}

static void om_oom(const struct prec *recs, const size_t *order, size_t shown,
		   const struct cgrow *cg, size_t ncg)
{
	vs_om_family("process_oom_score", "gauge", "The kernel's oom_score of the process.");
	for (size_t i = 0; i < shown; i++)
		if (recs[order[i]].have_oom_score)
			vs_om_process("process_oom_score", &recs[order[i]],
				      (uint64_t)recs[order[i]].oom_score);
	vs_om_family("process_oom_points_bytes", "gauge",
		     "What the OOM killer weighs: VmRSS + VmSwap + VmPTE.");
	for (size_t i = 0; i < shown; i++) {
		const struct prec *r = &recs[order[i]];

		if (r->have_vm_rss && r->have_vm_swap && r->have_vm_pte)
			vs_om_process("process_oom_points_bytes", r,
				      r->vm_rss + r->vm_swap + r->vm_pte);
	}
	vs_om_family("cgroup_memory_current_bytes", "gauge", "Memory charged to the cgroup.");
	for (size_t i = 0; i < ncg; i++) {
		char *p;

		if (cg[i].err || !cg[i].m.have_current)
			continue;
		p = cx_om_label(cg[i].path);
		printf("vmscope_cgroup_memory_current_bytes{cgroup=\"%s\"} %" PRIu64 "\n", p,
		       cg[i].m.current);
		free(p);
	}
	vs_om_family("cgroup_memory_max_bytes", "gauge", "The cgroup's memory limit, when set.");
	for (size_t i = 0; i < ncg; i++) {
		char *p;

		if (cg[i].err || !limited(cg[i].m.have_max, cg[i].m.max))
			continue;
		p = cx_om_label(cg[i].path);
		printf("vmscope_cgroup_memory_max_bytes{cgroup=\"%s\"} %" PRIu64 "\n", p,
		       cg[i].m.max);
		free(p);
	}
	vs_om_family("cgroup_oom_kills", "counter",
		     "Processes the OOM killer killed in the cgroup.");
	for (size_t i = 0; i < ncg; i++) {
		char *p;

		if (cg[i].err || !cg[i].m.have_events)
			continue;
		p = cx_om_label(cg[i].path);
		printf("vmscope_cgroup_oom_kills_total{cgroup=\"%s\"} %" PRIu64 "\n", p,
		       cg[i].m.ev_oom_kill);
		free(p);
	}
	printf("# EOF\n");
}

static void oom_header(struct vms_counters *mi)
{
	uint64_t v;
	char buf[32];

	printf("MemAvailable ");
	if (mi && vms_counters_find(mi, "MemAvailable", &v) == 0) {
		vs_size_text(v, buf, sizeof(buf));
		printf("%s", buf);
	} else {
		printf("-");
	}
	printf(", SwapFree ");
	if (mi && vms_counters_find(mi, "SwapFree", &v) == 0) {
		vs_size_text(v, buf, sizeof(buf));
		printf("%s", buf);
	} else {
		printf("-");
	}
	printf("; oom_score ranks for a global OOM; inside a cgroup at its limit the kernel picks "
	       "among that cgroup's processes only\n\n");
}

static void json_meminfo(cJSON *oom, struct vms_counters *mi)
{
	cJSON *o = cJSON_AddObjectToObject(oom, "meminfo");
	uint64_t v = 0;
	bool have;

	if (!o)
		cx_oom();
	/* the value is read before it is passed: arguments have no order */
	have = mi && vms_counters_find(mi, "MemAvailable", &v) == 0;
	json_u64_or_null(o, "mem_available", have, v);
	have = mi && vms_counters_find(mi, "SwapFree", &v) == 0;
	json_u64_or_null(o, "swap_free", have, v);
}

int vs_run_oom(struct prec *recs, size_t n, struct cx_table *t, bool partial)
{
	size_t *order = malloc((n + 1) * sizeof(*order)), shown = 0, ncg;
	struct vms_counters *mi = NULL;
	struct cgrow *cg;
	int ret;

	if (!order)
		cx_oom();
	ret = vms_meminfo_read(ctx, &mi);
	if (ret < 0) {
		cx_warn("cannot read /proc/meminfo: %s", vs_file_reason(ret));
		mi = NULL;
	}
	vs_sort_records(recs, n, order, vs_sort_column(C_OOM_SCORE));
	for (size_t i = 0; i < n; i++) {
		const struct prec *r = &recs[order[i]];

		/* no address space (a zombie): nothing the OOM killer could free */
		if (r->err || (!r->have_vm_rss && !r->named))
			continue;
		if (ctl.top && shown >= ctl.top)
			break;
		order[shown++] = order[i];
	}
	for (size_t i = 0; i < shown; i++)
		vs_fill_row(t, cx_table_add_row(t), &recs[order[i]]);
	cg = collect_cgroups(recs, order, shown, &ncg);
	if (ctl.out.format == CX_FMT_OPENMETRICS) {
		om_oom(recs, order, shown, cg, ncg);
	} else if (ctl.out.format == CX_FMT_JSON) {
		cJSON *doc = cx_json_doc(), *oom, *arr;

		cx_json_str(doc, "root", vms_ctx_root(ctx));
		cx_json_u64(doc, "page_size", vms_ctx_page_size(ctx));
		oom = cJSON_AddObjectToObject(doc, "oom");
		arr = oom ? cJSON_AddArrayToObject(oom, "processes") : NULL;
		if (!arr)
			cx_oom();
		for (size_t i = 0; i < shown; i++) {
			const struct prec *r = &recs[order[i]];
			cJSON *o = vs_json_process(arr, t, i, r, json_oom, NELEM(json_oom));

			cJSON_AddBoolToObject(o, "never_killed", vs_never_killed(r));
		}
		json_cgroups(oom, cg, ncg);
		json_meminfo(oom, mi);
		vs_json_skipped(doc, recs, n);
		if (cx_json_print(doc, stdout) < 0)
			cx_oom();
	} else {
		oom_header(mi);
		vs_text_fixups(t, true);
		cx_table_print(t, &ctl.out, stdout);
		print_cgroups(cg, ncg);
	}
	vs_report_skipped(recs, n, &partial);
	free(cg);
	free(order);
	vms_counters_free(mi);
	return partial ? (shown ? CX_EXIT_PARTIAL : CX_EXIT_FAILURE) : CX_EXIT_OK;
}
