/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rlm_acme_rats's decision (rlm_acme_rats/check.c) row by row against a
 * real redis-server, and its parsers of FreeRADIUS attribute values with
 * the inputs a hostile certificate could produce.
 */
#include "config.h"

#include <time.h>

#include <hiredis/hiredis.h>

#include "testutil.h"
#include "lab/lab.h"
#include "modfix.h"
#include "x509.h"

#define HOUR	3600
#define AKI	MODFIX_AKI
#define SERIAL	MODFIX_SERIAL

static struct {
	lab_redis_t	redis;
	ar_store_t	*st;
	modfix_t	f;
	armod_policy_t	pol;
	armod_cert_t	cert;
	int64_t		now;
} t;

static int group_setup(void **state)
{
	ar_store_opts_t so = { .host = "127.0.0.1", .command_timeout_ms = 200 };

	(void)state;
	if (lab_init() < 0 || lab_redis_start(&t.redis) < 0)
		return -1;
	so.port = t.redis.port;
	t.st = ar_store_open(&so, NULL);
	t.now = time(NULL);
	return t.st && modfix_init(&t.f, t.now) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	ar_store_close(t.st);
	lab_redis_stop(&t.redis);
	modfix_free(&t.f);
	return 0;
}

/* Each test starts from the fixture: a good 8 h certificate, its valid record, fresh posture. */
static int setup(void **state)
{
	(void)state;
	t.pol = t.f.pol;
	t.cert = t.f.cert;
	return modfix_records(&t.f, t.st);
}

static armod_result_t decide(armod_decision_t want, const char *reason)
{
	armod_result_t r;

	armod_check(&t.pol, &t.cert, t.st, t.now, &r, NULL);
	if (r.decision != want || !strstr(r.reason, reason))
		fail_msg("want %s \"%s\", got %s \"%s\"", armod_decision_name(want), reason,
			 armod_decision_name(r.decision), r.reason);
	return r;
}

static void posture(ar_status_t status, int64_t age)
{
	ar_store_posture_t p = { .status = status, .ear_iat = t.now - age };

	assert_int_equal(ar_store_posture_put(t.st, "SUB-0042", &p, NULL), 0);
}

static void test_fresh_affirming_posture_is_accepted(void **state)
{
	armod_result_t r;

	(void)state;
	r = decide(ARMOD_ACCEPT, "posture fresh");
	assert_string_equal(r.device, "SUB-0042");
	assert_string_equal(r.serial, SERIAL);
	assert_string_equal(r.aki, AKI);
	assert_int_equal(r.posture_age, 60);
	assert_false(r.degraded);
}

static void test_stale_or_warning_posture_is_quarantined(void **state)
{
	ar_store_event_t ev;
	armod_result_t r;

	(void)state;
	posture(AR_STATUS_AFFIRMING, 6 * HOUR + 1);
	r = decide(ARMOD_QUARANTINE, "above fresh 21600s");
	armod_reattest_event(&r, &ev);
	assert_string_equal(ev.type, "reattest");
	assert_string_equal(ev.device, "SUB-0042");
	assert_string_equal(ev.serial, SERIAL);
	assert_string_equal(ev.source, "rlm_acme_rats");
	posture(AR_STATUS_AFFIRMING, 6 * HOUR);		/* the boundary is still fresh */
	decide(ARMOD_ACCEPT, "posture fresh");
	posture(AR_STATUS_WARNING, 60);
	decide(ARMOD_QUARANTINE, "posture warning");
	posture(AR_STATUS_AFFIRMING, 12 * HOUR);
	decide(ARMOD_QUARANTINE, "above fresh");
}

static void test_posture_beyond_grace_contraindicated_or_none_is_rejected(void **state)
{
	(void)state;
	posture(AR_STATUS_AFFIRMING, 12 * HOUR + 1);
	decide(ARMOD_REJECT, "above grace 43200s");
	posture(AR_STATUS_CONTRAINDICATED, 60);
	decide(ARMOD_REJECT, "posture contraindicated");
	posture(AR_STATUS_NONE, 60);
	decide(ARMOD_REJECT, "no appraisal");
}

