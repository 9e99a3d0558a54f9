#!/usr/bin/env bash
# What the encoder's cell costs a translation model: de→en on Multi30k with the README's
# vocabularies (joint BPE, 10,000 merges; built by scripts/run_multi30k.sh into runs/multi30k/vocab),
# trained for MINUTES (default 20) on the 2 cores with the defaults and --enc-cell each of CELLS
# (default: rnn peephole lstm), then the best validation BLEU (greedy, the trainer's own) of each.
# Cores otherwise idle. Usage: bash scripts/enc_cell_row.sh   (CELLS="rnn lstm" MINUTES=5)
# SIDE_BY_SIDE=1 starts all of them at once, one thread each (they share the cores equally: the
# same conditions for every cell in one window, each with less than a core). VALID_EVERY=N also
# validates every N steps (a time budget stops without a last validation).
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-20}
CELLS=${CELLS:-"rnn peephole lstm"}
OUT=${OUT:-runs/enc-cell}
V=${VOCAB_DIR:-runs/multi30k/vocab}
D=corpora/multi30k
[ -f "$V/de.vocab" ] || { echo "no $V/de.vocab: run scripts/run_multi30k.sh first (or set VOCAB_DIR)" >&2; exit 1; }
swift build -c release >&2
B=.build/release
THREADS=2
[ "${SIDE_BY_SIDE:-0}" = 1 ] && THREADS=1
train() {
    "$B/nmt-train" --src "$D/train.de.gz" --tgt "$D/train.en.gz" --src-vocab "$V/de.vocab" --tgt-vocab "$V/en.vocab" \
        --valid-src "$D/val.de.gz" --valid-tgt "$D/val.en.gz" --enc-cell "$1" --max-minutes "$MINUTES" \
        --threads "$THREADS" --valid-every "${VALID_EVERY:-0}" --quiet --force -o "$OUT/$1"
}
pids=()
for cell in $CELLS; do
    [ -f "$OUT/$cell/last/config.json" ] && continue
    if [ "${SIDE_BY_SIDE:-0}" = 1 ]; then train "$cell" & pids+=($!); else train "$cell"; fi
done
for p in "${pids[@]}"; do wait "$p"; done
echo "| --enc-cell | steps | median target tok/s | best val BLEU (greedy) |"
echo "| --- | ---: | ---: | ---: |"
for cell in $CELLS; do
    python3 - "$OUT/$cell" "$cell" <<'PY'
import json, sys
run, cell = sys.argv[1:]
rows = [json.loads(l) for l in open(f"{run}/train.log.jsonl", encoding="utf-8")]
valid = [r for r in rows if r.get("type") == "valid"]
steps = max((r["step"] for r in rows if "step" in r), default=0)
best = max((r["bleu"] for r in valid), default=float("nan"))
tok = sorted(r["target_tokens_per_s"] for r in rows if r.get("type") == "train")
med = tok[len(tok) // 2] if tok else float("nan")
print(f"| {cell} | {steps} | {med:,.0f} | {best:.2f} |")
PY
done
