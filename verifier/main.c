/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-verifier: the SOC's attestation verifier. Appraises device
 * evidence against reference values, signs EAT Attestation Results, and
 * takes the SOC's verdicts on devices.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
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

static void close_store(void *p)
{
	ar_store_close(p);
}

ar_store_t *verifier_store(verifier_t *v, ar_err_t *err)
{
	ar_store_t *st = pthread_getspecific(v->store_key);

	if (st)
		return st;
	st = ar_store_open(&v->store_opts, err);
	if (st)
		pthread_setspecific(v->store_key, st);
	return st;
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
	sigset_t set;

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
	ar_log_setup("acme-rats-verifier", (ar_log_level_t)v.conf.log_level, 2);
	if (check) {
		printf("%s: configuration OK (policy %s, EAR key %s)\n", path, v.policy.name,
		       ar_jwk_thumbprint(v.signing_key));
		rc = 0;
		goto out;
	}

	/* Signals are taken synchronously by the main thread only. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_key_create(&v.store_key, close_store) != 0) {
		ar_error("event=start.failed error=\"no thread key\"");
		goto out;
	}

	memset(&hopts, 0, sizeof(hopts));
	hopts.address = v.conf.listen;
	hopts.port = (int)v.conf.port;
	hopts.cert_file = v.conf.tls_cert;
	hopts.key_file = v.conf.tls_key;
	hopts.threads = (unsigned)v.conf.threads;
	hopts.max_connections = (unsigned)v.conf.max_connections;
	hopts.max_per_ip = (unsigned)v.conf.max_per_ip;
	hopts.timeout_s = (unsigned)((v.conf.timeout + 999) / 1000);
	hopts.max_body = (size_t)v.conf.max_body;
	hopts.problem_type = VERIFIER_PROBLEM "tooLarge";
	v.httpd = ar_httpd_start(&hopts, verifier_handle, &v, &err);
	if (!v.httpd) {
		ar_error("event=start.failed error=\"%s\"", err.msg);
		goto out;
	}
	ar_info("event=listening address=%s port=%d policy=%s ear_key=%s soc_api=%s",
		v.conf.listen, ar_httpd_port(v.httpd), v.policy.name,
		ar_jwk_thumbprint(v.signing_key), v.soc_token[0] ? "on" : "off");

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			ar_info("event=sighup note=\"restart to reload configuration\"");
			continue;
		}
		break;
	}
	ar_info("event=stopping signal=%d", sig);
	ar_httpd_stop(v.httpd);
	rc = 0;
out:
	verifier_free(&v);
	return rc;
}
