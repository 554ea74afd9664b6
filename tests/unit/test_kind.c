// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of what a mapping is for (vms_mapping_kind), the thread stack pointers,
 * the executable link, and the read-ahead smaps reader. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"

static struct vms_mapping mk(const char *perms, const char *name, const char *flags)
{
	struct vms_mapping m;
	size_t n = strlen(name);

	memset(&m, 0, sizeof(m));
	m.start = 0x7f0000000000;
	m.end = 0x7f0000002000;
	memcpy(m.perms, perms, 4);
	m.name = name;
	m.name_len = n;
	m.name_says_deleted = n >= 10 && strcmp(name + n - 10, " (deleted)") == 0;
	m.vm_flags = flags;
	return m;
}

static const char *kind_of(const char *perms, const char *name, const struct vms_kind_hints *h)
{
	struct vms_mapping m = mk(perms, name, "rd mr mw me");

	return vms_kind_name(vms_mapping_kind(&m, h));
}

static void kind_names_round_trip(void **state)
{
	(void)state;
	for (int k = 0; k < VMS_KIND__COUNT; k++) {
		const char *n = vms_kind_name(k);

		if (!n)
			fail_msg("kind %d has no name", k);
		expect_ret(vms_kind_lookup(n), k);
	}
	if (vms_kind_name(VMS_KIND__COUNT) || vms_kind_name((enum vms_kind) - 1))
		fail_msg("a kind out of range has a name");
	expect_ret(vms_kind_lookup("nonsense"), -ENOENT);
	expect_ret(vms_kind_lookup(NULL), -ENOENT);
}

static void kind_pseudo_names(void **state)
{
	(void)state;
	expect_str(kind_of("rw-p", "[heap]", NULL), "heap");
	expect_str(kind_of("rw-p", "[stack]", NULL), "stack");
	expect_str(kind_of("r-xp", "[vdso]", NULL), "vdso");
	expect_str(kind_of("r--p", "[vvar]", NULL), "vvar");
	expect_str(kind_of("r--p", "[vvar_vclock]", NULL), "vvar");
	expect_str(kind_of("--xp", "[vsyscall]", NULL), "vsyscall");
	expect_str(kind_of("rw-s", "[anon_shmem:ring]", NULL), "shared-anon");
	expect_str(kind_of("rw-p", "[anon:my arena]", NULL), "anon");
	/* unknown pseudo-names are kept, not guessed at */
	expect_str(kind_of("r-xp", "[uprobes]", NULL), "pseudo");
	expect_str(kind_of("rw-p", "[heap", NULL), "pseudo");
	expect_str(kind_of("rw-p", "[heap] ", NULL), "pseudo");
	expect_str(kind_of("rw-p", "[stack:1234]", NULL), "pseudo");
}

static void kind_anonymous(void **state)
{
	struct vms_kind_hints follows = { .follows_code_object = true, .deleted = -1 };
	struct vms_kind_hints thread = { .thread_stack = true, .deleted = -1 };

	(void)state;
	expect_str(kind_of("rw-p", "", NULL), "anon");
	expect_str(kind_of("rw-s", "", NULL), "shared-anon");
	expect_str(kind_of("---p", "", NULL), "guard");
	expect_str(kind_of("---p", "", &thread), "guard");
	expect_str(kind_of("rw-p", "", &follows), "bss");
	/* a read-only anonymous mapping after a code object is not its bss */
	expect_str(kind_of("r--p", "", &follows), "anon");
	expect_str(kind_of("rw-p", "", &thread), "thread-stack");
	/* the thread's stack wins over a neighbouring code object */
	follows.thread_stack = true;
	expect_str(kind_of("rw-p", "", &follows), "thread-stack");
}

