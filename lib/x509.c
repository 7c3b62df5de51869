/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Short-lived certificate issuance, the client's CSR, and the identifiers
 * of a certificate (AKI and serial in hex, the ARI CertID). See x509.h.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include "b64.h"
#include "hex.h"
#include "x509.h"
#include "x509_int.h"

#define SERIAL_LEN	16

/* ---- issuance ---- */

static int set_serial(X509 *x, ar_err_t *err)
{
	unsigned char buf[SERIAL_LEN];

	do {
		if (RAND_bytes(buf, sizeof(buf)) != 1)
			return ar_err_set(err, AR_ERR_CRYPTO, "random serial: RAND_bytes failed");
		buf[0] &= 0x7f;		/* positive */
	} while (buf[0] == 0);		/* exactly SERIAL_LEN content octets */
	if (!ASN1_STRING_set(X509_get_serialNumber(x), buf, sizeof(buf)))
		return ar_err_set(err, AR_ERR_NOMEM, "random serial: out of memory");
	return 0;
}

static int set_validity(X509 *x, const ar_issue_params_t *p, ar_err_t *err)
{
	int64_t nb = p->not_before - p->backdate_s;

	if (p->lifetime_s <= 0 || p->lifetime_s > AR_CERT_MAX_LIFETIME || p->backdate_s < 0 ||
	    p->backdate_s > p->lifetime_s || nb < 0)
		return ar_err_set(err, AR_ERR_CONFIG,
				  "certificate lifetime %lld s or backdate %lld s out of range",
				  (long long)p->lifetime_s, (long long)p->backdate_s);
	if (!ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(nb + p->lifetime_s)))
		return ar_err_set(err, AR_ERR_CRYPTO, "cannot set the validity");
	return 0;
}
static GENERAL_NAME *dns_name(const char *value)
{
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	GENERAL_NAME *gn = GENERAL_NAME_new();

	if (!s || !gn || !ASN1_STRING_set(s, value, (int)strlen(value))) {
		ASN1_IA5STRING_free(s);
		GENERAL_NAME_free(gn);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, GEN_DNS, s);
	return gn;
}

static int add_san(X509 *x, const ar_csr_info_t *info, int critical, ar_err_t *err)
{
	GENERAL_NAMES *names = GENERAL_NAMES_new();
	GENERAL_NAME *gn;
	size_t i;
	int rc = -1;

	if (!names)
		goto nomem;
	for (i = 0; i < info->nids; i++) {
		if (!strcmp(info->ids[i].type, AR_ID_DNS))
			gn = dns_name(info->ids[i].value);
		else if (!strcmp(info->ids[i].type, AR_ID_PERMANENT))
			gn = x509_permanent_id_name(info->ids[i].value);
		else {
			ar_err_set(err, AR_ERR_UNSUPPORTED, "identifier type %s cannot be certified",
				   info->ids[i].type);
			goto out;
		}
		if (!gn || !sk_GENERAL_NAME_push(names, gn)) {
			GENERAL_NAME_free(gn);
			goto nomem;
		}
	}
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, names, critical, X509V3_ADD_DEFAULT) != 1)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	ar_err_set(err, AR_ERR_NOMEM, "cannot build subjectAltName");
out:
	GENERAL_NAMES_free(names);
	return rc;
}

/* Subject: CN of the first identifier if it fits; else empty. */
static int set_subject(X509 *x, const ar_csr_info_t *info, int *san_critical, ar_err_t *err)
{
	const char *v = info->ids[0].value;
	X509_NAME *name = X509_get_subject_name(x);

	*san_critical = strlen(v) > AR_CN_MAX;
	if (*san_critical)
		return 0;
	if (!X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					(const unsigned char *)v, -1, -1, 0))
		return ar_err_set(err, AR_ERR_NOMEM, "cannot set the subject");
	return 0;
}

