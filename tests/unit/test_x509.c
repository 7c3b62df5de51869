/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of CSR checks and certificate issuance. */
#include "config.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "testutil.h"
#include "b64.h"
#include "jwk.h"
#include "x509.h"

#define NOW	INT64_C(1800000000)
#define HOUR	3600
#define DNS1	"laptop-7.example.net"
#define PERM1	"SUB-0042"

/* ---- fixtures, all made at test time ---- */

static EVP_PKEY *ec_key(const char *curve)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	assert_non_null(k);
	return k;
}

static EVP_PKEY *rsa_key(size_t bits)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);

	assert_non_null(k);
	return k;
}

/* Add extensions written in openssl.cnf syntax, with @sections for
 * otherName values; the parser is OpenSSL's, not the code under test. */
static STACK_OF(X509_EXTENSION) *conf_exts(const char *san, const char *sections)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	CONF *cnf = NCONF_new(NULL);
	BIO *bio;
	long eline;

	assert_non_null(exts);
	bio = BIO_new_mem_buf(sections ? sections : "", -1);
	assert_int_equal(NCONF_load_bio(cnf, bio, &eline), 1);
	X509V3_set_ctx(&ctx, NULL, NULL, NULL, NULL, 0);
	X509V3_set_nconf(&ctx, cnf);
	ext = X509V3_EXT_nconf_nid(cnf, &ctx, NID_subject_alt_name, san);
	assert_non_null(ext);
	assert_true(sk_X509_EXTENSION_push(exts, ext) > 0);
	NCONF_free(cnf);
	BIO_free(bio);
	return exts;
}

#define PERM_SECTION	"[pid]\nv=UTF8:" PERM1 "\n"
#define PERM_SAN	"otherName:1.3.6.1.5.5.7.8.3;SEQUENCE:pid"

/* A CSR for @key, signed by @signer (normally the same key), as OpenSSL builds it. */
static X509_REQ *make_req(EVP_PKEY *key, EVP_PKEY *signer, const char *cn, const char *san,
			  const char *sections)
{
	STACK_OF(X509_EXTENSION) *exts;
	X509_REQ *req = X509_REQ_new();

	assert_non_null(req);
	assert_int_equal(X509_REQ_set_version(req, X509_REQ_VERSION_1), 1);
	if (cn)
		assert_int_equal(X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req),
							    NID_commonName, MBSTRING_UTF8,
							    (const unsigned char *)cn, -1, -1, 0),
				 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	if (san) {
		exts = conf_exts(san, sections);
		assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	/* EdDSA takes no separate digest. */
	assert_true(X509_REQ_sign(req, signer, EVP_PKEY_is_a(signer, "ED25519") ? NULL
									  : EVP_sha256()) > 0);
	return req;
}

/* An OpenSSL-built request as the CA receives it: DER, parsed; consumes @req. */
static ar_csr_t *received(X509_REQ *req)
{
	unsigned char *der = NULL;
	ar_err_t err = { 0 };
	ar_csr_t *csr;
	int n = i2d_X509_REQ(req, &der);

	assert_true(n > 0);
	csr = ar_csr_parse_der(der, (size_t)n, &err);
	if (!csr)
		fail_msg("parse: %s", err.msg);
	OPENSSL_free(der);
	X509_REQ_free(req);
	return csr;
}

static ar_csr_t *make_csr(EVP_PKEY *key, EVP_PKEY *signer, const char *cn, const char *san,
			  const char *sections)
{
	return received(make_req(key, signer, cn, san, sections));
}

typedef struct ca {
	EVP_PKEY	*key;
	X509		*cert;
} ca_t;

static ca_t make_ca(EVP_PKEY *key, int with_ski)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
	unsigned int mdlen;
	ca_t ca = { key, X509_new() };

	assert_non_null(ca.cert);
	assert_int_equal(X509_set_version(ca.cert, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(ca.cert), 1), 1);
	assert_int_equal(X509_NAME_add_entry_by_NID(X509_get_subject_name(ca.cert),
						    NID_commonName, MBSTRING_UTF8,
						    (const unsigned char *)"Test ACME-RATS CA", -1,
						    -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(ca.cert, X509_get_subject_name(ca.cert)), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(ca.cert), (time_t)(NOW - 86400)));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(ca.cert), (time_t)(NOW + 86400 * 365)));
	assert_int_equal(X509_set_pubkey(ca.cert, key), 1);
	bc->ca = 0xff;
	assert_int_equal(X509_add1_ext_i2d(ca.cert, NID_basic_constraints, bc, 1, 0), 1);
	if (with_ski) {
		assert_int_equal(X509_pubkey_digest(ca.cert, EVP_sha1(), md, &mdlen), 1);
		assert_int_equal(ASN1_OCTET_STRING_set(ski, md, (int)mdlen), 1);
		assert_int_equal(X509_add1_ext_i2d(ca.cert, NID_subject_key_identifier, ski, 0, 0),
				 1);
	}
	assert_true(X509_sign(ca.cert, key, EVP_sha256()) > 0);
	BASIC_CONSTRAINTS_free(bc);
	ASN1_OCTET_STRING_free(ski);
	return ca;
}

static void free_ca(ca_t *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
}

