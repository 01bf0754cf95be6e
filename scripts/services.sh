#!/usr/bin/env bash
# Local services for dev and CI, without Docker: the PostgreSQL primary (the machine's `main`
# cluster), two streaming replicas made with pg_basebackup, Redis in its two roles, and PgBouncer
# (transaction pooling in front of the primary; the Debian package, installed if missing), plus a
# 3-master Redis Cluster that the tests run the cache and queues against, and HAProxy in front of
# the API instances that `npm run cluster` starts (docs/load-balancer.md).
#
#   scripts/services.sh up        idempotent; fast when everything already runs
#   scripts/services.sh down      stops what `up` started (replicas, cache Redis, PgBouncer,
#                                 Redis Cluster)
#   scripts/services.sh status    one line per service
#   scripts/services.sh balancer-config   prints the HAProxy configuration `up` writes (the
#                                 BALANCER_* variables below change it; the tests run it)
#   scripts/services.sh purge     down, then delete the replica clusters, their slots,
#                                 PgBouncer's state directory and the Redis Cluster's
#
# Ports follow .env.example: primary 5432, replicas 5433/5434, queue Redis 6379, cache Redis 6380,
# PgBouncer 6432, Redis Cluster 7001-7003 (cluster bus on 17001-17003), HAProxy 8080 (its stats
# page on 8404) in front of API instances on 3101, 3102, …
set -euo pipefail

PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICA_PORTS=(${REPLICA_PORTS:-5433 5434})
QUEUE_REDIS_PORT=${QUEUE_REDIS_PORT:-6379}
CACHE_REDIS_PORT=${CACHE_REDIS_PORT:-6380}
CACHE_REDIS_MAXMEMORY=${CACHE_REDIS_MAXMEMORY:-256mb}
REDIS_CLUSTER_PORTS=(${REDIS_CLUSTER_PORTS:-7001 7002 7003})
PGBOUNCER_PORT=${PGBOUNCER_PORT:-6432}
# Server connections per (database, user); clients beyond it queue in PgBouncer, not in Postgres.
PGBOUNCER_POOL_SIZE=${PGBOUNCER_POOL_SIZE:-10}
# pg sends statement_timeout as a startup parameter, which PgBouncer must ignore: each server
# connection sets it instead (the app's default, DB_STATEMENT_TIMEOUT_MS).
PGBOUNCER_STATEMENT_TIMEOUT_MS=${PGBOUNCER_STATEMENT_TIMEOUT_MS:-5000}
STATE_DIR=${SERVICES_STATE_DIR:-/var/tmp/store-api-services}
PGBOUNCER_DIR=$STATE_DIR/pgbouncer
# The balancer: loopback only by default (local instances run with the public development secret).
BALANCER_BIND=${BALANCER_BIND:-127.0.0.1}
BALANCER_PORT=${BALANCER_PORT:-8080}
BALANCER_STATS_PORT=${BALANCER_STATS_PORT:-8404}
# Server slots api1..apiN on consecutive ports, in maintenance until `npm run cluster` enables them.
BALANCER_FIRST_INSTANCE_PORT=${BALANCER_FIRST_INSTANCE_PORT:-3101}
BALANCER_SLOTS=${BALANCER_SLOTS:-8}
# An instance is out after CHECK_FALL failed checks CHECK_INTERVAL_MS apart: its drain
# (SHUTDOWN_DRAIN_MS) must be longer than interval × fall.
BALANCER_CHECK_INTERVAL_MS=${BALANCER_CHECK_INTERVAL_MS:-1000}
BALANCER_CHECK_FALL=${BALANCER_CHECK_FALL:-2}
BALANCER_CHECK_RISE=${BALANCER_CHECK_RISE:-2}
BALANCER_DIR=${BALANCER_DIR:-$STATE_DIR/haproxy}
HAPROXY_BIN=/usr/sbin/haproxy
PGBOUNCER_BIN=/usr/sbin/pgbouncer
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