static int add_basic_and_usage(X509 *x, int rsa, int server_auth, ar_err_t *err)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
	int rc = -1;

	if (!bc || !ku || !eku || !ASN1_BIT_STRING_set_bit(ku, 0, 1) ||
	    (rsa && !ASN1_BIT_STRING_set_bit(ku, 2, 1)) ||
	    !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth)) ||
	    (server_auth && !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth))))
		goto out;
	bc->ca = 0;
	if (X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT) != 1 ||
	    X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) != 1 ||
	    X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	rc = 0;
out:
	if (rc)
		ar_err_set(err, AR_ERR_NOMEM, "cannot build key usage extensions");
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	sk_ASN1_OBJECT_free(eku);	/* the objects are static */
	return rc;
}

static int add_key_ids(X509 *x, X509 *issuer, ar_err_t *err)
{
	const ASN1_OCTET_STRING *issuer_ski = X509_get0_subject_key_id(issuer);
	unsigned char md[EVP_MAX_MD_SIZE];
	ASN1_OCTET_STRING *ski = NULL;
	AUTHORITY_KEYID *aki = NULL;
	unsigned int mdlen;
	int rc = -1;

	if (!issuer_ski)
		return ar_err_set(err, AR_ERR_CONFIG, "issuer certificate has no subjectKeyIdentifier");
	if (!X509_pubkey_digest(x, EVP_sha1(), md, &mdlen)) {
		ar_err_set(err, AR_ERR_CRYPTO, "cannot hash the subject public key");
		goto out;
	}
	ski = ASN1_OCTET_STRING_new();
	aki = AUTHORITY_KEYID_new();
	if (!ski || !aki || !ASN1_OCTET_STRING_set(ski, md, (int)mdlen))
		goto nomem;
	aki->keyid = ASN1_OCTET_STRING_dup(issuer_ski);
	if (!aki->keyid ||
	    X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, X509V3_ADD_DEFAULT) != 1 ||
	    X509_add1_ext_i2d(x, NID_authority_key_identifier, aki, 0, X509V3_ADD_DEFAULT) != 1)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	ar_err_set(err, AR_ERR_NOMEM, "cannot build key identifiers");
out:
	ASN1_OCTET_STRING_free(ski);
	AUTHORITY_KEYID_free(aki);
	return rc;
}

/* RFC 9608 noRevAvail: extnValue is the DER of NULL, non-critical. */
static int add_no_rev_avail(X509 *x, ar_err_t *err)
{
	ASN1_NULL *null = ASN1_NULL_new();
	ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	unsigned char *der = NULL;
	int len, rc = -1;

	if (!null || !val)
		goto out;
	len = i2d_ASN1_NULL(null, &der);
	if (len <= 0 || !ASN1_OCTET_STRING_set(val, der, len))
		goto out;
	ext = X509_EXTENSION_create_by_NID(NULL, NID_no_rev_avail, 0, val);
	if (ext && X509_add_ext(x, ext, -1))
		rc = 0;
out:
	if (rc)
		ar_err_set(err, AR_ERR_NOMEM, "cannot build noRevAvail");
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(val);
	OPENSSL_free(der);
	ASN1_NULL_free(null);
	return rc;
}

static int add_attestation(X509 *x, const ar_certext_t *att, ar_err_t *err)
{
	X509_EXTENSION *ext = ar_certext_to_extension(att, err);
	int rc = 0;

	if (!ext)
		return -1;
	if (!X509_add_ext(x, ext, -1))
		rc = ar_err_set(err, AR_ERR_NOMEM, "cannot add the attestation extension");
	X509_EXTENSION_free(ext);
	return rc;
}

/* SHA-384 for P-384 issuers, SHA-256 for P-256 and RSA. */
static const EVP_MD *sign_md(EVP_PKEY *key)
{
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && EVP_PKEY_get_bits(key) >= 384)
		return EVP_sha384();
	return EVP_sha256();
}

/*
 * Sign with the provider that holds the key: the default provider's ECDSA
 * cannot use a key that lives in a TPM or a token.
 */
