#!/usr/bin/env bash
# Same seed, same model, bit for bit, across two builds of swift-nmt on this machine: trains a
# translation model and a fill model for STEPS steps (validation and moving average included)
# with each build's tools, compares the weights and optimizer state byte for byte, and
# compares the two builds' translations of the first 200 test sentences. Weights depend on
# the CPU's BLAS kernels, so this is a script for one machine, not a CI test.
# Usage: bash scripts/check_bit_identical.sh OLD_BIN_DIR NEW_BIN_DIR   (STEPS=50 THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?old build dir, e.g. ../baseline/.build/release}
NEW=${2:-.build/release}
STEPS=${STEPS:-50}
THREADS=${THREADS:-2}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
C=corpora/multi30k
gzip -dc "$C/val.de.gz" | sed -n 1,200p > "$OUT/val.de"; gzip -dc "$C/val.en.gz" | sed -n 1,200p > "$OUT/val.en"
gzip -dc "$C/test_2016_flickr.de.gz" | sed -n 1,200p > "$OUT/test.de"
status=0
for side in old new; do
    B=$OLD; [ "$side" = new ] && B=$NEW
    "$B/nmt-train" --src "$C/train.de.gz" --tgt "$C/train.en.gz" \
        --src-vocab vocab/multi30k.de.vocab --tgt-vocab vocab/multi30k.en.vocab \
        --valid-src "$OUT/val.de" --valid-tgt "$OUT/val.en" --valid-every 25 \
        --max-steps "$STEPS" --threads "$THREADS" --quiet -o "$OUT/$side-tr"
    "$B/nmt-train" fill --corpus "$C/train.en.gz" --vocab vocab/multi30k.en.vocab --valid "$OUT/val.en" \
        --valid-every 25 --max-steps "$STEPS" --threads "$THREADS" --quiet -o "$OUT/$side-fill"
    "$B/nmt-translate" -m "$OUT/$side-tr/last" --threads "$THREADS" "$OUT/test.de" > "$OUT/$side.hyp"
done
for f in tr/last/model.safetensors tr/last/optimizer.safetensors tr/best/model.safetensors \
         fill/last/model.safetensors fill/last/optimizer.safetensors; do
    if cmp -s "$OUT/old-$f" "$OUT/new-$f"; then echo "identical: $f"; else echo "DIFFERENT: $f"; status=1; fi
done
if cmp -s "$OUT/old.hyp" "$OUT/new.hyp"; then echo "identical: translations of 200 test sentences"
else echo "DIFFERENT: translations"; status=1; fi
exit $status
