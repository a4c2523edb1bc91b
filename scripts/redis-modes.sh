#!/usr/bin/env bash
# Start or stop the Redis topologies wabulk's integration tests run on, on
# loopback, with nothing but redis-server and redis-cli:
#
#   - a Redis Cluster of 3 masters (ports 7101-7103, password wabulk-cluster-pw);
#   - a master (6401) and its replica (6402) watched by 3 Sentinels
#     (26401-26403) under the name "wabulk", quorum 2; the data nodes'
#     password is wabulk-master-pw, the Sentinels' wabulk-sentinel-pw.
#
#   eval "$(scripts/redis-modes.sh start)"   # start both, export WABULK_TEST_REDIS_CLUSTER and _SENTINEL
#   scripts/redis-modes.sh env               # print those exports again
#   scripts/redis-modes.sh status            # what each topology says of itself
#   scripts/redis-modes.sh stop              # stop everything started here, remove its files
#
# start first stops what an earlier start left, then waits until the
# Cluster says cluster_state:ok on every node and every Sentinel sees the
# replica and the other Sentinels. Progress goes to stderr, the exports to
# stdout. Files (configs, logs, pid files) live in $WABULK_MODES_DIR
# (default: $TMPDIR/wabulk-redis-modes). The ports can be moved with
# WABULK_MODES_CLUSTER_PORTS, WABULK_MODES_MASTER_PORT,
# WABULK_MODES_REPLICA_PORT and WABULK_MODES_SENTINEL_PORTS.
set -euo pipefail

DIR=${WABULK_MODES_DIR:-${TMPDIR:-/tmp}/wabulk-redis-modes}
read -r -a CLUSTER_PORTS <<<"${WABULK_MODES_CLUSTER_PORTS:-7101 7102 7103}"
MASTER_PORT=${WABULK_MODES_MASTER_PORT:-6401}
REPLICA_PORT=${WABULK_MODES_REPLICA_PORT:-6402}
read -r -a SENTINEL_PORTS <<<"${WABULK_MODES_SENTINEL_PORTS:-26401 26402 26403}"
MASTER_NAME=wabulk
CLUSTER_PASSWORD=wabulk-cluster-pw
MASTER_PASSWORD=wabulk-master-pw
SENTINEL_PASSWORD=wabulk-sentinel-pw
TIMEOUT=${WABULK_MODES_TIMEOUT:-60} # seconds each wait may take

