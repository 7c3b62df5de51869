# SPDX-License-Identifier: GPL-2.0-or-later
# common/: the pieces the programs share above lib/, as three convenience
# libraries, so that each program links only the I/O it uses.

# HTTPS client (libcurl) and the verifier's protocol: the helper, the CA, the CLI.
noinst_LTLIBRARIES += common/libarclient.la
common_libarclient_la_SOURCES = common/http.c common/http.h \
	common/verifier_client.c common/verifier_client.h \
	common/verifier_proto.c common/verifier_proto.h
common_libarclient_la_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS) \
	$(JOSE_CFLAGS)
common_libarclient_la_LIBADD = lib/libacmerats.la $(CURL_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS)

# Configuration sections, secret files, per-thread Redis connections: every
# program with a configuration file, acme-rats-ctl included. No HTTP server.
noinst_LTLIBRARIES += common/libardaemon.la
common_libardaemon_la_SOURCES = common/daemon.c common/daemon.h common/daemon_store.c
common_libardaemon_la_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS) $(HIREDIS_CFLAGS)
common_libardaemon_la_LIBADD = lib/libacmerats.la $(OPENSSL_LIBS) $(HIREDIS_LIBS) -lpthread

# The HTTPS server (libmicrohttpd) and the daemons' main(): the CA, the
# verifier, the helper's http-01 responder. It carries libardaemon.
noinst_LTLIBRARIES += common/libarhttpd.la
common_libarhttpd_la_SOURCES = common/httpd.c common/httpd.h \
	common/daemon_main.c common/daemon_main.h common/daemon_metrics.c \
	common/http_framing.c common/http_framing.h common/linger.c common/linger.h \
	common/deadline.c common/deadline.h
common_libarhttpd_la_CPPFLAGS = $(AM_CPPFLAGS) $(MHD_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS) \
	$(HIREDIS_CFLAGS)
common_libarhttpd_la_LIBADD = common/libardaemon.la lib/libacmerats.la $(MHD_LIBS) \
	$(JANSSON_LIBS) $(OPENSSL_LIBS) $(HIREDIS_LIBS) -lpthread
