#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# SOC flag -> RADIUS Disconnect benchmark: acme-rats-ca's NOC event worker
# against a real Dynamic Authorization Server (freeradius, as configured by
# tests/fixtures/mkdas, checking every authenticator), redis-server with
# AOF. bench/noc_flag appends COUNT contraindicated verdicts one after the
# other and times each until the NAS acknowledged and the session is gone.
#
#   bench/noc.sh BUILDDIR [-n COUNT] [-o OUTFILE]
#
# Prints (and appends to OUTFILE) one key=value line; goal p99 <= 250 ms.
set -euo pipefail
build=$(cd "$1" && pwd)
shift
count=300 out=""
while getopts n:o: opt; do
	case $opt in
	n) count=$OPTARG ;;
	o) out=$OPTARG ;;
	*) echo "usage: $0 BUILDDIR [-n COUNT] [-o OUTFILE]" >&2; exit 2 ;;
	esac
done
src=$(cd "$(dirname "$0")/.." && pwd)
make -C "$build" -s bench/noc_flag ca/acme-rats-ca >/dev/null
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
bench_scratch acmerats-nocbench

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --dir "$work" --save '' --appendonly yes \
	--appendfsync everysec --daemonize no >"$work/redis.log" 2>&1 &
pids+=($!)
wait_port "$rport"

das_port=$(free_port)
"$src/tests/fixtures/mkdas" "$work/das" "$das_port" bench-das-secret
freeradius -f -d "$work/das" >"$work/das.log" 2>&1 &
pids+=($!)
printf 'bench-das-secret\n' >"$work/das.secret"
chmod 600 "$work/das.secret"
cat >"$work/events.conf" <<CONF
[events]
worker = yes
consumer = bench
[nas "ap-bench"]
address = 127.0.0.1
das_port = $das_port
secret_file = $work/das.secret
nas_identifier = ap-bench
timeout = 1s
retries = 2
CONF
cport=$(free_port)
MKCA_EXTRA=$work/events.conf "$src/tests/fixtures/mkca" "$work/ca" "$cport" "$rport" no >/dev/null
"$build/ca/acme-rats-ca" -c "$work/ca/ca.conf" >"$work/ca.log" 2>&1 &
pids+=($!)
wait_port "$cport"
for i in $(seq 1 50); do
	grep -q 'event=noc.started' "$work/ca.log" && break
	sleep 0.1
done
sleep 0.5	# the DAS (freeradius) reads its configuration

line="$("$build/bench/noc_flag" "$rport" "$count") loadavg=$(cut -d' ' -f1 /proc/loadavg)"
echo "$line"
[ -z "$out" ] || echo "$line" >>"$out"
