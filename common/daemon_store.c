/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemons' Redis connections: the [redis] section and one store per
 * thread. An object of its own, so that a program linking the rest of
 * common/daemon.c statically (acme-rats-helper) does not pull in lib/store.c
 * and hiredis.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "daemon.h"

#define RDS(f) offsetof(daemon_redis_conf_t, f)

static const char *const replica_timeout_actions[] = { "refuse", "accept", NULL };

const ar_conf_rule_t daemon_redis_rules[] = {
	{ "host", AR_CONF_STRING, RDS(host), 0, "127.0.0.1", 0, 0, NULL },
	{ "port", AR_CONF_INT, RDS(port), 0, "6379", 1, 65535, NULL },
	{ "unix_socket", AR_CONF_STRING, RDS(unix_socket), 0, NULL, 0, 0, NULL },
	{ "username", AR_CONF_STRING, RDS(username), 0, NULL, 0, 0, NULL },
	{ "password_file", AR_CONF_STRING, RDS(password_file), 0, NULL, 0, 0, NULL },
	{ "connect_timeout", AR_CONF_DURATION, RDS(connect_timeout), 0, "200ms", 1, 60000, NULL },
	{ "command_timeout", AR_CONF_DURATION, RDS(command_timeout), 0, "100ms", 1, 60000, NULL },
	{ "sentinels", AR_CONF_STRING, RDS(sentinels), 0, NULL, 0, 0, NULL },
	{ "master_name", AR_CONF_STRING, RDS(master_name), 0, NULL, 0, 0, NULL },
	{ "sentinel_password_file", AR_CONF_STRING, RDS(sentinel_password_file), 0, NULL, 0, 0,
	  NULL },
	{ "min_replicas_ack", AR_CONF_STRING, RDS(min_replicas_ack), 0, "auto", 0, 0, NULL },
	{ "replica_ack_timeout", AR_CONF_DURATION, RDS(replica_ack_timeout), 0, "500ms", 1, 60000,
	  NULL },
	{ "on_replica_timeout", AR_CONF_ENUM, RDS(on_replica_timeout), 0, "refuse", 0, 0,
	  replica_timeout_actions },
	AR_CONF_END
};

/* min_replicas_ack: "auto" or a count. */
static int replicas_ack_parse(const char *v, int *out, ar_err_t *err)
{
	char *end;
	long n;

	if (!strcmp(v, "auto")) {
		*out = AR_STORE_ACK_AUTO;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 0 || n > AR_STORE_ACK_MAX)
		return ar_err_set(err, AR_ERR_CONFIG, "[redis] min_replicas_ack must be auto or "
				  "0..%d, not \"%.32s\"", AR_STORE_ACK_MAX, v);
	*out = (int)n;
	return 0;
}

static void close_store(void *p)
{
	ar_store_close(p);
}

int daemon_stores_init(daemon_stores_t *s, const daemon_redis_conf_t *c, ar_err_t *err)
{
	memset(s, 0, sizeof(*s));
	if (c->username && !c->password_file)
		return ar_err_set(err, AR_ERR_CONFIG, "[redis] username %s needs password_file",
				  c->username);
	if (c->password_file && daemon_read_secret(c->password_file, s->password,
						   sizeof(s->password), err) < 0)
		return -1;
	if (!c->sentinels != !c->master_name)
		return ar_err_set(err, AR_ERR_CONFIG, "[redis] sentinels and master_name go "
				  "together");
	if (c->sentinel_password_file && !c->sentinels)
		return ar_err_set(err, AR_ERR_CONFIG, "[redis] sentinel_password_file needs "
				  "sentinels");
	if (c->sentinel_password_file &&
	    daemon_read_secret(c->sentinel_password_file, s->sentinel_password,
			       sizeof(s->sentinel_password), err) < 0)
		return -1;
	if (replicas_ack_parse(c->min_replicas_ack ? c->min_replicas_ack : "auto",
			       &s->opts.min_replicas_ack, err) < 0)
		return -1;
	s->opts.replica_ack_timeout_ms = (int)c->replica_ack_timeout;
	s->opts.replica_timeout_accept = c->on_replica_timeout == 1;
	s->opts.sentinels = c->sentinels;
	s->opts.master_name = c->master_name;
	s->opts.sentinel_password = s->sentinel_password[0] ? s->sentinel_password : NULL;
	s->opts.host = c->host;
	s->opts.port = (int)c->port;
	s->opts.unix_path = c->unix_socket;
	s->opts.username = c->username;
	s->opts.password = s->password[0] ? s->password : NULL;
	s->opts.connect_timeout_ms = (int)c->connect_timeout;
	s->opts.command_timeout_ms = (int)c->command_timeout;
	s->metrics = ar_metrics_new(ar_store_metric_defs, AR_STORE_M_N, err);
	if (!s->metrics)
		return -1;
	s->opts.metrics = s->metrics;
	if (pthread_key_create(&s->key, close_store) != 0)
		return ar_err_set(err, AR_ERR_NOMEM, "no thread-local key");
	s->key_made = 1;
	return 0;
}

ar_store_t *daemon_store(daemon_stores_t *s, ar_err_t *err)
{
	ar_store_t *st = pthread_getspecific(s->key);

	if (st)
		return st;
	st = ar_store_open(&s->opts, err);
	if (st)
		pthread_setspecific(s->key, st);
	return st;
}

void daemon_stores_free(daemon_stores_t *s)
{
	ar_store_t *st;

	if (s->key_made) {
		st = pthread_getspecific(s->key);
		if (st)
			ar_store_close(st);
		pthread_key_delete(s->key);
	}
	ar_metrics_free(s->metrics);
	s->metrics = NULL;
	s->opts.metrics = NULL;
	OPENSSL_cleanse(s->password, sizeof(s->password));
	OPENSSL_cleanse(s->sentinel_password, sizeof(s->sentinel_password));
}
