# SPDX-License-Identifier: GPL-2.0-or-later
# acme-rats-console: the NOC/SOC web console (docs/console.md).
sbin_PROGRAMS += console/acme-rats-console
console_acme_rats_console_SOURCES = console/main.c console/config.c console/auth.c \
	console/api.c console/events.c console/console.h console/parse.c console/parse.h \
	common/fleet_ops.c common/fleet_ops.h common/console_users.c common/console_users.h
console_acme_rats_console_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/common \
	-DSYSCONFDIR='"$(sysconfdir)"' -DDATADIR='"$(datadir)"' $(MHD_CFLAGS) $(OPENSSL_CFLAGS) \
	$(JANSSON_CFLAGS) $(HIREDIS_CFLAGS) $(CURL_CFLAGS)
console_acme_rats_console_LDADD = common/libarhttpd.la common/libarclient.la lib/libacmerats.la \
	$(MHD_LIBS) $(CURL_LIBS) $(JOSE_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS) $(HIREDIS_LIBS) \
	-lpthread
consolewwwdir = $(datadir)/acme-rats/console
dist_consolewww_DATA = console/www/index.html console/www/app.js console/www/style.css
dist_man8_MANS += console/acme-rats-console.8

# Tests: the API without a browser; the page in headless chromium on the
# 802.1X lab (root: namespaces), with the long tests.
TESTS += tests/console/test_console_api.sh \
	tests/console/test_many_event_streams_do_not_delay_a_flag.sh
if LONG_TESTS
if !SANITIZERS
TESTS += tests/console/test_console_browser.sh
endif
endif
EXTRA_DIST += tests/console/test_console_api.sh tests/console/test_console_browser.sh \
	tests/console/test_many_event_streams_do_not_delay_a_flag.sh \
	tests/console/console-lab.sh tests/console/browser.py

# Fuzz target of the console's parsers (fuzz/local.mk).
FUZZ_PROGS += fuzz/fuzz_console
FUZZ_TESTS += fuzz/replay-console.test
fuzz_fuzz_console_SOURCES = fuzz/fuzz_console.c console/parse.c console/parse.h \
	common/console_users.c common/console_users.h $(fuzz_driver)
fuzz_fuzz_console_CPPFLAGS = $(FUZZ_CFLAGS) -I$(top_srcdir)/common -I$(top_srcdir)/console
fuzz_fuzz_console_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_console_LDFLAGS = $(fuzz_ldflags)
dist_doc_DATA += docs/console.md docs/soc-integration.md
EXTRA_DIST += docs/images/console-devices.png docs/images/console-device.png

# Unit tests: users, password hashes, roles, the header parsers.
check_PROGRAMS += tests/unit/test_console_users
TESTS += tests/unit/test_console_users
tests_unit_test_console_users_SOURCES = tests/unit/test_console_users.c console/parse.c \
	console/parse.h common/console_users.c common/console_users.h
tests_unit_test_console_users_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/common \
	-I$(top_srcdir)/console
