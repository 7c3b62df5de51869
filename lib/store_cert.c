/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Certificates issued to devices (hash, per-device index, AKI+serial
 * index) and the per-authentication lookup of posture, verdict and
 * certificate in one round trip.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
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

/*
 * The certificate index by serial, `P:sn:<base64url of the serial's bytes>`
 * (an odd number of hex digits read with a leading 0): the serials are the
 * CA's 127 random bits, so the serial alone names a certificate; the AKI
 * is checked by the `c` field it leads to. Earlier versions wrote
 * `P:certidx:<AKI hex>:<serial hex>` (40 bytes longer in every key): still
 * read, until they expire with their certificates.
 */
static int sn_key(const ar_store_t *s, const char *serial, char *out, size_t size,
		  ar_err_t *err)
{
	char hex[AR_STORE_HEX_MAX + 2], b64[AR_STORE_HEX_MAX + 4];
	uint8_t raw[AR_STORE_HEX_MAX / 2 + 1];
	ssize_t n;

	snprintf(hex, sizeof(hex), "%s%s", strlen(serial) % 2 ? "0" : "", serial);
	n = ar_hex_decode(hex, strlen(hex), raw, sizeof(raw));
	if (n <= 0 || ar_b64url_encode(raw, (size_t)n, b64, sizeof(b64)) < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad serial");
	return store_key_fmt(out, size, err, "%s:sn:%s", s->prefix, b64);
}

/* The index key of earlier versions. */
static int certidx_key(const ar_store_t *s, const char *aki, const char *serial, char *out,
		       size_t size, ar_err_t *err)
{
	return store_key_fmt(out, size, err, "%s:certidx:%s:%s", s->prefix, aki, serial);
}

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
 * A device's certificates are one hash, `{dev:ID}:c`: field the member
 * above, value "<not_after> <status> <renew_now>" (about 20 bytes, so the
 * hash stays a listpack under Redis's default limits). A certificate
 * counts until not_after + grace, enforced on every read; its field is
 * removed by the next certificate put on the device (cert_put_script).
 * The hash has no expiry of its own, like the device's posture record: an
 * expiry costs about 40 bytes per device in Redis's expires table, and the
 * fields carry their own (earlier versions set one, which the next put
 * removes: it would end a newer certificate's field with the old ones).
 * The order URL, too long for the listpack, rides on the serial index:
 * "<device> <order>".
 *
 * Certificates written by earlier versions - a hash `{dev:ID}:cert:AKI:SERIAL`
 * each, listed in the zset `{dev:ID}:certs` - are still read until they
 * expire (their own TTL); a put of the same certificate moves it here.
 */
#define CERT_VALUE_MAX	64

static const char cert_put_script[] =
	"local h = redis.call('HGETALL', KEYS[1]) "
	"local keep = tonumber(ARGV[3]) "
	"for i = 1, #h, 2 do "
	"  local na = tonumber(string.match(h[i + 1], '^(%-?%d+) ')) "
	"  if h[i] ~= ARGV[1] and (na == nil or na <= keep) then "
	"    redis.call('HDEL', KEYS[1], h[i]) "
	"  end "
	"end "
	"redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) "
	"redis.call('PERSIST', KEYS[1]) "
	"return 1";

#define CERT_EXEC	4	/* cmd[0] MULTI .. cmd[4] EXEC, then SET and SADD */
#define CERT_CMDS	7

typedef struct cert_cmds {
	char	key[KEY_MAX], certs[KEY_MAX], ckey[KEY_MAX], idx[KEY_MAX], devices[KEY_MAX];
	char	member[MEMBER_MAX], hex_member[MEMBER_MAX], keep[24];
	char	value[CERT_VALUE_MAX], idxval[AR_STORE_DEVICE_MAX + AR_STORE_URL_MAX + 2];
	cmd_t	cmd[CERT_CMDS];
} cert_cmds_t;

static int cert_value(const ar_store_cert_t *c, char *buf, size_t size, ar_err_t *err)
{
	int n;

	if ((unsigned)c->status > AR_CERT_REVOKED)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad status");
	n = snprintf(buf, size, "%" PRId64 " %s %d", c->not_after, ar_cert_status_name(c->status),
		     c->renew_now ? 1 : 0);
	if (n < 0 || (size_t)n >= size)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad certificate record");
	return 0;
}

static int cert_cmds(ar_store_t *s, const ar_store_cert_t *c, cert_cmds_t *cc, ar_err_t *err)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1];
	cmd_t *cmd = cc->cmd;
	int64_t now = store_now(), expire_ms;
	size_t olen;

	if (ar_store_device_valid(c->device, err) < 0 ||
	    store_hex_norm(c->aki, aki, "AKI", err) < 0 ||
	    store_hex_norm(c->serial, serial, "serial", err) < 0 ||
	    store_cert_key(s, cc->key, sizeof(cc->key), c->device, aki, serial, err) < 0 ||
	    store_dev_key(s, cc->certs, sizeof(cc->certs), c->device, "certs", err) < 0 ||
	    store_dev_key(s, cc->ckey, sizeof(cc->ckey), c->device, "c", err) < 0 ||
	    sn_key(s, serial, cc->idx, sizeof(cc->idx), err) < 0 ||
	    store_glob_key(s, cc->devices, sizeof(cc->devices), "devices", err) < 0)
		return -1;
	if (c->not_after <= 0 || c->not_after > INT64_MAX / 1000 - s->cert_grace_s)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad not_after");
	if (c->not_after + s->cert_grace_s <= now)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: certificate %s expired", serial);
	olen = strnlen(c->order, sizeof(c->order));
	if (olen == sizeof(c->order) || !store_printable(c->order, AR_STORE_URL_MAX, 1) != !olen)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: order must be printable ASCII "
				  "without space");
	if (cert_value(c, cc->value, sizeof(cc->value), err) < 0)
		return -1;
	expire_ms = (c->not_after + s->cert_grace_s) * 1000;
	member_make(aki, serial, cc->member, sizeof(cc->member));
	snprintf(cc->hex_member, sizeof(cc->hex_member), "%s:%s", aki, serial);
	snprintf(cc->keep, sizeof(cc->keep), "%" PRId64, now - s->cert_grace_s);
	snprintf(cc->idxval, sizeof(cc->idxval), "%s%s%s", c->device, olen ? " " : "", c->order);

	store_cmd_start(&cmd[0], "MULTI");
	store_cmd_start(&cmd[1], "DEL");	/* the record as earlier versions wrote it */
	store_cmd_arg(&cmd[1], cc->key);
	store_cmd_start(&cmd[2], "ZREM");
	store_cmd_arg(&cmd[2], cc->certs);
	store_cmd_arg(&cmd[2], cc->hex_member);
	store_cmd_arg(&cmd[2], cc->member);
	store_cmd_start(&cmd[3], "EVAL");
	store_cmd_arg(&cmd[3], cert_put_script);
	store_cmd_arg(&cmd[3], "1");
	store_cmd_arg(&cmd[3], cc->ckey);
	store_cmd_arg(&cmd[3], cc->member);
	store_cmd_arg(&cmd[3], cc->value);
	store_cmd_arg(&cmd[3], cc->keep);
	store_cmd_start(&cmd[CERT_EXEC], "EXEC");
	store_cmd_start(&cmd[5], "SET");
	store_cmd_arg(&cmd[5], cc->idx);
	store_cmd_arg(&cmd[5], cc->idxval);
	store_cmd_arg(&cmd[5], "PXAT");
	store_cmd_int(&cmd[5], expire_ms);
	store_cmd_start(&cmd[6], "SADD");
	store_cmd_arg(&cmd[6], cc->devices);
	store_cmd_arg(&cmd[6], c->device);
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

/*
 * Reading one certificate: its field in `c`, the record of earlier
 * versions, and (for the order) the index, in one round trip.
 */
typedef struct cert_read {
	char	aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1];
	char	ckey[KEY_MAX], key[KEY_MAX], idx[KEY_MAX], old_idx[KEY_MAX], member[MEMBER_MAX];
} cert_read_t;

