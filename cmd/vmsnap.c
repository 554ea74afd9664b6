// SPDX-License-Identifier: GPL-2.0-or-later
/* vmsnap: capture the files vmscope reads into a snapshot (a directory or a tar archive). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "config.h"
#include "vmsnap/vmsnap.h"

/* The description file, at the top of every snapshot. */
#define DESCRIPTION SNAPSHOT_DESCRIPTION
/* A /proc file larger than this is not a file vmscope could read back either. */
#define READ_MAX (UINT64_C(2) << 30)

static struct {
	const char *out;
	bool force, pages, quiet;
	int *pids;
	size_t npids;
} ctl;

static struct vms_ctx *ctx;
static volatile sig_atomic_t stop_signal;

void vmsnap_usage(void)
{
	printf("Usage:\n"
	       " %s [options] -o OUT [PID...]\n"
	       " %s diff [options] OLD NEW\n\n"
	       "Capture what vmscope reads from /proc into a snapshot (all processes, or the\n"
	       "PIDs given), which every vmscope command reads as its root; or compare two\n"
	       "snapshots.\n\n"
	       "Capture options:\n",
	       cx_prog, cx_prog);
	fputs(" -o, --output-file OUT  OUT/ (or an existing directory): a snapshot directory;\n"
	      "                        OUT.tar, .tar.gz, .tgz, .tar.xz, .tar.zst: an archive\n"
	      "                        (any other name: a zstd-compressed tar)\n"
	      "     --force            replace an existing OUT\n"
	      "     --pages            also the pagemap of every mapping and, as root, the\n"
	      "                        kpageflags/kpagecount/kpagecgroup of its frames\n"
	      " -q, --quiet            no progress on the terminal\n"
	      "\nDiff options:\n"
	      " -a, --all              also the processes that did not change\n"
	      " -N, --top N            only the N processes that changed most\n"
	      " -s, --sort COL         rss, pss (the default), uss or swap: the change to sort by\n"
	      "     --output LIST      columns to print (+LIST adds to the default; see below)\n"
	      "     --output-all       print every column\n"
	      " -J, --json             JSON output\n"
	      " -r, --raw              raw output: the process table only, unaligned, bytes\n"
	      " -n, --noheadings       do not print the header lines of the tables\n"
	      " -b, --bytes            sizes in bytes instead of KiB/MiB/GiB\n"
	      "\n"
	      " -h, --help             display this help\n"
	      " -V, --version          display version\n\n"
	      "Columns:\n",
	      stdout);
	vmsnap_diff_columns(stdout);
	printf("\nSee vmsnap(1) for details.\n");
	exit(cx_close_stdout() ? CX_EXIT_FAILURE : CX_EXIT_OK);
}

/* ---- reading: a file whole, whatever size it says it has ---- */

/*
 * Read @fd to its end into a growing buffer (/proc files report size 0);
 * closes @fd.  A negative @fd is the error of the open, returned as it is.
 */
static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf;
	int ret = 0;

	if (fd < 0)
		return fd;
	buf = malloc(cap);
	if (!buf)
		cx_oom();
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb;

			if (cap >= READ_MAX) {
				ret = -EFBIG;
				break;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb)
				cx_oom();
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* ---- one process ---- */

struct pfile {
	char *rel; /* where in the snapshot */
	char *data; /* the bytes, or a symlink's target */
	size_t len;
	bool link;
	int fd; /* or the bytes in a memory file (a pagemap extract); else -1 */
};

enum pstate { P_OK, P_PARTIAL, P_VANISHED, P_DENIED };

struct pcap {
	pid_t pid;
	bool named;
	enum pstate state;
	int err; /* P_VANISHED, P_DENIED, P_PARTIAL: what was met */
	const char *errfile;
	int mem_err; /* the memory files are left out: why (-EACCES...) */
	const char *mem_file;
	pid_t tgid; /* a named PID that is a thread: its process */
	bool have_uid;
	uint32_t uid;
	char *memcg;
	int memcg_version;
	struct pfile *files;
	size_t nfiles, cap;
	uint64_t *pfns; /* --pages: the frames its pagemap references */
	size_t npfns, pfncap;
};

static void add_file(struct pcap *c, char *rel, char *data, size_t len, bool link, int fd)
{
	c->files = cx_grow(c->files, c->nfiles, &c->cap, sizeof(*c->files));
	c->files[c->nfiles++] = (struct pfile){ rel, data, len, link, fd };
}

