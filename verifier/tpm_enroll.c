/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPM enrolment on the verifier (tpm_enroll.h): the EK trust store and
 * TPM2_MakeCredential in software.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <tss2/tss2_mu.h>

#include "tpm_enroll.h"

#define EK_EKU_OID	"2.23.133.8.1"	/* tcg-kp-EKCertificate */
#define TRUST_DIR_MAX	1024		/* files read from a roots directory */

struct ar_tpm_ek_trust {
	X509_STORE	*store;
	STACK_OF(X509)	*intermediates;
	size_t		nroots;
};

/*
 *	Trust store.
 */

/* Every certificate of @path (PEM, or one DER) into @sk. Returns the count or -1. */
static int certs_from_file(const char *path, STACK_OF(X509) *sk)
{
	BIO *bio = BIO_new_file(path, "rb");
	X509 *x;
	int n = 0;

	if (!bio)
		return -1;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			n = -1;
			break;
		}
		n++;
	}
	if (n == 0 && BIO_reset(bio) == 0) {
		x = d2i_X509_bio(bio, NULL);
		if (x && sk_X509_push(sk, x))
			n = 1;
		else
			X509_free(x);
	}
	ERR_clear_error();
	BIO_free(bio);
	return n;
}

static int certs_from_dir(const char *dir, STACK_OF(X509) *sk, ar_err_t *err)
{
	char path[4096];
	struct dirent *de;
	struct stat sb;
	size_t files = 0;
	DIR *d = opendir(dir);

	if (!d)
		return ar_err_set(err, AR_ERR_CONFIG, "EK roots: cannot open %s", dir);
	while ((de = readdir(d)) != NULL && files < TRUST_DIR_MAX) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		files++;
		if (certs_from_file(path, sk) <= 0) {
			closedir(d);
			return ar_err_set(err, AR_ERR_CONFIG, "EK roots: %s holds no certificate",
					  path);
		}
	}
	closedir(d);
	return 0;
}

ar_tpm_ek_trust_t *ar_tpm_ek_trust_load(const char *roots, const char *intermediates,
					ar_err_t *err)
{
	ar_tpm_ek_trust_t *t = calloc(1, sizeof(*t));
	STACK_OF(X509) *sk = sk_X509_new_null();
	struct stat sb;
	int i;

	if (!t || !sk || !(t->store = X509_STORE_new()) ||
	    !(t->intermediates = sk_X509_new_null())) {
		ar_err_set(err, AR_ERR_NOMEM, "EK roots: out of memory");
		goto fail;
	}
	if (!roots || !*roots || stat(roots, &sb) < 0) {
		ar_err_set(err, AR_ERR_CONFIG, "EK roots: %s does not exist", roots ? roots : "-");
		goto fail;
	}
	if (S_ISDIR(sb.st_mode)) {
		if (certs_from_dir(roots, sk, err) < 0)
			goto fail;
	} else if (certs_from_file(roots, sk) <= 0) {
		ar_err_set(err, AR_ERR_CONFIG, "EK roots: %s holds no certificate", roots);
		goto fail;
	}
	for (i = 0; i < sk_X509_num(sk); i++) {
		if (X509_STORE_add_cert(t->store, sk_X509_value(sk, i)) != 1) {
			ERR_clear_error();
			continue;	/* the same root twice */
		}
		t->nroots++;
	}
	if (t->nroots == 0) {
		ar_err_set(err, AR_ERR_CONFIG, "EK roots: no certificate in %s", roots);
		goto fail;
	}
	if (intermediates && *intermediates &&
	    certs_from_file(intermediates, t->intermediates) <= 0) {
		ar_err_set(err, AR_ERR_CONFIG, "EK intermediates: %s holds no certificate",
			   intermediates);
		goto fail;
	}
	sk_X509_pop_free(sk, X509_free);
	return t;
fail:
	sk_X509_pop_free(sk, X509_free);
	ar_tpm_ek_trust_free(t);
	return NULL;
}

