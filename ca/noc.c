/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NOC event worker: the SOC -> NOC half of the loop.
 *
 * It reads the event stream as a member of a consumer group (at least
 * once: an entry is acknowledged only after it was acted on; entries a
 * crashed worker left pending are claimed after reclaim_after), and acts:
 *
 *   event                               action
 *   posture contraindicated             Disconnect-Request for every live
 *     (SOC flag or appraisal)           session of the device; its
 *                                       certificates "renew now" (ARI)
 *   revoked (revokeCert)                Disconnect-Request for the sessions
 *                                       of that certificate
 *   SOC flag warning, reattest          certificates "renew now" only
 *     (the RADIUS module quarantined it)
 *   disconnect (acme-rats-ctl)          Disconnect-Request for every live
 *                                       session, nothing else
 *
 * A session's NAS is found in the [nas] table by its NAS-IP-Address or
 * NAS-Identifier - never from the event or the session record itself, so
 * nothing written to Redis can direct packets or secrets elsewhere. A
 * session the NAS confirms gone (Disconnect-ACK, or NAK
 * Session-Context-Not-Found) is removed from Redis; any other outcome is
 * logged and the session kept for the operator (acme-rats-ctl disconnect).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "noc.h"

#define BATCH		16
#define BLOCK_MS	1000
#define SESSION_CAUSE_GONE	503	/* Session-Context-Not-Found */

#define EOFF(f) offsetof(noc_conf_t, f)
const ar_conf_rule_t noc_event_rules[] = {
	{ "worker", AR_CONF_BOOL, EOFF(worker), 0, "no", 0, 0, NULL },
	{ "group", AR_CONF_STRING, EOFF(group), 0, "noc", 0, 0, NULL },
	{ "consumer", AR_CONF_STRING, EOFF(consumer), 0, NULL, 0, 0, NULL },
	{ "reclaim_after", AR_CONF_DURATION, EOFF(reclaim_after), 0, "30s", 1000, 3600000, NULL },
	{ "disconnect", AR_CONF_BOOL, EOFF(disconnect), 0, "yes", 0, 0, NULL },
	AR_CONF_END
};

#define NOFF(f) offsetof(noc_nas_t, f)
static const ar_conf_rule_t nas_rules[] = {
	{ "address", AR_CONF_STRING, NOFF(address), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "das_port", AR_CONF_INT, NOFF(das_port), 0, "3799", 1, 65535, NULL },
	{ "secret_file", AR_CONF_STRING, NOFF(secret_file), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "nas_ip", AR_CONF_STRING, NOFF(nas_ip), 0, NULL, 0, 0, NULL },
	{ "nas_identifier", AR_CONF_STRING, NOFF(nas_identifier), 0, NULL, 0, 0, NULL },
	{ "timeout", AR_CONF_DURATION, NOFF(timeout), 0, "1s", 100, 30000, NULL },
	{ "retries", AR_CONF_INT, NOFF(retries), 0, "2", 0, 10, NULL },
	AR_CONF_END
};

int noc_nas_bind(void *base, const ar_conf_section_t *s, ar_err_t *err)
{
	noc_conf_t *c = base;
	noc_nas_t *grown, *n;

	grown = realloc(c->nas, (c->nnas + 1) * sizeof(*c->nas));
	if (!grown)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	c->nas = grown;
	n = &c->nas[c->nnas];
	memset(n, 0, sizeof(*n));
	n->name = strdup(ar_conf_section_name(s));
	c->nnas++;
	if (!n->name)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	if (ar_conf_bind(s, nas_rules, n, err) < 0)
		return -1;
	if (!n->nas_ip && !n->nas_identifier)
		n->nas_ip = strdup(n->address);	/* sessions name the NAS by its address */
	if (daemon_read_secret(n->secret_file, n->secret, sizeof(n->secret), err) < 0)
		return ar_conf_error(s, "secret_file", err, "%s", err->msg);
	return 0;
}

