/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the attestation certificate extension. */
#include "config.h"

#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/conf.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "testutil.h"
#include "certext.h"

#define NOW	INT64_C(1800000000)	/* 2027-01-15T08:00:00Z */
#define NOW_GT	"20270115080000Z"
#define URL	"https://ca.example.net/acme/order/4f2c9a"

static void sample(ar_certext_t *ce)
{
	static const int8_t tv[AR_TV_COUNT] = { 2, 2, 2, 2, 2, 0, 32, 0 };

	memset(ce, 0, sizeof(*ce));
	snprintf(ce->order_url, sizeof(ce->order_url), URL);
	snprintf(ce->verifier, sizeof(ce->verifier), "acme-rats-verifier");
	ce->status = AR_STATUS_AFFIRMING;
	memcpy(ce->tv.v, tv, sizeof(tv));
	ce->ear_iat = NOW;
	snprintf(ce->profile, sizeof(ce->profile), "substation-laptop");
	snprintf(ce->device_id, sizeof(ce->device_id), "SUB-0042");
}

/*
 * DER made by OpenSSL's generic generator from a textual description of the
 * documented ASN.1 module (ASN1_generate_nconf), independent of the codec
 * under test. @fields lists the SEQUENCE members, one "name=TYPE:value" per
 * line; @outer is the outer type ("SEQUENCE" or "SET").
 */
