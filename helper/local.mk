# SPDX-License-Identifier: GPL-2.0-or-later
# acme-rats-helper: the device side (attester and ACME-RATS client).

# Everything but main(), so the tests link the same code.
noinst_LTLIBRARIES += helper/libhelper.la
helper_libhelper_la_SOURCES = \
	helper/helper.h \
	helper/attest.c helper/attest_override.c helper/attest.h \
	helper/acme_msg.c helper/acme_msg.h \
	helper/acme.c helper/acme.h \
	helper/certstore.h \
	helper/devkey.c helper/devkey.h \
	helper/schedule.c helper/schedule.h \
	helper/hconf.c helper/hconf.h \
	helper/http01.c helper/http01.h \
	helper/hooks.c helper/hooks.h helper/monitor.h \
	helper/enroll.c helper/enroll.h \
	helper/cmd_attest.c helper/cmd_acme.c helper/run.c
helper_libhelper_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/common \
	-DSYSCONFDIR='"$(sysconfdir)"' -DPKGLIBEXECDIR='"$(pkglibexecdir)"' $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(JOSE_CFLAGS) \
	$(CURL_CFLAGS) $(MHD_CFLAGS) $(HIREDIS_CFLAGS)
helper_deps = common/libarclient.la common/libarhttpd.la \
	lib/libacmerats.la $(CURL_LIBS) $(MHD_LIBS) $(JOSE_LIBS) $(JANSSON_LIBS) \
	$(OPENSSL_LIBS) $(HIREDIS_LIBS) -lpthread
helper_libs = helper/libhelper.la helper/libcertstore.la helper/libhelpertpm.la $(helper_deps) \
	$(TSS2_ESYS_LIBS) $(TSS2_MU_LIBS)

# The certificate store twice: as installed, and for the test build with the
# kill -9 hook (ACME_RATS_HELPER_CRASH_AT), which the installed helper does
# not contain (tests/helper/test_installed_helper_has_no_crash_hook.sh).
noinst_LTLIBRARIES += helper/libcertstore.la
helper_libcertstore_la_SOURCES = helper/certstore.c helper/certstore.h
helper_libcertstore_la_CPPFLAGS = $(helper_libhelper_la_CPPFLAGS)
check_LTLIBRARIES += helper/libcertstore_crash.la
helper_libcertstore_crash_la_SOURCES = helper/certstore.c helper/certstore.h
helper_libcertstore_crash_la_CPPFLAGS = $(helper_libhelper_la_CPPFLAGS) -DAR_HELPER_CRASH_HOOK

bin_PROGRAMS += helper/acme-rats-helper
helper_acme_rats_helper_SOURCES = helper/main.c
# TPM enrolment (ESAPI): in the binary only, not in libhelper.
helper_acme_rats_helper_SOURCES += helper/cmd_tpm_enroll.c helper/tpm_dev.c helper/tpm_dev.h
helper_acme_rats_helper_CPPFLAGS = $(helper_libhelper_la_CPPFLAGS) $(TSS2_ESYS_CFLAGS)
helper_acme_rats_helper_LDADD = $(helper_libs) $(TSS2_ESYS_LIBS) $(TSS2_MU_LIBS)

# The test build: the same program with the crash hook.
check_PROGRAMS += tests/helper/acme-rats-helper-crash
tests_helper_acme_rats_helper_crash_SOURCES = helper/main.c \
	helper/cmd_tpm_enroll.c helper/tpm_dev.c helper/tpm_dev.h
tests_helper_acme_rats_helper_crash_CPPFLAGS = $(helper_acme_rats_helper_CPPFLAGS)
tests_helper_acme_rats_helper_crash_LDADD = helper/libhelper.la helper/libcertstore_crash.la \
	helper/libhelpertpm.la $(helper_deps) $(TSS2_ESYS_LIBS) $(TSS2_MU_LIBS)
TESTS += tests/helper/test_installed_helper_has_no_crash_hook.sh
EXTRA_DIST += tests/helper/test_installed_helper_has_no_crash_hook.sh

# The daemon's waiting image: the C library only (helper/monitor.c).
pkglibexec_PROGRAMS = helper/acme-rats-helper-monitor
helper_acme_rats_helper_monitor_SOURCES = helper/monitor.c helper/monitor.h lib/log.c lib/log.h
helper_acme_rats_helper_monitor_CPPFLAGS = $(AM_CPPFLAGS)
helper_acme_rats_helper_monitor_LDADD =

# The TPM key into a tpm2-pkcs11 token for wpa_supplicant (docs/helper.md).
dist_pkglibexec_SCRIPTS = helper/acme-rats-tpm-pkcs11-link

dist_man1_MANS = helper/acme-rats-helper.1
dist_doc_DATA += docs/evidence.md docs/helper.md
# Samples: the configuration and the systemd unit.
EXTRA_DIST += helper/acme-rats-helper.conf helper/acme-rats-helper.service

# Integration tests: real acme-rats-ca, acme-rats-verifier, redis-server (and pebble).
TESTS += tests/helper/test_helper_enroll.sh tests/helper/test_helper_pebble.sh \
	tests/helper/test_helper_tpm.sh tests/helper/test_helper_memcheck.sh \
	tests/helper/test_helper_tpm_certified.sh
if LONG_TESTS
TESTS += tests/helper/test_helper_run.sh
endif
# EAP-TLS signed by the TPM key through tpm2-pkcs11 (freeradius with the
# module, eapol_test, swtpm, tpm2-abrmd): the plain pass only, its time goes
# to those programs (the helper's TPM path runs under the sanitizers in
# test_helper_tpm_certified.sh).
if BUILD_MODULE
if !SANITIZERS
TESTS += tests/tpm/test_eaptls_with_tpm_key.sh
endif
endif
EXTRA_DIST += tests/tpm/test_eaptls_with_tpm_key.sh
EXTRA_DIST += tests/helper/test_helper_memcheck.sh
EXTRA_DIST += tests/helper/lab.sh tests/helper/test_helper_enroll.sh tests/helper/test_helper_run.sh \
	tests/helper/test_helper_pebble.sh tests/helper/test_helper_tpm.sh \
	tests/helper/test_helper_tpm_certified.sh

# Unit tests of the schedule and the ACME response parsers.
check_PROGRAMS += tests/helper/test_helper_unit
TESTS += tests/helper/test_helper_unit
tests_helper_test_helper_unit_SOURCES = tests/helper/test_helper_unit.c \
	helper/schedule.c helper/acme_msg.c
tests_helper_test_helper_unit_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/helper

# The device side of a TPM attestation (ESAPI: certify, quote, logs): only
# the helper's TPM path and its tests link it, with tss2-esys/tctildr and
# the evidence encoder of libacmerats (lib/tpm_evidence.h).
noinst_LTLIBRARIES += helper/libhelpertpm.la
helper_libhelpertpm_la_SOURCES = helper/tpm_quote.c helper/tpm_quote.h \
	helper/tss2key.c helper/tss2key.h
helper_libhelpertpm_la_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS) $(TSS2_ESYS_CFLAGS) \
	$(TSS2_MU_CFLAGS)
helper_libhelpertpm_la_LIBADD = lib/libacmerats.la $(TSS2_ESYS_LIBS) $(TSS2_MU_LIBS) $(OPENSSL_LIBS)
