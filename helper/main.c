/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-helper: the device side of acme-rats. One binary, one
 * subcommand per job; each subcommand parses its own options.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "helper.h"
#include "http.h"
#include "log.h"

typedef struct helper_cmd {
	const char	*name;
	helper_cmd_fn	run;
	void		(*usage)(FILE *f);
	const char	*summary;
} helper_cmd_t;

static const helper_cmd_t commands[] = {
	{ "enroll", cmd_enroll, cmd_enroll_usage,
	  "attest and get a certificate from the ACME-RATS CA now" },
	{ "renew", cmd_renew, cmd_renew_usage,
	  "renew the certificate if due (--force: now)" },
	{ "run", cmd_run, cmd_run_usage,
	  "daemon: keep an attested certificate fresh, renew on schedule" },
	{ "status", cmd_status, cmd_status_usage,
	  "certificate, posture age, next action, last error" },
	{ "attest", cmd_attest, cmd_attest_usage,
	  "collect evidence and get an attestation result from the verifier" },
	{ "tpm-enroll", cmd_tpm_enroll, cmd_tpm_enroll_usage,
	  "enrol the TPM's attestation key with the verifier (credential activation)" },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fputs("usage: acme-rats-helper COMMAND [options]\n"
	      "       acme-rats-helper help COMMAND\n"
	      "\n"
	      "commands:\n", f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nSee acme-rats-helper(1).\n", f);
}

static const helper_cmd_t *find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const helper_cmd_t *cmd;
	ar_err_t err = { 0 };
	int rc;

	ar_log_setup("acme-rats-helper", AR_LOG_WARN, 2);
	if (argc < 2) {
		usage(stderr);
		return HELPER_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && (cmd = find(argv[2]))) {
			cmd->usage(stdout);
			return 0;
		}
		usage(stdout);
		return argc > 2 ? HELPER_EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("acme-rats-helper %s\n", PACKAGE_VERSION);
		return 0;
	}
	cmd = find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "acme-rats-helper: unknown command \"%s\"\n", argv[1]);
		usage(stderr);
		return HELPER_EXIT_USAGE;
	}
	if (http_global_init(&err) < 0) {
		fprintf(stderr, "acme-rats-helper: %s\n", err.msg);
		return HELPER_EXIT_USAGE;
	}
	rc = cmd->run(argc - 1, argv + 1);
	http_global_cleanup();
	return rc;
}
