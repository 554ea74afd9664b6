// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvmscope: what a mapping is for (text, heap, thread stack, ...), and the facts that tell it. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "private.h"

static const char *const kind_names[VMS_KIND__COUNT] = {
	[VMS_KIND_ANON] = "anon",
	[VMS_KIND_FILE] = "file",
	[VMS_KIND_TEXT] = "text",
	[VMS_KIND_RODATA] = "rodata",
	[VMS_KIND_DATA] = "data",
	[VMS_KIND_BSS] = "bss",
	[VMS_KIND_HEAP] = "heap",
	[VMS_KIND_STACK] = "stack",
	[VMS_KIND_THREAD_STACK] = "thread-stack",
	[VMS_KIND_VDSO] = "vdso",
	[VMS_KIND_VVAR] = "vvar",
	[VMS_KIND_VSYSCALL] = "vsyscall",
	[VMS_KIND_SHARED_ANON] = "shared-anon",
	[VMS_KIND_SHMEM] = "shmem",
	[VMS_KIND_SYSV_SHM] = "sysv-shm",
	[VMS_KIND_MEMFD] = "memfd",
	[VMS_KIND_HUGETLB] = "hugetlb",
	[VMS_KIND_DELETED] = "deleted",
	[VMS_KIND_GUARD] = "guard",
	[VMS_KIND_PSEUDO] = "pseudo",
};

VMS_EXPORT const char *vms_kind_name(enum vms_kind kind)
{
	return (unsigned int)kind < VMS_KIND__COUNT ? kind_names[kind] : NULL;
}

