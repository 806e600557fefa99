#!/usr/bin/env bash
# `make start`: Temporal (unless TEMPORAL_ADDRESS points at a cluster), the api and
# the worker, in the foreground. Ctrl-C stops all of them.
set -euo pipefail
cd "$(dirname "$0")/.."

set -a
[[ -f .env ]] && . ./.env
set +a

port="${PORT:-3000}"
temporal_pid=""
nats_pid=""
app_pids=()

stop_all() {
  trap - INT TERM EXIT
  echo "stopping Warden..."
  for pid in "${app_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${app_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "$nats_pid" ]]; then
    kill -TERM "$nats_pid" 2>/dev/null || true
    wait "$nats_pid" 2>/dev/null || true
  fi
  if [[ -n "$temporal_pid" ]]; then
    kill -TERM "$temporal_pid" 2>/dev/null || true
    wait "$temporal_pid" 2>/dev/null || true
  fi
  echo "stopped"
}
trap stop_all EXIT
trap 'exit 0' INT TERM

if [[ -z "${TEMPORAL_ADDRESS:-}" ]]; then
  temporal="$(scripts/ensure-temporal.sh)"
  mkdir -p .data
  ui_flag=(--headless)
  [[ "${TEMPORAL_UI:-false}" == "true" ]] && ui_flag=(--ui-port "${TEMPORAL_UI_PORT:-8233}")
  # WAL without an fsync per write: about 3 times the workflows/s of SQLite's defaults, and the file stays
  # consistent through a crash (test/support/temporal-server.ts DEV_SERVER_SQLITE_PRAGMAS).
  # Task priority (P1 incidents first) needs the new matcher, one partition keeps it strict
  # (test/support/temporal-server.ts DEV_SERVER_DYNAMIC_CONFIG, config/temporal/dynamicconfig.yaml).
  echo "starting Temporal dev server on 127.0.0.1:${TEMPORAL_PORT:-7233} (state in .data/temporal.db)"
  "$temporal" server start-dev "${ui_flag[@]}" --ip 127.0.0.1 --port "${TEMPORAL_PORT:-7233}" \
    --db-filename .data/temporal.db --log-level error \
    --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
    --dynamic-config-value matching.useNewMatcher=true \
    --dynamic-config-value matching.numTaskqueueReadPartitions=1 \
    --dynamic-config-value matching.numTaskqueueWritePartitions=1 &
  temporal_pid=$!
  export TEMPORAL_ADDRESS="127.0.0.1:${TEMPORAL_PORT:-7233}"
  for _ in $(seq 1 120); do
    "$temporal" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && break
    kill -0 "$temporal_pid" 2>/dev/null || { echo "error: Temporal dev server exited during start-up" >&2; exit 1; }
    sleep 0.5
  done
else
  echo "using the Temporal cluster at $TEMPORAL_ADDRESS"
fi

# NATS intake (config/intake.yaml): when NATS_URL names this machine and nothing answers there,
# a JetStream server of our own (Debian's nats-server) with its store in .data/nats.
if [[ "${NATS_URL:-}" =~ ^nats://(127\.0\.0\.1|localhost):([0-9]+)$ ]]; then
  nats_port="${BASH_REMATCH[2]}"
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$nats_port") 2>/dev/null; then
    scripts/ensure-nats.sh
    mkdir -p .data/nats
    echo "starting nats-server with JetStream on 127.0.0.1:$nats_port (store in .data/nats)"
    PATH="$PATH:/usr/sbin" nats-server -js -a 127.0.0.1 -p "$nats_port" -sd .data/nats &
    nats_pid=$!
  fi
fi

node dist/src/main.js &
app_pids+=($!)
WORKFLOW_BUNDLE_PATH="${WORKFLOW_BUNDLE_PATH:-dist/workflow-bundle.js}" node dist/src/worker.js &
app_pids+=($!)

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  for pid in "${app_pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "error: a Warden process exited during start-up" >&2; exit 1; }; done
  sleep 0.5
done
cat <<MSG

Warden is running (Ctrl-C stops everything):
  API          http://127.0.0.1:$port
  health       http://127.0.0.1:$port/health
  dashboard    http://127.0.0.1:$port/dashboard (log in with a lead key: npm run warden -- keys create --name lead --scope lead)
  metrics      http://127.0.0.1:$port/metrics
  Temporal     $TEMPORAL_ADDRESS
MSG
[[ "${TEMPORAL_UI:-false}" == "true" && -n "$temporal_pid" ]] && echo "  Temporal UI  http://127.0.0.1:${TEMPORAL_UI_PORT:-8233}"
echo

# Any child exiting on its own is a failure: stop the rest and report it.
set +e
wait -n "${app_pids[@]}" ${temporal_pid:+"$temporal_pid"}
code=$?
echo "a Warden process exited (code $code)" >&2
exit "$code"