static void sample_att(ar_certext_t *ce)
{
	memset(ce, 0, sizeof(*ce));
	snprintf(ce->order_url, sizeof(ce->order_url), "https://ca.example.net/acme/order/77");
	snprintf(ce->verifier, sizeof(ce->verifier), "acme-rats-verifier");
	ce->status = AR_STATUS_AFFIRMING;
	memset(ce->tv.v, 2, sizeof(ce->tv.v));
	ce->ear_iat = NOW - 30;
	snprintf(ce->profile, sizeof(ce->profile), "default");
	snprintf(ce->device_id, sizeof(ce->device_id), PERM1);
}

static ar_issue_params_t params(const ca_t *ca, const ar_certext_t *att)
{
	ar_issue_params_t p = {
		.issuer_key = ca->key,
		.issuer_cert = ca->cert,
		.not_before = NOW,
		.backdate_s = 0,
		.lifetime_s = 8 * HOUR,
		.server_auth = 0,
		.attestation = att,
	};
	return p;
}

/* Checked CSR for DNS1 + PERM1 with CN DNS1, and the certificate issued for it. */
/*
 * The certificate as its holder and relying parties get it: encoded and
 * parsed again (ar_issue_cert() copies the CSR's key without decoding it).
 */
static X509 *as_received(X509 *x)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = i2d_X509(x, &der);
	X509 *y;

	assert_true(n > 0);
	p = der;
	y = d2i_X509(NULL, &p, n);
	assert_non_null(y);
	assert_non_null(X509_get0_pubkey(y));
	OPENSSL_free(der);
	X509_free(x);
	return y;
}

static X509 *issue(const ca_t *ca, const ar_certext_t *att, int server_auth, EVP_PKEY **subject)
{
	ar_issue_params_t p = params(ca, att);
	ar_err_t err = { 0 };
	ar_csr_info_t info;
	ar_csr_t *req;
	EVP_PKEY *key = ec_key("P-256");
	X509 *x;

	req = make_csr(key, key, DNS1, "DNS:" DNS1 "," PERM_SAN, PERM_SECTION);
	assert_int_equal(ar_csr_check(req, &info, &err), 0);
	p.server_auth = server_auth;
	x = ar_issue_cert(req, &info, &p, &err);
	if (!x)
		fail_msg("issue: %s", err.msg);
	ar_csr_free(req);
	x = as_received(x);
	if (subject)
		*subject = key;
	else
		EVP_PKEY_free(key);
	return x;
}

/* ---- CSR parsing and checks ---- */

static void test_csr_parse_rejects_oversize_trailing_and_garbage(void **state)
{
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	unsigned char *der = NULL, *buf;
	EVP_PKEY *key = ec_key("P-256");
	ar_err_t err = { 0 };
	X509_REQ *req;
	ar_csr_t *csr;
	int n;

	(void)state;
	req = make_req(key, key, DNS1, NULL, NULL);
	n = i2d_X509_REQ(req, &der);
	buf = calloc(1, AR_CSR_MAX_DER + 1);
	assert_non_null(buf);
	memcpy(buf, der, (size_t)n);
	assert_null(ar_csr_parse_der(buf, (size_t)n + 1, &err));
	assert_err(&err, AR_ERR_MALFORMED, "1 trailing bytes");
	assert_null(ar_csr_parse_der(buf, AR_CSR_MAX_DER + 1, &err));
	assert_err(&err, AR_ERR_TOO_LARGE, "limit is 16384");
	assert_null(ar_csr_parse_der(junk, sizeof(junk), &err));
	assert_err(&err, AR_ERR_MALFORMED, "not a DER PKCS#10");
	assert_null(ar_csr_parse_der(der, (size_t)n - 1, &err));
	X509_REQ_free(req);
	csr = ar_csr_parse_der(der, (size_t)n, &err);
	assert_non_null(csr);
	ar_csr_free(csr);
	OPENSSL_free(der);
	free(buf);
	EVP_PKEY_free(key);
}

static void test_csr_with_bad_self_signature_is_rejected(void **state)
{
	EVP_PKEY *key = ec_key("P-256"), *other = ec_key("P-256");
	ar_err_t err = { 0 };
	ar_csr_info_t info;
	ar_csr_t *req;

	(void)state;
	req = make_csr(key, other, DNS1, NULL, NULL);
	assert_int_equal(ar_csr_check(req, &info, &err), -1);
	assert_err(&err, AR_ERR_BAD_SIGNATURE, "CSR signature does not verify");
	ar_csr_free(req);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

/*
 * A CSR key with RSA public exponent 3 (a key OpenSSL makes and signs the
 * CSR with) is refused by the account keys' exponent policy: badCSR.
 */
static void test_csr_rsa_key_with_exponent_three_is_refused(void **state)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *three = BN_new();
	EVP_PKEY *rsa = NULL;
	ar_err_t err = { 0 };
	ar_csr_info_t info;
	ar_csr_t *req;

	(void)state;
	assert_true(three && BN_set_word(three, 3));
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
	assert_int_equal(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, three), 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &rsa), 1);
	req = make_csr(rsa, rsa, DNS1, NULL, NULL);
	assert_int_equal(ar_csr_check(req, &info, &err), -1);
	assert_err(&err, AR_ERR_BAD_KEY, "CSR RSA public exponent 3 refused");
	ar_csr_free(req);
	EVP_PKEY_free(rsa);
	EVP_PKEY_CTX_free(ctx);
	BN_free(three);
}

