/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The acme-rats attestation extension: ASN.1 template, strict DER codec and
 * certificate glue. See certext.h and docs/cert-extension.md.
 */
#include "config.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "certext.h"

/* Largest time we write or read: 9999-12-31T23:59:59Z. */
#define MAX_TIME	INT64_C(253402300799)

/* Length of a DER GeneralizedTime without fractions: YYYYMMDDHHMMSSZ. */
#define GENTIME_LEN	15

/*
 * AcmeRatsAttestation ::= SEQUENCE {
 *	version INTEGER (1), orderURL IA5String, verifierId UTF8String,
 *	earStatus ENUMERATED, trustVector OCTET STRING (SIZE (8)),
 *	earIssuedAt GeneralizedTime, postureProfile UTF8String,
 *	deviceId [0] EXPLICIT UTF8String OPTIONAL }
 */
typedef struct AR_ATTESTATION_st {
	ASN1_INTEGER		*version;
	ASN1_IA5STRING		*order_url;
	ASN1_UTF8STRING		*verifier_id;
	ASN1_ENUMERATED		*ear_status;
	ASN1_OCTET_STRING	*trust_vector;
	ASN1_GENERALIZEDTIME	*ear_issued_at;
	ASN1_UTF8STRING		*posture_profile;
	ASN1_UTF8STRING		*device_id;
} AR_ATTESTATION;

ASN1_SEQUENCE(AR_ATTESTATION) = {
	ASN1_SIMPLE(AR_ATTESTATION, version, ASN1_INTEGER),
	ASN1_SIMPLE(AR_ATTESTATION, order_url, ASN1_IA5STRING),
	ASN1_SIMPLE(AR_ATTESTATION, verifier_id, ASN1_UTF8STRING),
	ASN1_SIMPLE(AR_ATTESTATION, ear_status, ASN1_ENUMERATED),
	ASN1_SIMPLE(AR_ATTESTATION, trust_vector, ASN1_OCTET_STRING),
	ASN1_SIMPLE(AR_ATTESTATION, ear_issued_at, ASN1_GENERALIZEDTIME),
	ASN1_SIMPLE(AR_ATTESTATION, posture_profile, ASN1_UTF8STRING),
	ASN1_EXP_OPT(AR_ATTESTATION, device_id, ASN1_UTF8STRING, 0),
} static_ASN1_SEQUENCE_END(AR_ATTESTATION)

IMPLEMENT_STATIC_ASN1_ALLOC_FUNCTIONS(AR_ATTESTATION)
IMPLEMENT_STATIC_ASN1_ENCODE_FUNCTIONS(AR_ATTESTATION)

/* Printable ASCII without space: what a URL may contain. */
static int url_chars_ok(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* Well-formed UTF-8 (no overlong forms, surrogates or values above
 * U+10FFFF) without C0 controls or DEL. */
static int utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, more;
	uint32_t cp, min;

	while (i < n) {
		unsigned char c = s[i++];

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			cp = c & 0x1f;
			more = 1;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			cp = c & 0x0f;
			more = 2;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			cp = c & 0x07;
			more = 3;
			min = 0x10000;
		} else {
			return 0;
		}
		if (n - i < more)
			return 0;
		for (k = 0; k < more; k++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i++] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static unsigned digits(const unsigned char *p, size_t n)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (unsigned)(p[i] - '0');
	return v;
}

