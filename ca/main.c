/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-ca: the NOC's ACME (RFC 8555) certificate authority with the
 * remote-attest-01 challenge.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ca.h"
#include "daemon_main.h"

static int load(void *ctx, const char *path, ar_err_t *err)
{
	return ca_load(ctx, path, err);
}

static void describe(void *ctx, char *buf, size_t size)
{
	const ca_t *ca = ctx;

	snprintf(buf, size, "directory=%s/directory profiles=%zu eab_keys=%zu eab_required=%s "
		 "issuer=%s event_worker=%s nas=%zu", ca->conf.base_url, ca->conf.nprofiles, ca->neab,
		 ca->conf.eab_required ? "yes" : "no", ca->issuer ? "yes" : "no",
		 ca->conf.events.worker ? "yes" : "no", ca->conf.events.nnas);
}

/* The NOC event worker uses its own Redis connection. */
static int start(void *ctx, ar_err_t *err)
{
	ca_t *ca = ctx;

	ca->noc.metrics = ca->metrics;
	ca->noc.dm_metric = CA_M_DISCONNECTS;
	return noc_start(&ca->noc, &ca->conf.events, &ca->stores.opts, err);
}

static void stop(void *ctx)
{
	noc_stop(&((ca_t *)ctx)->noc);
}

/*
 * What the HTTP layer refuses by itself (a request whose framing is in
 * doubt, a body over max_body) is an ACME problem like any other, with
 * Replay-Nonce and the index Link.
 */
static void problem(void *ctx, ar_http_resp_t *resp, int status, ar_http_fault_t fault,
		    const char *detail)
{
	const char *type = fault == AR_HTTP_MALFORMED || fault == AR_HTTP_TOO_LARGE ?
			   "malformed" : "serverInternal";

	acme_problem(ctx, resp, status, type, "%s", detail);
}

static void release(void *ctx)
{
	ca_free(ctx);
}

int main(int argc, char **argv)
{
	ca_t ca;
	const daemon_spec_t spec = {
		.name = "acme-rats-ca",
		.config = SYSCONFDIR "/acme-rats/ca.conf",
		.problem = problem,
		.ctx = &ca,
		.load = load,
		.server = &ca.conf.server,
		.workers = &ca.conf.validation_threads,
		.log = &ca.conf.log,
		.describe = describe,
		.handler = ca_handle,
		.start = start,
		.stop = stop,
		.release = release,
		.metrics = &ca.conf.metrics,
		.metrics_render = ca_metrics_render,
	};

	memset(&ca, 0, sizeof(ca));
	return daemon_main(argc, argv, &spec);
}
