/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configuration of acme-rats-verifier (verifier.conf(5)) and the keys,
 * secrets and reference values it names.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "conf.h"
#include "fileio.h"
#include "log.h"
#include "verifier.h"

#define OFF(f) offsetof(verifier_conf_t, f)

static const char *const ear_profiles[] = { "veraison", "ietf03", NULL };
static const char *const log_levels[] = { "debug", "info", "warn", "error", NULL };

static const ar_conf_rule_t server_rules[] = {
	{ "listen", AR_CONF_STRING, OFF(listen), 0, "127.0.0.1", 0, 0, NULL },
	{ "port", AR_CONF_INT, OFF(port), 0, "8443", 0, 65535, NULL },
	{ "tls_cert", AR_CONF_STRING, OFF(tls_cert), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "tls_key", AR_CONF_STRING, OFF(tls_key), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "threads", AR_CONF_INT, OFF(threads), 0, "2", 1, 64, NULL },
	{ "max_connections", AR_CONF_INT, OFF(max_connections), 0, "1024", 1, 65536, NULL },
	{ "max_connections_per_ip", AR_CONF_INT, OFF(max_per_ip), 0, "0", 0, 65536, NULL },
	{ "timeout", AR_CONF_DURATION, OFF(timeout), 0, "10s", 1000, 300000, NULL },
	{ "max_body", AR_CONF_SIZE, OFF(max_body), 0, "64k", 1024, 1048576, NULL },
	AR_CONF_END
};

static const ar_conf_rule_t verifier_rules[] = {
	{ "signing_key", AR_CONF_STRING, OFF(signing_key), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "signing_kid", AR_CONF_STRING, OFF(signing_kid), 0, NULL, 0, 0, NULL },
	{ "encryption_key", AR_CONF_STRING, OFF(encryption_key), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "developer", AR_CONF_STRING, OFF(developer), 0, "acme-rats-verifier", 0, 0, NULL },
	{ "build", AR_CONF_STRING, OFF(build), 0, PACKAGE_VERSION, 0, 0, NULL },
	{ "ear_profile", AR_CONF_ENUM, OFF(ear_profile), 0, "veraison", 0, 0, ear_profiles },
	{ "reference_values", AR_CONF_STRING, OFF(reference_values), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "policy", AR_CONF_STRING, OFF(policy), 0, NULL, 0, 0, NULL },
	{ "session_ttl", AR_CONF_DURATION, OFF(session_ttl), 0, "5m", 1000, 3600000, NULL },
	{ "ear_ttl", AR_CONF_DURATION, OFF(ear_ttl), 0, "8h", 0, 7 * 86400000LL, NULL },
	{ "session_key_file", AR_CONF_STRING, OFF(session_key_file), 0, NULL, 0, 0, NULL },
	AR_CONF_END
};

static const ar_conf_rule_t soc_rules[] = {
	{ "token_file", AR_CONF_STRING, OFF(soc_token_file), 0, NULL, 0, 0, NULL },
	AR_CONF_END
};

static const ar_conf_rule_t redis_rules[] = {
	{ "host", AR_CONF_STRING, OFF(redis_host), 0, "127.0.0.1", 0, 0, NULL },
	{ "port", AR_CONF_INT, OFF(redis_port), 0, "6379", 1, 65535, NULL },
	{ "unix_socket", AR_CONF_STRING, OFF(redis_unix), 0, NULL, 0, 0, NULL },
	{ "username", AR_CONF_STRING, OFF(redis_user), 0, NULL, 0, 0, NULL },
	{ "password_file", AR_CONF_STRING, OFF(redis_password_file), 0, NULL, 0, 0, NULL },
	{ "connect_timeout", AR_CONF_DURATION, OFF(redis_connect_timeout), 0, "200ms", 1, 60000, NULL },
	{ "command_timeout", AR_CONF_DURATION, OFF(redis_command_timeout), 0, "100ms", 1, 60000, NULL },
	AR_CONF_END
};

static const ar_conf_rule_t log_rules[] = {
	{ "level", AR_CONF_ENUM, OFF(log_level), 0, "info", 0, 0, log_levels },
	AR_CONF_END
};