void noc_conf_free(noc_conf_t *c)
{
	size_t i;

	for (i = 0; i < c->nnas; i++) {
		OPENSSL_cleanse(c->nas[i].secret, sizeof(c->nas[i].secret));
		ar_conf_unbind(nas_rules, &c->nas[i]);
		free(c->nas[i].name);
	}
	free(c->nas);
	c->nas = NULL;
	c->nnas = 0;
}

static const noc_nas_t *nas_of(const noc_conf_t *c, const ar_store_session_t *ss)
{
	size_t i;

	for (i = 0; i < c->nnas; i++) {
		const noc_nas_t *n = &c->nas[i];

		if ((n->nas_ip && ss->nas_ip[0] && !strcmp(n->nas_ip, ss->nas_ip)) ||
		    (n->nas_identifier && !strcmp(n->nas_identifier, ss->nas_id)))
			return n;
	}
	return NULL;
}

/*
 * One Disconnect-Request, retried; 0 with @reply filled when the NAS
 * answered, -1 with @why otherwise. Datagrams that are not the reply
 * (another id, a bad authenticator) are dropped and the wait goes on.
 */
static int das_disconnect(const noc_nas_t *nas, const ar_store_session_t *ss, ar_dm_reply_t *reply,
			  char *why, size_t size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST |
				  AI_NUMERICSERV }, *ai = NULL;
	ar_dm_request_t rq = { .user_name = ss->user_name, .nas_ip = ss->nas_ip,
			       .nas_id = ss->nas_id, .acct_session_id = ss->acct_session_id,
			       .calling_station_id = ss->calling_station_id };
	uint8_t pkt[AR_RADIUS_MAX], in[AR_RADIUS_MAX], auth[AR_RADIUS_AUTH_LEN], id;
	char port[8];
	ar_err_t err = { 0 };
	int fd = -1, len, rc = -1;
	int64_t tries;

	snprintf(port, sizeof(port), "%d", (int)nas->das_port);
	if (getaddrinfo(nas->address, port, &hints, &ai) != 0) {
		snprintf(why, size, "address %s unusable", nas->address);
		return -1;
	}
	if (RAND_bytes(&id, 1) != 1 ||
	    (len = ar_dm_build(&rq, id, nas->secret, pkt, auth, &err)) < 0) {
		snprintf(why, size, "%s", err.code ? err.msg : "no randomness");
		goto out;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		snprintf(why, size, "socket: %s", strerror(errno));
		goto out;
	}
	snprintf(why, size, "no answer after %d tries of %d ms", (int)nas->retries + 1,
		 (int)nas->timeout);
	for (tries = 0; tries <= nas->retries && rc < 0; tries++) {
		int64_t deadline = ar_mono_ms() + nas->timeout;

		if (send(fd, pkt, (size_t)len, 0) != len) {
			snprintf(why, size, "send: %s", strerror(errno));
			continue;
		}
		while (rc < 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int64_t left = deadline - ar_mono_ms();
			ssize_t n;

			if (left <= 0 || poll(&p, 1, (int)left) <= 0)
				break;
			n = recv(fd, in, sizeof(in), 0);
			if (n < 0) {	/* e.g. ICMP port unreachable */
				snprintf(why, size, "recv: %s", strerror(errno));
				break;
			}
			if (ar_dm_parse_reply(in, (size_t)n, id, auth, nas->secret, reply, &err) == 0)
				rc = 0;
			else
				ar_warn("event=noc.reply_dropped nas=%s error=\"%s\"", nas->name,
					err.msg);
		}
	}
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

