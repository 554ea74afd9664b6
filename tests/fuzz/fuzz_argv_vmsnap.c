// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: vmsnap's whole command line (hazard A11), capture and "diff" alike,
 * up to where it would create its output or open a snapshot.  vmsnap.c and
 * vmsnap/diff.c are compiled in here, so that their option state can be reset.
 */
/* every header vmsnap.c and diff.c include, before the macros below */
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

#include "fuzz.h"

/* what main sets up for the capture, left alone: the fuzzer's process goes on */
static int fuzz_atexit(void (*fn)(void))
{
	(void)fn;
	return 0;
}

static int fuzz_sigaction(int sig, const struct sigaction *sa, struct sigaction *old)
{
	(void)sig;
	(void)sa;
	(void)old;
	return 0;
}

static mode_t fuzz_umask(mode_t m)
{
	return m;
}

#define atexit(fn) fuzz_atexit(fn)
#define sigaction(sig, sa, old) fuzz_sigaction(sig, sa, old)
#define umask(m) fuzz_umask(m)

int vmsnap_main(int argc, char **argv);
#define main vmsnap_main
#include "vmsnap.c"
#undef main
#include "vmsnap/diff.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static __typeof__(ctl) ctl0;
	static __typeof__(dctl) dctl0;
	static bool saved;

	if (size > 4096)
		return 0;
	if (!saved) {
		ctl0 = ctl;
		dctl0 = dctl;
		saved = true;
	}
	fuzz_run_main(vmsnap_main, "vmsnap", data, size, NULL);
	free(ctl.pids);
	ctl = ctl0;
	dctl = dctl0;
	return 0;
}
