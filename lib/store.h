/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file store.h
 * @brief The shared state in Redis: device posture, certificates issued to
 *	  devices, live RADIUS sessions, and the SOC/NOC event stream.
 *
 * One ::ar_store_t is one synchronous hiredis connection with a connect and
 * a command timeout. It is not thread-safe: use one per thread (or one per
 * FreeRADIUS connection-pool slot).
 *
 * @section store_keys Key schema
 *
 * Every key starts with the configured prefix (default `acmerats`). Keys of
 * one device carry the hash tag `{dev:<id>}`, so under Redis Cluster they
 * share a slot and the per-device MULTI/EXEC stays valid:
 *
 * | key | type | content |
 * |---|---|---|
 * | `P:{dev:ID}:posture` | hash | st (status), tv, ia (ear_iat), ex (ear_exp), vf (verifier), pf (profile), ua (updated_at), rs (reason); optional fields that are 0 or "" left out; the long names of earlier versions still read |
 * | `P:{dev:ID}:identity` | hash | jkt, jwk, account, eab_kid, enrolled_at: the key that speaks for the device |
 * | `P:{dev:ID}:verdict` | hash | status, reason, source, identity, set_at: the SOC's standing verdict |
 * | `P:idkey:JKT` | set | the devices whose identity is the key with thumbprint JKT |
 * | `P:{dev:ID}:c` | hash | the device's certificates: field `A.S`, the base64url of the AKI's and the serial's bytes (`aki:serial` in hex for odd hex), value `<not_after> <status> <renew_now>`; a certificate counts until not_after + grace (enforced on read), its field is removed by the next certificate put on the device, the key has no expiry (like posture; earlier versions set one, removed by the next put) |
 * | `P:{dev:ID}:cert:AKI:SERIAL`, `P:{dev:ID}:certs` | hash, zset | earlier versions' certificate record and list: still read (and revoked, marked) until they expire; a put of the same certificate moves it into `c` |
 * | `P:{dev:ID}:sessions` | hash | per session two fields: `NAS_ID` `\|` `ACCT_SESSION_ID` and `\|` `NAS_ID` `\|` `ACCT_SESSION_ID`, values the session's compact record; the key expires when no session was refreshed for the TTL given |
 * | `P:sn:S` | string | S is the base64url of the serial's bytes (the CA's serials are 127 random bits: the serial alone names a certificate; the AKI is checked by the `c` field it leads to); value `<device id>` or `<device id> <order URL>` (the order, too long for the listpack of `c`, is kept here); expires at not_after + grace (ARI looks certificates up by AKI and serial) |
 * | `P:certidx:AKI:SERIAL` | string | the same index as earlier versions wrote it (hex, 40 bytes longer per key): still read until it expires |
 * | `P:devices` | set | every device id ever written |
 * | `P:events` | stream | posture and certificate events, trimmed to about ar_store_opts::event_maxlen entries |
 *
 * `P:sn:*`, `P:certidx:*`, `P:devices` and `P:events` live in other slots than a
 * device's keys; the store writes them next to (not inside) the device's
 * transaction, in the same round trip.
 *
 * Integers are decimal text; times are unix seconds. AKI and serial are hex
 * digits, stored lower-case: callers must agree on leading zeros, so both
 * use the DER content octets (as FreeRADIUS's TLS-Client-Cert-Serial shows
 * the serial). A session is two values of words separated by single spaces,
 * each string with bytes outside `!`..`~` and the characters `%` and `=`
 * written as `%XX`: under `NAS_ID|ACCT_SESSION_ID` `<updated> <updated -
 * started> <nas_ip> <serial>`, under `|NAS_ID|ACCT_SESSION_ID`
 * `<calling_station_id> <user_name>`, e.g. `1800000160 60 192.0.2.1 0a1b2c`
 * and `02-00-5E-00-53-01 host%2Fpc7`: each short enough (64 bytes with an
 * IPv4 NAS and a 128-bit serial) for Redis's listpack encoding under the
 * default hash-max-listpack-value. The form written before, one line of
 * `key=value` pairs under `NAS_ID|ACCT_SESSION_ID` (`nas_ip=192.0.2.1
 * nas_id=ap-7 ...`), is still read and is rewritten by the next put.
 *
 * @section store_errors Errors
 *
 * Every call returns -1 on failure and fills the ::ar_err_t:
 * - AR_ERR_UNAVAILABLE: Redis refused or dropped the connection (after one
 *   reconnect and retry on a connection that had worked before), or answered
 *   LOADING / MASTERDOWN / READONLY / BUSY;
 * - AR_ERR_TIMEOUT: Redis did not answer within the command timeout; the
 *   connection is dropped and re-established by the next call (a timed-out
 *   command is never retried, it may have been executed);
 * - AR_ERR_CONFIG: AUTH failed (NOAUTH, WRONGPASS) or the ACL user lacks a
 *   permission (NOPERM): the credentials or the ACL need fixing, retrying
 *   will not help;
 * - AR_ERR_MALFORMED: an argument (device id, hex, name) is not acceptable,
 *   or a stored record does not parse;
 * - AR_ERR_IO: any other error reply from Redis.
 * Callers that degrade when the store is down treat AR_ERR_UNAVAILABLE and
 * AR_ERR_TIMEOUT alike (see ar_store_err_is_down()).
 *
 * Writing to a socket the peer closed raises SIGPIPE; the store blocks it
 * for the duration of each exchange and discards one it caused, so the
 * process need not ignore SIGPIPE. A process that already ignores it when
 * the store connects (the daemons do) is spared that guard, which costs
 * four system calls per exchange.
 *
 * @section store_files One header, several files
 *
 * The implementation is split along its seams (lib/store_int.h lists the
 * files); this contract stays one header because its parts are one
 * contract: one handle, one key schema, one error model, and batches that
 * queue the writes of every record kind. A caller includes one file and
 * reads the rules that bind every call in one place.
 */
