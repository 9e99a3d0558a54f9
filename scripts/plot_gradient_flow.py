#!/usr/bin/env python3
"""Draws nmt-lm gradients outputs (distance, mean norm) of several models in one SVG, the norm on
a log scale, one line per model. No plotting library needed.

    python3 scripts/plot_gradient_flow.py -o docs/gradient-flow.svg rnn=runs/lm/rnn.tsv lstm=runs/lm/lstm.tsv gru=...
"""
import argparse
import math
import sys

COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]


def read(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "distance" or len(parts) < 2:
                continue
            d, v = int(parts[0]), float(parts[1])
            if v > 0:
                rows.append((d, v))
    if not rows:
        sys.exit(f"{path}: no rows")
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--title", default="Gradient reaching back: mean ‖∂L/∂s_t‖ against the distance to the loss")
    ap.add_argument("series", nargs="+", help="NAME=FILE.tsv")
    a = ap.parse_args()
    series = []
    for s in a.series:
        name, _, path = s.partition("=")
        if not path:
            sys.exit(f"{s}: expected NAME=FILE")
        series.append((name, read(path)))
    W, H, L, R, T, B = 720, 440, 70, 130, 40, 50
    dmax = max(d for _, rows in series for d, _ in rows)
    lo = math.floor(math.log10(min(v for _, rows in series for _, v in rows)))
    hi = math.ceil(math.log10(max(v for _, rows in series for _, v in rows)))
    hi = max(hi, lo + 1)

    def x(d):
        return L + (W - L - R) * d / max(dmax, 1)

    def y(v):
        return T + (H - T - B) * (hi - math.log10(v)) / (hi - lo)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="13">{a.title}</text>']
    for e in range(lo, hi + 1):
        yy = y(10 ** e)
        out.append(f'<line x1="{L}" y1="{yy:.1f}" x2="{W - R}" y2="{yy:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{L - 6}" y="{yy + 4:.1f}" text-anchor="end">1e{e}</text>')
    step = max(1, dmax // 10)
    for d in range(0, dmax + 1, step):
        out.append(f'<line x1="{x(d):.1f}" y1="{H - B}" x2="{x(d):.1f}" y2="{H - B + 4}" stroke="black"/>')
        out.append(f'<text x="{x(d):.1f}" y="{H - B + 18}" text-anchor="middle">{d}</text>')
    out.append(f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>')
    out.append(f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">distance to the loss (steps)</text>')
    for i, (name, rows) in enumerate(series):
        c = COLORS[i % len(COLORS)]
        pts = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in rows)
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="{pts}"/>')
        ly = T + 10 + 18 * i
        out.append(f'<line x1="{W - R + 12}" y1="{ly}" x2="{W - R + 36}" y2="{ly}" stroke="{c}" stroke-width="2"/>')
        out.append(f'<text x="{W - R + 42}" y="{ly + 4}">{name}</text>')
    out.append("</svg>")
    with open(a.output, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
