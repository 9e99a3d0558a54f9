#!/usr/bin/env bash
# Performance table (release build), every figure from this one run on this machine:
#   1. the sgemm ceiling and per-layer forward/backward times (nmt-bench layers);
#   2. training throughput of the default model at the reference shape (nmt-bench train),
#      with the FLOP formula of Sources/nmt-bench/TrainBench.swift;
#   3. decoding test_2016_flickr with a trained model (MODEL, default runs/multi30k/model):
#      greedy and beam 5, in batches of 64 and one sentence at a time (model loading excluded);
#   4. with TORCH_PYTHON (a python with torch; default python3 when it imports torch), the same
#      training and decoding figures for scripts/bench/torch_reference.py, and the ratios;
#   5. peak memory (max RSS) of training and decoding;
#   6. greedy and beam 5 in batches with nmt-translate --shortlist SHORTLIST (0: skip those rows).
# The machine must be otherwise idle: two-thread figures collapse when another job runs.
# Usage: bash scripts/bench.sh   (THREADS=2 STEPS=30 SHORTLIST=3000)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
STEPS=${STEPS:-30}
SHORTLIST=${SHORTLIST:-3000}
MODEL=${MODEL:-runs/multi30k/model}
# The main job writes an ensemble directory: speed and load figures are a single model's (its first member).
if [ -f "$MODEL/ensemble.json" ]; then MODEL="$MODEL/members/1"; fi
SCRATCH=${SCRATCH:-.build}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
swift build -c release --scratch-path "$SCRATCH" >&2
B="$SCRATCH/release"
TEST=corpora/multi30k/test_2016_flickr.de.gz
PY=${TORCH_PYTHON:-python3}
HAVE_TORCH=0
"$PY" -c "import torch" 2>/dev/null && HAVE_TORCH=1

echo "## Machine"; echo; echo "$(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(uname -sr)"; echo
echo "## Layers and the sgemm ceiling"; echo
"$B/nmt-bench" layers --reps 10 --threads "$THREADS"
echo

/usr/bin/time -f "%M" -o "$OUT/train.rss" "$B/nmt-bench" train --steps "$STEPS" --threads "$THREADS" > "$OUT/train.json"
if [ "$HAVE_TORCH" = 1 ]; then
    "$PY" scripts/bench/torch_reference.py train --threads "$THREADS" --steps "$STEPS" > "$OUT/torch-train.json"
fi

if [ -d "$MODEL" ]; then
    # search, batch size, shortlist (0: the whole vocabulary)
    MODES=("greedy 64 0" "greedy 1 0" "beam 64 0" "beam 1 0")
    [ "$SHORTLIST" -gt 0 ] && MODES+=("greedy 64 $SHORTLIST" "beam 64 $SHORTLIST")
    for mode in "${MODES[@]}"; do
        set -- $mode
        flag="--beam 5"; [ "$1" = greedy ] && flag="--greedy"
        name="$1-$2"; [ "$3" -gt 0 ] && name="$name-sl"
        # one sentence at a time: one decoder (latency); batches: --workers' default, one per thread
        workers=(); [ "$2" = 1 ] && workers=(--workers 1)
        /usr/bin/time -f "%M" -o "$OUT/$name.rss" "$B/nmt-translate" -m "$MODEL" "$TEST" $flag --batch-size "$2" \
            --shortlist "$3" --threads "$THREADS" "${workers[@]}" > /dev/null 2> "$OUT/$name.log"
    done
    if [ "$HAVE_TORCH" = 1 ]; then
        DIR=$(ls -d "$MODEL"/best 2>/dev/null || echo "$MODEL")
        "$B/nmt-vocab" tokenize --vocab "$DIR/source.vocab" --ids "$TEST" > "$OUT/test.ids"
        V=$(grep -o '"sourceVocab" *: *[0-9]*' "$DIR/config.json" | grep -o '[0-9]*$')
        T=$(grep -o '"targetVocab" *: *[0-9]*' "$DIR/config.json" | grep -o '[0-9]*$')
        TIE=(); grep -q '"tieEmbeddings" *: *true' "$DIR/config.json" && TIE=(--tie-embeddings)
        "$PY" scripts/bench/torch_reference.py decode --threads "$THREADS" --src-file "$OUT/test.ids" \
            --src-vocab "$V" --tgt-vocab "$T" "${TIE[@]}" --load-safetensors "$DIR/model.safetensors" --single-sentences 250 \
            > "$OUT/torch-decode.json"
    fi
fi

python3 - "$OUT" "$THREADS" "$SHORTLIST" <<'PY'
import json, os, re, sys
out, threads, shortlist = sys.argv[1], sys.argv[2], sys.argv[3]
def load(name):
    p = os.path.join(out, name)
    return json.load(open(p)) if os.path.exists(p) else None
def rss(name):
    p = os.path.join(out, name)
    return int(open(p).read().split()[-1]) / 1024 if os.path.exists(p) else None
ours, torch = load("train.json"), load("torch-train.json")
print(f"## Training, reference shape ({threads} threads)\n")
print("| | target tokens/s | ms/step | GFLOP/s | peak RSS MB |")
print("| --- | ---: | ---: | ---: | ---: |")
print(f"| swift-nmt | {ours['target_tokens_per_s']} | {ours['ms_per_step']} | {ours['gflop_per_s']} | {rss('train.rss'):.0f} |")
if torch:
    print(f"| PyTorch ({torch['toolkit']}) | {torch['target_tokens_per_s']} | {torch['ms_per_step']} | {torch['gflop_per_s']} | {torch['peak_rss_mb']:.0f} |")
    print(f"| ratio swift-nmt / PyTorch | {ours['target_tokens_per_s'] / torch['target_tokens_per_s']:.2f} | | | |")
print(f"\nFLOP per target token (forward + backward): {ours['mflop_per_target_token']} MFLOP\n")
rows = []
for mode, key, name in (("greedy 64", "greedy_batched", "greedy-64"), ("greedy 1", "greedy_single", "greedy-1"),
                        ("beam 64", "beam_batched", "beam-64"), ("beam 1", "beam_single", "beam-1"),
                        (f"greedy 64, shortlist {shortlist}", "greedy_batched", "greedy-64-sl"),
                        (f"beam 64, shortlist {shortlist}", "beam_batched", "beam-64-sl")):
    p = os.path.join(out, name + ".log")
    if not os.path.exists(p):
        continue
    text = open(p).read()
    m = re.search(r"(\d+) sentences in [\d.]+ s .*decoding ([\d.]+) s", text)
    n, dec = int(m.group(1)), float(m.group(2))
    rows.append((mode, key, n / dec, 1000 * dec / n, rss(name + ".rss")))
if rows:
    td = load("torch-decode.json")
    print(f"## Decoding test_2016_flickr (1,000 sentences, {threads} threads, model loading excluded)\n")
    print("| mode (batch) | swift-nmt sent/s | ms/sentence | peak RSS MB | PyTorch sent/s | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for mode, key, sps, ms, r in rows:
        t = td[key]["sentences_per_s"] if td else None
        label = mode.replace("beam", "beam 5")
        print(f"| {label} | {sps:.1f} | {ms:.2f} | {r:.0f} | {t if t else '—'} | {f'{sps / t:.2f}' if t else '—'} |")
    if td:
        print("\nPyTorch decodes the same source ids with the same weights to a fixed length (source + 2 tokens, no early stop);")
        print("swift-nmt stops at </s> (real translations), so its output lengths are the model's own.")
PY