static void test_csr_rsa_1024_and_p521_keys_are_rejected(void **state)
{
	EVP_PKEY *rsa = rsa_key(1024), *p521 = ec_key("P-521");
	ar_err_t err = { 0 };
	ar_csr_info_t info;
	ar_csr_t *req;

	(void)state;
	req = make_csr(rsa, rsa, DNS1, NULL, NULL);
	assert_int_equal(ar_csr_check(req, &info, &err), -1);
	assert_err(&err, AR_ERR_UNSUPPORTED, "RSA key of 1024 bits");
	ar_csr_free(req);
	req = make_csr(p521, p521, DNS1, NULL, NULL);
	assert_int_equal(ar_csr_check(req, &info, &err), -1);
	assert_err(&err, AR_ERR_UNSUPPORTED, "secp521r1");
	ar_csr_free(req);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(p521);
}

static void test_csr_thumbprint_equals_the_keys(void **state)
{
	EVP_PKEY *key = ec_key("P-384");
	ar_csr_info_t info;
	ar_jwk_t *jwk;
	ar_csr_t *req;

	(void)state;
	req = make_csr(key, key, DNS1, NULL, NULL);
	assert_int_equal(ar_csr_check(req, &info, NULL), 0);
	jwk = ar_jwk_from_pkey(key, NULL);
	assert_non_null(jwk);
	assert_string_equal(info.jkt, ar_jwk_thumbprint(jwk));
	assert_int_equal(strlen(info.jkt), AR_JWK_THUMBPRINT_LEN);
	assert_int_equal(info.key_type, AR_JWK_EC);
	assert_int_equal(info.key_bits, 384);
	ar_jwk_free(jwk);
	ar_csr_free(req);
	EVP_PKEY_free(key);
}

static void test_csr_extracts_dns_and_permanent_identifier_sans(void **state)
{
	EVP_PKEY *key = ec_key("P-256");
	ar_csr_info_t info;
	ar_csr_t *req;

	(void)state;
	req = make_csr(key, key, PERM1,
		       "DNS:Laptop-7.Example.NET," PERM_SAN ",DNS:laptop-7.example.net,DNS:b.example",
		       PERM_SECTION);
	assert_int_equal(ar_csr_check(req, &info, NULL), 0);
	/* Case-folded and without the duplicate; the CN is the permanent id. */
	assert_int_equal(info.nids, 3);
	assert_string_equal(info.ids[0].type, AR_ID_DNS);
	assert_string_equal(info.ids[0].value, DNS1);
	assert_string_equal(info.ids[1].type, AR_ID_PERMANENT);
	assert_string_equal(info.ids[1].value, PERM1);
	assert_string_equal(info.ids[2].value, "b.example");
	assert_string_equal(info.cn, PERM1);
	ar_csr_free(req);
	EVP_PKEY_free(key);
}

static void test_csr_cn_alone_is_a_dns_identifier(void **state)
{
	EVP_PKEY *key = ec_key("P-256");
	ar_csr_info_t info;
	ar_csr_t *req;

	(void)state;
	req = make_csr(key, key, DNS1, NULL, NULL);
	assert_int_equal(ar_csr_check(req, &info, NULL), 0);
	assert_int_equal(info.nids, 1);
	assert_string_equal(info.ids[0].type, AR_ID_DNS);
	assert_string_equal(info.ids[0].value, DNS1);
	ar_csr_free(req);
	EVP_PKEY_free(key);
}

static void test_csr_rejects_unsupported_or_invalid_names(void **state)
{
	static const struct {
		const char *cn, *san, *sections, *needle;
		ar_errc_t code;
	} bad[] = {
		{ NULL, "email:a@example.net", NULL, "other than dNSName", AR_ERR_UNSUPPORTED },
		{ NULL, "IP:192.0.2.1", NULL, "other than dNSName", AR_ERR_UNSUPPORTED },
		{ NULL, "DNS:bad_name.example", NULL, "is not valid", AR_ERR_MALFORMED },
		{ NULL, "DNS:-a.example", NULL, "is not valid", AR_ERR_MALFORMED },
		{ NULL, PERM_SAN, "[pid]\na=OID:1.2.3.4\n", "no identifierValue", AR_ERR_MALFORMED },
		{ NULL, PERM_SAN, "[pid]\nv=UTF8:tab\there\n", "printable ASCII", AR_ERR_MALFORMED },
		{ "two words", NULL, NULL, "is not valid", AR_ERR_MALFORMED },
		{ NULL, NULL, NULL, "no identifier", AR_ERR_MALFORMED },
	};
	EVP_PKEY *key = ec_key("P-256");
	ar_err_t err;
	ar_csr_info_t info;
	ar_csr_t *req;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req = make_csr(key, key, bad[i].cn, bad[i].san, bad[i].sections);
		ar_err_clear(&err);
		assert_int_equal(ar_csr_check(req, &info, &err), -1);
		assert_err(&err, bad[i].code, bad[i].needle);
		ar_csr_free(req);
	}
	EVP_PKEY_free(key);
}

