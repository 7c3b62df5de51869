/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ACME object status: one table from enum to RFC 8555 name and back.
 */
#include "config.h"

#include <string.h>

#include "acme_status.h"

static const char *const status_names[ACME_STATUS_COUNT] = {
	[ACME_PENDING] = "pending",
	[ACME_READY] = "ready",
	[ACME_PROCESSING] = "processing",
	[ACME_VALID] = "valid",
	[ACME_INVALID] = "invalid",
	[ACME_DEACTIVATED] = "deactivated",
	[ACME_EXPIRED] = "expired",
	[ACME_REVOKED] = "revoked",
};

const char *acme_status_name(acme_status_t s)
{
	return (unsigned)s < ACME_STATUS_COUNT ? status_names[s] : "?";
}

int acme_status_parse(const char *name, acme_status_t *out)
{
	unsigned i;

	for (i = 0; name && i < ACME_STATUS_COUNT; i++)
		if (!strcmp(name, status_names[i])) {
			*out = (acme_status_t)i;
			return 0;
		}
	return -1;
}

int acme_status_of(const json_t *obj, acme_status_t *out)
{
	return acme_status_parse(json_string_value(json_object_get(obj, "status")), out);
}
