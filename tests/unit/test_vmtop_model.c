// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of vmtop's model: rows, rates, re-baselining, sorting, filters, tree, on fixtures. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "vmtop/vmtop.h"

#define FIX DATA_DIR "/../../fixtures/"
#define MIB (UINT64_C(1) << 20)

static const char *const series[] = { FIX "vmtop/t0", FIX "vmtop/t1", FIX "vmtop/t2" };

static struct vt_model *open_series(size_t n)
{
	struct vt_model_opts o = { .delay = 1, .roots = series, .nroots = n };
	struct vt_model *m = vt_model_new(&o);

	assert_non_null(m);
	return m;
}

static const struct vt_row *row_of(const struct vt_rows *r, pid_t pid)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].pid == pid)
			return &r->v[i];
	return NULL;
}

/* The PIDs of @r in order, as "1 100 101" for a failure message. */
static const char *order(const struct vt_rows *r)
{
	static char buf[512];
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->n && at < sizeof(buf) - 16; i++)
		at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%d", i ? " " : "",
				       (int)r->v[i].pid);
	return buf;
}

static void rows(struct vt_model *m, const struct vt_query *q, struct vt_rows *out)
{
	assert_int_equal(vt_model_rows(m, q, out), 0);
}

/* Every row wanted and read: what batch mode does. */
static void read_everything(struct vt_model *m)
{
	vt_model_want(m, NULL, 0, true);
	vt_model_read_all(m);
}

static void test_first_frame(void **state)
{
	struct vt_model *m = open_series(1);
	struct vt_query q = { .sort = VT_COL_PID };
	struct vt_rows r;
	struct vt_sys s;
	const struct vt_row *x;

	(void)state;
	assert_int_equal(vt_model_tick(m), 0);
	rows(m, &q, &r);
	/* kthreadd hidden by default: 8 user processes */
	assert_string_equal(order(&r), "1 100 101 102 200 300 400 500");
	x = row_of(&r, 100);
	assert_non_null(x);
	assert_string_equal(x->user, "alice");
	assert_string_equal(x->comm, "db");
	assert_string_equal(x->cmdline, "/usr/bin/db --listen :5432");
	assert_int_equal(x->rss, 65536 * 4096);
	assert_false(x->have_rate); /* the first frame: totals, no rate */
	assert_int_equal(x->minflt, 20000);
	assert_int_equal(x->mem, VT_MEM_PENDING);
	assert_true(isinf(x->mem_age));
	vt_rows_free(&r);

	q.kthreads = true;
	rows(m, &q, &r);
	assert_string_equal(order(&r), "1 2 100 101 102 200 300 400 500");
	vt_rows_free(&r);

	vt_model_sys(m, &s);
	assert_int_equal(s.frame, 1);
	assert_true(s.have_mem);
	assert_int_equal(s.mem_total, UINT64_C(8) << 30);
	assert_int_equal(s.mem_free, UINT64_C(4) << 30);
	assert_int_equal(s.mem_buffers, UINT64_C(128) << 20);
	/* Cached + SReclaimable, as free(1) counts buff/cache */
	assert_int_equal(s.mem_cache, UINT64_C(1792) << 20);
	assert_int_equal(s.mem_used, (UINT64_C(4) << 30) - (UINT64_C(1920) << 20));
	assert_true(s.have_zswap);
	assert_int_equal(s.zswap, 1 << 20);
	assert_int_equal(s.zswapped, 3 << 20);
	assert_false(s.have_rates);
	assert_int_equal(s.nhist, 0);
	assert_string_equal(s.snapshot, "snapshot of fixture taken 2026-11-21T10:00:00Z (kernel "
					"6.18.44-fixture)");
	assert_string_equal(s.clock, "10:00:00");
	vt_model_free(m);
}