static void free_files(struct pcap *c)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].rel);
		free(c->files[i].data);
		if (c->files[i].fd >= 0)
			close(c->files[i].fd);
	}
	free(c->files);
	c->files = NULL;
	c->nfiles = c->cap = 0;
	free(c->pfns);
	c->pfns = NULL;
	c->npfns = c->pfncap = 0;
}

/* Copy file @name of process @p to DIR/@name of the snapshot; 0 or -errno. */
static int grab(struct pcap *c, struct vms_proc *p, const char *dir, const char *name,
		const char *as)
{
	char *data;
	size_t len;
	int ret = read_all(vms_proc_openat(p, name, 0), &data, &len);

	if (ret < 0)
		return ret;
	add_file(c, cx_xasprintf("%s/%s", dir, as), data, len, false, -1);
	return 0;
}

static const struct pfile *last_file(const struct pcap *c)
{
	return &c->files[c->nfiles - 1];
}

/* The value after "Key:" in a status file, or NULL. */
static const char *status_field(const struct pfile *f, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = f->data; l && l < f->data + f->len;) {
		const char *nl = memchr(l, '\n', (size_t)(f->data + f->len - l));

		if ((size_t)(f->data + f->len - l) > kl && memcmp(l, key, kl) == 0)
			return l + kl;
		l = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* The state letter of the thread whose memory is read (@stat: "stat" or "task/TID/stat"). */
static int state_of(struct vms_proc *p, const char *stat)
{
	struct vms_proc_info info;
	char *data;
	size_t len;
	int ret = read_all(vms_proc_openat(p, stat, 0), &data, &len);

	if (ret < 0)
		return ret;
	ret = len ? vms_stat_parse(data, len, &info) : -ESRCH;
	free(data);
	return ret < 0 ? ret : info.state;
}

static void add_pfn(struct pcap *c, uint64_t pfn)
{
	c->pfns = cx_grow(c->pfns, c->npfns, &c->pfncap, sizeof(*c->pfns));
	c->pfns[c->npfns++] = pfn;
}

static int memfd_or_die(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0) {
		cx_warn("memfd_create: %s", strerror(errno));
		exit(CX_EXIT_FAILURE);
	}
	return fd;
}

/*
 * The pagemap entries of every mapping of @maps (but [vsyscall], which
 * pagemap does not back), as a sparse u64 file: the pages in the page table,
 * present, swapped or guarded; the others read back as 0, as the kernel gives
 * for a page never touched.  Returns 0, -ESRCH when the process exited during
 * the walk (what was read is kept), or another -errno.
 */
static int grab_pagemap(struct pcap *c, struct vms_proc *p, const char *dir, const char *maps,
			size_t mlen)
{
	uint64_t ps = vms_ctx_page_size(ctx);
	struct vms_sparse_writer *w;
	struct vms_pagemap *pm;
	const char *l = maps, *end = maps + mlen;
	int ret, fd, fin, cut = 0;

	ret = vms_pagemap_open(p, &pm);
	if (ret < 0)
		return ret;
	fd = memfd_or_die("pagemap");
	ret = vms_sparse_writer_new(fd, &w);
	if (ret < 0) {
		vms_pagemap_close(pm);
		close(fd);
		return ret;
	}
	while (ret == 0 && l < end) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t ll = nl ? (size_t)(nl - l) : (size_t)(end - l);
		struct vms_mapping m;
		struct vms_pagewalk *walk;
		struct vms_page_run run;
		int r;

		r = vms_maps_line_parse(l, ll, &m);
		l += ll + 1;
		if (r < 0 || (m.name_len == 10 && memcmp(m.name, "[vsyscall]", 10) == 0))
			continue;
		ret = vms_pagewalk_open(pm, m.start, m.end, VMS_WALK_ENTRIES, &walk);
		if (ret < 0)
			break;
		while ((r = vms_pagewalk_next(walk, &run)) > 0) {
			uint64_t n = (run.end - run.start) / ps;

			if (!run.entries || (run.flags & VMS_RUN_UNKNOWN))
				continue;
			r = vms_sparse_writer_add(w, run.start / ps, run.entries, (size_t)n);
			if (r < 0)
				break;
			for (uint64_t i = 0; i < n; i++)
				if ((run.entries[i] & VMS_PM_PRESENT) &&
				    (run.entries[i] & VMS_PM_PFN_MASK))
					add_pfn(c, run.entries[i] & VMS_PM_PFN_MASK);
		}
		if (r < 0)
			ret = r;
		else if (vms_pagewalk_finish(walk) == -ESRCH)
			cut = 1;
		vms_pagewalk_close(walk);
	}
	fin = vms_sparse_writer_finish(w);
	if (!ret)
		ret = fin;
	vms_pagemap_close(pm);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	add_file(c, cx_xasprintf("%s/pagemap", dir), NULL, 0, false, fd);
	return cut ? -ESRCH : 0;
}

