/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Events out: every entry of the event stream, whoever wrote it (verifier,
 * CA, RADIUS module, acme-rats-ctl), as one RFC 5424 line on the local
 * syslog socket (lib/event_syslog.h; fields in docs/events.md).
 *
 * A consumer group of its own ([syslog] group, "syslog") on the stream, read
 * by a thread of this daemon: producers pay nothing for it. At least once:
 * an entry is acknowledged (XACK) only after its line was sent; entries sent
 * but not acknowledged (a crash, Redis lost between the two) are sent again,
 * by this consumer after a restart or by another replica's after
 * reclaim_after - the same line again, with the same "id" (externalId in
 * CEF), which is what a SIEM de-duplicates on.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "verifier.h"

#define BATCH		16
#define BLOCK_MS	1000

static const char *const formats[] = { "json", "cef", NULL };

#define OFF(f) offsetof(verifier_conf_t, f)
const ar_conf_rule_t syslog_rules[] = {
	{ "enabled", AR_CONF_BOOL, OFF(syslog_enabled), 0, "no", 0, 0, NULL },
	{ "path", AR_CONF_STRING, OFF(syslog_path), 0, "/dev/log", 0, 0, NULL },
	{ "format", AR_CONF_ENUM, OFF(syslog_format), 0, "json", 0, 0, formats },
	{ "facility", AR_CONF_STRING, OFF(syslog_facility), 0, "local0", 0, 0, NULL },
	{ "app_name", AR_CONF_STRING, OFF(syslog_app_name), 0, "acme-rats", 0, 0, NULL },
	{ "group", AR_CONF_STRING, OFF(syslog_group), 0, "syslog", 0, 0, NULL },
	{ "consumer", AR_CONF_STRING, OFF(syslog_consumer), 0, NULL, 0, 0, NULL },
	{ "reclaim_after", AR_CONF_DURATION, OFF(syslog_reclaim_after), 0, "30s", 1000, 3600000,
	  NULL },
	AR_CONF_END
};

static int sock_open(const verifier_conf_t *c, syslog_out_t *w, ar_err_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 1 };

	if (w->fd >= 0)
		return 0;
	if (strlen(c->syslog_path) >= sizeof(sa.sun_path))
		return ar_err_set(err, AR_ERR_CONFIG, "syslog path too long");
	memcpy(sa.sun_path, c->syslog_path, strlen(c->syslog_path) + 1);
	w->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (w->fd < 0)
		return ar_err_set(err, AR_ERR_IO, "socket: %s", strerror(errno));
	setsockopt(w->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ar_err_set(err, AR_ERR_UNAVAILABLE, "%s: %s", c->syslog_path, strerror(errno));
		close(w->fd);
		w->fd = -1;
		return -1;
	}
	return 0;
}

/* Send one event's line: 0 sent (or unsendable, and logged), -1 retry later. */
static int write_event(verifier_t *v, const ar_store_event_t *ev, ar_err_t *err)
{
	syslog_out_t *w = &v->syslog;

	ar_buf_reset(&w->line);
	if (ar_event_syslog(&w->opts, ev, &w->line, err) < 0) {
		/* no retry makes it fit: say so and go on */
		ar_error("event=syslog.unformattable id=%s type=%.63s error=\"%s\"", ev->id, ev->type,
			 err->msg);
		return 0;
	}
	if (sock_open(&v->conf, w, err) < 0)
		return -1;
	if (send(w->fd, w->line.data, w->line.len, MSG_NOSIGNAL) != (ssize_t)w->line.len) {
		ar_err_set(err, AR_ERR_IO, "%s: %s", v->conf.syslog_path, strerror(errno));
		close(w->fd);
		w->fd = -1;
		return -1;
	}
	ar_debug("event=syslog.written id=%s type=%.63s", ev->id, ev->type);
	return 0;
}

