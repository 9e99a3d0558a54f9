#!/usr/bin/env python3
"""Expected values for Tests/NMTModelTests/ArenaTests.swift: PyTorch's own Adam and AdamW
(an independent implementation) run on fixed parameters and gradients.

Parameters: w[i] = sin(0.37 i), i = 0..5. At step s (1-based) the gradient is
g[i] = cos(0.5 i + s) + 0.1 s. Three steps, lr 0.01, betas (0.9, 0.999), eps 1e-8,
with weight decay 0 (Adam) and 0.1 (AdamW, decoupled). Run: python3 scripts/reference/adam_reference.py
"""
import math
import torch

def run(weight_decay):
    w = torch.tensor([math.sin(0.37 * i) for i in range(6)], dtype=torch.float32, requires_grad=True)
    cls = torch.optim.AdamW if weight_decay else torch.optim.Adam
    opt = cls([w], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=weight_decay)
    for s in range(1, 4):
        w.grad = torch.tensor([math.cos(0.5 * i + s) + 0.1 * s for i in range(6)], dtype=torch.float32)
        opt.step()
    return w.detach().tolist()

print("adam:", ", ".join(f"{v:.9g}" for v in run(0.0)))
print("adamw:", ", ".join(f"{v:.9g}" for v in run(0.1)))
