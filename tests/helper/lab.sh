# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Sourced by the acme-rats-helper integration tests (bash), on top of the
# shared shell lab (tests/lab/lab.sh: TAP, $work, cleanup, redis-server):
# the verifier, the CA and a device for the helper to enroll.
#
#   lab_start_all PROFILE_TEXT   redis + verifier + CA whose kid-substation-1
#                                orders under the [profile "substation"] given
#   helper_conf FILE DIR [EXTRA] a helper configuration for SUB-0042
#   start_daemon CONF LOG        acme-rats-helper run, pid in $hpid

lab_name=helper
# shellcheck source=tests/lab/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
helper=$top_build/helper/acme-rats-helper
# The test build, with the kill -9 hook ACME_RATS_HELPER_CRASH_AT (helper/local.mk).
# shellcheck disable=SC2034 # for the scripts that source this file
crash_helper=$top_build/tests/helper/acme-rats-helper-crash
# `run` hands over to the monitor, which is installed in pkglibexecdir.
export ACME_RATS_HELPER_MONITOR=$top_build/helper/acme-rats-helper-monitor
# Shown after a failure, with the daemons' logs: what the last command printed.
lab_logs="$lab_logs $work/out $work/err"

# finish: the plan line and the exit status (lab_done), then exit.
finish() {
	lab_done
	exit
}

# lab_ca PROFILE_BODY: the CA, with [profile "substation"] = PROFILE_BODY plus the verifier.
lab_ca() {
	cport=$(free_port) || bail "no free port"
	echo '{"min_status": "affirming", "max_age": 300, "require_key_binding": true}' \
		>"$work/policy.json"
	{
		echo '[profile "substation"]'
		printf '%s\n' "$1"
		echo "policy = $work/policy.json"
		echo "verifier_keys = $work/v/keys.jwks"
		echo "verifier_url = $vurl"
		echo "verifier_ca = $work/v/ca.crt"
		# more sections (e.g. the NOC event worker's), from a file
		[ -z "${LAB_CA_EXTRA:-}" ] || cat "$LAB_CA_EXTRA"
	} >"$work/profiles.conf"
	MKCA_EXTRA=$work/profiles.conf MKCA_EAB_PROFILE=substation \
		"$top_src/tests/fixtures/mkca" "$work/ca" "$cport" "$redis_port" yes >/dev/null 2>&1 ||
		bail "tests/fixtures/mkca failed"
	lab_bg "$work/ca.log" "${lab_launch[@]}" "$top_build/ca/acme-rats-ca" -c "$work/ca/ca.conf"
	wait_tcp "$cport" 50 || bail "acme-rats-ca did not start"
	sed -n 's/.*"kid-substation-1": {"hmac": "\([^"]*\)".*/\1/p' "$work/ca/eab.json" \
		>"$work/eab.hmac"
	[ -s "$work/eab.hmac" ] || bail "no EAB key for kid-substation-1"
	chmod 600 "$work/eab.hmac"
}

# device_tree DIR DAYS: a Debian 12 device last upgraded DAYS days ago.
device_tree() {
	local d=$1 end
	end=$(date -d "-$2 days" '+%Y-%m-%d  %H:%M:%S')
	mkdir -p "$d/etc" "$d/var/log/apt" "$d/proc/sys/kernel"
	printf 'ID=debian\nVERSION_ID="12"\n' >"$d/etc/os-release"
	echo 0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f >"$d/etc/machine-id"
	echo inspector-7 >"$d/etc/hostname"
	echo 6.1.0-26-amd64 >"$d/proc/sys/kernel/osrelease"
	printf 'Start-Date: %s\nUpgrade: openssl:amd64 (3.0.15-1, 3.0.16-1)\nEnd-Date: %s\n' \
		"$end" "$end" >"$d/var/log/apt/history.log"
}

lab_start_all() {
	# shellcheck disable=SC2119 # lab_redis: no extra redis-server arguments
	lab_redis
	lab_verifier
	lab_ca "$1"
	device_tree "$work/device" 3
}

# helper_conf FILE STATE_DIR [EXTRA_LINES]: SUB-0042 enrolling with attestation.
# EXTRA_LINES are whole sections appended at the end.
helper_conf() {
	cat >"$1" <<CONF
[acme]
directory = https://127.0.0.1:$cport/directory
ca_bundle = $work/ca/ca.crt
account_key = $work/account.key
eab_kid = kid-substation-1
eab_hmac_file = $work/eab.hmac
connect_timeout = 2s
timeout = 10s
validation_timeout = 20s

[device]
identifiers = permanent-identifier:SUB-0042
attest = any os_patch_level
dir = $2
${MODEL:+model = $MODEL}

[verifier]
url = $vurl
ca_bundle = $work/v/ca.crt
device_id = SUB-0042
root = $work/device
${OVERRIDE:+override = $OVERRIDE}
${3:-}
CONF
}

# The key in $1/live/key.pem is the one certified in $1/live/cert.pem.
pair_matches() {
	local a b
	a=$(openssl pkey -in "$1/live/key.pem" -pubout 2>/dev/null) || return 1
	b=$(openssl x509 -in "$1/live/cert.pem" -noout -pubkey 2>/dev/null) || return 1
	[ -n "$a" ] && [ "$a" = "$b" ]
}

# Serial of the live certificate (lower-case hex, as status prints it and
# the CA names it in Redis).
live_serial() {
	openssl x509 -in "$1/live/cert.pem" -noout -serial 2>/dev/null | sed 's/serial=//' |
		tr 'A-F' 'a-f'
}

# soc_flag STATUS: the SOC's verdict on SUB-0042 through the verifier's API.
soc_flag() {
	curl -sf --cacert "$work/v/ca.crt" -H "Authorization: Bearer $(cat "$work/v/soc-token")" \
		-H 'Content-Type: application/json' -d "{\"status\": \"$1\", \"reason\": \"test\"}" \
		"$vurl/soc/v1/devices/SUB-0042/posture" >/dev/null
}

# start_daemon CONF LOG: acme-rats-helper run in the background; its pid in $hpid.
start_daemon() {
	lab_bg "$2" "$helper" run -c "$1" -v
	# shellcheck disable=SC2034 # for the scripts that source this file
	hpid=$!
}

# lab_tpm_verifier TPMDIR: the verifier (lab_verifier) with TPM reference
# values - PCR 16 quoted, no boot chain to judge - and the local CA of the
# swtpm in TPMDIR (lab_swtpm) as the EK root.
lab_tpm_verifier() {
	echo 'quote_pcrs 16' >"$work/tpm-policy.conf"
	MKVERIFIER_VERIFIER_EXTRA="tpm_policy = $work/tpm-policy.conf" \
	MKVERIFIER_EXTRA=$(printf '[tpm]\nek_roots = %s\nek_intermediates = %s\n' \
		"$1/ca/swtpm-localca-rootca-cert.pem" "$1/ca/issuercert.pem") lab_verifier
}
