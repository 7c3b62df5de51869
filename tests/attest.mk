# SPDX-License-Identifier: GPL-2.0-or-later
# The device attester: evidence collection against generated system trees.
check_PROGRAMS += tests/unit/test_attest
TESTS += tests/unit/test_attest
tests_unit_test_attest_CPPFLAGS = $(TEST_CFLAGS)
tests_unit_test_attest_LDADD = $(TEST_LIBS)
