/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemons' HTTPS server: libmicrohttpd, bounded requests, one handler (httpd.h). */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "fileio.h"
#include "deadline.h"
#include "http_framing.h"
#include "httpd.h"
#include "linger.h"
#include "log.h"

/*
 * Lingering close of connections answered before their body was read: at
 * most this many at once, each for at most this long and this many bytes.
 */
#define LINGER_MAX	256
#define LINGER_MS	2000
#define LINGER_BYTES	(4 * 1024 * 1024)

/* A chunked body over max_body is read and dropped up to this much more. */
#define DISCARD_MAX	(1024 * 1024)

struct ar_httpd {
	struct MHD_Daemon	*mhd;
	ar_http_handler_t	handler;
	ar_http_problem_t	problem;
	void			*ctx;
	size_t			max_body;
	ar_linger_t		*linger;
	ar_deadlines_t		*deadlines;
	int64_t			phase_ms;	/* a request's header section, then its body */
	char			*cert;
	char			*key;
	size_t			key_len;
	int			port;

	/* Workers: requests handed over by ar_http_resp_defer(), FIFO. */
	pthread_mutex_t		lock;
	pthread_cond_t		more;
	ar_http_req_t		*head;
	ar_http_req_t		*tail;
	pthread_t		*workers;
	unsigned		nworkers;
	int			stopping;
};

/* Per-request state, kept across libmicrohttpd's upload callbacks. */
struct ar_http_req {
	struct MHD_Connection	*conn;
	const char		*method;
	const char		*path;
	ar_buf_t		body;		/* the upload, at most max_body */
	int			too_large;
	size_t			dropped;	/* bytes of a chunked body past max_body */
	char			peer[INET6_ADDRSTRLEN];

	ar_httpd_t		*h;
	ar_http_req_t		*next;		/* in the workers' queue */
	int			on_worker;	/* the handler runs on a worker */
	int			answered;	/* resp holds the worker's answer */
	ar_http_resp_t		resp;
};

/* ar_http_resp_t.status of a request handed to a worker. */
#define STATUS_DEFERRED	(-1)

/*
 * Per connection (libmicrohttpd's socket context). Its deadline: the TLS
 * handshake and a request's header section must be in within phase_ms of
 * the connection's start or of the previous answer, the body within
 * phase_ms more; none while the handler works (deadline.h).
 */
typedef struct conn_state {
	int			linger;	/* answered with input unread: close lingering */
	int			watched;
	ar_deadline_t		dl;
} conn_state_t;

static conn_state_t *state_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* The connection's next deadline: @ms from now, or none (0). */
static void deadline_in(struct MHD_Connection *conn, int64_t ms)
{
	conn_state_t *cs = state_of(conn);

	if (cs && cs->watched)
		ar_deadline_set(&cs->dl, ms ? ar_mono_ms() + ms : 0);
}

const char *ar_http_method(const ar_http_req_t *req)
{
	return req->method;
}

const char *ar_http_path(const ar_http_req_t *req)
{
	return req->path;
}

const char *ar_http_header(const ar_http_req_t *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct header_count {
	const char	*name;
	size_t		n;
};

static enum MHD_Result count_field(void *cls, enum MHD_ValueKind kind, const char *name,
				   const char *value)
{
	struct header_count *hc = cls;

	(void)kind;
	(void)value;
	if (name && !strcasecmp(name, hc->name))
		hc->n++;
	return MHD_YES;
}

size_t ar_http_header_count(const ar_http_req_t *req, const char *name)
{
	struct header_count hc = { name, 0 };

	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, count_field, &hc);
	return hc.n;
}

