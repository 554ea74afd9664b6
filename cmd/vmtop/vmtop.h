/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vmtop: the interfaces between its model, its screens, its canvas and its terminal. */
#ifndef VMSCOPE_VMTOP_H
#define VMSCOPE_VMTOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <vmscope/vmscope.h>

/* ====================================================================== */
/* The model: samples /proc (or a snapshot series); knows nothing of curses */

enum vt_col {
	VT_COL_PID,
	VT_COL_PPID,
	VT_COL_USER,
	VT_COL_STATE,
	VT_COL_VSZ,
	VT_COL_RSS,
	VT_COL_PSS,
	VT_COL_USS,
	VT_COL_SWAP,
	VT_COL_MINFLT, /* rate */
	VT_COL_MAJFLT, /* rate */
	VT_COL_MINFLT_TOTAL,
	VT_COL_MAJFLT_TOTAL,
	VT_COL_COMMAND,
	VT_COL__N
};

struct vt_col_info {
	const char *name; /* -o and --sort name */
	const char *header;
	int width; /* columns of the field in the list (COMMAND: the rest) */
	bool numeric; /* right-aligned; sorted largest first */
	bool rollup; /* needs smaps_rollup (PSS, USS, SWAP) */
	const char *help;
};
extern const struct vt_col_info vt_cols[VT_COL__N];
/* The column called @name (@len bytes), or -1. */
int vt_col_lookup(const char *name, size_t len);

/* The memory figures of a row that come from smaps_rollup. */
enum {
	VT_MEM_OK = 0,
	VT_MEM_PENDING = 1, /* not read yet */
	/* otherwise a negative errno: -EACCES, -EPERM (denied), -ESRCH (gone), ... */
};

/* One process of the list, copied out of the model (stable while the caller holds it). */
struct vt_row {
	pid_t pid, ppid;
	uint32_t uid;
	char state;
	bool kthread;
	const char *user; /* never NULL: a name, or the uid in decimal */
	const char *comm; /* raw bytes from stat (sanitise before display) */
	const char *cmdline; /* raw, NULs as spaces; "" when empty (kernel thread, zombie) */
	uint64_t start_time; /* clock ticks since boot */
	uint64_t vsz, rss; /* bytes, every tick */
	uint64_t minflt, majflt; /* since start */
	bool have_rate; /* false on the first frame and for a process seen once */
	double minflt_rate, majflt_rate; /* per second */
	bool hot; /* the fault rate jumped at this tick (see model.c) */
	int mem; /* VT_MEM_* or -errno */
	uint64_t pss, uss, swap, swap_pss; /* when mem == VT_MEM_OK */
	double mem_age; /* seconds since those were read (model clock) */
	/* tree view: depth (0 = root), and which ancestors' levels go on below */
	int depth;
	bool last_child; /* no later sibling */
	uint64_t more_below; /* bit d: the ancestor at depth d has a later sibling */
};

struct vt_rows {
	struct vt_row *v;
	size_t n;
	void *mem; /* string storage */
};
void vt_rows_free(struct vt_rows *r);

/* What the list shows: filtered, sorted, as a tree or flat. */
struct vt_query {
	enum vt_col sort;
	bool reverse;
	bool tree; /* children under their parent, siblings sorted by @sort */
	const char *filter; /* case-insensitive substring of command or comm; NULL/"": none */
	bool have_uid;
	uint32_t uid;
	/* only this user, by name as the root knows it (a snapshot: its etc/passwd) */
	const char *user;
	const pid_t *pids; /* only these (-p), when npids > 0 */
	size_t npids;
	bool kthreads; /* list kernel threads too (hidden by default, as htop does; -p shows them) */
};

enum vt_rate { VT_RATE_FAULT, VT_RATE_MAJFAULT, VT_RATE_SWPIN, VT_RATE_SWPOUT, VT_RATE__N };
#define VT_HIST 240 /* samples kept for sparklines: 4 minutes at 1 s */

