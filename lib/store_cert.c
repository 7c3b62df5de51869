/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Certificates issued to devices (hash, per-device index, AKI+serial
 * index) and the per-authentication lookup of posture, verdict and
 * certificate in one round trip.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "hex.h"
#include "store_int.h"
#include "verdict.h"

/* aki and serial are in the key, not in the hash. */
static const field_t cert_fields[] = {
	FIELD(ar_store_cert_t, device, F_STR, 1),
	FIELD(ar_store_cert_t, order, F_STR, 0),
	FIELD(ar_store_cert_t, not_after, F_INT, 1),
	FIELD(ar_store_cert_t, status, F_CERT_STATUS, 1),
	FIELD(ar_store_cert_t, renew_now, F_BOOL, 0),
};

/*
 *	Certificates.
 */
static int cert_from_reply(const ar_store_t *s, const redisReply *r, const char *aki,
			   const char *serial, ar_store_cert_t *c, ar_err_t *err)
{
	memset(c, 0, sizeof(*c));
	if (store_reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
		return -1;
	if (r->elements == 0)
		return 0;
	if (store_decode_pairs(cert_fields, NFIELDS(cert_fields), c, r->element, r->elements, err) < 0)
		return ar_err_prefix(err, "certificate: ");
	snprintf(c->aki, sizeof(c->aki), "%s", aki);
	snprintf(c->serial, sizeof(c->serial), "%s", serial);
	return 1;
}

/*
 * A member of a device's `certs` names one certificate: "A.S", the
 * base64url of the AKI's and of the serial's bytes - 50 characters for a
 * 20-byte AKI and a 16-byte serial, within Redis's zset-max-listpack-value
 * (64), so that a device's few certificates stay a listpack of about a
 * hundred bytes rather than becoming a skiplist of about a thousand. The
 * hex form "aki:serial" written before is still read (and removed when the
 * certificate is written again); an odd number of hex digits, which has no
 * bytes, is still written that way.
 */
#define MEMBER_MAX	(2 * AR_STORE_HEX_MAX + 2)

static void member_make(const char *aki, const char *serial, char *out, size_t size)
{
	uint8_t a[AR_STORE_HEX_MAX / 2], b[AR_STORE_HEX_MAX / 2];
	ssize_t na = ar_hex_decode(aki, strlen(aki), a, sizeof(a));
	ssize_t nb = ar_hex_decode(serial, strlen(serial), b, sizeof(b));
	size_t n;

	if (na > 0 && nb > 0 && ar_b64url_encode(a, (size_t)na, out, size) >= 0) {
		n = strlen(out);
		if (n + 1 < size) {
			out[n] = '.';
			if (ar_b64url_encode(b, (size_t)nb, out + n + 1, size - n - 1) >= 0)
				return;
		}
	}
	snprintf(out, size, "%s:%s", aki, serial);
}

/* One half of a compact member back to lower-case hex. */
static int member_half(const char *b64, size_t len, char *hex)
{
	uint8_t raw[AR_STORE_HEX_MAX / 2];
	size_t n = 0;

	if (len == 0 || ar_b64url_decode(b64, len, raw, sizeof(raw), &n, NULL) < 0 || n == 0)
		return -1;
	return ar_hex_encode(raw, n, hex, AR_STORE_HEX_MAX + 1, NULL);
}

/* Split a `certs` member, either form, into hex AKI and serial. */
static int member_split(const redisReply *m, char *aki, char *serial)
{
	char buf[MEMBER_MAX];
	char *sep;

	if (m->type != REDIS_REPLY_STRING || m->len >= sizeof(buf))
		return -1;
	memcpy(buf, m->str, m->len + 1);
	if ((sep = strchr(buf, '.')))
		return member_half(buf, (size_t)(sep - buf), aki) < 0 ||
		       member_half(sep + 1, strlen(sep + 1), serial) < 0 ? -1 : 0;
	sep = strchr(buf, ':');
	if (!sep)
		return -1;
	*sep = '\0';
	if (store_hex_norm(buf, aki, "AKI", NULL) < 0 ||
	    store_hex_norm(sep + 1, serial, "serial", NULL) < 0)
		return -1;
	return 0;
}

/*
 * A certificate record as commands: MULTI, the hash, its expiry, the
 * member in `certs` (its hex form removed first, the set pruned, same
 * expiry), EXEC on the device's slot; then
 * the AKI+serial index and the device in `devices` next to it.
 */
#define CERT_EXEC	8	/* cmd[0] MULTI .. cmd[8] EXEC, then SET and SADD */
#define CERT_CMDS	11

typedef struct cert_cmds {
	char	key[KEY_MAX], certs[KEY_MAX], idx[KEY_MAX], devices[KEY_MAX];
	char	member[MEMBER_MAX], hex_member[MEMBER_MAX], prune[32];
	cmd_t	cmd[CERT_CMDS];
} cert_cmds_t;

static int cert_cmds(ar_store_t *s, const ar_store_cert_t *c, cert_cmds_t *cc, ar_err_t *err)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1];
	cmd_t *cmd = cc->cmd;
	int64_t now = store_now(), expire_ms;

	if (ar_store_device_valid(c->device, err) < 0 ||
	    store_hex_norm(c->aki, aki, "AKI", err) < 0 ||
	    store_hex_norm(c->serial, serial, "serial", err) < 0 ||
	    store_cert_key(s, cc->key, sizeof(cc->key), c->device, aki, serial, err) < 0 ||
	    store_dev_key(s, cc->certs, sizeof(cc->certs), c->device, "certs", err) < 0 ||
	    store_key_fmt(cc->idx, sizeof(cc->idx), err, "%s:certidx:%s:%s", s->prefix, aki,
			  serial) < 0 ||
	    store_glob_key(s, cc->devices, sizeof(cc->devices), "devices", err) < 0)
		return -1;
	if (c->not_after <= 0 || c->not_after > INT64_MAX / 1000 - s->cert_grace_s)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad not_after");
	if (c->not_after + s->cert_grace_s <= now)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: certificate %s expired", serial);
	expire_ms = (c->not_after + s->cert_grace_s) * 1000;
	member_make(aki, serial, cc->member, sizeof(cc->member));
	snprintf(cc->hex_member, sizeof(cc->hex_member), "%s:%s", aki, serial);
	snprintf(cc->prune, sizeof(cc->prune), "(%" PRId64, now - s->cert_grace_s);

	store_cmd_start(&cmd[0], "MULTI");
	store_cmd_start(&cmd[1], "DEL");
	store_cmd_arg(&cmd[1], cc->key);
	store_cmd_start(&cmd[2], "HSET");
	store_cmd_arg(&cmd[2], cc->key);
	if (store_encode_args(&cmd[2], cert_fields, NFIELDS(cert_fields), c, err) < 0)
		return -1;
	store_cmd_start(&cmd[3], "PEXPIREAT");
	store_cmd_arg(&cmd[3], cc->key);
	store_cmd_int(&cmd[3], expire_ms);
	store_cmd_start(&cmd[4], "ZREM");	/* the hex form, before the member is added */
	store_cmd_arg(&cmd[4], cc->certs);
	store_cmd_arg(&cmd[4], cc->hex_member);
	store_cmd_start(&cmd[5], "ZADD");
	store_cmd_arg(&cmd[5], cc->certs);
	store_cmd_int(&cmd[5], c->not_after);
	store_cmd_arg(&cmd[5], cc->member);
	store_cmd_start(&cmd[6], "ZREMRANGEBYSCORE");
	store_cmd_arg(&cmd[6], cc->certs);
	store_cmd_arg(&cmd[6], "-inf");
	store_cmd_arg(&cmd[6], cc->prune);
	store_cmd_start(&cmd[7], "PEXPIREAT");
	store_cmd_arg(&cmd[7], cc->certs);
	store_cmd_int(&cmd[7], expire_ms);
	store_cmd_start(&cmd[CERT_EXEC], "EXEC");
	store_cmd_start(&cmd[9], "SET");
	store_cmd_arg(&cmd[9], cc->idx);
	store_cmd_arg(&cmd[9], c->device);
	store_cmd_arg(&cmd[9], "PXAT");
	store_cmd_int(&cmd[9], expire_ms);
	store_cmd_start(&cmd[10], "SADD");
	store_cmd_arg(&cmd[10], cc->devices);
	store_cmd_arg(&cmd[10], c->device);
	return 0;
}

