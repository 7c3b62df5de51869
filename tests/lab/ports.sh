# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# TCP ports for test and benchmark servers on 127.0.0.1; sourced, not run.
#
# claim_port FILE prints a port nothing listens on, from below the kernel's
# ephemeral range (so that no outgoing connection's local port takes it
# before the daemon binds it), and appends it to FILE. The port is claimed by
# making the directory $ports_dir/PORT: mkdir is atomic, so no other test
# running at the same time - shell or C (tests/lab/lab.c does the same), of
# this build or another - is handed it too. release_ports FILE gives back
# what FILE lists; a claim that a killed test left is taken back after an hour.

ports_dir=${TMPDIR:-/tmp}/acmerats-ports

claim_port() {
	local p lo
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
	[ "$lo" -gt 12000 ] || lo=32768
	mkdir -p "$ports_dir" || return 1
	for _ in $(seq 1 400); do
		p=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
		if ! mkdir "$ports_dir/$p" 2>/dev/null; then
			[ -n "$(find "$ports_dir/$p" -maxdepth 0 -mmin +60 2>/dev/null)" ] || continue
			{ rmdir "$ports_dir/$p" 2>/dev/null && mkdir "$ports_dir/$p" 2>/dev/null; } || continue
		fi
		if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			rmdir "$ports_dir/$p"
			continue
		fi
		echo "$p" >>"$1"
		echo "$p"
		return 0
	done
	return 1
}

release_ports() {
	local p
	[ -f "$1" ] || return 0
	while read -r p; do
		rmdir "$ports_dir/$p" 2>/dev/null
	done <"$1"
}
