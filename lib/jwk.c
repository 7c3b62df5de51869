/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

#include "b64.h"
#include "fileio.h"
#include "json.h"
#include "jwk.h"

#define JWKS_MAX_TEXT	(256 * 1024)
#define JWKS_MAX_KEYS	64

struct ar_jwk {
	json_t		*json;		/* full key, private members included */
	EVP_PKEY	*pkey;		/* NULL for oct */
	EVP_MD_CTX	*verify_ctx;	/* template, see ar_jwk_verify_ctx() */
	EVP_MD_CTX	*sign_ctx;	/* template for private keys, see ar_jwk_sign_ctx() */
	ar_jwk_type_t	type;
	const char	*alg;		/* implied signature algorithm */
	int		private_part;
	char		thumbprint[AR_JWK_THUMBPRINT_LEN + 1];
	atomic_uint	extra_refs;	/* references besides the first (ar_jwk_cache_parse) */
};

struct ar_jwks {
	ar_jwk_t	**keys;
	size_t		count;
};

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

static int check_ec(const json_t *json, ar_jwk_t *key, ar_err_t *err)
{
	const char *crv = NULL;
	long coord;

	if (json_unpack((json_t *)json, "{s:s}", "crv", &crv) < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "EC key without \"crv\"");
	if (!strcmp(crv, "P-256")) {
		coord = 32;
		key->alg = "ES256";
	} else if (!strcmp(crv, "P-384")) {
		coord = 48;
		key->alg = "ES384";
	} else {
		return ar_err_set(err, AR_ERR_UNSUPPORTED, "EC curve \"%.32s\" not supported", crv);
	}
	if (member_len(json, "x") != coord || member_len(json, "y") != coord)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "EC key \"x\"/\"y\" must be base64url of %ld bytes", coord);
	if (json_object_get(json, "d")) {
		if (member_len(json, "d") != coord)
			return ar_err_set(err, AR_ERR_MALFORMED,
					  "EC key \"d\" must be base64url of %ld bytes", coord);
		key->private_part = 1;
	}
	return 0;
}

static int check_rsa(const json_t *json, ar_jwk_t *key, ar_err_t *err)
{
	long n = member_len(json, "n"), e = member_len(json, "e");

	if (n < 0 || e < 0 || e > 8)
		return ar_err_set(err, AR_ERR_MALFORMED, "RSA key needs base64url \"n\" and \"e\"");
	if (n < 256)
		return ar_err_set(err, AR_ERR_UNSUPPORTED,
				  "RSA key of %ld bits: at least 2048 required", n * 8);
	if (n > 1024)
		return ar_err_set(err, AR_ERR_UNSUPPORTED, "RSA key of %ld bits: too large", n * 8);
	if (json_object_get(json, "d")) {
		if (member_len(json, "d") < 0)
			return ar_err_set(err, AR_ERR_MALFORMED, "RSA key \"d\" is not base64url");
		key->private_part = 1;
	}
	key->alg = "RS256";
	return 0;
}

static int check_oct(const json_t *json, ar_jwk_t *key, ar_err_t *err)
{
	long k = member_len(json, "k");

	if (k < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "oct key needs base64url \"k\"");
	if (k < 16)
		return ar_err_set(err, AR_ERR_UNSUPPORTED,
				  "oct key of %ld bits: at least 128 required", k * 8);
	key->private_part = 1;
	key->alg = "HS256";
	return 0;
}

/* The EVP key must be a valid public (and, if present, private) key. */
static int check_pkey(EVP_PKEY *pkey, int private_part, ar_err_t *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok;

	if (!ctx)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	ok = private_part ? EVP_PKEY_pairwise_check(ctx) : EVP_PKEY_public_check(ctx);
	EVP_PKEY_CTX_free(ctx);
	if (ok != 1)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  private_part ? "private key does not match its public key"
					       : "public key is not valid (point not on curve?)");
	return 0;
}

/* RFC 7638 thumbprint (SHA-256, base64url) of a public JWK. */
static int thumbprint(const json_t *jwk, char out[AR_JWK_THUMBPRINT_LEN + 1], ar_err_t *err)
{
	json_t *thp = jose_jwk_thp(NULL, jwk, "S256");

	if (!json_is_string(thp) || json_string_length(thp) != AR_JWK_THUMBPRINT_LEN) {
		json_decref(thp);
		return ar_err_set(err, AR_ERR_CRYPTO, "cannot compute the JWK thumbprint");
	}
	memcpy(out, json_string_value(thp), AR_JWK_THUMBPRINT_LEN + 1);
	json_decref(thp);
	return 0;
}

