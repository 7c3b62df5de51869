# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The shell side of the test lab (tests/lab/lab.c is the C side): TAP
# output, free ports, bounded waits, a real redis-server, and cleanup of
# everything started, however the test ends. Sourced by the integration
# scripts after they set $lab_name:
#
#   lab_name=interop; . "$top_src/tests/lab/lab.sh"
#   lab_redis [ARGS...]    -> $redis_port (AOF on, in $work/redis; ARGS go
#                             to redis-server, e.g. --aclfile FILE)
#   lab_bg LOG cmd args... -> runs cmd in the background, stopped at exit
#   ok "what" / not_ok "what" "detail" ... / bail "why" / lab_done
#
# $work is a private directory, removed at exit; logs named in
# $lab_logs (space-separated paths) are shown after a failure.

top_src=${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
top_build=${AR_TOP_BUILDDIR:-$top_src}
work=$(mktemp -d "${TMPDIR:-/tmp}/acmerats-${lab_name:-lab}.XXXXXX") || exit 1
lab_pids=()
lab_logs=${lab_logs:-}
lab_n=0
lab_failed=0

lab_cleanup() {
	local p
	for p in "${lab_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${lab_pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	release_ports "$work/ports"
	if [ -n "${LAB_KEEP:-}" ]; then	# LAB_KEEP=1: keep the logs for a post-mortem
		echo "# kept $work" >&2
	else
		rm -rf "$work"
	fi
}
trap lab_cleanup EXIT
trap 'exit 130' INT TERM HUP

lab_show_logs() {
	local log
	for log in $lab_logs; do
		[ -s "$log" ] && tail -n "${1:-5}" "$log" | sed "s|^|# ${log##*/}: |"
	done
	return 0
}

ok() {
	lab_n=$((lab_n + 1))
	echo "ok $lab_n - $1"
}

not_ok() {
	lab_n=$((lab_n + 1))
	lab_failed=$((lab_failed + 1))
	echo "not ok $lab_n - $1"
	shift
	[ $# -gt 0 ] && printf '# %s\n' "$@"
	lab_show_logs 5
}

# check "what" command...: ok when the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

bail() {
	echo "Bail out! $*"
	lab_show_logs 10
	exit 1
}

# The plan goes last (TAP allows it), so scripts need not count ahead.
lab_done() {
	echo "1..$lab_n"
	[ "$lab_failed" -eq 0 ]
}

# free_port: a port of 127.0.0.1 claimed for this test (tests/lab/ports.sh).
# shellcheck source=tests/lab/ports.sh
. "$top_src/tests/lab/ports.sh"
free_port() { claim_port "$work/ports"; }

# wait_for TENTHS COMMAND...: run the command until it succeeds, at most
# TENTHS tenths of a second.
wait_for() {
	local t=$1 _
	shift
	for _ in $(seq 1 "$t"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Wait (at most $2 tenths of a second) until 127.0.0.1:$1 accepts.
wait_tcp() {
	local _
	for _ in $(seq 1 "$2"); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Put before the daemons lab_verifier and lab_ca start (e.g. a libtool
# --mode=execute env VAR=... prefix), empty by default.
lab_launch=()

lab_bg() {
	local log=$1
	shift
	"$@" >>"$log" 2>&1 &
	lab_pids+=($!)
	lab_logs="$lab_logs $log"
}

lab_redis() {
	redis_port=$(free_port) || bail "no free port"
	mkdir -p "$work/redis"
	lab_bg "$work/redis.log" redis-server --port "$redis_port" --bind 127.0.0.1 \
		--dir "$work/redis" --save '' --appendonly yes --daemonize no "$@"
	wait_tcp "$redis_port" 50 || bail "redis-server did not start"
}

# acme-rats-ctl's configuration, to FILE: this lab's Redis (and the lines
# EXTRA in its [redis] section, e.g. an ACL user) and the verifier's SOC API.
lab_ctl_conf() {
	cat >"$1" <<CONF
[redis]
host = 127.0.0.1
port = $redis_port
${2:-}
[soc]
verifier_url = $vurl
token_file = $work/v/soc-token
verifier_ca = $work/v/ca.crt
CONF
}

# acme-rats-verifier (tests/fixtures/mkverifier) on a free port, Redis at
# $redis_port: sets $vport and $vurl; its CA in $work/v/ca.crt, its signing
# keys (JWK Set) in $work/v/keys.jwks.
lab_verifier() {
	vport=$(free_port) || bail "no free port"
	"$top_src/tests/fixtures/mkverifier" "$work/v" "$vport" "$redis_port" >/dev/null 2>&1 ||
		bail "tests/fixtures/mkverifier failed"
	lab_bg "$work/verifier.log" "${lab_launch[@]}" "$top_build/verifier/acme-rats-verifier" \
		-c "$work/v/verifier.conf"
	wait_tcp "$vport" 50 || bail "acme-rats-verifier did not start"
	vurl=https://127.0.0.1:$vport
	curl -sf --cacert "$work/v/ca.crt" -o "$work/v/keys.jwks" \
		"$vurl/challenge-response/v1/keys" || bail "cannot fetch the verifier's keys"
}

# lab_swtpm DIR: a software TPM, manufactured by swtpm_setup with an EK
# certificate from a local CA (as tests/tpm/tpmlab.c: DIR/ca/swtpm-localca-
# rootca-cert.pem is the EK root, DIR/ca/issuercert.pem the intermediate),
# its state in DIR/state, served on a free 127.0.0.1 port; sets $tport and
# $swtpm_tcti (the tctildr configuration), raises the dictionary-attack
# limit, and stops it with a TPM2_Shutdown at exit (an unclean stop counts
# as a dictionary-attack failure).
lab_swtpm() {
	local dir=$1 tool
	for tool in swtpm swtpm_setup swtpm_ioctl tpm2_dictionarylockout tpm2_shutdown; do
		command -v "$tool" >/dev/null || bail "$tool not installed (scripts/setup)"
	done
	mkdir -p "$dir/state" "$dir/ca"
	cat >"$dir/localca.conf" <<-CONF
		statedir = $dir/ca
		signingkey = $dir/ca/signkey.pem
		issuercert = $dir/ca/issuercert.pem
		certserial = $dir/ca/certserial
	CONF
	printf -- '--platform-manufacturer acme-rats\n--platform-version 2.1\n--platform-model swtpm\n' \
		>"$dir/localca.options"
	cat >"$dir/setup.conf" <<-CONF
		create_certs_tool = swtpm_localca
		create_certs_tool_config = $dir/localca.conf
		create_certs_tool_options = $dir/localca.options
		active_pcr_banks = sha256
	CONF
	swtpm_setup --tpm2 --tpmstate "$dir/state" --create-ek-cert --create-platform-cert \
		--config "$dir/setup.conf" --pcr-banks sha256 --overwrite >"$work/swtpm_setup.log" 2>&1 ||
		bail "swtpm_setup failed: $(tail -n 3 "$work/swtpm_setup.log")"
	# The swtpm TCTI finds the control channel at the server port + 1.
	for _ in 1 2 3 4 5; do
		tport=$(free_port) || bail "no free port"
		(exec 3<>"/dev/tcp/127.0.0.1/$((tport + 1))") 2>/dev/null || break
	done
	lab_bg "$work/swtpm.log" swtpm socket --tpm2 --tpmstate "dir=$dir/state" \
		--server "type=tcp,port=$tport,bindaddr=127.0.0.1" \
		--ctrl "type=tcp,port=$((tport + 1)),bindaddr=127.0.0.1" --flags not-need-init,startup-clear
	wait_tcp "$tport" 50 || bail "swtpm did not start"
	swtpm_tcti="swtpm:host=127.0.0.1,port=$tport"
	TPM2TOOLS_TCTI=$swtpm_tcti tpm2_dictionarylockout -s -n 1000 -t 1 -l 1 >/dev/null 2>&1 ||
		bail "tpm2_dictionarylockout failed"
	trap 'lab_swtpm_stop; lab_cleanup' EXIT
}

# shellcheck disable=SC2317 # called by the EXIT trap
lab_swtpm_stop() {
	# (bounded: a resource manager still holding swtpm's one connection
	# would keep this one waiting)
	TPM2TOOLS_TCTI=$swtpm_tcti timeout 2 tpm2_shutdown -c >/dev/null 2>&1
	swtpm_ioctl --tcp "127.0.0.1:$((tport + 1))" -s >/dev/null 2>&1
}