/*
 * task/TID/syscall of every thread: where each one's stack pointer is, which
 * tells a thread's stack from other anonymous memory (vmmap's kinds).  Only
 * what can be read: it needs the rights of ptrace attach.
 */
static void grab_threads(struct pcap *c, struct vms_proc *p, const char *dir)
{
	struct dirent *de;
	DIR *d;
	int fd = vms_proc_openat(p, "task", O_DIRECTORY);

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		pid_t tid;
		char *name;

		if (vms_parse_pid(de->d_name, &tid) < 0)
			continue;
		name = cx_xasprintf("task/%d/syscall", (int)tid);
		grab(c, p, dir, name, name);
		free(name);
	}
	closedir(d);
}

/*
 * Read process @c->pid: stat first (without it there is no process to
 * speak of), then status and cmdline; for a process with an address space
 * its memory files, exe and the rest.  A process gone before its stat is
 * "vanished"; one gone after is "partial", with what was read kept.
 */
static void capture_proc(struct pcap *c)
{
	static const char *const mem_files[] = { "maps", "smaps", "smaps_rollup" };
	struct vms_proc_info info;
	struct vms_proc *p;
	char *dir, *memdir, *stat_copy, *exe;
	const char *maps = NULL, *v;
	size_t maps_len = 0;
	bool zombie;
	pid_t memtid;
	int ret;

	ret = vms_proc_open(ctx, c->pid, &p);
	if (ret < 0) {
		c->state = ret == -ESRCH || ret == -ENOENT ? P_VANISHED : P_DENIED;
		c->err = ret;
		c->errfile = "stat";
		return;
	}
	dir = cx_xasprintf("proc/%d", (int)c->pid);
	memdir = dir;
	ret = grab(c, p, dir, "stat", "stat");
	if (ret == 0 && last_file(c)->len == 0)
		ret = -ESRCH;
	if (ret < 0) {
		c->state = ret == -ESRCH ? P_VANISHED : P_DENIED;
		c->err = ret;
		c->errfile = "stat";
		free_files(c);
		goto out;
	}
	stat_copy = malloc(last_file(c)->len + 1);
	if (!stat_copy)
		cx_oom();
	memcpy(stat_copy, last_file(c)->data, last_file(c)->len);
	ret = vms_stat_parse(stat_copy, last_file(c)->len, &info);
	free(stat_copy);
	if (ret < 0)
		memset(&info, 0, sizeof(info));
	zombie = info.state == 'Z';

	ret = grab(c, p, dir, "status", "status");
	if (ret < 0)
		goto cut;
	v = status_field(last_file(c), "Uid:");
	if (v) {
		unsigned long real, eff;

		if (sscanf(v, "%lu %lu", &real, &eff) == 2 && eff <= UINT32_MAX) {
			c->uid = (uint32_t)eff;
			c->have_uid = true;
		}
	}
	v = status_field(last_file(c), "Tgid:");
	if (v && c->named && atoi(v) > 0 && atoi(v) != c->pid) {
		/* /proc/TID works too, but a thread is not a process of the snapshot */
		c->tgid = atoi(v);
		c->state = P_DENIED;
		c->err = -EINVAL;
		free_files(c);
		goto out;
	}
	ret = grab(c, p, dir, "cmdline", "cmdline");
	if (ret < 0)
		goto cut;
	/* a kernel thread has no address space: its table entry is all there is */
	if (info.kthread)
		goto out;

	/* a zombie leader whose threads run: the memory is read through one of them */
	memtid = vms_proc_memory_tid(p);
	if (memtid != c->pid) {
		char *tstat = cx_xasprintf("task/%d/stat", (int)memtid);

		memdir = cx_xasprintf("%s/task/%d", dir, (int)memtid);
		ret = grab(c, p, dir, tstat, tstat);
		free(tstat);
		if (ret < 0)
			goto cut;
	}
	if (!zombie || memtid != c->pid) {
		for (size_t i = 0; i < sizeof(mem_files) / sizeof(mem_files[0]); i++) {
			ret = grab(c, p, memdir, mem_files[i], mem_files[i]);
			if (ret == -ESRCH)
				goto cut;
			if (ret < 0) {
				/* all or nothing: they need the same access */
				c->mem_err = ret;
				c->mem_file = mem_files[i];
				break;
			}
			if (i == 0) {
				maps = last_file(c)->data;
				maps_len = last_file(c)->len;
			}
		}
		if (ctl.pages && !c->mem_err) {
			/* @maps is the buffer of a file kept, not moved by more files */
			ret = grab_pagemap(c, p, memdir, maps, maps_len);
			if (ret == -ESRCH)
				goto cut;
			if (ret < 0) {
				c->mem_err = ret;
				c->mem_file = "pagemap";
			}
		}
	}
	if (!c->mem_err && (info.have & VMS_HAVE_THREADS) && info.threads > 1)
		grab_threads(c, p, dir);
	/* a zombie leader has no exe any more (ESRCH too): whether the process is gone
	 * is for the check at the end to say */
	ret = vms_proc_exe(p, &exe);
	if (ret == -ENOMEM)
		cx_oom();
	if (ret == 0)
		add_file(c, cx_xasprintf("%s/exe", dir), exe, strlen(exe), true, -1);
	for (size_t i = 0; i < 3; i++) {
		static const char *const more[] = { "oom_score", "oom_score_adj", "cgroup" };

		ret = grab(c, p, dir, more[i], more[i]);
		if (ret == -ESRCH)
			goto cut;
	}
	ret = vms_proc_memcg(p, &c->memcg, &c->memcg_version);
	if (ret == -ENOMEM)
		cx_oom();
	if (ret < 0)
		c->memcg = NULL;
	/*
	 * A process that exits while a file is read makes the kernel end that
	 * file early, without an error: alive after the last read, every file
	 * was whole.
	 */
	if (!zombie || memtid != c->pid) {
		char *st = memtid == c->pid ? cx_xstrdup("stat") :
					      cx_xasprintf("task/%d/stat", (int)memtid);

		ret = state_of(p, st);
		free(st);
		if (ret < 0 || ret == 'Z' || ret == 'X') {
			c->state = P_PARTIAL;
			c->err = -ESRCH;
			c->errfile = "stat";
		}
	}
	goto out;
cut:
	c->state = P_PARTIAL;
	c->err = ret;
out:
	if (memdir != dir)
		free(memdir);
	free(dir);
	vms_proc_close(p);
}

