/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPM public areas (TPMT_PUBLIC) as OpenSSL keys, their Names, and
 * TPMT_SIGNATURE verification.
 */
#include "config.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "tpm.h"

static const EVP_MD *name_md(TPMI_ALG_HASH alg)
{
	switch (alg) {
	case TPM2_ALG_SHA256: return EVP_sha256();
	case TPM2_ALG_SHA384: return EVP_sha384();
	case TPM2_ALG_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

/* Name = nameAlg (2 octets, big-endian) || H_nameAlg(marshalled TPMT_PUBLIC). */
static ar_tpm_reason_t key_name(ar_tpm_key_t *key, const uint8_t *buf, size_t len, ar_err_t *err)
{
	const EVP_MD *md = name_md(key->pub.nameAlg);
	unsigned int n = 0;

	if (!md)
		return ar_tpm_fail(err, AR_TPM_UNSUPPORTED, AR_ERR_UNSUPPORTED,
				   "nameAlg 0x%04x not accepted (sha256, sha384, sha512)",
				   key->pub.nameAlg);
	key->name[0] = (uint8_t)(key->pub.nameAlg >> 8);
	key->name[1] = (uint8_t)key->pub.nameAlg;
	if (EVP_Digest(buf, len, key->name + 2, &n, md, NULL) != 1)
		return ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_CRYPTO, "hashing the public area failed");
	key->name_len = 2 + n;
	return AR_TPM_OK;
}

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

/* Is the public key a valid one (EC point on the curve, sane RSA modulus)? */
static int pkey_public_ok(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok = ctx && EVP_PKEY_public_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static ar_tpm_reason_t ecc_pkey(ar_tpm_key_t *key, ar_err_t *err)
{
	const TPMS_ECC_POINT *pt = &key->pub.unique.ecc;
	uint8_t point[1 + 2 * 32] = { 0x04 };
	OSSL_PARAM_BLD *bld = NULL;
	ar_tpm_reason_t r = AR_TPM_OK;

	if (key->pub.parameters.eccDetail.curveID != TPM2_ECC_NIST_P256)
		return ar_tpm_fail(err, AR_TPM_UNSUPPORTED, AR_ERR_UNSUPPORTED,
				   "ECC curve 0x%04x not accepted (NIST P-256)",
				   key->pub.parameters.eccDetail.curveID);
	if (pt->x.size == 0 || pt->x.size > 32 || pt->y.size == 0 || pt->y.size > 32)
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_BAD_KEY,
				   "ECC point coordinates of %u and %u octets", pt->x.size, pt->y.size);
	memcpy(point + 1 + 32 - pt->x.size, pt->x.buffer, pt->x.size);
	memcpy(point + 1 + 64 - pt->y.size, pt->y.buffer, pt->y.size);
	bld = OSSL_PARAM_BLD_new();
	if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) != 1) {
		r = ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_NOMEM, "building an EC key failed");
		goto out;
	}
	key->pkey = pkey_fromdata("EC", bld);
	if (!key->pkey || !pkey_public_ok(key->pkey))
		r = ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_BAD_KEY, "ECC point is not on P-256");
out:
	OSSL_PARAM_BLD_free(bld);
	return r;
}

static ar_tpm_reason_t rsa_pkey(ar_tpm_key_t *key, ar_err_t *err)
{
	const TPMS_RSA_PARMS *p = &key->pub.parameters.rsaDetail;
	const TPM2B_PUBLIC_KEY_RSA *n = &key->pub.unique.rsa;
	uint32_t e = p->exponent ? p->exponent : 65537;
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	ar_tpm_reason_t r = AR_TPM_OK;

	if (p->keyBits != 2048 && p->keyBits != 3072 && p->keyBits != 4096)
		return ar_tpm_fail(err, AR_TPM_UNSUPPORTED, AR_ERR_UNSUPPORTED,
				   "RSA key of %u bits not accepted (2048, 3072, 4096)", p->keyBits);
	if (n->size * 8u != p->keyBits || !(n->buffer[0] & 0x80))
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_BAD_KEY,
				   "RSA modulus of %u octets for a %u-bit key", n->size, p->keyBits);
	if (e < 65537 || !(e & 1))
		return ar_tpm_fail(err, AR_TPM_UNSUPPORTED, AR_ERR_BAD_KEY,
				   "RSA exponent %u not accepted (odd, at least 65537)", e);
	bn_n = BN_bin2bn(n->buffer, n->size, NULL);
	bn_e = BN_new();
	bld = OSSL_PARAM_BLD_new();
	if (!bn_n || !bn_e || !bld || BN_set_word(bn_e, e) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) != 1) {
		r = ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_NOMEM, "building an RSA key failed");
		goto out;
	}
	key->pkey = pkey_fromdata("RSA", bld);
	if (!key->pkey)
		r = ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_BAD_KEY, "RSA public key refused");
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return r;
}

