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

#include <openssl/crypto.h>

#include "daemon.h"
#include "fileio.h"
#include "log.h"
#include "verifier.h"

#define OFF(f) offsetof(verifier_conf_t, f)

static const char *const ear_profiles[] = { "veraison", "ietf03", NULL };

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
	{ "tpm_policy", AR_CONF_STRING, OFF(tpm_policy), 0, NULL, 0, 0, NULL },
	AR_CONF_END
};

static const ar_conf_rule_t soc_rules[] = {
	{ "token_file", AR_CONF_STRING, OFF(soc_token_file), 0, NULL, 0, 0, NULL },
	{ "alert_index_ip", AR_CONF_BOOL, OFF(alert_index_ip), 0, "yes", 0, 0, NULL },
	{ "alert_index_ttl", AR_CONF_DURATION, OFF(alert_index_ttl), 0, "8h", 60000,
	  30LL * 86400000, NULL },
	AR_CONF_END
};

static const ar_conf_rule_t tpm_rules[] = {
	{ "ek_roots", AR_CONF_STRING, OFF(tpm_ek_roots), 0, NULL, 0, 0, NULL },
	{ "ek_intermediates", AR_CONF_STRING, OFF(tpm_ek_intermediates), 0, NULL, 0, 0, NULL },
	{ "ek_registered", AR_CONF_STRING, OFF(tpm_ek_registered), 0, NULL, 0, 0, NULL },
	{ "challenge_ttl", AR_CONF_DURATION, OFF(tpm_challenge_ttl), 0, "2m", 5000, 900000, NULL },
	{ "reenrol", AR_CONF_BOOL, OFF(tpm_reenrol), 0, "no", 0, 0, NULL },
	AR_CONF_END
};

static const daemon_section_t sections[] = {
	{ "server", daemon_server_rules, offsetof(verifier_conf_t, server), NULL },
	{ "verifier", verifier_rules, 0, NULL },
	{ "soc", soc_rules, 0, NULL },
	{ "alert_source", NULL, 0, alert_source_bind },
	{ "syslog", syslog_rules, 0, NULL },
	{ "tpm", tpm_rules, 0, NULL },
	{ "redis", daemon_redis_rules, offsetof(verifier_conf_t, redis), NULL },
	{ "log", daemon_log_rules, offsetof(verifier_conf_t, log), NULL },
	{ "metrics", daemon_metrics_rules, offsetof(verifier_conf_t, metrics), NULL },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

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

int verifier_load(verifier_t *v, const char *path, ar_err_t *err)
{
	verifier_conf_t *c = &v->conf;

	if (daemon_conf_load(path, sections, NSECTIONS, c, err) < 0 ||
	    alert_sources_load(v, err) < 0 || load_keys(v, err) < 0 || load_policy(v, err) < 0 ||
	    daemon_read_key(c->session_key_file, v->session_key, err) < 0 ||
	    tpm_evidence_load(v, err) < 0)
		return -1;
	if (c->soc_token_file &&
	    daemon_read_secret(c->soc_token_file, v->soc_token, sizeof(v->soc_token), err) < 0)
		return -1;
	if (tpm_api_load(v, err) < 0)
		return -1;
	if (verifier_metrics_init(v, err) < 0)
		return -1;
	return daemon_stores_init(&v->stores, &c->redis, err);
}

void verifier_free(verifier_t *v)
{
	alert_sources_free(v);
	daemon_conf_free(sections, NSECTIONS, &v->conf);
	daemon_stores_free(&v->stores);
	tpm_evidence_free(v);
	tpm_api_free(v);
	ar_metrics_free(v->metrics);
	v->metrics = NULL;
	ar_jwk_free(v->signing_key);
	ar_jwk_free(v->encryption_key);
	free(v->jwks_text);
	free(v->enc_jwk_text);
	OPENSSL_cleanse(v->session_key, sizeof(v->session_key));
	OPENSSL_cleanse(v->soc_token, sizeof(v->soc_token));
}