static void test_rates_and_reuse(void **state)
{
	struct vt_model *m = open_series(3);
	struct vt_query q = { .sort = VT_COL_PID };
	struct vt_rows r;
	struct vt_sys s;
	const struct vt_row *x;

	(void)state;
	assert_int_equal(vt_model_tick(m), 0);
	assert_int_equal(vt_model_tick(m), 0);
	rows(m, &q, &r);
	x = row_of(&r, 101);
	assert_true(x->have_rate);
	assert_true(fabs(x->minflt_rate - 100) < 1e-9);
	assert_false(x->hot);
	x = row_of(&r, 102);
	assert_true(fabs(x->minflt_rate - 10) < 1e-9);
	assert_true(fabs(x->majflt_rate - 2) < 1e-9);
	/* PID 300 is another process now: its rate is its own faults since it
	 * started (50), never new - old (50 - 9000) */
	x = row_of(&r, 300);
	assert_string_equal(x->comm, "new300");
	assert_true(x->have_rate);
	assert_true(fabs(x->minflt_rate - 50) < 1e-9);
	assert_int_equal(x->minflt, 50);
	vt_rows_free(&r);

	vt_model_sys(m, &s);
	assert_true(s.have_rates);
	assert_true(fabs(s.rate[VT_RATE_FAULT] - 1000) < 1e-9);
	assert_true(fabs(s.rate[VT_RATE_MAJFAULT] - 2) < 1e-9);
	assert_true(fabs(s.rate[VT_RATE_SWPOUT] - 60) < 1e-9);
	assert_int_equal(s.nhist, 1);

	assert_int_equal(vt_model_tick(m), 0);
	rows(m, &q, &r);
	x = row_of(&r, 101);
	/* 100/s, then 5000/s: a jump */
	assert_true(fabs(x->minflt_rate - 5000) < 1e-9);
	assert_true(x->hot);
	assert_false(row_of(&r, 102)->hot);
	assert_false(row_of(&r, 100)->hot);
	vt_rows_free(&r);
	vt_model_sys(m, &s);
	assert_int_equal(s.nhist, 2);
	assert_true(fabs(s.hist[VT_RATE_FAULT][0] - 1000) < 1e-9);
	assert_true(fabs(s.hist[VT_RATE_FAULT][1] - 3000) < 1e-9);
	assert_true(fabs(s.hist[VT_RATE_SWPIN][1] - 30) < 1e-9);

	/* the end of the series */
	assert_int_equal(vt_model_tick(m), 1);
	assert_true(vt_model_done(m));
	vt_model_free(m);
}

static void test_rollups(void **state)
{
	struct vt_model *m = open_series(1);
	struct vt_query q = { .sort = VT_COL_PSS };
	struct vt_rows r;
	struct vt_sys s;
	const struct vt_row *x;
	pid_t shown[] = { 100, 200 };

	(void)state;
	assert_int_equal(vt_model_tick(m), 0);
	/* only the rows on screen are read */
	vt_model_want(m, shown, 2, false);
	vt_model_read_all(m);
	rows(m, &q, &r);
	assert_int_equal(row_of(&r, 100)->mem, VT_MEM_OK);
	assert_int_equal(row_of(&r, 100)->pss, 200 * MIB);
	assert_int_equal(row_of(&r, 100)->uss, 180 * MIB);
	x = row_of(&r, 200);
	assert_int_equal(x->swap, 3 * MIB);
	assert_int_equal(x->swap_pss, 1 * MIB);
	assert_int_equal(row_of(&r, 101)->mem, VT_MEM_PENDING);
	/* rows with the figure first; the others after, by PID */
	assert_string_equal(order(&r), "100 200 1 101 102 300 400 500");
	vt_rows_free(&r);
	/* freshness is counted when the screen says what it shows */
	vt_model_want(m, shown, 2, false);
	vt_model_sys(m, &s);
	assert_int_equal(s.mem_wanted, 2);
	assert_int_equal(s.mem_fresh, 2);

	read_everything(m);
	rows(m, &q, &r);
	assert_string_equal(order(&r), "100 101 102 200 1 300 500 400");
	/* not captured: the reason, never 0 */
	assert_int_equal(row_of(&r, 400)->mem, -ENOENT);
	vt_rows_free(&r);
	q.reverse = true;
	rows(m, &q, &r);
	assert_string_equal(order(&r), "500 300 1 200 102 101 100 400");
	vt_rows_free(&r);
	q.sort = VT_COL_SWAP;
	q.reverse = false;
	rows(m, &q, &r);
	assert_int_equal(r.v[0].pid, 200);
	vt_rows_free(&r);
	vt_model_free(m);
}

static void test_filters(void **state)
{
	struct vt_model *m = open_series(1);
	struct vt_query q = { .sort = VT_COL_PID, .filter = "WORKER" };
	pid_t only[] = { 500, 2, 9999 };
	struct vt_rows r;

	(void)state;
	assert_int_equal(vt_model_tick(m), 0);
	rows(m, &q, &r);
	assert_string_equal(order(&r), "101 102");
	vt_rows_free(&r);
	/* the command line counts too: "--listen" is db's */
	q.filter = "listen";
	rows(m, &q, &r);
	assert_string_equal(order(&r), "100");
	vt_rows_free(&r);
	q.filter = "";
	q.have_uid = true;
	q.uid = 1000;
	rows(m, &q, &r);
	assert_string_equal(order(&r), "100 101 102");
	vt_rows_free(&r);
	q.have_uid = false;
	q.pids = only;
	q.npids = 3;
	rows(m, &q, &r);
	/* named kernel threads are shown */
	assert_string_equal(order(&r), "2 500");
	vt_rows_free(&r);
	q.npids = 0;
	q.sort = VT_COL_COMMAND;
	rows(m, &q, &r);
	/* text A-Z: the command line, or comm when there is none */
	assert_string_equal(r.v[0].cmdline, "/sbin/init");
	vt_rows_free(&r);
	vt_model_free(m);
}

