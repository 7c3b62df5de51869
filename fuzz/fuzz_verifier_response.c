/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: what acme-rats-helper reads from a verifier - the newSession
 * body, the session Location header, the CMW that carries the EAR (and the
 * EAR's claims, decoded without a signature check), problem documents.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verifier_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char out[VP_URL_MAX], line[256], *copy, *jwt;
	vp_session_t s;
	ar_ear_t ear;

	if (vp_parse_session(text, size, &s, NULL) == 0)
		(void)vp_session_accepts(&s, "application/vnd.acme-rats.evidence+json");
	if (vp_parse_result(VP_MT_CMW, text, size, &jwt, NULL) == 0) {
		(void)vp_ear_peek(jwt, strlen(jwt), &ear, NULL);
		free(jwt);
	}
	(void)vp_ear_peek(text, size, &ear, NULL);
	vp_problem_text(VP_MT_PROBLEM, text, size, line, sizeof(line));

	/* Header values are NUL-terminated strings. */
	copy = strndup(text, size < 4096 ? size : 4096);
	if (copy) {
		(void)vp_resolve_location("https://verifier.test:8443", copy, out, sizeof(out), NULL);
		(void)vp_base_url(copy, out, sizeof(out), NULL);
		(void)vp_media_type_is(copy, VP_MT_CMW);
		free(copy);
	}
	return 0;
}
