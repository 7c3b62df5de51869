/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The live event stream for the page: GET /api/events answers
 * text/event-stream. Each answer holds (on a worker thread, so that no HTTP
 * thread waits) until the stream has entries newer than the client's
 * Last-Event-ID, or stream_hold passes, then ends; EventSource reconnects
 * at once ("retry"), sending the id of the last entry it got. A first
 * request (no Last-Event-ID) gets the last entries at once. Nothing is lost
 * between answers: every entry newer than the id is sent.
 *
 * Streams cannot starve the actions: a slot of the stream table is taken
 * before an answer is queued for a worker and given back when it is done,
 * and there are streams_max slots, fewer than workers. A session holds at
 * most streams_per_session, a user streams_per_user: a newer stream ends
 * the oldest (most likely a page that was closed or reloaded, whose answer
 * still waits). With every slot taken a new stream is refused (429).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "clock.h"
#include "console.h"
#include "log.h"
#include "parse.h"

#define RECENT_MAX	200
#define FIRST_MAX	20
#define POLL_MS		150
#define RETRY_MS	200
#define ENDED_RETRY_MS	3000	/* a displaced stream's browser comes back later */
#define FULL_RETRY_S	5

int console_id_cmp(const char *a, const char *b)
{
	unsigned long long am = strtoull(a, NULL, 10), bm = strtoull(b, NULL, 10);
	const char *ad = strchr(a, '-'), *bd = strchr(b, '-');
	unsigned long long as = ad ? strtoull(ad + 1, NULL, 10) : 0;
	unsigned long long bs = bd ? strtoull(bd + 1, NULL, 10) : 0;

	if (am != bm)
		return am < bm ? -1 : 1;
	return as != bs ? (as < bs ? -1 : 1) : 0;
}

json_t *console_event_json(const ar_store_event_t *e)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "id", e->id, "type", e->type,
			 "device", e->device, "status", e->status, "reason", e->reason,
			 "serial", e->serial, "ts", (json_int_t)e->ts, "source", e->source);
}

/* The stream id the client got last (Last-Event-ID), or "". */
static void last_id(const ar_http_req_t *req, char *out, size_t size)
{
	console_event_id_parse(ar_http_header(req, "Last-Event-ID"), out, size);
}

/* One entry as a server-sent event. */
static int append_one(ar_buf_t *b, const ar_store_event_t *e)
{
	json_t *ev = console_event_json(e);
	char *data = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	int rc = data && ar_buf_printf(b, "id: %s\nevent: fleet\ndata: %s\n\n", e->id, data) == AR_OK;

	json_decref(ev);
	free(data);
	return rc ? 0 : -1;
}

/*
 * The entries to send: after @after, oldest first, up to RECENT_MAX (the
 * browser comes back at once for the rest: nothing is skipped however many
 * were written); without @after the newest FIRST_MAX. An @after newer than
 * the stream's newest entry (a forged or stale Last-Event-ID) counts as none,
 * so it cannot hold a worker for the whole stream_hold again and again.
 */
static int send_events(ar_store_t *st, ar_buf_t *b, ar_store_event_t *evs, char *after,
		       ar_err_t *err)
{
	int n, i, first;

	if (after[0]) {
		n = ar_store_event_after(st, after, evs, RECENT_MAX, err);
		if (n != 0)
			goto asc;
		n = ar_store_event_recent(st, evs, 1, err);
		if (n < 0 || (n == 1 && console_id_cmp(after, evs[0].id) <= 0))
			return n < 0 ? -1 : 0;
		after[0] = '\0';	/* from the future: start afresh */
	}
	n = ar_store_event_recent(st, evs, RECENT_MAX, err);
	if (n <= 0)
		return n;
	first = n > FIRST_MAX ? FIRST_MAX - 1 : n - 1;
	for (i = first; i >= 0; i--)
		if (append_one(b, &evs[i]) < 0)
			return -1;
	return first + 1;
asc:
	for (i = 0; i < n; i++)
		if (append_one(b, &evs[i]) < 0)
			return -1;
	return n;
}

/* The oldest stream still running of @session (or, when 0, of @user), and how many. Locked. */
static console_stream_t *oldest(console_t *c, uint64_t session, const char *user, int64_t *n)
{
	console_stream_t *o = NULL;
	int64_t i;

	*n = 0;
	for (i = 0; i < c->conf.streams_max; i++) {
		console_stream_t *t = &c->streams[i];

		if (!t->req || t->ended || (session ? t->session != session : strcmp(t->user, user)))
			continue;
		(*n)++;
		if (!o || t->started_ms < o->started_ms)
			o = t;
	}
	return o;
}

/*
 * A slot for @req of session @s, or NULL when every slot is taken. Beyond
 * the session's or the user's cap, their oldest stream is told to end
 * (it answers within POLL_MS; its slot is free once its worker is done).
 */