static const struct {
	const char		*section;
	const ar_conf_rule_t	*rules;
} sections[] = {
	{ "server", server_rules },
	{ "verifier", verifier_rules },
	{ "soc", soc_rules },
	{ "redis", redis_rules },
	{ "log", log_rules },
};

/* Bind every known section (absent ones get defaults); reject unknown ones. */
static int bind_all(const ar_conf_t *cf, verifier_conf_t *c, ar_err_t *err)
{
	static const ar_conf_rule_t none[] = { AR_CONF_END };
	const ar_conf_section_t *s;
	size_t i;

	for (s = ar_conf_next(cf, NULL, NULL); s; s = ar_conf_next(cf, s, NULL)) {
		for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
			if (!strcmp(ar_conf_section_type(s), sections[i].section))
				break;
		if (i == sizeof(sections) / sizeof(sections[0]) || ar_conf_section_name(s))
			return ar_err_set(err, AR_ERR_CONFIG, "unknown section [%s%s%s]",
					  ar_conf_section_type(s), ar_conf_section_name(s) ? " " : "",
					  ar_conf_section_name(s) ? ar_conf_section_name(s) : "");
	}
	if (ar_conf_bind(ar_conf_root(cf), none, c, err) < 0)
		return -1;
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		static const ar_conf_section_t *empty;

		s = ar_conf_find(cf, sections[i].section, NULL);
		if (ar_conf_bind(s ? s : empty, sections[i].rules, c, err) < 0)
			return -1;
	}
	return 0;
}

/* A secret from a file: first line, no trailing newline, file not world-readable. */
static int read_secret(const char *path, char *out, size_t size, ar_err_t *err)
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

static int load_keys(verifier_t *v, ar_err_t *err)
{
	verifier_conf_t *c = &v->conf;
	json_t *pub = NULL, *set = NULL, *withkid;
	int rc = -1;

	v->signing_key = ar_jwk_load_pem(c->signing_key, err);
	if (!v->signing_key)
		return -1;
	if (strcmp(ar_jwk_alg(v->signing_key), "ES256") && strcmp(ar_jwk_alg(v->signing_key), "ES384"))
		return ar_err_set(err, AR_ERR_CONFIG, "%s: EAR signing key must be EC P-256 or P-384",
				  c->signing_key);
	if (c->signing_kid) {	/* re-parse with the kid so EARs carry it */
		withkid = json_deep_copy(ar_jwk_json(v->signing_key));
		json_object_set_new(withkid, "kid", json_string(c->signing_kid));
		ar_jwk_free(v->signing_key);
		v->signing_key = ar_jwk_parse(withkid, 0, err);
		json_decref(withkid);
		if (!v->signing_key)
			return -1;
	}
	v->encryption_key = ar_jwk_load_pem(c->encryption_key, err);
	if (!v->encryption_key)
		return -1;
	if (ar_jwk_type(v->encryption_key) != AR_JWK_EC || !ar_jwk_is_private(v->encryption_key))
		return ar_err_set(err, AR_ERR_CONFIG, "%s: evidence encryption key must be an EC "
				  "private key", c->encryption_key);

	pub = ar_jwk_public_json(v->encryption_key);
	if (pub)
		json_object_set_new(pub, "use", json_string("enc"));
	v->enc_jwk_text = pub ? json_dumps(pub, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	set = json_pack("{s:[o]}", "keys", ar_jwk_public_json(v->signing_key));
	v->jwks_text = set ? json_dumps(set, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!v->enc_jwk_text || !v->jwks_text)
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	else
		rc = 0;
	json_decref(pub);
	json_decref(set);
	return rc;
}

static int load_policy(verifier_t *v, ar_err_t *err)
{
	const char *name = v->conf.policy, *key;
	json_t *root, *profiles, *prof, *dflt;
	json_error_t jerr;
	size_t len;
	char *text;
	int rc;

	if (ar_file_read(v->conf.reference_values, 1 << 20, &text, &len, err) < 0)
		return -1;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!root)
		return ar_err_set(err, AR_ERR_CONFIG, "%s:%d: %s", v->conf.reference_values,
				  jerr.line, jerr.text);
	profiles = json_object_get(root, "profiles");
	dflt = json_object_get(root, "default");
	json_object_foreach(root, key, prof) {
		if (strcmp(key, "profiles") && strcmp(key, "default")) {
			json_decref(root);
			return ar_err_set(err, AR_ERR_CONFIG, "%s: unknown member \"%.32s\"",
					  v->conf.reference_values, key);
		}
	}
	if (!name)
		name = json_string_value(dflt);
	prof = name ? json_object_get(profiles, name) : NULL;
	if (!json_is_object(prof)) {
		json_decref(root);
		return ar_err_set(err, AR_ERR_CONFIG, "%s: no profile \"%s\" under \"profiles\"",
				  v->conf.reference_values, name ? name : "(default)");
	}
	rc = ar_refpolicy_from_json(name, prof, &v->policy, err);
	if (rc < 0)
		ar_err_prefix(err, "%s: ", v->conf.reference_values);
	json_decref(root);
	return rc;
}

