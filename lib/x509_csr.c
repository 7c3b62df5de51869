/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CSR parsing and checks: the PKCS#10 templates, the key made from its
 * parameters, the names of the request. Issuance (x509.c) takes the
 * checked request's key and the RFC 4043 name from here. See x509.h.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <openssl/asn1t.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include "x509.h"
#include "x509_int.h"

#define RSA_MIN_BITS	2048
#define RSA_MAX_BITS	8192

/*
 * RFC 4043 PermanentIdentifier ::= SEQUENCE {
 *	identifierValue UTF8String OPTIONAL,
 *	assigner OBJECT IDENTIFIER OPTIONAL }
 * (OpenSSL 3.0 has the OID, id-on-permanentIdentifier, but no type.)
 */
typedef struct AR_PERMANENT_ID_st {
	ASN1_UTF8STRING	*value;
	ASN1_OBJECT	*assigner;
} AR_PERMANENT_ID;

ASN1_SEQUENCE(AR_PERMANENT_ID) = {
	ASN1_OPT(AR_PERMANENT_ID, value, ASN1_UTF8STRING),
	ASN1_OPT(AR_PERMANENT_ID, assigner, ASN1_OBJECT),
} static_ASN1_SEQUENCE_END(AR_PERMANENT_ID)

IMPLEMENT_STATIC_ASN1_ALLOC_FUNCTIONS(AR_PERMANENT_ID)
IMPLEMENT_STATIC_ASN1_ENCODE_FUNCTIONS(AR_PERMANENT_ID)

/*
 * RFC 2986 CertificationRequest, with the subjectPublicKeyInfo kept as
 * algorithm and bit string. OpenSSL's X509_REQ decodes the key as it
 * parses, and OpenSSL 3.0 does that through its decoder framework (a tenth
 * of the CA's work per issuance); the key is made here from its parameters
 * instead (csr_key()). CertificationRequestInfo keeps its received
 * encoding (ASN1_SEQUENCE_enc), so the signature is checked over the bytes
 * that were signed. The attributes are OPTIONAL as in OpenSSL's own
 * template, which accepts requests that omit the empty SET.
 */
typedef struct AR_SPKI_st {
	X509_ALGOR	*alg;
	ASN1_BIT_STRING	*key;
} AR_SPKI;

typedef struct AR_CSR_INFO_st {
	ASN1_ENCODING			enc;
	ASN1_INTEGER			*version;
	X509_NAME			*subject;
	AR_SPKI				*spki;
	STACK_OF(X509_ATTRIBUTE)	*attributes;
} AR_CSR_INFO;

typedef struct AR_CSR_st {
	AR_CSR_INFO	*info;
	X509_ALGOR	*sig_alg;
	ASN1_BIT_STRING	*signature;
} AR_CSR;

/* RFC 8017 RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
typedef struct AR_RSA_PUB_st {
	ASN1_INTEGER	*n;
	ASN1_INTEGER	*e;
} AR_RSA_PUB;

ASN1_SEQUENCE(AR_SPKI) = {
	ASN1_SIMPLE(AR_SPKI, alg, X509_ALGOR),
	ASN1_SIMPLE(AR_SPKI, key, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(AR_SPKI)

ASN1_SEQUENCE_enc(AR_CSR_INFO, enc, NULL) = {
	ASN1_SIMPLE(AR_CSR_INFO, version, ASN1_INTEGER),
	ASN1_SIMPLE(AR_CSR_INFO, subject, X509_NAME),
	ASN1_SIMPLE(AR_CSR_INFO, spki, AR_SPKI),
	ASN1_IMP_SET_OF_OPT(AR_CSR_INFO, attributes, X509_ATTRIBUTE, 0),
} static_ASN1_SEQUENCE_END_ref(AR_CSR_INFO, AR_CSR_INFO)

ASN1_SEQUENCE(AR_CSR) = {
	ASN1_SIMPLE(AR_CSR, info, AR_CSR_INFO),
	ASN1_SIMPLE(AR_CSR, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(AR_CSR, signature, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(AR_CSR)

ASN1_SEQUENCE(AR_RSA_PUB) = {
	ASN1_SIMPLE(AR_RSA_PUB, n, ASN1_INTEGER),
	ASN1_SIMPLE(AR_RSA_PUB, e, ASN1_INTEGER),
} static_ASN1_SEQUENCE_END(AR_RSA_PUB)

static void *asn1_d2i(const ASN1_ITEM *it, const unsigned char **p, long len)
{
	return ASN1_item_d2i(NULL, p, len, it);
}

static void asn1_free(const ASN1_ITEM *it, void *a)
{
	ASN1_item_free(a, it);
}

struct ar_csr {
	AR_CSR		*asn;
	EVP_PKEY	*pkey;	/* set by ar_csr_check() */
};

