/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: ACME request envelopes (RFC 8555 6.2) for each key reference
 * an endpoint may require, then the EAB inner JWS of a newAccount payload.
 */
#include "config.h"

#include <stdint.h>

#include "acme_jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define URL "https://ca.test/acme/new-account"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ar_acme_keyref_t refs[] = {
		AR_ACME_KEY_KID, AR_ACME_KEY_JWK, AR_ACME_KEY_EITHER,
	};
	ar_acme_jws_t req;
	char kid[128];
	size_t i;

	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		if (ar_acme_jws_parse((const char *)data, size, URL, refs[i], &req, NULL) < 0)
			continue;
		if (req.jwk) {
			(void)ar_acme_jws_verify(&req, req.jwk, NULL);
			if (req.payload)
				(void)ar_acme_eab_check(json_object_get(req.payload,
									"externalAccountBinding"),
							req.jwk, URL, NULL, kid, sizeof(kid), NULL);
		}
		ar_acme_jws_clear(&req);
	}
	return 0;
}