#ifndef AR_STORE_H
#define AR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ear.h"
#include "err.h"
#include "metrics.h"

/** Bounds of the fixed-size strings below (bytes, without the NUL). */
#define AR_STORE_DEVICE_MAX	128	/**< device id: printable ASCII, no space, `{` or `}` */
#define AR_STORE_HEX_MAX	128	/**< AKI or serial in hex */
#define AR_STORE_PREFIX_MAX	64	/**< key prefix */
#define AR_STORE_NAME_MAX	63	/**< verifier, profile, event type/source, group, consumer */
#define AR_STORE_TV_MAX		95	/**< compact trustworthiness vector */
#define AR_STORE_REASON_MAX	255	/**< free text */
#define AR_STORE_URL_MAX	511	/**< order URL */
#define AR_STORE_RADIUS_MAX	253	/**< one RADIUS string attribute */
#define AR_STORE_ADDR_MAX	63	/**< textual IPv4/IPv6 address */
#define AR_STORE_EVENT_ID_MAX	47	/**< stream entry id "<ms>-<seq>" */
#define AR_STORE_STATUS_MAX	23	/**< status word in an event */
#define AR_STORE_CERTS_MAX	256	/**< certificates listed per device */

/** Connection options. Zero values take the documented defaults. */
typedef struct ar_store_opts {
	const char	*host;			/**< default "127.0.0.1" */
	int		port;			/**< default 6379 */
	const char	*unix_path;		/**< Unix socket; wins over host/port when set */
	const char	*username;		/**< ACL user for AUTH, or NULL */
	const char	*password;		/**< AUTH password, or NULL; never logged */
	int		connect_timeout_ms;	/**< default 200 */
	int		command_timeout_ms;	/**< default 100 */
	const char	*prefix;		/**< key namespace, default "acmerats" */
	long		event_maxlen;		/**< approximate stream cap, default 100000 */
	int		cert_grace_s;		/**< certificate keys outlive not_after by this, default 300 */
	/**
	 * Redis Sentinel: "host:port[,host:port...]" (at most
	 * AR_STORE_SENTINELS_MAX; an IPv6 address in brackets). When set, the
	 * primary is the one these sentinels name for @c master_name, whose
	 * ROLE is confirmed on every connect; host, port and unix_path are
	 * not used. See "Redis Sentinel" below.
	 */
	const char	*sentinels;
	const char	*master_name;		/**< required with @c sentinels */
	const char	*sentinel_password;	/**< AUTH to the sentinels, or NULL; never logged */
	/**
	 * Durable writes (see "Replica acknowledgement" below): how many
	 * replicas must confirm a certificate record, a SOC verdict or an
	 * event before the call succeeds. 0 (the zero value): none, no WAIT is
	 * ever sent; AR_STORE_ACK_AUTO: 1 under Sentinel or once this store
	 * saw its primary with a connected replica (ROLE, asked on each new
	 * connection and every 10 s while none is seen), else 0; N > 0: N.
	 */
	int		min_replicas_ack;
	int		replica_ack_timeout_ms;	/**< WAIT's timeout, default 500 */
	/**
	 * When fewer replicas confirm within the timeout: 0 (default) the call
	 * fails with AR_ERR_UNREPLICATED; 1 it succeeds, logged once per
	 * episode (event=redis.replica_ack_timeout).
	 */
	int		replica_timeout_accept;
	/**
	 * Optional: a registry made from ar_store_metric_defs, counting what
	 * every store opened with these options meets (Redis errors by kind,
	 * primaries changed under Sentinel). Shared, lock-free; outlives them.
	 */
	ar_metrics_t	*metrics;
} ar_store_opts_t;

/** ar_store_opts_t::min_replicas_ack: decide from what the primary reports. */
#define AR_STORE_ACK_AUTO	(-1)
/** Most replicas ar_store_opts_t::min_replicas_ack may ask for. */
#define AR_STORE_ACK_MAX	16

/** The store's metric families, in the order of ar_store_metric_defs. */
enum {
	AR_STORE_M_ERRORS,	/**< acme_rats_redis_errors_total{kind} */
	AR_STORE_M_FAILOVERS,	/**< acme_rats_redis_failovers_total */
	AR_STORE_M_N
};

/** Definitions for ar_store_opts_t::metrics (docs/operations.md "Metrics"). */
extern const ar_metric_def_t ar_store_metric_defs[AR_STORE_M_N];

/** How many sentinels a store asks. */
#define AR_STORE_SENTINELS_MAX	8

