# SPDX-License-Identifier: GPL-2.0-or-later
#
# What the benchmark scripts share; sourced, not run.

# A TCP port free on 127.0.0.1 right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

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
	rm -rf "$work"
}
