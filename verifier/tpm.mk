# SPDX-License-Identifier: GPL-2.0-or-later
# TPM 2.0 evidence (quotes, key certification, boot log, IMA list): a
# convenience library only the verifier, its tests and fuzz targets link,
# so that libacmerats and the FreeRADIUS module never link libtss2.

noinst_LTLIBRARIES += verifier/libartpm.la
verifier_libartpm_la_SOURCES = verifier/tpm.h verifier/tpm_attest.c verifier/tpm_key.c \
	verifier/tpm_eventlog.h verifier/tpm_eventlog.c verifier/tpm_ima.h verifier/tpm_ima.c \
	verifier/tpm_appraise.h verifier/tpm_appraise.c
verifier_libartpm_la_SOURCES += verifier/tpm_registry.h verifier/tpm_registry.c \
	verifier/tpm_enroll.h verifier/tpm_enroll.c
verifier_libartpm_la_SOURCES += verifier/tpm_cmw.h verifier/tpm_cmw.c \
	verifier/tpm_policy.h verifier/tpm_policy.c
verifier_libartpm_la_CPPFLAGS = $(AM_CPPFLAGS) $(TSS2_MU_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
verifier_libartpm_la_LIBADD = lib/libacmerats.la $(TSS2_MU_LIBS) $(OPENSSL_LIBS) $(JANSSON_LIBS)

TPM_TEST_CFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) \
	$(JOSE_CFLAGS) $(HIREDIS_CFLAGS) -I$(top_srcdir)/tests -I$(top_srcdir)/verifier \
	$(TSS2_MU_CFLAGS)
TPM_TEST_LIBS = verifier/libartpm.la $(TEST_LIBS) $(TSS2_MU_LIBS)

# Writes a TCG2 boot log and an ima-ng list and extends a TPM's PCRs to
# match (ESAPI, over the TCTI the test names).
check_PROGRAMS += tests/tpm/tpm_gen
tests_tpm_tpm_gen_SOURCES = tests/tpm/tpm_gen.c lib/buf.c lib/buf.h
tests_tpm_tpm_gen_CPPFLAGS = $(AM_CPPFLAGS) $(TSS2_ESYS_CFLAGS) $(OPENSSL_CFLAGS)
tests_tpm_tpm_gen_LDADD = $(TSS2_ESYS_LIBS) $(TSS2_MU_LIBS) $(OPENSSL_LIBS)

# Quotes and certifications of a real swtpm (tpm2-tools), and each attack.
check_PROGRAMS += tests/tpm/test_tpm
TESTS += tests/tpm/test_tpm
tests_tpm_test_tpm_SOURCES = tests/tpm/test_tpm.c tests/tpm/tpmlab.c tests/tpm/tpmlab.h \
	$(lab_sources)
tests_tpm_test_tpm_CPPFLAGS = $(TPM_TEST_CFLAGS)
tests_tpm_test_tpm_LDADD = $(TPM_TEST_LIBS)

# Appraisal throughput (not part of make check; the lead's bench/run).
EXTRA_PROGRAMS += bench/tpm_appraise
bench_tpm_appraise_SOURCES = bench/tpm_appraise.c tests/tpm/tpmlab.c tests/tpm/tpmlab.h $(lab_sources)
bench_tpm_appraise_CPPFLAGS = $(TPM_TEST_CFLAGS)
bench_tpm_appraise_LDADD = $(TPM_TEST_LIBS)
CLEANFILES += bench/tpm_appraise

# The parsers on crafted input (no TPM).
check_PROGRAMS += tests/tpm/test_tpm_parse
TESTS += tests/tpm/test_tpm_parse
tests_tpm_test_tpm_parse_SOURCES = tests/tpm/test_tpm_parse.c
tests_tpm_test_tpm_parse_CPPFLAGS = $(TPM_TEST_CFLAGS)
tests_tpm_test_tpm_parse_LDADD = $(TPM_TEST_LIBS)

