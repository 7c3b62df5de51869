/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file verifier_client.h
 * @brief The device's side of the verifier's challenge-response API
 *	  (see verifier_proto.h for the exchange), over helper/http.h.
 *
 * Every failure is reported through ::ar_err_t: AR_ERR_UNAVAILABLE or
 * AR_ERR_TIMEOUT when the verifier cannot be reached, AR_ERR_MALFORMED /
 * AR_ERR_TOO_LARGE / AR_ERR_NOT_FOUND when its answer is not what the
 * protocol says (the message carries its problem document's detail), and
 * AR_ERR_CONFIG for a bad verifier URL or CA bundle.
 */
#ifndef AR_COMMON_VERIFIER_CLIENT_H
#define AR_COMMON_VERIFIER_CLIENT_H

#include <stddef.h>

#include "err.h"
#include "http.h"
#include "jwk.h"
#include "verifier_proto.h"

typedef struct verifier_client {
	http_client_t	*http;
	char		base[VP_BASE_MAX];
} verifier_client_t;

/** Check the verifier's URL and prepare a client; release with vc_close(). */
int vc_open(verifier_client_t *vc, const char *verifier, const http_opts_t *o, ar_err_t *err);
void vc_close(verifier_client_t *vc);

/**
 * Open a session. With @p nonce (base64url) the verifier is asked to use
 * it and must echo it; without, the verifier chooses one.
 */
int vc_new_session(verifier_client_t *vc, const char *nonce, vp_session_t *s, ar_err_t *err);

/** The verifier's public EC key for encrypting evidence (caller frees). */
ar_jwk_t *vc_encryption_key(verifier_client_t *vc, ar_err_t *err);

/**
 * Post evidence (or a JWE of it) to the session and return the EAR JWT the
 * verifier answers with (malloc'd; caller frees).
 */
int vc_submit(verifier_client_t *vc, const vp_session_t *s, const char *ctype,
	      const char *body, size_t len, char **jwt, ar_err_t *err);

#endif
