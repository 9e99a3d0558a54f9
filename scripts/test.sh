#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test (debug build,
# tiny numeric sizes), then the release-mode end-to-end checks that are too slow for debug.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build 2>&1 | tee .build/test-output.txt
