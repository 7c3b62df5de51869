/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: JWK and JWK Set parsing, thumbprint, public projection.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "jwk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *json, *pub;
	ar_jwks_t *set;
	ar_jwk_t *key;

	key = ar_jwk_parse_text((const char *)data, size, AR_JWK_ALLOW_OCT, NULL);
	if (key) {
		(void)ar_jwk_thumbprint(key);
		pub = ar_jwk_public_json(key);
		json_decref(pub);
		free(ar_jwk_to_pem(key, 0, NULL));
		ar_jwk_free(key);
	}
	json = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (json) {
		set = ar_jwks_parse(json, AR_JWK_PUBLIC_ONLY, NULL);
		if (set)
			(void)ar_jwks_find(set, "k1");
		ar_jwks_free(set);
		json_decref(json);
	}
	return 0;
}
