/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configuration of acme-rats-ca (docs/ca.md) and what it names: the nonce
 * key, the External Account Binding inventory, the directory.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/store.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "fileio.h"
#include "http.h"
#include "json.h"
#include "log.h"

#define OFF(f) offsetof(ca_conf_t, f)

static const ar_conf_rule_t acme_rules[] = {
	{ "base_url", AR_CONF_STRING, OFF(base_url), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "nonce_key_file", AR_CONF_STRING, OFF(nonce_key_file), 0, NULL, 0, 0, NULL },
	{ "nonce_lifetime", AR_CONF_DURATION, OFF(nonce_lifetime), 0, "10m", 10000, 86400000, NULL },
	{ "terms_of_service", AR_CONF_STRING, OFF(terms_of_service), 0, NULL, 0, 0, NULL },
	{ "website", AR_CONF_STRING, OFF(website), 0, NULL, 0, 0, NULL },
	{ "external_account_required", AR_CONF_BOOL, OFF(eab_required), 0, "no", 0, 0, NULL },
	{ "eab_keys", AR_CONF_STRING, OFF(eab_keys), 0, NULL, 0, 0, NULL },
	{ "default_profile", AR_CONF_STRING, OFF(default_profile), 0, NULL, 0, 0, NULL },
	{ "issuer_cert", AR_CONF_STRING, OFF(issuer_cert), 0, NULL, 0, 0, NULL },
	{ "issuer_key", AR_CONF_STRING, OFF(issuer_key), 0, NULL, 0, 0, NULL },
	{ "order_lifetime", AR_CONF_DURATION, OFF(order_lifetime), 0, "1h", 60000, 7 * 86400000LL, NULL },
	{ "http01_port", AR_CONF_INT, OFF(http01_port), 0, "80", 1, 65535, NULL },
	{ "dns_resolver", AR_CONF_STRING, OFF(dns_resolver), 0, NULL, 0, 0, NULL },
	{ "validation_timeout", AR_CONF_DURATION, OFF(validation_timeout), 0, "10s", 500, 60000, NULL },
	{ "validation_threads", AR_CONF_INT, OFF(validation_threads), 0, "16", 0, 256, NULL },
	AR_CONF_END
};

static int nas_bind(void *base, const ar_conf_section_t *s, ar_err_t *err)
{
	return noc_nas_bind(&((ca_conf_t *)base)->events, s, err);
}

