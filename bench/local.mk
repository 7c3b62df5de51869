# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmarks (not part of make check; see bench/run and docs/benchmarks.md).
EXTRA_PROGRAMS += bench/ear_verify
bench_ear_verify_SOURCES = bench/ear_verify.c
bench_ear_verify_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(JOSE_CFLAGS)
bench_ear_verify_LDADD = lib/libacmerats.la $(JOSE_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS)
CLEANFILES += bench/ear_verify

EXTRA_PROGRAMS += bench/verifier_load
bench_verifier_load_SOURCES = bench/verifier_load.c bench/benchutil.c bench/benchutil.h
bench_verifier_load_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS)
bench_verifier_load_LDADD = lib/libacmerats.la $(CURL_LIBS) $(JOSE_LIBS) $(JANSSON_LIBS) \
	$(OPENSSL_LIBS) -lpthread
CLEANFILES += bench/verifier_load
EXTRA_DIST += bench/verifier.sh

EXTRA_PROGRAMS += bench/ca_load
bench_ca_load_SOURCES = bench/ca_load.c bench/benchutil.c bench/benchutil.h bench/hclient.c \
	bench/hclient.h
bench_ca_load_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/common $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) \
	$(JOSE_CFLAGS)
bench_ca_load_LDADD = common/libarclient.la lib/libacmerats.la $(JOSE_LIBS) $(JANSSON_LIBS) \
	$(OPENSSL_LIBS) -lpthread
CLEANFILES += bench/ca_load
EXTRA_DIST += bench/ca.sh bench/lib.sh

# rlm_acme_rats: the per-authentication check in process, Redis on loopback;
# EAP-TLS authentications with and without the module (bench/module.sh).
EXTRA_PROGRAMS += bench/module_check
bench_module_check_SOURCES = bench/module_check.c bench/benchutil.c bench/benchutil.h \
	tests/module/modfix.c tests/module/modfix.h tests/lab/lab.c tests/lab/lab.h
bench_module_check_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/rlm_acme_rats -I$(top_srcdir)/tests \
	$(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(JOSE_CFLAGS) $(HIREDIS_CFLAGS)
bench_module_check_LDADD = $(armod_libs)
CLEANFILES += bench/module_check

EXTRA_PROGRAMS += bench/module_eap
bench_module_eap_SOURCES = bench/module_eap.c bench/benchutil.c bench/benchutil.h $(radtest_sources)
bench_module_eap_CPPFLAGS = $(AM_CPPFLAGS)
bench_module_eap_LDADD = $(TEST_LIBS)
CLEANFILES += bench/module_eap
EXTRA_DIST += bench/module.sh bench/module_sentinel.sh
EXTRA_DIST += bench/helper.sh

# SOC flag -> RADIUS Disconnect acknowledged by the NAS (bench/noc.sh).
EXTRA_PROGRAMS += bench/noc_flag
bench_noc_flag_SOURCES = bench/noc_flag.c bench/benchutil.c bench/benchutil.h
bench_noc_flag_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/bench $(HIREDIS_CFLAGS) $(OPENSSL_CFLAGS)
bench_noc_flag_LDADD = lib/libacmerats.la $(HIREDIS_LIBS) $(OPENSSL_LIBS) $(JANSSON_LIBS) $(JOSE_LIBS)
CLEANFILES += bench/noc_flag
EXTRA_DIST += bench/noc.sh
# SIEM alert (POST /soc/alerts) -> Disconnect acknowledged by the NAS (bench/noc.sh -m alert).
EXTRA_PROGRAMS += bench/soc_alert
bench_soc_alert_SOURCES = bench/soc_alert.c bench/benchutil.c bench/benchutil.h bench/hclient.c \
	bench/hclient.h
bench_soc_alert_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/common -I$(top_srcdir)/bench \
	$(HIREDIS_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(JOSE_CFLAGS)
bench_soc_alert_LDADD = common/libarclient.la lib/libacmerats.la $(HIREDIS_LIBS) $(JOSE_LIBS) \
	$(JANSSON_LIBS) $(OPENSSL_LIBS)
CLEANFILES += bench/soc_alert
# What one device costs in Redis (bench/redis_memory.sh).
EXTRA_DIST += bench/redis_memory.sh
EXTRA_DIST += bench/run

# posture lapse -> re-admitted, SOC flag -> disconnected on the real 802.1X site.
EXTRA_DIST += bench/lapse.sh
# High availability: the site test with every fault, longer (bench/ha.sh).
EXTRA_DIST += bench/ha.sh

# The CA benchmark, briefly and untimed, in the test suite: it still runs,
# and its figures rest on what they should (tests/integration/test_bench_ca.sh).
if LONG_TESTS
TESTS += tests/integration/test_bench_ca.sh
endif
EXTRA_DIST += tests/integration/test_bench_ca.sh
