/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The certificate fixture of rlm_acme_rats's in-process tests (modfix.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "modfix.h"

void modfix_utc(int64_t when, char out[16])
{
	time_t tt = (time_t)when;
	struct tm tm;

	gmtime_r(&tt, &tm);
	snprintf(out, 16, "%02u%02u%02u%02u%02u%02uZ", (unsigned)tm.tm_year % 100u,
		 (unsigned)tm.tm_mon % 12u + 1u, (unsigned)tm.tm_mday % 32u, (unsigned)tm.tm_hour % 24u,
		 (unsigned)tm.tm_min % 60u, (unsigned)tm.tm_sec % 61u);
}

int modfix_init(modfix_t *f, int64_t now)
{
	ar_certext_t ext = { .status = AR_STATUS_AFFIRMING, .tv = { { 2, 2, 2, 2, 2, 0, 0, 0 } } };

	memset(f, 0, sizeof(*f));
	f->now = now;
	snprintf(ext.order_url, sizeof(ext.order_url), "https://ca.example:8443/acme/order/Hk3x9Qw2");
	snprintf(ext.verifier, sizeof(ext.verifier), "acme-rats-verifier");
	snprintf(ext.profile, sizeof(ext.profile), "substation");
	snprintf(ext.device_id, sizeof(ext.device_id), "SUB-0042");
	ext.ear_iat = now - 60;
	if (ar_certext_encode(&ext, &f->der, &f->der_len, NULL) < 0)
		return -1;
	f->pol.fresh_s = 6 * 3600;
	f->pol.grace_s = 12 * 3600;
	f->pol.max_lifetime_s = 24 * 3600;
	f->pol.nissuers = 1;
	if (armod_issuer_set(&f->pol.issuers[0], MODFIX_AKI, "/CN=acme-rats issuing CA",
			     MODFIX_ROOT, MODFIX_CA_SERIAL, MODFIX_CA_SINCE, MODFIX_CA_UNTIL, NULL) < 0)
		return -1;
	modfix_utc(now - 60, f->since);
	modfix_utc(now - 60 + 8 * 3600, f->until);
	f->cert.serial = "5A0B1C2D3E4F50617283940A1B2C3D4E";	/* FreeRADIUS prints lower case; either works */
	f->cert.valid_since = f->since;
	f->cert.expiration = f->until;
	f->cert.issuer = "/CN=acme-rats issuing CA";
	f->cert.aki = "keyid:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33";
	f->cert.ext = f->der;
	f->cert.ext_len = f->der_len;
	/* The verified chain: issued by that CA. */
	f->cert.ca_serial = MODFIX_CA_SERIAL;
	f->cert.ca_subject = "/CN=acme-rats issuing CA";
	f->cert.ca_issuer = MODFIX_ROOT;
	f->cert.ca_valid_since = MODFIX_CA_SINCE;
	f->cert.ca_expiration = MODFIX_CA_UNTIL;
	return 0;
}

void modfix_free(modfix_t *f)
{
	OPENSSL_free(f->der);
	f->der = NULL;
}

int modfix_records(const modfix_t *f, ar_store_t *st)
{
	ar_store_cert_t c = { .device = "SUB-0042", .aki = MODFIX_AKI, .serial = MODFIX_SERIAL };
	ar_store_posture_t p = { .status = AR_STATUS_AFFIRMING };

	c.not_after = f->now + 8 * 3600;
	p.ear_iat = f->now - 60;
	return ar_store_cert_put(st, &c, NULL) == 0 &&
	       ar_store_posture_put(st, "SUB-0042", &p, NULL) == 0 ? 0 : -1;
}