static unsigned char *gen(const char *outer, const char *fields, size_t *len)
{
	char text[2048], top[64];
	unsigned char *der = NULL;
	ASN1_TYPE *t;
	CONF *cnf;
	BIO *bio;
	long eline;
	int n;

	snprintf(text, sizeof(text), "[att]\n%s", fields);
	snprintf(top, sizeof(top), "%s:att", outer);
	bio = BIO_new_mem_buf(text, -1);
	cnf = NCONF_new(NULL);
	assert_non_null(bio);
	assert_non_null(cnf);
	assert_int_equal(NCONF_load_bio(cnf, bio, &eline), 1);
	t = ASN1_generate_nconf(top, cnf);
	assert_non_null(t);
	n = i2d_ASN1_TYPE(t, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	ASN1_TYPE_free(t);
	NCONF_free(cnf);
	BIO_free(bio);
	return der;
}

#define F_VERSION	"v=INTEGER:1\n"
#define F_URL		"u=IA5STRING:" URL "\n"
#define F_VERIFIER	"i=UTF8String:acme-rats-verifier\n"
#define F_STATUS	"s=ENUMERATED:0\n"
#define F_TV		"t=FORMAT:HEX,OCTETSTRING:0202020202002000\n"
#define F_IAT		"g=GENTIME:" NOW_GT "\n"
#define F_PROFILE	"p=UTF8String:substation-laptop\n"
#define F_DEVICE	"d=EXPLICIT:0,UTF8String:SUB-0042\n"
#define F_ALL		F_VERSION F_URL F_VERIFIER F_STATUS F_TV F_IAT F_PROFILE F_DEVICE

/* Decode @fields (generated) and expect a failure with @code and @needle. */
static void expect_reject(const char *outer, const char *fields, ar_errc_t code,
			  const char *needle)
{
	ar_err_t err = { 0 };
	ar_certext_t out;
	unsigned char *der;
	size_t len;

	der = gen(outer, fields, &len);
	assert_int_equal(ar_certext_decode(der, len, &out, &err), -1);
	assert_err(&err, code, needle);
	OPENSSL_free(der);
}

static void test_certext_roundtrip_preserves_every_field(void **state)
{
	ar_certext_t in, out;
	ar_err_t err = { 0 };
	unsigned char *der;
	size_t len;

	(void)state;
	sample(&in);
	assert_int_equal(ar_certext_encode(&in, &der, &len, &err), 0);
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(ar_certext_decode(der, len, &out, &err), 0);
	assert_string_equal(out.order_url, in.order_url);
	assert_string_equal(out.verifier, in.verifier);
	assert_int_equal(out.status, in.status);
	assert_memory_equal(out.tv.v, in.tv.v, sizeof(in.tv.v));
	assert_int_equal(out.ear_iat, in.ear_iat);
	assert_string_equal(out.profile, in.profile);
	assert_string_equal(out.device_id, in.device_id);
	OPENSSL_free(der);
}

static void test_certext_negative_claims_and_statuses_roundtrip(void **state)
{
	static const int8_t tv[AR_TV_COUNT] = { -1, 127, -128, 96, 33, 0, 2, 31 };
	ar_certext_t in, out;
	unsigned char *der;
	size_t len;
	int s;

	(void)state;
	for (s = AR_STATUS_AFFIRMING; s <= AR_STATUS_CONTRAINDICATED; s++) {
		sample(&in);
		in.status = (ar_status_t)s;
		memcpy(in.tv.v, tv, sizeof(tv));
		in.ear_iat = 0;
		in.device_id[0] = '\0';
		assert_int_equal(ar_certext_encode(&in, &der, &len, NULL), 0);
		assert_int_equal(ar_certext_decode(der, len, &out, NULL), 0);
		assert_int_equal(out.status, s);
		assert_memory_equal(out.tv.v, tv, sizeof(tv));
		assert_int_equal(out.ear_iat, 0);
		assert_string_equal(out.device_id, "");
		OPENSSL_free(der);
	}
}

static void test_certext_encoding_matches_documented_asn1(void **state)
{
	unsigned char *der, *ref;
	size_t len, reflen;
	ar_certext_t in;

	(void)state;
	sample(&in);
	assert_int_equal(ar_certext_encode(&in, &der, &len, NULL), 0);
	ref = gen("SEQUENCE", F_ALL, &reflen);
	assert_int_equal(len, reflen);
	assert_memory_equal(der, ref, len);
	OPENSSL_free(der);
	OPENSSL_free(ref);

	/* Without deviceId the optional member is simply absent. */
	in.device_id[0] = '\0';
	assert_int_equal(ar_certext_encode(&in, &der, &len, NULL), 0);
	ref = gen("SEQUENCE", F_VERSION F_URL F_VERIFIER F_STATUS F_TV F_IAT F_PROFILE,
		  &reflen);
	assert_int_equal(len, reflen);
	assert_memory_equal(der, ref, len);
	OPENSSL_free(der);
	OPENSSL_free(ref);
}

static void test_certext_stays_under_300_bytes_with_200_char_url(void **state)
{
	unsigned char *der;
	ar_certext_t in;
	size_t len;

	(void)state;
	sample(&in);
	memset(in.order_url, 'a', 200);
	memcpy(in.order_url, "https://", 8);
	in.order_url[200] = '\0';
	assert_int_equal(ar_certext_encode(&in, &der, &len, NULL), 0);
	print_message("certext: %zu bytes with a 200-character order URL\n", len);
	assert_true(len < 300);
	OPENSSL_free(der);
}

static void test_certext_encode_refuses_what_radius_would_truncate(void **state)
{
	ar_err_t err = { 0 };
	unsigned char *der;
	ar_certext_t in;
	size_t len;

	(void)state;
	/* Every string at its maximum does not fit in 510 bytes. */
	sample(&in);
	memset(in.order_url, 'u', AR_CERTEXT_URL_MAX);
	in.order_url[AR_CERTEXT_URL_MAX] = '\0';
	memset(in.verifier, 'v', AR_CERTEXT_VERIFIER_MAX);
	in.verifier[AR_CERTEXT_VERIFIER_MAX] = '\0';
	memset(in.profile, 'p', AR_CERTEXT_PROFILE_MAX);
	in.profile[AR_CERTEXT_PROFILE_MAX] = '\0';
	memset(in.device_id, 'd', AR_CERTEXT_DEVICE_MAX);
	in.device_id[AR_CERTEXT_DEVICE_MAX] = '\0';
	assert_int_equal(ar_certext_encode(&in, &der, &len, &err), -1);
	assert_err(&err, AR_ERR_TOO_LARGE, "limit is 510");
	assert_null(der);

	/* Without the device identity it fits, and decodes. */
	in.device_id[0] = '\0';
	assert_int_equal(ar_certext_encode(&in, &der, &len, &err), 0);
	assert_true(len <= AR_CERTEXT_MAX_DER);
	assert_int_equal(ar_certext_decode(der, len, &in, &err), 0);
	OPENSSL_free(der);
}

static void test_certext_decode_rejects_truncation_and_trailing_byte(void **state)
{
	unsigned char *der, buf[AR_CERTEXT_MAX_DER];
	ar_err_t err = { 0 };
	ar_certext_t in, out;
	size_t len, cut;

	(void)state;
	sample(&in);
	assert_int_equal(ar_certext_encode(&in, &der, &len, NULL), 0);
	for (cut = 0; cut < len; cut++) {
		ar_err_clear(&err);
		assert_int_equal(ar_certext_decode(der, cut, &out, &err), -1);
		assert_int_equal(err.code, AR_ERR_MALFORMED);
	}
	memcpy(buf, der, len);
	buf[len] = 0x00;
	ar_err_clear(&err);
	assert_int_equal(ar_certext_decode(buf, len + 1, &out, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "1 trailing bytes");
	OPENSSL_free(der);
}

static void test_certext_decode_rejects_version_2(void **state)
{
	(void)state;
	expect_reject("SEQUENCE", "v=INTEGER:2\n" F_URL F_VERIFIER F_STATUS F_TV F_IAT F_PROFILE,
		      AR_ERR_UNSUPPORTED, "version is not 1");
}

static void test_certext_decode_rejects_unknown_status(void **state)
{
	(void)state;
	expect_reject("SEQUENCE", F_VERSION F_URL F_VERIFIER "s=ENUMERATED:7\n" F_TV F_IAT
		      F_PROFILE, AR_ERR_MALFORMED, "earStatus out of range");
	expect_reject("SEQUENCE", F_VERSION F_URL F_VERIFIER "s=ENUMERATED:-1\n" F_TV F_IAT
		      F_PROFILE, AR_ERR_MALFORMED, "earStatus out of range");
}

static void test_certext_decode_rejects_vector_of_7_or_9_bytes(void **state)
{
	(void)state;
	expect_reject("SEQUENCE", F_VERSION F_URL F_VERIFIER F_STATUS
		      "t=FORMAT:HEX,OCTETSTRING:02020202020020\n" F_IAT F_PROFILE,
		      AR_ERR_MALFORMED, "trustVector is 7 bytes");
	expect_reject("SEQUENCE", F_VERSION F_URL F_VERIFIER F_STATUS
		      "t=FORMAT:HEX,OCTETSTRING:020202020200200000\n" F_IAT F_PROFILE,
		      AR_ERR_MALFORMED, "trustVector is 9 bytes");
}

static void test_certext_decode_rejects_overlong_and_empty_strings(void **state)
{
	char fields[1024];

	(void)state;
	snprintf(fields, sizeof(fields), F_VERSION F_URL "i=UTF8String:%065d\n" F_STATUS F_TV
		 F_IAT F_PROFILE, 0);
	expect_reject("SEQUENCE", fields, AR_ERR_MALFORMED, "verifierId longer than 64");
	snprintf(fields, sizeof(fields), F_VERSION F_URL F_VERIFIER F_STATUS F_TV F_IAT
		 "p=UTF8String:%065d\n", 0);
	expect_reject("SEQUENCE", fields, AR_ERR_MALFORMED, "postureProfile longer than 64");
	snprintf(fields, sizeof(fields), F_VERSION F_URL F_VERIFIER F_STATUS F_TV F_IAT
		 F_PROFILE "d=EXPLICIT:0,UTF8String:%0129d\n", 0);
	expect_reject("SEQUENCE", fields, AR_ERR_MALFORMED, "deviceId longer than 128");
	expect_reject("SEQUENCE", F_VERSION "u=IA5STRING:\n" F_VERIFIER F_STATUS F_TV F_IAT
		      F_PROFILE, AR_ERR_MALFORMED, "orderURL is empty");
}

static void test_certext_decode_rejects_bad_characters(void **state)
{
	(void)state;
	/* 0xe9: not ASCII, so not IA5. */
	expect_reject("SEQUENCE", F_VERSION "u=IMPLICIT:22U,FORMAT:HEX,OCTETSTRING:68747470733a2f2fe9\n"
		      F_VERIFIER F_STATUS F_TV F_IAT F_PROFILE,
		      AR_ERR_MALFORMED, "orderURL has characters outside printable ASCII");
	/* A space is IA5 but never part of a URL. */
	expect_reject("SEQUENCE", F_VERSION "u=IMPLICIT:22U,FORMAT:HEX,OCTETSTRING:68747470733a2f2f20\n"
		      F_VERIFIER F_STATUS F_TV F_IAT F_PROFILE,
		      AR_ERR_MALFORMED, "orderURL has characters outside");
	/* An overlong UTF-8 form of '/'. */
	expect_reject("SEQUENCE", F_VERSION F_URL "i=IMPLICIT:12U,FORMAT:HEX,OCTETSTRING:61c0af\n" F_STATUS
		      F_TV F_IAT F_PROFILE, AR_ERR_MALFORMED, "verifierId has characters");
	/* A NUL would cut the C string short. */
	expect_reject("SEQUENCE", F_VERSION F_URL F_VERIFIER F_STATUS F_TV F_IAT
		      "p=IMPLICIT:12U,FORMAT:HEX,OCTETSTRING:610062\n", AR_ERR_MALFORMED,
		      "postureProfile has characters");
}

static void test_certext_decode_rejects_wrong_outer_tag_and_types(void **state)
{
	(void)state;
	expect_reject("SET", F_ALL, AR_ERR_MALFORMED, "not a SEQUENCE");
	/* UTCTime where GeneralizedTime is required. */
	expect_reject("SEQUENCE", F_VERSION F_URL F_VERIFIER F_STATUS F_TV
		      "g=UTCTIME:270115080000Z\n" F_PROFILE, AR_ERR_MALFORMED,
		      "not a valid AcmeRatsAttestation");
	/* INTEGER where ENUMERATED is required. */
	expect_reject("SEQUENCE", F_VERSION F_URL F_VERIFIER "s=INTEGER:0\n" F_TV F_IAT
		      F_PROFILE, AR_ERR_MALFORMED, "not a valid AcmeRatsAttestation");
	/* deviceId with the wrong context tag. */
	expect_reject("SEQUENCE", F_VERSION F_URL F_VERIFIER F_STATUS F_TV F_IAT F_PROFILE
		      "d=EXPLICIT:1,UTF8String:SUB-0042\n", AR_ERR_MALFORMED,
		      "not a valid AcmeRatsAttestation");
}

static void test_certext_decode_rejects_non_der_times(void **state)
{
	(void)state;
	expect_reject("SEQUENCE", F_VERSION F_URL F_VERIFIER F_STATUS F_TV
		      "g=GENTIME:20270115080000.5Z\n" F_PROFILE, AR_ERR_MALFORMED,
		      "earIssuedAt is not YYYYMMDDHHMMSSZ");
}

static void test_certext_decode_rejects_impossible_dates(void **state)
{
	static const char *const bad[] = { "2025", "2100" };	/* not leap years */
	unsigned char *der, *p;
	ar_err_t err = { 0 };
	ar_certext_t out;
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		der = gen("SEQUENCE", F_VERSION F_URL F_VERIFIER F_STATUS F_TV
			  "g=GENTIME:20240229000000Z\n" F_PROFILE, &len);
		assert_int_equal(ar_certext_decode(der, len, &out, NULL), 0);
		p = memmem(der, len, "20240229", 8);
		assert_non_null(p);
		memcpy(p, bad[i], 4);
		ar_err_clear(&err);
		assert_int_equal(ar_certext_decode(der, len, &out, &err), -1);
		assert_int_equal(err.code, AR_ERR_MALFORMED);
		OPENSSL_free(der);
	}
}

static void test_certext_decode_rejects_ber_long_form_length(void **state)
{
	unsigned char *der, buf[AR_CERTEXT_MAX_DER];
	ar_err_t err = { 0 };
	ar_certext_t in, out;
	size_t len;

	(void)state;
	sample(&in);
	assert_int_equal(ar_certext_encode(&in, &der, &len, NULL), 0);
	assert_true(der[1] < 0x80);	/* short form in the sample */
	buf[0] = der[0];
	buf[1] = 0x81;
	memcpy(buf + 2, der + 1, len - 1);
	assert_int_equal(ar_certext_decode(buf, len + 1, &out, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "non-canonical");
	OPENSSL_free(der);
}

static void test_certext_decode_rejects_more_than_510_bytes(void **state)
{
	unsigned char buf[AR_CERTEXT_MAX_DER + 1];
	ar_err_t err = { 0 };
	ar_certext_t out;

	(void)state;
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x30;
	buf[1] = 0x82;
	buf[2] = 0x01;
	buf[3] = 0xfb;
	assert_int_equal(ar_certext_decode(buf, sizeof(buf), &out, &err), -1);
	assert_err(&err, AR_ERR_TOO_LARGE, "limit is 510");
}

static void test_certext_encode_rejects_out_of_bounds_fields(void **state)
{
	ar_err_t err = { 0 };
	unsigned char *der;
	ar_certext_t in;
	size_t len;

	(void)state;
	sample(&in);
	in.order_url[0] = '\0';
	assert_int_equal(ar_certext_encode(&in, &der, &len, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "orderURL is empty");
	assert_null(der);

	sample(&in);
	in.status = (ar_status_t)4;
	assert_int_equal(ar_certext_encode(&in, &der, &len, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "earStatus 4 out of range");

	sample(&in);
	in.ear_iat = -1;
	assert_int_equal(ar_certext_encode(&in, &der, &len, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "earIssuedAt");

	sample(&in);
	memset(in.verifier, 'v', sizeof(in.verifier));
	assert_int_equal(ar_certext_encode(&in, &der, &len, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "verifierId is not terminated");

	sample(&in);
	snprintf(in.order_url, sizeof(in.order_url), "https://ca/order 1");
	assert_int_equal(ar_certext_encode(&in, &der, &len, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "orderURL has characters");
}

static X509 *self_signed(X509_EXTENSION *ext)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();

	assert_non_null(key);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	if (ext)
		assert_int_equal(X509_add_ext(x, ext, -1), 1);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	EVP_PKEY_free(key);
	return x;
}

static void test_certext_extension_is_non_critical_under_project_oid(void **state)
{
	char oid[64];
	X509_EXTENSION *ext;
	ar_certext_t in;

	(void)state;
	sample(&in);
	ext = ar_certext_to_extension(&in, NULL);
	assert_non_null(ext);
	assert_int_equal(X509_EXTENSION_get_critical(ext), 0);
	assert_true(OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 1) > 0);
	assert_string_equal(oid, AR_CERTEXT_OID);
	/* Unknown to OpenSSL, so FreeRADIUS exports the raw value. */
	assert_null(X509V3_EXT_get(ext));
	X509_EXTENSION_free(ext);
}

static void test_certext_from_cert_found_absent_malformed(void **state)
{
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	ar_err_t err = { 0 };
	ASN1_OCTET_STRING *val;
	X509_EXTENSION *ext;
	ar_certext_t in, out;
	ASN1_OBJECT *obj;
	X509 *x;

	(void)state;
	sample(&in);
	ext = ar_certext_to_extension(&in, NULL);
	x = self_signed(ext);
	assert_int_equal(ar_certext_from_cert(x, &out, &err), 1);
	assert_string_equal(out.order_url, in.order_url);
	assert_string_equal(out.device_id, in.device_id);
	X509_free(x);

	/* Twice is once too many. */
	x = self_signed(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	assert_int_equal(ar_certext_from_cert(x, &out, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "more than once");
	X509_free(x);
	X509_EXTENSION_free(ext);

	x = self_signed(NULL);
	assert_int_equal(ar_certext_from_cert(x, &out, &err), 0);
	X509_free(x);

	obj = OBJ_txt2obj(AR_CERTEXT_OID, 1);
	val = ASN1_OCTET_STRING_new();
	assert_int_equal(ASN1_OCTET_STRING_set(val, junk, sizeof(junk)), 1);
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, val);
	x = self_signed(ext);
	assert_int_equal(ar_certext_from_cert(x, &out, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "certext:");
	X509_free(x);
	X509_EXTENSION_free(ext);

	/* Critical: we never mark it so, and a relying party must not accept it. */
	in.device_id[0] = '\0';
	ext = ar_certext_to_extension(&in, NULL);
	assert_int_equal(X509_EXTENSION_set_critical(ext, 1), 1);
	x = self_signed(ext);
	assert_int_equal(ar_certext_from_cert(x, &out, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "critical");
	X509_free(x);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(val);
	ASN1_OBJECT_free(obj);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void test_certext_decode_cost_is_printed(void **state)
{
	const int rounds = 20000;
	unsigned char *der;
	ar_certext_t in, out;
	double t0, ns;
	size_t len;
	int i;

	(void)state;
	sample(&in);
	assert_int_equal(ar_certext_encode(&in, &der, &len, NULL), 0);
	t0 = now_ns();
	for (i = 0; i < rounds; i++)
		assert_int_equal(ar_certext_decode(der, len, &out, NULL), 0);
	ns = (now_ns() - t0) / rounds;
	print_message("certext: decode of %zu bytes: %.0f ns\n", len, ns);
	/* Generous bound (sanitizer builds are slow): far below RADIUS budgets. */
	assert_true(ns < 200000.0);
	OPENSSL_free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certext_roundtrip_preserves_every_field),
		cmocka_unit_test(test_certext_negative_claims_and_statuses_roundtrip),
		cmocka_unit_test(test_certext_encoding_matches_documented_asn1),
		cmocka_unit_test(test_certext_stays_under_300_bytes_with_200_char_url),
		cmocka_unit_test(test_certext_encode_refuses_what_radius_would_truncate),
		cmocka_unit_test(test_certext_decode_rejects_truncation_and_trailing_byte),
		cmocka_unit_test(test_certext_decode_rejects_version_2),
		cmocka_unit_test(test_certext_decode_rejects_unknown_status),
		cmocka_unit_test(test_certext_decode_rejects_vector_of_7_or_9_bytes),
		cmocka_unit_test(test_certext_decode_rejects_overlong_and_empty_strings),
		cmocka_unit_test(test_certext_decode_rejects_bad_characters),
		cmocka_unit_test(test_certext_decode_rejects_wrong_outer_tag_and_types),
		cmocka_unit_test(test_certext_decode_rejects_non_der_times),
		cmocka_unit_test(test_certext_decode_rejects_impossible_dates),
		cmocka_unit_test(test_certext_decode_rejects_ber_long_form_length),
		cmocka_unit_test(test_certext_decode_rejects_more_than_510_bytes),
		cmocka_unit_test(test_certext_encode_rejects_out_of_bounds_fields),
		cmocka_unit_test(test_certext_extension_is_non_critical_under_project_oid),
		cmocka_unit_test(test_certext_from_cert_found_absent_malformed),
		cmocka_unit_test(test_certext_decode_cost_is_printed),
	};

	return cmocka_run_group_tests_name("certext", tests, NULL, NULL);
}
