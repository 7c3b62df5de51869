/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Domain validation for dns identifiers (RFC 8555 8.3, 8.4).
 *
 * http-01: GET http://<name>:<http01_port>/.well-known/acme-challenge/<token>
 * must answer 200 with the key authorization (token "." account key
 * thumbprint), surrounding whitespace allowed. Redirects to http or https
 * are followed (at most five, certificates of redirect targets are not
 * checked, as the validation rests on the key authorization alone).
 *
 * dns-01: one of the TXT records at _acme-challenge.<name> must be
 * base64url(SHA-256(key authorization)).
 *
 * Names are resolved through the configured resolver (dns_resolver, e.g. a
 * site's internal DNS or a test server); without one, through the system's.
 * Every step is bounded by validation_timeout; the body read is capped.
 */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/sha.h>

#include "b64.h"
#include "ca.h"

#define BODY_MAX	4096
#define REDIRECTS_MAX	5
#define ANSWER_MAX	4096

/* "a.b.c.d[:port]" to an address; -1 if it is not one. */
static int parse_resolver(const char *spec, struct sockaddr_in *sin)
{
	const char *colon = strrchr(spec, ':');
	char host[INET_ADDRSTRLEN], *end;
	size_t hl = colon ? (size_t)(colon - spec) : strlen(spec);
	unsigned long port = 53;

	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (colon) {
		port = strtoul(colon + 1, &end, 10);
		if (*end || end == colon + 1 || port == 0 || port > 65535)
			return -1;
	}
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

int validate_conf(const ca_t *ca, ar_err_t *err)
{
	struct sockaddr_in sin;
	const char *spec = ca->conf.dns_resolver;

	if (spec && *spec && parse_resolver(spec, &sin) < 0)
		return ar_err_set(err, AR_ERR_CONFIG, "dns_resolver \"%s\" is not an IPv4 "
				  "address[:port]", spec);
	return 0;
}

/* A resolver state bound to the configured server, or the system's. */
static int resolver_open(const ca_t *ca, res_state rs, char *detail, size_t size)
{
	const char *spec = ca->conf.dns_resolver;
	struct sockaddr_in sin;
	long timeout_s = ca->conf.validation_timeout / 1000;

	memset(rs, 0, sizeof(*rs));
	if (res_ninit(rs) != 0) {
		snprintf(detail, size, "DNS resolver cannot be initialised");
		return -1;
	}
	rs->retrans = (int)(timeout_s / 2 > 0 ? timeout_s / 2 : 1);
	rs->retry = 2;
	if (!spec || !*spec)
		return 0;
	if (parse_resolver(spec, &sin) < 0) {
		res_nclose(rs);
		snprintf(detail, size, "dns_resolver is not an IPv4 address[:port]");
		return -1;
	}
	rs->nscount = 1;
	rs->nsaddr_list[0] = sin;
	return 0;
}

/*
 * Query @name for @type; call @each for every answer record of that type.
 * 0: at least one record; -1: none (@detail says why).
 */
static int dns_query(const ca_t *ca, const char *name, int type,
		     int (*each)(const ns_msg *msg, const ns_rr *rr, void *ctx), void *ctx,
		     char *detail, size_t size)
{
	struct __res_state rs;
	unsigned char answer[ANSWER_MAX];
	ns_msg msg;
	ns_rr rr;
	int len, i, n, found = 0;

	if (resolver_open(ca, &rs, detail, size) < 0)
		return -1;
	len = res_nquery(&rs, name, ns_c_in, type, answer, sizeof(answer));
	res_nclose(&rs);
	if (len < 0) {
		snprintf(detail, size, "DNS: no %s record for %s", type == ns_t_txt ? "TXT" : "A",
			 name);
		return -1;
	}
	if (ns_initparse(answer, len, &msg) < 0) {
		snprintf(detail, size, "DNS: unreadable answer for %s", name);
		return -1;
	}
	n = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < n; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			break;
		if ((int)ns_rr_type(rr) == type && each(&msg, &rr, ctx) == 0)
			found = 1;
	}
	if (!found)
		snprintf(detail, size, "DNS: no usable %s record for %s",
			 type == ns_t_txt ? "TXT" : "A", name);
	return found ? 0 : -1;
}

static int take_a(const ns_msg *msg, const ns_rr *rr, void *ctx)
{
	char *out = ctx;

	(void)msg;
	if (*out || ns_rr_rdlen(*rr) != 4)
		return -1;
	return inet_ntop(AF_INET, ns_rr_rdata(*rr), out, INET_ADDRSTRLEN) ? 0 : -1;
}

struct txt_match {
	const char	*want;
	int		seen;
};

/* A TXT record is one or more <length><bytes> strings, joined. */
static int match_txt(const ns_msg *msg, const ns_rr *rr, void *ctx)
{
	struct txt_match *m = ctx;
	const unsigned char *p = ns_rr_rdata(*rr), *end = p + ns_rr_rdlen(*rr);
	char text[512];
	size_t n = 0;

	(void)msg;
	m->seen++;
	while (p < end) {
		size_t l = *p++;

		if (l > (size_t)(end - p) || n + l >= sizeof(text))
			return -1;
		memcpy(text + n, p, l);
		n += l;
		p += l;
	}
	text[n] = '\0';
	return strcmp(text, m->want) ? -1 : 0;
}

struct body {
	char	buf[BODY_MAX + 1];
	size_t	len;
};

static size_t body_cb(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct body *b = ctx;
	size_t n = size * nmemb;

	if (b->len + n > BODY_MAX)
		return 0;	/* too long to be a key authorization: abort */
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	return n;
}

/* Trim the whitespace RFC 8555 8.3 allows around the key authorization. */
static int body_matches(const char *body, size_t len, const char *want)
{
	size_t wl = strlen(want);

	while (len && strchr(" \t\r\n", body[len - 1]))
		len--;
	while (len && strchr(" \t\r\n", *body)) {
		body++;
		len--;
	}
	return len == wl && !memcmp(body, want, wl);
}

/*
 * The CURLOPT_RESOLVE entry for the host of @url when a dns_resolver is
 * configured (the site's DNS, not the system's), NULL otherwise. -1 after
 * setting *@problem and @detail.
 */
static int hop_resolve(const ca_t *ca, CURLU *u, const char *url, struct curl_slist **resolve,
		       const char **problem, char *detail, size_t size)
{
	char host[256], addr[INET_ADDRSTRLEN], entry[400];
	char *h = NULL, *port = NULL;
	int rc = 0;

	*resolve = NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		*problem = "incorrectResponse";
		snprintf(detail, size, "http-01: unusable URL %.200s", url);
		rc = -1;
		goto out;
	}
	snprintf(host, sizeof(host), "%s", h);
	addr[0] = '\0';
	if (ca->conf.dns_resolver && *ca->conf.dns_resolver && inet_pton(AF_INET, host, entry) != 1) {
		if (dns_query(ca, host, ns_t_a, take_a, addr, detail, size) < 0) {
			*problem = "dns";
			rc = -1;
			goto out;
		}
		snprintf(entry, sizeof(entry), "%s:%s:%s", host, port, addr);
		*resolve = curl_slist_append(NULL, entry);
	}
out:
	curl_free(h);
	curl_free(port);
	return rc;
}