static void kind_special_files(void **state)
{
	(void)state;
	expect_str(kind_of("rw-s", "/dev/zero (deleted)", NULL), "shared-anon");
	/* a private /dev/zero mapping is just a deleted name: the kernel never prints it so */
	expect_str(kind_of("rw-p", "/dev/zero (deleted)", NULL), "deleted");
	expect_str(kind_of("rw-s", "/SYSV0000abcd (deleted)", NULL), "sysv-shm");
	expect_str(kind_of("rw-s", "/SYSV0000abcd", NULL), "file");
	expect_str(kind_of("rw-s", "/SYSV0000abcg (deleted)", NULL), "deleted");
	expect_str(kind_of("rw-s", "/SYSV0000ABCD (deleted)", NULL), "deleted");
	expect_str(kind_of("rw-s", "/SYSV0000abc (deleted)", NULL), "deleted");
	expect_str(kind_of("rw-s", "/memfd:jit (deleted)", NULL), "memfd");
	expect_str(kind_of("r-xp", "/memfd:jit (deleted)", NULL), "memfd");
	expect_str(kind_of("rw-s", "/dev/shm/seg", NULL), "shmem");
	expect_str(kind_of("r--p", "/dev/shm/seg", NULL), "file");
	{
		struct vms_mapping m = mk("rw-s", "/anon_hugepage (deleted)", "rd wr sh ht");

		expect_str(vms_kind_name(vms_mapping_kind(&m, NULL)), "hugetlb");
		m.vm_flags = "rd wr sh hg"; /* "hg" is MADV_HUGEPAGE, not hugetlb */
		expect_str(vms_kind_name(vms_mapping_kind(&m, NULL)), "deleted");
		m.vm_flags = "rd wr shtt";
		expect_str(vms_kind_name(vms_mapping_kind(&m, NULL)), "deleted");
	}
}

static void kind_deleted_is_what_the_caller_found(void **state)
{
	struct vms_kind_hints gone = { .deleted = 1 }, there = { .deleted = 0 },
			      unknown = { .deleted = -1 };

	(void)state;
	/* a file really called "x (deleted)" that still exists */
	expect_str(kind_of("r--p", "/tmp/x (deleted)", &there), "file");
	expect_str(kind_of("r--p", "/tmp/x (deleted)", &gone), "deleted");
	/* unknown (a snapshot): the name is all there is */
	expect_str(kind_of("r--p", "/tmp/x (deleted)", &unknown), "deleted");
	expect_str(kind_of("r--p", "/tmp/x (deleted)", NULL), "deleted");
	expect_str(kind_of("r--p", "/tmp/x", &unknown), "file");
}

static void kind_code_objects(void **state)
{
	struct vms_kind_hints code = { .code_object = true, .deleted = -1 };

	(void)state;
	expect_str(kind_of("r-xp", "/usr/lib/libc.so.6", &code), "text");
	expect_str(kind_of("r--p", "/usr/lib/libc.so.6", &code), "rodata");
	expect_str(kind_of("rw-p", "/usr/lib/libc.so.6", &code), "data");
	expect_str(kind_of("---p", "/usr/lib/libc.so.6", &code), "guard");
	/* a program replaced on disk while it runs is still code */
	expect_str(kind_of("r-xp", "/usr/bin/x (deleted)", &code), "text");
	expect_str(kind_of("rw-p", "/usr/bin/x (deleted)", &code), "data");
	/* without the hint, a read-only file is a data file; executable is text anyway */
	expect_str(kind_of("r--p", "/usr/lib/libc.so.6", NULL), "file");
	expect_str(kind_of("r-xp", "/usr/lib/libc.so.6", NULL), "text");
	/* a shared mapping of a library file is not its segment */
	expect_str(kind_of("r--s", "/usr/lib/libc.so.6", &code), "file");
}