void ar_tpm_ek_trust_free(ar_tpm_ek_trust_t *t)
{
	if (!t)
		return;
	X509_STORE_free(t->store);
	sk_X509_pop_free(t->intermediates, X509_free);
	free(t);
}

size_t ar_tpm_ek_trust_roots(const ar_tpm_ek_trust_t *t)
{
	return t ? t->nroots : 0;
}

/*
 *	EK checks.
 */
ar_tpm_reason_t ar_tpm_ek_check(const ar_tpm_key_t *ek, ar_err_t *err)
{
	const TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
				 TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				 TPMA_OBJECT_SENSITIVEDATAORIGIN;
	const TPMT_PUBLIC *p = &ek->pub;
	const TPMT_SYM_DEF_OBJECT *sym;

	if ((p->objectAttributes & need) != need || (p->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT))
		return ar_tpm_fail(err, AR_TPM_UNSUPPORTED, AR_ERR_UNSUPPORTED,
				   "EK attributes 0x%08x are not those of an endorsement key "
				   "(restricted, decrypt, fixedTPM, fixedParent, sensitiveDataOrigin; "
				   "not sign)", p->objectAttributes);
	if (p->nameAlg != TPM2_ALG_SHA256)
		return ar_tpm_fail(err, AR_TPM_UNSUPPORTED, AR_ERR_UNSUPPORTED,
				   "EK nameAlg 0x%04x not accepted (SHA-256)", p->nameAlg);
	sym = p->type == TPM2_ALG_RSA ? &p->parameters.rsaDetail.symmetric :
	      &p->parameters.eccDetail.symmetric;
	if (sym->algorithm != TPM2_ALG_AES || sym->keyBits.aes != 128 ||
	    sym->mode.aes != TPM2_ALG_CFB)
		return ar_tpm_fail(err, AR_TPM_UNSUPPORTED, AR_ERR_UNSUPPORTED,
				   "EK symmetric scheme is not AES-128-CFB");
	return AR_TPM_OK;
}

/* An extended key usage, if any, must name the EK certificate purpose. */
static int eku_ok(X509 *x)
{
	EXTENDED_KEY_USAGE *eku;
	ASN1_OBJECT *want;
	int i, ok = 0, crit = 0;

	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	if (!eku)
		return crit == -1;	/* absent: fine; present but unparsable: not */
	want = OBJ_txt2obj(EK_EKU_OID, 1);
	for (i = 0; want && i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0)
			ok = 1;
	ASN1_OBJECT_free(want);
	EXTENDED_KEY_USAGE_free(eku);
	return ok;
}

