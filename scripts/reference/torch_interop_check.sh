#!/usr/bin/env bash
# The PyTorch interop check of docs/model-format.md, run by scripts/test.sh: trains a tiny
# translation model (on 2,000 Multi30k pairs, a few hundred steps), scores 100 test_2016 pairs
# with nmt-translate --score, and has scripts/reference/torch_interop.py rebuild the model in
# PyTorch from the page and the files alone and reproduce the scores to 1e-4. Skipped with a
# message when torch cannot be imported (pip here offers a local CPU wheel: install it with
# pip install --no-deps torch, for reference scripts only).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-.build/debug}
if ! python3 -c "import torch, numpy" 2>/dev/null; then
    # The machine's local CPU wheel (pip's find-links), installed without dependencies.
    links=$(python3 -m pip config get global.find-links 2>/dev/null || true)
    wheel=$(ls ${links:-/opt/wheels}/torch-*.whl 2>/dev/null | head -n 1 || true)
    if [ -n "$wheel" ]; then
        echo "torch_interop: installing $wheel (--no-deps) for the reference check"
        python3 -m pip install -q --no-deps "$wheel" || true
        python3 -c "import numpy" 2>/dev/null || python3 -m pip install -q numpy || true
    fi
fi
if ! python3 -c "import torch, numpy" 2>/dev/null; then
    echo "torch_interop: skipped: python3 cannot import torch and numpy, and no local torch wheel was found"
    exit 0
fi
W=$(mktemp -d /tmp/nmt-torch-interop.XXXXXX)
trap 'rm -rf "$W"' EXIT
D=corpora/multi30k
# (process substitution: under pipefail, zcat's SIGPIPE from head would end the script)
head -n 2000 < <(zcat "$D/train.de.gz") > "$W/train.de"
head -n 2000 < <(zcat "$D/train.en.gz") > "$W/train.en"
head -n 100 < <(zcat "$D/test_2016_flickr.de.gz") > "$W/test.de"
head -n 100 < <(zcat "$D/test_2016_flickr.en.gz") > "$W/test.en"
"$BIN/nmt-vocab" build "$W/train.de" --lang de -o "$W/de.vocab" 2>/dev/null
"$BIN/nmt-vocab" build "$W/train.en" --lang en -o "$W/en.vocab" 2>/dev/null
"$BIN/nmt-train" --src "$W/train.de" --tgt "$W/train.en" --src-vocab "$W/de.vocab" --tgt-vocab "$W/en.vocab" \
    --embedding 32 --enc-hidden 24 --dec-hidden 40 --attention 16 --pre-output 24 --max-steps 150 --quiet -o "$W/model"
"$BIN/nmt-translate" -m "$W/model" --score "$W/test.de" "$W/test.en" --quiet > "$W/scores" 2>/dev/null
"$BIN/nmt-vocab" tokenize --vocab "$W/de.vocab" --ids "$W/test.de" > "$W/src.ids"
"$BIN/nmt-vocab" tokenize --vocab "$W/en.vocab" --ids "$W/test.en" > "$W/tgt.ids"
python3 scripts/reference/torch_interop.py "$W/model/last" "$W/src.ids" "$W/tgt.ids" "$W/scores"
