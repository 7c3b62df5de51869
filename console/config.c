/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configuration of acme-rats-console (console.conf) and the static files
 * of the page, read once from www_dir.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "fileio.h"
#include "http.h"

#define OFF(f) offsetof(console_conf_t, f)
#define FILE_MAX (512 * 1024)

static const ar_conf_rule_t console_rules[] = {
	{ "users_file", AR_CONF_STRING, OFF(users_file), 0, SYSCONFDIR "/acme-rats/console-users",
	  0, 0, NULL },
	{ "www_dir", AR_CONF_STRING, OFF(www_dir), 0, DATADIR "/acme-rats/console", 0, 0, NULL },
	{ "origin", AR_CONF_STRING, OFF(origin), 0, NULL, 0, 0, NULL },
	{ "session_ttl", AR_CONF_DURATION, OFF(session_ttl), 0, "8h", 60000, 7 * 86400000LL, NULL },
	{ "idle_timeout", AR_CONF_DURATION, OFF(idle_timeout), 0, "30m", 10000, 86400000LL, NULL },
	{ "login_failures", AR_CONF_INT, OFF(login_failures), 0, "5", 1, 1000, NULL },
	{ "login_window", AR_CONF_DURATION, OFF(login_window), 0, "5m", 1000, 86400000LL, NULL },
	{ "stream_hold", AR_CONF_DURATION, OFF(stream_hold), 0, "8s", 100, 60000, NULL },
	{ "renew_before", AR_CONF_DURATION, OFF(renew_before), 0, "1h", 0, 7 * 86400000LL, NULL },
	{ "workers", AR_CONF_INT, OFF(workers), 0, "16", 1, 256, NULL },
	AR_CONF_END
};

static const daemon_section_t sections[] = {
	{ "server", daemon_server_rules, OFF(server), NULL },
	{ "console", console_rules, 0, NULL },
	{ "soc", ops_soc_rules, OFF(soc), NULL },
	{ "redis", daemon_redis_rules, OFF(redis), NULL },
	{ "log", daemon_log_rules, OFF(log), NULL },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static const struct {
	const char	*name;
	const char	*type;
} www[] = {
	{ "index.html", "text/html; charset=utf-8" },
	{ "app.js", "text/javascript; charset=utf-8" },
	{ "style.css", "text/css; charset=utf-8" },
};

static int load_files(console_t *c, ar_err_t *err)
{
	char path[1024];
	size_t i;

	for (i = 0; i < sizeof(www) / sizeof(www[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->conf.www_dir, www[i].name) >=
		    sizeof(path))
			return ar_err_set(err, AR_ERR_CONFIG, "www_dir is too long");
		c->files[i].name = www[i].name;
		c->files[i].type = www[i].type;
		if (ar_file_read(path, FILE_MAX, &c->files[i].body, &c->files[i].len, err) < 0)
			return ar_err_prefix(err, "[console] www_dir: ");
	}
	return 0;
}

int console_load(console_t *c, const char *path, ar_err_t *err)
{
	cu_user_t *users = NULL;
	size_t n = 0;

	pthread_mutex_init(&c->lock, NULL);
	c->sessions = calloc(CONSOLE_SESSIONS_MAX, sizeof(*c->sessions));
	c->limits = calloc(CONSOLE_LIMITS_MAX, sizeof(*c->limits));
	if (!c->sessions || !c->limits)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	if (daemon_conf_load(path, sections, NSECTIONS, &c->conf, err) < 0)
		return -1;
	if (c->conf.origin && strncmp(c->conf.origin, "https://", 8))
		return ar_err_set(err, AR_ERR_CONFIG, "%s: [console] origin must be https://HOST[:PORT]",
				  path);
	/* The users file must be readable now; it is read again at each login,
	 * so that acme-rats-ctl console-user add takes effect at once. */
	if (cu_load(c->conf.users_file, &users, &n, err) < 0)
		return ar_err_prefix(err, "[console] users_file: ");
	free(users);
	if (http_global_init(err) < 0 ||
	    cu_hash("not a password of anyone", c->dummy_hash, sizeof(c->dummy_hash), err) < 0 ||
	    load_files(c, err) < 0 || daemon_stores_init(&c->stores, &c->conf.redis, err) < 0)
		return -1;
	return 0;
}

void console_free(console_t *c)
{
	size_t i;

	daemon_stores_free(&c->stores);
	daemon_conf_free(sections, NSECTIONS, &c->conf);
	for (i = 0; i < sizeof(c->files) / sizeof(c->files[0]); i++)
		free(c->files[i].body);
	free(c->sessions);
	free(c->limits);
	pthread_mutex_destroy(&c->lock);
}
