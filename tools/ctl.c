/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-ctl: the operator's view of the fleet and the SOC/NOC actions.
 *
 *   acme-rats-ctl [-c FILE] [--json] devices
 *   acme-rats-ctl [-c FILE] [--json] device ID
 *   acme-rats-ctl [-c FILE] [--json] events [--count N] [--follow]
 *   acme-rats-ctl [-c FILE] flag ID affirming|warning|contraindicated --reason TEXT
 *   acme-rats-ctl [-c FILE] disconnect ID [--reason TEXT]
 *   acme-rats-ctl [-c FILE] reenrol ID --reason TEXT
 *   acme-rats-ctl [--users FILE] console-user add NAME ROLE   (password on stdin)
 *
 * Reads go straight to Redis. "flag" is the SOC's verdict and goes through
 * the verifier's SOC API (bearer token), which records it and announces it
 * on the event stream; "disconnect" asks the NOC event worker, which holds
 * the NAS secrets, to disconnect the device's live sessions. "reenrol"
 * forgets the device's enrolled identity key, so that the next EAB
 * enrolment for it (with a new EAB key from the NOC) binds a new one; the
 * SOC's verdict on the device stays. Tables are
 * for people, --json for scripts.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "daemon.h"
#include "console_users.h"
#include "ear.h"
#include "fleet_ops.h"
#include "log.h"
#include "radius_metrics.h"
#include "store.h"
#include "verdict.h"

#define EXIT_USAGE	2
#define EXIT_FAIL	1
#define RECENT_MAX	500

typedef struct ctl_conf {
	daemon_redis_conf_t	redis;
	ops_soc_conf_t		soc;
} ctl_conf_t;

static const daemon_section_t sections[] = {
	{ "redis", daemon_redis_rules, offsetof(ctl_conf_t, redis), NULL },
	{ "soc", ops_soc_rules, offsetof(ctl_conf_t, soc), NULL },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

typedef struct ctl {
	ctl_conf_t	conf;
	daemon_stores_t	stores;
	ar_store_t	*st;
	int		json;
} ctl_t;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: acme-rats-ctl [-c FILE] [--json] COMMAND\n\n"
		"  devices                         every device: posture, age, certificates, sessions\n"
		"  device ID                       posture, certificates, live sessions, last events\n"
		"  events [--count N] [--follow]   the event stream, newest last\n"
		"  flag ID STATUS --reason TEXT    the SOC's verdict: affirming, warning, contraindicated\n"
		"  disconnect ID [--reason TEXT]   disconnect the device's live sessions (NOC worker)\n"
		"  reenrol ID --reason TEXT        forget the device's enrolled key and TPM AK (a new EAB\n"
		"                                  enrolment and tpm-enroll follow)\n"
		"  metrics                         the RADIUS module's counters and the event lag (Prometheus text)\n"
		"  console-user add NAME ROLE      add or update a web console user (viewer, noc, soc,\n"
		"                                  admin); the password is read from standard input\n\n"
		"  -u, --users FILE    console users file, default %s/acme-rats/console-users\n"
		"  -c, --config FILE   default %s/acme-rats/ctl.conf\n"
		"  -j, --json          machine-readable output\n"
		"  -h, --help\n\n"
		"Exit status: 0 done, 1 failed (store, API, unknown device), 2 usage.\n",
		SYSCONFDIR, SYSCONFDIR);
}

static const char *age_text(int64_t then, char *buf, size_t size)
{
	int64_t a = time(NULL) - then;

	if (then <= 0)
		snprintf(buf, size, "-");
	else if (a < 120)
		snprintf(buf, size, "%" PRId64 "s", a);
	else if (a < 7200)
		snprintf(buf, size, "%" PRId64 "m", a / 60);
	else if (a < 172800)
		snprintf(buf, size, "%" PRId64 "h%02" PRId64 "m", a / 3600, a / 60 % 60);
	else
		snprintf(buf, size, "%" PRId64 "d", a / 86400);
	return buf;
}

static const char *time_text(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "-");
	return buf;
}

static void print_json(json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (text)
		puts(text);
	free(text);
	json_decref(j);
}

static json_t *cert_json(const ar_store_cert_t *c)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:s,s:b}", "serial", c->serial, "aki", c->aki,
			 "order", c->order, "not_after", (json_int_t)c->not_after,
			 "status", ar_cert_status_name(c->status), "renew_now", c->renew_now);
}