/* Parse exactly YYYYMMDDHHMMSSZ (the DER form, no fractions). */
static int gentime_parse(const ASN1_GENERALIZEDTIME *t, int64_t *out)
{
	static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const unsigned char *p = ASN1_STRING_get0_data(t);
	unsigned year, mon, day, hh, mm, ss;
	int i;

	if (ASN1_STRING_length(t) != GENTIME_LEN || p[GENTIME_LEN - 1] != 'Z')
		return -1;
	for (i = 0; i < GENTIME_LEN - 1; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	year = digits(p, 4);
	mon = digits(p + 4, 2);
	day = digits(p + 6, 2);
	hh = digits(p + 8, 2);
	mm = digits(p + 10, 2);
	ss = digits(p + 12, 2);
	/* Before 1970 no attestation result was issued (and the encoder refuses it). */
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] || hh > 23 ||
	    mm > 59 || ss > 59)
		return -1;
	if (mon == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return -1;
	*out = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

/* Copy an ASN.1 string of 1..max bytes into a C buffer of max + 1. */
static int copy_str(const ASN1_STRING *s, char *dst, size_t max, int url, const char *field,
		    ar_err_t *err)
{
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s);

	if (n <= 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "certext: %s is empty", field);
	if ((size_t)n > max)
		return ar_err_set(err, AR_ERR_MALFORMED, "certext: %s longer than %zu bytes",
				  field, max);
	if (url ? !url_chars_ok(p, (size_t)n) : !utf8_ok(p, (size_t)n))
		return ar_err_set(err, AR_ERR_MALFORMED, "certext: %s has characters outside %s",
				  field, url ? "printable ASCII" : "printable UTF-8");
	memcpy(dst, p, (size_t)n);
	dst[n] = '\0';
	return 0;
}

/* The same bounds on a C string, for the encoder. */
static int check_str(const char *s, size_t cap, size_t max, int url, int optional,
		     const char *field, ar_err_t *err)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		return ar_err_set(err, AR_ERR_MALFORMED, "certext: %s is not terminated", field);
	if (n == 0 && !optional)
		return ar_err_set(err, AR_ERR_MALFORMED, "certext: %s is empty", field);
	if (n > max)
		return ar_err_set(err, AR_ERR_MALFORMED, "certext: %s longer than %zu bytes",
				  field, max);
	if (url ? !url_chars_ok((const unsigned char *)s, n) :
		  !utf8_ok((const unsigned char *)s, n))
		return ar_err_set(err, AR_ERR_MALFORMED, "certext: %s has characters outside %s",
				  field, url ? "printable ASCII" : "printable UTF-8");
	return 0;
}

static int check_fields(const ar_certext_t *in, ar_err_t *err)
{
	if (check_str(in->order_url, sizeof(in->order_url), AR_CERTEXT_URL_MAX, 1, 0,
		      "orderURL", err) ||
	    check_str(in->verifier, sizeof(in->verifier), AR_CERTEXT_VERIFIER_MAX, 0, 0,
		      "verifierId", err) ||
	    check_str(in->profile, sizeof(in->profile), AR_CERTEXT_PROFILE_MAX, 0, 0,
		      "postureProfile", err) ||
	    check_str(in->device_id, sizeof(in->device_id), AR_CERTEXT_DEVICE_MAX, 0, 1,
		      "deviceId", err))
		return -1;
	if ((unsigned)in->status > AR_STATUS_CONTRAINDICATED)
		return ar_err_set(err, AR_ERR_MALFORMED, "certext: earStatus %d out of range",
				  (int)in->status);
	if (in->ear_iat < 0 || in->ear_iat > MAX_TIME)
		return ar_err_set(err, AR_ERR_MALFORMED, "certext: earIssuedAt %lld out of range",
				  (long long)in->ear_iat);
	return 0;
}

static int set_str(ASN1_STRING *dst, const char *src)
{
	return ASN1_STRING_set(dst, src, (int)strlen(src)) ? 0 : -1;
}

