#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Debian packages, installed the way an operator installs them
# (docs/install.md), in a clean Debian 12 root:
#
#   tests/packaging/test_debian_packages.sh [--debs DIR] [--keep]
#
#   --debs DIR  test the .deb files in DIR instead of building them
#   --keep      leave the root and the logs in place (printed at the end)
#
#  1. builds the packages: dpkg-buildpackage -us -uc -b in a git worktree of
#     HEAD (so only committed work is tested);
#  2. lintian: no error (kept warnings are overridden with a reason, see
#     debian/README.source);
#  3. a clean root made by debootstrap (minbase, from deb.debian.org; the
#     base and apt's downloads are cached in /var/cache/acme-rats-tests, so a
#     second run downloads nothing);
#  4. apt-get install redis-server freeradius eapoltest curl, then
#     apt-get install ./*.deb;
#  5. systemd is not PID 1 in a chroot: each daemon runs its installed
#     unit's ExecStartPre and ExecStart with the unit's User, Group,
#     capabilities (bounding and ambient), NoNewPrivileges, UMask and
#     runtime directory, through setpriv, in a network namespace of its own
#     (loopback only). The seccomp filter and the mount protections are not
#     applied there;
#  6. the CA, the verifier and the helper configured as docs/install.md
#     says; the installed helper enrolls DEV-0001 as _acme-rats-helper;
#  7. FreeRADIUS configured as docs/install.md says; eapol_test presents the
#     device's certificate: Access-Accept, and the module's decision line
#     says outcome=accept;
#  8. the FreeRADIUS edits undone, the packages purged: every file the
#     packages or their scripts made is gone; what stays is what Debian
#     policy keeps (the system users).
#
# Needs root, debootstrap, dpkg-dev, debhelper, lintian, the Build-Depends
# (debian/control) and a reachable Debian mirror. TAP output.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=/var/cache/acme-rats-tests
mirror=${ACME_RATS_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
debs=""
keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--debs) debs=$(realpath "$2"); shift 2 ;;
	--keep) keep=1; shift ;;
	*) echo "usage: $0 [--debs DIR] [--keep]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }

work=$(mktemp -d /var/tmp/acme-rats-pkgtest.XXXXXX)
root=$work/root
netns=acme-rats-pkgtest-$$
n=0
failed=0
t0=$SECONDS
pids=()

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
bail() {
	echo "Bail out! $*"
	exit 1
}
check() { # description command...
	local d=$1; shift
	if "$@" >>"$work/check.log" 2>&1; then ok "$d"; else not_ok "$d"; fi
}

