#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# CA issuance benchmark: end-to-end issuances per second against a real
# acme-rats-ca (attested: remote-attest-01 passport; plain: a profile that
# attests nothing) with redis-server (AOF, appendfsync everysec), and
# against pebble (plain dns issuance) in the same run, with the same load
# generator (bench/ca_load) at the same concurrency. Also measures the
# ECDSA P-256 limit of the machine and the ceiling it sets.
#
#   bench/ca.sh BUILDDIR [-d SECONDS] [-c "1 8 64 256"] [-m "attested plain pebble nonce"]
#                        [-t CA_THREADS] [-o OUTFILE] [-P PERFDIR] [-1]
#                        [-R "10000 100000 1000000"] [-S CLIENTS] [-C DIR]
#
# Mode nonce (not run by default) is GET newNonce in a loop over the same
# keep-alive HTTPS: no JWS, no store, the floor under each of the six
# requests of an issuance. Its lines say ca_requests_per_s.
#
# -t sets the CA's HTTP threads; the default, 0, is the CA's own default
# (twice the cores).
#
# With -1, the server measured (acme-rats-ca or pebble) runs on core 0 alone
# and Redis and the load generator on core 1: the server's rate on one
# core of its own, which the generator and Redis do not share. The run
# lines then say pinned=1.
#
# With -R, after the runs above, Redis is filled step by step with that
# many devices (posture and certificate records, written by the store's
# own code) and attested and plain issuance are measured again at each
# step with CLIENTS clients (default 64): how the CA scales with the fleet.
# Filling runs at roughly 4,000 devices/s here, so 1M takes minutes.
# With -C as well, rlm_acme_rats's check is timed against the same Redis at
# each step (bench/module_check -r), its sorted samples written to
# DIR/module-check-<devices>.txt: how the module scales with the fleet.
# With -P, `perf record -g` samples the server during each run into
# PERFDIR/<mode>-<concurrency>.data (the CA, or pebble).
#
# After the runs at each concurrency and after each fleet step, the peak
# and current RSS of acme-rats-ca and redis-server (pebble's after its own
# runs) are printed as "daemon_rss ..." lines.
#
# Each measurement starts once the machine has been idle for a second
# (at most BENCH_SETTLE_S seconds, default 30, are waited; a "# ..." line
# says when it was not).
#
# Every figure is printed as one line of key=value (and appended to
# OUTFILE); the last line, "ca_bench_summary ...", compares the best
# attested rate with the best pebble rate and the ECDSA ceiling.
set -euo pipefail
build=$(cd "$1" && pwd)
shift
secs=10 concurrency="1 8 64 256" modes="attested plain pebble" ca_threads=0 out="" perfdir=""
records="" scale_clients=64 module_dir="" pin=0
while getopts d:c:m:t:o:P:R:S:C:1 opt; do
	case $opt in
	d) secs=$OPTARG ;;
	c) concurrency=$OPTARG ;;
	m) modes=$OPTARG ;;
	t) ca_threads=$OPTARG ;;
	o) out=$OPTARG ;;
	P) perfdir=$(mkdir -p "$OPTARG" && cd "$OPTARG" && pwd) ;;
	R) records=$OPTARG ;;
	S) scale_clients=$OPTARG ;;
	C) module_dir=$(mkdir -p "$OPTARG" && cd "$OPTARG" && pwd) ;;
	1) pin=1 ;;
	*) echo "usage: $0 BUILDDIR [-d SECONDS] [-c LIST] [-m MODES] [-t CA_THREADS] [-o OUTFILE]" \
		"[-P PERFDIR] [-R RECORDS] [-S CLIENTS] [-C DIR] [-1]" >&2
	   exit 2 ;;
	esac
done
src=$(cd "$(dirname "$0")/.." && pwd)
if [ $pin -eq 1 ] && [ "$(nproc)" -lt 2 ]; then
	echo "$0: -1 needs 2 cores" >&2
	exit 2
fi
# server_core PID / aside_core PID: pin every thread of PID to core 0 (the
# server measured) or core 1 (Redis); loadgen: the generator's command prefix.
server_core() { [ $pin -eq 0 ] || taskset -apc 0 "$1" >/dev/null; }
aside_core() { [ $pin -eq 0 ] || taskset -apc 1 "$1" >/dev/null; }
loadgen=()
[ $pin -eq 0 ] || loadgen=(taskset -c 1)
make -C "$build" -s bench/ca_load ca/acme-rats-ca ${module_dir:+bench/module_check} >/dev/null

