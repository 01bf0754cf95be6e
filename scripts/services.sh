#!/usr/bin/env bash
# Local services for dev and CI, without Docker: the PostgreSQL primary (the machine's `main`
# cluster), two streaming replicas made with pg_basebackup, and Redis in its two roles.
#
#   scripts/services.sh up        idempotent; fast when everything already runs
#   scripts/services.sh down      stops what `up` started (replicas, cache Redis)
#   scripts/services.sh status    one line per service
#   scripts/services.sh purge     down, then delete the replica clusters and their slots
#
# Ports follow .env.example: primary 5432, replicas 5433/5434, queue Redis 6379, cache Redis 6380.
set -euo pipefail

PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICA_PORTS=(${REPLICA_PORTS:-5433 5434})
QUEUE_REDIS_PORT=${QUEUE_REDIS_PORT:-6379}
CACHE_REDIS_PORT=${CACHE_REDIS_PORT:-6380}
CACHE_REDIS_MAXMEMORY=${CACHE_REDIS_MAXMEMORY:-256mb}
STATE_DIR=${SERVICES_STATE_DIR:-/var/tmp/store-api-services}
PG_SOCKET_DIR=/var/run/postgresql

log() { printf 'services: %s\n' "$*"; }
fail() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

require() {
  local missing=()
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  if ((${#missing[@]})); then
    fail "missing ${missing[*]}. On Debian: apt-get install postgresql-15 redis-server (PostgreSQL's tools come with postgresql-common)."
  fi
}

pg_version() {
  local version
  version=$(pg_lsclusters -h 2>/dev/null | awk '$2 == "main" { print $1; exit }')
  [[ -n $version ]] || fail "no PostgreSQL cluster named 'main' (pg_lsclusters shows none); install postgresql and create it."
  echo "$version"
}

as_postgres() { runuser -u postgres -- "$@"; }

cluster_status() { pg_lsclusters -h | awk -v v="$1" -v n="$2" '$1 == v && $2 == n { print $4 }'; }

sql() { # port, query
  psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtqc "$2"
}

wait_for() { # description, command...
  local description=$1; shift
  for _ in $(seq 1 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "$description did not come up within 10 s"
}

start_primary() {
  local version=$1
  if [[ $(cluster_status "$version" main) != online* ]]; then
    log "starting the primary (cluster $version/main)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  wait_for "the primary on :$PRIMARY_PORT" pg_isready -q -h 127.0.0.1 -p "$PRIMARY_PORT"

  # Replicas stream over the local socket as the postgres user; the machine's pg_hba.conf has no
  # replication line, and wal_level must allow streaming.
  local hba
  hba=$(sql "$PRIMARY_PORT" 'SHOW hba_file')
  if ! grep -Eq '^local[[:space:]]+replication' "$hba"; then
    log "allowing local replication connections in $hba"
    printf '\n# store-api services: streaming replicas on this machine\nlocal   replication   postgres   peer\nhost    replication   postgres   127.0.0.1/32   trust\n' >>"$hba"
    sql "$PRIMARY_PORT" 'SELECT pg_reload_conf()' >/dev/null
  fi
  [[ $(sql "$PRIMARY_PORT" 'SHOW wal_level') != minimal ]] || fail "wal_level=minimal on the primary: set it to replica and restart it."
}

replica_healthy() { # port
  [[ $(sql "$1" 'SELECT pg_is_in_recovery()' 2>/dev/null) == t ]]
}

make_replica() { # version, name, port
  local version=$1 name=$2 port=$3 data="/var/lib/postgresql/$1/$2" slot="${2}_slot"
  log "creating replica $name on :$port (pg_basebackup from :$PRIMARY_PORT)"
  if [[ -n $(cluster_status "$version" "$name") ]]; then
    pg_ctlcluster --skip-systemctl-redirect "$version" "$name" stop -m fast 2>/dev/null || true
    pg_dropcluster "$version" "$name"
  fi
  pg_createcluster "$version" "$name" -p "$port" >/dev/null
  # The new cluster gets the primary's auth rules, or clients fail with "no password supplied".
  cp "$(sql "$PRIMARY_PORT" 'SHOW hba_file')" "/etc/postgresql/$version/$name/pg_hba.conf"
  cat >>"/etc/postgresql/$version/$name/postgresql.conf" <<EOF

# store-api services: streaming replica of :$PRIMARY_PORT
hot_standby = on
hot_standby_feedback = on
EOF
  sql "$PRIMARY_PORT" "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots WHERE slot_name = '$slot' AND NOT active" >/dev/null
  find "$data" -mindepth 1 -delete
  # -C -S: a physical slot keeps the WAL a stopped replica still needs.
  as_postgres pg_basebackup -D "$data" -R -X stream -c fast -C -S "$slot" -h "$PG_SOCKET_DIR" -p "$PRIMARY_PORT"
  pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start
}

start_replica() { # version, index
  local version=$1 index=$2 name="replica$2" port=${REPLICA_PORTS[$(($2 - 1))]}
  local status
  status=$(cluster_status "$version" "$name")
  if [[ $status == online*recovery* ]] && replica_healthy "$port"; then return 0; fi
  if [[ -n $status && -f /var/lib/postgresql/$version/$name/standby.signal ]]; then
    [[ $status == online* ]] || { log "starting replica $name on :$port"; pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start || true; }
    for _ in $(seq 1 50); do replica_healthy "$port" && return 0; sleep 0.1; done
    log "replica $name does not come back; rebuilding it"
  fi
  make_replica "$version" "$name" "$port"
  wait_for "replica $name on :$port" replica_healthy "$port"
}

redis_up() { redis-cli -p "$1" ping 2>/dev/null | grep -q PONG; }

start_redis() {
  mkdir -p "$STATE_DIR"
  if ! redis_up "$QUEUE_REDIS_PORT"; then
    log "starting queue Redis on :$QUEUE_REDIS_PORT (noeviction, AOF)"
    mkdir -p "$STATE_DIR/redis-queue"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$QUEUE_REDIS_PORT" --maxmemory-policy noeviction \
      --appendonly yes --save '' --dir "$STATE_DIR/redis-queue" --logfile "$STATE_DIR/redis-queue.log" \
      --pidfile "$STATE_DIR/redis-queue.pid"
    wait_for "queue Redis on :$QUEUE_REDIS_PORT" redis_up "$QUEUE_REDIS_PORT"
  fi
  # BullMQ loses jobs under eviction: the queue role must never evict.
  if [[ $(redis-cli -p "$QUEUE_REDIS_PORT" config get maxmemory-policy | tail -1) != noeviction ]]; then
    log "setting maxmemory-policy noeviction on the queue Redis"
    redis-cli -p "$QUEUE_REDIS_PORT" config set maxmemory-policy noeviction >/dev/null
  fi
  if ! redis_up "$CACHE_REDIS_PORT"; then
    log "starting cache Redis on :$CACHE_REDIS_PORT (allkeys-lru, maxmemory $CACHE_REDIS_MAXMEMORY)"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$CACHE_REDIS_PORT" \
      --maxmemory "$CACHE_REDIS_MAXMEMORY" --maxmemory-policy allkeys-lru --save '' --appendonly no \
      --dir "$STATE_DIR" --logfile "$STATE_DIR/redis-cache.log" --pidfile "$STATE_DIR/redis-cache.pid"
    wait_for "cache Redis on :$CACHE_REDIS_PORT" redis_up "$CACHE_REDIS_PORT"
  fi
}

up() {
  require pg_lsclusters pg_createcluster pg_ctlcluster pg_dropcluster pg_isready psql runuser redis-server redis-cli
  [[ $(id -u) == 0 ]] || fail "services:up manages PostgreSQL clusters and needs root (run it with sudo)."
  local version
  version=$(pg_version)
  start_primary "$version"
  local index
  for index in "${!REPLICA_PORTS[@]}"; do start_replica "$version" $((index + 1)); done
  start_redis
  status
}

down() {
  local version index
  version=$(pg_version)
  for index in "${!REPLICA_PORTS[@]}"; do
    local name="replica$((index + 1))"
    if [[ $(cluster_status "$version" "$name") == online* ]]; then
      log "stopping $name"
      pg_ctlcluster --skip-systemctl-redirect "$version" "$name" stop -m fast
    fi
  done
  if redis_up "$CACHE_REDIS_PORT"; then log "stopping cache Redis"; redis-cli -p "$CACHE_REDIS_PORT" shutdown nosave >/dev/null || true; fi
  # The queue Redis is stopped only if we started it (the machine's own Redis stays).
  if [[ -f $STATE_DIR/redis-queue.pid ]] && redis_up "$QUEUE_REDIS_PORT"; then
    log "stopping queue Redis"; redis-cli -p "$QUEUE_REDIS_PORT" shutdown >/dev/null || true
    rm -f "$STATE_DIR/redis-queue.pid"
  fi
}

purge() {
  down
  local version index
  version=$(pg_version)
  for index in "${!REPLICA_PORTS[@]}"; do
    local name="replica$((index + 1))"
    [[ -z $(cluster_status "$version" "$name") ]] || { log "dropping $name"; pg_dropcluster "$version" "$name"; }
    sql "$PRIMARY_PORT" "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${name}_slot' AND NOT active" >/dev/null || true
  done
}

status() {
  local version
  version=$(pg_version)
  printf 'services: primary   :%s %s\n' "$PRIMARY_PORT" "$(pg_isready -h 127.0.0.1 -p "$PRIMARY_PORT" >/dev/null 2>&1 && echo up || echo DOWN)"
  local index
  for index in "${!REPLICA_PORTS[@]}"; do
    local port=${REPLICA_PORTS[$index]}
    printf 'services: replica%s  :%s %s\n' $((index + 1)) "$port" "$(replica_healthy "$port" && echo 'up (in recovery)' || echo DOWN)"
  done
  printf 'services: redis queue :%s %s\n' "$QUEUE_REDIS_PORT" "$(redis_up "$QUEUE_REDIS_PORT" && echo "up ($(redis-cli -p "$QUEUE_REDIS_PORT" config get maxmemory-policy | tail -1))" || echo DOWN)"
  printf 'services: redis cache :%s %s\n' "$CACHE_REDIS_PORT" "$(redis_up "$CACHE_REDIS_PORT" && echo "up ($(redis-cli -p "$CACHE_REDIS_PORT" config get maxmemory-policy | tail -1))" || echo DOWN)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  purge) purge ;;
  *) echo "usage: $0 up|down|status|purge" >&2; exit 2 ;;
esac
