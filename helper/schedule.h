/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file schedule.h
 * @brief When the helper acts next: the daemon's timer arithmetic as one
 *	  pure function, so every case is unit-tested without waiting.
 *
 * The rules, in order:
 * 1. Renewal time: a point inside the ARI suggestedWindow (chosen by the
 *    caller's stable random draw, so it does not move at every look), or
 *    now when the window lies in the past ("renew now"); without ARI, 2/3
 *    of the certificate's lifetime. No certificate, or an expired one:
 *    now.
 * 2. Posture: when the network admits devices only while their posture is
 *    younger than @c fresh, renew (and so re-attest) @c margin before the
 *    last attestation reaches that age.
 * 3. Failures push the time to the end of an exponential backoff with
 *    jitter: base = min(backoff_max, backoff_min * 2^(failures-1)), the
 *    wait is a draw in [base/2, base], and at least one second.
 * 4. An ARI poll due before that renewal time comes first.
 */
#ifndef AR_HELPER_SCHEDULE_H
#define AR_HELPER_SCHEDULE_H

#include <stdint.h>

typedef enum sched_action {
	SCHED_RENEW = 0,	/**< enroll or renew (and re-attest) */
	SCHED_ARI_POLL,		/**< ask the CA for renewal information */
} sched_action_t;

/** What the decision depends on. Times are unix seconds; 0 means unknown. */
typedef struct sched_in {
	int64_t		now;
	int		have_cert;
	int64_t		not_before, not_after;
	int		have_window;		/**< an ARI window is known */
	int64_t		window_start, window_end;
	int64_t		ari_next_poll;		/**< 0: the CA has no ARI */
	int64_t		posture_at;		/**< last successful attestation */
	int64_t		fresh;			/**< seconds; 0: no posture limit */
	int64_t		margin;			/**< seconds */
	unsigned	failures;		/**< consecutive failed attempts */
	int64_t		last_failure;
	int64_t		backoff_min, backoff_max;	/**< seconds */
	uint32_t	draw;			/**< a random number fixed per certificate */
	uint32_t	jitter;			/**< a random number fixed per failure */
} sched_in_t;

typedef struct sched_out {
	sched_action_t	action;
	int64_t		at;		/**< unix seconds (may be <= now: due) */
	const char	*reason;	/**< static text: "no-certificate", "ari-window", ... */
} sched_out_t;

void sched_next(const sched_in_t *in, sched_out_t *out);

/** The backoff after @p failures failures (0 for none), before jitter is applied. */
int64_t sched_backoff(unsigned failures, int64_t min, int64_t max);

/** How long to wait before the next ARI poll: Retry-After within [min, max]. */
int64_t sched_ari_interval(long retry_after, int64_t min, int64_t max);

const char *sched_action_name(sched_action_t a);

#endif