/* The whole-system figures of the last frame, and the history for sparklines. */
struct vt_sys {
	unsigned long frame; /* number of the frame, from 1; 0: none yet */
	char clock[16]; /* "HH:MM:SS" of the frame */
	const char *snapshot; /* the snapshot phrase when replaying, else NULL (model-owned) */
	double delay; /* seconds between frames (live), or the series' interval */
	size_t nprocs, nskipped; /* processes listed; not readable this frame */
	bool have_mem; /* meminfo read */
	uint64_t mem_total, mem_free, mem_available, mem_buffers, mem_cache, mem_used;
	uint64_t swap_total, swap_free, swap_cached;
	bool have_zswap; /* meminfo Zswap/Zswapped present and non-zero */
	uint64_t zswap, zswapped; /* compressed size, original size */
	bool have_zram; /* some zram device is swap */
	uint64_t zram_orig, zram_compr, zram_used;
	bool have_rates; /* from the second frame on */
	double rate[VT_RATE__N];
	size_t nhist; /* entries of hist (oldest first, newest at nhist-1) */
	double hist[VT_RATE__N][VT_HIST];
	/* the rollup reader: rows with figures fresher than two delays, of the wanted */
	size_t mem_fresh, mem_wanted;
	double mem_cpu; /* CPU seconds the rollup reads took in the last frame */
};

struct vt_model;

struct vt_model_opts {
	double delay; /* seconds, live */
	double budget; /* fraction of the delay the rollup reads may use (0.10) */
	const char *const *roots; /* replay: these snapshots, one per frame */
	size_t nroots;
	const pid_t *pids; /* -p: only these are sampled (none: every process) */
	size_t npids;
};

/* Returns NULL after saying why (on stderr; before the terminal is set up). */
struct vt_model *vt_model_new(const struct vt_model_opts *o);
void vt_model_free(struct vt_model *m);

/* Take the next frame now, in the caller's thread.  Returns 0, 1 at the end of
 * a replayed series (nothing changed), or -errno (the message said). */
int vt_model_tick(struct vt_model *m);
/* Do every pending read now, in the caller's thread: the wanted rollups (all
 * of them: no budget), the asked detail, page map and page (batch, tests). */
void vt_model_read_all(struct vt_model *m);

/* Live: a thread takes a frame every delay, another reads the rollups. */
int vt_model_start(struct vt_model *m);
void vt_model_stop(struct vt_model *m);
/* Pause/resume the frames (the rollup reader goes on for the rows on screen). */
void vt_model_pause(struct vt_model *m, bool paused);
/* Changes whenever there is something new to draw (frame, rollups, detail). */
unsigned long vt_model_generation(struct vt_model *m);
/* An fd that becomes readable when the generation changes (for poll()); read() drains it. */
int vt_model_wakeup_fd(struct vt_model *m);
/* The frames ended (a replayed series is over, or -n frames were taken). */
bool vt_model_done(struct vt_model *m);
/* Stop after @n frames (0: never). */
void vt_model_set_limit(struct vt_model *m, unsigned long n);
/* The first frame could not read some -p processes: how many (exit status 3). */
size_t vt_model_missing(struct vt_model *m);
/* The @i-th of them and why (-ESRCH, -EACCES ...): 0, or -ERANGE. */
int vt_model_missing_at(struct vt_model *m, size_t i, pid_t *pid, int *err);

/* The rows of the last frame, as @q asks. 0 or -ENOMEM. */
int vt_model_rows(struct vt_model *m, const struct vt_query *q, struct vt_rows *out);
void vt_model_sys(struct vt_model *m, struct vt_sys *out);
/* The processes whose rollups the screen needs now (the rows on screen; with
 * @all_sorted, every listed row, because the sort column is a rollup figure). */
void vt_model_want(struct vt_model *m, const pid_t *pids, size_t n, bool all_sorted);

/* ---- one process in detail: its mappings, rates, swap ---- */

struct vt_map {
	uint64_t start, end;
	char perms[5];
	enum vms_kind kind;
	const char *name; /* raw */
	bool have_smaps;
	uint64_t rss, pss, uss, swap, anon_huge;
};