int ar_store_cert_put(ar_store_t *s, const ar_store_cert_t *c, ar_err_t *err)
{
	redisReply *replies[CERT_CMDS] = { NULL };
	cert_cmds_t cc;
	int rc = -1;

	if (cert_cmds(s, c, &cc, err) < 0 || store_run(s, cc.cmd, CERT_CMDS, replies, 0, err) < 0)
		return -1;
	if (store_check_tx(s, replies, CERT_EXEC - 1, err) < 0 ||
	    store_reply_ok(s, replies[CERT_EXEC + 1], err) < 0 ||
	    store_reply_expect(s, replies[CERT_EXEC + 2], REDIS_REPLY_INTEGER, err) < 0)
		goto out;
	rc = store_durable(s, err);
out:
	store_replies_free(replies, CERT_CMDS);
	return rc;
}

int ar_store_batch_cert(ar_store_batch_t *b, const ar_store_cert_t *c)
{
	cert_cmds_t cc;
	size_t i;

	if (!b || b->err.code || cert_cmds(b->s, c, &cc, &b->err) < 0)
		return -1;
	for (i = 1; i < CERT_CMDS; i++)	/* without MULTI and EXEC */
		if (i != CERT_EXEC && store_batch_add(b, &cc.cmd[i]) < 0)
			return -1;
	b->durable = 1;
	return 0;
}

