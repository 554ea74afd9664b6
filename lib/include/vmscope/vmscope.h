/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvmscope: the public API for reading process virtual memory from /proc. */
#ifndef VMSCOPE_VMSCOPE_H
#define VMSCOPE_VMSCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Conventions (all functions, since 0.1):
 *  - Functions returning int return 0 (or a documented positive value) on
 *    success and a negative errno on failure.  -ESRCH means the process is
 *    gone; -EACCES and -EPERM mean access was denied and are kept apart
 *    (EPERM is what a hidepid=1 procfs answers).  -ENOENT means a file or
 *    key is absent.  -ENOMEM means an allocation failed.
 *  - The library never prints and never exits; diagnostics go to the log
 *    callback of the context.
 *  - Objects are not shared between threads, except a struct vms_ctx, which
 *    may be used by several threads at once once set up (its reference count
 *    is atomic and the log callback must then be thread-safe).  Different
 *    struct vms_proc handles may be read in parallel.
 *  - Sizes from kernel files that are printed in kB are returned in bytes.
 */

/* ---------------------------------------------------------------------- */
/* Context                                                                 */

struct vms_ctx;

/* Flags for vms_ctx_new(). */
enum {
	/* Build the process table from the root's own stat/status/cmdline
	 * files even when the root is the live "/", instead of libproc2. */
	VMS_CTX_NO_LIBPROC2 = 1u << 0,
};

/**
 * vms_ctx_new() - open a context on a root directory.
 * @root: NULL for the live system ("/"), or a snapshot or fixture directory
 *        laid out as described in libvmscope(3) (root/proc/..., and a
 *        "vmscope-snapshot" description file), or a snapshot archive (see
 *        vms_ctx_open(), which also says why a root was refused).
 * @flags: VMS_CTX_* flags.
 * @out: receives the new context, with one reference.
 *
 * Returns 0, -ENOENT/-ENOTDIR/-EACCES when the root cannot be opened, -EINVAL
 * for unknown flags, -EPROTO when a snapshot's description file is corrupt
 * or of an unsupported format version, -ENOMEM.  Since 0.1.
 */
int vms_ctx_new(const char *root, unsigned int flags, struct vms_ctx **out);

/** vms_ctx_ref() - take a reference; returns @ctx.  Since 0.1. */
struct vms_ctx *vms_ctx_ref(struct vms_ctx *ctx);

/** vms_ctx_unref() - drop a reference; frees on the last.  Returns NULL. Since 0.1. */
struct vms_ctx *vms_ctx_unref(struct vms_ctx *ctx);

/* Log priorities, as syslog(3). */
enum { VMS_LOG_ERR = 3, VMS_LOG_WARNING = 4, VMS_LOG_INFO = 6, VMS_LOG_DEBUG = 7 };

typedef void (*vms_log_fn)(void *data, int priority, const char *file, int line, const char *fn,
			   const char *msg);

/**
 * vms_ctx_set_log_fn() - route diagnostics to @fn (NULL: drop them).
 * Only messages at or below the priority set with vms_ctx_set_log_priority()
 * (default VMS_LOG_ERR) are passed on.  Since 0.1.
 */
void vms_ctx_set_log_fn(struct vms_ctx *ctx, vms_log_fn fn, void *data);
void vms_ctx_set_log_priority(struct vms_ctx *ctx, int priority);

/** vms_ctx_is_live() - true when the context reads the running system. Since 0.1. */
bool vms_ctx_is_live(const struct vms_ctx *ctx);

/** vms_ctx_root() - the root path the context was opened on ("/" when live). Since 0.1. */
const char *vms_ctx_root(const struct vms_ctx *ctx);

/**
 * vms_ctx_page_size() - the page size of the system read: sysconf() when
 * live, the snapshot's recorded page size otherwise.  Since 0.1.
 */
unsigned long vms_ctx_page_size(const struct vms_ctx *ctx);

/**
 * vms_ctx_snapshot_info() - a value from a snapshot's description file
 * ("format", "kernel", "page_size", "time", "privileged", ...), or NULL when
 * absent or when the context is live.  Since 0.1.
 */
const char *vms_ctx_snapshot_info(const struct vms_ctx *ctx, const char *key);

/**
 * vms_ctx_openat() - open a file relative to the root, e.g. "proc/meminfo",
 * read-only with O_CLOEXEC.  Returns an fd or a negative errno.  Since 0.1.
 */
int vms_ctx_openat(const struct vms_ctx *ctx, const char *relpath, int flags);

/* ---------------------------------------------------------------------- */
/* Counters: "Key: value [kB]" sets (smaps, smaps_rollup, meminfo, vmstat) */

struct vms_counters;

/*
 * Well-known smaps keys.  The numbers are part of the ABI: new keys are only
 * ever appended, never sorted in.  A key the kernel did not print is absent.
 */
enum vms_key {
	VMS_KEY_SIZE = 0, /* Size */
	VMS_KEY_KERNEL_PAGE_SIZE, /* KernelPageSize */
	VMS_KEY_MMU_PAGE_SIZE, /* MMUPageSize */
	VMS_KEY_RSS, /* Rss */
	VMS_KEY_PSS, /* Pss */
	VMS_KEY_PSS_DIRTY, /* Pss_Dirty (6.0) */
	VMS_KEY_PSS_ANON, /* Pss_Anon (rollup only) */
	VMS_KEY_PSS_FILE, /* Pss_File (rollup only) */
	VMS_KEY_PSS_SHMEM, /* Pss_Shmem (rollup only) */
	VMS_KEY_SHARED_CLEAN, /* Shared_Clean */
	VMS_KEY_SHARED_DIRTY, /* Shared_Dirty */
	VMS_KEY_PRIVATE_CLEAN, /* Private_Clean */
	VMS_KEY_PRIVATE_DIRTY, /* Private_Dirty */
	VMS_KEY_REFERENCED, /* Referenced */
	VMS_KEY_ANONYMOUS, /* Anonymous */
	VMS_KEY_KSM, /* KSM (6.8) */
	VMS_KEY_LAZY_FREE, /* LazyFree */
	VMS_KEY_ANON_HUGE_PAGES, /* AnonHugePages */
	VMS_KEY_SHMEM_PMD_MAPPED, /* ShmemPmdMapped */
	VMS_KEY_FILE_PMD_MAPPED, /* FilePmdMapped */
	VMS_KEY_SHARED_HUGETLB, /* Shared_Hugetlb */
	VMS_KEY_PRIVATE_HUGETLB, /* Private_Hugetlb */
	VMS_KEY_SWAP, /* Swap */
	VMS_KEY_SWAP_PSS, /* SwapPss */
	VMS_KEY_LOCKED, /* Locked */
	VMS_KEY_THP_ELIGIBLE, /* THPeligible (no unit) */
	VMS_KEY_PROTECTION_KEY, /* ProtectionKey (no unit) */
	VMS_KEY__COUNT
};

/** vms_key_name() - the kernel's name of @key ("Pss_Dirty"), NULL if unknown. Since 0.1. */
const char *vms_key_name(enum vms_key key);

/**
 * vms_key_lookup() - the well-known key with kernel name @name, or -ENOENT.
 * Since 0.1.
 */
int vms_key_lookup(const char *name);