ar_tpm_reason_t ar_tpm_key_decode(const uint8_t *buf, size_t len, ar_tpm_key_t *key, ar_err_t *err)
{
	uint8_t again[AR_TPM_MAX_STRUCT];
	size_t off = 0, off2 = 0;
	ar_tpm_reason_t r;

	memset(key, 0, sizeof(*key));
	if (len > AR_TPM_MAX_STRUCT)
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_TOO_LARGE,
				   "TPMT_PUBLIC of %zu octets (at most %d)", len, AR_TPM_MAX_STRUCT);
	if (Tss2_MU_TPMT_PUBLIC_Unmarshal(buf, len, &off, &key->pub) != TSS2_RC_SUCCESS)
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_MALFORMED,
				   "TPMT_PUBLIC does not decode (truncated or invalid)");
	if (off != len)
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_MALFORMED,
				   "TPMT_PUBLIC has %zu trailing octets", len - off);
	if (Tss2_MU_TPMT_PUBLIC_Marshal(&key->pub, again, sizeof(again), &off2) != TSS2_RC_SUCCESS ||
	    off2 != len || memcmp(again, buf, len) != 0)
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_MALFORMED,
				   "TPMT_PUBLIC is not in canonical form");
	r = key_name(key, buf, len, err);
	if (r != AR_TPM_OK)
		return r;
	switch (key->pub.type) {
	case TPM2_ALG_ECC: r = ecc_pkey(key, err); break;
	case TPM2_ALG_RSA: r = rsa_pkey(key, err); break;
	default:
		return ar_tpm_fail(err, AR_TPM_UNSUPPORTED, AR_ERR_UNSUPPORTED,
				   "key type 0x%04x not accepted (ECC, RSA)", key->pub.type);
	}
	if (r != AR_TPM_OK)
		ar_tpm_key_clear(key);
	return r;
}

void ar_tpm_key_clear(ar_tpm_key_t *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	memset(key, 0, sizeof(*key));
}

ar_tpm_reason_t ar_tpm_ak_check(const ar_tpm_key_t *ak, ar_err_t *err)
{
	const TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT |
				 TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				 TPMA_OBJECT_SENSITIVEDATAORIGIN;
	TPMA_OBJECT a = ak->pub.objectAttributes;

	if ((a & need) != need || (a & TPMA_OBJECT_DECRYPT))
		return ar_tpm_fail(err, AR_TPM_AK_NOT_RESTRICTED, AR_ERR_UNAUTHORIZED,
				   "signing key attributes 0x%08x are not those of an attestation key "
				   "(restricted, sign, fixedTPM, fixedParent, sensitiveDataOrigin; not decrypt)",
				   a);
	return AR_TPM_OK;
}

/* r || s of a TPMS_SIGNATURE_ECDSA as the DER ECDSA-Sig-Value EVP expects. */
static int ecdsa_der(const TPMS_SIGNATURE_ECC *s, uint8_t **der, size_t *der_len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(s->signatureR.buffer, s->signatureR.size, NULL);
	BIGNUM *sv = BN_bin2bn(s->signatureS.buffer, s->signatureS.size, NULL);
	int n;

	*der = NULL;
	if (!sig || !r || !sv || ECDSA_SIG_set0(sig, r, sv) != 1) {
		BN_free(r);
		BN_free(sv);
		ECDSA_SIG_free(sig);
		return -1;
	}
	n = i2d_ECDSA_SIG(sig, der);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return -1;
	*der_len = (size_t)n;
	return 0;
}

