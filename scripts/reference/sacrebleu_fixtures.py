#!/usr/bin/env python3
"""Reference numbers for NMTMetrics from sacreBLEU (the reference, never a dependency).

Usage:
    pip install sacrebleu==2.6.0
    python3 scripts/reference/sacrebleu_fixtures.py > Tests/NMTMetricsTests/SacreBLEUFixtures.swift

It writes (1) the hand-made test cases and the numbers sacreBLEU gives for them, as Swift
literals on stdout, and (2) the Multi30k fixture pair under Tests/NMTMetricsTests/Fixtures:
the first 200 lines of corpora/multi30k/val.en.gz as references and a deterministically
perturbed copy (seeded word drops / swaps / substitutions) as hypotheses.
"""
import gzip
import os
import random
import sys

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "NMTMetricsTests", "Fixtures")

# Each case: (name, hypotheses, reference streams [stream][segment]).
CASES = [
    ("punctuation",
     ["Hello, world! (This) is a test; isn't it? Yes: it is...",
      "The [cat] {sat} on the mat/rug -- 100% sure & happy!",
      "Wait... what?! \"Really\"?"],
     [["Hello, world! This is a test; isn't it? Yes, it is.",
       "The cat sat on the mat -- 100 % sure and happy!",
       "Wait... what? Really?"]]),
    ("numbers",
     ["It costs $1,000.50 or 3.5 million, i.e. 1-2 days.",
      "Call 555-1234 at 10:30 a.m. on 2023-01-05, OK?",
      "Pi is 3.14159,26 and e is 2.71."],
     [["It costs $1,000.50, or 3.5 million, i.e., 1 - 2 days.",
       "Call 555-1234 at 10:30 am on 2023-01-05.",
       "Pi is 3.14159 and e is 2.718."]]),
    ("dashes",
     ["A well-known re-entry at 5-6 pm -- the end - really.",
      "Em\u2014dash and en\u2013dash, x-ray 3-D 4 -5 -6-."],
     [["A well known re-entry at 5 - 6 pm -- the end -- really.",
       "Em \u2014 dash and en\u2013dash, X-ray 3-D 4 - 5 -6-."]]),
    ("quotes_entities",
     ["He said \"hi\" and 'bye' &quot;quoted&quot; &amp; &lt;tag&gt; &amp;lt; `tick`",
      "Don't \u201csmart quotes\u201d or \u2018single\u2019 ones, isn't it.",
      "A <skipped> token and a hyphen-\nbreak\nhere"],
     [["He said \"hi\" and 'bye' \"quoted\" & <tag> &lt; 'tick'",
       "Don't \"smart quotes\" or 'single' ones, is n't it.",
       "A token and a hyphenbreak here"]]),
    ("unicode",
     ["M\u00fcller's caf\u00e9 costs 5\u20ac \u2014 na\u00efve \u65e5\u672c\u8a9e \u30c6\u30b9\u30c8",
      "cafe\u0301 cre\u0300me br\u00fbl\u00e9e \U0001F600 emoji\u00a0nbsp\u3000ideo",
      "\u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439, \u043c\u0438\u0440! \u00bfQu\u00e9 tal?\r\n"],
     [["M\u00fcller's caf\u00e9 costs 5 \u20ac \u2014 naive \u65e5\u672c\u8a9e \u30c6\u30b9\u30c8",
       "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e \U0001F600 emoji nbsp ideo",
       "\u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439, \u043c\u0438\u0440! \u00bfQu\u00e9 tal?"]]),
    ("empty_hypotheses",
     ["", "the cat is here", ""],
     [["a dog runs", "the cat is here today", "something else"]]),
    ("empty_lines",
     ["", "a small house by the river", "", "two dogs"],
     [["", "a small house near the river", "", "two dogs play"]]),
    ("very_short",
     ["a", "the cat", "yes", "ok ."],
     [["a", "the cat", "no", "ok ."]]),
    ("multi_ref",
     ["the cat sat on the mat", "there is a cat on the mat", "a dog barked loudly at night"],
     [["the cat is on the mat", "a cat is on the mat", "the dog barked at night"],
      ["there is a cat on the mat", "there is a cat on a mat", "a dog was barking loudly in the night"],
      ["a cat sat on the mat .", "the mat has a cat", "at night a dog barked loudly"]]),
    ("multi_ref_closest_len",
     ["one two three four five six", "alpha beta gamma"],
     [["one two three four", "alpha beta gamma delta epsilon"],
      ["one two three four five six seven eight", "alpha beta"]]),
    ("perfect",
     ["A man in an orange hat starring at something.", "Two young, White males are outside near many bushes."],
     [["A man in an orange hat starring at something.", "Two young, White males are outside near many bushes."]]),
    ("zero_match",
     ["lorem ipsum dolor sit amet", "foo bar"],
     [["the quick brown fox jumps", "baz qux"]]),
    ("trailing_whitespace",
     ["a man rides a bike   \t", "  leading spaces and\ttabs here \u2003"],
     [["a man rides a bike", "leading spaces and tabs here"]]),
    ("mixed_corpus",
     ["The cat, which was black, sat on the mat.",
      "In 2019, 45.6% of people (roughly 1,234,567) agreed.",
      "He can't do it - she won't either.",
      "",
      "Bonjour \u00e0 tous !"],
     [["The black cat sat on the mat.",
       "In 2019, 45.6 % of the people (about 1,234,567) agreed.",
       "He cannot do it - and she will not either.",
       "Nothing here.",
       "Bonjour \u00e0 tous!"]]),
]