static void test_csr_more_than_16_identifiers_rejected(void **state)
{
	EVP_PKEY *key = ec_key("P-256");
	ar_err_t err = { 0 };
	ar_csr_info_t info;
	char san[1024];
	size_t off = 0;
	ar_csr_t *req;
	int i;

	(void)state;
	for (i = 0; i <= AR_CSR_MAX_IDS; i++)
		off += (size_t)snprintf(san + off, sizeof(san) - off, "%sDNS:h%d.example",
					i ? "," : "", i);
	req = make_csr(key, key, NULL, san, NULL);
	assert_int_equal(ar_csr_check(req, &info, &err), -1);
	assert_err(&err, AR_ERR_TOO_LARGE, "more than 16 identifiers");
	ar_csr_free(req);
	EVP_PKEY_free(key);
}

static void test_csr_key_off_the_curve_or_of_another_type_is_rejected(void **state)
{
	unsigned char point[65], *der = NULL, *at;
	EVP_PKEY *key = ec_key("P-256"), *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ar_err_t err = { 0 };
	ar_csr_info_t info;
	X509_REQ *req;
	ar_csr_t *csr;
	size_t plen;
	int n;

	(void)state;
	/* The point's last byte changed: no longer on P-256. */
	assert_int_equal(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point,
							 sizeof(point), &plen), 1);
	assert_int_equal(plen, 65);
	req = make_req(key, key, DNS1, NULL, NULL);
	n = i2d_X509_REQ(req, &der);
	at = memmem(der, (size_t)n, point, plen);
	assert_non_null(at);
	at[plen - 1] ^= 0x01;
	csr = ar_csr_parse_der(der, (size_t)n, &err);
	assert_non_null(csr);
	assert_int_equal(ar_csr_check(csr, &info, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "not a point on prime256v1");
	ar_csr_free(csr);
	OPENSSL_free(der);
	X509_REQ_free(req);

	assert_non_null(ed);
	csr = make_csr(ed, ed, DNS1, NULL, NULL);
	assert_int_equal(ar_csr_check(csr, &info, &err), -1);
	assert_err(&err, AR_ERR_UNSUPPORTED, "key type ED25519");
	ar_csr_free(csr);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(key);
}

