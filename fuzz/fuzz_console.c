/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the web console's parsers. The first byte picks one: 0 the
 * Cookie header (console_cookie_value), 1 the Last-Event-ID header
 * (console_event_id_parse), 2 a users file (cu_parse); the rest is the
 * input. What they return is checked against what they promise: a cookie
 * value fits and holds no separator, an event id is digits-dash-digits, a
 * user has a valid name and an scrypt hash.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "console_users.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cookie(const char *s)
{
	char out[45];
	size_t n = console_cookie_value(s, "ar_console", out, sizeof(out));

	if (n != strlen(out) || n >= sizeof(out) || strpbrk(out, "; \t"))
		abort();
}

static void event_id(const char *s)
{
	char out[48];
	int ok = console_event_id_parse(s, out, sizeof(out));
	size_t d;

	if (!ok) {
		if (out[0])
			abort();
		return;
	}
	d = strspn(out, "0123456789");
	if (strcmp(out, s) || d < 1 || out[d] != '-' || strspn(out + d + 1, "0123456789") !=
	    strlen(out + d + 1) || !out[d + 1])
		abort();
}

static void users(const char *s, size_t len)
{
	cu_user_t *u = NULL;
	size_t n = 0, i;

	if (cu_parse(s, len, &u, &n, NULL) < 0) {
		if (u || n)
			abort();
		return;
	}
	for (i = 0; i < n; i++)
		if (cu_name_valid(u[i].name, NULL) < 0 || strncmp(u[i].hash, "$scrypt$", 8) ||
		    u[i].role > CU_ADMIN)
			abort();
	free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > 65536)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0: cookie(s); break;
	case 1: event_id(s); break;
	default: users(s, size - 1); break;
	}
	free(s);
	return 0;
}