static void test_certificate_record_must_be_valid_and_the_devices(void **state)
{
	ar_store_cert_t other = { .device = "SUB-0043", .aki = AKI, .serial = "77" };

	(void)state;
	assert_int_equal(ar_store_cert_mark(t.st, "SUB-0042", AKI, SERIAL, AR_CERT_SUPERSEDED, -1, NULL), 1);
	decide(ARMOD_REJECT, "certificate superseded");
	assert_int_equal(ar_store_cert_mark(t.st, "SUB-0042", AKI, SERIAL, AR_CERT_REVOKED, -1, NULL), 1);
	decide(ARMOD_REJECT, "certificate revoked");
	t.cert.serial = "77";		/* a record exists, but under another device */
	other.not_after = t.now + HOUR;
	assert_int_equal(ar_store_cert_put(t.st, &other, NULL), 0);
	decide(ARMOD_REJECT, "unknown to the posture store");
	t.cert.serial = "0123";
	decide(ARMOD_REJECT, "unknown to the posture store");
}

static void test_issuer_must_match_by_key_id_and_name(void **state)
{
	(void)state;
	t.cert.issuer = "/CN=someone else";
	decide(ARMOD_REJECT, "differs from the verified issuing CA");
	t.pol.pass_non_acme = 1;	/* issued under our CA: never passed */
	decide(ARMOD_REJECT, "differs from the verified issuing CA");
	t.cert.issuer = "/CN=acme-rats issuing CA";
	t.cert.aki = "keyid:01:02";
	decide(ARMOD_REJECT, "differs from the verified issuing CA");
	t.cert.aki = NULL;
	decide(ARMOD_REJECT, "no authority key identifier");
	/* Another CA's certificate, through another CA's chain: pass or reject. */
	t.cert.issuer = "/CN=someone else";
	t.cert.aki = "keyid:01:02";
	t.cert.ca_subject = "/CN=someone else";
	t.cert.ca_serial = "0a";
	decide(ARMOD_PASS, "issuer is not an ACME-RATS CA");
	t.pol.pass_non_acme = 0;
	decide(ARMOD_REJECT, "issuer is not an ACME-RATS CA");
}

/*
 * A CA under another trust anchor copies the ACME-RATS issuing CA's name and
 * key identifier and signs a leaf with SUB-0042's serial and extension: the
 * leaf's own fields all say "ACME-RATS", the verified chain does not.
 */
static void test_leaf_forged_under_another_ca_with_copied_issuer_fields_refused(void **state)
{
	armod_result_t r;

	(void)state;
	t.cert.ca_serial = "7a7a7a";			/* the forger's sub-CA ... */
	t.cert.ca_issuer = "/CN=another enterprise CA";	/* ... under the other anchor */
	r = decide(ARMOD_REJECT, "issuer not verified");
	assert_string_equal(r.device, "");
	/* the whole phrase, long issuer names cut inside it, not at its end */
	t.cert.ca_serial = "7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a";
	t.cert.ca_issuer = "/C=XX/O=Another Enterprise With A Long Name/OU=Certificate Authorities"
			   "/CN=another enterprise CA";
	r = decide(ARMOD_REJECT, "issuer not verified");
	assert_non_null(strstr(r.reason, "is not one of issuer_certs"));
	t.pol.pass_non_acme = 1;			/* a claim to be ours is never passed on */
	decide(ARMOD_REJECT, "issuer not verified");
	/* Every depth-1 field counts: name, issuer and serial copied, validity not. */
	t.cert.ca_serial = MODFIX_CA_SERIAL;
	t.cert.ca_issuer = MODFIX_ROOT;
	t.cert.ca_valid_since = "260102000000Z";
	decide(ARMOD_REJECT, "issuer not verified");
	t.cert.ca_valid_since = MODFIX_CA_SINCE;
	t.cert.ca_expiration = NULL;			/* nothing reported for depth 1 */
	decide(ARMOD_REJECT, "issuer not verified");
	t.cert.ca_expiration = MODFIX_CA_UNTIL;
	t.cert.ca_serial = "1F2E3D4C5B6A";		/* hex case is not a difference */
	decide(ARMOD_ACCEPT, "posture fresh");
	t.cert.ca_subject = NULL;
	t.cert.ca_serial = NULL;
	decide(ARMOD_REJECT, "issuer not verified");
}

/*
 * The SOC's verdict stands on its own record: a device flagged
 * contraindicated stays out when its posture record is gone (which would
 * otherwise fall back to the certificate's extension, affirming at issuance).
 */
