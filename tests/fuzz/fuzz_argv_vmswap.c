// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: vmswap's whole command line (hazard A11): options, the views'
 * column and sort checks and the table set up from them, up to where it opens its
 * root.
 */
#include "fuzz.h"

int vmswap_main(int argc, char **argv);
#define main vmswap_main
#include "vmswap.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static __typeof__(ctl) ctl0;
	static __typeof__(need) need0;
	static __typeof__(sorting) sorting0;
	static bool saved;

	if (size > 4096)
		return 0;
	if (!saved) {
		ctl0 = ctl;
		need0 = need;
		sorting0 = sorting;
		saved = true;
	}
	fuzz_run_main(vmswap_main, "vmswap", data, size, NULL);
	free(ctl.pids);
	free(ctl.roots);
	ctl = ctl0;
	need = need0;
	sorting = sorting0;
	return 0;
}
