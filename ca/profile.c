/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Certificate profiles: [profile "name"] sections of ca.conf. A profile says
 * how long certificates live, which identifier types an account may order,
 * which remote-attestation hints the CA challenges (whatever the client
 * offered), and how attestation results are appraised.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "fileio.h"
#include "json.h"

#define OFF(f) offsetof(ca_profile_t, f)

static const ar_conf_rule_t profile_rules[] = {
	{ "lifetime", AR_CONF_DURATION, OFF(lifetime), 0, "8h", 60000, 7 * 86400000LL, NULL },
	{ "max_lifetime", AR_CONF_DURATION, OFF(max_lifetime), 0, "24h", 60000, 7 * 86400000LL, NULL },
	{ "identifiers", AR_CONF_STRING, OFF(identifiers), 0, "permanent-identifier", 0, 0, NULL },
	{ "attest", AR_CONF_STRING, OFF(attest), 0, "any", 0, 0, NULL },
	{ "policy", AR_CONF_STRING, OFF(policy), 0, NULL, 0, 0, NULL },
	{ "verifier_keys", AR_CONF_STRING, OFF(verifier_keys), 0, NULL, 0, 0, NULL },
	{ "verifier_url", AR_CONF_STRING, OFF(verifier_url), 0, NULL, 0, 0, NULL },
	{ "verifier_ca", AR_CONF_STRING, OFF(verifier_ca), 0, NULL, 0, 0, NULL },
	{ "claims_hint", AR_CONF_STRING, OFF(claims_hint), 0, NULL, 0, 0, NULL },
	{ "server_auth", AR_CONF_BOOL, OFF(server_auth), 0, "no", 0, 0, NULL },
	{ "posture_fresh", AR_CONF_DURATION, OFF(posture_fresh), 0, "0", 0, 7 * 86400000LL, NULL },
	/*
	 * The AR4SI claims each remote-attestation hint requires in the
	 * affirming tier (docs/ca.md), chosen after what acme-rats-verifier
	 * asserts for each of its checks (docs/verifier.md).
	 */
	{ "hint_any", AR_CONF_STRING, OFF(hint_claims[HINT_ANY]), 0, "none", 0, 0, NULL },
	{ "hint_hsm", AR_CONF_STRING, OFF(hint_claims[HINT_HSM]), 0, "storage-opaque", 0, 0, NULL },
	{ "hint_measured_boot", AR_CONF_STRING, OFF(hint_claims[HINT_MEASURED_BOOT]), 0,
	  "executables", 0, 0, NULL },
	{ "hint_os_patch_level", AR_CONF_STRING, OFF(hint_claims[HINT_OS_PATCH_LEVEL]), 0,
	  "configuration", 0, 0, NULL },
	{ "hint_sw_manifest", AR_CONF_STRING, OFF(hint_claims[HINT_SW_MANIFEST]), 0,
	  "executables file-system", 0, 0, NULL },
	{ "hint_fido2", AR_CONF_STRING, OFF(hint_claims[HINT_FIDO2]), 0,
	  "instance-identity hardware", 0, 0, NULL },
	AR_CONF_END
};

static const char *const hint_names[HINT_COUNT] = {
	[HINT_ANY] = "", [HINT_HSM] = "hsm", [HINT_MEASURED_BOOT] = "measured_boot",
	[HINT_OS_PATCH_LEVEL] = "os_patch_level", [HINT_SW_MANIFEST] = "sw_manifest",
	[HINT_FIDO2] = "fido2",
};

const char *ca_hint_name(enum ca_hint h)
{
	return (unsigned)h < HINT_COUNT ? hint_names[h] : "?";
}

int ca_hint_parse(const char *v)
{
	int i;

	if (!strcmp(v, "measured-boot"))	/* the draft's examples spell it so */
		return HINT_MEASURED_BOOT;
	for (i = 0; i < HINT_COUNT; i++)
		if (!strcmp(v, hint_names[i]))
			return i;
	return -1;
}

/* Space-separated words of @list, each checked by @one into a bit mask. */
static int word_mask(const ar_conf_section_t *s, const char *key, const char *list,
		     int (*one)(const char *), unsigned *mask, ar_err_t *err)
{
	char word[64];
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, " \t");
		int bit;

		if (n && n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
			bit = one(word);
			if (bit < 0)
				return ar_conf_error(s, key, err, "%s: unknown value \"%s\"", key, word);
			*mask |= 1u << bit;
		} else if (n) {
			return ar_conf_error(s, key, err, "%s: value too long", key);
		}
		p += n + strspn(p + n, " \t");
	}
	return 0;
}

static int id_type(const char *w)
{
	return !strcmp(w, "dns") ? 0 : !strcmp(w, "permanent-identifier") ? 1 : -1;
}

