/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file rlm_acme_rats.c
 * @brief FreeRADIUS 3.2 module: admit an EAP-TLS device only while its
 *	  certificate came from an attested ACME order and its posture is fresh.
 *
 * Sections:
 * - authorize, in the check-eap-tls virtual server: the decision, made on
 *   the chain OpenSSL verified (the depth-1 certificate must be one of
 *   issuer_certs). A reject fails the TLS handshake: EAP-Failure and
 *   Access-Reject. The result is kept on the outer request (request data
 *   and &control:ACME-RATS-*) for post-auth and Post-Auth-Type REJECT.
 *   FreeRADIUS 3.2 runs check-eap-tls on resumed sessions too, with the
 *   certificate attributes the TLS cache restored; the two it restores into
 *   the reply list (Valid-Since, the attestation extension) are read there.
 * - post-auth: applies the check-eap-tls decision (reply attributes: RFC
 *   3580 VLAN for quarantine, Reply-Message, Class; the ACME-RATS-*
 *   attributes for unlang; the re-attest event; the session record; the
 *   log line). A client certificate that check-eap-tls did not check is
 *   rejected: the handshake never ran the module, so nothing was decided.
 * - accounting: Start / Interim-Update refresh the session record, Stop
 *   removes it; the device is read back from the Class attribute.
 * - xlat %{acme_rats:device|decision|reason|posture_age|degraded}.
 *
 * rcodes: accept -> ok, quarantine -> updated, reject -> reject, pass ->
 * noop (another policy decides). Store failures in post-auth session
 * bookkeeping never reject: a session record that could not be written is
 * retried in the background. Accounting returns ok/fail as the store
 * answered (fail only means "not recorded", the NAS retries). Fail-closed
 * is a configuration choice (redis_unavailable), applied in armod_check().
 */
#include <freeradius/radiusd.h>
#include <freeradius/modules.h>
#include <freeradius/connection.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"
#include "fileio.h"
#include "hex.h"
#include "log.h"
#include "store.h"

/* The dictionary attribute of our certificate extension (docs/cert-extension.md). */
#define EXT_ATTR	"TLS-Client-Cert-" AR_CERTEXT_OID

/* A warning in the normal log (RWARN is a debug-level warning in 3.2). */
#define RLOG_WARN(fmt, ...)	radlog_request(L_WARN, L_DBG_LVL_OFF, request, fmt, ## __VA_ARGS__)

/* Key of the check-eap-tls result kept on the outer request (request data). */
#define RDATA_CHECK	1

/* Session records that could not be written: retried in the background. */
#define RETRY_MAX	512	/* records waiting at most; the oldest goes when full */
#define RETRY_DELAY_S	1	/* between two passes over the waiting records */

/* At most one summary of degraded decisions per this many seconds. */
#define DEGRADED_LOG_S	10

/* EAP-Type of EAP-TLS (RFC 5216). */
#define EAP_METHOD_TLS	13

/* Most EAP-TLS sections (eap modules) whose handshake virtual server is known. */
#define ARMOD_TLS_SERVERS_MAX	16

/* Certificates read from one file of the EAP trust store, at most. */
#define TRUST_FILE_MAX	4096

typedef struct rlm_acme_rats_redis {
	char const	*server;
	uint32_t	port;
	char const	*username;
	char const	*password;
	char const	*password_file;
	char const	*prefix;
	uint32_t	timeout_ms;
	uint32_t	connect_timeout_ms;
	char const	*sentinels;	/* "host:port,...": the primary by Redis Sentinel */
	char const	*master_name;
	char const	*sentinel_password;
} rlm_acme_rats_redis_t;

/* A session record waiting to be written again. */
typedef struct retry_item {
	char			device[AR_STORE_DEVICE_MAX + 1];
	ar_store_session_t	ss;
	time_t			give_up;	/* session_ttl after the authentication */
} retry_item_t;

/*
 * The decision counters: relaxed atomics on the request path (no lock, no
 * system call, no Redis round trip); a background thread adds what moved to
 * Redis every metrics_interval seconds, in one MULTI/EXEC of HINCRBYs.
 */
typedef struct metrics_flush {
	ar_metrics_t		*m;
	uint64_t		*sent;		/* per cell: already added to Redis */
	uint64_t		*now;		/* per cell: this flush's snapshot */
	char			(*names)[AR_METRIC_CELL_MAX];	/* "" for cells never sent */
	const char		**fields;
	int64_t			*deltas;
	size_t			ncells;
	pthread_mutex_t		mutex;
	pthread_cond_t		cond;
	pthread_t		thread;
	int			started;	/* read without the lock: __atomic */
	int			stop;
} metrics_flush_t;

/* The background writer of session records (started on first need). */
typedef struct retry_queue {
	pthread_mutex_t		mutex;
	pthread_cond_t		cond;
	pthread_t		thread;
	int			started, stop;
	retry_item_t		*items;		/* ring of RETRY_MAX */
	size_t			head, count;
	unsigned long		dropped;
} retry_queue_t;

typedef struct rlm_acme_rats {
	char const		*name;
	char const		*dictionary;
	char const		*issuer_certs;
	uint32_t		fresh;
	uint32_t		grace;
	uint32_t		max_cert_lifetime;
	char const		*redis_unavailable;
	char const		*non_acme_rats;
	char const		*quarantine_vlan;
	char const		*quarantine_message;
	char const		*accept_vlan;
	uint32_t		session_ttl;
	uint32_t		metrics_interval;
	rlm_acme_rats_redis_t	redis;

	armod_policy_t		policy;
	STACK_OF(X509)		*issuer_x509;	/* issuer_certs, for the trust store check */
	char const		*tls_servers[ARMOD_TLS_SERVERS_MAX];	/* EAP-TLS virtual_server names */
	size_t			ntls_servers;
	char const		*site_servers[ARMOD_TLS_SERVERS_MAX];	/* servers calling us and our eap */
	size_t			nsite_servers;
	ar_store_opts_t		store_opts;
	fr_connection_pool_t	*pool;
	retry_queue_t		retry;
	metrics_flush_t		metrics;

	/* Degraded decisions since the last summary line. */
	pthread_mutex_t		degraded_mutex;
	unsigned long		degraded_count;
	time_t			degraded_logged;
	char			degraded_last[128];

	/* Attributes, resolved once. */
	DICT_ATTR const		*da_serial, *da_since, *da_expiration, *da_issuer, *da_subject, *da_aki;
	DICT_ATTR const		*da_ext, *da_eap_type;
	DICT_ATTR const		*da_ca_serial, *da_ca_subject, *da_ca_issuer, *da_ca_since, *da_ca_expiration;
	DICT_ATTR const		*da_decision, *da_reason, *da_device, *da_age, *da_degraded;
} rlm_acme_rats_t;

/* What check-eap-tls decided, kept on the outer request for post-auth. */
typedef struct check_data {
	armod_result_t	res;
	int64_t		latency_us;
} check_data_t;

/* Enum options: one table each, the accepted names printed from it. */
static const FR_NAME_NUMBER redis_unavailable_table[] = {
	{ "fail_closed",	1 },
	{ "certificate_only",	0 },
	{ NULL,			-1 }
};

static const FR_NAME_NUMBER non_acme_rats_table[] = {
	{ "reject",		0 },
	{ "pass",		1 },
	{ NULL,			-1 }
};

/* What %{acme_rats:...} expands. */
typedef enum xlat_key {
	XK_DEVICE = 1,
	XK_DECISION,
	XK_REASON,
	XK_POSTURE_AGE,
	XK_DEGRADED
} xlat_key_t;

static const FR_NAME_NUMBER xlat_key_table[] = {
	{ "device",		XK_DEVICE },
	{ "decision",		XK_DECISION },
	{ "reason",		XK_REASON },
	{ "posture_age",	XK_POSTURE_AGE },
	{ "degraded",		XK_DEGRADED },
	{ NULL,			-1 }
};

static const CONF_PARSER redis_config[] = {
	{ "server", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_acme_rats_t, redis.server), "127.0.0.1" },
	{ "port", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_acme_rats_t, redis.port), "6379" },
	{ "username", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_acme_rats_t, redis.username), NULL },
	{ "password", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_SECRET, rlm_acme_rats_t, redis.password), NULL },
	{ "password_file", FR_CONF_OFFSET(PW_TYPE_FILE_INPUT, rlm_acme_rats_t, redis.password_file), NULL },
	{ "prefix", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_acme_rats_t, redis.prefix), "acmerats" },
	{ "timeout", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_acme_rats_t, redis.timeout_ms), "100" },
	{ "connect_timeout", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_acme_rats_t, redis.connect_timeout_ms), "100" },
	{ "sentinels", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_acme_rats_t, redis.sentinels), NULL },
	{ "master_name", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_acme_rats_t, redis.master_name), NULL },
	{ "sentinel_password", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_SECRET, rlm_acme_rats_t, redis.sentinel_password), NULL },
	CONF_PARSER_TERMINATOR
};