typedef struct ar_store ar_store_t;

/*
 * Redis Sentinel. With @c sentinels set, every connection (each ar_store_t, opened and
 * re-opened) finds the primary anew: the sentinels are asked in turn,
 * starting with the last one that answered, for the address of
 * @c master_name (`SENTINEL get-master-addr-by-name`); the store connects
 * there, AUTHs, and believes it only when `ROLE` says master. A sentinel
 * that names no primary or one that is not (yet) master is passed over,
 * after a jittered pause. The whole resolution is bounded by
 * @c connect_timeout_ms: a caller with a time budget keeps it during a
 * failover, and gets AR_ERR_UNAVAILABLE while no primary is confirmed.
 *
 * A reply that says the node stopped being a usable primary (`READONLY`,
 * `LOADING`, `MASTERDOWN`) drops the connection. Such a node ran none of
 * the exchange's writes, so the exchange is sent once more on a newly
 * resolved connection - except inside a guarded transaction (its WATCH
 * lived on the old connection), which fails with AR_ERR_UNAVAILABLE.
 * A primary that changed is logged (event=redis.primary) once per
 * connection that sees it change.
 */

/*
 * Replica acknowledgement. What must not be lost - a certificate record
 * (ar_store_cert_put(), a batch with ar_store_batch_cert()), a SOC verdict
 * (ar_store_verdict_put(), ar_store_verdict_clear()) and an event
 * (ar_store_event_add()) - is confirmed by `WAIT numreplicas timeout` on
 * the connection that wrote it, right after the write (never inside
 * MULTI/WATCH), when ar_store_opts_t::min_replicas_ack asks for it. The
 * call returns only then. When fewer replicas confirm in time (or the
 * connection is lost before WAIT answers) the write is on the primary
 * nonetheless - Redis cannot take it back - so a refused write may still
 * surface, e.g. after a failover; the call fails with AR_ERR_UNREPLICATED,
 * or, with ar_store_opts_t::replica_timeout_accept, succeeds and the
 * shortfall is logged once per episode (event=redis.replica_ack_timeout;
 * event=redis.replica_ack_ok when confirmations come back). Other writes
 * (posture, sessions, generic values) never wait.
 */

/**
 * Connect (and AUTH) now. @p o may be NULL for every default.
 *
 * @return a store to release with ar_store_close(), or NULL with
 *	   AR_ERR_CONFIG (bad option), AR_ERR_UNAVAILABLE, AR_ERR_TIMEOUT,
 *	   AR_ERR_CONFIG (also: AUTH refused) or AR_ERR_NOMEM.
 */
ar_store_t *ar_store_open(const ar_store_opts_t *o, ar_err_t *err);

/** Disconnect and free. NULL is fine. */
void ar_store_close(ar_store_t *s);

/** True for the two codes that mean "Redis is not answering now". */
int ar_store_err_is_down(const ar_err_t *err);

/** PING. Reconnects if the connection was lost. */
int ar_store_ping(ar_store_t *s, ar_err_t *err);

/**
 * Check a device id: 1..AR_STORE_DEVICE_MAX bytes of printable ASCII
 * (`!`..`~`) without `{` or `}`. Returns 0, or -1 with AR_ERR_MALFORMED.
 */
int ar_store_device_valid(const char *device, ar_err_t *err);

/** @name Generic values (tests and tools): key is taken below the prefix. */
/** @{ */
/**
 * SET `<prefix>:<key>` to @p len bytes of @p val, expiring after @p ttl_ms
 * milliseconds (0: no expiry).
 */
int ar_store_set(ar_store_t *s, const char *key, const char *val, size_t len, int64_t ttl_ms,
		 ar_err_t *err);

/**
 * GET `<prefix>:<key>`.
 *
 * @param[out] val	malloc'd, NUL-terminated copy (free() it); NULL when absent.
 * @param[out] len	its length (may be NULL).
 * @return 1 found, 0 absent, -1 error.
 */
int ar_store_get(ar_store_t *s, const char *key, char **val, size_t *len, ar_err_t *err);

/**
 * Create @p key with the string @p val only if it does not exist (SET NX):
 * a cluster-wide "first one wins". @p ttl_ms 0 means no expiry.
 *
 * @return 1 when this call created it, 0 when it existed, -1 on error.
 */
int ar_store_set_once(ar_store_t *s, const char *key, const char *val, int64_t ttl_ms,
		      ar_err_t *err);

/**
 * Replace @p key's value with @p val only while it is still @p expect
 * (compare-and-set, one Lua script): for a read-modify-write of a record
 * that concurrent requests may also change.
 * @return 1 replaced, 0 the value was no longer @p expect (nothing
 *	   written), -1 error.
 */
int ar_store_set_if(ar_store_t *s, const char *key, const char *expect, const char *val,
		    size_t len, ar_err_t *err);

/** Most guards, and most writes, of one ar_store_set_many_if(). */
#define AR_STORE_GUARDED_MAX	4

