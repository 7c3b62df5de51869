/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stream events as RFC 5424 syslog messages (event_syslog.h): header, then
 * a JSON object or a CEF record built from the entry's fields alone.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "event_syslog.h"

#define SCHEMA		"acme-rats-event/1"
#define MSGID_MAX	32	/* RFC 5424 */
#define APPNAME_MAX	48
#define HOSTNAME_MAX	255

static const struct {
	const char	*name;
	int		code;
} facilities[] = {
	{ "user", 1 }, { "daemon", 3 }, { "auth", 4 }, { "authpriv", 10 },
	{ "local0", 16 }, { "local1", 17 }, { "local2", 18 }, { "local3", 19 },
	{ "local4", 20 }, { "local5", 21 }, { "local6", 22 }, { "local7", 23 },
};

int ar_syslog_facility(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (!strcmp(name, facilities[i].name))
			return facilities[i].code;
	return -1;
}

int ar_syslog_severity(const ar_store_event_t *ev)
{
	if (!strcmp(ev->status, "contraindicated"))
		return 4;	/* warning */
	if (!strcmp(ev->status, "warning") || !strcmp(ev->status, "none"))
		return 5;	/* notice */
	return 6;		/* informational */
}

/* CEF severity 0..10 from the same status. */
static int cef_severity(const ar_store_event_t *ev)
{
	switch (ar_syslog_severity(ev)) {
	case 4:
		return 8;
	case 5:
		return 5;
	default:
		return 3;
	}
}

/* An RFC 5424 header field: 1..max bytes of PRINTUSASCII, or "-". */
static void header_field(char *dst, size_t size, const char *src, size_t max)
{
	size_t n = 0;

	for (; src && *src && n < max && n + 1 < size; src++)
		dst[n++] = *src > ' ' && *src <= '~' ? *src : '_';
	if (!n)
		dst[n++] = '-';
	dst[n] = '\0';
}

/* Milliseconds of the stream id "<ms>-<seq>", or ts * 1000 when it has none. */
static int64_t event_ms(const ar_store_event_t *ev)
{
	char *end;
	long long ms = strtoll(ev->id, &end, 10);

	if (end != ev->id && *end == '-' && ms > 0)
		return ms;
	return ev->ts > 0 ? ev->ts * 1000 : (int64_t)time(NULL) * 1000;
}

static void rfc3339_ms(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char day[32];

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", day, (int)(ms % 1000));
}

/* A JSON string of @p s; bytes that are not UTF-8 become '?'. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	char copy[AR_STORE_REASON_MAX + 1];
	size_t i;

	if (j)
		return j;
	snprintf(copy, sizeof(copy), "%s", s);
	for (i = 0; copy[i]; i++)
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	return json_string(copy);
}

static int json_msg(const ar_store_event_t *ev, const char *time, ar_buf_t *out)
{
	json_t *o = json_object();
	char *text;
	int rc = -1;

	if (!o)
		return -1;
	if (json_object_set_new(o, "schema", json_string(SCHEMA)) < 0 ||
	    json_object_set_new(o, "id", jstr(ev->id)) < 0 ||
	    json_object_set_new(o, "time", json_string(time)) < 0 ||
	    json_object_set_new(o, "ts", json_integer(ev->ts)) < 0 ||
	    json_object_set_new(o, "type", jstr(ev->type)) < 0 ||
	    json_object_set_new(o, "device", jstr(ev->device)) < 0 ||
	    json_object_set_new(o, "status", jstr(ev->status)) < 0 ||
	    json_object_set_new(o, "reason", jstr(ev->reason)) < 0 ||
	    json_object_set_new(o, "serial", jstr(ev->serial)) < 0 ||
	    json_object_set_new(o, "source", jstr(ev->source)) < 0)
		goto out;
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text) {
		rc = ar_buf_append(out, text, strlen(text)) == AR_OK ? 0 : -1;
		free(text);
	}
out:
	json_decref(o);
	return rc;
}

/* CEF escaping: in the header '\' and '|', in extension values '\' and '='. */
static int cef_put(ar_buf_t *out, const char *s, int header)
{
	char c[2];

	for (; *s; s++) {
		const char *rep = NULL;

		if (*s == '\\')
			rep = "\\\\";
		else if (header && *s == '|')
			rep = "\\|";
		else if (!header && *s == '=')
			rep = "\\=";
		else if (*s == '\n')
			rep = header ? " " : "\\n";
		else if (*s == '\r')
			rep = header ? " " : "\\r";
		if (rep) {
			if (ar_buf_append(out, rep, strlen(rep)) != AR_OK)
				return -1;
			continue;
		}
		c[0] = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
		if (ar_buf_append(out, c, 1) != AR_OK)
			return -1;
	}
	return 0;
}

