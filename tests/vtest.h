/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A real acme-rats-verifier for integration tests: its configuration from
 * tests/fixtures/mkverifier, the daemon on a free port of 127.0.0.1, and
 * HTTPS requests to it through httpc.
 */
#ifndef AR_TEST_VTEST_H
#define AR_TEST_VTEST_H

#include <stddef.h>
#include <sys/types.h>

#include "httpc.h"
#include "jwk.h"

typedef struct vtest {
	char	dir[256];	/* set by the caller: mkverifier's files, the log */
	char	conf[300];	/* dir/verifier.conf */
	char	log[300];	/* dir/verifier.log */
	char	ca[300];	/* the CA of its TLS certificate */
	char	base[128];	/* https://127.0.0.1:PORT */
	char	token[128];	/* the SOC API's bearer token */
	int	port;
	pid_t	pid;
} vtest_t;

/* $@var (AR_TOP_SRCDIR, AR_TOP_BUILDDIR), or "." when unset. */
const char *vtest_top(const char *var);

/* Run argv[0] (a path) and wait: its exit status, or -1. */
int vtest_run(char *const argv[]);

/* Append @text to the file at @path: 0 or -1. */
int vtest_append(const char *path, const char *text);

/*
 * Write the configuration of a verifier in v->dir (mkverifier) on a free
 * port, with Redis at 127.0.0.1:@redis_port. The caller may add to v->conf
 * before vtest_start(). 0 or -1.
 */
int vtest_make(vtest_t *v, int redis_port);

/* Start it, wait for its port and read its SOC token; 0, or -1 with its log on stderr. */
int vtest_start(vtest_t *v);

/* Stop it: 0 on a clean exit, else -1 with the end of its log on stderr. */
int vtest_stop(vtest_t *v);

/* @method @path (with query) to it, @body (NUL-terminated, or NULL) of type @ct. */
int vtest_request(const vtest_t *v, const char *method, const char *path, const char *ct,
		  const char *bearer, const char *body, httpc_resp_t *out);

/* The same with @len octets of @body. */
int vtest_request_len(const vtest_t *v, const char *method, const char *path, const char *ct,
		      const char *bearer, const void *body, size_t len, httpc_resp_t *out);

/* Its EAR signing keys (GET /challenge-response/v1/keys), or NULL. */
ar_jwks_t *vtest_keys(const vtest_t *v);

/* Open a session (asserting its answer); its path and nonce. @query: "?nonce=..." or NULL. */
void vtest_new_session(const vtest_t *v, const char *query, char *path, size_t psize, char *nonce,
		       size_t nsize);

/* Does its log have a line with every one of these strings? */
int vtest_logged(const vtest_t *v, const char *a, const char *b, const char *c);

#endif