struct vt_detail {
	pid_t pid;
	uint64_t start_time;
	int err; /* 0; -ESRCH: exited (or the PID is now another process); -EACCES ... */
	bool maps_only; /* smaps denied or unreadable: sizes only */
	const char *user, *comm, *cmdline;
	bool have_rollup;
	uint64_t rss, pss, uss, swap, swap_pss;
	double minflt_rate, majflt_rate;
	bool have_rate;
	size_t nhist; /* the process's own rate history (oldest first) */
	double minflt_hist[VT_HIST], majflt_hist[VT_HIST];
	struct vt_map *maps;
	size_t nmaps;
	double age; /* seconds since the mappings were read */
	void *mem;
};
/* Ask for the detail of @pid (0: none; stops the reading).  The worker reads it
 * and again every few frames while it is asked for. */
void vt_model_detail_request(struct vt_model *m, pid_t pid);
/* A copy of the latest detail of the asked process: 0, VT_MEM_PENDING when not
 * read yet, -ENOMEM.  Free with vt_detail_free(). */
int vt_model_detail(struct vt_model *m, struct vt_detail **out);
void vt_detail_free(struct vt_detail *d);

/* ---- its page map ---- */

struct vt_pm_run {
	uint64_t start, end;
	unsigned int flags; /* VMS_RUN_* ; none of PRESENT/SWAPPED/GUARD/UNKNOWN: never touched */
};
struct vt_pm_region {
	uint64_t start, end;
	enum vms_kind kind;
	const char *name; /* raw */
	char perms[5];
	size_t first, nruns; /* its runs: runs[first .. first+nruns) */
};
struct vt_pmap {
	pid_t pid;
	int err; /* 0, -ESRCH (exited), -EACCES ... */
	bool partial; /* the process exited during the walk: the rest is UNKNOWN */
	unsigned int known; /* VMS_RUN_* flags the walk can tell (vms_pagewalk_known) */
	struct vt_pm_region *regions;
	size_t nregions;
	struct vt_pm_run *runs;
	size_t nruns;
	unsigned long page_size;
	void *mem;
};
void vt_model_pmap_request(struct vt_model *m, pid_t pid);
int vt_model_pmap(struct vt_model *m, struct vt_pmap **out);
void vt_pmap_free(struct vt_pmap *p);

/* The cursor page: what vmwalk says of one address. */
struct vt_page {
	pid_t pid;
	uint64_t addr;
	int err; /* 0, or why the entry could not be read */
	struct vms_pme pme;
	unsigned int nlevels;
	struct vms_pt_level levels[5];
	bool have_kpf; /* kpageflags read (root, present, PFN visible) */
	uint64_t kpf;
	bool have_count;
	uint64_t count; /* kpagecount: mappings of the frame */
	char swapdev[64]; /* the swap device of a swapped page, or "" */
	const char *hidden_why; /* non-NULL: PFNs hidden, and why ("needs CAP_SYS_ADMIN") */
};
void vt_model_page_request(struct vt_model *m, pid_t pid, uint64_t addr);
/* 0 with *out filled for the last asked page, VT_MEM_PENDING while reading. */
int vt_model_page(struct vt_model *m, struct vt_page *out);

/* ====================================================================== */
/* The canvas: a grid of cells the screens draw on; no curses              */

enum vt_attr {
	VT_A_NORMAL,
	VT_A_TITLE, /* the first header line */
	VT_A_LABEL, /* "Mem", "Swap", "faults/s" */
	VT_A_COLHEAD, /* the column header line */
	VT_A_SORTCOL, /* the sort column in the column header */
	VT_A_SELECTED, /* the selection bar */
	VT_A_HOT, /* a row whose fault rate jumped */
	VT_A_DIM, /* a stale figure, a kernel thread */
	VT_A_ERROR, /* "?" denied, "exited" */
	VT_A_STATUS, /* the bottom status line */
	VT_A_BAR_USED,
	VT_A_BAR_CACHE,
	VT_A_BAR_SWAP,
	VT_A_BAR_COMPR,
	VT_A_SPARK,
	VT_A_PM_PRESENT,
	VT_A_PM_FILE,
	VT_A_PM_THP,
	VT_A_PM_SWAPPED,
	VT_A_PM_GUARD,
	VT_A_PM_NONE,
	VT_A_PM_ZERO,
	VT_A_PM_UNKNOWN,
	VT_A_PM_CURSOR,
	VT_A__N
};

