/* SPDX-License-Identifier: GPL-2.0-or-later */
/* acme-rats-helper.conf: reading and checking it (hconf.h). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hconf.h"

#define OFF(f) offsetof(helper_conf_t, f)

static const char *const models[] = { "passport", "background-check", NULL };
static const char *const storages[] = { "file", "tpm", "pkcs11", NULL };
static const char *const key_stores[] = { "file", "tpm", "tpm-certified", NULL };

static const ar_conf_rule_t acme_rules[] = {
	{ "directory", AR_CONF_STRING, OFF(directory), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "ca_bundle", AR_CONF_STRING, OFF(acme_ca_bundle), 0, NULL, 0, 0, NULL },
	{ "account_key", AR_CONF_STRING, OFF(account_key), 0, NULL, 0, 0, NULL },
	{ "eab_kid", AR_CONF_STRING, OFF(eab_kid), 0, NULL, 0, 0, NULL },
	{ "eab_hmac_file", AR_CONF_STRING, OFF(eab_hmac_file), 0, NULL, 0, 0, NULL },
	{ "contact", AR_CONF_STRING, OFF(contact), 0, NULL, 0, 0, NULL },
	{ "connect_timeout", AR_CONF_DURATION, OFF(connect_timeout), 0, "10s", 100, 300000, NULL },
	{ "timeout", AR_CONF_DURATION, OFF(timeout), 0, "30s", 1000, 600000, NULL },
	{ "validation_timeout", AR_CONF_DURATION, OFF(validation_timeout), 0, "2m", 1000, 3600000,
	  NULL },
	AR_CONF_END
};

static const ar_conf_rule_t device_rules[] = {
	{ "identifiers", AR_CONF_STRING, OFF(identifiers), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "attest", AR_CONF_STRING, OFF(attest), 0, "any", 0, 0, NULL },
	{ "model", AR_CONF_ENUM, OFF(model), 0, "passport", 0, 0, models },
	{ "dir", AR_CONF_STRING, OFF(dir), 0, "/var/lib/acme-rats-helper", 0, 0, NULL },
	{ "reuse_key", AR_CONF_BOOL, OFF(reuse_key), 0, "no", 0, 0, NULL },
	{ "key_store", AR_CONF_ENUM, OFF(key_store), 0, "file", 0, 0, key_stores },
	{ "tpm_tcti", AR_CONF_STRING, OFF(tpm_tcti), 0, NULL, 0, 0, NULL },
	{ "tpm_ak_handle", AR_CONF_STRING, OFF(tpm_ak), 0, "0x81010010", 0, 0, NULL },
	{ "tpm_key_handle", AR_CONF_STRING, OFF(tpm_key), 0, "0x81010020", 0, 0, NULL },
	{ "tpm_srk_handle", AR_CONF_STRING, OFF(tpm_srk), 0, "0x81000001", 0, 0, NULL },
	{ "tpm_pcrs", AR_CONF_STRING, OFF(tpm_pcrs), 0, "0x47ff", 0, 0, NULL },
	{ "tpm_boot_log", AR_CONF_STRING, OFF(tpm_boot_log), 0, NULL, 0, 0, NULL },
	{ "tpm_ima_list", AR_CONF_STRING, OFF(tpm_ima_list), 0, NULL, 0, 0, NULL },
	{ "http01_listen", AR_CONF_STRING, OFF(http01_listen), 0, NULL, 0, 0, NULL },
	AR_CONF_END
};

static const ar_conf_rule_t verifier_rules[] = {
	{ "url", AR_CONF_STRING, OFF(verifier_url), 0, NULL, 0, 0, NULL },
	{ "ca_bundle", AR_CONF_STRING, OFF(verifier_ca_bundle), 0, NULL, 0, 0, NULL },
	{ "device_id", AR_CONF_STRING, OFF(device_id), 0, NULL, 0, 0, NULL },
	{ "edr", AR_CONF_STRING, OFF(edr), 0, NULL, 0, 0, NULL },
	{ "root", AR_CONF_STRING, OFF(root), 0, NULL, 0, 0, NULL },
	{ "override", AR_CONF_STRING, OFF(override), 0, NULL, 0, 0, NULL },
	{ "key_storage", AR_CONF_ENUM, OFF(key_storage), 0, "file", 0, 0, storages },
	AR_CONF_END
};

static const ar_conf_rule_t schedule_rules[] = {
	{ "fresh", AR_CONF_DURATION, OFF(fresh), 0, "0", 0, 30 * 86400000LL, NULL },
	{ "fresh_margin", AR_CONF_DURATION, OFF(fresh_margin), 0, "15m", 0, 86400000, NULL },
	{ "ari_poll_min", AR_CONF_DURATION, OFF(ari_poll_min), 0, "1m", 1000, 86400000, NULL },
	{ "ari_poll_max", AR_CONF_DURATION, OFF(ari_poll_max), 0, "6h", 1000, 86400000, NULL },
	{ "backoff_min", AR_CONF_DURATION, OFF(backoff_min), 0, "30s", 1000, 86400000, NULL },
	{ "backoff_max", AR_CONF_DURATION, OFF(backoff_max), 0, "1h", 1000, 86400000, NULL },
	AR_CONF_END
};

static const ar_conf_rule_t hooks_rules[] = {
	{ "post_renew", AR_CONF_STRING, OFF(post_renew), 0, NULL, 0, 0, NULL },
	{ "on_failure", AR_CONF_STRING, OFF(on_failure), 0, NULL, 0, 0, NULL },
	{ "timeout", AR_CONF_DURATION, OFF(hook_timeout), 0, "30s", 100, 600000, NULL },
	AR_CONF_END
};

static const daemon_section_t sections[] = {
	{ "acme", acme_rules, 0, NULL },
	{ "device", device_rules, 0, NULL },
	{ "verifier", verifier_rules, 0, NULL },
	{ "schedule", schedule_rules, 0, NULL },
	{ "hooks", hooks_rules, 0, NULL },
	{ "log", daemon_log_rules, OFF(log), NULL },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static int add_id(helper_conf_t *c, const char *type, const char *value, size_t vlen,
		  ar_err_t *err)
{
	if (c->nids == AR_CSR_MAX_IDS)
		return ar_err_set(err, AR_ERR_CONFIG, "%s: more than %d identifiers",
				  "[device] identifiers", AR_CSR_MAX_IDS);
	if (vlen > AR_ID_VALUE_MAX)
		return ar_err_set(err, AR_ERR_CONFIG, "[device] identifier value longer than %d bytes",
				  AR_ID_VALUE_MAX);
	snprintf(c->ids[c->nids].type, sizeof(c->ids[0].type), "%s", type);
	memcpy(c->ids[c->nids].value, value, vlen);
	c->ids[c->nids].value[vlen] = '\0';
	c->nids++;
	return 0;
}

/* "permanent-identifier:SUB-0042 dns:host.example" */
static int parse_ids(helper_conf_t *c, ar_err_t *err)
{
	const char *p = c->identifiers, *end, *colon;

	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		end = p + strcspn(p, " \t");
		colon = memchr(p, ':', (size_t)(end - p));
		if (!colon || colon == p || colon + 1 == end)
			return ar_err_set(err, AR_ERR_CONFIG, "[device] identifiers: \"%.*s\" is not "
					  "type:value", (int)(end - p > 64 ? 64 : end - p), p);
		if ((size_t)(colon - p) == strlen(AR_ID_DNS) && !strncmp(p, AR_ID_DNS, 3)) {
			if (add_id(c, AR_ID_DNS, colon + 1, (size_t)(end - colon - 1), err) < 0)
				return -1;
		} else if ((size_t)(colon - p) == strlen(AR_ID_PERMANENT) &&
			   !strncmp(p, AR_ID_PERMANENT, strlen(AR_ID_PERMANENT))) {
			if (add_id(c, AR_ID_PERMANENT, colon + 1, (size_t)(end - colon - 1), err) < 0)
				return -1;
		} else {
			return ar_err_set(err, AR_ERR_CONFIG, "[device] identifiers: type \"%.*s\" is "
					  "not dns or permanent-identifier",
					  (int)(colon - p > 32 ? 32 : colon - p), p);
		}
		p = end;
	}
	if (!c->nids)
		return ar_err_set(err, AR_ERR_CONFIG, "[device] identifiers: none given");
	return 0;
}