/* Every mapping of real captured files gets a kind with a name. */
static void kind_of_every_real_mapping_has_a_name(void **state)
{
	static const char *const files[] = { "real-6.18-bash.smaps", "real-6.18-hostile.smaps",
					     "hostile.smaps", "old-5.4.smaps" };

	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct map_list l = { 0 };
		int fd = open_data(files[f]);

		maps_collect_fd(fd, VMS_MAPS_SMAPS, &l);
		close(fd);
		for (size_t i = 0; i < l.n; i++) {
			enum vms_kind k = vms_mapping_kind(&l.v[i].m, NULL);

			if (!vms_kind_name(k))
				fail_msg("%s: mapping %zu: kind %d has no name", files[f], i, k);
		}
		map_list_free(&l);
	}
}

/* ---- the read-ahead reader ---- */

static void collect_prefetch(const char *path, struct map_list *l)
{
	struct vms_maps *it;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	expect_ret(vms_maps_open_fd(fd, VMS_MAPS_SMAPS | VMS_MAPS_PREFETCH, &it), 0);
	maps_collect_it(it, l);
	vms_maps_close(it);
	close(fd);
}

static void prefetch_reads_real_files_identically(void **state)
{
	static const char *const files[] = { "real-6.18-bash.smaps", "real-6.18-hostile.smaps",
					     "hostile.smaps", "old-5.4.smaps" };

	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct map_list a = { 0 }, b = { 0 };
		int fd = open_data(files[f]);

		maps_collect_fd(fd, VMS_MAPS_SMAPS, &a);
		close(fd);
		collect_prefetch(data_path(files[f]), &b);
		map_list_compare(&a, &b, files[f]);
		map_list_free(&a);
		map_list_free(&b);
	}
}

/* A file of many chunks (~5 MB, lines across every chunk boundary) reads the same. */
static void prefetch_reads_a_long_file_identically(void **state)
{
	char path[] = "/tmp/vmscope-unit-XXXXXX";
	size_t len;
	char *one = read_data("real-6.18-bash.smaps", &len);
	struct map_list a = { 0 }, b = { 0 };
	int fd = mkstemp(path);
	struct vms_maps *it;

	(void)state;
	if (fd < 0)
		fail_msg("mkstemp: %s", strerror(errno));
	unlink(path);
	for (int i = 0; i < 200; i++)
		if (write(fd, one, len) != (ssize_t)len)
			fail_msg("write: %s", strerror(errno));
	free(one);
	lseek(fd, 0, SEEK_SET);
	maps_collect_fd(fd, VMS_MAPS_SMAPS, &a);
	lseek(fd, 0, SEEK_SET);
	expect_ret(vms_maps_open_fd(fd, VMS_MAPS_SMAPS | VMS_MAPS_PREFETCH, &it), 0);
	maps_collect_it(it, &b);
	vms_maps_close(it);
	close(fd);
	if (a.n < 1000)
		fail_msg("only %zu mappings read", a.n);
	map_list_compare(&a, &b, "200 copies of real-6.18-bash.smaps");
	map_list_free(&a);
	map_list_free(&b);
}

/* Closing the iterator half way stops the read-ahead thread (ASan/valgrind see leaks). */
static void prefetch_close_before_the_end(void **state)
{
	for (int round = 0; round < 20; round++) {
		const struct vms_mapping *m;
		struct vms_maps *it;
		int fd = open_data("real-6.18-bash.smaps");

		(void)state;
		expect_ret(vms_maps_open_fd(fd, VMS_MAPS_SMAPS | VMS_MAPS_PREFETCH, &it), 0);
		for (int i = 0; i < round; i++)
			if (vms_maps_next(it, &m) != 1)
				break;
		vms_maps_close(it);
		close(fd);
	}
}

static void prefetch_unknown_flags_refused(void **state)
{
	struct vms_maps *it = NULL;
	int fd = open_data("real-6.18-bash.smaps");

	(void)state;
	expect_ret(vms_maps_open_fd(fd, 1u << 7, &it), -EINVAL);
	close(fd);
}

/* ---- the live process: exe and thread stack pointers ---- */

static int pipefd[2];