static void write_proc(struct sink *s, const struct pcap *c)
{
	for (size_t i = 0; i < c->nfiles && !s->err; i++) {
		const struct pfile *f = &c->files[i];

		if (f->link)
			sink_symlink(s, f->rel, f->data);
		else if (f->fd >= 0)
			sink_file_fd(s, f->rel, f->fd);
		else
			sink_file(s, f->rel, f->data, f->len);
	}
}

/* ---- the system files, cgroups, zram, users, frames ---- */

/* Copy @rel of the root, if it can be read: an absent file is absent from the snapshot. */
static int copy_root_file(struct sink *s, const char *rel)
{
	char *data;
	size_t len;
	int ret = read_all(vms_ctx_openat(ctx, rel, 0), &data, &len);

	/* absent because we had no fd left is not absent */
	if (ret == -EMFILE || ret == -ENFILE)
		cx_fd_exhausted(ret);
	if (ret < 0)
		return ret;
	sink_file(s, rel, data, len);
	free(data);
	return 0;
}

static void copy_root_files(struct sink *s, const char *dir, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *rel = cx_xasprintf("%s/%s", dir, names[i]);

		copy_root_file(s, rel);
		free(rel);
	}
}

/*
 * A cgroup path the library would read, and that any snapshot reader can
 * unpack: absolute, no empty, "." or ".." component, no control byte, not a
 * removed cgroup's "... (deleted)".
 */