static const CONF_PARSER module_config[] = {
	{ "dictionary", FR_CONF_OFFSET(PW_TYPE_FILE_INPUT, rlm_acme_rats_t, dictionary), "${confdir}/dictionary.acme_rats" },
	{ "issuer_certs", FR_CONF_OFFSET(PW_TYPE_FILE_INPUT | PW_TYPE_REQUIRED, rlm_acme_rats_t, issuer_certs), NULL },
	{ "fresh", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_acme_rats_t, fresh), "21600" },
	{ "grace", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_acme_rats_t, grace), "43200" },
	{ "max_cert_lifetime", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_acme_rats_t, max_cert_lifetime), "86400" },
	{ "redis_unavailable", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_acme_rats_t, redis_unavailable), "certificate_only" },
	{ "non_acme_rats", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_acme_rats_t, non_acme_rats), "reject" },
	{ "quarantine_vlan", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_acme_rats_t, quarantine_vlan), "999" },
	{ "quarantine_message", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_acme_rats_t, quarantine_message), "Device posture needs re-attestation: limited access" },
	{ "accept_vlan", FR_CONF_OFFSET(PW_TYPE_STRING, rlm_acme_rats_t, accept_vlan), "" },
	{ "session_ttl", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_acme_rats_t, session_ttl), "7200" },
	{ "metrics_interval", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_acme_rats_t, metrics_interval), "10" },
	{ "redis", FR_CONF_POINTER(PW_TYPE_SUBSECTION, NULL), (void const *) redis_config },
	CONF_PARSER_TERMINATOR
};

/* ---- Connection pool: one ar_store_t per slot ------------------------- */

static int store_free(ar_store_t **handle)
{
	ar_store_close(*handle);
	return 0;
}

static void *mod_conn_create(TALLOC_CTX *ctx, void *instance)
{
	rlm_acme_rats_t *inst = instance;
	ar_store_t **handle;
	ar_err_t err;
	ar_store_t *s = ar_store_open(&inst->store_opts, &err);

	if (!s) {
		/* The store's message names the endpoint. */
		ERROR("rlm_acme_rats (%s): %s", inst->name, err.msg);
		return NULL;
	}
	handle = talloc_zero(ctx, ar_store_t *);
	if (!handle) {
		ar_store_close(s);
		return NULL;
	}
	*handle = s;
	talloc_set_destructor(handle, store_free);
	return handle;
}

static int mod_conn_alive(void *instance, void *handle)
{
	(void)instance;
	return ar_store_ping(*(ar_store_t **)handle, NULL) < 0 ? -1 : 0;
}

/* ---- Background writes of session records ----------------------------- */

/* Write what waits; keep what still fails until its give_up time. */
static void retry_pass(rlm_acme_rats_t *inst, ar_store_t **store)
{
	retry_queue_t *q = &inst->retry;
	retry_item_t item;
	ar_err_t err;
	size_t n;

	pthread_mutex_lock(&q->mutex);
	n = q->count;
	pthread_mutex_unlock(&q->mutex);
	while (n-- > 0) {
		pthread_mutex_lock(&q->mutex);
		if (!q->count || q->stop) {
			pthread_mutex_unlock(&q->mutex);
			return;
		}
		item = q->items[q->head];
		q->head = (q->head + 1) % RETRY_MAX;
		q->count--;
		pthread_mutex_unlock(&q->mutex);

		if (!*store)
			*store = ar_store_open(&inst->store_opts, &err);
		if (*store && ar_store_session_put(*store, item.device, &item.ss, (int)inst->session_ttl,
						   &err) == 0) {
			INFO("rlm_acme_rats (%s): session device=%s acct_session_id=%s recorded on retry",
			     inst->name, item.device, item.ss.acct_session_id);
			continue;
		}
		if (*store && !ar_store_err_is_down(&err)) {
			WARN("rlm_acme_rats (%s): session device=%s acct_session_id=%s not recorded: %s",
			     inst->name, item.device, item.ss.acct_session_id, err.msg);
			continue;
		}
		ar_store_close(*store);
		*store = NULL;
		if (time(NULL) >= item.give_up) {
			WARN("rlm_acme_rats (%s): session device=%s acct_session_id=%s not recorded: "
			     "Redis unavailable for session_ttl", inst->name, item.device,
			     item.ss.acct_session_id);
			continue;
		}
		pthread_mutex_lock(&q->mutex);
		if (q->count < RETRY_MAX) {
			q->items[(q->head + q->count) % RETRY_MAX] = item;
			q->count++;
		}
		pthread_mutex_unlock(&q->mutex);
		return;		/* Redis is down: wait before the next pass */
	}
}

static void *retry_main(void *arg)
{
	rlm_acme_rats_t *inst = arg;
	retry_queue_t *q = &inst->retry;
	ar_store_t *store = NULL;

	pthread_mutex_lock(&q->mutex);
	while (!q->stop) {
		struct timespec until;

		if (!q->count) {
			pthread_cond_wait(&q->cond, &q->mutex);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += RETRY_DELAY_S;
		pthread_cond_timedwait(&q->cond, &q->mutex, &until);
		if (q->stop)
			break;
		pthread_mutex_unlock(&q->mutex);
		retry_pass(inst, &store);
		pthread_mutex_lock(&q->mutex);
	}
	pthread_mutex_unlock(&q->mutex);
	ar_store_close(store);
	return NULL;
}

/* ---- Decision counters, flushed to Redis -------------------------------- */

/* Add to Redis what moved since the last flush that Redis took. */
static void metrics_flush_once(rlm_acme_rats_t *inst, ar_store_t **store)
{
	metrics_flush_t *f = &inst->metrics;
	ar_err_t err = { 0 };
	size_t i, n = 0;

	ar_metrics_snapshot(f->m, f->now);
	for (i = 0; i < f->ncells; i++) {
		if (f->now[i] == f->sent[i] || !f->names[i][0])
			continue;
		f->fields[n] = f->names[i];
		f->deltas[n++] = (int64_t)(f->now[i] - f->sent[i]);
	}
	if (!n)
		return;
	if (!*store)
		*store = ar_store_open(&inst->store_opts, &err);
	if (*store && ar_store_metrics_add(*store, AR_RADIUS_METRICS_NAME, f->fields, f->deltas, n,
					   &err) == 0) {
		memcpy(f->sent, f->now, f->ncells * sizeof(*f->sent));
		return;
	}
	/* Kept for the next flush: nothing was added (one transaction). */
	DEBUG2("rlm_acme_rats (%s): metrics not flushed: %s", inst->name, err.msg);
	ar_store_close(*store);
	*store = NULL;
}

static void *metrics_main(void *arg)
{
	rlm_acme_rats_t *inst = arg;
	metrics_flush_t *f = &inst->metrics;
	ar_store_t *store = NULL;

	pthread_mutex_lock(&f->mutex);
	while (!f->stop) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += inst->metrics_interval;
		pthread_cond_timedwait(&f->cond, &f->mutex, &until);
		pthread_mutex_unlock(&f->mutex);
		metrics_flush_once(inst, &store);
		pthread_mutex_lock(&f->mutex);
	}
	pthread_mutex_unlock(&f->mutex);
	ar_store_close(store);
	return NULL;
}

static int metrics_init(rlm_acme_rats_t *inst)
{
	metrics_flush_t *f = &inst->metrics;
	ar_err_t err = { 0 };
	size_t i;

	f->m = ar_metrics_new(ar_radius_metric_defs, AR_RM_N, &err);
	if (!f->m) {
		ERROR("rlm_acme_rats (%s): %s", inst->name, err.msg);
		return -1;
	}
	f->ncells = ar_metrics_ncells(f->m);
	f->sent = talloc_zero_array(inst, uint64_t, f->ncells);
	f->now = talloc_zero_array(inst, uint64_t, f->ncells);
	f->names = talloc_zero_size(inst, f->ncells * sizeof(*f->names));
	f->fields = talloc_zero_array(inst, char const *, f->ncells);
	f->deltas = talloc_zero_array(inst, int64_t, f->ncells);
	if (!f->sent || !f->now || !f->names || !f->fields || !f->deltas ||
	    pthread_mutex_init(&f->mutex, NULL) != 0) {
		ar_metrics_free(f->m);
		f->m = NULL;
		return -1;
	}
	if (pthread_cond_init(&f->cond, NULL) != 0) {
		pthread_mutex_destroy(&f->mutex);
		ar_metrics_free(f->m);
		f->m = NULL;
		return -1;
	}
	for (i = 0; i < f->ncells; i++)
		if (ar_metrics_cell_name(f->m, i, f->names[i], sizeof(f->names[i])) < 0)
			f->names[i][0] = '\0';
	return 0;
}

