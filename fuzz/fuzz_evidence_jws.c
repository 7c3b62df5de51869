/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: signed evidence as the verifier receives it, read both as a
 * compact JWS (application/vnd.acme-rats.evidence+jws) and as the
 * plaintext of an evidence JWE (the CMW record wrapping one), verified
 * against a store that knows one device (SUB-0042, RFC 7515 A.3 key), and
 * appraised when it verifies.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence_jws.h"
#include "evidence_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ar_jwk_t *enrolled;

static int lookup(void *ctx, const char *device, ar_jwk_t **key, ar_err_t *err)
{
	json_t *pub;

	(void)ctx;
	if (strcmp(device, FUZZ_EVIDENCE_DEVICE))
		return 0;
	pub = ar_jwk_public_json(enrolled);
	*key = ar_jwk_parse(pub, AR_JWK_PUBLIC_ONLY, err);
	json_decref(pub);
	return *key ? 1 : -1;
}

static void verify_and_appraise(const char *text, size_t len)
{
	char reason[256], claimed[AR_EV_STR];
	ar_ear_submod_t sm;
	ar_evidence_t ev;
	ar_refpolicy_t p;

	(void)ar_evidence_claimed_device(text, len, claimed, sizeof(claimed));
	if (ar_evidence_verify(text, len, lookup, NULL, &ev, NULL) < 0)
		return;
	ar_refpolicy_init(&p);
	p.require_non_exportable = 1;
	ar_evidence_appraise(&ev, &p, 1800000000, &sm, reason, sizeof(reason));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *jws = NULL;
	size_t len;

	if (!enrolled) {
		enrolled = ar_jwk_parse_text(FUZZ_EVIDENCE_JWK, strlen(FUZZ_EVIDENCE_JWK), 0, NULL);
		if (!enrolled)
			abort();
	}
	verify_and_appraise((const char *)data, size);
	if (ar_evidence_cmw_unwrap((const char *)data, size, &jws, &len, NULL) == 0) {
		verify_and_appraise(jws, len);
		free(jws);
	}
	return 0;
}
