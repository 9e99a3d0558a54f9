#!/usr/bin/env bash
# Rebuilds the shipped vocabularies vocab/multi30k.{de,en,fr,cs}.vocab from the Multi30k
# training corpora with the tokenizer defaults (ICU word breaks, NFKC, no lowercasing,
# joiner ￭) and min-count 2 (tokens seen once are left to <unk>).
# Usage: scripts/build_vocabs.sh   (from anywhere; builds nmt-vocab in release mode)
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH" --product nmt-vocab >&2
BIN="$SCRATCH/release/nmt-vocab"
for lang in de en fr cs; do
    "$BIN" build "corpora/multi30k/train.$lang.gz" --lang "$lang" --min-count 2 \
        -o "vocab/multi30k.$lang.vocab" --force
done
