/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: JWS parsing in both serializations, then verification with a
 * fixed key (the input picks the form by its first byte).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ar_jwk_t *key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ar_jws_t jws;
	int rc;

	if (!key)
		key = ar_jwk_generate("ES256", NULL);
	if (size && data[0] == '{')
		rc = ar_jws_parse_flat((const char *)data, size, 65536, &jws, NULL);
	else
		rc = ar_jws_parse_compact((const char *)data, size, 65536, &jws, NULL);
	if (rc == 0) {
		(void)ar_jws_verify(&jws, key, AR_ALGS_ASYMMETRIC, NULL);
		(void)ar_jws_header_str(&jws, "kid");
		ar_jws_clear(&jws);
	}
	return 0;
}