static const daemon_section_t sections[] = {
	{ "server", daemon_server_rules, offsetof(ca_conf_t, server), NULL },
	{ "acme", acme_rules, 0, NULL },
	{ "profile", NULL, 0, ca_profile_bind },
	{ "events", noc_event_rules, offsetof(ca_conf_t, events), NULL },
	{ "nas", NULL, 0, nas_bind },
	{ "redis", daemon_redis_rules, offsetof(ca_conf_t, redis), NULL },
	{ "log", daemon_log_rules, offsetof(ca_conf_t, log), NULL },
	{ "metrics", daemon_metrics_rules, offsetof(ca_conf_t, metrics), NULL },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/*
 * {"kid": {"hmac": "<base64url key>", "profile": "name",
 *          "identifiers": ["<permanent identifier>", ...]}, ...}
 * The file must not be world-readable.
 */
static int load_eab(ca_t *ca, ar_err_t *err)
{
	const char *path = ca->conf.eab_keys, *kid;
	json_t *root = NULL, *entry;
	struct stat st;
	size_t len, i = 0;
	char *text;
	int rc = -1;

	if (!path)
		return ca->conf.eab_required ?
		       ar_err_set(err, AR_ERR_CONFIG, "external_account_required needs eab_keys") : 0;
	if (stat(path, &st) == 0 && (st.st_mode & 0007))
		return ar_err_set(err, AR_ERR_CONFIG, "%s: EAB keys are readable by others "
				  "(chmod 600)", path);
	if (ar_file_read(path, 1 << 20, &text, &len, err) < 0)
		return -1;
	root = ar_json_load(text, len, 1 << 20, path, err);
	OPENSSL_cleanse(text, len);
	free(text);
	if (!root)
		return -1;
	if (!json_is_object(root)) {
		ar_err_set(err, AR_ERR_CONFIG, "%s: must be an object of EAB key ids", path);
		goto out;
	}
	ca->eab = calloc(json_object_size(root) + 1, sizeof(*ca->eab));
	if (!ca->eab) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_object_foreach(root, kid, entry) {
		const char *hmac = NULL, *profile = NULL;
		json_t *jwk, *ids = NULL;
		json_error_t jerr;
		size_t j;

		if (json_unpack_ex(entry, &jerr, JSON_STRICT, "{s:s, s?s, s?o}", "hmac", &hmac,
				   "profile", &profile, "identifiers", &ids) < 0 ||
		    strlen(kid) >= sizeof(ca->eab[i].kid) || !*kid) {
			ar_err_set(err, AR_ERR_CONFIG, "%s: entry \"%.64s\" needs a key id of 1..127 "
				   "characters, an \"hmac\", optionally \"profile\" and "
				   "\"identifiers\"", path, kid);
			goto out;
		}
		if (profile && !(ca->eab[i].profile = ca_profile_find(ca, profile))) {
			ar_err_set(err, AR_ERR_CONFIG, "%s: entry \"%.64s\": no [profile \"%.64s\"]",
				   path, kid, profile);
			goto out;
		}
		for (j = 0; ids && j < json_array_size(ids); j++)
			if (!json_is_string(json_array_get(ids, j)))
				ids = NULL;
		if (json_object_get(entry, "identifiers") && !json_is_array(ids)) {
			ar_err_set(err, AR_ERR_CONFIG, "%s: entry \"%.64s\": identifiers must be a "
				   "list of strings", path, kid);
			goto out;
		}
		/* Counted from here on, so ca_free() releases a half-read entry. */
		ca->eab[i].identifiers = ids ? json_incref(ids) : json_array();
		ca->neab = i + 1;
		jwk = json_pack("{s:s,s:s}", "kty", "oct", "k", hmac);
		ca->eab[i].mac = ar_jwk_parse(jwk, AR_JWK_ALLOW_OCT, err);
		json_decref(jwk);
		if (!ca->eab[i].mac) {
			ar_err_prefix(err, "%s: entry \"%.64s\": ", path, kid);
			goto out;
		}
		memcpy(ca->eab[i].kid, kid, strlen(kid) + 1);
		i++;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

const ca_eab_t *ca_eab_find(const ca_t *ca, const char *kid)
{
	size_t i;

	for (i = 0; kid && i < ca->neab; i++)
		if (!strcmp(ca->eab[i].kid, kid))
			return &ca->eab[i];
	return NULL;
}

/* The directory never changes while the CA runs: build its JSON once. */
static int build_directory(ca_t *ca, ar_err_t *err)
{
	const char *b = ca->conf.base_url;
	char url[CA_URL_MAX];
	json_t *dir, *meta;
	static const char *const names[] = {
		"newNonce", "newAccount", "newOrder", "revokeCert", "keyChange", "renewalInfo",
	};
	static const char *const paths[] = {
		"new-nonce", "new-account", "new-order", "revoke-cert", "key-change", "renewal-info",
	};
	size_t i;

	if (strncmp(b, "https://", 8) || b[strlen(b) - 1] == '/')
		return ar_err_set(err, AR_ERR_CONFIG, "base_url must be https://host[:port] without a "
				  "trailing slash");
	if (strlen(b) > CA_BASE_URL_MAX)
		return ar_err_set(err, AR_ERR_CONFIG, "base_url is %zu bytes; at most %d",
				  strlen(b), CA_BASE_URL_MAX);
	dir = json_object();
	meta = json_pack("{s:b}", "externalAccountRequired", ca->conf.eab_required);
	for (i = 0; dir && i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(url, sizeof(url), "%s" ACME_PATH "%s", b, paths[i]);
		json_object_set_new(dir, names[i], json_string(url));
	}
	if (meta && ca->conf.terms_of_service)
		json_object_set_new(meta, "termsOfService", json_string(ca->conf.terms_of_service));
	if (meta && ca->conf.website)
		json_object_set_new(meta, "website", json_string(ca->conf.website));
	if (dir && meta)
		json_object_set_new(dir, "meta", meta);
	ca->directory = dir ? json_dumps(dir, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(dir);
	return ca->directory ? 0 : ar_err_set(err, AR_ERR_NOMEM, "out of memory");
}

/*
 * The issuing key from an OpenSSL store URI ("file:/...", or with the
 * matching provider configured in openssl.cnf "pkcs11:..." or
 * "handle:0x81000001" for a TPM): the key may never leave its token.
 */
static EVP_PKEY *load_key_uri(const char *uri, ar_err_t *err)
{
	OSSL_STORE_CTX *store = OSSL_STORE_open(uri, NULL, NULL, NULL, NULL);
	EVP_PKEY *key = NULL;

	if (!store) {
		ar_err_set(err, AR_ERR_CONFIG, "issuer_key %s: no OpenSSL store opens this URI (is "
			   "its provider loaded in openssl.cnf?)", uri);
		return NULL;
	}
	OSSL_STORE_expect(store, OSSL_STORE_INFO_PKEY);
	while (!key && !OSSL_STORE_eof(store)) {
		OSSL_STORE_INFO *info = OSSL_STORE_load(store);

		if (info && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
			key = OSSL_STORE_INFO_get1_PKEY(info);
		OSSL_STORE_INFO_free(info);
		if (!info && OSSL_STORE_error(store))
			break;
	}
	OSSL_STORE_close(store);
	if (!key)
		ar_err_set(err, AR_ERR_CONFIG, "issuer_key %s: no private key there", uri);
	return key;
}

/* A URI names a key in an OpenSSL store; anything else is a PEM file path. */
static int is_uri(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789+-.");

	return n > 1 && s[n] == ':';
}

/* The issuing certificate and key: they must match, the certificate needs an SKI. */
static int load_issuer(ca_t *ca, ar_err_t *err)
{
	const char *cert = ca->conf.issuer_cert, *key = ca->conf.issuer_key;
	ar_jwk_t *jwk;
	size_t len;
	BIO *bio;

	if (!cert && !key)
		return 0;
	if (!cert || !key)
		return ar_err_set(err, AR_ERR_CONFIG, "issuer_cert and issuer_key go together");
	if (ar_file_read(cert, 1 << 20, &ca->issuer_pem, &len, err) < 0)
		return -1;
	bio = BIO_new_mem_buf(ca->issuer_pem, (int)len);
	ca->issuer = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!ca->issuer)
		return ar_err_set(err, AR_ERR_CONFIG, "%s: no PEM certificate", cert);
	if (!X509_get0_subject_key_id(ca->issuer))
		return ar_err_set(err, AR_ERR_CONFIG, "%s: the issuing certificate needs a "
				  "subjectKeyIdentifier", cert);
	if (is_uri(key)) {
		ca->issuer_key = load_key_uri(key, err);
		if (!ca->issuer_key)
			return -1;
	} else {
		jwk = ar_jwk_load_pem(key, err);
		if (!jwk)
			return -1;
		if (!ar_jwk_is_private(jwk)) {
			ar_jwk_free(jwk);
			return ar_err_set(err, AR_ERR_CONFIG, "%s: not a private key", key);
		}
		ca->issuer_key = ar_jwk_pkey(jwk);
		EVP_PKEY_up_ref(ca->issuer_key);
		ar_jwk_free(jwk);
	}
	if (X509_check_private_key(ca->issuer, ca->issuer_key) != 1)
		return ar_err_set(err, AR_ERR_CONFIG, "%s does not belong to %s", key, cert);
	return 0;
}

int ca_load(ca_t *ca, const char *path, ar_err_t *err)
{
	ca_conf_t *c = &ca->conf;

	if (daemon_conf_load(path, sections, NSECTIONS, c, err) < 0 ||
	    daemon_read_key(c->nonce_key_file, ca->nonce_key, err) < 0 ||
	    load_eab(ca, err) < 0 || load_issuer(ca, err) < 0 || build_directory(ca, err) < 0 ||
	    validate_conf(ca, err) < 0)
		return -1;
	/* libcurl (background-check relay) initialised once, before any thread. */
	if (http_global_init(err) < 0)
		return -1;
	ca->curl_ready = 1;
	if (!c->events.consumer) {
		/* host:port - unique per replica, the same after a restart (so a
		 * restarted replica finds its own pending events) */
		char host[64] = "acme-rats-ca", name[AR_STORE_NAME_MAX + 1];

		gethostname(host, sizeof(host) - 1);
		snprintf(name, sizeof(name), "%.50s:%d", host, (int)c->server.port);
		c->events.consumer = strdup(name);
		if (!c->events.consumer)
			return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	}
	if (c->events.worker && !c->events.nnas && c->events.disconnect)
		ar_warn("event=config.warning reason=\"[events] worker without any [nas] section: "
			"sessions cannot be disconnected\"");
	if (c->default_profile && !ca_profile_find(ca, c->default_profile))
		return ar_err_set(err, AR_ERR_CONFIG, "default_profile \"%s\" has no [profile] section",
				  c->default_profile);
	if (ca_metrics_init(ca, err) < 0)
		return -1;
	return daemon_stores_init(&ca->stores, &c->redis, err);
}

void ca_free(ca_t *ca)
{
	size_t i;

	daemon_conf_free(sections, NSECTIONS, &ca->conf);
	ca_profiles_free(&ca->conf);
	noc_conf_free(&ca->conf.events);
	daemon_stores_free(&ca->stores);
	ca_metrics_free(ca);
	for (i = 0; i < ca->neab; i++) {
		ar_jwk_free(ca->eab[i].mac);
		json_decref(ca->eab[i].identifiers);
	}
	free(ca->eab);
	free(ca->directory);
	if (ca->curl_ready)
		http_global_cleanup();
	X509_free(ca->issuer);
	EVP_PKEY_free(ca->issuer_key);
	free(ca->issuer_pem);
	OPENSSL_cleanse(ca->nonce_key, sizeof(ca->nonce_key));
}
