#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Test (TAP): the example alert rules shipped in docs/prometheus parse
# (`promtool check rules`), and each alert fires on the series that should
# trigger it and stays quiet before (`promtool test rules`): posture lapses
# above a rate, event worker lag, disconnects not confirmed, Redis down.
set -u
top_src=${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
rules=$top_src/docs/prometheus/acme-rats.rules.yml
cases=$top_src/docs/prometheus/acme-rats.rules.test.yml

echo "1..2"
if out=$(promtool check rules "$rules" 2>&1) && grep -q "SUCCESS: 6 rules found" <<<"$out"; then
	echo "ok 1 - test_alert_rules_parse"
else
	printf '%s\n' "$out" | sed 's/^/# /'
	echo "not ok 1 - test_alert_rules_parse"
fi
# promtool resolves rule_files relative to the test file.
if out=$(promtool test rules "$cases" 2>&1); then
	echo "ok 2 - test_alerts_fire_on_lapses_lag_failed_disconnects_and_redis_down"
else
	printf '%s\n' "$out" | sed 's/^/# /'
	echo "not ok 2 - test_alerts_fire_on_lapses_lag_failed_disconnects_and_redis_down"
fi
