/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file jwk.h
 * @brief JSON Web Keys (RFC 7517/7518) and RFC 7638 thumbprints.
 *
 * An ::ar_jwk_t is a validated key: its JSON form plus the OpenSSL key it
 * denotes, parsed once and reused for every signature. Accepted key types:
 * EC on P-256 and P-384 (coordinates of the exact length, a point on the
 * curve), RSA of 2048 to 8192 bits with an odd public exponent of at least
 * 65537, Ed25519 (RFC 8037 "OKP", a canonical point not of small order),
 * and - only when the caller asks for it - symmetric "oct" keys of at least
 * 128 bits (the HMAC keys of External Account Binding).
 *
 * Errors tell a JWK that is not one (AR_ERR_MALFORMED: not an object, no
 * "kty", a member missing or not base64url) from a key that is refused
 * (AR_ERR_BAD_KEY: another type, curve or size, or not a valid key of its
 * kind), so a server can answer malformed and badPublicKey apart.
 */
#ifndef AR_JWK_H
#define AR_JWK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "err.h"

/** Length of a base64url SHA-256 thumbprint, without NUL. */
#define AR_JWK_THUMBPRINT_LEN	43

/** Upper bound of a JWK's JSON text we parse. */
#define AR_JWK_MAX_TEXT		16384

typedef struct ar_jwk ar_jwk_t;

typedef enum ar_jwk_type {
	AR_JWK_EC = 1,
	AR_JWK_RSA,
	AR_JWK_OCT,
	AR_JWK_OKP,	/**< Ed25519 (RFC 8037) */
} ar_jwk_type_t;

/** Flags for ar_jwk_parse(). */
#define AR_JWK_ALLOW_OCT	0x1	/**< accept symmetric keys */
#define AR_JWK_PUBLIC_ONLY	0x2	/**< reject keys carrying private members */

/**
 * Validate a JWK and build its key.
 *
 * @param json	a JSON object (not consumed; the key keeps its own copy).
 * @param flags	AR_JWK_ALLOW_OCT, AR_JWK_PUBLIC_ONLY.
 * @return a new key (free with ar_jwk_free()), or NULL with AR_ERR_MALFORMED
 *	   (not a JWK, or private members with AR_JWK_PUBLIC_ONLY),
 *	   AR_ERR_BAD_KEY (kty/crv/size we do not accept, an RSA exponent
 *	   refused, an EC point off its curve, an Ed25519 point of small
 *	   order, a private part not matching the public one) or AR_ERR_NOMEM.
 */
ar_jwk_t *ar_jwk_parse(const json_t *json, unsigned flags, ar_err_t *err);

/** As ar_jwk_parse(), from JSON text of at most AR_JWK_MAX_TEXT bytes. */
ar_jwk_t *ar_jwk_parse_text(const char *text, size_t len, unsigned flags, ar_err_t *err);

/**
 * A cache of parsed keys, for a server that sees the same JWKs again and
 * again (an ACME account's key on each of its requests): parsing and
 * validating a key costs more than verifying a signature with it. A hit
 * costs serializing the JSON and one comparison. Thread-safe; direct
 * mapped (a colliding key replaces the slot's).
 */
typedef struct ar_jwk_cache ar_jwk_cache_t;

/** Most slots a cache may have. */
#define AR_JWK_CACHE_MAX_SLOTS	(1u << 20)

/** A cache of @p slots keys (1..AR_JWK_CACHE_MAX_SLOTS); NULL on failure. */
ar_jwk_cache_t *ar_jwk_cache_new(size_t slots);

/** Free the cache; keys handed out stay valid until their holders free them. */
void ar_jwk_cache_free(ar_jwk_cache_t *c);

/**
 * As ar_jwk_parse(), through the cache: a JWK with the same members and
 * the same @p flags as one parsed before gives that key. Failures are not
 * cached.
 *
 * @return a reference the caller releases with ar_jwk_free() (the key is
 *	   shared: do not modify it), or NULL with ar_jwk_parse()'s errors.
 */
ar_jwk_t *ar_jwk_cache_parse(ar_jwk_cache_t *c, const json_t *json, unsigned flags,
			     ar_err_t *err);

/** Build a key from an OpenSSL key (EC, RSA or Ed25519). @p pkey is not consumed. */
ar_jwk_t *ar_jwk_from_pkey(EVP_PKEY *pkey, ar_err_t *err);