const char *ar_http_query(const ar_http_req_t *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *ar_http_body(const ar_http_req_t *req, size_t *len)
{
	*len = req->body.len;
	return req->body.data ? req->body.data : "";
}

const char *ar_http_peer(const ar_http_req_t *req)
{
	return req->peer;
}

int ar_http_content_type_is(const ar_http_req_t *req, const char *type)
{
	const char *ct = ar_http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n;

	if (!ct)
		return 0;
	n = strcspn(ct, "; \t");
	return n == strlen(type) && !strncasecmp(ct, type, n);
}

int ar_http_resp_defer(const ar_http_req_t *req, ar_http_resp_t *resp)
{
	if (req->on_worker || !req->h->nworkers)
		return -1;
	resp->status = STATUS_DEFERRED;
	return 0;
}

static void resp_set_body(ar_http_resp_t *resp, int status, const char *content_type,
			  char *body, size_t len)
{
	free(resp->body);
	resp->status = status;
	resp->body = body;
	resp->len = len;
	snprintf(resp->content_type, sizeof(resp->content_type), "%s", content_type);
}

void ar_http_resp_header(ar_http_resp_t *resp, const char *name, const char *value)
{
	size_t i = resp->nheaders;

	if (i == sizeof(resp->headers) / sizeof(resp->headers[0]))
		return;
	snprintf(resp->headers[i].name, sizeof(resp->headers[i].name), "%s", name);
	snprintf(resp->headers[i].value, sizeof(resp->headers[i].value), "%s", value);
	resp->nheaders++;
}

void ar_http_resp_json(ar_http_resp_t *resp, int status, const char *content_type, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (!text) {
		ar_http_resp_text(resp, 500, "text/plain", "out of memory\n", 14);
		return;
	}
	resp_set_body(resp, status, content_type, text, strlen(text));
}

void ar_http_resp_text(ar_http_resp_t *resp, int status, const char *content_type,
		       const char *body, size_t len)
{
	char *copy = malloc(len + 1);

	if (copy) {
		memcpy(copy, body, len);
		copy[len] = '\0';
	}
	resp_set_body(resp, copy ? status : 500, content_type, copy, copy ? len : 0);
}

void ar_http_resp_problem(ar_http_resp_t *resp, int status, const char *type,
			  const char *detail_fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, detail_fmt);
	vsnprintf(detail, sizeof(detail), detail_fmt, ap);
	va_end(ap);
	ar_http_resp_json(resp, status, "application/problem+json",
			  json_pack("{s:s,s:s,s:i}", "type", type, "detail", detail,
				    "status", status));
}

static enum MHD_Result send_response(struct MHD_Connection *conn, ar_http_resp_t *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t i;

	r = MHD_create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(resp->body);
		resp->body = NULL;
		return MHD_NO;
	}
	resp->body = NULL;
	if (resp->content_type[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	for (i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void peer_text(struct MHD_Connection *conn, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(buf, size, "-");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return;
	sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)size);
}

/* The service's problem document for what this layer refuses by itself. */
static void fault(ar_httpd_t *h, ar_http_resp_t *resp, ar_http_fault_t f, const char *detail)
{
	static const int status[] = {
		[AR_HTTP_MALFORMED] = 400,
		[AR_HTTP_TOO_LARGE] = MHD_HTTP_CONTENT_TOO_LARGE,
		[AR_HTTP_INTERNAL] = 500,
		[AR_HTTP_UNAVAILABLE] = 503,
	};

	free(resp->body);
	memset(resp, 0, sizeof(*resp));
	if (h->problem)
		h->problem(h->ctx, resp, status[f], f, detail);
	else
		ar_http_resp_problem(resp, status[f], "about:blank", "%s", detail);
}

/* Send the handler's answer (a missing or deferred one is a 500). */
static enum MHD_Result answer(ar_http_req_t *req, ar_http_resp_t *resp)
{
	if (resp->status <= 0)
		fault(req->h, resp, AR_HTTP_INTERNAL, "no response");
	ar_debug("event=http.request peer=%s method=%s path=%.128s status=%d bytes_in=%zu",
		 req->peer, req->method, req->path, resp->status, req->body.len);
	return send_response(req->conn, resp);
}

/*
 * Whether libmicrohttpd 0.9.75 read this field from one line. It parses the
 * header section in place, the colon overwritten by a NUL, so the value
 * follows the name after the colon and optional blanks. A continuation line
 * (obs-fold) it glues onto the name, in a copy elsewhere in its memory
 * pool: the value then no longer follows the name. (Any fold, on any field:
 * a proxy in front that unfolds it reads other fields than we do, e.g.
 * "Content-Len: 61" CRLF " gth" as no Content-Length at all.)
 */
static int one_line(const char *name, size_t name_len, const char *value)
{
	uintptr_t end = (uintptr_t)name + name_len, v = (uintptr_t)value;
	const char *p;

	if (!value)
		return 1;
	if (v <= end || v - end > 256 || (name[name_len] != '\0' && name[name_len] != ':'))
		return 0;
	for (p = name + name_len + 1; p < value; p++)
		if (*p != ' ' && *p != '\t')
			return 0;
	return 1;
}

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *name,
				size_t name_len, const char *value, size_t value_len)
{
	(void)kind;
	if (!one_line(name, name_len, value)) {
		ar_http_framing_folded(cls, name, name_len);
		return MHD_NO;
	}
	return ar_http_framing_field(cls, name, name_len, value ? value : "",
				     value ? value_len : 0) == 0 ? MHD_YES : MHD_NO;
}