static void test_tree(void **state)
{
	struct vt_model *m = open_series(1);
	struct vt_query q = { .sort = VT_COL_RSS, .tree = true };
	struct vt_rows r;
	const struct vt_row *x;

	(void)state;
	assert_int_equal(vt_model_tick(m), 0);
	rows(m, &q, &r);
	/* init's children by RSS (db 256 MiB, cache 16 MiB, ...), db's under it */
	assert_string_equal(order(&r), "1 100 101 102 200 300 400 500");
	assert_int_equal(row_of(&r, 1)->depth, 0);
	x = row_of(&r, 100);
	assert_int_equal(x->depth, 1);
	assert_false(x->last_child);
	x = row_of(&r, 101);
	assert_int_equal(x->depth, 2);
	assert_false(x->last_child);
	/* init's level (0) ends at the root; db's (1) goes on below 101 and 102 */
	assert_int_equal(x->more_below, 1u << 1);
	x = row_of(&r, 102);
	assert_true(x->last_child);
	assert_int_equal(x->more_below, 1u << 1);
	assert_true(row_of(&r, 500)->last_child);
	vt_rows_free(&r);
	/* a filter that leaves a child without its parent: the child is a root */
	q.filter = "worker";
	rows(m, &q, &r);
	assert_string_equal(order(&r), "101 102");
	assert_int_equal(r.v[1].depth, 0);
	vt_rows_free(&r);
	vt_model_free(m);
}

static void test_detail_and_pmap(void **state)
{
	const char *root[] = { FIX "pages" };
	struct vt_model_opts o = { .delay = 1, .roots = root, .nroots = 1 };
	struct vt_model *m = vt_model_new(&o);
	struct vt_detail *d;
	struct vt_pmap *pm;
	struct vt_page pg;
	uint64_t heap = 0;

	(void)state;
	assert_non_null(m);
	assert_int_equal(vt_model_tick(m), 0);
	assert_int_equal(vt_model_detail(m, &d), VT_MEM_PENDING);
	vt_model_detail_request(m, 20308);
	vt_model_pmap_request(m, 20308);
	vt_model_read_all(m);
	assert_int_equal(vt_model_detail(m, &d), 0);
	assert_int_equal(d->err, 0);
	assert_false(d->maps_only);
	assert_true(d->nmaps > 30);
	for (size_t i = 0; i < d->nmaps; i++) {
		assert_true(d->maps[i].have_smaps);
		if (d->maps[i].kind == VMS_KIND_HEAP)
			heap = d->maps[i].start;
	}
	assert_int_equal(heap, 0x34cdb000);
	assert_int_equal(d->maps[0].kind, VMS_KIND_RODATA);
	assert_int_equal(d->maps[1].kind, VMS_KIND_TEXT);
	vt_detail_free(d);

	assert_int_equal(vt_model_pmap(m, &pm), 0);
	assert_int_equal(pm->err, 0);
	assert_true(pm->nregions > 30);
	assert_int_equal(pm->regions[0].start, 0x400000);
	for (size_t i = 0; i < pm->nregions; i++) {
		const struct vt_pm_region *g = &pm->regions[i];

		/* the runs of a region cover it exactly */
		assert_true(g->nruns > 0);
		assert_int_equal(pm->runs[g->first].start, g->start);
		assert_int_equal(pm->runs[g->first + g->nruns - 1].end, g->end);
		for (size_t k = g->first + 1; k < g->first + g->nruns; k++)
			assert_int_equal(pm->runs[k].start, pm->runs[k - 1].end);
	}
	vt_pmap_free(pm);

	vt_model_page_request(m, 20308, 0x401000);
	vt_model_read_all(m);
	assert_int_equal(vt_model_page(m, &pg), 0);
	assert_int_equal(pg.err, 0);
	assert_int_equal(pg.pme.state, VMS_PAGE_PRESENT);
	assert_null(pg.hidden_why);
	assert_true(pg.nlevels >= 5);

	/* a PID the snapshot does not hold: exited, never another's data */
	vt_model_detail_request(m, 424242);
	vt_model_read_all(m);
	assert_int_equal(vt_model_detail(m, &d), 0);
	assert_int_equal(d->err, -ESRCH);
	vt_detail_free(d);
	vt_model_free(m);
}

static void test_cols(void **state)
{
	(void)state;
	assert_int_equal(vt_col_lookup("pss", 3), VT_COL_PSS);
	assert_int_equal(vt_col_lookup("pssx", 3), VT_COL_PSS);
	assert_int_equal(vt_col_lookup("command", 7), VT_COL_COMMAND);
	assert_int_equal(vt_col_lookup("bogus", 5), -1);
	for (int i = 0; i < VT_COL__N; i++)
		assert_non_null(vt_cols[i].help);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_frame), cmocka_unit_test(test_rates_and_reuse),
		cmocka_unit_test(test_rollups),	    cmocka_unit_test(test_filters),
		cmocka_unit_test(test_tree),	    cmocka_unit_test(test_detail_and_pmap),
		cmocka_unit_test(test_cols),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
