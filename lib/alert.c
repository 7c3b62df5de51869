/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIEM alert mapping rules (alert.h): a rule set is parsed once from JSON;
 * each alert is parsed with jansson under a size and depth bound and the
 * rules' paths are looked up in it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "alert.h"
#include "fileio.h"

#define RULES_FILE_MAX	(64 * 1024)
#define KEY_MAX		AR_ALERT_PATH_MAX

/* One path segment: a key and the array indexes that follow it. */
typedef struct seg {
	char		key[KEY_MAX + 1];
	size_t		nidx;
	size_t		idx[4];
} seg_t;

typedef struct path {
	char		text[AR_ALERT_PATH_MAX + 1];
	size_t		nsegs;
	seg_t		segs[AR_ALERT_PATH_SEGS];
} path_t;

typedef struct paths {
	size_t		n;
	path_t		p[AR_ALERT_PATHS_MAX];
} paths_t;

typedef enum verdict_kind { V_VALUE, V_MAP, V_LEVELS } verdict_kind_t;

typedef struct map_entry {
	char		word[64];	/* map: the alert's value; levels: unused */
	double		min;		/* levels: the threshold */
	ar_status_t	status;
} map_entry_t;

struct ar_alert_rules {
	paths_t		alert_id;
	paths_t		reason;
	paths_t		device;
	ar_alert_by_t	device_by[AR_ALERT_PATHS_MAX];
	verdict_kind_t	vkind;
	ar_status_t	value;
	path_t		vpath;
	size_t		nmap;
	map_entry_t	map[AR_ALERT_MAP_MAX];
};

static const char *const by_names[] = {
	[AR_ALERT_BY_DEVICE] = "device",
	[AR_ALERT_BY_HOSTNAME] = "hostname",
	[AR_ALERT_BY_IP] = "ip",
};

static const struct {
	const char	*word;
	ar_status_t	status;
} verdict_words[] = {
	{ "contraindicated", AR_STATUS_CONTRAINDICATED },
	{ "flag", AR_STATUS_CONTRAINDICATED },
	{ "warning", AR_STATUS_WARNING },
	{ "affirming", AR_STATUS_AFFIRMING },
	{ "clear", AR_STATUS_AFFIRMING },
};

/* Wazuh: the alert as integratord hands it to an integration (alerts.json). */
static const char wazuh_rules[] =
	"{\"alert_id\": [\"id\"],"
	" \"device\": [{\"path\": \"agent.name\", \"by\": \"hostname\"},"
	"             {\"path\": \"agent.ip\", \"by\": \"ip\"}],"
	" \"reason\": [\"rule.description\"],"
	" \"verdict\": {\"path\": \"rule.level\", \"levels\": ["
	"   {\"min\": 12, \"verdict\": \"contraindicated\"},"
	"   {\"min\": 7, \"verdict\": \"warning\"}]}}";

/* Elastic Security: an alert document as the Kibana webhook connector sends it. */
static const char elastic_rules[] =
	"{\"alert_id\": [\"kibana.alert.uuid\", \"alert.id\"],"
	" \"device\": [{\"path\": \"host.name\", \"by\": \"hostname\"},"
	"             {\"path\": \"host.hostname\", \"by\": \"hostname\"},"
	"             {\"path\": \"host.ip[0]\", \"by\": \"ip\"}],"
	" \"reason\": [\"kibana.alert.reason\", \"kibana.alert.rule.name\", \"rule.name\"],"
	" \"verdict\": {\"path\": \"kibana.alert.severity\", \"map\": {"
	"   \"critical\": \"contraindicated\", \"high\": \"contraindicated\","
	"   \"medium\": \"warning\"}}}";

static const struct {
	const char	*name;
	const char	*text;
} builtin[] = {
	{ "wazuh", wazuh_rules },
	{ "elastic", elastic_rules },
};

const char *ar_alert_by_name(ar_alert_by_t by)
{
	return (size_t)by < sizeof(by_names) / sizeof(by_names[0]) ? by_names[by] : "?";
}

static int verdict_word(const char *w, ar_status_t *out)
{
	size_t i;

	for (i = 0; i < sizeof(verdict_words) / sizeof(verdict_words[0]); i++) {
		if (!strcasecmp(w, verdict_words[i].word)) {
			*out = verdict_words[i].status;
			return 0;
		}
	}
	return -1;
}

