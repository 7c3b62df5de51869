# SPDX-License-Identifier: GPL-2.0-or-later
# acme-rats-ca: the ACME (RFC 8555) certificate authority with remote-attest-01.

sbin_PROGRAMS += ca/acme-rats-ca
ca_acme_rats_ca_SOURCES = \
	ca/main.c ca/config.c ca/acme.c ca/account.c ca/profile.c ca/order.c ca/record.c \
	ca/challenge.c ca/validate.c ca/finalize.c ca/ari.c ca/revoke.c \
	ca/nonce.c ca/nonce.h ca/noc.c ca/noc.h ca/ca.h ca/metrics.c
ca_acme_rats_ca_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/common \
	-DSYSCONFDIR='"$(sysconfdir)"' $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(JOSE_CFLAGS) \
	$(HIREDIS_CFLAGS) $(CURL_CFLAGS)
ca_acme_rats_ca_LDADD = common/libarhttpd.la common/libarclient.la lib/libacmerats.la \
	$(MHD_LIBS) $(CURL_LIBS) $(JOSE_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS) $(HIREDIS_LIBS) \
	-lresolv -lpthread

check_PROGRAMS += tests/integration/test_ca_account
TESTS += tests/integration/test_ca_account
ca_test_sources = tests/catest.c tests/catest.h tests/acmec.c tests/acmec.h tests/evfix.c tests/evfix.h \
	tests/httpc.c tests/httpc.h tests/lab/lab.c tests/lab/lab.h
tests_integration_test_ca_account_SOURCES = tests/integration/test_ca_account.c $(ca_test_sources)
EXTRA_DIST += tests/fixtures/mkca tests/fixtures/keys/rsa6144.pem

check_PROGRAMS += tests/integration/test_ca_order
TESTS += tests/integration/test_ca_order
tests_integration_test_ca_order_SOURCES = tests/integration/test_ca_order.c $(ca_test_sources)

check_PROGRAMS += tests/integration/test_ca_challenge
TESTS += tests/integration/test_ca_challenge
tests_integration_test_ca_challenge_SOURCES = tests/integration/test_ca_challenge.c $(ca_test_sources)

check_PROGRAMS += tests/integration/test_ca_validate
TESTS += tests/integration/test_ca_validate
tests_integration_test_ca_validate_SOURCES = tests/integration/test_ca_validate.c $(ca_test_sources)

# certbot and lego against acme-rats-ca (http-01, dns-01, EAB, revocation).
if LONG_TESTS
TESTS += tests/integration/test_interop.sh
endif
EXTRA_DIST += tests/integration/test_interop.sh

# The HTTP layer under attack: request smuggling, oversize bodies, connection floods.
check_PROGRAMS += tests/integration/test_ca_http
TESTS += tests/integration/test_ca_http
tests_integration_test_ca_http_SOURCES = tests/integration/test_ca_http.c $(ca_test_sources) \
	tests/tlsraw.c tests/tlsraw.h

check_PROGRAMS += tests/integration/test_ca_noc
TESTS += tests/integration/test_ca_noc
tests_integration_test_ca_noc_SOURCES = tests/integration/test_ca_noc.c $(ca_test_sources)

# The event worker across two CA replicas: the one holding events is killed.
check_PROGRAMS += tests/integration/test_ca_noc_replicas
TESTS += tests/integration/test_ca_noc_replicas
tests_integration_test_ca_noc_replicas_SOURCES = tests/integration/test_ca_noc_replicas.c \
	$(ca_test_sources)
tests_integration_test_ca_noc_replicas_LDADD = $(LDADD) -lpthread
EXTRA_DIST += tests/fixtures/mkdas
dist_doc_DATA += docs/security.md
dist_doc_DATA += docs/operations.md
EXTRA_DIST += docs/diagrams/enrollment.msc docs/diagrams/authentication.msc \
	docs/diagrams/lapse.msc docs/diagrams/flagging.msc docs/diagrams/render \
	docs/diagrams/enrollment.png docs/diagrams/authentication.png docs/diagrams/lapse.png \
	docs/diagrams/flagging.png
