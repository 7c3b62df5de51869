#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# High availability, the long version of the site test: the whole site of
# tests/site/site_run.sh (3 redis + 3 sentinels, 2 CA replicas behind
# haproxy, the verifier, 2 freeradius, hostapd with both, the laptop in its
# namespace) under load for SECONDS, once per fault, each on a fresh site:
#
#   redis-kill    SIGKILL of the Redis primary
#   redis-stop    SIGSTOP of the Redis primary for 10 s
#   ca-kill       SIGKILL of one CA replica in the middle of orders
#   radius-kill   SIGKILL of hostapd's primary freeradius
#
#   bench/ha.sh BUILDDIR [-d SECONDS] [-f "redis-kill redis-stop ca-kill radius-kill"]
#                        [-a FAULT_AT_S] [-o OUTFILE]
#
# Prints (and appends to OUTFILE) one "ha_run ..." line of key=value
# figures per fault, then "ha_summary ...":
#   redis_failover_ms       longest run of failed writes through the sentinels after the fault
#   issuance_gap_ms         longest time between two certificates the client received
#   orders_failed           issuances that could not complete (ca_load's failures)
#   certs_missing           certificates the client received but Redis lacks afterwards
#   auth_rejected           EAP-TLS authentications of the healthy laptop rejected (must be 0)
#   auth_unanswered         authentications with no answer (the dead server's, for radius-kill)
#   degraded_decisions      module decisions taken without Redis (certificate_only)
#   nas_readmit_ms          the laptop's re-authentication through hostapd after the run
#   nas_failover_ms         radius-kill: from the kill to hostapd's failover to the secondary
# Needs root (namespaces). A run's TAP output goes to stderr.
set -uo pipefail
build=$(cd "$1" && pwd)
shift
secs=60 faults="redis-kill redis-stop ca-kill radius-kill" out="" fault_at=15
while getopts d:f:a:o: opt; do
	case $opt in
	d) secs=$OPTARG ;;
	f) faults=$OPTARG ;;
	a) fault_at=$OPTARG ;;
	o) out=$OPTARG ;;
	*) echo "usage: $0 BUILDDIR [-d SECONDS] [-f FAULTS] [-a FAULT_AT_S] [-o OUTFILE]" >&2; exit 2 ;;
	esac
done
src=$(cd "$(dirname "$0")/.." && pwd)
[ "$secs" -gt $((fault_at + 12)) ] || { echo "$0: -d must exceed -a by more than 12 s" >&2; exit 2; }

emit() {
	echo "$*"
	[ -z "$out" ] || echo "$*" >>"$out"
}

emit "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), haproxy $(haproxy -v 2>/dev/null | head -1 | cut -d' ' -f3), redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), hostapd $(hostapd -v 2>&1 | sed -n 's/^hostapd v//p')"
runs=0 bad=0 worst_failover=0 rejected=0 missing=0
for fault in $faults; do
	log=$(mktemp /tmp/acmerats-ha.XXXXXX)
	AR_TOP_SRCDIR=$src AR_TOP_BUILDDIR=$build HA_FAULT_AT=$fault_at \
		"$src/tests/site/site_run.sh" "$fault" "$secs" >"$log" 2>&1
	rc=$?
	sed 's/^/# /' "$log" >&2
	line=$(sed -n 's/^# figure: //p' "$log")
	runs=$((runs + 1))
	if [ -z "$line" ]; then
		emit "ha_run fault=$fault seconds=$secs aborted=1"
		bad=$((bad + 1))
		rm -f "$log"
		continue
	fi
	failed_checks=$(grep -c '^not ok' "$log")
	emit "$line failed_checks=$failed_checks"
	[ "$rc" -eq 0 ] || bad=$((bad + 1))
	f=$(sed -n 's/.* redis_failover_ms=\([0-9-]*\).*/\1/p' <<<"$line")
	[ "${f:-0}" -le "$worst_failover" ] || worst_failover=$f
	rejected=$((rejected + $(sed -n 's/.* auth_rejected=\([0-9]*\).*/\1/p' <<<"$line")))
	missing=$((missing + $(sed -n 's/.* certs_missing=\([0-9]*\).*/\1/p' <<<"$line")))
	rm -f "$log"
done
emit "ha_summary runs=$runs runs_failed=$bad seconds=$secs worst_redis_failover_ms=$worst_failover auth_rejected=$rejected certs_missing=$missing"
