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

#include <openssl/crypto.h>

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
	{ "workers", AR_CONF_INT, OFF(workers), 0, "16", 2, 256, NULL },
	{ "streams_per_session", AR_CONF_INT, OFF(streams_per_session), 0, "2", 1, 64, NULL },
	{ "streams_per_user", AR_CONF_INT, OFF(streams_per_user), 0, "4", 1, 255, NULL },
	{ "streams_max", AR_CONF_INT, OFF(streams_max), 0, "0", 0, 255, NULL },
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

/*
 * The event streams may hold at most streams_max workers, fewer than
 * there are: the rest are the actions' (a flag waits on no stream).
 */
static int streams_check(console_t *c, const char *path, ar_err_t *err)
{
	console_conf_t *k = &c->conf;

	if (!k->streams_max)
		k->streams_max = k->workers - (k->workers / 4 > 1 ? k->workers / 4 : 1);
	if (k->streams_max >= k->workers)
		return ar_err_set(err, AR_ERR_CONFIG, "%s: [console] streams_max (%lld) must be "
				  "below workers (%lld): the workers left over serve the actions",
				  path, (long long)k->streams_max, (long long)k->workers);
	if (k->streams_per_session > k->streams_per_user)
		return ar_err_set(err, AR_ERR_CONFIG, "%s: [console] streams_per_session (%lld) "
				  "must not exceed streams_per_user (%lld)", path,
				  (long long)k->streams_per_session, (long long)k->streams_per_user);
	c->streams = calloc((size_t)k->streams_max, sizeof(*c->streams));
	return c->streams ? 0 : ar_err_set(err, AR_ERR_NOMEM, "out of memory");
}

/*
 * The console's own origin: [console] origin, or else the listener's
 * address and port - never the request's Host header, which the client
 * chooses. A wildcard listener names no origin: then origin is required.
 */
static int origin_check(console_t *c, const char *path, ar_err_t *err)
{
	const daemon_server_conf_t *srv = &c->conf.server;
	const char *l = srv->listen;
	char own[128], port[16] = "";
	int v6 = strchr(l, ':') != NULL;

	if (c->conf.origin) {
		if (strncmp(c->conf.origin, "https://", 8) || strlen(c->conf.origin) <= 8 ||
		    strchr(c->conf.origin + 8, '/'))
			return ar_err_set(err, AR_ERR_CONFIG, "%s: [console] origin must be "
					  "https://HOST[:PORT]", path);
		return 0;
	}
	if (!*l || !strcmp(l, "0.0.0.0") || !strcmp(l, "::") || !strcmp(l, "[::]"))
		return ar_err_set(err, AR_ERR_CONFIG, "%s: [console] origin is required when [server] "
				  "listen is a wildcard address (set it to the URL operators type, "
				  "https://HOST[:PORT])", path);
	if (srv->port != 443)
		snprintf(port, sizeof(port), ":%lld", (long long)srv->port);
	if ((size_t)snprintf(own, sizeof(own), "https://%s%s%s%s", v6 && l[0] != '[' ? "[" : "", l,
			     v6 && l[0] != '[' ? "]" : "", port) >= sizeof(own))
		return ar_err_set(err, AR_ERR_CONFIG, "%s: [server] listen is too long", path);
	c->conf.origin = strdup(own);
	return c->conf.origin ? 0 : ar_err_set(err, AR_ERR_NOMEM, "out of memory");
}

int console_load(console_t *c, const char *path, ar_err_t *err)
{
	cu_user_t *users = NULL;
	size_t n = 0;

	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->users_lock, NULL);
	c->sessions = calloc(CONSOLE_SESSIONS_MAX, sizeof(*c->sessions));
	c->limits = calloc(CONSOLE_LIMITS_MAX, sizeof(*c->limits));
	if (!c->sessions || !c->limits)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	if (daemon_conf_load(path, sections, NSECTIONS, &c->conf, err) < 0)
		return -1;
	if (origin_check(c, path, err) < 0 || streams_check(c, path, err) < 0)
		return -1;
	/* The users file must be readable now; it is read again whenever it
	 * changes (auth.c), so that acme-rats-ctl console-user add, a password
	 * change or a removal takes effect at once. */
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
	free(c->streams);
	if (c->users)
		OPENSSL_cleanse(c->users, c->nusers * sizeof(*c->users));
	free(c->users);
	pthread_mutex_destroy(&c->users_lock);
	pthread_mutex_destroy(&c->lock);
}
