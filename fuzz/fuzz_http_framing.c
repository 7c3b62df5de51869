/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the request framing check (common/http_framing.c) over a
 * header section as a client could send it. The first byte picks the HTTP
 * version (bit 0: HTTP/1.0); the rest is lines "name:value" split at LF,
 * each line at its first colon, blanks after the colon dropped as
 * libmicrohttpd drops them. What the check lets through must frame the body
 * one way only, which this target recomputes on its own and aborts on if
 * not: at most one length (every Content-Length the same plain decimal, or
 * one Transfer-Encoding: chunked and no Content-Length), within the limit.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODY	65536u

static int is_name(const char *s, size_t len, const char *want)
{
	return len == strlen(want) && !strncasecmp(s, want, len);
}

/* The independent view of one line, kept for the checks after the verdict. */
typedef struct seen {
	unsigned	ncl, nte, nhost;
	int		cl_bad, cl_differ, te_bad;
	uint64_t	cl;
} seen_t;

static void note(seen_t *s, const char *name, size_t nlen, const char *value, size_t vlen)
{
	uint64_t v = 0;
	size_t i;

	if (is_name(name, nlen, "Content-Length")) {
		if (!vlen)
			s->cl_bad = 1;
		for (i = 0; i < vlen; i++) {
			if (value[i] < '0' || value[i] > '9') {
				s->cl_bad = 1;
				break;
			}
			v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : v * 10 + (uint64_t)(value[i] - '0');
		}
		if (s->ncl++ && v != s->cl)
			s->cl_differ = 1;
		s->cl = v;
	} else if (is_name(name, nlen, "Transfer-Encoding")) {
		s->nte++;
		if (!is_name(value, vlen, "chunked"))
			s->te_bad = 1;
	} else if (is_name(name, nlen, "Host")) {
		s->nhost++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p, *end;
	ar_http_framing_t f;
	ar_framing_t verdict;
	seen_t s = { 0 };
	int http10, refused = 0;

	if (size < 1)
		return 0;
	http10 = data[0] & 1;
	ar_http_framing_init(&f, http10 ? "HTTP/1.0" : "HTTP/1.1");
	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end, *colon, *value;

		colon = memchr(p, ':', (size_t)(line_end - p));
		if (!colon)
			colon = line_end;
		value = colon < line_end ? colon + 1 : line_end;
		while (value < line_end && (*value == ' ' || *value == '\t'))
			value++;
		note(&s, p, (size_t)(colon - p), value, (size_t)(line_end - value));
		if (!refused && ar_http_framing_field(&f, p, (size_t)(colon - p), value,
						     (size_t)(line_end - value)) < 0)
			refused = 1;
		p = line_end + 1;
	}
	verdict = ar_http_framing_end(&f, MAX_BODY);
	if (refused && verdict != AR_FRAMING_MALFORMED)
		abort();
	if (verdict != AR_FRAMING_OK && !f.detail[0])
		abort();
	if (memchr(f.detail, '\0', sizeof(f.detail)) == NULL)
		abort();
	if (verdict == AR_FRAMING_MALFORMED)
		return 0;
	/* Let through: one framing only. */
	if (s.cl_bad || s.cl_differ || s.nte > 1 || s.te_bad || (s.nte && s.ncl) ||
	    (s.nte && http10) || s.nhost > 1 || (!s.nhost && !http10))
		abort();
	if ((verdict == AR_FRAMING_TOO_LARGE) != (s.ncl && s.cl > MAX_BODY))
		abort();
	return 0;
}