static void test_csr_extension_request_twice_or_malformed_is_rejected(void **state)
{
	EVP_PKEY *key = ec_key("P-256");
	STACK_OF(X509_EXTENSION) *exts;
	ar_err_t err = { 0 };
	ar_csr_info_t info;
	X509_REQ *req;
	ar_csr_t *csr;

	(void)state;
	req = make_req(key, key, NULL, "DNS:" DNS1, NULL);
	exts = conf_exts("DNS:b.example", NULL);
	/* a second request, in Microsoft's attribute */
	assert_int_equal(X509_REQ_add_extensions_nid(req, exts, NID_ms_ext_req), 1);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	csr = received(req);
	assert_int_equal(ar_csr_check(csr, &info, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "requests extensions more than once");
	ar_csr_free(csr);

	req = make_req(key, key, DNS1, NULL, NULL);
	assert_int_equal(X509_REQ_add1_attr_by_NID(req, NID_ext_req, V_ASN1_UTF8STRING,
						   (const unsigned char *)"x", 1), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	csr = received(req);
	assert_int_equal(ar_csr_check(csr, &info, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "extensionRequest is malformed");
	ar_csr_free(csr);
	EVP_PKEY_free(key);
}

static void test_csr_signed_with_sha384_and_rsa_is_accepted(void **state)
{
	EVP_PKEY *rsa = rsa_key(2048), *p256 = ec_key("P-256");
	ar_csr_info_t info;
	X509_REQ *req;
	ar_csr_t *csr;

	(void)state;
	req = make_req(p256, p256, DNS1, NULL, NULL);
	assert_true(X509_REQ_sign(req, p256, EVP_sha384()) > 0);
	csr = received(req);
	assert_int_equal(ar_csr_check(csr, &info, NULL), 0);
	assert_int_equal(info.key_bits, 256);
	ar_csr_free(csr);
	csr = make_csr(rsa, rsa, DNS1, NULL, NULL);
	assert_int_equal(ar_csr_check(csr, &info, NULL), 0);
	assert_int_equal(info.key_type, AR_JWK_RSA);
	assert_int_equal(info.key_bits, 2048);
	ar_csr_free(csr);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(p256);
}

/* ---- identifiers against the order ---- */

static void checked(const char *cn, const char *san, ar_csr_info_t *info)
{
	EVP_PKEY *key = ec_key("P-256");
	ar_csr_t *req = make_csr(key, key, cn, san, PERM_SECTION);

	assert_int_equal(ar_csr_check(req, info, NULL), 0);
	ar_csr_free(req);
	EVP_PKEY_free(key);
}

static const ar_identifier_t order[] = {
	{ AR_ID_PERMANENT, PERM1 },
	{ AR_ID_ATTESTATION, "" },
	{ AR_ID_DNS, "LAPTOP-7.example.net" },
	{ AR_ID_ATTESTATION, "hsm" },
};
#define NORDER	(sizeof(order) / sizeof(order[0]))

static void test_identifiers_match_as_a_set_ignoring_attestation(void **state)
{
	ar_csr_info_t info;
	char why[256];

	(void)state;
	checked(PERM1, PERM_SAN ",DNS:" DNS1, &info);
	assert_int_equal(ar_csr_identifiers_match(&info, order, NORDER, why, sizeof(why)), 1);
	assert_string_equal(why, "");
	checked(NULL, "DNS:" DNS1 "," PERM_SAN, &info);
	assert_int_equal(ar_csr_identifiers_match(&info, order, NORDER, why, sizeof(why)), 1);
}

static void test_identifiers_mismatch_extra_is_explained(void **state)
{
	ar_csr_info_t info;
	char why[256];

	(void)state;
	checked(NULL, "DNS:" DNS1 "," PERM_SAN ",DNS:evil.example", &info);
	assert_int_equal(ar_csr_identifiers_match(&info, order, NORDER, why, sizeof(why)), 0);
	assert_string_equal(why, "CSR requests dns:evil.example, which the order lacks");
}

static void test_identifiers_mismatch_missing_is_explained(void **state)
{
	ar_csr_info_t info;
	char why[256];

	(void)state;
	checked(NULL, "DNS:" DNS1, &info);
	assert_int_equal(ar_csr_identifiers_match(&info, order, NORDER, why, sizeof(why)), 0);
	assert_string_equal(why, "CSR lacks permanent-identifier:SUB-0042 of the order");
}

static void test_identifiers_cn_not_among_order_is_explained(void **state)
{
	ar_csr_info_t info;
	char why[256];

	(void)state;
	checked("other.example", "DNS:" DNS1 "," PERM_SAN, &info);
	assert_int_equal(ar_csr_identifiers_match(&info, order, NORDER, why, sizeof(why)), 0);
	assert_string_equal(why,
			    "CSR commonName \"other.example\" is not one of the order's identifiers");
	/* No confusion of types: a DNS SAN with the permanent id's value. */
	checked(NULL, "DNS:" DNS1 ",DNS:sub-0042", &info);
	assert_int_equal(ar_csr_identifiers_match(&info, order, NORDER, why, sizeof(why)), 0);
	assert_string_equal(why, "CSR requests dns:sub-0042, which the order lacks");
}

/* ---- issuance ---- */

static void test_issued_cert_verifies_against_issuer_and_is_not_a_ca(void **state)
{
	ca_t ca = make_ca(ec_key("P-256"), 1);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_STORE *store = X509_STORE_new();
	BASIC_CONSTRAINTS *bc;
	X509 *x = issue(&ca, NULL, 0, NULL);
	int crit;

	(void)state;
	assert_int_equal(X509_verify(x, ca.key), 1);
	assert_int_equal(X509_check_issued(ca.cert, x), X509_V_OK);
	assert_int_equal(X509_STORE_add_cert(store, ca.cert), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, x, NULL), 1);
	X509_STORE_CTX_set_time(ctx, 0, (time_t)(NOW + 60));
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	assert_int_equal(X509_verify_cert(ctx), 1);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_int_equal(bc->ca, 0);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	BASIC_CONSTRAINTS_free(bc);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(x);
	free_ca(&ca);
}

static void test_issued_cert_lifetime_is_exact_and_backdate_keeps_it(void **state)
{
	ca_t ca = make_ca(ec_key("P-256"), 1);
	ar_issue_params_t p = params(&ca, NULL);
	EVP_PKEY *key = ec_key("P-256");
	ar_csr_t *req = make_csr(key, key, DNS1, NULL, NULL);
	ar_err_t err = { 0 };
	ar_csr_info_t info;
	int64_t nb, na;
	X509 *x;

	(void)state;
	assert_int_equal(ar_csr_check(req, &info, NULL), 0);
	p.backdate_s = 120;
	x = ar_issue_cert(req, &info, &p, &err);
	assert_non_null(x);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), (time_t)(NOW - 120)), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x),
					      (time_t)(NOW - 120 + 8 * HOUR)), 0);
	nb = NOW - 120;
	na = nb + 8 * HOUR;
	assert_int_equal(na - nb, p.lifetime_s);
	X509_free(x);

	p.backdate_s = 0;
	p.lifetime_s = 0;
	assert_null(ar_issue_cert(req, &info, &p, &err));
	assert_err(&err, AR_ERR_CONFIG, "lifetime 0 s");
	p.lifetime_s = AR_CERT_MAX_LIFETIME + 1;
	assert_null(ar_issue_cert(req, &info, &p, &err));
	assert_err(&err, AR_ERR_CONFIG, "out of range");
	ar_csr_free(req);
	EVP_PKEY_free(key);
	free_ca(&ca);
}

static void test_issued_serials_are_positive_16_bytes_and_distinct(void **state)
{
	ca_t ca = make_ca(ec_key("P-256"), 1);
	const ASN1_INTEGER *sn;
	unsigned char prev[16];
	X509 *x;
	int i;

	(void)state;
	for (i = 0; i < 8; i++) {
		x = issue(&ca, NULL, 0, NULL);
		sn = X509_get0_serialNumber(x);
		assert_int_equal(ASN1_STRING_type(sn), V_ASN1_INTEGER);
		assert_int_equal(ASN1_STRING_length(sn), 16);
		assert_int_not_equal(ASN1_STRING_get0_data(sn)[0], 0);
		assert_int_equal(ASN1_STRING_get0_data(sn)[0] & 0x80, 0);
		if (i)
			assert_memory_not_equal(prev, ASN1_STRING_get0_data(sn), 16);
		memcpy(prev, ASN1_STRING_get0_data(sn), 16);
		X509_free(x);
	}
	free_ca(&ca);
}

static int has_eku(X509 *x, int nid)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	int i, found = 0;

	assert_non_null(eku);
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
		found |= OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid;
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