/*
 * The first call, with the header section only. A request whose body length
 * is in doubt, or above max_body, is answered now: libmicrohttpd then reads
 * none of its body and closes the connection after the answer, lingering
 * (on_connection) so that a client still sending its body reads the answer.
 * The answer comes at once, whether or not the client sends the body.
 */
static enum MHD_Result first_call(ar_http_req_t *req, const char *version)
{
	ar_httpd_t *h = req->h;
	const union MHD_ConnectionInfo *ci;
	ar_http_framing_t f;
	ar_http_resp_t resp;
	ar_framing_t verdict;

	deadline_in(req->conn, h->phase_ms);	/* the header section is in: now the body */
	ar_http_framing_init(&f, version);
	MHD_get_connection_values_n(req->conn, MHD_HEADER_KIND, on_field, &f);
	verdict = ar_http_framing_end(&f, h->max_body);
	if (verdict == AR_FRAMING_OK)
		return MHD_YES;
	memset(&resp, 0, sizeof(resp));
	fault(h, &resp, verdict == AR_FRAMING_TOO_LARGE ? AR_HTTP_TOO_LARGE : AR_HTTP_MALFORMED,
	      f.detail);
	ar_info("event=http.refused peer=%s method=%.16s path=%.128s status=%d detail=\"%s\"",
		req->peer, req->method, req->path, resp.status, f.detail);
	ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci && ci->socket_context)
		((conn_state_t *)ci->socket_context)->linger = 1;
	return answer(req, &resp);
}

/* Take upload bytes; past max_body (a chunked body) drop them, up to DISCARD_MAX. */
static enum MHD_Result take_upload(ar_http_req_t *req, const char *upload, size_t n)
{
	size_t max = req->h->max_body;

	if (req->too_large || req->body.len + n > max) {
		req->too_large = 1;
		req->dropped += n;
		if (req->dropped <= DISCARD_MAX)
			return MHD_YES;
		ar_info("event=http.refused peer=%s method=%.16s path=%.128s status=0 "
			"detail=\"chunked body exceeds %zu bytes by more than %d: closed\"",
			req->peer, req->method, req->path, max, DISCARD_MAX);
		return MHD_NO;
	}
	return ar_buf_append(&req->body, upload, n) == AR_OK ? MHD_YES : MHD_NO;
}

/* Hand a deferred request to the workers; 503 when the server stops. */
static enum MHD_Result defer(ar_http_req_t *req, ar_http_resp_t *resp)
{
	ar_httpd_t *h = req->h;

	pthread_mutex_lock(&h->lock);
	if (!h->stopping) {
		/* Suspended before queued, so no worker resumes it first. */
		MHD_suspend_connection(req->conn);
		if (h->tail)
			h->tail->next = req;
		else
			h->head = req;
		h->tail = req;
		pthread_cond_signal(&h->more);
		pthread_mutex_unlock(&h->lock);
		return MHD_YES;
	}
	pthread_mutex_unlock(&h->lock);
	fault(h, resp, AR_HTTP_UNAVAILABLE, "the server is shutting down");
	return answer(req, resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	ar_httpd_t *h = cls;
	ar_http_req_t *req = *con_cls;
	ar_http_resp_t resp;

	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->conn = conn;
		req->h = h;
		ar_buf_init(&req->body, h->max_body);
		req->method = method;
		req->path = url;
		peer_text(conn, req->peer, sizeof(req->peer));
		*con_cls = req;
		return first_call(req, version);
	}

	if (*upload_size) {
		size_t n = *upload_size;

		*upload_size = 0;
		return take_upload(req, upload, n);
	}

