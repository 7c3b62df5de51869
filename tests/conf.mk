# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of the configuration-file reader.
check_PROGRAMS += tests/unit/test_conf
TESTS += tests/unit/test_conf