cleanup() {
	local p
	for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	sleep 0.5
	ip netns pids "$netns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
	ip netns delete "$netns" 2>/dev/null || true
	for m in dev/pts dev sys proc var/cache/apt/archives; do
		mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m" || true
	done
	if [ -n "${wt:-}" ]; then
		git -C "$top" worktree remove --force "$wt" 2>/dev/null || true
	fi
	if [ "$keep" = 1 ]; then
		echo "# kept: $work"
	else
		rm -rf --one-file-system "$work"
	fi
}
trap cleanup EXIT

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
in_net() { ip netns exec "$netns" chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

# --- 1. build ---------------------------------------------------------------
if [ -z "$debs" ]; then
	wt=$work/src/acme-rats
	mkdir -p "$work/src"
	git -C "$top" worktree add --detach "$wt" HEAD >/dev/null 2>&1 || bail "git worktree add failed"
	if (cd "$wt" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1); then
		ok "dpkg-buildpackage -us -uc -b ($((SECONDS - t0)) s)"
	else
		tail -30 "$work/build.log" | sed 's/^/# /'
		bail "dpkg-buildpackage failed (log: $work/build.log)"
	fi
	debs=$work/src
	git -C "$top" worktree remove --force "$wt"
	wt=""
fi
mapfile -t deb_files < <(find "$debs" -maxdepth 1 -name '*.deb' ! -name '*-dbgsym_*' | sort)
[ ${#deb_files[@]} -eq 5 ] || bail "expected 5 .deb files in $debs, found ${#deb_files[@]}"

# --- 2. lintian -------------------------------------------------------------
if lintian --fail-on error --suppress-tags-from-file /dev/null "${deb_files[@]}" >"$work/lintian.log" 2>&1; then
	ok "lintian: no error ($(grep -c '^W:' "$work/lintian.log" || true) warnings, overrides in debian/)"
else
	sed 's/^/# /' "$work/lintian.log"
	not_ok "lintian reports errors"
fi
sed 's/^/# lintian: /' "$work/lintian.log"

# The helper: no server library.
helper_deb=$(printf '%s\n' "${deb_files[@]}" | grep '/acme-rats-helper_')
helper_deps=$(dpkg-deb -f "$helper_deb" Depends)
echo "# acme-rats-helper Depends: $helper_deps"
check "acme-rats-helper depends on no server library (hiredis, freeradius, redis)" \
	bash -c "! grep -qiE 'hiredis|freeradius|redis' <<<'$helper_deps'"

# --- 3. the clean root --------------------------------------------------------
mkdir -p "$cache/archives/partial"
base=$cache/$suite-minbase.tar
if [ ! -f "$base" ]; then
	debootstrap --variant=minbase --include=ca-certificates "$suite" "$cache/root.tmp" "$mirror" \
		>"$work/debootstrap.log" 2>&1 || bail "debootstrap failed (log: $work/debootstrap.log)"
	tar -C "$cache/root.tmp" -cf "$base.tmp" . && mv "$base.tmp" "$base"
	rm -rf --one-file-system "$cache/root.tmp"
fi
mkdir -p "$root"
tar -C "$root" -xf "$base"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind "$cache/archives" "$root/var/cache/apt/archives"
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
ok "clean $suite root from debootstrap ($root)"

export DEBIAN_FRONTEND=noninteractive
apt_install() {
	in_root apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		--no-install-recommends "$@"
}
in_root apt-get update -q >"$work/apt.log" 2>&1 || bail "apt-get update failed"
apt_install redis-server freeradius eapoltest curl openssl procps strace >>"$work/apt.log" 2>&1 ||
	bail "apt-get install of the services failed (log: $work/apt.log)"

# What exists before our packages (to compare after the purge).
snapshot() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp \
		-o -path ./var/cache -o -path ./var/log -o -path ./var/lib/apt -o -path ./var/lib/dpkg \
		-o -path ./run \) -prune -o -print | sort)
}
snapshot >"$work/before.txt"

mkdir -p "$root/debs"
cp "${deb_files[@]}" "$root/debs/"
if apt_install $(cd "$root" && printf './debs/%s ' $(ls debs)) >"$work/install.log" 2>&1; then
	ok "apt-get install ./*.deb (the five packages)"
else
	tail -20 "$work/install.log" | sed 's/^/# /'
	bail "apt-get install of the packages failed"
fi
grep -E '^(acme-rats|freeradius-acme-rats)' "$work/install.log" | sed 's/^/# postinst: /' || true
check "postinst made the CA's keys" test -f "$root/etc/acme-rats/ca/issuer.key" -a -f "$root/etc/acme-rats/ca/root-ca.crt"
check "postinst made the verifier's keys" test -f "$root/etc/acme-rats/verifier/ear-signing.pem"
check "keys are not readable by others" \
	bash -c "[ -z \"\$(find '$root/etc/acme-rats' -name '*.key' -perm /o=r)\" ]"
for u in _acme-rats-ca _acme-rats-verifier _acme-rats-helper; do
	check "system user $u exists" in_root getent passwd "$u"
done

# A second configure makes nothing new and keeps the keys.
sum_before=$(sha256sum "$root/etc/acme-rats/ca/issuer.key")
in_root dpkg-reconfigure acme-rats-ca >/dev/null 2>&1 || true
in_root dpkg --configure -a >/dev/null 2>&1 || true
check "reconfiguring keeps the CA's keys" test "$sum_before" = "$(sha256sum "$root/etc/acme-rats/ca/issuer.key")"

# --- 5. the daemons under their units' settings ---------------------------------
ip netns add "$netns"
ip netns exec "$netns" ip link set lo up

