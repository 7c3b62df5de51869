/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rlm_acme_rats under valgrind memcheck, driven through a real
 * `freeradius -X` by real eapol_test and radclient: every path of the
 * module (instantiate with its connection pool, accept, quarantine with the
 * re-attest event, reject in check-eap-tls and in post-auth, accounting
 * Start/Stop, detach at exit) must run without a single memcheck error.
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "testutil.h"
#include "radtest.h"
#include "fileio.h"
#include "store.h"

static struct {
	enroll_env_t	e;
	rad_proc_t	rad;
	char		fresh[300], noext[300], vglog[300], serial[80], longser[300];
	char		out[1 << 16];
} t;

static int group_setup(void **state)
{
	mint_spec_t noext = { 0, 8 * 3600, NULL, NULL, 0, NULL };
	X509 *x;

	(void)state;
	if (enroll_setup(&t.e) < 0)
		return -1;
	snprintf(t.fresh, sizeof(t.fresh), "%s/fresh.pem", t.e.dir);
	snprintf(t.noext, sizeof(t.noext), "%s/noext.pem", t.e.dir);
	snprintf(t.vglog, sizeof(t.vglog), "%s/memcheck.log", t.e.dir);
	x = enroll_cert(&t.e, "SUB-0042", time(NULL), NULL, t.fresh);
	if (!x)
		return -1;
	cert_serial_hex(x, t.serial, sizeof(t.serial));
	X509_free(x);
	noext.not_before = time(NULL) - 60;
	if (mint_cert(&t.e, &noext, t.noext) < 0)
		return -1;
	{	/* the same certificate with a serial of 33 octets (no TLS-Client-Cert-Serial) */
		char script[400], out[300], crt[340], key[340];
		char *argv[] = { script, out, crt, key, t.fresh, "33", NULL };

		snprintf(script, sizeof(script), "%s/tests/fixtures/mklongserial",
			 catest_top("AR_TOP_SRCDIR"));
		snprintf(out, sizeof(out), "%s/longserial", t.e.dir);
		snprintf(t.longser, sizeof(t.longser), "%s/longserial.pem", t.e.dir);
		snprintf(crt, sizeof(crt), "%s/issuer.crt", t.e.ca.dir);
		snprintf(key, sizeof(key), "%s/issuer.key", t.e.ca.dir);
		if (catest_run(argv) != 0)
			return -1;
	}
	{	/* resumption on, TLS 1.2 and 1.3 */
		const char *const settings[] = { "MKRADDB_TLS_CACHE=yes", "MKRADDB_TLS_MAX=1.3", NULL };

		return rad_start(&t.rad, &t.e, settings, t.vglog, 0);
	}
}

static int group_teardown(void **state)
{
	(void)state;
	rad_stop(&t.rad);
	enroll_teardown(&t.e);
	return 0;
}

static void posture(ar_status_t status, int64_t age)
{
	ar_store_posture_t p = { .status = status, .ear_iat = time(NULL) - age };

	assert_int_equal(ar_store_posture_put(t.e.st, "SUB-0042", &p, NULL), 0);
}

static void decided(const char *outcome)
{
	char *log = rad_log_since(&t.rad, outcome, 10000);

	if (!strstr(log, outcome))
		fail_msg("no \"%s\" in the server log:\n%s", outcome, log);
	free(log);
}

static void nothing(void *arg)
{
	(void)arg;
}

static void test_every_module_path_runs_clean_under_memcheck(void **state)
{
	char *report, *summary;
	size_t len;

	(void)state;
	/* Resumed sessions: TLS 1.2 (cached attributes) and TLS 1.3 (none: rejected). */
	posture(AR_STATUS_AFFIRMING, 60);
	assert_int_equal(rad_eap_between(&t.rad, &t.e, t.fresh, "vg-r12", nothing, NULL, t.out,
					 sizeof(t.out)), 0);
	decided("outcome=accept");
	t.rad.tls13 = 1;
	assert_int_not_equal(rad_eap_between(&t.rad, &t.e, t.fresh, "vg-r13", nothing, NULL, t.out,
					     sizeof(t.out)), 0);
	decided("TLS 1.3 session resumption");
	t.rad.tls13 = 0;
	assert_int_not_equal(rad_eap(&t.rad, &t.e, t.longser, "vg-ls", "-t30", t.out, sizeof(t.out)), 0);
	decided("client certificate serial not available");

	posture(AR_STATUS_AFFIRMING, 60);
	assert_int_equal(rad_eap(&t.rad, &t.e, t.fresh, "vg-1", "-t30", t.out, sizeof(t.out)), 0);
	decided("outcome=accept");
	assert_int_equal(rad_acct(&t.rad, &t.e, "Start", "SUB-0042", t.serial, "vg-1"), 0);
	assert_int_equal(rad_acct(&t.rad, &t.e, "Stop", "SUB-0042", t.serial, "vg-1"), 0);

	posture(AR_STATUS_AFFIRMING, 7 * 3600);
	assert_int_equal(rad_eap(&t.rad, &t.e, t.fresh, "vg-2", "-t30", t.out, sizeof(t.out)), 0);
	decided("outcome=quarantine");

	posture(AR_STATUS_CONTRAINDICATED, 60);
	assert_int_not_equal(rad_eap(&t.rad, &t.e, t.fresh, "vg-3", "-t30", t.out, sizeof(t.out)), 0);
	decided("outcome=reject");
	assert_int_not_equal(rad_eap(&t.rad, &t.e, t.noext, "vg-4", "-t30", t.out, sizeof(t.out)), 0);
	decided("attestation extension missing");

	posture(AR_STATUS_AFFIRMING, 60);
	/* Degraded (Redis down): the warning, and its flush at detach. */
	assert_int_equal(lab_redis_kill(&t.e.redis), 0);
	assert_int_equal(rad_eap(&t.rad, &t.e, t.fresh, "vg-dg", "-t30", t.out, sizeof(t.out)), 0);
	decided("degraded=yes");
	assert_int_equal(rad_eap(&t.rad, &t.e, t.fresh, "vg-dg2", "-t30", t.out, sizeof(t.out)), 0);
	decided("degraded=yes");
	assert_int_equal(lab_redis_restart(&t.e.redis), 0);

	/* Stop the server (mod_detach runs) and read memcheck's verdict. */
	rad_stop(&t.rad);
	{	/* every degraded decision counted once: at the first, then at the next or at detach */
		char *all = NULL, *p;
		size_t n = 0;
		long sum = 0;

		assert_int_equal(ar_file_read(t.rad.log, 1 << 26, &all, &n, NULL), 0);
		for (p = all; (p = strstr(p, "degraded decisions=")); p++)
			sum += strtol(p + 19, NULL, 10);
		free(all);
		assert_int_equal(sum, 2);
	}
	assert_int_equal(ar_file_read(t.vglog, 1 << 24, &report, &len, NULL), 0);
	summary = strstr(report, "ERROR SUMMARY: ");
	if (!summary || strncmp(summary, "ERROR SUMMARY: 0 errors", 23))
		fail_msg("memcheck found errors:\n%s", report);
	free(report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_module_path_runs_clean_under_memcheck),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
