/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON Web Keys and RFC 7638 thumbprints (jwk.h). */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "b64.h"
#include "fileio.h"
#include "json.h"
#include "jwk.h"

struct ar_jwk {
	json_t		*json;		/* full key, private members included */
	EVP_PKEY	*pkey;		/* NULL for oct */
	EVP_MD_CTX	*verify_ctx;	/* template, see ar_jwk_verify_ctx() */
	EVP_MD_CTX	*sign_ctx;	/* template for private keys, see ar_jwk_sign_ctx() */
	const EVP_MD	*md;		/* digest the signature uses; NULL for EdDSA */
	const struct kty *kty;		/* its key type's table entry */
	ar_jwk_type_t	type;
	const char	*alg;		/* implied signature algorithm */
	int		private_part;
	char		thumbprint[AR_JWK_THUMBPRINT_LEN + 1];
	atomic_uint	extra_refs;	/* references besides the first (ar_jwk_cache_parse) */
};

/* A key type (RFC 7518 6, RFC 8037 2): its members, how it is checked and built. */
struct kty {
	const char	*name;			/* "kty" */
	ar_jwk_type_t	type;
	const char	*required[4];		/* RFC 7638 3.2: thumbprint members besides kty */
	const char	*private[8];		/* the private part */
	int		(*check)(const json_t *json, ar_jwk_t *key, ar_err_t *err);
	/* the OpenSSL key; NULL (oct): none */
	EVP_PKEY	*(*build)(const struct kty *t, const json_t *json, ar_err_t *err);
	const char	*invalid;		/* when OpenSSL's key check fails */
};

#define ED25519_LEN	32	/* bytes of an Ed25519 public or private key (RFC 8032) */
#define RSA_E_MIN	65537	/* smallest RSA public exponent accepted */

/* Decoded length of a base64url string member, or -1 if absent/invalid. */
static long member_len(const json_t *json, const char *name)
{
	const json_t *v = json_object_get(json, name);
	size_t len;
	uint8_t *buf;

	if (!json_is_string(v))
		return -1;
	buf = ar_b64url_decode_alloc(json_string_value(v), json_string_length(v), &len, NULL);
	if (!buf)
		return -1;
	free(buf);
	return (long)len;
}

/*
 * Decode a base64url string member into @p out of @p size bytes: its
 * length, -1 if absent or not base64url, or @p size + 1 if longer.
 */
static long member_decode(const json_t *json, const char *name, uint8_t *out, size_t size)
{
	const json_t *v = json_object_get(json, name);
	ar_err_t err = { 0 };
	size_t len;

	if (!json_is_string(v))
		return -1;
	if (ar_b64url_decode(json_string_value(v), json_string_length(v), out, size, &len,
			     &err) < 0)
		return err.code == AR_ERR_TOO_LARGE ? (long)size + 1 : -1;
	return (long)len;
}

static int check_ec(const json_t *json, ar_jwk_t *key, ar_err_t *err)
{
	const char *crv = json_string_value(json_object_get(json, "crv"));
	long coord, x, y;

	if (!crv)
		return ar_err_set(err, AR_ERR_MALFORMED, "EC key without \"crv\"");
	if (!strcmp(crv, "P-256")) {
		coord = 32;
		key->alg = "ES256";
		key->md = EVP_sha256();
	} else if (!strcmp(crv, "P-384")) {
		coord = 48;
		key->alg = "ES384";
		key->md = EVP_sha384();
	} else {
		return ar_err_set(err, AR_ERR_BAD_KEY, "EC curve \"%.32s\" not supported (P-256 or "
				  "P-384)", crv);
	}
	x = member_len(json, "x");
	y = member_len(json, "y");
	if (x < 0 || y < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "EC key needs base64url \"x\" and \"y\"");
	if (x != coord || y != coord)
		return ar_err_set(err, AR_ERR_BAD_KEY, "EC key on %s: \"x\" and \"y\" must be %ld "
				  "bytes each, not %ld and %ld", crv, coord, x, y);
	if (json_object_get(json, "d")) {
		if (member_len(json, "d") != coord)
			return ar_err_set(err, AR_ERR_MALFORMED,
					  "EC key \"d\" must be base64url of %ld bytes", coord);
		key->private_part = 1;
	}
	return 0;
}

