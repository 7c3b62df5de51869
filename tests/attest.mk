# SPDX-License-Identifier: GPL-2.0-or-later
# The device attester: evidence collection against generated system trees,
# and the helper's parsers of verifier responses.
check_PROGRAMS += tests/unit/test_attest
TESTS += tests/unit/test_attest
tests_unit_test_attest_SOURCES = tests/unit/test_attest.c helper/attest.c helper/attest_override.c helper/attest.h \
	common/verifier_proto.c common/verifier_proto.h
tests_unit_test_attest_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/helper -I$(top_srcdir)/common

# acme-rats-helper attest against the real verifier (skips when either is not built).
TESTS += tests/integration/test_attest.sh
EXTRA_DIST += tests/integration/test_attest.sh