	if (req->answered)	/* resumed: the worker's answer */
		return answer(req, &req->resp);
	deadline_in(conn, 0);	/* the request is in; the handler has its own bounds */
	memset(&resp, 0, sizeof(resp));
	if (req->too_large) {
		char detail[96];

		snprintf(detail, sizeof(detail), "request body exceeds %zu bytes", h->max_body);
		fault(h, &resp, AR_HTTP_TOO_LARGE, detail);
	} else {
		h->handler(h->ctx, req, &resp);
	}
	if (resp.status == STATUS_DEFERRED)
		return defer(req, &resp);
	return answer(req, &resp);
}

/*
 * A worker: takes suspended requests in order, calls the handler for each
 * and resumes its connection, whose thread then sends the answer. Once the
 * server stops, what is still queued is answered 503 at once.
 */
static void *worker_main(void *arg)
{
	ar_httpd_t *h = arg;
	ar_http_req_t *req;
	int stopping;

	for (;;) {
		pthread_mutex_lock(&h->lock);
		while (!h->head && !h->stopping)
			pthread_cond_wait(&h->more, &h->lock);
		req = h->head;
		if (req) {
			h->head = req->next;
			if (!h->head)
				h->tail = NULL;
			req->next = NULL;
		}
		stopping = h->stopping;
		pthread_mutex_unlock(&h->lock);
		if (!req)
			return NULL;
		memset(&req->resp, 0, sizeof(req->resp));
		req->on_worker = 1;
		if (stopping)
			fault(h, &req->resp, AR_HTTP_UNAVAILABLE, "the server is shutting down");
		else
			h->handler(h->ctx, req, &req->resp);
		req->answered = 1;
		MHD_resume_connection(req->conn);
	}
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	ar_http_req_t *req = *con_cls;
	ar_httpd_t *h = cls;

	(void)toe;
	deadline_in(conn, h->phase_ms);	/* the next request on this connection */
	if (!req)
		return;
	ar_buf_free(&req->body);
	free(req->resp.body);
	free(req);
	*con_cls = NULL;
}

/*
 * Connection start and end. A connection answered before its body was read
 * (first_call) leaves here for a lingering close: libmicrohttpd has sent
 * the answer and its TLS close_notify, and closes its descriptor right
 * after; a duplicate keeps the socket for the lingerer, so the client
 * still sending never gets a reset instead of the answer.
 */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	ar_httpd_t *h = cls;
	conn_state_t *cs = *socket_context;
	const union MHD_ConnectionInfo *ci;
	int fd;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		cs = calloc(1, sizeof(conn_state_t));	/* NULL: no lingering, no deadline */
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (cs && ci) {
			cs->dl.fd = ci->connect_fd;
			cs->dl.at_ms = ar_mono_ms() + h->phase_ms;
			peer_text(conn, cs->dl.peer, sizeof(cs->dl.peer));
			ar_deadlines_add(h->deadlines, &cs->dl);
			cs->watched = 1;
		}
		*socket_context = cs;
		return;
	}
	*socket_context = NULL;
	if (cs && cs->watched)
		ar_deadlines_remove(h->deadlines, &cs->dl);
	if (cs && cs->linger) {
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		fd = ci ? fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0) : -1;
		if (fd >= 0)
			ar_linger_add(h->linger, fd);
	}
	free(cs);
}

static int parse_address(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -1;
}

/*
 * 1 when the process ignores SIGPIPE (the daemons do): libmicrohttpd then
 * skips blocking and unblocking it around every TLS send, three system
 * calls per response.
 */
