/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Console logins: local users (console_users.h) with scrypt password
 * hashes, a random session cookie (HttpOnly, Secure, SameSite=Strict) with
 * a server-side expiry, a CSRF token per session, and a limit on failed
 * logins per user name and per client address. Sessions live in this
 * process's memory: a restart logs everyone out.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "b64.h"
#include "clock.h"
#include "console.h"
#include "log.h"
#include "parse.h"

static int random_token(char *out, size_t size)
{
	unsigned char raw[32];
	int rc;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	rc = ar_b64url_encode(raw, sizeof(raw), out, size);
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

/* The Origin is the console's own (config.c: [console] origin, or the
 * listener's address): the Host header is the client's word, not proof. */
int console_origin_ok(const console_t *c, const ar_http_req_t *req)
{
	const char *origin = ar_http_header(req, "Origin");

	return origin && c->conf.origin && !strcmp(origin, c->conf.origin);
}

/* The session cookie's value, or "" (at most CONSOLE_TOKEN_LEN + 1 characters). */
static void cookie_token(const ar_http_req_t *req, char *out, size_t size)
{
	console_cookie_value(ar_http_header(req, "Cookie"), CONSOLE_COOKIE, out, size);
}

/* The live session with @token (constant-time over every slot), or NULL;
 * expired sessions are dropped on the way. Locked. */
static console_session_t *find(console_t *c, const char *token, int64_t now)
{
	console_session_t *found = NULL;
	int want = strlen(token) == CONSOLE_TOKEN_LEN;
	size_t i;

	for (i = 0; i < CONSOLE_SESSIONS_MAX; i++) {
		console_session_t *s = &c->sessions[i];

		if (!s->token[0])
			continue;
		if (now - s->created_ms > c->conf.session_ttl ||
		    now - s->last_ms > c->conf.idle_timeout) {
			ar_info("event=console.session_expired user=%s", s->user);
			memset(s, 0, sizeof(*s));
			continue;
		}
		if (want && CRYPTO_memcmp(s->token, token, CONSOLE_TOKEN_LEN) == 0)
			found = s;
	}
	return found;
}

int console_session(console_t *c, const ar_http_req_t *req, int change, console_session_t *out,
		    ar_http_resp_t *resp)
{
	char token[CONSOLE_TOKEN_LEN + 2];
	const char *csrf = ar_http_header(req, "X-CSRF-Token");
	int64_t now = ar_mono_ms();
	console_session_t *s;
	int ok = 0;

	cookie_token(req, token, sizeof(token));
	pthread_mutex_lock(&c->lock);
	s = find(c, token, now);
	if (s) {
		s->last_ms = now;
		*out = *s;
		ok = 1;
	}
	pthread_mutex_unlock(&c->lock);
	OPENSSL_cleanse(token, sizeof(token));
	if (!ok) {
		ar_http_resp_problem(resp, 401, CONSOLE_PROBLEM "unauthorized",
				     "log in first (no session, or it expired)");
		return 0;
	}
	if (!change)
		return 1;
	if (!console_origin_ok(c, req)) {
		ar_warn("event=console.csrf_refused user=%s reason=origin peer=%s", out->user,
			ar_http_peer(req));
		ar_http_resp_problem(resp, 403, CONSOLE_PROBLEM "forbidden",
				     "the request's Origin is not the console's own");
		return 0;
	}
	if (!csrf || strlen(csrf) != CONSOLE_TOKEN_LEN ||
	    CRYPTO_memcmp(csrf, out->csrf, CONSOLE_TOKEN_LEN)) {
		ar_warn("event=console.csrf_refused user=%s reason=token peer=%s", out->user,
			ar_http_peer(req));
		ar_http_resp_problem(resp, 403, CONSOLE_PROBLEM "forbidden",
				     "a valid X-CSRF-Token header is required");
		return 0;
	}
	return 1;
}

/* The limit entry of @key, or NULL; expired entries are dropped on the way. Locked. */
static console_limit_t *limit_find(console_t *c, const char *key, int64_t now)
{
	size_t i;

	for (i = 0; i < CONSOLE_LIMITS_MAX; i++) {
		console_limit_t *l = &c->limits[i];

		if (l->key[0] && now - l->since_ms > c->conf.login_window)
			memset(l, 0, sizeof(*l));
		if (l->key[0] && !strcmp(l->key, key))
			return l;
	}
	return NULL;
}

/*
 * The limit entry of @key, a new one when absent. A full table gives up its
 * oldest entry that is not locked out, and only when every one is, its
 * oldest: filling the table must not lift a lock-out. Locked.
 */
static console_limit_t *limit_of(console_t *c, const char *key, int64_t now)
{
	console_limit_t *l = limit_find(c, key, now), *free_slot = NULL, *open = NULL,
			*oldest = NULL;
	size_t i;

	if (l)
		return l;
	for (i = 0; i < CONSOLE_LIMITS_MAX && !free_slot; i++) {
		l = &c->limits[i];
		if (!l->key[0])
			free_slot = l;
		else if (l->failures < c->conf.login_failures) {
			if (!open || l->since_ms < open->since_ms)
				open = l;
		} else if (!oldest || l->since_ms < oldest->since_ms) {
			oldest = l;
		}
	}
	l = free_slot ? free_slot : open ? open : oldest;
	memset(l, 0, sizeof(*l));
	snprintf(l->key, sizeof(l->key), "%s", key);
	l->since_ms = now;
	return l;
}

/*
 * Whether the user or the address has used up its failures; on @fail,
 * count one more. Only a failure makes an entry: a refused attempt costs
 * the attacker nothing, so it must not push other entries out.
 */
static int limited(console_t *c, const char *user, const char *peer, int fail)
{
	char ku[80], kp[80];
	int64_t now = ar_mono_ms();
	console_limit_t *lu, *lp;
	int over;

	snprintf(ku, sizeof(ku), "u:%s", user);
	snprintf(kp, sizeof(kp), "a:%s", peer);
	pthread_mutex_lock(&c->lock);
	lu = fail ? limit_of(c, ku, now) : limit_find(c, ku, now);
	lp = fail ? limit_of(c, kp, now) : limit_find(c, kp, now);
	over = (lu && lu->failures >= c->conf.login_failures) ||
	       (lp && lp->failures >= c->conf.login_failures);
	if (fail) {
		lu->failures++;
		lp->failures++;
	}
	pthread_mutex_unlock(&c->lock);
	return over;
}

/* The user's record from the users file (read afresh), or 0. */
static int lookup(console_t *c, const char *name, cu_user_t *out)
{
	cu_user_t *users = NULL;
	ar_err_t err = { 0 };
	size_t n = 0, i;
	int found = 0;

	if (cu_load(c->conf.users_file, &users, &n, &err) < 0) {
		ar_error("event=console.users_unreadable error=\"%s\"", err.msg);
		return -1;
	}
	for (i = 0; i < n && !found; i++) {
		if (!strcmp(users[i].name, name)) {
			*out = users[i];
			found = 1;
		}
	}
	free(users);
	return found;
}

/* A new session for @u; its cookie set on @resp. 0, or -1 when the table is full. */
static int open_session(console_t *c, const cu_user_t *u, ar_http_resp_t *resp,
			console_session_t *out)
{
	console_session_t s, *mine = NULL;
	char cookie[160];
	int64_t now = ar_mono_ms();
	size_t i, n_mine = 0;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	if (random_token(s.token, sizeof(s.token)) < 0 || random_token(s.csrf, sizeof(s.csrf)) < 0)
		return -1;
	snprintf(s.user, sizeof(s.user), "%s", u->name);
	s.role = u->role;
	s.created_ms = s.last_ms = now;
	pthread_mutex_lock(&c->lock);
	s.id = ++c->next_session_id;
	find(c, "", now);	/* drops the expired ones */
	/* One user holds at most CONSOLE_SESSIONS_PER_USER: a new login ends the
	 * user's oldest, so no one user can fill the table and lock others out. */
	for (i = 0; i < CONSOLE_SESSIONS_MAX; i++) {
		console_session_t *o = &c->sessions[i];

		if (!o->token[0] || strcmp(o->user, s.user))
			continue;
		if (!mine || o->created_ms < mine->created_ms)
			mine = o;
		n_mine++;
	}
	if (n_mine >= CONSOLE_SESSIONS_PER_USER) {
		OPENSSL_cleanse(mine, sizeof(*mine));	/* zeroes it: the slot is free */
	}
	for (i = 0; i < CONSOLE_SESSIONS_MAX && rc < 0; i++) {
		if (!c->sessions[i].token[0]) {
			c->sessions[i] = s;
			rc = 0;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (rc == 0) {
		snprintf(cookie, sizeof(cookie), CONSOLE_COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; "
			 "Secure; SameSite=Strict", s.token, (long long)(c->conf.session_ttl / 1000));
		ar_http_resp_header(resp, "Set-Cookie", cookie);
		*out = s;
	}
	OPENSSL_cleanse(cookie, sizeof(cookie));
	OPENSSL_cleanse(s.token, sizeof(s.token));
	return rc;
}

json_t *console_me_json(const console_session_t *s)
{
	return json_pack("{s:s,s:s,s:s,s:b,s:b}", "user", s->user, "role", cu_role_name(s->role),
			 "csrf", s->csrf, "may_flag", cu_may_flag(s->role),
			 "may_disconnect", cu_may_disconnect(s->role));
}

void console_login(console_t *c, const ar_http_req_t *req, ar_http_resp_t *resp)
{
	const char *user = NULL, *password = NULL, *body, *peer = ar_http_peer(req);
	console_session_t s;
	json_error_t jerr;
	cu_user_t u;
	json_t *json = NULL;
	size_t len;
	int found, match;

	/* A login form posted from another site would log the browser in as someone else. */
	if (!console_origin_ok(c, req)) {
		ar_http_resp_problem(resp, 403, CONSOLE_PROBLEM "forbidden",
				     "the request's Origin is not the console's own");
		return;
	}
	body = ar_http_body(req, &len);
	json = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json || json_unpack_ex(json, &jerr, JSON_STRICT, "{s:s, s:s}", "user", &user,
				    "password", &password) < 0 ||
	    strlen(user) > CU_NAME_MAX || strlen(password) > CU_PASSWORD_MAX) {
		ar_http_resp_problem(resp, 400, CONSOLE_PROBLEM "malformed",
				     "body must be {\"user\": ..., \"password\": ...}");
		goto out;
	}
	if (limited(c, user, peer, 0)) {
		ar_warn("event=console.login result=limited user=%s peer=%s", cu_name_valid(user, NULL)
			== 0 ? user : "-", peer);
		ar_http_resp_header(resp, "Retry-After", "60");
		ar_http_resp_problem(resp, 429, CONSOLE_PROBLEM "rateLimited",
				     "too many failed logins: wait and try again");
		goto out;
	}
	found = cu_name_valid(user, NULL) == 0 ? lookup(c, user, &u) : 0;
	if (found < 0) {
		ar_http_resp_problem(resp, 503, CONSOLE_PROBLEM "unavailable",
				     "the users file cannot be read");
		goto out;
	}
	/* An unknown user costs the same scrypt as a known one. */
	match = cu_verify(password, found ? u.hash : c->dummy_hash) == 1 && found;
	if (!match) {
		limited(c, user, peer, 1);
		ar_warn("event=console.login result=denied user=%s peer=%s",
			found ? u.name : "-", peer);
		ar_http_resp_problem(resp, 401, CONSOLE_PROBLEM "unauthorized",
				     "login denied: wrong user name or password");
		goto out;
	}
	if (open_session(c, &u, resp, &s) < 0) {
		ar_http_resp_problem(resp, 503, CONSOLE_PROBLEM "unavailable",
				     "too many open sessions");
		goto out;
	}
	ar_info("event=console.login result=ok user=%s role=%s peer=%s", u.name,
		cu_role_name(u.role), peer);
	ar_http_resp_json(resp, 200, "application/json", console_me_json(&s));
out:
	json_decref(json);
}

void console_logout(console_t *c, const ar_http_req_t *req, ar_http_resp_t *resp)
{
	console_session_t s;
	char token[CONSOLE_TOKEN_LEN + 2];
	console_session_t *live;

	if (!console_session(c, req, 1, &s, resp))
		return;
	cookie_token(req, token, sizeof(token));
	pthread_mutex_lock(&c->lock);
	live = find(c, token, ar_mono_ms());
	if (live)
		memset(live, 0, sizeof(*live));
	pthread_mutex_unlock(&c->lock);
	OPENSSL_cleanse(token, sizeof(token));
	ar_info("event=console.logout user=%s", s.user);
	ar_http_resp_header(resp, "Set-Cookie", CONSOLE_COOKIE "=; Path=/; Max-Age=0; HttpOnly; "
			    "Secure; SameSite=Strict");
	ar_http_resp_json(resp, 200, "application/json", json_pack("{s:b}", "logged_out", 1));
}