/* " key=value", the value escaped; nothing for an empty value. */
static int cef_ext(ar_buf_t *out, const char *key, const char *value)
{
	if (!value[0])
		return 0;
	if (ar_buf_printf(out, "%s%s=", out->len && out->data[out->len - 1] == '|' ? "" : " ",
			  key) != AR_OK)
		return -1;
	return cef_put(out, value, 0);
}

static int cef_msg(const ar_syslog_opts_t *o, const ar_store_event_t *ev, int64_t ms,
		   ar_buf_t *out)
{
	char rt[32];

	snprintf(rt, sizeof(rt), "%" PRId64, ms);
	if (ar_buf_printf(out, "CEF:0|acme-rats|acme-rats|") != AR_OK ||
	    cef_put(out, o->version ? o->version : PACKAGE_VERSION, 1) < 0 ||
	    ar_buf_append(out, "|", 1) != AR_OK || cef_put(out, ev->type, 1) < 0 ||
	    ar_buf_append(out, "|", 1) != AR_OK || cef_put(out, ev->type, 1) < 0 ||
	    (ev->device[0] && (ar_buf_append(out, " ", 1) != AR_OK ||
			       cef_put(out, ev->device, 1) < 0)) ||
	    ar_buf_printf(out, "|%d|", cef_severity(ev)) != AR_OK)
		return -1;
	if (cef_ext(out, "rt", rt) < 0 || cef_ext(out, "externalId", ev->id) < 0 ||
	    cef_ext(out, "cs1Label", ev->device[0] ? "deviceId" : "") < 0 ||
	    cef_ext(out, "cs1", ev->device) < 0 ||
	    cef_ext(out, "outcome", ev->status) < 0 || cef_ext(out, "reason", ev->reason) < 0 ||
	    cef_ext(out, "cs2Label", ev->serial[0] ? "certSerial" : "") < 0 ||
	    cef_ext(out, "cs2", ev->serial) < 0 ||
	    cef_ext(out, "sourceServiceName", ev->source) < 0)
		return -1;
	return 0;
}

int ar_event_syslog(const ar_syslog_opts_t *o, const ar_store_event_t *ev, ar_buf_t *out,
		    ar_err_t *err)
{
	char host[HOSTNAME_MAX + 1], app[APPNAME_MAX + 1], msgid[MSGID_MAX + 1], time[40];
	char procid[24];
	int64_t ms = event_ms(ev);
	size_t start = out->len;
	int facility = o->facility >= 0 && o->facility <= 23 ? o->facility : 16;
	int rc;

	header_field(host, sizeof(host), o->hostname, HOSTNAME_MAX);
	header_field(app, sizeof(app), o->app_name ? o->app_name : "acme-rats", APPNAME_MAX);
	header_field(msgid, sizeof(msgid), ev->type, MSGID_MAX);
	if (o->procid > 0)
		snprintf(procid, sizeof(procid), "%ld", o->procid);
	else
		snprintf(procid, sizeof(procid), "-");
	rfc3339_ms(ms, time, sizeof(time));
	if (ar_buf_printf(out, "<%d>1 %s %s %s %s %s - ", facility * 8 + ar_syslog_severity(ev),
			  time, host, app, procid, msgid) != AR_OK)
		rc = -1;
	else if (o->format == AR_SYSLOG_CEF)
		rc = cef_msg(o, ev, ms, out);
	else
		rc = json_msg(ev, time, out);
	if (rc == 0 && out->len - start > AR_SYSLOG_LINE_MAX)
		rc = ar_err_set(err, AR_ERR_TOO_LARGE, "syslog line of %zu bytes", out->len - start);
	else if (rc < 0)
		ar_err_set(err, AR_ERR_NOMEM, "cannot format the syslog line");
	if (rc < 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}
