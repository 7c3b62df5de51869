/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a request's body ends, or why it is refused before it is read (http_framing.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_framing.h"

/* Characters of a value quoted in a detail. */
#define QUOTE_MAX	24

void ar_http_framing_init(ar_http_framing_t *f, const char *version)
{
	memset(f, 0, sizeof(*f));
	f->http10 = version && !strcmp(version, "HTTP/1.0");
}

static int refuse(ar_http_framing_t *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int refuse(ar_http_framing_t *f, const char *fmt, ...)
{
	va_list ap;

	if (f->verdict == AR_FRAMING_MALFORMED)
		return -1;
	f->verdict = AR_FRAMING_MALFORMED;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	return -1;
}

/* At most QUOTE_MAX characters of @p s, each unprintable one as '?'. */
static const char *quote(const char *s, size_t len, char out[QUOTE_MAX + 4])
{
	size_t i, n = len < QUOTE_MAX ? len : QUOTE_MAX;

	for (i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\' ? s[i] : '?';
	if (n < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

/* RFC 9110 5.6.2: tchar. */
static int is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_token(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

static int named(const char *name, size_t len, const char *want)
{
	return len == strlen(want) && !strncasecmp(name, want, len);
}

/* 1*DIGIT into @p out, saturating at UINT64_MAX; -1 if anything else. */
static int decimal(const char *s, size_t len, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (!len)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return -1;
		n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
	}
	*out = n;
	return 0;
}

static int content_length(ar_http_framing_t *f, const char *value, size_t len)
{
	char q[QUOTE_MAX + 4];
	uint64_t n;

	if (decimal(value, len, &n) < 0)
		return refuse(f, "Content-Length \"%s\" is not a plain decimal number (RFC 9112 6.3)",
			      quote(value, len, q));
	if (f->ncl && n != f->length)
		return refuse(f, "Content-Length fields disagree (%llu and %llu) (RFC 9112 6.3)",
			      (unsigned long long)f->length, (unsigned long long)n);
	f->length = n;
	if (f->ncl < UINT32_MAX)
		f->ncl++;
	return 0;
}

static int transfer_encoding(ar_http_framing_t *f, const char *value, size_t len)
{
	char q[QUOTE_MAX + 4];

	if (f->nte++)
		return refuse(f, "more than one Transfer-Encoding field (RFC 9112 6.3)");
	/* libmicrohttpd reads chunks only when the value is exactly this. */
	if (!named(value, len, "chunked"))
		return refuse(f, "Transfer-Encoding \"%s\" is not supported: only \"chunked\" "
			      "(RFC 9112 6.1)", quote(value, len, q));
	return 0;
}

/* Whether @name (@len bytes) starts with @field (any case) and goes on. */
static int extends(const char *name, size_t len, const char *field)
{
	size_t n = strlen(field);

	return len > n && !strncasecmp(name, field, n);
}

int ar_http_framing_folded(ar_http_framing_t *f, const char *name, size_t name_len)
{
	char q[QUOTE_MAX + 4];

	return refuse(f, "header field %s was folded onto a continuation line (obs-fold, "
		      "RFC 9112 5.2)", quote(name, name_len, q));
}

int ar_http_framing_field(ar_http_framing_t *f, const char *name, size_t name_len,
			  const char *value, size_t value_len)
{
	char q[QUOTE_MAX + 4];

	if (f->verdict == AR_FRAMING_MALFORMED)
		return -1;
	if (!is_token(name, name_len))
		return refuse(f, "header field name \"%s\" is not a token (RFC 9112 5.1)",
			      quote(name, name_len, q));
	if (memchr(value, '\r', value_len) || memchr(value, '\n', value_len) ||
	    memchr(value, '\0', value_len))
		return refuse(f, "header field %s holds CR, LF or NUL (RFC 9110 5.5)",
			      quote(name, name_len, q));
	/*
	 * libmicrohttpd 0.9.75 glues an obs-fold continuation line onto the
	 * field's name ("Content-Length: 0" CRLF " 61" reaches us as
	 * "Content-Length61": "0") and frames as if the field were absent,
	 * where a proxy in front may unfold it (RFC 9112 5.2). A name that
	 * extends a framing field's is such a fold: refused.
	 */
	if (extends(name, name_len, "Content-Length") ||
	    extends(name, name_len, "Transfer-Encoding"))
		return refuse(f, "header field %s is a folded framing field (obs-fold, RFC 9112 "
			      "5.2)", quote(name, name_len, q));
	if (named(name, name_len, "Content-Length"))
		return content_length(f, value, value_len);
	if (named(name, name_len, "Transfer-Encoding"))
		return transfer_encoding(f, value, value_len);
	if (named(name, name_len, "Host") && f->nhost < UINT32_MAX)
		f->nhost++;
	return 0;
}

ar_framing_t ar_http_framing_end(ar_http_framing_t *f, uint64_t max_body)
{
	if (f->verdict == AR_FRAMING_MALFORMED)
		return f->verdict;
	if (f->nte && f->ncl)
		refuse(f, "Transfer-Encoding and Content-Length together (RFC 9112 6.3)");
	else if (f->nte && f->http10)
		refuse(f, "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 6.1)");
	else if (f->nhost > 1)
		refuse(f, "more than one Host field (RFC 9112 3.2)");
	else if (!f->nhost && !f->http10)
		refuse(f, "no Host field in an HTTP/1.1 request (RFC 9112 3.2)");
	else if (f->ncl && f->length > max_body) {
		f->verdict = AR_FRAMING_TOO_LARGE;
		snprintf(f->detail, sizeof(f->detail), "request body of %llu bytes exceeds %llu bytes",
			 (unsigned long long)f->length, (unsigned long long)max_body);
	}
	return f->verdict;
}
