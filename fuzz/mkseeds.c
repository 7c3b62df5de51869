/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes seed inputs for the JOSE fuzz targets: real messages made with the
 * library (flattened and compact JWS, JWKs and a JWK Set, a JWE of evidence,
 * ACME newAccount with External Account Binding, a POST-as-GET).
 *
 *   fuzz/mkseeds DIR      writes DIR/{jws,jwk,jwe,acme_jws,cmw,ear,evidence_jws}/seed-*
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "acme_jws.h"
#include "b64.h"
#include "cmw.h"
#include "ear.h"
#include "evidence_jws.h"
#include "evidence_key.h"
#include "fileio.h"
#include "jwe.h"
#include "jwk.h"
#include "jws.h"

static const char *outdir;

static void put(const char *target, const char *name, const char *text)
{
	char path[512];
	ar_err_t err = { 0 };

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	if (!text || ar_file_write_atomic(path, text, strlen(text), 0644, &err) < 0) {
		fprintf(stderr, "mkseeds: %s: %s\n", path, text ? err.msg : "no message made");
		exit(1);
	}
}

static void put_json(const char *target, const char *name, json_t *json)
{
	char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;

	put(target, name, text);
	free(text);
	json_decref(json);
}

/* header.payload.signature with an arbitrary signature (alg none and the like). */
static char *unsigned_jws(const char *header, const char *payload, const char *sig)
{
	char *h = ar_b64url_encode_alloc(header, strlen(header));
	char *p = ar_b64url_encode_alloc(payload, strlen(payload)), *out = NULL;

	if (h && p && asprintf(&out, "%s.%s.%s", h, p, sig) < 0)
		out = NULL;
	free(h);
	free(p);
	return out;
}

/*
 * Signed evidence (fuzz_evidence_jws): by SUB-0042's enrolled key, as a JWS
 * and in its CMW record; by another key; without typ; alg none; and the
 * CMW record of unsigned evidence.
 */
static void evidence_jws_seeds(const ar_jwk_t *other, const ar_jwk_t *mac)
{
	const char *ev = "{\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"collected_at\":1799999990,"
			 "\"device\":{\"id\":\"" FUZZ_EVIDENCE_DEVICE "\",\"hostname\":\"inspector-7\"},"
			 "\"os\":{\"id\":\"debian\",\"version_id\":\"12\"},"
			 "\"patch\":{\"last_security_update\":1799000000},"
			 "\"disk_encryption\":{\"root_encrypted\":true,\"method\":\"luks\"},"
			 "\"secure_boot\":{\"efi\":true,\"enabled\":true},"
			 "\"key\":{\"storage\":\"tpm\",\"non_exportable\":true,"
			 "\"jkt\":\"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs\"}}";
	ar_jwk_t *id = ar_jwk_parse_text(FUZZ_EVIDENCE_JWK, strlen(FUZZ_EVIDENCE_JWK), 0, NULL);
	char *jws, hdr[256];
	json_t *h;

	if (!id)
		exit(1);
	jws = ar_evidence_sign_text(ev, strlen(ev), id, NULL);
	put("evidence_jws", "seed-signed", jws);
	put_json("evidence_jws", "seed-cmw-record", jws ? ar_evidence_cmw_wrap(jws) : NULL);
	free(jws);
	jws = ar_evidence_sign_text(ev, strlen(ev), other, NULL);
	put("evidence_jws", "seed-signed-by-another-key", jws);
	free(jws);
	h = json_pack("{s:s}", "kid", ar_jwk_thumbprint(id));
	jws = ar_jws_sign_compact(h, ev, strlen(ev), id, NULL);
	put("evidence_jws", "seed-no-typ", jws);
	free(jws);
	json_decref(h);
	h = json_pack("{s:s,s:s}", "typ", AR_EVIDENCE_JWS_TYP, "kid", ar_jwk_thumbprint(id));
	jws = ar_jws_sign_compact(h, ev, strlen(ev), mac, NULL);
	put("evidence_jws", "seed-hs256", jws);
	free(jws);
	json_decref(h);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"none\",\"typ\":\"%s\",\"kid\":\"%s\"}",
		 AR_EVIDENCE_JWS_TYP, ar_jwk_thumbprint(id));
	jws = unsigned_jws(hdr, ev, "");
	put("evidence_jws", "seed-alg-none", jws);
	free(jws);
	put_json("evidence_jws", "seed-cmw-unsigned",
		 ar_cmw_record(AR_MT_EVIDENCE, ev, strlen(ev), AR_CMW_IND_EVIDENCE));
	ar_jwk_free(id);
}