/* Disconnect the device's sessions (those of @serial only, when given). */
static int disconnect_sessions(const noc_conf_t *c, ar_store_t *st, const ar_store_event_t *ev,
			       const char *serial, noc_result_t *res)
{
	ar_store_session_t *list = NULL;
	ar_err_t err = { 0 };
	size_t n = 0, i;

	if (ar_store_session_list(st, ev->device, &list, &n, &err) < 0) {
		ar_error("event=noc.store_failed device=%s error=\"%s\"", ev->device, err.msg);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const ar_store_session_t *ss = &list[i];
		const noc_nas_t *nas = nas_of(c, ss);
		ar_dm_reply_t reply;
		char why[320];
		int64_t t0 = ar_mono_ms();

		if (serial && *serial && strcmp(ss->serial, serial))
			continue;
		if (!nas) {
			res->failed++;
			res->dm[NOC_DM_NO_NAS]++;
			ar_error("event=noc.disconnect device=%s session=%s nas_ip=%s nas_id=%s "
				 "result=no_nas reason=\"no [nas] section for this NAS\"", ev->device,
				 ss->acct_session_id, ss->nas_ip, ss->nas_id);
			continue;
		}
		if (das_disconnect(nas, ss, &reply, why, sizeof(why)) < 0) {
			res->failed++;
			res->dm[NOC_DM_TIMEOUT]++;
			ar_error("event=noc.disconnect device=%s session=%s nas=%s result=failed "
				 "reason=\"%s\"", ev->device, ss->acct_session_id, nas->name, why);
			continue;
		}
		ar_info("event=noc.disconnect device=%s session=%s nas=%s result=%s%s%s ms=%lld "
			"trigger=%s", ev->device, ss->acct_session_id, nas->name,
			reply.ack ? "ack" : "nak", reply.error_cause ? " cause=" : "",
			reply.error_cause ? ar_dm_error_cause_name(reply.error_cause) : "",
			(long long)(ar_mono_ms() - t0), ev->type);
		res->dm[reply.ack ? NOC_DM_ACK : NOC_DM_NAK]++;
		if (reply.ack || reply.error_cause == SESSION_CAUSE_GONE) {
			res->disconnected++;
			if (ar_store_session_del(st, ev->device, ss->nas_id, ss->acct_session_id,
						 &err) < 0) {
				free(list);
				return -1;
			}
		} else {
			res->failed++;
		}
	}
	free(list);
	return 0;
}

/* ARI "renew now" for the device's valid certificates (of @serial only, when given). */
static int renew_now(ar_store_t *st, const ar_store_event_t *ev, const char *serial,
		     noc_result_t *res)
{
	ar_store_cert_t *certs = NULL;
	ar_err_t err = { 0 };
	size_t n = 0, i;
	int rc = 0;

	if (ar_store_certs_of_device(st, ev->device, &certs, &n, &err) < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < n; i++) {
		if (certs[i].renew_now || (serial && *serial && strcmp(certs[i].serial, serial)))
			continue;
		if (ar_store_cert_mark(st, ev->device, certs[i].aki, certs[i].serial, -1, 1, &err) < 0)
			rc = -1;
		else
			res->marked++;
	}
	free(certs);
	if (rc < 0)
		ar_error("event=noc.store_failed device=%s error=\"%s\"", ev->device, err.msg);
	return rc;
}

/*
 * Act on one event: returns 0 when it is done with (acknowledge it), -1
 * when the store failed (leave it pending, it is retried).
 */
static int noc_handle(const noc_conf_t *c, ar_store_t *st, const ar_store_event_t *ev,
		      noc_result_t *res)
{
	int contraindicated = !strcmp(ev->status, "contraindicated");
	int rc = 0;

	memset(res, 0, sizeof(*res));
	if (!ev->device[0])
		return 0;
	if (contraindicated && (!strcmp(ev->type, "soc_flag") || !strcmp(ev->type, "appraisal"))) {
		rc = renew_now(st, ev, NULL, res);
		if (rc == 0 && c->disconnect)
			rc = disconnect_sessions(c, st, ev, NULL, res);
	} else if (!strcmp(ev->type, "disconnect")) {	/* the operator (acme-rats-ctl) */
		rc = disconnect_sessions(c, st, ev, NULL, res);
	} else if (!strcmp(ev->type, "revoked")) {
		if (c->disconnect)
			rc = disconnect_sessions(c, st, ev, ev->serial, res);
	} else if (!strcmp(ev->type, "reattest") ||
		   (!strcmp(ev->type, "soc_flag") && !strcmp(ev->status, "warning"))) {
		rc = renew_now(st, ev, ev->serial, res);
	} else {
		return 0;
	}
	ar_info("event=noc.handled id=%s type=%s device=%s status=%s disconnected=%d failed=%d "
		"renew_now=%d", ev->id, ev->type, ev->device, ev->status, res->disconnected,
		res->failed, res->marked);
	return rc;
}

