/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file clock.h
 * @brief The monotonic clock in milliseconds: timeouts, deadlines, durations.
 */
#ifndef AR_CLOCK_H
#define AR_CLOCK_H

#include <stdint.h>
#include <time.h>

/** Milliseconds of CLOCK_MONOTONIC: only differences mean anything. */
static inline int64_t ar_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
