/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The load generators' HTTPS client (hclient.h): HTTP/1.1 keep-alive over
 * one blocking OpenSSL connection. A request is one SSL_write; the answer
 * is read into a buffer that keeps whatever arrived beyond it.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "hclient.h"

#define HEAD_MAX	(16 * 1024)
#define BODY_MAX	(1024 * 1024)
#define HOST_MAX	256

struct hc {
	SSL_CTX		*ctx;
	SSL		*ssl;
	int		fd;
	long		timeout_ms;
	unsigned long	served;			/* answers on this connection */
	char		host[HOST_MAX];		/* of the open connection */
	char		port[8];
	ar_buf_t	in;			/* bytes read: [off, in.len) not yet used */
	size_t		off;
	ar_buf_t	body;			/* the answer's body, as it comes */
	ar_buf_t	req;			/* the request being sent */
};

hc_t *hc_new(const char *ca_file, long timeout_ms, ar_err_t *err)
{
	hc_t *c = calloc(1, sizeof(*c));

	if (!c) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	c->fd = -1;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
	ar_buf_init(&c->in, HEAD_MAX + BODY_MAX + 64 * 1024);
	ar_buf_init(&c->body, BODY_MAX);
	ar_buf_init(&c->req, AR_BUF_UNBOUNDED);
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx || !SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) ||
	    SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1) {
		ar_err_set(err, AR_ERR_CONFIG, "cannot use CA file %s", ca_file);
		hc_free(c);
		return NULL;
	}
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	/* A server closing an idle connection without close_notify: reopen, no error. */
	SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	return c;
}

static void hc_close(hc_t *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->off = c->in.len = 0;
	c->served = 0;
	ERR_clear_error();
}

void hc_free(hc_t *c)
{
	if (!c)
		return;
	hc_close(c);
	SSL_CTX_free(c->ctx);
	ar_buf_free(&c->in);
	ar_buf_free(&c->body);
	ar_buf_free(&c->req);
	free(c);
}

/* "https://host[:port]/path" -> its parts; -1 if it is not one. */
static int split_url(const char *url, char *host, char *port, const char **path)
{
	const char *h, *end, *p;
	size_t n;

	if (strncmp(url, "https://", 8))
		return -1;
	h = url + 8;
	if (*h == '[') {			/* [IPv6] */
		end = strchr(++h, ']');
		if (!end)
			return -1;
		p = end + 1;
	} else {
		end = h + strcspn(h, ":/");
		p = end;
	}
	n = (size_t)(end - h);
	if (n == 0 || n >= HOST_MAX)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	memcpy(port, "443", 4);
	if (*p == ':') {
		n = strspn(p + 1, "0123456789");
		if (n == 0 || n > 5)
			return -1;
		memcpy(port, p + 1, n);
		port[n] = '\0';
		p += 1 + n;
	}
	if (*p && *p != '/')
		return -1;
	*path = *p ? p : "/";
	return 0;
}

static int hc_connect(hc_t *c, const char *host, const char *port, ar_err_t *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL, *a;
	struct timeval tv = { c->timeout_ms / 1000, (c->timeout_ms % 1000) * 1000 };
	int one = 1, rc;

	hc_close(c);
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return ar_err_set(err, AR_ERR_UNAVAILABLE, "cannot resolve %s", host);
	for (a = ai; a && c->fd < 0; a = a->ai_next) {
		c->fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (c->fd < 0)
			continue;
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(c->fd, a->ai_addr, a->ai_addrlen) < 0) {
			close(c->fd);
			c->fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (c->fd < 0)
		return ar_err_set(err, AR_ERR_UNAVAILABLE, "cannot connect to %s:%s: %s", host, port,
				  strerror(errno));
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
		goto tls;
	/* The certificate must name what the URL names: an IP address or a host. */
	if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) &&
	    (!SSL_set1_host(c->ssl, host) || !SSL_set_tlsext_host_name(c->ssl, host)))
		goto tls;
	rc = SSL_connect(c->ssl);
	if (rc == 1) {
		snprintf(c->host, sizeof(c->host), "%s", host);
		snprintf(c->port, sizeof(c->port), "%s", port);
		return 0;
	}