static int cert_read_cmds(const ar_store_t *s, const char *device, const char *aki_hex,
			  const char *serial_hex, cert_read_t *cr, cmd_t *cmds, int with_idx,
			  ar_err_t *err)
{
	if (ar_store_device_valid(device, err) < 0 ||
	    store_hex_norm(aki_hex, cr->aki, "AKI", err) < 0 ||
	    store_hex_norm(serial_hex, cr->serial, "serial", err) < 0 ||
	    store_cert_key(s, cr->key, sizeof(cr->key), device, cr->aki, cr->serial, err) < 0 ||
	    store_dev_key(s, cr->ckey, sizeof(cr->ckey), device, "c", err) < 0 ||
	    sn_key(s, cr->serial, cr->idx, sizeof(cr->idx), err) < 0 ||
	    certidx_key(s, cr->aki, cr->serial, cr->old_idx, sizeof(cr->old_idx), err) < 0)
		return -1;
	member_make(cr->aki, cr->serial, cr->member, sizeof(cr->member));
	store_cmd_start(&cmds[0], "HGET");
	store_cmd_arg(&cmds[0], cr->ckey);
	store_cmd_arg(&cmds[0], cr->member);
	store_cmd_start(&cmds[1], "HGETALL");
	store_cmd_arg(&cmds[1], cr->key);
	if (with_idx) {
		store_cmd_start(&cmds[2], "GET");
		store_cmd_arg(&cmds[2], cr->idx);
		store_cmd_start(&cmds[3], "GET");
		store_cmd_arg(&cmds[3], cr->old_idx);
	}
	return 0;
}

