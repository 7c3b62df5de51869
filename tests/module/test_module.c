/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eapol_test scenario matrix of rlm_acme_rats: real redis-server, real
 * acme-rats-ca issuing the device certificates through remote-attest-01,
 * real `freeradius -X` with the module and the shipped raddb files, real
 * eapol_test as the supplicant and NAS. Each scenario asserts the
 * RADIUS outcome, the reply attributes and the module's log line.
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "testutil.h"
#include "check.h"
#include "hex.h"
#include "radius_metrics.h"
#include "radtest.h"
#include "store.h"
#include "x509.h"

#define HOUR	3600

static struct {
	enroll_env_t	e;
	rad_proc_t	rad;
	char		other[300];	/* another enterprise CA */
	char		trust_extra[340];
	char		path[16][300];
	char		serial[16][80];
	char		aki[80];	/* of the CA's certificates */
	char		out[1 << 16];
} t;

/* Certificates of the matrix, by index into t.path / t.serial. */
enum { FRESH, REVOKED, SUPERSEDED, RENEWED, LONG_LIVED, GARBLED, NO_EXT, OTHER_CA, EXPIRED, FORGED,
       FORGED_DEEP, SERIAL33_OTHER, SERIAL60_OTHER, SERIAL33_OURS, SERIAL60_OURS, NCERTS };

static const char *names[NCERTS] = { "fresh", "revoked", "superseded", "renewed", "long", "garbled",
				     "noext", "other", "expired", "forged", "forged-deep",
				     "serial33-other", "serial60-other", "serial33-ours", "serial60-ours" };

/* tests/fixtures/mklongserial: SUB-0042's certificate again, with a serial of @nbytes, signed by
 * the CA of @ca_dir (issuer.crt, issuer.key). */
static int long_serial(int cert, const char *ca_dir, int nbytes)
{
	char script[400], out[300], crt[340], key[340], n[8];
	char *argv[] = { script, out, crt, key, t.path[FRESH], n, NULL };
	size_t len = strlen(t.path[cert]);

	snprintf(script, sizeof(script), "%s/tests/fixtures/mklongserial", catest_top("AR_TOP_SRCDIR"));
	snprintf(out, sizeof(out), "%.*s", (int)(len - 4), t.path[cert]);	/* without .pem */
	snprintf(crt, sizeof(crt), "%s/issuer.crt", ca_dir);
	snprintf(key, sizeof(key), "%s/issuer.key", ca_dir);
	snprintf(n, sizeof(n), "%d", nbytes);
	return catest_run(argv) == 0 ? 0 : -1;
}

/* tests/fixtures/mkforgery: @mode "" or "deep"; the chain file to @out. */
static int forge(const char *sub, const char *mode, char *out, size_t size)
{
	char script[400], dir[340], issuer[340];
	char *argv[] = { script, dir, issuer, t.path[FRESH], t.other, (char *)mode, NULL };

	snprintf(script, sizeof(script), "%s/tests/fixtures/mkforgery", catest_top("AR_TOP_SRCDIR"));
	snprintf(dir, sizeof(dir), "%s/%s", t.e.dir, sub);
	snprintf(issuer, sizeof(issuer), "%s/issuer.crt", t.e.ca.dir);
	if (!mode[0])
		argv[5] = NULL;
	if ((size_t)snprintf(out, size, "%.*s/forged.pem", (int)(size > 20 ? size - 20 : 0), dir) >= size)
		return -1;
	return catest_run(argv) == 0 ? 0 : -1;
}

static int start_radius_as(const char *s1, const char *s2, int quiet)
{
	static char trust[400];
	const char *settings[4] = { trust, s1, s2, NULL };

	snprintf(trust, sizeof(trust), "MKRADDB_TRUST_EXTRA=%s", t.trust_extra);
	rad_stop(&t.rad);
	return rad_start(&t.rad, &t.e, settings, NULL, quiet);
}

static int start_radius(const char *s1, const char *s2)
{
	return start_radius_as(s1, s2, 0);
}

