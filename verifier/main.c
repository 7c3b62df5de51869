/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-verifier: the SOC's attestation verifier. Appraises device
 * evidence against reference values, signs EAT Attestation Results, and
 * takes the SOC's verdicts on devices.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "verifier.h"

static int load(void *ctx, const char *path, ar_err_t *err)
{
	return verifier_load(ctx, path, err);
}

static void describe(void *ctx, char *buf, size_t size)
{
	const verifier_t *v = ctx;

	snprintf(buf, size, "policy=%s ear_key=%s soc_api=%s", v->policy.name,
		 ar_jwk_thumbprint(v->signing_key), v->soc_token[0] ? "on" : "off");
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
		.problem_type = VERIFIER_PROBLEM "tooLarge",
		.ctx = &v,
		.load = load,
		.server = &v.conf.server,
		.log = &v.conf.log,
		.describe = describe,
		.handler = verifier_handle,
		.release = release,
	};

	memset(&v, 0, sizeof(v));
	return daemon_main(argc, argv, &spec);
}
