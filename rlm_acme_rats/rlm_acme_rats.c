/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file rlm_acme_rats.c
 * @brief FreeRADIUS 3.2 module: admit an EAP-TLS device only while its
 *	  certificate came from an attested ACME order and its posture is fresh.
 *
 * Sections:
 * - authorize (the check-eap-tls virtual server): the decision; a reject
 *   fails the TLS handshake's certificate check. Nothing is logged here
 *   unless it rejects: the post-auth call makes the decision of record.
 * - post-auth: the decision again (it also covers TLS-resumed sessions,
 *   whose certificate check is skipped), reply attributes (RFC 3580 VLAN
 *   for quarantine, Reply-Message, Class), the ACME-RATS-* attributes for
 *   unlang, the re-attest event, the session record, and the log line.
 * - accounting: Start / Interim-Update refresh the session record, Stop
 *   removes it; the device is read back from the Class attribute.
 *
 * rcodes: accept -> ok, quarantine -> updated, reject -> reject, pass ->
 * noop (another policy decides). Store failures in post-auth session
 * bookkeeping and accounting never reject: accounting returns ok/fail as
 * the store answered (fail only means "not recorded", the NAS retries).
 * Fail-closed is a configuration choice (redis_unavailable), applied in
 * armod_check().
 */
#include <freeradius/radiusd.h>
#include <freeradius/modules.h>
#include <freeradius/connection.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"
#include "fileio.h"
#include "log.h"
#include "store.h"

/* The dictionary attribute of our certificate extension (docs/cert-extension.md). */
#define EXT_ATTR	"TLS-Client-Cert-" AR_CERTEXT_OID

typedef struct rlm_acme_rats_redis {
	char const	*server;
	uint32_t	port;
	char const	*username;
	char const	*password;
	char const	*password_file;
	char const	*prefix;
	uint32_t	timeout_ms;
	uint32_t	connect_timeout_ms;
} rlm_acme_rats_redis_t;

typedef struct rlm_acme_rats {
	char const		*name;
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
	rlm_acme_rats_redis_t	redis;

	armod_policy_t		policy;
	ar_store_opts_t		store_opts;
	fr_connection_pool_t	*pool;

	/* Attributes, resolved once. */
	DICT_ATTR const		*da_serial, *da_since, *da_expiration, *da_issuer, *da_aki, *da_ext;
	DICT_ATTR const		*da_decision, *da_reason, *da_device, *da_age;
} rlm_acme_rats_t;

static const CONF_PARSER redis_config[] = {
	{ "server", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_acme_rats_t, redis.server), "127.0.0.1" },
	{ "port", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_acme_rats_t, redis.port), "6379" },
	{ "username", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_acme_rats_t, redis.username), NULL },
	{ "password", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_SECRET, rlm_acme_rats_t, redis.password), NULL },
	{ "password_file", FR_CONF_OFFSET(PW_TYPE_FILE_INPUT, rlm_acme_rats_t, redis.password_file), NULL },
	{ "prefix", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_acme_rats_t, redis.prefix), "acmerats" },
	{ "timeout", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_acme_rats_t, redis.timeout_ms), "20" },
	{ "connect_timeout", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_acme_rats_t, redis.connect_timeout_ms), "100" },
	CONF_PARSER_TERMINATOR
};