say() { echo "redis-modes: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# cli PORT PASSWORD ARGS...: redis-cli on loopback (the password through
# the environment, not the command line).
cli() {
  local port=$1 pass=$2
  shift 2
  REDISCLI_AUTH=$pass redis-cli -h 127.0.0.1 -p "$port" "$@"
}

# field NAME: the value after the line NAME in redis-cli's one-per-line
# output of a map (SENTINEL MASTER, ...).
field() { awk -v k="$1" 'prev == k { print; exit } { prev = $0 }'; }

# wait_until WHAT COMMAND...: run COMMAND until it succeeds, TIMEOUT at most.
wait_until() {
  local what=$1 deadline=$((SECONDS + TIMEOUT))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "timed out after ${TIMEOUT}s waiting for $what (logs in $DIR)"
    sleep 0.1
  done
}

env_lines() {
  local cluster="" sentinels="" p
  for p in "${CLUSTER_PORTS[@]}"; do cluster+="${cluster:+,}127.0.0.1:$p"; done
  for p in "${SENTINEL_PORTS[@]}"; do sentinels+="${sentinels:+,}127.0.0.1:$p"; done
  echo "export WABULK_TEST_REDIS_CLUSTER='redis+cluster://:$CLUSTER_PASSWORD@$cluster'"
  echo "export WABULK_TEST_REDIS_SENTINEL='redis+sentinel://:$MASTER_PASSWORD@$sentinels/$MASTER_NAME/0?sentinel_password=$SENTINEL_PASSWORD'"
}

# server NAME CONFIG-LINES: write NAME.conf and start a daemonized
# redis-server (or Sentinel) on it; it records its pid in NAME.pid.
server() {
  local name=$1 conf=$DIR/$1.conf mode=()
  shift
  mkdir -p "$DIR/$name"
  {
    echo "bind 127.0.0.1"
    echo "daemonize yes"
    echo "dir $DIR/$name"
    echo "pidfile $DIR/$name.pid"
    echo "logfile $DIR/$name.log"
    printf '%s\n' "$@"
  } >"$conf"
  [[ $name == sentinel-* ]] && mode=(--sentinel)
  redis-server "$conf" "${mode[@]}" >/dev/null
}

port_free() { ! (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# alive PID: the process runs (a zombie waiting for its parent to reap it
# does not).
alive() {
  local stat
  stat=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $stat != Z* ]]
}

stop() {
  [[ -d $DIR ]] || return 0
  local pidfile pid pids=()
  for pidfile in "$DIR"/*.pid; do
    [[ -f $pidfile ]] || continue
    pid=$(<"$pidfile")
    # Only a redis-server this script started: the pid file's process, if
    # it is still a redis-server.
    if [[ $pid =~ ^[0-9]+$ ]] && [[ "$(ps -p "$pid" -o comm= 2>/dev/null)" == redis-server* ]]; then
      kill "$pid" 2>/dev/null && pids+=("$pid")
    fi
  done
  local deadline=$((SECONDS + 10))
  for pid in "${pids[@]}"; do
    while alive "$pid"; do
      if ((SECONDS >= deadline)); then
        kill -9 "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.05
    done
  done
  rm -rf "$DIR"
}

cluster_ok() {
  local p
  for p in "${CLUSTER_PORTS[@]}"; do
    cli "$p" "$CLUSTER_PASSWORD" cluster info | grep -q '^cluster_state:ok' || return 1
  done
}

replica_up() { cli "$REPLICA_PORT" "$MASTER_PASSWORD" info replication | grep -q '^master_link_status:up'; }

# Every Sentinel knows the master, its replica (healthy) and the others.
sentinels_ready() {
  local p m
  for p in "${SENTINEL_PORTS[@]}"; do
    m=$(cli "$p" "$SENTINEL_PASSWORD" sentinel master "$MASTER_NAME") || return 1
    [[ $(field num-slaves <<<"$m") == 1 ]] || return 1
    [[ $(field num-other-sentinels <<<"$m") == $((${#SENTINEL_PORTS[@]} - 1)) ]] || return 1
    [[ $(cli "$p" "$SENTINEL_PASSWORD" sentinel replicas "$MASTER_NAME" | field flags) == slave ]] || return 1
  done
}

start() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    die "redis-server and redis-cli are needed (apt-get install redis-server)"
  stop
  local p
  for p in "${CLUSTER_PORTS[@]}" "$MASTER_PORT" "$REPLICA_PORT" "${SENTINEL_PORTS[@]}"; do
    port_free "$p" || die "port $p on 127.0.0.1 is in use: stop what listens there, or move the ports (see the script's header)"
  done
  mkdir -p "$DIR"

  local persist=("save \"\"" "appendonly no" "repl-diskless-sync-delay 0")
  for p in "${CLUSTER_PORTS[@]}"; do
    server "cluster-$p" "port $p" "${persist[@]}" "cluster-enabled yes" "cluster-config-file nodes.conf" \
      "cluster-node-timeout 3000" "requirepass $CLUSTER_PASSWORD" "masterauth $CLUSTER_PASSWORD"
  done
  server master "port $MASTER_PORT" "${persist[@]}" "requirepass $MASTER_PASSWORD" "masterauth $MASTER_PASSWORD"

  # The Cluster forms in the background (redis-cli waits for the nodes to
  # agree) while the Sentinels' side comes up.
  local nodes=() create
  for p in "${CLUSTER_PORTS[@]}"; do
    wait_until "cluster node $p" cli "$p" "$CLUSTER_PASSWORD" ping
    nodes+=("127.0.0.1:$p")
  done
  REDISCLI_AUTH=$CLUSTER_PASSWORD redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes \
    >"$DIR/cluster-create.log" 2>&1 &
  create=$!

  # The replica starts once the master answers, and the Sentinels once the
  # master lists the replica: they learn of it from the master's INFO,
  # which they read every 10 s only.
  wait_until "the master on $MASTER_PORT" cli "$MASTER_PORT" "$MASTER_PASSWORD" ping
  server replica "port $REPLICA_PORT" "${persist[@]}" "requirepass $MASTER_PASSWORD" "masterauth $MASTER_PASSWORD" \
    "replicaof 127.0.0.1 $MASTER_PORT"
  wait_until "the replica on $REPLICA_PORT to sync" replica_up
  for p in "${SENTINEL_PORTS[@]}"; do
    server "sentinel-$p" "port $p" "requirepass $SENTINEL_PASSWORD" "sentinel sentinel-pass $SENTINEL_PASSWORD" \
      "sentinel monitor $MASTER_NAME 127.0.0.1 $MASTER_PORT 2" "sentinel auth-pass $MASTER_NAME $MASTER_PASSWORD" \
      "sentinel down-after-milliseconds $MASTER_NAME 2000" "sentinel failover-timeout $MASTER_NAME 10000"
  done

  wait "$create" || die "redis-cli --cluster create failed: $(tail -3 "$DIR/cluster-create.log")"
  wait_until "cluster_state:ok on ${CLUSTER_PORTS[*]}" cluster_ok
  say "cluster of ${#CLUSTER_PORTS[@]} masters up on ${CLUSTER_PORTS[*]}"
  wait_until "the Sentinels on ${SENTINEL_PORTS[*]} to see the replica and each other" sentinels_ready
  say "master $MASTER_PORT + replica $REPLICA_PORT watched by Sentinels on ${SENTINEL_PORTS[*]} (master name $MASTER_NAME)"
  env_lines
}

status() {
  local p
  for p in "${CLUSTER_PORTS[@]}"; do
    echo "cluster node $p: $(cli "$p" "$CLUSTER_PASSWORD" cluster info 2>&1 | grep -E '^cluster_state' | tr -d '\r' || echo down)"
  done
  for p in "${SENTINEL_PORTS[@]}"; do
    echo "sentinel $p: master $MASTER_NAME at $(cli "$p" "$SENTINEL_PASSWORD" sentinel get-master-addr-by-name "$MASTER_NAME" 2>&1 | paste -sd: || echo down)"
  done
}

case ${1:-} in
start) start ;;
stop) stop ;;
env) env_lines ;;
status) status ;;
*)
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
