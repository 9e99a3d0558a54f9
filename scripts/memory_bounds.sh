#!/usr/bin/env bash
# Bounded memory on hostile input (release build):
#   1. a 10 MB line (2 million words) between two short ones, through nmt-vocab tokenize and build,
#      nmt-translate, nmt-fill and nmt-train (as a corpus line): every line answered or skipped
#      with a warning naming it; peak RSS of each;
#   2. GIGABYTES (1) of short lines through nmt-vocab tokenize: every line answered, peak RSS;
#   3. a stream of MINUTES (10) through nmt-translate and through nmt-fill, fed as fast as they
#      read: RSS sampled every 5 s must stay flat (the last third's peak within 10 % + 16 MB of
#      the first third's), and the number of output lines equals the number fed.
# Usage: bash scripts/memory_bounds.sh   (MODEL=runs/multi30k/model; MINUTES=10 GIGABYTES=1)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-runs/multi30k/model}
MINUTES=${MINUTES:-10}
GIGABYTES=${GIGABYTES:-1}
SCRATCH=${SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH" >&2
BIN="$SCRATCH/release"
WORK=$(mktemp -d /tmp/nmt-memory.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
[ -d "$MODEL" ] || { echo "no model at $MODEL: run scripts/run_multi30k.sh first, or set MODEL" >&2; exit 2; }
# (the main job's model is an ensemble directory: its first member's vocabulary)
for d in "$MODEL" "$MODEL/members/1"; do
    VOCAB=$(ls "$d"/best/source.vocab "$d"/last/source.vocab 2>/dev/null | head -n 1 || true)
    [ -n "$VOCAB" ] && break
done
[ -n "$VOCAB" ] || { echo "no source vocabulary under $MODEL" >&2; exit 2; }
fails=0
peak() { /usr/bin/time -f "%M" -o "$WORK/rss" "$@"; }
rss_mb() { echo $(( $(cat "$WORK/rss") / 1024 )); }
check() { if [ "$2" = 0 ]; then echo "   ok: $1"; else echo "   FAILED: $1 — $3"; fails=$((fails + 1)); fi; }

echo "== a fill model for nmt-fill (tiny, 200 steps)"
head -n 5000 < <(zcat corpora/multi30k/train.en.gz) > "$WORK/train.en"
"$BIN/nmt-train" fill --corpus "$WORK/train.en" --lang en -o "$WORK/fill" --embedding 32 --hidden 32 --pre-output 32 \
    --max-steps 200 --quiet

echo "== 1. a 10 MB line"
python3 - "$WORK/long.de" "$WORK/long.en" <<'EOF'
import random, sys
random.seed(1)
for path, words, first, last in [(sys.argv[1], "ein hund läuft über die wiese zwei männer spielen im schnee .".split(), "Ein Hund läuft.", "Zwei Männer spielen."),
                                 (sys.argv[2], "a dog runs over the meadow two men play in the snow .".split(), "A dog runs ___ the meadow.", "Two ___ play.")]:
    body = " ".join(random.choice(words) for _ in range(2_000_000))[:10_000_000]
    open(path, "w").write(first + "\n" + body + "\n" + last + "\n")
EOF
peak "$BIN/nmt-vocab" tokenize --vocab "$VOCAB" < "$WORK/long.de" > "$WORK/out" 2> "$WORK/err"
check "nmt-vocab tokenize: 3 lines out, peak $(rss_mb) MB" "$([ "$(wc -l < "$WORK/out")" = 3 ]; echo $?)" "$(wc -l < "$WORK/out") lines"
peak "$BIN/nmt-vocab" build "$WORK/long.de" --lang de -o "$WORK/long.vocab" 2> "$WORK/err"
check "nmt-vocab build: a vocabulary, peak $(rss_mb) MB" "$([ -s "$WORK/long.vocab" ]; echo $?)" "$(cat "$WORK/err")"
peak "$BIN/nmt-translate" -m "$MODEL" --greedy "$WORK/long.de" > "$WORK/out" 2> "$WORK/err"
check "nmt-translate: 3 lines out, a warning naming line 2, peak $(rss_mb) MB" \
    "$([ "$(wc -l < "$WORK/out")" = 3 ] && grep -q "long.de:2" "$WORK/err"; echo $?)" "$(cat "$WORK/err")"
peak "$BIN/nmt-fill" -m "$WORK/fill" "$WORK/long.en" > "$WORK/out" 2> "$WORK/err"
# (nmt-fill prints each line with its blanks filled, then an indented line of candidates per blank)
check "nmt-fill: 3 lines out, a warning naming line 2, peak $(rss_mb) MB" \
    "$([ "$(grep -vc '^  ' "$WORK/out")" = 3 ] && grep -q "long.en:2" "$WORK/err"; echo $?)" "$(head -c 300 "$WORK/err")"
head -n 3000 < <(zcat corpora/multi30k/train.de.gz) > "$WORK/train.de"
head -n 3000 < <(zcat corpora/multi30k/train.en.gz) > "$WORK/train3k.en"
cat "$WORK/long.de" >> "$WORK/train.de"; cat "$WORK/long.de" >> "$WORK/train3k.en"
peak "$BIN/nmt-train" --src "$WORK/train.de" --tgt "$WORK/train3k.en" --src-lang de --tgt-lang en -o "$WORK/run" \
    --embedding 16 --enc-hidden 16 --dec-hidden 16 --attention 16 --pre-output 16 --max-steps 5 2> "$WORK/err"
check "nmt-train: the long pair dropped and counted, peak $(rss_mb) MB" \
    "$(grep -q "longer than the limit" "$WORK/err" && [ -d "$WORK/run/last" ]; echo $?)" "$(grep -i "training data\|error" "$WORK/err")"

echo "== 2. $GIGABYTES GB of short lines through nmt-vocab tokenize"
lines=$(( GIGABYTES * 1024 * 1024 * 1024 / 32 ))
start=$(date +%s)
out=$(head -n "$lines" < <(yes "Ein Hund läuft über die Wiese .") | \
      /usr/bin/time -f "%M" -o "$WORK/rss" "$BIN/nmt-vocab" tokenize --vocab "$VOCAB" | wc -l)
check "$lines lines of 32 bytes in, $out out, peak $(rss_mb) MB, $(( $(date +%s) - start )) s" "$([ "$out" = "$lines" ]; echo $?)" "$out"

stream_check() {   # stream_check NAME LINE COMMAND…
    local name=$1 line=$2; shift 2
    mkfifo "$WORK/pipe.$name"
    python3 - "$MINUTES" "$line" "$WORK/count.$name" > "$WORK/pipe.$name" <<'EOF' &
import sys, time
end = time.time() + float(sys.argv[1]) * 60
line = (sys.argv[2] + "\n").encode()
n = 0
while time.time() < end:
    sys.stdout.buffer.write(line * 16); n += 16
    sys.stdout.buffer.flush()
open(sys.argv[3], "w").write(f"{n}\n")
EOF
    local feeder=$!
    "$@" < "$WORK/pipe.$name" > "$WORK/out.$name" 2> "$WORK/err.$name" &
    local pid=$!
    : > "$WORK/rss.$name"
    while kill -0 "$pid" 2>/dev/null; do
        awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null >> "$WORK/rss.$name" || true
        sleep 5
    done
    wait "$pid"; wait "$feeder"
    local fed answered
    fed=$(cat "$WORK/count.$name"); answered=$(grep -vc '^  ' "$WORK/out.$name")   # (not nmt-fill's candidate lines)
    python3 - "$WORK/rss.$name" > "$WORK/flat.$name" <<'EOF'
import sys
v = [int(x) / 1024 for x in open(sys.argv[1]) if x.strip()]
third = max(1, len(v) // 3)
first, last = max(v[:third]), max(v[-third:])
print(f"{len(v)} samples; peak {max(v):.0f} MB; first third {first:.0f} MB, last third {last:.0f} MB")
sys.exit(0 if last <= first * 1.10 + 16 else 1)
EOF
    local flat=$?
    check "$name: $fed lines fed over $MINUTES min, $answered answered; RSS $(cat "$WORK/flat.$name")" \
        "$([ "$fed" = "$answered" ] && [ "$flat" = 0 ]; echo $?)" "$(tail -c 300 "$WORK/err.$name")"
}
echo "== 3. $MINUTES-minute streams"
set +e
stream_check nmt-translate "Ein Hund läuft über die Wiese und zwei Männer spielen im Schnee ." \
    "$BIN/nmt-translate" -m "$MODEL" --quiet
stream_check nmt-fill "A dog runs ___ the meadow ." "$BIN/nmt-fill" -m "$WORK/fill"
set -e

[ "$fails" = 0 ] && echo "PASS" || { echo "$fails check(s) failed"; exit 1; }
