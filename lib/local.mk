# SPDX-License-Identifier: GPL-2.0-or-later
# libacmerats: protocol logic shared by every component. Each unit adds its
# sources through a fragment below.

lib_LTLIBRARIES += lib/libacmerats.la
lib_libacmerats_la_SOURCES = \
	lib/acme_status.c lib/acme_status.h \
	lib/clock.h \
	lib/err.c lib/err.h \
	lib/log.c lib/log.h
lib_libacmerats_la_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) \
	$(JOSE_CFLAGS) $(HIREDIS_CFLAGS)
lib_libacmerats_la_LIBADD = $(JOSE_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS) $(HIREDIS_LIBS)
lib_libacmerats_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 -no-undefined

pkginclude_HEADERS += lib/acme_status.h lib/err.h lib/log.h

include lib/jose.mk
include lib/conf.mk
include lib/store.mk
include lib/x509.mk

# TPM evidence as it travels (qualifying data, the collection's encoding).
lib_libacmerats_la_SOURCES += lib/tpm_evidence.c lib/tpm_evidence.h
# SOC integration: SIEM alert mapping rules, stream events as syslog lines.
lib_libacmerats_la_SOURCES += lib/alert.c lib/alert.h lib/event_syslog.c lib/event_syslog.h
pkginclude_HEADERS += lib/alert.h lib/event_syslog.h
include lib/metrics.mk
