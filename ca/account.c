/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ACME accounts (RFC 8555 7.3): creation with optional External Account
 * Binding, lookup by key, read, contact update and deactivation.
 *
 * Records, as generic store values below the prefix:
 *   acct:<id>            {"status", "key" (public JWK), "contact", "eab", "created"}
 *   acctkey:<thumbprint> <id>    (one account per key; created with SET NX)
 *   eab:<kid>            set once: an EAB key binds exactly one account
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "b64.h"
#include "ca.h"
#include "json.h"
#include "log.h"

#define CONTACT_MAX	4
#define CONTACT_LEN	254
#define EAB_JWS_MAX	4096	/* bytes of an externalAccountBinding echoed back */

static void account_url(const ca_t *ca, const char *id, char *out, size_t size)
{
	snprintf(out, size, "%s" ACME_PATH "acct/%s", ca->conf.base_url, id);
}

/* The account object a client sees. */
static json_t *account_view(const ca_t *ca, const char *id, const json_t *rec)
{
	char orders[CA_URL_MAX];

	snprintf(orders, sizeof(orders), "%s" ACME_PATH "acct/%s/orders", ca->conf.base_url, id);
	json_t *view = json_pack("{s:O,s:O,s:s}", "status", json_object_get(rec, "status"),
				 "contact", json_object_get(rec, "contact"), "orders", orders);

	/* RFC 8555 7.1.2: the binding the account was created with. */
	if (view && json_is_object(json_object_get(rec, "eab_jws")))
		json_object_set(view, "externalAccountBinding", json_object_get(rec, "eab_jws"));
	return view;
}

static void reply_account(acme_req_t *r, const char *id, const json_t *rec, int status,
			  ar_http_resp_t *resp)
{
	char url[CA_URL_MAX];

	account_url(r->ca, id, url, sizeof(url));
	ar_http_resp_header(resp, "Location", url);
	acme_json(r->ca, resp, status, account_view(r->ca, id, rec));
}

static int save(ar_store_t *st, const char *id, const json_t *rec, ar_err_t *err)
{
	char key[96], *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (!text)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	snprintf(key, sizeof(key), "acct:%s", id);
	rc = ar_store_set(st, key, text, strlen(text), 0, err);
	free(text);
	return rc;
}

/* The members of an account record the CA decides on: status and key. */
static int account_check(json_t *rec, ar_err_t *err)
{
	const char *status;
	json_error_t jerr;
	acme_status_t st;
	json_t *key;

	if (json_unpack_ex(rec, &jerr, 0, "{s:s, s:o}", "status", &status, "key", &key) < 0)
		return ar_err_set(err, AR_ERR_IO, "account record corrupt: %s", jerr.text);
	if (acme_status_parse(status, &st) < 0 || (st != ACME_VALID && st != ACME_DEACTIVATED &&
						   st != ACME_REVOKED))
		return ar_err_set(err, AR_ERR_IO, "account record corrupt: status \"%.32s\"",
				  status);
	if (!json_is_object(key))
		return ar_err_set(err, AR_ERR_IO, "account record corrupt: key is not an object");
	return 0;
}

int account_load(ca_t *ca, ar_store_t *st, const char *kid, char *id, size_t idsize,
		 json_t **account, char **text, ca_prefetch_t *pre, ar_err_t *err)
{
	char prefix[CA_URL_MAX], key[96], prekey[96], *vals[2];
	const char *keys[2] = { key, prekey };
	size_t n, lens[2] = { 0, 0 }, nkeys = pre && pre->kind ? 2 : 1;

	*account = NULL;
	account_url(ca, "", prefix, sizeof(prefix));
	n = strlen(prefix);
	if (strncmp(kid, prefix, n) || strlen(kid + n) == 0 || strlen(kid + n) >= idsize ||
	    strchr(kid + n, '/'))
		return 0;
	snprintf(id, idsize, "%s", kid + n);
	snprintf(key, sizeof(key), "acct:%s", id);
	if (nkeys == 2)
		snprintf(prekey, sizeof(prekey), "%s:%s", pre->kind, pre->id);
	if (ar_store_get_many(st, keys, nkeys, vals, lens, err) < 0)
		return -1;
	if (nkeys == 2) {
		pre->done = 1;
		pre->text = vals[1];
		pre->len = lens[1];
	}
	if (!vals[0])
		return 0;
	*account = ar_json_load(vals[0], lens[0], 65536, "account record", err);
	if (*account && account_check(*account, err) < 0) {
		ar_error("event=account.corrupt account=%s error=\"%s\"", id, err->msg);
		json_decref(*account);
		*account = NULL;
	}
	if (*account && text)
		*text = vals[0];
	else
		free(vals[0]);
	return *account ? 1 : -1;
}