/*
 * The public exponent: odd and at least 65537 (as FIPS 186-5 and most CAs
 * ask; e = 1 makes every "signature" verify, small ones invite attacks on
 * bad padding), and at most 64 bits.
 */
int ar_jwk_rsa_exponent_check(const uint8_t *e, size_t len, ar_err_t *err)
{
	uint64_t v = 0;
	size_t i;

	if (len > sizeof(v))
		return ar_err_set(err, AR_ERR_BAD_KEY, "RSA public exponent of more than 64 bits");
	for (i = 0; i < len; i++)
		v = v << 8 | e[i];
	if (v < RSA_E_MIN || !(v & 1))
		return ar_err_set(err, AR_ERR_BAD_KEY, "RSA public exponent %" PRIu64 " refused: it "
				  "must be odd and at least %d", v, RSA_E_MIN);
	return 0;
}

static int check_rsa_exponent(const json_t *json, ar_err_t *err)
{
	uint8_t e[8];
	long len = member_decode(json, "e", e, sizeof(e));

	return ar_jwk_rsa_exponent_check(e, len < 0 ? 0 : (size_t)len, err);
}

static int check_rsa(const json_t *json, ar_jwk_t *key, ar_err_t *err)
{
	long n = member_len(json, "n"), e = member_len(json, "e");

	if (n < 0 || e <= 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "RSA key needs base64url \"n\" and \"e\"");
	if (n < 256)
		return ar_err_set(err, AR_ERR_BAD_KEY,
				  "RSA key of %ld bits: at least 2048 required", n * 8);
	if (n > 1024)
		return ar_err_set(err, AR_ERR_BAD_KEY, "RSA key of %ld bits: too large", n * 8);
	if (check_rsa_exponent(json, err) < 0)
		return -1;
	if (json_object_get(json, "d")) {
		if (member_len(json, "d") < 0)
			return ar_err_set(err, AR_ERR_MALFORMED, "RSA key \"d\" is not base64url");
		key->private_part = 1;
	}
	key->alg = "RS256";
	key->md = EVP_sha256();
	return 0;
}

/* RFC 8037: an Octet Key Pair, of which only Ed25519 signs here. */
static int check_okp(const json_t *json, ar_jwk_t *key, ar_err_t *err)
{
	const char *crv = json_string_value(json_object_get(json, "crv"));
	long x;

	if (!crv)
		return ar_err_set(err, AR_ERR_MALFORMED, "OKP key without \"crv\"");
	if (strcmp(crv, "Ed25519"))
		return ar_err_set(err, AR_ERR_BAD_KEY, "OKP curve \"%.32s\" not supported "
				  "(Ed25519 only)", crv);
	x = member_len(json, "x");
	if (x < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "OKP key needs base64url \"x\"");
	if (x != ED25519_LEN)
		return ar_err_set(err, AR_ERR_BAD_KEY, "Ed25519 key \"x\" must be %d bytes, not %ld",
				  ED25519_LEN, x);
	if (json_object_get(json, "d")) {
		if (member_len(json, "d") != ED25519_LEN)
			return ar_err_set(err, AR_ERR_MALFORMED, "Ed25519 key \"d\" must be base64url "
					  "of %d bytes", ED25519_LEN);
		key->private_part = 1;
	}
	key->alg = "EdDSA";
	key->md = NULL;		/* EdDSA hashes by itself (RFC 8032) */
	return 0;
}