static json_t *session_json(const ar_store_session_t *s)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "nas_ip", s->nas_ip, "nas_id",
			 s->nas_id, "acct_session_id", s->acct_session_id, "calling_station_id",
			 s->calling_station_id, "user_name", s->user_name, "serial", s->serial,
			 "started", (json_int_t)s->started, "updated", (json_int_t)s->updated);
}

static json_t *event_json(const ar_store_event_t *e)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "id", e->id, "type", e->type,
			 "device", e->device, "status", e->status, "reason", e->reason,
			 "serial", e->serial, "ts", (json_int_t)e->ts, "source", e->source);
}

/* Stream entry ids "<ms>-<seq>" in order. */
static int id_cmp(const char *a, const char *b)
{
	unsigned long long am = strtoull(a, NULL, 10), bm = strtoull(b, NULL, 10);
	const char *ad = strchr(a, '-'), *bd = strchr(b, '-');
	unsigned long long as = ad ? strtoull(ad + 1, NULL, 10) : 0, bs = bd ? strtoull(bd + 1, NULL, 10) : 0;

	return am != bm ? (am < bm ? -1 : 1) : as != bs ? (as < bs ? -1 : 1) : 0;
}

static int fail(const char *what, const ar_err_t *err)
{
	fprintf(stderr, "acme-rats-ctl: %s: %s\n", what, err->msg);
	return EXIT_FAIL;
}

static int cmp_devid(const void *a, const void *b)
{
	return strcmp(((const ar_store_devid_t *)a)->id, ((const ar_store_devid_t *)b)->id);
}

static int cmd_devices(ctl_t *c)
{
	ar_store_devid_t *ids = NULL;
	ar_err_t err = { 0 };
	json_t *out = c->json ? json_array() : NULL;
	size_t n = 0, i;
	int rc = 0;

	if (ar_store_devices(c->st, &ids, &n, &err) < 0)
		return fail("devices", &err);
	qsort(ids, n, sizeof(*ids), cmp_devid);
	if (!c->json)
		printf("%-24s %-16s %-8s %-6s %-8s %s\n", "DEVICE", "POSTURE", "AGE", "CERTS",
		       "SESSIONS", "REASON");
	for (i = 0; i < n && rc == 0; i++) {
		ar_store_posture_t p;
		ar_store_cert_t *certs = NULL;
		ar_store_session_t *ss = NULL;
		size_t nc = 0, ns = 0, valid = 0, k;
		int have;
		char age[32];

		have = ar_store_posture_get(c->st, ids[i].id, &p, &err);
		if (have < 0 || ar_store_certs_of_device(c->st, ids[i].id, &certs, &nc, &err) < 0 ||
		    ar_store_session_list(c->st, ids[i].id, &ss, &ns, &err) < 0) {
			rc = fail(ids[i].id, &err);
		} else {
			for (k = 0; k < nc; k++)
				valid += certs[k].status == AR_CERT_VALID;
			if (c->json)
				json_array_append_new(out, json_pack(
					"{s:s,s:o,s:i,s:i,s:i}", "device", ids[i].id,
					"posture", have ? ar_posture_json(&p) : json_null(),
					"certificates", (int)nc, "valid_certificates", (int)valid,
					"sessions", (int)ns));
			else
				printf("%-24s %-16s %-8s %zu/%-4zu %-8zu %s\n", ids[i].id,
				       have ? ar_status_name(p.status) : "-",
				       have ? age_text(p.ear_iat, age, sizeof(age)) : "-", valid, nc, ns,
				       have ? p.reason : "");
		}
		free(certs);
		free(ss);
	}
	free(ids);
	if (c->json && rc == 0)
		print_json(out);
	else
		json_decref(out);
	return rc;
}

/* The device's last @max events (newest last) among the stream's recent ones. */
static size_t device_events(ctl_t *c, const char *device, ar_store_event_t *out, size_t max,
			    ar_err_t *err)
{
	ar_store_event_t *recent = calloc(RECENT_MAX, sizeof(*recent));
	size_t k = 0;
	int n, i;

	if (!recent)
		return 0;
	n = ar_store_event_recent(c->st, recent, RECENT_MAX, err);
	for (i = 0; i < n && k < max; i++)	/* newest first */
		if (!strcmp(recent[i].device, device))
			out[k++] = recent[i];
	free(recent);
	for (i = 0; i < (int)k / 2; i++) {	/* oldest first */
		ar_store_event_t tmp = out[i];

		out[i] = out[k - 1 - (size_t)i];
		out[k - 1 - (size_t)i] = tmp;
	}
	return k;
}

