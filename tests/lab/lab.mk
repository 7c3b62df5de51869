# SPDX-License-Identifier: GPL-2.0-or-later
# Test lab (tests/lab): real servers on 127.0.0.1 ports claimed per test for the
# integration tests, cleaned up however a test ends. Each integration test
# links the lab sources.
lab_sources = tests/lab/lab.c tests/lab/lab.h

# The Redis store against a real redis-server.
check_PROGRAMS += tests/integration/test_store
TESTS += tests/integration/test_store
tests_integration_test_store_SOURCES = tests/integration/test_store.c $(lab_sources)

# The store under Redis Sentinel: a primary, two replicas, three sentinels, failovers.
check_PROGRAMS += tests/integration/test_store_sentinel
TESTS += tests/integration/test_store_sentinel
tests_integration_test_store_sentinel_SOURCES = tests/integration/test_store_sentinel.c \
	$(lab_sources)
tests_integration_test_store_sentinel_LDADD = $(LDADD) -lpthread
EXTRA_DIST += tests/lab/lab.sh tests/lab/ports.sh
