#!/usr/bin/env bash
# Fuzzes nmt-serve's API with schemathesis (PyPI) against its own /openapi.json: generated
# requests for every operation, checking that none gets a 5xx other than the documented 503 and
# that the server never dies. MODEL (default runs/multi30k/model), EXAMPLES per operation (500).
# Loopback only; the venv lives in ${TMPDIR:-/tmp}/schemathesis-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-runs/multi30k/model}
# The main job writes an ensemble directory: speed and load figures are a single model's (its first member).
if [ -f "$MODEL/ensemble.json" ]; then MODEL="$MODEL/members/1"; fi
EXAMPLES=${EXAMPLES:-500}
SCRATCH=${SCRATCH:-.build}
VENV=${SCHEMATHESIS_VENV:-${TMPDIR:-/tmp}/schemathesis-venv}
[ -x "$VENV/bin/schemathesis" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q schemathesis; }
swift build -c release --scratch-path "$SCRATCH" --product nmt-serve >&2
OUT=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$OUT"' EXIT
"$SCRATCH/release/nmt-serve" -m "$MODEL" --port 0 --log-level warning > "$OUT/serve.out" 2> "$OUT/serve.err" &
SERVER=$!
for _ in $(seq 100); do grep -q listening "$OUT/serve.out" && break; sleep 0.1; done
PORT=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$OUT/serve.out")
echo "== schemathesis $("$VENV/bin/schemathesis" --version 2>&1 | tail -n 1), $EXAMPLES examples per operation, nmt-serve on port $PORT"
status=0
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/openapi.json" --checks not_a_server_error \
    --max-examples "$EXAMPLES" --request-timeout 60 || status=$?
if kill -0 "$SERVER" 2>/dev/null; then echo "server alive after fuzzing"; else echo "SERVER DIED"; status=1; fi
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^nmt_requests_total' | sort || true
exit $status
