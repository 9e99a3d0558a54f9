#!/usr/bin/env python3
"""The table of scripts/bench/vs_marian.sh from its output folder: python3 vs_marian_table.py OUT MINUTES THREADS.

FLOP estimate, the same for both toolkits: 6 FLOP per weight per target token (2 forward, 4 backward)
over every weight except the source embedding (a lookup); attention over source positions and the
elementwise work are left out, so the GFLOP/s of the two training rows compare with each other, not
with the reference-shape figure of nmt-bench (exact formula, 42.8 MFLOP per target token).
"""
import glob
import json
import os
import re
import struct
import sys

out, minutes, threads = sys.argv[1], sys.argv[2], sys.argv[3]


def read(name):
    p = os.path.join(out, name)
    return open(p, encoding="utf-8").read() if os.path.exists(p) else ""


def fma_ceiling():
    best = {}
    for line in read("fma.txt").splitlines():
        m = re.match(r"(AVX-512|AVX2)\s+(\d+) threads?\s+([\d.]+) GFLOP/s", line)
        if m:
            best[(m.group(1), int(m.group(2)))] = float(m.group(3))
    return best


def safetensors_weights(path, skip):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    total = 0
    for name, t in header.items():
        if name == "__metadata__" or name in skip:
            continue
        k = 1
        for d in t["shape"]:
            k *= d
        total += k
    return total


def npz_weights(path):
    import numpy as np
    z = np.load(path)
    return sum(z[k].size for k in z.files if k != "encoder_Wemb" and not k.startswith("special:"))


ceiling = fma_ceiling()
peak = max(ceiling.get(("AVX-512", int(threads)), 0), ceiling.get(("AVX2", int(threads)), 0))
bench = json.loads(read("bench-train.json") or "{}")

# ours: training
state = json.load(open(os.path.join(out, "ours-train", "last", "training-state.json")))
per_pair = float(read("ours-tokens-per-pair"))
ours_tok_s = state["target_tokens_seen"] / state["training_seconds"]
ours_pairs_s = ours_tok_s / per_pair
ours_w = safetensors_weights(os.path.join(out, "ours-train", "last", "model.safetensors"), {"source_embedding.weight"})

# Marian: training
mt = read("marian-train.txt")
m_tot = re.search(r"totals: (\d+) updates, ([\d,]+) sentence pairs .*?, ([\d,]+) target tokens", mt)
m_only = re.search(r"training only .*?: ([\d,.]+) target tokens/s, (\d+) ms per update", mt)
m_pairs, m_labels = int(m_tot.group(2).replace(",", "")), int(m_tot.group(3).replace(",", ""))
m_over = re.search(r"overall, .*?: ([\d,.]+) target tokens/s", mt)
m_tok_s = float((m_only or m_over).group(1).replace(",", ""))   # the training windows; overall if too short
m_pairs_s = m_tok_s / (m_labels / m_pairs)
mpath = glob.glob(os.path.join(os.environ.get("MARIAN_WORK", os.path.join(os.environ.get("TMPDIR", "/tmp"), "marian-work")), "spm", "vs-marian", "model.npz"))
try:
    m_w = npz_weights(mpath[0]) if mpath else None
except Exception:
    m_w = None

print(f"## swift-nmt beside Marian 1.12 ({threads} threads, training {minutes} min each, one run)\n")
print(f"FMA ceiling of {threads} cores: {peak:.1f} GFLOP/s (fma_peak.sh: {', '.join(f'{k[0]} {k[1]}t {v:.1f}' for k, v in sorted(ceiling.items()))})")
if bench:
    print(f"nmt-bench train (reference shape, exact FLOP): {bench['target_tokens_per_s']} target tokens/s, "
          f"{bench['gflop_per_s']} GFLOP/s = {100 * bench['gflop_per_s'] / peak:.0f} % of the ceiling\n")

print("| training (Multi30k de→en) | swift-nmt | Marian | ratio |")
print("| --- | ---: | ---: | ---: |")
print(f"| sentence pairs/s | {ours_pairs_s:.1f} | {m_pairs_s:.1f} | {ours_pairs_s / m_pairs_s:.2f}× |")
print(f"| target tokens/s (own units) | {ours_tok_s:.0f} | {m_tok_s:.0f} | |")
print(f"| target tokens per pair | {per_pair:.2f} | {m_labels / m_pairs:.2f} | |")
if m_w:
    og, mg = 6 * ours_w * ours_tok_s / 1e9, 6 * m_w * m_tok_s / 1e9
    print(f"| weights (without the source embedding) | {ours_w / 1e6:.2f} M | {m_w / 1e6:.2f} M | |")
    print(f"| estimated GFLOP/s (6 per weight per token) | {og:.1f} | {mg:.1f} | {og / mg:.2f}× |")
    print(f"| share of the FMA ceiling | {100 * og / peak:.0f} % | {100 * mg / peak:.0f} % | |")

print("\n| decoding test_2016_flickr (model load excluded) | swift-nmt sent/s | Marian sent/s | ratio | swift-nmt ms/sent | Marian ms/sent |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
md = {}
for line in read("marian-decode.txt").splitlines():
    f = line.split()
    if len(f) == 6 and f[0].startswith("b"):
        md[f[0]] = (int(f[1]), float(f[2]))
for beam, mb, label in (("5", "64", "beam 5, batches of 64"), ("1", "64", "greedy, batches of 64"),
                        ("5", "1", "beam 5, one sentence at a time"), ("1", "1", "greedy, one sentence at a time")):
    m = re.search(r"(\d+) sentences in [\d.]+ s .*decoding ([\d.]+) s", read(f"ours-b{beam}.mb{mb}.log"))
    n, dec = int(m.group(1)), float(m.group(2))
    mn, mdec = md.get(f"b{beam}.mb{mb}", (0, 0.0))
    ours_s, mar_s = n / dec, (mn / mdec if mdec else 0)
    extra = " (Marian: 2 workers, a sentence each)" if mb == "1" and threads == "2" else ""
    print(f"| {label}{extra} | {ours_s:.1f} | {mar_s:.1f} | {ours_s / mar_s if mar_s else 0:.2f}× | "
          f"{1000 * dec / n:.2f} | {1000 * mdec / mn if mn else 0:.2f} |")
print("\nMarian's one-sentence figures are two sentences in flight (two workers); its per-sentence latency is "
      "therefore about twice its wall time per sentence, which the ms/sent column does not show.")
sc = read("marian-score.txt").strip()
if sc:
    print("\nMarian's translations (sacreBLEU):\n\n```\n" + sc + "\n```")
