#!/usr/bin/env bash
# The main job on the shipped Multi30k data, German → English:
#   1. install what is missing and build the tools (release);
#   2. build the vocabularies from the training corpora (runs/multi30k/vocab/);
#   3. train with the defaults within a time budget (MINUTES, default 60);
#   4. translate test_2016_flickr with beam 5 and print sacreBLEU-identical BLEU and chrF.
# Usage: bash scripts/run_multi30k.sh            (MINUTES=10 for a quick look)
# Everything goes to runs/multi30k/ (OUT=... to change); an existing run is resumed.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-60}
OUT=${OUT:-runs/multi30k}
SCRATCH=${SCRATCH:-.build}
DATA=corpora/multi30k

bash scripts/setup.sh
swift build -c release --scratch-path "$SCRATCH" >&2
BIN="$SCRATCH/release"

mkdir -p "$OUT/vocab"
for lang in de en; do
    if [ ! -f "$OUT/vocab/$lang.vocab" ]; then
        "$BIN/nmt-vocab" build "$DATA/train.$lang.gz" --lang "$lang" --min-count 2 -o "$OUT/vocab/$lang.vocab"
    fi
done
echo "== sample (tokenized, first 3 training sentences)"
# (process substitution: under pipefail, zcat's SIGPIPE from head would end the script)
"$BIN/nmt-vocab" tokenize --vocab "$OUT/vocab/de.vocab" < <(zcat "$DATA/train.de.gz" | head -n 3)

if [ -f "$OUT/model/last/training-state.json" ]; then
    "$BIN/nmt-train" --resume "$OUT/model" --max-minutes "$MINUTES"
else
    "$BIN/nmt-train" --src "$DATA/train.de.gz" --tgt "$DATA/train.en.gz" \
        --src-vocab "$OUT/vocab/de.vocab" --tgt-vocab "$OUT/vocab/en.vocab" \
        --valid-src "$DATA/val.de.gz" --valid-tgt "$DATA/val.en.gz" \
        -o "$OUT/model" --max-minutes "$MINUTES"
fi

echo "== translating test_2016_flickr (beam 5) with $OUT/model/best"
"$BIN/nmt-translate" -m "$OUT/model" "$DATA/test_2016_flickr.de.gz" -o "$OUT/test_2016_flickr.en" --force \
    --ref "$DATA/test_2016_flickr.en.gz"
echo "== first translations"
paste <(zcat "$DATA/test_2016_flickr.de.gz" | head -n 3) <(head -n 3 "$OUT/test_2016_flickr.en")
