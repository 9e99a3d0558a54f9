#!/usr/bin/env bash
# A full disk, for real: a small tmpfs (needs mount rights; else the script says so and stops)
# holds the output of nmt-train, nmt-translate and nmt-vocab. Checks that a write that hits
# ENOSPC gives a one-line error naming the file, leaves no partial or temporary file behind and
# keeps what was there before (the previous checkpoint loads and the run resumes once space is
# freed), and that a read-only directory and a vanished output directory are clear errors too.
# Usage: bash scripts/full_disk.sh        (release build; about a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH" >&2
BIN="$SCRATCH/release"
WORK=$(mktemp -d /tmp/nmt-disk.XXXXXX)
MNT="$WORK/disk"
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=8m tmpfs "$MNT" 2>/dev/null; then
    echo "cannot mount a tmpfs here (no mount rights): the injected-failure tests in the suite cover this instead"
    exit 0
fi
trap 'umount "$MNT" 2>/dev/null || true; rm -rf "$WORK"' EXIT
fails=0
check() {   # check NAME CONDITION-RESULT MESSAGE
    if [ "$2" = 0 ]; then echo "   ok: $1"; else echo "   FAILED: $1 — $3"; fails=$((fails + 1)); fi
}
for lang in de en; do
    head -n 2000 < <(zcat "corpora/multi30k/train.$lang.gz") > "$WORK/train.$lang"   # (under pipefail zcat | head would fail)
    "$BIN/nmt-vocab" build "$WORK/train.$lang" --lang "$lang" -o "$WORK/$lang.vocab" >/dev/null
done
ARGS=(--src "$WORK/train.de" --tgt "$WORK/train.en" --src-vocab "$WORK/de.vocab" --tgt-vocab "$WORK/en.vocab"
      --embedding 16 --enc-hidden 16 --dec-hidden 16 --attention 16 --pre-output 16 --threads 1 --valid-every 20 --quiet)

echo "== nmt-train: checkpoints on a disk that fills up"
"$BIN/nmt-train" "${ARGS[@]}" -o "$MNT/run" --max-steps 20
size=$(du -sk "$MNT/run/last" | cut -f1)
# Fill the disk so that one more checkpoint cannot fit (the old one stays until the new is whole).
fill_kb=$(( $(df -k --output=avail "$MNT" | tail -1) - size / 2 ))
[ "$fill_kb" -gt 0 ] && head -c "$((fill_kb * 1024))" /dev/zero > "$MNT/filler" 2>/dev/null || true
set +e
err=$("$BIN/nmt-train" --resume "$MNT/run" --max-steps 40 --quiet 2>&1 >/dev/null); rc=$?
set -e
echo "   error: $err"
check "stops with status 1" "$([ $rc = 1 ]; echo $?)" "status $rc"
check "one line naming the checkpoint and --resume" "$([ "$(echo "$err" | wc -l)" = 1 ] && [[ "$err" == *"No space left on device"* ]] && [[ "$err" == *"--resume $MNT/run"* ]]; echo $?)" "$err"
check "no temporary checkpoint left" "$([ ! -e "$MNT/run/.last.tmp" ]; echo $?)" "$(ls -a "$MNT/run")"
step=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['step'])" "$MNT/run/last/training-state.json")
check "the previous checkpoint (step 20) is intact" "$([ "$step" = 20 ]; echo $?)" "step $step"
rm -f "$MNT/filler"
"$BIN/nmt-train" --resume "$MNT/run" --max-steps 40
step=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['step'])" "$MNT/run/last/training-state.json")
check "with space freed, the run resumes to step 40" "$([ "$step" = 40 ]; echo $?)" "step $step"

echo "== nmt-translate and nmt-vocab -o on a full disk"
zcat corpora/multi30k/test_2016_flickr.de.gz > "$WORK/test.de"
cp -r "$MNT/run/last" "$WORK/model"   # the model to translate with, off the small disk
rm -rf "$MNT/run"
avail=$(df -k --output=avail "$MNT" | tail -1)
head -c "$(( (avail - 8) * 1024 ))" /dev/zero > "$MNT/filler" 2>/dev/null || true
echo "keep me" > "$WORK/kept"; cp "$WORK/kept" "$MNT/kept.en" 2>/dev/null || true
set +e
err=$("$BIN/nmt-translate" -m "$WORK/model" "$WORK/test.de" -o "$MNT/test.en" --greedy --quiet 2>&1); rc=$?
set -e
echo "   error: $err"
check "nmt-translate: status 1, one line naming the output" "$([ $rc = 1 ] && [ "$(echo "$err" | wc -l)" = 1 ] && [[ "$err" == *"test.en"* ]]; echo $?)" "$rc $err"
check "nmt-translate: no partial or temporary file" "$([ -z "$(ls -a "$MNT" | grep -E 'test\.en')" ]; echo $?)" "$(ls -a "$MNT")"
set +e
err=$("$BIN/nmt-vocab" build "$WORK/train.de" --lang de -o "$MNT/de.vocab" 2>&1); rc=$?
set -e
echo "   error: $err"
check "nmt-vocab: status 1, one line naming the output" "$([ $rc = 1 ] && [ "$(echo "$err" | wc -l)" = 1 ] && [[ "$err" == *"de.vocab"* ]]; echo $?)" "$rc $err"
check "nmt-vocab: no partial or temporary file" "$([ -z "$(ls -a "$MNT" | grep -E 'de\.vocab')" ]; echo $?)" "$(ls -a "$MNT")"
rm -f "$MNT/filler"

echo "== a read-only output directory, a vanished one"
mkdir -p "$WORK/ro" && chmod 555 "$WORK/ro" && chmod 755 "$WORK"   # (nobody must reach the model)
set +e
err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/nmt-translate" -m "$WORK/model" "$WORK/test.de" -o "$WORK/ro/test.en" --greedy --quiet 2>&1); rc=$?
set -e
echo "   error: $err"
check "read-only: status 1, one line naming the output" "$([ $rc = 1 ] && [[ "$err" == *"ro/test.en"* ]]; echo $?)" "$rc $err"
"$BIN/nmt-train" "${ARGS[@]}" -o "$WORK/gone" --max-steps 10
( sleep 1; rm -rf "$WORK/gone" ) &
set +e
err=$("$BIN/nmt-train" --resume "$WORK/gone" --max-steps 1000000 --max-epochs 1000000 --valid-every 20 --quiet 2>&1); rc=$?
set -e
wait
echo "   error: $(echo "$err" | tail -1)"
check "a vanished run directory: status 1 and an error naming it" "$([ $rc = 1 ] && [[ "$err" == *"gone: the run directory no longer exists"* ]]; echo $?)" "$rc $err"
check "…and it is not made anew" "$([ ! -e "$WORK/gone" ]; echo $?)" "$(ls -a "$WORK/gone" 2>&1)"

[ "$fails" = 0 ] && echo "PASS" || { echo "$fails check(s) failed"; exit 1; }
