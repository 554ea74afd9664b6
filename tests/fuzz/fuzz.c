// SPDX-License-Identifier: GPL-2.0-or-later
/* tests/fuzz: scratch files, the caught exit(), chunked reads and argv building of the targets. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vmscope/vmscope.h>

#include "fuzz.h"

/* The wrapped functions (-Wl,--wrap=NAME): ours replace them, __real_NAME is the original. */
struct vms_ctx;
struct cx_outfile;
ssize_t __real_read(int fd, void *buf, size_t len);
ssize_t __wrap_read(int fd, void *buf, size_t len);
_Noreturn void __real_exit(int status);
_Noreturn void __wrap_exit(int status);
struct vms_ctx *__real_cx_ctx_open(const char *root, unsigned int flags);
struct vms_ctx *__wrap_cx_ctx_open(const char *root, unsigned int flags);
struct cx_outfile *__real_cx_outfile_open(const char *path, unsigned int flags, const char *marker);
struct cx_outfile *__wrap_cx_outfile_open(const char *path, unsigned int flags, const char *marker);

int fuzz_read_fd = -1;
size_t fuzz_read_chunk;
unsigned long fuzz_read_calls;
jmp_buf *fuzz_catch;

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: property broken: %s\n", file, line, what);
	abort();
}

ssize_t __wrap_read(int fd, void *buf, size_t len)
{
	if (fd >= 0 && fd == fuzz_read_fd) {
		__atomic_fetch_add(&fuzz_read_calls, 1, __ATOMIC_RELAXED);
		if (fuzz_read_chunk && len > fuzz_read_chunk)
			len = fuzz_read_chunk;
	}
	return __real_read(fd, buf, len);
}

void __wrap_exit(int status)
{
	if (fuzz_catch)
		longjmp(*fuzz_catch, FUZZ_EXITED | (status & 0xff));
	__real_exit(status);
}

/* Past the options a command opens its root and reads /proc: the target stops there. */
struct vms_ctx *__wrap_cx_ctx_open(const char *root, unsigned int flags)
{
	if (fuzz_catch)
		longjmp(*fuzz_catch, FUZZ_STOPPED);
	return __real_cx_ctx_open(root, flags);
}

/* ... or creates its output file (vmsnap), which a fuzzer must not. */
struct cx_outfile *__wrap_cx_outfile_open(const char *path, unsigned int flags, const char *marker)
{
	if (fuzz_catch)
		longjmp(*fuzz_catch, FUZZ_STOPPED);
	return __real_cx_outfile_open(path, flags, marker);
}

