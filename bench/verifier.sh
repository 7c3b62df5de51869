#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Verifier benchmarks: EAR verify+appraise on one core (vs the ES256 verify
# limit of `openssl speed`), and end-to-end appraisals/s over HTTPS with
# keep-alive against a real acme-rats-verifier and redis-server (AOF on),
# and the two daemons' peak and current RSS after the runs (daemon_rss).
#
#   bench/verifier.sh BUILDDIR [SECONDS]
set -euo pipefail
build=$(cd "$1" && pwd)
secs=${2:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
make -C "$build" -s bench/ear_verify bench/verifier_load verifier/acme-rats-verifier >/dev/null

# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
bench_scratch acmerats-bench

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
openssl speed -seconds "$secs" ecdsap256 2>/dev/null | awk '/256 bits ecdsa/ {printf "es256_verify_limit_per_s=%s es256_sign_limit_per_s=%s\n", $8, $7}'
"$build/bench/ear_verify" "$secs"

rport=$(free_port)
vport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --dir "$work" --appendonly yes \
	--appendfsync everysec --save "" --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
pids+=("$redis_pid")
wait_port "$rport"
"$src/tests/fixtures/mkverifier" "$work" "$vport" "$rport"
sed -i 's/^level = info/level = warn/' "$work/verifier.conf"
"$build/verifier/acme-rats-verifier" -c "$work/verifier.conf" 2>"$work/verifier.log" &
verifier_pid=$!
pids+=("$verifier_pid")
wait_port "$vport"
for threads in 1 4 16; do
	"$build/bench/verifier_load" "https://127.0.0.1:$vport" "$work/ca.crt" "$threads" "$secs" \
		"$rport"
done
daemon_rss verifier acme-rats-verifier "$verifier_pid" "c$threads"
daemon_rss verifier redis-server "$redis_pid" "c$threads"
