# SPDX-License-Identifier: GPL-2.0-or-later
# acme-rats-verifier: the SOC's attestation verifier.

sbin_PROGRAMS += verifier/acme-rats-verifier
verifier_acme_rats_verifier_SOURCES = \
	verifier/main.c verifier/config.c verifier/api.c verifier/soc.c \
	verifier/alerts.c verifier/syslog_out.c \
	verifier/session.c verifier/session.h verifier/verifier.h verifier/metrics.c
verifier_acme_rats_verifier_SOURCES += verifier/tpm_api.c verifier/tpm_evidence_api.c
verifier_acme_rats_verifier_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/common \
	-DSYSCONFDIR='"$(sysconfdir)"' $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(JOSE_CFLAGS) \
	$(HIREDIS_CFLAGS) $(TSS2_MU_CFLAGS)
verifier_acme_rats_verifier_LDADD = verifier/libartpm.la common/libarhttpd.la lib/libacmerats.la $(MHD_LIBS) \
	$(JOSE_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS) $(HIREDIS_LIBS) $(TSS2_MU_LIBS) -lpthread

# Integration test: the real daemon and a real redis-server.
check_PROGRAMS += tests/integration/test_verifier
TESTS += tests/integration/test_verifier
tests_integration_test_verifier_SOURCES = tests/integration/test_verifier.c \
	tests/httpc.c tests/httpc.h tests/lab/lab.c tests/lab/lab.h tests/evfix.c tests/evfix.h \
	tests/tlsraw.c tests/tlsraw.h tests/vtest.c tests/vtest.h
EXTRA_DIST += tests/fixtures/mkverifier

# SIEM alerts in, syslog out: the real daemon, redis-server and acme-rats-ctl.
check_PROGRAMS += tests/integration/test_soc_events
TESTS += tests/integration/test_soc_events
tests_integration_test_soc_events_SOURCES = tests/integration/test_soc_events.c \
	tests/httpc.c tests/httpc.h tests/lab/lab.c tests/lab/lab.h tests/vtest.c tests/vtest.h
EXTRA_DIST += tests/fixtures/alerts
dist_man8_MANS = verifier/acme-rats-verifier.8 ca/acme-rats-ca.8
dist_doc_DATA += docs/ear.md docs/verifier.md docs/ca.md docs/benchmarks.md docs/events.md