TOKENIZE = [
    "Hello, world!",
    "It costs $1,000.50 or 3.5 million, i.e. 1-2 days.",
    "a..b,,c 1.a a.1 1,2,3 x-1 1-x 1--2 -1-",
    "&amp;lt; &quot;x&quot; &gt &lt;",
    "A <skipped> B-\nC\nD",
    "caf\u00e9 cafe\u0301 \u00a0nbsp\u3000ideo\u2003em\r\nCRLF",
    "(a)[b]{c}<d>@e#f^g_h`i|j~k\\l/m:n;o=p?q+r*s'tu\"v%w$x&y!z",
    "  leading and trailing  ",
    "",
    "3.5. 1,000, .5 ,5 5. 5,",
]


def swift_str(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == '\\':
            out.append('\\\\')
        elif 0x20 <= c < 0x7F:
            out.append(ch)
        else:
            out.append('\\u{%X}' % c)
    out.append('"')
    return ''.join(out)


def swift_strs(lst, indent):
    pad = ' ' * indent
    return '[\n' + ''.join(f'{pad}    {swift_str(x)},\n' for x in lst) + f'{pad}]'


def dbl(x):
    return repr(float(x))


def ints(xs):
    return '[' + ', '.join(str(int(x)) for x in xs) + ']'


def dbls(xs):
    return '[' + ', '.join(dbl(x) for x in xs) + ']'


def make_multi30k():
    os.makedirs(FIXTURES, exist_ok=True)
    with gzip.open(os.path.join(ROOT, "corpora", "multi30k", "val.en.gz"), "rt", encoding="utf-8") as f:
        refs = [next(f).rstrip("\n") for _ in range(200)]
    rng = random.Random(20240601)
    fillers = ["a", "the", "man", "woman", "is", "in", "on", "red", "blue", "dog", "street", "."]
    hyps = []
    for line in refs:
        words = line.split()
        out = []
        for w in words:
            r = rng.random()
            if r < 0.08:
                continue                       # drop
            if r < 0.14:
                out.append(rng.choice(fillers))  # substitute
                continue
            out.append(w)
        for _ in range(2):
            if len(out) > 2 and rng.random() < 0.3:  # swap neighbours
                i = rng.randrange(len(out) - 1)
                out[i], out[i + 1] = out[i + 1], out[i]
        if rng.random() < 0.05:
            out = []                           # an empty hypothesis now and then
        hyps.append(" ".join(out))
    with open(os.path.join(FIXTURES, "multi30k_val200.ref.en"), "w", encoding="utf-8") as f:
        f.write("\n".join(refs) + "\n")
    with open(os.path.join(FIXTURES, "multi30k_val200.hyp.en"), "w", encoding="utf-8") as f:
        f.write("\n".join(hyps) + "\n")
    return hyps, refs


def emit_bleu(prefix, s, sig, indent):
    pad = ' ' * indent
    return (f'{pad}{prefix}ExpectedBLEU(score: {dbl(s.score)}, counts: {ints(s.counts)}, totals: {ints(s.totals)},\n'
            f'{pad}    precisions: {dbls(s.precisions)}, bp: {dbl(s.bp)}, ratio: {dbl(s.ratio)},\n'
            f'{pad}    sysLen: {s.sys_len}, refLen: {s.ref_len}, signature: {swift_str(sig)})')


def main():
    p = print
    p("// GENERATED by scripts/reference/sacrebleu_fixtures.py -- do not edit by hand.")
    p(f"// Reference: sacreBLEU {sacrebleu.__version__} (Python {sys.version.split()[0]}).")
    p("// Numbers are repr() of the Python floats (full precision).")
    p("")
    p(f'let fixtureSacreBLEUVersion = {swift_str(sacrebleu.__version__)}')
    p("")
    p("let fixtureCases: [FixtureCase] = [")
    for name, hyps, refs in CASES:
        bleu = BLEU()
        s = bleu.corpus_score(hyps, refs)
        chrf = CHRF()
        c = chrf.corpus_score(hyps, refs)
        p("    FixtureCase(")
        p(f"        name: {swift_str(name)},")
        p(f"        hypotheses: {swift_strs(hyps, 8)},")
        p("        references: [")
        for stream in refs:
            p(f"            {swift_strs(stream, 12)},")
        p("        ],")
        p(emit_bleu("bleu: ", s, str(bleu.get_signature()), 8) + ",")
        p(f"        chrf: {dbl(c.score)}, chrfSignature: {swift_str(str(chrf.get_signature()))},")
        sent = []
        sent_chrf = []
        for i, h in enumerate(hyps):
            sb = BLEU(effective_order=True)
            sent.append((sb.sentence_score(h, [r[i] for r in refs]), str(sb.get_signature())))
            sent_chrf.append(CHRF().sentence_score(h, [r[i] for r in refs]).score)
        p("        sentenceBLEU: [")
        for ss, sig in sent:
            p(emit_bleu("", ss, sig, 12) + ",")
        p("        ],")
        p(f"        sentenceCHRF: {dbls(sent_chrf)}")
        p("    ),")
    p("]")
    p("")
    tok = Tokenizer13a()
    p("let fixtureTokenization: [(String, String)] = [")
    for t in TOKENIZE:
        p(f"    ({swift_str(t)}, {swift_str(tok(t.rstrip()))}),")
    p("]")
    p("")
    hyps, refs = make_multi30k()
    bleu = BLEU()
    s = bleu.corpus_score(hyps, [refs])
    c = CHRF().corpus_score(hyps, [refs])
    p("// Multi30k val.en first 200 lines vs. the perturbed copy (Fixtures/multi30k_val200.*.en).")
    p(emit_bleu("let multi30kBLEU = ", s, str(bleu.get_signature()), 0))
    p(f"let multi30kCHRF = {dbl(c.score)}")


if __name__ == "__main__":
    main()