/* "a.b[0].c" -> segments; keys are non-empty, indexes decimal. */
static int path_parse(const char *text, path_t *p, ar_err_t *err)
{
	const char *s = text;
	size_t klen;

	memset(p, 0, sizeof(*p));
	if (!*text || strlen(text) > AR_ALERT_PATH_MAX)
		return ar_err_set(err, AR_ERR_CONFIG, "path \"%.40s\" must be 1..%d bytes", text,
				  AR_ALERT_PATH_MAX);
	snprintf(p->text, sizeof(p->text), "%s", text);
	while (*s) {
		seg_t *g;

		if (p->nsegs == AR_ALERT_PATH_SEGS)
			return ar_err_set(err, AR_ERR_CONFIG, "path \"%s\": more than %d segments",
					  text, AR_ALERT_PATH_SEGS);
		g = &p->segs[p->nsegs++];
		klen = strcspn(s, ".[");
		if (!klen)
			return ar_err_set(err, AR_ERR_CONFIG, "path \"%s\": empty key", text);
		memcpy(g->key, s, klen);
		g->key[klen] = '\0';
		s += klen;
		while (*s == '[') {
			char *end;
			unsigned long v = strtoul(s + 1, &end, 10);

			if (end == s + 1 || *end != ']' || v > 1000 || g->nidx == 4)
				return ar_err_set(err, AR_ERR_CONFIG,
						  "path \"%s\": bad array index", text);
			g->idx[g->nidx++] = v;
			s = end + 1;
		}
		if (*s == '.') {
			s++;
			if (!*s)
				return ar_err_set(err, AR_ERR_CONFIG, "path \"%s\": ends in a dot",
						  text);
		} else if (*s) {
			return ar_err_set(err, AR_ERR_CONFIG, "path \"%s\": expected '.' or '['",
					  text);
		}
	}
	return 0;
}

static int paths_parse(const json_t *arr, const char *field, paths_t *out, ar_err_t *err)
{
	size_t i;
	json_t *v;

	memset(out, 0, sizeof(*out));
	if (!arr)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > AR_ALERT_PATHS_MAX)
		return ar_err_set(err, AR_ERR_CONFIG, "\"%s\" must be a list of at most %d paths",
				  field, AR_ALERT_PATHS_MAX);
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v))
			return ar_err_set(err, AR_ERR_CONFIG, "\"%s\" must list strings", field);
		if (path_parse(json_string_value(v), &out->p[out->n++], err) < 0)
			return ar_err_prefix(err, "\"%s\": ", field);
	}
	return 0;
}

static int devices_parse(const json_t *arr, ar_alert_rules_t *r, ar_err_t *err)
{
	json_error_t jerr;
	size_t i, k;
	json_t *v;

	if (!json_is_array(arr) || !json_array_size(arr) ||
	    json_array_size(arr) > AR_ALERT_PATHS_MAX)
		return ar_err_set(err, AR_ERR_CONFIG, "\"device\" must list 1..%d candidates",
				  AR_ALERT_PATHS_MAX);
	json_array_foreach(arr, i, v) {
		const char *path, *by;

		if (json_unpack_ex(v, &jerr, JSON_STRICT, "{s:s, s:s}", "path", &path, "by", &by) < 0)
			return ar_err_set(err, AR_ERR_CONFIG, "\"device\"[%zu]: %s", i, jerr.text);
		for (k = 0; k < sizeof(by_names) / sizeof(by_names[0]); k++)
			if (!strcmp(by, by_names[k]))
				break;
		if (k == sizeof(by_names) / sizeof(by_names[0]))
			return ar_err_set(err, AR_ERR_CONFIG, "\"device\"[%zu]: \"by\" must be device, "
					  "hostname or ip, not \"%.32s\"", i, by);
		r->device_by[r->device.n] = (ar_alert_by_t)k;
		if (path_parse(path, &r->device.p[r->device.n++], err) < 0)
			return ar_err_prefix(err, "\"device\"[%zu]: ", i);
	}
	return 0;
}

static int verdict_status(const char *w, ar_status_t *s, ar_err_t *err)
{
	if (verdict_word(w, s) < 0)
		return ar_err_set(err, AR_ERR_CONFIG, "verdict \"%.32s\" is not contraindicated, "
				  "warning, affirming, flag or clear", w);
	return 0;
}

