/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The whole life of an HTTPS daemon (acme-rats-ca, acme-rats-verifier):
 * options, configuration, the listener, signals, shutdown. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "daemon_main.h"
#include "log.h"

static sigset_t stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	return set;
}

/* Block SIGTERM/SIGINT/SIGHUP in every thread to come, ignore SIGPIPE.
 * Call before starting threads. */
static void signals_block(void)
{
	sigset_t set = stop_signals();

	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Wait for SIGTERM or SIGINT (SIGHUP is logged and ignored); returns it. */
static int wait_stop(void)
{
	sigset_t set = stop_signals();
	int sig;

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			return sig;
		ar_info("event=sighup note=\"restart to reload configuration\"");
	}
}

/* Listener options from [server], with the service's problem documents. */
static void httpd_opts(const daemon_server_conf_t *c, ar_http_problem_t problem,
		       ar_httpd_opts_t *o)
{
	memset(o, 0, sizeof(*o));
	o->address = c->listen;
	o->port = (int)c->port;
	o->cert_file = c->tls_cert;
	o->key_file = c->tls_key;
	o->threads = (unsigned)c->threads;
	o->max_connections = (unsigned)c->max_connections;
	o->max_per_ip = (unsigned)c->max_per_ip;
	o->timeout_s = (unsigned)((c->timeout + 999) / 1000);
	o->max_body = (size_t)c->max_body;
	o->problem = problem;
}

static void usage(const daemon_spec_t *spec, FILE *out)
{
	fprintf(out,
		"Usage: %s [-c FILE] [--check-config] [-h] [-V]\n"
		"\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"      --check-config  load configuration and keys, then exit\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n"
		"\n"
		"Runs in the foreground and logs to standard error (key=value lines).\n"
		"SIGTERM or SIGINT stops it.\n", spec->name, spec->config);
}

int daemon_main(int argc, char **argv, const daemon_spec_t *spec)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = spec->config;
	daemon_front_t front;
	ar_httpd_opts_t hopts;
	ar_err_t err = { 0 };
	ar_httpd_t *httpd;
	char facts[512];
	int c, check = 0, rc = 1;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'C': check = 1; break;
		case 'h': usage(spec, stdout); return 0;
		case 'V': printf("%s %s\n", spec->name, PACKAGE_VERSION); return 0;
		default: usage(spec, stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(spec, stderr);
		return 2;
	}

	memset(&front, 0, sizeof(front));
	ar_log_setup(spec->name, AR_LOG_INFO, 2);
	if (spec->load(spec->ctx, path, &err) < 0) {
		ar_error("event=config.invalid file=%s error=\"%s\"", path, err.msg);
		goto out;
	}
	ar_log_setup(spec->name, (ar_log_level_t)spec->log->level, 2);
	if (daemon_metrics_setup(&front, spec, &err) < 0) {
		ar_error("event=config.invalid file=%s error=\"%s\"", path, err.msg);
		goto out;
	}
	spec->describe(spec->ctx, facts, sizeof(facts));
	if (check) {
		printf("%s: configuration OK (%s)\n", path, facts);
		rc = 0;
		goto out;
	}

	/* Signals are taken synchronously by the main thread only. */
	signals_block();
	httpd_opts(spec->server, daemon_front_problem, &hopts);
	if (spec->workers)
		hopts.workers = (unsigned)*spec->workers;
	httpd = ar_httpd_start(&hopts, daemon_front_handler, &front, &err);
	if (!httpd) {
		ar_error("event=start.failed error=\"%s\"", err.msg);
		goto out;
	}
	ar_info("event=listening address=%s port=%d threads=%u workers=%u max_connections=%u "
		"max_connections_per_ip=%u %s", hopts.address, ar_httpd_port(httpd),
		ar_httpd_threads(hopts.threads), hopts.workers, hopts.max_connections,
		hopts.max_per_ip, facts);
	if (daemon_metrics_start(&front, &hopts, &err) < 0 ||
	    (spec->start && spec->start(spec->ctx, &err) < 0)) {
		ar_error("event=start.failed error=\"%s\"", err.msg);
		daemon_metrics_stop(&front);
		ar_httpd_stop(httpd);
		goto out;
	}
	ar_info("event=stopping signal=%d", wait_stop());
	if (spec->stop)
		spec->stop(spec->ctx);
	ar_httpd_stop(httpd);
	rc = 0;
out:
	daemon_metrics_stop(&front);
	spec->release(spec->ctx);
	return rc;
}