tls:
	rc = ar_err_set(err, AR_ERR_UNAVAILABLE, "TLS with %s:%s failed: %s", host, port,
			c->ssl && SSL_get_verify_result(c->ssl) != X509_V_OK ?
			X509_verify_cert_error_string(SSL_get_verify_result(c->ssl)) :
			ERR_reason_error_string(ERR_peek_last_error()) ?
			ERR_reason_error_string(ERR_peek_last_error()) : "handshake refused");
	hc_close(c);
	return rc;
}

/* Read more: 1 got some, 0 the peer closed, -1 error (@err). */
static int fill(hc_t *c, ar_err_t *err)
{
	int n;

	if (c->off > 0 && c->off == c->in.len)
		c->off = c->in.len = 0;
	if (c->in.len + 1 >= c->in.cap) {
		if (c->off > 0) {		/* make room by dropping what was used */
			memmove(c->in.data, c->in.data + c->off, c->in.len - c->off);
			c->in.len -= c->off;
			c->off = 0;
		} else {
			switch (ar_buf_reserve(&c->in, c->in.cap ? c->in.cap : 32 * 1024)) {
			case AR_OK:
				break;
			case AR_ERR_TOO_LARGE:
				return ar_err_set(err, AR_ERR_TOO_LARGE, "response too large");
			default:
				return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
			}
		}
	}
	n = SSL_read(c->ssl, c->in.data + c->in.len, (int)(c->in.cap - 1 - c->in.len));
	if (n > 0) {
		c->in.len += (size_t)n;
		return 1;
	}
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:	/* SO_RCVTIMEO ran out */
	case SSL_ERROR_WANT_WRITE:
		return ar_err_set(err, AR_ERR_TIMEOUT, "no answer within %ld ms", c->timeout_ms);
	case SSL_ERROR_SYSCALL:
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return ar_err_set(err, AR_ERR_TIMEOUT, "no answer within %ld ms",
					  c->timeout_ms);
		if (errno == 0 || errno == ECONNRESET)
			return 0;
		return ar_err_set(err, AR_ERR_UNAVAILABLE, "read: %s", strerror(errno));
	default:
		return ar_err_set(err, AR_ERR_UNAVAILABLE, "TLS read failed: %s",
				  ERR_reason_error_string(ERR_peek_last_error()) ?
				  ERR_reason_error_string(ERR_peek_last_error()) : "?");
	}
}

/* Make @n unused bytes available; -1 if the connection ends first. */
static int need(hc_t *c, size_t n, ar_err_t *err)
{
	while (c->in.len - c->off < n) {
		int rc = fill(c, err);

		if (rc <= 0)
			return rc == 0 ? ar_err_set(err, AR_ERR_UNAVAILABLE, "connection closed "
						    "mid-response") : -1;
	}
	return 0;
}

/* The next CRLF-terminated line (NUL-terminated in place); NULL at @err. */
static char *line(hc_t *c, size_t max, ar_err_t *err)
{
	for (;;) {
		char *s = c->in.data + c->off, *e = memchr(s, '\n', c->in.len - c->off);

		if (e) {
			c->off += (size_t)(e - s) + 1;
			if (e > s && e[-1] == '\r')
				e--;
			*e = '\0';
			return s;
		}
		if (c->in.len - c->off > max) {
			ar_err_set(err, AR_ERR_MALFORMED, "response line too long");
			return NULL;
		}
		if (need(c, c->in.len - c->off + 1, err) < 0)
			return NULL;
	}
}

