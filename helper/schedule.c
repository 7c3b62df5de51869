/* SPDX-License-Identifier: GPL-2.0-or-later */
/* When the helper acts next, as one pure function (schedule.h). */
#include "config.h"

#include "schedule.h"

/* Default ARI polling interval when the CA sends no Retry-After (RFC 9773 4.3.2: 6 hours). */
#define ARI_DEFAULT_RETRY	(6 * 3600)

const char *sched_action_name(sched_action_t a)
{
	return a == SCHED_ARI_POLL ? "ari-poll" : "renew";
}

int64_t sched_backoff(unsigned failures, int64_t min, int64_t max)
{
	int64_t d = min;
	unsigned i;

	if (!failures)
		return 0;
	for (i = 1; i < failures && d < max; i++)
		d *= 2;
	return d < max ? d : max;
}

int64_t sched_ari_interval(long retry_after, int64_t min, int64_t max)
{
	int64_t d = retry_after >= 0 ? retry_after : ARI_DEFAULT_RETRY;

	return d < min ? min : d > max ? max : d;
}

/* Rule 1: when the certificate itself asks to be renewed. */
static void renewal_time(const sched_in_t *in, sched_out_t *out)
{
	int64_t span;

	if (!in->have_cert) {
		out->at = in->now;
		out->reason = "no-certificate";
	} else if (in->not_after <= in->now) {
		out->at = in->now;
		out->reason = "expired";
	} else if (in->have_window && in->window_end <= in->now) {
		out->at = in->now;
		out->reason = "ari-renew-now";
	} else if (in->have_window) {
		/* Strictly before the end: acting on time is still inside the window. */
		span = in->window_end - in->window_start;
		out->at = in->window_start + (span > 0 ? (int64_t)(in->draw % (uint64_t)span) : 0);
		out->reason = "ari-window";
	} else {
		out->at = in->not_before + 2 * (in->not_after - in->not_before) / 3;
		out->reason = "two-thirds-lifetime";
	}
}

void sched_next(const sched_in_t *in, sched_out_t *out)
{
	int64_t t, base;

	out->action = SCHED_RENEW;
	renewal_time(in, out);
	/* Rule 2: posture must not go stale on the network. */
	if (in->have_cert && in->fresh > 0 && in->posture_at > 0) {
		t = in->posture_at + in->fresh - in->margin;
		if (t < out->at) {
			out->at = t;
			out->reason = "posture-freshness";
		}
	}
	/* Rule 3: never hammer the CA after failures. */
	if (in->failures) {
		base = sched_backoff(in->failures, in->backoff_min, in->backoff_max);
		t = base / 2 + (int64_t)(in->jitter % (uint64_t)(base / 2 + 1));
		t = in->last_failure + (t < 1 ? 1 : t);
		if (t > out->at) {
			out->at = t;
			out->reason = "backoff";
		}
	}
	/* Rule 4: hear "renew now" in time. */
	if (in->have_cert && in->ari_next_poll > 0 && in->ari_next_poll < out->at &&
	    out->at > in->now) {
		out->action = SCHED_ARI_POLL;
		out->at = in->ari_next_poll;
		out->reason = "ari-poll";
	}
}
