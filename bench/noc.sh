#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# SOC flag -> RADIUS Disconnect benchmark: acme-rats-ca's NOC event worker
# against a real Dynamic Authorization Server (freeradius, as configured by
# tests/fixtures/mkdas, checking every authenticator), redis-server with
# AOF. bench/noc_flag appends COUNT contraindicated verdicts one after the
# other and times each until the NAS acknowledged and the session is gone.
#
# -m alert: the same, from a SIEM alert. acme-rats-verifier runs too, with
# [alert_source "bench"] (HMAC, a rules file naming the device by id);
# bench/soc_alert POSTs COUNT signed Wazuh-shaped alerts (rule.level 12)
# to /soc/alerts one after the other, each over a new TLS connection, and
# times each until the NAS acknowledged and the session is gone.
#
#   bench/noc.sh BUILDDIR [-m flag|alert] [-n COUNT] [-o OUTFILE]
#
# Prints (and appends to OUTFILE) one key=value line; goal p99 <= 250 ms
# (flag), p99 <= 50 ms (alert).
set -euo pipefail
build=$(cd "$1" && pwd)
shift
count=300 out="" mode=flag rc=0
usage() { echo "usage: $0 BUILDDIR [-m flag|alert] [-n COUNT] [-o OUTFILE]" >&2; exit 2; }
while getopts m:n:o: opt; do
	case $opt in
	m) mode=$OPTARG ;;
	n) count=$OPTARG ;;
	o) out=$OPTARG ;;
	*) usage ;;
	esac
done
case $mode in flag | alert) ;; *) usage ;; esac
case $count in '' | *[!0-9]* | 0) usage ;; esac
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$mode" = alert ]; then
	make -C "$build" -s bench/soc_alert ca/acme-rats-ca verifier/acme-rats-verifier >/dev/null
else
	make -C "$build" -s bench/noc_flag ca/acme-rats-ca >/dev/null
fi
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

if [ "$mode" = alert ]; then
	# The SIEM's side: one HMAC source, the rules reading a Wazuh alert
	# whose agent.name is the device id. Rate and burst at their maxima:
	# the benchmark measures latency, not the limiter.
	openssl rand -hex 24 >"$work/alert.secret"
	chmod 600 "$work/alert.secret"
	cat >"$work/alert-rules.json" <<'JSON'
{
  "alert_id": ["id"],
  "device": [{"path": "agent.name", "by": "device"}],
  "reason": ["rule.description"],
  "verdict": {"path": "rule.level",
              "levels": [{"min": 12, "verdict": "contraindicated"},
                         {"min": 7, "verdict": "warning"}]}
}
JSON
	vport=$(free_port)
	MKVERIFIER_EXTRA="
[alert_source \"bench\"]
auth = hmac
secret_file = $work/alert.secret
rules = $work/alert-rules.json
rate = 60000
burst = 10000" "$src/tests/fixtures/mkverifier" "$work/verifier" "$vport" "$rport" >/dev/null
	"$build/verifier/acme-rats-verifier" -c "$work/verifier/verifier.conf" \
		>"$work/verifier.log" 2>&1 &
	pids+=($!)
	wait_port "$vport"
	res=$("$build/bench/soc_alert" "$rport" "$vport" "$work/verifier/ca.crt" \
		"$work/alert.secret" "$count") || rc=$?
else
	res=$("$build/bench/noc_flag" "$rport" "$count") || rc=$?
fi
line="$res loadavg=$(cut -d' ' -f1 /proc/loadavg)"
echo "$line"
[ -z "$out" ] || echo "$line" >>"$out"
exit "$rc"