struct vt_cell {
	uint32_t cp; /* a printable code point (0: the right half of a wide one) */
	uint8_t attr; /* enum vt_attr */
};

struct vt_line {
	struct vt_cell *cells;
	int len, cap; /* cells used (trailing blanks trimmed by printing) */
};

struct vt_canvas {
	int w; /* columns; 0: unbounded (batch) */
	int h; /* rows; 0: unbounded (batch) */
	bool utf8; /* non-ASCII may be drawn (else '?' for it) */
	struct vt_line *lines;
	int nlines, cap;
};

void vt_canvas_init(struct vt_canvas *c, int w, int h, bool utf8);
/* Empty every line, keep the memory; new size. */
void vt_canvas_reset(struct vt_canvas *c, int w, int h);
void vt_canvas_free(struct vt_canvas *c);
/* Draw UTF-8 text at (@y, @x), clipped at the width; any control or invalid
 * byte is drawn as '?' (the caller sanitises data from /proc first with
 * vt_canvas_put_proc, which escapes it visibly).  Returns the columns used. */
int vt_canvas_put(struct vt_canvas *c, int y, int x, int attr, const char *s);
/* The same for bytes from /proc: escaped with cx_sanitize() first. */
int vt_canvas_put_proc(struct vt_canvas *c, int y, int x, int attr, const char *s);
/* Printf at (@y, @x) as vt_canvas_put() draws (the text must not hold /proc data). */
int vt_canvas_printf(struct vt_canvas *c, int y, int x, int attr, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* @n cells of @cp from (@y, @x). */
void vt_canvas_fill(struct vt_canvas *c, int y, int x, int n, int attr, uint32_t cp);
/* Set the attribute of @n cells (existing cells; blanks added up to @n). */
void vt_canvas_attr(struct vt_canvas *c, int y, int x, int n, int attr);
/* Plain text, each line right-trimmed, no escape codes.  0 or -errno. */
int vt_canvas_print(const struct vt_canvas *c, FILE *f);

/* Display width of UTF-8 text as the canvas would draw it. */
int vt_text_width(const char *s, bool utf8);

/* ====================================================================== */
/* The screens and their keys (ui.c): draw the model on a canvas           */

/* Keys beyond Unicode, as the terminal back-end hands them over. */
enum {
	VT_KEY_NONE = -1,
	VT_KEY_UP = 0x110000,
	VT_KEY_DOWN,
	VT_KEY_LEFT,
	VT_KEY_RIGHT,
	VT_KEY_PGUP,
	VT_KEY_PGDN,
	VT_KEY_HOME,
	VT_KEY_END,
	VT_KEY_ENTER,
	VT_KEY_ESC,
	VT_KEY_BACKSPACE,
	VT_KEY_DELETE,
	VT_KEY_F1, /* F1..F12 consecutive */
	VT_KEY_F10 = VT_KEY_F1 + 9,
	VT_KEY_F12 = VT_KEY_F1 + 11,
	VT_KEY_RESIZE,
	VT_KEY_REDRAW, /* Ctrl-L */
};

struct vt_ui_opts {
	struct vt_query query; /* initial sort, filter, tree, pids */
	bool cols[VT_COL__N]; /* the columns shown */
	bool batch; /* no selection bar, no status line, all rows */
	bool utf8;
};

enum { VT_UI_OK = 0, VT_UI_QUIT = 1 };

struct vt_ui;
struct vt_ui *vt_ui_new(struct vt_model *m, const struct vt_ui_opts *o);
void vt_ui_free(struct vt_ui *ui);
/* Handle a key: VT_UI_QUIT to quit. */
int vt_ui_key(struct vt_ui *ui, int key);
/* Draw the current screen on @c (sized by the caller); tells the model which
 * rows are on screen (vt_model_want) and which detail/page map it needs. */
void vt_ui_render(struct vt_ui *ui, struct vt_canvas *c);

#endif