static bool cgroup_path_ok(const char *p)
{
	size_t len = strlen(p);
	const char *c;

	if (p[0] != '/' || len > 2048)
		return false;
	if (len >= 10 && strcmp(p + len - 10, " (deleted)") == 0)
		return false;
	for (c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	if (len == 1)
		return true;
	for (c = p; c; c = strchr(c + 1, '/')) {
		const char *next = strchr(c + 1, '/');
		size_t cl = next ? (size_t)(next - c - 1) : strlen(c + 1);

		if (cl == 0 || (cl == 1 && c[1] == '.') || (cl == 2 && c[1] == '.' && c[2] == '.'))
			return false;
	}
	return true;
}

/* The memory controller files of the captured processes' cgroups, where lib/swapx.c reads them. */
static void capture_cgroups(struct sink *s, const struct pcap *caps, size_t n)
{
	static const char *const v2[] = { "memory.current",	 "memory.max",	    "memory.high",
					  "memory.swap.current", "memory.swap.max", "memory.events",
					  "memory.stat" };
	static const char *const v1[] = { "memory.usage_in_bytes", "memory.limit_in_bytes",
					  "memory.memsw.usage_in_bytes", "memory.failcnt",
					  "memory.oom_control" };
	struct cx_strmap *seen = cx_strmap_new(1);

	if (!seen)
		cx_oom();
	/* the library's test of v2: the unified mount's controllers list memory */
	copy_root_file(s, "sys/fs/cgroup/cgroup.controllers");
	for (size_t i = 0; i < n && !s->err; i++) {
		const struct pcap *c = &caps[i];
		char *key, *dir;

		if (!c->memcg || !cgroup_path_ok(c->memcg) ||
		    (c->memcg_version != 1 && c->memcg_version != 2))
			continue;
		key = cx_xasprintf("%d%s", c->memcg_version, c->memcg);
		if (cx_strmap_find(seen, key, strlen(key))) {
			free(key);
			continue;
		}
		if (!cx_strmap_get(seen, key, strlen(key)))
			cx_oom();
		free(key);
		dir = cx_xasprintf("sys/fs/cgroup%s%s", c->memcg_version == 1 ? "/memory" : "",
				   strcmp(c->memcg, "/") == 0 ? "" : c->memcg);
		if (c->memcg_version == 2)
			copy_root_files(s, dir, v2, sizeof(v2) / sizeof(v2[0]));
		else
			copy_root_files(s, dir, v1, sizeof(v1) / sizeof(v1[0]));
		free(dir);
	}
	cx_strmap_free(seen);
}

static void capture_zram(struct sink *s)
{
	static const char *const files[] = { "disksize", "comp_algorithm", "mm_stat" };
	struct vms_zrams *z;
	int ret = vms_zram_read(ctx, &z);

	if (ret == -ENOMEM)
		cx_oom();
	if (ret < 0)
		return;
	for (size_t i = 0; i < vms_zram_count(z) && !s->err; i++) {
		char *dir = cx_xasprintf("sys/block/%s", vms_zram_get(z, i)->name);

		copy_root_files(s, dir, files, sizeof(files) / sizeof(files[0]));
		free(dir);
	}
	vms_zram_free(z);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static bool passwd_field_ok(const char *f)
{
	return f && !strpbrk(f, ":\n");
}

/* etc/passwd: the entries of the users seen, from the name service as ps(1) asks it. */
static void capture_passwd(struct sink *s, uint32_t *uids, size_t n)
{
	char *text = NULL, buf[16384];
	size_t len = 0, written = 0;
	FILE *f;

	if (!n)
		return;
	qsort(uids, n, sizeof(*uids), cmp_u32);
	f = open_memstream(&text, &len);
	if (!f)
		cx_oom();
	for (size_t i = 0; i < n; i++) {
		struct passwd pw, *res = NULL;

		if (i && uids[i] == uids[i - 1])
			continue;
		int e = getpwuid_r(uids[i], &pw, buf, sizeof(buf), &res);

		/* a user left out would be shown by uid, silently */
		if (e == ENOMEM)
			cx_oom();
		if (e || !res)
			continue;
		if (!passwd_field_ok(pw.pw_name) || !passwd_field_ok(pw.pw_gecos) ||
		    !passwd_field_ok(pw.pw_dir) || !passwd_field_ok(pw.pw_shell))
			continue;
		fprintf(f, "%s:x:%u:%u:%s:%s:%s\n", pw.pw_name, (unsigned int)pw.pw_uid,
			(unsigned int)pw.pw_gid, pw.pw_gecos, pw.pw_dir, pw.pw_shell);
		written++;
	}
	/* glibc's fclose() of a memory stream says 0 even when its last
	 * allocation failed and the text is lost */
	if (fclose(f) != 0 || (written && (!text || !len)))
		cx_oom();
	if (len)
		sink_file(s, "etc/passwd", text, len);
	free(text);
}

/*
 * kpageflags, kpagecount, kpagecgroup of every frame the captured pagemaps
 * reference, zeroes included (a frame no record holds reads as missing),
 * read in runs of contiguous frames.
 */
static void capture_kpages(struct sink *s, uint64_t *pfns, size_t n)
{
	static const struct {
		enum vms_kpage_file which;
		unsigned int cap;
		const char *rel;
	} files[] = {
		{ VMS_KPAGE_FLAGS, VMS_CAP_KPAGEFLAGS, "proc/kpageflags" },
		{ VMS_KPAGE_COUNT, VMS_CAP_KPAGECOUNT, "proc/kpagecount" },
		{ VMS_KPAGE_CGROUP, VMS_CAP_KPAGECGROUP, "proc/kpagecgroup" },
	};
	enum { CHUNK = 8192 };
	uint64_t *vals = malloc(CHUNK * sizeof(*vals));
	struct vms_kpage *k;
	size_t m = 0;

	if (!vals || vms_kpage_open(ctx, &k) < 0)
		cx_oom();
	qsort(pfns, n, sizeof(*pfns), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (!m || pfns[i] != pfns[m - 1])
			pfns[m++] = pfns[i];
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]) && m && !s->err; f++) {
		struct vms_sparse_writer *w;
		int fd, ret;

		if (!(vms_ctx_caps(ctx) & files[f].cap))
			continue;
		fd = memfd_or_die(files[f].rel + 5);
		ret = vms_sparse_writer_new(fd, &w);
		for (size_t i = 0; i < m && ret == 0;) {
			size_t run = 1;
			ssize_t got;

			while (i + run < m && run < CHUNK && pfns[i + run] == pfns[i] + run)
				run++;
			got = vms_kpage_read(k, files[f].which, pfns[i], run, vals);
			if (got < 0) {
				ret = (int)got;
				break;
			}
			if (got > 0)
				ret = vms_sparse_writer_add(w, pfns[i], vals, (size_t)got);
			i += run;
		}
		if (ret == 0)
			ret = vms_sparse_writer_finish(w);
		else
			vms_sparse_writer_finish(w);
		if (ret == 0)
			sink_file_fd(s, files[f].rel, fd);
		else
			cx_warn("cannot read /%s: %s: left out of the snapshot", files[f].rel,
				strerror(-ret));
		close(fd);
	}
	vms_kpage_close(k);
	free(vals);
}