emit() {
	echo "$*"
	[ -z "$out" ] || echo "$*" >> "$out"
}
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
bench_scratch acmerats-cabench

# The machine and its ECDSA P-256 limit. One attested issuance costs, over
# both sides, 8 signatures (6 JWS by the client, the EAR, the certificate)
# and 8 verifications (6 JWS, the EAR, the CSR); one plain issuance 5 and 5.
emit "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(openssl version | cut -d' ' -f1-2)"
read -r sign verify < <(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa/ {print $7, $8}')
ceiling() { awk -v s="$sign" -v v="$verify" -v n="$1" -v c="$(nproc)" 'BEGIN {printf "%.0f", c / (n / s + n / v)}'; }
attested_ceiling=$(ceiling 8)
emit "es256_sign_limit_per_s=$sign es256_verify_limit_per_s=$verify cores=$(nproc) attested_ceiling_per_s=$attested_ceiling plain_ceiling_per_s=$(ceiling 5)"

# Redis with persistence on.
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --dir "$work" --appendonly yes \
	--appendfsync everysec --save "" --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
pids+=("$redis_pid")
aside_core "$redis_pid"
wait_port "$rport"

# acme-rats-ca: two profiles, an EAB inventory with one key (and device) per
# client thread of every run, and the verifier key the attested profile pins.
cport=$(free_port)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/verifier.pem" 2>/dev/null
"$build/bench/ca_load" jwks "$work/verifier.pem" bench-verifier > "$work/verifier-keys.json"
echo '{"min_status": "affirming", "max_age": 300, "require_key_binding": true}' > "$work/policy.json"
cat > "$work/profiles.conf" <<CONF
[profile "attested"]
identifiers = permanent-identifier
attest = any
policy = $work/policy.json
verifier_keys = $work/verifier-keys.json

[profile "plain"]
identifiers = permanent-identifier
attest = none
CONF
MKCA_EXTRA="$work/profiles.conf" "$src/tests/fixtures/mkca" "$work/ca" "$cport" "$rport" yes
total=0
for c in $concurrency; do total=$((total + c)); done
[ -z "$records" ] || for _ in $records; do total=$((total + scale_clients)); done
python3 - "$work/ca/eab.json" "$total" <<'PY'
import base64, json, os, sys
path, n = sys.argv[1], int(sys.argv[2])
inv = {}
for kind, profile in (("a", "attested"), ("p", "plain")):
    for i in range(n):
        inv["bench-%s-%d" % (kind, i)] = {
            "hmac": base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="),
            "profile": profile, "identifiers": ["BENCH-%s-%06d" % (kind.upper(), i)]}
fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(inv, f)
os.replace(path + ".tmp", path)
PY
# Production-like settings: warnings only, a Redis command timeout that a
# loaded 2-core machine does not trip, the HTTP thread count asked for.
sed -i -e 's/^level = info/level = warn/' -e 's/^command_timeout = 200ms/command_timeout = 2s/' \
	-e "s/^timeout = 5s/timeout = 5s\nthreads = $ca_threads\nmax_connections = 2048/" "$work/ca/ca.conf"
"$build/ca/acme-rats-ca" -c "$work/ca/ca.conf" 2>"$work/ca.log" &
ca_pid=$!
pids+=("$ca_pid")
server_core "$ca_pid"
wait_port "$cport"

# pebble, the peer: its deliberate delays and failures off, so that its
# throughput is measured, not its test features. A fresh one for each run:
# its store lives in memory and grows with every order.
pebble_pid=""
start_pebble() {
	pport=$(free_port)
	cat > "$work/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$pport", "managementListenAddress": "127.0.0.1:$(free_port)",
  "certificate": "$work/ca/acme.crt", "privateKey": "$work/ca/acme.key",
  "httpPort": $(free_port), "tlsPort": $(free_port), "ocspResponderURL": "",
  "externalAccountBindingRequired": false}}
