#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Interop test (TAP): acme-rats-helper obtains a plain certificate (no
# attestation) from pebble, an RFC 8555 server nobody here wrote, proving a
# dns identifier with http-01 on its built-in listener. pebble-challtestsrv
# is pebble's DNS and resolves every name to 127.0.0.1. Pebble keeps its
# random badNonce rejections on; a second pebble rejects half of all good
# nonces, which the helper must retry through.
set -u
# shellcheck source=tests/helper/lab.sh
. "$(dirname "$0")/lab.sh"

command -v pebble >/dev/null || bail "pebble not installed (scripts/setup)"
command -v pebble-challtestsrv >/dev/null || bail "pebble-challtestsrv not installed (scripts/setup)"

# TLS for pebble's ACME and management listeners.
mkdir -p "$work/pebble"
(
	cd "$work/pebble" || exit 1
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null &&
	openssl req -x509 -new -key ca.key -days 2 -subj "/CN=pebble test TLS CA" \
		-addext "basicConstraints=critical,CA:TRUE" -out ca.crt 2>/dev/null &&
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out tls.key 2>/dev/null &&
	openssl req -new -key tls.key -subj "/CN=localhost" -out tls.csr 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext.cnf &&
	openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile ext.cnf -out tls.crt 2>/dev/null
) || bail "cannot make pebble's TLS certificate"

dnsport=$(free_port) || bail "no free port"
lab_bg "$work/challtestsrv.log" pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
	-dns01 "127.0.0.1:$dnsport" -http01 "" -https01 "" -tlsalpn01 "" \
	-management "127.0.0.1:$(free_port)"

# start_pebble REJECT_PERCENT|default: pebble on fresh ports; $pport, $ppid, $httpport.
start_pebble() {
	pport=$(free_port)
	mport=$(free_port)
	httpport=$(free_port)
	cat >"$work/pebble/config.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$pport", "managementListenAddress": "127.0.0.1:$mport",
 "certificate": "$work/pebble/tls.crt", "privateKey": "$work/pebble/tls.key",
 "httpPort": $httpport, "tlsPort": $(free_port), "ocspResponderURL": "",
 "externalAccountBindingRequired": false}}
JSON
	if [ "$1" = default ]; then
		lab_bg "$work/pebble.log" env PEBBLE_VA_NOSLEEP=1 \
			pebble -config "$work/pebble/config.json" -dnsserver "127.0.0.1:$dnsport"
	else
		lab_bg "$work/pebble.log" env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT="$1" \
			pebble -config "$work/pebble/config.json" -dnsserver "127.0.0.1:$dnsport"
	fi
	ppid=$!
	wait_tcp "$pport" 100 || bail "pebble did not start"
	wait_tcp "$mport" 50 || bail "pebble's management interface did not start"
}

# pebble_conf FILE STATE_DIR: a plain dns certificate over http-01.
pebble_conf() {
	cat >"$1" <<CONF
[acme]
directory = https://127.0.0.1:$pport/dir
ca_bundle = $work/pebble/ca.crt
contact = mailto:noc@example.com
timeout = 10s
validation_timeout = 30s

[device]
identifiers = dns:inspector-7.example.com
attest = none
dir = $2
http01_listen = 127.0.0.1:$httpport
CONF
}

# The chain verifies up to the root pebble made at start.
chain_verifies() {
	curl -sf --cacert "$work/pebble/ca.crt" -o "$work/pebble-root.pem" \
		"https://127.0.0.1:$mport/roots/0" &&
	openssl verify -CAfile "$work/pebble-root.pem" -untrusted "$1/live/chain.pem" \
		"$1/live/cert.pem" >/dev/null 2>&1
}


start_pebble default
pebble_conf "$work/p.conf" "$work/state"
"$helper" enroll -c "$work/p.conf" -v >"$work/out" 2>"$work/err"
rc=$?
san=$(openssl x509 -in "$work/state/live/cert.pem" -noout -ext subjectAltName 2>/dev/null)
if [ "$rc" -eq 0 ] && pair_matches "$work/state" && chain_verifies "$work/state" &&
   grep -q 'DNS:inspector-7.example.com' <<<"$san" && grep -q 'event=http01.served' "$work/err"
then
	ok "pebble: enroll over http-01 (built-in listener), chain verifies to pebble's root"
else
	not_ok "pebble: enroll over http-01 (built-in listener), chain verifies to pebble's root" "exit $rc"
fi
if "$helper" status -c "$work/p.conf" >"$work/out" 2>&1 && grep -q '^posture       never attested' "$work/out"; then
	ok "pebble: status shows the plain certificate (no attestation)"
else
	not_ok "pebble: status shows the plain certificate (no attestation)"
fi

kill -TERM "$ppid"
wait "$ppid" 2>/dev/null
start_pebble 50
pebble_conf "$work/p.conf" "$work/state"
: >"$work/err"
ok_runs=0
for _ in 1 2; do
	"$helper" renew --force -c "$work/p.conf" -v >"$work/out" 2>>"$work/err" &&
		pair_matches "$work/state" && chain_verifies "$work/state" && ok_runs=$((ok_runs + 1))
done
retries=$(grep -o 'bad_nonce_retries=[0-9]*' "$work/err" | awk -F= '{ s += $2 } END { print s + 0 }')
if [ "$ok_runs" -eq 2 ] && [ "${retries:-0}" -gt 0 ]; then
	ok "pebble rejecting half the nonces: 2 renewals succeed after $retries badNonce retries"
else
	not_ok "pebble rejecting half the nonces: 2 renewals succeed after badNonce retries" \
		"$ok_runs ok, retries ${retries:-0}"
fi
check "pebble: the renewed certificate replaced the old one as a pair" \
	[ "$(readlink "$work/state/live")" = gen-3 ]
finish
