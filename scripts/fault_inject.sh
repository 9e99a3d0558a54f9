#!/usr/bin/env bash
# Kill -9 at any moment: trains a small model on a Multi30k subset, kills the process with
# SIGKILL at KILLS random moments and resumes it each time, then checks that the final weights,
# Adam's moments, the moving average, best/ and the training state (all but its clock) equal an
# uninterrupted run's, bit for bit, and that the log tells each step once.
#
# Every checkpoint write pauses DELAY_MS at each of its five stages (a hidden nmt-train option),
# so that many kills land inside a write; the script says how many did and where.
#
# Usage: bash scripts/fault_inject.sh              (KILLS=20 STEPS=300 SEED=… WORK=dir)
# Takes about two minutes on one core (release build). Exit status 0 only if everything matched.
set -euo pipefail
cd "$(dirname "$0")/.."
KILLS=${KILLS:-20}
STEPS=${STEPS:-2000}
DELAY_MS=${DELAY_MS:-40}
SEED=${SEED:-$RANDOM}
WORK=${WORK:-$(mktemp -d /tmp/nmt-fault.XXXXXX)}
SCRATCH=${SCRATCH:-.build}
DATA=corpora/multi30k
RANDOM=$SEED

swift build -c release --scratch-path "$SCRATCH" >&2
BIN="$SCRATCH/release"
mkdir -p "$WORK"
for lang in de en; do
    head -n 3000 < <(zcat "$DATA/train.$lang.gz") > "$WORK/train.$lang"   # (under pipefail zcat | head would fail)
    head -n 200 < <(zcat "$DATA/val.$lang.gz") > "$WORK/val.$lang"
    [ -f "$WORK/$lang.vocab" ] || "$BIN/nmt-vocab" build "$WORK/train.$lang" --lang "$lang" -o "$WORK/$lang.vocab"
done
ARGS=(--src "$WORK/train.de" --tgt "$WORK/train.en" --src-vocab "$WORK/de.vocab" --tgt-vocab "$WORK/en.vocab"
      --valid-src "$WORK/val.de" --valid-tgt "$WORK/val.en" --embedding 32 --enc-hidden 32 --dec-hidden 64
      --attention 64 --pre-output 64 --batch-tokens 300 --threads 1 --valid-every 20 --max-steps "$STEPS"
      --max-epochs 1000 --early-stop 100000 --quiet)

echo "== uninterrupted run ($STEPS steps) in $WORK/a"
rm -rf "$WORK/a" "$WORK/b"
start=$(date +%s.%N)
"$BIN/nmt-train" "${ARGS[@]}" -o "$WORK/a"
whole=$(echo "$(date +%s.%N) - $start" | bc)
echo "   took $whole s"

echo "== the same run, killed with SIGKILL $KILLS times at random moments (seed $SEED), resumed each time"
kills=0 inside=0 restarts=0
declare -A where=()
while [ "$kills" -lt "$KILLS" ]; do
    if [ -f "$WORK/b/last/training-state.json" ] || [ -f "$WORK/b/.last.old/training-state.json" ]; then
        cmd=("$BIN/nmt-train" --resume "$WORK/b" --quiet --debug-checkpoint-delay-ms "$DELAY_MS")
    else   # killed before its first checkpoint: nothing to resume, start again
        rm -rf "$WORK/b"
        cmd=("$BIN/nmt-train" "${ARGS[@]}" -o "$WORK/b" --debug-checkpoint-delay-ms "$DELAY_MS")
        restarts=$((restarts + 1))
    fi
    "${cmd[@]}" &
    pid=$!
    # A moment between 0.5 and 5 s after the start (loading takes about half a second).
    ms=$((500 + RANDOM % 4500))
    sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
    if ! kill -0 "$pid" 2>/dev/null; then wait "$pid" || true; echo "   the run finished before kill $((kills + 1))"; break; fi
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    kills=$((kills + 1))
    state="between writes"
    if [ -d "$WORK/b/.last.old" ] && [ ! -d "$WORK/b/last" ]; then state="between the two renames of last/"
    elif [ -d "$WORK/b/.last.tmp" ] && [ ! -f "$WORK/b/.last.tmp/training-state.json" ]; then state="writing last/ (temporary copy incomplete)"
    elif [ -d "$WORK/b/.last.tmp" ]; then state="writing last/ (temporary copy complete, not yet renamed)"
    elif [ -d "$WORK/b/.last.old" ]; then state="after the renames, old copy not yet removed"
    elif [ -d "$WORK/b/.best.tmp" ] || [ -d "$WORK/b/.best.old" ]; then state="writing best/"
    fi
    [ "$state" != "between writes" ] && inside=$((inside + 1))
    where[$state]=$(( ${where[$state]:-0} + 1 ))
    step=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['step'])" "$WORK/b/last/training-state.json" 2>/dev/null || echo "-")
    echo "   kill $kills: $state; last/ at step $step"
done
echo "== resuming to the end"
"$BIN/nmt-train" --resume "$WORK/b" --quiet

echo "== comparing"
ok=1
for f in last/model.safetensors last/optimizer.safetensors best/model.safetensors best/config.json; do
    if cmp -s "$WORK/a/$f" "$WORK/b/$f"; then echo "   $f: identical"; else echo "   $f: DIFFERS"; ok=0; fi
done
python3 - "$WORK/a" "$WORK/b" <<'EOF' || ok=0
import json, sys
a, b = sys.argv[1], sys.argv[2]
def state(d):
    s = json.load(open(d + "/last/training-state.json")); s.pop("training_seconds"); return s
def log(d):
    return [(o["type"], o.get("step")) for o in map(json.loads, open(d + "/train.log.jsonl"))]
sa, sb = state(a), state(b)
print("   training state (all but its clock):", "identical" if sa == sb else f"DIFFERS {sa} vs {sb}")
la, lb = log(a), log(b)
print(f"   log: {len(la)} and {len(lb)} entries,", "the same steps" if la == lb else "DIFFERENT")
sys.exit(0 if sa == sb and la == lb else 1)
EOF
echo "kills: $kills ($inside inside a checkpoint write; $restarts restarts before a first checkpoint)"
for k in "${!where[@]}"; do echo "   ${where[$k]} × $k"; done
if [ "$ok" = 1 ]; then echo "PASS: every resume loaded, and the run ended bit-identical to the uninterrupted one"; else echo "FAIL"; exit 1; fi
