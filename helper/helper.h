/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file helper.h
 * @brief acme-rats-helper: subcommands and the exit codes they share.
 */
#ifndef AR_HELPER_H
#define AR_HELPER_H

#include <stdio.h>

/** Exit codes, documented in acme-rats-helper(1). */
enum helper_exit {
	HELPER_EXIT_AFFIRMING = 0,	/**< done; the device is affirming */
	HELPER_EXIT_WARNING = 1,	/**< done; the verifier returned a warning */
	HELPER_EXIT_CONTRAINDICATED = 2, /**< done; contraindicated, or no assurance ("none") */
	HELPER_EXIT_USAGE = 3,		/**< bad usage, configuration, key or local file */
	HELPER_EXIT_PROTOCOL = 4,	/**< verifier unreachable, or its answer is not valid */
};

/** A subcommand: gets argv with its own name at argv[0]; returns an exit code. */
typedef int (*helper_cmd_fn)(int argc, char **argv);

int cmd_attest(int argc, char **argv);
void cmd_attest_usage(FILE *f);

#endif
