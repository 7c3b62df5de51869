/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every acme-rats program with a configuration file shares: its [server]
 * and [log] sections and secret files ([redis] and the per-thread Redis
 * connections: daemon_store.c). No HTTP server here (that is daemon_main.c):
 * acme-rats-ctl links this too. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "daemon.h"
#include "fileio.h"
#include "log.h"

#define SRV(f) offsetof(daemon_server_conf_t, f)

const ar_conf_rule_t daemon_server_rules[] = {
	{ "listen", AR_CONF_STRING, SRV(listen), 0, "127.0.0.1", 0, 0, NULL },
	{ "port", AR_CONF_INT, SRV(port), AR_CONF_REQUIRED, NULL, 0, 65535, NULL },
	{ "tls_cert", AR_CONF_STRING, SRV(tls_cert), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "tls_key", AR_CONF_STRING, SRV(tls_key), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "threads", AR_CONF_INT, SRV(threads), 0, "0", 0, 64, NULL },
	{ "max_connections", AR_CONF_INT, SRV(max_connections), 0, "1024", 1, 65536, NULL },
	{ "max_connections_per_ip", AR_CONF_INT, SRV(max_per_ip), 0, "256", 0, 65536, NULL },
	{ "timeout", AR_CONF_DURATION, SRV(timeout), 0, "10s", 1000, 300000, NULL },
	{ "max_body", AR_CONF_SIZE, SRV(max_body), 0, "64k", 1024, 1048576, NULL },
	AR_CONF_END
};

static const char *const log_levels[] = { "debug", "info", "warn", "error", NULL };

const ar_conf_rule_t daemon_log_rules[] = {
	{ "level", AR_CONF_ENUM, offsetof(daemon_log_conf_t, level), 0, "info", 0, 0, log_levels },
	AR_CONF_END
};

#define MET(f) offsetof(daemon_metrics_conf_t, f)

const ar_conf_rule_t daemon_metrics_rules[] = {
	{ "listen", AR_CONF_STRING, MET(listen), 0, NULL, 0, 0, NULL },
	{ "token_file", AR_CONF_STRING, MET(token_file), 0, NULL, 0, 0, NULL },
	AR_CONF_END
};

static const daemon_section_t *find_section(const daemon_section_t *sections, size_t n,
					    const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(sections[i].name, name))
			return &sections[i];
	return NULL;
}

int daemon_conf_load(const char *path, const daemon_section_t *sections, size_t n, void *base,
		     ar_err_t *err)
{
	static const ar_conf_rule_t none[] = { AR_CONF_END };
	const ar_conf_section_t *s;
	ar_conf_t *cf;
	size_t i;
	int rc = -1;

	cf = ar_conf_load(path, err);
	if (!cf)
		return -1;
	for (s = ar_conf_next(cf, NULL, NULL); s; s = ar_conf_next(cf, s, NULL)) {
		const daemon_section_t *d = find_section(sections, n, ar_conf_section_type(s));

		if (!d || !ar_conf_section_name(s) != !d->each) {
			ar_conf_error(s, NULL, err, "unknown section [%s%s%s]", ar_conf_section_type(s),
				      ar_conf_section_name(s) ? " " : "",
				      ar_conf_section_name(s) ? ar_conf_section_name(s) : "");
			goto out;
		}
		if (d->each && d->each(base, s, err) < 0)
			goto out;
	}
	if (ar_conf_bind(ar_conf_root(cf), none, base, err) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (!sections[i].each &&
		    ar_conf_bind(ar_conf_find(cf, sections[i].name, NULL), sections[i].rules,
				 (char *)base + sections[i].offset, err) < 0)
			goto out;
	rc = 0;
out:
	ar_conf_free(cf);
	return rc;
}

void daemon_conf_free(const daemon_section_t *sections, size_t n, void *base)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!sections[i].each)
			ar_conf_unbind(sections[i].rules, (char *)base + sections[i].offset);
}

int daemon_read_secret(const char *path, char *out, size_t size, ar_err_t *err)
{
	struct stat st;
	size_t len;
	char *text;

	if (stat(path, &st) == 0 && (st.st_mode & 0007))
		return ar_err_set(err, AR_ERR_CONFIG, "%s: secret file is readable by others "
				  "(chmod 600)", path);
	if (ar_file_read(path, size * 2, &text, &len, err) < 0)
		return -1;
	len = strcspn(text, "\r\n");
	if (len == 0 || len >= size) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
		return ar_err_set(err, AR_ERR_CONFIG, "%s: secret must be 1..%zu characters", path,
				  size - 1);
	}
	memcpy(out, text, len);
	out[len] = '\0';
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return 0;
}

int daemon_read_key(const char *path, uint8_t key[32], ar_err_t *err)
{
	char hex[80];
	size_t i;
	int rc = 0;

	if (!path) {
		if (RAND_bytes(key, 32) != 1)
			return ar_err_set(err, AR_ERR_CRYPTO, "no randomness for a key");
		return 0;
	}
	if (daemon_read_secret(path, hex, sizeof(hex), err) < 0)
		return -1;
	if (strlen(hex) != 64)
		rc = ar_err_set(err, AR_ERR_CONFIG, "%s: key must be 64 hex digits", path);
	for (i = 0; rc == 0 && i < 32; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], '\0' }, *end;
		long b = strtol(byte, &end, 16);

		if (*end)
			rc = ar_err_set(err, AR_ERR_CONFIG, "%s: not hexadecimal", path);
		key[i] = (uint8_t)b;
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}
