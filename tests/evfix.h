/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Evidence for integration tests: a Debian 12 device with a file key, as
 * the device sends it: signed by its enrolled identity key, bare or
 * encrypted to the verifier.
 */
#ifndef AR_TEST_EVFIX_H
#define AR_TEST_EVFIX_H

#include <stdint.h>

#include "jwk.h"
#include "store.h"

/* Evidence JSON (caller frees) for @device bound to @nonce and @key, last
 * security update at @patched; disk, EDR and secure boot unknown. Unsigned:
 * what the verifier refuses. */
char *evfix_json(const char *nonce, const char *device, const ar_jwk_t *key, int64_t patched);

/* The same evidence signed by @identity: a compact JWS of media type
 * AR_MT_EVIDENCE_JWS (caller frees). */
char *evfix_signed(const char *nonce, const char *device, const ar_jwk_t *key, int64_t patched,
		   const ar_jwk_t *identity);

/* Signed evidence as the background-check model sends it: the flattened
 * JWE (JSON text, caller frees) to @enc of the CMW record wrapping it. */
char *evfix_sealed(const char *nonce, const char *device, const ar_jwk_t *key, int64_t patched,
		   const ar_jwk_t *identity, const ar_jwk_t *enc);

/* Enrol @device with @identity as the CA does at EAB newAccount.
 * Returns ar_store_identity_bind()'s result (1 bound). */
int evfix_enroll(ar_store_t *st, const char *device, const ar_jwk_t *identity);

#endif
