#!/usr/bin/env python3
"""PyTorch interop, proven: builds a swift-nmt translation model in PyTorch from
docs/model-format.md and the model directory alone (config.json, model.safetensors) and scores
sentence pairs; the scores must equal `nmt-translate --score` to 1e-4 (relative to max(1, |score|)).

Usage: torch_interop.py MODEL_DIR SOURCE_IDS TARGET_IDS SWIFT_SCORES
  SOURCE_IDS / TARGET_IDS: one sentence of token ids per line (`nmt-vocab tokenize --ids`),
  SWIFT_SCORES: nmt-translate --score's output (log-probability <TAB> perplexity per line).
Exit 0 when every pair agrees. Standard nn modules only (nn.Embedding, nn.LSTM, nn.GRUCell,
nn.Linear); the math follows the page's "A translation model at inference, step by step".
"""
import json, struct, sys
import numpy as np
import torch
from torch import nn

torch.set_default_dtype(torch.float64)


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32"
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[8 + n + a:8 + n + b], dtype="<f4").astype(np.float64).reshape(info["shape"]))
    return out


class Model(nn.Module):
    def __init__(self, cfg, w):
        super().__init__()
        E, H, L, Hd = cfg["embedding"], cfg["encoderHidden"], cfg["encoderLayers"], cfg["decoderHidden"]
        C = 2 * H
        self.cfg = cfg
        self.src_emb = nn.Embedding(cfg["sourceVocab"], E)
        self.tgt_emb = nn.Embedding(cfg["targetVocab"], E)
        self.src_emb.weight.data = w["source_embedding.weight"]
        self.tgt_emb.weight.data = w["target_embedding.weight"]
        self.layers = []
        for k in range(L):
            pair = []
            for d in ("fwd", "bwd"):
                lstm = nn.LSTM(E if k == 0 else C, H)
                lstm.weight_ih_l0.data = w[f"encoder.l{k}.{d}.W_ih"]
                lstm.weight_hh_l0.data = w[f"encoder.l{k}.{d}.W_hh"]
                lstm.bias_ih_l0.data = w[f"encoder.l{k}.{d}.b"]
                lstm.bias_hh_l0.data = torch.zeros(4 * H)
                pair.append(lstm)
            self.layers.append(pair)
        self.bridge = nn.Linear(C, Hd)
        self.bridge.weight.data, self.bridge.bias.data = w["bridge.weight"], w["bridge.bias"]
        self.gru = nn.GRUCell(E + C, Hd)
        self.gru.weight_ih.data, self.gru.weight_hh.data = w["decoder.gru.W_ih"], w["decoder.gru.W_hh"]
        self.gru.bias_ih.data, self.gru.bias_hh.data = w["decoder.gru.b_ih"], w["decoder.gru.b_hh"]
        self.W_q, self.U_k, self.b_att, self.v = w["decoder.attn.W_q"], w["decoder.attn.U_k"], w["decoder.attn.b"], w["decoder.attn.v"]
        self.out = nn.Linear(Hd + C, cfg["preOutput"])
        self.out.weight.data, self.out.bias.data = w["decoder.out.weight"], w["decoder.out.bias"]
        self.gen_bias = w["generator.bias"]
        if cfg["tieEmbeddings"]:
            self.gen_weight = w["target_embedding.weight"]
            self.projection = w.get("generator_projection.weight")
        else:
            self.gen_weight, self.projection = w["generator.weight"], None

    def score(self, src, tgt):
        """log P(tgt </s> | src), natural log."""
        x = self.src_emb(torch.tensor(src)).unsqueeze(1)               # (n, 1, E)
        for fwd, bwd in self.layers:
            hf, (hf_n, _) = fwd(x)
            hb_rev, (hb_1, _) = bwd(torch.flip(x, [0]))
            hb = torch.flip(hb_rev, [0])
            x = torch.cat([hf, hb], dim=2)                                  # (n, 1, C)
        mem = x[:, 0, :]                                                    # (n, C)
        s = torch.tanh(self.bridge(torch.cat([hf_n[0, 0], hb_1[0, 0]])))    # forward after the last, backward after the first
        keys = mem @ self.U_k.T + self.b_att                                # (n, A)
        c = torch.zeros(mem.shape[1])
        total, prev = 0.0, 2                                                # <s>
        for y in list(tgt) + [3]:                                           # ... </s>
            e = self.tgt_emb(torch.tensor(prev))
            s = self.gru(torch.cat([e, c]).unsqueeze(0), s.unsqueeze(0))[0]
            scores = torch.tanh(s @ self.W_q.T + keys) @ self.v
            alpha = torch.softmax(scores, 0)
            c = alpha @ mem
            o = torch.tanh(self.out(torch.cat([s, c])))
            g = o if self.projection is None else self.projection @ o
            logp = torch.log_softmax(self.gen_weight @ g + self.gen_bias, 0)
            total += float(logp[y])
            prev = y
        return total


def main():
    model_dir, src_path, tgt_path, scores_path = sys.argv[1:5]
    cfg = json.load(open(f"{model_dir}/config.json"))
    assert cfg["task"] == "translation", "a translation model is needed"
    m = cfg["model"]
    if m.get("encoderCell", "lstm") != "lstm" or m.get("decoderCell", "gru") != "gru":
        print(f"torch_interop: skipped: only the default cells (lstm encoder, gru decoder), not {m['encoderCell']}/{m['decoderCell']}")
        return 0
    model = Model(m, read_safetensors(f"{model_dir}/model.safetensors"))
    srcs = [[int(t) for t in l.split()] for l in open(src_path)]
    tgts = [[int(t) for t in l.split()] for l in open(tgt_path)]
    swift = [float(l.split("\t")[0]) for l in open(scores_path) if l.strip()]
    assert len(srcs) == len(tgts) == len(swift), (len(srcs), len(tgts), len(swift))
    worst, checked = 0.0, 0
    with torch.no_grad():
        for s, t, want in zip(srcs, tgts, swift):
            if not s:
                continue
            got = model.score(s, t)
            worst = max(worst, abs(got - want) / max(1.0, abs(want)))
            checked += 1
    ok = worst <= 1e-4 and checked > 0
    print(f"torch_interop: {checked} pairs, largest relative difference from nmt-translate --score {worst:.2e}: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