static void print_event(const ar_store_event_t *e)
{
	char when[32];

	printf("%-20s %-10s %-20s %-16s %-14s %s\n", time_text(e->ts, when, sizeof(when)), e->type,
	       e->device[0] ? e->device : "-", e->status[0] ? e->status : "-",
	       e->source[0] ? e->source : "-", e->reason);
}

static json_t *identity_json(const ar_store_identity_t *id)
{
	return json_pack("{s:s,s:s,s:s,s:I}", "jkt", id->jkt, "account", id->account, "eab_kid",
			 id->eab_kid, "enrolled_at", (json_int_t)id->enrolled_at);
}

/* All the store holds on one device, for `device`. */
typedef struct device_view {
	const char		*device;
	ar_store_identity_t	id;
	ar_store_verdict_t	vd;
	ar_store_posture_t	p;
	ar_store_cert_t		*certs;
	ar_store_session_t	*ss;
	ar_store_event_t	evs[10];
	size_t			nc, ns, ne;
	int			have, enrolled, flagged;
} device_view_t;

static void device_print_json(const device_view_t *d)
{
	json_t *j = json_pack("{s:s,s:o,s:o,s:o,s:[],s:[],s:[]}", "device", d->device,
			      "identity", d->enrolled ? identity_json(&d->id) : json_null(),
			      "verdict", d->flagged ? ar_verdict_json(&d->vd) : json_null(),
			      "posture", d->have ? ar_posture_json(&d->p) : json_null(),
			      "certificates", "sessions", "events");
	size_t i;

	for (i = 0; i < d->nc; i++)
		json_array_append_new(json_object_get(j, "certificates"), cert_json(&d->certs[i]));
	for (i = 0; i < d->ns; i++)
		json_array_append_new(json_object_get(j, "sessions"), session_json(&d->ss[i]));
	for (i = 0; i < d->ne; i++)
		json_array_append_new(json_object_get(j, "events"), event_json(&d->evs[i]));
	print_json(j);
}

/* Identity, verdict and posture, one line each. */
static void device_print_state(const device_view_t *d)
{
	char a[32], b[32];

	printf("device      %s\n", d->device);
	if (d->enrolled)
		printf("identity    key %s (account %s, EAB %s, enrolled %s)\n", d->id.jkt,
		       d->id.account[0] ? d->id.account : "-", d->id.eab_kid[0] ? d->id.eab_kid : "-",
		       time_text(d->id.enrolled_at, a, sizeof(a)));
	else
		printf("identity    not enrolled\n");
	if (d->flagged)
		printf("verdict     %s since %s (%s): %s\n", ar_status_name(d->vd.status),
		       time_text(d->vd.set_at, a, sizeof(a)), d->vd.source[0] ? d->vd.source : "-",
		       d->vd.reason);
	else
		printf("verdict     none\n");
	if (d->have)
		printf("posture     %s (EAR issued %s ago by %s, profile %s, trust vector %s)\n"
		       "            updated %s: %s\n", ar_status_name(d->p.status),
		       age_text(d->p.ear_iat, a, sizeof(a)), d->p.verifier[0] ? d->p.verifier : "-",
		       d->p.profile[0] ? d->p.profile : "-", d->p.tv[0] ? d->p.tv : "-",
		       time_text(d->p.updated_at, b, sizeof(b)), d->p.reason);
	else
		printf("posture     none recorded\n");
}

/* Certificates, sessions and events, a table each. */
static void device_print_tables(const device_view_t *d)
{
	char a[32];
	size_t i;

	printf("\nCERTIFICATES\n%-34s %-11s %-20s %s\n", "SERIAL", "STATUS", "NOT AFTER",
	       "RENEW NOW");
	for (i = 0; i < d->nc; i++)
		printf("%-34s %-11s %-20s %s\n", d->certs[i].serial,
		       ar_cert_status_name(d->certs[i].status),
		       time_text(d->certs[i].not_after, a, sizeof(a)),
		       d->certs[i].renew_now ? "yes" : "no");
	printf("\nSESSIONS\n%-20s %-15s %-24s %-18s %s\n", "NAS", "NAS IP", "ACCT-SESSION-ID",
	       "STATION", "SINCE");
	for (i = 0; i < d->ns; i++)
		printf("%-20s %-15s %-24s %-18s %s\n", d->ss[i].nas_id, d->ss[i].nas_ip,
		       d->ss[i].acct_session_id, d->ss[i].calling_station_id,
		       time_text(d->ss[i].started, a, sizeof(a)));
	printf("\nEVENTS\n");
	for (i = 0; i < d->ne; i++)
		print_event(&d->evs[i]);
}

