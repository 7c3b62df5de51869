# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests (cmocka, pure lib/ code) and integration tests (real processes).
# Each unit adds its tests through a fragment below.
#
# A test program gets AM_CPPFLAGS (which has tests/ and the dependencies'
# flags, Makefile.am) and the LDADD below by default: libacmerats, cmocka,
# libcurl and the rest. Adding tests/unit/test_X.c is two lines:
#   check_PROGRAMS += tests/unit/test_X
#   TESTS += tests/unit/test_X
# plus _SOURCES when it links more than its own file. Every program that is
# not a test sets its own LDADD.
TEST_LIBS = lib/libacmerats.la $(CMOCKA_LIBS) $(CURL_LIBS) $(JOSE_LIBS) $(JANSSON_LIBS) \
	$(OPENSSL_LIBS) $(HIREDIS_LIBS)
LDADD = $(TEST_LIBS)

include tests/jose.mk
include tests/conf.mk
include tests/lab/lab.mk
include tests/attest.mk
include tests/x509.mk
include tests/radius.mk
include tests/e2e/e2e.mk
include tests/faults.mk
include tests/site/site.mk