# PgBouncer: this project's own instance (config, pid and log under $PGBOUNCER_DIR), never the
# package's /etc/pgbouncer one. It runs as postgres (PgBouncer refuses root).
pgbouncer_admin() { # query on the admin console
  psql -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U postgres -d pgbouncer -XAtqc "$1"
}

running() { # pid: alive and not a zombie (this machine's init may reap exited daemons late)
  [[ $(ps -o stat= -p "$1" 2>/dev/null) == [^Z]* ]]
}

pgbouncer_pid() { # our instance's pid, if it runs
  local pid
  pid=$(cat "$PGBOUNCER_DIR/pgbouncer.pid" 2>/dev/null) && running "$pid" && echo "$pid"
}

pgbouncer_up() { pgbouncer_admin 'SHOW VERSION' >/dev/null 2>&1; }

# The package starts and enables its own instance (md5 auth on :6432); ours takes its place.
disable_system_pgbouncer() {
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now pgbouncer.service >/dev/null 2>&1 || true
  else
    update-rc.d pgbouncer disable >/dev/null 2>&1 || true
    start-stop-daemon --stop --quiet --oknodo --retry 5 --pidfile /var/run/postgresql/pgbouncer.pid \
      --exec "$PGBOUNCER_BIN" >/dev/null 2>&1 || true
  fi
}

# apt-get install PACKAGE unless BINARY exists (a fresh machine may have no package lists yet).
install_package() {
  local package=$1 binary=$2 minimum=$3
  [[ -x $binary ]] && return 0
  command -v apt-get >/dev/null 2>&1 || fail "$package is missing and there is no apt-get: install $package (≥ $minimum)."
  log "installing $package (apt-get install $package)"
  mkdir -p "$STATE_DIR"
  local install=(apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold "$package")
  if ! DEBIAN_FRONTEND=noninteractive "${install[@]}" >"$STATE_DIR/$package-install.log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$STATE_DIR/$package-install.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive "${install[@]}" >>"$STATE_DIR/$package-install.log" 2>&1 ||
      fail "apt-get install $package failed; see $STATE_DIR/$package-install.log"
  fi
}

install_pgbouncer() {
  [[ -x $PGBOUNCER_BIN ]] && return 0
  install_package pgbouncer "$PGBOUNCER_BIN" 1.18
  disable_system_pgbouncer
}

pgbouncer_ini() {
  cat <<EOF
; Written by scripts/services.sh (edits are overwritten): this project's PgBouncer.
[databases]
; Every database of the primary, as the connecting user. Each server connection sets the
; statement timeout that pg's startup parameter cannot carry through PgBouncer.
* = host=127.0.0.1 port=$PRIMARY_PORT connect_query='SET statement_timeout = $PGBOUNCER_STATEMENT_TIMEOUT_MS'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $PGBOUNCER_DIR/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = $PGBOUNCER_POOL_SIZE
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 500
; What node-postgres (and JDBC) send at connect that PgBouncer would otherwise refuse.
ignore_startup_parameters = extra_float_digits,options,statement_timeout
log_connections = 0
log_disconnections = 0
logfile = $PGBOUNCER_DIR/pgbouncer.log
pidfile = $PGBOUNCER_DIR/pgbouncer.pid
EOF
}

write_pgbouncer_config() { # succeeds when the files changed
  install -d -o postgres -g postgres -m 0755 "$PGBOUNCER_DIR"
  local changed=1
  if ! cmp -s <(pgbouncer_ini) "$PGBOUNCER_DIR/pgbouncer.ini"; then
    pgbouncer_ini >"$PGBOUNCER_DIR/pgbouncer.ini"
    changed=0
  fi
  if ! cmp -s <(echo '"postgres" ""') "$PGBOUNCER_DIR/userlist.txt"; then
    echo '"postgres" ""' >"$PGBOUNCER_DIR/userlist.txt"
    changed=0
  fi
  chown postgres:postgres "$PGBOUNCER_DIR/pgbouncer.ini" "$PGBOUNCER_DIR/userlist.txt"
  return "$changed"
}