/* One GET of @url, no redirect followed, bounded in time and size. */
static CURLcode hop_fetch(const ca_t *ca, CURL *curl, const char *url, struct curl_slist *resolve,
			  struct body *body, char *cerr)
{
	body->len = 0;
	cerr[0] = '\0';
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)ca->conf.validation_timeout);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)ca->conf.validation_timeout);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "acme-rats-ca validation");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, cerr);
	return curl_easy_perform(curl);
}

int validate_http01(const ca_t *ca, const char *name, const char *token, const char *keyauth,
		    const char **problem, char *detail, size_t size)
{
	struct body body;
	char url[1024], next[1024], cerr[CURL_ERROR_SIZE];
	CURL *curl = curl_easy_init();
	CURLU *u = curl_url();
	int hop, rc = -1;

	*problem = "serverInternal";
	if (!curl || !u) {
		snprintf(detail, size, "out of memory");
		goto out;
	}
	snprintf(url, sizeof(url), "http://%s:%ld/.well-known/acme-challenge/%s", name,
		 (long)ca->conf.http01_port, token);
	for (hop = 0; hop <= REDIRECTS_MAX; hop++) {
		struct curl_slist *resolve;
		char *redirect = NULL;
		long status = 0;
		CURLcode cc;

		if (hop_resolve(ca, u, url, &resolve, problem, detail, size) < 0)
			goto out;
		cc = hop_fetch(ca, curl, url, resolve, &body, cerr);
		curl_slist_free_all(resolve);
		if (cc != CURLE_OK) {
			*problem = cc == CURLE_WRITE_ERROR ? "incorrectResponse" : "connection";
			snprintf(detail, size, "http-01: %s: %s", url,
				 cc == CURLE_WRITE_ERROR ? "response larger than a key authorization"
							 : cerr[0] ? cerr : curl_easy_strerror(cc));
			goto out;
		}
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 300 && status < 400 &&
		    curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect) {
			snprintf(next, sizeof(next), "%s", redirect);
			memcpy(url, next, sizeof(url));
			continue;
		}
		*problem = "incorrectResponse";
		if (status != 200)
			snprintf(detail, size, "http-01: %s answered %ld", url, status);
		else if (!body_matches(body.buf, body.len, keyauth))
			snprintf(detail, size, "http-01: %s does not serve the key authorization", url);
		else
			rc = 0;
		goto out;
	}
	*problem = "incorrectResponse";
	snprintf(detail, size, "http-01: more than %d redirects", REDIRECTS_MAX);
out:
	curl_url_cleanup(u);
	curl_easy_cleanup(curl);
	return rc;
}

int validate_dns01(const ca_t *ca, const char *name, const char *keyauth, const char **problem,
		   char *detail, size_t size)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char want[64], qname[300];
	struct txt_match m = { .want = want, .seen = 0 };

	*problem = "serverInternal";
	SHA256((const unsigned char *)keyauth, strlen(keyauth), digest);
	if (ar_b64url_encode(digest, sizeof(digest), want, sizeof(want)) < 0)
		return -1;
	snprintf(qname, sizeof(qname), "_acme-challenge.%s", name);
	if (dns_query(ca, qname, ns_t_txt, match_txt, &m, detail, size) == 0)
		return 0;
	*problem = m.seen ? "incorrectResponse" : "dns";
	if (m.seen)
		snprintf(detail, size, "dns-01: %d TXT record(s) at %s, none is the digest of the "
			 "key authorization", m.seen, qname);
	return -1;
}
