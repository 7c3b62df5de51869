# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# What the benchmark scripts share; sourced, not run.

# free_port: a port of 127.0.0.1 claimed for this run (tests/lab/ports.sh),
# after bench_scratch.
# shellcheck source=tests/lab/ports.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lab/ports.sh"
free_port() { claim_port "$work/ports"; }

# Wait up to 10 s for something to listen on 127.0.0.1:PORT.
wait_port() {
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "port $1 did not open" >&2
	return 1
}

# A scratch directory in $work and the processes in $pids (append each
# one you start): both go away when the script exits, however it exits.
pids=()
bench_scratch() {
	work=$(mktemp -d "/tmp/$1.XXXXXX")
	trap bench_cleanup EXIT INT TERM
}
bench_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	release_ports "$work/ports"
	rm -rf "$work"
}

# daemon_rss BENCH DAEMON PID AT: one line with the peak and the current
# resident memory of PID (VmHWM, VmRSS of /proc/PID/status, kB) - AT names
# the moment (e.g. c256: after the runs with 256 clients).
daemon_rss() {
	awk -v b="$1" -v d="$2" -v at="$4" '/^VmHWM:/ { h = $2 } /^VmRSS:/ { r = $2 }
		END { if (h == "") exit 1
		      printf "daemon_rss bench=%s daemon=%s at=%s hwm_kb=%d rss_kb=%d\n", b, d, at, h, r }' \
		"/proc/$3/status" 2>/dev/null || echo "daemon_rss bench=$1 daemon=$2 at=$4 gone=1"
}

# Wait until the machine has been all but idle (under 5 % of one core busy,
# the hypervisor's steal not counted) for a whole second, at most $1
# seconds (default $BENCH_SETTLE_S, else 30; 0 does not wait): a
# measurement should not start while what ran before it - a previous
# benchmark's daemons going away, a log being written out - still holds a
# core. Prints a "# ..." line if it gave up.
bench_settle() {
	local max=${1:-${BENCH_SETTLE_S:-30}} i busy=0
	[ "$max" -gt 0 ] || return 0
	for ((i = 0; i < max; i++)); do
		busy=$( { head -1 /proc/stat; sleep 1; head -1 /proc/stat; } |
			awk '{ b[NR] = $2 + $3 + $4 + $7 + $8 } END { print b[2] - b[1] }')
		[ "$busy" -gt 5 ] || return 0
	done
	echo "# machine still busy after ${max} s (${busy} % of one core in use); measuring anyway"
}
