#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The site test, short version (TAP): tests/site/site_run.sh once per
# fault, each on a fresh site under load for SITE_SECONDS (default 16):
# SIGKILL of the Redis primary, then SIGKILL of one CA replica in the
# middle of orders. Each run asserts that no authentication of the
# healthy laptop is rejected, that writes and issuances succeed again,
# that every certificate the client received is in Redis and that the
# laptop is admitted through hostapd afterwards; its figures are shown as
# "# figure: ..." lines. bench/ha.sh runs every fault (a hung primary and
# a dead freeradius too) with a longer load.
# Needs root (namespaces).
set -u
top_src=${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
n=0
failed=0
for fault in ${SITE_FAULTS:-redis-kill ca-kill}; do
	while IFS= read -r line; do
		case $line in
		"ok "*|"not ok "*)
			n=$((n + 1))
			# renumber: "ok N - what" -> "ok n - [fault] what"
			status=${line%% [0-9]*}
			rest=${line#* - }
			[ "$status" = ok ] || case $rest in *"# TODO"*) ;; *) failed=$((failed + 1)) ;; esac
			echo "$status $n - [$fault] $rest"
			;;
		"Bail out!"*)
			n=$((n + 1))
			failed=$((failed + 1))
			echo "not ok $n - [$fault] ${line#Bail out! }"
			;;
		1..*) ;;
		*) echo "$line" ;;
		esac
	done < <("$top_src/tests/site/site_run.sh" "$fault" "${SITE_SECONDS:-16}" 2>&1)
done
echo "1..$n"
[ "$failed" -eq 0 ]