JSON
	PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
		pebble -config "$work/pebble.json" >>"$work/pebble.log" 2>&1 &
	pebble_pid=$!
	pids+=("$pebble_pid")
	server_core "$pebble_pid"
	wait_port "$pport"
}
# stop_pebble AT: its memory at the end of the runs named AT, then stop it.
stop_pebble() {
	emit "$(daemon_rss ca pebble "$pebble_pid" "$1")"
	kill "$pebble_pid" 2>/dev/null || true
	wait "$pebble_pid" 2>/dev/null || true
}
# Wait (at most 120 s) for an AOF rewrite the preload's growth started: a
# fleet step measures the fleet's size, not Redis rewriting its log.
# After a preload: wait for the AOF rewrite it set off, then for the disk
# to take the rewritten file (gigabytes at 1M devices) - otherwise the
# kernel's writeback competes with Redis during the next measurement.
aof_settle() {
	for _ in $(seq 1200); do
		redis-cli -p "$rport" info persistence | tr -d '\r' |
			grep -qE '^aof_rewrite_(in_progress|scheduled):1' || break
		sleep 0.1
	done
	sync
}
# Commands, and socket reads: one per round trip (a pipeline arrives in one read).
redis_stat() { redis-cli -p "$rport" info stats | tr -d '\r' | awk -F: -v k="$1" '$1 == k {print $2}'; }
redis_commands() { redis_stat total_commands_processed; }
redis_reads() { redis_stat total_reads_processed; }
# Redis's own time per command type ("cmd usec"), to compare two moments.
redis_usec() {
	redis-cli -p "$rport" info commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_\([a-z|]*\):calls=[0-9]*,usec=\([0-9]*\),.*/\1 \2/p' | sort
}
# The three command types that took Redis most time since snapshot $1, in
# microseconds per issuance ($2 issuances): "redis_usec_per_issuance=hset:210,..."
redis_usec_top() {
	join -a 2 -e 0 -o 0,1.2,2.2 "$1" <(redis_usec) |
		awk -v n="$2" '$1 != "info" {d = $3 - $2; if (d > 0 && n > 0) printf "%s %.0f\n", $1, d / n}' |
		sort -k2,2nr | head -3 | awk '{printf "%s%s:%s", (NR > 1 ? "," : ""), $1, $2}'
}

# Each measurement starts on a quiet machine (bench_settle), saying so if it cannot.
emit_settle() {
	local note
	note=$(bench_settle "${BENCH_SETTLE_S:-30}")
	[ -z "$note" ] || emit "$note"
}

best_attested=0 best_plain=0 best_pebble=0
first=0
for c in $concurrency; do
	# Device keys made before timing: enough that none is certified twice
	# at up to 500 issuances/s per client and 3,000/s in all.
	expect=$((500 * c))
	[ "$expect" -le 3000 ] || expect=3000
	pool=$(( (expect * secs + c - 1) / c ))
	[ "$pool" -ge 16 ] || pool=16
	for mode in $modes; do
		[ "$mode" != pebble ] || start_pebble
		emit_settle
		cmds0=$(redis_commands) reads0=$(redis_reads)
		perf_pid=""
		if [ -n "$perfdir" ]; then
			target=$ca_pid
			[ "$mode" != pebble ] || target=$pebble_pid
			# shellcheck disable=SC2086 # PERF_CALLGRAPH is a list of perf options
			perf record -F 499 ${PERF_CALLGRAPH:--g} -p "$target" -o "$perfdir/$mode-$c.data" 2>/dev/null &
			perf_pid=$!
			pids+=("$perf_pid")
		fi
		case $mode in
		attested)
			args=(-e "$work/ca/eab.json" -p bench-a- -f "$first" -v "$work/verifier.pem"
			      -i bench-verifier -c "ca=$ca_pid" -c "redis=$redis_pid")
			url="https://127.0.0.1:$cport/directory" ;;
		plain)
			args=(-e "$work/ca/eab.json" -p bench-p- -f "$first" -c "ca=$ca_pid"
			      -c "redis=$redis_pid")
			url="https://127.0.0.1:$cport/directory" ;;
		pebble)
			args=(-c "pebble=$pebble_pid")
			url="https://127.0.0.1:$pport/dir" ;;
		nonce)
			args=(-c "ca=$ca_pid" -c "redis=$redis_pid")
			url="https://127.0.0.1:$cport/directory" ;;
		*)
			echo "unknown mode $mode" >&2
			exit 2 ;;
		esac
		line=$("${loadgen[@]}" "$build/bench/ca_load" -t "$c" -d "$secs" -k "$pool" "${args[@]}" "$mode" "$url" \
			"$work/ca/ca.crt") || true
		[ -n "$line" ] || line="ca_issuances_per_s=0 mode=$mode threads=$c run_failed=1"
		if [ -n "$perf_pid" ]; then
			kill -INT "$perf_pid"
			wait "$perf_pid" || true
		fi
		if [ "$mode" = pebble ]; then
			stop_pebble "c$c"
		elif [ "$mode" != nonce ]; then
			issued=0
			case $line in *" issuances="*) issued=${line#* issuances=}; issued=${issued%% *} ;; esac
			line="$line redis_commands_per_issuance=$(awk -v a="$cmds0" -v b="$(redis_commands)" \
				-v n="$issued" 'BEGIN {printf "%.1f", n ? (b - a) / n : 0}')"
			line="$line redis_round_trips_per_issuance=$(awk -v a="$reads0" -v b="$(redis_reads)" \
				-v n="$issued" 'BEGIN {printf "%.1f", n ? (b - a) / n : 0}')"
		fi
		[ $pin -eq 0 ] || line="$line pinned=1"
		emit "$line"
		rate=${line#ca_issuances_per_s=}
		rate=${rate%% *}
		case $rate in *[!0-9]*) rate=0 ;; esac
		case $mode in
		attested) [ "$rate" -le "$best_attested" ] || best_attested=$rate ;;
		plain) [ "$rate" -le "$best_plain" ] || best_plain=$rate ;;
		pebble) [ "$rate" -le "$best_pebble" ] || best_pebble=$rate ;;
		esac
	done
	emit "$(daemon_rss ca acme-rats-ca "$ca_pid" "c$c")"
	emit "$(daemon_rss ca redis-server "$redis_pid" "c$c")"
	first=$((first + c))