/**
 * Write @p n generic values (@p ttl_ms[i] as ar_store_set(): 0 no expiry)
 * in one atomic step (a Lua script, one round trip), only while each key
 * @p guards[i] still holds @p expect[i]: the commit of a state change read
 * from several records, e.g. a validation result that must not overwrite
 * an authorization deactivated meanwhile.
 *
 * @param[out] changed	(may be NULL) on 0, the index of the first guard
 *			that no longer held its value.
 * @return 1 written, 0 a guard changed (nothing written), -1 error.
 */
int ar_store_set_many_if(ar_store_t *s, const char *const *guards, const char *const *expect,
			 size_t nguards, const char *const *keys, const char *const *vals,
			 const size_t *lens, const int64_t *ttl_ms, size_t n, size_t *changed,
			 ar_err_t *err);

/**
 * SET NX @p key later: the command waits and goes out with this store's
 * next one. Ahead of a read (ar_store_get(), ar_store_get_many(), the
 * record lookups) it shares that read's round trip, and when @p key existed
 * the read returns -1 with @p code and @p msg instead of its result; ahead
 * of a write it is sent first, on its own, and the write is not sent when
 * it fails. ar_store_settle() sends one still waiting. One at a time: a
 * second call settles the first.
 *
 * For spending a single-use token (an ACME nonce) without a round trip of
 * its own.
 */
int ar_store_set_once_deferred(ar_store_t *s, const char *key, int64_t ttl_ms, ar_errc_t code,
			       const char *msg, ar_err_t *err);

/** Send the deferred SET NX if one waits: 0 created (or none waiting), -1 as above. */
int ar_store_settle(ar_store_t *s, ar_err_t *err);

/** Most values ar_store_get_many() reads at once (writes of many: ar_store_batch_new()). */
#define AR_STORE_BATCH_MAX	23

/**
 * Read @p n generic values in one round trip (MGET). @p vals[i] is a malloc'd
 * NUL-terminated copy, or NULL when the key is absent; @p lens may be NULL.
 */
int ar_store_get_many(ar_store_t *s, const char *const *keys, size_t n, char **vals, size_t *lens,
		      ar_err_t *err);

/** Up to @p max newest entries of a generic list; free with ar_store_list_free(). */
int ar_store_list_get(ar_store_t *s, const char *key, long max, char ***items, size_t *n,
		      ar_err_t *err);
void ar_store_list_free(char **items, size_t n);

/** Delete a generic value. @return 1 deleted, 0 absent, -1 error. */
int ar_store_del(ar_store_t *s, const char *key, ar_err_t *err);
/** @} */

/** @name Posture */
/** @{ */
/**
 * A device's posture as the SOC last set it.
 *
 * @c tv is the AR4SI trustworthiness vector in the compact text
 * ar_tvec_format_claims() writes: the claims made (value not 0), as
 * `abbrev=value` pairs separated by one space, in vector order, `ii`
 * instance identity, `cfg` configuration, `ex` executables, `fs` file
 * system, `hw` hardware, `rt` runtime opaque, `st` storage opaque, `sd`
 * sourced data, each value a signed AR4SI claim value, e.g. `ii=2 cfg=2
 * ex=2 fs=2 hw=2`. Earlier versions wrote all eight, zeros too (`... rt=0
 * st=0 sd=0`): the same vector.
 */
typedef struct ar_store_posture {
	ar_status_t	status;				/**< required */
	char		tv[AR_STORE_TV_MAX + 1];
	int64_t		ear_iat;			/**< issued-at of the EAR behind it */
	int64_t		ear_exp;			/**< 0: the EAR had no exp */
	char		verifier[AR_STORE_NAME_MAX + 1];
	char		profile[AR_STORE_NAME_MAX + 1];	/**< posture profile name */
	int64_t		updated_at;			/**< 0 on put: now */
	char		reason[AR_STORE_REASON_MAX + 1];
} ar_store_posture_t;

/** Write the whole record and add the device to `devices`. */
int ar_store_posture_put(ar_store_t *s, const char *device, const ar_store_posture_t *p,
			 ar_err_t *err);

/** @return 1 found (@p p filled), 0 absent, -1 error. */
int ar_store_posture_get(ar_store_t *s, const char *device, ar_store_posture_t *p, ar_err_t *err);
/** @} */

/**
 * @name Device identity
 * The key that speaks for a device: the ACME account key that External
 * Account Binding bound to the device's inventory entry, written by the CA
 * when that account is created (docs/security.md, "Device identity").
 * Evidence for the device must be signed by it; nothing else may write the
 * device's posture.
 * @{
 */
#define AR_STORE_JWK_MAX	1023	/**< a public JWK as compact JSON text */

typedef struct ar_store_identity {
	char		jkt[AR_JWK_THUMBPRINT_LEN + 1];	/**< required: RFC 7638 SHA-256 thumbprint */
	char		jwk[AR_STORE_JWK_MAX + 1];	/**< required: the public JWK */
	char		account[AR_STORE_NAME_MAX + 1];	/**< ACME account id, "" if the NOC enrolled it */
	char		eab_kid[AR_STORE_NAME_MAX * 2 + 1];	/**< the EAB key id that bound it */
	int64_t		enrolled_at;			/**< 0 on bind: now */
} ar_store_identity_t;

