#!/usr/bin/env bash
# `npm run dev`: everything a fresh machine needs, then the API in the foreground on local defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh up
npx tsx scripts/db/migrate.ts
npx tsx scripts/db/seed.ts --scale small --if-empty
npx nest build
exec node dist/main.js
