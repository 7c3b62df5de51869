/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EAR verify + appraise throughput on one core: what the CA spends on each
 * remote-attest-01 challenge in the passport model.
 *
 *   bench/ear_verify [SECONDS]    prints "ear_verify_appraise_per_s=N"
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ear.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 3.0, t0, el;
	ar_jwk_t *vkey, *device;
	ar_ear_policy_t policy;
	ar_ear_expect_t expect;
	ar_appraisal_t a;
	ar_ear_t ear, out;
	ar_jwks_t *trusted;
	json_t *json, *set;
	unsigned long n = 0;
	char *jwt;

	if (seconds <= 0 || seconds > 600)
		seconds = 3.0;
	vkey = ar_jwk_generate("ES256", NULL);
	device = ar_jwk_generate("ES256", NULL);
	json = json_deep_copy(ar_jwk_json(vkey));
	json_object_set_new(json, "kid", json_string("v1"));
	ar_jwk_free(vkey);
	vkey = ar_jwk_parse(json, 0, NULL);
	set = json_pack("{s:[o]}", "keys", ar_jwk_public_json(vkey));
	trusted = ar_jwks_parse(set, AR_JWK_PUBLIC_ONLY, NULL);

	memset(&ear, 0, sizeof(ear));
	ear.iat = time(NULL);
	snprintf(ear.nonce, sizeof(ear.nonce), "3q2-7wAAAAAAAAAAAAAAAQ");
	snprintf(ear.verifier_developer, sizeof(ear.verifier_developer), "acme-rats-verifier");
	snprintf(ear.jkt, sizeof(ear.jkt), "%s", ar_jwk_thumbprint(device));
	ear.nsubmods = 1;
	snprintf(ear.submods[0].name, sizeof(ear.submods[0].name), "device");
	ear.submods[0].tv.v[AR_TV_INSTANCE_IDENTITY] = 2;
	ear.submods[0].tv.v[AR_TV_EXECUTABLES] = 2;
	ear.submods[0].tv.v[AR_TV_HARDWARE] = 2;
	jwt = ar_ear_sign(&ear, vkey, NULL);
	if (!jwt || !trusted)
		return 1;

	ar_ear_policy_init(&policy);
	policy.claim_min[AR_TV_HARDWARE] = AR_STATUS_AFFIRMING;
	expect.nonce = ear.nonce;
	expect.jkt = ear.jkt;
	t0 = now_s();
	do {
		int i;

		for (i = 0; i < 100; i++) {
			if (ar_ear_verify(jwt, strlen(jwt), trusted, &out, NULL) < 0)
				return 1;
			expect.now = out.iat;
			ar_ear_appraise(&out, &policy, &expect, &a);
			if (!a.acceptable)
				return 1;
		}
		n += 100;
		el = now_s() - t0;
	} while (el < seconds);

	printf("ear_verify_appraise_per_s=%.0f iterations=%lu seconds=%.2f\n", (double)n / el, n, el);
	free(jwt);
	json_decref(json);
	json_decref(set);
	ar_jwks_free(trusted);
	ar_jwk_free(vkey);
	ar_jwk_free(device);
	return 0;
}