int ar_store_cert_get(ar_store_t *s, const char *device, const char *aki_hex,
		      const char *serial_hex, ar_store_cert_t *c, ar_err_t *err)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1], key[KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	int rc;

	if (ar_store_device_valid(device, err) < 0 ||
	    store_hex_norm(aki_hex, aki, "AKI", err) < 0 ||
	    store_hex_norm(serial_hex, serial, "serial", err) < 0 ||
	    store_cert_key(s, key, sizeof(key), device, aki, serial, err) < 0)
		return -1;
	store_cmd_start(&cmd, "HGETALL");
	store_cmd_arg(&cmd, key);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	rc = cert_from_reply(s, r, aki, serial, c, err);
	freeReplyObject(r);
	return rc;
}

int ar_store_cert_find(ar_store_t *s, const char *aki_hex, const char *serial_hex,
		       ar_store_cert_t *c, ar_err_t *err)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1], idx[KEY_MAX];
	char device[AR_STORE_DEVICE_MAX + 1];
	cmd_t cmd;
	redisReply *r;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (store_hex_norm(aki_hex, aki, "AKI", err) < 0 ||
	    store_hex_norm(serial_hex, serial, "serial", err) < 0 ||
	    store_key_fmt(idx, sizeof(idx), err, "%s:certidx:%s:%s", s->prefix, aki, serial) < 0)
		return -1;
	store_cmd_start(&cmd, "GET");
	store_cmd_arg(&cmd, idx);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_NIL) {
		rc = 0;
		goto out;
	}
	if (store_reply_expect(s, r, REDIS_REPLY_STRING, err) < 0)
		goto out;
	if (r->len > AR_STORE_DEVICE_MAX || memchr(r->str, '\0', r->len)) {
		ar_err_set(err, AR_ERR_MALFORMED, "store: certificate index holds a bad device id");
		goto out;
	}
	memcpy(device, r->str, r->len + 1);
	rc = ar_store_cert_get(s, device, aki, serial, c, err);
out:
	freeReplyObject(r);
	return rc;
}

/* Set the given hash fields only if the hash exists; returns 1 or 0. */
static const char mark_script[] =
	"if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
	"redis.call('HSET', KEYS[1], unpack(ARGV)) return 1";