/*
 * A `c` value: 1 the certificate counts (@c's not_after, status,
 * renew_now set), 0 it is past not_after + grace, -1 malformed.
 */
static int cert_from_value(const ar_store_t *s, const char *v, size_t len, ar_store_cert_t *c,
			   ar_err_t *err)
{
	char buf[CERT_VALUE_MAX], *st, *rn, *end;
	long long na;
	size_t i;

	if (len >= sizeof(buf) || memchr(v, '\0', len))
		goto bad;
	memcpy(buf, v, len);
	buf[len] = '\0';
	st = strchr(buf, ' ');
	if (!st)
		goto bad;
	*st++ = '\0';
	rn = strchr(st, ' ');
	if (!rn)
		goto bad;
	*rn++ = '\0';
	errno = 0;
	na = strtoll(buf, &end, 10);	/* digits only: as the Lua scripts read it */
	if (errno || *end || !isdigit((unsigned char)buf[0]) || na <= 0 || na > INT64_MAX / 1000 - s->cert_grace_s ||
	    (strcmp(rn, "0") != 0 && strcmp(rn, "1") != 0))
		goto bad;
	for (i = 0; i <= AR_CERT_REVOKED; i++)
		if (!strcmp(st, ar_cert_status_name((ar_cert_status_t)i)))
			break;
	if (i > AR_CERT_REVOKED)
		goto bad;
	c->not_after = (int64_t)na;
	c->status = (ar_cert_status_t)i;
	c->renew_now = rn[0] == '1';
	return c->not_after + s->cert_grace_s > store_now();
bad:
	return ar_err_set(err, AR_ERR_MALFORMED, "certificate: stored record is not valid");
}

/* The order from an index value "<device> <order>" that names @device. */
static void order_from_idx(const redisReply *r, const char *device, ar_store_cert_t *c)
{
	size_t dlen = strlen(device);

	if (r && r->type == REDIS_REPLY_STRING && r->len > dlen + 1 &&
	    !memcmp(r->str, device, dlen) && r->str[dlen] == ' ' &&
	    r->len - dlen - 1 < sizeof(c->order) && !memchr(r->str, '\0', r->len)) {
		memcpy(c->order, r->str + dlen + 1, r->len - dlen - 1);
		c->order[r->len - dlen - 1] = '\0';
	}
}

/* @r: the replies to cert_read_cmds() (r[2], r[3] NULL without the index). */
static int cert_from_replies(const ar_store_t *s, const char *device, const cert_read_t *cr,
			     redisReply *const *r, ar_store_cert_t *c, ar_err_t *err)
{
	int got;

	memset(c, 0, sizeof(*c));
	if (r[0]->type == REDIS_REPLY_ERROR)
		return store_reply_error(s, r[0], err);
	if (r[0]->type == REDIS_REPLY_STRING) {
		got = cert_from_value(s, r[0]->str, r[0]->len, c, err);
		if (got <= 0) {
			if (got == 0)
				memset(c, 0, sizeof(*c));
			return got;
		}
		snprintf(c->device, sizeof(c->device), "%s", device);
		snprintf(c->aki, sizeof(c->aki), "%s", cr->aki);
		snprintf(c->serial, sizeof(c->serial), "%s", cr->serial);
		order_from_idx(r[2] && r[2]->type == REDIS_REPLY_STRING ? r[2] : r[3], device, c);
		return 1;
	}
	if (r[0]->type != REDIS_REPLY_NIL)
		return ar_err_set(err, AR_ERR_MALFORMED, "certificate: stored record is not valid");
	got = cert_from_reply(s, r[1], cr->aki, cr->serial, c, err);
	if (got == 1 && strcmp(c->device, device) != 0) {
		memset(c, 0, sizeof(*c));
		return ar_err_set(err, AR_ERR_MALFORMED, "certificate: record names another device");
	}
	return got;
}

