#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test (debug build, tiny
# numeric sizes; the end-to-end tests run the built executables, mpirun and headless Chromium
# included), then the PyTorch interop check (scripts/reference/torch_interop_check.sh), then the
# suite again forced to each lower instruction-set level (NMT_KERNELS). Nothing here runs a
# release build: benchmarks and long runs are in scripts/bench.sh, scripts/bench/,
# scripts/check_bit_identical.sh and scripts/run_*.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh chromium-driver tmux   # headless Chromium for the web page's test, tmux for the terminal's
swift build --build-tests
swift test --skip-build 2>&1 | tee .build/test-output.txt
# PyTorch rebuilds a model from docs/model-format.md alone and reproduces its scores (skipped,
# with a message, where torch is not installable).
bash scripts/reference/torch_interop_check.sh
# Then again under each other instruction-set level this CPU supports (Sources/NMTTensor/Kernels.swift):
# the best one ran above; every path must pass on its own.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { for f in "$@"; do [[ " $flags " == *" $f "* ]] || return 1; done; }
levels=(generic)
has avx2 fma && levels+=(avx2)
has avx2 fma avx512f avx512bw avx512dq avx512vl && levels+=(avx512)
unset 'levels[${#levels[@]}-1]'
for level in "${levels[@]}"; do
    echo "== the test suite again with NMT_KERNELS=$level"
    NMT_KERNELS=$level swift test --skip-build 2>&1 | tee ".build/test-output-$level.txt"
done
