"""A large German corpus whose vocabulary keeps growing, for the BPE learning benchmark
(scripts/bench_bpe.sh): Multi30k training lines, cycled, where every line has one word
replaced by a seeded compound of two corpus words (German builds words that way), so the
number of word types grows with the number of lines instead of stopping at Multi30k's 19,000.

Usage: python3 scripts/bench/synthetic_corpus.py corpora/multi30k/train.de.gz 1000000 > big.de
The type count goes to stderr.
"""
import gzip
import random
import sys


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    words = sorted({w.strip(".,!?\"'") for l in lines for w in l.split() if w.isalpha() and len(w) > 3})
    rng = random.Random(1)
    types = set()
    out = sys.stdout
    for i in range(n):
        toks = lines[i % len(lines)].split()
        k = rng.randrange(len(toks))
        toks[k] = rng.choice(words) + rng.choice(words).lower()
        types.update(toks)
        out.write(" ".join(toks) + "\n")
    sys.stderr.write("synthetic corpus: %d lines, %d whitespace-separated types\n" % (n, len(types)))


if __name__ == "__main__":
    main()