int ar_store_cert_get(ar_store_t *s, const char *device, const char *aki_hex,
		      const char *serial_hex, ar_store_cert_t *c, ar_err_t *err)
{
	redisReply *r[4] = { NULL };
	cert_read_t cr;
	cmd_t cmds[4];
	int rc;

	if (cert_read_cmds(s, device, aki_hex, serial_hex, &cr, cmds, 1, err) < 0)
		return -1;
	if (store_read(s, cmds, 4, r, err) < 0)
		return -1;
	rc = cert_from_replies(s, device, &cr, r, c, err);
	store_replies_free(r, 4);
	return rc;
}

int ar_store_cert_find(ar_store_t *s, const char *aki_hex, const char *serial_hex,
		       ar_store_cert_t *c, ar_err_t *err)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1];
	char idx[KEY_MAX], old_idx[KEY_MAX], device[AR_STORE_DEVICE_MAX + 1];
	redisReply *rs[2] = { NULL }, *r;
	cmd_t cmds[2];
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (store_hex_norm(aki_hex, aki, "AKI", err) < 0 ||
	    store_hex_norm(serial_hex, serial, "serial", err) < 0 ||
	    sn_key(s, serial, idx, sizeof(idx), err) < 0 ||
	    certidx_key(s, aki, serial, old_idx, sizeof(old_idx), err) < 0)
		return -1;
	store_cmd_start(&cmds[0], "GET");
	store_cmd_arg(&cmds[0], idx);
	store_cmd_start(&cmds[1], "GET");
	store_cmd_arg(&cmds[1], old_idx);
	if (store_read(s, cmds, 2, rs, err) < 0)
		return -1;
	r = rs[0]->type == REDIS_REPLY_NIL ? rs[1] : rs[0];
	if (r->type == REDIS_REPLY_NIL) {
		rc = 0;
		goto out;
	}
	if (store_reply_expect(s, r, REDIS_REPLY_STRING, err) < 0)
		goto out;
	{	/* "<device>" or "<device> <order>" */
		const char *sp = memchr(r->str, ' ', r->len);
		size_t dlen = sp ? (size_t)(sp - r->str) : r->len;

		if (dlen > AR_STORE_DEVICE_MAX || memchr(r->str, '\0', dlen)) {
			ar_err_set(err, AR_ERR_MALFORMED,
				   "store: certificate index holds a bad device id");
			goto out;
		}
		memcpy(device, r->str, dlen);
		device[dlen] = '\0';
	}
	rc = ar_store_cert_get(s, device, aki, serial, c, err);
out:
	store_replies_free(rs, 2);
	return rc;
}

/*
 * Change status / renew_now of an existing certificate (ARGV[2], ARGV[3],
 * "" to keep), in `c` while it counts (not_after > ARGV[4]) or else in the
 * record of earlier versions; returns 1, or 0 when there is none.
 */
static const char mark_script[] =
	"local v = redis.call('HGET', KEYS[1], ARGV[1]) "
	"if v then "
	"  local na, st, rn = string.match(v, '^(%-?%d+) (%S+) (%S+)$') "
	"  if na == nil or tonumber(na) <= tonumber(ARGV[4]) then return 0 end "
	"  if ARGV[2] ~= '' then st = ARGV[2] end "
	"  if ARGV[3] ~= '' then rn = ARGV[3] end "
	"  redis.call('HSET', KEYS[1], ARGV[1], na .. ' ' .. st .. ' ' .. rn) "
	"  return 1 "
	"end "
	"if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end "
	"if ARGV[2] ~= '' then redis.call('HSET', KEYS[2], 'status', ARGV[2]) end "
	"if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], 'renew_now', ARGV[3]) end "
	"return 1";