/* Act on a batch and acknowledge what was done with. */
static int handle_batch(noc_t *w, ar_store_t *st, const ar_store_event_t *evs, int n)
{
	const char *done[BATCH];
	ar_err_t err = { 0 };
	noc_result_t res;
	int i, k = 0;

	for (i = 0; i < n; i++) {
		int j;

		if (noc_handle(w->conf, st, &evs[i], &res) == 0)
			done[k++] = evs[i].id;
		for (j = 0; j < 4 && w->metrics; j++)
			ar_metrics_add(w->metrics, w->dm_metric, (size_t)j, 0, (uint64_t)res.dm[j]);
	}
	if (k && ar_store_event_ack(st, w->conf->group, done, (size_t)k, &err) < 0) {
		ar_error("event=noc.ack_failed error=\"%s\"", err.msg);
		return -1;
	}
	return k == n ? 0 : -1;
}

static void *worker(void *arg)
{
	noc_t *w = arg;
	ar_store_event_t evs[BATCH];
	char cursor[AR_STORE_EVENT_ID_MAX + 1] = "0-0";
	ar_store_t *st = NULL;
	ar_err_t err = { 0 };
	int64_t next_claim = 0;
	int own_pending = 1, n;

	while (!w->stop) {
		if (!st) {
			st = ar_store_open(&w->store_opts, &err);
			if (!st || ar_store_event_group_create(st, w->conf->group, "$", &err) < 0) {
				ar_warn("event=noc.store_unavailable error=\"%s\"", err.msg);
				ar_store_close(st);
				st = NULL;
				sleep(1);
				continue;
			}
		}
		if (own_pending) {	/* what this consumer had before a restart */
			n = ar_store_event_read(st, w->conf->group, w->conf->consumer, 1, 0, evs, BATCH,
						&err);
			if (n == 0)
				own_pending = 0;
		} else if (ar_mono_ms() >= next_claim) {	/* what a crashed consumer left */
			n = ar_store_event_claim(st, w->conf->group, w->conf->consumer,
						 w->conf->reclaim_after, cursor, evs, BATCH, &err);
			if (n >= 0 && !strcmp(cursor, "0-0"))
				next_claim = ar_mono_ms() + w->conf->reclaim_after / 2;
		} else {
			n = ar_store_event_read(st, w->conf->group, w->conf->consumer, 0, BLOCK_MS, evs,
						BATCH, &err);
		}
		if (n < 0 || (n > 0 && handle_batch(w, st, evs, n) < 0)) {
			if (n < 0)
				ar_warn("event=noc.store_unavailable error=\"%s\"", err.msg);
			if (ar_store_ping(st, &err) < 0) {
				ar_store_close(st);
				st = NULL;
			}
			own_pending = 1;	/* go over the unacknowledged again */
			sleep(1);
		}
	}
	ar_store_close(st);
	return NULL;
}

int noc_start(noc_t *n, const noc_conf_t *c, const ar_store_opts_t *so, ar_err_t *err)
{
	ar_metrics_t *metrics = n->metrics;	/* set by the caller */
	size_t dm_metric = n->dm_metric;

	memset(n, 0, sizeof(*n));
	n->metrics = metrics;
	n->dm_metric = dm_metric;
	n->conf = c;
	n->store_opts = *so;
	if (!c->worker)
		return 0;
	if (pthread_create(&n->thread, NULL, worker, n) != 0)
		return ar_err_set(err, AR_ERR_NOMEM, "cannot start the event worker thread");
	n->running = 1;
	ar_info("event=noc.started group=%s consumer=%s nas=%zu disconnect=%s", c->group, c->consumer,
		c->nnas, c->disconnect ? "yes" : "no");
	return 0;
}

void noc_stop(noc_t *n)
{
	if (!n->running)
		return;
	n->stop = 1;
	pthread_join(n->thread, NULL);
	n->running = 0;
}
