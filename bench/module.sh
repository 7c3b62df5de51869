#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# rlm_acme_rats benchmarks, from a build directory:
#   [MODULE_CHECK_SAMPLES=FILE] [MODULE_CHECK_ITERATIONS=N] \
#       sh ../bench/module.sh [CLIENTS] [SECONDS] [ROUNDS]
# defaults: 8 clients, 60 s, 5 rounds (about 10 minutes), 50000 iterations.
# 1. the check in process, sequential, with Redis on loopback
#    (bench/module_check: module_check_us p50/p99; its sorted latencies in
#    FILE when MODULE_CHECK_SAMPLES is set);
# 2. CLIENTS parallel eapol_test loops of full EAP-TLS through freeradius on
#    the raddb install-raddb makes of Debian's configuration (every
#    authentication runs the check in check-eap-tls, with the shipped
#    redis.timeout), in ROUNDS rounds with the module and without it,
#    interleaved (bench/module_eap):
#      module_eap_check_us   the check's latency under that load, from the
#                            server's decision lines, and the count of
#                            degraded decisions and lost session records;
#      module_eap_cpu        freeradius CPU per authentication, medians with
#                            and without the module, and their ratio.
# A smoke run of a few seconds: MODULE_CHECK_ITERATIONS=2000 sh ../bench/module.sh 8 3 1
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
make -s bench/module_check bench/module_eap
export AR_TOP_SRCDIR="$top" AR_TOP_BUILDDIR="$PWD"
echo "# $(date -u +%FT%TZ) $(uname -m) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
./bench/module_check ${MODULE_CHECK_SAMPLES:+-s "$MODULE_CHECK_SAMPLES"} "${MODULE_CHECK_ITERATIONS:-50000}"
./bench/module_eap "${1:-8}" "${2:-60}" "${3:-5}"
