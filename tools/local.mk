# SPDX-License-Identifier: GPL-2.0-or-later
# acme-rats-ctl: the operator CLI.
bin_PROGRAMS += tools/acme-rats-ctl
tools_acme_rats_ctl_SOURCES = tools/ctl.c common/fleet_ops.c common/fleet_ops.h \
	common/console_users.c common/console_users.h
tools_acme_rats_ctl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/common \
	-DSYSCONFDIR='"$(sysconfdir)"' $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(HIREDIS_CFLAGS) \
	$(CURL_CFLAGS)
# Configuration and Redis (libardaemon) but no HTTP server: the CLI does not
# link libmicrohttpd (tests/build/test_ctl_does_not_link_http_server.sh).
tools_acme_rats_ctl_LDADD = common/libardaemon.la common/libarclient.la lib/libacmerats.la \
	$(CURL_LIBS) $(JOSE_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS) $(HIREDIS_LIBS) -lpthread
dist_man8_MANS += tools/acme-rats-ctl.8
TESTS += tests/build/test_ctl_does_not_link_http_server.sh
EXTRA_DIST += tests/build/test_ctl_does_not_link_http_server.sh