ar_csr_t *ar_csr_parse_der(const unsigned char *der, size_t len, ar_err_t *err)
{
	const unsigned char *p = der;
	ar_csr_t *csr;

	if (len > AR_CSR_MAX_DER) {
		ar_err_set(err, AR_ERR_TOO_LARGE, "CSR is %zu bytes, limit is %d", len,
			   AR_CSR_MAX_DER);
		return NULL;
	}
	csr = calloc(1, sizeof(*csr));
	if (!csr) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	csr->asn = asn1_d2i(ASN1_ITEM_rptr(AR_CSR), &p, (long)len);
	if (!csr->asn) {
		ar_err_set(err, AR_ERR_MALFORMED, "CSR is not a DER PKCS#10 request");
		goto fail;
	}
	if ((size_t)(p - der) != len) {
		ar_err_set(err, AR_ERR_MALFORMED, "CSR has %zu trailing bytes",
			   len - (size_t)(p - der));
		goto fail;
	}
	return csr;
fail:
	ar_csr_free(csr);
	return NULL;
}

void ar_csr_free(ar_csr_t *csr)
{
	if (!csr)
		return;
	asn1_free(ASN1_ITEM_rptr(AR_CSR), csr->asn);
	EVP_PKEY_free(csr->pkey);
	free(csr);
}

/* A key from its type's parameters, as a provider key. */
static EVP_PKEY *key_fromdata(const char *type, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* An EC public key on P-256 or P-384: the curve's OID and the point. */
static EVP_PKEY *ec_key(const AR_SPKI *spki, ar_csr_info_t *info, ar_err_t *err)
{
	OSSL_PARAM params[3];
	const ASN1_OBJECT *curve;
	const void *pval;
	const char *group;
	EVP_PKEY *pkey;
	int ptype, nid;

	X509_ALGOR_get0(NULL, &ptype, &pval, spki->alg);
	if (ptype != V_ASN1_OBJECT) {
		ar_err_set(err, AR_ERR_UNSUPPORTED, "CSR EC key has no named curve");
		return NULL;
	}
	curve = pval;
	nid = OBJ_obj2nid(curve);
	if (nid == NID_X9_62_prime256v1) {
		info->key_bits = 256;
	} else if (nid == NID_secp384r1) {
		info->key_bits = 384;
	} else {
		ar_err_set(err, AR_ERR_UNSUPPORTED, "CSR EC key on curve %s; P-256 or P-384 required",
			   nid == NID_undef ? "(unknown)" : OBJ_nid2sn(nid));
		return NULL;
	}
	group = OBJ_nid2sn(nid);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, spki->key->data,
						      (size_t)spki->key->length);
	params[2] = OSSL_PARAM_construct_end();
	pkey = key_fromdata("EC", params);	/* checks the point is on the curve */
	if (!pkey)
		ar_err_set(err, AR_ERR_MALFORMED, "CSR EC public key is not a point on %s", group);
	info->key_type = AR_JWK_EC;
	return pkey;
}