static int check_oct(const json_t *json, ar_jwk_t *key, ar_err_t *err)
{
	long k = member_len(json, "k");

	if (k < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "oct key needs base64url \"k\"");
	if (k < 16)
		return ar_err_set(err, AR_ERR_BAD_KEY,
				  "oct key of %ld bits: at least 128 required", k * 8);
	key->private_part = 1;
	key->alg = "HS256";
	return 0;
}


/*
 * Encodings of Ed25519 points of order 1, 2, 4 or 8 (sign bit of x
 * cleared): y = 0, 1, p - 1 and the two y of the points of order 8. A key
 * on one of them signs for anyone: with the identity, every (R = identity,
 * S = 0) verifies under any message.
 */
static const uint8_t ed25519_small_order_y[][ED25519_LEN] = {
	{ 0 },
	{ 1 },
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0x7f },
	{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
	  0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
	  0xfc, 0x05 },
	{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
	  0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
	  0x03, 0x7a },
};

/*
 * Whether an Ed25519 point encoding decodes (RFC 8032 5.1.3): with y read
 * (little-endian, sign bit cleared), x^2 = (y^2 - 1) / (d y^2 + 1) mod p
 * must have a square root, and x = 0 must come with the sign bit clear.
 * OpenSSL takes any 32 bytes as a raw key and only fails at verification.
 * 1 yes, 0 no, -1 out of memory.
 */
static int ed25519_decodes(const uint8_t enc[ED25519_LEN])
{
	uint8_t y_le[ED25519_LEN];
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *p, *d, *y, *u, *v, *root;
	int rc = -1;

	memcpy(y_le, enc, sizeof(y_le));
	y_le[ED25519_LEN - 1] &= 0x7f;
	if (!ctx)
		return -1;
	BN_CTX_start(ctx);
	p = BN_CTX_get(ctx);
	d = BN_CTX_get(ctx);
	y = BN_CTX_get(ctx);
	u = BN_CTX_get(ctx);
	v = BN_CTX_get(ctx);
	if (!v || !BN_set_bit(p, 255) || !BN_sub_word(p, 19) ||
	    /* d = -121665 / 121666 */
	    !BN_set_word(u, 121666) || !BN_mod_inverse(d, u, p, ctx) || !BN_mul_word(d, 121665) ||
	    !BN_nnmod(d, d, p, ctx) || !BN_sub(d, p, d) ||
	    !BN_lebin2bn(y_le, ED25519_LEN, y) || !BN_mod_sqr(y, y, p, ctx) ||
	    !BN_mod_sub(u, y, BN_value_one(), p, ctx) ||			/* y^2 - 1 */
	    !BN_mod_mul(v, d, y, p, ctx) || !BN_mod_add(v, v, BN_value_one(), p, ctx) ||
	    !BN_mod_inverse(v, v, p, ctx) || !BN_mod_mul(u, u, v, p, ctx))	/* x^2 */
		goto out;
	if (BN_is_zero(u)) {
		rc = !(enc[ED25519_LEN - 1] & 0x80);
		goto out;
	}
	ERR_set_mark();
	root = BN_mod_sqrt(NULL, u, p, ctx);	/* NULL: not a square */
	ERR_pop_to_mark();
	rc = root != NULL;
	BN_free(root);
out:
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	return rc;
}

/*
 * The y of an Ed25519 public key is canonical (below p = 2^255 - 19), a
 * point of the curve and not of small order.
 */
static int check_ed25519_point(const uint8_t x[ED25519_LEN], ar_err_t *err)
{
	uint8_t y[ED25519_LEN];
	size_t i, ones = 0;

	memcpy(y, x, sizeof(y));
	y[ED25519_LEN - 1] &= 0x7f;
	for (i = 1; i < ED25519_LEN - 1; i++)
		ones += y[i] == 0xff;
	if (ones == ED25519_LEN - 2 && y[ED25519_LEN - 1] == 0x7f && y[0] >= 0xed)
		return ar_err_set(err, AR_ERR_BAD_KEY, "Ed25519 key \"x\" is not a canonical point "
				  "encoding");
	for (i = 0; i < sizeof(ed25519_small_order_y) / sizeof(ed25519_small_order_y[0]); i++)
		if (!memcmp(y, ed25519_small_order_y[i], ED25519_LEN))
			return ar_err_set(err, AR_ERR_BAD_KEY, "Ed25519 key \"x\" is a point of small "
					  "order: anyone could sign for it");
	switch (ed25519_decodes(x)) {
	case 1:
		return 0;
	case 0:
		return ar_err_set(err, AR_ERR_BAD_KEY, "Ed25519 key \"x\" is not a point of the "
				  "curve (RFC 8032 5.1.3)");
	default:
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	}
}

