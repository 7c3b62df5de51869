#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What one device costs in Redis: a private redis-server (no persistence,
# Debian's defaults otherwise) is filled with DEVICES devices, each with a
# posture record and a certificate as acme-rats-ca writes them and one live
# session as rlm_acme_rats records it (bench/ca_load preload, through the
# store's own functions); INFO memory before and after gives the bytes per
# device, and MEMORY USAGE / OBJECT ENCODING of one device's keys where
# they go.
#
#   bench/redis_memory.sh BUILDDIR [-n DEVICES] [-o OUTFILE]
#
# Prints (and appends to OUTFILE) key=value lines; goal <= 1024 bytes per
# device at 1,000,000 devices (the default).
set -euo pipefail
build=$(cd "$1" && pwd)
shift
devices=1000000 out=""
while getopts n:o: opt; do
	case $opt in
	n) devices=$OPTARG ;;
	o) out=$OPTARG ;;
	*) echo "usage: $0 BUILDDIR [-n DEVICES] [-o OUTFILE]" >&2; exit 2 ;;
	esac
done
src=$(cd "$(dirname "$0")/.." && pwd)
make -C "$build" -s bench/ca_load >/dev/null
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
bench_scratch acmerats-redismem

emit() {
	echo "$*"
	[ -z "$out" ] || echo "$*" >>"$out"
}
used() { redis-cli -p "$rport" info memory | tr -d '\r' | sed -n 's/^used_memory://p'; }

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no \
	--dir "$work" --logfile "$work/redis.log" &
pids+=($!)
wait_port "$rport"
before=$(used)
load=$("$build/bench/ca_load" preload "$rport" "$devices")
after=$(used)
keys=$(redis-cli -p "$rport" dbsize)
emit "redis_memory devices=$devices bytes_per_device=$(( (after - before) / devices ))" \
	"keys_per_device=$(awk -v k="$keys" -v n="$devices" 'BEGIN {printf "%.2f", k / n}')" \
	"used_memory_mb=$(( after / 1048576 )) redis=$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')" \
	"$load"
one=$(printf 'PRELOAD-%08d' 1)
while read -r key; do
	short=${key#acmerats:}
	emit "redis_memory_key key=${short%%:cert:*}$([ "$short" = "${short%%:cert:*}" ] || echo ':cert:AKI:SERIAL')" \
		"bytes=$(redis-cli -p "$rport" memory usage "$key" samples 0)" \
		"encoding=$(redis-cli -p "$rport" object encoding "$key")"
done < <(redis-cli -p "$rport" --scan --pattern "*$one*")
# Device i's certificate: AKI 5eed, serial i + 1 (bench/ca_load.c preload_run).
# Its index key: the base64url of the serial's 16 bytes (...02 -> AAAAAAAAAAAAAAAAAAAAAg).
idx=acmerats:sn:AAAAAAAAAAAAAAAAAAAAAg
emit "redis_memory_key key=sn:SERIAL bytes=$(redis-cli -p "$rport" memory usage "$idx")" \
	"encoding=$(redis-cli -p "$rport" object encoding "$idx")"
emit "redis_memory_key key=devices (set of every device) bytes_per_member=$(( $(redis-cli -p "$rport" \
	memory usage acmerats:devices samples 0) / devices ))"
