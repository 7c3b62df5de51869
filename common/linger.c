/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Lingering close of answered connections whose client is still sending (linger.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "linger.h"
#include "log.h"

/* epoll data of the wake-up eventfd; sockets carry their slot index. */
#define WAKE_ID		UINT32_MAX
/* Bytes read from one socket per wake-up, so that one cannot starve the rest. */
#define READ_BURST	(256 * 1024)

/*
 * The sockets wait in a ring in the order they came, which is the order of
 * their deadlines (all linger equally long). One that finishes early is
 * closed and leaves a hole (fd -1) that the head steps over.
 */
typedef struct slot {
	int		fd;
	int64_t		deadline;	/* monotonic ms */
	size_t		bytes;		/* read and dropped so far */
} slot_t;

struct ar_linger {
	pthread_t	thread;
	int		started;
	int		epfd;
	int		wake;
	unsigned	ms;
	size_t		max_bytes;

	pthread_mutex_t	lock;		/* the ring, stopping */
	slot_t		*ring;
	unsigned	max, head, count;
	int		stopping;
};

static void slot_close(slot_t *s)
{
	if (s->fd < 0)
		return;
	close(s->fd);		/* the last descriptor: it leaves the epoll set */
	s->fd = -1;
}

/* Read and drop what is there; close at end of file, error or the byte cap. */
static void drain(ar_linger_t *l, slot_t *s)
{
	char buf[16384];
	size_t burst = 0;
	ssize_t n;

	while (burst < READ_BURST) {
		n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			slot_close(s);
			return;
		}
		burst += (size_t)n;
		s->bytes += (size_t)n;
		if (s->bytes >= l->max_bytes) {
			ar_debug("event=http.linger.cap bytes=%zu", s->bytes);
			slot_close(s);
			return;
		}
	}
}

/* Drop the head while it is a hole or its time is up. Lock held. */
static void expire(ar_linger_t *l, int64_t now)
{
	while (l->count) {
		slot_t *s = &l->ring[l->head];

		if (s->fd >= 0 && s->deadline > now)
			return;
		slot_close(s);
		l->head = (l->head + 1) % l->max;
		l->count--;
	}
}

static void *linger_main(void *arg)
{
	ar_linger_t *l = arg;
	struct epoll_event ev[32];
	int i, n, timeout;

	for (;;) {
		pthread_mutex_lock(&l->lock);
		expire(l, ar_mono_ms());
		if (l->stopping) {
			pthread_mutex_unlock(&l->lock);
			return NULL;
		}
		timeout = -1;
		if (l->count) {
			int64_t wait = l->ring[l->head].deadline - ar_mono_ms();

			timeout = wait < 0 ? 0 : (int)wait;
		}
		pthread_mutex_unlock(&l->lock);

		n = epoll_wait(l->epfd, ev, (int)(sizeof(ev) / sizeof(ev[0])), timeout);
		pthread_mutex_lock(&l->lock);
		for (i = 0; i < n; i++) {
			uint64_t v;

			if (ev[i].data.u32 == WAKE_ID) {
				if (read(l->wake, &v, sizeof(v)) < 0)
					v = 0;	/* nothing to reset */
				continue;
			}
			if (ev[i].data.u32 < l->max && l->ring[ev[i].data.u32].fd >= 0)
				drain(l, &l->ring[ev[i].data.u32]);
		}
		pthread_mutex_unlock(&l->lock);
	}
}

ar_linger_t *ar_linger_start(unsigned max, unsigned ms, size_t max_bytes, ar_err_t *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = WAKE_ID };
	ar_linger_t *l = calloc(1, sizeof(*l));

	if (!l || !max || !(l->ring = calloc(max, sizeof(*l->ring)))) {
		free(l);
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&l->lock, NULL);
	l->max = max;
	l->ms = ms;
	l->max_bytes = max_bytes;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd < 0 || l->wake < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wake, &ev) < 0) {
		ar_err_set(err, AR_ERR_IO, "cannot set up lingering close: %s", strerror(errno));
		goto error;
	}
	if (pthread_create(&l->thread, NULL, linger_main, l) != 0) {
		ar_err_set(err, AR_ERR_NOMEM, "cannot start the lingering-close thread");
		goto error;
	}
	l->started = 1;
	return l;
error:
	ar_linger_stop(l);
	return NULL;
}

static void wake(ar_linger_t *l)
{
	uint64_t one = 1;

	if (write(l->wake, &one, sizeof(one)) < 0)
		return;		/* the counter is full: a wake-up is pending anyway */
}

void ar_linger_add(ar_linger_t *l, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	slot_t *s;
	unsigned i;
	int first;

	pthread_mutex_lock(&l->lock);
	if (l->stopping || l->count == l->max) {
		pthread_mutex_unlock(&l->lock);
		ar_debug("event=http.linger.full max=%u", l->max);
		close(fd);
		return;
	}
	i = (l->head + l->count) % l->max;
	s = &l->ring[i];
	s->fd = fd;
	s->deadline = ar_mono_ms() + l->ms;
	s->bytes = 0;
	ev.data.u32 = i;
	/* The answer is out: end of file follows it. */
	shutdown(fd, SHUT_WR);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		pthread_mutex_unlock(&l->lock);
		s->fd = -1;
		close(fd);
		return;
	}
	first = ++l->count == 1;
	pthread_mutex_unlock(&l->lock);
	if (first)
		wake(l);	/* it may be waiting with no deadline */
}

void ar_linger_stop(ar_linger_t *l)
{
	unsigned i;

	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	l->stopping = 1;
	pthread_mutex_unlock(&l->lock);
	if (l->started) {
		wake(l);
		pthread_join(l->thread, NULL);
	}
	for (i = 0; i < l->count; i++)
		slot_close(&l->ring[(l->head + i) % l->max]);
	if (l->wake >= 0)
		close(l->wake);
	if (l->epfd >= 0)
		close(l->epfd);
	pthread_mutex_destroy(&l->lock);
	free(l->ring);
	free(l);
}
