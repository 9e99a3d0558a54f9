#!/usr/bin/env bash
# Decoding only, swift-nmt beside Marian 1.12 in one sitting, with the Marian model that an earlier
# scripts/bench/vs_marian.sh trained ($MARIAN_WORK/spm/vs-marian). test_2016_flickr, beam 5 and greedy,
# batches of 64 and one sentence at a time, ROUNDS rounds alternating ours and Marian's (the median
# of each is printed; machines drift within an hour, so the two sit side by side in every round).
# Ours twice for every row: one decoder with THREADS threads, and THREADS workers of one thread
# each (--workers, what Marian's --cpu-threads THREADS does); one sentence at a time, one decoder
# gives the latency, THREADS workers a sentence each Marian's way. Model loading excluded on both sides.
# Usage: MODEL=runs/multi30k/model bash scripts/bench/vs_marian_decode.sh   (ROUNDS=3 THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
MODEL=${MODEL:-runs/multi30k/model}
if [ -f "$MODEL/ensemble.json" ]; then MODEL="$MODEL/members/1"; fi
SRC=${SRC:-de}
SCRATCH=${SCRATCH:-.build}
DATA=corpora/multi30k
PEER=../shared/peers/marian
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
echo "results in $OUT" >&2
swift build -c release --scratch-path "$SCRATCH" >&2
B="$SCRATCH/release"

for r in $(seq 1 "$ROUNDS"); do
    for mode in "5 64 1" "5 64 $THREADS" "1 64 1" "1 64 $THREADS" "5 1 1" "5 1 $THREADS" "1 1 1" "1 1 $THREADS"; do
        set -- $mode
        threads=(--threads "$THREADS" --workers "$3")
        "$B/nmt-translate" -m "$MODEL" "$DATA/test_2016_flickr.$SRC.gz" --beam "$1" --batch-size "$2" "${threads[@]}" \
            > "$OUT/ours-b$1.mb$2.w$3.txt" 2> "$OUT/ours-b$1.mb$2.w$3.r$r.log"
    done
    MKL_FORCE_INTEL=1 RUN=vs-marian THREADS="$THREADS" bash "$PEER/decode-speed.sh" > "$OUT/marian-decode.r$r.txt" 2>&1
done

python3 - "$OUT" "$ROUNDS" "$THREADS" <<'EOF'
import re, statistics, sys
out, rounds, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def ours(beam, mb, w):
    xs = []
    for r in range(1, rounds + 1):
        m = re.search(r"(\d+) sentences in [\d.]+ s .*decoding ([\d.]+) s", open(f"{out}/ours-b{beam}.mb{mb}.w{w}.r{r}.log").read())
        xs.append(int(m.group(1)) / float(m.group(2)))
    return xs
def marian(beam, mb):
    xs = []
    for r in range(1, rounds + 1):
        for line in open(f"{out}/marian-decode.r{r}.txt"):
            f = line.split()
            if f and f[0] == f"b{beam}.mb{mb}":
                xs.append(float(f[3]))
    return xs
print(f"| decoding test_2016_flickr, sentences/s (median of {rounds}; each round's) | swift-nmt | Marian 1.12 ({threads} workers) | ratio |")
print("| --- | ---: | ---: | ---: |")
rows = [("beam 5, batches of 64", 5, 64, "1", f"{threads} threads"), ("beam 5, batches of 64", 5, 64, threads, f"{threads} workers × 1 thread"),
        ("greedy, batches of 64", 1, 64, "1", f"{threads} threads"), ("greedy, batches of 64", 1, 64, threads, f"{threads} workers × 1 thread"),
        ("beam 5, one sentence at a time", 5, 1, "1", f"{threads} threads"), ("beam 5, one sentence at a time", 5, 1, threads, f"{threads} workers × 1 thread"),
        ("greedy, one sentence at a time", 1, 1, "1", f"{threads} threads"), ("greedy, one sentence at a time", 1, 1, threads, f"{threads} workers × 1 thread")]
for name, beam, mb, w, how in rows:
    o, m = ours(beam, mb, w), marian(beam, mb)
    mo, mm = statistics.median(o), statistics.median(m)
    ratios = ", ".join(f"{a / b:.2f}" for a, b in zip(o, m))
    print(f"| {name}, ours {how} | {mo:.1f} | {mm:.1f} | **{mo / mm:.2f}×** ({ratios}) |")
EOF
