/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The HTTPS client (libcurl) every outgoing request goes through, with its limits (http.h). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "http.h"

struct http_client {
	CURL		*curl;
	char		*ca_bundle;
	long		connect_ms;
	long		total_ms;
	size_t		max_body;
	char		errbuf[CURL_ERROR_SIZE];
};

/* What the callbacks fill while one transfer runs. */
typedef struct transfer {
	http_resp_t	*resp;
	ar_buf_t	body;		/* capped at the client's max_body */
	int		too_large;
	int		nomem;
} transfer_t;

int http_global_init(ar_err_t *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ar_err_set(err, AR_ERR_NOMEM, "libcurl initialisation failed");
	return 0;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

http_client_t *http_client_new(const http_opts_t *o, ar_err_t *err)
{
	http_client_t *c = calloc(1, sizeof(*c));

	if (!c)
		goto nomem;
	c->connect_ms = o->connect_ms > 0 ? o->connect_ms : HTTP_DEFAULT_CONNECT_MS;
	c->total_ms = o->total_ms > 0 ? o->total_ms : HTTP_DEFAULT_TOTAL_MS;
	c->max_body = o->max_body ? o->max_body : HTTP_DEFAULT_MAX_BODY;
	if (o->ca_bundle && !(c->ca_bundle = strdup(o->ca_bundle)))
		goto nomem;
	c->curl = curl_easy_init();
	if (!c->curl)
		goto nomem;
	return c;
nomem:
	http_client_free(c);
	ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	return NULL;
}

void http_client_free(http_client_t *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->ca_bundle);
	free(c);
}

void http_resp_free(http_resp_t *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	transfer_t *t = ctx;
	size_t len = size * n;

	switch (ar_buf_append(&t->body, data, len)) {
	case AR_OK:
		return len;
	case AR_ERR_TOO_LARGE:
		t->too_large = 1;
		return 0;
	default:
		t->nomem = 1;
		return 0;
	}
}

/* Copy a header value (trimmed) if it fits; returns -1 when it does not. */
static int header_value(const char *v, size_t len, char *out, size_t size)
{
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len && isspace((unsigned char)v[len - 1]))
		len--;
	if (len >= size) {
		out[0] = '\0';
		return -1;
	}
	memcpy(out, v, len);
	out[len] = '\0';
	return 0;
}

/* Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP-date; -1 if neither. */
static long retry_after(const char *v, size_t len)
{
	char text[64], *end;
	long secs;
	time_t when, now = time(NULL);

	if (header_value(v, len, text, sizeof(text)) < 0 || !text[0])
		return -1;
	if (isdigit((unsigned char)text[0])) {
		secs = strtol(text, &end, 10);
		return *end || secs < 0 ? -1 : secs;
	}
	when = curl_getdate(text, NULL);
	if (when < 0)
		return -1;
	return when > now ? (long)(when - now) : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	transfer_t *t = ctx;
	http_resp_t *r = t->resp;
	size_t len = size * n;

	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		/* A new response (after 100 Continue, say): forget the last one. */
		r->content_type[0] = '\0';
		r->location[0] = '\0';
		r->location_too_long = 0;
		r->replay_nonce[0] = '\0';
		r->retry_after = -1;
	} else if (len > 13 && !strncasecmp(data, "Replay-Nonce:", 13)) {
		(void)header_value(data + 13, len - 13, r->replay_nonce, sizeof(r->replay_nonce));
	} else if (len > 12 && !strncasecmp(data, "Retry-After:", 12)) {
		r->retry_after = retry_after(data + 12, len - 12);
	} else if (len > 13 && !strncasecmp(data, "Content-Type:", 13)) {
		(void)header_value(data + 13, len - 13, r->content_type, sizeof(r->content_type));
	} else if (len > 9 && !strncasecmp(data, "Location:", 9)) {
		r->location_too_long =
			header_value(data + 9, len - 9, r->location, sizeof(r->location)) < 0;
	}
	return len;
}

