/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An ACME-RATS certificate as FreeRADIUS would export it, for the in-process
 * tests and benchmark of rlm_acme_rats's check: an 8 h certificate of device
 * SUB-0042 issued a minute ago by "/CN=acme-rats issuing CA" (the verified
 * chain's depth-1 certificate), its
 * attestation extension, the policy trusting that CA (fresh 6 h, grace
 * 12 h, lifetime cap 24 h), and the Redis records the CA would write.
 */
#ifndef AR_TEST_MODFIX_H
#define AR_TEST_MODFIX_H

#include <stdint.h>

#include "check.h"

#define MODFIX_AKI	"00112233445566778899aabbccddeeff00112233"
#define MODFIX_SERIAL	"5a0b1c2d3e4f50617283940a1b2c3d4e"
/* The issuing CA's certificate as the verified chain shows it at depth 1. */
#define MODFIX_ROOT		"/CN=acme-rats root CA"
#define MODFIX_CA_SERIAL	"1f2e3d4c5b6a"
#define MODFIX_CA_SINCE		"260101000000Z"
#define MODFIX_CA_UNTIL		"360101000000Z"

typedef struct modfix {
	armod_policy_t	pol;
	armod_cert_t	cert;
	unsigned char	*der;		/* the extension (OPENSSL_free) */
	size_t		der_len;
	char		since[16], until[16];
	int64_t		now;
} modfix_t;

/* Fill @f for the time @now. Returns 0. */
int modfix_init(modfix_t *f, int64_t now);
void modfix_free(modfix_t *f);

/* The certificate record (valid) and a fresh affirming posture in Redis. */
int modfix_records(const modfix_t *f, ar_store_t *st);

/* UTCTime text of @when, as FreeRADIUS copies it out of a certificate. */
void modfix_utc(int64_t when, char out[16]);

#endif
