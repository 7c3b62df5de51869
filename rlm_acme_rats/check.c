/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-authentication decision of rlm_acme_rats (see check.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/asn1.h>

#include "check.h"
#include "hex.h"

#define CLASS_PREFIX	"acme-rats:"

const char *armod_decision_name(armod_decision_t d)
{
	switch (d) {
	case ARMOD_ACCEPT:	return "accept";
	case ARMOD_QUARANTINE:	return "quarantine";
	case ARMOD_REJECT:	return "reject";
	case ARMOD_PASS:	return "pass";
	}
	return "reject";
}

int armod_parse_serial(const char *in, char *out, size_t size, ar_err_t *err)
{
	size_t i, n = in ? strlen(in) : 0, pad;

	if (n < 2 || n % 2)
		return ar_err_set(err, AR_ERR_MALFORMED, "certificate serial has a bad length (%zu)", n);
	/*
	 * FreeRADIUS prints the magnitude; the store keys use the DER content
	 * octets, which carry a leading 00 when the top bit is set.
	 */
	pad = ar_hex_digit((unsigned char)in[0]) >= 8 ? 2 : 0;
	if (n + pad > AR_STORE_HEX_MAX || n + pad + 1 > size)
		return ar_err_set(err, AR_ERR_MALFORMED, "certificate serial has a bad length (%zu)", n);
	memcpy(out, "00", pad);
	for (i = 0; i < n; i++) {
		if (ar_hex_digit((unsigned char)in[i]) < 0)
			return ar_err_set(err, AR_ERR_MALFORMED, "certificate serial is not hex");
		out[pad + i] = (char)tolower((unsigned char)in[i]);
	}
	out[pad + n] = '\0';
	return 0;
}

int armod_parse_aki(const char *in, char *out, size_t size, ar_err_t *err)
{
	size_t n = 0;
	const char *p = in;

	if (!p)
		return ar_err_set(err, AR_ERR_MALFORMED, "no authority key identifier");
	if (!strncasecmp(p, "keyid:", 6))
		p += 6;
	for (;;) {
		int hi = ar_hex_digit((unsigned char)p[0]), lo = hi < 0 ? -1 : ar_hex_digit((unsigned char)p[1]);

		if (hi < 0 || lo < 0 || n + 3 > size || n + 2 > AR_STORE_HEX_MAX)
			return ar_err_set(err, AR_ERR_MALFORMED, "authority key identifier is not "
					  "colon-separated hex");
		out[n++] = (char)tolower((unsigned char)p[0]);
		out[n++] = (char)tolower((unsigned char)p[1]);
		p += 2;
		if (*p != ':')
			break;
		p++;
	}
	/* OpenSSL may follow the key id with DirName/serial lines. */
	if (*p && *p != '\n' && *p != '\r')
		return ar_err_set(err, AR_ERR_MALFORMED, "authority key identifier has trailing text");
	out[n] = '\0';
	return 0;
}

int armod_parse_time(const char *in, int64_t *out, ar_err_t *err)
{
	ASN1_TIME *t;
	struct tm tm;
	size_t n = in ? strlen(in) : 0;
	int ok;

	if (n != 13 && n != 15)
		return ar_err_set(err, AR_ERR_MALFORMED, "certificate time has a bad length (%zu)", n);
	t = ASN1_TIME_new();
	if (!t)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	/* The form is chosen by the length, as RFC 5280 writes them. */
	ok = (n == 13 ? ASN1_UTCTIME_set_string(t, in) : ASN1_GENERALIZEDTIME_set_string(t, in)) == 1
	     && ASN1_TIME_to_tm(t, &tm) == 1;
	ASN1_TIME_free(t);
	if (!ok)
		return ar_err_set(err, AR_ERR_MALFORMED, "certificate time is not a valid UTC time");
	*out = (int64_t)timegm(&tm);
	return 0;
}

static void decide(armod_result_t *res, armod_decision_t d, ar_radius_reason_t code,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void decide(armod_result_t *res, armod_decision_t d, ar_radius_reason_t code,
		   const char *fmt, ...)
{
	va_list ap;

	res->decision = d;
	res->code = code;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

static int copy_field(char *out, size_t size, const char *in, const char *what, ar_err_t *err)
{
	size_t n = in ? strlen(in) : 0;

	if (!n || n >= size)
		return ar_err_set(err, AR_ERR_MALFORMED, "issuer certificate %s missing or too long", what);
	memcpy(out, in, n + 1);
	return 0;
}

int armod_issuer_set(armod_issuer_t *is, const char *ski_hex, const char *subject,
		     const char *issuer, const char *serial_hex, const char *not_before,
		     const char *not_after, ar_err_t *err)
{
	size_t i;

	memset(is, 0, sizeof(*is));
	if (copy_field(is->ski, sizeof(is->ski), ski_hex, "key identifier", err) < 0 ||
	    copy_field(is->subject, sizeof(is->subject), subject, "subject", err) < 0 ||
	    copy_field(is->issuer, sizeof(is->issuer), issuer, "issuer", err) < 0 ||
	    copy_field(is->serial, sizeof(is->serial), serial_hex, "serial", err) < 0 ||
	    copy_field(is->not_before, sizeof(is->not_before), not_before, "notBefore", err) < 0 ||
	    copy_field(is->not_after, sizeof(is->not_after), not_after, "notAfter", err) < 0)
		return -1;
	for (i = 0; is->ski[i]; i++)
		is->ski[i] = (char)tolower((unsigned char)is->ski[i]);
	for (i = 0; is->serial[i]; i++)
		is->serial[i] = (char)tolower((unsigned char)is->serial[i]);
	return 0;
}

static int same(const char *configured, const char *reported)
{
	return reported && !strcmp(configured, reported);
}

const armod_issuer_t *armod_verified_issuer(const armod_policy_t *pol, const armod_cert_t *cert)
{
	size_t i;

	for (i = 0; i < pol->nissuers; i++) {
		const armod_issuer_t *is = &pol->issuers[i];

		if (cert->ca_serial && !strcasecmp(is->serial, cert->ca_serial) &&
		    same(is->subject, cert->ca_subject) && same(is->issuer, cert->ca_issuer) &&
		    same(is->not_before, cert->ca_valid_since) && same(is->not_after, cert->ca_expiration))
			return is;
	}
	return NULL;
}

/* Does the leaf name an ACME-RATS CA as its issuer (either field)? Its own say-so only. */
static int claims_acme_rats(const armod_policy_t *pol, const char *aki, const char *issuer)
{
	size_t i;

	for (i = 0; i < pol->nissuers; i++)
		if ((aki && !strcmp(pol->issuers[i].ski, aki)) || same(pol->issuers[i].subject, issuer))
			return 1;
	return 0;
}

/* Posture status and age from the store's records (when read) and the extension. */
static void grade(const armod_policy_t *pol, const ar_certext_t *ext,
		  const ar_store_posture_t *posture, int64_t now, armod_result_t *res)
{
	int64_t iat = ext->ear_iat;

	res->status = ext->status;
	if (posture) {
		/*
		 * Redis holds the SOC's last word (the verifier, or an operator
		 * through the SOC API): it wins over what the certificate
		 * recorded at issuance, and dates the posture when it has an
		 * attestation time.
		 */
		res->status = posture->status;
		if (posture->ear_iat > 0)
			iat = posture->ear_iat;
	}
	res->posture_age = now > iat ? now - iat : 0;
	switch (res->status) {
	case AR_STATUS_CONTRAINDICATED:
		if (posture && res->verdict && posture->reason[0])
			decide(res, ARMOD_REJECT, AR_RR_CONTRAINDICATED, "posture contraindicated (%.120s)", posture->reason);
		else
			decide(res, ARMOD_REJECT, AR_RR_CONTRAINDICATED, "posture contraindicated");
		return;
	case AR_STATUS_NONE:
		decide(res, ARMOD_REJECT, AR_RR_NO_APPRAISAL, "posture has no appraisal");
		return;
	case AR_STATUS_AFFIRMING:
	case AR_STATUS_WARNING:
		break;
	}
	if (res->posture_age > pol->grace_s)
		decide(res, ARMOD_REJECT, AR_RR_POSTURE_EXPIRED, "posture age %llds above grace %llds",
		       (long long)res->posture_age, (long long)pol->grace_s);
	else if (res->posture_age > pol->fresh_s)
		decide(res, ARMOD_QUARANTINE, AR_RR_POSTURE_STALE, "posture age %llds above fresh %llds, re-attest",
		       (long long)res->posture_age, (long long)pol->fresh_s);
	else if (res->status == AR_STATUS_WARNING && posture && res->verdict && posture->reason[0])
		decide(res, ARMOD_QUARANTINE, AR_RR_POSTURE_WARNING, "posture warning (%.110s), re-attest", posture->reason);
	else if (res->status == AR_STATUS_WARNING)
		decide(res, ARMOD_QUARANTINE, AR_RR_POSTURE_WARNING, "posture warning, re-attest");
	else
		decide(res, ARMOD_ACCEPT, AR_RR_POSTURE_FRESH, "posture fresh");
	if (res->degraded && res->decision != ARMOD_REJECT) {
		size_t n = strlen(res->reason);

		snprintf(res->reason + n, sizeof(res->reason) - n, " (certificate only: %s)",
			 res->store_msg);
	}
}

/* Redis said what it knows of this certificate; anything but "valid, ours" rejects. */
static int cert_record_ok(const ar_store_cert_t *rec, int found, armod_result_t *res)
{
	if (!(found & AR_STORE_FOUND_CERT)) {
		decide(res, ARMOD_REJECT, AR_RR_CERT_UNKNOWN, "certificate unknown to the posture store");
		return 0;
	}
	if (strcmp(rec->device, res->device)) {
		decide(res, ARMOD_REJECT, AR_RR_CERT_OTHER_DEVICE, "certificate record belongs to another device");
		return 0;
	}
	if (rec->status != AR_CERT_VALID) {
		decide(res, ARMOD_REJECT, rec->status == AR_CERT_REVOKED ? AR_RR_CERT_REVOKED :
		       AR_RR_CERT_SUPERSEDED, "certificate %s", ar_cert_status_name(rec->status));
		return 0;
	}
	return 1;
}

static void store_failed(armod_result_t *res, const ar_err_t *err)
{
	res->store_error = 1;
	res->degraded = 1;
	snprintf(res->store_msg, sizeof(res->store_msg), "%.120s", err->msg);
}

void armod_check(const armod_policy_t *pol, const armod_cert_t *cert, ar_store_t *store,
		 int64_t now, armod_result_t *res, ar_certext_t *ext_out)
{
	ar_store_posture_t posture;
	ar_store_cert_t rec;
	ar_certext_t ext;
	int64_t since, until;
	const armod_issuer_t *is;
	ar_err_t err;
	int found, aki_ok;

	memset(res, 0, sizeof(*res));
	memset(&ext, 0, sizeof(ext));
	res->posture_age = -1;
	res->status = AR_STATUS_NONE;
	if (ext_out)
		memset(ext_out, 0, sizeof(*ext_out));

	/*
	 * Which CA signed this certificate is decided by the chain OpenSSL
	 * verified (depth 1), never by the AKI and issuer name the signer
	 * wrote into the leaf: a CA under another trust anchor can copy both.
	 */
	if (!cert->serial) {
		/*
		 * FreeRADIUS exports no serial longer than 31 octets (RFC 5280
		 * allows 20): not knowing the serial, nothing can be looked
		 * up, whichever CA signed it. Never "not our certificate".
		 */
		decide(res, ARMOD_REJECT, AR_RR_SERIAL_UNUSABLE, "client certificate serial not available: longer than "
		       "RFC 5280's 20 octets");
		return;
	}
	if (armod_parse_serial(cert->serial, res->serial, sizeof(res->serial), NULL) < 0)
		res->serial[0] = '\0';		/* for the log only, until the issuer is known */
	aki_ok = armod_parse_aki(cert->aki, res->aki, sizeof(res->aki), &err) == 0;
	is = armod_verified_issuer(pol, cert);
	if (!is && !claims_acme_rats(pol, aki_ok ? res->aki : NULL, cert->issuer)) {
		if (pol->pass_non_acme)
			decide(res, ARMOD_PASS, AR_RR_NOT_ACME_RATS, "issuer is not an ACME-RATS CA");
		else
			decide(res, ARMOD_REJECT, AR_RR_NOT_ACME_RATS, "issuer is not an ACME-RATS CA");
		return;
	}
	if (!is) {
		decide(res, ARMOD_REJECT, AR_RR_ISSUER_UNVERIFIED, "issuer not verified: the chain's issuing CA (serial "
		       "%.40s, issuer %.48s) is not one of issuer_certs",
		       cert->ca_serial ? cert->ca_serial : "none", cert->ca_issuer ? cert->ca_issuer : "none");
		return;
	}
	if (!aki_ok) {
		decide(res, ARMOD_REJECT, AR_RR_CERT_UNPARSABLE, "%s", err.msg);
		return;
	}
	if (strcmp(is->ski, res->aki) || !same(is->subject, cert->issuer)) {
		decide(res, ARMOD_REJECT, AR_RR_ISSUER_UNVERIFIED, "authority key identifier or issuer name differs from the "
		       "verified issuing CA");
		return;
	}
	if (armod_parse_serial(cert->serial, res->serial, sizeof(res->serial), &err) < 0 ||
	    armod_parse_time(cert->valid_since, &since, &err) < 0 ||
	    armod_parse_time(cert->expiration, &until, &err) < 0) {
		decide(res, ARMOD_REJECT, AR_RR_CERT_UNPARSABLE, "%s", err.msg);
		return;
	}
	if (!cert->ext) {
		decide(res, ARMOD_REJECT, AR_RR_EXTENSION_MISSING, "attestation extension missing");
		return;
	}
	if (ar_certext_decode(cert->ext, cert->ext_len, &ext, &err) < 0) {
		decide(res, ARMOD_REJECT, AR_RR_EXTENSION_INVALID, "attestation extension invalid: %s", err.msg);
		return;
	}
	if (ext_out)
		*ext_out = ext;
	if (until - since > pol->max_lifetime_s) {
		decide(res, ARMOD_REJECT, AR_RR_LIFETIME_EXCEEDED, "lifetime %llds above max_cert_lifetime %llds",
		       (long long)(until - since), (long long)pol->max_lifetime_s);
		return;
	}
	if (now >= until || now < since) {
		decide(res, ARMOD_REJECT, AR_RR_OUTSIDE_VALIDITY, "certificate outside its validity");
		return;
	}
	if (!ext.device_id[0]) {
		decide(res, ARMOD_REJECT, AR_RR_DEVICE_UNUSABLE, "attestation extension names no device");
		return;
	}
	snprintf(res->device, sizeof(res->device), "%s", ext.device_id);
	if (ar_store_device_valid(res->device, &err) < 0) {
		decide(res, ARMOD_REJECT, AR_RR_DEVICE_UNUSABLE, "device id unusable: %s", err.msg);
		return;
	}

	if (!store) {
		ar_err_set(&err, AR_ERR_UNAVAILABLE, "no connection to Redis");
		store_failed(res, &err);
	} else {
		found = ar_store_auth_lookup(store, res->device, res->aki, res->serial, &posture, &rec,
					     &err);
		if (found < 0 && !ar_store_err_is_down(&err)) {
			/*
			 * Redis answered with a record that does not parse: not
			 * an outage, and nothing the extension may stand in for
			 * (a SOC verdict may be the record that is broken).
			 */
			res->store_error = 1;
			snprintf(res->store_msg, sizeof(res->store_msg), "%.120s", err.msg);
			decide(res, ARMOD_REJECT, AR_RR_STORE_UNREADABLE, "posture store record unreadable: %.120s", err.msg);
			return;
		}
		if (found < 0) {
			store_failed(res, &err);
		} else {
			res->verdict = (found & AR_STORE_FOUND_VERDICT) != 0;
			if (!cert_record_ok(&rec, found, res))
				return;
			grade(pol, &ext, found & AR_STORE_FOUND_POSTURE ? &posture : NULL, now, res);
			return;
		}
	}
	if (pol->fail_closed) {
		decide(res, ARMOD_REJECT, AR_RR_STORE_UNAVAILABLE, "posture store unavailable (fail_closed): %s", res->store_msg);
		return;
	}
	grade(pol, &ext, NULL, now, res);
}

void armod_no_certificate(armod_result_t *res)
{
	memset(res, 0, sizeof(*res));
	res->posture_age = -1;
	res->status = AR_STATUS_NONE;
	decide(res, ARMOD_REJECT, AR_RR_NO_CERTIFICATE, "%s", ARMOD_NO_CERT_REASON);
}

void armod_no_client_certificate(const armod_policy_t *pol, const char *method, armod_result_t *res)
{
	memset(res, 0, sizeof(*res));
	res->posture_age = -1;
	res->status = AR_STATUS_NONE;
	decide(res, pol->pass_non_acme ? ARMOD_PASS : ARMOD_REJECT, AR_RR_NOT_ACME_RATS,
	       "no client certificate (%.40s): this site admits ACME-RATS EAP-TLS certificates only",
	       method && *method ? method : "no EAP");
}

void armod_reattest_event(const armod_result_t *res, ar_store_event_t *ev)
{
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->type, sizeof(ev->type), "reattest");
	snprintf(ev->device, sizeof(ev->device), "%s", res->device);
	snprintf(ev->status, sizeof(ev->status), "%s", ar_status_name(res->status));
	snprintf(ev->reason, sizeof(ev->reason), "%s", res->reason);
	snprintf(ev->serial, sizeof(ev->serial), "%s", res->serial);
	snprintf(ev->source, sizeof(ev->source), "rlm_acme_rats");
}

int armod_class_encode(const char *device, const char *serial, char *out, size_t size)
{
	int n = snprintf(out, size, CLASS_PREFIX "%s:%s", device, serial);

	return n < 0 || (size_t)n >= size || n > ARMOD_CLASS_MAX ? -1 : n;
}

int armod_class_decode(const unsigned char *in, size_t len, char *device, size_t devsize,
		       char *serial, size_t sersize)
{
	const size_t plen = sizeof(CLASS_PREFIX) - 1;
	const unsigned char *colon;
	size_t dlen, slen;

	if (len < plen || memcmp(in, CLASS_PREFIX, plen))
		return 0;
	in += plen;
	len -= plen;
	/* The serial is hex: the last colon separates it from the device. */
	colon = NULL;
	for (size_t i = len; i > 0; i--)
		if (in[i - 1] == ':') {
			colon = in + i - 1;
			break;
		}
	if (!colon)
		return -1;
	dlen = (size_t)(colon - in);
	slen = len - dlen - 1;
	if (!dlen || dlen >= devsize || slen >= sersize || memchr(in, '\0', len))
		return -1;
	memcpy(device, in, dlen);
	device[dlen] = '\0';
	memcpy(serial, colon + 1, slen);
	serial[slen] = '\0';
	if (ar_store_device_valid(device, NULL) < 0 ||
	    armod_parse_serial(serial, serial, sersize, NULL) < 0)
		return -1;
	return 1;
}
