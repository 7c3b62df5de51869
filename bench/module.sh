#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# rlm_acme_rats benchmarks, from a build directory:
#   [MODULE_CHECK_SAMPLES=FILE] sh ../bench/module.sh [CLIENTS] [SECONDS] [ROUNDS]
# 1. the check in process with Redis on loopback (bench/module_check; its
#    sorted latencies in FILE when MODULE_CHECK_SAMPLES is set);
# 2. EAP-TLS authentications/s and server CPU per authentication with the
#    module on and off, alternating, same certificate, and the server's
#    peak and final RSS in each round (bench/module_eap).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
make -s bench/module_check bench/module_eap
export AR_TOP_SRCDIR="$top" AR_TOP_BUILDDIR="$PWD"
echo "# $(date -u +%FT%TZ) $(uname -m) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
./bench/module_check ${MODULE_CHECK_SAMPLES:+-s "$MODULE_CHECK_SAMPLES"} 50000
./bench/module_eap "${1:-4}" "${2:-10}" "${3:-3}"
