/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The records of a device: its posture, the key that speaks for it
 * (identity), the SOC's standing verdict, and the sets of device ids.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/*
 * The posture hash's field names are short (st tv ia ex vf pf ua rs): the
 * record of a million devices, a listpack each, is about a fifth smaller.
 * The long names earlier versions wrote (posture_names_before) are still
 * read; a put replaces the whole record.
 */
#define PFIELD(_n, _m, _type, _req) \
	{ _n, _type, offsetof(ar_store_posture_t, _m), sizeof(((ar_store_posture_t *)0)->_m), _req }

static const field_t posture_fields[] = {
	PFIELD("st", status, F_STATUS, 1),
	PFIELD("tv", tv, F_STR, 0),
	PFIELD("ia", ear_iat, F_INT, 0),
	PFIELD("ex", ear_exp, F_INT, 0),
	PFIELD("vf", verifier, F_STR, 0),
	PFIELD("pf", profile, F_STR, 0),
	PFIELD("ua", updated_at, F_INT, 1),
	PFIELD("rs", reason, F_STR, 0),
};

static const field_t posture_names_before[] = {
	FIELD(ar_store_posture_t, status, F_STATUS, 1),
	FIELD(ar_store_posture_t, tv, F_STR, 0),
	FIELD(ar_store_posture_t, ear_iat, F_INT, 0),
	FIELD(ar_store_posture_t, ear_exp, F_INT, 0),
	FIELD(ar_store_posture_t, verifier, F_STR, 0),
	FIELD(ar_store_posture_t, profile, F_STR, 0),
	FIELD(ar_store_posture_t, updated_at, F_INT, 1),
	FIELD(ar_store_posture_t, reason, F_STR, 0),
};

static const field_t identity_fields[] = {
	FIELD(ar_store_identity_t, jkt, F_STR, 1),
	FIELD(ar_store_identity_t, jwk, F_STR, 1),
	FIELD(ar_store_identity_t, account, F_STR, 0),
	FIELD(ar_store_identity_t, eab_kid, F_STR, 0),
	FIELD(ar_store_identity_t, enrolled_at, F_INT, 1),
};

static const field_t verdict_fields[] = {
	FIELD(ar_store_verdict_t, status, F_STATUS, 1),
	FIELD(ar_store_verdict_t, reason, F_STR, 0),
	FIELD(ar_store_verdict_t, source, F_STR, 0),
	FIELD(ar_store_verdict_t, identity, F_STR, 0),
	FIELD(ar_store_verdict_t, set_at, F_INT, 1),
};

/*
 *	Posture.
 */
/*
 * A posture record as commands: MULTI, DEL and HSET on the device's key,
 * EXEC, then the device added to `devices` (another slot) next to it.
 */
typedef struct replace_cmds {
	char			key[KEY_MAX], devices[KEY_MAX];
	cmd_t			cmd[5];
} replace_cmds_t;

/*
 * One device record as commands: MULTI, DEL and HSET of its hash (the
 * fields of @rec, which must outlive the commands), EXEC, then the device
 * added to `devices` (another slot) next to it.
 */
static int replace_cmds(ar_store_t *s, const char *device, const char *suffix,
			const field_t *fields, size_t n, const void *rec, replace_cmds_t *rc,
			ar_err_t *err)
{
	cmd_t *cmd = rc->cmd;

	if (ar_store_device_valid(device, err) < 0 ||
	    store_dev_key(s, rc->key, sizeof(rc->key), device, suffix, err) < 0 ||
	    store_glob_key(s, rc->devices, sizeof(rc->devices), "devices", err) < 0)
		return -1;
	store_cmd_start(&cmd[0], "MULTI");
	store_cmd_start(&cmd[1], "DEL");
	store_cmd_arg(&cmd[1], rc->key);
	store_cmd_start(&cmd[2], "HSET");
	store_cmd_arg(&cmd[2], rc->key);
	/* A posture leaves out optional fields that are 0 or "" (the listpack is smaller). */
	if (store_encode_args_sparse(&cmd[2], fields, n, rec, fields == posture_fields, err) < 0)
		return -1;
	store_cmd_start(&cmd[3], "EXEC");
	store_cmd_start(&cmd[4], "SADD");
	store_cmd_arg(&cmd[4], rc->devices);
	store_cmd_arg(&cmd[4], device);
	return 0;
}