int fuzz_memfd(const void *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0) {
		perror("memfd_create");
		abort();
	}
	while (done < size) {
		ssize_t n = write(fd, (const char *)data + done, size - done);

		if (n <= 0) {
			perror("write to memfd");
			abort();
		}
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

static char workdir[4096];
static pid_t workdir_owner;

/* Remove everything below directory @fd (closed), never following a symlink. */
static void empty_dir(int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;

	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d))) {
		int sub;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, e->d_name, 0) == 0)
			continue;
		sub = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			empty_dir(sub);
		unlinkat(fd, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static void remove_workdir(void)
{
	int fd;

	/* a forked child leaves its parent's directory alone */
	if (!workdir[0] || getpid() != workdir_owner)
		return;
	fd = open(workdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		empty_dir(fd);
	rmdir(workdir);
}

const char *fuzz_workdir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (workdir[0])
		return workdir;
	snprintf(workdir, sizeof(workdir), "%s/vmscope-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(workdir)) {
		perror("mkdtemp");
		abort();
	}
	workdir_owner = getpid();
	atexit(remove_workdir);
	return workdir;
}

int fuzz_fresh_dir(const char *name)
{
	int top = open(fuzz_workdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	if (top < 0)
		abort();
	fd = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		empty_dir(fd);
	else if (mkdirat(top, name, 0700) < 0)
		abort();
	fd = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(top);
	if (fd < 0)
		abort();
	return fd;
}

int fuzz_write_file(int dirfd, const char *rel, const void *data, size_t size)
{
	char path[4096];
	size_t done = 0;
	int fd;

	if (strlen(rel) >= sizeof(path))
		return -ENAMETOOLONG;
	strcpy(path, rel);
	/* the parents first */
	for (char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(dirfd, path, 0700) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (done < size) {
		ssize_t n = write(fd, (const char *)data + done, size - done);

		if (n <= 0) {
			close(fd);
			return n < 0 ? -errno : -EIO;
		}
		done += (size_t)n;
	}
	close(fd);
	return 0;
}

void fuzz_quiet(void)
{
	static bool done;
	FILE *null;

	if (done)
		return;
	done = true;
	null = fopen("/dev/null", "we");
	if (!null)
		return;
	stdout = null;
	stderr = null;
}

char **fuzz_argv(const char *argv0, const uint8_t *data, size_t size, int max, int *argc)
{
	int n = 1;
	char **argv;
	size_t at = 0;

	/* arguments, then the NULL, then the same pointers again for fuzz_argv_free() (getopt
	 * permutes the first ones), then a NULL */
	argv = calloc(2 * (size_t)max + 2, sizeof(*argv));
	if (!argv)
		abort();
	argv[0] = strdup(argv0);
	while (at < size && n < max) {
		const uint8_t *nul = memchr(data + at, 0, size - at);
		size_t len = nul ? (size_t)(nul - (data + at)) : size - at;

		argv[n] = malloc(len + 1);
		if (!argv[n])
			abort();
		memcpy(argv[n], data + at, len);
		argv[n][len] = '\0';
		n++;
		at += len + 1;
	}
	for (int i = 0; i < n; i++)
		argv[n + 1 + i] = argv[i];
	*argc = n;
	return argv;
}

void fuzz_argv_free(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	for (int i = n + 1; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

uint64_t fuzz_hash(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned char b[64];

	/* through a copy: the static analyser cannot follow a wider field's bytes one by one */
	while (len) {
		size_t n = len < sizeof(b) ? len : sizeof(b);

		memcpy(b, p, n);
		for (size_t i = 0; i < n; i++) {
			h ^= b[i];
			h *= UINT64_C(0x100000001b3);
		}
		p += n;
		len -= n;
	}
	return h;
}

uint64_t fuzz_maps_digest(const uint8_t *data, size_t size, unsigned int flags, size_t chunk,
			  size_t *n, size_t *bad, unsigned long *reads)
{
	const struct vms_mapping *m;
	struct vms_maps *it;
	uint64_t h = FUZZ_HASH_INIT;
	int fd = fuzz_memfd(data, size), ret;

	*n = 0;
	fuzz_read_fd = fd;
	fuzz_read_chunk = chunk;
	fuzz_read_calls = 0;
	FUZZ_CHECK(vms_maps_open_fd(fd, flags, &it) == 0);
	while ((ret = vms_maps_next(it, &m)) == 1) {
		uint64_t f[6] = {
			m->start, m->end, m->offset, m->inode, m->dev_major, m->dev_minor
		};

		FUZZ_CHECK(m->start <= m->end);
		FUZZ_CHECK(strlen(m->perms) == 4);
		FUZZ_CHECK(m->name_len == 0 || m->name[0] != ' ');
		h = fuzz_hash(h, f, sizeof(f));
		h = fuzz_hash(h, m->perms, 4);
		h = fuzz_hash(h, &m->name_len, sizeof(m->name_len));
		h = fuzz_hash(h, m->name, m->name_len);
		h = fuzz_hash(h, &m->name_says_deleted, 1);
		if (m->vm_flags)
			h = fuzz_hash(h, m->vm_flags, strlen(m->vm_flags) + 1);
		if (m->counters) {
			size_t nc = vms_counters_count(m->counters);

			h = fuzz_hash(h, &nc, sizeof(nc));
			for (size_t i = 0; i < nc; i++) {
				const char *name;
				uint64_t v, got;
				bool kb;

				FUZZ_CHECK(vms_counters_at(m->counters, i, &name, &v, &kb) == 0);
				h = fuzz_hash(h, name, strlen(name) + 1);
				h = fuzz_hash(h, &v, sizeof(v));
				h = fuzz_hash(h, &kb, 1);
				/* a key read is found again by its name (a NUL in the line can
				 * cut the name short: then it may not be) */
				ret = vms_counters_find(m->counters, name, &got);
				FUZZ_CHECK(ret == 0 || ret == -EOVERFLOW || ret == -ENOENT);
			}
			FUZZ_CHECK(vms_counters_at(m->counters, nc, NULL, NULL, NULL) == -ERANGE);
		}
		(*n)++;
	}
	FUZZ_CHECK(ret == 0);
	FUZZ_CHECK(vms_maps_finish(it) == 0);
	*bad = vms_maps_bad_lines(it);
	vms_maps_close(it);
	*reads = fuzz_read_calls;
	fuzz_read_fd = -1;
	fuzz_read_chunk = 0;
	close(fd);
	return h;
}

struct vms_ctx *fuzz_root(int *dirfd)
{
	static const struct {
		const char *path, *text;
	} files[] = {
		{ "vmscope-snapshot", "format 1\nkernel 6.1.0\npage_size 4096\n"
				      "time 2026-01-01T00:00:00Z\nprivileged 1\nhost fuzz\n" },
		{ "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n" },
		{ "proc/1/stat", "1 (init) S 0 1 1 0 -1 4194560 500 900 10 2 5 6 7 8 20 0 1 0 "
				 "12 172032000 2500 18446744073709551615 1 1 0 0 0 0 0 4096 "
				 "536962595 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n" },
		{ "proc/1/status", "Name:\tinit\nUid:\t0\t0\t0\t0\nThreads:\t1\n" },
		{ "proc/1/cmdline", "/sbin/init\0splash\0" },
		{ "proc/1/smaps_rollup", "00400000-7fff0000 ---p 00000000 00:00 0 [rollup]\n"
					 "Rss: 100 kB\nPss: 50 kB\n" },
		{ "proc/meminfo", "MemTotal: 1000 kB\n" },
		{ "proc/vmstat", "pgfault 1\n" },
		{ "proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n" },
	};
	static struct vms_ctx *ctx;
	static int fd = -1;
	char path[4200];

	if (!ctx) {
		fd = fuzz_fresh_dir("root");
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			/* cmdline holds NULs: its length is that of the literal */
			size_t len = strcmp(files[i].path, "proc/1/cmdline") == 0 ?
					     sizeof("/sbin/init\0splash") :
					     strlen(files[i].text);

			if (fuzz_write_file(fd, files[i].path, files[i].text, len) < 0)
				abort();
		}
		snprintf(path, sizeof(path), "%s/root", fuzz_workdir());
		if (vms_ctx_new(path, VMS_CTX_NO_LIBPROC2, &ctx) < 0)
			abort();
	}
	*dirfd = fd;
	return ctx;
}

/* A few pages of each of the first mappings: the pagemap read and walked, their frames. */
static void walk_pages(struct vms_ctx *ctx, struct vms_proc *p, const uint64_t *ranges, size_t n)
{
	unsigned long ps = vms_ctx_page_size(ctx);
	struct vms_pagemap *pm;
	uint64_t ent[64], pfns[64 * 8];
	size_t npfns = 0;
	struct vms_kpage *k;

	if (vms_pagemap_open(p, &pm) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		uint64_t start = ranges[2 * i], end = ranges[2 * i + 1], at;
		struct vms_page_run run;
		struct vms_pagewalk *w;
		ssize_t got;
		int ret;

		if (start % ps || end % ps)
			continue;
		if (end - start > 256 * (uint64_t)ps)
			end = start + 256 * (uint64_t)ps;
		/* a snapshot's extract reads every entry; a tree read as live files (no
		 * description) may end early, as an exited process's pagemap does */
		got = vms_pagemap_read(pm, start, 64, ent);
		FUZZ_CHECK(got == 64 || (vms_ctx_is_live(ctx) && got >= 0 && got < 64) || got < 0);
		for (ssize_t j = 0; j < got && npfns < sizeof(pfns) / 8; j++)
			if (ent[j] & VMS_PM_PRESENT)
				pfns[npfns++] = ent[j] & VMS_PM_PFN_MASK;
		if (vms_pagewalk_open(pm, start, end, i & 1 ? VMS_WALK_ENTRIES : 0, &w) < 0)
			continue;
		at = start;
		while ((ret = vms_pagewalk_next(w, &run)) == 1) {
			FUZZ_CHECK(run.start == at && run.end > run.start && run.end <= end);
			FUZZ_CHECK(!(run.flags & ~vms_pagewalk_known(w)));
			at = run.end;
		}
		FUZZ_CHECK(ret == 0 ? at == end : ret < 0);
		vms_pagewalk_close(w);
	}
	vms_pagemap_close(pm);
	if (vms_kpage_open(ctx, &k) == 0) {
		uint64_t out[64 * 8];
		size_t missing;

		for (int f = 0; f < VMS_KPAGE__COUNT; f++) {
			int ret = vms_kpage_lookup(k, f, pfns, npfns, out, &missing);

			FUZZ_CHECK(ret < 0 || missing <= npfns);
		}
		vms_kpage_close(k);
	}
}

static void walk_proc(struct vms_ctx *ctx, pid_t pid)
{
	const struct vms_mapping *m;
	struct vms_thread_sp *sps;
	struct vms_proc_info info;
	struct vms_counters *c;
	struct vms_maps *it;
	struct vms_proc *p;
	uint64_t ranges[2 * 16];
	size_t nsps, nr = 0, nm = 0;
	char *s;
	int version;

	if (vms_proc_open(ctx, pid, &p) < 0)
		return;
	if (vms_proc_info_read(p, ~0u, &info) == 0)
		FUZZ_CHECK(info.comm && info.pid > 0);
	vms_proc_state(p);
	vms_proc_memory_tid(p);
	if (vms_proc_rollup(p, &c) == 0)
		vms_counters_free(c);
	if (vms_proc_exe(p, &s) == 0)
		free(s);
	if (vms_proc_thread_sps(p, &sps, &nsps) == 0)
		free(sps);
	if (vms_proc_memcg(p, &s, &version) == 0) {
		struct vms_cgmem cg;

		vms_cgmem_read(ctx, s, version, &cg);
		free(s);
	}
	for (unsigned int flags = 0; flags <= VMS_MAPS_SMAPS; flags += VMS_MAPS_SMAPS) {
		if (vms_maps_open(p, flags, &it) < 0)
			continue;
		while (nm < 512 && vms_maps_next(it, &m) == 1) {
			FUZZ_CHECK((unsigned int)vms_mapping_kind(m, NULL) < VMS_KIND__COUNT);
			if (flags && nr < 16) {
				ranges[2 * nr] = m->start;
				ranges[2 * nr + 1] = m->end;
				nr++;
			}
			nm++;
		}
		vms_maps_finish(it);
		vms_maps_close(it);
	}
	walk_pages(ctx, p, ranges, nr);
	vms_proc_close(p);
}

void fuzz_walk_ctx(struct vms_ctx *ctx)
{
	static const char *const keys[] = { "format",	  "kernel", "page_size", "time",
					    "privileged", "host",   "zero_pfn" };
	struct vms_counters *c;
	struct vms_swaps *sw;
	struct vms_zrams *z;
	struct vms_ptable *t;
	struct vms_sampler *s;
	struct vms_cgmem cg;
	pid_t *pids;
	size_t n;
	uint64_t zp;

	FUZZ_CHECK(vms_ctx_page_size(ctx) >= 512);
	for (unsigned int cap = 1; cap <= VMS_CAP_SCAN_GUARD; cap <<= 1)
		FUZZ_CHECK((vms_ctx_caps(ctx) & cap) ? !vms_ctx_cap_reason(ctx, cap) :
						       vms_ctx_cap_reason(ctx, cap) != NULL);
	vms_ctx_zero_pfn(ctx, &zp);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		vms_ctx_snapshot_info(ctx, keys[i]);
	if (vms_meminfo_read(ctx, &c) == 0)
		vms_counters_free(c);
	if (vms_vmstat_read(ctx, &c) == 0)
		vms_counters_free(c);
	if (vms_swaps_read(ctx, &sw) == 0)
		vms_swaps_free(sw);
	if (vms_zram_read(ctx, &z) == 0)
		vms_zram_free(z);
	vms_cgmem_read(ctx, "/", 2, &cg);
	vms_cgmem_read(ctx, "/", 1, &cg);
	vms_perf_refusal(ctx, -EACCES);
	if (vms_ptable_read(ctx, ~0u, &t) == 0) {
		for (size_t i = 0; i < vms_ptable_count(t); i++)
			FUZZ_CHECK(vms_ptable_get(t, i)->comm);
		vms_ptable_free(t);
	}
	if (vms_pids_read(ctx, &pids, &n) == 0) {
		for (size_t i = 0; i < n && i < 8; i++)
			walk_proc(ctx, pids[i]);
		free(pids);
	}
	if (vms_sampler_new(ctx, VMS_SAMPLER_THREADS, &s) == 0) {
		vms_sampler_sample(s, NULL);
		for (size_t i = 0; i < vms_sampler_count(s); i++)
			FUZZ_CHECK(vms_sampler_row(s, i)->comm);
		vms_sampler_free(s);
	}
}

int fuzz_run_main(int (*fn)(int argc, char **argv), const char *argv0, const uint8_t *data,
		  size_t size, void (*after)(int code))
{
	static jmp_buf jb;
	static char **argv;
	static int code;
	int argc;

	fuzz_quiet();
	argv = fuzz_argv(argv0, data, size, 64, &argc);
	/* 0: GNU getopt starts over, permutation state and all */
	optind = 0;
	opterr = 1;
	fuzz_catch = &jb;
	code = setjmp(jb);
	if (code == 0)
		code = fn(argc, argv);
	fuzz_catch = NULL;
	if (after)
		after(code);
	fuzz_argv_free(argv);
	return code;
}