/**
 * Bind @p device to @p id's key unless it is bound already: a
 * compare-and-set in one Lua script, so two enrolments racing for a device
 * cannot both win.
 *
 * @param[out] current	when not NULL and the device is bound to another
 *			key, that identity.
 * @return 1 bound now or already bound to the same jkt, 0 bound to another
 *	   key, -1 error.
 */
int ar_store_identity_bind(ar_store_t *s, const char *device, const ar_store_identity_t *id,
			   ar_store_identity_t *current, ar_err_t *err);

/** @return 1 found (@p id filled), 0 not enrolled, -1 error. */
int ar_store_identity_get(ar_store_t *s, const char *device, ar_store_identity_t *id,
			  ar_err_t *err);

/**
 * Account key rollover: replace the identity only while its jkt is still
 * @p old_jkt (compare-and-set).
 * @return 1 replaced, 0 not enrolled with @p old_jkt, -1 error.
 */
int ar_store_identity_rekey(ar_store_t *s, const char *device, const char *old_jkt,
			    const ar_store_identity_t *id, ar_err_t *err);

/** Forget the identity (the NOC re-enrols the device). @return 1 removed, 0 none, -1. */
int ar_store_identity_del(ar_store_t *s, const char *device, ar_err_t *err);

/**
 * @name The TPM AK registry's keys
 * The verifier keeps each device's enrolled AK under `P:tpm:{dev:ID}:ak`
 * (JSON: the AK's public area and Name, the EK, the TPM clock last seen)
 * and claims the AK's Name for it under `P:tpm:akname:<Name hex>` (one
 * device per AK). Keys relative to the prefix, for the generic calls.
 * @{
 */
int ar_store_tpm_record_key(const char *device, char *key, size_t size, ar_err_t *err);
/** @p name_hex: the Name in lower-case hex (2-byte algorithm and digest). */
int ar_store_tpm_name_key(const char *name_hex, char *key, size_t size, ar_err_t *err);
/**
 * Forget @p device's TPM enrolment (its TPM was replaced): the record, then
 * the claim of its AK's Name if it still names @p device.
 * @return 1 forgotten, 0 none, -1 error.
 */
int ar_store_tpm_forget(ar_store_t *s, const char *device, ar_err_t *err);
/** @} */

typedef struct ar_store_devid ar_store_devid_t;

/**
 * Every device @p jkt is the identity of (one inventory entry may name
 * several), sorted. @p out is malloc'd (free() it), NULL when @p n is 0.
 * A SOC verdict applies to all of them: the key, not the name, is flagged.
 */
int ar_store_identity_devices(ar_store_t *s, const char *jkt, ar_store_devid_t **out, size_t *n,
			      ar_err_t *err);
/** @} */

/**
 * @name SOC verdicts
 * The SOC's verdict on a device is a record of its own: only the SOC sets
 * or clears it; appraisals, re-enrolment and issuance never write it. It
 * stands over every appraisal, caps what the verifier signs, stops
 * issuance (ar_store_batch_guard_verdict()) and is folded into what
 * ar_store_auth_lookup() returns.
 * @{
 */
typedef struct ar_store_verdict {
	ar_status_t	status;				/**< AR_STATUS_WARNING or _CONTRAINDICATED */
	char		reason[AR_STORE_REASON_MAX + 1];
	char		source[AR_STORE_NAME_MAX + 1];	/**< who set it: "soc-api", "ctl", ... */
	char		identity[AR_JWK_THUMBPRINT_LEN + 1];	/**< the device's enrolled jkt then, or "" */
	int64_t		set_at;				/**< 0 on put: now */
} ar_store_verdict_t;

/** Set (replace) the verdict. AR_ERR_MALFORMED unless warning or contraindicated. */
int ar_store_verdict_put(ar_store_t *s, const char *device, const ar_store_verdict_t *v,
			 ar_err_t *err);

/** @return 1 found (@p v filled), 0 none, -1 error. */
int ar_store_verdict_get(ar_store_t *s, const char *device, ar_store_verdict_t *v, ar_err_t *err);

/** Clear the verdict. @return 1 removed, 0 there was none, -1 error. */
int ar_store_verdict_clear(ar_store_t *s, const char *device, ar_err_t *err);
/** @} */

/** @name Certificates */
/** @{ */
typedef enum ar_cert_status {
	AR_CERT_VALID = 0,
	AR_CERT_SUPERSEDED,
	AR_CERT_REVOKED,
} ar_cert_status_t;

/** "valid", "superseded", "revoked". */
const char *ar_cert_status_name(ar_cert_status_t st);

/** A certificate the CA issued to a device. */
typedef struct ar_store_cert {
	char		device[AR_STORE_DEVICE_MAX + 1];
	char		aki[AR_STORE_HEX_MAX + 1];	/**< lower-case hex (from the key) */
	char		serial[AR_STORE_HEX_MAX + 1];	/**< lower-case hex (from the key) */
	char		order[AR_STORE_URL_MAX + 1];	/**< ACME order URL */
	int64_t		not_after;			/**< required, unix seconds */
	ar_cert_status_t status;
	int		renew_now;			/**< ARI should say "renew now" */
} ar_store_cert_t;

