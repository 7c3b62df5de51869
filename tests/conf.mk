# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of the configuration-file reader.
check_PROGRAMS += tests/unit/test_conf
TESTS += tests/unit/test_conf
tests_unit_test_conf_CPPFLAGS = $(TEST_CFLAGS)
tests_unit_test_conf_LDADD = $(TEST_LIBS)
