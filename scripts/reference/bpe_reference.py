"""Segmentation fixture for Tests/NMTTextTests/SubwordTests.swift, from an independent BPE
implementation: subword-nmt (PyPI `subword-nmt`, Sennrich's own) applies OUR merges file to
every distinct word of test_2016_flickr.de (as our tokenizer splits it, joiner marks removed).
The test segments the same words with BPEModel and must get the same pieces.

Usage (from the repository root, after `swift build -c release`):
    gzip -dc corpora/multi30k/test_2016_flickr.de.gz | .build/release/nmt-vocab tokenize --lang de \
        | tr ' ' '\\n' | sed 's/^￭//' | grep -v '^$' | sort -u > /tmp/test_words.de
    python3 scripts/reference/bpe_reference.py Tests/NMTTextTests/Fixtures/multi30k.de-en.2000.bpe \
        /tmp/test_words.de > Tests/NMTTextTests/Fixtures/test_2016.de.bpe-pieces.tsv
Output: one line per word, "word<TAB>piece piece ...".
"""
import codecs
import importlib.metadata
import sys

from subword_nmt.apply_bpe import BPE


def main():
    codes_path, words_path = sys.argv[1], sys.argv[2]
    with codecs.open(codes_path, encoding="utf-8") as codes:
        # separator "@@" is subword-nmt's default; pieces are read back by splitting on it.
        bpe = BPE(codes, merges=-1, separator="@@")
    sys.stderr.write("subword-nmt %s, %d merges\n" % (importlib.metadata.version("subword-nmt"), len(bpe.bpe_codes)))
    with codecs.open(words_path, encoding="utf-8") as f:
        words = [w.rstrip("\n") for w in f if w.rstrip("\n")]
    out = sys.stdout
    for w in words:
        pieces = [p[:-2] if p.endswith("@@") else p for p in bpe.segment_tokens([w])]
        out.write(w + "\t" + " ".join(pieces) + "\n")


if __name__ == "__main__":
    main()