/**
 * vms_counters_get() - the value of a well-known key.
 * Values printed with a "kB" unit are returned in bytes; others as printed.
 * Returns 0, -ENOENT when the kernel did not print the key, -EOVERFLOW when
 * the value does not fit 64 bits once converted to bytes.  Since 0.1.
 */
int vms_counters_get(const struct vms_counters *c, enum vms_key key, uint64_t *value);

/**
 * vms_counters_find() - the value of any key by its kernel name
 * ("MemTotal", "pgfault", "Pss_Dirty", or a key this library does not know).
 * Same returns as vms_counters_get().  Since 0.1.
 */
int vms_counters_find(const struct vms_counters *c, const char *name, uint64_t *value);

/** vms_counters_count() - how many keys were read, in file order. Since 0.1. */
size_t vms_counters_count(const struct vms_counters *c);

/**
 * vms_counters_at() - the @i-th key as read: its kernel name, the value as
 * printed (not scaled) and whether it carried a "kB" unit.  Returns 0 or
 * -ERANGE.  Since 0.1.
 */
int vms_counters_at(const struct vms_counters *c, size_t i, const char **name, uint64_t *raw_value,
		    bool *in_kb);

/** vms_counters_free() - free counters returned by the library. Since 0.1. */
void vms_counters_free(struct vms_counters *c);

/**
 * vms_counters_parse_fd() - parse a "Key: value [kB]" or "key value" file
 * (meminfo, vmstat, smaps_rollup, status) from @fd, streaming.
 * Lines that are not of that form are skipped and counted (see
 * vms_counters_bad_lines()).  Returns 0, a negative errno from read(), or
 * -ENOMEM.  Since 0.1.
 */
int vms_counters_parse_fd(int fd, struct vms_counters **out);

/** vms_counters_bad_lines() - lines the parser could not read. Since 0.1. */
size_t vms_counters_bad_lines(const struct vms_counters *c);

/* ---------------------------------------------------------------------- */
/* System tables                                                           */

/**
 * vms_meminfo_read(), vms_vmstat_read() - /proc/meminfo and /proc/vmstat of
 * the context's root, by kernel key name (use vms_counters_find()).
 * Returns 0, -ENOENT when the file is missing (a subset=pid procfs), -EACCES,
 * -ENOMEM.  Since 0.1.
 */
int vms_meminfo_read(struct vms_ctx *ctx, struct vms_counters **out);
int vms_vmstat_read(struct vms_ctx *ctx, struct vms_counters **out);

/* One row of /proc/swaps. */
struct vms_swap {
	const char *filename; /* unescaped (\040 -> ' '), exact bytes */
	const char *type; /* "partition", "file", or what the kernel printed */
	uint64_t size; /* bytes */
	uint64_t used; /* bytes */
	int priority;
};

struct vms_swaps;

/**
 * vms_swaps_read() - /proc/swaps of the context's root.  Returns 0, -ENOENT,
 * -EACCES, -EBADMSG for a row that cannot be parsed, -ENOMEM.  Since 0.1.
 */
int vms_swaps_read(struct vms_ctx *ctx, struct vms_swaps **out);
int vms_swaps_parse_fd(int fd, struct vms_swaps **out);
size_t vms_swaps_count(const struct vms_swaps *s);
const struct vms_swap *vms_swaps_get(const struct vms_swaps *s, size_t i);
void vms_swaps_free(struct vms_swaps *s);

/* ---------------------------------------------------------------------- */
/* Process table                                                           */

/* What vms_ptable_read() should fill beyond pid/ppid/uid/state/comm/flags. */
enum {
	VMS_PT_USER = 1u << 0, /* user name of uid */
	VMS_PT_CMDLINE = 1u << 1, /* cmdline */
	VMS_PT_FAULTS = 1u << 2, /* minflt, majflt */
	VMS_PT_OOM = 1u << 3, /* oom_score, oom_score_adj */
	VMS_PT_CGROUP = 1u << 4, /* cgroup (v2 path, or the v1 lines) */
	VMS_PT_VSZ = 1u << 5, /* vsz from stat */
	VMS_PT_THREADS = 1u << 6, /* num_threads */
};

/* Bits of struct vms_proc_info.have: which optional fields were read. */
enum {
	VMS_HAVE_USER = 1u << 0,
	VMS_HAVE_CMDLINE = 1u << 1,
	VMS_HAVE_FAULTS = 1u << 2,
	VMS_HAVE_OOM_SCORE = 1u << 3,
	VMS_HAVE_OOM_ADJ = 1u << 4,
	VMS_HAVE_CGROUP = 1u << 5,
	VMS_HAVE_VSZ = 1u << 6,
	VMS_HAVE_THREADS = 1u << 7,
};

struct vms_proc_info {
	pid_t pid;
	pid_t ppid;
	uint32_t uid; /* effective uid (owner of /proc/PID) */
	char state; /* stat field 3: R S D Z T t X I ... */
	bool kthread; /* kernel thread (PF_KTHREAD or "Kthread: 1") */
	unsigned int have; /* VMS_HAVE_* */
	const char *comm; /* raw bytes from stat, never NULL */
	const char *user; /* VMS_HAVE_USER; NULL when the uid has no name */
	const char *cmdline; /* VMS_HAVE_CMDLINE; NULs turned into spaces */
	const char *cgroup; /* VMS_HAVE_CGROUP */
	uint64_t start_time; /* stat field 22, clock ticks since boot */
	uint64_t vsz; /* bytes */
	uint64_t minflt, majflt;
	int oom_score, oom_score_adj;
	int threads;
	/* VMS_HAVE_FAULTS too: faults of the children the process has waited
	 * for, and its resident pages as stat counts them (field 24, pages) */
	uint64_t cminflt, cmajflt;
	uint64_t rss_pages;
};

struct vms_ptable;

/**
 * vms_ptable_read() - list the processes (thread-group leaders) of the root.
 * Live: through libproc2, asking only for the items @what needs.  Snapshot:
 * from each proc/PID/{stat,status,cmdline}.  Processes that vanish while the
 * table is built are left out.  Returns 0, -ENOENT when proc is missing,
 * -ENOMEM, -EIO when libproc2 fails.  Since 0.1.
 */
int vms_ptable_read(struct vms_ctx *ctx, unsigned int what, struct vms_ptable **out);
size_t vms_ptable_count(const struct vms_ptable *t);
const struct vms_proc_info *vms_ptable_get(const struct vms_ptable *t, size_t i);
void vms_ptable_free(struct vms_ptable *t);

/**
 * vms_pids_read() - the PIDs (thread-group leaders) under the root's proc/,
 * ascending, in a malloc'd array the caller frees.  Cheap: one readdir, no
 * file opened; for reading memory while the process table is being built.
 * Returns 0, -ENOENT, -ENOMEM.  Since 0.1.
 */
int vms_pids_read(struct vms_ctx *ctx, pid_t **pids, size_t *n);

/**
 * vms_proc_info_read() - read one process's table entry from its files
 * (never libproc2), filling what @what asks for into @info, whose strings
 * live as long as @p.  Returns 0, -ESRCH, -EACCES, -EPERM, -EBADMSG for a
 * stat file that cannot be parsed.  Since 0.1.
 */
