/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small HTTPS client for the integration tests (httpc.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
#include "httpc.h"

#define HTTPC_MAX_BODY	(1 << 20)

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	size_t len = size * n;

	return ar_buf_append(ctx, data, len) == AR_OK ? len : 0;
}

/* Keep the headers tests look at, trimmed. */
static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	httpc_resp_t *r = ctx;
	const struct {
		const char	*name;
		char		*dst;
		size_t		cap;
	} keep[] = {
		{ "Location:", r->location, sizeof(r->location) },
		{ "Content-Type:", r->content_type, sizeof(r->content_type) },
		{ "Replay-Nonce:", r->replay_nonce, sizeof(r->replay_nonce) },
		{ "Link:", r->link, sizeof(r->link) },
		{ "Cache-Control:", r->cache_control, sizeof(r->cache_control) },
		{ "Retry-After:", r->retry_after, sizeof(r->retry_after) },
	};
	size_t len = size * n, vlen, i, cap = 0;
	char *dst = NULL;
	const char *v = NULL;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		size_t k = strlen(keep[i].name);

		if (len > k && !strncasecmp(data, keep[i].name, k)) {
			dst = keep[i].dst;
			cap = keep[i].cap;
			v = data + k;
			break;
		}
	}
	if (!dst)
		return len;
	while (v < data + len && (*v == ' ' || *v == '\t'))
		v++;
	vlen = (size_t)(data + len - v);
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
		vlen--;
	/* A repeated Link header adds to the list (RFC 8288). */
	if (dst == r->link && dst[0]) {
		size_t used = strlen(dst);

		if (used + 2 < cap) {
			memcpy(dst + used, ", ", 2);
			dst += used + 2;
			cap -= used + 2;
		}
	}
	if (vlen >= cap)
		vlen = cap - 1;
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
	return len;
}

int httpc(const httpc_req_t *req, httpc_resp_t *out)
{
	return httpc_headers(req, NULL, out);
}

int httpc_headers(const httpc_req_t *req, const char *const *headers, httpc_resp_t *out)
{
	struct curl_slist *hdrs = NULL;
	ar_buf_t body = AR_BUF_INIT(HTTPC_MAX_BODY);
	char line[512];
	CURLcode rc;
	CURL *c;

	memset(out, 0, sizeof(*out));
	c = curl_easy_init();
	if (!c)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_CAINFO, req->ca_file);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	/* 5 s: a loopback connect takes long only when a burst of clients (the
	 * race tests: 64 at once) overflowed the accept queue, and a dropped SYN
	 * is sent again after 1 s, then 3 s. */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
	if (!strcmp(req->method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
	} else if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "GET")) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	}
	if (req->content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s", req->content_type);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (req->bearer) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", req->bearer);
		hdrs = curl_slist_append(hdrs, line);
	}
	for (size_t i = 0; headers && headers[i]; i++)
		hdrs = curl_slist_append(hdrs, headers[i]);
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)	/* the test's log says why no answer came */
		fprintf(stderr, "# httpc: %s %s: %s\n", req->method, req->url, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	out->body = ar_buf_steal(&body, &out->len);
	if (!out->body)
		return -1;
	/* A server that answers early (413 before the body) and closes may make
	 * the upload fail after the status arrived: that is still a response.
	 * On failure the caller owns nothing. */
	if (rc != CURLE_OK && out->status <= 0) {
		httpc_free(out);
		return -1;
	}
	return 0;
}

void httpc_free(httpc_resp_t *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}
