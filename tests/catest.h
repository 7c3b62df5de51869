/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared pieces of the acme-rats-ca integration tests.
 */
#ifndef AR_TEST_CATEST_H
#define AR_TEST_CATEST_H

#include <sys/types.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "acmec.h"
#include "httpc.h"

typedef struct ca_proc {
	char	dir[256];
	char	base[128];
	char	cafile[300];
	int	port;
	pid_t	pid;
} ca_proc_t;

/* $AR_TOP_SRCDIR or $AR_TOP_BUILDDIR (or "."). */
const char *catest_top(const char *var);

/* Run a program to completion; its exit status, or -1. */
int catest_run(char *const argv[]);

/*
 * Make a CA's files with tests/fixtures/mkca (MKCA_* variables in the
 * environment apply) and start it against Redis on @redis_port.
 */
int catest_start_ca(ca_proc_t *p, int redis_port, const char *eab_required);
void catest_stop_ca(ca_proc_t *p);

/*
 * Start another acme-rats-ca process - a replica of @first, which
 * catest_start_ca() started - on the same files (issuer key, EAB keys,
 * [redis], [events], [nas]) and the same Redis, listening on a port of
 * its own; its ca.conf and ca.log are in a directory of its own. With
 * @same_base_url its base_url stays @first's (replicas behind one front
 * end, e.g. haproxy, that the caller starts on @first's base); otherwise
 * it is the replica's own. Call it N times for N replicas; stop each with
 * catest_stop_ca() (which removes only the replica's directory).
 */
int catest_start_replica(ca_proc_t *r, const ca_proc_t *first, int same_base_url);

/* SIGKILL the CA (no chance to clean up) and start it again on the same files. */
int catest_crash_restart_ca(ca_proc_t *p);

/* POST-as-GET the certificate chain at @url; its leaf, or NULL. */
X509 *catest_download_cert(acmec_t *c, const char *url);

/* Start it again on the same files after the test stopped it. */
int catest_restart_ca(ca_proc_t *p);

/* The EAB inventory mkca wrote for @p (caller decrefs), or NULL. */
json_t *catest_eab_keys(const ca_proc_t *p);

/* The HMAC (base64url) of @kid in @keys, or NULL. */
const char *catest_eab_hmac(const json_t *keys, const char *kid);

/* An externalAccountBinding of @c's key to @kid, MAC'd with @hmac (which
 * need not be @kid's, for negative tests), for @c's newAccount URL. */
json_t *catest_eab(const acmec_t *c, const char *kid, const char *hmac);

/* Fail unless @r is an ACME problem of @type (no urn prefix) with @status. */
void catest_expect_problem(const httpc_resp_t *r, long status, const char *type);

#endif