VMS_EXPORT int vms_kind_lookup(const char *name)
{
	for (int k = 0; name && k < VMS_KIND__COUNT; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -ENOENT;
}

static bool name_is(const struct vms_mapping *m, const char *s)
{
	size_t n = strlen(s);

	return m->name_len == n && memcmp(m->name, s, n) == 0;
}

static bool name_starts(const struct vms_mapping *m, const char *s)
{
	size_t n = strlen(s);

	return m->name_len >= n && memcmp(m->name, s, n) == 0;
}

/* "/SYSV" followed by exactly eight hex digits and " (deleted)": a SysV segment's key. */
static bool is_sysv_name(const struct vms_mapping *m)
{
	static const char suffix[] = " (deleted)";
	size_t n = 5 + 8 + sizeof(suffix) - 1;

	if (m->name_len != n || !name_starts(m, "/SYSV"))
		return false;
	for (size_t i = 5; i < 13; i++)
		if (!strchr("0123456789abcdef", m->name[i]))
			return false;
	return memcmp(m->name + 13, suffix, sizeof(suffix) - 1) == 0;
}

static bool has_vm_flag(const struct vms_mapping *m, const char *flag)
{
	const char *f = m->vm_flags;

	if (!f)
		return false;
	while (*f) {
		while (*f == ' ')
			f++;
		if (f[0] && f[1] && f[0] == flag[0] && f[1] == flag[1] && (!f[2] || f[2] == ' '))
			return true;
		while (*f && *f != ' ')
			f++;
	}
	return false;
}

VMS_EXPORT enum vms_kind vms_mapping_kind(const struct vms_mapping *m,
					  const struct vms_kind_hints *h)
{
	static const struct vms_kind_hints none = { .deleted = -1 };
	bool shared = m->perms[3] == 's';

	if (!h)
		h = &none;
	if (m->name_len && m->name[0] == '[') {
		if (name_is(m, "[heap]"))
			return VMS_KIND_HEAP;
		if (name_is(m, "[stack]"))
			return VMS_KIND_STACK;
		if (name_is(m, "[vdso]"))
			return VMS_KIND_VDSO;
		if (name_is(m, "[vvar]") || name_is(m, "[vvar_vclock]"))
			return VMS_KIND_VVAR;
		if (name_is(m, "[vsyscall]"))
			return VMS_KIND_VSYSCALL;
		if (name_starts(m, "[anon_shmem:"))
			return VMS_KIND_SHARED_ANON;
		if (!name_starts(m, "[anon:"))
			return VMS_KIND_PSEUDO;
		/* a named anonymous mapping: what follows is by its other facts */
	}
	if (has_vm_flag(m, "ht"))
		return VMS_KIND_HUGETLB;
	if (memcmp(m->perms, "---", 3) == 0)
		return VMS_KIND_GUARD;
	if (!m->name_len || m->name[0] == '[') {
		if (shared)
			return VMS_KIND_SHARED_ANON;
		if (h->thread_stack)
			return VMS_KIND_THREAD_STACK;
		if (h->follows_code_object && m->perms[1] == 'w')
			return VMS_KIND_BSS;
		return VMS_KIND_ANON;
	}
	/* A file, or what the kernel names like one. */
	if (m->name_says_deleted) {
		if (shared && name_is(m, "/dev/zero (deleted)"))
			return VMS_KIND_SHARED_ANON;
		if (is_sysv_name(m))
			return VMS_KIND_SYSV_SHM;
		if (name_starts(m, "/memfd:"))
			return VMS_KIND_MEMFD;
	}
	/* A program or library replaced on disk while it runs is still code. */
	if (h->code_object && !shared) {
		if (m->perms[2] == 'x')
			return VMS_KIND_TEXT;
		if (m->perms[1] == 'w')
			return VMS_KIND_DATA;
		return VMS_KIND_RODATA;
	}
	if (h->deleted > 0 || (h->deleted < 0 && m->name_says_deleted))
		return VMS_KIND_DELETED;
	if (shared && name_starts(m, "/dev/shm/"))
		return VMS_KIND_SHMEM;
	if (m->perms[2] == 'x' && !shared)
		return VMS_KIND_TEXT;
	return VMS_KIND_FILE;
}

VMS_EXPORT int vms_proc_exe(struct vms_proc *p, char **path)
{
	size_t cap = 256;

	*path = NULL;
	for (;;) {
		char *buf = malloc(cap);
		ssize_t n;

		if (!buf)
			return -ENOMEM;
		n = readlinkat(vms_proc_dirfd(p), "exe", buf, cap);
		if (n < 0) {
			int err = -errno;

			free(buf);
			return vms_proc_errno(vms_proc_ctx(p), err);
		}
		if ((size_t)n < cap) {
			buf[n] = '\0';
			*path = buf;
			return 0;
		}
		free(buf);
		if (cap >= 1u << 20)
			return -ENAMETOOLONG;
		cap *= 2;
	}
}

static bool parse_hex(const char *t, uint64_t *v)
{
	const char *end = t + strlen(t);

	if (t[0] != '0' || t[1] != 'x')
		return false;
	t += 2;
	return vms_parse_u64(&t, end, 16, v) == 0 && t == end;
}

/* "NR 0xA1 ... 0xA6 0xSP 0xPC", "-1 0xSP 0xPC" (blocked outside a system call), or "running". */
static bool parse_syscall_sp(char *buf, uint64_t *sp)
{
	char *f[9], *save = NULL;
	size_t n = 0;

	for (char *t = strtok_r(buf, " \n", &save); t && n < 9; t = strtok_r(NULL, " \n", &save))
		f[n++] = t;
	if (n == 3 && strcmp(f[0], "-1") == 0)
		return parse_hex(f[1], sp);
	if (n == 9)
		return parse_hex(f[7], sp);
	return false;
}

VMS_EXPORT int vms_proc_thread_sps(struct vms_proc *p, struct vms_thread_sp **out, size_t *n)
{
	struct vms_thread_sp *v = NULL;
	size_t len = 0, cap = 0;
	struct dirent *de;
	int tfd, denied = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	tfd = openat(vms_proc_dirfd(p), "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		return vms_proc_errno(vms_proc_ctx(p), -errno);
	d = fdopendir(tfd);
	if (!d) {
		close(tfd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		char name[48], buf[512];
		uint64_t sp;
		pid_t tid;
		ssize_t r;
		int fd;

		if (vms_parse_pid(de->d_name, &tid) < 0)
			continue;
		snprintf(name, sizeof(name), "%d/syscall", (int)tid);
		fd = openat(dirfd(d), name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			if (errno == EACCES || errno == EPERM)
				denied = -errno;
			continue;
		}
		r = read(fd, buf, sizeof(buf) - 1);
		if (r < 0 && (errno == EACCES || errno == EPERM))
			denied = -errno;
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		if (!parse_syscall_sp(buf, &sp))
			continue;
		if (len == cap) {
			struct vms_thread_sp *nv;

			cap = cap ? 2 * cap : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[len].tid = tid;
		v[len].sp = sp;
		len++;
	}
	closedir(d);
	if (!len && denied) {
		free(v);
		return denied;
	}
	*out = v;
	*n = len;
	return 0;
}
