/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file helper.h
 * @brief acme-rats-helper: subcommands and the exit codes they share.
 */
#ifndef AR_HELPER_H
#define AR_HELPER_H

#include <stdint.h>
#include <stdio.h>

#include "certstore.h"
#include "enroll.h"
#include "hconf.h"
#include "schedule.h"

/** Exit codes, documented in acme-rats-helper(1). */
enum helper_exit {
	HELPER_EXIT_AFFIRMING = 0,	/**< done; the device is affirming */
	HELPER_EXIT_WARNING = 1,	/**< done; the verifier returned a warning */
	HELPER_EXIT_CONTRAINDICATED = 2, /**< done; contraindicated, or no assurance ("none") */
	HELPER_EXIT_USAGE = 3,		/**< bad usage, configuration, key or local file */
	HELPER_EXIT_PROTOCOL = 4,	/**< CA or verifier unreachable, or its answer is not valid */
	HELPER_EXIT_REFUSED = 5,	/**< the CA refused for another reason than posture */
};

/** A subcommand: gets argv with its own name at argv[0]; returns an exit code. */
typedef int (*helper_cmd_fn)(int argc, char **argv);

int cmd_attest(int argc, char **argv);
void cmd_attest_usage(FILE *f);
int cmd_enroll(int argc, char **argv);
void cmd_enroll_usage(FILE *f);
int cmd_renew(int argc, char **argv);
void cmd_renew_usage(FILE *f);
int cmd_status(int argc, char **argv);
void cmd_status_usage(FILE *f);
int cmd_run(int argc, char **argv);
void cmd_run_usage(FILE *f);
int cmd_tpm_enroll(int argc, char **argv);
void cmd_tpm_enroll_usage(FILE *f);

/** Load the configuration and set the log level; 0 or an exit code (message printed). */
int helper_load(const char *prog, const char *path, int verbose, helper_conf_t *conf);

/**
 * The seconds of option @p opt at @p s, 1..3600, as milliseconds into @p ms.
 *
 * @return 0, or -1 with a message naming @p prog and @p opt on standard error.
 */
int helper_opt_seconds(const char *prog, const char *opt, const char *s, long *ms);

/**
 * The number of option @p opt at @p s (hexadecimal with 0x, or decimal), in
 * @p min..@p max, into @p out: a TPM handle or PCR mask.
 *
 * @return 0, or -1 with a message naming @p prog, @p opt and the range on
 *	   standard error.
 */
int helper_opt_u32(const char *prog, const char *opt, const char *s, uint32_t min, uint32_t max,
		   uint32_t *out);

/** The schedule's input from the configuration, state and installed certificate. */
void helper_sched_input(const helper_conf_t *c, const cs_state_t *st, const cs_cert_t *cert,
			int have_cert, int64_t now, sched_in_t *in);

#endif
