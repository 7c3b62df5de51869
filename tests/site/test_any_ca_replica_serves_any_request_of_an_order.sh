#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Two acme-rats-ca replicas behind haproxy (the shipped
# haproxy/acme-rats-ca.cfg: TLS passthrough, round robin, health checks on
# GET /directory), one ACME URL (TAP). Accounts, nonces and orders live in
# Redis, so any replica serves any request of an order:
#
#   - haproxy accepts the shipped configuration, both replicas pass its
#     health check, and new connections alternate between them;
#   - acme-rats-helper (a real ACME client with remote-attest-01) enrolls
#     through haproxy; the replica that created its order is SIGKILLed
#     while the helper waits for the verifier (held with SIGSTOP between
#     newOrder and the challenge response): the helper's next requests
#     land on the other replica, which validates the challenge, finalizes
#     and issues; the certificate is in Redis;
#   - haproxy marks the dead replica down (time measured), and up again
#     once it is restarted.
set -u
# shellcheck source=tests/helper/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helper/lab.sh"
# shellcheck source=tests/site/site.sh
. "$top_src/tests/site/site.sh"

command -v haproxy >/dev/null || bail "haproxy is missing: run scripts/setup"

# haproxy's runtime API (its stats socket): one command, its answer.
hx() {
	python3 - "$work/haproxy.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
PY
}
# server_status caN: UP, DOWN, ... as haproxy's health checks see it.
server_status() { hx "show stat" | awk -F, -v s="$1" '$1 == "acme-rats-ca" && $2 == s { print $18 }'; }
status_is() { [ "$(server_status "$1")" = "$2" ]; }
# Connections haproxy sent to replica caN so far (its tcplog lines).
conns_to() { grep -c "acme-rats-ca/$1 " "$work/haproxy.log" 2>/dev/null || true; }
# The replica (1 or 2) whose log says it created an order, and the order.
order_replica() {
	local i
	for i in 1 2; do
		grep -q 'event=order.created' "$work/ca$i.log" && echo "$i" && return 0
	done
	return 1
}

# shellcheck disable=SC2119 # no extra redis-server arguments
lab_redis
lab_verifier
ha_ca "identifiers = permanent-identifier
attest = any os_patch_level
lifetime = 1h"
device_tree "$work/device" 3
ok "haproxy accepts the shipped haproxy/acme-rats-ca.cfg (haproxy -c) and serves the directory"

if wait_for 50 status_is ca1 UP && wait_for 50 status_is ca2 UP; then
	ok "both replicas pass haproxy's health check (GET /directory over TLS)"
else
	not_ok "both replicas pass haproxy's health check" "ca1=$(server_status ca1) ca2=$(server_status ca2)"
fi

c1=$(conns_to ca1)
c2=$(conns_to ca2)
for _ in 1 2 3 4 5 6; do
	curl -sf --cacert "$work/ca/ca.crt" -o /dev/null "https://127.0.0.1:$cport/directory"
done
sleep 0.2
d1=$(( $(conns_to ca1) - c1 ))
d2=$(( $(conns_to ca2) - c2 ))
if [ "$d1" -eq 3 ] && [ "$d2" -eq 3 ]; then
	ok "6 new connections: 3 to each replica (round robin)"
else
	not_ok "6 new connections: 3 to each replica" "ca1=$d1 ca2=$d2"
fi

# --- one order, two replicas -----------------------------------------------------
helper_conf "$work/helper.conf" "$work/state"
vpid=${lab_pids[1]}	# lab_redis, then lab_verifier
grep -q "acme-rats-verifier" "/proc/$vpid/cmdline" 2>/dev/null || bail "cannot find the verifier's pid"
kill -STOP "$vpid"
"$helper" enroll -c "$work/helper.conf" >"$work/out" 2>"$work/err" &
enroll_pid=$!
if ! wait_for 100 order_replica >/dev/null; then
	kill -CONT "$vpid"
	wait "$enroll_pid"
	bail "no replica created the order: $(tail -3 "$work/err")"
fi
a=$(order_replica)
b=$((3 - a))
order=$(sed -n 's/.*event=order.created order=\([^ ]*\).*/\1/p' "$work/ca$a.log" | head -1)
sleep 0.3		# the helper now waits for the verifier
kill9 "${ha_ca_pid[$a]}"
t_kill=$(ms)
# when haproxy's checks see it, measured while the helper carries on
( wait_for 100 status_is "ca$a" DOWN && echo $(( $(ms) - t_kill )) >"$work/down_ms" ) &
down_pid=$!
kill -CONT "$vpid"
wait "$enroll_pid"
rc=$?
if [ "$rc" -eq 0 ] && pair_matches "$work/state"; then
	ok "the helper enrolls through haproxy although replica $a died after creating its order"
else
	not_ok "the helper enrolls through haproxy although replica $a died" "$(tail -3 "$work/err")"
fi
if grep -q "event=certificate.issued order=$order " "$work/ca$b.log" &&
   ! grep -q "event=certificate.issued order=$order " "$work/ca$a.log"; then
	ok "order $order: created by replica $a, validated, finalized and issued by replica $b"
else
	not_ok "order $order: created by replica $a, issued by replica $b" \
		"$(grep -h "order=$order" "$work/ca1.log" "$work/ca2.log" | tail -4)"
fi
serial=$(live_serial "$work/state")
if [ -n "$serial" ] &&
   [ "$(redis-cli -p "$redis_port" exists "acmerats:sn:$(/usr/bin/python3 -c 'import base64, sys
print(base64.urlsafe_b64encode(bytes.fromhex(sys.argv[1])).decode().rstrip("="))' "$serial")")" = 1 ] &&
   [ "$(redis-cli -p "$redis_port" hlen "acmerats:{dev:SUB-0042}:c")" -ge 1 ]; then
	ok "the certificate's record is in Redis (serial $serial)"
else
	not_ok "the certificate's record is in Redis" "serial=$serial"
fi

wait "$down_pid"
if [ -s "$work/down_ms" ] && status_is "ca$a" DOWN; then
	ok "haproxy marks replica $a down $(cat "$work/down_ms") ms after SIGKILL"
else
	not_ok "haproxy marks replica $a down" "status=$(server_status "ca$a")"
fi
cb=$(conns_to "ca$b")
for _ in 1 2 3 4; do
	curl -sf --cacert "$work/ca/ca.crt" -o /dev/null "https://127.0.0.1:$cport/directory" || break
done
sleep 0.2
if [ $(( $(conns_to "ca$b") - cb )) -eq 4 ]; then
	ok "while replica $a is down, every new connection goes to replica $b"
else
	not_ok "while replica $a is down, every new connection goes to replica $b"
fi

ha_ca_start "$a"
t0=$(ms)
if wait_for 100 status_is "ca$a" UP; then
	ok "replica $a restarted: haproxy takes it back after $(( $(ms) - t0 )) ms"
else
	not_ok "replica $a restarted: haproxy takes it back" "status=$(server_status "ca$a")"
fi

lab_done
