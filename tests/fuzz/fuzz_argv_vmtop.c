// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: vmtop's command line (hazard A11): its option parser, whole (-d, -p,
 * -u, -s, -o, -n, -w, --root and the checks after them).
 */
#include "fuzz.h"

int vmtop_main(int argc, char **argv);
#define main vmtop_main
#include "vmtop/main.c"
#undef main

static int parse(int argc, char **argv)
{
	cx_init("vmtop");
	parse_options(argc, argv);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static __typeof__(ctl) ctl0;
	static bool saved;
	int code;

	if (size > 4096)
		return 0;
	if (!saved) {
		ctl0 = ctl;
		saved = true;
	}
	code = fuzz_run_main(parse, "vmtop", data, size, NULL);
	if (code == 0) {
		FUZZ_CHECK(!ctl.delay_set || (ctl.delay >= 0.1 && ctl.delay <= 86400));
		FUZZ_CHECK(!ctl.width_set || (ctl.width >= 0 && ctl.width <= MAX_WIDTH));
	}
	free(ctl.pids);
	free(ctl.roots);
	ctl = ctl0;
	return 0;
}