static int enroll_all(void)
{
	ar_certext_t ext;
	X509 *x, *old;
	char certid[200];
	int64_t now = time(NULL);
	int i, rc = 0;

	for (i = 0; i < NCERTS; i++)
		snprintf(t.path[i], sizeof(t.path[i]), "%s/%s.pem", t.e.dir, names[i]);
	/* Issued by the CA. */
	if (!(x = enroll_cert(&t.e, "SUB-0042", now, NULL, t.path[REVOKED])))
		return -1;
	cert_serial_hex(x, t.serial[REVOKED], sizeof(t.serial[REVOKED]));
	rc |= enroll_revoke(&t.e, x);
	X509_free(x);
	if (!(old = enroll_cert(&t.e, "SUB-0042", now, NULL, t.path[SUPERSEDED])))
		return -1;
	cert_serial_hex(old, t.serial[SUPERSEDED], sizeof(t.serial[SUPERSEDED]));
	rc |= ar_cert_ari_id(old, certid, sizeof(certid), NULL);
	X509_free(old);
	x = enroll_cert(&t.e, "SUB-0042", now, certid, t.path[RENEWED]);	/* supersedes it */
	if (!x)
		return -1;
	X509_free(x);
	if (!(x = enroll_cert(&t.e, "SUB-0042", now, NULL, t.path[FRESH])))
		return -1;
	cert_serial_hex(x, t.serial[FRESH], sizeof(t.serial[FRESH]));
	rc |= ar_cert_ids(x, t.aki, sizeof(t.aki), NULL, 0, NULL);
	rc |= ar_certext_from_cert(x, &ext, NULL) == 1 ? 0 : -1;
	X509_free(x);

	/* Minted with the CA's issuer key: what the CA refuses to issue. */
	{
		static const unsigned char garbage[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
		mint_spec_t lng = { now - 60, 30 * HOUR, &ext, NULL, 0, NULL };
		mint_spec_t garbled = { now - 60, 8 * HOUR, NULL, garbage, sizeof(garbage), NULL };
		mint_spec_t noext = { now - 60, 8 * HOUR, NULL, NULL, 0, NULL };
		mint_spec_t other = { now - 60, 8 * HOUR, NULL, NULL, 0, t.other };
		mint_spec_t expired = { now - 10 * HOUR, 8 * HOUR, &ext, NULL, 0, NULL };

		rc |= mint_cert(&t.e, &lng, t.path[LONG_LIVED]);
		rc |= mint_cert(&t.e, &garbled, t.path[GARBLED]);
		rc |= mint_cert(&t.e, &noext, t.path[NO_EXT]);
		rc |= mint_other_ca(t.other);
		rc |= mint_cert(&t.e, &other, t.path[OTHER_CA]);
		rc |= mint_cert(&t.e, &expired, t.path[EXPIRED]);
	}
	/* Under the other CA, with SUB-0042's serial and extension copied. */
	rc |= forge("forgery", "", t.path[FORGED], sizeof(t.path[FORGED]));
	rc |= forge("forgery-deep", "deep", t.path[FORGED_DEEP], sizeof(t.path[FORGED_DEEP]));
	snprintf(t.serial[FORGED], sizeof(t.serial[FORGED]), "%s", t.serial[FRESH]);
	/* Serials FreeRADIUS does not export (32 octets or more), from either CA. */
	rc |= long_serial(SERIAL33_OTHER, t.other, 33);
	rc |= long_serial(SERIAL60_OTHER, t.other, 60);
	rc |= long_serial(SERIAL33_OURS, t.e.ca.dir, 33);
	rc |= long_serial(SERIAL60_OURS, t.e.ca.dir, 60);
	return rc ? -1 : 0;
}

static int group_setup(void **state)
{
	(void)state;
	if (enroll_setup(&t.e) < 0)
		return -1;
	snprintf(t.other, sizeof(t.other), "%s/other", t.e.dir);
	snprintf(t.trust_extra, sizeof(t.trust_extra), "%s/issuer.crt", t.other);
	if (mkdir(t.other, 0700) < 0 || enroll_all() < 0)
		return -1;
	return start_radius(NULL, NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	rad_stop(&t.rad);
	enroll_teardown(&t.e);
	return 0;
}

static void expect_reply_message(const char *prefix, const char *reason);

/*
 * No ERROR line in @log but FreeRADIUS's own EAP ones (on every reject:
 * "eap: ERROR: Failed continuing EAP TLS (13) session.  EAP sub-module
 * failed"): none from the module or the shipped unlang.
 */
static void expect_no_error_but_eaps(const char *log)
{
	const char *line, *next;

	for (line = log; line && *line; line = next) {
		size_t len = strcspn(line, "\n");

		next = line[len] ? line + len + 1 : NULL;
		if (!memmem(line, len, "ERROR", 5))
			continue;
		if (memmem(line, len, "eap: ERROR: ", 12) || memmem(line, len, "eap_tls: ERROR: ", 16))
			continue;
		fail_msg("an ERROR line not from FreeRADIUS's EAP: %.*s", (int)len, line);
	}
}

/*
 * The one decision line the authentication logged; fails unless it has
 * @outcome and @reason, and, for a certificate of the CA (@cert >= 0 with a
 * known serial), names the device and that serial. A reject is decided in
 * check-eap-tls (the handshake fails) and its reason reaches the
 * Access-Reject's Reply-Message; anything else is applied in post-auth.
 */
static void expect_decision(int cert, const char *outcome, const char *reason)
{
	const char *serial = cert >= 0 ? t.serial[cert] : "";
	const char *stage = strcmp(outcome, "reject") ? "stage=post-auth" : "stage=check-eap-tls";
	char needle[200];
	char *log = rad_log_since(&t.rad, "acme_rats: decision", 3000), *line, *next;
	int n = 0;

	snprintf(needle, sizeof(needle), "acme_rats: decision device=SUB-0042 serial=%s outcome=%s ",
		 serial, outcome);
	for (line = strstr(log, "acme_rats: decision"); line; line = next) {
		size_t len;

		next = strstr(line + 1, "acme_rats: decision");
		len = strcspn(line, "\n");
		n++;
		if (serial[0] && strncmp(line, needle, strlen(needle)))
			fail_msg("decision line \"%.300s\" lacks \"%s\"", line, needle);
		if (!strstr(line, "latency_us=") || !strstr(line, "posture_age="))
			fail_msg("decision line without latency or posture age: %.300s", line);
		if (reason && !strstr(line, reason))
			fail_msg("decision line \"%.300s\" lacks reason \"%s\"", line, reason);
		if (!strstr(line, outcome))
			fail_msg("decision line \"%.300s\" is not %s", line, outcome);
		if (!memmem(line, len, stage, strlen(stage)))
			fail_msg("decision line \"%.*s\" is not at %s", (int)len, line, stage);
	}
	if (n != 1)
		fail_msg("%d decision lines, want 1:\n%s", n, log);
	if (strstr(log, "Failed retrieving values"))
		fail_msg("an unlang condition failed:\n%s", log);
	expect_no_error_but_eaps(log);
	free(log);
	if (!strcmp(outcome, "reject"))
		expect_reply_message("Access denied: ", reason);
}

static void authenticate(int cert, int want_accept)
{
	char sess[64];
	int rc;

	free(rad_log_since(&t.rad, NULL, 0));	/* only this authentication's lines from here */
	snprintf(sess, sizeof(sess), "sess-%s-%lld", names[cert], (long long)lab_now_ms());
	rc = rad_eap(&t.rad, &t.e, t.path[cert], sess, NULL, t.out, sizeof(t.out));
	if ((want_accept && rc != 0) || (!want_accept && (rc == 0 || !strstr(t.out, "Access-Reject")))) {
		char *log = rad_log_since(&t.rad, NULL, 0);
		size_t n = strlen(log);

		fail_msg("%s: eapol_test exit %d, want Access-%s; server log:\n%s", names[cert], rc,
			 want_accept ? "Accept" : "Reject", n > 6000 ? log + n - 6000 : log);
	}
	/* Every reject ends the EAP conversation in EAP-Failure, never EAP-Success. */
	if (!want_accept && (!strstr(t.out, "EAP: Received EAP-Failure") ||
			     strstr(t.out, "EAP: Received EAP-Success")))
		fail_msg("%s: Access-Reject without EAP-Failure:\n%.3000s", names[cert],
			 strstr(t.out, "Received RADIUS message") ? strstr(t.out, "Received RADIUS message") : t.out);
}

/*
 * eapol_test prints each attribute of the RADIUS messages it receives as
 * "Attribute N (Name) length=L" and "Value: " + 'text' or hex. Fails unless
 * the last message has attribute @name whose value starts with @hex (lower
 * case) or, when @text is set, with @text (printed either way).
 */
static void expect_reply_hex(const char *name, const char *hex, const char *text)
{
	const char *p = NULL, *q, *v;
	char want[128];

	for (q = strstr(t.out, "Received RADIUS message"); q; q = strstr(q + 1, "Received RADIUS message"))
		p = q;
	assert_non_null(p);
	snprintf(want, sizeof(want), "(%s) length=", name);
	for (q = strstr(p, want); q; q = strstr(q + 1, want)) {
		v = strstr(q, "Value: ");
		if (v && (!strncmp(v + 7, hex, strlen(hex)) ||
			  (text && v[7] == '\'' && !strncmp(v + 8, text, strlen(text)))))
			return;
	}
	fail_msg("reply lacks %s = %s:\n%.2500s", name, text ? text : hex, p);
}

/* The last message's Reply-Message starts with @prefix and holds @reason. */
static void expect_reply_message(const char *prefix, const char *reason)
{
	const char *p = NULL, *q, *v;

	for (q = strstr(t.out, "Received RADIUS message"); q; q = strstr(q + 1, "Received RADIUS message"))
		p = q;
	assert_non_null(p);
	q = strstr(p, "(Reply-Message) length=");
	v = q ? strstr(q, "Value: '") : NULL;
	if (!v || strncmp(v + 8, prefix, strlen(prefix)) ||
	    (reason && !memmem(v, strcspn(v, "\n"), reason, strlen(reason))))
		fail_msg("reply lacks Reply-Message \"%s...%s\":\n%.2500s", prefix, reason ? reason : "", p);
}

static void expect_reply(const char *name, const char *text)
{
	char hex[300];
	size_t n = strlen(text);

	if (n > sizeof(hex) / 2 - 1)
		n = sizeof(hex) / 2 - 1;
	assert_int_equal(ar_hex_encode(text, n, hex, sizeof(hex), NULL), 0);
	expect_reply_hex(name, hex, text);
}

static void set_posture(ar_status_t status, int64_t age)
{
	ar_store_posture_t p;

	assert_int_equal(ar_store_posture_get(t.e.st, "SUB-0042", &p, NULL), 1);
	p.status = status;
	p.ear_iat = time(NULL) - age;
	p.updated_at = 0;
	assert_int_equal(ar_store_posture_put(t.e.st, "SUB-0042", &p, NULL), 0);
}

static void test_fresh_attested_certificate_is_accepted_and_its_session_recorded(void **state)
{
	ar_err_t err;
	ar_store_session_t *ss = NULL;
	size_t n = 0, i;
	int found = 0;

	(void)state;
	set_posture(AR_STATUS_AFFIRMING, 60);
	authenticate(FRESH, 1);
	expect_decision(FRESH, "accept", "posture fresh");
	assert_null(strstr(t.out, "Tunnel-Private-Group"));
	if (ar_store_session_list(t.e.st, "SUB-0042", &ss, &n, &err) < 0)
		fail_msg("session list: %s", err.msg);
	for (i = 0; i < n; i++)
		if (!strcmp(ss[i].nas_id, "ap-substation-7") && !strcmp(ss[i].serial, t.serial[FRESH]) &&
		    !strncmp(ss[i].acct_session_id, "sess-fresh-", 11))
			found = 1;
	free(ss);
	assert_true(found);
}

static void test_posture_in_grace_is_quarantined_with_vlan_attributes(void **state)
{
	ar_store_event_t ev[4];

	(void)state;
	set_posture(AR_STATUS_AFFIRMING, 8 * HOUR);
	authenticate(FRESH, 1);
	expect_decision(FRESH, "quarantine", "above fresh 21600s");
	expect_reply("Tunnel-Private-Group-Id", "999");
	expect_reply_hex("Tunnel-Type", "0000000d", NULL);		/* VLAN (13) */
	expect_reply_hex("Tunnel-Medium-Type", "00000006", NULL);	/* IEEE-802 (6) */
	expect_reply("Reply-Message", "Device posture needs re-attestation");
	assert_true(ar_store_event_recent(t.e.st, ev, 4, NULL) >= 1);
	assert_string_equal(ev[0].type, "reattest");
	assert_string_equal(ev[0].device, "SUB-0042");
	assert_string_equal(ev[0].serial, t.serial[FRESH]);

	/* A SOC "warning" quarantines a fresh posture too. */
	set_posture(AR_STATUS_WARNING, 60);
	authenticate(FRESH, 1);
	expect_decision(FRESH, "quarantine", "posture warning");
	expect_reply("Tunnel-Private-Group-Id", "999");
}

static void test_posture_beyond_grace_is_rejected(void **state)
{
	(void)state;
	set_posture(AR_STATUS_AFFIRMING, 13 * HOUR);
	authenticate(FRESH, 0);
	expect_decision(FRESH, "reject", "above grace 43200s");
	expect_reply("Reply-Message", "Access denied: posture age");
	set_posture(AR_STATUS_AFFIRMING, 60);
}

static void test_soc_contraindicated_is_rejected(void **state)
{
	(void)state;
	set_posture(AR_STATUS_CONTRAINDICATED, 60);
	authenticate(FRESH, 0);
	expect_decision(FRESH, "reject", "posture contraindicated");
	expect_reply("Reply-Message", "Access denied: posture contraindicated");
	set_posture(AR_STATUS_AFFIRMING, 60);
}

static void test_other_ca_without_attestation_is_rejected_or_passed(void **state)
{
	(void)state;
	authenticate(OTHER_CA, 0);
	expect_decision(-1, "reject", "issuer is not an ACME-RATS CA");

	assert_int_equal(start_radius("MKRADDB_NON_ACME=pass", NULL), 0);
	authenticate(OTHER_CA, 1);
	expect_decision(-1, "pass", "issuer is not an ACME-RATS CA");
	/* Our own CA's certificate without extension is never passed. */
	authenticate(NO_EXT, 0);
	expect_decision(-1, "reject", "attestation extension missing");
	assert_int_equal(start_radius(NULL, NULL), 0);
}

static void test_lifetime_above_cap_is_rejected(void **state)
{
	(void)state;
	authenticate(LONG_LIVED, 0);
	expect_decision(-1, "reject", "lifetime 108000s above max_cert_lifetime 86400s");
	expect_reply("Reply-Message", "Access denied: lifetime 108000s");
}

static void test_missing_or_garbled_extension_is_rejected(void **state)
{
	(void)state;
	authenticate(NO_EXT, 0);
	expect_decision(-1, "reject", "attestation extension missing");
	authenticate(GARBLED, 0);
	expect_decision(-1, "reject", "attestation extension invalid");
	expect_reply("Reply-Message", "Access denied: attestation extension invalid");
}

static int has_session(const char *acct_session);

static void test_redis_stopped_degrades_per_configuration(void **state)
{
	char *log, sess[64];
	int i;

	(void)state;
	set_posture(AR_STATUS_AFFIRMING, 60);
	assert_int_equal(lab_redis_kill(&t.e.redis), 0);
	/* certificate_only (the default): decided from the extension, loudly. */
	free(rad_log_since(&t.rad, NULL, 0));
	snprintf(sess, sizeof(sess), "sess-degraded-%lld", (long long)lab_now_ms());
	assert_int_equal(rad_eap(&t.rad, &t.e, t.path[FRESH], sess, NULL, t.out, sizeof(t.out)), 0);
	log = rad_log_since(&t.rad, "degraded decisions=", 3000);
	if (!strstr(log, "outcome=accept") || !strstr(log, "degraded=yes") ||
	    !strstr(log, "certificate only") || !strstr(log, "degraded decisions=1 "))
		fail_msg("no degraded accept:\n%s", log);
	free(log);
	/* Its session record is written once Redis is back. */
	assert_int_equal(lab_redis_restart(&t.e.redis), 0);
	for (i = 0; i < 100 && !has_session(sess); i++)
		lab_sleep_ms(50);
	assert_true(has_session(sess));

	assert_int_equal(start_radius("MKRADDB_REDIS_UNAVAILABLE=fail_closed", NULL), 0);
	assert_int_equal(lab_redis_kill(&t.e.redis), 0);
	authenticate(FRESH, 0);
	expect_decision(FRESH, "reject", "posture store unavailable (fail_closed)");
	expect_reply("Reply-Message", "Access denied: posture store unavailable");

	assert_int_equal(lab_redis_restart(&t.e.redis), 0);
	authenticate(FRESH, 1);
	expect_decision(FRESH, "accept", "posture fresh");
	assert_int_equal(start_radius(NULL, NULL), 0);
}

static void test_expired_certificate_is_rejected_by_eap_tls(void **state)
{
	char *log;

	(void)state;
	authenticate(EXPIRED, 0);
	log = rad_log_since(&t.rad, "expired", 3000);
	if (!strstr(log, "certificate has expired"))
		fail_msg("no expiry in the log:\n%s", log);
	if (strstr(log, "acme_rats: decision"))
		fail_msg("the module decided on an expired certificate:\n%s", log);
	free(log);
}

static void test_revoked_and_superseded_serials_are_rejected(void **state)
{
	(void)state;
	authenticate(REVOKED, 0);
	expect_decision(REVOKED, "reject", "certificate revoked");
	authenticate(SUPERSEDED, 0);
	expect_decision(SUPERSEDED, "reject", "certificate superseded");
}

/*
 * The RSA sub-CA forgery: another CA of the EAP trust store signs a CA that
 * copies the ACME-RATS issuing CA's name and key identifier; under it, a
 * leaf with the attacker's key and SUB-0042's serial and attestation
 * extension. EAP-TLS verifies the chain (through the other CA); the module
 * sees that its depth-1 certificate is not the issuing CA and rejects it in
 * the handshake, also where other CAs' certificates are passed on.
 */
static void test_rsa_sub_ca_copying_issuer_name_and_ski_is_refused(void **state)
{
	char *log;

	(void)state;
	set_posture(AR_STATUS_AFFIRMING, 60);
	authenticate(FORGED, 0);
	expect_decision(-1, "reject", "issuer not verified: the chain's issuing CA (serial 7a7a7a");

	assert_int_equal(start_radius("MKRADDB_NON_ACME=pass", NULL), 0);
	authenticate(FORGED, 0);
	expect_decision(-1, "reject", "issuer not verified: the chain's issuing CA (serial 7a7a7a");
	/* The same CA copied one level deeper (its issuer name and serial too):
	 * the chain is longer than verify_depth = 1 allows, EAP-TLS refuses it. */
	authenticate(FORGED_DEEP, 0);
	log = rad_log_since(&t.rad, "OpenSSL says error", 3000);
	if (!strstr(log, "certificate chain too long") || strstr(log, "acme_rats: decision"))
		fail_msg("the deeper forgery was not refused by the chain length:\n%s", log);
	free(log);
	assert_int_equal(start_radius(NULL, NULL), 0);
}

/* The SOC's verdict outlives the posture record: no fallback to the extension. */
static void test_soc_verdict_without_posture_record_is_rejected(void **state)
{
	ar_store_verdict_t v = { .status = AR_STATUS_CONTRAINDICATED };
	ar_store_posture_t keep;

	(void)state;
	set_posture(AR_STATUS_AFFIRMING, 60);
	assert_int_equal(ar_store_posture_get(t.e.st, "SUB-0042", &keep, NULL), 1);
	snprintf(v.reason, sizeof(v.reason), "implant found");
	snprintf(v.source, sizeof(v.source), "soc-api");
	assert_int_equal(ar_store_verdict_put(t.e.st, "SUB-0042", &v, NULL), 0);
	assert_int_equal(ar_store_del(t.e.st, "{dev:SUB-0042}:posture", NULL), 1);
	authenticate(FRESH, 0);
	expect_decision(FRESH, "reject", "posture contraindicated (SOC: implant found)");
	assert_int_equal(ar_store_verdict_clear(t.e.st, "SUB-0042", NULL), 1);
	/* Without a verdict a missing record falls back to the extension (docs/module.md). */
	authenticate(FRESH, 1);
	expect_decision(FRESH, "accept", "posture fresh");
	keep.updated_at = 0;
	assert_int_equal(ar_store_posture_put(t.e.st, "SUB-0042", &keep, NULL), 0);
}

static void flag_device(void *arg)
{
	(void)arg;
	set_posture(AR_STATUS_CONTRAINDICATED, 60);
}

static void nothing(void *arg)
{
	(void)arg;
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/*
 * A device authenticates, then re-authenticates (eapol_test -r1): with the
 * TLS session cache on the second handshake is a resumption, decided from
 * the certificate attributes the cache holds; with it off, a full one.
 * Healthy: both accepted. Flagged in between: the second is rejected in the
 * handshake, resumed or not.
 */
static void reauthenticate(int cache, int flag)
{
	char sess[64], *log;
	int rc;

	assert_int_equal(start_radius(cache ? "MKRADDB_TLS_CACHE=yes" : NULL, NULL), 0);
	set_posture(AR_STATUS_AFFIRMING, 60);
	free(rad_log_since(&t.rad, NULL, 0));
	snprintf(sess, sizeof(sess), "sess-reauth-%d-%d-%lld", cache, flag, (long long)lab_now_ms());
	rc = rad_eap_between(&t.rad, &t.e, t.path[FRESH], sess, flag ? flag_device : nothing, NULL, t.out,
			     sizeof(t.out));
	lab_sleep_ms(200);
	log = rad_log_since(&t.rad, NULL, 0);
	if (count(log, "acme_rats: decision") != 2 || count(log, "Validating certificate") != 2 ||
	    count(log, "outcome=accept reason=\"posture fresh\"") != 1 + !flag ||
	    (cache != (strstr(log, "Successfully restored session") != NULL)) ||
	    (flag && (rc == 0 || !strstr(log, "outcome=reject reason=\"posture contraindicated\"") ||
		      !strstr(log, "stage=check-eap-tls") || count(t.out, "EAP: Received EAP-Failure") != 1)) ||
	    (!flag && rc != 0) || strstr(log, "Failed retrieving values"))
		fail_msg("cache=%d flagged=%d: eapol_test exit %d; server log:\n%s", cache, flag, rc, log);
	free(log);
	set_posture(AR_STATUS_AFFIRMING, 60);
}

static void test_resumed_session_with_cache_is_decided_from_cached_attributes(void **state)
{
	(void)state;
	reauthenticate(1, 0);
}

static void test_flagged_device_cannot_resume_its_way_in(void **state)
{
	(void)state;
	reauthenticate(1, 1);
}

static void test_reauthentication_without_cache_is_decided_again(void **state)
{
	(void)state;
	reauthenticate(0, 0);
	reauthenticate(0, 1);
	assert_int_equal(start_radius(NULL, NULL), 0);
}

/*
 * TLS 1.3 with the session cache on: FreeRADIUS 3.2.1 restores the cached
 * certificate attributes into the reply of an earlier round than the one
 * running check-eap-tls, which then sees no client certificate at all. A
 * device flagged (contraindicated, its certificate revoked) after its full
 * handshake resumes: it is rejected in the handshake, never accepted, and
 * so is a healthy one (undecidable: fail closed). With the cache off,
 * TLS 1.3 re-authentications are full handshakes, decided as usual.
 */
static void flag_and_revoke(void *arg)
{
	(void)arg;
	set_posture(AR_STATUS_CONTRAINDICATED, 60);
	assert_int_equal(ar_store_cert_mark(t.e.st, "SUB-0042", t.aki, t.serial[FRESH], AR_CERT_REVOKED, -1,
					    NULL), 1);
}

static void resume_tls13(int flag)
{
	char sess[64], *log;
	int rc;

	assert_int_equal(start_radius("MKRADDB_TLS_CACHE=yes", "MKRADDB_TLS_MAX=1.3"), 0);
	t.rad.tls13 = 1;
	set_posture(AR_STATUS_AFFIRMING, 60);
	free(rad_log_since(&t.rad, NULL, 0));
	snprintf(sess, sizeof(sess), "sess-tls13-%d-%lld", flag, (long long)lab_now_ms());
	rc = rad_eap_between(&t.rad, &t.e, t.path[FRESH], sess, flag ? flag_and_revoke : nothing, NULL,
			     t.out, sizeof(t.out));
	lab_sleep_ms(200);
	log = rad_log_since(&t.rad, NULL, 0);
	if (rc == 0 || count(log, "Sent Access-Accept") != 1 || !strstr(log, "TLS 1.3") ||
	    !strstr(log, "Successfully restored session") ||
	    count(log, "outcome=accept reason=\"posture fresh\"") != 1 ||
	    count(log, "acme_rats: decision") != 2 ||
	    !strstr(log, "outcome=reject reason=\"" ARMOD_NO_CERT_REASON "\"") ||
	    count(t.out, "EAP: Received EAP-Failure") != 1 || !strstr(t.out, "Access-Reject"))
		fail_msg("TLS 1.3 resumption, flagged=%d: eapol_test exit %d; server log:\n%s", flag, rc,
			 log);
	expect_no_error_but_eaps(log);
	free(log);
	expect_reply_message("Access denied: ", ARMOD_NO_CERT_REASON);
	if (flag) {
		set_posture(AR_STATUS_AFFIRMING, 60);
		assert_int_equal(ar_store_cert_mark(t.e.st, "SUB-0042", t.aki, t.serial[FRESH], AR_CERT_VALID,
						    -1, NULL), 1);
	}
}

static void test_flagged_device_cannot_resume_a_tls13_session_its_way_in(void **state)
{
	(void)state;
	resume_tls13(1);
}

static void test_tls13_resumption_without_certificate_attributes_fails_closed(void **state)
{
	char sess[64], *log;
	int rc;

	(void)state;
	resume_tls13(0);
	/* Cache off: TLS 1.3 re-authentication is a full handshake, accepted. */
	assert_int_equal(start_radius("MKRADDB_TLS_MAX=1.3", NULL), 0);
	t.rad.tls13 = 1;
	free(rad_log_since(&t.rad, NULL, 0));
	snprintf(sess, sizeof(sess), "sess-tls13-nocache-%lld", (long long)lab_now_ms());
	rc = rad_eap_between(&t.rad, &t.e, t.path[FRESH], sess, nothing, NULL, t.out, sizeof(t.out));
	lab_sleep_ms(200);
	log = rad_log_since(&t.rad, NULL, 0);
	if (rc != 0 || count(log, "outcome=accept reason=\"posture fresh\"") != 2 || !strstr(log, "TLS 1.3"))
		fail_msg("TLS 1.3 without cache: eapol_test exit %d; server log:\n%s", rc, log);
	free(log);
	assert_int_equal(start_radius(NULL, NULL), 0);
}

/*
 * FreeRADIUS exports no TLS-Client-Cert-Serial for a serial of 32 octets
 * or more (RFC 5280 allows 20). Such a certificate, from another CA of the
 * trust store or from the ACME-RATS issuing CA itself, is rejected in the
 * handshake - also where other CAs' certificates are passed on.
 */
static void test_serial_of_33_or_60_octets_is_rejected_from_any_ca(void **state)
{
	static const int certs[] = { SERIAL33_OTHER, SERIAL60_OTHER, SERIAL33_OURS, SERIAL60_OURS };
	size_t i;

	(void)state;
	set_posture(AR_STATUS_AFFIRMING, 60);
	for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		authenticate(certs[i], 0);
		expect_decision(-1, "reject", "client certificate serial not available: longer than "
				"RFC 5280's 20 octets");
	}
	assert_int_equal(start_radius("MKRADDB_NON_ACME=pass", NULL), 0);
	authenticate(SERIAL33_OTHER, 0);
	expect_decision(-1, "reject", "client certificate serial not available");
	authenticate(SERIAL60_OURS, 0);
	expect_decision(-1, "reject", "client certificate serial not available");
	assert_int_equal(start_radius(NULL, NULL), 0);
}

/* redis-cli against the test's Redis; its exit status. */
static int redis_cli(char *const *args)
{
	char port[16], *argv[24] = { "/usr/bin/redis-cli", "-p", port };
	int n = 3;

	snprintf(port, sizeof(port), "%d", t.e.redis.port);
	while (*args && n < 23)
		argv[n++] = *args++;
	argv[n] = NULL;
	return catest_run(argv);
}

/*
 * A SOC verdict written straight into Redis (HSET) with a reason longer
 * than the store allows does not parse: that is not an outage, so the
 * device is rejected, not admitted degraded on its certificate.
 */
static void test_unparsable_verdict_in_redis_is_refused_not_degraded(void **state)
{
	char key[] = "acmerats:{dev:SUB-0042}:verdict", now[24], reason[301];
	char *del[] = { "DEL", key, NULL };
	char *hset[] = { "HSET", key, "status", "contraindicated", "reason", reason, "source", "soc",
			 "identity", "analyst", "set_at", now, NULL };

	(void)state;
	set_posture(AR_STATUS_AFFIRMING, 60);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	memset(reason, 'x', 300);
	reason[300] = '\0';
	assert_int_equal(redis_cli(del), 0);
	assert_int_equal(redis_cli(hset), 0);
	authenticate(FRESH, 0);
	expect_decision(FRESH, "reject", "posture store record unreadable: verdict: ");
	assert_null(strstr(t.out, "degraded"));
	assert_int_equal(redis_cli(del), 0);
	authenticate(FRESH, 1);
	expect_decision(FRESH, "accept", "posture fresh");
}

/*
 * The degraded-decisions warning counts every degraded decision: those
 * after the first line are reported at the next decision of any kind once
 * 10 s have passed, and at shutdown.
 */
static void test_degraded_warning_counts_every_degraded_decision(void **state)
{
	char *log;
	int i, degraded = 0, warnings = 0, first = 0;

	(void)state;
	assert_int_equal(start_radius(NULL, NULL), 0);
	set_posture(AR_STATUS_AFFIRMING, 60);
	assert_int_equal(lab_redis_kill(&t.e.redis), 0);
	for (i = 0; i < 3; i++) {
		authenticate(FRESH, 1);		/* reads the log from its start on */
		log = rad_log_since(&t.rad, "acme_rats: decision", 3000);
		degraded += count(log, "degraded=yes");
		warnings += count(log, "degraded decisions=");
		first += count(log, "degraded decisions=1 ");
		free(log);
	}
	assert_int_equal(lab_redis_restart(&t.e.redis), 0);
	if (degraded != 3 || warnings != 1 || first != 1)
		fail_msg("three degraded decisions, one warning of 1 expected: %d degraded, %d warnings",
			 degraded, warnings);
	lab_sleep_ms(10200);
	authenticate(FRESH, 1);		/* not degraded: reports the two since */
	log = rad_log_since(&t.rad, "degraded decisions=", 3000);
	if (!strstr(log, "degraded decisions=2 ") || strstr(log, "degraded=yes"))
		fail_msg("the next decision did not report the 2 pending degraded decisions:\n%s", log);
	free(log);
	assert_int_equal(lab_redis_kill(&t.e.redis), 0);
	authenticate(FRESH, 1);		/* degraded, within 10 s of the last warning */
	assert_int_equal(lab_redis_restart(&t.e.redis), 0);
	log = rad_log_since(&t.rad, "acme_rats: decision", 3000);
	if (!strstr(log, "degraded=yes") || strstr(log, "degraded decisions="))
		fail_msg("a warning within 10 s of the last:\n%s", log);
	free(log);
	rad_stop(&t.rad);
	log = rad_log_since(&t.rad, NULL, 0);
	if (!strstr(log, "degraded decisions=1 "))
		fail_msg("the pending degraded decision was not reported at shutdown:\n%s", log);
	free(log);
	assert_int_equal(start_radius(NULL, NULL), 0);
}

/* %{acme_rats:...} in unlang after the module ran. */
static void test_xlat_expands_the_decision(void **state)
{
	(void)state;
	assert_int_equal(start_radius("MKRADDB_POST_AUTH_EXTRA=update reply { &Reply-Message := "
				      "\"%{acme_rats:device}/%{acme_rats:decision}/%{acme_rats:posture_age}/"
				      "%{acme_rats:degraded}\" }", NULL), 0);
	set_posture(AR_STATUS_AFFIRMING, 60);
	authenticate(FRESH, 1);
	expect_decision(FRESH, "accept", "posture fresh");
	expect_reply_message("SUB-0042/accept/6", "/no");
	assert_int_equal(start_radius(NULL, NULL), 0);
}

/*
 * Only a NAS client whose clients.conf entry says virtual_server =
 * acme-rats reaches the module (mkraddb gives it to Debian's localhost
 * client, as docs/install.md says for a NAS). The same certificate from a
 * client without that line is served by Debian's default site - its
 * listen sockets, its own eap module with the public CAs - which neither
 * runs rlm_acme_rats nor admits the device.
 */
static void test_client_without_virtual_server_acme_rats_never_reaches_the_module(void **state)
{
	char *log;
	int rc;

	(void)state;
	assert_int_equal(start_radius("MKRADDB_PLAIN_CLIENT=127.0.0.2", NULL), 0);
	set_posture(AR_STATUS_AFFIRMING, 60);
	free(rad_log_since(&t.rad, NULL, 0));
	rc = rad_eap(&t.rad, &t.e, t.path[FRESH], "sess-routed", NULL, t.out, sizeof(t.out));
	log = rad_log_since(&t.rad, "acme_rats: decision", 3000);
	if (rc != 0 || !strstr(log, "acme_rats: decision device=SUB-0042 ") ||
	    !strstr(log, "outcome=accept") || !strstr(log, "sites-enabled/acme-rats") ||
	    strstr(log, "sites-enabled/default"))
		fail_msg("127.0.0.1 (virtual_server = acme-rats): eapol_test exit %d, want an accept "
			 "through sites-enabled/acme-rats:\n%.4000s", rc, log);
	free(log);

	rc = rad_eap(&t.rad, &t.e, t.path[FRESH], "sess-plain", "-A127.0.0.2", t.out, sizeof(t.out));
	log = rad_log_since(&t.rad, "Received Access-Request", 3000);
	if (rc == 0 || !strstr(log, "from 127.0.0.2") || !strstr(log, "sites-enabled/default") ||
	    strstr(log, "sites-enabled/acme-rats") || strstr(log, "acme_rats"))
		fail_msg("127.0.0.2 (no virtual_server): eapol_test exit %d, want the default site "
			 "without the module and no Access-Accept:\n%.4000s", rc, log);
	free(log);
	assert_int_equal(start_radius(NULL, NULL), 0);
}

/*
 * The acme-rats site with another method added beside EAP-TLS (here any
 * request without EAP accepted in authorize, as a PAP, MAC-authentication
 * or password module there would): such an accept carries no client
 * certificate the module could judge, so it is not an ACME-RATS
 * certificate. Rejected by post-auth with a decision line and a
 * Reply-Message; with non_acme_rats = pass it passes (noop), logged - never
 * an Access-Accept without a decision.
 */
#define ACCEPT_WITHOUT_EAP "MKRADDB_AUTHORIZE_EXTRA=if (!&control:Auth-Type) { update control " \
			   "{ &Auth-Type := Accept } }"

static void expect_no_certificate_decision(const char *outcome)
{
	char needle[64];
	char *log = rad_log_since(&t.rad, "acme_rats: decision", 3000);
	const char *line = strstr(log, "acme_rats: decision device=- serial=- ");
	size_t len = line ? strcspn(line, "\n") : 0;

	snprintf(needle, sizeof(needle), "outcome=%s ", outcome);
	if (!line || !memmem(line, len, needle, strlen(needle)) ||
	    !memmem(line, len, "no client certificate (no EAP)", 30) ||
	    !memmem(line, len, "stage=post-auth", 15) || !strstr(log, "sites-enabled/acme-rats"))
		fail_msg("want one decision line %s, no client certificate, at post-auth:\n%.4000s",
			 needle, log);
	if (strstr(line + 1, "acme_rats: decision"))
		fail_msg("more than one decision line:\n%.4000s", log);
	free(log);
}

static void test_accept_without_client_certificate_in_the_site_is_rejected_or_passed(void **state)
{
	(void)state;
	assert_int_equal(start_radius(ACCEPT_WITHOUT_EAP, NULL), 0);
	free(rad_log_since(&t.rad, NULL, 0));
	rad_pap(&t.rad, &t.e, "intruder", t.out, sizeof(t.out));
	if (!strstr(t.out, "Received Access-Reject") || strstr(t.out, "Received Access-Accept") ||
	    !strstr(t.out, "Reply-Message = \"Access denied: no client certificate (no EAP): this "
			   "site admits ACME-RATS EAP-TLS certificates only\""))
		fail_msg("want an Access-Reject with the reason as Reply-Message:\n%.2500s", t.out);
	expect_no_certificate_decision("reject");

	assert_int_equal(start_radius(ACCEPT_WITHOUT_EAP, "MKRADDB_NON_ACME=pass"), 0);
	free(rad_log_since(&t.rad, NULL, 0));
	rad_pap(&t.rad, &t.e, "legacy-user", t.out, sizeof(t.out));
	if (!strstr(t.out, "Received Access-Accept"))
		fail_msg("non_acme_rats = pass: want the site's own Access-Accept:\n%.2500s", t.out);
	expect_no_certificate_decision("pass");
	assert_int_equal(start_radius(NULL, NULL), 0);
}

static int has_session(const char *acct_session)
{
	ar_store_session_t *ss = NULL;
	size_t n = 0, i;
	int found = 0;

	assert_int_equal(ar_store_session_list(t.e.st, "SUB-0042", &ss, &n, NULL), 0);
	for (i = 0; i < n; i++)
		if (!strcmp(ss[i].acct_session_id, acct_session) && !strcmp(ss[i].nas_ip, "127.0.0.1"))
			found = 1;
	free(ss);
	return found;
}

/* Accounting keeps the NOC's list of live sessions: Start and Interim
 * record, Stop removes; the device comes from the Access-Accept's Class. */
static void test_accounting_records_and_removes_the_session(void **state)
{
	(void)state;
	authenticate(FRESH, 1);
	{
		char cls[120];

		snprintf(cls, sizeof(cls), "acme-rats:SUB-0042:%s", t.serial[FRESH]);
		expect_reply("Class", cls);	/* what the NAS echoes in accounting */
	}
	assert_int_equal(rad_acct(&t.rad, &t.e, "Start", "SUB-0042", t.serial[FRESH], "acct-77"), 0);
	assert_true(has_session("acct-77"));
	assert_int_equal(rad_acct(&t.rad, &t.e, "Interim-Update", "SUB-0042", t.serial[FRESH],
				  "acct-77"), 0);
	assert_true(has_session("acct-77"));
	assert_int_equal(rad_acct(&t.rad, &t.e, "Stop", "SUB-0042", t.serial[FRESH], "acct-77"), 0);
	assert_false(has_session("acct-77"));
}

/* Without -X: the decision line is in the normal log, at info level. */
static void test_decision_line_is_in_the_normal_log(void **state)
{
	char *log;

	(void)state;
	assert_int_equal(start_radius_as(NULL, NULL, 1), 0);
	authenticate(FRESH, 1);
	log = rad_log_since(&t.rad, "acme_rats: decision", 3000);
	if (!strstr(log, "Info: (") || !strstr(log, "acme_rats: decision device=SUB-0042 serial=") ||
	    !strstr(log, "outcome=accept") || strstr(log, "Executing section"))
		fail_msg("no info-level decision line in the normal log:\n%s", log);
	free(log);
	assert_int_equal(start_radius(NULL, NULL), 0);
}

/* The module's counter named @field as summed in Redis (0 when absent). */
static uint64_t radius_counter(const char *field)
{
	ar_metrics_t *m = ar_metrics_new(ar_radius_metric_defs, AR_RM_N, NULL);
	size_t i, n = ar_metrics_ncells(m);
	uint64_t *v = calloc(n, sizeof(*v)), found = 0;
	char name[AR_METRIC_CELL_MAX];

	assert_non_null(v);
	assert_int_equal(ar_store_metrics_load(t.e.st, AR_RADIUS_METRICS_NAME, m, NULL), 0);
	ar_metrics_snapshot(m, v);
	for (i = 0; i < n; i++)
		if (ar_metrics_cell_name(m, i, name, sizeof(name)) == 0 && !strcmp(name, field))
			found = v[i];
	free(v);
	ar_metrics_free(m);
	return found;
}

/* Wait (at most 4 s: metrics_interval is 1 s here) until @field reaches @want. */
static void expect_counter(const char *field, uint64_t want)
{
	int64_t end = lab_now_ms() + 4000;

	while (radius_counter(field) < want && lab_now_ms() < end)
		lab_sleep_ms(100);
	if (radius_counter(field) != want)
		fail_msg("%s is %llu in Redis, want %llu", field,
			 (unsigned long long)radius_counter(field), (unsigned long long)want);
}

/*
 * The decisions reach the NOC's metrics without costing the authentication
 * a Redis round trip: counted in memory, flushed to Redis by the module's
 * own thread, by outcome and reason, with the check's latency.
 */
static void test_decisions_are_counted_by_outcome_and_reason_in_redis(void **state)
{
	const char *accept = "acme_rats_radius_decisions_total|accept|posture_fresh|";
	const char *stale = "acme_rats_radius_decisions_total|quarantine|posture_stale|";
	const char *count = "acme_rats_radius_check_latency_seconds|||count";
	uint64_t a0 = radius_counter(accept), s0 = radius_counter(stale), c0 = radius_counter(count);

	(void)state;
	set_posture(AR_STATUS_AFFIRMING, 60);
	authenticate(FRESH, 1);
	expect_decision(FRESH, "accept", "posture fresh");
	expect_counter(accept, a0 + 1);
	expect_counter(count, c0 + 1);
	set_posture(AR_STATUS_AFFIRMING, 7 * 3600);	/* above fresh (6 h), within grace */
	authenticate(FRESH, 1);
	expect_decision(FRESH, "quarantine", "above fresh");
	expect_counter(stale, s0 + 1);
	expect_counter(accept, a0 + 1);
	expect_counter(count, c0 + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_attested_certificate_is_accepted_and_its_session_recorded),
		cmocka_unit_test(test_posture_in_grace_is_quarantined_with_vlan_attributes),
		cmocka_unit_test(test_posture_beyond_grace_is_rejected),
		cmocka_unit_test(test_soc_contraindicated_is_rejected),
		cmocka_unit_test(test_other_ca_without_attestation_is_rejected_or_passed),
		cmocka_unit_test(test_lifetime_above_cap_is_rejected),
		cmocka_unit_test(test_missing_or_garbled_extension_is_rejected),
		cmocka_unit_test(test_redis_stopped_degrades_per_configuration),
		cmocka_unit_test(test_expired_certificate_is_rejected_by_eap_tls),
		cmocka_unit_test(test_revoked_and_superseded_serials_are_rejected),
		cmocka_unit_test(test_rsa_sub_ca_copying_issuer_name_and_ski_is_refused),
		cmocka_unit_test(test_soc_verdict_without_posture_record_is_rejected),
		cmocka_unit_test(test_resumed_session_with_cache_is_decided_from_cached_attributes),
		cmocka_unit_test(test_flagged_device_cannot_resume_its_way_in),
		cmocka_unit_test(test_reauthentication_without_cache_is_decided_again),
		cmocka_unit_test(test_flagged_device_cannot_resume_a_tls13_session_its_way_in),
		cmocka_unit_test(test_tls13_resumption_without_certificate_attributes_fails_closed),
		cmocka_unit_test(test_serial_of_33_or_60_octets_is_rejected_from_any_ca),
		cmocka_unit_test(test_unparsable_verdict_in_redis_is_refused_not_degraded),
		cmocka_unit_test(test_degraded_warning_counts_every_degraded_decision),
		cmocka_unit_test(test_xlat_expands_the_decision),
		cmocka_unit_test(test_accounting_records_and_removes_the_session),
		cmocka_unit_test(test_decision_line_is_in_the_normal_log),
		cmocka_unit_test(test_decisions_are_counted_by_outcome_and_reason_in_redis),
		cmocka_unit_test(test_client_without_virtual_server_acme_rats_never_reaches_the_module),
		cmocka_unit_test(test_accept_without_client_certificate_in_the_site_is_rejected_or_passed),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