static int csr_sign(X509_REQ *req, EVP_PKEY *key, OSSL_LIB_CTX *lib)
{
	const OSSL_PROVIDER *prov = EVP_PKEY_get0_provider(key);
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	char propq[80] = "";
	int rc = -1;

	if (prov)
		snprintf(propq, sizeof(propq), "?provider=%s", OSSL_PROVIDER_get0_name(prov));
	if (mctx && EVP_DigestSignInit_ex(mctx, NULL, EVP_MD_get0_name(sign_md(key)), lib,
					  propq[0] ? propq : NULL, key, NULL) > 0 &&
	    X509_REQ_sign_ctx(req, mctx) > 0)
		rc = 0;
	EVP_MD_CTX_free(mctx);
	return rc;
}

int ar_csr_make(EVP_PKEY *key, const ar_identifier_t *ids, size_t n, unsigned char **der,
		size_t *len, ar_err_t *err)
{
	return ar_csr_make_ex(key, NULL, ids, n, der, len, err);
}

int ar_csr_make_ex(EVP_PKEY *key, OSSL_LIB_CTX *lib, const ar_identifier_t *ids, size_t n,
		   unsigned char **der, size_t *len, ar_err_t *err)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_REQ *req = X509_REQ_new();
	X509_NAME *subject = NULL;
	const char *cn = NULL;
	GENERAL_NAME *gn;
	int rc = -1, dlen;
	size_t i;

	*der = NULL;
	if (!names || !req) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!strcmp(ids[i].type, AR_ID_ATTESTATION))
			continue;
		if (!strcmp(ids[i].type, AR_ID_DNS))
			gn = dns_name(ids[i].value);
		else if (!strcmp(ids[i].type, AR_ID_PERMANENT))
			gn = x509_permanent_id_name(ids[i].value);
		else {
			ar_err_set(err, AR_ERR_MALFORMED, "CSR: unknown identifier type \"%.31s\"",
				   ids[i].type);
			goto out;
		}
		if (!gn || !sk_GENERAL_NAME_push(names, gn)) {
			GENERAL_NAME_free(gn);
			ar_err_set(err, AR_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (!cn && strlen(ids[i].value) <= AR_CN_MAX)
			cn = ids[i].value;
	}
	if (sk_GENERAL_NAME_num(names) == 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "CSR: no identifier to name");
		goto out;
	}
	subject = X509_NAME_new();
	if (!subject || (cn && !X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
							     (const unsigned char *)cn, -1, -1, 0)) ||
	    !X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, subject) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    !(exts = sk_X509_EXTENSION_new_null()) ||
	    !X509V3_add1_i2d(&exts, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) ||
	    !X509_REQ_add_extensions(req, exts) || csr_sign(req, key, lib) < 0 ||
	    (dlen = i2d_X509_REQ(req, der)) <= 0) {
		ar_err_set(err, AR_ERR_CRYPTO, "cannot make the CSR");
		goto out;
	}
	*len = (size_t)dlen;
	rc = 0;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(names);
	X509_NAME_free(subject);
	X509_REQ_free(req);
	return rc;
}

X509 *ar_issue_cert(const ar_csr_t *csr, const ar_csr_info_t *info, const ar_issue_params_t *p,
		    ar_err_t *err)
{
	int san_critical;
	X509 *x;

	if (!p->issuer_key || !p->issuer_cert || !x509_csr_checked(csr) || info->nids == 0) {
		ar_err_set(err, AR_ERR_CONFIG,
			   "issuance needs an issuer, a checked CSR and identifiers");
		return NULL;
	}
	if (X509_check_private_key(p->issuer_cert, p->issuer_key) != 1) {
		ar_err_set(err, AR_ERR_CONFIG, "issuer key does not match the issuer certificate");
		return NULL;
	}
	x = X509_new();
	if (!x) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (!X509_set_version(x, X509_VERSION_3) || set_serial(x, err) ||
	    set_validity(x, p, err) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(p->issuer_cert)) ||
	    set_subject(x, info, &san_critical, err) || x509_csr_copy_pubkey(x, csr) < 0 ||
	    add_basic_and_usage(x, info->key_type == AR_JWK_RSA, p->server_auth,
				err) ||
	    add_san(x, info, san_critical, err) || add_key_ids(x, p->issuer_cert, err) ||
	    add_no_rev_avail(x, err) || (p->attestation && add_attestation(x, p->attestation, err)))
		goto fail;
	if (X509_sign(x, p->issuer_key, sign_md(p->issuer_key)) <= 0) {
		ar_err_set(err, AR_ERR_CRYPTO, "signing the certificate failed");
		goto fail;
	}
	return x;
