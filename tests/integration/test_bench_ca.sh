#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (TAP): the CA benchmark still works, briefly and not
# timed - bench/ca.sh with one client for two seconds per mode against a
# real acme-rats-ca, redis-server and pebble, through the load generator's
# own HTTPS client (bench/hclient.c). It checks what the benchmark's
# figures rest on: every issuance succeeds, each server is measured, and an
# attested issuance costs acme-rats-ca 12 Redis round trips (8 plain), as
# docs/ca.md says: the nonce, the account and the record a URL names are
# read together.
set -u
lab_name=benchca
# shellcheck source=tests/lab/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

top_src=${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
top_build=${AR_TOP_BUILDDIR:-$PWD}
out=$work/bench.txt
lab_logs="$out"

# Nothing here is timed, and the suite runs tests side by side: no waiting
# for an idle machine.
BENCH_SETTLE_S=0 bash "$top_src/bench/ca.sh" "$top_build" -d 2 -c 1 -m "attested plain pebble" -o "$out" \
	>"$work/stdout" 2>&1 || true

# field MODE KEY: KEY's value in the run line of MODE ("" if absent).
field() {
	grep -E "^ca_issuances_per_s=.* mode=$1 " "$out" | head -n 1 | tr ' ' '\n' |
		sed -n "s/^$2=//p"
}

for mode in attested plain pebble; do
	n=$(field "$mode" issuances) f=$(field "$mode" failed)
	if [ "${n:-0}" -gt 0 ] && [ "${f:-1}" = 0 ]; then
		ok "$mode: $n issuances, none failed"
	else
		not_ok "$mode: issuances" "issuances=${n:-none} failed=${f:-none}; $(tail -n 5 "$work/stdout")"
	fi
done

# Redis counts every socket read, the benchmark's own INFO commands and the
# CA's event worker included: allow a dozen such reads over the run.
# Finalize reads the SOC verdict with WATCH before its transaction: one more.
for want in attested:12 plain:8; do
	mode=${want%:*} want=${want#*:}
	rt=$(field "$mode" redis_round_trips_per_issuance) n=$(field "$mode" issuances)
	if awk -v r="${rt:-99}" -v w="$want" -v n="${n:-0}" 		'BEGIN { exit !(n > 0 && r >= w && (r - w - 0.05) * n < 12) }'; then
		ok "$mode: $rt Redis round trips per issuance"
	else
		not_ok "$mode: Redis round trips per issuance" \
			"measured ${rt:-none} over ${n:-0} issuances, want $want"
	fi
done

if grep -qE '^ca_bench_summary best_attested_per_s=[1-9][0-9]* .*best_pebble_per_s=[1-9]' "$out"; then
	ok "the summary compares acme-rats-ca with pebble"
else
	not_ok "the summary line" "$(grep ca_bench_summary "$out" || echo missing)"
fi
lab_done