static int hint_word(const char *w)
{
	if (!strcmp(w, "none"))
		return 31;		/* marker, cleared below */
	return !strcmp(w, "any") ? HINT_ANY : ca_hint_parse(w) > 0 ? ca_hint_parse(w) : -1;
}

static int claim_word(const char *w)
{
	ar_tv_claim_t c;

	if (!strcmp(w, "none"))
		return 31;		/* marker, cleared below */
	return ar_tv_claim_parse(w, &c) == 0 ? (int)c : -1;
}

/* hint_<name> = AR4SI claims, or "none": what a hint needs affirmed. */
static int bind_hint_claims(const ar_conf_section_t *s, ca_profile_t *p, ar_err_t *err)
{
	char key[40];
	int h;

	for (h = 0; h < HINT_COUNT; h++) {
		snprintf(key, sizeof(key), "hint_%s", h == HINT_ANY ? "any" : ca_hint_name(h));
		if (word_mask(s, key, p->hint_claims[h], claim_word, &p->hint_require[h], err) < 0)
			return -1;
		if (p->hint_require[h] & (1u << 31)) {
			if (p->hint_require[h] != (1u << 31))
				return ar_conf_error(s, key, err, "%s: \"none\" cannot be combined with "
						     "claims", key);
			p->hint_require[h] = 0;
		}
	}
	return 0;
}

static int load_policy(const ar_conf_section_t *s, ca_profile_t *p, ar_err_t *err)
{
	json_t *json;
	size_t len;
	char *text;
	int rc;

	ar_ear_policy_init(&p->ear_policy);
	if (!p->policy)
		return 0;
	if (ar_file_read(p->policy, 1 << 20, &text, &len, err) < 0)
		return ar_conf_error(s, "policy", err, "%s", err->msg);
	json = ar_json_load(text, len, 1 << 20, p->policy, err);
	free(text);
	if (!json)
		return ar_conf_error(s, "policy", err, "%s", err->msg);
	rc = ar_ear_policy_from_json(json, &p->ear_policy, err);
	json_decref(json);
	return rc < 0 ? ar_conf_error(s, "policy", err, "%s", err->msg) : 0;
}

int ca_profile_bind(void *base, const ar_conf_section_t *s, ar_err_t *err)
{
	ca_conf_t *c = base;
	ca_profile_t *grown, *p;

	grown = realloc(c->profiles, (c->nprofiles + 1) * sizeof(*c->profiles));
	if (!grown)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	c->profiles = grown;
	p = &c->profiles[c->nprofiles];
	memset(p, 0, sizeof(*p));
	p->name = strdup(ar_conf_section_name(s));
	c->nprofiles++;
	if (!p->name)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	if (ar_conf_bind(s, profile_rules, p, err) < 0 ||
	    word_mask(s, "identifiers", p->identifiers, id_type, &p->types, err) < 0 ||
	    word_mask(s, "attest", p->attest, hint_word, &p->hints, err) < 0 ||
	    bind_hint_claims(s, p, err) < 0)
		return -1;
	if (p->hints & (1u << 31)) {
		if (p->hints != (1u << 31))
			return ar_conf_error(s, "attest", err, "\"none\" cannot be combined with hints");
		p->hints = 0;
	}
	if (!p->types)
		return ar_conf_error(s, "identifiers", err, "no identifier type allowed");
	if (p->lifetime > p->max_lifetime)
		return ar_conf_error(s, "lifetime", err, "lifetime exceeds max_lifetime");
	if (p->hints && !p->verifier_keys)
		return ar_conf_error(s, NULL, err, "an attesting profile needs verifier_keys");
	if (p->verifier_keys) {
		p->trusted = ar_jwks_load(p->verifier_keys, AR_JWK_PUBLIC_ONLY, err);
		if (!p->trusted)
			return ar_conf_error(s, "verifier_keys", err, "%s", err->msg);
	}
	return load_policy(s, p, err);
}

void ca_profiles_free(ca_conf_t *c)
{
	size_t i;

	for (i = 0; i < c->nprofiles; i++) {
		ar_conf_unbind(profile_rules, &c->profiles[i]);
		ar_jwks_free(c->profiles[i].trusted);
		free(c->profiles[i].name);
	}
	free(c->profiles);
	c->profiles = NULL;
	c->nprofiles = 0;
}

const ca_profile_t *ca_profile_find(const ca_t *ca, const char *name)
{
	size_t i;

	for (i = 0; name && i < ca->conf.nprofiles; i++)
		if (!strcmp(ca->conf.profiles[i].name, name))
			return &ca->conf.profiles[i];
	return NULL;
}

const ca_profile_t *ca_account_profile(const ca_t *ca, const json_t *account)
{
	const ca_eab_t *eab = ca_eab_find(ca, json_string_value(json_object_get(account, "eab")));

	if (eab && eab->profile)
		return eab->profile;
	return ca_profile_find(ca, ca->conf.default_profile);
}
