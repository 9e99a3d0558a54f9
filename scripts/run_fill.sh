#!/usr/bin/env bash
# Fill-in-the-blank models on the shipped Multi30k English data:
#   1. build the tools (release);
#   2. train, one after the other, each on both cores (THREADS, default 2) for the same time
#      budget (MINUTES, default 17; validations included), the both-sides fill model and the
#      left-to-right LSTM LM of the same size (--left-only), on train.en.gz with validation on
#      val.en.gz (a model whose budget is spent is not trained again: the script resumes);
#   3. evaluate both on test_2016_flickr.en.gz with the same masks (seed 1), next to the
#      trigram Kneser-Ney (both sides, left only) and unigram-frequency baselines.
# Usage: bash scripts/run_fill.sh        (MINUTES=2 for a quick look; OUT=runs/fill by default)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-17}
THREADS=${THREADS:-2}
OUT=${OUT:-runs/fill}
SCRATCH=${SCRATCH:-.build}
DATA=corpora/multi30k
COMMON=(--corpus "$DATA/train.en.gz" --lang en --vocab vocab/multi30k.en.vocab --valid "$DATA/val.en.gz"
        --embedding 256 --hidden 512 --pre-output 256 --dropout 0.2 --input-mask 0.1
        --batch-tokens 1500 --learning-rate 0.002 --valid-every 250 --max-minutes "$MINUTES" --threads "$THREADS")

swift build -c release --scratch-path "$SCRATCH" >&2
BIN="$SCRATCH/release"
mkdir -p "$OUT"

train() {   # name, extra flags...
    local name=$1; shift
    if [ -f "$OUT/$name/last/training-state.json" ]; then
        "$BIN/nmt-train" fill --resume "$OUT/$name" --max-minutes "$MINUTES"
    else
        "$BIN/nmt-train" fill "${COMMON[@]}" "$@" -o "$OUT/$name"
    fi
}
train en >> "$OUT/en.train.txt" 2>&1
train en-left --left-only >> "$OUT/en-left.train.txt" 2>&1
tail -n 2 "$OUT/en.train.txt" "$OUT/en-left.train.txt"

echo "== evaluation on test_2016_flickr (one masked word per sentence, seed 1)"
"$BIN/nmt-fill" -m "$OUT/en" --eval "$DATA/test_2016_flickr.en.gz" --left-model "$OUT/en-left" --seed 1 --threads 2 \
    | tee "$OUT/eval.txt"
