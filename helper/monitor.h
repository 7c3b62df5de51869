/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file monitor.h
 * @brief The contract between the daemon's two images: the worker
 *	  (`acme-rats-helper run --once`, helper/run.c) and the waiting
 *	  image (acme-rats-helper-monitor, helper/monitor.c), which exec
 *	  each other in one process.
 *
 * The monitor execs the worker as
 *
 *     acme-rats-helper run --once|--check -c /proc/self/fd/N [-v] --resume -- WORDS...
 *
 * and the worker, done, execs the monitor with WORDS followed by its
 * result: `next=UNIXTIME` (run --once again then), `failed=1` (it could
 * not decide: the monitor retries with a backoff), `checked=ok level=N`
 * or `checked=failed` (after --check).
 */
#ifndef AR_HELPER_MONITOR_H
#define AR_HELPER_MONITOR_H

/** The configuration in force: a sealed memory file, open across exec(). */
#define MONITOR_FD_CONF		4
/** A configuration being checked after SIGHUP. */
#define MONITOR_FD_NEWCONF	5

/** Where the monitor is installed; ACME_RATS_HELPER_MONITOR overrides (tests, packaging). */
#define MONITOR_PATH		PKGLIBEXECDIR "/acme-rats-helper-monitor"

#endif
