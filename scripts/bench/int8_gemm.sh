#!/usr/bin/env bash
# Would int8 weights pay in decoding? oneDNN's u8·s8 → s32 product against its Float32 one on the
# products of a decoding step (see int8_gemm.c), on 1 and 2 threads. Needs libdnnl-dev
# (scripts/setup.sh). Run on otherwise idle cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${TMPDIR:-/tmp}/int8_gemm
gcc -O2 -o "$out" scripts/bench/int8_gemm.c -ldnnl -lgomp
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(grep -o 'avx512[a-z_0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"
for threads in 1 2; do
    "$out" "$threads"
    echo
done