/* The flusher starts with the first decision (not in radiusd -C). */
static void metrics_start(rlm_acme_rats_t *inst)
{
	metrics_flush_t *f = &inst->metrics;

	if (!inst->metrics_interval || __atomic_load_n(&f->started, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&f->mutex);
	if (!f->started && !f->stop) {
		if (pthread_create(&f->thread, NULL, metrics_main, inst) == 0)
			__atomic_store_n(&f->started, 1, __ATOMIC_RELEASE);
		else
			ERROR("rlm_acme_rats (%s): metrics flusher not started", inst->name);
	}
	pthread_mutex_unlock(&f->mutex);
}

/* Stop the flusher after a last flush, and free the counters. */
static void metrics_stop(rlm_acme_rats_t *inst)
{
	metrics_flush_t *f = &inst->metrics;

	if (!f->m)
		return;
	pthread_mutex_lock(&f->mutex);
	f->stop = 1;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->mutex);
	if (f->started) {
		pthread_join(f->thread, NULL);
		f->started = 0;
	}
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->mutex);
	ar_metrics_free(f->m);
	f->m = NULL;
}

/* One decision counted: outcome and reason, degraded, and (@latency_us >= 0) the check's time. */
static void metrics_count(rlm_acme_rats_t *inst, armod_result_t const *res, int64_t latency_us)
{
	ar_metrics_t *m = inst->metrics.m;

	ar_metrics_inc(m, AR_RM_DECISIONS, (size_t)res->decision, (size_t)res->code);
	if (res->degraded)
		ar_metrics_inc(m, AR_RM_DEGRADED, 0, 0);
	if (latency_us >= 0)
		ar_metrics_observe(m, AR_RM_LATENCY, 0, 0, (double)latency_us / 1e6);
	metrics_start(inst);
}

/* Queue a session record for the background writer (started on first use). */
static void retry_later(rlm_acme_rats_t *inst, REQUEST *request, char const *device,
			ar_store_session_t const *ss)
{
	retry_queue_t *q = &inst->retry;
	retry_item_t *item;
	int dropped = 0;

	pthread_mutex_lock(&q->mutex);
	if (!q->started && !q->stop) {
		if (pthread_create(&q->thread, NULL, retry_main, inst) == 0)
			q->started = 1;
	}
	if (!q->started) {
		pthread_mutex_unlock(&q->mutex);
		RERROR("session of %s not recorded: no background writer", device);
		return;
	}
	if (q->count == RETRY_MAX) {	/* drop the oldest */
		q->head = (q->head + 1) % RETRY_MAX;
		q->count--;
		q->dropped++;
		dropped = 1;
	}
	item = &q->items[(q->head + q->count) % RETRY_MAX];
	snprintf(item->device, sizeof(item->device), "%s", device);
	item->ss = *ss;
	item->give_up = time(NULL) + (time_t)inst->session_ttl;
	q->count++;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mutex);
	if (dropped)
		RERROR("a session not recorded: %u session records wait for Redis, the oldest was dropped",
		       RETRY_MAX);
	RDEBUG2("session of %s queued for a background write", device);
}

static void retry_stop(rlm_acme_rats_t *inst)
{
	retry_queue_t *q = &inst->retry;

	pthread_mutex_lock(&q->mutex);
	q->stop = 1;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mutex);
	if (q->started)
		pthread_join(q->thread, NULL);
	q->started = 0;
}

/* ---- Instantiation ------------------------------------------------------ */

/* redis.password_file: the first line is the password, as the daemons read theirs. */
static int read_password_file(rlm_acme_rats_t *inst, CONF_SECTION *conf)
{
	char const *path = inst->redis.password_file;
	struct stat st;
	ar_err_t err;
	char *text = NULL;
	size_t len;
	int rc = -1;

	if (inst->redis.password) {
		cf_log_err_cs(conf, "redis: set password or password_file, not both");
		return -1;
	}
	if (stat(path, &st) == 0 && (st.st_mode & 0007)) {
		cf_log_err_cs(conf, "redis: password_file %s is readable by others (chmod o-rwx)", path);
		return -1;
	}
	if (ar_file_read(path, 1024, &text, &len, &err) < 0) {
		cf_log_err_cs(conf, "redis: password_file: %s", err.msg);
		return -1;
	}
	len = strcspn(text, "\r\n");
	if (len == 0)
		cf_log_err_cs(conf, "redis: password_file %s: the first line is empty", path);
	else if ((inst->redis.password = talloc_strndup(inst, text, len)) != NULL)
		rc = 0;
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return rc;
}

/* "a, b or c": the names of an option's table, for its error message. */
static char const *choices(char *buf, size_t size, FR_NAME_NUMBER const *table)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; table[i].name && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
				      i == 0 ? "" : table[i + 1].name ? ", " : " or ", table[i].name);
	return buf;
}

static int parse_enum(CONF_SECTION *conf, char const *option, char const *value,
		      FR_NAME_NUMBER const *table, int *out)
{
	char list[128];

	*out = fr_str2int(table, value, -1);
	if (*out >= 0)
		return 0;
	cf_log_err_cs(conf, "%s = \"%s\": expected %s", option, value, choices(list, sizeof(list), table));
	return -1;
}

/* Hex of @p len bytes at @p p, as many whole bytes as fit in @p size. */
static void hex_of(unsigned char const *p, int len, char *out, size_t size)
{
	size_t n = len > 0 ? (size_t)len : 0;

	if (n > (size - 1) / 2)
		n = (size - 1) / 2;
	(void)ar_hex_encode(p, n, out, size, NULL);
}

/* The text of a certificate time exactly as encoded (FreeRADIUS copies it so). */
static void time_text(ASN1_TIME const *t, char *out, size_t size)
{
	int len = t ? ASN1_STRING_length(t) : 0;

	out[0] = '\0';
	if (len > 0 && (size_t)len < size) {
		memcpy(out, ASN1_STRING_get0_data(t), (size_t)len);
		out[len] = '\0';
	}
}

/* One certificate of issuer_certs, in the forms FreeRADIUS reports a verified chain. */
static int add_issuer(rlm_acme_rats_t *inst, CONF_SECTION *conf, X509 *x)
{
	armod_policy_t *pol = &inst->policy;
	ASN1_OCTET_STRING const *ski = X509_get0_subject_key_id(x);
	ASN1_INTEGER const *sn = X509_get0_serialNumber(x);
	char skihex[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1];
	char subject[ARMOD_NAME_MAX + 1], issuer[ARMOD_NAME_MAX + 1];
	char since[ARMOD_TIME_MAX + 1], until[ARMOD_TIME_MAX + 1];
	ar_err_t err;

	if (pol->nissuers == ARMOD_ISSUERS_MAX) {
		cf_log_err_cs(conf, "issuer_certs: %s: more than %d certificates", inst->issuer_certs,
			      ARMOD_ISSUERS_MAX);
		return -1;
	}
	if (!ski || ski->length < 1 || ski->length > AR_STORE_HEX_MAX / 2) {
		cf_log_err_cs(conf, "issuer_certs: %s: a certificate without a usable subjectKeyIdentifier",
			      inst->issuer_certs);
		return -1;
	}
	hex_of(ski->data, ski->length, skihex, sizeof(skihex));
	hex_of(ASN1_STRING_get0_data(sn), ASN1_STRING_length(sn), serial, sizeof(serial));
	X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
	X509_NAME_oneline(X509_get_issuer_name(x), issuer, sizeof(issuer));
	time_text(X509_get0_notBefore(x), since, sizeof(since));
	time_text(X509_get0_notAfter(x), until, sizeof(until));
	if (armod_issuer_set(&pol->issuers[pol->nissuers], skihex, subject, issuer, serial, since, until,
			     &err) < 0) {
		cf_log_err_cs(conf, "issuer_certs: %s: %s", inst->issuer_certs, err.msg);
		return -1;
	}
	pol->nissuers++;
	return 0;
}

