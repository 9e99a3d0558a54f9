#!/usr/bin/env bash
# Data-parallel training measured on this machine (needs root for the namespaces, idle cores):
#   1. one process × 2 threads (plain nmt-train) against 2 ranks × 1 thread (mpirun, shared memory);
#   2. two "hosts": network namespaces nmt-hostA and nmt-hostB joined by a veth pair
#      (127.77.0.1 and 127.77.0.2: loopback addresses, route_localnet set inside the namespaces
#      only), one rank × one thread in each, Open MPI over TCP between them (btl tcp, the remote
#      daemon started in its namespace by an rsh agent), the link unshaped and shaped with tbf to
#      10 Gbit/s and 1 Gbit/s. (This kernel has no sch_netem, so no added latency: the scaling
#      model in docs/distributed.md adds latency analytically.)
# Every run trains the default model on Multi30k (the main job's BPE vocabularies) for STEPS
# updates without validation; the table gives target tokens/s (median of the logged windows after
# the first), the share of step time the loop waited on communication, and the share of the
# allreduce time hidden behind backward. The namespaces are removed on exit.
# Usage: sudo bash scripts/bench/mpi_scaling.sh        (STEPS=120, OUT=runs/mpi)
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${STEPS:-120}
OUT=${OUT:-runs/mpi}
BIN=${BIN:-.build/release}
VOCAB=${VOCAB:-runs/multi30k/vocab}
DATA=corpora/multi30k
[ -x "$BIN/nmt-train" ] || swift build -c release >&2
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TRAIN=(--src "$DATA/train.de.gz" --tgt "$DATA/train.en.gz" --src-vocab "$VOCAB/de.vocab" --tgt-vocab "$VOCAB/en.vocab"
       --max-steps "$STEPS" --log-every 10 --quiet --force)
MPI=(mpirun --allow-run-as-root --oversubscribe --bind-to none)

cleanup() { ip netns del nmt-hostA 2>/dev/null || true; ip netns del nmt-hostB 2>/dev/null || true; rm -f "$OUT/agent.sh"; }
trap cleanup EXIT

run() {   # name, then the command
    local name=$1; shift
    rm -rf "$OUT/$name"
    echo "== $name: $*" >&2
    "$@" -o "$OUT/$name" >"$OUT/$name.out" 2>&1 || { echo "$name failed:" >&2; tail -20 "$OUT/$name.out" >&2; exit 1; }
}

run one-process-2-threads "$BIN/nmt-train" "${TRAIN[@]}" --threads 2
run two-ranks-shared-memory "${MPI[@]}" -np 2 "$BIN/nmt-train" "${TRAIN[@]}" --threads 1

# Two hosts in namespaces.
cleanup
ip netns add nmt-hostA
ip netns add nmt-hostB
ip link add nmt-vethA type veth peer name nmt-vethB
ip link set nmt-vethA netns nmt-hostA
ip link set nmt-vethB netns nmt-hostB
for h in A B; do
    ip netns exec nmt-host$h sysctl -qw net.ipv4.conf.all.route_localnet=1
    ip netns exec nmt-host$h sysctl -qw net.ipv4.conf.nmt-veth$h.route_localnet=1
    ip -n nmt-host$h link set lo up
    ip -n nmt-host$h link set nmt-veth$h up
done
ip -n nmt-hostA addr add 127.77.0.1/24 dev nmt-vethA
ip -n nmt-hostB addr add 127.77.0.2/24 dev nmt-vethB
cat > "$OUT/agent.sh" <<'AGENT'
#!/bin/sh
# Open MPI's rsh agent for the simulated hosts: "agent HOST command…" runs the command in HOST's namespace.
host=$1; shift
case "$host" in 127.77.0.1) ns=nmt-hostA ;; 127.77.0.2) ns=nmt-hostB ;; *) echo "agent: unknown host $host" >&2; exit 1 ;; esac
exec ip netns exec "$ns" /bin/sh -c "$*"
AGENT
chmod +x "$OUT/agent.sh"
HOSTS=(--host 127.77.0.1:1,127.77.0.2:1 --mca plm_rsh_agent "$OUT/agent.sh" --mca btl self,tcp
       --mca btl_tcp_if_include 127.77.0.0/24 --mca oob_tcp_if_include 127.77.0.0/24)
shape() {   # rate, or "none"
    for h in A B; do
        ip netns exec nmt-host$h tc qdisc del dev nmt-veth$h root 2>/dev/null || true
        [ "$1" = none ] || ip netns exec nmt-host$h tc qdisc add dev nmt-veth$h root tbf rate "$1" burst 1mb latency 50ms
    done
}
for rate in none 10gbit 1gbit; do
    shape "$rate"
    run "two-hosts-$rate" ip netns exec nmt-hostA "${MPI[@]}" -np 2 "${HOSTS[@]}" "$PWD/$BIN/nmt-train" "${TRAIN[@]}" --threads 1
done
shape none

python3 - "$OUT" <<'PY'
import json, sys, statistics, os
out = sys.argv[1]
rows = ["one-process-2-threads", "two-ranks-shared-memory", "two-hosts-none", "two-hosts-10gbit", "two-hosts-1gbit"]
print("| run | target tokens/s | s per update | communication s per update | waited on it | allreduce hidden behind backward |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
summary = {}
for r in rows:
    path = os.path.join(out, r, "train.log.jsonl")
    lines = [json.loads(l) for l in open(path) if '"type":"train"' in l]
    tps = statistics.median(l["target_tokens_per_s"] for l in lines[1:])
    a, b = lines[0], lines[-1]
    steps = b["step"] - a["step"]
    per_update = (b["elapsed_s"] - a["elapsed_s"]) / steps
    row = {"target_tokens_per_s": tps, "seconds_per_update": per_update, "tokens_per_update": tps * per_update}
    if "communication_s" in b:
        exposed = (b["communication_exposed_s"] - a["communication_exposed_s"]) / steps
        total = (b["communication_s"] - a["communication_s"]) / steps
        row.update(communication_per_update=total, exposed_per_update=exposed)
        hidden = 1 - exposed / total if total > 0 else 0
        print(f"| {r} | {tps:.0f} | {per_update:.3f} | {total:.3f} | {100*exposed/per_update:.1f} % | {100*hidden:.0f} % |")
    else:
        print(f"| {r} | {tps:.0f} | {per_update:.3f} | – | – | – |")
    summary[r] = row
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)
PY