static int verdict_map(const json_t *map, ar_alert_rules_t *r, ar_err_t *err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(map) || !json_object_size(map) || json_object_size(map) > AR_ALERT_MAP_MAX)
		return ar_err_set(err, AR_ERR_CONFIG, "\"verdict\".\"map\" must have 1..%d entries",
				  AR_ALERT_MAP_MAX);
	json_object_foreach((json_t *)map, k, v) {
		map_entry_t *e = &r->map[r->nmap++];

		if (!json_is_string(v) || strlen(k) >= sizeof(e->word))
			return ar_err_set(err, AR_ERR_CONFIG, "\"verdict\".\"map\": \"%.32s\" must map "
					  "a short value to a verdict word", k);
		snprintf(e->word, sizeof(e->word), "%s", k);
		if (verdict_status(json_string_value(v), &e->status, err) < 0)
			return -1;
	}
	r->vkind = V_MAP;
	return 0;
}

static int verdict_levels(const json_t *levels, ar_alert_rules_t *r, ar_err_t *err)
{
	json_error_t jerr;
	size_t i;
	json_t *v;

	if (!json_is_array(levels) || !json_array_size(levels) ||
	    json_array_size(levels) > AR_ALERT_MAP_MAX)
		return ar_err_set(err, AR_ERR_CONFIG, "\"verdict\".\"levels\" must list 1..%d levels",
				  AR_ALERT_MAP_MAX);
	json_array_foreach(levels, i, v) {
		map_entry_t *e = &r->map[r->nmap++];
		const char *w;

		if (json_unpack_ex(v, &jerr, JSON_STRICT, "{s:F, s:s}", "min", &e->min, "verdict",
				   &w) < 0)
			return ar_err_set(err, AR_ERR_CONFIG, "\"verdict\".\"levels\"[%zu]: %s", i,
					  jerr.text);
		if (verdict_status(w, &e->status, err) < 0)
			return -1;
	}
	r->vkind = V_LEVELS;
	return 0;
}

static int verdict_parse(const json_t *vd, ar_alert_rules_t *r, ar_err_t *err)
{
	const char *value = NULL, *path = NULL;
	json_t *map = NULL, *levels = NULL;
	json_error_t jerr;

	if (json_unpack_ex((json_t *)vd, &jerr, JSON_STRICT, "{s?s, s?s, s?o, s?o}", "value", &value,
			   "path", &path, "map", &map, "levels", &levels) < 0)
		return ar_err_set(err, AR_ERR_CONFIG, "\"verdict\": %s", jerr.text);
	if (value && !path && !map && !levels) {
		r->vkind = V_VALUE;
		return verdict_status(value, &r->value, err);
	}
	if (value || !path || !map == !levels)
		return ar_err_set(err, AR_ERR_CONFIG, "\"verdict\" must be {\"value\"}, {\"path\", "
				  "\"map\"} or {\"path\", \"levels\"}");
	if (path_parse(path, &r->vpath, err) < 0)
		return ar_err_prefix(err, "\"verdict\": ");
	return map ? verdict_map(map, r, err) : verdict_levels(levels, r, err);
}

ar_alert_rules_t *ar_alert_rules_parse(const char *text, size_t len, ar_err_t *err)
{
	json_t *root, *alert_id = NULL, *device = NULL, *reason = NULL, *verdict = NULL;
	ar_alert_rules_t *r = NULL;
	json_error_t jerr;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		ar_err_set(err, AR_ERR_CONFIG, "line %d: %s", jerr.line, jerr.text);
		return NULL;
	}
	if (json_unpack_ex(root, &jerr, JSON_STRICT, "{s:o, s:o, s?o, s:o}", "alert_id", &alert_id,
			   "device", &device, "reason", &reason, "verdict", &verdict) < 0) {
		ar_err_set(err, AR_ERR_CONFIG, "%s", jerr.text);
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (paths_parse(alert_id, "alert_id", &r->alert_id, err) < 0 ||
	    paths_parse(reason, "reason", &r->reason, err) < 0 ||
	    devices_parse(device, r, err) < 0 || verdict_parse(verdict, r, err) < 0) {
		free(r);
		r = NULL;
		goto out;
	}
	if (!r->alert_id.n) {
		ar_err_set(err, AR_ERR_CONFIG, "\"alert_id\" must list at least one path");
		free(r);
		r = NULL;
	}
out:
	json_decref(root);
	return r;
}