# The AK registry against a real redis-server.
check_PROGRAMS += tests/tpm/test_tpm_registry
TESTS += tests/tpm/test_tpm_registry
tests_tpm_test_tpm_registry_SOURCES = tests/tpm/test_tpm_registry.c $(lab_sources)
tests_tpm_test_tpm_registry_CPPFLAGS = $(TPM_TEST_CFLAGS)
tests_tpm_test_tpm_registry_LDADD = $(TPM_TEST_LIBS)

# TPM attestation through the real verifier over HTTPS: swtpm, redis-server,
# the AK registry, and each attack refused with its reason.
check_PROGRAMS += tests/tpm/test_tpm_verifier
TESTS += tests/tpm/test_tpm_verifier
tests_tpm_test_tpm_verifier_SOURCES = tests/tpm/test_tpm_verifier.c tests/tpm/tpmlab.c \
	tests/tpm/tpmlab.h tests/httpc.c tests/httpc.h tests/evfix.c tests/evfix.h \
	tests/vtest.c tests/vtest.h $(lab_sources)
tests_tpm_test_tpm_verifier_CPPFLAGS = $(TPM_TEST_CFLAGS) $(CURL_CFLAGS) -I$(top_srcdir)/helper $(TSS2_ESYS_CFLAGS)
tests_tpm_test_tpm_verifier_LDADD = helper/libhelpertpm.la $(TPM_TEST_LIBS) $(TSS2_ESYS_LIBS)

# EK certificates and credential activation against a real swtpm.
check_PROGRAMS += tests/tpm/test_tpm_enroll
TESTS += tests/tpm/test_tpm_enroll
tests_tpm_test_tpm_enroll_SOURCES = tests/tpm/test_tpm_enroll.c tests/tpm/tpmlab.c \
	tests/tpm/tpmlab.h $(lab_sources)
tests_tpm_test_tpm_enroll_CPPFLAGS = $(TPM_TEST_CFLAGS)
tests_tpm_test_tpm_enroll_LDADD = $(TPM_TEST_LIBS)

# TPM enrolment end to end: swtpm, redis-server and the verifier over HTTPS.
check_PROGRAMS += tests/tpm/test_tpm_enroll_api
TESTS += tests/tpm/test_tpm_enroll_api
tests_tpm_test_tpm_enroll_api_SOURCES = tests/tpm/test_tpm_enroll_api.c tests/tpm/tpmlab.c \
	tests/tpm/tpmlab.h tests/httpc.c tests/httpc.h tests/evfix.c tests/evfix.h \
	tests/vtest.c tests/vtest.h $(lab_sources)
tests_tpm_test_tpm_enroll_api_CPPFLAGS = $(TPM_TEST_CFLAGS)
tests_tpm_test_tpm_enroll_api_LDADD = $(TPM_TEST_LIBS)

# TPM enrolment time with swtpm (not part of make check; the lead's bench/run).
EXTRA_PROGRAMS += bench/tpm_enroll
bench_tpm_enroll_SOURCES = bench/tpm_enroll.c bench/benchutil.c bench/benchutil.h \
	tests/tpm/tpmlab.c tests/tpm/tpmlab.h tests/evfix.c tests/evfix.h $(lab_sources)
bench_tpm_enroll_CPPFLAGS = $(TPM_TEST_CFLAGS)
bench_tpm_enroll_LDADD = $(TPM_TEST_LIBS)
CLEANFILES += bench/tpm_enroll

# The device side of one attestation with swtpm (helper/tpm_quote.c), p50/p99.
EXTRA_PROGRAMS += bench/tpm_device
bench_tpm_device_SOURCES = bench/tpm_device.c tests/tpm/tpmlab.c tests/tpm/tpmlab.h $(lab_sources)
bench_tpm_device_CPPFLAGS = $(TPM_TEST_CFLAGS) -I$(top_srcdir)/helper $(TSS2_ESYS_CFLAGS)
bench_tpm_device_LDADD = helper/libhelpertpm.la $(TPM_TEST_LIBS) $(TSS2_ESYS_LIBS)
CLEANFILES += bench/tpm_device
