#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test (debug build, tiny
# numeric sizes; the end-to-end tests run the built executables). Benchmarks and long runs
# (release builds) are in scripts/bench.sh, scripts/check_bit_identical.sh, scripts/run_*.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build 2>&1 | tee .build/test-output.txt