/* Every certificate in the PEM file becomes a trusted ACME-RATS issuer. */
static int load_issuers(rlm_acme_rats_t *inst, CONF_SECTION *conf)
{
	BIO *bio = BIO_new_file(inst->issuer_certs, "r");
	X509 *x;
	int rc = -1;

	if (!bio) {
		cf_log_err_cs(conf, "issuer_certs: cannot open %s", inst->issuer_certs);
		return -1;
	}
	if (!inst->issuer_x509 && !(inst->issuer_x509 = sk_X509_new_null()))
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (add_issuer(inst, conf, x) < 0 || !sk_X509_push(inst->issuer_x509, x)) {
			X509_free(x);
			goto out;
		}
	}
	ERR_clear_error();
	if (!inst->policy.nissuers) {
		cf_log_err_cs(conf, "issuer_certs: %s holds no PEM certificate", inst->issuer_certs);
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

static DICT_ATTR const *need_attr(CONF_SECTION *conf, char const *name, char const *where)
{
	DICT_ATTR const *da = dict_attrbyname(name);

	if (!da)
		cf_log_err_cs(conf, "attribute %s is not defined: %s", name, where);
	return da;
}

static int resolve_attrs(rlm_acme_rats_t *inst, CONF_SECTION *conf)
{
	static char const fr[] = "the FreeRADIUS dictionary is incomplete";
	static char const ours[] = "the module's dictionary file does not define it";
	struct {
		DICT_ATTR const	**da;
		char const	*name;
		char const	*where;
	} const want[] = {
		{ &inst->da_serial, "TLS-Client-Cert-Serial", fr },
		{ &inst->da_since, "TLS-Client-Cert-Valid-Since", fr },
		{ &inst->da_expiration, "TLS-Client-Cert-Expiration", fr },
		{ &inst->da_issuer, "TLS-Client-Cert-Issuer", fr },
		{ &inst->da_subject, "TLS-Client-Cert-Subject", fr },
		{ &inst->da_eap_type, "EAP-Type", fr },
		{ &inst->da_aki, "TLS-Client-Cert-X509v3-Authority-Key-Identifier", fr },
		{ &inst->da_ca_serial, "TLS-Cert-Serial", fr },
		{ &inst->da_ca_subject, "TLS-Cert-Subject", fr },
		{ &inst->da_ca_issuer, "TLS-Cert-Issuer", fr },
		{ &inst->da_ca_since, "TLS-Cert-Valid-Since", fr },
		{ &inst->da_ca_expiration, "TLS-Cert-Expiration", fr },
		{ &inst->da_ext, EXT_ATTR, ours },
		{ &inst->da_decision, "ACME-RATS-Decision", ours },
		{ &inst->da_reason, "ACME-RATS-Reason", ours },
		{ &inst->da_device, "ACME-RATS-Device", ours },
		{ &inst->da_age, "ACME-RATS-Posture-Age", ours },
		{ &inst->da_degraded, "ACME-RATS-Degraded", ours },
	};
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!(*want[i].da = need_attr(conf, want[i].name, want[i].where)))
			rc = -1;
	if (rc == 0 && inst->da_ext->type != PW_TYPE_OCTETS) {
		cf_log_err_cs(conf, "attribute %s must be of type octets", EXT_ATTR);
		rc = -1;
	}
	return rc;
}

static ssize_t acme_rats_xlat(void *instance, REQUEST *request, char const *fmt, char *out,
			      size_t outlen);

/*
 * The module's attributes come from its own dictionary file, read here
 * (before the virtual servers are compiled, so unlang can name them) unless
 * the server's dictionary already $INCLUDEs it: enabling the module needs
 * no edit of raddb/dictionary.
 */
static int load_dictionary(rlm_acme_rats_t *inst, CONF_SECTION *conf)
{
	char dir[PATH_MAX];
	char const *slash;

	if (dict_attrbyname("ACME-RATS-Decision"))
		return 0;
	if (!inst->dictionary || !(slash = strrchr(inst->dictionary, '/')) ||
	    (size_t)(slash - inst->dictionary) >= sizeof(dir)) {
		cf_log_err_cs(conf, "dictionary \"%s\" must be an absolute path",
			      inst->dictionary ? inst->dictionary : "");
		return -1;
	}
	memcpy(dir, inst->dictionary, (size_t)(slash - inst->dictionary));
	dir[slash - inst->dictionary] = '\0';
	if (dict_read(dir[0] ? dir : "/", slash + 1) < 0) {
		cf_log_err_cs(conf, "dictionary %s: %s", inst->dictionary, fr_strerror());
		return -1;
	}
	return 0;
}

static int mod_bootstrap(CONF_SECTION *conf, void *instance)
{
	rlm_acme_rats_t *inst = instance;

	if (load_dictionary(inst, conf) < 0)
		return -1;
	inst->name = cf_section_name2(conf);
	if (!inst->name)
		inst->name = cf_section_name1(conf);
	xlat_register(inst->name, acme_rats_xlat, NULL, inst);
	return 0;
}

static int check_settings(rlm_acme_rats_t *inst, CONF_SECTION *conf)
{
	armod_policy_t *pol = &inst->policy;

	if (parse_enum(conf, "redis_unavailable", inst->redis_unavailable, redis_unavailable_table,
		       &pol->fail_closed) < 0 ||
	    parse_enum(conf, "non_acme_rats", inst->non_acme_rats, non_acme_rats_table,
		       &pol->pass_non_acme) < 0)
		return -1;
	if (inst->fresh < 1 || inst->grace < inst->fresh) {
		cf_log_err_cs(conf, "fresh (%u) must be >= 1 and grace (%u) >= fresh", inst->fresh,
			      inst->grace);
		return -1;
	}
	if (inst->max_cert_lifetime < 60 || inst->max_cert_lifetime > 397 * 86400) {
		cf_log_err_cs(conf, "max_cert_lifetime (%u) must be 60..34300800 seconds",
			      inst->max_cert_lifetime);
		return -1;
	}
	if (inst->session_ttl < 60) {
		cf_log_err_cs(conf, "session_ttl (%u) must be >= 60 seconds", inst->session_ttl);
		return -1;
	}
	if (inst->metrics_interval > 3600) {
		cf_log_err_cs(conf, "metrics_interval (%u) must be 0..3600 seconds",
			      inst->metrics_interval);
		return -1;
	}
	if (inst->redis.port < 1 || inst->redis.port > 65535 || inst->redis.timeout_ms < 1 ||
	    inst->redis.timeout_ms > 10000 || inst->redis.connect_timeout_ms < 1 ||
	    inst->redis.connect_timeout_ms > 10000) {
		cf_log_err_cs(conf, "redis: port must be 1..65535, timeout and connect_timeout 1..10000 ms");
		return -1;
	}
	if (inst->redis.password_file && read_password_file(inst, conf) < 0)
		return -1;
	if (!inst->redis.sentinels != !inst->redis.master_name) {
		cf_log_err_cs(conf, "redis: sentinels and master_name go together");
		return -1;
	}
	if (inst->redis.sentinel_password && !inst->redis.sentinels) {
		cf_log_err_cs(conf, "redis: sentinel_password needs sentinels");
		return -1;
	}
	if (inst->redis.username && !inst->redis.password) {
		cf_log_err_cs(conf, "redis: username \"%s\" needs a password", inst->redis.username);
		return -1;
	}
	pol->fresh_s = inst->fresh;
	pol->grace_s = inst->grace;
	pol->max_lifetime_s = inst->max_cert_lifetime;
	return 0;
}

/*
 * The EAP trust store (ca_file, ca_path of the tls-config) against the
 * issuing CAs of issuer_certs. FreeRADIUS shows only the fields of the
 * depth-1 certificate, which a forger can copy; with verify_depth = 1
 * what it cannot copy is the signer: the depth-1 certificate was signed by
 * a root of the trust store named like the issuing CA's issuer. So every
 * certificate there with that name must hold the key that signed the
 * issuing CA, and none may carry the issuing CA's own name with another
 * key. Otherwise a second root of that name (say an RSA one) signs a copy
 * of the issuing CA and every depth-1 field matches.
 */
static char const *trust_problem(X509 *c, X509 *is)
{
	EVP_PKEY *ck = X509_get0_pubkey(c), *ik = X509_get0_pubkey(is);
	char const *bad = NULL;

	if (!X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(is)) &&
	    (!ck || X509_verify(is, ck) != 1))
		bad = "has the name of the ACME-RATS issuing CA's issuer but did not sign it";
	else if (!X509_NAME_cmp(X509_get_subject_name(c), X509_get_subject_name(is)) &&
		 X509_cmp(c, is) != 0 && (!ck || !ik || EVP_PKEY_eq(ck, ik) != 1))
		bad = "has the name of the ACME-RATS issuing CA but another key";
	ERR_clear_error();
	return bad;
}

