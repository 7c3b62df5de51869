/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file deadline.h
 * @brief Deadlines on connections: a request that is not in within its
 *	  time is cut, however slowly its bytes keep coming.
 *
 * libmicrohttpd's connection timeout is an idle timeout: each byte restarts
 * it, so a client sending one byte every few seconds holds its connection
 * (and, with a few addresses, every slot) for as long as it likes. Here a
 * connection carries a deadline that the HTTP layer sets per phase (the TLS
 * handshake and header section, then the body); one thread looks every
 * AR_DEADLINE_TICK_MS and shuts down (shutdown(2), not close) the socket
 * of a connection past its deadline, so libmicrohttpd's next read fails
 * and it closes the connection the usual way.
 */
#ifndef AR_DEADLINE_H
#define AR_DEADLINE_H

#include <stdint.h>

#include "clock.h"
#include "err.h"

/** How often deadlines are looked at (ms): the precision of a cut. */
#define AR_DEADLINE_TICK_MS	250

typedef struct ar_deadlines ar_deadlines_t;

/** One connection's deadline; owned by the caller, linked while added. */
typedef struct ar_deadline {
	int			fd;
	int64_t			at_ms;		/**< ar_mono_ms() time; 0: none (atomic) */
	char			peer[48];	/**< for the log line */
	struct ar_deadline	*prev, *next;
} ar_deadline_t;

/** Start the watching thread. NULL with AR_ERR_NOMEM / AR_ERR_IO. */
ar_deadlines_t *ar_deadlines_start(ar_err_t *err);

/** Watch @p e (its fd, peer and at_ms set), until ar_deadlines_remove(). Any thread. */
void ar_deadlines_add(ar_deadlines_t *d, ar_deadline_t *e);

/** Set (or clear, with 0) the deadline of a watched connection. Any thread, lock-free. */
void ar_deadline_set(ar_deadline_t *e, int64_t at_ms);

/** Stop watching @p e; after it returns, its socket is never touched again. */
void ar_deadlines_remove(ar_deadlines_t *d, ar_deadline_t *e);

/** Connections cut so far. */
uint64_t ar_deadlines_cut(ar_deadlines_t *d);

/** Stop the thread. NULL is ignored. Every connection must have been removed. */
void ar_deadlines_stop(ar_deadlines_t *d);

#endif