static void test_soc_verdict_without_posture_record_is_rejected(void **state)
{
	ar_store_verdict_t v = { .status = AR_STATUS_CONTRAINDICATED };
	armod_result_t r;

	(void)state;
	snprintf(v.reason, sizeof(v.reason), "implant found");
	snprintf(v.source, sizeof(v.source), "soc-api");
	assert_int_equal(ar_store_verdict_put(t.st, "SUB-0042", &v, NULL), 0);
	assert_int_equal(ar_store_del(t.st, "{dev:SUB-0042}:posture", NULL), 1);
	r = decide(ARMOD_REJECT, "posture contraindicated (SOC: implant found)");
	assert_true(r.verdict);
	/* Without the verdict, a missing record falls back to the extension (documented). */
	assert_int_equal(ar_store_verdict_clear(t.st, "SUB-0042", NULL), 1);
	r = decide(ARMOD_ACCEPT, "posture fresh");
	assert_false(r.verdict);
	/* A warning verdict quarantines a fresh posture. */
	v.status = AR_STATUS_WARNING;
	assert_int_equal(ar_store_verdict_put(t.st, "SUB-0042", &v, NULL), 0);
	decide(ARMOD_QUARANTINE, "posture warning (SOC: implant found)");
	assert_int_equal(ar_store_verdict_clear(t.st, "SUB-0042", NULL), 1);
}

static void test_extension_must_be_present_and_decode(void **state)
{
	unsigned char bad[600];

	(void)state;
	t.pol.pass_non_acme = 1;	/* never passes a certificate of our CA */
	t.cert.ext = NULL;
	decide(ARMOD_REJECT, "attestation extension missing");
	t.cert.ext = t.f.der;
	t.cert.ext_len = t.f.der_len - 1;
	decide(ARMOD_REJECT, "attestation extension invalid");
	memset(bad, 0x30, sizeof(bad));
	t.cert.ext = bad;
	t.cert.ext_len = sizeof(bad);	/* what FreeRADIUS would have truncated */
	decide(ARMOD_REJECT, "attestation extension invalid");
}

static void test_lifetime_and_validity_are_enforced(void **state)
{
	char until[16], since[16];

	(void)state;
	modfix_utc(t.now - 60 + 24 * HOUR + 1, until);
	t.cert.expiration = until;
	decide(ARMOD_REJECT, "lifetime 86401s above max_cert_lifetime 86400s");
	modfix_utc(t.now - 9 * HOUR, since);
	modfix_utc(t.now - HOUR, until);
	t.cert.valid_since = since;
	t.cert.expiration = until;
	decide(ARMOD_REJECT, "outside its validity");
	modfix_utc(t.now + 60, since);
	modfix_utc(t.now + HOUR, until);
	decide(ARMOD_REJECT, "outside its validity");
}

static void test_redis_unavailable_follows_the_configuration(void **state)
{
	armod_result_t r;

	(void)state;
	armod_check(&t.pol, &t.cert, NULL, t.now, &r, NULL);
	assert_int_equal(r.decision, ARMOD_ACCEPT);
	assert_true(r.degraded);
	assert_non_null(strstr(r.reason, "certificate only"));
	t.pol.fail_closed = 1;
	armod_check(&t.pol, &t.cert, NULL, t.now, &r, NULL);
	assert_int_equal(r.decision, ARMOD_REJECT);
	assert_non_null(strstr(r.reason, "fail_closed"));

	/* A live connection to a Redis that stops answering: the same, within the timeout. */
	t.pol.fail_closed = 0;
	assert_int_equal(lab_redis_kill(&t.redis), 0);
	armod_check(&t.pol, &t.cert, t.st, t.now, &r, NULL);
	assert_int_equal(r.decision, ARMOD_ACCEPT);
	assert_true(r.degraded && r.store_error);
	assert_int_equal(lab_redis_restart(&t.redis), 0);
	decide(ARMOD_ACCEPT, "posture fresh");
}

/*
 * FreeRADIUS exports no TLS-Client-Cert-Serial for a serial of 32 octets or
 * more: without it nothing can be looked up, and the certificate is never
 * "not ours" (passed on) either, whoever signed it.
 */
static void test_certificate_serial_of_32_octets_or_more_is_rejected_not_passed(void **state)
{
	armod_result_t r;

	(void)state;
	t.cert.serial = NULL;
	r = decide(ARMOD_REJECT, "client certificate serial not available: longer than RFC 5280's 20 octets");
	assert_false(r.degraded);
	t.pol.pass_non_acme = 1;
	t.cert.issuer = "/CN=someone else";
	t.cert.aki = "keyid:01:02";
	t.cert.ca_subject = "/CN=someone else";
	t.cert.ca_serial = "0a";
	decide(ARMOD_REJECT, "client certificate serial not available");
	/* An EAP-TLS handshake without any certificate attributes (TLS 1.3 resumption). */
	armod_no_certificate(&r);
	assert_int_equal(r.decision, ARMOD_REJECT);
	assert_string_equal(r.reason, ARMOD_NO_CERT_REASON);
	assert_int_equal(r.posture_age, -1);
}

