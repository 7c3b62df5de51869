/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The console's parsers of request header values (parse.h). */
#include "config.h"

#include <string.h>

#include "parse.h"

size_t console_cookie_value(const char *header, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name), n;
	const char *p = header;

	if (size)
		out[0] = '\0';
	while (p && *p) {
		p += strspn(p, " \t");
		if (!strncmp(p, name, nlen) && p[nlen] == '=') {
			p += nlen + 1;
			n = strcspn(p, "; \t");
			if (n >= size)
				return 0;
			memcpy(out, p, n);
			out[n] = '\0';
			return n;
		}
		p += strcspn(p, ";");
		p += *p == ';';
	}
	return 0;
}

int console_event_id_parse(const char *v, char *out, size_t size)
{
	size_t d1, d2;

	if (size)
		out[0] = '\0';
	if (!v)
		return 0;
	d1 = strspn(v, "0123456789");
	if (d1 < 1 || d1 > 20 || v[d1] != '-')
		return 0;
	d2 = strspn(v + d1 + 1, "0123456789");
	if (d2 < 1 || d2 > 20 || v[d1 + 1 + d2] || d1 + 1 + d2 >= size)
		return 0;
	memcpy(out, v, d1 + 1 + d2 + 1);
	return 1;
}
