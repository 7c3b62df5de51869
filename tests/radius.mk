# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of RADIUS Dynamic Authorization (lib/radius.c).
check_PROGRAMS += tests/unit/test_radius
TESTS += tests/unit/test_radius