/* An RSA public key of RSA_MIN_BITS to RSA_MAX_BITS. */
static EVP_PKEY *rsa_key(const AR_SPKI *spki, ar_csr_info_t *info, ar_err_t *err)
{
	const unsigned char *p = spki->key->data;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *n = NULL, *e = NULL;
	AR_RSA_PUB *pub;
	EVP_PKEY *pkey = NULL;

	pub = asn1_d2i(ASN1_ITEM_rptr(AR_RSA_PUB), &p, spki->key->length);
	if (!pub || p != spki->key->data + spki->key->length ||
	    !(n = ASN1_INTEGER_to_BN(pub->n, NULL)) || !(e = ASN1_INTEGER_to_BN(pub->e, NULL)) ||
	    BN_is_negative(n) || BN_is_negative(e)) {
		ar_err_set(err, AR_ERR_MALFORMED, "CSR RSA public key is malformed");
		goto out;
	}
	info->key_type = AR_JWK_RSA;
	info->key_bits = BN_num_bits(n);
	if (info->key_bits < RSA_MIN_BITS || info->key_bits > RSA_MAX_BITS) {
		ar_err_set(err, AR_ERR_UNSUPPORTED, "CSR RSA key of %d bits; %d to %d required",
			   info->key_bits, RSA_MIN_BITS, RSA_MAX_BITS);
		goto out;
	}
	{	/* the exponent policy of account keys (e = 1: anyone signs for it) */
		unsigned char eb[8] = { 0 };
		int elen = BN_num_bytes(e);

		if (elen <= (int)sizeof(eb))
			BN_bn2bin(e, eb);
		if (ar_jwk_rsa_exponent_check(eb, (size_t)elen, err) < 0) {
			ar_err_prefix(err, "CSR ");
			goto out;
		}
	}
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld))) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto out;
	}
	pkey = key_fromdata("RSA", params);
	if (!pkey)
		ar_err_set(err, AR_ERR_MALFORMED, "CSR RSA public key is not usable");
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	asn1_free(ASN1_ITEM_rptr(AR_RSA_PUB), pub);
	return pkey;
}

/* The CSR's key, if of a type and size acceptable for a client certificate. */
static EVP_PKEY *csr_key(const AR_SPKI *spki, ar_csr_info_t *info, ar_err_t *err)
{
	const ASN1_OBJECT *alg;
	int nid;

	X509_ALGOR_get0(&alg, NULL, NULL, spki->alg);
	if ((spki->key->flags & 0x07) || spki->key->length <= 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "CSR public key is not a whole number of bytes");
		return NULL;
	}
	switch (nid = OBJ_obj2nid(alg)) {
	case NID_X9_62_id_ecPublicKey:
		return ec_key(spki, info, err);
	case NID_rsaEncryption:
		return rsa_key(spki, info, err);
	default:
		ar_err_set(err, AR_ERR_UNSUPPORTED, "CSR key type %s; EC P-256/P-384 or RSA required",
			   nid == NID_undef ? "(unknown)" : OBJ_nid2sn(nid));
		return NULL;
	}
}

/* DNS name: labels of letters, digits and '-', a leading "*." allowed. */
static int dns_name_ok(const char *s, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 253)
		return 0;
	if (n > 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	}
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c == '-' && label > 0)))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[n - 1] != '-';
}

static int printable_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return n > 0;
}

static int same_id(const ar_identifier_t *a, const char *type, const char *value)
{
	if (strcmp(a->type, type) != 0)
		return 0;
	if (!strcmp(type, AR_ID_DNS))
		return strcasecmp(a->value, value) == 0;
	return strcmp(a->value, value) == 0;
}

/* Add an identifier (the value is raw CSR bytes), dropping duplicates. */
static int add_id(ar_csr_info_t *info, const char *type, const unsigned char *v, int vlen,
		  ar_err_t *err)
{
	char value[AR_ID_VALUE_MAX + 1];
	size_t i, n;

	if (vlen <= 0 || (size_t)vlen > AR_ID_VALUE_MAX || memchr(v, 0, (size_t)vlen))
		return ar_err_set(err, AR_ERR_MALFORMED, "CSR %s identifier is empty or too long",
				  type);
	n = (size_t)vlen;
	memcpy(value, v, n);
	value[n] = '\0';
	if (!strcmp(type, AR_ID_DNS)) {
		if (!dns_name_ok(value, n))
			return ar_err_set(err, AR_ERR_MALFORMED, "CSR dNSName \"%.64s\" is not valid",
					  value);
		for (i = 0; i < n; i++)
			if (value[i] >= 'A' && value[i] <= 'Z')
				value[i] = (char)(value[i] - 'A' + 'a');
	} else if (!printable_ok(value, n) || n > AR_CERTEXT_DEVICE_MAX) {
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "CSR permanent identifier must be 1 to %d printable ASCII characters",
				  AR_CERTEXT_DEVICE_MAX);
	}
	for (i = 0; i < info->nids; i++)
		if (same_id(&info->ids[i], type, value))
			return 0;
	if (info->nids == AR_CSR_MAX_IDS)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "CSR requests more than %d identifiers",
				  AR_CSR_MAX_IDS);
	snprintf(info->ids[info->nids].type, sizeof(info->ids[0].type), "%s", type);
	memcpy(info->ids[info->nids].value, value, n + 1);
	info->nids++;
	return 0;
}

