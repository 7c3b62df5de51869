/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: every ACME server response acme-rats-helper parses - the
 * directory, an order, an authorization with its challenges, a challenge,
 * renewal information and a problem document - from the same bytes, plus
 * the RFC 3339 reader on a NUL-terminated copy.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acme_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	acme_dir_t *d = malloc(sizeof(*d));
	acme_order_t *o = malloc(sizeof(*o));
	acme_authz_t *a = malloc(sizeof(*a));
	acme_chall_t *c = malloc(sizeof(*c));
	acme_problem_t p;
	acme_ari_t ari;
	char *copy;
	int64_t t;

	if (d && o && a && c) {
		(void)acme_parse_directory(text, size, d, NULL);
		(void)acme_parse_order(text, size, o, NULL);
		(void)acme_parse_authz(text, size, a, NULL);
		(void)acme_parse_chall(text, size, c, NULL);
		(void)acme_parse_ari(text, size, &ari, NULL);
		acme_parse_problem(text, size, 400, &p);
		(void)acme_problem_is(&p, "badNonce");
	}
	if (size < 64 && (copy = malloc(size + 1))) {
		memcpy(copy, data, size);
		copy[size] = '\0';
		(void)acme_parse_time(copy, &t);
		free(copy);
	}
	free(d);
	free(o);
	free(a);
	free(c);
	return 0;
}
