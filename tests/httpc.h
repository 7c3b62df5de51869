/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small HTTPS client for integration tests (libcurl, TLS verified
 * against the test CA, bounded time).
 */
#ifndef AR_TEST_HTTPC_H
#define AR_TEST_HTTPC_H

#include <stddef.h>

typedef struct httpc_resp {
	long	status;
	char	*body;		/* NUL-terminated */
	size_t	len;
	char	location[512];
	char	content_type[160];
	char	replay_nonce[128];
	char	link[512];
	char	cache_control[64];
	char	retry_after[32];
} httpc_resp_t;

typedef struct httpc_req {
	const char	*method;	/* "GET", "HEAD", "POST" */
	const char	*url;
	const char	*ca_file;
	const char	*content_type;	/* NULL: none */
	const char	*bearer;	/* NULL: no Authorization */
	const void	*body;
	size_t		len;
} httpc_req_t;

/* Returns 0 when a response arrived (any status), -1 on transport failure. */
int httpc(const httpc_req_t *req, httpc_resp_t *out);
/* The same with more request headers: "Name: value" lines, NULL-ended (or NULL). */
int httpc_headers(const httpc_req_t *req, const char *const *headers, httpc_resp_t *out);
void httpc_free(httpc_resp_t *r);

#endif