static int add_permanent_id(ar_csr_info_t *info, const OTHERNAME *on, ar_err_t *err)
{
	const unsigned char *p;
	AR_PERMANENT_ID *pid;
	long len;
	int rc;

	if (on->value->type != V_ASN1_SEQUENCE)
		return ar_err_set(err, AR_ERR_MALFORMED, "CSR permanentIdentifier is not a SEQUENCE");
	p = ASN1_STRING_get0_data(on->value->value.sequence);
	len = ASN1_STRING_length(on->value->value.sequence);
	pid = d2i_AR_PERMANENT_ID(NULL, &p, len);
	if (!pid || p != ASN1_STRING_get0_data(on->value->value.sequence) + len) {
		AR_PERMANENT_ID_free(pid);
		return ar_err_set(err, AR_ERR_MALFORMED, "CSR permanentIdentifier is malformed");
	}
	if (!pid->value)
		rc = ar_err_set(err, AR_ERR_MALFORMED,
				"CSR permanentIdentifier has no identifierValue");
	else
		rc = add_id(info, AR_ID_PERMANENT, ASN1_STRING_get0_data(pid->value),
			    ASN1_STRING_length(pid->value), err);
	AR_PERMANENT_ID_free(pid);
	return rc;
}

static int add_general_names(ar_csr_info_t *info, const GENERAL_NAMES *names, ar_err_t *err)
{
	const GENERAL_NAME *gn;
	int i;

	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		gn = sk_GENERAL_NAME_value(names, i);
		if (gn->type == GEN_DNS) {
			if (add_id(info, AR_ID_DNS, ASN1_STRING_get0_data(gn->d.dNSName),
				   ASN1_STRING_length(gn->d.dNSName), err))
				return -1;
		} else if (gn->type == GEN_OTHERNAME &&
			   OBJ_obj2nid(gn->d.otherName->type_id) == NID_id_on_permanentIdentifier) {
			if (add_permanent_id(info, gn->d.otherName, err))
				return -1;
		} else {
			return ar_err_set(err, AR_ERR_UNSUPPORTED,
					  "CSR subjectAltName of a type other than dNSName or "
					  "permanentIdentifier");
		}
	}
	return 0;
}

/*
 * The extensions of the PKCS#9 extensionRequest attribute (or Microsoft's
 * older one), an empty list when there is none. Only one such attribute,
 * with one value, is accepted.
 */
static STACK_OF(X509_EXTENSION) *csr_extensions(const AR_CSR_INFO *ri, ar_err_t *err)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	const ASN1_TYPE *value = NULL;
	const unsigned char *p;
	int i, nid;

	for (i = 0; i < sk_X509_ATTRIBUTE_num(ri->attributes); i++) {
		X509_ATTRIBUTE *attr = sk_X509_ATTRIBUTE_value(ri->attributes, i);

		nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(attr));
		if (nid != NID_ext_req && nid != NID_ms_ext_req)
			continue;
		if (value || X509_ATTRIBUTE_count(attr) != 1) {
			ar_err_set(err, AR_ERR_MALFORMED, "CSR requests extensions more than once");
			return NULL;
		}
		value = X509_ATTRIBUTE_get0_type(attr, 0);
	}
	if (!value) {
		exts = sk_X509_EXTENSION_new_null();
		if (!exts)
			ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return exts;
	}
	if (value->type == V_ASN1_SEQUENCE) {
		p = value->value.sequence->data;
		exts = d2i_X509_EXTENSIONS(NULL, &p, value->value.sequence->length);
		if (exts && p != value->value.sequence->data + value->value.sequence->length) {
			sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
			exts = NULL;
		}
	}
	if (!exts)
		ar_err_set(err, AR_ERR_MALFORMED, "CSR extensionRequest is malformed");
	return exts;
}