/* Every certificate of one PEM file of the trust store against every issuing CA. */
static int trust_file(rlm_acme_rats_t *inst, CONF_SECTION *tc, char const *what, char const *path,
		      int must_exist)
{
	BIO *bio = BIO_new_file(path, "r");
	STACK_OF(X509_INFO) *infos = NULL;
	int i, j, rc = 0;

	if (!bio) {
		ERR_clear_error();
		if (!must_exist)
			return 0;
		cf_log_err_cs(tc, "%s: %s %s: cannot open it", inst->name, what, path);
		return -1;
	}
	infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	for (i = 0; infos && i < sk_X509_INFO_num(infos) && i < TRUST_FILE_MAX && rc == 0; i++) {
		X509 *c = sk_X509_INFO_value(infos, i)->x509;

		for (j = 0; c && j < sk_X509_num(inst->issuer_x509) && rc == 0; j++) {
			X509 *is = sk_X509_value(inst->issuer_x509, j);
			char const *bad = trust_problem(c, is);
			char name[ARMOD_NAME_MAX + 1], serial[AR_STORE_HEX_MAX + 1];
			ASN1_INTEGER const *sn = X509_get0_serialNumber(c);

			if (!bad)
				continue;
			X509_NAME_oneline(X509_get_subject_name(c), name, sizeof(name));
			hex_of(ASN1_STRING_get0_data(sn), ASN1_STRING_length(sn), serial, sizeof(serial));
			cf_log_err_cs(tc, "%s: %s %s: certificate \"%s\" (serial %s) %s", inst->name, what,
				      path, name, serial, bad);
			cf_log_err_cs(tc, "%s: a CA of that name could sign a copy of the issuing CA that "
				      "FreeRADIUS cannot tell from it: remove it from the EAP trust store",
				      inst->name);
			rc = -1;
		}
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	return rc;
}

/* ca_path as OpenSSL reads it: <hash of the subject name>.<n>, n = 0, 1, ... */
static int trust_dir_name(rlm_acme_rats_t *inst, CONF_SECTION *tc, char const *dir,
			  X509_NAME const *name)
{
	unsigned long h;
	char path[4096];
	int ok = 0, n;
	struct stat st;

	h = X509_NAME_hash_ex(name, NULL, NULL, &ok);
	if (!ok) {
		ERR_clear_error();
		cf_log_err_cs(tc, "%s: ca_path %s: cannot hash a name of issuer_certs", inst->name, dir);
		return -1;
	}
	for (n = 0; n < 1000; n++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%08lx.%d", dir, h, n) >= sizeof(path))
			return -1;
		if (stat(path, &st) != 0)
			break;
		if (trust_file(inst, tc, "ca_path", path, 1) < 0)
			return -1;
	}
	return 0;
}

static int check_trust_store(rlm_acme_rats_t *inst, CONF_SECTION *tc)
{
	CONF_PAIR *cp = cf_pair_find(tc, "ca_file");
	char const *dir;
	int i;

	if (cp && cf_pair_value(cp) && *cf_pair_value(cp) &&
	    trust_file(inst, tc, "ca_file", cf_pair_value(cp), 0) < 0)
		return -1;
	cp = cf_pair_find(tc, "ca_path");
	dir = cp ? cf_pair_value(cp) : NULL;
	for (i = 0; dir && *dir && i < sk_X509_num(inst->issuer_x509); i++) {
		X509 *is = sk_X509_value(inst->issuer_x509, i);

		if (trust_dir_name(inst, tc, dir, X509_get_issuer_name(is)) < 0 ||
		    trust_dir_name(inst, tc, dir, X509_get_subject_name(is)) < 0)
			return -1;
	}
	return 0;
}

/*
 * Does @cs (a virtual server's section, searched @depth levels down) call
 * the module instance @name: "name", "-name", "name.method", or a
 * section "name { ok = return }"? update and map sections hold
 * attributes, not calls.
 */
static int section_calls(CONF_SECTION const *cs, char const *name, int depth)
{
	CONF_ITEM *ci = NULL;
	size_t len = strlen(name);

	while (depth > 0 && (ci = cf_item_find_next(cs, ci))) {
		char const *word;

		if (cf_item_is_pair(ci)) {
			CONF_PAIR *cp = cf_item_to_pair(ci);

			if (cf_pair_value(cp))
				continue;
			word = cf_pair_attr(cp);
		} else if (cf_item_is_section(ci)) {
			CONF_SECTION *sub = cf_item_to_section(ci);

			word = cf_section_name1(sub);
			if (!word || !strcmp(word, "update") || !strcmp(word, "map"))
				continue;
			if (section_calls(sub, name, depth - 1))
				return 1;
		} else {
			continue;
		}
		if (word && *word == '-')
			word++;
		if (word && !strncmp(word, name, len) && (word[len] == '\0' || word[len] == '.'))
			return 1;
	}
	return 0;
}

/* Is @server the name of a virtual server that calls @name? */
static int server_calls(CONF_SECTION *top, char const *server, char const *name)
{
	CONF_SECTION *cs = server ? cf_section_sub_find_name2(top, "server", server) : NULL;

	return cs && section_calls(cs, name, 16);
}

/*
 * Is @eap one of ours: its EAP-TLS handshake runs a virtual server that
 * calls this module (the check), or a virtual server that calls this
 * module calls it (the site whose post-auth applies the decision)?
 * Another eap instance - Debian's stock "eap" with the public CAs, serving
 * other sites - is not ours to judge.
 */
static int eap_is_ours(rlm_acme_rats_t *inst, CONF_SECTION *top, CONF_SECTION *eap, char const *vs)
{
	char const *eap_name = cf_section_name2(eap) ? cf_section_name2(eap) : cf_section_name1(eap);
	CONF_SECTION *server = NULL;

	if (server_calls(top, vs, inst->name))
		return 1;
	while ((server = cf_subsection_find_next(top, server, "server")))
		if (section_calls(server, inst->name, 16) && section_calls(server, eap_name, 16))
			return 1;
	return 0;
}

/*
 * Keep the names of the virtual servers that call this module and the eap
 * instance @eap_name: the sites whose post-auth applies the decision,
 * where an accept without any client certificate is not left alone.
 */
static void note_sites(rlm_acme_rats_t *inst, CONF_SECTION *top, char const *eap_name)
{
	CONF_SECTION *server = NULL;
	size_t i;

	while ((server = cf_subsection_find_next(top, server, "server"))) {
		char const *name = cf_section_name2(server);

		if (!name || !section_calls(server, inst->name, 16) || !section_calls(server, eap_name, 16))
			continue;
		for (i = 0; i < inst->nsite_servers; i++)
			if (!strcmp(inst->site_servers[i], name))
				break;
		if (i == inst->nsite_servers && inst->nsite_servers < ARMOD_TLS_SERVERS_MAX)
			inst->site_servers[inst->nsite_servers++] = talloc_strdup(inst, name);
	}
}

/*
 * An eap instance of ours offers EAP-TLS and nothing else: default_eap_type
 * = tls and no method subsection but tls (tls-config holds settings). A
 * PEAP, TTLS, FAST, MD5, MSCHAPv2, GTC, PWD ... method there would let the
 * site accept a login without a client certificate, which the module
 * cannot judge.
 */
static int check_eap_methods(rlm_acme_rats_t *inst, CONF_SECTION *eap, char const *eap_name)
{
	CONF_PAIR *cp = cf_pair_find(eap, "default_eap_type");
	char const *type = cp ? cf_pair_value(cp) : NULL;
	CONF_SECTION *sub = NULL;

	if (!type || strcasecmp(type, "tls")) {
		cf_log_err_cs(eap, "%s: eap %s: default_eap_type = %s: the eap instance of the "
			      "acme-rats site offers EAP-TLS only: default_eap_type = tls",
			      inst->name, eap_name, type ? type : "(unset)");
		return -1;
	}
	while ((sub = cf_subsection_find_next(eap, sub, NULL))) {
		char const *method = cf_section_name1(sub);

		if (!method || !strcmp(method, "tls") || !strcmp(method, "tls-config"))
			continue;
		cf_log_err_cs(sub, "%s: eap %s: method %s: the eap instance of the acme-rats site "
			      "offers EAP-TLS only (a login without a client certificate is not "
			      "judged): remove %s { } here, serve it from another eap instance and "
			      "site (docs/install.md, section 5)", inst->name, eap_name, method, method);
		return -1;
	}
	return 0;
}

/*
 * The files EAP-TLS needs, checked here so that a missing certificate is
 * named with what it is for rather than as an OpenSSL error of the eap
 * module.
 */
static int check_tls_files(rlm_acme_rats_t *inst, CONF_SECTION *tc, char const *eap_name)
{
	static struct {
		char const *option, *what;
	} const files[] = {
		{ "certificate_file", "the RADIUS server's certificate" },
		{ "private_key_file", "the RADIUS server's private key" },
		{ "ca_file", "the CAs client certificates may come from" },
	};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		CONF_PAIR *cp = cf_pair_find(tc, files[i].option);
		char const *path = cp ? cf_pair_value(cp) : NULL;
		FILE *f;

		if (!path || !*path)
			continue;
		if (!(f = fopen(path, "r"))) {
			cf_log_err_cs(tc, "%s: eap %s: %s %s (%s): %s: see docs/install.md, section 5",
				      inst->name, eap_name, files[i].option, path, files[i].what, strerror(errno));
			return -1;
		}
		fclose(f);
	}
	return 0;
}

/*
 * The EAP-TLS configuration of every eap instance of ours (eap_is_ours():
 * the tls { } subsection and the tls-config it names) must run a virtual
 * server during the handshake (acme-rats-check-eap-tls, which calls us) and
 * allow no chain longer than the ACME-RATS one (verify_depth = 1): the
 * issuing CA is recognised at depth 1 of the verified chain, which is only
 * conclusive when no intermediate can stand between it and a root of
 * ca_file; and its trust store must hold no other CA named like the
 * issuing CA or its issuer (check_trust_store()). The virtual servers
 * named are kept: a request there is an EAP-TLS handshake, where a client
 * certificate is mandatory.
 */
