/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: EAR claims and appraisal. The input is read as claims JSON
 * (the part of an EAR an attacker controls once a verifier key is
 * compromised or a verifier is buggy), appraised against a strict policy;
 * it is also tried as a compact JWT against a fixed trusted key.
 */
#include "config.h"

#include <stdint.h>

#include "ear.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ar_jwks_t *trusted;

static void init(void)
{
	ar_jwk_t *k = ar_jwk_generate("ES256", NULL);
	json_t *set = json_pack("{s:[o]}", "keys", ar_jwk_public_json(k));

	trusted = ar_jwks_parse(set, AR_JWK_PUBLIC_ONLY, NULL);
	json_decref(set);
	ar_jwk_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ar_ear_expect_t x = { .now = 1800000000, .nonce = "AAAAAAAAAAAAAAAAAAAAAA", .jkt = NULL };
	ar_ear_policy_t p;
	ar_appraisal_t a;
	ar_ear_t ear;
	json_t *claims;
	char tv[128];
	size_t i;

	if (!trusted)
		init();
	ar_ear_policy_init(&p);
	p.claim_min[AR_TV_HARDWARE] = AR_STATUS_AFFIRMING;
	claims = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (claims && ar_ear_parse_claims(claims, &ear, NULL) == 0) {
		ar_ear_appraise(&ear, &p, &x, &a);
		for (i = 0; i < ear.nsubmods; i++)
			ar_tvec_format(&ear.submods[i].tv, tv, sizeof(tv));
	}
	json_decref(claims);
	if (ar_ear_verify((const char *)data, size, trusted, &ear, NULL) == 0)
		ar_ear_appraise(&ear, &p, &x, &a);
	return 0;
}
