#!/usr/bin/env bash
# The Float32 FMA ceiling of this machine (scripts/bench/fma_peak.c): AVX-512 and AVX2, 1 thread
# and one per core. Run on idle cores; these machines are shared and drift.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${TMPDIR:-/tmp}/fma_peak
gcc -O2 -fopenmp -o "$out" scripts/bench/fma_peak.c
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(nproc) cores"
"$out" "$(nproc)"