unit_get() { # unit key -> values of key= lines (last wins for scalar ones)
	sed -n "s/^$2=//p" "$root/lib/systemd/system/$1"
}
caps_of() { # "CAP_A CAP_B" -> "+a,+b"
	local c out=""
	for c in $1; do out="$out,+$(echo "${c#CAP_}" | tr 'A-Z' 'a-z')"; done
	echo "${out#,}"
}
# run_unit UNIT: ExecStartPre (waited for), then ExecStart in the background.
run_unit() {
	local unit=$1 user group bset amb rundir umask pre start
	user=$(unit_get "$unit" User | tail -1)
	group=$(unit_get "$unit" Group | tail -1)
	bset=$(caps_of "$(unit_get "$unit" CapabilityBoundingSet | tail -1)")
	amb=$(caps_of "$(unit_get "$unit" AmbientCapabilities | tail -1)")
	rundir=$(unit_get "$unit" RuntimeDirectory | tail -1)
	umask=$(unit_get "$unit" UMask | tail -1)
	pre=$(unit_get "$unit" ExecStartPre | tail -1)
	start=$(unit_get "$unit" ExecStart | tail -1)
	[ -z "$rundir" ] || install -d -m 0750 -o "$(in_root id -u "$user")" -g "$(in_root id -g "$group")" "$root/run/$rundir"
	local sp=(setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs
		--bounding-set="-all${bset:+,$bset}" --inh-caps="-all${amb:+,$amb}")
	[ -z "$amb" ] || sp+=(--ambient-caps="$amb")
	# Every system call the daemon makes is recorded (strace -f), to hold
	# against the unit's SystemCallFilter below.
	sp+=(strace -f -qq -o "/tmp/$unit.trace")
	echo "# $unit: umask $umask; ${sp[*]} -- $start"
	if [ -n "$pre" ]; then
		# shellcheck disable=SC2086
		in_net /bin/sh -c "umask $umask; cd /; exec ${sp[*]/%.trace/.pre.trace} -- $pre" >>"$work/$unit.log" 2>&1 ||
			{ tail -5 "$work/$unit.log" | sed 's/^/# /'; return 1; }
	fi
	# shellcheck disable=SC2086
	in_net /bin/sh -c "umask $umask; cd /${rundir:+run/$rundir}; exec ${sp[*]} -- $start" >>"$work/$unit.log" 2>&1 &
	pids+=($!)
}
wait_for() { # tries cmd...
	local i=$1; shift
	while [ "$i" -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; i=$((i - 1)); done
	return 1
}

in_net redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
wait_for 50 in_net redis-cli ping || bail "redis-server did not start"

# Verifier: as installed, it listens on 127.0.0.1:8443.
if run_unit acme-rats-verifier.service &&
	wait_for 100 in_net curl -sf --cacert /etc/acme-rats/verifier/tls.crt \
		https://localhost:8443/challenge-response/v1/keys -o /etc/acme-rats/ca/verifier-keys.json; then
	ok "acme-rats-verifier runs as its unit says; its keys pinned in the CA"
else
	tail -10 "$work/acme-rats-verifier.service.log" | sed 's/^/# /'
	bail "acme-rats-verifier did not start"
fi
check "acme-rats-verifier runs as _acme-rats-verifier" \
	pgrep -u "$(in_root id -u _acme-rats-verifier)" -x acme-rats-verifier

# CA: docs/install.md step 4 (base_url stays https://localhost here).
hmac=$(openssl rand 32 | basenc --base64url | tr -d '=\n')
printf '{"kid-dev-0001": {"hmac": "%s", "identifiers": ["DEV-0001"]}}\n' "$hmac" >"$root/etc/acme-rats/ca/eab.json"
chmod 0640 "$root/etc/acme-rats/ca/eab.json"
chmod 0644 "$root/etc/acme-rats/ca/verifier-keys.json"
if run_unit acme-rats-ca.service &&
	wait_for 100 in_net curl -sf --cacert /etc/acme-rats/ca/root-ca.crt https://localhost/directory; then
	ok "acme-rats-ca runs as its unit says (port 443 through its one capability)"
else
	tail -10 "$work/acme-rats-ca.service.log" | sed 's/^/# /'
	bail "acme-rats-ca did not start"
fi

# --- 6. the device ----------------------------------------------------------------
hd=$root/etc/acme-rats-helper
install -m 0644 "$root/etc/acme-rats/ca/root-ca.crt" "$hd/noc-ca.pem"
install -m 0644 "$root/etc/acme-rats/verifier/tls.crt" "$hd/soc-ca.pem"
printf '%s\n' "$hmac" >"$hd/eab.hmac"
chmod 0600 "$hd/eab.hmac"
in_root chown _acme-rats-helper /etc/acme-rats-helper/eab.hmac
sed -i -e 's|^directory = .*|directory = https://localhost/directory|' \
	-e 's|^eab_kid = .*|eab_kid = kid-dev-0001|' \
	-e 's|^identifiers = .*|identifiers = permanent-identifier:DEV-0001|' \
	-e 's|^device_id = .*|device_id = DEV-0001|' \
	-e 's|^url = .*|url = https://localhost:8443|' \
	-e 's|^edr = .*|# edr: none here|' \
	-e 's|^fresh = .*|fresh = 6h|' \
	-e 's|^post_renew = .*|# post_renew: no supplicant here|' \
	"$hd/acme-rats-helper.conf"
if in_net setpriv --reuid=_acme-rats-helper --regid=_acme-rats-helper --init-groups --no-new-privs \
	--bounding-set=-all --inh-caps=-all -- /bin/sh -c 'umask 077; cd /var/lib/acme-rats-helper; exec strace -f -qq -o /tmp/acme-rats-helper-enroll.trace acme-rats-helper enroll -v' \
	>"$work/enroll.log" 2>&1; then
	ok "the installed helper enrolls DEV-0001 as _acme-rats-helper"
else
	tail -15 "$work/enroll.log" | sed 's/^/# /'
	tail -5 "$work/acme-rats-ca.service.log" | sed 's/^/# ca: /'
	tail -5 "$work/acme-rats-verifier.service.log" | sed 's/^/# verifier: /'
	not_ok "the installed helper enrolls DEV-0001"
fi
check "the certificate is in /var/lib/acme-rats-helper/live" test -s "$root/var/lib/acme-rats-helper/live/cert.pem"
# The daemon as its unit runs it: checks the configuration, hands over to
# the monitor image, sleeps until the renewal is due.
if run_unit acme-rats-helper.service; then
	helper_pid=${pids[-1]}
	sleep 5
	if kill -0 "$helper_pid" 2>/dev/null; then
		ok "acme-rats-helper run stays up as its unit says (monitor waiting)"
	else
		tail -5 "$work/acme-rats-helper.service.log" | sed 's/^/# /'
		not_ok "acme-rats-helper run stays up"
	fi
else
	not_ok "acme-rats-helper run starts"
fi

# --- 7. FreeRADIUS, as docs/install.md step 5 says --------------------------------
rd=$root/etc/freeradius/3.0
cp -a "$rd" "$work/raddb.orig"
in_root /bin/sh -e -c '
cd /etc/freeradius/3.0
install -d -o freerad -g freerad -m 0750 certs/acme-rats
cp /etc/acme-rats/ca/issuer.crt certs/acme-rats/issuer.pem
cat /etc/acme-rats/ca/root-ca.crt /etc/acme-rats/ca/issuer.crt >certs/acme-rats/trust.pem
cd certs/acme-rats
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key 2>/dev/null
openssl req -new -key server.key -subj "/CN=radius.example.net" -out server.csr 2>/dev/null
printf "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:radius.example.net\n" >ext.cnf
openssl x509 -req -in server.csr -CA /etc/acme-rats/ca/root-ca.crt \
	-CAkey /etc/acme-rats/ca/root-ca.key -CAcreateserial -days 825 \
	-extfile ext.cnf -out server.crt 2>/dev/null
chgrp freerad server.key && chmod 0640 server.key
'
printf '\n$INCLUDE dictionary.acme_rats\n' >>"$rd/dictionary"
sed -i -e '/^\ttls-config tls-common {/,/^\t}/ {
	s|^\(\t\tprivate_key_file\) = .*|\1 = ${certdir}/acme-rats/server.key|
	s|^\(\t\tcertificate_file\) = .*|\1 = ${certdir}/acme-rats/server.crt|
	s|^\(\t\tca_file\) = .*|\1 = ${certdir}/acme-rats/trust.pem|
	s|^\(\t\tca_path\) = |#\1 = |
}' -e '/^\ttls-config tls-common {/a\
		$INCLUDE ${confdir}/acme-rats/tls-config.conf' \
	-e '/^\ttls {/,/^\t}/ s/^\t\ttls = tls-common$/&\
		$INCLUDE ${confdir}\/acme-rats\/eap-tls.conf/' "$rd/mods-available/eap"
sed -i -e 's/^\tremove_reply_message_if_eap$/&\
	$INCLUDE ${confdir}\/acme-rats\/post-auth.conf/' \
	-e 's/^\t\tremove_reply_message_if_eap$/&\
		$INCLUDE ${confdir}\/acme-rats\/post-auth-reject.conf/' \
	-e '/^accounting {/a\
	$INCLUDE ${confdir}/acme-rats/accounting.conf' "$rd/sites-available/default"
ln -s ../mods-available/acme_rats "$rd/mods-enabled/acme_rats"
ln -s ../sites-available/acme-rats-check-eap-tls "$rd/sites-enabled/acme-rats-check-eap-tls"
if in_net freeradius -XC >"$work/freeradius-XC.log" 2>&1; then
	ok "freeradius -XC: the installed module and the documented configuration load"
else
	grep -iE 'error|acme' "$work/freeradius-XC.log" | tail -10 | sed 's/^/# /'
	not_ok "freeradius -XC"
fi
in_net freeradius -X >"$work/freeradius.log" 2>&1 &
pids+=($!)
wait_for 100 grep -q 'Ready to process requests' "$work/freeradius.log" || bail "freeradius did not start"

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
if in_net eapol_test -c /root/eapol.conf -a 127.0.0.1 -s testing123 -t 10 >"$work/eapol.log" 2>&1 &&
	grep -q '^SUCCESS' "$work/eapol.log"; then
	ok "eapol_test with the device's certificate: Access-Accept"
else
	tail -5 "$work/eapol.log" | sed 's/^/# /'
	not_ok "eapol_test with the device's certificate"
fi
grep -o 'acme_rats: decision .*' "$work/freeradius.log" | sed 's/^/# /' || true
check "the module decided outcome=accept for DEV-0001" \
	grep -q 'acme_rats: decision device=DEV-0001 .*outcome=accept' "$work/freeradius.log"

# --- the system calls against each unit's SystemCallFilter --------------------------
# Stop the daemons (not their strace, which then writes out and exits).
for p in $(ip netns pids "$netns"); do
	[ "$(ps -o comm= -p "$p" 2>/dev/null)" = strace ] || kill "$p" 2>/dev/null || true
done
sleep 2
expand() { # @group... -> system call names, one per line
	local g
	for g in "$@"; do
		systemd-analyze syscall-filter "$g" 2>/dev/null | sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e '1d' |
			while read -r w; do
				[ -n "$w" ] || continue
				case "$w" in @*) expand "$w" ;; *) echo "$w" ;; esac
			done
	done
}
for unit in acme-rats-ca acme-rats-verifier acme-rats-helper; do
	allow=$(unit_get "$unit.service" SystemCallFilter | grep -v '^~' | tr ' ' '\n')
	deny=$(unit_get "$unit.service" SystemCallFilter | sed -n 's/^~//p' | tr ' ' '\n')
	# shellcheck disable=SC2086
	comm -23 <(expand $allow | sort -u) <(expand $deny | sort -u) >"$work/$unit.allowed"
	cat "$root"/tmp/$unit*.trace 2>/dev/null |
		sed -n -e 's/^[0-9]* *<\.\.\. \([a-z0-9_]*\) resumed>.*/\1/p' -e 's/^[0-9]* *\([a-z0-9_]*\)(.*/\1/p' |
		sort -u >"$work/$unit.used"
	comm -23 "$work/$unit.used" "$work/$unit.allowed" | grep -vxE 'execve' >"$work/$unit.outside" || true
	echo "# $unit: $(wc -l <"$work/$unit.used") distinct system calls; outside its filter: $(tr '\n' ' ' <"$work/$unit.outside")"
	check "$unit makes only system calls its SystemCallFilter allows" \
		test -s "$work/$unit.used" -a ! -s "$work/$unit.outside"
