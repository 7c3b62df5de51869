#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The console in a real browser on a real 802.1X site (TAP): Debian's
# chromium, headless, driven through the DevTools protocol
# (tests/console/browser.py), against acme-rats-console, the verifier, the
# CA with its NOC event worker, freeradius with rlm_acme_rats, hostapd as
# the NAS and wpa_supplicant as the laptop (tests/e2e/lab8021x.sh).
#
# A SOC user logs in (a wrong password first: refused), sees the enrolled
# laptop and its live session, flags it: the NOC worker's Disconnect-Request
# is ACKed by hostapd and the session disappears from the page; the user
# clears it: the helper renews, re-authenticates, and the page shows it
# admitted again. The screenshots of docs/images/console-devices.png and
# console-device.png are taken on the way. Needs root (namespaces).
set -u
# shellcheck source=tests/helper/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helper/lab.sh"
# shellcheck source=tests/e2e/lab8021x.sh
. "$top_src/tests/e2e/lab8021x.sh"
# shellcheck source=tests/console/console-lab.sh
. "$top_src/tests/console/console-lab.sh"
trap 'site_cleanup; lab_cleanup' EXIT

[ -x /usr/bin/chromium ] || bail "chromium is missing: run scripts/setup"
[ -x /usr/bin/python3 ] || bail "/usr/bin/python3 is missing: run scripts/setup"

site_up
console_up
step_enroll || bail "helper enroll failed: $(cat "$work/err")"
step_connect || bail "the laptop does not authenticate: $(last_decision)"
wait_for 50 sessions_at_least 1 || bail "no live session recorded"
helper_start
ok "the site is up: the laptop enrolled, authenticated, its session recorded"

# chromium trusts exactly the console's key (the test CA is not in its store).
spki=$(openssl x509 -in "$work/v/verifier.crt" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)
# The screenshots go into docs/images of the source tree; into the build
# tree when the source is read-only (make distcheck).
shots=$top_src/docs/images
if ! mkdir -p "$shots" 2>/dev/null || ! touch "$shots/.w" 2>/dev/null; then
	shots=$top_build/docs/images
	mkdir -p "$shots"
fi
rm -f "$shots/.w"
flag_t0=$(ms)
while IFS= read -r line; do
	case $line in
	PASS\ *) ok "browser: ${line#PASS }" ;;
	FAIL\ *) not_ok "browser: ${line#FAIL }" "$(tail -3 "$work/console.log")" ;;
	*) echo "# $line" ;;
	esac
done < <(timeout 120 /usr/bin/python3 "$top_src/tests/console/browser.py" fleet "$console_url" \
	soc1 "$console_pw" "$spki" "$shots" 2>&1)

check "the console logged the flag with the acting user" \
	grep -q 'event=console.flag user=soc1 role=soc device=SUB-0042 status=contraindicated .*result=ok' \
	"$work/console.log"
check "the console logged the clear with the acting user" \
	grep -q 'event=console.clear user=soc1 role=soc device=SUB-0042 status=affirming .*result=ok' \
	"$work/console.log"
check "the NOC worker's Disconnect-Request was ACKed by hostapd" \
	grep -q 'nas=ap-substation-7 result=ack' "$work/ca.log"
check "hostapd: the station is authorized again" wait_for 50 station_is authorized
pngs() { [ "$(file -b "$shots"/console-device{s,}.png | grep -c '^PNG image')" = 2 ]; }
check "the screenshots are PNG files" pngs
echo "# whole run: $(( $(ms) - flag_t0 )) ms in the browser"
lab_done
