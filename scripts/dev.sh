#!/usr/bin/env bash
# `npm run dev`: everything a fresh machine needs, then the API, its worker, the fake payment
# provider and the SMTP sink on local defaults (.env, if present, changes them: .env.example).
# Edits rebuild: tsc recompiles src/ into dist/ as files change, and the API and the worker restart
# when their compiled files do (node --watch). Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
# A machine whose Node is older than engines allows gets the Node of .nvmrc (see use-node.sh).
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then . scripts/use-node.sh; fi
bash scripts/services.sh up
npx tsx scripts/db/migrate.ts
npx tsx scripts/db/seed.ts --scale small --if-empty
npx nest build

children=()
stop() {
  trap - INT TERM EXIT
  # SIGTERM: node --watch passes it on; the worker finishes its active jobs before it exits.
  kill -TERM "${children[@]}" 2>/dev/null || true
  wait "${children[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

node --import tsx dev/fake-payment-gateway.ts & children+=($!)
node --import tsx dev/smtp-sink.ts & children+=($!)
# The first build is above; from here on, changes only (no clean of dist/, which the processes use).
node_modules/.bin/tsc -p tsconfig.build.json --watch --preserveWatchOutput & children+=($!)
# The tracing preload does nothing unless OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/tracing.md).
node --watch --import ./dist/tracing/register.js dist/worker.js & children+=($!)
node --watch --import ./dist/tracing/register.js dist/main.js & children+=($!)
echo "dev: API on http://127.0.0.1:${PORT:-3000} (docs at /docs, queues at /admin/queues), emails at http://127.0.0.1:${SMTP_SINK_HTTP_PORT:-2580}/messages; editing src/ restarts the API and the worker"
# The first to stop (a crash, or Ctrl-C) stops the rest.
wait -n "${children[@]}"