/* Ed25519 keys: OpenSSL's raw key import (libjose 11 has no OKP). */
static EVP_PKEY *okp_pkey(const struct kty *t, const json_t *json, ar_err_t *err)
{
	uint8_t x[ED25519_LEN], d[ED25519_LEN], pub[ED25519_LEN];
	size_t publen = sizeof(pub);
	EVP_PKEY *pkey = NULL;

	if (member_decode(json, "x", x, sizeof(x)) != ED25519_LEN)
		goto invalid;		/* checked by check_okp() */
	if (check_ed25519_point(x, err) < 0)
		return NULL;
	if (!json_object_get(json, "d")) {
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, sizeof(x));
		if (!pkey)
			goto invalid;
		return pkey;
	}
	if (member_decode(json, "d", d, sizeof(d)) != ED25519_LEN)
		goto invalid;
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, sizeof(d));
	OPENSSL_cleanse(d, sizeof(d));
	if (!pkey || EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 || publen != sizeof(x) ||
	    memcmp(pub, x, sizeof(x))) {
		EVP_PKEY_free(pkey);
		ar_err_set(err, AR_ERR_BAD_KEY, "private key does not match its public key");
		return NULL;
	}
	return pkey;
invalid:
	ar_err_set(err, AR_ERR_BAD_KEY, "%s", t->invalid);
	return NULL;
}

/* EC and RSA keys: libjose builds them (an EC point off its curve fails here). */
static EVP_PKEY *jose_pkey(const struct kty *t, const json_t *json, ar_err_t *err)
{
	EVP_PKEY *pkey = jose_openssl_jwk_to_EVP_PKEY(NULL, json);

	if (!pkey)
		ar_err_set(err, AR_ERR_BAD_KEY, "%s", t->invalid);
	return pkey;
}

/*
 * The key types (RFC 7518 6, RFC 8037 2): one table drives parsing, the
 * RFC 7638 thumbprint and the public projection.
 */
static const struct kty ktys[] = {
	{ "EC", AR_JWK_EC, { "crv", "x", "y" }, { "d" }, check_ec, jose_pkey,
	  "EC key: (x, y) is not a point on its curve" },
	{ "RSA", AR_JWK_RSA, { "e", "n" }, { "d", "p", "q", "dp", "dq", "qi", "oth" }, check_rsa,
	  jose_pkey, "RSA key is not a valid key (even modulus, or a small factor)" },
	{ "OKP", AR_JWK_OKP, { "crv", "x" }, { "d" }, check_okp, okp_pkey,
	  "Ed25519 key is not a valid key" },
	{ "oct", AR_JWK_OCT, { "k" }, { "k" }, check_oct, NULL, NULL },
};

static const struct kty *kty_find(const json_t *json)
{
	const char *name = json_string_value(json_object_get(json, "kty"));
	size_t i;

	for (i = 0; name && i < sizeof(ktys) / sizeof(ktys[0]); i++)
		if (!strcmp(name, ktys[i].name))
			return &ktys[i];
	return NULL;
}

/* The EVP key must be a valid public (and, if present, private) key. */
static int check_pkey(const struct kty *t, EVP_PKEY *pkey, int private_part, ar_err_t *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok;

	if (!ctx)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	ok = EVP_PKEY_public_check(ctx);
	if (ok == 1 && private_part)
		ok = EVP_PKEY_pairwise_check(ctx);
	EVP_PKEY_CTX_free(ctx);
	if (ok != 1)
		return ar_err_set(err, AR_ERR_BAD_KEY, "%s", private_part
				  ? "private key does not match its public key" : t->invalid);
	return 0;
}

