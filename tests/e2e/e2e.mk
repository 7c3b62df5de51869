# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end: the SOC -> NOC loop on a real wired 802.1X site (root: namespaces).
if LONG_TESTS
TESTS += tests/e2e/test_8021x.sh
endif
EXTRA_DIST += tests/e2e/test_8021x.sh tests/e2e/lab8021x.sh tests/e2e/substation-demo
