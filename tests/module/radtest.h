/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test-side pieces for rlm_acme_rats: a real acme-rats-ca enrolling device
 * certificates (enroll_*), certificates the CA would never issue minted
 * with its issuer key or another CA's (mint_*), and a real `freeradius -X`
 * with the shipped raddb files driven by real eapol_test (rad_*).
 */
#ifndef AR_TEST_RADTEST_H
#define AR_TEST_RADTEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/x509.h>

#include "acmec.h"
#include "catest.h"
#include "certext.h"
#include "jwk.h"
#include "lab/lab.h"
#include "store.h"

/* Redis, the CA (profile "substation", EAB kid-substation-1 for SUB-0042
 * and SUB-0043, EARs signed by a verifier key the test holds) and one
 * account; the device key is written to <dir>/device.key. */
typedef struct enroll_env {
	lab_redis_t	redis;
	ca_proc_t	ca;
	char		dir[256];
	char		device_key[300];
	ar_jwk_t	*vkey;
	ar_jwk_t	*account;
	ar_jwk_t	*device;
	acmec_t		c;
	json_t		*eab;
	ar_store_t	*st;		/* the CA's Redis, for the tests' own reads and writes */
} enroll_env_t;

int enroll_setup(enroll_env_t *e);
void enroll_teardown(enroll_env_t *e);

/* A certificate issued by the CA for @device through a remote-attest-01
 * order won with an EAR issued at @iat; written (leaf only) to @pem_path.
 * @replaces: an RFC 9773 certID the order replaces, or NULL. Returns the
 * certificate (X509_free it) or NULL. */
X509 *enroll_cert(enroll_env_t *e, const char *device, int64_t iat, const char *replaces,
		  const char *pem_path);

/* revokeCert by the ordering account. 0 on 200. */
int enroll_revoke(enroll_env_t *e, X509 *cert);

/* How a minted certificate differs from what the CA issues. */
typedef struct mint_spec {
	int64_t			not_before;	/* unix seconds */
	int64_t			lifetime_s;
	const ar_certext_t	*ext;		/* NULL: no attestation extension */
	const unsigned char	*raw_ext;	/* instead of ext: these bytes as extnValue */
	size_t			raw_ext_len;
	const char		*issuer_dir;	/* holds issuer.crt/.key; NULL: the CA's */
} mint_spec_t;

/* Issue for the device key, write it to @pem_path. Returns 0. */
int mint_cert(enroll_env_t *e, const mint_spec_t *spec, const char *pem_path);

/* Another CA (self-signed, with SKI) in @dir: issuer.crt, issuer.key. */
int mint_other_ca(const char *dir);

/* `freeradius -X` on the shipped configuration (tests/fixtures/mkraddb). */
typedef struct rad_proc {
	char	raddb[300];
	char	log[300];
	pid_t	pid;
	int	auth_port;
	int	acct_port;
	long	log_off;
	int	tls13;		/* eapol_test offers TLS 1.3 (set after rad_start) */
} rad_proc_t;

/* @settings: NULL-terminated "MKRADDB_X=value" strings for mkraddb.
 * @memcheck_log: run freeradius under valgrind memcheck, its report there.
 * @quiet: `freeradius -f -l stdout` (the normal log) instead of -X. */
int rad_start(rad_proc_t *r, const enroll_env_t *e, const char *const *settings,
	      const char *memcheck_log, int quiet);
void rad_stop(rad_proc_t *r);

/* One EAP-TLS authentication with eapol_test, as NAS "ap-substation-7",
 * with the device key, or NAME.key when @cert_pem is NAME.pem and it exists,
 * with Acct-Session-Id @acct_session. Returns eapol_test's exit status (0:
 * Access-Accept); its output goes to @out (NUL-terminated; the end of it
 * when longer). */
int rad_eap(const rad_proc_t *r, const enroll_env_t *e, const char *cert_pem,
	    const char *acct_session, const char *extra_args, char *out, size_t outsize);

/* An authentication and its re-authentication (eapol_test -r1; the TLS
 * session is resumed when the server's cache allows it). @between runs
 * after the first Access-Accept (eapol_test stopped meanwhile: the module's
 * session record of @acct_session in Redis marks it) and before the second
 * begins. Returns eapol_test's exit status (0: both accepted), -1 when the
 * first never got in. */
int rad_eap_between(const rad_proc_t *r, const enroll_env_t *e, const char *cert_pem,
		    const char *acct_session, void (*between)(void *), void *arg, char *out,
		    size_t outsize);

/* Accounting-Request @status (Start, Interim-Update, Stop) for the session,
 * with the Class the module gave @device's Access-Accept. radclient's
 * exit status (0: Accounting-Response). */
int rad_acct(const rad_proc_t *r, const enroll_env_t *e, const char *status, const char *device,
	     const char *serial, const char *acct_session);

/* One PAP Access-Request (User-Name @user, no EAP) from the acme-rats NAS
 * client, the reply attributes written to @out (radclient -x). Returns
 * radclient's exit status (0: an answer arrived; Access-Accept or not is
 * in @out). */
int rad_pap(const rad_proc_t *r, const enroll_env_t *e, const char *user, char *out, size_t outsize);

/* What freeradius logged since the previous call (malloc'd), waiting up to
 * @wait_ms for @needle to appear (NULL: no wait). */
char *rad_log_since(rad_proc_t *r, const char *needle, int wait_ms);

/* The lower-case hex serial (as FreeRADIUS prints it) of @cert. */
void cert_serial_hex(X509 *cert, char *out, size_t size);

#endif