/* RFC 7638 thumbprint (SHA-256, base64url) of a JWK of type @p t. */
static int thumbprint(const struct kty *t, const json_t *jwk, char out[AR_JWK_THUMBPRINT_LEN + 1],
		      ar_err_t *err)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	json_t *members = json_pack("{s:O}", "kty", json_object_get(jwk, "kty"));
	char *text = NULL;
	size_t i;
	int rc = -1;

	for (i = 0; members && t->required[i]; i++)
		if (json_object_set(members, t->required[i],
				    json_object_get(jwk, t->required[i])) < 0)
			goto out;
	/* Members in lexicographic order, no whitespace (RFC 7638 3.3). */
	text = members ? json_dumps(members, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (text && EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) == 1 &&
	    ar_b64url_encode(md, mdlen, out, AR_JWK_THUMBPRINT_LEN + 1) == 0)
		rc = 0;
out:
	if (rc < 0)
		ar_err_set(err, AR_ERR_CRYPTO, "cannot compute the JWK thumbprint");
	free(text);
	json_decref(members);
	return rc;
}

/* Digest-verify (and, with the private part, digest-sign) templates. */
static int prepare_contexts(ar_jwk_t *key, ar_err_t *err)
{
	key->verify_ctx = EVP_MD_CTX_new();
	if (!key->verify_ctx ||
	    EVP_DigestVerifyInit(key->verify_ctx, NULL, key->md, NULL, key->pkey) != 1)
		return ar_err_set(err, AR_ERR_CRYPTO, "cannot prepare signature verification");
	if (key->private_part &&
	    (!(key->sign_ctx = EVP_MD_CTX_new()) ||
	     EVP_DigestSignInit(key->sign_ctx, NULL, key->md, NULL, key->pkey) != 1))
		return ar_err_set(err, AR_ERR_CRYPTO, "cannot prepare signing");
	return 0;
}

ar_jwk_t *ar_jwk_parse(const json_t *json, unsigned flags, ar_err_t *err)
{
	const struct kty *t;
	ar_jwk_t *key = NULL;
	const char *kty;

	if (!json_is_object(json)) {
		ar_err_set(err, AR_ERR_MALFORMED, "JWK is not a JSON object");
		return NULL;
	}
	kty = json_string_value(json_object_get(json, "kty"));
	if (!kty) {
		ar_err_set(err, AR_ERR_MALFORMED, "JWK without \"kty\"");
		return NULL;
	}
	t = kty_find(json);
	if (!t || (t->type == AR_JWK_OCT && !(flags & AR_JWK_ALLOW_OCT))) {
		ar_err_set(err, AR_ERR_BAD_KEY, "JWK type \"%.16s\" not accepted here", kty);
		return NULL;
	}
	key = calloc(1, sizeof(*key));
	if (!key) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	key->kty = t;
	key->type = t->type;
	if (t->check(json, key, err) < 0)
		goto error;
	if (key->private_part && key->type != AR_JWK_OCT && (flags & AR_JWK_PUBLIC_ONLY)) {
		ar_err_set(err, AR_ERR_MALFORMED, "JWK carries private key material");
		goto error;
	}

	key->json = json_deep_copy(json);
	if (!key->json) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto error;
	}
	if (t->build) {
		key->pkey = t->build(t, key->json, err);
		if (!key->pkey || check_pkey(t, key->pkey, key->private_part, err) < 0 ||
		    prepare_contexts(key, err) < 0)
			goto error;
	}

	if (thumbprint(t, key->json, key->thumbprint, err) < 0)
		goto error;
	return key;

error:
	ar_jwk_free(key);
	return NULL;
}