int main(int argc, char **argv)
{
	const char *url = "https://ca.test/acme/new-account";
	const char *evidence = "{\"os_release\":{\"ID\":\"debian\",\"VERSION_ID\":\"12\"}}";
	ar_jwk_t *es256, *es384, *rs256, *ed25519, *mac;
	json_t *hdr, *payload, *set;
	char *text, *compact;

	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	outdir = argv[1];
	es256 = ar_jwk_generate("ES256", NULL);
	es384 = ar_jwk_generate("ES384", NULL);
	rs256 = ar_jwk_generate("RS256", NULL);
	ed25519 = ar_jwk_generate("EdDSA", NULL);
	text = "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}";
	mac = ar_jwk_parse_text(text, strlen(text), AR_JWK_ALLOW_OCT, NULL);
	if (!es256 || !es384 || !rs256 || !ed25519 || !mac)
		return 1;

	put_json("jwk", "seed-es256-private", json_deep_copy(ar_jwk_json(es256)));
	put_json("jwk", "seed-es384-public", ar_jwk_public_json(es384));
	put_json("jwk", "seed-rs256-public", ar_jwk_public_json(rs256));
	put_json("jwk", "seed-oct", json_deep_copy(ar_jwk_json(mac)));
	put_json("jwk", "seed-ed25519-public", ar_jwk_public_json(ed25519));
	set = json_pack("{s:[o,o]}", "keys", ar_jwk_public_json(es256), ar_jwk_public_json(es384));
	json_object_set_new(json_array_get(json_object_get(set, "keys"), 0), "kid", json_string("k1"));
	put_json("jwk", "seed-jwks", set);

	hdr = json_pack("{s:s}", "kid", "verifier-1");
	put_json("jws", "seed-flat-es256", ar_jws_sign(hdr, "{\"a\":1}", 7, es256, NULL));
	compact = ar_jws_sign_compact(hdr, "{\"eat_nonce\":\"abc\"}", 19, es256, NULL);
	put("jws", "seed-compact-es256", compact);
	free(compact);
	compact = ar_jws_sign_compact(NULL, "x", 1, rs256, NULL);
	put("jws", "seed-compact-rs256", compact);
	free(compact);
	put_json("jws", "seed-flat-eddsa", ar_jws_sign(hdr, "{\"a\":1}", 7, ed25519, NULL));
	json_decref(hdr);

	put_json("jwe", "seed-evidence", ar_jwe_encrypt(evidence, strlen(evidence), es256,
							 "application/cmw+json", NULL));

	hdr = json_pack("{s:s,s:s,s:o}", "nonce", "oFvnlFP1wIhRlYS2jTaXbA", "url", url,
			"jwk", ar_jwk_public_json(es256));
	payload = json_pack("{s:b,s:[s],s:o}", "termsOfServiceAgreed", 1,
			    "contact", "mailto:noc@example.net",
			    "externalAccountBinding", ar_acme_eab_sign(es256, "eab-1", mac, url, NULL));
	text = json_dumps(payload, JSON_COMPACT);
	put_json("acme_jws", "seed-new-account-eab", ar_jws_sign(hdr, text, strlen(text), es256, NULL));
	free(text);
	json_decref(payload);
	json_decref(hdr);
	/* The same newAccount by an Ed25519 account key (outer EdDSA, inner HS256). */
	hdr = json_pack("{s:s,s:s,s:o}", "nonce", "oFvnlFP1wIhRlYS2jTaXbA", "url", url,
			"jwk", ar_jwk_public_json(ed25519));
	payload = json_pack("{s:b,s:o}", "termsOfServiceAgreed", 1, "externalAccountBinding",
			    ar_acme_eab_sign(ed25519, "eab-1", mac, url, NULL));
	text = json_dumps(payload, JSON_COMPACT);
	put_json("acme_jws", "seed-new-account-ed25519-eab",
		 ar_jws_sign(hdr, text, strlen(text), ed25519, NULL));
	free(text);
	json_decref(payload);
	json_decref(hdr);
	hdr = json_pack("{s:s,s:s,s:s}", "nonce", "AAAAAAAAAAAAAAAAAAAAAA", "url", url,
			"kid", "https://ca.test/acme/acct/1");
	put_json("acme_jws", "seed-post-as-get", ar_jws_sign(hdr, "", 0, es256, NULL));
	json_decref(hdr);

	{
		ar_ear_t ear = { .profile = AR_EAR_PROFILE_VERAISON, .iat = 1800000000, .nsubmods = 1 };
		json_t *rec, *coll;
		char *jwt;

		snprintf(ear.nonce, sizeof(ear.nonce), "AAAAAAAAAAAAAAAAAAAAAA");
		snprintf(ear.verifier_developer, sizeof(ear.verifier_developer), "acme-rats-verifier");
		snprintf(ear.jkt, sizeof(ear.jkt), "%s", ar_jwk_thumbprint(es384));
		snprintf(ear.submods[0].name, sizeof(ear.submods[0].name), "os");
		ear.submods[0].tv.v[AR_TV_HARDWARE] = 2;
		ear.submods[0].tv.v[AR_TV_EXECUTABLES] = 33;
		jwt = ar_ear_sign(&ear, es256, NULL);
		put("ear", "seed-veraison-jwt", jwt);
		rec = ar_cmw_record(AR_MT_EAR, jwt, strlen(jwt), AR_CMW_IND_RESULTS);
		put_json("cmw", "seed-record-ear", json_incref(rec));
		coll = json_pack("{s:s,s:O,s:{s:o}}", "__cmwc_t", "tag:acme-rats,2026:posture",
				 "ear", rec, "device", "evidence",
				 ar_cmw_record(AR_MT_EVIDENCE, evidence, strlen(evidence),
					       AR_CMW_IND_EVIDENCE));
		put_json("cmw", "seed-collection", coll);
		json_decref(rec);
		free(jwt);
		{
			/* Several results in one collection, one of them with two
			 * submodules and negative (non-standard) tier values, one
			 * typed as a bare EAT that only its ind says is a result,
			 * and one record whose ind contradicts its type. */
			ar_ear_t two = ear;
			char *a, *b;

			two.nsubmods = 2;
			two.submods[1] = two.submods[0];
			snprintf(two.submods[1].name, sizeof(two.submods[1].name), "tpm");
			two.submods[1].tv.v[AR_TV_STORAGE_OPAQUE] = -40;
			two.submods[1].tv.v[AR_TV_CONFIGURATION] = -2;
			snprintf(two.subject, sizeof(two.subject), "SUB-0042");
			a = ar_ear_sign(&two, es256, NULL);
			two.profile = AR_EAR_PROFILE_IETF03;
			b = ar_ear_sign(&two, es256, NULL);
			put("ear", "seed-two-submods-negative-tiers", a);
			coll = json_pack("{s:o,s:o,s:{s:o}}",
					 "os", ar_cmw_record(AR_MT_EAR, a, strlen(a), AR_CMW_IND_RESULTS),
					 "fw", ar_cmw_record(AR_MT_EAR_IETF, b, strlen(b), 12),
					 "tpm", "ear", ar_cmw_record("application/eat+jwt", a, strlen(a),
								     AR_CMW_IND_RESULTS));
			put_json("cmw", "seed-collection-several-ears", coll);
			put_json("cmw", "seed-record-ind-contradicts-type",
				 ar_cmw_record(AR_MT_EAR, b, strlen(b), AR_CMW_IND_EVIDENCE));
			free(a);
			free(b);
		}
		{
			json_t *j;
			ar_jws_t jws;

			jwt = ar_ear_sign(&ear, es256, NULL);
			if (ar_jws_parse_compact(jwt, strlen(jwt), 16384, &jws, NULL) == 0) {
				put("ear", "seed-veraison-claims", (const char *)jws.payload);
				ar_jws_clear(&jws);
			}
			free(jwt);
			ear.profile = AR_EAR_PROFILE_IETF03;
			jwt = ar_ear_sign(&ear, es256, NULL);
			if (ar_jws_parse_compact(jwt, strlen(jwt), 16384, &jws, NULL) == 0) {
				j = json_loadb((const char *)jws.payload, jws.payload_len, 0, NULL);
				put_json("ear", "seed-ietf-claims", j);
				ar_jws_clear(&jws);
			}
			free(jwt);
		}
	}

	evidence_jws_seeds(es256, mac);
	ar_jwk_free(es256);
	ar_jwk_free(es384);
	ar_jwk_free(rs256);
	ar_jwk_free(ed25519);
	ar_jwk_free(mac);
	return 0;
}
