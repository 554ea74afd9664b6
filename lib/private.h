/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvmscope: declarations shared by the library's own files, not exported. */
#ifndef VMSCOPE_PRIVATE_H
#define VMSCOPE_PRIVATE_H

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>

#include "vmscope/vmscope.h"

#define VMS_EXPORT __attribute__((visibility("default")))
#define VMS_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* The private directory a snapshot archive was unpacked into (archive.c). */
struct vms_unpacked {
	int parentfd; /* the temporary directory it was made in; -1: none */
	int fd; /* the directory itself */
	int slot; /* its entry in the registry of vms_snapshot_cleanup_signal_safe(); -1: none */
	char name[64]; /* its name in parentfd */
};

struct vms_ctx {
	atomic_int refs;
	unsigned int flags;
	bool live;
	int rootfd;
	int procfd; /* root/proc, or -1 with procfd_err set */
	int procfd_err;
	char *root;
	/* an archive root: rootfd is unpacked.fd, removed at the last unref */
	struct vms_unpacked unpacked;
	unsigned long page_size;
	vms_log_fn log_fn;
	void *log_data;
	int log_prio;
	/* snapshot description: key/value pairs */
	char **info_keys;
	char **info_vals;
	size_t n_info;
	/* etc/passwd of the root, loaded on first use */
	pthread_mutex_t pw_lock;
	bool pw_loaded;
	/* what the reader may see below smaps: VMS_CAP_*, found at open */
	unsigned int caps;
	bool have_zero_pfn;
	uint64_t zero_pfn;
	char cap_reason[6][128];
	uint32_t *pw_uids;
	char **pw_names;
	size_t n_pw;
};

void vms_log(const struct vms_ctx *ctx, int prio, const char *file, int line, const char *fn,
	     const char *fmt, ...) VMS_PRINTF(6, 7);
#define vms_err(ctx, ...) vms_log(ctx, VMS_LOG_ERR, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define vms_dbg(ctx, ...) vms_log(ctx, VMS_LOG_DEBUG, __FILE__, __LINE__, __func__, __VA_ARGS__)

/*
 * A streaming line reader over an fd: lines of any length, no whole-file
 * slurp.  The returned line is NUL-terminated, without its '\n', and valid
 * until the next call.
 */
struct vms_prefetch;

struct vms_reader {
	int fd;
	char *buf;
	size_t cap, start, end;
	bool eof;
	struct vms_prefetch *pf; /* read-ahead thread, or NULL */
};

int vms_reader_init(struct vms_reader *r, int fd, size_t initial);
/* Returns 1 and a line, 0 at EOF, or a negative errno. */
int vms_reader_line(struct vms_reader *r, char **line, size_t *len);
void vms_reader_release(struct vms_reader *r);
/*
 * Read the file ahead on a thread of its own (a few 64 KiB chunks, bounded),
 * so that the kernel's work of producing a long file overlaps the caller's
 * parsing.  The fd must not be read by anyone else afterwards.  0 or -errno;
 * on failure the reader goes on reading inline.
 */
int vms_reader_prefetch(struct vms_reader *r);

/* read() that retries EINTR; returns bytes or -errno. */
ssize_t vms_read_retry(int fd, void *buf, size_t len);

/*
 * Read a whole small file (stat, status, cmdline: bounded by @max) into a
 * malloc'd, NUL-terminated buffer.  Returns bytes read or -errno.
 */
ssize_t vms_read_small(int dirfd, const char *name, size_t max, char **out);

/* cmdline is read up to this many bytes (ps reads 128 KiB). */
#define VMS_CMDLINE_MAX (2 * 1024 * 1024)
/* Turn a NUL-separated cmdline of @n bytes into one space-separated string. */
void vms_cmdline_join(char *buf, size_t n);

/* Counters internals. */
struct vms_counters *vms_counters_new(void);
void vms_counters_reset(struct vms_counters *c);
/* Parse one "Key: value [kB]" / "key value" line; 0, -EBADMSG, -ENOMEM. */
int vms_counters_add_line(struct vms_counters *c, const char *line, size_t len);

/* Map an errno from opening a per-process file to what the API promises. */
int vms_proc_errno(const struct vms_ctx *ctx, int err);

/* Parse an unsigned decimal/hex u64 from [*p, end); advance *p. 0 or -EBADMSG/-ERANGE. */
int vms_parse_u64(const char **p, const char *end, int base, uint64_t *out);

/* A malloc'd user name for @uid from the root's etc/passwd, or NULL. */
/* The user name of @uid in a malloc'd *@name (NULL: no name); 0 or -ENOMEM. */
int vms_passwd_name(struct vms_ctx *ctx, uint32_t uid, char **name);
void vms_passwd_free(struct vms_ctx *ctx);

/* The state of the thread whose files are read for memory. */
int vms_proc_memory_state(struct vms_proc *p);

/* The held proc/PID directory fd, and the context of a process handle. */
int vms_proc_dirfd(const struct vms_proc *p);
struct vms_ctx *vms_proc_ctx(const struct vms_proc *p);

/* Probe the VMS_CAP_* bits (live) or read them from the snapshot. */
void vms_ctx_probe_caps(struct vms_ctx *ctx);

