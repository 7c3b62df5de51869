/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-console: the NOC/SOC web console. Serves the page (static
 * files from www_dir), its JSON API and the live event stream over HTTPS:
 *
 *   GET  /, /app.js, /style.css       the page
 *   POST /api/login                   {"user", "password"} -> cookie, CSRF token
 *   POST /api/logout
 *   GET  /api/me                      who is logged in, the CSRF token
 *   GET  /api/devices                 devices: posture, verdict, certificate, renewal
 *   GET  /api/devices/<id>            one device, with its history
 *   GET  /api/sessions                live sessions by NAS
 *   GET  /api/events                  the event stream (text/event-stream)
 *   POST /api/devices/<id>/verdict    {"status", "reason"}   role soc
 *   POST /api/devices/<id>/disconnect {"reason"}             role noc
 *
 * A daemon of its own rather than a listener of the verifier: the console
 * holds operator passwords and sessions and faces browsers; the verifier
 * holds the EAR signing key. Each stays small, and the console reaches the
 * SOC verdict only through the SOC API, like acme-rats-ctl.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "console.h"
#include "daemon_main.h"

#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " \
	    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

void console_secure_headers(ar_http_resp_t *resp)
{
	ar_http_resp_header(resp, "Content-Security-Policy", CSP);
	ar_http_resp_header(resp, "X-Frame-Options", "DENY");
	ar_http_resp_header(resp, "X-Content-Type-Options", "nosniff");
	ar_http_resp_header(resp, "Referrer-Policy", "no-referrer");
	ar_http_resp_header(resp, "Strict-Transport-Security", "max-age=31536000");
}

static void static_file(console_t *c, const char *path, ar_http_resp_t *resp)
{
	size_t i;

	if (!strcmp(path, "/"))
		path = "/index.html";
	for (i = 0; i < sizeof(c->files) / sizeof(c->files[0]); i++) {
		if (c->files[i].name && !strcmp(path + 1, c->files[i].name)) {
			ar_http_resp_text(resp, 200, c->files[i].type, c->files[i].body,
					  c->files[i].len);
			return;
		}
	}
	ar_http_resp_problem(resp, 404, CONSOLE_PROBLEM "notFound", "no such resource");
}

void console_handle(void *ctx, const ar_http_req_t *req, ar_http_resp_t *resp)
{
	console_t *c = ctx;
	const char *path = ar_http_path(req), *method = ar_http_method(req);
	int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
	console_session_t s;

	/* The event stream answers on a worker: its headers are set there. */
	if (get && !strcmp(path, "/api/events")) {
		console_events(c, req, resp);
		return;
	}
	console_secure_headers(resp);
	if (post && !strcmp(path, "/api/login")) {
		console_login(c, req, resp);
	} else if (post && !strcmp(path, "/api/logout")) {
		console_logout(c, req, resp);
	} else if (!strncmp(path, "/api/", 5)) {
		if (!get && !post) {
			ar_http_resp_header(resp, "Allow", "GET, POST");
			ar_http_resp_problem(resp, 405, CONSOLE_PROBLEM "methodNotAllowed",
					     "method not allowed");
		} else if (console_session(c, req, post, &s, resp)) {
			console_api(c, &s, req, resp);
		}
	} else if (get) {
		static_file(c, path, resp);
	} else {
		ar_http_resp_header(resp, "Allow", "GET");
		ar_http_resp_problem(resp, 405, CONSOLE_PROBLEM "methodNotAllowed",
				     "method not allowed");
	}
}

static int load(void *ctx, const char *path, ar_err_t *err)
{
	return console_load(ctx, path, err);
}

static void describe(void *ctx, char *buf, size_t size)
{
	const console_t *c = ctx;

	snprintf(buf, size, "users=%s www=%s soc_api=%s origin=%s streams_max=%lld "
		 "streams_per_user=%lld streams_per_session=%lld", c->conf.users_file,
		 c->conf.www_dir, c->conf.soc.verifier_url ? "on" : "off",
		 c->conf.origin, (long long)c->conf.streams_max, (long long)c->conf.streams_per_user,
		 (long long)c->conf.streams_per_session);
}

static void problem(void *ctx, ar_http_resp_t *resp, int status, ar_http_fault_t fault,
		    const char *detail)
{
	static const char *const types[] = {
		[AR_HTTP_MALFORMED] = CONSOLE_PROBLEM "malformed",
		[AR_HTTP_TOO_LARGE] = CONSOLE_PROBLEM "tooLarge",
		[AR_HTTP_INTERNAL] = CONSOLE_PROBLEM "internal",
		[AR_HTTP_UNAVAILABLE] = CONSOLE_PROBLEM "unavailable",
	};

	(void)ctx;
	console_secure_headers(resp);
	ar_http_resp_problem(resp, status, types[fault], "%s", detail);
}

static void release(void *ctx)
{
	console_free(ctx);
}

int main(int argc, char **argv)
{
	console_t c;
	const daemon_spec_t spec = {
		.name = "acme-rats-console",
		.config = SYSCONFDIR "/acme-rats/console.conf",
		.problem = problem,
		.ctx = &c,
		.load = load,
		.server = &c.conf.server,
		.log = &c.conf.log,
		.workers = &c.conf.workers,
		.describe = describe,
		.handler = console_handle,
		.release = release,
	};

	memset(&c, 0, sizeof(c));
	return daemon_main(argc, argv, &spec);
}