int ar_certext_encode(const ar_certext_t *in, unsigned char **der, size_t *len, ar_err_t *err)
{
	AR_ATTESTATION *a = NULL;
	unsigned char tv[AR_TV_COUNT];
	unsigned char *buf = NULL;
	int rc = -1, n, i;

	*der = NULL;
	*len = 0;
	if (check_fields(in, err))
		return -1;
	a = AR_ATTESTATION_new();
	if (!a)
		goto nomem;
	for (i = 0; i < AR_TV_COUNT; i++)
		tv[i] = (unsigned char)in->tv.v[i];
	if (!ASN1_GENERALIZEDTIME_set(a->ear_issued_at, (time_t)in->ear_iat) ||
	    !ASN1_INTEGER_set_int64(a->version, AR_CERTEXT_VERSION) ||
	    !ASN1_ENUMERATED_set_int64(a->ear_status, in->status) ||
	    !ASN1_OCTET_STRING_set(a->trust_vector, tv, sizeof(tv)) ||
	    set_str(a->order_url, in->order_url) || set_str(a->verifier_id, in->verifier) ||
	    set_str(a->posture_profile, in->profile))
		goto nomem;
	if (in->device_id[0]) {
		a->device_id = ASN1_UTF8STRING_new();
		if (!a->device_id || set_str(a->device_id, in->device_id))
			goto nomem;
	}
	n = i2d_AR_ATTESTATION(a, &buf);
	if (n <= 0)
		goto nomem;
	if (n > AR_CERTEXT_MAX_DER) {
		ar_err_set(err, AR_ERR_TOO_LARGE, "certext: encoding is %d bytes, limit is %d",
			   n, AR_CERTEXT_MAX_DER);
		goto out;
	}
	*der = buf;
	*len = (size_t)n;
	buf = NULL;
	rc = 0;
	goto out;
nomem:
	ar_err_set(err, AR_ERR_NOMEM, "certext: out of memory while encoding");
out:
	OPENSSL_free(buf);
	AR_ATTESTATION_free(a);
	return rc;
}

/* Fields of a decoded structure into the plain struct. */
static int from_asn1(const AR_ATTESTATION *a, ar_certext_t *out, ar_err_t *err)
{
	int64_t v;
	int i;

	if (!ASN1_INTEGER_get_int64(&v, a->version) || v != AR_CERTEXT_VERSION)
		return ar_err_set(err, AR_ERR_UNSUPPORTED, "certext: version is not %d",
				  AR_CERTEXT_VERSION);
	if (copy_str(a->order_url, out->order_url, AR_CERTEXT_URL_MAX, 1, "orderURL", err) ||
	    copy_str(a->verifier_id, out->verifier, AR_CERTEXT_VERIFIER_MAX, 0, "verifierId",
		     err))
		return -1;
	if (!ASN1_ENUMERATED_get_int64(&v, a->ear_status) || v < AR_STATUS_AFFIRMING ||
	    v > AR_STATUS_CONTRAINDICATED)
		return ar_err_set(err, AR_ERR_MALFORMED, "certext: earStatus out of range");
	out->status = (ar_status_t)v;
	if (ASN1_STRING_length(a->trust_vector) != AR_TV_COUNT)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "certext: trustVector is %d bytes, expected %d",
				  ASN1_STRING_length(a->trust_vector), AR_TV_COUNT);
	for (i = 0; i < AR_TV_COUNT; i++)
		out->tv.v[i] = (int8_t)ASN1_STRING_get0_data(a->trust_vector)[i];
	if (gentime_parse(a->ear_issued_at, &out->ear_iat))
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "certext: earIssuedAt is not YYYYMMDDHHMMSSZ");
	if (copy_str(a->posture_profile, out->profile, AR_CERTEXT_PROFILE_MAX, 0,
		     "postureProfile", err))
		return -1;
	out->device_id[0] = '\0';
	if (a->device_id &&
	    copy_str(a->device_id, out->device_id, AR_CERTEXT_DEVICE_MAX, 0, "deviceId", err))
		return -1;
	return 0;
}

