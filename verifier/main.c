/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-verifier: the SOC's attestation verifier. Appraises device
 * evidence against reference values, signs EAT Attestation Results, and
 * takes the SOC's verdicts on devices.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "daemon_main.h"
#include "verifier.h"

static int load(void *ctx, const char *path, ar_err_t *err)
{
	return verifier_load(ctx, path, err);
}

static void describe(void *ctx, char *buf, size_t size)
{
	const verifier_t *v = ctx;

	snprintf(buf, size, "policy=%s ear_key=%s soc_api=%s alert_sources=%zu syslog=%s",
		 v->policy.name, ar_jwk_thumbprint(v->signing_key), v->soc_token[0] ? "on" : "off",
		 v->conf.nalert_sources, v->conf.syslog_enabled ? "on" : "off");
}

/* What the HTTP layer refuses by itself, in the verifier's problem types. */
static void problem(void *ctx, ar_http_resp_t *resp, int status, ar_http_fault_t fault,
		    const char *detail)
{
	static const char *const types[] = {
		[AR_HTTP_MALFORMED] = VERIFIER_PROBLEM "malformed",
		[AR_HTTP_TOO_LARGE] = VERIFIER_PROBLEM "tooLarge",
		[AR_HTTP_INTERNAL] = VERIFIER_PROBLEM "internal",
		[AR_HTTP_UNAVAILABLE] = VERIFIER_PROBLEM "unavailable",
	};

	(void)ctx;
	ar_http_resp_problem(resp, status, types[fault], "%s", detail);
}

static int start(void *ctx, ar_err_t *err)
{
	return syslog_out_start(ctx, err);
}

static void stop(void *ctx)
{
	syslog_out_stop(ctx);
}

static void release(void *ctx)
{
	verifier_free(ctx);
}

int main(int argc, char **argv)
{
	verifier_t v;
	const daemon_spec_t spec = {
		.name = "acme-rats-verifier",
		.config = SYSCONFDIR "/acme-rats/verifier.conf",
		.problem = problem,
		.ctx = &v,
		.load = load,
		.server = &v.conf.server,
		.log = &v.conf.log,
		.describe = describe,
		.handler = verifier_handle,
		.start = start,
		.stop = stop,
		.release = release,
		.metrics = &v.conf.metrics,
		.metrics_render = verifier_metrics_render,
	};

	memset(&v, 0, sizeof(v));
	return daemon_main(argc, argv, &spec);
}