/**
 * Record a certificate: its field in the device's hash `c` (whose fields
 * past not_after + grace are pruned here; the hash has no expiry), the
 * serial index (expires at not_after + grace) and the device in `devices`.
 * A record of the same certificate in the earlier layout is removed.
 *
 * @return 0, or -1 (AR_ERR_MALFORMED when not_after is already past grace).
 */
int ar_store_cert_put(ar_store_t *s, const ar_store_cert_t *c, ar_err_t *err);

/**
 * The certificate record, its order read from the serial index (one
 * round trip). @return 1 found (@p c filled), 0 absent (or past
 * not_after + grace), -1 error.
 */
int ar_store_cert_get(ar_store_t *s, const char *device, const char *aki_hex,
		      const char *serial_hex, ar_store_cert_t *c, ar_err_t *err);

/** Find a certificate by AKI and serial alone, through the index. Returns as above. */
int ar_store_cert_find(ar_store_t *s, const char *aki_hex, const char *serial_hex,
		       ar_store_cert_t *c, ar_err_t *err);

/**
 * Change an existing certificate's status and/or renew_now flag; a record
 * that does not exist is not created.
 *
 * @param status	new status, or -1 to keep it.
 * @param renew_now	0 or 1, or -1 to keep it.
 * @return 1 changed, 0 no such certificate, -1 error.
 */
int ar_store_cert_mark(ar_store_t *s, const char *device, const char *aki_hex,
		       const char *serial_hex, int status, int renew_now, ar_err_t *err);

/**
 * The device's certificates that still exist, newest not_after first, at
 * most AR_STORE_CERTS_MAX.
 *
 * @param[out] out	malloc'd array (free() it), NULL when @p n is 0.
 */
int ar_store_certs_of_device(ar_store_t *s, const char *device, ar_store_cert_t **out,
			     size_t *n, ar_err_t *err);
/** @} */

/**
 * @name Write batches
 *
 * Writes of different kinds - generic values, list entries, certificate
 * and posture records - sent as one transaction (MULTI ... EXEC) in one
 * round trip: all or none. A failure while queueing is kept and returned
 * by ar_store_batch_exec(), so callers queue without checking each step.
 * Unlike ar_store_cert_put() and ar_store_posture_put(), a batch puts the
 * `sn` index and `devices` keys inside the transaction: it spans slots and is
 * for a single Redis (or Sentinel), not Redis Cluster.
 * @{
 */
typedef struct ar_store_batch ar_store_batch_t;

/** An empty batch on @p s, or NULL when out of memory (the calls below accept NULL). */
ar_store_batch_t *ar_store_batch_new(ar_store_t *s);

/** Queue a generic SET (as ar_store_set()). */
int ar_store_batch_set(ar_store_batch_t *b, const char *key, const char *val, size_t len,
		       int64_t ttl_ms);

/** Queue a prepend of @p val to a generic list, keeping its @p max newest entries. */
int ar_store_batch_list_push(ar_store_batch_t *b, const char *key, const char *val, long max);

/** Queue a certificate record (as ar_store_cert_put()). */
int ar_store_batch_cert(ar_store_batch_t *b, const ar_store_cert_t *c);

/** Queue a change of an existing certificate record (as ar_store_cert_mark()). */
int ar_store_batch_cert_mark(ar_store_batch_t *b, const char *device, const char *aki_hex,
			     const char *serial_hex, int status, int renew_now);

/** Queue a posture record (as ar_store_posture_put()). */
int ar_store_batch_posture(ar_store_batch_t *b, const char *device, const ar_store_posture_t *p);

/**
 * Make the batch conditional on @p device's SOC verdict, read atomically
 * with the writes: ar_store_batch_exec() first WATCHes and reads the
 * verdict (one round trip). When it is warning or contraindicated nothing is
 * sent and exec fails with AR_ERR_UNAUTHORIZED ("the SOC's verdict on
 * <device> is <status> (<reason>)"); otherwise MULTI ... EXEC runs on the
 * same connection, and if the verdict changed in between Redis aborts it
 * and exec fails with AR_ERR_CONFLICT. Nothing is written in either case.
 * One guard per batch.
 */
int ar_store_batch_guard_verdict(ar_store_batch_t *b, const char *device);

/**
 * A state transition the batch's writes depend on, won before they are
 * known (an order's ready -> processing before its certificate is signed):
 * ar_store_batch_begin() replaces generic value @p key's @p expect with
 * @p val (compare-and-set, keeping the key's expiry) in the round trip that
 * reads the guard's verdict, then WATCHes the key and reads it back: the
 * batch runs only while the key still holds @p val. One claim per batch.
 */
int ar_store_batch_claim(ar_store_batch_t *b, const char *key, const char *expect,
			 const char *val, size_t len);

/** Most values one batch is conditional on (ar_store_batch_guard_value()). */
#define AR_STORE_BATCH_GUARDS	22

/**
 * Make the batch conditional on generic value @p key still holding
 * @p expect (the text the caller read and decided on): the batch's begin
 * WATCHes the key and reads it in the round trip it spends anyway, and its
 * exec runs only while nothing changed it. Up to AR_STORE_BATCH_GUARDS per
 * batch; @p expect is copied.
 */
int ar_store_batch_guard_value(ar_store_batch_t *b, const char *key, const char *expect);