done
# Scaling with the fleet: the same runs over more and more device records.
loaded=0
for n in $records; do
	if [ "$n" -gt "$loaded" ]; then
		line=$("$build/bench/ca_load" preload "$rport" "$n" "$loaded") || line="preload_failed devices=$n"
		t0=$(date +%s%N)
		aof_settle
		emit "$line aof_rewrite_wait_s=$(awk -v t=$(($(date +%s%N) - t0)) 'BEGIN {printf "%.1f", t / 1e9}')"
		loaded=$n
	fi
	c=$scale_clients
	pool=$(( (3000 * secs + c - 1) / c ))
	for mode in attested plain; do
		prefix=bench-a- key=(-v "$work/verifier.pem" -i bench-verifier)
		[ "$mode" = attested ] || { prefix=bench-p-; key=(); }
		emit_settle
		cmds0=$(redis_commands)
		redis_usec >"$work/usec0"
		line=$("${loadgen[@]}" "$build/bench/ca_load" -t "$c" -d "$secs" -k "$pool" -e "$work/ca/eab.json" \
			-p "$prefix" -f "$first" "${key[@]}" -c "ca=$ca_pid" -c "redis=$redis_pid" "$mode" \
			"https://127.0.0.1:$cport/directory" "$work/ca/ca.crt") || true
		[ -n "$line" ] || line="ca_issuances_per_s=0 mode=$mode threads=$c run_failed=1"
		issued=0
		case $line in *" issuances="*) issued=${line#* issuances=}; issued=${issued%% *} ;; esac
		emit "$line redis_devices=$n redis_keys=$(redis-cli -p "$rport" dbsize)" \
			"redis_usec_per_issuance=$(redis_usec_top "$work/usec0" "$issued")"
	done
	if [ -n "$module_dir" ]; then
		line=$("$build/bench/module_check" -r "$rport" -s "$module_dir/module-check-$n.txt" 50000) ||
			line="module_check_us run_failed=1"
		emit "$line redis_devices=$n"
	fi
	emit "$(daemon_rss ca acme-rats-ca "$ca_pid" "devices-$n")"
	emit "$(daemon_rss ca redis-server "$redis_pid" "devices-$n")"
	first=$((first + c))
done

emit "ca_bench_summary best_attested_per_s=$best_attested best_plain_per_s=$best_plain" \
	"best_pebble_per_s=$best_pebble attested_vs_pebble=$(awk -v a="$best_attested" -v p="$best_pebble" \
	'BEGIN {printf "%.1f", p ? a / p : 0}') attested_vs_ceiling=$(awk -v a="$best_attested" \
	-v c="$attested_ceiling" 'BEGIN {printf "%.2f", a / c}') ca_threads=$ca_threads seconds=$secs" \
	"pinned=$pin"
