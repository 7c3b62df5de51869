# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of the certificate units (keys, CAs and CSRs made at test time).
check_PROGRAMS += tests/unit/test_certext
TESTS += tests/unit/test_certext
tests_unit_test_certext_CPPFLAGS = $(TEST_CFLAGS)
tests_unit_test_certext_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/unit/test_x509
TESTS += tests/unit/test_x509
tests_unit_test_x509_CPPFLAGS = $(TEST_CFLAGS)
tests_unit_test_x509_LDADD = $(TEST_LIBS)
