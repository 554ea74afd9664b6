// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: vmmap's whole command line (hazard A11): options, --range, the PID
 * arguments and the checks after them, up to where it opens its root.
 */
#include "fuzz.h"

int vmmap_main(int argc, char **argv);
#define main vmmap_main
#include "vmmap.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static __typeof__(ctl) ctl0;
	static bool saved;

	if (size > 4096)
		return 0;
	if (!saved) {
		ctl0 = ctl;
		saved = true;
	}
	fuzz_run_main(vmmap_main, "vmmap", data, size, NULL);
	free(ctl.pids);
	ctl = ctl0;
	/* --help builds the column list (its names stay: they are few) */
	free(cols);
	cols = NULL;
	ncols = ndyn = first_dyn_col = first_pg_col = 0;
	free(defaults_x);
	free(defaults_xp);
	defaults_x = defaults_xp = NULL;
	return 0;
}