static int load_session_key(verifier_t *v, ar_err_t *err)
{
	char hex[2 * SESSION_KEY_LEN + 8];
	size_t i;

	if (!v->conf.session_key_file) {
		/* One replica: a key per start; sessions do not survive a restart. */
		if (RAND_bytes(v->session_key, SESSION_KEY_LEN) != 1)
			return ar_err_set(err, AR_ERR_CRYPTO, "no randomness for the session key");
		return 0;
	}
	if (read_secret(v->conf.session_key_file, hex, sizeof(hex), err) < 0)
		return -1;
	if (strlen(hex) != 2 * SESSION_KEY_LEN)
		return ar_err_set(err, AR_ERR_CONFIG, "%s: session key must be %d hex digits",
				  v->conf.session_key_file, 2 * SESSION_KEY_LEN);
	for (i = 0; i < SESSION_KEY_LEN; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], '\0' }, *end;
		long b = strtol(byte, &end, 16);

		if (*end)
			return ar_err_set(err, AR_ERR_CONFIG, "%s: not hexadecimal",
					  v->conf.session_key_file);
		v->session_key[i] = (uint8_t)b;
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	return 0;
}

int verifier_load(verifier_t *v, const char *path, ar_err_t *err)
{
	verifier_conf_t *c = &v->conf;
	ar_conf_t *cf;

	cf = ar_conf_load(path, err);
	if (!cf)
		return -1;
	if (bind_all(cf, c, err) < 0) {
		ar_conf_free(cf);
		return -1;
	}
	ar_conf_free(cf);

	if (load_keys(v, err) < 0 || load_policy(v, err) < 0 || load_session_key(v, err) < 0)
		return -1;
	if (c->soc_token_file &&
	    read_secret(c->soc_token_file, v->soc_token, sizeof(v->soc_token), err) < 0)
		return -1;
	if (c->redis_password_file &&
	    read_secret(c->redis_password_file, v->redis_password, sizeof(v->redis_password),
			err) < 0)
		return -1;

	memset(&v->store_opts, 0, sizeof(v->store_opts));
	v->store_opts.host = c->redis_host;
	v->store_opts.port = (int)c->redis_port;
	v->store_opts.unix_path = c->redis_unix;
	v->store_opts.username = c->redis_user;
	v->store_opts.password = v->redis_password[0] ? v->redis_password : NULL;
	v->store_opts.connect_timeout_ms = (int)c->redis_connect_timeout;
	v->store_opts.command_timeout_ms = (int)c->redis_command_timeout;
	return 0;
}

void verifier_free(verifier_t *v)
{
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		ar_conf_unbind(sections[i].rules, &v->conf);
	ar_jwk_free(v->signing_key);
	ar_jwk_free(v->encryption_key);
	free(v->jwks_text);
	free(v->enc_jwk_text);
	OPENSSL_cleanse(v->session_key, sizeof(v->session_key));
	OPENSSL_cleanse(v->soc_token, sizeof(v->soc_token));
	OPENSSL_cleanse(v->redis_password, sizeof(v->redis_password));
}