static int cmd_device(ctl_t *c, const char *device)
{
	device_view_t d = { .device = device };
	ar_err_t err = { 0 };
	int rc = 0;

	if (ar_store_device_valid(device, &err) < 0) {
		fprintf(stderr, "acme-rats-ctl: %s\n", err.msg);
		return EXIT_USAGE;
	}
	d.have = ar_store_posture_get(c->st, device, &d.p, &err);
	if (d.have >= 0)
		d.enrolled = ar_store_identity_get(c->st, device, &d.id, &err);
	if (d.enrolled >= 0 && d.have >= 0)
		d.flagged = ar_store_verdict_get(c->st, device, &d.vd, &err);
	if (d.have < 0 || d.enrolled < 0 || d.flagged < 0 ||
	    ar_store_certs_of_device(c->st, device, &d.certs, &d.nc, &err) < 0 ||
	    ar_store_session_list(c->st, device, &d.ss, &d.ns, &err) < 0) {
		rc = fail(device, &err);
		goto out;
	}
	d.ne = device_events(c, device, d.evs, 10, &err);
	if (!d.have && !d.enrolled && !d.flagged && !d.nc && !d.ns && !d.ne) {
		fprintf(stderr, "acme-rats-ctl: %s: no such device\n", device);
		rc = EXIT_FAIL;
	} else if (c->json) {
		device_print_json(&d);
	} else {
		device_print_state(&d);
		device_print_tables(&d);
	}
out:
	free(d.certs);
	free(d.ss);
	return rc;
}

static int cmd_events(ctl_t *c, int count, int follow)
{
	ar_store_event_t *evs = calloc(RECENT_MAX, sizeof(*evs));
	char last[AR_STORE_EVENT_ID_MAX + 1] = "";
	ar_err_t err = { 0 };
	int n, i, first = 1;

	if (!evs)
		return EXIT_FAIL;
	if (!c->json)
		printf("%-20s %-10s %-20s %-16s %-14s %s\n", "TIME", "TYPE", "DEVICE", "STATUS",
		       "SOURCE", "REASON");
	do {
		n = ar_store_event_recent(c->st, evs, first ? (size_t)count : RECENT_MAX, &err);
		if (n < 0) {
			free(evs);
			return fail("events", &err);
		}
		/* Newest first from the store; print oldest first, only what is new. */
		for (i = n - 1; i >= 0; i--) {
			if (last[0] && id_cmp(evs[i].id, last) <= 0)
				continue;
			if (c->json) {
				json_t *ev = event_json(&evs[i]);
				char *line = ev ? json_dumps(ev, JSON_COMPACT) : NULL;

				json_decref(ev);

				/* one object per line (JSON Lines), so --follow can stream */
				if (line)
					puts(line);
				free(line);
			} else {
				print_event(&evs[i]);
			}
		}
		if (n > 0 && (!last[0] || id_cmp(evs[0].id, last) > 0))
			snprintf(last, sizeof(last), "%s", evs[0].id);
		fflush(stdout);
		first = 0;
		if (follow && !interrupted)
			sleep(1);
	} while (follow && !interrupted);
	free(evs);
	return 0;
}

/*
 * The RADIUS module's decision counters as every FreeRADIUS server added them
 * to Redis, and the event worker's lag (group "noc"), in the Prometheus text
 * format: for a textfile collector, or a look without a scraper.
 */
static int cmd_metrics(ctl_t *c)
{
	ar_metrics_t *m = ar_metrics_new(ar_radius_metric_defs, AR_RM_N, NULL);
	ar_buf_t b = AR_BUF_INIT(1 << 22);
	ar_store_event_lag_t lag;
	ar_err_t err = { 0 };
	int rc = EXIT_FAIL;

	if (!m)
		goto out;
	if (ar_store_metrics_load(c->st, AR_RADIUS_METRICS_NAME, m, &err) < 0 ||
	    ar_store_event_lag(c->st, "noc", &lag, &err) < 0) {
		rc = fail("metrics", &err);
		goto out;
	}
	if (ar_metrics_render(m, &b) != AR_OK ||
	    ar_prom_family(&b, "acme_rats_events_stream_length", AR_METRIC_GAUGE,
			   "Entries in the event stream (XLEN).") != AR_OK ||
	    ar_prom_sample(&b, "acme_rats_events_stream_length", NULL, 0, (double)lag.length) != AR_OK ||
	    ar_prom_family(&b, "acme_rats_events_pending", AR_METRIC_GAUGE,
			   "Events delivered to the consumer group noc and not yet acknowledged.") != AR_OK ||
	    ar_prom_sample(&b, "acme_rats_events_pending", NULL, 0, (double)lag.pending) != AR_OK)
		goto out;
	fwrite(b.data, 1, b.len, stdout);
	rc = 0;
out:
	ar_buf_free(&b);
	ar_metrics_free(m);
	return rc;
}

