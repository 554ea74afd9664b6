/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vmswap: what its two files (the views, and the OOM ranking) share. */
#ifndef VMSCOPE_CMD_VMSWAP_H
#define VMSCOPE_CMD_VMSWAP_H

#include <signal.h>

#include "common/common.h"

/* The process columns, every view's. */
enum col {
	C_PID,
	C_PPID,
	C_USER,
	C_UID,
	C_COMM,
	C_CMDLINE,
	C_STATUS,
	C_SWAP,
	C_SWAP_PSS,
	C_SWAPPED,
	C_UNIQUE,
	C_PROPORTIONAL,
	C_RSS,
	C_SWAP_PCT,
	C_MAJFLT,
	C_MAJFLT_RATE,
	C_OOM_SCORE,
	C_OOM_SCORE_ADJ,
	C_POINTS,
	C_VM_RSS,
	C_VM_SWAP,
	C_VM_PTE,
	C_CGROUP,
	C__COUNT
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

enum mode { MODE_DEFAULT, MODE_ACTIVITY, MODE_OOM };

struct vs_ctl {
	struct cx_outopts out;
	enum mode mode;
	bool exact, all;
	const char **roots;
	size_t nroots;
	int *pids;
	size_t npids;
	double interval;
	bool interval_set;
	unsigned long count;
	bool count_set;
	unsigned long top;
	unsigned int jobs;
};

/* What to read of each process beyond its process-table entry. */
struct vs_need {
	bool info; /* user and command line (--activity: the sampler has neither) */
	bool roll; /* smaps_rollup */
	bool status; /* status: VmRSS, VmSwap, VmPTE */
	bool cgroup; /* its memory cgroup */
	bool oom; /* oom_score, oom_score_adj */
	bool rate; /* MAJFLT/s: two samples */
};

/* --exact: proportional sums in fixed point, as the kernel sums SwapPss */
#define PSS_SHIFT 12

/* --exact: a process's swap entries on one device (or swap type). */
struct xdev {
	unsigned int type;
	bool resolved; /* a /proc/swaps row holds it */
	uint64_t swapped, unique, prop_fx;
};

/* --exact: the swap entries of one process's page tables. */
struct xproc {
	uint64_t *slots; /* (type << 50 | offset) of each swap entry, sorted */
	size_t n, cap;
	int err; /* the walk could not start: 0 or -errno */
	bool cut; /* exited during its walk */
	uint64_t swapped, unique, prop_fx; /* bytes; prop_fx << PSS_SHIFT */
	struct xdev *devs;
	size_t ndevs, capdevs;
};

/* One process as read. */
struct prec {
	pid_t pid, ppid;
	uint32_t uid;
	char state;
	uint64_t start_time;
	char *user; /* NULL: the uid has no name */
	char *comm;
	char *cmdline; /* NULL: not read */
	const char *status; /* --activity: first, new, running, unbased, exited */
	bool named; /* given with -p */
	bool exited;
	bool have_majflt, have_rate, have_oom_score, have_oom_adj;
	uint64_t majflt;
	double majflt_rate;
	int oom_score, oom_adj;
	int err; /* what leaves it out of the view (0 or -errno), and the file */
	const char *errfile;
	int roll_err, status_err; /* reading smaps_rollup, status: 0 or -errno */
	bool have_swap, have_swap_pss, have_rss;
	uint64_t swap, swap_pss, rss;
	bool have_vm_rss, have_vm_swap, have_vm_pte;
	uint64_t vm_rss, vm_swap, vm_pte;
	char *cgroup; /* NULL: unknown */
	int cg_version;
	struct xproc *x; /* --exact */
};

extern struct vs_ctl ctl;
extern struct vs_need need;
extern struct vms_ctx *ctx;
extern const struct cx_column columns[C__COUNT];
/* the one-shot views: seconds over which MAJFLT/s was measured, 0 when not */
extern double vs_view_dt;
extern volatile sig_atomic_t vs_stop_requested;

static inline bool vs_exact_known(const struct prec *r)
{
	return r->x && !r->x->err && !r->x->cut;
}

/* vmswap.c */
bool vs_sleep_until(double deadline);
void vs_on_stop_signal(int sig);
const char *vs_skip_reason(int err);
const char *vs_rec_user(const struct prec *r, char *buf, size_t len);
bool vs_rec_number(const struct prec *r, int col, double *v);
struct vms_sampler *vs_new_sampler(void);
void vs_take_sample(struct vms_sampler *s, size_t k);
void vs_read_details(size_t i, void *data);
void vs_fill_row(struct cx_table *t, size_t row, const struct prec *r);
void vs_sort_records(struct prec *recs, size_t n, size_t *order, int col);
int vs_sort_column(int dflt);
void vs_size_text(uint64_t v, char *buf, size_t len);
const char *vs_file_reason(int err);
void vs_text_fixups(struct cx_table *t, bool oom_never);
void vs_right_align(struct cx_table *t, int col);
cJSON *vs_json_process(cJSON *arr, struct cx_table *t, size_t row, const struct prec *r,
		       const int *all, size_t nall);
void vs_json_skipped(cJSON *doc, const struct prec *recs, size_t n);
void vs_report_skipped(const struct prec *recs, size_t n, bool *partial);
void vs_om_family(const char *name, const char *type, const char *help);
void vs_om_process(const char *name, const struct prec *r, uint64_t v);
void vs_recs_free(struct prec *recs, size_t n);
bool vs_never_killed(const struct prec *r);

/* vmswap-view.c */
int vs_run_default(struct prec *recs, size_t n, struct cx_table *t, bool partial);
void vs_free_system(void);

/* vmswap-exact.c */
void vs_exact_check_caps(void);
bool vs_exact_run(struct prec *recs, size_t n, const struct vms_swaps *swaps);
void vs_exact_free(struct prec *recs, size_t n);
void vs_print_exact_devices(const struct prec *recs, const size_t *order, size_t shown);
void vs_json_exact_process(cJSON *o, const struct prec *r);
void vs_json_exact_note(cJSON *doc);

/* vmswap-activity.c */
int vs_run_activity(struct cx_table *t);

/* vmswap-oom.c */
int vs_run_oom(struct prec *recs, size_t n, struct cx_table *t, bool partial);

#endif