ar_tpm_reason_t ar_tpm_ek_cert_verify(const ar_tpm_ek_trust_t *t, const uint8_t *der,
				      size_t len, const ar_tpm_key_t *ek, int64_t now,
				      ar_err_t *err)
{
	const unsigned char *p = der;
	X509_STORE_CTX *ctx = NULL;
	ar_tpm_reason_t r;
	EVP_PKEY *cpk;
	X509 *x = NULL;
	int vr;

	if (len == 0 || len > AR_TPM_EK_CERT_MAX)
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_MALFORMED,
				   "EK certificate of %zu octets (1..%d)", len, AR_TPM_EK_CERT_MAX);
	x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		r = ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_MALFORMED,
				"EK certificate is not one DER certificate");
		goto out;
	}
	ctx = X509_STORE_CTX_new();
	if (!ctx || X509_STORE_CTX_init(ctx, t->store, x, t->intermediates) != 1) {
		r = ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_NOMEM, "EK chain: out of memory");
		goto out;
	}
	X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	vr = X509_verify_cert(ctx);
	if (vr != 1) {
		r = ar_tpm_fail(err, AR_TPM_EK_UNTRUSTED, AR_ERR_UNAUTHORIZED,
				"EK certificate does not chain to a trusted EK root: %s",
				X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	if (!eku_ok(x)) {
		r = ar_tpm_fail(err, AR_TPM_EK_UNTRUSTED, AR_ERR_UNAUTHORIZED,
				"EK certificate's extended key usage lacks tcg-kp-EKCertificate");
		goto out;
	}
	cpk = X509_get0_pubkey(x);
	if (!cpk || EVP_PKEY_eq(cpk, ek->pkey) != 1) {
		r = ar_tpm_fail(err, AR_TPM_EK_MISMATCH, AR_ERR_UNAUTHORIZED,
				"the EK public area is not the key of the EK certificate");
		goto out;
	}
	r = AR_TPM_OK;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_free(x);
	return r;
}

int ar_tpm_sha256(const uint8_t *in, size_t len, uint8_t out[AR_TPM_SHA256_LEN])
{
	return EVP_Digest(in, len, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

/*
 *	Key derivation (TPM 2.0 Part 1, 11.4.10).
 */
static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int ar_tpm_kdfa(const uint8_t *key, size_t key_len, const char *label, const uint8_t *context_u,
		size_t u_len, const uint8_t *context_v, size_t v_len, uint32_t bits, uint8_t *out)
{
	size_t want = bits / 8, done = 0, n, lab = strlen(label) + 1;
	uint8_t md[EVP_MAX_MD_SIZE], word[4];
	uint32_t i;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_END,
	};
	int rc = -1;

	if (!ctx || bits % 8)
		goto out;
	for (i = 1; done < want; i++) {
		be32(word, i);
		if (EVP_MAC_init(ctx, key, key_len, params) != 1 ||
		    EVP_MAC_update(ctx, word, 4) != 1 ||
		    EVP_MAC_update(ctx, (const uint8_t *)label, lab) != 1 ||
		    (u_len && EVP_MAC_update(ctx, context_u, u_len) != 1) ||
		    (v_len && EVP_MAC_update(ctx, context_v, v_len) != 1))
			goto out;
		be32(word, bits);
		if (EVP_MAC_update(ctx, word, 4) != 1 ||
		    EVP_MAC_final(ctx, md, &n, sizeof(md)) != 1)
			goto out;
		if (n > want - done)
			n = want - done;
		memcpy(out + done, md, n);
		done += n;
	}
	rc = 0;
out:
	OPENSSL_cleanse(md, sizeof(md));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

/* KDFe with SHA-256, one block: SHA-256(1 || Z || label || 0 || u || v). */
static int kdfe(const uint8_t *z, size_t z_len, const char *label, const uint8_t *u, size_t u_len,
		const uint8_t *v, size_t v_len, uint8_t out[AR_TPM_SHA256_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t one[4];
	int rc;

	be32(one, 1);
	rc = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, one, 4) == 1 && EVP_DigestUpdate(ctx, z, z_len) == 1 &&
	     EVP_DigestUpdate(ctx, label, strlen(label) + 1) == 1 &&
	     EVP_DigestUpdate(ctx, u, u_len) == 1 && EVP_DigestUpdate(ctx, v, v_len) == 1 &&
	     EVP_DigestFinal_ex(ctx, out, NULL) == 1 ? 0 : -1;
	EVP_MD_CTX_free(ctx);
	return rc;
}

/*
 *	The seed and its encryption to the EK.
 */
static int rsa_seed(const ar_tpm_key_t *ek, uint8_t seed[AR_TPM_SHA256_LEN],
		    TPM2B_ENCRYPTED_SECRET *enc)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek->pkey, NULL);
	unsigned char *label = OPENSSL_malloc(sizeof("IDENTITY"));
	size_t n = sizeof(enc->secret);
	int rc = -1;

	if (!ctx || !label || RAND_bytes(seed, AR_TPM_SHA256_LEN) != 1)
		goto out;
	memcpy(label, "IDENTITY", sizeof("IDENTITY"));
	if (EVP_PKEY_encrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, sizeof("IDENTITY")) != 1)
		goto out;
	label = NULL;	/* the context owns it */
	if (EVP_PKEY_encrypt(ctx, enc->secret, &n, seed, AR_TPM_SHA256_LEN) != 1)
		goto out;
	enc->size = (UINT16)n;
	rc = 0;
out:
	OPENSSL_free(label);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static int bn_param(const EVP_PKEY *pk, const char *name, uint8_t out[32])
{
	BIGNUM *bn = NULL;
	int rc;

	rc = EVP_PKEY_get_bn_param(pk, name, &bn) == 1 && BN_bn2binpad(bn, out, 32) == 32 ? 0 : -1;
	BN_free(bn);
	return rc;
}

static int ecc_seed(const ar_tpm_key_t *ek, uint8_t seed[AR_TPM_SHA256_LEN],
		    TPM2B_ENCRYPTED_SECRET *enc)
{
	EVP_PKEY_CTX *gctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek->pkey, NULL), *dctx = NULL;
	const TPM2B_ECC_PARAMETER *ekx = &ek->pub.unique.ecc.x;
	uint8_t z[66];
	size_t zlen = sizeof(z), off = 0;
	TPMS_ECC_POINT pt;
	EVP_PKEY *eph = NULL;
	int rc = -1;

	memset(&pt, 0, sizeof(pt));
	if (!gctx || EVP_PKEY_keygen_init(gctx) != 1 || EVP_PKEY_keygen(gctx, &eph) != 1)
		goto out;
	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
	if (!dctx || EVP_PKEY_derive_init(dctx) != 1 || EVP_PKEY_derive_set_peer(dctx, ek->pkey) != 1 ||
	    EVP_PKEY_derive(dctx, z, &zlen) != 1)
		goto out;
	pt.x.size = pt.y.size = 32;
	if (bn_param(eph, OSSL_PKEY_PARAM_EC_PUB_X, pt.x.buffer) < 0 ||
	    bn_param(eph, OSSL_PKEY_PARAM_EC_PUB_Y, pt.y.buffer) < 0 ||
	    kdfe(z, zlen, "IDENTITY", pt.x.buffer, pt.x.size, ekx->buffer, ekx->size, seed) < 0 ||
	    Tss2_MU_TPMS_ECC_POINT_Marshal(&pt, enc->secret, sizeof(enc->secret), &off) !=
	    TSS2_RC_SUCCESS)
		goto out;
	enc->size = (UINT16)off;
	rc = 0;
out:
	OPENSSL_cleanse(z, sizeof(z));
	EVP_PKEY_free(eph);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_CTX_free(gctx);
	return rc;
}