done

# --- 8. remove, purge --------------------------------------------------------------
ip netns pids "$netns" 2>/dev/null | xargs -r kill 2>/dev/null || true
sleep 1
pids=()
rm -rf "$rd"
cp -a "$work/raddb.orig" "$rd"
rm -f "$hd/noc-ca.pem" "$hd/soc-ca.pem" "$hd/eab.hmac" "$root/etc/acme-rats/ca/verifier-keys.json" "$root/root/eapol.conf"
rm -rf "$root/debs"
if in_root apt-get purge -y -q acme-rats-ca acme-rats-verifier acme-rats-helper freeradius-acme-rats acme-rats-tools \
	>"$work/purge.log" 2>&1; then
	ok "apt-get purge of the five packages"
else
	tail -10 "$work/purge.log" | sed 's/^/# /'
	not_ok "apt-get purge"
fi
snapshot >"$work/after.txt"
# Debian keeps system users (adduser's and sysusers' entries) after a purge.
comm -13 "$work/before.txt" "$work/after.txt" >"$work/left.txt" || true
comm -23 "$work/before.txt" "$work/after.txt" >"$work/gone.txt" || true
sed 's/^/# left after purge: /' "$work/left.txt"
sed 's/^/# gone after purge: /' "$work/gone.txt"
check "nothing left after the purge" test ! -s "$work/left.txt"
check "nothing of the system's removed by the purge" test ! -s "$work/gone.txt"
check "the system users stay (Debian policy)" in_root getent passwd _acme-rats-ca

echo "# $((SECONDS - t0)) s"
echo "1..$n"
exit $failed