typedef struct mark_args {
	char	key[KEY_MAX], ckey[KEY_MAX], member[MEMBER_MAX], keep[24];
} mark_args_t;

static int cert_mark_cmd(ar_store_t *s, const char *device, const char *aki_hex,
			 const char *serial_hex, int status, int renew_now, mark_args_t *ma,
			 cmd_t *cmd, ar_err_t *err)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1];

	if (ar_store_device_valid(device, err) < 0 ||
	    store_hex_norm(aki_hex, aki, "AKI", err) < 0 ||
	    store_hex_norm(serial_hex, serial, "serial", err) < 0 ||
	    store_cert_key(s, ma->key, sizeof(ma->key), device, aki, serial, err) < 0 ||
	    store_dev_key(s, ma->ckey, sizeof(ma->ckey), device, "c", err) < 0)
		return -1;
	if (status < -1 || status > (int)AR_CERT_REVOKED || renew_now < -1 || renew_now > 1)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad certificate mark");
	member_make(aki, serial, ma->member, sizeof(ma->member));
	snprintf(ma->keep, sizeof(ma->keep), "%" PRId64, store_now() - s->cert_grace_s);

	store_cmd_start(cmd, "EVAL");
	store_cmd_arg(cmd, mark_script);
	store_cmd_arg(cmd, "2");
	store_cmd_arg(cmd, ma->ckey);
	store_cmd_arg(cmd, ma->key);
	store_cmd_arg(cmd, ma->member);
	store_cmd_arg(cmd, status >= 0 ? ar_cert_status_name((ar_cert_status_t)status) : "");
	store_cmd_arg(cmd, renew_now < 0 ? "" : renew_now ? "1" : "0");
	store_cmd_arg(cmd, ma->keep);
	return 0;
}

