/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-verifier: the SOC's attestation verifier. Appraises device
 * evidence against reference values, signs EAT Attestation Results, and
 * takes the SOC's verdicts on devices.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "verifier.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: acme-rats-verifier [-c FILE] [--check-config] [-h] [-V]\n"
		"\n"
		"  -c, --config FILE   configuration (default " SYSCONFDIR "/acme-rats/verifier.conf)\n"
		"      --check-config  load configuration, keys and reference values, then exit\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n"
		"\n"
		"Runs in the foreground and logs to standard error (key=value lines).\n"
		"SIGTERM or SIGINT stops it.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = SYSCONFDIR "/acme-rats/verifier.conf";
	ar_httpd_opts_t hopts;
	ar_err_t err = { 0 };
	int c, check = 0, sig, rc = 1;
	verifier_t v;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'C': check = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("acme-rats-verifier %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	ar_log_setup("acme-rats-verifier", AR_LOG_INFO, 2);
	memset(&v, 0, sizeof(v));
	if (verifier_load(&v, path, &err) < 0) {
		ar_error("event=config.invalid file=%s error=\"%s\"", path, err.msg);
		goto out;
	}
	ar_log_setup("acme-rats-verifier", (ar_log_level_t)v.conf.log.level, 2);
	if (check) {
		printf("%s: configuration OK (policy %s, EAR key %s)\n", path, v.policy.name,
		       ar_jwk_thumbprint(v.signing_key));
		rc = 0;
		goto out;
	}

	/* Signals are taken synchronously by the main thread only. */
	daemon_signals_block();
	daemon_httpd_opts(&v.conf.server, VERIFIER_PROBLEM "tooLarge", &hopts);
	v.httpd = ar_httpd_start(&hopts, verifier_handle, &v, &err);
	if (!v.httpd) {
		ar_error("event=start.failed error=\"%s\"", err.msg);
		goto out;
	}
	ar_info("event=listening address=%s port=%d policy=%s ear_key=%s soc_api=%s",
		v.conf.server.listen, ar_httpd_port(v.httpd), v.policy.name,
		ar_jwk_thumbprint(v.signing_key), v.soc_token[0] ? "on" : "off");

	sig = daemon_wait();
	ar_info("event=stopping signal=%d", sig);
	ar_httpd_stop(v.httpd);
	rc = 0;
out:
	verifier_free(&v);
	return rc;
}
