# SPDX-License-Identifier: GPL-2.0-or-later
# acme-rats-helper: the device side (attester and, later, ACME client).
bin_PROGRAMS += helper/acme-rats-helper
helper_acme_rats_helper_SOURCES = \
	helper/main.c helper/helper.h \
	helper/cmd_attest.c
helper_acme_rats_helper_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/common $(OPENSSL_CFLAGS) \
	$(JANSSON_CFLAGS) $(JOSE_CFLAGS) $(CURL_CFLAGS)
helper_acme_rats_helper_LDADD = common/libarclient.la lib/libacmerats.la $(CURL_LIBS) \
	$(JOSE_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS)

dist_man1_MANS = helper/acme-rats-helper.1
dist_doc_DATA += docs/evidence.md
