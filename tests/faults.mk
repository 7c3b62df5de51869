# SPDX-License-Identifier: GPL-2.0-or-later
# Fault injection with real processes: acme-rats-helper on a full and on a
# read-only disk (a tmpfs in a private mount namespace, as root), and clocks
# that disagree between the device, the verifier and the CA (libfaketime).
TESTS += tests/helper/test_helper_faults.sh tests/integration/test_clock_skew.sh
EXTRA_DIST += tests/helper/test_helper_faults.sh tests/integration/test_clock_skew.sh
