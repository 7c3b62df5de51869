/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file linger.h
 * @brief Lingering close: a connection answered before its request was read
 *	  is closed only once the client has stopped sending.
 *
 * Closing a socket that still has unread input makes the kernel answer with
 * a reset, and a client still sending its request then loses the answer
 * waiting for it (RFC 9112 9.6). A socket handed over here has its write
 * side shut at once (the client reads the answer, then end of file); what
 * still arrives is read and dropped until the client closes, @c ms pass or
 * @c max_bytes arrive, whichever comes first, and then it is closed. One
 * thread serves them all with epoll.
 */
#ifndef AR_LINGER_H
#define AR_LINGER_H

#include <stddef.h>

#include "err.h"

typedef struct ar_linger ar_linger_t;

/**
 * Start the lingering thread: at most @p max sockets at once, each for at
 * most @p ms milliseconds and @p max_bytes bytes.
 * @return the lingerer, or NULL with AR_ERR_NOMEM / AR_ERR_IO in @p err.
 */
ar_linger_t *ar_linger_start(unsigned max, unsigned ms, size_t max_bytes, ar_err_t *err);

/**
 * Close @p fd (a connected, non-blocking TCP socket; ownership passes here)
 * once its client is done. When @p max sockets already linger, or the
 * lingerer stops, it is closed at once. Any thread.
 */
void ar_linger_add(ar_linger_t *l, int fd);

/** Stop the thread and close every socket still lingering. NULL is ignored. */
void ar_linger_stop(ar_linger_t *l);

#endif