/* The site about to accept without any client certificate (PEAP, PAP):
 * not an ACME-RATS certificate, per non_acme_rats, never accepted. */
static void test_peap_or_pap_accept_without_certificate_is_rejected_or_passed(void **state)
{
	armod_result_t r;

	(void)state;
	t.pol.pass_non_acme = 0;
	armod_no_client_certificate(&t.pol, "EAP-Type PEAP", &r);
	assert_int_equal(r.decision, ARMOD_REJECT);
	assert_int_equal(r.code, AR_RR_NOT_ACME_RATS);
	assert_string_equal(r.reason, "no client certificate (EAP-Type PEAP): this site admits ACME-RATS "
			    "EAP-TLS certificates only");
	t.pol.pass_non_acme = 1;
	armod_no_client_certificate(&t.pol, NULL, &r);
	assert_int_equal(r.decision, ARMOD_PASS);
	assert_non_null(strstr(r.reason, "no client certificate (no EAP)"));
	t.pol.pass_non_acme = 0;
}

/* HSET @key field value ... straight into Redis, as anyone with write access could. */
static void raw_hset(const char *key, const char *const *fv)
{
	const char *argv[20] = { "DEL", key };
	redisContext *c = redisConnect("127.0.0.1", t.redis.port);
	redisReply *r;
	int n = 2;

	assert_true(c && !c->err);
	r = redisCommandArgv(c, 2, argv, NULL);
	freeReplyObject(r);
	argv[0] = "HSET";
	while (*fv && n < 20)
		argv[n++] = *fv++;
	r = redisCommandArgv(c, n, argv, NULL);
	assert_true(r && r->type == REDIS_REPLY_INTEGER);
	freeReplyObject(r);
	redisFree(c);
}

/* A record that does not parse is refused, never taken for an outage (which degrades). */
static void refused_as_unreadable(const char *record)
{
	armod_result_t r;
	int fc;

	for (fc = 0; fc <= 1; fc++) {
		t.pol.fail_closed = fc;
		r = decide(ARMOD_REJECT, "posture store record unreadable: ");
		if (!strstr(r.reason, record))
			fail_msg("reason \"%s\" does not name the %s record", r.reason, record);
		assert_false(r.degraded);
		assert_true(r.store_error);
	}
	t.pol.fail_closed = 0;
}

static void test_unparsable_redis_record_is_refused_not_degraded(void **state)
{
	char now[24], reason[301], ckey[200];
	const char *vkey = "acmerats:{dev:SUB-0042}:verdict", *pkey = "acmerats:{dev:SUB-0042}:posture";

	(void)state;
	snprintf(now, sizeof(now), "%lld", (long long)t.now);
	memset(reason, 'x', 300);
	reason[300] = '\0';
	{	/* a contraindicated verdict whose reason is too long */
		const char *fv[] = { "status", "contraindicated", "reason", reason, "source", "soc",
				     "identity", "analyst", "set_at", now, NULL };
		raw_hset(vkey, fv);
		refused_as_unreadable("verdict");
	}
	{	/* no set_at */
		const char *fv[] = { "status", "contraindicated", "reason", "EDR alert", "source", "soc",
				     "identity", "analyst", NULL };
		raw_hset(vkey, fv);
		refused_as_unreadable("verdict");
	}
	{	/* a status spelt otherwise */
		const char *fv[] = { "status", "Contraindicated", "reason", "EDR alert", "source", "soc",
				     "identity", "analyst", "set_at", now, NULL };
		raw_hset(vkey, fv);
		refused_as_unreadable("verdict");
	}
	{	/* a verdict may only be warning or contraindicated */
		const char *fv[] = { "status", "affirming", "reason", "cleared", "source", "soc",
				     "identity", "analyst", "set_at", now, NULL };
		raw_hset(vkey, fv);
		refused_as_unreadable("verdict");
	}
	assert_int_equal(ar_store_verdict_clear(t.st, "SUB-0042", NULL), 1);
	decide(ARMOD_ACCEPT, "posture fresh");
	{	/* a posture with a bad integer */
		const char *fv[] = { "status", "affirming", "ear_iat", "12x", "updated_at", now, NULL };
		raw_hset(pkey, fv);
		refused_as_unreadable("posture");
	}
	assert_int_equal(modfix_records(&t.f, t.st), 0);
	{	/* a certificate record with a field of the wrong type (lib/store_cert.c: the
		 * device's hash `c`, field base64url(AKI) "." base64url(serial)) */
		char val[64];
		const char *fv[] = { "ABEiM0RVZneImaq7zN3u_wARIjM.WgscLT5PUGFyg5QKGyw9Tg", val, NULL };

		snprintf(val, sizeof(val), "%s valid true", now);
		snprintf(ckey, sizeof(ckey), "acmerats:{dev:SUB-0042}:c");
		raw_hset(ckey, fv);
		refused_as_unreadable("certificate");
	}
	assert_int_equal(modfix_records(&t.f, t.st), 0);
	{	/* the same in a record as the previous version wrote it */
		const char *fv[] = { "device", "SUB-0042", "order", "https://ca.example/o/1", "not_after",
				     now, "status", "valid", "renew_now", "true", NULL };
		const char *del[] = { "x", "x", NULL };

		raw_hset("acmerats:{dev:SUB-0042}:c", del);
		snprintf(ckey, sizeof(ckey), "acmerats:{dev:SUB-0042}:cert:%s:%s", AKI, SERIAL);
		raw_hset(ckey, fv);
		refused_as_unreadable("certificate");
	}
	assert_int_equal(modfix_records(&t.f, t.st), 0);
	decide(ARMOD_ACCEPT, "posture fresh");
}

