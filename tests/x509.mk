# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of the certificate units (keys, CAs and CSRs made at test time).
check_PROGRAMS += tests/unit/test_certext
TESTS += tests/unit/test_certext
check_PROGRAMS += tests/unit/test_x509
TESTS += tests/unit/test_x509