start_pgbouncer() {
  install_pgbouncer
  if write_pgbouncer_config && pgbouncer_pid >/dev/null; then
    log "PgBouncer's configuration changed: restarting it"
    stop_pgbouncer
  fi
  if pgbouncer_pid >/dev/null; then
    wait_for "PgBouncer on :$PGBOUNCER_PORT (log: $PGBOUNCER_DIR/pgbouncer.log)" pgbouncer_up
    return 0
  fi
  # The package's instance, if something started it, would hold the port.
  [[ ! -f /var/run/postgresql/pgbouncer.pid ]] || disable_system_pgbouncer
  if pg_isready -q -h 127.0.0.1 -p "$PGBOUNCER_PORT" || (($? == 1)); then
    fail "something else listens on :$PGBOUNCER_PORT: stop it, or set PGBOUNCER_PORT."
  fi
  log "starting PgBouncer on :$PGBOUNCER_PORT (transaction pooling in front of :$PRIMARY_PORT)"
  as_postgres "$PGBOUNCER_BIN" -d -q "$PGBOUNCER_DIR/pgbouncer.ini"
  wait_for "PgBouncer on :$PGBOUNCER_PORT (log: $PGBOUNCER_DIR/pgbouncer.log)" pgbouncer_up
}

stop_pgbouncer() {
  local pid
  pid=$(pgbouncer_pid) || return 0
  log "stopping PgBouncer"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do running "$pid" || return 0; sleep 0.1; done
  fail "PgBouncer (pid $pid) did not stop within 5 s"
}

# Redis Cluster: three masters, no replicas, no persistence (test data only); each node keeps
# its cluster identity in $STATE_DIR/redis-cluster/<port>/nodes.conf, so after a restart they
# find each other again and `redis-cli --cluster create` runs only once. One cluster serves both
# Redis roles in the tests, so it never evicts (the queue role's rule; the cache's keys have TTLs).
cluster_dir() { echo "$STATE_DIR/redis-cluster/$1"; }

cluster_info() { # port, field of CLUSTER INFO
  redis-cli -p "$1" cluster info 2>/dev/null | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'
}

cluster_ok() { # every node sees the whole cluster: all slots served, state ok
  local port
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    [[ $(cluster_info "$port" cluster_state) == ok && $(cluster_info "$port" cluster_known_nodes) == "${#REDIS_CLUSTER_PORTS[@]}" ]] || return 1
  done
}

cluster_fresh() { # no node has joined a cluster yet
  local port
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    [[ $(cluster_info "$port" cluster_known_nodes) == 1 && $(cluster_info "$port" cluster_slots_assigned) == 0 ]] || return 1
  done
}