static void test_issued_cert_eku_is_client_and_server_only_when_asked(void **state)
{
	ca_t ca = make_ca(ec_key("P-256"), 1);
	X509 *x;

	(void)state;
	x = issue(&ca, NULL, 0, NULL);
	assert_true(has_eku(x, NID_client_auth));
	assert_false(has_eku(x, NID_server_auth));
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	X509_free(x);
	x = issue(&ca, NULL, 1, NULL);
	assert_true(has_eku(x, NID_client_auth));
	assert_true(has_eku(x, NID_server_auth));
	X509_free(x);
	free_ca(&ca);
}

static void test_issued_cert_has_non_critical_no_rev_avail(void **state)
{
	ca_t ca = make_ca(ec_key("P-256"), 1);
	X509 *x = issue(&ca, NULL, 0, NULL);
	const ASN1_OCTET_STRING *val;
	X509_EXTENSION *ext;
	int loc;

	(void)state;
	loc = X509_get_ext_by_NID(x, NID_no_rev_avail, -1);
	assert_true(loc >= 0);
	ext = X509_get_ext(x, loc);
	assert_int_equal(X509_EXTENSION_get_critical(ext), 0);
	val = X509_EXTENSION_get_data(ext);
	assert_int_equal(ASN1_STRING_length(val), 2);
	assert_memory_equal(ASN1_STRING_get0_data(val), "\x05\x00", 2);
	X509_free(x);
	free_ca(&ca);
}

static void test_issued_cert_attestation_extension_decodes_back_equal(void **state)
{
	ca_t ca = make_ca(ec_key("P-256"), 1);
	ar_certext_t att, out;
	X509 *x;

	(void)state;
	sample_att(&att);
	x = issue(&ca, &att, 0, NULL);
	memset(&out, 0, sizeof(out));
	assert_int_equal(ar_certext_from_cert(x, &out, NULL), 1);
	assert_memory_equal(&out, &att, sizeof(att));
	X509_free(x);
	x = issue(&ca, NULL, 0, NULL);
	assert_int_equal(ar_certext_from_cert(x, &out, NULL), 0);
	X509_free(x);
	free_ca(&ca);
}

static void test_issued_cert_san_subject_and_key_match_the_csr(void **state)
{
	ca_t ca = make_ca(ec_key("P-256"), 1);
	GENERAL_NAMES *names;
	const GENERAL_NAME *gn;
	const unsigned char *p;
	ASN1_TYPE *pid;
	EVP_PKEY *key;
	X509 *x = issue(&ca, NULL, 0, &key);
	char cn[128];
	int crit;

	(void)state;
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), key), 1);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
					      sizeof(cn)) > 0);
	assert_string_equal(cn, DNS1);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ca.cert)), 0);
	names = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	assert_non_null(names);
	assert_int_equal(crit, 0);
	assert_int_equal(sk_GENERAL_NAME_num(names), 2);
	gn = sk_GENERAL_NAME_value(names, 0);
	assert_int_equal(gn->type, GEN_DNS);
	assert_string_equal((const char *)ASN1_STRING_get0_data(gn->d.dNSName), DNS1);
	gn = sk_GENERAL_NAME_value(names, 1);
	assert_int_equal(gn->type, GEN_OTHERNAME);
	assert_int_equal(OBJ_obj2nid(gn->d.otherName->type_id), NID_id_on_permanentIdentifier);
	assert_int_equal(gn->d.otherName->value->type, V_ASN1_SEQUENCE);
	/* SEQUENCE { UTF8String "SUB-0042" }, read with OpenSSL's generic decoder. */
	p = ASN1_STRING_get0_data(gn->d.otherName->value->value.sequence);
	assert_int_equal(ASN1_STRING_length(gn->d.otherName->value->value.sequence), 12);
	assert_memory_equal(p, "\x30\x0a\x0c\x08", 4);
	p += 2;
	pid = d2i_ASN1_TYPE(NULL, &p, 10);
	assert_non_null(pid);
	assert_int_equal(pid->type, V_ASN1_UTF8STRING);
	assert_memory_equal(ASN1_STRING_get0_data(pid->value.utf8string), PERM1, 8);
	ASN1_TYPE_free(pid);
	GENERAL_NAMES_free(names);
	X509_free(x);
	EVP_PKEY_free(key);
	free_ca(&ca);
}

static void test_long_identifier_gives_empty_subject_and_critical_san(void **state)
{
	ca_t ca = make_ca(ec_key("P-256"), 1);
	ar_issue_params_t p = params(&ca, NULL);
	EVP_PKEY *key = ec_key("P-256");
	const char *name = "a-rather-long-host-name-for-a-substation-laptop.grid-east."
			   "example.net";
	char san[128];
	ar_csr_info_t info;
	ar_csr_t *req;
	X509 *x;
	int loc;

	(void)state;
	snprintf(san, sizeof(san), "DNS:%s", name);
	req = make_csr(key, key, NULL, san, NULL);
	assert_int_equal(ar_csr_check(req, &info, NULL), 0);
	x = ar_issue_cert(req, &info, &p, NULL);
	assert_non_null(x);
	assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 0);
	loc = X509_get_ext_by_NID(x, NID_subject_alt_name, -1);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, loc)), 1);
	X509_free(x);
	ar_csr_free(req);
	EVP_PKEY_free(key);
	free_ca(&ca);
}

