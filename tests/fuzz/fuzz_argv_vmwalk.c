// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: vmwalk's whole command line (hazard A11): options, the PID, the
 * address, range (ADDRESS-END, ADDRESS+LENGTH with units) and PFN parsers, up to
 * where it opens its root; there the address is checked as after the open, with
 * 4- and 5-level page tables.
 */
#include "fuzz.h"

int vmwalk_main(int argc, char **argv);
#define main vmwalk_main
#include "vmwalk.c"
#undef main

/* What main checks next, once it knows the page-table depth. */
static void after(int code)
{
	static jmp_buf jb;

	if (code != FUZZ_STOPPED)
		return;
	if (ctl.mode == M_PFN)
		FUZZ_CHECK(ctl.pfn <= VMS_PM_PFN_MASK);
	if (ctl.mode != M_PAGE && ctl.mode != M_RANGE)
		return;
	FUZZ_CHECK(ctl.mode == M_PAGE || ctl.end > ctl.addr);
	for (machine_levels = 4; machine_levels <= 5; machine_levels++) {
		fuzz_catch = &jb;
		if (setjmp(jb) == 0) {
			check_canonical(ctl.addr, false);
			if (ctl.mode == M_RANGE)
				check_canonical(ctl.end - 1, true);
			is_kernel_addr(ctl.addr);
		}
		fuzz_catch = NULL;
	}
}

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
	fuzz_run_main(vmwalk_main, "vmwalk", data, size, after);
	ctl = ctl0;
	machine_levels = 4;
	return 0;
}