int ar_store_cert_mark(ar_store_t *s, const char *device, const char *aki_hex,
		       const char *serial_hex, int status, int renew_now, ar_err_t *err)
{
	mark_args_t ma;
	cmd_t cmd;
	redisReply *r;
	int rc = -1;

	if (cert_mark_cmd(s, device, aki_hex, serial_hex, status, renew_now, &ma, &cmd, err) < 0)
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
	mark_args_t ma;
	cmd_t cmd;

	if (!b || b->err.code ||
	    cert_mark_cmd(b->s, device, aki_hex, serial_hex, status, renew_now, &ma, &cmd,
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

/* The entries of HGETALL `c` that still count, into @res (room for all). */
static int certs_from_hash(const ar_store_t *s, const char *device, const redisReply *h,
			   ar_store_cert_t *res, size_t *found, ar_err_t *err)
{
	size_t i;

	if (h->elements % 2)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: odd field list");
	for (i = 0; i < h->elements; i += 2) {
		ar_store_cert_t *c = &res[*found];
		int got;

		if (h->element[i]->type != REDIS_REPLY_STRING ||
		    h->element[i + 1]->type != REDIS_REPLY_STRING ||
		    member_split(h->element[i], c->aki, c->serial) < 0)
			return ar_err_set(err, AR_ERR_MALFORMED, "store: bad certificate field");
		got = cert_from_value(s, h->element[i + 1]->str, h->element[i + 1]->len, c, err);
		if (got < 0)
			return -1;
		if (got) {
			snprintf(c->device, sizeof(c->device), "%s", device);
			(*found)++;
		}
	}
	return 0;
}

/* Fill the orders of @res[0..n) from their index entries (one pipeline). */
static int certs_orders(ar_store_t *s, const char *device, ar_store_cert_t *res, size_t n,
			ar_err_t *err)
{
	redisReply **r = calloc(2 * n, sizeof(*r));
	cmd_t *cmds = calloc(2 * n, sizeof(*cmds));
	char (*keys)[KEY_MAX] = calloc(2 * n, KEY_MAX);
	size_t i;
	int rc = -1;

	if (!r || !cmds || !keys) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {	/* the index, then that of earlier versions */
		if (sn_key(s, res[i].serial, keys[2 * i], KEY_MAX, err) < 0 ||
		    certidx_key(s, res[i].aki, res[i].serial, keys[2 * i + 1], KEY_MAX, err) < 0)
			goto out;
		store_cmd_start(&cmds[2 * i], "GET");
		store_cmd_arg(&cmds[2 * i], keys[2 * i]);
		store_cmd_start(&cmds[2 * i + 1], "GET");
		store_cmd_arg(&cmds[2 * i + 1], keys[2 * i + 1]);
	}
	if (store_read(s, cmds, 2 * n, r, err) < 0)
		goto out;
	for (i = 0; i < n; i++)
		order_from_idx(r[2 * i]->type == REDIS_REPLY_STRING ? r[2 * i] : r[2 * i + 1],
			       device, &res[i]);
	rc = 0;
	store_replies_free(r, 2 * n);
out:
	free(r);
	free(cmds);
	free(keys);
	return rc;
}

static int cert_newer_first(const void *a, const void *b)
{
	const ar_store_cert_t *x = a, *y = b;

	return x->not_after < y->not_after ? 1 : x->not_after > y->not_after ? -1 : 0;
}

int ar_store_certs_of_device(ar_store_t *s, const char *device, ar_store_cert_t **out,
			     size_t *n, ar_err_t *err)
{
	char certs[KEY_MAX], ckey[KEY_MAX];
	redisReply *r[2] = { NULL };
	ar_store_cert_t *res = NULL;
	cmd_t cmds[2];
	size_t found = 0, fresh, total;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (ar_store_device_valid(device, err) < 0 ||
	    store_dev_key(s, certs, sizeof(certs), device, "certs", err) < 0 ||
	    store_dev_key(s, ckey, sizeof(ckey), device, "c", err) < 0)
		return -1;
	store_cmd_start(&cmds[0], "HGETALL");
	store_cmd_arg(&cmds[0], ckey);
	store_cmd_start(&cmds[1], "ZREVRANGE");	/* earlier versions' certificates */
	store_cmd_arg(&cmds[1], certs);
	store_cmd_arg(&cmds[1], "0");
	store_cmd_int(&cmds[1], AR_STORE_CERTS_MAX - 1);
	if (store_read(s, cmds, 2, r, err) < 0)
		return -1;
	if (store_reply_expect(s, r[0], REDIS_REPLY_ARRAY, err) < 0 ||
	    store_reply_expect(s, r[1], REDIS_REPLY_ARRAY, err) < 0)
		goto out;
	total = r[0]->elements / 2 + r[1]->elements;
	if (total == 0) {
		rc = 0;
		goto out;
	}
	res = calloc(total, sizeof(*res));
	if (!res) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	if (certs_from_hash(s, device, r[0], res, &found, err) < 0)
		goto out;
	fresh = found;
	if (fresh && certs_orders(s, device, res, fresh, err) < 0)
		goto out;
	/* A put moves a certificate out of the zset: none is listed twice. */
	if (r[1]->elements && certs_fetch(s, device, certs, r[1], res, &found, err) < 0)
		goto out;
	rc = 0;
	if (found) {
		qsort(res, found, sizeof(*res), cert_newer_first);
		*out = res;
		*n = found > AR_STORE_CERTS_MAX ? AR_STORE_CERTS_MAX : found;
		res = NULL;
	}
out:
	free(res);
	store_replies_free(r, 2);
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
	char pkey[KEY_MAX], vkey[KEY_MAX];
	redisReply *replies[4] = { NULL };
	ar_store_verdict_t v;
	cert_read_t cr;
	cmd_t cmds[4];
	size_t ncmds = 2;
	int rc = -1, got, found = 0;

	if (ar_store_device_valid(device, err) < 0 ||
	    store_dev_key(s, pkey, sizeof(pkey), device, "posture", err) < 0 ||
	    store_dev_key(s, vkey, sizeof(vkey), device, "verdict", err) < 0)
		return -1;
	if (aki_hex || serial_hex) {
		if (cert_read_cmds(s, device, aki_hex, serial_hex, &cr, &cmds[2], 0, err) < 0)
			return -1;
		ncmds = 4;
	}
	store_cmd_start(&cmds[0], "HGETALL");
	store_cmd_arg(&cmds[0], pkey);
	store_cmd_start(&cmds[1], "HGETALL");
	store_cmd_arg(&cmds[1], vkey);
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
	if (ncmds == 4) {
		redisReply *cr_r[4] = { replies[2], replies[3], NULL, NULL };

		got = cert_from_replies(s, device, &cr, cr_r, cert, err);
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