struct vms_proc;
int vms_proc_info_read(struct vms_proc *p, unsigned int what, struct vms_proc_info *info);

/**
 * vms_stat_parse() - parse the text of a /proc/PID/stat file (split at the
 * last ')', so that any comm works).  Fills pid, comm (pointing into @buf,
 * which is modified), state, ppid, flags-derived kthread, minflt, majflt,
 * threads, start_time, vsz.  Fields past the end of an older kernel's stat
 * are left 0 and their VMS_HAVE_* bits clear.  Returns 0 or -EBADMSG.
 * Since 0.1.
 */
int vms_stat_parse(char *buf, size_t len, struct vms_proc_info *info);

/* ---------------------------------------------------------------------- */
/* One process                                                             */

/**
 * vms_proc_open() - open process @pid: hold its proc/PID directory fd so
 * that every later read is of this process or fails with -ESRCH.
 * A zombie leader whose other threads still run is read through
 * proc/PID/task/TID of a live thread.  Returns 0, -ESRCH when there is no
 * such process, -EACCES/-EPERM when denied, -EINVAL for pid <= 0, -ENOMEM.
 * Since 0.1.
 */
int vms_proc_open(struct vms_ctx *ctx, pid_t pid, struct vms_proc **out);
void vms_proc_close(struct vms_proc *p);
pid_t vms_proc_pid(const struct vms_proc *p);

/**
 * vms_proc_memory_tid() - the thread whose files are read for memory:
 * the pid itself, or a live thread of a zombie leader.  Since 0.1.
 */
pid_t vms_proc_memory_tid(struct vms_proc *p);

/**
 * vms_proc_openat() - open a file of the process (relative to proc/PID, or
 * to the live thread's directory for memory files).  Returns an fd or a
 * negative errno (-ESRCH when the process is gone).  Since 0.1.
 */
int vms_proc_openat(struct vms_proc *p, const char *name, int flags);

/**
 * vms_proc_state() - re-read the state letter of the process (its leader)
 * through the held directory fd.  Returns the state (a positive char) or -ESRCH when the process is
 * gone.  Since 0.1.
 */
int vms_proc_state(struct vms_proc *p);

/**
 * vms_proc_rollup() - read smaps_rollup.  Returns 0; -ESRCH when the process
 * is gone or has no address space (zombie, kernel thread); -EACCES/-EPERM;
 * -ENOMEM.  Since 0.1.
 */
int vms_proc_rollup(struct vms_proc *p, struct vms_counters **out);

/* ---------------------------------------------------------------------- */
/* Mappings                                                                */

struct vms_mapping {
	uint64_t start, end; /* [start, end) */
	uint64_t offset; /* file offset */
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	char perms[5]; /* "r-xp", NUL-terminated */
	/*
	 * The name exactly as the kernel printed it, after the inode field and
	 * its padding: trailing spaces kept, "\012" (the kernel's escape for a
	 * newline) left as is, since a backslash is not escaped and the text
	 * is therefore ambiguous.  Empty for an anonymous mapping.
	 */
	const char *name;
	size_t name_len;
	/* The name ends in " (deleted)".  The name *says* so: a file can be
	 * called that. */
	bool name_says_deleted;
	/* smaps counters, when iterated with VMS_MAPS_SMAPS; else NULL. */
	const struct vms_counters *counters;
	/* The VmFlags line (two-letter codes separated by spaces), or NULL. */
	const char *vm_flags;
};

enum {
	VMS_MAPS_SMAPS = 1u << 0, /* read smaps (every counter) instead of maps */
	/*
	 * Read the file ahead on a thread of the iterator's own, so that the
	 * kernel's work of producing it overlaps the caller's: worth it for one
	 * long smaps (thousands of mappings), not for many short ones.
	 */
	VMS_MAPS_PREFETCH = 1u << 1,
};

struct vms_maps;

/**
 * vms_maps_open() - start iterating the mappings of @p, from maps, or from
 * smaps with VMS_MAPS_SMAPS.  Returns 0, -ESRCH, -EACCES, -EPERM, -ENOMEM.
 * Since 0.1.
 */
int vms_maps_open(struct vms_proc *p, unsigned int flags, struct vms_maps **out);

/**
 * vms_maps_open_fd() - iterate a maps or smaps text read from @fd (which the
 * iterator does not close).  For tests, tools and fuzzers.  Since 0.1.
 */
int vms_maps_open_fd(int fd, unsigned int flags, struct vms_maps **out);

/**
 * vms_maps_next() - the next mapping.  Returns 1 and sets *@m (valid until
 * the next call), 0 at the end, or a negative errno (-ESRCH, -EIO, -ENOMEM).
 * Lines that are neither a mapping header nor a counter are skipped and
 * counted: see vms_maps_bad_lines().  Since 0.1.
 */
int vms_maps_next(struct vms_maps *it, const struct vms_mapping **m);

/**
 * vms_maps_finish() - after the end, tell whether the walk was complete:
 * 0, or -ESRCH when the process exited during the read (the kernel then
 * ends the file early and the list is partial).  Since 0.1.
 */
int vms_maps_finish(struct vms_maps *it);

size_t vms_maps_bad_lines(const struct vms_maps *it);
void vms_maps_close(struct vms_maps *it);

/**
 * vms_maps_line_parse() - parse one maps header line (without its newline)
 * into @m; @m->name points into @line.  Returns 0 or -EBADMSG.  Since 0.1.
 */
int vms_maps_line_parse(const char *line, size_t len, struct vms_mapping *m);

/* ---------------------------------------------------------------------- */
/* What a mapping is for                                                   */

/* Append-only: the numbers are ABI. */
enum vms_kind {
	VMS_KIND_ANON = 0, /* private anonymous memory, [anon:NAME] too */
	VMS_KIND_FILE, /* any other file mapping */
	VMS_KIND_TEXT, /* executable private file mapping */
	VMS_KIND_RODATA, /* read-only private mapping of a code object */
	VMS_KIND_DATA, /* writable private mapping of a code object */
	VMS_KIND_BSS, /* anonymous writable mapping right after a code object */
	VMS_KIND_HEAP, /* [heap] */
	VMS_KIND_STACK, /* [stack] */
	VMS_KIND_THREAD_STACK, /* anonymous mapping holding a thread's stack pointer */
	VMS_KIND_VDSO, /* [vdso] */
	VMS_KIND_VVAR, /* [vvar], [vvar_vclock] */
	VMS_KIND_VSYSCALL, /* [vsyscall] */
	VMS_KIND_SHARED_ANON, /* shared anonymous: /dev/zero (deleted), [anon_shmem:NAME] */
	VMS_KIND_SHMEM, /* shared mapping of a file in /dev/shm */
	VMS_KIND_SYSV_SHM, /* System V segment: /SYSVxxxxxxxx (deleted) */
	VMS_KIND_MEMFD, /* /memfd:NAME (deleted) */
	VMS_KIND_HUGETLB, /* hugetlbfs or MAP_HUGETLB (VmFlags "ht") */
	VMS_KIND_DELETED, /* a file unlinked after it was mapped */
	VMS_KIND_GUARD, /* PROT_NONE */
	VMS_KIND_PSEUDO, /* a [name] this library does not know */
	VMS_KIND__COUNT
};