fail:
	if (err && err->code == AR_OK)
		ar_err_set(err, AR_ERR_NOMEM, "cannot build the certificate");
	X509_free(x);
	return NULL;
}

/* ---- certificate identifiers ---- */

/*
 * Serial DER content octets: the magnitude, with a 00 in front when its
 * first bit is set. Serials are positive (RFC 5280 4.1.2.2).
 */
static int serial_octets(const X509 *cert, unsigned char *out, size_t *len, ar_err_t *err)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
	const unsigned char *d = ASN1_STRING_get0_data(sn);
	int n = ASN1_STRING_length(sn);
	size_t pad;

	if (ASN1_STRING_type(sn) != V_ASN1_INTEGER || n <= 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "certificate serial is not positive");
	pad = d[0] & 0x80 ? 1 : 0;
	if ((size_t)n + pad > 32)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "certificate serial longer than 32 bytes");
	out[0] = 0;
	memcpy(out + pad, d, (size_t)n);
	*len = (size_t)n + pad;
	return 0;
}

static const ASN1_OCTET_STRING *aki_keyid(X509 *cert, ar_err_t *err)
{
	const ASN1_OCTET_STRING *id = X509_get0_authority_key_id(cert);

	if (!id || ASN1_STRING_length(id) <= 0 || ASN1_STRING_length(id) > 32)
		ar_err_set(err, AR_ERR_NOT_FOUND, "certificate has no usable authorityKeyIdentifier");
	return id && ASN1_STRING_length(id) > 0 && ASN1_STRING_length(id) <= 32 ? id : NULL;
}

int ar_cert_ids(X509 *cert, char *aki_hex, size_t akisize, char *serial_hex,
		size_t serialsize, ar_err_t *err)
{
	const ASN1_OCTET_STRING *aki;
	unsigned char sn[32];
	size_t snlen;

	if (aki_hex) {
		aki = aki_keyid(cert, err);
		if (!aki || ar_hex_encode(ASN1_STRING_get0_data(aki), (size_t)ASN1_STRING_length(aki),
					  aki_hex, akisize, err))
			return -1;
	}
	if (serial_hex &&
	    (serial_octets(cert, sn, &snlen, err) ||
	     ar_hex_encode(sn, snlen, serial_hex, serialsize, err)))
		return -1;
	return 0;
}

int ar_cert_ari_id(X509 *cert, char *out, size_t outsize, ar_err_t *err)
{
	const ASN1_OCTET_STRING *aki = aki_keyid(cert, err);
	unsigned char sn[32];
	size_t snlen, alen, need;

	if (!aki || serial_octets(cert, sn, &snlen, err))
		return -1;
	alen = ar_b64url_enc_len((size_t)ASN1_STRING_length(aki));
	need = alen + 1 + ar_b64url_enc_len(snlen) + 1;
	if (outsize < need)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "ARI identifier needs %zu bytes", need);
	if (ar_b64url_encode(ASN1_STRING_get0_data(aki), (size_t)ASN1_STRING_length(aki), out,
			     outsize) ||
	    ar_b64url_encode(sn, snlen, out + alen + 1, outsize - alen - 1))
		return ar_err_set(err, AR_ERR_TOO_LARGE, "ARI identifier does not fit");
	out[alen] = '.';
	return 0;
}