/* "2026-11-21T10:51:12Z": the real time, whatever SOURCE_DATE_EPOCH says. */
static void rfc3339(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * At most this many PIDs in each list: the description must stay below the
 * 64 KiB the reader takes (100,000 PIDs named that all vanished made a
 * snapshot no command could open: hazard A6).
 */
#define PID_LIST_MAX 2000

/* Append " PID,PID..." of the processes in state @st to @f, then ",+N" for the N
 * more past PID_LIST_MAX; false when there are none. */
static bool pid_list(FILE *f, const char *key, const struct pcap *caps, size_t n, enum pstate st)
{
	size_t shown = 0, more = 0;

	for (size_t i = 0; i < n; i++) {
		if (caps[i].state != st)
			continue;
		if (shown == PID_LIST_MAX) {
			more++;
			continue;
		}
		fprintf(f, "%s%d", shown ? "," : key, (int)caps[i].pid);
		shown++;
	}
	if (more)
		fprintf(f, ",+%zu", more);
	if (shown)
		fputc('\n', f);
	return shown > 0;
}

static void write_description(struct sink *s, time_t when, const struct pcap *caps, size_t n)
{
	char *text = NULL, t[64], host[256] = "unknown";
	struct utsname u;
	size_t len = 0, captured = 0;
	uint64_t zero_pfn;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		cx_oom();
	if (uname(&u) < 0)
		strcpy(u.release, "unknown");
	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0] || strchr(host, '\n'))
		strcpy(host, "unknown");
	rfc3339(when, t, sizeof(t));
	for (size_t i = 0; i < n; i++)
		if (caps[i].state == P_OK || caps[i].state == P_PARTIAL)
			captured++;
	fprintf(f, "format 1\nkernel %s\npage_size %lu\ntime %s\nhost %s\nprivileged %d\n",
		u.release, vms_ctx_page_size(ctx), t, host,
		(vms_ctx_caps(ctx) & VMS_CAP_PFN) ? 1 : 0);
	if (ctl.pages && vms_ctx_zero_pfn(ctx, &zero_pfn) == 0)
		fprintf(f, "zero_pfn %#" PRIx64 "\n", zero_pfn);
	fprintf(f, "captured %zu\n", captured);
	pid_list(f, "vanished ", caps, n, P_VANISHED);
	pid_list(f, "partial ", caps, n, P_PARTIAL);
	pid_list(f, "denied ", caps, n, P_DENIED);
	fprintf(f, "tool vmsnap %s\n", VMSCOPE_VERSION);
	/* as in capture_passwd(): a lost text is said by no return value */
	if (fclose(f) != 0 || !text || !len)
		cx_oom();
	sink_file(s, DESCRIPTION, text, len);
	free(text);
}

/* ---- reporting ---- */

#define PROCS(n) (n), (n) == 1 ? "process" : "processes"