/* encIdentity: AES-128-CFB (zero IV) of the marshalled TPM2B_DIGEST of the secret. */
static int enc_identity(const uint8_t key[16], const uint8_t secret[AR_TPM_CRED_SECRET_LEN],
			uint8_t *out, size_t *out_len)
{
	static const uint8_t iv[16];
	uint8_t plain[2 + AR_TPM_CRED_SECRET_LEN];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, f = 0, rc = -1;

	plain[0] = 0;
	plain[1] = AR_TPM_CRED_SECRET_LEN;
	memcpy(plain + 2, secret, AR_TPM_CRED_SECRET_LEN);
	if (ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_cfb128(), NULL, key, iv) == 1 &&
	    EVP_EncryptUpdate(ctx, out, &n, plain, sizeof(plain)) == 1 &&
	    EVP_EncryptFinal_ex(ctx, out + n, &f) == 1) {
		*out_len = (size_t)(n + f);
		rc = 0;
	}
	OPENSSL_cleanse(plain, sizeof(plain));
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

ar_tpm_reason_t ar_tpm_make_credential(const ar_tpm_key_t *ek, const uint8_t *name,
				       size_t name_len,
				       const uint8_t secret[AR_TPM_CRED_SECRET_LEN],
				       uint8_t *blob, size_t *blob_len, uint8_t *enc_secret,
				       size_t *enc_secret_len, ar_err_t *err)
{
	uint8_t seed[AR_TPM_SHA256_LEN], sym[16], hkey[AR_TPM_SHA256_LEN];
	uint8_t encid[2 + AR_TPM_CRED_SECRET_LEN];
	size_t encid_len = 0, off = 0, n;
	TPM2B_ENCRYPTED_SECRET enc;
	TPM2B_ID_OBJECT id;
	TPM2B_DIGEST hmac;
	ar_tpm_reason_t r = AR_TPM_INTERNAL;
	int rc;

	memset(&enc, 0, sizeof(enc));
	memset(&id, 0, sizeof(id));
	memset(&hmac, 0, sizeof(hmac));
	if (ek->pub.nameAlg != TPM2_ALG_SHA256 ||
	    (ek->pub.type != TPM2_ALG_RSA && ek->pub.type != TPM2_ALG_ECC))
		return ar_tpm_fail(err, AR_TPM_UNSUPPORTED, AR_ERR_UNSUPPORTED,
				   "credential for an EK of type 0x%04x, nameAlg 0x%04x",
				   ek->pub.type, ek->pub.nameAlg);
	rc = ek->pub.type == TPM2_ALG_RSA ? rsa_seed(ek, seed, &enc) : ecc_seed(ek, seed, &enc);
	if (rc < 0 ||
	    ar_tpm_kdfa(seed, sizeof(seed), "STORAGE", name, name_len, NULL, 0, 128, sym) < 0 ||
	    ar_tpm_kdfa(seed, sizeof(seed), "INTEGRITY", NULL, 0, NULL, 0, 256, hkey) < 0 ||
	    enc_identity(sym, secret, encid, &encid_len) < 0)
		goto crypto;
	{
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
		OSSL_PARAM params[] = {
			OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
			OSSL_PARAM_END,
		};

		rc = ctx && EVP_MAC_init(ctx, hkey, sizeof(hkey), params) == 1 &&
		     EVP_MAC_update(ctx, encid, encid_len) == 1 &&
		     EVP_MAC_update(ctx, name, name_len) == 1 &&
		     EVP_MAC_final(ctx, hmac.buffer, &n, sizeof(hmac.buffer)) == 1 ? 0 : -1;
		EVP_MAC_CTX_free(ctx);
		EVP_MAC_free(mac);
		if (rc < 0)
			goto crypto;
		hmac.size = (UINT16)n;
	}
	/* credentialBlob = TPM2B_DIGEST(outerHMAC) || encIdentity */
	if (Tss2_MU_TPM2B_DIGEST_Marshal(&hmac, id.credential, sizeof(id.credential), &off) !=
	    TSS2_RC_SUCCESS || off + encid_len > sizeof(id.credential))
		goto crypto;
	memcpy(id.credential + off, encid, encid_len);
	id.size = (UINT16)(off + encid_len);
	off = 0;
	if (Tss2_MU_TPM2B_ID_OBJECT_Marshal(&id, blob, AR_TPM_CRED_BLOB_MAX, &off) !=
	    TSS2_RC_SUCCESS)
		goto crypto;
	*blob_len = off;
	off = 0;
	if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&enc, enc_secret, AR_TPM_CRED_BLOB_MAX, &off) !=
	    TSS2_RC_SUCCESS)
		goto crypto;
	*enc_secret_len = off;
	r = AR_TPM_OK;
	goto out;
crypto:
	ERR_clear_error();
	r = ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_CRYPTO, "MakeCredential failed");
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(sym, sizeof(sym));
	OPENSSL_cleanse(hkey, sizeof(hkey));
	OPENSSL_cleanse(encid, sizeof(encid));
	return r;
}
