/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the attestation extension decoder (the bytes a RADIUS server
 * receives from any client certificate). Whatever decodes must encode back
 * to the very same bytes and decode to the same fields.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ar_certext_t a, b;
	unsigned char *der;
	size_t len;

	memset(&a, 0, sizeof(a));
	if (ar_certext_decode(data, size, &a, NULL) < 0)
		return 0;
	if (ar_certext_encode(&a, &der, &len, NULL) < 0)
		abort();
	if (len != size || memcmp(der, data, size) != 0)
		abort();
	memset(&b, 0, sizeof(b));
	if (ar_certext_decode(der, len, &b, NULL) < 0 || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	OPENSSL_free(der);
	return 0;
}
