#!/usr/bin/env bash
# Out-of-domain check of de→en models on German prose no one here wrote (the message catalogue
# fixture, Tests/NMTTextTests/Fixtures/ood.de.txt, 400 lines): per model, the output line count,
# the <unk> tokens written, and the share of the source's identifier-like words (a digit, %, _,
# a leading -, a / or an inner .: `%s`, `--verbose`, `XZ_OPT`, `systemd.exec`) that reach the
# output unchanged.
# Usage: bash scripts/eval_ood.sh MODEL_DIR...   (release build; greedy for speed with GREEDY=1)
set -euo pipefail
cd "$(dirname "$0")/.."
IN=Tests/NMTTextTests/Fixtures/ood.de.txt
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
swift build -c release --product nmt-translate >&2
flags=()
[ "${GREEDY:-0}" = 1 ] && flags+=(--greedy)
for m in "$@"; do
    .build/release/nmt-translate -m "$m" "$IN" -o "$OUT/hyp" --force --quiet "${flags[@]}"
    python3 - "$IN" "$OUT/hyp" "$m" <<'PY'
import re, sys
src = open(sys.argv[1], encoding="utf-8").read().split("\n")[:-1]
hyp = open(sys.argv[2], encoding="utf-8").read().split("\n")[:-1]
ident = re.compile(r"[0-9%_/]|^-|\w\.\w")
total = kept = 0
for s, h in zip(src, hyp):
    out = set(h.split())
    for w in s.split():
        w = w.strip(",;:()„“\"'")
        if w and ident.search(w):
            total += 1
            kept += w in out or w in h
unk = sum(h.split().count("<unk>") for h in hyp)
print(f"{sys.argv[3]}: {len(hyp)}/{len(src)} lines, {unk} <unk>, identifiers kept {kept}/{total} = {100*kept/max(total,1):.1f} %")
PY
done
