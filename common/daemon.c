/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "daemon.h"
#include "fileio.h"
#include "log.h"

#define SRV(f) offsetof(daemon_server_conf_t, f)

const ar_conf_rule_t daemon_server_rules[] = {
	{ "listen", AR_CONF_STRING, SRV(listen), 0, "127.0.0.1", 0, 0, NULL },
	{ "port", AR_CONF_INT, SRV(port), AR_CONF_REQUIRED, NULL, 0, 65535, NULL },
	{ "tls_cert", AR_CONF_STRING, SRV(tls_cert), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "tls_key", AR_CONF_STRING, SRV(tls_key), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "threads", AR_CONF_INT, SRV(threads), 0, "0", 0, 64, NULL },
	{ "max_connections", AR_CONF_INT, SRV(max_connections), 0, "1024", 1, 65536, NULL },
	{ "max_connections_per_ip", AR_CONF_INT, SRV(max_per_ip), 0, "256", 0, 65536, NULL },
	{ "timeout", AR_CONF_DURATION, SRV(timeout), 0, "10s", 1000, 300000, NULL },
	{ "max_body", AR_CONF_SIZE, SRV(max_body), 0, "64k", 1024, 1048576, NULL },
	AR_CONF_END
};

static const char *const log_levels[] = { "debug", "info", "warn", "error", NULL };

const ar_conf_rule_t daemon_log_rules[] = {
	{ "level", AR_CONF_ENUM, offsetof(daemon_log_conf_t, level), 0, "info", 0, 0, log_levels },
	AR_CONF_END
};

static const daemon_section_t *find_section(const daemon_section_t *sections, size_t n,
					    const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(sections[i].name, name))
			return &sections[i];
	return NULL;
}

int daemon_conf_load(const char *path, const daemon_section_t *sections, size_t n, void *base,
		     ar_err_t *err)
{
	static const ar_conf_rule_t none[] = { AR_CONF_END };
	const ar_conf_section_t *s;
	ar_conf_t *cf;
	size_t i;
	int rc = -1;

	cf = ar_conf_load(path, err);
	if (!cf)
		return -1;
	for (s = ar_conf_next(cf, NULL, NULL); s; s = ar_conf_next(cf, s, NULL)) {
		const daemon_section_t *d = find_section(sections, n, ar_conf_section_type(s));

		if (!d || !ar_conf_section_name(s) != !d->each) {
			ar_conf_error(s, NULL, err, "unknown section [%s%s%s]", ar_conf_section_type(s),
				      ar_conf_section_name(s) ? " " : "",
				      ar_conf_section_name(s) ? ar_conf_section_name(s) : "");
			goto out;
		}
		if (d->each && d->each(base, s, err) < 0)
			goto out;
	}
	if (ar_conf_bind(ar_conf_root(cf), none, base, err) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (!sections[i].each &&
		    ar_conf_bind(ar_conf_find(cf, sections[i].name, NULL), sections[i].rules,
				 (char *)base + sections[i].offset, err) < 0)
			goto out;
	rc = 0;
out:
	ar_conf_free(cf);
	return rc;
}

void daemon_conf_free(const daemon_section_t *sections, size_t n, void *base)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!sections[i].each)
			ar_conf_unbind(sections[i].rules, (char *)base + sections[i].offset);
}

int daemon_read_secret(const char *path, char *out, size_t size, ar_err_t *err)
{
	struct stat st;
	size_t len;
	char *text;

	if (stat(path, &st) == 0 && (st.st_mode & 0007))
		return ar_err_set(err, AR_ERR_CONFIG, "%s: secret file is readable by others "
				  "(chmod 600)", path);
	if (ar_file_read(path, size * 2, &text, &len, err) < 0)
		return -1;
	len = strcspn(text, "\r\n");
	if (len == 0 || len >= size) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
		return ar_err_set(err, AR_ERR_CONFIG, "%s: secret must be 1..%zu characters", path,
				  size - 1);
	}
	memcpy(out, text, len);
	out[len] = '\0';
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return 0;
}

int daemon_read_key(const char *path, uint8_t key[32], ar_err_t *err)
{
	char hex[80];
	size_t i;
	int rc = 0;

	if (!path) {
		if (RAND_bytes(key, 32) != 1)
			return ar_err_set(err, AR_ERR_CRYPTO, "no randomness for a key");
		return 0;
	}
	if (daemon_read_secret(path, hex, sizeof(hex), err) < 0)
		return -1;
	if (strlen(hex) != 64)
		rc = ar_err_set(err, AR_ERR_CONFIG, "%s: key must be 64 hex digits", path);
	for (i = 0; rc == 0 && i < 32; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], '\0' }, *end;
		long b = strtol(byte, &end, 16);

		if (*end)
			rc = ar_err_set(err, AR_ERR_CONFIG, "%s: not hexadecimal", path);
		key[i] = (uint8_t)b;
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}

void daemon_httpd_opts(const daemon_server_conf_t *c, ar_http_problem_t problem,
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

static sigset_t stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	return set;
}

void daemon_signals_block(void)
{
	sigset_t set = stop_signals();

	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int daemon_wait(void)
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

	ar_log_setup(spec->name, AR_LOG_INFO, 2);
	if (spec->load(spec->ctx, path, &err) < 0) {
		ar_error("event=config.invalid file=%s error=\"%s\"", path, err.msg);
		goto out;
	}
	ar_log_setup(spec->name, (ar_log_level_t)spec->log->level, 2);
	spec->describe(spec->ctx, facts, sizeof(facts));
	if (check) {
		printf("%s: configuration OK (%s)\n", path, facts);
		rc = 0;
		goto out;
	}

	/* Signals are taken synchronously by the main thread only. */
	daemon_signals_block();
	daemon_httpd_opts(spec->server, spec->problem, &hopts);
	if (spec->workers)
		hopts.workers = (unsigned)*spec->workers;
	httpd = ar_httpd_start(&hopts, spec->handler, spec->ctx, &err);
	if (!httpd) {
		ar_error("event=start.failed error=\"%s\"", err.msg);
		goto out;
	}
	ar_info("event=listening address=%s port=%d threads=%u workers=%u max_connections=%u "
		"max_connections_per_ip=%u %s", hopts.address, ar_httpd_port(httpd),
		ar_httpd_threads(hopts.threads), hopts.workers, hopts.max_connections,
		hopts.max_per_ip, facts);
	if (spec->start && spec->start(spec->ctx, &err) < 0) {
		ar_error("event=start.failed error=\"%s\"", err.msg);
		ar_httpd_stop(httpd);
		goto out;
	}
	ar_info("event=stopping signal=%d", daemon_wait());
	if (spec->stop)
		spec->stop(spec->ctx);
	ar_httpd_stop(httpd);
	rc = 0;
out:
	spec->release(spec->ctx);
	return rc;
}