int ar_certext_decode(const unsigned char *der, size_t len, ar_certext_t *out, ar_err_t *err)
{
	unsigned char canon[AR_CERTEXT_MAX_DER];
	const unsigned char *p = der;
	unsigned char *q = canon;
	AR_ATTESTATION *a = NULL;
	int rc = -1;

	if (len > AR_CERTEXT_MAX_DER)
		return ar_err_set(err, AR_ERR_TOO_LARGE,
				  "certext: %zu bytes, limit is %d (RADIUS truncates longer values)",
				  len, AR_CERTEXT_MAX_DER);
	if (len < 2 || der[0] != (V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED))
		return ar_err_set(err, AR_ERR_MALFORMED, "certext: not a SEQUENCE");
	a = d2i_AR_ATTESTATION(NULL, &p, (long)len);
	if (!a) {
		ar_err_set(err, AR_ERR_MALFORMED, "certext: not a valid AcmeRatsAttestation");
		goto out;
	}
	if ((size_t)(p - der) != len) {
		ar_err_set(err, AR_ERR_MALFORMED, "certext: %zu trailing bytes",
			   len - (size_t)(p - der));
		goto out;
	}
	/*
	 * OpenSSL's decoder also takes some BER (long-form lengths, padded
	 * integers). Encoding back must give the very same bytes, so that one
	 * value has one encoding. The re-encoding cannot be longer than the
	 * input: DER is the shortest form.
	 */
	if (i2d_AR_ATTESTATION(a, NULL) != (int)len || i2d_AR_ATTESTATION(a, &q) != (int)len ||
	    memcmp(canon, der, len) != 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "certext: not DER (non-canonical encoding)");
		goto out;
	}
	rc = from_asn1(a, out, err);
out:
	AR_ATTESTATION_free(a);
	return rc;
}

static ASN1_OBJECT *certext_obj(ar_err_t *err)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(AR_CERTEXT_OID, 1);

	if (!obj)
		ar_err_set(err, AR_ERR_CRYPTO, "certext: cannot build OID %s", AR_CERTEXT_OID);
	return obj;
}

X509_EXTENSION *ar_certext_to_extension(const ar_certext_t *in, ar_err_t *err)
{
	X509_EXTENSION *ext = NULL;
	ASN1_OCTET_STRING *val = NULL;
	ASN1_OBJECT *obj = NULL;
	unsigned char *der = NULL;
	size_t len;

	if (ar_certext_encode(in, &der, &len, err))
		return NULL;
	obj = certext_obj(err);
	if (!obj)
		goto out;
	val = ASN1_OCTET_STRING_new();
	if (!val || !ASN1_OCTET_STRING_set(val, der, (int)len)) {
		ar_err_set(err, AR_ERR_NOMEM, "certext: out of memory");
		goto out;
	}
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, val);
	if (!ext)
		ar_err_set(err, AR_ERR_NOMEM, "certext: cannot build the extension");
out:
	ASN1_OCTET_STRING_free(val);
	ASN1_OBJECT_free(obj);
	OPENSSL_free(der);
	return ext;
}

int ar_certext_from_cert(const X509 *cert, ar_certext_t *out, ar_err_t *err)
{
	const ASN1_OCTET_STRING *val;
	X509_EXTENSION *ext;
	ASN1_OBJECT *obj;
	int loc, rc = -1;

	obj = certext_obj(err);
	if (!obj)
		return -1;
	loc = X509_get_ext_by_OBJ(cert, obj, -1);
	if (loc < 0) {
		rc = 0;
		goto out;
	}
	if (X509_get_ext_by_OBJ(cert, obj, loc) >= 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "certext: extension present more than once");
		goto out;
	}
	ext = X509_get_ext(cert, loc);
	if (X509_EXTENSION_get_critical(ext)) {
		ar_err_set(err, AR_ERR_MALFORMED, "certext: extension marked critical");
		goto out;
	}
	val = X509_EXTENSION_get_data(ext);
	if (ar_certext_decode(ASN1_STRING_get0_data(val), (size_t)ASN1_STRING_length(val), out,
			      err) == 0)
		rc = 1;
out:
	ASN1_OBJECT_free(obj);
	return rc;
}
