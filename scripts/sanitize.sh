#!/usr/bin/env bash
# The test suite under AddressSanitizer and ThreadSanitizer: bash scripts/sanitize.sh [address|thread]
# (both by default). Each builds into its own scratch directory (.build-asan, .build-tsan) and
# prints how long the build and the tests took. The numeric libraries (OpenBLAS, oneDNN and
# their OpenMP runtime) are not instrumented: scripts/sanitizers/tsan.supp names what ThreadSanitizer cannot
# see through in them, nothing of ours.
set -euo pipefail
cd "$(dirname "$0")/.."
KINDS=("$@")
[ ${#KINDS[@]} = 0 ] && KINDS=(address thread)
bash scripts/setup.sh >&2
for kind in "${KINDS[@]}"; do
    skip=()
    case "$kind" in
        address) scratch=.build-asan; export LSAN_OPTIONS="suppressions=$(pwd)/scripts/sanitizers/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}" ;;
        thread) scratch=.build-tsan; export TSAN_OPTIONS="suppressions=$(pwd)/scripts/sanitizers/tsan.supp halt_on_error=1 ${TSAN_OPTIONS:-}"
                # ThreadSanitizer's runtime itself dies of SIGBUS under that test's `ulimit -f 1`.
                skip=(--skip aFailedWriteLeavesNothingBehind) ;;
        *) echo "unknown sanitizer $kind (address or thread)" >&2; exit 2 ;;
    esac
    start=$(date +%s)
    swift build --build-tests --sanitize="$kind" --scratch-path "$scratch" >&2
    built=$(date +%s)
    swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" "${skip[@]}"
    done_=$(date +%s)
    echo "== $kind sanitizer: build $((built - start)) s, tests $((done_ - built)) s: passed"
done