static int cert_mark_cmd(ar_store_t *s, const char *device, const char *aki_hex,
			 const char *serial_hex, int status, int renew_now, char *key, cmd_t *cmd,
			 ar_err_t *err)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1];

	if (ar_store_device_valid(device, err) < 0 ||
	    store_hex_norm(aki_hex, aki, "AKI", err) < 0 ||
	    store_hex_norm(serial_hex, serial, "serial", err) < 0 ||
	    store_cert_key(s, key, KEY_MAX, device, aki, serial, err) < 0)
		return -1;
	if (status < -1 || status > (int)AR_CERT_REVOKED || renew_now < -1 || renew_now > 1)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad certificate mark");

	if (status < 0 && renew_now < 0) {
		store_cmd_start(cmd, "EXISTS");
		store_cmd_arg(cmd, key);
		return 0;
	}
	store_cmd_start(cmd, "EVAL");
	store_cmd_arg(cmd, mark_script);
	store_cmd_arg(cmd, "1");
	store_cmd_arg(cmd, key);
	if (status >= 0) {
		store_cmd_arg(cmd, "status");
		store_cmd_arg(cmd, ar_cert_status_name((ar_cert_status_t)status));
	}
	if (renew_now >= 0) {
		store_cmd_arg(cmd, "renew_now");
		store_cmd_arg(cmd, renew_now ? "1" : "0");
	}
	return 0;
}

