#!/usr/bin/env bash
# `npm run dev`: everything a fresh machine needs, then the API, its worker, the fake payment
# provider and the SMTP sink on local defaults. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh up
npx tsx scripts/db/migrate.ts
npx tsx scripts/db/seed.ts --scale small --if-empty
npx nest build

children=()
stop() {
  trap - INT TERM EXIT
  # SIGTERM: the worker finishes its active jobs before it exits.
  kill -TERM "${children[@]}" 2>/dev/null || true
  wait "${children[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

node --import tsx dev/fake-payment-gateway.ts & children+=($!)
node --import tsx dev/smtp-sink.ts & children+=($!)
node dist/worker.js & children+=($!)
node dist/main.js & children+=($!)
echo "dev: API on http://127.0.0.1:${PORT:-3000} (docs at /docs, queues at /admin/queues), emails at http://127.0.0.1:2580/messages"
# The first to stop (a crash, or Ctrl-C) stops the rest.
wait -n "${children[@]}"