static void test_issued_cert_aki_is_the_issuer_ski(void **state)
{
	ca_t ca = make_ca(ec_key("P-256"), 1);
	unsigned char md[EVP_MAX_MD_SIZE];
	const ASN1_OCTET_STRING *ski;
	unsigned int mdlen;
	X509 *x = issue(&ca, NULL, 0, NULL);

	(void)state;
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
					       X509_get0_subject_key_id(ca.cert)), 0);
	ski = X509_get0_subject_key_id(x);
	assert_non_null(ski);
	assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &mdlen), 1);
	assert_int_equal(ASN1_STRING_length(ski), (int)mdlen);
	assert_memory_equal(ASN1_STRING_get0_data(ski), md, mdlen);
	X509_free(x);
	free_ca(&ca);
}

static void test_issue_refuses_bad_issuer_setups(void **state)
{
	ca_t ca = make_ca(ec_key("P-256"), 0), good = make_ca(ec_key("P-256"), 1);
	ar_issue_params_t p = params(&ca, NULL);
	EVP_PKEY *key = ec_key("P-256");
	ar_csr_t *req = make_csr(key, key, DNS1, NULL, NULL);
	ar_err_t err = { 0 };
	ar_certext_t att;
	ar_csr_info_t info;

	(void)state;
	memset(&info, 0, sizeof(info));
	info.nids = 1;
	p = params(&good, NULL);
	assert_null(ar_issue_cert(req, &info, &p, &err));	/* not checked yet */
	assert_err(&err, AR_ERR_CONFIG, "a checked CSR");
	p = params(&ca, NULL);
	assert_int_equal(ar_csr_check(req, &info, NULL), 0);
	assert_null(ar_issue_cert(req, &info, &p, &err));
	assert_err(&err, AR_ERR_CONFIG, "no subjectKeyIdentifier");
	p.issuer_cert = good.cert;
	assert_null(ar_issue_cert(req, &info, &p, &err));
	assert_err(&err, AR_ERR_CONFIG, "does not match");
	p = params(&good, &att);
	sample_att(&att);
	att.order_url[0] = '\0';
	assert_null(ar_issue_cert(req, &info, &p, &err));
	assert_err(&err, AR_ERR_MALFORMED, "orderURL is empty");
	ar_csr_free(req);
	EVP_PKEY_free(key);
	free_ca(&ca);
	free_ca(&good);
}

static void test_p384_issuer_signs_with_sha384(void **state)
{
	ca_t ca = make_ca(ec_key("P-384"), 1), ca256 = make_ca(ec_key("P-256"), 1);
	X509 *x;

	(void)state;
	x = issue(&ca, NULL, 0, NULL);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA384);
	assert_int_equal(X509_verify(x, ca.key), 1);
	X509_free(x);
	x = issue(&ca256, NULL, 0, NULL);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	X509_free(x);
	free_ca(&ca);
	free_ca(&ca256);
}

static void test_rsa_subject_key_gets_key_encipherment_rsa_issuer_sha256(void **state)
{
	EVP_PKEY *key = rsa_key(2048);
	ca_t ca = make_ca(rsa_key(2048), 1);
	ar_issue_params_t p = params(&ca, NULL);
	ar_csr_t *req = make_csr(key, key, DNS1, NULL, NULL);
	ar_csr_info_t info;
	X509 *x;

	(void)state;
	assert_int_equal(ar_csr_check(req, &info, NULL), 0);
	assert_int_equal(info.key_type, AR_JWK_RSA);
	assert_int_equal(info.key_bits, 2048);
	x = ar_issue_cert(req, &info, &p, NULL);
	assert_non_null(x);
	x = as_received(x);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), key), 1);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	X509_free(x);
	ar_csr_free(req);
	EVP_PKEY_free(key);
	free_ca(&ca);
}

/* ---- identifiers of a certificate ---- */

static void test_cert_ids_and_ari_id_match_manual_computation(void **state)
{
	ca_t ca = make_ca(ec_key("P-256"), 1);
	X509 *x = issue(&ca, NULL, 0, NULL);
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	char aki_hex[AR_CERT_HEX_MAX], sn_hex[AR_CERT_HEX_MAX], fr[AR_CERT_HEX_MAX];
	char ari[128], want[128], b1[64], b2[64];
	unsigned char *der = NULL;
	ar_err_t err = { 0 };
	int i, n;

	(void)state;
	assert_int_equal(ar_cert_ids(x, aki_hex, sizeof(aki_hex), sn_hex, sizeof(sn_hex), &err),
			 0);
	assert_int_equal(strlen(aki_hex), 40);
	assert_int_equal(strlen(sn_hex), 32);
	/* As FreeRADIUS prints TLS-Client-Cert-Serial: %02x of each magnitude byte. */
	for (i = 0; i < ASN1_STRING_length(sn); i++)
		snprintf(fr + 2 * i, sizeof(fr) - 2 * (size_t)i, "%02x",
			 ASN1_STRING_get0_data(sn)[i]);
	assert_string_equal(sn_hex, fr);
	for (i = 0; i < ASN1_STRING_length(aki); i++)
		snprintf(fr + 2 * i, sizeof(fr) - 2 * (size_t)i, "%02x",
			 ASN1_STRING_get0_data(aki)[i]);
	assert_string_equal(aki_hex, fr);

	/* RFC 9773: base64url(keyIdentifier) "." base64url(DER serial content). */
	n = i2d_ASN1_INTEGER(sn, &der);
	assert_int_equal(n, 18);
	assert_int_equal(der[0], V_ASN1_INTEGER);
	assert_int_equal(der[1], 16);
	assert_int_equal(ar_b64url_encode(ASN1_STRING_get0_data(aki),
					  (size_t)ASN1_STRING_length(aki), b1, sizeof(b1)), 0);
	assert_int_equal(ar_b64url_encode(der + 2, 16, b2, sizeof(b2)), 0);
	snprintf(want, sizeof(want), "%s.%s", b1, b2);
	assert_int_equal(ar_cert_ari_id(x, ari, sizeof(ari), &err), 0);
	assert_string_equal(ari, want);
	assert_null(strchr(ari, '='));

	assert_int_equal(ar_cert_ari_id(x, ari, 20, &err), -1);
	assert_err(&err, AR_ERR_TOO_LARGE, "needs");
	assert_int_equal(ar_cert_ids(x, NULL, 0, sn_hex, 32, &err), -1);
	assert_err(&err, AR_ERR_TOO_LARGE, "buffer too small");
	OPENSSL_free(der);
	X509_free(x);
	free_ca(&ca);
}

