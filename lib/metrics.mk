# SPDX-License-Identifier: GPL-2.0-or-later
# Metrics: counters, gauges, histograms and their Prometheus text exposition.
lib_libacmerats_la_SOURCES += lib/metrics.c lib/metrics.h lib/radius_metrics.c lib/radius_metrics.h
pkginclude_HEADERS += lib/metrics.h lib/radius_metrics.h

# The exposition format: escaping, buckets, label bounds, cells by name.
check_PROGRAMS += tests/unit/test_metrics
TESTS += tests/unit/test_metrics

# The example alert rules: promtool check rules, and promtool test rules.
TESTS += tests/integration/test_prometheus_rules.sh
EXTRA_DIST += tests/integration/test_prometheus_rules.sh docs/prometheus/acme-rats.rules.yml \
	docs/prometheus/acme-rats.rules.test.yml