static int check_eap_instance(rlm_acme_rats_t *inst, CONF_SECTION *eap, CONF_SECTION *tls)
{
	char const *eap_name = cf_section_name2(eap) ? cf_section_name2(eap) : cf_section_name1(eap);
	CONF_PAIR *cp = cf_pair_find(tls, "tls");
	CONF_SECTION *tc = cp ? cf_section_sub_find_name2(eap, "tls-config", cf_pair_value(cp)) : tls;
	char const *depth, *vs;

	cp = cf_pair_find(tls, "virtual_server");
	vs = cp ? cf_pair_value(cp) : NULL;
	if (!vs || !*vs) {
		cf_log_err_cs(tls, "%s: eap %s: EAP-TLS runs no virtual server during the handshake: "
			      "virtual_server = acme-rats-check-eap-tls here", inst->name, eap_name);
		return -1;
	}
	if (!server_calls(cf_top_section(eap), vs, inst->name)) {
		cf_log_err_cs(tls, "%s: eap %s: virtual_server = %s: no such server, or it does not call "
			      "%s: the handshake would not be checked (virtual_server = "
			      "acme-rats-check-eap-tls)", inst->name, eap_name, vs, inst->name);
		return -1;
	}
	if (inst->ntls_servers < ARMOD_TLS_SERVERS_MAX)
		inst->tls_servers[inst->ntls_servers++] = talloc_strdup(inst, vs);
	if (!tc)
		tc = tls;
	cp = cf_pair_find(tc, "verify_depth");
	depth = cp ? cf_pair_value(cp) : NULL;
	if (!depth || strcmp(depth, "1")) {
		cf_log_err_cs(tc, "%s: eap %s: verify_depth = %s allows a CA between the ACME-RATS "
			      "issuing CA and its root: set verify_depth = 1 in its tls-config",
			      inst->name, eap_name, depth ? depth : "(unset, unlimited)");
		return -1;
	}
	if (check_tls_files(inst, tc, eap_name) < 0 || check_trust_store(inst, tc) < 0 ||
	    check_eap_methods(inst, eap, eap_name) < 0)
		return -1;
	note_sites(inst, cf_top_section(eap), eap_name);
	return 0;
}

static int check_eap_tls(rlm_acme_rats_t *inst, CONF_SECTION *conf)
{
	CONF_SECTION *top = cf_top_section(conf);
	CONF_SECTION *modules = cf_section_sub_find(top, "modules"), *eap = NULL;
	int found = 0;

	while (modules && (eap = cf_subsection_find_next(modules, eap, "eap"))) {
		CONF_SECTION *tls = cf_section_sub_find(eap, "tls");
		CONF_PAIR *cp = tls ? cf_pair_find(tls, "virtual_server") : NULL;

		if (!tls || !eap_is_ours(inst, top, eap, cp ? cf_pair_value(cp) : NULL))
			continue;
		found = 1;
		if (check_eap_instance(inst, eap, tls) < 0)
			return -1;
	}
	if (!found) {
		cf_log_err_cs(conf, "%s: no eap instance with EAP-TLS runs a virtual server that calls "
			      "%s, nor is called by one: enable sites-available/acme-rats", inst->name,
			      inst->name);
		return -1;
	}
	return 0;
}

static int mod_instantiate(CONF_SECTION *conf, void *instance)
{
	rlm_acme_rats_t *inst = instance;

	if (check_settings(inst, conf) < 0 || load_issuers(inst, conf) < 0 ||
	    check_eap_tls(inst, conf) < 0 || resolve_attrs(inst, conf) < 0)
		return -1;

	inst->store_opts.host = inst->redis.server;
	inst->store_opts.port = (int)inst->redis.port;
	inst->store_opts.username = inst->redis.username;
	inst->store_opts.password = inst->redis.password;
	inst->store_opts.sentinels = inst->redis.sentinels;
	inst->store_opts.master_name = inst->redis.master_name;
	inst->store_opts.sentinel_password = inst->redis.sentinel_password;
	inst->store_opts.prefix = inst->redis.prefix;
	inst->store_opts.command_timeout_ms = (int)inst->redis.timeout_ms;
	inst->store_opts.connect_timeout_ms = (int)inst->redis.connect_timeout_ms;

	inst->retry.items = talloc_zero_array(inst, retry_item_t, RETRY_MAX);
	if (!inst->retry.items || pthread_mutex_init(&inst->retry.mutex, NULL) != 0 ||
	    pthread_cond_init(&inst->retry.cond, NULL) != 0 ||
	    pthread_mutex_init(&inst->degraded_mutex, NULL) != 0)
		return -1;

	if (metrics_init(inst) < 0)
		return -1;

	/* Redis may be down at start: the pool then starts empty and retries. */
	inst->pool = fr_connection_pool_module_init(conf, inst, mod_conn_create, mod_conn_alive, NULL);
	if (!inst->pool)
		return -1;
	return 0;
}

static void degraded_flush(rlm_acme_rats_t *inst, int force);

static int mod_detach(void *instance)
{
	rlm_acme_rats_t *inst = instance;

	sk_X509_pop_free(inst->issuer_x509, X509_free);
	inst->issuer_x509 = NULL;
	metrics_stop(inst);
	if (inst->retry.items) {
		degraded_flush(inst, 1);
		retry_stop(inst);
		pthread_cond_destroy(&inst->retry.cond);
		pthread_mutex_destroy(&inst->retry.mutex);
		pthread_mutex_destroy(&inst->degraded_mutex);
	}
	fr_connection_pool_free(inst->pool);
	inst->pool = NULL;
	return 0;
}

/* ---- The decision ------------------------------------------------------- */

static VALUE_PAIR *find_in(VALUE_PAIR *list, DICT_ATTR const *da)
{
	return list ? fr_pair_find_by_da(list, da, TAG_ANY) : NULL;
}

/*
 * A certificate attribute of @request. On a resumed TLS session FreeRADIUS
 * 3.2 puts the cached TLS-Client-Cert-Valid-Since and our extension into
 * the reply list of the request that runs EAP (the parent of check-eap-tls's
 * request), the other certificate attributes into its request list: look
 * there when @from_reply allows.
 */
static VALUE_PAIR *cert_attr(REQUEST *request, DICT_ATTR const *da, int from_reply)
{
	VALUE_PAIR *vp = find_in(request->packet->vps, da);

	if (vp || !from_reply)
		return vp;
	if ((vp = find_in(request->reply->vps, da)))
		return vp;
	return request->parent && request->parent->reply ? find_in(request->parent->reply->vps, da) : NULL;
}

