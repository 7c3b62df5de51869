/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: what rlm_acme_rats reads from a client certificate through
 * FreeRADIUS (serial, validity, issuer, Authority-Key-Identifier and the raw
 * attestation extension, all chosen by whoever holds a certificate the EAP
 * trust store accepts) and the Class attribute a NAS echoes in accounting.
 *
 * Input: ten text fields separated by '\n' (the leaf's serial, Valid-Since,
 * Expiration, Issuer, Authority-Key-Identifier; then the depth-1
 * certificate's TLS-Cert-Serial, -Subject, -Issuer, -Valid-Since,
 * -Expiration), then the extension bytes. The policy trusts issuer
 * "/CN=fuzz CA" (key id "aabbcc", serial 01, under "/CN=fuzz root"); there
 * is no Redis, so the certificate_only and fail_closed paths run.
 * Invariants: a decision is always made, with a reason; only an intact
 * certificate whose verified depth-1 certificate is the trusted issuer is
 * ever admitted.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS	10

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dev[AR_STORE_DEVICE_MAX + 1], ser[AR_STORE_HEX_MAX + 1];
	char *copy = malloc(size + 1), *field[NFIELDS] = { NULL }, *p;
	armod_policy_t pol = { .fresh_s = 21600, .grace_s = 43200, .max_lifetime_s = 86400,
			       .nissuers = 1, .issuers = { { "aabbcc", "/CN=fuzz CA", "/CN=fuzz root", "01",
							     "260101000000Z", "360101000000Z" } } };
	armod_cert_t cert;
	armod_result_t res;
	ar_certext_t ext;
	size_t i, off = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 0, p = copy; i < NFIELDS && p; i++) {
		char *nl = memchr(p, '\n', size - (size_t)(p - copy));

		field[i] = p;
		if (nl) {
			*nl = '\0';
			p = nl + 1;
		} else {
			p = NULL;
		}
	}
	off = p ? (size_t)(p - copy) : size;
	memset(&cert, 0, sizeof(cert));
	cert.serial = field[0];
	cert.valid_since = field[1];
	cert.expiration = field[2];
	cert.issuer = field[3];
	cert.aki = field[4];
	cert.ca_serial = field[5];
	cert.ca_subject = field[6];
	cert.ca_issuer = field[7];
	cert.ca_valid_since = field[8];
	cert.ca_expiration = field[9];
	if (off < size) {
		cert.ext = data + off;
		cert.ext_len = size - off;
	}
	for (pol.fail_closed = 0; pol.fail_closed < 2; pol.fail_closed++) {
		pol.pass_non_acme = pol.fail_closed;
		armod_check(&pol, &cert, NULL, 1795406400, &res, &ext);
		if (!res.reason[0] || res.decision > ARMOD_PASS)
			abort();
		if ((res.decision == ARMOD_ACCEPT || res.decision == ARMOD_QUARANTINE) &&
		    (pol.fail_closed || !res.degraded || strcmp(res.aki, "aabbcc") || !ext.device_id[0] ||
		     armod_verified_issuer(&pol, &cert) != &pol.issuers[0]))
			abort();
	}
	if (armod_class_decode(data, size, dev, sizeof(dev), ser, sizeof(ser)) == 1 &&
	    (ar_store_device_valid(dev, NULL) < 0 || strlen(ser) % 2))
		abort();
	free(copy);
	return 0;
}
