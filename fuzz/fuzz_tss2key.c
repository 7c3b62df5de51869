/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the TSS2 key file reader of acme-rats-helper (the
 * "TSS2 PRIVATE KEY" PEM of its TPM key, helper/tss2key.h), and the
 * writer on what it accepted: the text written must parse to the same key.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tss2key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tss2key_t *k = malloc(sizeof(*k)), *again = malloc(sizeof(*again));
	char *pem;

	if (k && again && tss2key_parse((const char *)data, size, k, NULL) == 0) {
		pem = tss2key_pem(k, NULL);
		if (!pem || tss2key_parse(pem, strlen(pem), again, NULL) < 0 ||
		    again->parent != k->parent || !again->empty_auth ||
		    again->pub_len != k->pub_len || memcmp(again->pub, k->pub, k->pub_len) ||
		    again->priv_len != k->priv_len || memcmp(again->priv, k->priv, k->priv_len))
			abort();
		free(pem);
	}
	free(k);
	free(again);
	return 0;
}
