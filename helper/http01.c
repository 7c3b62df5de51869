/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The built-in http-01 responder (http01.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "acme_msg.h"
#include "http01.h"
#include "jwk.h"
#include "log.h"

#define PREFIX	"/.well-known/acme-challenge/"

struct http01 {
	struct MHD_Daemon	*d;
	size_t			n;
	char			token[HTTP01_MAX_TOKENS][ACME_TOKEN_MAX + 1];
	char			keyauth[HTTP01_MAX_TOKENS][ACME_TOKEN_MAX + AR_JWK_THUMBPRINT_LEN + 2];
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **ctx)
{
	http01_t *h = cls;
	size_t i, n = __atomic_load_n(&h->n, __ATOMIC_ACQUIRE);

	(void)version;
	(void)data;
	(void)ctx;
	if (*size)
		return MHD_NO;		/* no bodies here */
	if (strcmp(method, "GET"))
		return reply(conn, 405, "method not allowed\n");
	if (!strncmp(url, PREFIX, strlen(PREFIX)))
		for (i = 0; i < n; i++)
			if (!strcmp(url + strlen(PREFIX), h->token[i])) {
				ar_info("event=http01.served token_prefix=%.8s", h->token[i]);
				return reply(conn, 200, h->keyauth[i]);
			}
	return reply(conn, 404, "not found\n");
}

http01_t *http01_start(const char *addr, int port, ar_err_t *err)
{
	http01_t *h = calloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;

	if (!h) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	memset(&ss, 0, sizeof(ss));
	errno = 0;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		flags |= MHD_USE_IPv6;
	} else {
		free(h);
		ar_err_set(err, AR_ERR_CONFIG, "http01_listen: \"%.64s\" is not an IP address", addr);
		return NULL;
	}
	h->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
				MHD_OPTION_END);
	if (!h->d) {
		free(h);
		ar_err_set(err, AR_ERR_IO, "http-01 listener: cannot listen on %.64s port %d: %s", addr,
			   port, errno ? strerror(errno) : "refused by libmicrohttpd");
		return NULL;
	}
	return h;
}

int http01_add(http01_t *h, const char *token, const char *thumbprint, ar_err_t *err)
{
	size_t i;

	if (h->n == HTTP01_MAX_TOKENS)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "more than %d http-01 tokens",
				  HTTP01_MAX_TOKENS);
	if (!*token || strlen(token) > ACME_TOKEN_MAX)
		return ar_err_set(err, AR_ERR_MALFORMED, "http-01 token is empty or too long");
	for (i = 0; token[i]; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
			    token[i]))
			return ar_err_set(err, AR_ERR_MALFORMED, "http-01 token is not base64url");
	snprintf(h->token[h->n], sizeof(h->token[0]), "%s", token);
	snprintf(h->keyauth[h->n], sizeof(h->keyauth[0]), "%s.%s", token, thumbprint);
	/* Published after the strings: the listener thread reads them once it sees n. */
	__atomic_store_n(&h->n, h->n + 1, __ATOMIC_RELEASE);
	return 0;
}

void http01_stop(http01_t *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