/* Only an unreachable or silent Redis (ar_store_err_is_down()) may degrade. */
static void test_only_an_outage_degrades(void **state)
{
	ar_err_t err;

	(void)state;
	ar_err_set(&err, AR_ERR_UNAVAILABLE, "x");
	assert_true(ar_store_err_is_down(&err));
	ar_err_set(&err, AR_ERR_TIMEOUT, "x");
	assert_true(ar_store_err_is_down(&err));
	ar_err_set(&err, AR_ERR_MALFORMED, "x");
	assert_false(ar_store_err_is_down(&err));
	ar_err_set(&err, AR_ERR_IO, "x");
	assert_false(ar_store_err_is_down(&err));
	ar_err_set(&err, AR_ERR_UNAUTHORIZED, "x");
	assert_false(ar_store_err_is_down(&err));
}

static void test_attribute_parsers_reject_what_freeradius_never_prints(void **state)
{
	char out[AR_STORE_HEX_MAX + 1];
	int64_t when;
	ar_err_t err;

	(void)state;
	assert_int_equal(armod_parse_serial("0A", out, sizeof(out), NULL), 0);
	assert_string_equal(out, "0a");
	/* The DER content octets of a serial with the top bit set start with 00. */
	assert_int_equal(armod_parse_serial("8F01", out, sizeof(out), NULL), 0);
	assert_string_equal(out, "008f01");
	assert_int_equal(armod_parse_serial("0a1", out, sizeof(out), &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "bad length");
	assert_int_equal(armod_parse_serial("0x", out, sizeof(out), &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "not hex");
	assert_int_equal(armod_parse_serial(NULL, out, sizeof(out), &err), -1);

	assert_int_equal(armod_parse_aki("keyid:AB:cd", out, sizeof(out), NULL), 0);
	assert_string_equal(out, "abcd");
	assert_int_equal(armod_parse_aki("AB:CD\nDirName:/CN=x\nserial:01", out, sizeof(out), NULL), 0);
	assert_string_equal(out, "abcd");
	assert_int_equal(armod_parse_aki("AB:CD:", out, sizeof(out), &err), -1);
	assert_int_equal(armod_parse_aki("ABC", out, sizeof(out), &err), -1);
	assert_int_equal(armod_parse_aki("keyid:", out, sizeof(out), &err), -1);
	assert_int_equal(armod_parse_aki("AB CD", out, sizeof(out), &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "trailing text");

	assert_int_equal(armod_parse_time("261123080000Z", &when, NULL), 0);
	assert_int_equal(when, 1795420800);
	assert_int_equal(armod_parse_time("20261123080000Z", &when, NULL), 0);
	assert_int_equal(when, 1795420800);
	assert_int_equal(armod_parse_time("261323080000Z", &when, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "not a valid UTC time");
	assert_int_equal(armod_parse_time("2611230800Z", &when, &err), -1);
	assert_int_equal(armod_parse_time(NULL, &when, &err), -1);
}

/* The serial FreeRADIUS prints finds the record the CA wrote (ar_cert_ids), top bit or not. */
static void test_freeradius_serial_matches_the_store_key(void **state)
{
	static const char *const printed[] = { "5a0b1c", "8f0102" };	/* "%02x" of the magnitude */
	char ids[AR_STORE_HEX_MAX + 1], mod[AR_STORE_HEX_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		X509 *x = X509_new();
		BIGNUM *bn = NULL;

		assert_true(BN_hex2bn(&bn, printed[i]) > 0);
		assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
		assert_int_equal(ar_cert_ids(x, NULL, 0, ids, sizeof(ids), NULL), 0);
		assert_int_equal(armod_parse_serial(printed[i], mod, sizeof(mod), NULL), 0);
		assert_string_equal(mod, ids);
		BN_free(bn);
		X509_free(x);
	}
}

static void test_class_round_trips_and_ignores_other_writers(void **state)
{
	char cls[ARMOD_CLASS_MAX + 1], dev[AR_STORE_DEVICE_MAX + 1], ser[AR_STORE_HEX_MAX + 1];
	char big[300];
	int n;

	(void)state;
	n = armod_class_encode("SUB-0042", SERIAL, cls, sizeof(cls));
	assert_int_equal(n, (int)strlen("acme-rats:SUB-0042:" SERIAL));
	assert_int_equal(armod_class_decode((unsigned char *)cls, (size_t)n, dev, sizeof(dev), ser,
					    sizeof(ser)), 1);
	assert_string_equal(dev, "SUB-0042");
	assert_string_equal(ser, SERIAL);
	/* Device ids may contain colons: the serial is after the last one. */
	n = armod_class_encode("urn:dev:7", "0a", cls, sizeof(cls));
	assert_int_equal(armod_class_decode((unsigned char *)cls, (size_t)n, dev, sizeof(dev), ser,
					    sizeof(ser)), 1);
	assert_string_equal(dev, "urn:dev:7");
	assert_int_equal(armod_class_decode((const unsigned char *)"CLASS-1", 7, dev, sizeof(dev), ser,
					    sizeof(ser)), 0);
	assert_int_equal(armod_class_decode((const unsigned char *)"acme-rats:SUB", 13, dev,
					    sizeof(dev), ser, sizeof(ser)), -1);
	assert_int_equal(armod_class_decode((const unsigned char *)"acme-rats:SUB:zz", 16, dev,
					    sizeof(dev), ser, sizeof(ser)), -1);
	assert_int_equal(armod_class_decode((const unsigned char *)"acme-rats:S{B:0a", 16, dev,
					    sizeof(dev), ser, sizeof(ser)), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(armod_class_encode(big, "0a", cls, sizeof(cls)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fresh_affirming_posture_is_accepted, setup),
		cmocka_unit_test_setup(test_stale_or_warning_posture_is_quarantined, setup),
		cmocka_unit_test_setup(test_posture_beyond_grace_contraindicated_or_none_is_rejected, setup),
		cmocka_unit_test_setup(test_certificate_record_must_be_valid_and_the_devices, setup),
		cmocka_unit_test_setup(test_issuer_must_match_by_key_id_and_name, setup),
		cmocka_unit_test_setup(test_leaf_forged_under_another_ca_with_copied_issuer_fields_refused,
				       setup),
		cmocka_unit_test_setup(test_soc_verdict_without_posture_record_is_rejected, setup),
		cmocka_unit_test_setup(test_extension_must_be_present_and_decode, setup),
		cmocka_unit_test_setup(test_lifetime_and_validity_are_enforced, setup),
		cmocka_unit_test_setup(test_redis_unavailable_follows_the_configuration, setup),
		cmocka_unit_test_setup(test_certificate_serial_of_32_octets_or_more_is_rejected_not_passed,
				       setup),
		cmocka_unit_test_setup(test_peap_or_pap_accept_without_certificate_is_rejected_or_passed, setup),
		cmocka_unit_test_setup(test_unparsable_redis_record_is_refused_not_degraded, setup),
		cmocka_unit_test(test_only_an_outage_degrades),
		cmocka_unit_test(test_attribute_parsers_reject_what_freeradius_never_prints),
		cmocka_unit_test(test_freeradius_serial_matches_the_store_key),
		cmocka_unit_test(test_class_round_trips_and_ignores_other_writers),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