/* The subjectAltName of the extensionRequest attribute, at most one. */
static int csr_sans(const AR_CSR_INFO *ri, ar_csr_info_t *info, ar_err_t *err)
{
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *names = NULL;
	X509_EXTENSION *ext;
	int i, found = 0, rc = -1;

	exts = csr_extensions(ri, err);
	if (!exts)
		return -1;
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		ext = sk_X509_EXTENSION_value(exts, i);
		if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name)
			continue;
		if (found++) {
			ar_err_set(err, AR_ERR_MALFORMED, "CSR requests subjectAltName twice");
			goto out;
		}
		names = X509V3_EXT_d2i(ext);
		if (!names) {
			ar_err_set(err, AR_ERR_MALFORMED, "CSR subjectAltName is malformed");
			goto out;
		}
		if (add_general_names(info, names, err))
			goto out;
		GENERAL_NAMES_free(names);
		names = NULL;
	}
	rc = 0;
out:
	GENERAL_NAMES_free(names);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

/* The subject's commonName, at most one; added as a "dns" identifier when
 * no SAN has its value. */
static int csr_cn(const AR_CSR_INFO *ri, ar_csr_info_t *info, ar_err_t *err)
{
	const X509_NAME *name = ri->subject;
	const ASN1_STRING *s;
	size_t i;
	int loc, len;

	loc = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (loc < 0)
		return 0;
	if (X509_NAME_get_index_by_NID(name, NID_commonName, loc) >= 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "CSR subject has more than one commonName");
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, loc));
	len = ASN1_STRING_length(s);
	if (len <= 0 || len > AR_CN_MAX || !printable_ok((const char *)ASN1_STRING_get0_data(s),
							 (size_t)len))
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "CSR commonName must be 1 to %d printable ASCII characters",
				  AR_CN_MAX);
	memcpy(info->cn, ASN1_STRING_get0_data(s), (size_t)len);
	info->cn[len] = '\0';
	for (i = 0; i < info->nids; i++)
		if (!strcasecmp(info->ids[i].value, info->cn))
			return 0;
	return add_id(info, AR_ID_DNS, ASN1_STRING_get0_data(s), len, err);
}

int ar_csr_check(ar_csr_t *csr, ar_csr_info_t *info, ar_err_t *err)
{
	const AR_CSR_INFO *ri = csr->asn->info;

	memset(info, 0, sizeof(*info));
	EVP_PKEY_free(csr->pkey);
	csr->pkey = NULL;
	if (ASN1_INTEGER_get(ri->version) != X509_REQ_VERSION_1)
		return ar_err_set(err, AR_ERR_MALFORMED, "CSR version is not 1");
	csr->pkey = csr_key(ri->spki, info, err);
	if (!csr->pkey)
		return -1;
	if (ASN1_item_verify_ex(ASN1_ITEM_rptr(AR_CSR_INFO), csr->asn->sig_alg,
				csr->asn->signature, ri, NULL, csr->pkey, NULL, NULL) != 1)
		goto fail_sig;
	if (ar_jwk_pkey_thumbprint(csr->pkey, info->jkt, err) < 0) {
		ar_err_prefix(err, "CSR key: ");
		goto fail;
	}
	if (csr_sans(ri, info, err) || csr_cn(ri, info, err))
		goto fail;
	if (info->nids == 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "CSR requests no identifier");
		goto fail;
	}
	return 0;
fail_sig:
	ar_err_set(err, AR_ERR_BAD_SIGNATURE, "CSR signature does not verify");
fail:
	EVP_PKEY_free(csr->pkey);	/* only a checked CSR is issued for */
	csr->pkey = NULL;
	return -1;
}