static console_stream_t *stream_admit(console_t *c, const console_session_t *s, const void *req)
{
	console_stream_t *slot = NULL, *o;
	const char *why = NULL;
	int64_t i, n;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->conf.streams_max && !slot; i++)
		if (!c->streams[i].req)
			slot = &c->streams[i];
	if (slot) {
		o = oldest(c, s->id, NULL, &n);
		if (n >= c->conf.streams_per_session) {
			o->ended = 1;
			why = "streams_per_session";
		}
		o = oldest(c, 0, s->user, &n);
		if (n >= c->conf.streams_per_user) {
			o->ended = 1;
			why = "streams_per_user";
		}
		memset(slot, 0, sizeof(*slot));
		slot->req = req;
		slot->session = s->id;
		snprintf(slot->user, sizeof(slot->user), "%s", s->user);
		slot->started_ms = ar_mono_ms();
	}
	pthread_mutex_unlock(&c->lock);
	if (why)
		ar_info("event=console.stream_ended user=%s reason=%s", s->user, why);
	return slot;
}

/* The slot @req took when it was queued, or NULL (then this is the HTTP thread). */
static console_stream_t *stream_slot(console_t *c, const void *req)
{
	console_stream_t *slot = NULL;
	int64_t i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->conf.streams_max && !slot; i++)
		if (c->streams[i].req == req)
			slot = &c->streams[i];
	pthread_mutex_unlock(&c->lock);
	return slot;
}

static int stream_ended(console_t *c, const console_stream_t *slot)
{
	int ended;

	pthread_mutex_lock(&c->lock);
	ended = slot->ended;
	pthread_mutex_unlock(&c->lock);
	return ended;
}

static void stream_release(console_t *c, console_stream_t *slot)
{
	pthread_mutex_lock(&c->lock);
	memset(slot, 0, sizeof(*slot));
	pthread_mutex_unlock(&c->lock);
}

static void stream(console_t *c, const ar_http_req_t *req, const console_stream_t *slot,
		   ar_http_resp_t *resp)
{
	ar_store_event_t *evs = calloc(RECENT_MAX, sizeof(*evs));
	char after[AR_STORE_EVENT_ID_MAX + 1], newest[AR_STORE_EVENT_ID_MAX + 1] = "0-0";
	int64_t until = ar_mono_ms() + c->conf.stream_hold;
	ar_err_t err = { 0 };
	ar_store_t *st = daemon_store(&c->stores, &err);
	ar_buf_t b;
	int sent = 0, ended = 0;

	ar_buf_init(&b, 4 * 1024 * 1024);
	last_id(req, after, sizeof(after));
	if (!evs || !st || ar_buf_printf(&b, "retry: %d\n\n", RETRY_MS) != AR_OK)
		goto fail;
	for (;;) {
		int had_after = after[0] != '\0';

		sent = send_events(st, &b, evs, after, &err);
		if (sent < 0)
			goto fail;
		if (sent > 0 || !had_after || !after[0] || ar_mono_ms() >= until)
			break;
		if ((ended = stream_ended(c, slot)))
			break;
		usleep(POLL_MS * 1000);
	}
	/* Nothing to send yet: an id all the same, so that the next request waits for news. */
	if (!sent && !after[0]) {
		if (ar_store_event_recent(st, evs, 1, &err) == 1)
			snprintf(newest, sizeof(newest), "%s", evs[0].id);
		if (ar_buf_printf(&b, "id: %s\nevent: hello\ndata: {}\n\n", newest) != AR_OK)
			goto fail;
	}
	if (!sent && after[0] && !ended && ar_buf_printf(&b, ": idle\n\n") != AR_OK)
		goto fail;
	if (!sent && ended && ar_buf_printf(&b, "retry: %d\n: ended: a newer stream of this "
					    "session or user took its place\n\n", ENDED_RETRY_MS) != AR_OK)
		goto fail;
	ar_http_resp_text(resp, 200, "text/event-stream; charset=utf-8", b.data, b.len);
	goto out;
fail:
	ar_warn("event=console.stream_failed error=\"%s\"", err.code ? err.msg : "out of memory");
	ar_http_resp_header(resp, "Retry-After", "2");
	ar_http_resp_problem(resp, 503, CONSOLE_PROBLEM "unavailable", "the event stream cannot "
			     "be read; retry");
out:
	ar_buf_free(&b);
	free(evs);
}

/*
 * Called twice for a stream: on the HTTP thread, which takes a slot and
 * queues the request, and on the worker (the request has its slot), which
 * answers and gives the slot back - whatever the answer.
 */
void console_events(console_t *c, const ar_http_req_t *req, ar_http_resp_t *resp)
{
	console_stream_t *slot = stream_slot(c, req);
	console_session_t s;
	char retry[16];

	console_secure_headers(resp);
	if (slot) {
		if (console_session(c, req, 0, &s, resp))
			stream(c, req, slot, resp);
		stream_release(c, slot);
		return;
	}
	if (!console_session(c, req, 0, &s, resp))
		return;
	slot = stream_admit(c, &s, req);
	if (!slot) {
		ar_warn("event=console.stream_refused user=%s reason=streams_max streams_max=%lld",
			s.user, (long long)c->conf.streams_max);
		snprintf(retry, sizeof(retry), "%d", FULL_RETRY_S);
		ar_http_resp_header(resp, "Retry-After", retry);
		ar_http_resp_problem(resp, 429, CONSOLE_PROBLEM "tooManyStreams",
				     "all %lld event streams are open; retry in %d s",
				     (long long)c->conf.streams_max, FULL_RETRY_S);
		return;
	}
	if (ar_http_resp_defer(req, resp) == 0)
		return;
	stream(c, req, slot, resp);	/* no worker to hand it to */
	stream_release(c, slot);
}