/* One line per PID named, a count per reason for the others.  True when a named one is short. */
static bool report(const struct pcap *caps, size_t n)
{
	size_t vanished = 0, denied = 0, partial = 0, nomem[3] = { 0 };
	bool short_named = false;

	for (size_t i = 0; i < n; i++) {
		const struct pcap *c = &caps[i];

		if (c->named) {
			if (c->state == P_DENIED && c->tgid) {
				cx_warn("pid %d is a thread of process %d: name the process",
					(int)c->pid, (int)c->tgid);
			} else if (c->state == P_VANISHED || c->state == P_DENIED) {
				cx_proc_error(c->pid, c->errfile, c->err);
			} else if (c->state == P_PARTIAL) {
				cx_warn("pid %d: exited while being captured: its files may be incomplete",
					(int)c->pid);
			} else if (c->mem_err) {
				cx_proc_error(c->pid, c->mem_file, c->mem_err);
			} else {
				continue;
			}
			short_named = true;
			continue;
		}
		if (c->state == P_VANISHED)
			vanished++;
		else if (c->state == P_DENIED)
			denied++;
		else if (c->state == P_PARTIAL)
			partial++;
		else if (c->mem_err == -EACCES)
			nomem[0]++;
		else if (c->mem_err == -EPERM)
			nomem[1]++;
		else if (c->mem_err)
			nomem[2]++;
	}
	if (nomem[0])
		cx_warn("%zu %s captured without their memory files: permission denied "
			"(needs the same user or CAP_SYS_PTRACE)",
			PROCS(nomem[0]));
	if (nomem[1])
		cx_warn("%zu %s captured without their memory files: operation not permitted "
			"(procfs hidepid?)",
			PROCS(nomem[1]));
	if (nomem[2])
		cx_warn("%zu %s captured without their memory files: read error", PROCS(nomem[2]));
	if (vanished)
		cx_warn("%zu %s vanished before they could be read (\"vanished\" in %s)",
			PROCS(vanished), DESCRIPTION);
	if (partial)
		cx_warn("%zu %s exited while being captured: their files may be incomplete "
			"(\"partial\" in %s)",
			PROCS(partial), DESCRIPTION);
	if (denied)
		cx_warn("%zu %s not readable at all: left out (\"denied\" in %s)", PROCS(denied),
			DESCRIPTION);
	return short_named;
}

static bool show_progress;

