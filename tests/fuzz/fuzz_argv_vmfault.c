// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: vmfault's whole command line (hazard A11): options, -i, -c, -N, the
 * COMMAND after them and the checks, up to where it opens its root (before any
 * COMMAND would be run).
 */
#include "fuzz.h"

int vmfault_main(int argc, char **argv);
#define main vmfault_main
#include "vmfault.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static __typeof__(ctl) ctl0;
	static __typeof__(pick) pick0;
	static bool saved;

	if (size > 4096)
		return 0;
	if (!saved) {
		ctl0 = ctl;
		pick0 = pick;
		saved = true;
	}
	fuzz_run_main(vmfault_main, "vmfault", data, size, NULL);
	free(ctl.pids);
	free(ctl.roots);
	ctl = ctl0;
	pick = pick0;
	return 0;
}