/* The signature's scheme must suit the key, with SHA-256. */
static ar_tpm_reason_t sig_scheme_check(const ar_tpm_key_t *key, const TPMT_SIGNATURE *s,
					ar_err_t *err)
{
	TPMI_ALG_HASH hash;

	switch (s->sigAlg) {
	case TPM2_ALG_ECDSA:
		if (key->pub.type != TPM2_ALG_ECC)
			goto mismatch;
		hash = s->signature.ecdsa.hash;
		break;
	case TPM2_ALG_RSASSA:
	case TPM2_ALG_RSAPSS:
		if (key->pub.type != TPM2_ALG_RSA)
			goto mismatch;
		hash = s->signature.rsassa.hash;
		break;
	default:
		return ar_tpm_fail(err, AR_TPM_UNSUPPORTED, AR_ERR_BAD_ALG,
				   "signature scheme 0x%04x not accepted (ECDSA, RSASSA, RSAPSS)",
				   s->sigAlg);
	}
	if (hash != TPM2_ALG_SHA256)
		return ar_tpm_fail(err, AR_TPM_UNSUPPORTED, AR_ERR_BAD_ALG,
				   "signature hash 0x%04x not accepted (SHA-256)", hash);
	return AR_TPM_OK;
mismatch:
	return ar_tpm_fail(err, AR_TPM_BAD_SIGNATURE, AR_ERR_BAD_ALG,
			   "signature scheme 0x%04x does not suit a key of type 0x%04x",
			   s->sigAlg, key->pub.type);
}

static ar_tpm_reason_t sig_decode(const uint8_t *sig, size_t sig_len, TPMT_SIGNATURE *s,
				  ar_err_t *err)
{
	size_t off = 0;

	if (sig_len > AR_TPM_MAX_STRUCT)
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_TOO_LARGE,
				   "TPMT_SIGNATURE of %zu octets (at most %d)", sig_len, AR_TPM_MAX_STRUCT);
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig, sig_len, &off, s) != TSS2_RC_SUCCESS)
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_MALFORMED,
				   "TPMT_SIGNATURE does not decode (truncated or invalid)");
	if (off != sig_len)
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_MALFORMED,
				   "TPMT_SIGNATURE has %zu trailing octets", sig_len - off);
	return AR_TPM_OK;
}

ar_tpm_reason_t ar_tpm_signature_verify(const ar_tpm_key_t *key, const uint8_t *msg,
					size_t msg_len, const uint8_t *sig, size_t sig_len,
					ar_err_t *err)
{
	TPMT_SIGNATURE s;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *der = NULL;
	const uint8_t *sv;
	size_t sv_len;
	ar_tpm_reason_t r;
	int ok;

	r = sig_decode(sig, sig_len, &s, err);
	if (r == AR_TPM_OK)
		r = sig_scheme_check(key, &s, err);
	if (r != AR_TPM_OK)
		return r;
	if (s.sigAlg == TPM2_ALG_ECDSA) {
		if (ecdsa_der(&s.signature.ecdsa, &der, &sv_len) < 0)
			return ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_CRYPTO, "encoding the ECDSA signature failed");
		sv = der;
	} else {
		sv = s.signature.rsassa.sig.buffer;
		sv_len = s.signature.rsassa.sig.size;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit_ex(md, &pctx, "SHA256", NULL, NULL, key->pkey, NULL) != 1) {
		r = ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_CRYPTO, "signature verification setup failed");
		goto out;
	}
	if (s.sigAlg == TPM2_ALG_RSAPSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1)) {
		r = ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_CRYPTO, "RSA-PSS setup failed");
		goto out;
	}
	ok = EVP_DigestVerify(md, sv, sv_len, msg, msg_len);
	if (ok != 1)
		r = ar_tpm_fail(err, AR_TPM_BAD_SIGNATURE, AR_ERR_BAD_SIGNATURE,
				"the %s signature does not verify with the signing key",
				s.sigAlg == TPM2_ALG_ECDSA ? "ECDSA" :
				s.sigAlg == TPM2_ALG_RSAPSS ? "RSA-PSS" : "RSASSA");
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return r;
}