/* One slot of the cache: the JWK's canonical text and flags, and the key. */
struct jwk_slot {
	char		*text;
	unsigned	flags;
	ar_jwk_t	*key;
};

struct ar_jwk_cache {
	pthread_mutex_t	lock;
	size_t		nslots;
	struct jwk_slot	slots[];
};

ar_jwk_cache_t *ar_jwk_cache_new(size_t slots)
{
	ar_jwk_cache_t *c;

	if (slots == 0 || slots > AR_JWK_CACHE_MAX_SLOTS)
		return NULL;
	c = calloc(1, sizeof(*c) + slots * sizeof(c->slots[0]));
	if (!c)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL)) {
		free(c);
		return NULL;
	}
	c->nslots = slots;
	return c;
}

void ar_jwk_cache_free(ar_jwk_cache_t *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nslots; i++) {
		free(c->slots[i].text);
		ar_jwk_free(c->slots[i].key);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* FNV-1a: spreads JWK texts (mostly base64url) over the slots. */
static size_t text_hash(const char *text, unsigned flags)
{
	uint64_t h = 14695981039346656037ULL ^ flags;

	for (; *text; text++)
		h = (h ^ (unsigned char)*text) * 1099511628211ULL;
	return (size_t)h;
}

static ar_jwk_t *take_ref(ar_jwk_t *key)
{
	atomic_fetch_add(&key->extra_refs, 1);
	return key;
}

ar_jwk_t *ar_jwk_cache_parse(ar_jwk_cache_t *c, const json_t *json, unsigned flags,
			     ar_err_t *err)
{
	char *text = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS);
	struct jwk_slot *slot;
	ar_jwk_t *key = NULL;

	if (!text) {
		ar_err_set(err, json_is_object(json) ? AR_ERR_NOMEM : AR_ERR_MALFORMED,
			   json_is_object(json) ? "out of memory" : "JWK is not a JSON object");
		return NULL;
	}
	slot = &c->slots[text_hash(text, flags) % c->nslots];
	pthread_mutex_lock(&c->lock);
	if (slot->key && slot->flags == flags && !strcmp(slot->text, text))
		key = take_ref(slot->key);
	pthread_mutex_unlock(&c->lock);
	if (key) {
		free(text);
		return key;
	}
	/* Parse outside the lock: that is the expensive part. */
	key = ar_jwk_parse(json, flags, err);
	if (!key) {
		free(text);
		return NULL;
	}
	pthread_mutex_lock(&c->lock);
	free(slot->text);
	ar_jwk_free(slot->key);		/* holders of the old key keep their references */
	slot->text = text;
	slot->flags = flags;
	slot->key = take_ref(key);
	pthread_mutex_unlock(&c->lock);
	return key;
}

ar_jwk_t *ar_jwk_parse_text(const char *text, size_t len, unsigned flags, ar_err_t *err)
{
	json_t *json;
	ar_jwk_t *key;

	json = ar_json_load(text, len, AR_JWK_MAX_TEXT, "JWK", err);
	if (!json)
		return NULL;
	key = ar_jwk_parse(json, flags, err);
	json_decref(json);
	return key;
}

/*
 * The JWK of an Ed25519 key, with "d" when @p private_part and the key has
 * it; NULL for any other key.
 */
static json_t *okp_jwk(EVP_PKEY *pkey, int private_part)
{
	uint8_t raw[ED25519_LEN];
	char x[64], d[64];
	size_t len = sizeof(raw);
	json_t *json;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != sizeof(raw) ||
	    ar_b64url_encode(raw, len, x, sizeof(x)) < 0)
		return NULL;
	json = json_pack("{s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed25519", "x", x);
	len = sizeof(raw);
	if (json && private_part && EVP_PKEY_get_raw_private_key(pkey, raw, &len) == 1 &&
	    len == sizeof(raw) && ar_b64url_encode(raw, len, d, sizeof(d)) == 0)
		json_object_set_new(json, "d", json_string(d));
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(d, sizeof(d));
	return json;
}

