/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: configuration-file parsing, lookup and binding of every
 * section to a rule table holding each value type.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sample {
	char	*host;
	char	*password;
	int64_t	port;
	int64_t	retries;
	int	tls;
	int64_t	timeout;
	int64_t	max_body;
	int	level;
};

static const char *const levels[] = { "debug", "info", "warn", "error", NULL };

#define OFF(f) offsetof(struct sample, f)

static const ar_conf_rule_t rules[] = {
	{ "host", AR_CONF_STRING, OFF(host), 0, "127.0.0.1", 0, 0, NULL },
	{ "password", AR_CONF_STRING, OFF(password), AR_CONF_SECRET, NULL, 0, 0, NULL },
	{ "port", AR_CONF_INT, OFF(port), 0, "6379", 1, 65535, NULL },
	{ "retries", AR_CONF_INT, OFF(retries), 0, NULL, 0, 0, NULL },
	{ "tls", AR_CONF_BOOL, OFF(tls), 0, "no", 0, 0, NULL },
	{ "timeout", AR_CONF_DURATION, OFF(timeout), 0, "10s", 1, 86400000, NULL },
	{ "max_body", AR_CONF_SIZE, OFF(max_body), 0, "64k", 0, 0, NULL },
	{ "level", AR_CONF_ENUM, OFF(level), AR_CONF_REQUIRED, NULL, 0, 0, levels },
	AR_CONF_END
};

/* Read every key back, check lookups agree with iteration, then bind. */
static void exercise(const ar_conf_t *conf, const ar_conf_section_t *s)
{
	struct sample out = { 0 };
	const char *key, *value;
	ar_err_t err = { 0 };
	int64_t n;
	size_t i;
	int b;

	if (ar_conf_find(conf, ar_conf_section_type(s), ar_conf_section_name(s)) != s)
		abort();
	for (i = 0; ar_conf_item(s, i, &key, &value) == 0; i++) {
		if (ar_conf_get(s, key) != value || ar_conf_line(s, key) == 0)
			abort();
		(void)ar_conf_parse_duration(value, &n);
		(void)ar_conf_parse_size(value, &n);
		(void)ar_conf_parse_bool(value, &b);
	}
	if (ar_conf_bind(s, rules, &out, &err) < 0) {
		if (out.host || out.password || strnlen(err.msg, sizeof(err.msg)) == 0)
			abort();
	}
	ar_conf_unbind(rules, &out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ar_conf_section_t *s;
	ar_conf_t *conf;

	conf = ar_conf_parse((const char *)data, size, "fuzz.conf", NULL);
	if (!conf)
		return 0;
	exercise(conf, ar_conf_root(conf));
	for (s = ar_conf_next(conf, NULL, NULL); s; s = ar_conf_next(conf, s, NULL))
		exercise(conf, s);
	ar_conf_free(conf);
	return 0;
}