static char const *str_attr(REQUEST *request, DICT_ATTR const *da, int from_reply)
{
	VALUE_PAIR *vp = cert_attr(request, da, from_reply);

	return vp && vp->da->type == PW_TYPE_STRING ? vp->vp_strvalue : NULL;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * The client certificate and its verified issuer as FreeRADIUS reports
 * them; 0 if FreeRADIUS reports no client certificate at all. A
 * certificate without TLS-Client-Cert-Serial (FreeRADIUS exports none of
 * 32 octets or more) is a certificate: armod_check() rejects it.
 */
static int cert_of(rlm_acme_rats_t *inst, REQUEST *request, armod_cert_t *cert)
{
	VALUE_PAIR *vp;

	memset(cert, 0, sizeof(*cert));
	cert->serial = str_attr(request, inst->da_serial, 0);
	cert->valid_since = str_attr(request, inst->da_since, 1);
	cert->expiration = str_attr(request, inst->da_expiration, 0);
	cert->issuer = str_attr(request, inst->da_issuer, 0);
	cert->aki = str_attr(request, inst->da_aki, 0);
	cert->ca_serial = str_attr(request, inst->da_ca_serial, 0);
	cert->ca_subject = str_attr(request, inst->da_ca_subject, 0);
	cert->ca_issuer = str_attr(request, inst->da_ca_issuer, 0);
	cert->ca_valid_since = str_attr(request, inst->da_ca_since, 0);
	cert->ca_expiration = str_attr(request, inst->da_ca_expiration, 0);
	vp = cert_attr(request, inst->da_ext, 1);
	if (vp && vp->da->type == PW_TYPE_OCTETS) {
		cert->ext = vp->vp_octets;
		cert->ext_len = vp->vp_length;
	}
	return cert->serial || cert->valid_since || cert->expiration || cert->issuer || cert->aki ||
	       cert->ext || cert_attr(request, inst->da_subject, 0);
}

/* Is @request the EAP-TLS handshake's virtual server (check-eap-tls)? */
static int in_eap_tls_handshake(rlm_acme_rats_t *inst, REQUEST *request)
{
	size_t i;

	if (!request->parent || !request->server)
		return 0;
	for (i = 0; i < inst->ntls_servers; i++)
		if (inst->tls_servers[i] && !strcmp(inst->tls_servers[i], request->server))
			return 1;
	return 0;
}

/* Did EAP-TLS authenticate @request (the method of its last EAP message)? */
static int eap_tls_ran(rlm_acme_rats_t *inst, REQUEST *request)
{
	VALUE_PAIR *vp = find_in(request->packet->vps, inst->da_eap_type);

	return vp && vp->vp_integer == EAP_METHOD_TLS;
}

/* Is @request in a site of ours (note_sites()): its own request, not a tunnel's? */
static int in_our_site(rlm_acme_rats_t *inst, REQUEST *request)
{
	size_t i;

	if (request->parent || !request->server)
		return 0;
	for (i = 0; i < inst->nsite_servers; i++)
		if (!strcmp(inst->site_servers[i], request->server))
			return 1;
	return 0;
}

/* How @request authenticated, for a reason: "EAP-Type PEAP", or "no EAP". */
static void method_of(rlm_acme_rats_t *inst, REQUEST *request, char *out, size_t size)
{
	VALUE_PAIR *vp = find_in(request->packet->vps, inst->da_eap_type);
	char name[32];

	if (!vp) {
		snprintf(out, size, "no EAP");
		return;
	}
	vp_prints_value(name, sizeof(name), vp, '\0');
	snprintf(out, size, "EAP-Type %s", name);
}

/*
 * One summary line per DEGRADED_LOG_S for the normal log, whatever the
 * debug level: at a degraded decision (@res), at the next decision of any
 * kind (@res NULL) once DEGRADED_LOG_S have passed, and at detach (@force).
 */
static void note_degraded(rlm_acme_rats_t *inst, armod_result_t const *res, int force)
{
	unsigned long n = 0;
	time_t now = time(NULL);
	char last[sizeof(inst->degraded_last)];

	pthread_mutex_lock(&inst->degraded_mutex);
	if (res) {
		inst->degraded_count++;
		snprintf(inst->degraded_last, sizeof(inst->degraded_last), "%s", res->store_msg);
	}
	if (inst->degraded_count && (force || now - inst->degraded_logged >= DEGRADED_LOG_S)) {
		n = inst->degraded_count;
		inst->degraded_count = 0;
		inst->degraded_logged = now;
		snprintf(last, sizeof(last), "%s", inst->degraded_last);
	}
	pthread_mutex_unlock(&inst->degraded_mutex);
	if (n)
		WARN("rlm_acme_rats (%s): degraded decisions=%lu in_last_s=%d redis_unavailable=%s "
		     "last_error=\"%s\"", inst->name, n, DEGRADED_LOG_S, inst->redis_unavailable, last);
}

static void degraded_flush(rlm_acme_rats_t *inst, int force)
{
	note_degraded(inst, NULL, force);
}

/* The one line per decision, at info level (the module name prefixes it). */
static void log_decision(rlm_acme_rats_t *inst, REQUEST *request, armod_result_t const *res,
			 int64_t latency_us, char const *stage)
{
	char reason[256];

	ar_log_q(reason, sizeof(reason), res->reason);
	RINFO("decision device=%s serial=%s outcome=%s reason=%s posture_age=%lld latency_us=%lld "
	      "stage=%s%s", res->device[0] ? res->device : "-", res->serial[0] ? res->serial : "-",
	      armod_decision_name(res->decision), reason, (long long)res->posture_age,
	      (long long)latency_us, stage, res->degraded ? " degraded=yes" : "");
	note_degraded(inst, res->degraded ? res : NULL, 0);
}

static void add_str(TALLOC_CTX *ctx, VALUE_PAIR **list, DICT_ATTR const *da, char const *value)
{
	VALUE_PAIR *vp = fr_pair_afrom_da(ctx, da);

	if (!vp)
		return;
	fr_pair_value_strcpy(vp, value);
	fr_pair_replace(list, vp);
}

static void add_int(TALLOC_CTX *ctx, VALUE_PAIR **list, DICT_ATTR const *da, uint32_t value)
{
	VALUE_PAIR *vp = fr_pair_afrom_da(ctx, da);

	if (!vp)
		return;
	vp->vp_integer = value;
	fr_pair_replace(list, vp);
}

/* ACME-RATS-* for unlang, in @list. */
static void expose(rlm_acme_rats_t *inst, TALLOC_CTX *ctx, VALUE_PAIR **list, armod_result_t const *res)
{
	add_int(ctx, list, inst->da_decision, (uint32_t)res->decision + 1);
	add_str(ctx, list, inst->da_reason, res->reason);
	if (res->device[0])
		add_str(ctx, list, inst->da_device, res->device);
	if (res->posture_age >= 0)
		add_int(ctx, list, inst->da_age, (uint32_t)res->posture_age);
	add_int(ctx, list, inst->da_degraded, res->degraded ? 1 : 0);
}

static void set_vlan(REQUEST *request, char const *vlan)
{
	pair_make_reply("Tunnel-Type", "VLAN", T_OP_SET);
	pair_make_reply("Tunnel-Medium-Type", "IEEE-802", T_OP_SET);
	pair_make_reply("Tunnel-Private-Group-Id", vlan, T_OP_SET);
}

static void reply_message(REQUEST *request, char const *prefix, char const *text)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s%s", prefix, text);
	pair_make_reply("Reply-Message", msg, T_OP_SET);
}

/* A printable copy of a request attribute, "" when absent. */
static void attr_text(REQUEST *request, char const *name, char *out, size_t size)
{
	DICT_ATTR const *da = dict_attrbyname(name);
	VALUE_PAIR *vp = da ? fr_pair_find_by_da(request->packet->vps, da, TAG_ANY) : NULL;

	out[0] = '\0';
	if (vp)
		vp_prints_value(out, size, vp, '\0');
}

/* The session as the NOC needs it to send a Disconnect-Request; 0 if incomplete. */
static int session_of(REQUEST *request, char const *serial, ar_store_session_t *ss)
{
	memset(ss, 0, sizeof(*ss));
	attr_text(request, "NAS-IP-Address", ss->nas_ip, sizeof(ss->nas_ip));
	attr_text(request, "NAS-Identifier", ss->nas_id, sizeof(ss->nas_id));
	if (!ss->nas_id[0])
		snprintf(ss->nas_id, sizeof(ss->nas_id), "%s", ss->nas_ip);
	attr_text(request, "Acct-Session-Id", ss->acct_session_id, sizeof(ss->acct_session_id));
	attr_text(request, "Calling-Station-Id", ss->calling_station_id,
		  sizeof(ss->calling_station_id));
	attr_text(request, "User-Name", ss->user_name, sizeof(ss->user_name));
	snprintf(ss->serial, sizeof(ss->serial), "%s", serial);
	ss->started = (int64_t)time(NULL);
	return ss->nas_id[0] && ss->acct_session_id[0] && !strchr(ss->nas_id, '|');
}

static rlm_rcode_t rcode_of(armod_decision_t d)
{
	switch (d) {
	case ARMOD_ACCEPT:	return RLM_MODULE_OK;
	case ARMOD_QUARANTINE:	return RLM_MODULE_UPDATED;
	case ARMOD_PASS:	return RLM_MODULE_NOOP;
	case ARMOD_REJECT:	break;
	}
	return RLM_MODULE_REJECT;	/* fail closed on anything unexpected */
}

/*
 * check-eap-tls: the decision. A reject fails the handshake (EAP-Failure).
 * The result goes to the request that runs EAP (our parent) for post-auth
 * and for Post-Auth-Type REJECT's Reply-Message.
 */
static rlm_rcode_t CC_HINT(nonnull) mod_authorize(void *instance, REQUEST *request)
{
	rlm_acme_rats_t *inst = instance;
	REQUEST *outer = request->parent ? request->parent : request;
	ar_store_t **handle;
	armod_cert_t cert;
	check_data_t *data;
	int64_t t0 = now_us();
	int have_cert = cert_of(inst, request, &cert);

	if (!have_cert && !in_eap_tls_handshake(inst, request))
		return RLM_MODULE_NOOP;
	data = talloc_zero(outer, check_data_t);
	if (!data)
		return RLM_MODULE_FAIL;
	if (!have_cert) {
		/*
		 * EAP-TLS without client certificate attributes: FreeRADIUS
		 * 3.2.1 resuming a TLS 1.3 session put them in the reply of
		 * an earlier round. Never "not our certificate".
		 */
		armod_no_certificate(&data->res);
	} else {
		handle = fr_connection_get(inst->pool);
		armod_check(&inst->policy, &cert, handle ? *handle : NULL, (int64_t)time(NULL),
			    &data->res, NULL);
		if (handle)
			fr_connection_release(inst->pool, handle);
	}
	data->latency_us = now_us() - t0;
	metrics_count(inst, &data->res, data->latency_us);

	expose(inst, request, &request->config, &data->res);
	if (outer != request)
		expose(inst, outer, &outer->config, &data->res);
	if (data->res.decision == ARMOD_REJECT)
		log_decision(inst, request, &data->res, data->latency_us, "check-eap-tls");
	else
		RDEBUG2("certificate check: %s (%s)", armod_decision_name(data->res.decision),
			data->res.reason);
	if (request_data_add(outer, inst, RDATA_CHECK, data, true) < 0) {
		talloc_free(data);
		return RLM_MODULE_FAIL;
	}
	return rcode_of(data->res.decision);
}

