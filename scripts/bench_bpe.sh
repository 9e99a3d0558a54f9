#!/usr/bin/env bash
# BPE speed and memory (release build), the figures of docs/tokenizer.md and the subword issue:
#   1. learning 10,000 merges jointly on Multi30k de+en (58,000 lines);
#   2. learning 30,000 merges on a synthetic 1,000,000-line German corpus whose word types keep
#      growing (scripts/bench/synthetic_corpus.py: Multi30k lines with seeded compounds; the
#      script prints its type count, at least 200,000);
#   3. applying the 10,000 merges to train.de (`nmt-vocab tokenize --vocab`), beside the
#      word-level tokenizer on the same file.
# Wall seconds and peak RSS from /usr/bin/time. The machine must be otherwise idle.
# Usage: bash scripts/bench_bpe.sh   (LINES=1000000 MERGES=30000)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${LINES:-1000000}
MERGES=${MERGES:-30000}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
command -v /usr/bin/time >/dev/null || { echo "bench_bpe: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
swift build -c release --product nmt-vocab >&2
B=.build/release
D=corpora/multi30k
exec 3>&1
t() { /usr/bin/time -f "%e s, peak %M KB" -o "$OUT/time" "$@"; cat "$OUT/time" >&3; }

echo "## learn-bpe, Multi30k de+en, 10,000 merges"
t "$B/nmt-vocab" learn-bpe "$D/train.de.gz:de" "$D/train.en.gz:en" --size 10000 -o "$OUT/m30k.bpe"
"$B/nmt-vocab" build "$D/train.de.gz" --lang de --subwords bpe --bpe "$OUT/m30k.bpe" -o "$OUT/de.vocab" 2>/dev/null
"$B/nmt-vocab" build "$D/train.de.gz" --lang de -o "$OUT/words.vocab" 2>/dev/null

echo "## learn-bpe, synthetic corpus of $LINES lines, $MERGES merges"
python3 scripts/bench/synthetic_corpus.py "$D/train.de.gz" "$LINES" > "$OUT/big.de"
t "$B/nmt-vocab" learn-bpe "$OUT/big.de:de" --size "$MERGES" -o "$OUT/big.bpe"

echo "## applying: tokenize train.de.gz (29,000 lines), subwords vs words"
t "$B/nmt-vocab" tokenize --vocab "$OUT/de.vocab" "$D/train.de.gz" > /dev/null
t "$B/nmt-vocab" tokenize --vocab "$OUT/words.vocab" "$D/train.de.gz" > /dev/null
