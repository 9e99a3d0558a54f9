#!/usr/bin/env bash
# Checks exact detokenization on every Multi30k file: for each of the twelve corpora,
#   nmt-vocab tokenize | nmt-vocab detokenize   must equal   nmt-vocab normalize
# (the library's normalization: NFKC, whitespace runs collapsed to one space, trimmed).
# Prints OK/FAIL per file; exits non-zero if any file fails.
set -uo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH" --product nmt-vocab >&2 || exit 2
BIN="$SCRATCH/release/nmt-vocab"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
for split in train val test_2016_flickr; do
    for lang in de en fr cs; do
        f="corpora/multi30k/$split.$lang.gz"
        if ! "$BIN" tokenize --lang "$lang" "$f" | "$BIN" detokenize > "$tmp/detok" \
           || ! "$BIN" normalize --lang "$lang" "$f" > "$tmp/norm"; then
            echo "FAIL $f (command failed)"; failures=$((failures + 1)); continue
        fi
        lines=$(wc -l < "$tmp/norm")
        if cmp -s "$tmp/detok" "$tmp/norm"; then
            echo "OK   $f ($lines lines)"
        else
            echo "FAIL $f: first difference:"
            diff "$tmp/norm" "$tmp/detok" | head -4
            failures=$((failures + 1))
        fi
    done
done
if [ "$failures" -ne 0 ]; then echo "$failures file(s) failed"; exit 1; fi
echo "all 12 files round-trip exactly"
