// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: vmrank's whole command line (hazard A11): its getopt loop and the
 * checks after it, with argv made of the input's NUL-separated parts, up to where
 * it opens its root (caught there: fuzz.h).  vmrank.c is compiled in here, so that
 * its option state can be reset between inputs.
 */
#include <regex.h>
#include <string.h>

#include "fuzz.h"

/*
 * glibc's regcomp takes gigabytes for some short patterns ("m+++...+", nested
 * counted repeats): the user's own -P regex, not vmrank's parsing.  The target
 * hands regcomp only patterns without counts or stacked repeats, and no long ones.
 */
static int fuzz_regcomp(regex_t *re, const char *pattern, int flags)
{
	if (strlen(pattern) > 64 || strchr(pattern, '{'))
		return REG_ESPACE;
	for (const char *p = pattern; *p; p++)
		if (strchr("*+?", p[0]) && p[1] && strchr("*+?", p[1]))
			return REG_ESPACE;
	return regcomp(re, pattern, flags);
}
#define regcomp(re, pattern, flags) fuzz_regcomp(re, pattern, flags)

int vmrank_main(int argc, char **argv);
#define main vmrank_main
#include "vmrank.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static __typeof__(ctl) ctl0;
	static __typeof__(xs) xs0;
	static bool saved;

	if (size > 4096)
		return 0;
	if (!saved) {
		ctl0 = ctl;
		xs0 = xs;
		saved = true;
	}
	fuzz_run_main(vmrank_main, "vmrank", data, size, NULL);
	if (ctl.have_regex)
		regfree(&ctl.regex);
	free(ctl.pids);
	free(ctl.users);
	free(xs.set_key);
	ctl = ctl0;
	xs = xs0;
	json_all = false;
	return 0;
}
