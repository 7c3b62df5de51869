#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The SOC -> NOC loop timed on the real wired 802.1X site of the end-to-end
# tests (tests/e2e/lab8021x.sh): wpa_supplicant in its own network
# namespace, hostapd as the NAS, freeradius with rlm_acme_rats,
# acme-rats-ca with its NOC event worker, acme-rats-verifier, redis-server,
# and acme-rats-helper keeping the device's certificate. The device enrolls
# and connects once, then each round times:
#
#   quarantine  the helper is stopped until the posture is older than the
#               network's fresh limit; one re-authentication, decided
#               "quarantine" (Access-Accept into the quarantine VLAN);
#   readmit     from the helper's start until it re-attested, renewed, its
#               hook reconfigured the supplicant and the module accepted
#               the device again (goal: <= 5 s); the helper stops again;
#   flag        from `acme-rats-ctl flag ... contraindicated` until the NAS
#               acknowledged the Disconnect-Request and dropped the station
#               (through the verifier's SOC API, the event stream and the
#               CA's worker; hostapd is polled every 100 ms). The SOC then
#               clears the device (affirming) for the next round.
#
#   bench/lapse.sh BUILDDIR [-n ROUNDS] [-f FRESH_SECONDS]
#
# ROUNDS 1..20 (5); FRESH 8..60 (12): how long a posture stays fresh on this
# network - each round waits that long for the lapse. Prints one line per
# step: "lapse_<step>_ms rounds=N failed=K p50=.. max=.. samples=a,b,.."
# (p50 and max over the rounds that succeeded) and exits 1 if a step failed
# in every round. Needs root (namespaces, veth) and what scripts/setup
# installs.
set -u
build=$(cd "${1:?usage: bench/lapse.sh BUILDDIR [-n ROUNDS] [-f FRESH_SECONDS]}" && pwd) || exit 2
shift
rounds=5 fresh=12
while getopts n:f: opt; do
	case $opt in
	n) rounds=$OPTARG ;;
	f) fresh=$OPTARG ;;
	*) echo "usage: bench/lapse.sh BUILDDIR [-n ROUNDS] [-f FRESH_SECONDS]" >&2; exit 2 ;;
	esac
done
case $rounds in ''|*[!0-9]*) rounds=0 ;; esac
case $fresh in ''|*[!0-9]*) fresh=0 ;; esac
if [ "$rounds" -lt 1 ] || [ "$rounds" -gt 20 ] || [ "$fresh" -lt 8 ] || [ "$fresh" -gt 60 ]; then
	echo "bench/lapse.sh: ROUNDS must be 1..20 and FRESH_SECONDS 8..60" >&2
	exit 2
fi
AR_TOP_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
export AR_TOP_SRCDIR AR_TOP_BUILDDIR=$build
make -C "$build" -s -j2 >/dev/null || exit 1

# shellcheck source=tests/helper/lab.sh
. "$AR_TOP_SRCDIR/tests/helper/lab.sh"
# shellcheck source=tests/e2e/lab8021x.sh
. "$AR_TOP_SRCDIR/tests/e2e/lab8021x.sh"
trap 'site_cleanup; lab_cleanup' EXIT

site_up
# The helper renews a third of the fresh period before the posture lapses
# (the site's 8 s margin is for its 20 s default).
sed -i "s/^fresh_margin = .*/fresh_margin = $((fresh / 3))s/" "$work/helper.conf"
step_enroll || bail "helper enroll failed: $(cat "$work/err")"
step_connect || bail "the first authentication failed: $(last_decision)"
helper_start

quarantine=() readmit=() flag=() failed_q=0 failed_r=0 failed_f=0
# A failed step is counted and the round goes on: one slow round must not
# hide the others. Details go to the output as comments.
for round in $(seq 1 "$rounds"); do
	q_ms=- r_ms=- f_ms=-
	step_lapse || bail "round $round: the posture did not age"
	if step_quarantined; then
		q_ms=$step_ms
		quarantine+=("$step_ms")
	else
		failed_q=$((failed_q + 1))
		echo "# round $round: not quarantined: $(last_decision | grep -o 'outcome=.*' | cut -c1-120)"
	fi
	serial=$(live_serial "$dev_state")
	t0=$(ms)
	helper_start
	if step_renewed_admitted "$serial" "$t0"; then
		r_ms=$step_ms
		readmit+=("$step_ms")
	else
		failed_r=$((failed_r + 1))
		echo "# round $round: not re-admitted within $step_ms ms: $(last_decision |
			grep -o 'outcome=.*' | cut -c1-120)"
	fi
	helper_stop

	step_flag contraindicated "bench round $round" || bail "acme-rats-ctl flag failed"
	if step_disconnected; then
		f_ms=$step_ms
		flag+=("$step_ms")
	else
		failed_f=$((failed_f + 1))
		echo "# round $round: no Disconnect-ACK: $(grep noc. "$work/ca.log" | tail -1 | cut -c1-160)"
	fi
	step_flag affirming "bench round $round cleared" || bail "acme-rats-ctl flag failed"
	echo "# round $round: quarantine $q_ms ms, readmit $r_ms ms, flag $f_ms ms"
done

# summary NAME FAILED SAMPLES...: nearest-rank median and maximum, and the samples.
summary() {
	local name=$1 failed=$2
	shift 2
	printf '%s\n' "$@" | sort -n | awk -v name="$name" -v failed="$failed" -v list="$(IFS=,; echo "$*")" \
		'/^[0-9]+$/ { v[++n] = $1 }
		 END { printf "lapse_%s_ms rounds=%d failed=%d p50=%s max=%s samples=%s\n", name, n + failed,
			failed, n ? v[int((n + 1) / 2)] : "-", n ? v[n] : "-", list }'
}
summary readmit "$failed_r" "${readmit[@]}"
summary flag_disconnect "$failed_f" "${flag[@]}"
summary quarantine "$failed_q" "${quarantine[@]}"
echo "lapse_site fresh_s=$fresh rounds=$rounds loadavg=$(cut -d' ' -f1 /proc/loadavg)"
[ "$failed_r" -lt "$rounds" ] && [ "$failed_f" -lt "$rounds" ] && [ "$failed_q" -lt "$rounds" ]
