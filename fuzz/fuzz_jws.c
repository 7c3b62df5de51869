/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: JWS parsing in both serializations, then verification with
 * fixed keys: an ES256 one and RFC 8037's Ed25519 one, so both the
 * streaming and the one-shot (EdDSA) paths run (the input picks the form
 * by its first byte).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 8037 A.2: fuzz/corpus/jws/rfc8037-a4 verifies with it. */
#define ED25519_JWK "{\"kty\":\"OKP\",\"crv\":\"Ed25519\"," \
	"\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}"

static ar_jwk_t *key, *ed25519;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ar_jws_t jws;
	int rc;

	if (!key) {
		key = ar_jwk_generate("ES256", NULL);
		ed25519 = ar_jwk_parse_text(ED25519_JWK, strlen(ED25519_JWK), 0, NULL);
	}
	if (size && data[0] == '{')
		rc = ar_jws_parse_flat((const char *)data, size, 65536, &jws, NULL);
	else
		rc = ar_jws_parse_compact((const char *)data, size, 65536, &jws, NULL);
	if (rc == 0) {
		(void)ar_jws_verify(&jws, key, AR_ALGS_ASYMMETRIC, NULL);
		(void)ar_jws_verify(&jws, ed25519, AR_ALGS_ASYMMETRIC, NULL);
		(void)ar_jws_header_str(&jws, "kid");
		ar_jws_clear(&jws);
	}
	return 0;
}