static void progress(size_t done, size_t total)
{
	if (!show_progress)
		return;
	if (done == SIZE_MAX)
		fprintf(stderr, "\r%*s\r", 60, "");
	else
		fprintf(stderr, "\r%s: %zu of %zu processes", cx_prog, done, total);
	fflush(stderr);
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Killed while writing: remove the temporary, then die of the same signal. */
static void stop_now(struct sink *s)
{
	int sig = stop_signal;

	progress(SIZE_MAX, 0);
	sink_close(s, false);
	signal(sig, SIG_DFL);
	raise(sig);
	exit(CX_EXIT_FAILURE);
}

/* ---- the capture ---- */

static int capture(void)
{
	struct sink s;
	struct pcap *caps;
	pid_t *all = NULL;
	size_t n, nuids = 0, npfns = 0;
	uint32_t *uids;
	uint64_t *pfns = NULL;
	time_t now = time(NULL);
	bool short_named;
	int ret;

	ret = vms_ctx_new(NULL, 0, &ctx);
	if (ret < 0) {
		cx_warn("cannot open /proc: %s", strerror(-ret));
		return CX_EXIT_FAILURE;
	}
	if (ctl.npids) {
		n = ctl.npids;
	} else {
		ret = vms_pids_read(ctx, &all, &n);
		if (ret < 0) {
			cx_warn("cannot list the processes: %s", strerror(-ret));
			return CX_EXIT_FAILURE;
		}
	}
	caps = calloc(n + 1, sizeof(*caps));
	uids = calloc(n + 1, sizeof(*uids));
	if (!caps || !uids)
		cx_oom();
	for (size_t i = 0; i < n; i++) {
		caps[i].pid = ctl.npids ? ctl.pids[i] : all[i];
		caps[i].named = ctl.npids;
	}
	free(all);

	{
		/*
		 * glibc aborts when it cannot allocate the name service's set-up
		 * (capture_passwd): have that happen, if at all, before there is
		 * a temporary file to leave behind.
		 */
		struct passwd pw, *res;
		char pwbuf[4096];

		if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) == ENOMEM)
			cx_oom();
	}
	if (!sink_open(&s, ctl.out, ctl.force, now)) {
		free(caps);
		free(uids);
		vms_ctx_unref(ctx);
		return CX_EXIT_FAILURE;
	}
	show_progress = !ctl.quiet && isatty(STDERR_FILENO);
	copy_root_file(&s, "proc/meminfo");
	copy_root_file(&s, "proc/vmstat");
	copy_root_file(&s, "proc/swaps");
	copy_root_file(&s, "proc/uptime");
	/*
	 * One process at a time, written as soon as read: reading them on
	 * several threads was measured not to pay (the kernel's work of making
	 * the files dominates, and it contends), and this holds one process's
	 * files in memory at most.
	 */
	for (size_t i = 0; i < n && !s.err; i++) {
		struct pcap *c = &caps[i];

		capture_proc(c);
		/* not the process's fault: now, while the temporary can still go */
		if (c->err == -ENOMEM || c->mem_err == -ENOMEM)
			cx_oom();
		if (c->err == -EMFILE || c->err == -ENFILE)
			cx_fd_exhausted(c->err);
		if (c->mem_err == -EMFILE || c->mem_err == -ENFILE)
			cx_fd_exhausted(c->mem_err);
		if (c->state == P_OK || c->state == P_PARTIAL) {
			write_proc(&s, c);
			if (c->have_uid)
				uids[nuids++] = c->uid;
			if (c->npfns) {
				pfns = realloc(pfns, (npfns + c->npfns) * sizeof(*pfns));
				if (!pfns)
					cx_oom();
				memcpy(pfns + npfns, c->pfns, c->npfns * sizeof(*pfns));
				npfns += c->npfns;
			}
		}
		free_files(c);
		if (i % 16 == 15 || i + 1 == n)
			progress(i + 1, n);
		if (stop_signal)
			stop_now(&s);
	}
	capture_cgroups(&s, caps, n);
	capture_zram(&s);
	capture_passwd(&s, uids, nuids);
	if (ctl.pages && npfns)
		capture_kpages(&s, pfns, npfns);
	write_description(&s, now, caps, n);
	if (s.ar && (s.entries > 1000000 || s.bytes > (UINT64_C(4) << 30)))
		cx_warn("%s: %" PRIu64 " entries, %" PRIu64 " MiB: more than the vmscope commands "
			"unpack (1,000,000 entries, 4096 MiB); capture to a directory (-o DIR/)",
			ctl.out, s.entries, s.bytes >> 20);
	progress(SIZE_MAX, 0);
	if (stop_signal)
		stop_now(&s);
	ret = sink_close(&s, true);
	/* what was captured is worth saying only of a snapshot written */
	short_named = ret == 0 && report(caps, n);
	for (size_t i = 0; i < n; i++)
		free(caps[i].memcg);
	free(caps);
	free(uids);
	free(pfns);
	vms_ctx_unref(ctx);
	if (ret < 0)
		return CX_EXIT_FAILURE;
	return short_named ? CX_EXIT_PARTIAL : CX_EXIT_OK;
}

int main(int argc, char **argv)
{
	enum { OPT_FORCE = 0x100, OPT_PAGES };
	static const struct option longopts[] = {
		{ "output-file", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "pages", no_argument, NULL, OPT_PAGES },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	int c;

	cx_init("vmsnap");
	if (argc > 1 && strcmp(argv[1], "diff") == 0)
		return vmsnap_diff_main(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "o:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!*optarg)
				cx_usage_error("--output-file needs a name");
			ctl.out = optarg;
			break;
		case OPT_FORCE:
			ctl.force = true;
			break;
		case OPT_PAGES:
			ctl.pages = true;
			break;
		case 'q':
			ctl.quiet = true;
			break;
		case 'h':
			vmsnap_usage();
		case 'V':
			cx_version();
		default:
			cx_bad_option();
		}
	}
	for (int i = optind; i < argc; i++)
		ctl.npids = cx_parse_pid_list(argv[i], &ctl.pids, ctl.npids);
	if (!ctl.out)
		cx_usage_error("where to? -o FILE.tar.zst (an archive) or -o DIR/ (a directory)");
	if (strcmp(ctl.out, "-") == 0)
		cx_usage_error(
			"a snapshot is not written to stdout: give a file or directory name");
	/* what is written is 0600 and 0700 whatever the umask was */
	umask(077);
	/* out of memory or another exit on the way: no temporary left behind */
	atexit(cx_outfile_abort_all);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	c = capture();
	free(ctl.pids);
	if (cx_close_stdout() && c == CX_EXIT_OK)
		c = CX_EXIT_FAILURE;
	return c;
}
