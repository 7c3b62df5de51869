#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# rlm_acme_rats's check with Redis Sentinel configured, against the same
# check on a single redis-server, in steady state (no failover), from a
# build directory:
#
#   bash ../bench/module_sentinel.sh [ITERATIONS] [ROUNDS]
#
# defaults: 50000 iterations, 3 rounds. Each round runs bench/module_check
# (the module's armod_check with one pipelined Redis round trip) first on
# a standalone redis-server, then through 3 sentinels to the primary of a
# primary + 2 replicas (tests/site/site.sh's ha_redis: AOF, every node on
# loopback). Prints each run's "module_check_us" line, then
#   module_sentinel single_p99_us=.. sentinel_p99_us=.. ratio=..
# the medians over the rounds of the two p99s, and their ratio (the goal:
# at most 1.10).
set -u
lab_name=module-sentinel
AR_TOP_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
AR_TOP_BUILDDIR=$PWD
export AR_TOP_SRCDIR AR_TOP_BUILDDIR
# shellcheck source=tests/lab/lab.sh
. "$AR_TOP_SRCDIR/tests/lab/lab.sh"
# shellcheck source=tests/site/site.sh
. "$top_src/tests/site/site.sh"

n=${1:-50000}
rounds=${2:-3}
make -s bench/module_check || exit 1
echo "# $(date -u +%FT%TZ) $(uname -m) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
ha_redis
sentinels=$(sed -n 's/^sentinels = //p' <<<"$ha_redis_conf")

p99() { sed -n 's/^module_check_us .*p99=\([0-9.]*\).*/\1/p'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
single=()
sentinel=()
for r in $(seq 1 "$rounds"); do
	out=$(./bench/module_check "$n") || bail "module_check on a single redis-server failed"
	echo "round $r single:   $out" | head -1
	single+=("$(p99 <<<"$out")")
	out=$(./bench/module_check -S "$sentinels" -m "$ha_master" "$n") ||
		bail "module_check through the sentinels failed"
	echo "round $r sentinel: $out"
	sentinel+=("$(p99 <<<"$out")")
done
s=$(printf '%s\n' "${single[@]}" | median)
t=$(printf '%s\n' "${sentinel[@]}" | median)
echo "module_sentinel single_p99_us=$s sentinel_p99_us=$t ratio=$(awk -v a="$s" -v b="$t" 'BEGIN { printf "%.3f", b / a }')"
