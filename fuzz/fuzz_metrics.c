/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: metric cell names as read back from Redis (the module's
 * counters summed in a hash that any Redis user with write access could
 * fill), one per line, added into the RADIUS registry, which is then
 * rendered; and label lookups of the same lines.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "radius_metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ar_metrics_t *m = ar_metrics_new(ar_radius_metric_defs, AR_RM_N, NULL);
	ar_buf_t out = AR_BUF_INIT(1 << 20);
	char *text = malloc(size + 1), *line, *save = NULL;

	if (!m || !text)
		goto out;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		(void)ar_metrics_cell_add(m, line, (uint64_t)strlen(line), NULL);
		(void)ar_metrics_label(m, AR_RM_DECISIONS, 1, line);
	}
	(void)ar_metrics_render(m, &out);
out:
	ar_buf_free(&out);
	free(text);
	ar_metrics_free(m);
	return 0;
}