/**
 * The RFC 7638 thumbprint of an OpenSSL key's public part, as
 * ar_jwk_thumbprint() gives it, without building an ::ar_jwk_t (no key
 * validation: for a key already checked, such as a CSR's after its
 * signature verified).
 */
int ar_jwk_pkey_thumbprint(EVP_PKEY *pkey, char out[AR_JWK_THUMBPRINT_LEN + 1], ar_err_t *err);

/**
 * The RSA public exponent policy ar_jwk_parse() applies, for RSA keys that
 * arrive in another form (a CSR's): odd, at least 65537, at most 64 bits.
 *
 * @param e	the exponent, big-endian, @p len bytes (not read beyond 8).
 * @return 0, or -1 with AR_ERR_BAD_KEY naming the exponent.
 */
int ar_jwk_rsa_exponent_check(const uint8_t *e, size_t len, ar_err_t *err);

/** Generate a private key for "ES256", "ES384", "RS256" (3072 bits) or "EdDSA" (Ed25519). */
ar_jwk_t *ar_jwk_generate(const char *alg, ar_err_t *err);

/** Read a private or public key from a PEM file. */
ar_jwk_t *ar_jwk_load_pem(const char *path, ar_err_t *err);

/**
 * PEM text of the key (PKCS#8 private key when @p private_part and the key
 * has one, else SubjectPublicKeyInfo). Caller frees. NULL for oct keys.
 */
char *ar_jwk_to_pem(const ar_jwk_t *key, int private_part, ar_err_t *err);

/** Release the key (one reference, for keys from ar_jwk_cache_parse()); NULL is a no-op. */
void ar_jwk_free(ar_jwk_t *key);

/** New reference to the public members only (drops d, p, q, ... and k). */
json_t *ar_jwk_public_json(const ar_jwk_t *key);

/** Borrowed reference to the key's full JSON (private members included). */
const json_t *ar_jwk_json(const ar_jwk_t *key);

/** RFC 7638 SHA-256 thumbprint, base64url, computed once at parse. */
const char *ar_jwk_thumbprint(const ar_jwk_t *key);

ar_jwk_type_t ar_jwk_type(const ar_jwk_t *key);

/** "kid" member or NULL (borrowed). */
const char *ar_jwk_kid(const ar_jwk_t *key);

/** Non-zero if the key has its private part. */
int ar_jwk_is_private(const ar_jwk_t *key);

/** The signature algorithm the key implies: ES256, ES384, RS256, EdDSA or HS256. */
const char *ar_jwk_alg(const ar_jwk_t *key);

/** Borrowed OpenSSL key; NULL for oct keys. */
EVP_PKEY *ar_jwk_pkey(const ar_jwk_t *key);

/**
 * A digest-verify context already initialised for this key and its
 * algorithm, to be copied (EVP_MD_CTX_copy_ex) for each verification: it
 * spares OpenSSL's per-call algorithm fetch. For Ed25519 it has no digest
 * and takes the message in one EVP_DigestVerify(). NULL for oct keys.
 * Borrowed.
 */
const EVP_MD_CTX *ar_jwk_verify_ctx(const ar_jwk_t *key);

/**
 * The same for signing: a digest-sign context initialised for this private
 * key, to be copied for each signature. NULL for public and oct keys.
 * Borrowed.
 */
const EVP_MD_CTX *ar_jwk_sign_ctx(const ar_jwk_t *key);

/** Non-zero if both keys have the same public part (same thumbprint). */
int ar_jwk_same_public(const ar_jwk_t *a, const ar_jwk_t *b);

/** A JWK Set: a list of validated keys with lookup by "kid". */
typedef struct ar_jwks ar_jwks_t;

/** Parse {"keys": [...]}; every key must be valid and kids must be unique. */
ar_jwks_t *ar_jwks_parse(const json_t *json, unsigned flags, ar_err_t *err);
ar_jwks_t *ar_jwks_load(const char *path, unsigned flags, ar_err_t *err);
void ar_jwks_free(ar_jwks_t *set);
size_t ar_jwks_count(const ar_jwks_t *set);
const ar_jwk_t *ar_jwks_get(const ar_jwks_t *set, size_t i);
/** Key with this kid, or NULL. */
const ar_jwk_t *ar_jwks_find(const ar_jwks_t *set, const char *kid);

#endif
