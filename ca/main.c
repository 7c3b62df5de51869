/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-ca: the NOC's ACME (RFC 8555) certificate authority.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "log.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: acme-rats-ca [-c FILE] [--check-config] [-h] [-V]\n"
		"\n"
		"  -c, --config FILE   configuration (default " SYSCONFDIR "/acme-rats/ca.conf)\n"
		"      --check-config  load configuration and keys, then exit\n"
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
	const char *path = SYSCONFDIR "/acme-rats/ca.conf";
	ar_httpd_opts_t hopts;
	ar_err_t err = { 0 };
	int c, check = 0, sig, rc = 1;
	ca_t ca;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'C': check = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("acme-rats-ca %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	ar_log_setup("acme-rats-ca", AR_LOG_INFO, 2);
	memset(&ca, 0, sizeof(ca));
	if (ca_load(&ca, path, &err) < 0) {
		ar_error("event=config.invalid file=%s error=\"%s\"", path, err.msg);
		goto out;
	}
	ar_log_setup("acme-rats-ca", (ar_log_level_t)ca.conf.log.level, 2);
	if (check) {
		printf("%s: configuration OK (%s, %zu EAB keys)\n", path, ca.conf.base_url, ca.neab);
		rc = 0;
		goto out;
	}

	daemon_signals_block();
	daemon_httpd_opts(&ca.conf.server, ACME_ERR "malformed", &hopts);
	ca.httpd = ar_httpd_start(&hopts, ca_handle, &ca, &err);
	if (!ca.httpd) {
		ar_error("event=start.failed error=\"%s\"", err.msg);
		goto out;
	}
	ar_info("event=listening address=%s port=%d directory=%s/directory eab_required=%s",
		ca.conf.server.listen, ar_httpd_port(ca.httpd), ca.conf.base_url,
		ca.conf.eab_required ? "yes" : "no");
	sig = daemon_wait();
	ar_info("event=stopping signal=%d", sig);
	ar_httpd_stop(ca.httpd);
	rc = 0;
out:
	ca_free(&ca);
	return rc;
}
