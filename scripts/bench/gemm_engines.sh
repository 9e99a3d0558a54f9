#!/usr/bin/env bash
# The matrix-product engines side by side on the shapes this project multiplies (see gemm_engines.c):
# OpenBLAS (its kernel as the environment leaves it) and oneDNN's dnnl_sgemm at its best ISA and
# capped at AVX2, on 2 threads and 1. Needs libopenblas-dev and libdnnl-dev (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${TMPDIR:-/tmp}/gemm_engines
gcc -O2 -o "$out" scripts/bench/gemm_engines.c -lopenblas -ldnnl -lgomp -lm
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(grep -o 'avx512[a-z_0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "environment: $(env | grep '^OPENBLAS' | tr '\n' ' ')"
for threads in 2 1; do
    for cap in none avx2; do
        "$out" "$threads" "$cap"
        echo
    done
done
