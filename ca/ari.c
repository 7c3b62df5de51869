/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ACME Renewal Information (RFC 9773): GET <renewalInfo>/<certID>, no
 * authentication. The suggested window is the middle third of the
 * certificate's lifetime; when the NOC marked the certificate "renew now"
 * (the SOC flagged the device, or it was superseded or revoked) the window
 * lies in the past, which tells the device to renew at once.
 *
 * The device's posture pulls the window in as well:
 *   - posture no longer affirming, or changed since the certificate was
 *     issued (the SOC flagged the device, or it was appraised again):
 *     renew now, so the new certificate carries what is true today;
 *   - posture_fresh set on the profile: the window ends before the posture
 *     behind the certificate stops being fresh for the network, so the
 *     device re-attests in time instead of landing in quarantine.
 *
 * Record, written with the certificate: certlife:<aki>:<serial> =
 * {"not_before", "not_after"} (expiring a day after not_after).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "b64.h"
#include "ca.h"
#include "hex.h"
#include "json.h"

/* base64url of up to @max bytes to lower-case hex. */
static int b64_to_hex(const char *b64, size_t len, size_t max, char *hex, size_t size)
{
	uint8_t raw[64];
	size_t n;

	if (max > sizeof(raw) || ar_b64url_decode(b64, len, raw, max, &n, NULL) < 0 || n == 0)
		return -1;
	return ar_hex_encode(raw, n, hex, size, NULL);
}

int ari_certid_parse(const char *certid, char *aki, size_t akisize, char *serial,
		     size_t serialsize)
{
	const char *dot = certid ? strchr(certid, '.') : NULL;

	if (!dot || b64_to_hex(certid, (size_t)(dot - certid), 64, aki, akisize) < 0 ||
	    b64_to_hex(dot + 1, strlen(dot + 1), 32, serial, serialsize) < 0)
		return -1;
	return 0;
}

json_t *ari_life_record(int64_t not_before, int64_t not_after)
{
	return json_pack("{s:I,s:I}", "not_before", (json_int_t)not_before, "not_after",
			 (json_int_t)not_after);
}

/* Posture recorded more than this after issuance (notBefore + the backdate)
 * counts as a change. */
#define POSTURE_CHANGE_SLACK	60
/* The window ends before the posture lapses by a tenth of posture_fresh, at most this. */
#define ARI_FRESH_MARGIN_MAX_S	600
/* "Renew now" is a window that ended this long ago (and began twice as long ago). */
#define ARI_RENEW_NOW_PAST_S	3600
/* Retry-After: a tenth of the lifetime, within these bounds. */
#define ARI_RETRY_MIN_S		60
#define ARI_RETRY_MAX_S		21600

/*
 * The suggested window [*s, *e] of a certificate valid [nb, na]; 1 when the
 * device should renew now.
 */
static int renewal_window(const ca_t *ca, ar_store_t *st, const ar_store_cert_t *cert, int64_t nb,
			  int64_t na, int64_t *s, int64_t *e)
{
	const ca_profile_t *prof;
	ar_store_posture_t posture;
	ar_err_t err = { 0 };
	int64_t lifetime = na - nb, issued = nb + ca_backdate(lifetime), lapse, margin;

	*s = nb + lifetime / 3;
	*e = nb + 2 * lifetime / 3;
	if (cert->renew_now || cert->status != AR_CERT_VALID)
		return 1;
	if (ar_store_posture_get(st, cert->device, &posture, &err) != 1)
		return 0;	/* not attested, or the store is down: the plain window */
	if (posture.status != AR_STATUS_AFFIRMING ||
	    posture.updated_at > issued + POSTURE_CHANGE_SLACK)
		return 1;
	prof = ca_profile_find(ca, posture.profile);
	if (!prof || !prof->posture_fresh || !posture.ear_iat)
		return 0;
	lapse = posture.ear_iat + prof->posture_fresh / 1000;
	margin = prof->posture_fresh / 1000 / 10 < ARI_FRESH_MARGIN_MAX_S ?
		 prof->posture_fresh / 1000 / 10 : ARI_FRESH_MARGIN_MAX_S;
	/* From the issuance, not the backdated notBefore: a window just issued is not already open. */
	if (lapse - margin < *e) {
		*e = lapse - margin > issued ? lapse - margin : issued;
		*s = *e - (*e - issued) / 2;
	}
	return 0;
}

void ari_get(ca_t *ca, const char *certid, ar_http_resp_t *resp)
{
	char aki[130], serial[70], key[220], start[32], end[32], retry[24], *life = NULL;
	int64_t nb = 0, na = 0, lifetime, s, e, now = time(NULL);
	ar_store_cert_t cert;
	ar_err_t err = { 0 };
	ar_store_t *st;
	int rc;

	if (ari_certid_parse(certid, aki, sizeof(aki), serial, sizeof(serial)) < 0) {
		acme_problem(ca, resp, 400, "malformed", "certID is base64url(AKI).base64url(serial)");
		return;
	}
	st = daemon_store(&ca->stores, &err);
	rc = st ? ar_store_cert_find(st, aki, serial, &cert, &err) : -1;
	if (rc == 1) {
		snprintf(key, sizeof(key), "certlife:%s:%s", aki, serial);
		rc = ar_store_get(st, key, &life, NULL, &err);
	}
	if (rc < 0) {
		acme_problem_from(ca, resp, &err);
		return;
	}
	if (rc == 1) {
		json_t *j = ar_json_load(life, strlen(life), 1024, "certlife record", NULL);

		nb = json_integer_value(json_object_get(j, "not_before"));
		na = json_integer_value(json_object_get(j, "not_after"));
		json_decref(j);
	}
	if (rc == 0 || na <= nb) {
		free(life);
		acme_problem(ca, resp, 404, "malformed", "no certificate with this certID");
		return;
	}
	free(life);
	lifetime = na - nb;
	if (renewal_window(ca, st, &cert, nb, na, &s, &e)) {
		s = now - 2 * ARI_RENEW_NOW_PAST_S;	/* in the past: renew now */
		e = now - ARI_RENEW_NOW_PAST_S;
	}
	ca_rfc3339(s, start, sizeof(start));
	ca_rfc3339(e, end, sizeof(end));
	/* Ask again often enough to hear "renew now" well within the lifetime. */
	snprintf(retry, sizeof(retry), "%" PRId64,
		 lifetime / 10 < ARI_RETRY_MIN_S ? (int64_t)ARI_RETRY_MIN_S :
		 lifetime / 10 > ARI_RETRY_MAX_S ? (int64_t)ARI_RETRY_MAX_S : lifetime / 10);
	ar_http_resp_header(resp, "Retry-After", retry);
	acme_json(ca, resp, 200, json_pack("{s:{s:s,s:s}}", "suggestedWindow", "start", start,
					   "end", end));
}
