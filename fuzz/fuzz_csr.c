/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: CSRs as ACME finalize receives them (DER after base64url):
 * parse, check (signature, key, identifiers), compare with a fixed order.
 */
#include "config.h"

#include <stdint.h>

#include "x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ar_identifier_t order[] = {
		{ AR_ID_DNS, "laptop-7.example.net" },
		{ AR_ID_PERMANENT, "SUB-0042" },
		{ AR_ID_ATTESTATION, "" },
	};
	ar_csr_info_t info;
	ar_csr_t *req;
	char why[256];

	req = ar_csr_parse_der(data, size, NULL);
	if (!req)
		return 0;
	if (ar_csr_check(req, &info, NULL) == 0)
		(void)ar_csr_identifiers_match(&info, order, sizeof(order) / sizeof(order[0]), why,
					       sizeof(why));
	ar_csr_free(req);
	return 0;
}