/* Append @n bytes of the buffer to the body. */
static int take(hc_t *c, http_resp_t *out, size_t n, ar_err_t *err)
{
	if (c->body.len + n > BODY_MAX)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "response body above %d bytes", BODY_MAX);
	if (need(c, n, err) < 0)
		return -1;
	if (ar_buf_append(&c->body, c->in.data + c->off, n) != AR_OK)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	c->off += n;
	out->len = c->body.len;
	return 0;
}

static void copy_value(char *dst, size_t size, const char *v, int *too_long)
{
	if (strlen(v) < size)
		memcpy(dst, v, strlen(v) + 1);
	else if (too_long)
		*too_long = 1;
}

/* Status line and headers; @chunked / @clen (-1: none) / @close say how the body comes. */
static int read_head(hc_t *c, http_resp_t *out, int *chunked, long long *clen, int *close_after,
		     ar_err_t *err)
{
	char *s = line(c, HEAD_MAX, err), *v;
	size_t total = 0;

	if (!s)
		return -1;
	if (strncmp(s, "HTTP/1.", 7) || strlen(s) < 12 || !isdigit((unsigned char)s[9]))
		return ar_err_set(err, AR_ERR_MALFORMED, "not an HTTP/1.x status line");
	out->status = strtol(s + 9, NULL, 10);
	*close_after = !strncmp(s, "HTTP/1.0", 8);
	while ((s = line(c, HEAD_MAX, err)) && *s) {
		total += strlen(s) + 2;
		if (total > HEAD_MAX)
			return ar_err_set(err, AR_ERR_TOO_LARGE, "response header above %d bytes",
					  HEAD_MAX);
		v = strchr(s, ':');
		if (!v)
			return ar_err_set(err, AR_ERR_MALFORMED, "header line without a colon");
		*v++ = '\0';
		v += strspn(v, " \t");
		if (!strcasecmp(s, "content-length"))
			*clen = strtoll(v, NULL, 10);
		else if (!strcasecmp(s, "transfer-encoding"))
			*chunked = strcasestr(v, "chunked") != NULL;
		else if (!strcasecmp(s, "connection"))
			*close_after = strcasestr(v, "close") != NULL;
		else if (!strcasecmp(s, "replay-nonce"))
			copy_value(out->replay_nonce, sizeof(out->replay_nonce), v, NULL);
		else if (!strcasecmp(s, "location"))
			copy_value(out->location, sizeof(out->location), v, &out->location_too_long);
		else if (!strcasecmp(s, "content-type"))
			copy_value(out->content_type, sizeof(out->content_type), v, NULL);
		else if (!strcasecmp(s, "retry-after"))
			out->retry_after = isdigit((unsigned char)*v) ? strtol(v, NULL, 10) : -1;
	}
	return s ? 0 : -1;
}

static int read_body(hc_t *c, const char *method, http_resp_t *out, int chunked, long long clen,
		     int *close_after, ar_err_t *err)
{
	if (!strcmp(method, "HEAD") || out->status == 204 || out->status == 304 ||
	    out->status / 100 == 1)
		return 0;
	if (chunked) {
		for (;;) {
			char *s = line(c, 256, err), *end;
			unsigned long long n;

			if (!s)
				return -1;
			n = strtoull(s, &end, 16);
			if (end == s || n > BODY_MAX)
				return ar_err_set(err, AR_ERR_MALFORMED, "bad chunk size");
			if (n == 0)
				break;
			if (take(c, out, (size_t)n, err) < 0 || !(s = line(c, 2, err)))
				return -1;
			if (*s)
				return ar_err_set(err, AR_ERR_MALFORMED, "chunk not followed by CRLF");
		}
		for (;;) {			/* trailers, then the empty line */
			char *s = line(c, HEAD_MAX, err);

			if (!s)
				return -1;
			if (!*s)
				return 0;
		}
	}
	if (clen >= 0)
		return clen > BODY_MAX ? ar_err_set(err, AR_ERR_TOO_LARGE, "response body above %d "
						    "bytes", BODY_MAX) : take(c, out, (size_t)clen, err);
	*close_after = 1;			/* the body ends where the connection does */
	for (;;) {
		size_t have = c->in.len - c->off;
		int rc;

		if (have > 0 && take(c, out, have, err) < 0)
			return -1;
		rc = fill(c, err);
		if (rc <= 0)
			return rc;
	}
}