/**
 * struct vms_kind_hints - what vms_mapping_kind() cannot see in the mapping
 * itself; the caller finds these out over the whole address space.
 * @code_object: the file has an executable mapping in this process (an ELF
 *	program or library, so its read-only part is rodata, not data file).
 * @follows_code_object: the mapping starts where a code object's last
 *	mapping ends (an anonymous one there is that object's bss).
 * @thread_stack: a thread's stack pointer lies in the mapping (see
 *	vms_proc_thread_sps()).
 * @deleted: 1 the file is known to be gone, 0 known to exist (a file may be
 *	called "x (deleted)"), -1 unknown: trust the name.
 */
struct vms_kind_hints {
	bool code_object;
	bool follows_code_object;
	bool thread_stack;
	int deleted;
};

/** vms_kind_name() - "text", "thread-stack", ...; NULL if unknown.  Since 0.1. */
const char *vms_kind_name(enum vms_kind kind);
/** vms_kind_lookup() - the kind called @name, or -ENOENT.  Since 0.1. */
int vms_kind_lookup(const char *name);

/**
 * vms_mapping_kind() - what mapping @m is for, from its name, permissions,
 * VmFlags and @hints (NULL: none known, and deleted -1).  Never fails.
 * Since 0.1.
 */
enum vms_kind vms_mapping_kind(const struct vms_mapping *m, const struct vms_kind_hints *hints);

/**
 * vms_proc_exe() - the path of the process's executable (the proc/PID/exe
 * link, as the kernel prints it, " (deleted)" included) in a malloc'd string.
 * Returns 0, -ESRCH, -EACCES/-EPERM (needs ptrace access), -ENOENT (a kernel
 * thread, or not in the snapshot), -ENOMEM.  Since 0.1.
 */
int vms_proc_exe(struct vms_proc *p, char **path);

struct vms_thread_sp {
	pid_t tid;
	uint64_t sp; /* user stack pointer */
};

/**
 * vms_proc_thread_sps() - the stack pointer of every thread of the process
 * that is blocked (from task/TID/syscall; a running thread has none).  Needs
 * ptrace access to the process.  @out is malloc'd.  Returns 0 (possibly with
 * no threads), -ESRCH, -EACCES/-EPERM when no thread could be read, -ENOMEM.
 * Since 0.1.
 */
int vms_proc_thread_sps(struct vms_proc *p, struct vms_thread_sp **out, size_t *n);

/* ---------------------------------------------------------------------- */
/* Capabilities: what the reader may see below smaps (found once)          */

enum {
	/* pagemap shows PFNs and swap slots (CAP_SYS_ADMIN; otherwise the
	 * kernel zeroes them: report "hidden", never 0) */
	VMS_CAP_PFN = 1u << 0,
	VMS_CAP_KPAGEFLAGS = 1u << 1, /* /proc/kpageflags readable */
	VMS_CAP_KPAGECOUNT = 1u << 2, /* /proc/kpagecount readable */
	VMS_CAP_KPAGECGROUP = 1u << 3, /* /proc/kpagecgroup readable */
	VMS_CAP_PAGEMAP_SCAN = 1u << 4, /* the PAGEMAP_SCAN ioctl works (live, 6.7+) */
	VMS_CAP_SCAN_GUARD = 1u << 5, /* ... and knows the guard category (6.15+) */
};

/**
 * vms_ctx_caps() - the VMS_CAP_* bits of the context, found when it was
 * opened: live, by probing (the kernel's own answer for this process's
 * credentials); for a snapshot, from its description ("privileged") and
 * the files it holds.  Since 0.1.
 */
unsigned int vms_ctx_caps(const struct vms_ctx *ctx);

/**
 * vms_ctx_cap_reason() - why capability @cap (one VMS_CAP_* bit) is
 * missing, as a phrase for a message: "needs CAP_SYS_ADMIN",
 * "/proc/kpageflags: Permission denied (needs root or CAP_DAC_READ_SEARCH)",
 * "not in the snapshot", "kernel older than 6.7"; NULL when it is there.
 * Since 0.1.
 */
const char *vms_ctx_cap_reason(const struct vms_ctx *ctx, unsigned int cap);

/**
 * vms_ctx_zero_pfn() - the PFN of the kernel's shared zero page, found by
 * reading a page of our own that only reads zeroes (needs VMS_CAP_PFN), or
 * from a snapshot's "zero_pfn".  Returns 0 or -ENOENT when unknown.
 * Since 0.1.
 */
int vms_ctx_zero_pfn(const struct vms_ctx *ctx, uint64_t *pfn);

/* ---------------------------------------------------------------------- */
/* Pagemap entries                                                         */

#define VMS_PM_PRESENT (UINT64_C(1) << 63)
#define VMS_PM_SWAPPED (UINT64_C(1) << 62) /* also set for a guard region */
#define VMS_PM_FILE (UINT64_C(1) << 61) /* file page or shared anonymous */
#define VMS_PM_GUARD (UINT64_C(1) << 58) /* MADV_GUARD_INSTALL (6.15) */
#define VMS_PM_UFFD_WP (UINT64_C(1) << 57)
#define VMS_PM_EXCLUSIVE (UINT64_C(1) << 56) /* mapped by this process only */
#define VMS_PM_SOFT_DIRTY (UINT64_C(1) << 55)
#define VMS_PM_PFN_MASK ((UINT64_C(1) << 55) - 1)
#define VMS_PM_UNKNOWN_MASK (UINT64_C(3) << 59) /* bits 59-60: zero today */

enum vms_page_state {
	VMS_PAGE_NONE = 0, /* nothing in the page table: never touched, or dropped */
	VMS_PAGE_PRESENT, /* in RAM */
	VMS_PAGE_SWAPPED, /* a swap entry (or another non-present entry, e.g. migration) */
	VMS_PAGE_GUARD, /* a guard region: faults on access, not swap */
	VMS_PAGE_UNKNOWN, /* not read: the process exited during the read */
};

/* One decoded pagemap entry. */
struct vms_pme {
	uint64_t raw;
	enum vms_page_state state;
	bool file, exclusive, soft_dirty, uffd_wp;
	/* The PFN or swap slot was zeroed by the kernel (no CAP_SYS_ADMIN):
	 * pfn/swap_* below are meaningless and must be shown as hidden. */
	bool frame_hidden;
	uint64_t pfn; /* PRESENT && !frame_hidden */
	unsigned int swap_type; /* SWAPPED && !frame_hidden: index of the swap device */
	uint64_t swap_offset; /* in pages */
	uint64_t unknown_bits; /* raw bits this library does not know (59-60) */
};

/**
 * vms_pme_decode() - decode pagemap entry @raw.  @frames_visible: the
 * reader had VMS_CAP_PFN (vms_ctx_caps()).  A guard entry is never
 * "swapped".  Since 0.1.
 */
void vms_pme_decode(uint64_t raw, bool frames_visible, struct vms_pme *out);

/** vms_page_state_name() - "present", "none", "swapped", "guard", "unknown". Since 0.1. */
const char *vms_page_state_name(enum vms_page_state st);

/**
 * vms_swaps_by_type() - the /proc/swaps row of swap type @type.  The kernel
 * lists devices in type order and skips free slots, so the row at position
 * @type is the device unless a device of lower type was turned off since;
 * the offset must also lie inside it.  Returns the row or NULL when no row
 * can hold (@type, @offset).  Since 0.1.
 */