static void *blocked_thread(void *arg)
{
	char c;

	(void)arg;
	if (read(pipefd[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

static void thread_sps_find_a_blocked_thread_in_its_stack(void **state)
{
	struct vms_ctx *ctx;
	struct vms_proc *p;
	struct vms_thread_sp *sps = NULL;
	size_t n = 0;
	pthread_attr_t attr;
	pthread_t th;
	void *stack;
	size_t stack_size = 256 * 1024;
	bool found = false;

	(void)state;
	if (pipe(pipefd) < 0)
		fail_msg("pipe: %s", strerror(errno));
	stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED)
		fail_msg("mmap: %s", strerror(errno));
	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, stack, stack_size);
	if (pthread_create(&th, &attr, blocked_thread, NULL))
		fail_msg("pthread_create failed");
	expect_ret(vms_ctx_new(NULL, VMS_CTX_NO_LIBPROC2, &ctx), 0);
	expect_ret(vms_proc_open(ctx, getpid(), &p), 0);
	/* wait until the thread sits in read() */
	for (int tries = 0; tries < 500 && !found; tries++) {
		free(sps);
		sps = NULL;
		expect_ret(vms_proc_thread_sps(p, &sps, &n), 0);
		for (size_t i = 0; i < n; i++)
			if (sps[i].tid != getpid() && sps[i].sp >= (uintptr_t)stack &&
			    sps[i].sp < (uintptr_t)stack + stack_size)
				found = true;
		if (!found)
			usleep(2000);
	}
	free(sps);
	if (write(pipefd[1], "x", 1) != 1)
		fail_msg("write: %s", strerror(errno));
	pthread_join(th, NULL);
	pthread_attr_destroy(&attr);
	munmap(stack, stack_size);
	close(pipefd[0]);
	close(pipefd[1]);
	vms_proc_close(p);
	vms_ctx_unref(ctx);
	if (!found)
		fail_msg("the blocked thread's stack pointer was not in its stack");
}

static void exe_of_self_and_of_a_fixture(void **state)
{
	struct vms_ctx *ctx;
	struct vms_proc *p;
	char *exe = NULL, self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)state;
	if (n < 0)
		fail_msg("readlink: %s", strerror(errno));
	self[n] = '\0';
	expect_ret(vms_ctx_new(NULL, VMS_CTX_NO_LIBPROC2, &ctx), 0);
	expect_ret(vms_proc_open(ctx, getpid(), &p), 0);
	expect_ret(vms_proc_exe(p, &exe), 0);
	expect_str(exe, self);
	free(exe);
	vms_proc_close(p);
	vms_ctx_unref(ctx);

	/* a fixture without an exe link: not captured */
	expect_ret(vms_ctx_new(data_path("root-basic"), 0, &ctx), 0);
	expect_ret(vms_proc_open(ctx, 1, &p), 0);
	exe = (char *)1;
	expect_ret(vms_proc_exe(p, &exe), -ENOENT);
	if (exe)
		fail_msg("exe not NULL on failure");
	vms_proc_close(p);
	vms_ctx_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kind_names_round_trip),
		cmocka_unit_test(kind_pseudo_names),
		cmocka_unit_test(kind_anonymous),
		cmocka_unit_test(kind_special_files),
		cmocka_unit_test(kind_deleted_is_what_the_caller_found),
		cmocka_unit_test(kind_code_objects),
		cmocka_unit_test(kind_of_every_real_mapping_has_a_name),
		cmocka_unit_test(prefetch_reads_real_files_identically),
		cmocka_unit_test(prefetch_reads_a_long_file_identically),
		cmocka_unit_test(prefetch_close_before_the_end),
		cmocka_unit_test(prefetch_unknown_flags_refused),
		cmocka_unit_test(thread_sps_find_a_blocked_thread_in_its_stack),
		cmocka_unit_test(exe_of_self_and_of_a_fixture),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
