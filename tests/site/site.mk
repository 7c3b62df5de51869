# SPDX-License-Identifier: GPL-2.0-or-later
# High availability with real processes (tests/site/site.sh): CA replicas
# behind haproxy (haproxy/acme-rats-ca.cfg), two FreeRADIUS servers for one
# NAS, and the site under load with one part killed at a time (root: the
# laptop lives in a network namespace).
TESTS += tests/site/test_any_ca_replica_serves_any_request_of_an_order.sh
# hostapd takes 45-80 s to give up on a dead RADIUS server: a long test.
if BUILD_MODULE
if LONG_TESTS
TESTS += tests/site/test_dead_primary_radius_locks_no_device_out.sh
endif
# the site test, short version (bench/ha.sh runs the long one)
TESTS += tests/site/test_site_survives_the_death_of_any_one_part.sh
endif
EXTRA_DIST += tests/site/site.sh tests/site/test_any_ca_replica_serves_any_request_of_an_order.sh \
	tests/site/test_dead_primary_radius_locks_no_device_out.sh tests/site/site_run.sh \
	tests/site/test_site_survives_the_death_of_any_one_part.sh