const struct vms_swap *vms_swaps_by_type(const struct vms_swaps *s, unsigned int type,
					 uint64_t offset, unsigned long page_size);

/* ---------------------------------------------------------------------- */
/* Pagemap reading                                                         */

struct vms_pagemap;

/**
 * vms_pagemap_open() - open the pagemap of @p (live: proc/PID/pagemap; a
 * snapshot: its recorded extract).  Returns 0, -ESRCH (gone, zombie, kernel
 * thread), -EACCES/-EPERM (needs the same user or CAP_SYS_PTRACE, and the
 * file is 0400), -ENOENT (not in the snapshot), -EPROTO (corrupt extract),
 * -ENOMEM.  Since 0.1.
 */
int vms_pagemap_open(struct vms_proc *p, struct vms_pagemap **out);
void vms_pagemap_close(struct vms_pagemap *pm);

/**
 * vms_pagemap_read() - read the raw entries of @n pages from page-aligned
 * address @addr into @buf, in 64 KiB reads.  Returns the number of entries
 * read: fewer than @n when the process exited: the rest is unknown, not
 * "not present".  In a snapshot, pages outside what was captured read as 0,
 * as the kernel reads unmapped addresses.  Or -errno:
 * -EINVAL for an unaligned address, -ESRCH, -EIO.  Since 0.1.
 */
ssize_t vms_pagemap_read(struct vms_pagemap *pm, uint64_t addr, size_t n, uint64_t *buf);

/* ---------------------------------------------------------------------- */
/* Page walk: runs of pages in the same state                              */

/* Flags of a run. */
enum {
	VMS_RUN_PRESENT = 1u << 0,
	VMS_RUN_SWAPPED = 1u << 1, /* never set for a guard region */
	VMS_RUN_FILE = 1u << 2, /* file page or shared anonymous (present or swapped) */
	VMS_RUN_HUGE = 1u << 3, /* mapped by a huge entry: PMD-mapped THP or hugetlb */
	VMS_RUN_GUARD = 1u << 4,
	VMS_RUN_ZERO = 1u << 5, /* the shared zero page */
	VMS_RUN_SOFT_DIRTY = 1u << 6,
	VMS_RUN_EXCLUSIVE = 1u << 7, /* mapped by this process only (entries read) */
	VMS_RUN_UFFD_WP = 1u << 8, /* (entries read) */
	VMS_RUN_UNKNOWN = 1u << 9, /* not read: the process exited */
};

/*
 * A run [start, end) of pages whose flags are equal.  Adjacent runs may
 * have equal flags (a walk works in chunks).  No PRESENT/SWAPPED/GUARD/
 * UNKNOWN flag: the pages are not in the page table (never touched).
 */
struct vms_page_run {
	uint64_t start, end;
	unsigned int flags;
	/* With VMS_WALK_ENTRIES, for a run that is not "none": the raw pagemap
	 * entry of each page, valid until the next call; otherwise NULL. */
	const uint64_t *entries;
};

/* Flags of vms_pagewalk_open(). */
enum {
	/* Read the entries of every page in the page table (PFNs, exclusive,
	 * uffd-wp), not just the categories. */
	VMS_WALK_ENTRIES = 1u << 0,
	/* Only pread(), never the PAGEMAP_SCAN ioctl (as on kernels < 6.7). */
	VMS_WALK_READ = 1u << 1,
	/* Only PAGEMAP_SCAN for the categories (-EOPNOTSUPP without it). */
	VMS_WALK_SCAN = 1u << 2,
};

struct vms_pagewalk;

/**
 * vms_pagewalk_open() - walk [@start, @end) (page-aligned, inside one
 * process's user address space) of @pm.  By default the walk uses
 * PAGEMAP_SCAN where it wins (sparse and huge-page ranges) and pread()
 * where that wins (dense 4 KiB memory), chunk by chunk; the result does not
 * depend on the choice.  The scan is never asked to write-protect.
 * Returns 0, -EINVAL, -EOPNOTSUPP (VMS_WALK_SCAN without the ioctl),
 * -ENOMEM.  Since 0.1.
 */
int vms_pagewalk_open(struct vms_pagemap *pm, uint64_t start, uint64_t end, unsigned int flags,
		      struct vms_pagewalk **out);

/**
 * vms_pagewalk_known() - the VMS_RUN_* flags this walk can tell: a flag
 * outside the mask is not "false" but unknown (EXCLUSIVE without entries;
 * HUGE with pread() only and no kpageflags; ZERO without the zero PFN).
 * Since 0.1.
 */
unsigned int vms_pagewalk_known(const struct vms_pagewalk *w);

/**
 * vms_pagewalk_next() - the next run.  Returns 1, 0 at the end, or a
 * negative errno (-EIO, -ENOMEM).  When the process exits during the walk,
 * the rest comes back as one VMS_RUN_UNKNOWN run.  Since 0.1.
 */
int vms_pagewalk_next(struct vms_pagewalk *w, struct vms_page_run *run);

/**
 * vms_pagewalk_finish() - 0 when every page was read, -ESRCH when the
 * process exited and some pages are unknown (the result is partial).
 * Since 0.1.
 */
int vms_pagewalk_finish(const struct vms_pagewalk *w);

/** vms_pagewalk_stats() - how many PAGEMAP_SCAN calls and pread() calls the walk made. Since 0.1. */
void vms_pagewalk_stats(const struct vms_pagewalk *w, uint64_t *scans, uint64_t *reads);

void vms_pagewalk_close(struct vms_pagewalk *w);

/* ---------------------------------------------------------------------- */
/* Physical frames: kpageflags, kpagecount, kpagecgroup                    */

/* Bits of /proc/kpageflags (include/uapi/linux/kernel-page-flags.h). */
enum vms_kpf {
	VMS_KPF_LOCKED = 0,
	VMS_KPF_ERROR = 1,
	VMS_KPF_REFERENCED = 2,
	VMS_KPF_UPTODATE = 3,
	VMS_KPF_DIRTY = 4,
	VMS_KPF_LRU = 5,
	VMS_KPF_ACTIVE = 6,
	VMS_KPF_SLAB = 7,
	VMS_KPF_WRITEBACK = 8,
	VMS_KPF_RECLAIM = 9,
	VMS_KPF_BUDDY = 10,
	VMS_KPF_MMAP = 11,
	VMS_KPF_ANON = 12,
	VMS_KPF_SWAPCACHE = 13,
	VMS_KPF_SWAPBACKED = 14,
	VMS_KPF_COMPOUND_HEAD = 15,
	VMS_KPF_COMPOUND_TAIL = 16,
	VMS_KPF_HUGE = 17,
	VMS_KPF_UNEVICTABLE = 18,
	VMS_KPF_HWPOISON = 19,
	VMS_KPF_NOPAGE = 20,
	VMS_KPF_KSM = 21,
	VMS_KPF_THP = 22,
	VMS_KPF_OFFLINE = 23,
	VMS_KPF_ZERO_PAGE = 24,
	VMS_KPF_IDLE = 25,
	VMS_KPF_PGTABLE = 26,
	VMS_KPF__COUNT
};
#define VMS_KPF_KNOWN_MASK ((UINT64_C(1) << VMS_KPF__COUNT) - 1)

