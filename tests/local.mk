# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests (cmocka, pure lib/ code) and integration tests (real processes).
# Each unit adds its tests through a fragment below.

TEST_CFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) \
	$(JANSSON_CFLAGS) $(JOSE_CFLAGS) $(HIREDIS_CFLAGS) -I$(top_srcdir)/tests
TEST_LIBS = lib/libacmerats.la $(CMOCKA_LIBS) $(JOSE_LIBS) $(JANSSON_LIBS) \
	$(OPENSSL_LIBS) $(HIREDIS_LIBS)

include tests/jose.mk
include tests/conf.mk
include tests/lab/lab.mk
include tests/attest.mk
include tests/x509.mk
include tests/radius.mk
include tests/e2e/e2e.mk
include tests/faults.mk