/* The sparse u64 file of snapshots (pagemap, kpage*): see sparse.c. */
struct vms_sparse;
/* Takes @fd.  0, -EPROTO (not a valid sparse file), -ENOMEM, -errno. */
int vms_sparse_open(int fd, struct vms_sparse **out);
/* Values of @n indexes from @index.  Unrecorded indexes read as 0 when
 * @gaps_are_zero, else the read stops there.  Returns the count or -errno. */
ssize_t vms_sparse_read(struct vms_sparse *s, uint64_t index, size_t n, uint64_t *out,
			bool gaps_are_zero);
void vms_sparse_close(struct vms_sparse *s);

/* ---- ctx.c: reasons for vms_ctx_open() ---- */

/* Unless @why is NULL or already set, set *@why to a malloc'd phrase. */
void vms_why_set(char **why, const char *fmt, ...) VMS_PRINTF(2, 3);
/*
 * The same, returning @err: a macro, so that the static analyser, which does not follow
 * variadic calls, sees that a failure return stays one.
 */
#define vms_why(why, err, ...)                   \
	({                                       \
		int vms_why_err_ = (err);        \
		vms_why_set((why), __VA_ARGS__); \
		vms_why_err_;                    \
	})
/* @s for a message: control bytes as \xNN, cut with "..." to fit @size (>= 8) bytes. */
const char *vms_escape(char *buf, size_t size, const char *s);

/* ---- archive.c: snapshot archives ---- */

/* What an archive may hold once unpacked; above, the unpacking fails with -EFBIG. */
struct vms_unpack_limits {
	uint64_t total; /* bytes of all files */
	uint64_t file; /* bytes of one file */
	uint64_t entries; /* archive entries */
	size_t path; /* bytes of an entry's path */
};
/* 4 GiB, 2 GiB, 1,000,000 entries, 4096 bytes */
extern const struct vms_unpack_limits vms_unpack_defaults;

/*
 * Unpack the tar archive (plain, gzip, xz or zstd) in the regular file @fd (not
 * taken) into a new directory under $TMPDIR (else /tmp), mode 0700.  Returns 0
 * and fills @out, or a negative errno with *@why set and nothing left behind:
 * -ENOTDIR (not a tar archive), -EPROTO (truncated, corrupt, or an entry that
 * may not be in a snapshot), -EFBIG (over @lim), -ENOSPC and other errors of
 * the file system, -ENOMEM.
 */
int vms_archive_unpack(int fd, const struct vms_unpack_limits *lim, struct vms_unpacked *out,
		       char **why);
/* Remove the directory and all in it, without following symlinks; closes its fds. */
void vms_unpacked_remove(struct vms_unpacked *u);
/* Unpack directories vms_snapshot_cleanup_signal_safe() can know of at once (more: not covered). */
#define VMS_UNPACKED_MAX 64
/* Directory levels below an unpack directory it descends (deeper ones are left). */
#define VMS_CLEANUP_DEPTH 16

/* The PAGEMAP_SCAN uapi (linux/fs.h, 6.7): Debian 12's headers lack it. */
struct vms_page_region {
	uint64_t start, end, categories;
};
struct vms_pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define VMS_PAGEMAP_SCAN _IOWR('f', 16, struct vms_pm_scan_arg)
#define VMS_PAGE_IS_FILE (1u << 2)
#define VMS_PAGE_IS_PRESENT (1u << 3)
#define VMS_PAGE_IS_SWAPPED (1u << 4)
#define VMS_PAGE_IS_PFNZERO (1u << 5)
#define VMS_PAGE_IS_HUGE (1u << 6)
#define VMS_PAGE_IS_SOFT_DIRTY (1u << 7)
#define VMS_PAGE_IS_GUARD (1u << 8)

struct vms_maps *vms_maps_new_for_proc(struct vms_proc *p, int fd, unsigned int flags);

/* ---- perf.c: the ring-buffer parser and the counter open, for the unit tests ---- */

/* One event of a fault recorder, as PERF_EVENT_IOC_ID names it in the records. */
struct vms_perf_id {
	uint64_t id;
	uint32_t owner; /* index of the thread the event was opened on */
	bool major; /* PERF_COUNT_SW_PAGE_FAULTS_MAJ, else _MIN */
};
/* A recorder with no events that knows these ids: to parse rings made by hand. */
int vms_faultrec_new_ids(const struct vms_perf_id *ids, size_t n, struct vms_faultrec **out);
/*
 * Parse the records in [*@tail, @head) of the ring data area @data of @size
 * bytes (a power of two), as vms_faultrec_drain() does, and move *@tail past
 * them.  Returns the records read, -EBADMSG (and *@tail = @head) on a record
 * that does not fit, -ENOMEM, -EINVAL.
 */
int vms_perf_ring_read(struct vms_faultrec *r, const unsigned char *data, uint64_t size,
		       uint64_t *tail, uint64_t head,
		       void (*on_sample)(void *data, const struct vms_fault_sample *s),
		       void (*on_mmap)(void *data, const struct vms_fault_mmap *m), void *cbdata);
/* vms_tlb_open() with other events (perf type and configs): lets tests use software ones. */
int vms_tlb_open_events(struct vms_ctx *ctx, pid_t pid, unsigned int flags, uint32_t type,
			uint64_t config_loads, uint64_t config_misses, struct vms_tlbcount **out);

#endif