/* "any os_patch_level" -> remote-attestation identifiers ("" for any); "none" adds none. */
static int parse_hints(helper_conf_t *c, ar_err_t *err)
{
	static const char *const known[] = { "any", "hsm", "measured_boot", "os_patch_level",
					     "sw_manifest", "fido2", NULL };
	char buf[256], *tok, *save = NULL;
	size_t i;

	if (!strcmp(c->attest, "none"))
		return 0;
	if (snprintf(buf, sizeof(buf), "%s", c->attest) >= (int)sizeof(buf))
		return ar_err_set(err, AR_ERR_CONFIG, "[device] attest: too long");
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		for (i = 0; known[i] && strcmp(known[i], tok); i++)
			;
		if (!known[i])
			return ar_err_set(err, AR_ERR_CONFIG, "[device] attest: unknown hint \"%.32s\" "
					  "(none, any, hsm, measured_boot, os_patch_level, "
					  "sw_manifest, fido2)", tok);
		if (add_id(c, AR_ID_ATTESTATION, i ? tok : "", i ? strlen(tok) : 0, err) < 0)
			return -1;
	}
	return 0;
}

static int parse_listen(helper_conf_t *c, ar_err_t *err)
{
	const char *colon;
	char *end;
	long port;

	if (!c->http01_listen)
		return 0;
	colon = strrchr(c->http01_listen, ':');
	if (!colon || colon == c->http01_listen ||
	    (size_t)(colon - c->http01_listen) >= sizeof(c->http01_addr))
		return ar_err_set(err, AR_ERR_CONFIG, "[device] http01_listen: want ADDRESS:PORT");
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return ar_err_set(err, AR_ERR_CONFIG, "[device] http01_listen: bad port");
	memcpy(c->http01_addr, c->http01_listen, (size_t)(colon - c->http01_listen));
	c->http01_addr[colon - c->http01_listen] = '\0';
	c->http01_port = (int)port;
	return 0;
}