static void test_cert_ids_keep_der_zero_of_high_bit_serial_and_need_aki(void **state)
{
	/* RFC 9773 section 4.1 example serial: 0x87654321 (DER 00 87 65 43 21). */
	static const unsigned char serial[] = { 0x87, 0x65, 0x43, 0x21 };
	ca_t ca = make_ca(ec_key("P-256"), 1);
	char sn_hex[AR_CERT_HEX_MAX], ari[128];
	ar_err_t err = { 0 };
	X509 *x = issue(&ca, NULL, 0, NULL);

	(void)state;
	assert_int_equal(ASN1_STRING_set(X509_get_serialNumber(x), serial, sizeof(serial)), 1);
	assert_int_equal(ar_cert_ids(x, NULL, 0, sn_hex, sizeof(sn_hex), &err), 0);
	assert_string_equal(sn_hex, "0087654321");
	assert_int_equal(ar_cert_ari_id(x, ari, sizeof(ari), &err), 0);
	assert_string_equal(strchr(ari, '.'), ".AIdlQyE");
	X509_free(x);

	/* The CA certificate itself has no AKI. */
	assert_int_equal(ar_cert_ids(ca.cert, sn_hex, sizeof(sn_hex), NULL, 0, &err), -1);
	assert_err(&err, AR_ERR_NOT_FOUND, "authorityKeyIdentifier");
	free_ca(&ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csr_parse_rejects_oversize_trailing_and_garbage),
		cmocka_unit_test(test_csr_with_bad_self_signature_is_rejected),
		cmocka_unit_test(test_csr_rsa_1024_and_p521_keys_are_rejected),
		cmocka_unit_test(test_csr_rsa_key_with_exponent_three_is_refused),
		cmocka_unit_test(test_csr_thumbprint_equals_the_keys),
		cmocka_unit_test(test_csr_extracts_dns_and_permanent_identifier_sans),
		cmocka_unit_test(test_csr_cn_alone_is_a_dns_identifier),
		cmocka_unit_test(test_csr_rejects_unsupported_or_invalid_names),
		cmocka_unit_test(test_csr_more_than_16_identifiers_rejected),
		cmocka_unit_test(test_csr_key_off_the_curve_or_of_another_type_is_rejected),
		cmocka_unit_test(test_csr_extension_request_twice_or_malformed_is_rejected),
		cmocka_unit_test(test_csr_signed_with_sha384_and_rsa_is_accepted),
		cmocka_unit_test(test_identifiers_match_as_a_set_ignoring_attestation),
		cmocka_unit_test(test_identifiers_mismatch_extra_is_explained),
		cmocka_unit_test(test_identifiers_mismatch_missing_is_explained),
		cmocka_unit_test(test_identifiers_cn_not_among_order_is_explained),
		cmocka_unit_test(test_issued_cert_verifies_against_issuer_and_is_not_a_ca),
		cmocka_unit_test(test_issued_cert_lifetime_is_exact_and_backdate_keeps_it),
		cmocka_unit_test(test_issued_serials_are_positive_16_bytes_and_distinct),
		cmocka_unit_test(test_issued_cert_eku_is_client_and_server_only_when_asked),
		cmocka_unit_test(test_issued_cert_has_non_critical_no_rev_avail),
		cmocka_unit_test(test_issued_cert_attestation_extension_decodes_back_equal),
		cmocka_unit_test(test_issued_cert_san_subject_and_key_match_the_csr),
		cmocka_unit_test(test_long_identifier_gives_empty_subject_and_critical_san),
		cmocka_unit_test(test_issued_cert_aki_is_the_issuer_ski),
		cmocka_unit_test(test_issue_refuses_bad_issuer_setups),
		cmocka_unit_test(test_p384_issuer_signs_with_sha384),
		cmocka_unit_test(test_rsa_subject_key_gets_key_encipherment_rsa_issuer_sha256),
		cmocka_unit_test(test_cert_ids_and_ari_id_match_manual_computation),
		cmocka_unit_test(test_cert_ids_keep_der_zero_of_high_bit_serial_and_need_aki),
	};

	return cmocka_run_group_tests_name("x509", tests, NULL, NULL);
}