int ar_store_cert_mark(ar_store_t *s, const char *device, const char *aki_hex,
		       const char *serial_hex, int status, int renew_now, ar_err_t *err)
{
	char key[KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	int rc = -1;

	if (cert_mark_cmd(s, device, aki_hex, serial_hex, status, renew_now, key, &cmd, err) < 0)
		return -1;
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	if (store_reply_expect(s, r, REDIS_REPLY_INTEGER, err) == 0)
		rc = r->integer ? 1 : 0;
	freeReplyObject(r);
	return rc;
}

int ar_store_batch_cert_mark(ar_store_batch_t *b, const char *device, const char *aki_hex,
			     const char *serial_hex, int status, int renew_now)
{
	char key[KEY_MAX];
	cmd_t cmd;

	if (!b || b->err.code ||
	    cert_mark_cmd(b->s, device, aki_hex, serial_hex, status, renew_now, key, &cmd,
			  &b->err) < 0)
		return -1;
	return store_batch_add(b, &cmd);
}

/*
 * HGETALL of every certificate named in @list (the members of @certs, all
 * in one pipeline) into @res; *found: how many still exist.
 */
static int certs_fetch(ar_store_t *s, const char *device, const char *certs,
		       const redisReply *list, ar_store_cert_t *res, size_t *found,
		       ar_err_t *err)
{
	char key[KEY_MAX];
	char (*akis)[AR_STORE_HEX_MAX + 1] = NULL, (*serials)[AR_STORE_HEX_MAX + 1] = NULL;
	redisReply **replies = NULL;
	cmd_t *cmds = NULL;
	size_t i, count = list->elements;
	int rc = -1;

	cmds = calloc(count, sizeof(*cmds));
	replies = calloc(count, sizeof(*replies));
	akis = calloc(count, sizeof(*akis));
	serials = calloc(count, sizeof(*serials));
	if (!cmds || !replies || !akis || !serials) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	/* Each vector owns a heap copy of its key (the stack buffer is reused). */
	for (i = 0; i < count; i++) {
		char *k;

		if (member_split(list->element[i], akis[i], serials[i]) < 0) {
			ar_err_set(err, AR_ERR_MALFORMED, "store: bad member in %s", certs);
			goto out;
		}
		if (store_cert_key(s, key, sizeof(key), device, akis[i], serials[i], err) < 0)
			goto out;
		k = strdup(key);
		if (!k) {
			ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
			goto out;
		}
		store_cmd_start(&cmds[i], "HGETALL");
		store_cmd_arg(&cmds[i], k);
	}
	if (store_read(s, cmds, count, replies, err) < 0)
		goto out;
	for (i = 0; i < count; i++) {
		int got = cert_from_reply(s, replies[i], akis[i], serials[i], &res[*found], err);

		if (got < 0)
			goto out;
		*found += (size_t)got;
	}
	rc = 0;
out:
	if (cmds) {
		for (i = 0; i < count; i++) {
			if (cmds[i].argc > 1)
				free((char *)cmds[i].argv[1]);
		}
	}
	if (replies)
		store_replies_free(replies, count);
	free(replies);
	free(cmds);
	free(akis);
	free(serials);
	return rc;
}

int ar_store_certs_of_device(ar_store_t *s, const char *device, ar_store_cert_t **out,
			     size_t *n, ar_err_t *err)
{
	char certs[KEY_MAX];
	redisReply *list = NULL;
	ar_store_cert_t *res = NULL;
	cmd_t cmd;
	size_t found = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (ar_store_device_valid(device, err) < 0 ||
	    store_dev_key(s, certs, sizeof(certs), device, "certs", err) < 0)
		return -1;
	store_cmd_start(&cmd, "ZREVRANGE");
	store_cmd_arg(&cmd, certs);
	store_cmd_arg(&cmd, "0");
	store_cmd_int(&cmd, AR_STORE_CERTS_MAX - 1);
	list = store_get(s, &cmd, err);
	if (!list)
		return -1;
	if (store_reply_expect(s, list, REDIS_REPLY_ARRAY, err) < 0)
		goto out;
	if (list->elements == 0) {
		rc = 0;
		goto out;
	}
	res = calloc(list->elements, sizeof(*res));
	if (!res) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	if (certs_fetch(s, device, certs, list, res, &found, err) < 0)
		goto out;
	rc = 0;
	if (found) {
		*out = res;
		*n = found;
		res = NULL;
	}
out:
	free(res);
	freeReplyObject(list);
	return rc;
}

/*
 *	The per-authentication lookup.
 */
/* The verdict stands over the posture: the worse of the two decides. */
static void verdict_fold(const ar_store_verdict_t *v, ar_store_posture_t *p, int *found)
{
	if (!(*found & AR_STORE_FOUND_POSTURE)) {
		memset(p, 0, sizeof(*p));
		p->status = AR_STATUS_AFFIRMING;	/* the least: the verdict stands */
		p->updated_at = v->set_at;
		*found |= AR_STORE_FOUND_POSTURE;
	}
	ar_verdict_caps(v, &p->status, p->reason, sizeof(p->reason));
}

int ar_store_auth_lookup(ar_store_t *s, const char *device, const char *aki_hex,
			 const char *serial_hex, ar_store_posture_t *posture,
			 ar_store_cert_t *cert, ar_err_t *err)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1];
	char pkey[KEY_MAX], vkey[KEY_MAX], ckey[KEY_MAX];
	redisReply *replies[3] = { NULL };
	ar_store_verdict_t v;
	cmd_t cmds[3];
	size_t ncmds = 2;
	int rc = -1, got, found = 0;

	if (ar_store_device_valid(device, err) < 0 ||
	    store_dev_key(s, pkey, sizeof(pkey), device, "posture", err) < 0 ||
	    store_dev_key(s, vkey, sizeof(vkey), device, "verdict", err) < 0)
		return -1;
	if (aki_hex || serial_hex) {
		if (store_hex_norm(aki_hex, aki, "AKI", err) < 0 ||
		    store_hex_norm(serial_hex, serial, "serial", err) < 0 ||
		    store_cert_key(s, ckey, sizeof(ckey), device, aki, serial, err) < 0)
			return -1;
		ncmds = 3;
	}
	store_cmd_start(&cmds[0], "HGETALL");
	store_cmd_arg(&cmds[0], pkey);
	store_cmd_start(&cmds[1], "HGETALL");
	store_cmd_arg(&cmds[1], vkey);
	if (ncmds == 3) {
		store_cmd_start(&cmds[2], "HGETALL");
		store_cmd_arg(&cmds[2], ckey);
	}
	if (store_read(s, cmds, ncmds, replies, err) < 0)
		return -1;

	got = store_posture_from_reply(s, replies[0], posture, err);
	if (got < 0)
		goto out;
	if (got)
		found |= AR_STORE_FOUND_POSTURE;
	got = store_verdict_from_reply(s, replies[1], &v, err);
	if (got < 0)
		goto out;
	if (got) {
		found |= AR_STORE_FOUND_VERDICT;
		verdict_fold(&v, posture, &found);
	}
	if (ncmds == 3) {
		got = cert_from_reply(s, replies[2], aki, serial, cert, err);
		if (got < 0)
			goto out;
		if (got)
			found |= AR_STORE_FOUND_CERT;
	} else {
		memset(cert, 0, sizeof(*cert));
	}
	rc = found;
out:
	store_replies_free(replies, ncmds);
	return rc;
}

