/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Deadlines on connections: one thread cuts those past theirs (deadline.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "deadline.h"
#include "log.h"

struct ar_deadlines {
	pthread_mutex_t	lock;
	pthread_cond_t	wake;
	ar_deadline_t	*head;
	pthread_t	thread;
	int		stopping;
	uint64_t	cut;
};

void ar_deadline_set(ar_deadline_t *e, int64_t at_ms)
{
	__atomic_store_n(&e->at_ms, at_ms, __ATOMIC_RELAXED);
}

/* Under the lock: cut every connection past its deadline. */
static void sweep(ar_deadlines_t *d, int64_t now)
{
	ar_deadline_t *e;
	int64_t at;

	for (e = d->head; e; e = e->next) {
		at = __atomic_load_n(&e->at_ms, __ATOMIC_RELAXED);
		if (!at || now < at)
			continue;
		ar_deadline_set(e, 0);
		/* the descriptor stays libmicrohttpd's: its next read fails */
		shutdown(e->fd, SHUT_RDWR);
		d->cut++;
		ar_info("event=http.cut peer=%s reason=\"request not complete in time\"", e->peer);
	}
}

static void *watch(void *arg)
{
	ar_deadlines_t *d = arg;
	struct timespec until;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += AR_DEADLINE_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->wake, &d->lock, &until);
		if (!d->stopping)
			sweep(d, ar_mono_ms());
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

ar_deadlines_t *ar_deadlines_start(ar_err_t *err)
{
	ar_deadlines_t *d = calloc(1, sizeof(*d));

	if (!d) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	if (pthread_create(&d->thread, NULL, watch, d) != 0) {
		pthread_cond_destroy(&d->wake);
		pthread_mutex_destroy(&d->lock);
		free(d);
		ar_err_set(err, AR_ERR_IO, "cannot start the deadline thread");
		return NULL;
	}
	return d;
}

void ar_deadlines_add(ar_deadlines_t *d, ar_deadline_t *e)
{
	pthread_mutex_lock(&d->lock);
	e->prev = NULL;
	e->next = d->head;
	if (d->head)
		d->head->prev = e;
	d->head = e;
	pthread_mutex_unlock(&d->lock);
}

void ar_deadlines_remove(ar_deadlines_t *d, ar_deadline_t *e)
{
	pthread_mutex_lock(&d->lock);
	if (e->prev)
		e->prev->next = e->next;
	else if (d->head == e)
		d->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
	pthread_mutex_unlock(&d->lock);
}

uint64_t ar_deadlines_cut(ar_deadlines_t *d)
{
	uint64_t n;

	pthread_mutex_lock(&d->lock);
	n = d->cut;
	pthread_mutex_unlock(&d->lock);
	return n;
}

void ar_deadlines_stop(ar_deadlines_t *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