static int send_request(hc_t *c, const char *method, const char *path, const char *const *headers,
			const char *ctype, const void *body, size_t len, ar_err_t *err)
{
	ar_buf_t *r = &c->req;
	size_t i;

	ar_buf_reset(r);
	if (ar_buf_printf(r, "%s %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: acme-rats-bench\r\n"
			  "Accept: */*\r\n", method, path, c->host, c->port) != AR_OK)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	for (i = 0; headers && headers[i]; i++)
		if (ar_buf_printf(r, "%s\r\n", headers[i]) != AR_OK)
			return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	if ((ctype && ar_buf_printf(r, "Content-Type: %s\r\n", ctype) != AR_OK) ||
	    (!strcmp(method, "POST") && ar_buf_printf(r, "Content-Length: %zu\r\n", len) != AR_OK) ||
	    ar_buf_append(r, "\r\n", 2) != AR_OK || ar_buf_append(r, body, len) != AR_OK)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	if (r->len > INT32_MAX || SSL_write(c->ssl, r->data, (int)r->len) != (int)r->len)
		return ar_err_set(err, AR_ERR_UNAVAILABLE, "write failed");
	return 0;
}

int hc_request(hc_t *c, const char *method, const char *url, const char *ctype, const void *body,
	       size_t len, http_resp_t *out, ar_err_t *err)
{
	return hc_request_headers(c, method, url, NULL, ctype, body, len, out, err);
}

int hc_request_headers(hc_t *c, const char *method, const char *url, const char *const *headers,
		       const char *ctype, const void *body, size_t len, http_resp_t *out,
		       ar_err_t *err)
{
	char host[HOST_MAX], port[8];
	const char *path;
	int attempt, chunked, close_after, sent, got, rc = -1;
	long long clen;

	memset(out, 0, sizeof(*out));
	out->retry_after = -1;
	if (split_url(url, host, port, &path) < 0)
		return ar_err_set(err, AR_ERR_CONFIG, "not an https:// URL: %.80s", url);
	if (len > INT32_MAX / 2)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "request body too large");
	for (attempt = 0; attempt < 2; attempt++) {
		int reused = c->ssl && c->served > 0;

		if ((!c->ssl || strcmp(host, c->host) || strcmp(port, c->port)) &&
		    hc_connect(c, host, port, err) < 0)
			return -1;
		chunked = close_after = 0;
		clen = -1;
		free(out->body);
		memset(out, 0, sizeof(*out));
		out->retry_after = -1;
		ar_buf_reset(&c->body);
		sent = send_request(c, method, path, headers, ctype, body, len, err);
		got = sent < 0 ? -1 : c->in.len > c->off ? 1 : fill(c, err);
		if (got <= 0) {
			hc_close(c);
			/* A kept-alive connection the server closed: open another, once. */
			if (reused && attempt == 0 && (sent < 0 || got == 0)) {
				if (err)
					memset(err, 0, sizeof(*err));
				continue;
			}
			if (got == 0)
				ar_err_set(err, AR_ERR_UNAVAILABLE, "connection closed before an answer");
			break;
		}
		if (read_head(c, out, &chunked, &clen, &close_after, err) < 0 ||
		    read_body(c, method, out, chunked, clen, &close_after, err) < 0) {
			hc_close(c);
			break;
		}
		out->body = ar_buf_steal(&c->body, &out->len);
		if (!out->body) {
			ar_err_set(err, AR_ERR_NOMEM, "out of memory");
			break;
		}
		c->served++;
		if (close_after)
			hc_close(c);
		rc = 0;
		break;
	}
	if (rc < 0) {
		free(out->body);
		out->body = NULL;
	}
	return rc;
}
