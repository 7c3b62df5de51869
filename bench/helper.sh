#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmark of acme-rats-helper on this machine, against a real lab
# (redis-server, acme-rats-verifier, acme-rats-ca on 127.0.0.1):
#   - wall time of one attested enrollment, passport and background-check
#     models (median of N runs);
#   - one renewal (`renew --force`, what the daemon's worker does): peak
#     RSS and CPU time (median of N runs);
#   - the daemon idle between actions (acme-rats-helper-monitor): RSS, its
#     private (anonymous) part, PSS, and CPU time over IDLE seconds, its
#     workers' included; and for comparison the peak RSS of the full
#     binary that only loads its libraries (--version).
# Prints key=value lines for docs/benchmarks.md.
#
#   AR_TOP_SRCDIR=.. AR_TOP_BUILDDIR=. bench/helper.sh [N] [IDLE]
set -u
runs=${1:-10}
idle=${2:-60}
# shellcheck source=tests/helper/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/helper/lab.sh"
# The real binary, not libtool's wrapper script (whose shell would be measured).
bin=$top_build/helper/.libs/acme-rats-helper
[ -x "$bin" ] || bin=$helper
export LD_LIBRARY_PATH=$top_build/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

lab_start_all "identifiers = permanent-identifier
attest = any os_patch_level
lifetime = 8h"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

for model in passport background-check; do
	MODEL=$model helper_conf "$work/$model.conf" "$work/$model"
	for _ in $(seq 1 "$runs"); do
		t0=$(date +%s%N)
		"$bin" renew --force -c "$work/$model.conf" >/dev/null 2>&1 || bail "$model enrollment failed"
		echo $((($(date +%s%N) - t0) / 1000000))
	done | median | sed "s/^/helper_enroll_ms model=$model runs=$runs median_ms=/"
done

# A renewal's peak memory and CPU, as GNU time sees the process.
command -v /usr/bin/time >/dev/null || bail "GNU time is missing: run scripts/setup"
for _ in $(seq 1 "$runs"); do
	/usr/bin/time -o "$work/time" -f '%M %U %S' "$bin" renew --force -c "$work/passport.conf" \
		>/dev/null 2>&1 || bail "renewal failed"
	tail -n 1 "$work/time"
done | awk '{ print $1, ($2 + $3) * 1000 }' | sort -n -k2 |
	awk -v n="$runs" '{ rss[NR] = $1; cpu[NR] = $2 } END { m = int((n + 1) / 2)
		printf "helper_renew runs=%d maxrss_kb=%d cpu_ms=%.0f\n", n, rss[m], cpu[m] }'

helper_conf "$work/d.conf" "$work/passport"
lab_bg "$work/daemon.log" "$bin" run -c "$work/d.conf"
pid=$!
wait_for 100 grep -q 'event=schedule next=ari-poll' "$work/daemon.log" || bail "the daemon did not settle"
sleep 2
# utime + stime, and cutime + cstime: the workers it ran and reaped.
ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat"; }
c0=$(ticks)
sleep "$idle"
c1=$(ticks)
hz=$(getconf CLK_TCK)
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
anon=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status")
file=$(awk '/^RssFile/ { print $2 }' "/proc/$pid/status")
pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")
libs=$(awk '$6 ~ /\.so/ { print $6 }' "/proc/$pid/maps" | sort -u | wc -l)
# The floor: the same binary having only loaded its shared libraries.
floor=$( { /usr/bin/time -f '%M' "$bin" --version >/dev/null; } 2>&1 | tail -n 1)
echo "helper_load_floor maxrss_kb=$floor (acme-rats-helper --version)"
echo "helper_idle rss_kb=$rss rss_anon_kb=$anon rss_file_kb=$file pss_kb=$pss shared_libs=$libs" \
	"cpu_s=$(awk -v t=$((c1 - c0)) -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }') over_s=$idle"