static const CONF_PARSER module_config[] = {
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
		ERROR("rlm_acme_rats (%s): Redis %s:%u: %s", inst->name, inst->redis.server,
		      inst->redis.port, err.msg);
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

/* Every certificate in the PEM file becomes a trusted ACME-RATS issuer. */
static int load_issuers(rlm_acme_rats_t *inst, CONF_SECTION *conf)
{
	armod_policy_t *pol = &inst->policy;
	BIO *bio = BIO_new_file(inst->issuer_certs, "r");
	X509 *x;
	int rc = -1;

	if (!bio) {
		cf_log_err_cs(conf, "issuer_certs: cannot open %s", inst->issuer_certs);
		return -1;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
		armod_issuer_t *is = &pol->issuers[pol->nissuers];
		int i;

		if (pol->nissuers == ARMOD_ISSUERS_MAX || !ski || ski->length < 1 ||
		    ski->length > AR_STORE_HEX_MAX / 2) {
			cf_log_err_cs(conf, "issuer_certs: %s: %s", inst->issuer_certs,
				      !ski ? "a certificate without subjectKeyIdentifier"
					   : "too many certificates or a bad key identifier");
			X509_free(x);
			goto out;
		}
		for (i = 0; i < ski->length; i++)
			snprintf(is->aki + 2 * i, 3, "%02x", ski->data[i]);
		X509_NAME_oneline(X509_get_subject_name(x), is->name, sizeof(is->name));
		pol->nissuers++;
		X509_free(x);
	}
	ERR_clear_error();
	if (!pol->nissuers) {
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
	static char const ours[] = "$INCLUDE dictionary.acme_rats in raddb/dictionary";

	inst->da_serial = need_attr(conf, "TLS-Client-Cert-Serial", fr);
	inst->da_since = need_attr(conf, "TLS-Client-Cert-Valid-Since", fr);
	inst->da_expiration = need_attr(conf, "TLS-Client-Cert-Expiration", fr);
	inst->da_issuer = need_attr(conf, "TLS-Client-Cert-Issuer", fr);
	inst->da_aki = need_attr(conf, "TLS-Client-Cert-X509v3-Authority-Key-Identifier", fr);
	inst->da_ext = need_attr(conf, EXT_ATTR, ours);
	inst->da_decision = need_attr(conf, "ACME-RATS-Decision", ours);
	inst->da_reason = need_attr(conf, "ACME-RATS-Reason", ours);
	inst->da_device = need_attr(conf, "ACME-RATS-Device", ours);
	inst->da_age = need_attr(conf, "ACME-RATS-Posture-Age", ours);
	if (!inst->da_serial || !inst->da_since || !inst->da_expiration || !inst->da_issuer ||
	    !inst->da_aki || !inst->da_ext || !inst->da_decision || !inst->da_reason ||
	    !inst->da_device || !inst->da_age)
		return -1;
	if (inst->da_ext->type != PW_TYPE_OCTETS) {
		cf_log_err_cs(conf, "attribute %s must be of type octets", EXT_ATTR);
		return -1;
	}
	return 0;
}

static int mod_instantiate(CONF_SECTION *conf, void *instance)
{
	rlm_acme_rats_t *inst = instance;
	armod_policy_t *pol = &inst->policy;

	inst->name = cf_section_name2(conf);
	if (!inst->name)
		inst->name = cf_section_name1(conf);

	if (!strcmp(inst->redis_unavailable, "fail_closed")) {
		pol->fail_closed = 1;
	} else if (strcmp(inst->redis_unavailable, "certificate_only")) {
		cf_log_err_cs(conf, "redis_unavailable = \"%s\": expected fail_closed or certificate_only",
			      inst->redis_unavailable);
		return -1;
	}
	if (!strcmp(inst->non_acme_rats, "pass")) {
		pol->pass_non_acme = 1;
	} else if (strcmp(inst->non_acme_rats, "reject")) {
		cf_log_err_cs(conf, "non_acme_rats = \"%s\": expected reject or pass", inst->non_acme_rats);
		return -1;
	}
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
	if (inst->redis.port < 1 || inst->redis.port > 65535 || inst->redis.timeout_ms < 1 ||
	    inst->redis.timeout_ms > 10000 || inst->redis.connect_timeout_ms < 1 ||
	    inst->redis.connect_timeout_ms > 10000) {
		cf_log_err_cs(conf, "redis: port must be 1..65535, timeout and connect_timeout 1..10000 ms");
		return -1;
	}
	if (inst->redis.password_file && read_password_file(inst, conf) < 0)
		return -1;
	if (inst->redis.username && !inst->redis.password) {
		cf_log_err_cs(conf, "redis: username \"%s\" needs a password", inst->redis.username);
		return -1;
	}
	pol->fresh_s = inst->fresh;
	pol->grace_s = inst->grace;
	pol->max_lifetime_s = inst->max_cert_lifetime;
	if (load_issuers(inst, conf) < 0 || resolve_attrs(inst, conf) < 0)
		return -1;

	inst->store_opts.host = inst->redis.server;
	inst->store_opts.port = (int)inst->redis.port;
	inst->store_opts.username = inst->redis.username;
	inst->store_opts.password = inst->redis.password;
	inst->store_opts.prefix = inst->redis.prefix;
	inst->store_opts.command_timeout_ms = (int)inst->redis.timeout_ms;
	inst->store_opts.connect_timeout_ms = (int)inst->redis.connect_timeout_ms;

	/* Redis may be down at start: the pool then starts empty and retries. */
	inst->pool = fr_connection_pool_module_init(conf, inst, mod_conn_create, mod_conn_alive, NULL);
	if (!inst->pool)
		return -1;
	return 0;
}

static int mod_detach(void *instance)
{
	rlm_acme_rats_t *inst = instance;

	fr_connection_pool_free(inst->pool);
	inst->pool = NULL;
	return 0;
}

/* ---- The decision ------------------------------------------------------- */

static char const *str_of(VALUE_PAIR *list, DICT_ATTR const *da)
{
	VALUE_PAIR *vp = fr_pair_find_by_da(list, da, TAG_ANY);

	return vp && vp->da->type == PW_TYPE_STRING ? vp->vp_strvalue : NULL;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Run the check for @request. Returns 0 when the request carries no client
 * certificate at all (not an EAP-TLS authentication: nothing to decide).
 * On return *handle is a pool connection to release (or NULL).
 */
static int run_check(rlm_acme_rats_t *inst, REQUEST *request, armod_result_t *res,
		     ar_certext_t *ext, int64_t *latency_us, ar_store_t ***handle)
{
	VALUE_PAIR *vps = request->packet->vps, *vp;
	armod_cert_t cert;
	int64_t t0;

	memset(&cert, 0, sizeof(cert));
	cert.serial = str_of(vps, inst->da_serial);
	if (!cert.serial)
		return 0;
	t0 = now_us();
	cert.valid_since = str_of(vps, inst->da_since);
	cert.expiration = str_of(vps, inst->da_expiration);
	cert.issuer = str_of(vps, inst->da_issuer);
	cert.aki = str_of(vps, inst->da_aki);
	vp = fr_pair_find_by_da(vps, inst->da_ext, TAG_ANY);
	if (vp) {
		cert.ext = vp->vp_octets;
		cert.ext_len = vp->vp_length;
	}
	*handle = fr_connection_get(inst->pool);
	armod_check(&inst->policy, &cert, *handle ? **handle : NULL, (int64_t)time(NULL), res, ext);
	*latency_us = now_us() - t0;
	return 1;
}

/* The one line per decision: info, or warning when Redis was not usable. */
static void log_decision(REQUEST *request, armod_result_t const *res, int64_t latency_us,
			 char const *stage)
{
	char reason[200];

	ar_log_q(reason, sizeof(reason), res->reason);
	if (res->degraded)
		RWARN("acme_rats: decision device=%s serial=%s outcome=%s reason=%s posture_age=%lld "
		      "latency_us=%lld stage=%s degraded=yes", res->device[0] ? res->device : "-",
		      res->serial[0] ? res->serial : "-", armod_decision_name(res->decision), reason,
		      (long long)res->posture_age, (long long)latency_us, stage);
	else
		RINFO("acme_rats: decision device=%s serial=%s outcome=%s reason=%s posture_age=%lld "
		      "latency_us=%lld stage=%s", res->device[0] ? res->device : "-",
		      res->serial[0] ? res->serial : "-", armod_decision_name(res->decision), reason,
		      (long long)res->posture_age, (long long)latency_us, stage);
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

/* ACME-RATS-* for unlang: in the reply list (internal, never sent) and control. */
static void expose(rlm_acme_rats_t *inst, REQUEST *request, armod_result_t const *res)
{
	VALUE_PAIR **lists[2] = { &request->reply->vps, &request->config };
	TALLOC_CTX *ctxs[2] = { request->reply, request };
	int i;

	for (i = 0; i < 2; i++) {
		add_int(ctxs[i], lists[i], inst->da_decision, (uint32_t)res->decision + 1);
		add_str(ctxs[i], lists[i], inst->da_reason, res->reason);
		if (res->device[0])
			add_str(ctxs[i], lists[i], inst->da_device, res->device);
		if (res->posture_age >= 0)
			add_int(ctxs[i], lists[i], inst->da_age, (uint32_t)res->posture_age);
	}
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

/* check-eap-tls: reject early (the handshake then ends in EAP-Failure). */
static rlm_rcode_t CC_HINT(nonnull) mod_authorize(void *instance, REQUEST *request)
{
	rlm_acme_rats_t *inst = instance;
	ar_store_t **handle = NULL;
	armod_result_t res;
	int64_t latency;

	if (!run_check(inst, request, &res, NULL, &latency, &handle))
		return RLM_MODULE_NOOP;
	if (handle)
		fr_connection_release(inst->pool, handle);
	if (res.decision == ARMOD_REJECT) {
		log_decision(request, &res, latency, "check-eap-tls");
		expose(inst, request, &res);
	} else {
		RDEBUG2("acme_rats: certificate check: %s (%s)", armod_decision_name(res.decision),
			res.reason);
	}
	return rcode_of(res.decision);
}

/* post-auth: the decision of record, reply attributes and bookkeeping. */
static rlm_rcode_t CC_HINT(nonnull) mod_post_auth(void *instance, REQUEST *request)
{
	rlm_acme_rats_t *inst = instance;
	ar_store_t **handle = NULL;
	ar_store_session_t ss;
	ar_store_event_t ev;
	armod_result_t res;
	ar_certext_t ext;
	ar_err_t err;
	int64_t latency;
	char cls[ARMOD_CLASS_MAX + 1];

	if (!run_check(inst, request, &res, &ext, &latency, &handle))
		return RLM_MODULE_NOOP;
	expose(inst, request, &res);
	switch (res.decision) {
	case ARMOD_QUARANTINE:
		set_vlan(request, inst->quarantine_vlan);
		reply_message(request, "", inst->quarantine_message);
		armod_reattest_event(&res, &ev);
		if (handle && !res.degraded && ar_store_event_add(*handle, &ev, NULL, &err) < 0)
			RWARN("acme_rats: re-attest event for %s not written: %s", res.device, err.msg);
		/* FALL-THROUGH */
	case ARMOD_ACCEPT:
		if (res.decision == ARMOD_ACCEPT && inst->accept_vlan[0])
			set_vlan(request, inst->accept_vlan);
		if (armod_class_encode(res.device, res.serial, cls, sizeof(cls)) > 0)
			pair_make_reply("Class", cls, T_OP_ADD);
		if (!session_of(request, res.serial, &ss)) {
			RDEBUG2("acme_rats: no NAS-Identifier/Acct-Session-Id: session not recorded");
		} else if (handle && !res.degraded &&
			   ar_store_session_put(*handle, res.device, &ss, (int)inst->session_ttl,
						&err) < 0) {
			RWARN("acme_rats: session of %s not recorded: %s", res.device, err.msg);
		}
		break;
	case ARMOD_REJECT:
		reply_message(request, "Access denied: ", res.reason);
		break;
	case ARMOD_PASS:
		break;
	}
	if (handle)
		fr_connection_release(inst->pool, handle);
	log_decision(request, &res, latency, "post-auth");
	return rcode_of(res.decision);
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
		RWDEBUG("acme_rats: accounting without NAS identity or Acct-Session-Id: ignored");
		return RLM_MODULE_NOOP;
	}
	handle = fr_connection_get(inst->pool);
	if (!handle) {
		RWARN("acme_rats: session %s of %s not updated: no connection to Redis",
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
		RWARN("acme_rats: session %s of %s not updated: %s", ss.acct_session_id, device, err.msg);
		return RLM_MODULE_FAIL;
	}
	RDEBUG2("acme_rats: session %s of %s %s", ss.acct_session_id, device,
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
	.instantiate	= mod_instantiate,
	.detach		= mod_detach,
	.methods = {
		[MOD_AUTHORIZE]		= mod_authorize,
		[MOD_POST_AUTH]		= mod_post_auth,
		[MOD_ACCOUNTING]	= mod_accounting,
	},
};
