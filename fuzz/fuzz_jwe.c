/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: JWE decryption of untrusted flattened JSON with a fixed
 * recipient key (the verifier's evidence-encryption key).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "jwe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ar_jwk_t *key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *pt = NULL;
	size_t len;

	if (!key)
		key = ar_jwk_generate("ES256", NULL);
	if (ar_jwe_decrypt_text((const char *)data, size, key, 65536, &pt, &len, NULL) == 0)
		free(pt);
	return 0;
}
