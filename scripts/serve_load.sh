#!/usr/bin/env bash
# Load on loopback: nmt-serve with MODEL (default runs/multi30k/model) under wrk, CONNECTIONS (64)
# concurrent connections, one test_2016_flickr sentence per request (each connection walks the
# test set from its own offset), DURATION (60 seconds); beside it, in the same run, nmt-translate's batched
# beam-5 throughput on the same sentences. Prints sentences/s, latency percentiles, errors and the
# server's RSS before and after. Release build; run on otherwise idle cores.
# Usage: bash scripts/serve_load.sh   (MODEL=… DURATION=60 CONNECTIONS=64 MAX_BATCH=64 MAX_WAIT_MS=10)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-runs/multi30k/model}
# The main job writes an ensemble directory: speed and load figures are a single model's (its first member).
if [ -f "$MODEL/ensemble.json" ]; then MODEL="$MODEL/members/1"; fi
DURATION=${DURATION:-60}
CONNECTIONS=${CONNECTIONS:-64}
MAX_BATCH=${MAX_BATCH:-64}
MAX_WAIT_MS=${MAX_WAIT_MS:-10}
SCRATCH=${SCRATCH:-.build}
SRC=$(sed -n 's/.*"lang":"\([a-z]*\)".*/\1/p' "$(ls -d "$MODEL"/best 2>/dev/null || echo "$MODEL")/source.vocab" | head -n 1)
TGT=$(sed -n 's/.*"lang":"\([a-z]*\)".*/\1/p' "$(ls -d "$MODEL"/best 2>/dev/null || echo "$MODEL")/target.vocab" | head -n 1)
TEST=corpora/multi30k/test_2016_flickr.$SRC.gz
command -v wrk >/dev/null || bash scripts/setup.sh wrk
swift build -c release --scratch-path "$SCRATCH" --product nmt-serve >&2
swift build -c release --scratch-path "$SCRATCH" --product nmt-translate >&2
B="$SCRATCH/release"
OUT=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$OUT"' EXIT

echo "== nmt-translate, beam 5, batches of $MAX_BATCH, the same 1,000 sentences"
"$B/nmt-translate" -m "$MODEL" "$TEST" --batch-size "$MAX_BATCH" > /dev/null 2> "$OUT/translate.log"
grep -o '[0-9]* sentences in .*' "$OUT/translate.log"

# The request bodies, one per test sentence, as a Lua table.
python3 - "$TEST" "$SRC" "$TGT" > "$OUT/bodies.lua" <<'PY'
import gzip, json, sys
lines = [l.rstrip("\n") for l in gzip.open(sys.argv[1], "rt", encoding="utf-8")]
print("bodies = {")
for l in lines:
    body = json.dumps({"q": l, "source": sys.argv[2], "target": sys.argv[3], "format": "text"}, ensure_ascii=False)
    print("  " + json.dumps(body, ensure_ascii=False) + ",")
print("}")
PY
cat >> "$OUT/bodies.lua" <<'LUA'
local counter = 0
setup = function(thread) thread:set("offset", counter * 97); counter = counter + 1 end
init = function(args) n = offset end
request = function()
  n = n + 1
  local body = bodies[(n % #bodies) + 1]
  return wrk.format("POST", "/translate", {["Content-Type"] = "application/json"}, body)
end
errors = 0
response = function(status, headers, body) if status ~= 200 then errors = errors + 1 end end
done = function(summary, latency, requests)
  io.write(string.format("requests %d, non-2xx or socket errors %d, sentences/s %.1f\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6)))
  for _, p in pairs({50, 90, 99, 99.9}) do
    io.write(string.format("latency p%g %.1f ms\n", p, latency:percentile(p) / 1000))
  end
end
LUA

"$B/nmt-serve" -m "$MODEL" --port 0 --max-batch "$MAX_BATCH" --max-wait-ms "$MAX_WAIT_MS" --queue 4096 \
    --log-level warning > "$OUT/serve.out" 2> "$OUT/serve.err" &
SERVER=$!
for _ in $(seq 100); do grep -q listening "$OUT/serve.out" && break; sleep 0.1; done
PORT=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$OUT/serve.out")
rss() { awk '/VmRSS/ {print $2 / 1024 " MB"}' "/proc/$SERVER/status"; }
echo "== nmt-serve on port $PORT, RSS before: $(rss)"
# one wrk thread drives all connections (a second would take a core from the server)
wrk -t 1 -c "$CONNECTIONS" -d "${DURATION}s" --timeout 30s -s "$OUT/bodies.lua" "http://127.0.0.1:$PORT" | tee "$OUT/wrk.txt"
echo "== RSS after: $(rss)"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^nmt_(decoder_calls_total|sentences_total|errors_total)|^nmt_batch_sentences_(sum|count)' || true
kill -TERM "$SERVER"; wait "$SERVER" || true