static int cmd_flag(ctl_t *c, const char *device, const char *status, const char *reason)
{
	ar_err_t err = { 0 };
	char *answer = NULL;

	if (ops_set_verdict(&c->conf.soc, device, status, reason, &answer, &err) < 0) {
		if (err.code == AR_ERR_MALFORMED && strncmp(err.msg, "the SOC API", 11)) {
			fprintf(stderr, "acme-rats-ctl: flag ID affirming|warning|contraindicated "
				"--reason TEXT: %s\n", err.msg);
			return EXIT_USAGE;
		}
		return fail("flag", &err);
	}
	if (c->json)
		puts(answer);
	else
		printf("%s: %s (%s)\n", device, status, reason);
	free(answer);
	return 0;
}

static int cmd_disconnect(ctl_t *c, const char *device, const char *reason)
{
	ar_err_t err = { 0 };
	char id[AR_STORE_EVENT_ID_MAX + 1];

	if (ar_store_device_valid(device, &err) < 0) {
		fprintf(stderr, "acme-rats-ctl: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (ops_request_disconnect(c->st, device, reason, "acme-rats-ctl", id, &err) < 0)
		return fail("disconnect", &err);
	if (c->json)
		printf("{\"event\": \"%s\"}\n", id);
	else
		printf("%s: disconnect requested (event %s); the NOC event worker acts on it\n",
		       device, id);
	return 0;
}

/*
 * The NOC re-enrols a device (a replaced laptop, a lost key, a dead TPM):
 * its identity and its TPM enrolment (the AK the verifier knows) are
 * forgotten, recorded on the event stream. The verdict is the SOC's and
 * stays where it is.
 */
static int cmd_reenrol(ctl_t *c, const char *device, const char *reason)
{
	ar_store_identity_t id;
	ar_store_event_t ev;
	ar_err_t err = { 0 };
	char was[64];
	int rc, tpm;

	if (ar_store_device_valid(device, &err) < 0 || !reason || !*reason) {
		fprintf(stderr, "acme-rats-ctl: reenrol ID --reason TEXT%s%s\n", err.code ? ": " : "",
			err.msg);
		return EXIT_USAGE;
	}
	rc = ar_store_identity_get(c->st, device, &id, &err);
	if (rc < 0 || (rc == 1 && ar_store_identity_del(c->st, device, &err) < 0))
		return fail("reenrol", &err);
	tpm = ar_store_tpm_forget(c->st, device, &err);
	if (tpm < 0)
		return fail("reenrol (TPM enrolment)", &err);
	if (rc == 0 && tpm == 0) {
		fprintf(stderr, "acme-rats-ctl: %s is not enrolled\n", device);
		return EXIT_FAIL;
	}
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.type, sizeof(ev.type), "reenrol");
	snprintf(ev.device, sizeof(ev.device), "%s", device);
	if (rc)
		snprintf(was, sizeof(was), "was key %.12s...%s", id.jkt, tpm ? ", TPM AK forgotten" : "");
	else
		snprintf(was, sizeof(was), "TPM AK forgotten");
	snprintf(ev.reason, sizeof(ev.reason), "%s (%s)", reason, was);
	snprintf(ev.source, sizeof(ev.source), "acme-rats-ctl");
	if (ar_store_event_add(c->st, &ev, NULL, &err) < 0)
		ar_warn("event=reenrol.event_failed device=%s error=\"%s\"", device, err.msg);
	if (c->json) {
		printf("{\"device\": \"%s\", \"forgotten_key\": %s%s%s, \"tpm_forgotten\": %s}\n",
		       device, rc ? "\"" : "", rc ? id.jkt : "null", rc ? "\"" : "",
		       tpm ? "true" : "false");
		return 0;
	}
	if (rc)
		printf("%s: identity key %s forgotten; the next EAB enrolment binds a new one\n",
		       device, id.jkt);
	if (tpm)
		printf("%s: TPM enrolment forgotten; acme-rats-helper tpm-enroll enrols the new AK\n",
		       device);
	return 0;
}

/*
 * A web console user (acme-rats-console): its password, read from the first
 * line of standard input, is stored as an scrypt hash, never itself.
 */
static int cmd_console_user(const char *path, const char *name, const char *role)
{
	char pw[CU_PASSWORD_MAX + 2];
	ar_err_t err = { 0 };
	cu_role_t r;
	size_t n;
	int rc;

	if (cu_name_valid(name, &err) < 0 || cu_role_parse(role, &r) < 0) {
		fprintf(stderr, "acme-rats-ctl: console-user add NAME viewer|noc|soc|admin%s%s\n",
			err.code ? ": " : "", err.msg);
		return EXIT_USAGE;
	}
	if (isatty(0))
		fprintf(stderr, "password for %s: ", name);
	if (!fgets(pw, sizeof(pw), stdin)) {
		fprintf(stderr, "acme-rats-ctl: no password on standard input\n");
		return EXIT_USAGE;
	}
	n = strcspn(pw, "\r\n");
	pw[n] = '\0';
	if (n < 8 || n > CU_PASSWORD_MAX) {
		OPENSSL_cleanse(pw, sizeof(pw));
		fprintf(stderr, "acme-rats-ctl: a console password has 8 to %d characters\n",
			CU_PASSWORD_MAX);
		return EXIT_USAGE;
	}
	rc = cu_add(path, name, r, pw, &err);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (rc < 0)
		return fail("console-user", &err);
	printf("%s: console user with role %s in %s\n", name, role, path);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "reason", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "follow", no_argument, NULL, 'f' },
		{ "users", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = SYSCONFDIR "/acme-rats/ctl.conf", *reason = NULL, *cmd;
	const char *users = SYSCONFDIR "/acme-rats/console-users";
	ctl_t c;
	ar_err_t err = { 0 };
	int o, rc = EXIT_USAGE, count = 20, follow = 0;
	char *end;

	memset(&c, 0, sizeof(c));
	while ((o = getopt_long(argc, argv, "c:jr:n:fu:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': path = optarg; break;
		case 'j': c.json = 1; break;
		case 'r': reason = optarg; break;
		case 'n':
			count = (int)strtol(optarg, &end, 10);
			if (*end || count < 1 || count > RECENT_MAX) {
				fprintf(stderr, "acme-rats-ctl: --count 1..%d\n", RECENT_MAX);
				return EXIT_USAGE;
			}
			break;
		case 'f': follow = 1; break;
		case 'u': users = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	ar_log_setup("acme-rats-ctl", AR_LOG_WARN, 2);
	if (!strcmp(cmd, "console-user")) {	/* a file of its own: no Redis */
		if (argc - optind == 4 && !strcmp(argv[optind + 1], "add"))
			return cmd_console_user(users, argv[optind + 2], argv[optind + 3]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (daemon_conf_load(path, sections, NSECTIONS, &c.conf, &err) < 0 ||
	    daemon_stores_init(&c.stores, &c.conf.redis, &err) < 0 ||
	    !(c.st = daemon_store(&c.stores, &err))) {
		fprintf(stderr, "acme-rats-ctl: %s\n", err.msg);
		rc = EXIT_FAIL;
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!strcmp(cmd, "devices") && argc - optind == 1)
		rc = cmd_devices(&c);
	else if (!strcmp(cmd, "device") && argc - optind == 2)
		rc = cmd_device(&c, argv[optind + 1]);
	else if (!strcmp(cmd, "events") && argc - optind == 1)
		rc = cmd_events(&c, count, follow);
	else if (!strcmp(cmd, "flag") && argc - optind == 3)
		rc = cmd_flag(&c, argv[optind + 1], argv[optind + 2], reason);
	else if (!strcmp(cmd, "disconnect") && argc - optind == 2)
		rc = cmd_disconnect(&c, argv[optind + 1], reason);
	else if (!strcmp(cmd, "reenrol") && argc - optind == 2)
		rc = cmd_reenrol(&c, argv[optind + 1], reason);
	else if (!strcmp(cmd, "metrics") && argc - optind == 1)
		rc = cmd_metrics(&c);
	else
		usage(stderr);
out:
	daemon_stores_free(&c.stores);
	daemon_conf_free(sections, NSECTIONS, &c.conf);
	return rc;
}
