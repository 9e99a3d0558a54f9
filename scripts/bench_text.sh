#!/usr/bin/env bash
# Times the text pipeline on Multi30k train.de (29,000 lines, ~2 MB) with a release build:
#   nmt-vocab build    (target < 5 s)
#   nmt-vocab tokenize (target < 2 s)
# Prints the best of 3 wall-clock times for each.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH" --product nmt-vocab >&2
BIN="$SCRATCH/release/nmt-vocab"
CORPUS=corpora/multi30k/train.de.gz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

best() {  # best-of-3 wall time in seconds of the command "$@"
    local b=""
    for _ in 1 2 3; do
        local s e t
        s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N)
        t=$(echo "$e - $s" | bc -l)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
    done
    printf "%.3f" "$b"
}

build_time=$(best "$BIN" build "$CORPUS" --lang de -o "$tmp/train.de.vocab" --force)
tok_time=$(best "$BIN" tokenize --lang de "$CORPUS")
lines=$(zcat "$CORPUS" | wc -l); bytes=$(zcat "$CORPUS" | wc -c)
tokens=$("$BIN" tokenize --lang de "$CORPUS" | wc -w)
echo "corpus:   $CORPUS ($lines lines, $bytes bytes, $tokens tokens)"
echo "build:    ${build_time} s  (target < 5 s)"
echo "tokenize: ${tok_time} s  (target < 2 s)"
ok=1
[ "$(echo "$build_time < 5" | bc -l)" = 1 ] || { echo "build is over target"; ok=0; }
[ "$(echo "$tok_time < 2" | bc -l)" = 1 ] || { echo "tokenize is over target"; ok=0; }
[ $ok = 1 ]
