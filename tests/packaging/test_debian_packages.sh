#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Debian packages, installed the way an operator installs them
# (docs/install.md), on a clean Debian 12 system booted with systemd:
#
#   tests/packaging/test_debian_packages.sh [--head] [--debs DIR] [--keep]
#
#   --head      build the committed tree (a git worktree of HEAD) instead of
#               the working tree's files
#   --debs DIR  test the .deb files in DIR instead of building them
#   --keep      leave the root and the logs in place (printed at the end)
#
#  1. builds the packages (dpkg-buildpackage -us -uc -b, with nocheck: the
#     suite runs the tests elsewhere) from a copy of the source tree; at the
#     same time, in the background, makes the clean root;
#  2. lintian: no error (the warnings kept are explained in
#     debian/README.source; it runs beside the steps below, its verdict
#     comes last); the helper's package depends on no server library;
#  3. the clean root: debootstrap --variant=minbase of bookworm from the
#     Debian mirror, plus systemd, redis-server, freeradius, eapoltest and
#     curl from the same mirror. That root, as a tar file, is cached in
#     /var/cache/acme-rats-tests (rebuilt after 14 days): a second run
#     downloads only what the packages under test add;
#  4. the root BOOTS: systemd-nspawn --boot runs its systemd as PID 1 in a
#     container with a network of its own (loopback only). Why a booted
#     container rather than a chroot: only systemd applies a unit's
#     settings (its SystemCallFilter, ProtectSystem, PrivateTmp,
#     capabilities, users and directories), and the machine the suite runs
#     on need not run systemd itself (a CI container or a microVM does not;
#     nspawn needs no systemd on the host, only the systemd-container
#     package). `apt-get install ./*.deb` runs inside, from apt's cache: the
#     postinsts meet a running systemd, as on a server;
#  5. `systemd-analyze security` of every unit, as installed: each scores
#     OK or better (the scores are in docs/install.md);
#  6. the daemons are started by systemctl through their units, with one
#     drop-in each that makes a system call outside the unit's
#     SystemCallFilter fatal (SIGSYS) instead of EPERM, so that none can
#     pass unnoticed; for each running daemon /proc shows the unit's user,
#     no_new_privs, a seccomp filter, its capability bounding set, a
#     read-only / and a private /tmp;
#  7. the CA, the verifier and the helper configured as docs/install.md
#     says; the installed helper enrolls DEV-0001 (runuser, as the page
#     says), then its unit renews the certificate on SIGUSR1: the whole
#     ACME and attestation path runs under the helper's filter;
#  8. FreeRADIUS configured as docs/install.md says (certificates, two
#     links, a NAS client entry with virtual_server = acme-rats: none of
#     FreeRADIUS's files edited but clients.conf) and restarted by
#     systemctl; eapol_test, as that NAS, presents the device's
#     certificate: Access-Accept, and radius.log has the module's
#     outcome=accept; through Debian's localhost client (default site):
#     not admitted;
#     acme-rats-ctl shows the device;
#  9. no daemon was restarted or killed by its filter during all this;
# 10. the FreeRADIUS edits undone, the packages purged: the daemons are
#     stopped, every file the packages or their scripts made is gone, what
#     stays is what Debian policy keeps (the system users).
#
# Needs root, git, debootstrap, dpkg-dev, debhelper, lintian,
# systemd-container, the Build-Depends (debian/control; scripts/setup
# installs them all) and a reachable Debian mirror (ACME_RATS_MIRROR,
# default deb.debian.org). TAP output.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=/var/cache/acme-rats-tests
mirror=${ACME_RATS_MIRROR:-http://deb.debian.org/debian}
security_mirror=${ACME_RATS_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
suite=bookworm
root_packages="systemd dbus redis-server freeradius eapoltest curl openssl procps ca-certificates"
units="acme-rats-verifier acme-rats-ca acme-rats-helper"
debs=""
keep=0
head=0
while [ $# -gt 0 ]; do
	case "$1" in
	--debs) debs=$(realpath "$2"); shift 2 ;;
	--keep) keep=1; shift ;;
	--head) head=1; shift ;;
	*) echo "usage: $0 [--head] [--debs DIR] [--keep]" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (debootstrap, systemd-nspawn)"
	exit 0