/* Write a batch, acknowledge what was written; -1 when something is left. */
static int handle_batch(verifier_t *v, ar_store_t *st, const ar_store_event_t *evs, int n)
{
	const verifier_conf_t *c = &v->conf;
	const char *done[BATCH];
	ar_err_t err = { 0 };
	int i, k = 0;

	for (i = 0; i < n; i++) {
		if (write_event(v, &evs[i], &err) < 0) {
			ar_warn("event=syslog.write_failed id=%s error=\"%s\"", evs[i].id, err.msg);
			break;
		}
		done[k++] = evs[i].id;
	}
	if (k && ar_store_event_ack(st, c->syslog_group, done, (size_t)k, &err) < 0) {
		ar_error("event=syslog.ack_failed error=\"%s\"", err.msg);
		return -1;
	}
	return k == n ? 0 : -1;
}

static void *worker(void *arg)
{
	verifier_t *v = arg;
	const verifier_conf_t *c = &v->conf;
	char cursor[AR_STORE_EVENT_ID_MAX + 1] = "0-0";
	ar_store_event_t evs[BATCH];
	ar_store_t *st = NULL;
	ar_err_t err = { 0 };
	int64_t next_claim = 0;
	int own_pending = 1, n;

	while (!v->syslog.stop) {
		if (!st) {
			st = ar_store_open(&v->stores.opts, &err);
			if (!st || ar_store_event_group_create(st, c->syslog_group, "$", &err) < 0) {
				ar_warn("event=syslog.store_unavailable error=\"%s\"", err.msg);
				ar_store_close(st);
				st = NULL;
				sleep(1);
				continue;
			}
		}
		if (own_pending) {	/* what this consumer had before a restart */
			n = ar_store_event_read(st, c->syslog_group, c->syslog_consumer, 1, 0, evs,
						BATCH, &err);
			if (n == 0)
				own_pending = 0;
		} else if (ar_mono_ms() >= next_claim) {	/* what a dead consumer left */
			n = ar_store_event_claim(st, c->syslog_group, c->syslog_consumer,
						 c->syslog_reclaim_after, cursor, evs, BATCH, &err);
			if (n >= 0 && !strcmp(cursor, "0-0"))
				next_claim = ar_mono_ms() + c->syslog_reclaim_after / 2;
		} else {
			n = ar_store_event_read(st, c->syslog_group, c->syslog_consumer, 0, BLOCK_MS,
						evs, BATCH, &err);
		}
		if (n < 0 || (n > 0 && handle_batch(v, st, evs, n) < 0)) {
			if (n < 0)
				ar_warn("event=syslog.store_unavailable error=\"%s\"", err.msg);
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

int syslog_out_start(verifier_t *v, ar_err_t *err)
{
	verifier_conf_t *c = &v->conf;
	syslog_out_t *w = &v->syslog;
	int facility;

	if (!c->syslog_enabled)
		return 0;
	facility = ar_syslog_facility(c->syslog_facility);
	if (facility < 0)
		return ar_err_set(err, AR_ERR_CONFIG, "[syslog] facility \"%.32s\" is not one of user, "
				  "daemon, auth, authpriv, local0..local7", c->syslog_facility);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	ar_buf_init(&w->line, AR_SYSLOG_LINE_MAX + 64);
	if (gethostname(w->host, sizeof(w->host) - 1) < 0)
		snprintf(w->host, sizeof(w->host), "-");
	/* the host name, as the NOC worker's: a restarted writer finds its own pending */
	if (!c->syslog_consumer) {
		c->syslog_consumer = strdup(w->host);
		if (!c->syslog_consumer)
			return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	}
	w->opts.facility = facility;
	w->opts.hostname = w->host;
	w->opts.app_name = c->syslog_app_name;
	w->opts.procid = (long)getpid();
	w->opts.format = (ar_syslog_format_t)c->syslog_format;
	w->opts.version = PACKAGE_VERSION;
	if (pthread_create(&v->syslog.thread, NULL, worker, v) != 0)
		return ar_err_set(err, AR_ERR_NOMEM, "cannot start the syslog writer thread");
	v->syslog.running = 1;
	ar_info("event=syslog.started path=%s format=%s group=%s consumer=%s", c->syslog_path,
		formats[c->syslog_format], c->syslog_group, c->syslog_consumer);
	return 0;
}

void syslog_out_stop(verifier_t *v)
{
	syslog_out_t *w = &v->syslog;

	if (!v->syslog.running)
		return;
	v->syslog.stop = 1;
	pthread_join(v->syslog.thread, NULL);
	v->syslog.running = 0;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	ar_buf_free(&w->line);
}