static int map_error(http_client_t *c, CURLcode rc, const transfer_t *t, const char *url,
		     ar_err_t *err)
{
	const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);

	if (t->too_large || rc == CURLE_FILESIZE_EXCEEDED)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "%.200s: response larger than %zu bytes",
				  url, c->max_body);
	if (t->nomem)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return ar_err_set(err, AR_ERR_TIMEOUT, "%.200s: %s", url, why);
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_SSL_CACERT_BADFILE:
		return ar_err_set(err, AR_ERR_CONFIG, "%.200s: %s", url, why);
	default:
		return ar_err_set(err, AR_ERR_UNAVAILABLE, "%.200s: %s", url, why);
	}
}

static int set_options(http_client_t *c, const char *method, const char *url,
		       const void *body, size_t len, struct curl_slist *hdrs, transfer_t *t)
{
	CURL *h = c->curl;
	int bad = 0;

	curl_easy_reset(h);
	c->errbuf[0] = '\0';
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK;
	if (c->ca_bundle)
		bad |= curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->total_ms) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, "acme-rats-helper/" PACKAGE_VERSION) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, t) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HEADERDATA, t) != CURLE_OK;
	if (!strcmp(method, "POST")) {
		bad |= curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "") != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) !=
		       CURLE_OK;
	} else {
		bad |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) != CURLE_OK;
	}
	return bad ? -1 : 0;
}

static int add_line(struct curl_slist **list, const char *line)
{
	struct curl_slist *n = curl_slist_append(*list, line);

	if (!n)
		return -1;
	*list = n;
	return 0;
}

/* Append "Name: value" to the header list; -1 on allocation failure. */
static int add_header(struct curl_slist **list, const char *name, const char *value)
{
	char line[256];

	if (snprintf(line, sizeof(line), "%s: %s", name, value) >= (int)sizeof(line))
		return -1;
	return add_line(list, line);
}

int http_request(http_client_t *c, const char *method, const char *url, const char *ctype,
		 const void *body, size_t len, const char *accept, http_resp_t *out,
		 ar_err_t *err)
{
	return http_request_auth(c, method, url, ctype, body, len, accept, NULL, out, err);
}

int http_request_auth(http_client_t *c, const char *method, const char *url, const char *ctype,
		      const void *body, size_t len, const char *accept, const char *authorization,
		      http_resp_t *out, ar_err_t *err)
{
	struct curl_slist *hdrs = NULL;
	transfer_t t;
	CURLcode rc;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	out->retry_after = -1;
	memset(&t, 0, sizeof(t));
	t.resp = out;
	ar_buf_init(&t.body, c->max_body);
	if (strncasecmp(url, "https://", 8) || strlen(url) >= HTTP_URL_MAX)
		return ar_err_set(err, AR_ERR_CONFIG, "%.200s: only https:// URLs are allowed", url);
	if ((ctype && add_header(&hdrs, "Content-Type", ctype) < 0) ||
	    (accept && add_header(&hdrs, "Accept", accept) < 0) ||
	    (authorization && add_header(&hdrs, "Authorization", authorization) < 0) ||
	    /* No "Expect: 100-continue" round trip for small bodies. */
	    add_line(&hdrs, "Expect:") < 0) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (set_options(c, method, url, body, len, hdrs, &t) < 0) {
		ar_err_set(err, AR_ERR_CONFIG, "libcurl refused an option (built without https?)");
		goto out;
	}
	rc = curl_easy_perform(c->curl);
	if (rc != CURLE_OK) {
		map_error(c, rc, &t, url, err);
		goto out;
	}
	(void)curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &out->status);
	out->body = ar_buf_steal(&t.body, &out->len);
	if (!out->body) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto out;
	}
	ret = 0;
out:
	curl_slist_free_all(hdrs);
	ar_buf_free(&t.body);
	if (ret < 0)
		http_resp_free(out);
	return ret;
}
