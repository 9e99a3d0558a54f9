#!/usr/bin/env bash
# The main job on the shipped Multi30k data, German → English by default (SRC=en TGT=de, or any
# pair of de en fr cs, for another direction):
#   1. install what is missing and build the tools (release);
#   2. build the vocabularies from the training corpora (OUT/vocab/): subword pieces, BPE_SIZE
#      (10,000) merges learned jointly on both languages (chosen on val over 5,000 and whole
#      words), or whole words (min count 2) with SUBWORDS=none;
#   3. train with the defaults within a time budget (MINUTES, default 60);
#   4. translate test_2016_flickr with beam 5 and print sacreBLEU-identical BLEU and chrF.
# Usage: bash scripts/run_multi30k.sh            (MINUTES=10 for a quick look)
# Everything goes to OUT (runs/multi30k for de→en, runs/multi30k-SRC-TGT otherwise); an
# existing run is resumed. `nmt-translate -m OUT/model` alone reproduces the printed BLEU.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-60}
SRC=${SRC:-de}
TGT=${TGT:-en}
SUBWORDS=${SUBWORDS:-bpe}
BPE_SIZE=${BPE_SIZE:-10000}
if [ "$SRC" = de ] && [ "$TGT" = en ]; then OUT=${OUT:-runs/multi30k}; else OUT=${OUT:-runs/multi30k-$SRC-$TGT}; fi
SCRATCH=${SCRATCH:-.build}
DATA=corpora/multi30k

bash scripts/setup.sh
swift build -c release --scratch-path "$SCRATCH" >&2
BIN="$SCRATCH/release"

mkdir -p "$OUT/vocab"
if [ "$SUBWORDS" = bpe ] && [ ! -f "$OUT/vocab/joint.bpe" ]; then
    "$BIN/nmt-vocab" learn-bpe "$DATA/train.$SRC.gz:$SRC" "$DATA/train.$TGT.gz:$TGT" --size "$BPE_SIZE" -o "$OUT/vocab/joint.bpe"
fi
for lang in "$SRC" "$TGT"; do
    if [ ! -f "$OUT/vocab/$lang.vocab" ]; then
        if [ "$SUBWORDS" = bpe ]; then
            "$BIN/nmt-vocab" build "$DATA/train.$lang.gz" --lang "$lang" --subwords bpe --bpe "$OUT/vocab/joint.bpe" -o "$OUT/vocab/$lang.vocab"
        else
            "$BIN/nmt-vocab" build "$DATA/train.$lang.gz" --lang "$lang" --min-count 2 -o "$OUT/vocab/$lang.vocab"
        fi
    fi
done
echo "== sample (tokenized, first 3 training sentences)"
# (process substitution: under pipefail, zcat's SIGPIPE from head would end the script)
"$BIN/nmt-vocab" tokenize --vocab "$OUT/vocab/$SRC.vocab" < <(zcat "$DATA/train.$SRC.gz" | head -n 3)

if [ -f "$OUT/model/last/training-state.json" ]; then
    "$BIN/nmt-train" --resume "$OUT/model" --max-minutes "$MINUTES"
else
    "$BIN/nmt-train" --src "$DATA/train.$SRC.gz" --tgt "$DATA/train.$TGT.gz" \
        --src-vocab "$OUT/vocab/$SRC.vocab" --tgt-vocab "$OUT/vocab/$TGT.vocab" \
        --valid-src "$DATA/val.$SRC.gz" --valid-tgt "$DATA/val.$TGT.gz" \
        -o "$OUT/model" --max-minutes "$MINUTES"
fi

echo "== translating test_2016_flickr (beam 5) with $OUT/model (its best/, else last/)"
"$BIN/nmt-translate" -m "$OUT/model" "$DATA/test_2016_flickr.$SRC.gz" -o "$OUT/test_2016_flickr.$TGT" --force \
    --ref "$DATA/test_2016_flickr.$TGT.gz"
echo "== first translations"
paste <(zcat "$DATA/test_2016_flickr.$SRC.gz" | head -n 3) <(head -n 3 "$OUT/test_2016_flickr.$TGT")
