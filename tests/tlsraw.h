/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A raw HTTPS client for integration tests that send what no HTTP library
 * would: repeated or contradictory framing fields, header sections without
 * a body, bodies written slowly through a small send buffer. OpenSSL over a
 * blocking socket to 127.0.0.1, the server certificate verified against the
 * test CA, every read bounded in time.
 */
#ifndef AR_TEST_TLSRAW_H
#define AR_TEST_TLSRAW_H

#include <stddef.h>

#include <openssl/ssl.h>

typedef struct tlsraw {
	int		fd;
	SSL_CTX		*ctx;
	SSL		*ssl;
} tlsraw_t;

/*
 * TLS to 127.0.0.1:@port, verified against @ca_file. @sndbuf > 0 sets
 * SO_SNDBUF first (a small one keeps a large body in the client's hands).
 * 0, or -1 with the reason on stderr.
 */
int tlsraw_connect(tlsraw_t *t, int port, const char *ca_file, int sndbuf);

/* Write all of @buf; the bytes written (fewer when the connection failed). */
size_t tlsraw_write(tlsraw_t *t, const void *buf, size_t len);

/*
 * Read until the server closes (TLS close_notify or end of file), an error,
 * @cap - 1 bytes, or @timeout_ms. @buf is NUL-terminated; returns its length.
 * *@closed (may be NULL) says whether the server closed the connection.
 */
size_t tlsraw_read(tlsraw_t *t, char *buf, size_t cap, int timeout_ms, int *closed);

void tlsraw_close(tlsraw_t *t);

/* Status code of the response in @resp, or -1. */
int tlsraw_status(const char *resp);

/* Value of header @name (case-insensitive) copied to @out, or NULL. */
const char *tlsraw_header(const char *resp, const char *name, char *out, size_t size);

/* The body after the header section, or "". */
const char *tlsraw_body(const char *resp);

#endif
