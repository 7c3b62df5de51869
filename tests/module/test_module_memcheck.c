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
	char		fresh[300], noext[300], vglog[300], serial[80];
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
	return rad_start(&t.rad, &t.e, NULL, t.vglog, 0);
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

static void test_every_module_path_runs_clean_under_memcheck(void **state)
{
	char *report, *summary;
	size_t len;

	(void)state;
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

	/* Stop the server (mod_detach runs) and read memcheck's verdict. */
	rad_stop(&t.rad);
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
