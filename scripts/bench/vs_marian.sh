#!/usr/bin/env bash
# swift-nmt beside Marian 1.12 (PyPI pymarian; ../shared/peers/marian) in one run on this machine,
# the kernel issue's table: training sentence pairs/s and decoding sentences/s, plus the FMA ceiling
# and FLOP-normalised efficiency. Run on otherwise idle cores (release build). Takes about
# 2 × MINUTES + 10 minutes.
#   1. the FMA ceiling (scripts/bench/fma_peak.sh) and nmt-bench train (reference shape, GFLOP/s);
#   2. training on Multi30k de→en for MINUTES each, 2 threads: swift-nmt's defaults with the main
#      job's vocabularies (VOCAB, default runs/multi30k/vocab), no validation, so every second is
#      training; Marian's nearest s2s model (train-speed.sh, MKL forced to its AVX-512 path:
#      MKL_FORCE_INTEL=1, the real peer), its "training only" windows;
#   3. decoding test_2016_flickr, beam 5 and greedy, batches of 64 and one sentence at a time:
#      swift-nmt with MODEL (default runs/multi30k/model), Marian with the model it just trained.
# Sentence pairs are the common unit (tokens differ: BPE pieces here, SentencePiece there).
# Usage: bash scripts/bench/vs_marian.sh   (MINUTES=12 THREADS=2 MODEL=… VOCAB=… SRC=de TGT=en)
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES=${MINUTES:-12}
THREADS=${THREADS:-2}
MODEL=${MODEL:-runs/multi30k/model}
# The main job writes an ensemble directory: speed and load figures are a single model's (its first member).
if [ -f "$MODEL/ensemble.json" ]; then MODEL="$MODEL/members/1"; fi
VOCAB=${VOCAB:-runs/multi30k/vocab}
SRC=${SRC:-de}
TGT=${TGT:-en}
SCRATCH=${SCRATCH:-.build}
DATA=corpora/multi30k
PEER=../shared/peers/marian
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
echo "results in $OUT" >&2
swift build -c release --scratch-path "$SCRATCH" >&2
B="$SCRATCH/release"

# 1. ceiling and the reference-shape step
bash scripts/bench/fma_peak.sh > "$OUT/fma.txt"
"$B/nmt-bench" train --steps 30 --threads "$THREADS" | tail -n 1 > "$OUT/bench-train.json"

# 2. training, ours then Marian's
rm -rf "$OUT/ours-train"
"$B/nmt-train" --src "$DATA/train.$SRC.gz" --tgt "$DATA/train.$TGT.gz" \
    --src-vocab "$VOCAB/$SRC.vocab" --tgt-vocab "$VOCAB/$TGT.vocab" \
    -o "$OUT/ours-train" --max-minutes "$MINUTES" --threads "$THREADS" > "$OUT/ours-train.log" 2>&1
# target tokens per sentence pair (</s> included), to turn target tokens/s into sentence pairs/s
"$B/nmt-vocab" tokenize --vocab "$VOCAB/$TGT.vocab" --ids "$DATA/train.$TGT.gz" \
    | awk '{ if (NF <= 80) { n += NF + 1; s += 1 } } END { printf "%.4f\n", n / s }' > "$OUT/ours-tokens-per-pair"
MKL_FORCE_INTEL=1 RUN=vs-marian THREADS="$THREADS" bash "$PEER/train-speed.sh" "$MINUTES" > "$OUT/marian-train.txt" 2>&1

# 3. decoding
for mode in "5 64" "1 64" "5 1" "1 1"; do
    set -- $mode
    # one sentence at a time: one decoder (latency); batches: --workers' default, one per thread
    workers=(); [ "$2" = 1 ] && workers=(--workers 1)
    "$B/nmt-translate" -m "$MODEL" "$DATA/test_2016_flickr.$SRC.gz" --beam "$1" --batch-size "$2" --threads "$THREADS" "${workers[@]}" \
        > "$OUT/ours-b$1.mb$2.txt" 2> "$OUT/ours-b$1.mb$2.log"
done
MKL_FORCE_INTEL=1 RUN=vs-marian THREADS="$THREADS" bash "$PEER/decode-speed.sh" > "$OUT/marian-decode.txt" 2>&1
MKL_FORCE_INTEL=1 RUN=vs-marian bash "$PEER/score.sh" > "$OUT/marian-score.txt" 2>&1 || true

python3 scripts/bench/vs_marian_table.py "$OUT" "$MINUTES" "$THREADS"