fi

# systemd-nspawn without systemd-machined: in the unit it is started from
# (--keep-unit). On a host run by systemd, that is a scope of its own that
# systemd delegates to it; elsewhere (a CI container, a microVM) there is no
# unit, and nspawn manages the cgroups itself.
nspawn=(systemd-nspawn --register=no --keep-unit)
if [ -d /run/systemd/system ]; then
	nspawn=(systemd-run --quiet --scope -p Delegate=yes -- "${nspawn[@]}")
fi

work=$(mktemp -d /var/tmp/acme-rats-pkgtest.XXXXXX)
root=$work/root
machine=acme-rats-pkgtest-$$
n=0
failed=0
t0=$SECONDS
wt=""
prep_pid=""
lint_pid=""
nspawn_pid=""
leader=""

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
bail() {
	echo "Bail out! $*"
	exit 1
}
check() { # description command...
	local d=$1
	shift
	if "$@" >>"$work/check.log" 2>&1; then ok "$d"; else not_ok "$d"; fi
}
indent() { sed "s/^/# ${1:-}/"; }

# shellcheck disable=SC2317 # the EXIT trap runs it
cleanup() {
	local p
	for p in $prep_pid $lint_pid; do
		pkill -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		kill -TERM "$nspawn_pid" 2>/dev/null # a clean shutdown of the container
		for _ in $(seq 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$nspawn_pid" 2>/dev/null
	fi
	wait 2>/dev/null
	[ -z "$wt" ] || git -C "$top" worktree remove --force "$wt" 2>/dev/null
	if [ "$keep" = 1 ]; then
		echo "# kept: $work"
	else
		rm -rf --one-file-system "$work"
	fi
}
trap cleanup EXIT

# A command in the booted container, as root, in a clean environment.
in_ct() {
	nsenter -t "$leader" -a /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}
# A command in the root, not booted (systemd-nspawn as a chroot with /proc,
# /dev and the host's network).
in_root() {
	"${nspawn[@]}" -q -D "$root" --resolv-conf=replace-host \
		"$@" </dev/null
}
wait_for() { # tries cmd...  (tries every 0.2 s)
	local i=$1
	shift
	while [ "$i" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		i=$((i - 1))
	done
	return 1
}

# --- 3 (in the background). The clean root --------------------------------------
# A bookworm root with systemd and the services the packages work with, from
# the Debian mirror; cached as a tar file.
prepare_root() {
	local key base tmp
	key=$(printf '%s %s %s %s\n' "$suite" "$mirror" "$security_mirror" "$root_packages" |
		sha256sum | cut -c1-12)
	base=$cache/$suite-$key.tar
	mkdir -p "$cache/archives/partial"
	exec 9>"$cache/lock"
	flock 9
	if [ ! -f "$base" ] || [ -n "$(find "$base" -mtime +14)" ]; then
		tmp=$cache/root.tmp
		rm -rf --one-file-system "$tmp"
		debootstrap --variant=minbase --cache-dir="$cache/archives" "$suite" "$tmp" "$mirror" ||
			return 1
		cat >"$tmp/etc/apt/sources.list" <<-EOF
			deb $mirror $suite main
			deb $mirror $suite-updates main
			deb $security_mirror $suite-security main
		EOF
		echo "pkgtest" >"$tmp/etc/hostname"
		# shellcheck disable=SC2086
		"${nspawn[@]}" -q -D "$tmp" --resolv-conf=replace-host \
			--bind="$cache/archives:/var/cache/apt/archives" \
			/usr/bin/env DEBIAN_FRONTEND=noninteractive /bin/sh -ec "
				apt-get update -q
				apt-get install -y -q --no-install-recommends $root_packages
				apt-get upgrade -y -q" </dev/null || return 1
		tar -C "$tmp" -cf "$base.tmp" . && mv "$base.tmp" "$base" || return 1
		rm -rf --one-file-system "$tmp"
	fi
	flock -u 9
	mkdir -p "$root"
	tar -C "$root" -xf "$base"
}
(renice -n 10 "$BASHPID" >/dev/null 2>&1; prepare_root) >"$work/root.log" 2>&1 &
prep_pid=$!

# --- 1. build -------------------------------------------------------------------
if [ -z "$debs" ]; then
	src=$work/src/acme-rats
	mkdir -p "$work/src"
	if [ "$head" = 1 ]; then
		wt=$src
		git -C "$top" worktree add --detach "$wt" HEAD >/dev/null 2>&1 || bail "git worktree add failed"
		what="HEAD"
	elif git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		# The working tree's files (what the rest of the suite tests), without
		# build products.
		mkdir -p "$src"
		(cd "$top" && git ls-files -z -co --exclude-standard |
			tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -C "$src" -xf - ||
			bail "copying the source tree failed"
		what="the working tree"
	else
		mkdir -p "$src"
		tar -C "$top" --exclude='./build*' -cf - . | tar -C "$src" -xf - || bail "copying the source tree failed"
		what="the source tree"
	fi
	t1=$SECONDS
	# (nice: in make check, the tests running beside this one come first)
	if (cd "$src" && DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-"nocheck parallel=$(nproc)"} \
		nice -n 10 dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1); then
		ok "dpkg-buildpackage -us -uc -b of $what ($((SECONDS - t1)) s)"
	else
		tail -30 "$work/build.log" | indent
		bail "dpkg-buildpackage failed (log: $work/build.log)"
	fi
	debs=$work/src
	if [ -n "$wt" ]; then
		git -C "$top" worktree remove --force "$wt"
		wt=""
	fi
fi
mapfile -t deb_files < <(find "$debs" -maxdepth 1 -name '*.deb' ! -name '*-dbgsym_*' | sort)
[ ${#deb_files[@]} -eq 5 ] || bail "expected 5 .deb files in $debs, found ${#deb_files[@]}"

# --- 2. lintian (in the background; its verdict at the end) --------------------------
mapfile -t lint_files < <(find "$debs" -maxdepth 1 -name '*.deb' | sort) # with the -dbgsym ones
(
	t1=$SECONDS
	nice -n 10 lintian --fail-on error "${lint_files[@]}" >"$work/lintian.log" 2>&1
	echo "$? $((SECONDS - t1))" >"$work/lintian.rc"
) &
lint_pid=$!

helper_deb=$(printf '%s\n' "${deb_files[@]}" | grep '/acme-rats-helper_')
helper_deps=$(dpkg-deb -f "$helper_deb" Depends)
echo "# acme-rats-helper Depends: $helper_deps"
check "acme-rats-helper depends on no server library (hiredis, freeradius, redis)" \
	bash -c "! grep -qiE 'hiredis|freeradius|redis' <<<'$helper_deps'"

# --- 3. the clean root --------------------------------------------------------------
t1=$SECONDS
wait "$prep_pid"
rc=$?
prep_pid=""
if [ $rc -ne 0 ]; then
	tail -20 "$work/root.log" | indent
	bail "making the clean root failed (log: $work/root.log)"
fi
ok "clean $suite root: debootstrap minbase + $root_packages (waited $((SECONDS - t1)) s)"

# What the packages need beyond the root, into apt's cache (the container
# has no network).
mkdir -p "$root/debs"
cp "${deb_files[@]}" "$root/debs/"
if ! in_root /bin/sh -c 'apt-get update -q && apt-get install -y -q --download-only --no-install-recommends /debs/*.deb' \
	>"$work/download.log" 2>&1; then
	tail -10 "$work/download.log" | indent
	bail "apt-get --download-only of the packages' dependencies failed"
fi

# --- 4. boot --------------------------------------------------------------------------
"${nspawn[@]}" --boot -D "$root" --machine="$machine" \
	--private-network --console=passive >"$work/console.log" 2>&1 &
nspawn_pid=$!
wait_for 100 pgrep -P "$nspawn_pid" || bail "systemd-nspawn did not start a container"
leader=$(pgrep -P "$nspawn_pid" | head -1)
state=""
for _ in $(seq 300); do # until the boot is over (systemctl answers only then)
	state=$(in_ct systemctl is-system-running 2>&1)
	case "$state" in running | degraded | maintenance | stopping | offline) break ;; esac
	sleep 0.2
done
if [ "$state" = running ]; then
	ok "the root boots: systemd is PID 1 in the container, system $state"
else
	in_ct systemctl --failed --no-legend 2>&1 | indent
	not_ok "the root boots (system $state)"
fi

snapshot() { # the root's files, but for the running system's and apt's state
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp \
		-o -path ./run -o -path ./var/tmp -o -path ./var/cache -o -path ./var/log \
		-o -path ./var/lib/apt -o -path ./var/lib/dpkg -o -path ./var/lib/redis \
		-o -path ./var/lib/systemd/timers -o -path ./var/lib/systemd/random-seed \
		-o -path ./debs \) -prune -o -print | sort)
}
snapshot >"$work/before.txt"
installed() { # the root's installed packages
	# shellcheck disable=SC2016 # dpkg-query's own ${...} fields
	chroot "$root" dpkg-query -W -f='${Status} ${binary:Package}\n' |
		awk '$3 == "installed" {print $4}' | sort
}
installed >"$work/pkgs-before.txt"

export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2046,SC2012 # Debian package file names have no spaces
if in_ct env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	-o Dpkg::Options::=--force-confold $(cd "$root" && ls debs/*.deb | sed 's|^|/|') \
	>"$work/install.log" 2>&1; then
	ok "apt-get install ./*.deb (the five packages) under systemd"
else
	tail -20 "$work/install.log" | indent
	bail "apt-get install of the packages failed"
fi
grep -E '^(acme-rats|freeradius-acme-rats)|^  |not starting' "$work/install.log" | indent "install: "
check "postinst made the CA's keys" test -f "$root/etc/acme-rats/ca/issuer.key" -a -f "$root/etc/acme-rats/ca/root-ca.crt"
check "postinst made the verifier's keys" test -f "$root/etc/acme-rats/verifier/ear-signing.pem"
check "keys are not readable by others" \
	bash -c "[ -z \"\$(find '$root/etc/acme-rats' -name '*.key' -perm /o=r)\" ]"
for u in _acme-rats-ca _acme-rats-verifier _acme-rats-helper; do
	check "system user $u exists (sysusers.d)" in_ct getent passwd "$u"
done
for u in $units; do
	check "$u.service is installed disabled and not started" \
		bash -c "[ \"\$(nsenter -t $leader -a systemctl is-enabled $u.service)\" = disabled ] &&
			! nsenter -t $leader -a systemctl --quiet is-active $u.service"
done

sum_before=$(sha256sum "$root/etc/acme-rats/ca/issuer.key")
in_ct dpkg-reconfigure acme-rats-ca acme-rats-verifier >>"$work/check.log" 2>&1
check "reconfiguring keeps the CA's keys" test "$sum_before" = "$(sha256sum "$root/etc/acme-rats/ca/issuer.key")"

# --- 5. systemd-analyze security ---------------------------------------------------------
for u in $units; do
	in_ct systemd-analyze security --no-pager "$u.service" >"$work/$u.security" 2>&1
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' "$work/$u.security")
	echo "# systemd-analyze security $u.service: ${score:-none}"
	case "$score" in
	*" OK" | *" SAFE" | *" PERFECT") ok "$u.service: exposure $score" ;;
	*) tail -5 "$work/$u.security" | indent; not_ok "$u.service: exposure ${score:-unknown}, not OK" ;;
	esac
done
for u in freeradius redis-server; do # Debian's, for comparison (docs/install.md)
	echo "# systemd-analyze security $u.service: $(in_ct systemd-analyze security --no-pager "$u.service" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]* [A-Z]*\).*/\1/p')"
done

# --- 6. the daemons under their units ----------------------------------------------------
for u in $units; do
	mkdir -p "$root/etc/systemd/system/$u.service.d"
	printf '# The test: a system call outside SystemCallFilter kills (SIGSYS).\n[Service]\nSystemCallErrorNumber=\n' \
		>"$root/etc/systemd/system/$u.service.d/zz-pkgtest-seccomp-kill.conf"
done
in_ct systemctl daemon-reload
# (systemd's value for "kill the process", as opposed to an errno)
check "the drop-ins make a call outside each SystemCallFilter fatal" \
	test "$(for u in $units; do in_ct systemctl show -P SystemCallErrorNumber "$u.service"; done | sort -u)" = 2147483646

# sandboxed UNIT USER CAPBND: the running daemon as its unit says.
sandboxed() {
	local u=$1 user=$2 capbnd=$3 pid uid st mi
	pid=$(in_ct systemctl show -P MainPID "$u.service")
	uid=$(in_ct id -u "$user")
	st=$(in_ct cat "/proc/$pid/status") || return 1
	mi=$(in_ct cat "/proc/$pid/mountinfo") || return 1
	echo "# $u: pid $pid $(grep -E '^(Uid|NoNewPrivs|Seccomp|Seccomp_filters|CapBnd|CapAmb):' <<<"$st" | tr '\t\n' '  ')"
	grep -qP "^Uid:\t$uid\t$uid\t$uid\t$uid$" <<<"$st" &&
		grep -qP '^NoNewPrivs:\t1$' <<<"$st" &&
		grep -qP '^Seccomp:\t2$' <<<"$st" &&
		grep -qP "^CapBnd:\t$capbnd$" <<<"$st" &&
		awk '$5 == "/" { print $6 }' <<<"$mi" | grep -q '^ro' &&
		awk '$5 == "/tmp"' <<<"$mi" | grep -q .
}
start_unit() {
	if in_ct systemctl start "$1.service" >>"$work/check.log" 2>&1 &&
		wait_for 50 in_ct systemctl --quiet is-active "$1.service"; then
		return 0
	fi
	in_ct journalctl -u "$1.service" --no-pager -n 15 2>&1 | indent
	return 1
}

# The verifier: as installed, on 127.0.0.1:8443; its keys pinned in the CA.
if start_unit acme-rats-verifier &&
	wait_for 100 in_ct curl -sf --cacert /etc/acme-rats/verifier/tls.crt \
		https://localhost:8443/challenge-response/v1/keys -o /etc/acme-rats/ca/verifier-keys.json; then
	ok "systemctl start acme-rats-verifier: it answers; its keys pinned in the CA"
else
	bail "acme-rats-verifier did not start"
fi
if sandboxed acme-rats-verifier _acme-rats-verifier 0000000000000000; then
	ok "acme-rats-verifier runs as _acme-rats-verifier, no capability, no_new_privs, seccomp, / read-only, private /tmp"
else
	not_ok "acme-rats-verifier runs sandboxed as its unit says"
fi

# The CA: docs/install.md step 4 (base_url stays https://localhost here).
hmac=$(openssl rand 32 | basenc --base64url | tr -d '=\n')
printf '{"kid-dev-0001": {"hmac": "%s", "identifiers": ["DEV-0001"]}}\n' "$hmac" >"$root/etc/acme-rats/ca/eab.json"
chmod 0644 "$root/etc/acme-rats/ca/verifier-keys.json"
if start_unit acme-rats-ca &&
	wait_for 100 in_ct curl -sf --cacert /etc/acme-rats/ca/root-ca.crt https://localhost/directory; then
	ok "systemctl start acme-rats-ca: its directory answers on port 443"
else
	bail "acme-rats-ca did not start"
fi
if sandboxed acme-rats-ca _acme-rats-ca 0000000000000400; then
	ok "acme-rats-ca runs as _acme-rats-ca, CAP_NET_BIND_SERVICE only, no_new_privs, seccomp, / read-only, private /tmp"
else
	not_ok "acme-rats-ca runs sandboxed as its unit says"
fi

# --- 7. the device ------------------------------------------------------------------------
hd=$root/etc/acme-rats-helper
install -m 0644 "$root/etc/acme-rats/ca/root-ca.crt" "$hd/noc-ca.pem"
install -m 0644 "$root/etc/acme-rats/verifier/tls.crt" "$hd/soc-ca.pem"
printf '%s\n' "$hmac" >"$hd/eab.hmac"
chmod 0600 "$hd/eab.hmac"
in_ct chown _acme-rats-helper /etc/acme-rats-helper/eab.hmac
sed -i -e 's|^directory = .*|directory = https://localhost/directory|' \
	-e 's|^eab_kid = .*|eab_kid = kid-dev-0001|' \
	-e 's|^identifiers = .*|identifiers = permanent-identifier:DEV-0001|' \
	-e 's|^device_id = .*|device_id = DEV-0001|' \
	-e 's|^url = .*|url = https://localhost:8443|' \
	-e 's|^edr = .*|# edr: none here|' \
	-e 's|^fresh = .*|fresh = 6h|' \
	-e 's|^post_renew = .*|# post_renew: no supplicant here|' \
	"$hd/acme-rats-helper.conf"
live=$root/var/lib/acme-rats-helper/live
if in_ct runuser -u _acme-rats-helper -- acme-rats-helper enroll -v >"$work/enroll.log" 2>&1 &&
	test -s "$live/cert.pem"; then
	ok "the installed helper enrolls DEV-0001 (runuser -u _acme-rats-helper, docs/install.md step 6)"
else
	tail -15 "$work/enroll.log" | indent
	in_ct journalctl -u acme-rats-ca -u acme-rats-verifier --no-pager -n 10 2>&1 | indent
	not_ok "the installed helper enrolls DEV-0001"
fi
check "acme-rats-helper status (runuser -u _acme-rats-helper)" \
	in_ct runuser -u _acme-rats-helper -- acme-rats-helper status
first=$(sha256sum <"$live/cert.pem" 2>/dev/null)
if start_unit acme-rats-helper; then
	ok "systemctl start acme-rats-helper: the daemon stays up"
else
	not_ok "systemctl start acme-rats-helper"
fi
if sandboxed acme-rats-helper _acme-rats-helper 0000000000000400; then
	ok "acme-rats-helper runs as _acme-rats-helper, CAP_NET_BIND_SERVICE only, no_new_privs, seccomp, / read-only, private /tmp"
else
	not_ok "acme-rats-helper runs sandboxed as its unit says"
fi
in_ct systemctl kill -s USR1 acme-rats-helper.service
if wait_for 300 bash -c "[ \"\$(sha256sum <'$live/cert.pem')\" != '$first' ]"; then
	ok "the helper's unit renews the certificate on SIGUSR1 (ACME and attestation under its filter)"
else
	in_ct journalctl -u acme-rats-helper --no-pager -n 15 2>&1 | indent
	not_ok "the helper's unit renews the certificate on SIGUSR1"
fi

# --- 8. FreeRADIUS, as docs/install.md section 5 says ------------------------------------------
rd=$root/etc/freeradius/3.0
cp -a "$rd" "$work/raddb.orig"
# shellcheck disable=SC2016 # the container's shell expands it
in_ct /bin/sh -e -c '
cd /etc/freeradius/3.0
install -d -o freerad -g freerad -m 0750 certs/acme-rats
cp /etc/acme-rats/ca/issuer.crt certs/acme-rats/issuer.pem
cat /etc/acme-rats/ca/root-ca.crt /etc/acme-rats/ca/issuer.crt >certs/acme-rats/trust.pem
cd certs/acme-rats
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key 2>/dev/null
openssl req -new -key server.key -subj "/CN=radius.example.net" -out server.csr 2>/dev/null
printf "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:radius.example.net\n" >ext.cnf
openssl x509 -req -in server.csr -CA /etc/acme-rats/ca/root-ca.crt \
	-CAkey /etc/acme-rats/ca/root-ca.key -set_serial "0x$(openssl rand -hex 16)" \
	-days 825 -extfile ext.cnf -out server.crt 2>/dev/null
chgrp freerad server.key && chmod 0640 server.key
' >>"$work/check.log" 2>&1
ln -s ../mods-available/acme_rats "$rd/mods-enabled/acme_rats"
ln -s ../sites-available/acme-rats "$rd/sites-enabled/acme-rats"
cat >>"$rd/clients.conf" <<'CONF'

client switch-hall-1 {
	ipaddr = 127.0.0.2
	secret = testing123-nas
	virtual_server = acme-rats
}
CONF
# Nothing of FreeRADIUS's own configuration was edited but clients.conf.
if diff -r -x acme_rats -x acme-rats -x clients.conf "$work/raddb.orig" "$rd" >"$work/raddb.diff" 2>&1; then
	ok "FreeRADIUS configured without editing its files (links, certificates, a client entry)"
else
	indent <"$work/raddb.diff"
	not_ok "FreeRADIUS configured without editing its files"
fi
if in_ct freeradius -XC >"$work/freeradius-XC.log" 2>&1; then
	ok "freeradius -XC: the installed module and the documented configuration load"
else
	grep -iE 'error|acme' "$work/freeradius-XC.log" | tail -10 | indent
	not_ok "freeradius -XC"
fi
if in_ct systemctl restart freeradius.service >>"$work/check.log" 2>&1 &&
	wait_for 50 in_ct systemctl --quiet is-active freeradius.service; then
	ok "systemctl restart freeradius: running with the module"
else
	in_ct journalctl -u freeradius --no-pager -n 15 2>&1 | indent
	not_ok "systemctl restart freeradius"
fi

cat >"$root/root/eapol.conf" <<'CONF'
network={
	key_mgmt=WPA-EAP
	eap=TLS
	identity="DEV-0001"
	ca_cert="/etc/acme-rats/ca/root-ca.crt"
	client_cert="/var/lib/acme-rats-helper/live/cert.pem"
	private_key="/var/lib/acme-rats-helper/live/key.pem"
}
CONF
if in_ct eapol_test -c /root/eapol.conf -a 127.0.0.1 -A 127.0.0.2 -s testing123-nas -t 10 \
	>"$work/eapol.log" 2>&1 && grep -q '^SUCCESS' "$work/eapol.log"; then
	ok "eapol_test with the device's certificate, as the NAS with virtual_server = acme-rats: Access-Accept"
else
	tail -5 "$work/eapol.log" | indent
	not_ok "eapol_test with the device's certificate"
fi
radlog=$root/var/log/freeradius/radius.log
grep -o 'acme_rats: decision .*' "$radlog" 2>/dev/null | indent
check "radius.log: the module decided outcome=accept for DEV-0001" \
	grep -q 'acme_rats: decision device=DEV-0001 .*outcome=accept' "$radlog"
# Debian's localhost client has no virtual_server line: its default site,
# with Debian's eap module (public CAs), serves it - no module decision, no
# admission.
decisions=$(grep -c 'acme_rats: decision' "$radlog")
if ! in_ct eapol_test -c /root/eapol.conf -a 127.0.0.1 -s testing123 -t 10 >"$work/eapol-default.log" 2>&1 &&
	[ "$(grep -c 'acme_rats: decision' "$radlog")" = "$decisions" ]; then
	ok "the same device through a client without virtual_server = acme-rats: default site, not admitted"
else
	tail -5 "$work/eapol-default.log" | indent
	not_ok "the same device through a client without virtual_server = acme-rats"
fi
if in_ct acme-rats-ctl device DEV-0001 >"$work/ctl.log" 2>&1 && grep -q 'DEV-0001' "$work/ctl.log"; then
	ok "acme-rats-ctl device DEV-0001 shows the device"
else
	tail -5 "$work/ctl.log" | indent
	not_ok "acme-rats-ctl device DEV-0001"
fi

# --- 9. the filters held -------------------------------------------------------------------
for u in $units; do
	st=$(in_ct systemctl show -p ActiveState -p NRestarts -p Result "$u.service" | tr '\n' ' ')
	echo "# $u.service: $st"
	if [ "$st" = "Result=success NRestarts=0 ActiveState=active " ] &&
		! in_ct journalctl -u "$u.service" --no-pager | grep -q 'status=31/SYS'; then
		ok "$u.service: never killed by its SystemCallFilter, never restarted"
	else
		in_ct journalctl -u "$u.service" --no-pager -n 10 2>&1 | indent
		not_ok "$u.service: killed or restarted"
	fi
done

# --- 10. remove, purge ----------------------------------------------------------------------
rm -rf "$rd"
cp -a "$work/raddb.orig" "$rd"
in_ct systemctl restart freeradius.service
for u in $units; do rm -rf "$root/etc/systemd/system/$u.service.d"; done
in_ct systemctl daemon-reload
rm -f "$hd/noc-ca.pem" "$hd/soc-ca.pem" "$hd/eab.hmac" "$root/etc/acme-rats/ca/verifier-keys.json" "$root/root/eapol.conf"
if in_ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q --autoremove acme-rats-ca \
	acme-rats-verifier acme-rats-helper freeradius-acme-rats acme-rats-tools >"$work/purge.log" 2>&1; then
	ok "apt-get purge --autoremove of the five packages (and the libraries they alone needed)"
else
	tail -10 "$work/purge.log" | indent
	not_ok "apt-get purge"
fi
for u in $units; do
	check "$u.service stopped by the removal" bash -c "! nsenter -t $leader -a systemctl --quiet is-active $u.service"
done
check "no process of the packages' users is left" \
	bash -c "! nsenter -t $leader -a pgrep -u _acme-rats-ca,_acme-rats-verifier,_acme-rats-helper"
# Dependencies that apt's --autoremove keeps by its own rules (measured: the
# TPM libraries the helper links, their tpm-udev and udev, which systemd
# recommends - APT::AutoRemove::RecommendsImportant) are apt's to keep, not
# the packages' files: name them, purge them too, then compare the files.
installed | comm -13 "$work/pkgs-before.txt" - >"$work/pkgs-kept.txt"
if [ -s "$work/pkgs-kept.txt" ]; then
	echo "# kept by apt's --autoremove, purged now: $(tr '\n' ' ' <"$work/pkgs-kept.txt")"
	# shellcheck disable=SC2046 # package names have no spaces
	in_ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $(cat "$work/pkgs-kept.txt") \
		>>"$work/purge.log" 2>&1 || tail -5 "$work/purge.log" | indent
fi
snapshot >"$work/after.txt"
comm -13 "$work/before.txt" "$work/after.txt" >"$work/left.txt"
comm -23 "$work/before.txt" "$work/after.txt" >"$work/gone.txt"
indent "left after purge: " <"$work/left.txt"
indent "gone after purge: " <"$work/gone.txt"
check "nothing left after the purge" test ! -s "$work/left.txt"
check "nothing of the system's removed by the purge" test ! -s "$work/gone.txt"
check "the system users stay (Debian policy)" in_ct getent passwd _acme-rats-ca

wait "$lint_pid"
lint_pid=""
read -r rc secs <"$work/lintian.rc"
grep -v 'running with root privileges' "$work/lintian.log" | indent "lintian: "
if [ "$rc" = 0 ]; then
	ok "lintian: no error ($(grep -c '^W:' "$work/lintian.log") warnings, ${secs} s)"
else
	not_ok "lintian reports errors"
fi

echo "# $((SECONDS - t0)) s"
echo "1..$n"
exit $failed
