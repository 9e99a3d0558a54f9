#!/usr/bin/env python3
"""A scaling model for data-parallel training, fitted on this machine's two-namespace runs.

Reads runs/mpi/summary.json (scripts/bench/mpi_scaling.sh). The communication of one update,
measured on rank 0 (the allreduce calls from start to end, including waiting for the other rank):
    T_comm(N) = 2 (N-1)/N · G / (eta · B)  +  o
a ring allreduce of the G gradient bytes at a fraction eta of the link's bandwidth B, plus a
fixed part o (the reduction's own CPU work, TCP's, and waiting for the slower rank); eta and o
are fitted on the 1 Gbit/s and 10 Gbit/s runs and checked on the unshaped link. Up to h seconds
of it run behind backward (h: measured, the part hidden at 1 Gbit/s), so an update takes
    accum · t_c + max(0, T_comm - h)
for t_c the compute of one batch. Predictions are for hosts like this machine (one rank × 2
threads each; t_c and h from the one-process-2-threads run, h scaled with the compute), with o
held at its 2-rank value: more ranks wait for their slowest, so larger N is optimistic.
"""
import json, sys

summary = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "runs/mpi/summary.json"))
G = 8_327_196 * 4          # bytes of gradients, default de→en model (docs/distributed.md)

g1, g10, free = summary["two-hosts-1gbit"], summary["two-hosts-10gbit"], summary["two-hosts-none"]
ring2 = lambda bw: G / bw                                  # 2 (N-1)/N = 1 for N = 2
eta = (ring2(1e9 / 8) - ring2(10e9 / 8)) / (g1["communication_per_update"] - g10["communication_per_update"])
o = g10["communication_per_update"] - ring2(10e9 / 8) / eta
t_c1 = g1["seconds_per_update"] - g1["exposed_per_update"]        # one 1-thread batch per rank
h1 = g1["communication_per_update"] - g1["exposed_per_update"]    # hidden behind backward
print(f"fitted: bandwidth efficiency eta = {eta:.2f}, fixed part o = {o * 1000:.0f} ms per update; "
      f"compute {t_c1:.3f} s per 1-thread batch, {h1 * 1000:.0f} ms of communication hidden")
print()
print("| check (2 ranks × 1 thread) | measured communication s | model | measured s per update | model |")
print("| --- | ---: | ---: | ---: | ---: |")
for name, m, bw in [("1 Gbit/s (fitted)", g1, 1e9 / 8), ("10 Gbit/s (fitted)", g10, 10e9 / 8),
                    ("unshaped veth, B ≥ 1.25 GB/s (check)", free, 1.25e9)]:
    tc = ring2(bw) / eta + o
    print(f"| {name} | {m['communication_per_update']:.3f} | ≤ {tc:.3f} | {m['seconds_per_update']:.3f} | ≤ {t_c1 + max(0, tc - h1):.3f} |"
          if "check" in name else
          f"| {name} | {m['communication_per_update']:.3f} | {tc:.3f} | {m['seconds_per_update']:.3f} | {t_c1 + max(0, tc - h1):.3f} |")

one = summary["one-process-2-threads"]
tokens, t_host = one["tokens_per_update"], one["seconds_per_update"]
h = h1 * t_host / t_c1
print()
print(f"Predicted for hosts like this machine (a batch of {tokens:.0f} target tokens in {t_host:.3f} s on 2 threads):")
print()
print("| network | hosts | --accum | target tokens/s | efficiency | communication s per update |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for net, bw, lat in [("10 GbE", 10e9 / 8, 50e-6), ("100 GbE", 100e9 / 8, 5e-6)]:
    for n in [4, 16, 64]:
        for accum in [1, 4]:
            k = -(-G // (4 << 20))
            tc = 2 * (n - 1) / n * G / (eta * bw) + 2 * (n - 1) * k * lat + o
            update = accum * t_host + max(0.0, tc - h)
            print(f"| {net} | {n} | {accum} | {n * accum * tokens / update:,.0f} | {100 * accum * t_host / update:.0f} % | {tc:.3f} |")
print()
print(f"(one host: {tokens / t_host:,.0f} target tokens/s; latency per ring step: 50 µs on 10 GbE, 5 µs on 100 GbE, "
      f"{-(-G // (4 << 20))} buckets of 4 MB)")
