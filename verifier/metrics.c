/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verifier's metrics (GET /metrics): appraisals by the status of the
 * EAR it signed, and the store's Redis errors and failovers. */
#include "config.h"

#include "verifier.h"

static const char *const statuses[] = { "affirming", "warning", "contraindicated", "none",
					 "other", NULL };

static const ar_metric_def_t defs[VERIFIER_M_N] = {
	[VERIFIER_M_APPRAISALS] = { "acme_rats_appraisals_total", AR_METRIC_COUNTER,
		"Evidence appraised and answered with a signed EAR, by the EAR's status (after "
		"the SOC's verdict capped it).", { "status" }, { statuses }, NULL, 0 },
};

int verifier_metrics_init(verifier_t *v, ar_err_t *err)
{
	v->metrics = ar_metrics_new(defs, VERIFIER_M_N, err);
	return v->metrics ? 0 : -1;
}

void verifier_metrics_appraisal(verifier_t *v, ar_status_t status)
{
	ar_metrics_inc(v->metrics, VERIFIER_M_APPRAISALS,
		       ar_metrics_label(v->metrics, VERIFIER_M_APPRAISALS, 0, ar_status_name(status)),
		       0);
}

int verifier_metrics_render(void *ctx, ar_buf_t *out)
{
	verifier_t *v = ctx;

	if (ar_metrics_render(v->metrics, out) != AR_OK ||
	    ar_metrics_render(v->stores.metrics, out) != AR_OK)
		return -1;
	return 0;
}
