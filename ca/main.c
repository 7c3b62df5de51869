/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-ca: the NOC's ACME (RFC 8555) certificate authority with the
 * remote-attest-01 challenge.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ca.h"

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

	return noc_start(&ca->noc, &ca->conf.events, &ca->stores.opts, err);
}

static void stop(void *ctx)
{
	noc_stop(&((ca_t *)ctx)->noc);
}

/* The 413 for an oversize body carries Replay-Nonce and the index Link too. */
static void decorate(void *ctx, ar_http_resp_t *resp)
{
	acme_headers(ctx, resp);
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
		.problem_type = ACME_ERR "malformed",
		.decorate = decorate,
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
	};

	memset(&ca, 0, sizeof(ca));
	return daemon_main(argc, argv, &spec);
}
