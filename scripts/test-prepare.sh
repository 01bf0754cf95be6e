#!/usr/bin/env bash
# Runs before `npm test`: services up (replicas included), then the test database migrated and
# freshly seeded at small scale, so every run starts from the same data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh up
export NODE_ENV=test
npx tsx scripts/db/migrate.ts
npx tsx scripts/db/seed.ts --scale small
# The cache Redis outlives test runs: drop what earlier runs left under the test prefix.
redis-cli -p "${CACHE_REDIS_PORT:-6380}" --scan --pattern 'store-api:test:*' | xargs -r -n 500 redis-cli -p "${CACHE_REDIS_PORT:-6380}" unlink >/dev/null