static int sigpipe_ignored(void)
{
	struct sigaction sa;

	return sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

unsigned ar_httpd_threads(unsigned configured)
{
	long cores;

	if (configured)
		return configured;
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (cores < 2)
		return 4;
	return cores > 32 ? 64 : (unsigned)(2 * cores);
}

static int start_workers(ar_httpd_t *h, unsigned n, ar_err_t *err)
{
	h->workers = calloc(n, sizeof(*h->workers));
	if (!h->workers)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	for (; h->nworkers < n; h->nworkers++) {
		if (pthread_create(&h->workers[h->nworkers], NULL, worker_main, h) != 0)
			return ar_err_set(err, AR_ERR_NOMEM, "cannot start worker thread %u of %u",
					  h->nworkers + 1, n);
	}
	return 0;
}

/* The server's state, its TLS files read, its lingerer and deadline threads started. */
static ar_httpd_t *httpd_new(const ar_httpd_opts_t *o, ar_http_handler_t handler, void *ctx,
			     ar_err_t *err)
{
	ar_httpd_t *h = calloc(1, sizeof(*h));
	size_t len;

	if (!h) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->more, NULL);
	h->handler = handler;
	h->problem = o->problem;
	h->ctx = ctx;
	h->max_body = o->max_body ? o->max_body : 64 * 1024;
	h->phase_ms = (int64_t)(o->timeout_s ? o->timeout_s : 10) * 1000;
	if (ar_file_read(o->cert_file, 1 << 20, &h->cert, &len, err) < 0 ||
	    ar_file_read(o->key_file, 1 << 16, &h->key, &h->key_len, err) < 0 ||
	    !(h->linger = ar_linger_start(LINGER_MAX, LINGER_MS, LINGER_BYTES, err)) ||
	    !(h->deadlines = ar_deadlines_start(err))) {
		ar_httpd_stop(h);
		return NULL;
	}
	return h;
}

ar_httpd_t *ar_httpd_start(const ar_httpd_opts_t *o, ar_http_handler_t handler, void *ctx,
			   ar_err_t *err)
{
	const char *addr = o->address && *o->address ? o->address : "127.0.0.1";
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	unsigned flags;
	ar_httpd_t *h;

	if (o->port < 0 || o->port > 65535 || parse_address(addr, o->port, &ss) < 0) {
		ar_err_set(err, AR_ERR_CONFIG, "listen address \"%.64s\" port %d is not valid", addr,
			   o->port);
		return NULL;
	}
	if (!o->cert_file || !o->key_file) {
		ar_err_set(err, AR_ERR_CONFIG, "TLS certificate and key files are required");
		return NULL;
	}
	h = httpd_new(o, handler, ctx, err);
	if (!h)
		return NULL;

	/*
	 * Not MHD_USE_TURBO: with it, libmicrohttpd 0.9.75 never times out a
	 * connection that stays silent or stops inside the TLS handshake, so a
	 * slow-loris could hold every connection slot (measured; tested in
	 * test_ca_account's silent connections).
	 */
	flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TLS;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (o->workers) {
		flags |= MHD_ALLOW_SUSPEND_RESUME;
		if (start_workers(h, o->workers, err) < 0)
			goto error;
	}
	h->mhd = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, h,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_THREAD_POOL_SIZE, ar_httpd_threads(o->threads),
				  MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned)(o->max_connections ? o->max_connections : 1024),
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)o->max_per_ip,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(o->timeout_s ? o->timeout_s : 10),
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				  MHD_OPTION_HTTPS_MEM_CERT, h->cert,
				  MHD_OPTION_HTTPS_MEM_KEY, h->key,
				  MHD_OPTION_HTTPS_PRIORITIES, "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				  MHD_OPTION_SIGPIPE_HANDLED_BY_APP, sigpipe_ignored(),
				  MHD_OPTION_END);
	if (!h->mhd) {
		ar_err_set(err, AR_ERR_IO, "cannot serve HTTPS on %s port %d (address in use, or "
			   "certificate/key unusable)", addr, o->port);
		goto error;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : o->port;
	return h;
error:
	ar_httpd_stop(h);
	return NULL;
}

int ar_httpd_port(const ar_httpd_t *h)
{
	return h->port;
}

void ar_httpd_stop(ar_httpd_t *h)
{
	unsigned i;

	if (!h)
		return;
	/* The workers finish what they run and answer the rest 503; every
	 * suspended connection is resumed before libmicrohttpd stops. */
	pthread_mutex_lock(&h->lock);
	h->stopping = 1;
	pthread_cond_broadcast(&h->more);
	pthread_mutex_unlock(&h->lock);
	for (i = 0; i < h->nworkers; i++)
		pthread_join(h->workers[i], NULL);
	free(h->workers);
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	ar_linger_stop(h->linger);
	ar_deadlines_stop(h->deadlines);
	pthread_cond_destroy(&h->more);
	pthread_mutex_destroy(&h->lock);
	if (h->key) {
		OPENSSL_cleanse(h->key, h->key_len);
		free(h->key);
	}
	free(h->cert);
	free(h);
}