/** vms_kpf_name() - "locked", "referenced", ..., "pgtable"; NULL for other bits. Since 0.1. */
const char *vms_kpf_name(unsigned int bit);

/* Which per-frame file. */
enum vms_kpage_file {
	VMS_KPAGE_FLAGS = 0, /* /proc/kpageflags */
	VMS_KPAGE_COUNT, /* /proc/kpagecount: how many times the frame is mapped */
	VMS_KPAGE_CGROUP, /* /proc/kpagecgroup: inode of the frame's memory cgroup */
	VMS_KPAGE__COUNT
};

struct vms_kpage;

/**
 * vms_kpage_open() - open the per-frame files the context can read (see
 * vms_ctx_caps()).  Never fails for a missing file: reads of it then give
 * -EACCES or -ENOENT.  Returns 0 or -ENOMEM.  Since 0.1.
 */
int vms_kpage_open(struct vms_ctx *ctx, struct vms_kpage **out);
void vms_kpage_close(struct vms_kpage *k);

/**
 * vms_kpage_read() - the values of @n consecutive frames from @pfn, in as
 * few reads as possible.  Returns the count read (fewer past the last
 * frame, or in a snapshot past what was captured), or -EACCES/-ENOENT
 * (file not readable / not in the snapshot), -EIO.  Since 0.1.
 */
ssize_t vms_kpage_read(struct vms_kpage *k, enum vms_kpage_file which, uint64_t pfn, size_t n,
		       uint64_t *out);

/**
 * vms_kpage_lookup() - the values of the frames @pfns[0..@n) (any order;
 * UINT64_MAX entries are skipped and give 0), reading runs of contiguous or
 * nearby frames with one pread each instead of one per frame.  Frames past
 * the end give 0 and are counted in *@missing (may be NULL).  Returns 0 or
 * the errors of vms_kpage_read().  Since 0.1.
 */
int vms_kpage_lookup(struct vms_kpage *k, enum vms_kpage_file which, const uint64_t *pfns, size_t n,
		     uint64_t *out, size_t *missing);

/** vms_kpage_reads() - pread() calls made so far (for benchmarks). Since 0.1. */
uint64_t vms_kpage_reads(const struct vms_kpage *k);

/* ---------------------------------------------------------------------- */
/* Page-table geometry                                                     */

/* How an address splits into page-table indices on this machine. */
struct vms_pt_level {
	const char *name; /* "PML5", "PML4", "PDPT", "PD", "PT", "offset" */
	unsigned int lo_bit, hi_bit; /* the address bits the index takes */
	uint64_t index;
};

/**
 * vms_pt_split() - split @addr into its page-table indices on x86-64 with
 * 4 KiB pages: @levels 4 (PML4, PDPT, PD, PT) or 5 (PML5 first; the machine
 * uses 5 when any address lies above 2^47), 0 meaning 4.  Fills @out (at
 * least @levels + 1 entries: the levels, then the offset) and returns how
 * many, -EINVAL, -ERANGE (@max too small), or -EOPNOTSUPP on other
 * machines.  Since 0.1.
 */
int vms_pt_split(uint64_t addr, unsigned int levels, struct vms_pt_level *out, size_t max);

/* ---------------------------------------------------------------------- */
/* Fault counters over time                                                */

/* What a row of a sample is, against the sample before. */
enum vms_fault_status {
	VMS_FS_FIRST = 0, /* first sample: counts since start, no delta */
	VMS_FS_NEW, /* appeared and started after the previous sample: delta = counts */
	VMS_FS_RUNNING, /* seen at the previous sample: delta since then */
	VMS_FS_UNBASED, /* appeared but started before the previous sample (was not
			 * readable then): counts only, no delta */
	VMS_FS_EXITED, /* seen at the previous sample, gone now (exited, or its PID
			* now belongs to another process): its last counts, no delta */
};

/* One process (or thread) in a sample. */
struct vms_fault_row {
	pid_t pid; /* thread-group id */
	pid_t tid; /* the thread of a thread row, else == pid */
	bool thread; /* a thread's own row (VMS_SAMPLER_THREADS adds one per
		      * thread after each process row) */
	pid_t ppid;
	uint32_t uid; /* owner of proc/PID (the effective uid while dumpable) */
	char state;
	bool kthread;
	const char *comm; /* raw bytes */
	uint64_t start_time; /* clock ticks since boot */
	uint64_t minflt, majflt; /* since start (a process: all its threads, live and dead) */
	uint64_t cminflt, cmajflt; /* of children waited for */
	uint64_t rss, vsz; /* bytes */
	enum vms_fault_status status;
	bool has_delta; /* NEW and RUNNING */
	uint64_t d_minflt, d_majflt, d_cminflt, d_cmajflt; /* when has_delta */
};

struct vms_sampler;

enum {
	/* After each process row, one row per thread (task/TID/stat). */
	VMS_SAMPLER_THREADS = 1u << 0,
	/* With vms_sampler_watch(): the watched processes and every descendant
	 * (found by parent PID at each sample). */
	VMS_SAMPLER_TREE = 1u << 1,
};

/**
 * vms_sampler_new() - sample the fault counters of every process of @ctx's
 * root (or of the processes given to vms_sampler_watch()), from proc/PID/stat.
 * Returns 0, -EINVAL, -ENOMEM.  Since 0.1.
 */
int vms_sampler_new(struct vms_ctx *ctx, unsigned int flags, struct vms_sampler **out);

/**
 * vms_sampler_watch() - watch only these processes, identified at the first
 * sample (a PID reused later is not followed).  Call before the first
 * sample.  Returns 0, -EINVAL, -ENOMEM.  Since 0.1.
 */
int vms_sampler_watch(struct vms_sampler *s, const pid_t *pids, size_t n);

/**
 * vms_sampler_sample() - take a sample of the sampler's root, or, when @ctx
 * is not NULL, of that root instead (the next snapshot of a series).  The
 * time of a sample: CLOCK_BOOTTIME when live; a snapshot's proc/uptime, else
 * its description "time".  Returns 0, -ENOENT (no proc), -EINVAL (a series
 * going back in time), -ENOMEM.  Since 0.1.
 */
int vms_sampler_sample(struct vms_sampler *s, struct vms_ctx *ctx);

/** vms_sampler_count() and vms_sampler_row(): the rows of the last sample,
 * by PID; a process's exited row before the row of a new process with
 * the same PID; its thread rows after it, by TID.  Since 0.1. */
size_t vms_sampler_count(const struct vms_sampler *s);
const struct vms_fault_row *vms_sampler_row(const struct vms_sampler *s, size_t i);

/** vms_sampler_interval() - seconds since the previous sample (0 at the first). Since 0.1. */
double vms_sampler_interval(const struct vms_sampler *s);

/** vms_sampler_index() - the number of the last sample, from 0. Since 0.1. */
unsigned long vms_sampler_index(const struct vms_sampler *s);

/**
 * vms_sampler_missing() - the @i-th watched (or listed) process that could not
 * be read at the last sample, with the reason (-ESRCH, -EACCES, -EPERM,
 * -EBADMSG for a stat file that cannot be parsed).
 * Returns 0 or -ERANGE.  A watched process that was never seen is reported
 * here at every sample.  Since 0.1.
 */