ar_jwk_t *ar_jwk_from_pkey(EVP_PKEY *pkey, ar_err_t *err)
{
	json_t *json = okp_jwk(pkey, 1);
	ar_jwk_t *key;

	if (!json)
		json = jose_openssl_jwk_from_EVP_PKEY(NULL, pkey);
	if (!json) {
		ar_err_set(err, AR_ERR_UNSUPPORTED, "key type cannot be expressed as a JWK");
		return NULL;
	}
	key = ar_jwk_parse(json, 0, err);
	json_decref(json);
	return key;
}

/*
 * The public JWK of an EC key on a NIST curve whose point is held
 * uncompressed, straight from its parameters; NULL for anything else (the
 * general conversion, which goes through a legacy EC_KEY, takes it).
 */
static json_t *ec_public_jwk(EVP_PKEY *pkey)
{
	static const struct {
		const char	*group, *crv;
		size_t		len;		/* bytes per coordinate */
	} curves[] = {
		{ "prime256v1", "P-256", 32 }, { "secp384r1", "P-384", 48 }, { "secp521r1", "P-521", 66 },
	};
	unsigned char pt[1 + 2 * 66];
	char group[32], x[96], y[96];
	size_t n, i;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					    NULL) ||
	    !EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt),
					     &n) || pt[0] != POINT_CONVERSION_UNCOMPRESSED)
		return NULL;
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (strcmp(group, curves[i].group) || n != 1 + 2 * curves[i].len)
			continue;
		if (ar_b64url_encode(pt + 1, curves[i].len, x, sizeof(x)) < 0 ||
		    ar_b64url_encode(pt + 1 + curves[i].len, curves[i].len, y, sizeof(y)) < 0)
			return NULL;
		return json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", curves[i].crv, "x", x, "y", y);
	}
	return NULL;
}

int ar_jwk_pkey_thumbprint(EVP_PKEY *pkey, char out[AR_JWK_THUMBPRINT_LEN + 1], ar_err_t *err)
{
	json_t *json = ec_public_jwk(pkey);
	const struct kty *t;
	int rc;

	if (!json)
		json = okp_jwk(pkey, 0);
	if (!json)
		json = jose_openssl_jwk_from_EVP_PKEY(NULL, pkey);
	t = json ? kty_find(json) : NULL;
	if (!t) {
		json_decref(json);
		return ar_err_set(err, AR_ERR_UNSUPPORTED, "key type cannot be expressed as a JWK");
	}
	rc = thumbprint(t, json, out, err);
	json_decref(json);
	return rc;
}

ar_jwk_t *ar_jwk_generate(const char *alg, ar_err_t *err)
{
	EVP_PKEY *pkey = NULL;
	ar_jwk_t *key;

	if (!strcmp(alg, "ES256"))
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (!strcmp(alg, "ES384"))
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else if (!strcmp(alg, "RS256"))
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else if (!strcmp(alg, "EdDSA"))
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else {
		ar_err_set(err, AR_ERR_BAD_ALG, "cannot generate a key for \"%.16s\"", alg);
		return NULL;
	}
	if (!pkey) {
		ar_err_set(err, AR_ERR_CRYPTO, "key generation failed");
		return NULL;
	}
	key = ar_jwk_from_pkey(pkey, err);
	EVP_PKEY_free(pkey);
	return key;
}

ar_jwk_t *ar_jwk_load_pem(const char *path, ar_err_t *err)
{
	EVP_PKEY *pkey = NULL;
	ar_jwk_t *key = NULL;
	size_t len;
	char *pem;
	BIO *bio;

	if (ar_file_read(path, 64 * 1024, &pem, &len, err) < 0)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (bio && !pkey) {
		(void)BIO_reset(bio);
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	}
	BIO_free(bio);
	OPENSSL_cleanse(pem, len);
	free(pem);
	if (!pkey) {
		ar_err_set(err, AR_ERR_MALFORMED, "%s: no PEM private or public key", path);
		return NULL;
	}
	key = ar_jwk_from_pkey(pkey, err);
	EVP_PKEY_free(pkey);
	if (!key)
		ar_err_prefix(err, "%s: ", path);
	return key;
}