start_redis_cluster() {
  local port started=0
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    redis_up "$port" && continue
    local dir
    dir=$(cluster_dir "$port")
    mkdir -p "$dir"
    log "starting Redis Cluster node on :$port"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --cluster-enabled yes \
      --cluster-config-file nodes.conf --cluster-node-timeout 2000 --maxmemory-policy noeviction \
      --save '' --appendonly no --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
    started=1
  done
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    wait_for "Redis Cluster node on :$port" redis_up "$port"
    # Resetting below flushes nodes: never one that another Redis on the port stands in for.
    [[ $(redis-cli -p "$port" config get dir 2>/dev/null | tail -1) == "$(cluster_dir "$port")" ]] ||
      fail ":$port answers, but not as this project's Redis Cluster node: stop it, or set REDIS_CLUSTER_PORTS."
  done
  cluster_ok && return 0
  # Restarted nodes (nodes.conf kept) need a moment to agree again before the cluster is whole.
  if ((started)) && ! cluster_fresh; then
    for _ in $(seq 1 50); do cluster_ok && return 0; sleep 0.1; done
  fi
  if ! cluster_fresh; then
    log "Redis Cluster is broken (a node lost its identity or slots): resetting it (its data is lost)"
    for port in "${REDIS_CLUSTER_PORTS[@]}"; do
      redis-cli -p "$port" flushall >/dev/null
      redis-cli -p "$port" cluster reset hard >/dev/null
    done
  fi
  log "creating Redis Cluster on :${REDIS_CLUSTER_PORTS[*]} (${#REDIS_CLUSTER_PORTS[@]} masters, no replicas)"
  local nodes=()
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do nodes+=("127.0.0.1:$port"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$STATE_DIR/redis-cluster/create.log" 2>&1 ||
    fail "redis-cli --cluster create failed; see $STATE_DIR/redis-cluster/create.log"
  wait_for "Redis Cluster to agree on its slots" cluster_ok
}

stop_redis_cluster() {
  local port
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    [[ -f $(cluster_dir "$port")/redis.pid ]] && redis_up "$port" || continue
    log "stopping Redis Cluster node :$port"
    redis-cli -p "$port" shutdown nosave >/dev/null || true
  done
}

# HAProxy: this project's own instance (config, pid and stats socket under $BALANCER_DIR), never
# the package's /etc/haproxy one.
haproxy_pid() {
  local pid
  pid=$(cat "$BALANCER_DIR/haproxy.pid" 2>/dev/null) && running "$pid" && echo "$pid"
}

disable_system_haproxy() {
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now haproxy.service >/dev/null 2>&1 || true
  else
    update-rc.d haproxy disable >/dev/null 2>&1 || true
    start-stop-daemon --stop --quiet --oknodo --retry 5 --pidfile /run/haproxy.pid --exec "$HAPROXY_BIN" >/dev/null 2>&1 || true
  fi
}

install_haproxy() {
  [[ -x $HAPROXY_BIN ]] && return 0
  install_package haproxy "$HAPROXY_BIN" 2.4
  disable_system_haproxy
}

balancer_config() {
  cat <<EOF
# Written by scripts/services.sh (edits are overwritten): this project's HAProxy (docs/load-balancer.md).
global
    pidfile $BALANCER_DIR/haproxy.pid
    # The runtime API: \`show stat\`, \`set server api/apiN state ready|maint\` (npm run cluster).
    stats socket $BALANCER_DIR/admin.sock mode 600 level admin

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 10s
    timeout check ${BALANCER_CHECK_INTERVAL_MS}ms
    # Up to 3 more attempts, each on another server (redispatch on every retry): a dead instance
    # costs a retry, not an error.
    retries 3
    option redispatch 1
    # Not 503: from this API it means a shared dependency is down (another instance would say the
    # same, and retries multiply the load on it); a stopping instance is drained, not retried.
    retry-on conn-failure empty-response response-timeout

frontend api
    bind $BALANCER_BIND:$BALANCER_PORT
    # The client's address for the API's rate limits (TRUST_PROXY), never a value the client sent.
    http-request set-header X-Forwarded-For %[src]
    default_backend api

backend api
    balance roundrobin
    option httpchk GET /health/ready
    http-check expect status 200
    # A request that reached a server is retried only if its method is idempotent (a POST may have
    # done its work); one whose connection never opened is retried whatever its method.
    acl idempotent method GET HEAD OPTIONS PUT DELETE
    http-request disable-l7-retry unless idempotent
    default-server check inter ${BALANCER_CHECK_INTERVAL_MS}ms fall $BALANCER_CHECK_FALL rise $BALANCER_CHECK_RISE
EOF
  local slot
  for slot in $(seq 1 "$BALANCER_SLOTS"); do
    echo "    server api$slot 127.0.0.1:$((BALANCER_FIRST_INSTANCE_PORT + slot - 1)) disabled"
  done
  if ((BALANCER_STATS_PORT)); then
    cat <<EOF

frontend stats
    bind 127.0.0.1:$BALANCER_STATS_PORT
    stats enable
    stats uri /
    stats refresh 2s
EOF
  fi
}

start_balancer() {
  install_haproxy
  mkdir -p "$BALANCER_DIR"
  local config=$BALANCER_DIR/haproxy.cfg pid
  pid=$(haproxy_pid) || true
  if [[ -n $pid ]] && cmp -s <(balancer_config) "$config"; then return 0; fi
  balancer_config >"$config.new"
  "$HAPROXY_BIN" -c -q -f "$config.new" || fail "HAProxy refuses the generated $config.new"
  mv "$config.new" "$config"
  if [[ -z $pid ]] && (exec 3<>"/dev/tcp/127.0.0.1/$BALANCER_PORT") 2>/dev/null; then
    fail "something else listens on :$BALANCER_PORT: stop it, or set BALANCER_PORT."
  fi
  if [[ -n $pid ]]; then
    # -sf: the new process takes the ports, the old one finishes its connections and exits. Slots
    # restart in maintenance; a running `npm run cluster` enables its instances again.
    log "HAProxy's configuration changed: reloading it"
    "$HAPROXY_BIN" -D -f "$config" -sf "$pid"
  else
    log "starting HAProxy on $BALANCER_BIND:$BALANCER_PORT (instances from :$BALANCER_FIRST_INSTANCE_PORT, stats on :$BALANCER_STATS_PORT)"
    "$HAPROXY_BIN" -D -f "$config"
  fi
  wait_for "HAProxy on :$BALANCER_PORT" test -S "$BALANCER_DIR/admin.sock"
}

stop_balancer() {
  local pid
  pid=$(haproxy_pid) || return 0
  log "stopping HAProxy"
  kill -USR1 "$pid" 2>/dev/null || true # soft stop: finishes the connections it has
  for _ in $(seq 1 50); do running "$pid" || return 0; sleep 0.1; done
  kill -TERM "$pid" 2>/dev/null || true
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
  start_redis_cluster
  start_pgbouncer
  start_balancer
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
  stop_redis_cluster
  # The queue Redis is stopped only if we started it (the machine's own Redis stays).
  if [[ -f $STATE_DIR/redis-queue.pid ]] && redis_up "$QUEUE_REDIS_PORT"; then
    log "stopping queue Redis"; redis-cli -p "$QUEUE_REDIS_PORT" shutdown >/dev/null || true
    rm -f "$STATE_DIR/redis-queue.pid"
  fi
  stop_pgbouncer
  stop_balancer
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
  [[ ! -d $PGBOUNCER_DIR ]] || { log "deleting PgBouncer's state ($PGBOUNCER_DIR)"; rm -rf "$PGBOUNCER_DIR"; }
  [[ ! -d $STATE_DIR/redis-cluster ]] || { log "deleting Redis Cluster's state"; rm -rf "$STATE_DIR/redis-cluster"; }
  [[ ! -d $BALANCER_DIR ]] || { log "deleting HAProxy's state ($BALANCER_DIR)"; rm -rf "$BALANCER_DIR"; }
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
  local ports=${REDIS_CLUSTER_PORTS[*]}
  printf 'services: redis cluster :%s %s\n' "${ports// /,}" "$(cluster_ok && echo "up (${#REDIS_CLUSTER_PORTS[@]} masters, state ok)" || echo DOWN)"
  local pool_mode
  pool_mode=$(pgbouncer_admin 'SHOW CONFIG' 2>/dev/null | awk -F'|' '$1 == "pool_mode" { print $2 }') || true
  printf 'services: pgbouncer :%s %s\n' "$PGBOUNCER_PORT" "$(pgbouncer_pid >/dev/null && [[ -n $pool_mode ]] && echo "up ($pool_mode pooling, → :$PRIMARY_PORT)" || echo DOWN)"
  printf 'services: haproxy :%s %s\n' "$BALANCER_PORT" "$(haproxy_pid >/dev/null && echo "up (instances from :$BALANCER_FIRST_INSTANCE_PORT; npm run cluster)" || echo DOWN)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  purge) purge ;;
  balancer-config) balancer_config ;;
  *) echo "usage: $0 up|down|status|purge|balancer-config" >&2; exit 2 ;;
esac