ar_alert_rules_t *ar_alert_rules_load(const char *name, ar_err_t *err)
{
	ar_alert_rules_t *r;
	size_t i, len;
	char *text;

	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (!strcmp(name, builtin[i].name))
			return ar_alert_rules_parse(builtin[i].text, strlen(builtin[i].text), err);
	if (ar_file_read(name, RULES_FILE_MAX, &text, &len, err) < 0)
		return NULL;
	r = ar_alert_rules_parse(text, len, err);
	free(text);
	if (!r)
		ar_err_prefix(err, "%s: ", name);
	return r;
}

void ar_alert_rules_free(ar_alert_rules_t *r)
{
	free(r);
}

/* ---- looking paths up in an alert ---- */

static json_t *indexes(json_t *v, const seg_t *g)
{
	size_t i;

	for (i = 0; v && i < g->nidx; i++)
		v = json_is_array(v) ? json_array_get(v, g->idx[i]) : NULL;
	return v;
}

/*
 * The value at segments [i, n) below @v. A key may span several segments
 * (a flattened "kibana.alert.severity"): the longest key present is tried
 * first. Only the last segment of a spanning key may carry indexes.
 */
static json_t *resolve(json_t *v, const path_t *p, size_t i)
{
	char key[KEY_MAX + 1];
	size_t j, k, used;
	json_t *child, *found;

	if (i == p->nsegs)
		return v;
	if (!json_is_object(v))
		return NULL;
	for (j = p->nsegs; j > i; j--) {
		used = 0;
		for (k = i; k < j; k++) {
			size_t kl = strlen(p->segs[k].key);

			if ((k + 1 < j && p->segs[k].nidx) || used + kl + 1 > sizeof(key))
				break;
			if (k > i)
				key[used++] = '.';
			memcpy(key + used, p->segs[k].key, kl);
			used += kl;
		}
		if (k < j)
			continue;
		key[used] = '\0';
		child = json_object_get(v, key);
		if (!child)
			continue;
		found = resolve(indexes(child, &p->segs[j - 1]), p, j);
		if (found)
			return found;
	}
	return NULL;
}

