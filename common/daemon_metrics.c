/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GET /metrics for the HTTPS daemons: the Prometheus text exposition of the
 * daemon's metrics, behind a bearer token on the service's listener, or on
 * a listener of its own ([metrics] listen), loopback unless a token guards
 * it. Sits in front of the daemon's handler, which never sees /metrics.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "daemon_main.h"
#include "log.h"
#include "metrics.h"

#define METRICS_PATH		"/metrics"
#define METRICS_PROBLEM		"urn:acme-rats:metrics:error:"
#define METRICS_TYPE		"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_MAX		(4 * 1024 * 1024)

/* "host:port" or "[v6]:port" into @host and @port. */
static int split_listen(const char *v, char *host, size_t size, int *port, ar_err_t *err)
{
	const char *colon = strrchr(v, ':');
	const char *h = v;
	size_t hlen;
	char *end;
	long p;

	if (!colon || colon == v)
		goto bad;
	hlen = (size_t)(colon - v);
	if (v[0] == '[') {
		if (hlen < 3 || v[hlen - 1] != ']')
			goto bad;
		h = v + 1;
		hlen -= 2;
	}
	p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p < 0 || p > 65535 || hlen >= size)
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (int)p;
	return 0;
bad:
	return ar_err_set(err, AR_ERR_CONFIG, "[metrics] listen \"%.64s\": expected host:port "
			  "(an IPv6 address in brackets)", v);
}

static int is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

int daemon_metrics_setup(daemon_front_t *f, const daemon_spec_t *spec, ar_err_t *err)
{
	const daemon_metrics_conf_t *c = spec->metrics;

	memset(f, 0, sizeof(*f));
	f->spec = spec;
	if (!c || !spec->metrics_render || (!c->listen && !c->token_file))
		return 0;
	if (c->token_file && daemon_read_secret(c->token_file, f->token, sizeof(f->token), err) < 0)
		return -1;
	if (c->listen) {
		if (split_listen(c->listen, f->host, sizeof(f->host), &f->port, err) < 0)
			return -1;
		if (!f->token[0] && !is_loopback(f->host))
			return ar_err_set(err, AR_ERR_CONFIG, "[metrics] listen %s is not a loopback "
					  "address: set token_file too", c->listen);
		f->own = 1;
	} else {
		f->on_main = 1;
	}
	return 0;
}

/* The request carries "Authorization: Bearer <token>" (compared in constant time). */
static int authorized(const daemon_front_t *f, const ar_http_req_t *req)
{
	const char *h = ar_http_header(req, "Authorization");
	unsigned char want[32], got[32];
	int ok;

	if (!f->token[0])
		return 1;
	if (!h || strncasecmp(h, "Bearer ", 7))
		return 0;
	h += 7;
	if (!EVP_Digest(f->token, strlen(f->token), want, NULL, EVP_sha256(), NULL) ||
	    !EVP_Digest(h, strlen(h), got, NULL, EVP_sha256(), NULL))
		return 0;
	ok = CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

static void metrics_answer(daemon_front_t *f, const ar_http_req_t *req, ar_http_resp_t *resp)
{
	ar_buf_t b = AR_BUF_INIT(METRICS_MAX);
	char *text;
	size_t len;

	if (strcmp(ar_http_method(req), "GET")) {
		ar_http_resp_header(resp, "Allow", "GET");
		ar_http_resp_problem(resp, 405, METRICS_PROBLEM "method", "metrics are read with GET");
		return;
	}
	if (!authorized(f, req)) {
		ar_warn("event=metrics.refused peer=%s reason=%s", ar_http_peer(req),
			ar_http_header(req, "Authorization") ? "bad_token" : "no_token");
		ar_http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"metrics\"");
		ar_http_resp_problem(resp, 401, METRICS_PROBLEM "unauthorized",
				     "GET /metrics needs Authorization: Bearer with the metrics token");
		return;
	}
	if (f->spec->metrics_render(f->spec->ctx, &b) < 0) {
		ar_buf_free(&b);
		ar_http_resp_problem(resp, 500, METRICS_PROBLEM "internal", "metrics not rendered");
		return;
	}
	text = ar_buf_steal(&b, &len);
	ar_http_resp_text(resp, 200, METRICS_TYPE, text ? text : "", text ? len : 0);
	free(text);
}

void daemon_front_handler(void *ctx, const ar_http_req_t *req, ar_http_resp_t *resp)
{
	daemon_front_t *f = ctx;

	if (f->on_main && !strcmp(ar_http_path(req), METRICS_PATH)) {
		metrics_answer(f, req, resp);
		return;
	}
	f->spec->handler(f->spec->ctx, req, resp);
}

void daemon_front_problem(void *ctx, ar_http_resp_t *resp, int status, ar_http_fault_t fault,
			  const char *detail)
{
	daemon_front_t *f = ctx;

	if (f->spec->problem)
		f->spec->problem(f->spec->ctx, resp, status, fault, detail);
	else
		ar_http_resp_problem(resp, status, "about:blank", "%s", detail);
}

/* The metrics listener answers GET /metrics and nothing else. */
static void own_handler(void *ctx, const ar_http_req_t *req, ar_http_resp_t *resp)
{
	if (strcmp(ar_http_path(req), METRICS_PATH)) {
		ar_http_resp_problem(resp, 404, METRICS_PROBLEM "notFound", "only %s is served here",
				     METRICS_PATH);
		return;
	}
	metrics_answer(ctx, req, resp);
}

static void own_problem(void *ctx, ar_http_resp_t *resp, int status, ar_http_fault_t fault,
			const char *detail)
{
	(void)ctx;
	(void)fault;
	ar_http_resp_problem(resp, status, METRICS_PROBLEM "http", "%s", detail);
}

int daemon_metrics_start(daemon_front_t *f, const ar_httpd_opts_t *service, ar_err_t *err)
{
	ar_httpd_opts_t o;

	if (f->on_main)
		ar_info("event=metrics.serving where=service path=%s token=yes", METRICS_PATH);
	if (!f->own)
		return 0;
	o = *service;
	o.address = f->host;
	o.port = f->port;
	o.threads = 1;
	o.workers = 0;
	o.max_connections = 16;
	o.max_per_ip = 0;
	o.max_body = 1024;
	o.problem = own_problem;
	f->listener = ar_httpd_start(&o, own_handler, f, err);
	if (!f->listener)
		return ar_err_prefix(err, "[metrics] listen: ");
	ar_info("event=listening what=metrics address=%s port=%d token=%s", f->host,
		ar_httpd_port(f->listener), f->token[0] ? "yes" : "no");
	return 0;
}

void daemon_metrics_stop(daemon_front_t *f)
{
	ar_httpd_stop(f->listener);
	f->listener = NULL;
	OPENSSL_cleanse(f->token, sizeof(f->token));
}