/**
 * Run the guard and the claim now, in one round trip; queue the writes
 * afterwards and send them with ar_store_batch_exec(), which then runs
 * MULTI ... EXEC under the WATCH already set (AR_ERR_CONFLICT when the
 * verdict, a guarded value or the claimed key changed in between). 0: the
 * claim is won, every guarded value is as expected and the verdict allows
 * the batch. -1, nothing claimed and nothing WATCHed: AR_ERR_CONFLICT when
 * the claimed key no longer held its value or a guarded value changed
 * (ar_store_batch_changed() names it; a claim won is given back),
 * AR_ERR_UNAUTHORIZED when the verdict forbids the batch (the claim is
 * given back), or an error. The batch is still the caller's: exec or free
 * it.
 */
int ar_store_batch_begin(ar_store_batch_t *b, ar_err_t *err);

/**
 * After ar_store_batch_begin() failed with AR_ERR_CONFLICT: the key (as the
 * caller named it to ar_store_batch_claim() or ar_store_batch_guard_value())
 * that did not hold what was expected; NULL otherwise. Owned by @p b.
 */
const char *ar_store_batch_changed(const ar_store_batch_t *b);

/**
 * Run the batch and free it. 0: every write was done (and, for a batch with
 * a certificate record, confirmed by the replicas asked for: see "Replica
 * acknowledgement"; AR_ERR_UNREPLICATED otherwise, everything written). -1: nothing was
 * written when the failure came while queueing, from the connection, from
 * a deferred SET NX, or from a WATCHed key (the verdict, a guarded value,
 * the claimed key) changed since begin (AR_ERR_CONFLICT); Redis does not roll back a command that fails inside
 * the transaction (a key of the wrong type), which is reported as well.
 */
int ar_store_batch_exec(ar_store_batch_t *b, ar_err_t *err);

/** Free a batch without running it. NULL is fine. */
void ar_store_batch_free(ar_store_batch_t *b);
/** @} */

/** @name Per-authentication lookup */
/** @{ */
#define AR_STORE_FOUND_POSTURE	1	/**< ar_store_auth_lookup() filled the posture */
#define AR_STORE_FOUND_CERT	2	/**< ar_store_auth_lookup() filled the certificate */
#define AR_STORE_FOUND_VERDICT	4	/**< the device has a standing SOC verdict */

/**
 * Posture and certificate record of one device in a single pipelined round
 * trip (what rlm_acme_rats asks at every authentication).
 *
 * The SOC verdict is read in the same round trip and folded into
 * @p posture: a verdict worse than the posture's status replaces status and
 * reason ("SOC: <reason>"); a verdict without a posture record yields
 * AR_STORE_FOUND_POSTURE with the verdict's status and updated_at = its
 * set_at, so a device flagged before its posture record vanished is not
 * judged from its certificate alone.
 *
 * The certificate's order URL is not read (@p cert->order is "").
 *
 * @param aki_hex, serial_hex	the client certificate; both NULL to skip it.
 * @return AR_STORE_FOUND_* bits for what exists, or -1 on error (nothing
 *	   usable was read).
 */
int ar_store_auth_lookup(ar_store_t *s, const char *device, const char *aki_hex,
			 const char *serial_hex, ar_store_posture_t *posture,
			 ar_store_cert_t *cert, ar_err_t *err);
/** @} */

/** @name Live RADIUS sessions */
/** @{ */
typedef struct ar_store_session {
	char		nas_ip[AR_STORE_ADDR_MAX + 1];
	char		nas_id[AR_STORE_RADIUS_MAX + 1];	/**< required, no `|` */
	char		acct_session_id[AR_STORE_RADIUS_MAX + 1];	/**< required */
	char		calling_station_id[AR_STORE_RADIUS_MAX + 1];
	char		user_name[AR_STORE_RADIUS_MAX + 1];
	char		serial[AR_STORE_HEX_MAX + 1];		/**< client certificate */
	int64_t		started;
	int64_t		updated;				/**< 0 on put: now */
} ar_store_session_t;

/**
 * Create or refresh a session (Accounting Start and Interim-Update) and set
 * the device's `sessions` key to expire in @p ttl_s seconds (e.g. twice the
 * interim interval; must be > 0).
 */
int ar_store_session_put(ar_store_t *s, const char *device, const ar_store_session_t *ss,
			 int ttl_s, ar_err_t *err);

/** Forget a session (Accounting Stop, or after a Disconnect). @return 1 removed, 0 absent, -1. */
int ar_store_session_del(ar_store_t *s, const char *device, const char *nas_id,
			 const char *acct_session_id, ar_err_t *err);

/**
 * The device's recorded sessions, in no particular order.
 *
 * @param[out] out	malloc'd array (free() it), NULL when @p n is 0.
 */
int ar_store_session_list(ar_store_t *s, const char *device, ar_store_session_t **out,
			  size_t *n, ar_err_t *err);
/** @} */

/** @name Devices */
/** @{ */
struct ar_store_devid {
	char		id[AR_STORE_DEVICE_MAX + 1];
};

/**
 * Every known device id, sorted (one SMEMBERS: meant for operator listings,
 * not for a hot path). @p out is malloc'd (free() it), NULL when @p n is 0.
 */
