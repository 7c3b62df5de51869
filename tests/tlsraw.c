/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A raw HTTPS client that sends what no HTTP library would (tlsraw.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tlsraw.h"

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int tlsraw_connect(tlsraw_t *t, int port, const char *ca_file, int sndbuf)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 5 };

	memset(t, 0, sizeof(*t));
	signal(SIGPIPE, SIG_IGN);	/* a write to a reset connection is an error */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		goto error;
	if (sndbuf > 0)
		setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(t->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		goto error;
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (!t->ctx || SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) != 1)
		goto error;
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	t->ssl = SSL_new(t->ctx);
	if (!t->ssl || SSL_set_fd(t->ssl, t->fd) != 1 ||
	    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), "127.0.0.1") != 1 ||
	    SSL_connect(t->ssl) != 1)
		goto error;
	return 0;
error:
	fprintf(stderr, "# tlsraw: connect to port %d: %s %s\n", port, strerror(errno),
		ERR_error_string(ERR_get_error(), NULL));
	tlsraw_close(t);
	return -1;
}

size_t tlsraw_write(tlsraw_t *t, const void *buf, size_t len)
{
	size_t done = 0;
	int n;

	while (done < len) {
		n = SSL_write(t->ssl, (const char *)buf + done,
			      len - done > 16384 ? 16384 : (int)(len - done));
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return done;
}

size_t tlsraw_read(tlsraw_t *t, char *buf, size_t cap, int timeout_ms, int *closed)
{
	long end = now_ms() + timeout_ms;
	size_t len = 0;
	int n, e;

	if (closed)
		*closed = 0;
	while (len + 1 < cap) {
		long left = end - now_ms();
		struct timeval tv;

		if (left <= 0)
			break;
		tv.tv_sec = left / 1000;
		tv.tv_usec = (left % 1000) * 1000;
		setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		n = SSL_read(t->ssl, buf + len, (int)(cap - 1 - len));
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		e = SSL_get_error(t->ssl, n);
		if (e == SSL_ERROR_WANT_READ ||
		    (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)))
			break;		/* timed out */
		if (closed)
			*closed = 1;	/* close_notify, end of file or reset */
		break;
	}
	buf[len] = '\0';
	return len;
}

void tlsraw_close(tlsraw_t *t)
{
	if (t->ssl)
		SSL_free(t->ssl);
	if (t->ctx)
		SSL_CTX_free(t->ctx);
	if (t->fd > 0)
		close(t->fd);
	memset(t, 0, sizeof(*t));
}

int tlsraw_status(const char *resp)
{
	int status;

	if (sscanf(resp, "HTTP/1.%*1d %3d", &status) != 1)
		return -1;
	return status;
}

const char *tlsraw_header(const char *resp, const char *name, char *out, size_t size)
{
	const char *end = strstr(resp, "\r\n\r\n"), *line = strstr(resp, "\r\n");
	size_t n = strlen(name);

	while (line && end && line < end) {
		line += 2;
		if (!strncasecmp(line, name, n) && line[n] == ':') {
			const char *v = line + n + 1;
			size_t vlen;

			v += strspn(v, " \t");
			vlen = strcspn(v, "\r\n");
			snprintf(out, size, "%.*s", (int)vlen, v);
			return out;
		}
		line = strstr(line, "\r\n");
	}
	return NULL;
}

const char *tlsraw_body(const char *resp)
{
	const char *end = strstr(resp, "\r\n\r\n");

	return end ? end + 4 : "";
}