/* Send replace_cmds() and check every reply. */
static int replace_run(ar_store_t *s, const replace_cmds_t *rc, ar_err_t *err)
{
	redisReply *replies[5] = { NULL };
	int ret = -1;

	if (store_run(s, rc->cmd, 5, replies, 0, err) < 0)
		return -1;
	if (store_check_tx(s, replies, 2, err) == 0 &&
	    store_reply_expect(s, replies[4], REDIS_REPLY_INTEGER, err) == 0)
		ret = 0;
	store_replies_free(replies, 5);
	return ret;
}

int ar_store_posture_put(ar_store_t *s, const char *device, const ar_store_posture_t *p,
			 ar_err_t *err)
{
	ar_store_posture_t rec = *p;
	replace_cmds_t rc;

	if (!rec.updated_at)
		rec.updated_at = store_now();
	if (replace_cmds(s, device, "posture", posture_fields, NFIELDS(posture_fields), &rec, &rc,
			 err) < 0)
		return -1;
	return replace_run(s, &rc, err);
}

int ar_store_batch_posture(ar_store_batch_t *b, const char *device, const ar_store_posture_t *p)
{
	ar_store_posture_t rec;
	replace_cmds_t rc;

	if (!b || b->err.code)
		return -1;
	rec = *p;
	if (!rec.updated_at)
		rec.updated_at = store_now();
	if (replace_cmds(b->s, device, "posture", posture_fields, NFIELDS(posture_fields), &rec,
			 &rc, &b->err) < 0)
		return -1;
	return store_batch_add(b, &rc.cmd[1]) < 0 || store_batch_add(b, &rc.cmd[2]) < 0 ? -1
										: store_batch_add(b, &rc.cmd[4]);
}

/* HGETALL reply -> record; 1 found, 0 empty, -1 bad. */
int store_posture_from_reply(const ar_store_t *s, const redisReply *r, ar_store_posture_t *p,
			     ar_err_t *err)
{
	int rc;

	memset(p, 0, sizeof(*p));
	rc = store_reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0 ? -1 : r->elements > 0;
	if (rc == 1 && store_decode_pairs_alias(posture_fields, posture_names_before,
						NFIELDS(posture_fields), p, r->element,
						r->elements, err) < 0)
		rc = ar_err_prefix(err, "posture: ");
	if (rc == 0)
		p->status = AR_STATUS_NONE;
	return rc;
}

