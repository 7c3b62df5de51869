/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Console logins: local users (console_users.h) with scrypt password
 * hashes, a random session cookie (HttpOnly, Secure, SameSite=Strict) with
 * a server-side expiry, a CSRF token per session, and a limit on failed
 * logins per user name and per client address. Sessions live in this
 * process's memory: a restart logs everyone out. Each request's session is
 * held against the users file as it is now: a user removed or given a new
 * password is logged out, a new role counts at once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

	/* One Origin only: ar_http_header() sees the first of two (RFC 6454 7.1). */
	return origin && c->conf.origin && ar_http_header_count(req, "Origin") == 1 &&
	       !strcmp(origin, c->conf.origin);
}

/* Whether two stat()s are of the same file, unchanged. */
static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* The users table is the file's current content: read again when the file
 * changed (stat first: a change during the read shows at the next call).
 * 0, or -1 when it cannot be read. Locked (users_lock). */
static int users_fresh(console_t *c)
{
	cu_user_t *users = NULL;
	ar_err_t err = { 0 };
	struct stat st;
	size_t n = 0;

	if (stat(c->conf.users_file, &st) < 0) {
		ar_error("event=console.users_unreadable error=\"cannot stat %s\"", c->conf.users_file);
		return -1;
	}
	if (c->users_st.st_ino && same_file(&st, &c->users_st))
		return 0;
	if (cu_load(c->conf.users_file, &users, &n, &err) < 0) {
		ar_error("event=console.users_unreadable error=\"%s\"", err.msg);
		return -1;
	}
	if (c->users)
		OPENSSL_cleanse(c->users, c->nusers * sizeof(*c->users));
	free(c->users);
	c->users = users;
	c->nusers = n;
	c->users_st = st;
	ar_info("event=console.users_read users=%zu", n);
	return 0;
}