ar_jwk_t *ar_jwk_parse(const json_t *json, unsigned flags, ar_err_t *err)
{
	ar_jwk_t *key = NULL;
	const EVP_MD *md;
	const char *kty;
	int rc;

	if (!json_is_object(json)) {
		ar_err_set(err, AR_ERR_MALFORMED, "JWK is not a JSON object");
		return NULL;
	}
	kty = json_string_value(json_object_get(json, "kty"));
	if (!kty) {
		ar_err_set(err, AR_ERR_MALFORMED, "JWK without \"kty\"");
		return NULL;
	}
	key = calloc(1, sizeof(*key));
	if (!key) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}

	if (!strcmp(kty, "EC")) {
		key->type = AR_JWK_EC;
		rc = check_ec(json, key, err);
	} else if (!strcmp(kty, "RSA")) {
		key->type = AR_JWK_RSA;
		rc = check_rsa(json, key, err);
	} else if (!strcmp(kty, "oct") && (flags & AR_JWK_ALLOW_OCT)) {
		key->type = AR_JWK_OCT;
		rc = check_oct(json, key, err);
	} else {
		rc = ar_err_set(err, AR_ERR_UNSUPPORTED, "JWK type \"%.16s\" not accepted here", kty);
	}
	if (rc < 0)
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
	if (key->type != AR_JWK_OCT) {
		key->pkey = jose_openssl_jwk_to_EVP_PKEY(NULL, key->json);
		if (!key->pkey) {
			ar_err_set(err, AR_ERR_MALFORMED, "JWK does not describe a valid key");
			goto error;
		}
		if (check_pkey(key->pkey, key->private_part, err) < 0)
			goto error;
		md = strcmp(key->alg, "ES384") ? EVP_sha256() : EVP_sha384();
		key->verify_ctx = EVP_MD_CTX_new();
		if (!key->verify_ctx ||
		    EVP_DigestVerifyInit(key->verify_ctx, NULL, md, NULL, key->pkey) != 1) {
			ar_err_set(err, AR_ERR_CRYPTO, "cannot prepare signature verification");
			goto error;
		}
		if (key->private_part &&
		    (!(key->sign_ctx = EVP_MD_CTX_new()) ||
		     EVP_DigestSignInit(key->sign_ctx, NULL, md, NULL, key->pkey) != 1)) {
			ar_err_set(err, AR_ERR_CRYPTO, "cannot prepare signing");
			goto error;
		}
	}

	if (thumbprint(key->json, key->thumbprint, err) < 0)
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

ar_jwk_t *ar_jwk_from_pkey(EVP_PKEY *pkey, ar_err_t *err)
{
	json_t *json = jose_openssl_jwk_from_EVP_PKEY(NULL, pkey);
	ar_jwk_t *key;

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
	int rc;

	if (!json)
		json = jose_openssl_jwk_from_EVP_PKEY(NULL, pkey);
	if (!json)
		return ar_err_set(err, AR_ERR_UNSUPPORTED, "key type cannot be expressed as a JWK");
	rc = thumbprint(json, out, err);
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
	json_t *pub = json_deep_copy(key->json);

	if (pub && !jose_jwk_pub(NULL, pub)) {
		json_decref(pub);
		pub = NULL;
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

ar_jwks_t *ar_jwks_parse(const json_t *json, unsigned flags, ar_err_t *err)
{
	const json_t *keys = json_object_get(json, "keys");
	ar_jwks_t *set;
	size_t i, j;

	if (!json_is_array(keys)) {
		ar_err_set(err, AR_ERR_MALFORMED, "JWK set needs a \"keys\" array");
		return NULL;
	}
	if (json_array_size(keys) > JWKS_MAX_KEYS) {
		ar_err_set(err, AR_ERR_TOO_LARGE, "JWK set holds more than %d keys", JWKS_MAX_KEYS);
		return NULL;
	}
	set = calloc(1, sizeof(*set));
	if (set)
		set->keys = calloc(json_array_size(keys) + 1, sizeof(*set->keys));
	if (!set || !set->keys) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto error;
	}
	for (i = 0; i < json_array_size(keys); i++) {
		set->keys[i] = ar_jwk_parse(json_array_get(keys, i), flags, err);
		if (!set->keys[i]) {
			ar_err_prefix(err, "key %zu: ", i);
			goto error;
		}
		set->count++;
		for (j = 0; j < i; j++) {
			const char *a = ar_jwk_kid(set->keys[i]), *b = ar_jwk_kid(set->keys[j]);

			if (a && b && !strcmp(a, b)) {
				ar_err_set(err, AR_ERR_MALFORMED, "key %zu: duplicate kid \"%.64s\"", i, a);
				goto error;
			}
		}
	}
	return set;
error:
	ar_jwks_free(set);
	return NULL;
}

ar_jwks_t *ar_jwks_load(const char *path, unsigned flags, ar_err_t *err)
{
	json_error_t jerr;
	ar_jwks_t *set;
	json_t *json;
	size_t len;
	char *text;

	if (ar_file_read(path, JWKS_MAX_TEXT, &text, &len, err) < 0)
		return NULL;
	json = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	OPENSSL_cleanse(text, len);
	free(text);
	if (!json) {
		ar_err_set(err, AR_ERR_MALFORMED, "%s:%d: %s", path, jerr.line, jerr.text);
		return NULL;
	}
	set = ar_jwks_parse(json, flags, err);
	json_decref(json);
	if (!set)
		ar_err_prefix(err, "%s: ", path);
	return set;
}

void ar_jwks_free(ar_jwks_t *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->count; i++)
		ar_jwk_free(set->keys[i]);
	free(set->keys);
	free(set);
}

size_t ar_jwks_count(const ar_jwks_t *set)
{
	return set->count;
}

const ar_jwk_t *ar_jwks_get(const ar_jwks_t *set, size_t i)
{
	return i < set->count ? set->keys[i] : NULL;
}

const ar_jwk_t *ar_jwks_find(const ar_jwks_t *set, const char *kid)
{
	size_t i;

	if (!kid)
		return NULL;
	for (i = 0; i < set->count; i++) {
		const char *k = ar_jwk_kid(set->keys[i]);

		if (k && !strcmp(k, kid))
			return set->keys[i];
	}
	return NULL;
}
