#!/usr/bin/env bash
# The recurrent family measured as language models on Multi30k English: for every cell, trains
# `nmt-train lm` for MINUTES (default 10) on the 2 cores with the defaults (the 8,000 most frequent
# words, embedding 256, hidden 512, one layer), then prints a markdown table: parameters, mean
# training target tokens/s, best validation perplexity, test_2016_flickr perplexity, and the
# Kneser–Ney trigram's test perplexity on the same vocabulary and tokens. Then the gradient
# flow of the rnn, lstm and gru models (nmt-lm gradients on val, docs/gradient-flow.svg).
# Cores otherwise idle: run nothing else meanwhile. Existing runs are reused (delete OUT/<cell>
# to retrain).
# Usage: bash scripts/lm_table.sh        (CELLS="rnn lstm" MINUTES=2 OUT=runs/lm for a quick look)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-10}
OUT=${OUT:-runs/lm}
CELLS=${CELLS:-"rnn lstm peephole coupled gru esn clockwork"}
D=corpora/multi30k
swift build -c release >&2
B=.build/release
mkdir -p "$OUT"
for cell in $CELLS; do
    if [ ! -f "$OUT/$cell/best/config.json" ]; then
        "$B/nmt-train" lm --corpus "$D/train.en.gz" --lang en --valid "$D/val.en.gz" --cell "$cell" \
            --max-minutes "$MINUTES" --threads 2 --quiet --force -o "$OUT/$cell"
    fi
done
echo "| cell | parameters | train tgt tok/s | best val ppl | test ppl |"
echo "| --- | ---: | ---: | ---: | ---: |"
for cell in $CELLS; do
    test_ppl=$("$B/nmt-lm" score -m "$OUT/$cell" "$D/test_2016_flickr.en.gz" | tail -n 1 | sed 's/corpus perplexity: //')
    python3 - "$OUT/$cell" "$cell" "$test_ppl" <<'PY'
import json, struct, sys
run, cell, test_ppl = sys.argv[1:]
rows = [json.loads(l) for l in open(f"{run}/train.log.jsonl", encoding="utf-8")]
train = [r["target_tokens_per_s"] for r in rows if r.get("type") == "train"]
best = min((r["ppl"] for r in rows if r.get("type") == "valid"), default=float("nan"))
with open(f"{run}/best/model.safetensors", "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
params = 0
for k, v in header.items():
    if k != "__metadata__":
        p = 1
        for s in v["shape"]:
            p *= s
        params += p
tok = sum(train) / len(train) if train else float("nan")
print(f"| {cell} | {params:,} | {tok:,.0f} | {best:.2f} | {float(test_ppl):.2f} |")
PY
done
first=$(echo $CELLS | cut -d' ' -f1)
echo "| Kneser–Ney trigram (train counts, same vocabulary) | | | | $("$B/nmt-lm" score -m "$OUT/$first" --trigram "$D/test_2016_flickr.en.gz" | tail -n 1 | sed 's/corpus perplexity: //') |"
series=()
for cell in rnn lstm gru; do
    [ -f "$OUT/$cell/best/config.json" ] || continue
    "$B/nmt-lm" gradients -m "$OUT/$cell" "$D/val.en.gz" --max-distance 25 --sentences 300 > "$OUT/$cell.gradients.tsv"
    series+=("$cell=$OUT/$cell.gradients.tsv")
done
if [ ${#series[@]} -gt 0 ]; then
    python3 scripts/plot_gradient_flow.py -o docs/gradient-flow.svg "${series[@]}"
    echo "gradient flow: docs/gradient-flow.svg (${series[*]})"
fi