/* "0x81010020" (or decimal) into a u32 within [min, max]. */
static int parse_u32(const char *key, const char *text, uint32_t min, uint32_t max, uint32_t *out,
		     ar_err_t *err)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno || end == text || *end || text[0] == '-' || v < min || v > max)
		return ar_err_set(err, AR_ERR_CONFIG, "[device] %s: \"%.32s\" is not a number in "
				  "0x%x..0x%x", key, text, min, max);
	*out = (uint32_t)v;
	return 0;
}

/*
 * key_store = tpm-certified: the handles (persistent range 0x81000000..
 * 0x81ffffff) and the PCR mask; the passport model only (the TPM evidence
 * goes to the verifier as it is, as with `attest --tpm`).
 */
static int parse_tpm(helper_conf_t *c, ar_err_t *err)
{
	if (c->key_store != HELPER_KEY_TPM_CERTIFIED)
		return 0;
	if (parse_u32("tpm_ak_handle", c->tpm_ak, 0x81000000u, 0x81ffffffu, &c->tpm_ak_handle,
		      err) < 0 ||
	    parse_u32("tpm_key_handle", c->tpm_key, 0x81000000u, 0x81ffffffu, &c->tpm_key_handle,
		      err) < 0 ||
	    parse_u32("tpm_srk_handle", c->tpm_srk, 0x81000000u, 0x81ffffffu, &c->tpm_srk_handle,
		      err) < 0 ||
	    parse_u32("tpm_pcrs", c->tpm_pcrs, 0, 0xffffffu, &c->tpm_pcr_mask, err) < 0)
		return -1;
	if (c->tpm_ak_handle == c->tpm_key_handle)
		return ar_err_set(err, AR_ERR_CONFIG, "[device] tpm_key_handle is the AK's handle");
	if (c->tpm_srk_handle == c->tpm_key_handle || c->tpm_srk_handle == c->tpm_ak_handle)
		return ar_err_set(err, AR_ERR_CONFIG, "[device] tpm_srk_handle is the %s handle",
				  c->tpm_srk_handle == c->tpm_key_handle ? "CSR key's" : "AK's");
	if (c->model != HELPER_MODEL_PASSPORT)
		return ar_err_set(err, AR_ERR_CONFIG, "[device] key_store = tpm-certified takes "
				  "model = passport (TPM evidence is not relayed encrypted)");
	return 0;
}

/* Number of main (not remote-attestation) identifiers. */
static size_t helper_conf_main_ids(const helper_conf_t *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->nids; i++)
		n += strcmp(c->ids[i].type, AR_ID_ATTESTATION) != 0;
	return n;
}

int helper_conf_load(const char *path, helper_conf_t *c, ar_err_t *err)
{
	memset(c, 0, sizeof(*c));
	if (daemon_conf_load(path, sections, NSECTIONS, c, err) < 0 || parse_ids(c, err) < 0 ||
	    parse_hints(c, err) < 0 || parse_listen(c, err) < 0 || parse_tpm(c, err) < 0)
		goto fail;
	if (helper_conf_main_ids(c) < c->nids && !c->verifier_url) {
		ar_err_set(err, AR_ERR_CONFIG, "%s: [verifier] url is required unless [device] "
			   "attest = none", path);
		goto fail;
	}
	if (!!c->eab_kid != !!c->eab_hmac_file) {
		ar_err_set(err, AR_ERR_CONFIG, "%s: [acme] eab_kid and eab_hmac_file go together",
			   path);
		goto fail;
	}
	if (c->eab_hmac_file &&
	    daemon_read_secret(c->eab_hmac_file, c->eab_hmac, sizeof(c->eab_hmac), err) < 0)
		goto fail;
	if (c->ari_poll_min > c->ari_poll_max || c->backoff_min > c->backoff_max) {
		ar_err_set(err, AR_ERR_CONFIG, "%s: [schedule] a _min above its _max", path);
		goto fail;
	}
	return 0;
fail:
	helper_conf_free(c);
	return -1;
}

void helper_conf_free(helper_conf_t *c)
{
	daemon_conf_free(sections, NSECTIONS, c);
	OPENSSL_cleanse(c->eab_hmac, sizeof(c->eab_hmac));
}
