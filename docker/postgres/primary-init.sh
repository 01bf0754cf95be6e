#!/bin/bash
# Runs once at the primary's first start: let the replicas stream (trust, as the dev database does).
set -e
echo "host replication all all trust" >> "$PGDATA/pg_hba.conf"