/* A string or a number as text; 0, or -1 when absent, empty or too long. */
static int scalar_text(json_t *v, char *buf, size_t size)
{
	int n;

	if (json_is_string(v)) {
		if (!json_string_length(v) || json_string_length(v) >= size ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return -1;
		memcpy(buf, json_string_value(v), json_string_length(v) + 1);
		return 0;
	}
	if (json_is_integer(v))
		n = snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		n = snprintf(buf, size, "%.17g", json_real_value(v));
	else
		return -1;
	return n > 0 && (size_t)n < size ? 0 : -1;
}

static int printable_token(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			return 0;
	return 1;
}

/* Canonical text of a device reference, or -1 when it cannot be one. */
static int ref_canon(ar_alert_by_t by, char *v, size_t size)
{
	unsigned char addr[16];
	char *p;

	if (!printable_token(v))
		return -1;
	switch (by) {
	case AR_ALERT_BY_HOSTNAME:
		for (p = v; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		return 0;
	case AR_ALERT_BY_IP:
		if (inet_pton(AF_INET, v, addr) == 1)
			return inet_ntop(AF_INET, addr, v, (socklen_t)size) ? 0 : -1;
		if (inet_pton(AF_INET6, v, addr) == 1)
			return inet_ntop(AF_INET6, addr, v, (socklen_t)size) ? 0 : -1;
		return -1;
	default:
		return 0;
	}
}

/* Copy at most AR_ALERT_REASON_MAX bytes, whole UTF-8 characters, no control bytes. */
static void reason_copy(char *dst, const char *src)
{
	size_t n = strlen(src), i;

	if (n > AR_ALERT_REASON_MAX) {
		n = AR_ALERT_REASON_MAX;
		while (n && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? ' ' : src[i];
	dst[n] = '\0';
}

static int map_verdict(const ar_alert_rules_t *r, json_t *alert, ar_status_t *s, ar_err_t *err)
{
	char text[64];
	json_t *v;
	size_t i;

	if (r->vkind == V_VALUE) {
		*s = r->value;
		return 0;
	}
	v = resolve(alert, &r->vpath, 0);
	if (!v)
		return ar_err_set(err, AR_ERR_NOT_FOUND, "the alert has no \"%s\" for the verdict",
				  r->vpath.text);
	if (r->vkind == V_LEVELS) {
		if (!json_is_number(v))
			return ar_err_set(err, AR_ERR_NOT_FOUND, "\"%s\" is not a number",
					  r->vpath.text);
		for (i = 0; i < r->nmap; i++) {
			if (json_number_value(v) >= r->map[i].min) {
				*s = r->map[i].status;
				return 0;
			}
		}
		return ar_err_set(err, AR_ERR_NOT_FOUND, "\"%s\" %g is below every level of the rules",
				  r->vpath.text, json_number_value(v));
	}
	if (scalar_text(v, text, sizeof(text)) == 0)
		for (i = 0; i < r->nmap; i++)
			if (!strcasecmp(text, r->map[i].word)) {
				*s = r->map[i].status;
				return 0;
			}
	return ar_err_set(err, AR_ERR_NOT_FOUND, "\"%s\" has a value the rules map to no verdict",
			  r->vpath.text);
}

/* Nesting depth of JSON text, counted before parsing (jansson allows 2048). */
static int too_deep(const char *s, size_t len)
{
	int depth = 0, in_str = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > AR_ALERT_DEPTH_MAX)
				return 1;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 0;
}

static int pick_refs(const ar_alert_rules_t *r, json_t *alert, ar_alert_t *out, ar_err_t *err)
{
	size_t i;

	for (i = 0; i < r->device.n; i++) {
		ar_alert_ref_t *ref = &out->refs[out->nrefs];

		if (scalar_text(resolve(alert, &r->device.p[i], 0), ref->value, sizeof(ref->value)) < 0 ||
		    ref_canon(r->device_by[i], ref->value, sizeof(ref->value)) < 0)
			continue;
		ref->by = r->device_by[i];
		out->nrefs++;
	}
	if (out->nrefs)
		return 0;
	return ar_err_set(err, AR_ERR_NOT_FOUND, "no device field (%s%s%s) in the alert",
			  r->device.p[0].text, r->device.n > 1 ? ", " : "",
			  r->device.n > 1 ? r->device.p[1].text : "");
}

int ar_alert_map(const ar_alert_rules_t *r, const char *body, size_t len, ar_alert_t *out,
		 ar_err_t *err)
{
	char reason[64];
	json_error_t jerr;
	json_t *alert;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > AR_ALERT_BODY_MAX)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "the alert is larger than %d bytes",
				  AR_ALERT_BODY_MAX);
	if (too_deep(body, len))
		return ar_err_set(err, AR_ERR_TOO_LARGE, "the alert nests deeper than %d",
				  AR_ALERT_DEPTH_MAX);
	alert = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!alert)
		return ar_err_set(err, AR_ERR_MALFORMED, "the alert is not JSON: %s", jerr.text);
	if (!json_is_object(alert)) {
		ar_err_set(err, AR_ERR_MALFORMED, "the alert must be a JSON object");
		goto out;
	}
	for (i = 0; i < r->alert_id.n; i++)
		if (scalar_text(resolve(alert, &r->alert_id.p[i], 0), out->id, sizeof(out->id)) == 0 &&
		    printable_token(out->id))
			break;
	if (i == r->alert_id.n) {
		out->id[0] = '\0';
		ar_err_set(err, AR_ERR_NOT_FOUND, "no alert id (%s) of 1..%d printable characters",
			   r->alert_id.p[0].text, AR_ALERT_ID_MAX);
		goto out;
	}
	if (pick_refs(r, alert, out, err) < 0 || map_verdict(r, alert, &out->status, err) < 0)
		goto out;
	for (i = 0; i < r->reason.n; i++) {
		json_t *v = resolve(alert, &r->reason.p[i], 0);

		if (json_is_string(v) && json_string_length(v) &&
		    strlen(json_string_value(v)) == json_string_length(v)) {
			reason_copy(out->reason, json_string_value(v));
			break;
		}
		if (scalar_text(v, reason, sizeof(reason)) == 0) {
			reason_copy(out->reason, reason);
			break;
		}
	}
	if (!out->reason[0])
		snprintf(out->reason, sizeof(out->reason), "alert %.64s", out->id);
	rc = 0;
out:
	json_decref(alert);
	return rc;
}
