#!/usr/bin/env python3
"""A scaling model for data-parallel training, calibrated on this machine's measurements.

Reads runs/mpi/summary.json (scripts/bench/mpi_scaling.sh) and the gradient size of the default
model, checks the model against the two-namespace measurements, and predicts target tokens/s and
efficiency for 4, 16 and 64 hosts on 10 GbE and 100 GbE, with and without --accum.

Per update, each host computes its batches (t_c each, measured: one process × 2 threads is a host
like this machine) and the gradients G bytes are summed with a ring allreduce:
    T_comm(N) = 2 (N-1)/N · G / B  +  2 (N-1) · k · a
(B bandwidth, a latency per message, k buckets of 4 MB). Backward hands the first segments to the
communication thread before the encoder's backward starts, so up to h seconds of communication
hide behind compute (h fitted on the 1 Gbit/s measurement, checked on 10 Gbit/s):
    exposed(N) = max(0, T_comm(N) - h),   update time = accum · t_c + exposed(N)
    tokens/s(N) = N · accum · tokens_per_batch / update time,   efficiency = accum · t_c / update time
"""
import json, math, sys, os

summary = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "runs/mpi/summary.json"))
G = 8_327_196 * 4          # bytes of gradients, default de→en model (docs/distributed.md)
BUCKET = 4 << 20
k = math.ceil(G / BUCKET)

one = summary["one-process-2-threads"]
tokens_per_batch = one["tokens_per_update"]
t_host = one["seconds_per_update"]          # one batch on a 2-core host

def ring(n, bandwidth, latency):
    return 2 * (n - 1) / n * G / bandwidth + 2 * (n - 1) * k * latency

# Calibration on the two namespaces (one rank × one thread each, so t_c is a 1-thread batch).
rows = []
m1 = summary["two-hosts-1gbit"]
t_c1 = m1["seconds_per_update"] - m1["exposed_per_update"]        # compute of one 1-thread batch
hidden_1g = m1["communication_per_update"] - m1["exposed_per_update"]
print(f"gradients {G/1e6:.1f} MB in {k} buckets; a 2-core host computes a batch of {tokens_per_batch:.0f} target tokens in {t_host:.3f} s")
print(f"calibration (1 Gbit/s): compute {t_c1:.3f} s per update, communication {m1['communication_per_update']:.3f} s, of which hidden {hidden_1g:.3f} s")
print()
print("| check | measured s per update | model | measured communication | model ring time |")
print("| --- | ---: | ---: | ---: | ---: |")
for name, bw in [("two-hosts-10gbit", 10e9 / 8), ("two-hosts-1gbit", 1e9 / 8)]:
    m = summary[name]
    tc = ring(2, bw, 30e-6)
    model = t_c1 + max(0.0, tc - hidden_1g)
    print(f"| {name} | {m['seconds_per_update']:.3f} | {model:.3f} | {m['communication_per_update']:.3f} | {tc:.3f} |")
print()
print("Predicted, hosts like this machine (one rank × 2 threads each):")
print()
print("| network | hosts | accum | tokens/s | efficiency | communication s per update |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
h = hidden_1g * t_host / t_c1        # the hideable window scales with the compute of a batch
for net, bw, lat in [("10 GbE", 10e9 / 8, 50e-6), ("100 GbE", 100e9 / 8, 5e-6)]:
    for n in [1, 4, 16, 64]:
        for accum in [1, 4]:
            tc = ring(n, bw, lat) if n > 1 else 0.0
            update = accum * t_host + max(0.0, tc - h)
            tps = n * accum * tokens_per_batch / update
            print(f"| {net} | {n} | {accum} | {tps:,.0f} | {100 * accum * t_host / update:.0f} % | {tc:.3f} |")