int ar_store_devices(ar_store_t *s, ar_store_devid_t **out, size_t *n, ar_err_t *err);
/** @} */

/** @name Event stream */
/** @{ */
/** One stream entry. Absent fields read as "" / 0. */
typedef struct ar_store_event {
	char		id[AR_STORE_EVENT_ID_MAX + 1];	/**< assigned by Redis */
	char		type[AR_STORE_NAME_MAX + 1];	/**< required, e.g. "posture" */
	char		device[AR_STORE_DEVICE_MAX + 1];	/**< "" or a valid device id */
	char		status[AR_STORE_STATUS_MAX + 1];	/**< e.g. an ar_status_name() */
	char		reason[AR_STORE_REASON_MAX + 1];
	char		serial[AR_STORE_HEX_MAX + 1];
	int64_t		ts;				/**< 0 on add: now */
	char		source[AR_STORE_NAME_MAX + 1];	/**< writer, e.g. "verifier" */
} ar_store_event_t;

/**
 * XADD with MAXLEN ~ event_maxlen.
 *
 * @param[out] id	the new entry id (AR_STORE_EVENT_ID_MAX + 1 bytes), or NULL.
 */
int ar_store_event_add(ar_store_t *s, const ar_store_event_t *ev, char *id, ar_err_t *err);

/**
 * Create consumer group @p group on the stream (creating the stream too).
 * An existing group is fine.
 *
 * @param start	"$" (only new entries, the default when NULL) or "0" (all).
 * @return 1 created, 0 existed already, -1 error.
 */
int ar_store_event_group_create(ar_store_t *s, const char *group, const char *start,
				ar_err_t *err);

/**
 * XREADGROUP for @p consumer: up to @p max entries never delivered to the
 * group (or, with @p pending set, the consumer's own delivered-but-unacked
 * ones, as after a restart). Waits up to @p block_ms for new entries
 * (0: does not wait; capped at 60000); the socket timeout is raised by that
 * much for this call.
 *
 * @return number of entries written to @p out (0 when none), or -1.
 */
int ar_store_event_read(ar_store_t *s, const char *group, const char *consumer, int pending,
			int block_ms, ar_store_event_t *out, size_t max, ar_err_t *err);

/** XACK. @return the number of entries acknowledged, or -1. */
int ar_store_event_ack(ar_store_t *s, const char *group, const char *const *ids, size_t n,
		       ar_err_t *err);

/**
 * XAUTOCLAIM: take over up to @p max entries pending for longer than
 * @p min_idle_ms (their consumer crashed) for @p consumer.
 *
 * @param cursor	in: where to start ("0-0" or "" for the beginning);
 *			out: where the next call continues ("0-0" when the scan is
 *			complete). AR_STORE_EVENT_ID_MAX + 1 bytes, or NULL.
 * @return number of entries written to @p out, or -1.
 */
int ar_store_event_claim(ar_store_t *s, const char *group, const char *consumer,
			 int64_t min_idle_ms, char *cursor, ar_store_event_t *out, size_t max,
			 ar_err_t *err);

/** Up to @p max most recent entries, newest first (XREVRANGE). @return count or -1. */
int ar_store_event_recent(ar_store_t *s, ar_store_event_t *out, size_t max, ar_err_t *err);

/**
 * Up to @p max entries written after the entry @p after ("<ms>-<seq>"),
 * oldest first (XRANGE with an exclusive start): a reader that goes on from
 * the last id it got misses nothing, however many were written meanwhile
 * (unless the stream was trimmed past it). @return count or -1.
 */
int ar_store_event_after(ar_store_t *s, const char *after, ar_store_event_t *out, size_t max,
			 ar_err_t *err);
/** @} */

/*
 *	Metrics (store_metrics.c).
 */

/**
 * Add @p deltas[i] to field @p fields[i] of the hash "<prefix>:metrics:<name>",
 * all @p n in one MULTI/EXEC (HINCRBY): counters that several processes sum,
 * field names as ar_metrics_cell_name() writes them. At most 4096 fields.
 * @return 0, or -1 with @p err (nothing added).
 */
int ar_store_metrics_add(ar_store_t *s, const char *name, const char *const *fields,
			 const int64_t *deltas, size_t n, ar_err_t *err);

/**
 * Add the hash "<prefix>:metrics:<name>" into @p into (ar_metrics_cell_add());
 * fields @p into does not know are skipped. @return 0, or -1 with @p err.
 */
int ar_store_metrics_load(ar_store_t *s, const char *name, ar_metrics_t *into, ar_err_t *err);

/** How far the event worker's group is behind the stream. */
typedef struct ar_store_event_lag {
	int64_t	length;		/**< XLEN of the stream */
	int64_t	pending;	/**< entries delivered to the group, not acknowledged */
	int64_t	oldest_ms;	/**< unix ms of the oldest pending entry's id; 0 when none */
} ar_store_event_lag_t;

/** XLEN and XPENDING of @p group (a group not created yet: 0 pending). @return 0 or -1. */
int ar_store_event_lag(ar_store_t *s, const char *group, ar_store_event_lag_t *out,
		       ar_err_t *err);

#endif