char *ar_jwk_to_pem(const ar_jwk_t *key, int private_part, ar_err_t *err)
{
	BIO *bio = NULL;
	char *out = NULL, *data;
	long len;
	int ok;

	if (!key->pkey) {
		ar_err_set(err, AR_ERR_UNSUPPORTED, "symmetric keys have no PEM form");
		return NULL;
	}
	bio = BIO_new(BIO_s_mem());
	if (!bio)
		goto nomem;
	if (private_part && key->private_part)
		ok = PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_bio_PUBKEY(bio, key->pkey);
	if (!ok) {
		ar_err_set(err, AR_ERR_CRYPTO, "cannot encode key as PEM");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	out = malloc((size_t)len + 1);
	if (!out)
		goto nomem;
	memcpy(out, data, (size_t)len);
	out[len] = '\0';
	goto out;
nomem:
	ar_err_set(err, AR_ERR_NOMEM, "out of memory");
out:
	BIO_free(bio);
	return out;
}

void ar_jwk_free(ar_jwk_t *key)
{
	unsigned refs;

	if (!key)
		return;
	/* Drop one of the extra references, if any; the last one frees. */
	refs = atomic_load(&key->extra_refs);
	while (refs > 0)
		if (atomic_compare_exchange_weak(&key->extra_refs, &refs, refs - 1))
			return;
	EVP_MD_CTX_free(key->verify_ctx);
	EVP_MD_CTX_free(key->sign_ctx);
	EVP_PKEY_free(key->pkey);
	json_decref(key->json);
	free(key);
}

json_t *ar_jwk_public_json(const ar_jwk_t *key)
{
	static const char *const private_ops[] = { "sign", "decrypt", "unwrapKey" };
	const struct kty *t = key->kty;
	json_t *pub = json_deep_copy(key->json), *ops;
	size_t i, j;

	for (i = 0; pub && t->private[i]; i++)
		json_object_del(pub, t->private[i]);
	/* What only the private key can do goes too (RFC 7517 4.3). */
	ops = pub ? json_object_get(pub, "key_ops") : NULL;
	for (i = 0; i < json_array_size(ops); i++) {
		const char *op = json_string_value(json_array_get(ops, i));

		for (j = 0; op && j < sizeof(private_ops) / sizeof(private_ops[0]); j++)
			if (!strcmp(op, private_ops[j])) {
				json_array_remove(ops, i--);
				break;
			}
	}
	return pub;
}

const json_t *ar_jwk_json(const ar_jwk_t *key)
{
	return key->json;
}

const char *ar_jwk_thumbprint(const ar_jwk_t *key)
{
	return key->thumbprint;
}

ar_jwk_type_t ar_jwk_type(const ar_jwk_t *key)
{
	return key->type;
}

const char *ar_jwk_kid(const ar_jwk_t *key)
{
	return json_string_value(json_object_get(key->json, "kid"));
}

int ar_jwk_is_private(const ar_jwk_t *key)
{
	return key->private_part;
}

const char *ar_jwk_alg(const ar_jwk_t *key)
{
	return key->alg;
}

EVP_PKEY *ar_jwk_pkey(const ar_jwk_t *key)
{
	return key->pkey;
}

const EVP_MD_CTX *ar_jwk_verify_ctx(const ar_jwk_t *key)
{
	return key->verify_ctx;
}

const EVP_MD_CTX *ar_jwk_sign_ctx(const ar_jwk_t *key)
{
	return key->sign_ctx;
}

int ar_jwk_same_public(const ar_jwk_t *a, const ar_jwk_t *b)
{
	return a->type == b->type && !strcmp(a->thumbprint, b->thumbprint);
}