/*
 * Write the request's account record back only if nobody changed it since
 * it was read (a concurrent key change, contact update or deactivation):
 * the last writer must not silently undo the other. 1 saved, 0 changed
 * meanwhile (nothing written), -1 error.
 */
static int save_if_unchanged(acme_req_t *r, ar_err_t *err)
{
	char key[96], *text;
	int rc;

	if (!r->account_text)
		return ar_err_set(err, AR_ERR_IO, "account record text not kept");
	text = json_dumps(r->account, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	snprintf(key, sizeof(key), "acct:%s", r->account_id);
	rc = ar_store_set_if(r->st, key, r->account_text, text, strlen(text), err);
	free(text);
	return rc;
}

/* RFC 8555 7.3: mailto: URLs only, one address each, no header fields. */
static int check_contacts(ca_t *ca, const json_t *contact, ar_http_resp_t *resp)
{
	size_t i;

	if (!contact)
		return 0;
	if (!json_is_array(contact) || json_array_size(contact) > CONTACT_MAX) {
		acme_problem(ca, resp, 400, "invalidContact", "contact must be a list of at most "
			     "%d mailto: URLs", CONTACT_MAX);
		return -1;
	}
	for (i = 0; i < json_array_size(contact); i++) {
		const char *c = json_string_value(json_array_get(contact, i)), *at;

		if (!c || strncmp(c, "mailto:", 7)) {
			acme_problem(ca, resp, 400, "unsupportedContact",
				     "contact %zu: only mailto: URLs are supported", i);
			return -1;
		}
		at = strchr(c + 7, '@');
		if (strlen(c) > CONTACT_LEN || !at || at == c + 7 || !at[1] || strchr(at + 1, '@') ||
		    strpbrk(c + 7, "?,; \t\r\n<>\"%")) {	/* % could encode CR, LF, NUL */
			acme_problem(ca, resp, 400, "invalidContact",
				     "contact %zu: not a single plain e-mail address", i);
			return -1;
		}
	}
	return 0;
}

/* check_eab(): the binding is already taken by this same account key. */
#define EAB_SAME_KEY	1
/* How long a newAccount waits for a racing one with its key and binding to finish. */
#define EAB_RACE_WAIT_MS	2000
#define EAB_RACE_POLL_MS	20

/*
 * External Account Binding: kid known, MAC valid, binds this key, used
 * once. 0, EAB_SAME_KEY (nothing answered), or -1 after answering.
 */
static int check_eab(acme_req_t *r, const json_t *eab, char *kid, size_t kidsize,
		     ar_http_resp_t *resp)
{
	ar_err_t err = { 0 };
	const ca_eab_t *entry;
	char key[160];
	int rc;

	kid[0] = '\0';
	if (!eab) {
		if (r->ca->conf.eab_required) {
			acme_problem(r->ca, resp, 400, "externalAccountRequired",
				     "this CA requires an external account binding");
			return -1;
		}
		return 0;
	}
	if (ar_acme_eab_check(eab, r->jws.jwk, r->url, NULL, kid, kidsize, &err) < 0) {
		if (err.code == AR_ERR_BAD_ALG)	/* the binding's MAC, not an account key */
			acme_problem(r->ca, resp, 400, "badSignatureAlgorithm", "%s (an external "
				     "account binding is signed with HS256)", err.msg);
		else
			acme_problem_from(r->ca, resp, &err);
		return -1;
	}
	entry = ca_eab_find(r->ca, kid);
	if (!entry) {
		acme_problem(r->ca, resp, 403, "unauthorized", "unknown external account key id");
		return -1;
	}
	if (ar_acme_eab_check(eab, r->jws.jwk, r->url, entry->mac, kid, kidsize, &err) < 0) {
		acme_problem(r->ca, resp, 403, "unauthorized", "%s", err.msg);
		return -1;
	}
	snprintf(key, sizeof(key), "eab:%s", kid);
	rc = ar_store_set_once(r->st, key, ar_jwk_thumbprint(r->jws.jwk), 0, &err);
	if (rc == 0) {
		char *bound = NULL;

		/* Bound to this very key: a newAccount of the same key is ahead of us. */
		if (ar_store_get(r->st, key, &bound, NULL, &err) == 1 &&
		    !strcmp(bound, ar_jwk_thumbprint(r->jws.jwk))) {
			free(bound);
			return EAB_SAME_KEY;
		}
		free(bound);
	}
	if (rc < 0 || err.code) {
		acme_problem_from(r->ca, resp, &err);
		return -1;
	}
	if (rc == 0) {
		acme_problem(r->ca, resp, 403, "unauthorized",
			     "this external account key is already bound to an account");
		return -1;
	}
	return 0;
}

/*
 * The identity record @p key would be for a device of @p account through
 * EAB key @p kid. -1 when its public JWK does not fit the record.
 */
static int identity_of(const ar_jwk_t *key, const char *account, const char *kid,
		       ar_store_identity_t *id)
{
	json_t *pub = ar_jwk_public_json(key);
	char *text = pub ? json_dumps(pub, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc = -1;

	json_decref(pub);
	memset(id, 0, sizeof(*id));
	if (text && strlen(text) < sizeof(id->jwk)) {
		memcpy(id->jwk, text, strlen(text) + 1);
		snprintf(id->jkt, sizeof(id->jkt), "%s", ar_jwk_thumbprint(key));
		snprintf(id->account, sizeof(id->account), "%s", account);
		snprintf(id->eab_kid, sizeof(id->eab_kid), "%s", kid);
		rc = 0;
	}
	free(text);
	return rc;
}

/*
 * Enrolment: the key of a new account created through External Account
 * Binding becomes the identity of every device its inventory entry names
 * (docs/security.md, "Device identity"). A device already enrolled with
 * another key is refused: only the NOC re-enrols a device, so a second
 * EAB key for it, or a flagged device's own key, cannot take it over. On a
 * refusal nothing stays bound and the EAB key is released for the real
 * enrolment. 0, or -1 after answering the problem.
 */
static int bind_identities(acme_req_t *r, const char *eab_kid, const char *account_id,
			   ar_http_resp_t *resp)
{
	const ca_eab_t *entry = ca_eab_find(r->ca, eab_kid);
	const json_t *ids = entry ? entry->identifiers : NULL;
	ar_store_identity_t id, cur;
	char qdev[160], eab_key[160];
	ar_err_t err = { 0 };
	size_t i, j;
	int rc = 0;

	if (identity_of(r->jws.jwk, account_id, eab_kid, &id) < 0) {
		acme_problem(r->ca, resp, 400, "badPublicKey", "the account key is too large to "
			     "enrol as a device identity");
		return -1;
	}
	for (i = 0; i < json_array_size(ids) && rc == 0; i++) {
		const char *dev = json_string_value(json_array_get(ids, i));

		rc = ar_store_identity_bind(r->st, dev, &id, &cur, &err);
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (rc == 0) {
			ar_warn("event=enrol.refused device=%s eab=%s reason=\"enrolled with another "
				"key\" enrolled_key=%.12s... enrolled_account=%s",
				ar_log_q(qdev, sizeof(qdev), dev), eab_kid, cur.jkt, cur.account);
			acme_problem(r->ca, resp, 403, "unauthorized", "device %s is already enrolled "
				     "with another key; only the NOC can enrol it again", dev);
		} else {
			acme_problem_from(r->ca, resp, &err);
		}
		rc = -1;
	}
	if (rc == 0)
		return 0;
	/* Undo what this request bound, and give the EAB key back. */
	for (j = 0; j + 1 < i; j++) {
		const char *dev = json_string_value(json_array_get(ids, j));

		if (ar_store_identity_get(r->st, dev, &cur, NULL) == 1 && !strcmp(cur.jkt, id.jkt) &&
		    !strcmp(cur.account, account_id))
			ar_store_identity_del(r->st, dev, NULL);
	}
	snprintf(eab_key, sizeof(eab_key), "eab:%s", eab_kid);
	ar_store_del(r->st, eab_key, NULL);
	return -1;
}

/*
 * Account key rollover moves the identity of the account's devices along,
 * to @p id (identity_of() the new key, checked before the change was made).
 */
static void rekey_identities(acme_req_t *r, const char *old_jkt, const ar_store_identity_t *id)
{
	const char *kid = json_string_value(json_object_get(r->account, "eab"));
	const ca_eab_t *entry = kid && *kid ? ca_eab_find(r->ca, kid) : NULL;
	ar_err_t err = { 0 };
	char qdev[160];
	size_t i;

	if (!entry)
		return;
	for (i = 0; i < json_array_size(entry->identifiers); i++) {
		const char *dev = json_string_value(json_array_get(entry->identifiers, i));
		int rc = ar_store_identity_rekey(r->st, dev, old_jkt, id, &err);

		if (rc < 0)
			ar_warn("event=enrol.rekey_failed device=%s account=%s error=\"%s\"",
				ar_log_q(qdev, sizeof(qdev), dev), r->account_id, err.msg);
		else if (rc == 0)
			ar_warn("event=enrol.rekey_skipped device=%s account=%s reason=\"the device "
				"is not enrolled with the account's old key\"",
				ar_log_q(qdev, sizeof(qdev), dev), r->account_id);
		else if (rc == 1)
			ar_info("event=enrol.rekeyed device=%s account=%s key=%.12s...",
				ar_log_q(qdev, sizeof(qdev), dev), r->account_id, id->jkt);
	}
}

/*
 * newAccount with the key of existing account @existing: RFC 8555 7.3.1,
 * 200 and its Location; a deactivated account is refused (7.3.6: the
 * server must not accept requests for it).
 */
static void reply_existing(acme_req_t *r, const char *existing, ar_http_resp_t *resp)
{
	ar_err_t err = { 0 };
	json_t *cur = NULL;
	char kid[CA_URL_MAX], id[32];
	int rc;

	account_url(r->ca, existing, kid, sizeof(kid));
	rc = account_load(r->ca, r->st, kid, id, sizeof(id), &cur, NULL, NULL, &err);
	if (rc < 0) {
		acme_problem_from(r->ca, resp, &err);
	} else if (rc == 0) {
		ar_error("event=account.index_dangling account=%s", existing);
		acme_problem(r->ca, resp, 500, "serverInternal", "account index inconsistent");
	} else if (!json_is_string(json_object_get(cur, "status"))) {
		ar_error("event=account.corrupt account=%s", id);
		acme_problem(r->ca, resp, 500, "serverInternal", "account record corrupt");
	} else if (!strcmp(json_string_value(json_object_get(cur, "status")), "deactivated")) {
		acme_problem(r->ca, resp, 401, "unauthorized", "the account of this key is "
			     "deactivated");
	} else {
		reply_account(r, id, cur, 200, resp);
	}
	json_decref(cur);
}

/*
 * Another newAccount with this key created its account between our lookup
 * and our index write: drop the record we wrote and answer that account.
 */
static void lost_creation_race(acme_req_t *r, const char *id, const char *idx,
			       ar_http_resp_t *resp)
{
	ar_err_t err = { 0 };
	char key[96], *winner = NULL;
	int rc;

	snprintf(key, sizeof(key), "acct:%s", id);
	if (ar_store_del(r->st, key, &err) < 0)
		ar_warn("event=account.orphan account=%s error=\"%s\"", id, err.msg);
	rc = ar_store_get(r->st, idx, &winner, NULL, &err);
	if (rc == 1)
		reply_existing(r, winner, resp);
	else if (rc < 0)
		acme_problem_from(r->ca, resp, &err);
	else
		acme_problem(r->ca, resp, 500, "serverInternal", "account index inconsistent");
	free(winner);
}

/*
 * Another newAccount with this key and the same binding is creating the
 * account (binding its devices, then indexing it): wait for its index,
 * bounded, and answer that account - one 201, the others 200, as without
 * a binding.
 */
static void await_racing_account(acme_req_t *r, const char *idx, ar_http_resp_t *resp)
{
	struct timespec pause = { 0, EAB_RACE_POLL_MS * 1000000L };
	ar_err_t err = { 0 };
	char *winner = NULL;
	int waited, rc = 0;

	for (waited = 0; waited <= EAB_RACE_WAIT_MS && rc == 0; waited += EAB_RACE_POLL_MS) {
		rc = ar_store_get(r->st, idx, &winner, NULL, &err);
		if (rc == 0)
			nanosleep(&pause, NULL);
	}
	if (rc == 1)
		reply_existing(r, winner, resp);
	else if (rc < 0)
		acme_problem_from(r->ca, resp, &err);
	else
		acme_problem(r->ca, resp, 403, "unauthorized",
			     "this external account key is already bound to an account");
	free(winner);
}

/*
 * A new account's record: its key, contacts, the EAB kid it was bound with
 * and, to echo it (RFC 8555 7.1.2), the binding itself. NULL out of memory.
 */
static json_t *account_record(const acme_req_t *r, const json_t *contact, const char *eab_kid)
{
	json_t *binding = json_object_get(r->jws.payload, "externalAccountBinding");
	json_t *rec = json_pack("{s:s,s:o,s:o,s:s,s:I}", "status", "valid",
				"key", ar_jwk_public_json(r->jws.jwk),
				"contact", contact ? json_incref((json_t *)contact) : json_array(),
				"eab", eab_kid, "created", (json_int_t)time(NULL));

	if (rec && eab_kid[0]) {	/* a verified binding is small */
		char *eab = json_dumps(binding, JSON_COMPACT);

		if (eab && strlen(eab) <= EAB_JWS_MAX)
			json_object_set(rec, "eab_jws", binding);
		free(eab);
	}
	return rec;
}

void account_new(acme_req_t *r, ar_http_resp_t *resp)
{
	const json_t *p = r->jws.payload, *contact;
	char id[32], idx[96], eab_kid[128], qkid[160], *existing = NULL;
	uint8_t raw[16];
	ar_err_t err = { 0 };
	json_t *rec = NULL;
	size_t len;
	int rc;

	if (!p) {
		acme_problem(r->ca, resp, 400, "malformed", "newAccount needs a JSON payload");
		return;
	}
	snprintf(idx, sizeof(idx), "acctkey:%s", ar_jwk_thumbprint(r->jws.jwk));
	rc = ar_store_get(r->st, idx, &existing, &len, &err);
	if (rc < 0) {
		acme_problem_from(r->ca, resp, &err);
		return;
	}
	if (rc == 1) {
		reply_existing(r, existing, resp);
		free(existing);
		return;
	}
	if (json_is_true(json_object_get(p, "onlyReturnExisting"))) {
		acme_problem(r->ca, resp, 400, "accountDoesNotExist", "no account for this key");
		return;
	}
	if (r->ca->conf.terms_of_service && !json_is_true(json_object_get(p, "termsOfServiceAgreed"))) {
		acme_problem(r->ca, resp, 400, "malformed", "the terms of service must be agreed to "
			     "(termsOfServiceAgreed: true)");
		return;
	}
	contact = json_object_get(p, "contact");
	if (check_contacts(r->ca, contact, resp) < 0)
		return;
	rc = check_eab(r, json_object_get(p, "externalAccountBinding"), eab_kid, sizeof(eab_kid),
		       resp);
	if (rc == EAB_SAME_KEY) {
		await_racing_account(r, idx, resp);
		return;
	}
	if (rc < 0)
		return;

	if (RAND_bytes(raw, sizeof(raw)) != 1 || ar_b64url_encode(raw, sizeof(raw), id, sizeof(id)) < 0) {
		acme_problem(r->ca, resp, 500, "serverInternal", "no randomness");
		return;
	}
	if (eab_kid[0] && bind_identities(r, eab_kid, id, resp) < 0)
		return;
	rec = account_record(r, contact, eab_kid);
	if (!rec) {
		acme_problem(r->ca, resp, 500, "serverInternal", "out of memory");
		return;
	}
	/* The record first, then the key index that makes it findable; the
	 * index is created only if absent, so of racing newAccounts with one
	 * key exactly one creates the account and the others find it. */
	rc = save(r->st, id, rec, &err);
	if (rc == 0)
		rc = ar_store_set_once(r->st, idx, id, 0, &err);
	if (rc == 0)
		lost_creation_race(r, id, idx, resp);
	else if (rc < 0)
		acme_problem_from(r->ca, resp, &err);
	if (rc <= 0) {
		json_decref(rec);
		return;
	}
	ar_info("event=account.created account=%s key=%s eab=%s", id, ar_jwk_thumbprint(r->jws.jwk),
		ar_log_q(qkid, sizeof(qkid), eab_kid[0] ? eab_kid : NULL));
	reply_account(r, id, rec, 201, resp);
	json_decref(rec);
}

/*
 * RFC 8555 7.1.2.1: the list SHOULD NOT include orders that are invalid -
 * as stored, or pending or ready past their expiry - nor ones whose record
 * is gone (dropped a day after expiry) or corrupt.
 */
static int listable(const json_t *order)
{
	acme_status_t st;

	if (!order || acme_status_of(order, &st) < 0 || st == ACME_INVALID)
		return 0;
	return !((st == ACME_PENDING || st == ACME_READY) &&
		 (json_int_t)time(NULL) > json_integer_value(json_object_get(order, "expires")));
}

/* RFC 8555 7.1.2.1: the account's orders, newest first (POST-as-GET). */
static void account_orders(acme_req_t *r, ar_http_resp_t *resp)
{
	char key[96], url[CA_URL_MAX], **ids = NULL;
	ar_err_t err = { 0 };
	json_t *list;
	size_t n = 0, i;

	if (r->jws.payload) {
		acme_problem(r->ca, resp, 400, "malformed", "the orders list is read with POST-as-GET");
		return;
	}
	snprintf(key, sizeof(key), "acctorders:%s", r->account_id);
	if (ar_store_list_get(r->st, key, ACCOUNT_ORDERS_MAX, &ids, &n, &err) < 0) {
		acme_problem_from(r->ca, resp, &err);
		return;
	}
	list = json_array();
	for (i = 0; i < n; i += AR_STORE_BATCH_MAX) {
		size_t m = n - i < AR_STORE_BATCH_MAX ? n - i : AR_STORE_BATCH_MAX, j;
		json_t *orders[AR_STORE_BATCH_MAX];

		if (ca_records_get_some(r->st, "order", (const char *const *)ids + i, m, orders,
					&err) < 0)
			break;
		for (j = 0; j < m; j++) {
			if (listable(orders[j])) {
				ca_url(r->ca, "order", ids[i + j], url, sizeof(url));
				json_array_append_new(list, json_string(url));
			}
			json_decref(orders[j]);
		}
	}
	ar_store_list_free(ids, n);
	if (err.code) {
		json_decref(list);
		acme_problem_from(r->ca, resp, &err);
		return;
	}
	acme_json(r->ca, resp, 200, json_pack("{s:o}", "orders", list));
}

void account_post(acme_req_t *r, const char *id, ar_http_resp_t *resp)
{
	const json_t *p = r->jws.payload, *status, *contact;
	size_t n = strlen(r->account_id);
	ar_err_t err = { 0 };

	if (!strncmp(id, r->account_id, n) && !strcmp(id + n, "/orders")) {
		account_orders(r, resp);
		return;
	}
	if (strcmp(id, r->account_id)) {
		acme_problem(r->ca, resp, 403, "unauthorized", "an account can only read or change "
			     "itself");
		return;
	}
	if (!p) {		/* POST-as-GET */
		reply_account(r, id, r->account, 200, resp);
		return;
	}
	status = json_object_get(p, "status");
	contact = json_object_get(p, "contact");
	if (status && (!json_is_string(status) || strcmp(json_string_value(status), "deactivated"))) {
		acme_problem(r->ca, resp, 400, "malformed", "a client may only set status "
			     "\"deactivated\"");
		return;
	}
	if (check_contacts(r->ca, contact, resp) < 0)
		return;
	if (contact)
		json_object_set(r->account, "contact", (json_t *)contact);
	if (status)
		json_object_set_new(r->account, "status", json_string("deactivated"));
	switch (save_if_unchanged(r, &err)) {
	case 0:
		acme_problem(r->ca, resp, 409, "malformed", "the account changed while this request "
			     "was processed; read it again and retry");
		return;
	case -1:
		acme_problem_from(r->ca, resp, &err);
		return;
	}
	ar_info("event=account.updated account=%s status=%s", id,
		json_string_value(json_object_get(r->account, "status")));
	reply_account(r, id, r->account, 200, resp);
}

/*
 * The inner JWS of a key change (RFC 8555 7.3.5): signed by the new key
 * (jwk, no kid, no nonce), for this URL, naming this account and its
 * current key. Returns the new key, or NULL after answering the problem.
 */
static ar_jwk_t *key_change_inner(acme_req_t *r, ar_jws_t *inner, ar_http_resp_t *resp)
{
	ar_err_t err = { 0 };
	ar_jwk_t *key = NULL, *old = NULL;
	json_t *payload = NULL;
	const char *url, *account;

	if (!json_is_object(r->jws.payload) || ar_jws_parse_json(r->jws.payload, inner, &err) < 0) {
		if (err.code == AR_ERR_BAD_ALG)
			acme_problem_bad_alg(r->ca, resp, err.msg);
		else
			acme_problem(r->ca, resp, 400, "malformed", "keyChange: the payload must be a "
				     "flattened JWS signed by the new key%s%s", err.code ? ": " : "",
				     err.msg);
		return NULL;
	}
	url = ar_jws_header_str(inner, "url");
	if (!json_object_get(inner->header, "jwk") || json_object_get(inner->header, "kid") ||
	    json_object_get(inner->header, "nonce") || !url || strcmp(url, r->url)) {
		acme_problem(r->ca, resp, 400, "malformed", "keyChange: the inner JWS carries \"jwk\", "
			     "no \"kid\" or \"nonce\", and the same \"url\" as the request");
		return NULL;
	}
	key = ar_jwk_parse(json_object_get(inner->header, "jwk"), AR_JWK_PUBLIC_ONLY, &err);
	if (!key || ar_jws_verify(inner, key, AR_ALGS_ASYMMETRIC, &err) < 0) {
		if (err.code == AR_ERR_BAD_ALG)
			acme_problem_bad_alg(r->ca, resp, err.msg);
		else
			acme_problem(r->ca, resp, 400, !key && err.code == AR_ERR_BAD_KEY ?
				     "badPublicKey" : "malformed", "keyChange: new key: %s", err.msg);
		goto fail;
	}
	payload = ar_json_load((const char *)inner->payload, inner->payload_len, 16384,
			       "keyChange payload", &err);
	account = payload ? json_string_value(json_object_get(payload, "account")) : NULL;
	old = payload ? ar_jwk_parse(json_object_get(payload, "oldKey"), AR_JWK_PUBLIC_ONLY, &err)
		      : NULL;
	if (!account || !old || strcmp(account, r->jws.kid)) {
		acme_problem(r->ca, resp, 400, "malformed", "keyChange: the inner payload is "
			     "{\"account\": <this account's URL>, \"oldKey\": <its current JWK>}");
		goto fail;
	}
	{
		ar_jwk_t *cur = ar_jwk_parse(json_object_get(r->account, "key"), AR_JWK_PUBLIC_ONLY,
					     &err);
		int same = cur && !strcmp(ar_jwk_thumbprint(cur), ar_jwk_thumbprint(old));

		ar_jwk_free(cur);
		if (!same) {
			acme_problem(r->ca, resp, 400, "malformed", "keyChange: oldKey is not this "
				     "account's current key");
			goto fail;
		}
	}
	ar_jwk_free(old);
	json_decref(payload);
	return key;
fail:
	ar_jwk_free(old);
	ar_jwk_free(key);
	json_decref(payload);
	return NULL;
}

void account_key_change(acme_req_t *r, ar_http_resp_t *resp)
{
	char new_idx[96], old_idx[96], url[CA_URL_MAX], *owner = NULL;
	ar_err_t err = { 0 };
	ar_jws_t inner = { 0 };
	ar_jwk_t *key = key_change_inner(r, &inner, resp);
	const char *eab = json_string_value(json_object_get(r->account, "eab"));
	ar_store_identity_t id;
	json_t *old_key;
	int rc;

	if (!key)
		goto out;
	/* The new key must fit the identity it will become, before anything moves. */
	if (identity_of(key, r->account_id, eab ? eab : "", &id) < 0) {
		acme_problem(r->ca, resp, 400, "badPublicKey", "keyChange: the new key is too "
			     "large to be a device identity");
		goto out;
	}
	snprintf(new_idx, sizeof(new_idx), "acctkey:%s", ar_jwk_thumbprint(key));
	old_key = json_object_get(r->account, "key");
	{
		ar_jwk_t *cur = ar_jwk_parse(old_key, AR_JWK_PUBLIC_ONLY, &err);

		snprintf(old_idx, sizeof(old_idx), "acctkey:%s", cur ? ar_jwk_thumbprint(cur) : "");
		ar_jwk_free(cur);
	}
	/* Claim the new key first: one account per key, even under races. */
	rc = ar_store_set_once(r->st, new_idx, r->account_id, 0, &err);
	if (rc == 0) {
		if (ar_store_get(r->st, new_idx, &owner, NULL, &err) == 1) {
			account_url(r->ca, owner, url, sizeof(url));
			ar_http_resp_header(resp, "Location", url);
		}
		acme_problem(r->ca, resp, 409, "malformed", "keyChange: the new key already belongs "
			     "to an account");
		goto out;
	}
	if (rc < 0) {
		acme_problem_from(r->ca, resp, &err);
		goto out;
	}
	json_object_set_new(r->account, "key", ar_jwk_public_json(key));
	rc = save_if_unchanged(r, &err);
	if (rc <= 0) {
		/* give the new key back (it is ours): this request changed nothing */
		ar_store_del(r->st, new_idx, NULL);
		if (rc == 0)
			acme_problem(r->ca, resp, 409, "malformed", "keyChange: the account changed "
				     "while this request was processed (another key change?); "
				     "read it again and retry");
		else
			acme_problem_from(r->ca, resp, &err);
		goto out;
	}
	if (ar_store_del(r->st, old_idx, &err) < 0)
		ar_warn("event=account.key_index_stale account=%s error=\"%s\"", r->account_id, err.msg);
	rekey_identities(r, old_idx + strlen("acctkey:"), &id);
	ar_info("event=account.key_changed account=%s key=%s", r->account_id, ar_jwk_thumbprint(key));
	reply_account(r, r->account_id, r->account, 200, resp);
out:
	free(owner);
	ar_jwk_free(key);
	ar_jws_clear(&inner);
}
