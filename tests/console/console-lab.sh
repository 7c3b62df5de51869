# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # sourced after tests/lab/lab.sh (work, top_src, top_build, redis_port, vurl); sets what the tests read
#
# acme-rats-console in the test lab, sourced after tests/lab/lab.sh and a
# running verifier (lab_verifier):
#
#   console_up   users viewer1 (viewer), noc1 (noc), soc1 (soc), each with the
#                password "$console_pw", made by acme-rats-ctl console-user add;
#                the console on a free port, TLS with the verifier's test
#                certificate, its SOC API client with the verifier's token.
#                Sets $console_port, $console_url, $console_ca. Set before:
#                $console_workers, $console_stream_hold (default 4, 3s) and
#                more [console] lines in $console_extra.
#   console_device_row ID
#                logs in as noc1 as a browser does (POST /api/login with the
#                console's Origin) and prints ID's entry of GET /api/devices.

console_pw=correct-horse-$$
ctl=$top_build/tools/acme-rats-ctl

console_up() {
	local u
	mkdir -p "$work/console"
	for u in viewer1:viewer noc1:noc soc1:soc; do
		echo "$console_pw" | "$ctl" --users "$work/console/users" console-user add \
			"${u%%:*}" "${u##*:}" >/dev/null || bail "acme-rats-ctl console-user add failed"
	done
	console_port=$(free_port) || bail "no free port"
	console_url=https://127.0.0.1:$console_port
	console_ca=$work/v/ca.crt
	cat >"$work/console/console.conf" <<CONF
[server]
listen = 127.0.0.1
port = $console_port
tls_cert = $work/v/verifier.crt
tls_key = $work/v/verifier.key
threads = 2
timeout = 10s

[console]
users_file = $work/console/users
www_dir = $top_src/console/www
login_failures = 5
login_window = 5m
stream_hold = ${console_stream_hold:-3s}
renew_before = 3m
workers = ${console_workers:-4}
${console_extra:-}

[soc]
verifier_url = $vurl
token_file = $work/v/soc-token
verifier_ca = $work/v/ca.crt

[redis]
host = 127.0.0.1
port = $redis_port

[log]
level = info
CONF
	lab_bg "$work/console.log" "${lab_launch[@]}" "$top_build/console/acme-rats-console" \
		-c "$work/console/console.conf"
	wait_tcp "$console_port" 50 || bail "acme-rats-console did not start"
}

console_device_row() {
	local jar=$work/console/demo.jar
	rm -f "$jar"
	curl -sS --fail --max-time 10 --cacert "$console_ca" -c "$jar" -H "Origin: $console_url" \
		-H 'Content-Type: application/json' \
		--data "{\"user\":\"noc1\",\"password\":\"$console_pw\"}" "$console_url/api/login" \
		>/dev/null || return 1
	curl -sS --fail --max-time 10 --cacert "$console_ca" -b "$jar" "$console_url/api/devices" |
		python3 -c 'import json, sys
d = next((x for x in json.load(sys.stdin)["devices"] if x.get("device") == sys.argv[1]), None)
sys.exit(1) if d is None else print(" ".join("%s=%s" % (k, d[k]) for k in sorted(d) if not isinstance(d[k], (dict, list)))[:160])' "$1"
}