/* The user's record in the users file as it is now: 1, 0 (no such user), or -1. */
static int user_get(console_t *c, const char *name, cu_user_t *out)
{
	int found = 0;
	size_t i;

	pthread_mutex_lock(&c->users_lock);
	if (users_fresh(c) < 0) {
		found = -1;
		goto out;
	}
	for (i = 0; i < c->nusers && !found; i++) {
		if (!strcmp(c->users[i].name, name)) {
			*out = c->users[i];
			found = 1;
		}
	}
out:
	pthread_mutex_unlock(&c->users_lock);
	return found;
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

/*
 * Hold every session of @name against the user's record now (@found, @u):
 * a user removed or with another password hash is logged out everywhere;
 * a new role applies to the sessions at once. Locked.
 */
static void sync_user(console_t *c, const char *name, int found, const cu_user_t *u)
{
	size_t i;

	for (i = 0; i < CONSOLE_SESSIONS_MAX; i++) {
		console_session_t *s = &c->sessions[i];

		if (!s->token[0] || strcmp(s->user, name))
			continue;
		if (!found || strcmp(s->hash, u->hash)) {
			ar_warn("event=console.session_ended user=%s reason=%s session=%llu", s->user,
				found ? "password_changed" : "user_removed", (unsigned long long)s->id);
			OPENSSL_cleanse(s, sizeof(*s));
		} else if (s->role != u->role) {
			ar_info("event=console.role_changed user=%s from=%s to=%s session=%llu", s->user,
				cu_role_name(s->role), cu_role_name(u->role),
				(unsigned long long)s->id);
			s->role = u->role;
		}
	}
}

/*
 * The live session of @token, held against the users file, into @out: 1;
 * 0 after answering (401: none or ended, 503: the users file unreadable).
 */
static int current_session(console_t *c, const char *token, console_session_t *out,
			   ar_http_resp_t *resp)
{
	char name[CU_NAME_MAX + 1] = "";
	int64_t now = ar_mono_ms();
	console_session_t *s;
	cu_user_t u;
	int found;

	pthread_mutex_lock(&c->lock);
	s = find(c, token, now);
	if (s)
		snprintf(name, sizeof(name), "%s", s->user);
	pthread_mutex_unlock(&c->lock);
	if (!name[0]) {
		ar_http_resp_problem(resp, 401, CONSOLE_PROBLEM "unauthorized",
				     "log in first (no session, or it expired)");
		return 0;
	}
	found = user_get(c, name, &u);
	if (found < 0) {
		ar_http_resp_problem(resp, 503, CONSOLE_PROBLEM "unavailable",
				     "the users file cannot be read");
		return 0;
	}
	pthread_mutex_lock(&c->lock);
	sync_user(c, name, found, &u);
	s = find(c, token, now);
	if (s) {
		s->last_ms = now;
		*out = *s;
	}
	pthread_mutex_unlock(&c->lock);
	OPENSSL_cleanse(&u, sizeof(u));
	if (!s) {
		ar_http_resp_problem(resp, 401, CONSOLE_PROBLEM "unauthorized", "log in again (%s)",
				     !found ? "the user was removed" : "the session ended");
		return 0;
	}
	return 1;
}

int console_session(console_t *c, const ar_http_req_t *req, int change, console_session_t *out,
		    ar_http_resp_t *resp)
{
	char token[CONSOLE_TOKEN_LEN + 2];
	const char *csrf = ar_http_header(req, "X-CSRF-Token");
	int ok;

	cookie_token(req, token, sizeof(token));
	ok = current_session(c, token, out, resp);
	OPENSSL_cleanse(token, sizeof(token));
	if (!ok)
		return 0;
	if (!change)
		return 1;
	if (!console_origin_ok(c, req)) {
		ar_warn("event=console.csrf_refused user=%s reason=origin peer=%s", out->user,
			ar_http_peer(req));
		ar_http_resp_problem(resp, 403, CONSOLE_PROBLEM "forbidden",
				     "the request's Origin is not the console's own");
		return 0;
	}
	if (!csrf || ar_http_header_count(req, "X-CSRF-Token") != 1 ||
	    strlen(csrf) != CONSOLE_TOKEN_LEN ||
	    CRYPTO_memcmp(csrf, out->csrf, CONSOLE_TOKEN_LEN)) {
		ar_warn("event=console.csrf_refused user=%s reason=token peer=%s", out->user,
			ar_http_peer(req));
		ar_http_resp_problem(resp, 403, CONSOLE_PROBLEM "forbidden",
				     "a valid X-CSRF-Token header is required");
		return 0;
	}
	return 1;
}

/* The limit entry of @key, or NULL; expired entries are dropped on the way
 * (not while an attempt of theirs is being checked). Locked. */
static console_limit_t *limit_find(console_t *c, const char *key, int64_t now)
{
	size_t i;

	for (i = 0; i < CONSOLE_LIMITS_MAX; i++) {
		console_limit_t *l = &c->limits[i];

		if (l->key[0] && !l->inflight && now - l->since_ms > c->conf.login_window)
			memset(l, 0, sizeof(*l));
		if (l->key[0] && !strcmp(l->key, key))
			return l;
	}
	return NULL;
}

/*
 * The limit entry of @key, a new one when absent. A full table gives up its
 * oldest entry that is neither locked out nor checking an attempt, and only
 * when there is none, its oldest: filling the table must not lift a
 * lock-out. Locked.
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
		else if (!l->inflight && l->failures < c->conf.login_failures) {
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

static int spent(const console_t *c, const console_limit_t *l)
{
	return l && l->failures + l->inflight >= c->conf.login_failures;
}

/*
 * Reserve a password check for the user and the address: refused (-1,
 * nothing reserved) when the failures so far plus the checks under way
 * have used up login_failures for either, so that concurrent attempts
 * cannot all pass before the first one fails. A refused attempt makes no
 * entry: it costs the attacker nothing, so it must not push others out.
 */
static int limit_reserve(console_t *c, const char *user, const char *peer)
{
	char ku[80], kp[80];
	int64_t now = ar_mono_ms();
	console_limit_t *lu, *lp;
	int rc = -1;

	snprintf(ku, sizeof(ku), "u:%s", user);
	snprintf(kp, sizeof(kp), "a:%s", peer);
	pthread_mutex_lock(&c->lock);
	if (spent(c, limit_find(c, ku, now)) || spent(c, limit_find(c, kp, now)))
		goto out;
	lu = limit_of(c, ku, now);
	lu->inflight++;
	lp = limit_of(c, kp, now);	/* cannot displace lu: it has a check under way */
	lp->inflight++;
	rc = 0;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Settle a reserved check: counted as a failure on @fail, else given back. */
static void limit_settle(console_t *c, const char *user, const char *peer, int fail)
{
	const char *keys[2];
	char ku[80], kp[80];
	int64_t now = ar_mono_ms();
	console_limit_t *l;
	size_t i;

	snprintf(ku, sizeof(ku), "u:%s", user);
	snprintf(kp, sizeof(kp), "a:%s", peer);
	keys[0] = ku;
	keys[1] = kp;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < 2; i++) {
		l = fail ? limit_of(c, keys[i], now) : limit_find(c, keys[i], now);
		if (!l)
			continue;
		if (l->inflight > 0)
			l->inflight--;
		if (fail)
			l->failures++;
	}
	pthread_mutex_unlock(&c->lock);
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
	snprintf(s.hash, sizeof(s.hash), "%s", u->hash);
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
	if (limit_reserve(c, user, peer) < 0) {
		ar_warn("event=console.login result=limited user=%s peer=%s", cu_name_valid(user, NULL)
			== 0 ? user : "-", peer);
		ar_http_resp_header(resp, "Retry-After", "60");
		ar_http_resp_problem(resp, 429, CONSOLE_PROBLEM "rateLimited",
				     "too many failed logins: wait and try again");
		goto out;
	}
	found = cu_name_valid(user, NULL) == 0 ? user_get(c, user, &u) : 0;
	if (found < 0) {
		limit_settle(c, user, peer, 0);
		ar_http_resp_problem(resp, 503, CONSOLE_PROBLEM "unavailable",
				     "the users file cannot be read");
		goto out;
	}
	/* An unknown user costs the same scrypt as a known one. */
	match = cu_verify(password, found ? u.hash : c->dummy_hash) == 1 && found;
	limit_settle(c, user, peer, !match);
	if (!match) {
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