int vms_sampler_missing(const struct vms_sampler *s, size_t i, pid_t *pid, int *err);
size_t vms_sampler_missing_count(const struct vms_sampler *s);

void vms_sampler_free(struct vms_sampler *s);

/* ---------------------------------------------------------------------- */
/* Page-fault events (perf_event_open)                                     */

struct vms_faultrec;

enum {
	/* @pid is a child stopped before exec (fork, then wait for the go):
	 * events count from its exec on (enable_on_exec). */
	VMS_FR_ENABLE_ON_EXEC = 1u << 0,
	/* Only the task @pid itself; default: every thread of the process. */
	VMS_FR_ONE_TASK = 1u << 1,
};

/* One sampled page fault. */
struct vms_fault_sample {
	pid_t pid, tid;
	uint64_t addr; /* the faulting address */
	bool major;
};

/* A mapping the kernel reported while recording (PERF_RECORD_MMAP2). */
struct vms_fault_mmap {
	pid_t pid, tid;
	uint64_t start, len, pgoff;
	uint32_t prot, flags;
	const char *filename; /* as the kernel gave it: "//anon", "[heap]", a path */
};

/**
 * vms_faultrec_open() - sample every minor and major page fault of process
 * @pid (all its threads, and the threads and children they create later),
 * with its address: software events PERF_COUNT_SW_PAGE_FAULTS_MIN and _MAJ,
 * sample period 1, one ring buffer per CPU.  Live contexts only.
 * Returns 0; -ESRCH; -EACCES/-EPERM when the kernel refuses (see
 * vms_perf_refusal()); -ENOSYS/-ENOENT when perf events are not available;
 * -EMFILE; -ENOMEM; -EINVAL for a snapshot context.  Since 0.1.
 */
int vms_faultrec_open(struct vms_ctx *ctx, pid_t pid, unsigned int flags,
		      struct vms_faultrec **out);

/** vms_faultrec_fds() - the fds to poll() for POLLIN (data waiting). Since 0.1. */
size_t vms_faultrec_fds(const struct vms_faultrec *r, const int **fds);

/**
 * vms_faultrec_drain() - read what the kernel has recorded so far: calls
 * @on_sample for each fault and @on_mmap (may be NULL) for each new mapping,
 * in ring order.  Returns the number of records read, or a negative errno.
 * Since 0.1.
 */
int vms_faultrec_drain(struct vms_faultrec *r,
		       void (*on_sample)(void *data, const struct vms_fault_sample *s),
		       void (*on_mmap)(void *data, const struct vms_fault_mmap *m), void *data);

/** vms_faultrec_lost() - samples the kernel dropped (full ring buffer). Since 0.1. */
uint64_t vms_faultrec_lost(const struct vms_faultrec *r);

/** vms_faultrec_user_only() - true when kernel-mode faults (in system calls) are excluded
 * because the kernel allows only user-space sampling (perf_event_paranoid 2). Since 0.1. */
bool vms_faultrec_user_only(const struct vms_faultrec *r);

void vms_faultrec_close(struct vms_faultrec *r);

/**
 * vms_perf_refusal() - why perf_event_open() refused with @err (-EACCES or -EPERM) for a
 * process of another user or not: a phrase naming the setting and value or the capability
 * needed, e.g. "kernel.perf_event_paranoid is 3; needs CAP_PERFMON (or CAP_SYS_ADMIN), or
 * kernel.perf_event_paranoid <= 2", or "needs the same user or CAP_SYS_PTRACE".
 * Reads proc/sys/kernel/perf_event_paranoid of the context.  Never NULL.  Since 0.1.
 */
const char *vms_perf_refusal(struct vms_ctx *ctx, int err);

/* Data-TLB counters (hardware cache events). */
struct vms_tlbcount;

/**
 * vms_tlb_open() - count dTLB read accesses and misses of @pid (flags as
 * vms_faultrec_open(); inherited by new threads and children).
 * Returns 0; -ENOENT/-EOPNOTSUPP/-ENODEV when the machine has no such
 * hardware counters (a virtual machine without a vPMU); -EACCES/-EPERM;
 * -ESRCH; -ENOMEM.  Since 0.1.
 */
int vms_tlb_open(struct vms_ctx *ctx, pid_t pid, unsigned int flags, struct vms_tlbcount **out);

/**
 * vms_tlb_read() - the counts so far.  @scaled is set when the kernel
 * multiplexed the counters (time_running < time_enabled) and the figures are
 * scaled estimates.  Returns 0 or a negative errno.  Since 0.1.
 */
int vms_tlb_read(struct vms_tlbcount *t, uint64_t *loads, uint64_t *misses, bool *scaled);
void vms_tlb_close(struct vms_tlbcount *t);

/* ---------------------------------------------------------------------- */
/* Compressed swap and memory cgroups                                      */

/* One zram device (sys/block/zramN). */
struct vms_zram {
	const char *name; /* "zram0" */
	uint64_t disksize; /* bytes (disksize); 0 when unset or unreadable */
	const char *algorithm; /* the selected one of comp_algorithm, NULL if unreadable */
	bool have_mm_stat;
	uint64_t orig_data_size; /* mm_stat field 1: bytes stored, uncompressed */
	uint64_t compr_data_size; /* field 2: bytes, compressed */
	uint64_t mem_used_total; /* field 3: bytes of memory used, allocator overhead included */
	uint64_t mem_limit; /* field 4: bytes, 0 = no limit */
	uint64_t mem_used_max; /* field 5: bytes */
	uint64_t same_pages; /* field 6: pages of one repeated word (not stored) */
	uint64_t pages_compacted; /* field 7: pages */
	uint64_t huge_pages; /* field 8: pages stored uncompressed (absent on old kernels) */
	bool have_huge_pages; /* false on kernels whose mm_stat has 7 fields */
};

struct vms_zrams;

/**
 * vms_zram_read() - the zram devices of the context's root: sys/block/zram*,
 * in device number order, with their disksize, comp_algorithm and mm_stat.
 * A root without sys/block (a snapshot without zram) has no devices.
 * Returns 0 (possibly with no devices), -EACCES, -ENOMEM.  A device whose
 * mm_stat is missing or malformed is listed with have_mm_stat false.
 * Since 0.1.
 */
int vms_zram_read(struct vms_ctx *ctx, struct vms_zrams **out);
size_t vms_zram_count(const struct vms_zrams *z);
const struct vms_zram *vms_zram_get(const struct vms_zrams *z, size_t i);
void vms_zram_free(struct vms_zrams *z);

/**
 * vms_zram_parse_mm_stat() - parse the @len bytes of an mm_stat file into the
 * mm_stat fields of @z (and have_mm_stat, have_huge_pages).  It takes 7 or
 * more unsigned decimal fields on one line (9 on 6.x; fields past the 8th are
 * checked and ignored, at most 16 in all).  Returns 0, or -EBADMSG with @z
 * unchanged; -EINVAL for NULL arguments.  Since 0.1.
 */
int vms_zram_parse_mm_stat(const char *text, size_t len, struct vms_zram *z);

