#!/usr/bin/env bash
# Builds nmt-bench in release mode and prints the layer benchmark table (markdown).
#   scripts/bench_layers.sh [--reps N] [--threads N]
# SCRATCH selects the build directory (default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${SCRATCH:-.build}"
swift build -c release --scratch-path "$SCRATCH" --product nmt-bench >&2
"$SCRATCH/release/nmt-bench" layers "$@"