int ar_csr_identifiers_match(const ar_csr_info_t *info, const ar_identifier_t *ids, size_t n,
			     char *why, size_t whysize)
{
	size_t i, j;
	int found;

	if (why && whysize)
		why[0] = '\0';
	if (info->cn[0]) {
		for (found = 0, j = 0; j < n && !found; j++)
			found = strcmp(ids[j].type, AR_ID_ATTESTATION) != 0 &&
				same_id(&ids[j], ids[j].type, info->cn);
		if (!found) {
			if (why)
				snprintf(why, whysize,
					 "CSR commonName \"%s\" is not one of the order's identifiers",
					 info->cn);
			return 0;
		}
	}
	for (i = 0; i < info->nids; i++) {
		for (found = 0, j = 0; j < n && !found; j++)
			found = same_id(&ids[j], info->ids[i].type, info->ids[i].value);
		if (!found) {
			if (why)
				snprintf(why, whysize, "CSR requests %s:%s, which the order lacks",
					 info->ids[i].type, info->ids[i].value);
			return 0;
		}
	}
	for (j = 0; j < n; j++) {
		if (!strcmp(ids[j].type, AR_ID_ATTESTATION))
			continue;
		for (found = 0, i = 0; i < info->nids && !found; i++)
			found = same_id(&info->ids[i], ids[j].type, ids[j].value);
		if (!found) {
			if (why)
				snprintf(why, whysize, "CSR lacks %s:%s of the order", ids[j].type,
					 ids[j].value);
			return 0;
		}
	}
	return 1;
}

/* ---- for issuance (x509_int.h) ---- */

GENERAL_NAME *x509_permanent_id_name(const char *value)
{
	AR_PERMANENT_ID *pid = AR_PERMANENT_ID_new();
	ASN1_STRING *seq = NULL;
	ASN1_TYPE *any = NULL;
	GENERAL_NAME *gn = NULL;
	unsigned char *der = NULL;
	int len;

	if (!pid)
		return NULL;
	pid->value = ASN1_UTF8STRING_new();
	if (!pid->value || !ASN1_STRING_set(pid->value, value, (int)strlen(value)))
		goto out;
	len = i2d_AR_PERMANENT_ID(pid, &der);
	if (len <= 0)
		goto out;
	seq = ASN1_STRING_new();
	any = ASN1_TYPE_new();
	gn = GENERAL_NAME_new();
	if (!seq || !any || !gn || !ASN1_STRING_set(seq, der, len))
		goto fail;
	ASN1_TYPE_set(any, V_ASN1_SEQUENCE, seq);
	seq = NULL;
	if (!GENERAL_NAME_set0_othername(gn, OBJ_nid2obj(NID_id_on_permanentIdentifier), any))
		goto fail;
	any = NULL;
	goto out;
fail:
	GENERAL_NAME_free(gn);
	gn = NULL;
out:
	ASN1_STRING_free(seq);
	ASN1_TYPE_free(any);
	OPENSSL_free(der);
	AR_PERMANENT_ID_free(pid);
	return gn;
}

/*
 * The certificate's subjectPublicKeyInfo: the CSR's, copied as it is.
 * X509_set_pubkey() would re-encode the decoded key, which with OpenSSL 3's
 * provider keys goes through an encoder and a decoder (a third of the cost
 * of issuing).
 */
static int copy_pubkey(X509 *x, const AR_SPKI *spki)
{
	const unsigned char *bits = spki->key->data;
	const ASN1_OBJECT *alg;
	const void *pval;
	unsigned char *penc = NULL;
	void *param = NULL;
	int len = spki->key->length, ptype;

	if (len <= 0)
		return -1;
	X509_ALGOR_get0(&alg, &ptype, &pval, spki->alg);
	switch (ptype) {
	case V_ASN1_OBJECT:		/* EC: the named curve */
		param = OBJ_dup(pval);
		break;
	case V_ASN1_SEQUENCE:
		param = ASN1_STRING_dup(pval);
		break;
	case V_ASN1_NULL:		/* RSA */
	case V_ASN1_UNDEF:
		break;
	default:
		return -1;
	}
	penc = OPENSSL_memdup(bits, (size_t)len);
	if ((ptype == V_ASN1_OBJECT || ptype == V_ASN1_SEQUENCE) && !param)
		goto fail;
	if (penc && X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), OBJ_dup(alg), ptype, param,
					   penc, len))
		return 0;
fail:
	if (ptype == V_ASN1_OBJECT)
		ASN1_OBJECT_free(param);
	else
		ASN1_STRING_free(param);
	OPENSSL_free(penc);
	return -1;
}

int x509_csr_copy_pubkey(X509 *x, const ar_csr_t *csr)
{
	return copy_pubkey(x, csr->asn->info->spki);
}

int x509_csr_checked(const ar_csr_t *csr)
{
	return csr->pkey != NULL;
}