/* The memory controller of one cgroup. */
struct vms_cgmem {
	int version; /* 2 (unified) or 1 */
	bool have_current, have_max, have_high, have_swap_current, have_swap_max, have_events;
	uint64_t current; /* bytes: v2 memory.current; v1 memory.usage_in_bytes */
	/* bytes, UINT64_MAX = no limit: v2 memory.max ("max"); v1 memory.limit_in_bytes
	 * (the kernel's "no limit", a value of 2^62 or more) */
	uint64_t max;
	uint64_t high; /* v2 memory.high ("max" = UINT64_MAX); v1: none */
	/* bytes: v2 memory.swap.current; v1 memory.memsw.usage_in_bytes minus the
	 * usage (needs swap accounting) */
	uint64_t swap_current;
	uint64_t swap_max; /* v2 memory.swap.max ("max" = UINT64_MAX); v1: none */
	/*
	 * v2: the counts of memory.events.  v1: ev_max from memory.failcnt,
	 * ev_oom_kill and ev_oom from memory.oom_control, where ev_oom is the
	 * under_oom state (1 while the group is out of memory), not a count;
	 * ev_low and ev_high are 0.
	 */
	uint64_t ev_low, ev_high, ev_max, ev_oom, ev_oom_kill;
};

/**
 * vms_cgmem_read() - the memory controller files of cgroup @path ("/",
 * "/user.slice/x.scope": the path of a line of proc/PID/cgroup, see
 * vms_proc_memcg()) under the root's sys/fs/cgroup: for @version 2
 * sys/fs/cgroup/PATH, for @version 1 the memory controller's mount
 * sys/fs/cgroup/memory/PATH.  A file that is missing or malformed leaves its
 * have_ flag false; the root cgroup of v2 has none of them.
 * Returns 0, -ENOENT when there is no such cgroup or the memory controller is
 * not enabled there, -EACCES when nothing could be read for permission,
 * -EINVAL for a @version other than 1 or 2 or a @path that is not absolute or
 * has a ".." component, -ENOMEM.  Since 0.1.
 */
int vms_cgmem_read(struct vms_ctx *ctx, const char *path, int version, struct vms_cgmem *out);

/**
 * vms_proc_memcg() - the memory cgroup of process @p, from proc/PID/cgroup:
 * the "0::/path" line (*@version 2) when the root's
 * sys/fs/cgroup/cgroup.controllers lists "memory", else the v1 line whose
 * controller list holds "memory" ("4:memory:/path", *@version 1).  *@path is
 * malloc'd, as printed (a removed v2 cgroup ends in " (deleted)").
 * Returns 0, -ENOENT when the process has no memory cgroup line, -ESRCH,
 * -EACCES, -ENOMEM.  Since 0.1.
 */
int vms_proc_memcg(struct vms_proc *p, char **path, int *version);

/* ---------------------------------------------------------------------- */
/* Snapshots: archives and sparse u64 files                                */

/**
 * vms_ctx_open() - vms_ctx_new() that also explains a failure.
 * @root: as for vms_ctx_new(); a regular file is a snapshot archive: a tar
 *        file, plain or compressed with gzip, xz or zstd, unpacked into a
 *        private directory under $TMPDIR (else /tmp), mode 0700, which the
 *        context reads and removes at its last unref (vms_ctx_root() still
 *        gives @root).  Unpacking refuses any entry a snapshot cannot hold
 *        (absolute paths, "..", links other than proc/PID/exe, devices, FIFOs)
 *        and stops at 4 GiB, 2 GiB in one file, 1,000,000 entries or a path
 *        over 4096 bytes; nothing is left behind when it fails.  A process
 *        about to die of a signal removes it with
 *        vms_snapshot_cleanup_signal_safe().
 * @why: NULL, or receives NULL on success and on failure a malloc'd phrase
 *       for a message, such as "snapshot truncated at byte 1234",
 *       "unsupported snapshot format 9 (this build reads <= 1)", "archive
 *       entry '../etc/x' leaves the snapshot", "not a snapshot: a FIFO";
 *       the caller frees it.  It stays NULL when even that allocation failed.
 *
 * Returns 0 or the errors of vms_ctx_new(), and: -ENOTDIR for a root that is
 * neither a directory nor a tar archive (a FIFO, a device, an empty file);
 * -EPROTO for a truncated or corrupt archive or one with an entry that may
 * not be in a snapshot; -EFBIG over the limits (a decompression bomb?);
 * -ENOENT when there is no "vmscope-snapshot" file; -ENOSPC and other errors
 * of the temporary directory's file system; -EOPNOTSUPP when libarchive lacks
 * gzip, xz or zstd built in.  Since 0.1.
 */
int vms_ctx_open(const char *root, unsigned int flags, struct vms_ctx **out, char **why);

/**
 * vms_snapshot_cleanup_signal_safe() - remove, at once, every directory this
 * process unpacked a snapshot archive into and has not removed yet (from the
 * moment vms_ctx_open() makes it): for a signal handler that is about to end
 * the process, which a context's last unref would otherwise never reach.
 * The library installs no handler itself.  Async-signal-safe (openat,
 * getdents64, unlinkat, close; errno is kept), and safe in any thread and in
 * a forked child, which leaves its parent's directories alone.  It descends
 * 16 directory levels below an unpack directory: anything deeper
 * (no snapshot is) stays, with the directories above it; so do the
 * directories of more than 64 archive contexts open at once.  Afterwards the
 * contexts on archives read nothing: call it only on the way out.  A handler
 * should block the other signals that call it (sa_mask): a signal that
 * interrupts the cleanup in the same thread returns at once.  Since 0.1.
 */
void vms_snapshot_cleanup_signal_safe(void);

/* Writes a sparse u64 file, the format of a snapshot's pagemap and kpage* extracts. */
struct vms_sparse_writer;

/**
 * vms_sparse_writer_new() - start a sparse u64 file on @fd (not taken, left
 * open), writing its header at the current offset.  Returns 0, -EINVAL,
 * -ENOMEM or the errno of write().  Since 0.1.
 */
int vms_sparse_writer_new(int fd, struct vms_sparse_writer **out);

/**
 * vms_sparse_writer_add() - append the @n values @v at indexes @first ..
 * @first + @n - 1, after those added before (gaps are allowed; a gap is read
 * as 0 in a pagemap extract and as missing in a per-frame file).  Every value
 * is written, 0 too.  Returns 0; -EINVAL for indexes not above the previous
 * ones or reaching 2^64; the errno of write() (then every later call fails the
 * same way).  Since 0.1.
 */
int vms_sparse_writer_add(struct vms_sparse_writer *w, uint64_t first, const uint64_t *v, size_t n);

/**
 * vms_sparse_writer_finish() - write what is buffered and free @w (in any
 * case).  Returns 0 or the first error of the writer.  Since 0.1.
 */
int vms_sparse_writer_finish(struct vms_sparse_writer *w);

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

/**
 * vms_parse_pid() - parse a PID given by a user: decimal digits only, no
 * sign, no spaces, 1..4194304 (PID_MAX_LIMIT).  Returns 0 or -EINVAL
 * (not a number) or -ERANGE.  Since 0.1.
 */
int vms_parse_pid(const char *s, pid_t *out);

#ifdef __cplusplus
}
#endif
#endif