int ar_store_posture_get(ar_store_t *s, const char *device, ar_store_posture_t *p, ar_err_t *err)
{
	char key[KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	int rc;

	if (ar_store_device_valid(device, err) < 0 ||
	    store_dev_key(s, key, sizeof(key), device, "posture", err) < 0)
		return -1;
	store_cmd_start(&cmd, "HGETALL");
	store_cmd_arg(&cmd, key);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	rc = store_posture_from_reply(s, r, p, err);
	freeReplyObject(r);
	return rc;
}

/*
 *	Device identity.
 */
/* KEYS[1] the identity hash; ARGV[1] the jkt to bind, ARGV[2..] its fields. */
static const char bind_script[] =
	"local cur = redis.call('HGET', KEYS[1], 'jkt') "
	"if cur then if cur == ARGV[1] then return 1 end return 0 end "
	"redis.call('HSET', KEYS[1], unpack(ARGV, 2)) return 1";

/* As bind, but only over ARGV[1], the jkt it must still have. */
static const char rekey_script[] =
	"if redis.call('HGET', KEYS[1], 'jkt') ~= ARGV[1] then return 0 end "
	"redis.call('DEL', KEYS[1]) redis.call('HSET', KEYS[1], unpack(ARGV, 2)) return 1";

/* EVAL @script 1 <identity key> @guard_jkt <fields of @id>: its integer answer. */
static int identity_eval(ar_store_t *s, const char *script, const char *device,
			 const char *guard_jkt, const ar_store_identity_t *id, ar_err_t *err)
{
	char key[KEY_MAX];
	ar_store_identity_t rec = *id;
	redisReply *r;
	cmd_t cmd;
	int rc;

	if (ar_store_device_valid(device, err) < 0 ||
	    store_dev_key(s, key, sizeof(key), device, "identity", err) < 0)
		return -1;
	if (strlen(rec.jkt) != AR_JWK_THUMBPRINT_LEN)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: identity jkt is not a thumbprint");
	if (!rec.enrolled_at)
		rec.enrolled_at = store_now();
	store_cmd_start(&cmd, "EVAL");
	store_cmd_arg(&cmd, script);
	store_cmd_arg(&cmd, "1");
	store_cmd_arg(&cmd, key);
	store_cmd_arg(&cmd, guard_jkt);
	if (store_encode_args(&cmd, identity_fields, NFIELDS(identity_fields), &rec, err) < 0)
		return -1;
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = store_reply_expect(s, r, REDIS_REPLY_INTEGER, err) < 0 ? -1 : r->integer != 0;
	freeReplyObject(r);
	return rc;
}

/*
 * SADD or SREM @device in the set of devices a key speaks for (another
 * slot than the device's: next to, not inside, its script).
 */
static int idkey_index(ar_store_t *s, const char *op, const char *jkt, const char *device,
		       ar_err_t *err)
{
	char key[KEY_MAX];
	redisReply *r;
	cmd_t cmd;
	int rc;

	if (store_key_fmt(key, sizeof(key), err, "%s:idkey:%s", s->prefix, jkt) < 0)
		return -1;
	store_cmd_start(&cmd, op);
	store_cmd_arg(&cmd, key);
	store_cmd_arg(&cmd, device);
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = store_reply_expect(s, r, REDIS_REPLY_INTEGER, err);
	freeReplyObject(r);
	return rc;
}

int ar_store_identity_bind(ar_store_t *s, const char *device, const ar_store_identity_t *id,
			   ar_store_identity_t *current, ar_err_t *err)
{
	int rc = identity_eval(s, bind_script, device, id->jkt, id, err);

	if (rc == 1 && idkey_index(s, "SADD", id->jkt, device, err) < 0)
		return -1;
	if (rc == 0 && current && ar_store_identity_get(s, device, current, err) < 0)
		return -1;
	return rc;
}

int ar_store_identity_rekey(ar_store_t *s, const char *device, const char *old_jkt,
			    const ar_store_identity_t *id, ar_err_t *err)
{
	int rc = identity_eval(s, rekey_script, device, old_jkt, id, err);

	if (rc == 1 && (idkey_index(s, "SADD", id->jkt, device, err) < 0 ||
			idkey_index(s, "SREM", old_jkt, device, err) < 0))
		return -1;
	return rc;
}

/* HGETALL of one device hash into @rec through @from. */
static int dev_hash_get(ar_store_t *s, const char *device, const char *suffix, void *rec,
			int (*from)(const ar_store_t *, const redisReply *, void *, ar_err_t *),
			ar_err_t *err)
{
	char key[KEY_MAX];
	redisReply *r;
	cmd_t cmd;
	int rc;

	if (ar_store_device_valid(device, err) < 0 ||
	    store_dev_key(s, key, sizeof(key), device, suffix, err) < 0)
		return -1;
	store_cmd_start(&cmd, "HGETALL");
	store_cmd_arg(&cmd, key);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	rc = from(s, r, rec, err);
	freeReplyObject(r);
	return rc;
}

/* DEL of one device key: 1 removed, 0 absent. */
static int dev_key_del(ar_store_t *s, const char *device, const char *suffix, ar_err_t *err)
{
	char key[KEY_MAX];
	redisReply *r;
	cmd_t cmd;
	int rc;

	if (ar_store_device_valid(device, err) < 0 ||
	    store_dev_key(s, key, sizeof(key), device, suffix, err) < 0)
		return -1;
	store_cmd_start(&cmd, "DEL");
	store_cmd_arg(&cmd, key);
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = store_reply_expect(s, r, REDIS_REPLY_INTEGER, err) < 0 ? -1 : r->integer > 0;
	freeReplyObject(r);
	return rc;
}

static int identity_from_any(const ar_store_t *s, const redisReply *r, void *rec, ar_err_t *err)
{
	return store_hash_from_reply(s, r, identity_fields, NFIELDS(identity_fields), rec,
				     sizeof(ar_store_identity_t), "identity", err);
}

int ar_store_identity_get(ar_store_t *s, const char *device, ar_store_identity_t *id,
			  ar_err_t *err)
{
	return dev_hash_get(s, device, "identity", id, identity_from_any, err);
}

int ar_store_identity_del(ar_store_t *s, const char *device, ar_err_t *err)
{
	ar_store_identity_t id;
	int rc = ar_store_identity_get(s, device, &id, err);

	if (rc <= 0)
		return rc;
	rc = dev_key_del(s, device, "identity", err);
	if (rc >= 0 && idkey_index(s, "SREM", id.jkt, device, err) < 0)
		return -1;
	return rc;
}

/*
 *	SOC verdicts.
 */
int store_verdict_from_reply(const ar_store_t *s, const redisReply *r, ar_store_verdict_t *v,
			     ar_err_t *err)
{
	int rc = store_hash_from_reply(s, r, verdict_fields, NFIELDS(verdict_fields), v, sizeof(*v),
				       "verdict", err);

	if (rc <= 0)
		return rc;
	if (v->status != AR_STATUS_WARNING && v->status != AR_STATUS_CONTRAINDICATED)
		return ar_err_set(err, AR_ERR_MALFORMED, "verdict: stored status is %s",
				  ar_status_name(v->status));
	return 1;
}

static int verdict_from_any(const ar_store_t *s, const redisReply *r, void *rec, ar_err_t *err)
{
	return store_verdict_from_reply(s, r, rec, err);
}

int ar_store_verdict_put(ar_store_t *s, const char *device, const ar_store_verdict_t *v,
			 ar_err_t *err)
{
	ar_store_verdict_t rec = *v;
	replace_cmds_t rc;

	if (v->status != AR_STATUS_WARNING && v->status != AR_STATUS_CONTRAINDICATED)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: a verdict is warning or "
				  "contraindicated");
	if (!rec.set_at)
		rec.set_at = store_now();
	if (replace_cmds(s, device, "verdict", verdict_fields, NFIELDS(verdict_fields), &rec, &rc,
			 err) < 0)
		return -1;
	return replace_run(s, &rc, err) < 0 ? -1 : store_durable(s, err);
}

