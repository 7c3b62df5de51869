# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of the SIEM alert mapping rules and the syslog line of an event.
check_PROGRAMS += tests/unit/test_alert
TESTS += tests/unit/test_alert