/* Record the live session now, or in the background when Redis does not take it. */
static void record_session(rlm_acme_rats_t *inst, REQUEST *request, armod_result_t const *res)
{
	ar_store_session_t ss;
	ar_store_t **handle;
	ar_err_t err;

	if (!session_of(request, res->serial, &ss)) {
		RDEBUG2("no NAS-Identifier/Acct-Session-Id: session not recorded");
		return;
	}
	handle = res->degraded ? NULL : fr_connection_get(inst->pool);
	if (handle) {
		int rc = ar_store_session_put(*handle, res->device, &ss, (int)inst->session_ttl, &err);

		fr_connection_release(inst->pool, handle);
		if (rc == 0)
			return;
		if (!ar_store_err_is_down(&err)) {
			RLOG_WARN("session of %s not recorded: %s", res->device, err.msg);
			return;
		}
	}
	retry_later(inst, request, res->device, &ss);
}

static void reattest_event(rlm_acme_rats_t *inst, REQUEST *request, armod_result_t const *res)
{
	ar_store_event_t ev;
	ar_store_t **handle;
	ar_err_t err;

	if (res->degraded)
		return;
	armod_reattest_event(res, &ev);
	handle = fr_connection_get(inst->pool);
	if (!handle || ar_store_event_add(*handle, &ev, NULL, &err) < 0)
		RLOG_WARN("re-attest event for %s not written: %s", res->device,
		      handle ? err.msg : "no connection to Redis");
	if (handle)
		fr_connection_release(inst->pool, handle);
}

/*
 * post-auth: apply what check-eap-tls decided for this handshake. A client
 * certificate it never saw was not decided: reject, never accept. In a
 * site of ours (note_sites()), an accept without any client certificate
 * (another method added to the site) is not an ACME-RATS certificate:
 * reject, or pass with non_acme_rats = pass - decided and logged, never
 * silent. Elsewhere such a request is not ours to decide: noop.
 */
static rlm_rcode_t CC_HINT(nonnull) mod_post_auth(void *instance, REQUEST *request)
{
	rlm_acme_rats_t *inst = instance;
	check_data_t *data;
	armod_result_t res;
	armod_cert_t cert;
	int64_t latency = 0;
	char cls[ARMOD_CLASS_MAX + 1], method[64];

	data = request_data_get(request, inst, RDATA_CHECK);
	if (!data && !cert_of(inst, request, &cert) && !eap_tls_ran(inst, request)) {
		if (!in_our_site(inst, request))
			return RLM_MODULE_NOOP;	/* no client certificate: not ours to decide */
		method_of(inst, request, method, sizeof(method));
		armod_no_client_certificate(&inst->policy, method, &res);
		metrics_count(inst, &res, -1);
	} else if (data) {
		res = data->res;
		latency = data->latency_us;
		talloc_free(data);
	} else {
		memset(&res, 0, sizeof(res));
		res.decision = ARMOD_REJECT;
		res.posture_age = -1;
		res.code = AR_RR_NOT_CHECKED;
		snprintf(res.reason, sizeof(res.reason), "certificate not checked during the EAP-TLS "
			 "handshake (check-eap-tls must call %s)", inst->name);
		metrics_count(inst, &res, -1);
		if (cert.serial)
			(void)armod_parse_serial(cert.serial, res.serial, sizeof(res.serial), NULL);
	}
	expose(inst, request->reply, &request->reply->vps, &res);
	expose(inst, request, &request->config, &res);
	switch (res.decision) {
	case ARMOD_QUARANTINE:
		set_vlan(request, inst->quarantine_vlan);
		reply_message(request, "", inst->quarantine_message);
		reattest_event(inst, request, &res);
		/* FALL-THROUGH */
	case ARMOD_ACCEPT:
		if (res.decision == ARMOD_ACCEPT && inst->accept_vlan[0])
			set_vlan(request, inst->accept_vlan);
		if (armod_class_encode(res.device, res.serial, cls, sizeof(cls)) > 0)
			pair_make_reply("Class", cls, T_OP_ADD);
		record_session(inst, request, &res);
		break;
	case ARMOD_REJECT:
		reply_message(request, "Access denied: ", res.reason);
		break;
	case ARMOD_PASS:
		break;
	}
	log_decision(inst, request, &res, latency, "post-auth");
	return rcode_of(res.decision);
}

/* The decision attributes of @request, or of the request running EAP. */
static VALUE_PAIR *decision_attr(REQUEST *request, DICT_ATTR const *da)
{
	VALUE_PAIR *vp = find_in(request->config, da);

	return vp || !request->parent ? vp : find_in(request->parent->config, da);
}

/*
 * %{acme_rats:device}, decision, reason, posture_age, degraded: what the
 * module decided for this request ("" before it ran).
 */
static ssize_t acme_rats_xlat(void *instance, REQUEST *request, char const *fmt, char *out,
			      size_t outlen)
{
	rlm_acme_rats_t *inst = instance;
	char key[32], list[128];
	VALUE_PAIR *vp;
	size_t n = strcspn(fmt, " \t");

	while (*fmt == ' ')
		fmt++, n = strcspn(fmt, " \t");
	snprintf(key, sizeof(key), "%.*s", (int)n, fmt);
	*out = '\0';
	switch ((xlat_key_t)fr_str2int(xlat_key_table, key, -1)) {
	case XK_DEVICE:
		vp = decision_attr(request, inst->da_device);
		break;
	case XK_DECISION:
		vp = decision_attr(request, inst->da_decision);
		break;
	case XK_REASON:
		vp = decision_attr(request, inst->da_reason);
		break;
	case XK_POSTURE_AGE:
		vp = decision_attr(request, inst->da_age);
		break;
	case XK_DEGRADED:
		vp = decision_attr(request, inst->da_degraded);
		break;
	default:
		REDEBUG("%%{%s:%s}: expected %s", inst->name, key,
			choices(list, sizeof(list), xlat_key_table));
		return -1;
	}
	if (!vp)
		return 0;
	return (ssize_t)vp_prints_value(out, outlen, vp, '\0');
}

/* Accounting: keep the NOC's view of live sessions. */
static rlm_rcode_t CC_HINT(nonnull) mod_accounting(void *instance, REQUEST *request)
{
	rlm_acme_rats_t *inst = instance;
	char device[AR_STORE_DEVICE_MAX + 1], serial[AR_STORE_HEX_MAX + 1];
	DICT_ATTR const *da_class = dict_attrbyname("Class");
	VALUE_PAIR *status = fr_pair_find_by_num(request->packet->vps, PW_ACCT_STATUS_TYPE, 0, TAG_ANY);
	VALUE_PAIR *vp;
	vp_cursor_t cursor;
	ar_store_session_t ss;
	ar_store_t **handle;
	ar_err_t err;
	int found = 0, rc;

	if (!status || !da_class)
		return RLM_MODULE_NOOP;
	for (vp = fr_cursor_init(&cursor, &request->packet->vps); vp; vp = fr_cursor_next(&cursor)) {
		if (vp->da != da_class)
			continue;
		found = armod_class_decode(vp->vp_octets, vp->vp_length, device, sizeof(device),
					   serial, sizeof(serial));
		if (found)
			break;
	}
	if (found <= 0)
		return RLM_MODULE_NOOP;
	if (!session_of(request, serial, &ss)) {
		RWDEBUG("accounting without NAS identity or Acct-Session-Id: ignored");
		return RLM_MODULE_NOOP;
	}
	handle = fr_connection_get(inst->pool);
	if (!handle) {
		RLOG_WARN("session %s of %s not updated: no connection to Redis",
		      ss.acct_session_id, device);
		return RLM_MODULE_FAIL;
	}
	switch (status->vp_integer) {
	case PW_STATUS_START:
	case PW_STATUS_ALIVE:
		rc = ar_store_session_put(*handle, device, &ss, (int)inst->session_ttl, &err);
		break;
	case PW_STATUS_STOP:
		rc = ar_store_session_del(*handle, device, ss.nas_id, ss.acct_session_id, &err);
		break;
	default:
		fr_connection_release(inst->pool, handle);
		return RLM_MODULE_NOOP;
	}
	fr_connection_release(inst->pool, handle);
	if (rc < 0) {
		RLOG_WARN("session %s of %s not updated: %s", ss.acct_session_id, device, err.msg);
		return RLM_MODULE_FAIL;
	}
	RDEBUG2("session %s of %s %s", ss.acct_session_id, device,
		status->vp_integer == PW_STATUS_STOP ? "removed" : "recorded");
	return RLM_MODULE_OK;
}

extern module_t rlm_acme_rats;
module_t rlm_acme_rats = {
	.magic		= RLM_MODULE_INIT,
	.name		= "acme_rats",
	.type		= RLM_TYPE_THREAD_SAFE,
	.inst_size	= sizeof(rlm_acme_rats_t),
	.config		= module_config,
	.bootstrap	= mod_bootstrap,
	.instantiate	= mod_instantiate,
	.detach		= mod_detach,
	.methods = {
		[MOD_AUTHORIZE]		= mod_authorize,
		[MOD_POST_AUTH]		= mod_post_auth,
		[MOD_ACCOUNTING]	= mod_accounting,
	},
};