int ar_store_verdict_get(ar_store_t *s, const char *device, ar_store_verdict_t *v, ar_err_t *err)
{
	return dev_hash_get(s, device, "verdict", v, verdict_from_any, err);
}

int ar_store_verdict_clear(ar_store_t *s, const char *device, ar_err_t *err)
{
	int rc = dev_key_del(s, device, "verdict", err);

	return rc < 0 || store_durable(s, err) < 0 ? -1 : rc;
}

/*
 *	Devices.
 */
static int devid_cmp(const void *a, const void *b)
{
	return strcmp(((const ar_store_devid_t *)a)->id, ((const ar_store_devid_t *)b)->id);
}

/* The members of a set of device ids, sorted. */
static int device_set(ar_store_t *s, const char *key, ar_store_devid_t **out, size_t *n,
		      ar_err_t *err)
{
	ar_store_devid_t *res = NULL;
	cmd_t cmd;
	redisReply *r;
	size_t i;
	int rc = -1;

	*out = NULL;
	*n = 0;
	store_cmd_start(&cmd, "SMEMBERS");
	store_cmd_arg(&cmd, key);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	if (store_reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
		goto out;
	if (r->elements == 0) {
		rc = 0;
		goto out;
	}
	res = calloc(r->elements, sizeof(*res));
	if (!res) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	for (i = 0; i < r->elements; i++) {
		const redisReply *m = r->element[i];

		if (m->type != REDIS_REPLY_STRING || m->len > AR_STORE_DEVICE_MAX ||
		    memchr(m->str, '\0', m->len)) {
			ar_err_set(err, AR_ERR_MALFORMED, "store: bad member in %s", key);
			goto out;
		}
		memcpy(res[i].id, m->str, m->len + 1);
	}
	qsort(res, r->elements, sizeof(*res), devid_cmp);
	*out = res;
	*n = r->elements;
	res = NULL;
	rc = 0;
out:
	free(res);
	freeReplyObject(r);
	return rc;
}

int ar_store_devices(ar_store_t *s, ar_store_devid_t **out, size_t *n, ar_err_t *err)
{
	char key[KEY_MAX];

	*out = NULL;
	*n = 0;
	if (store_glob_key(s, key, sizeof(key), "devices", err) < 0)
		return -1;
	return device_set(s, key, out, n, err);
}

int ar_store_identity_devices(ar_store_t *s, const char *jkt, ar_store_devid_t **out, size_t *n,
			      ar_err_t *err)
{
	char key[KEY_MAX];

	*out = NULL;
	*n = 0;
	if (!jkt || strlen(jkt) != AR_JWK_THUMBPRINT_LEN)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: not a key thumbprint");
	if (store_key_fmt(key, sizeof(key), err, "%s:idkey:%s", s->prefix, jkt) < 0)
		return -1;
	return device_set(s, key, out, n, err);
}

