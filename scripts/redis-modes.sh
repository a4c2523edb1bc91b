#!/usr/bin/env bash
# Start or stop the Redis topologies wabulk's integration tests and
# benchmarks run on, on loopback, with nothing but redis-server and
# redis-cli:
#
#   - a Redis Cluster of 3 masters, each with one replica (ports 7101-7106,
#     password wabulk-cluster-pw);
#   - a master (6401) and its replica (6402) watched by 3 Sentinels
#     (26401-26403) under the name "wabulk", quorum 2; the data nodes'
#     password is wabulk-master-pw, the Sentinels' wabulk-sentinel-pw.
#
#   eval "$(scripts/redis-modes.sh start)"   # start both, export WABULK_TEST_REDIS_CLUSTER and _SENTINEL
#   scripts/redis-modes.sh env               # print those exports again
#   scripts/redis-modes.sh status            # what each topology says of itself
#   scripts/redis-modes.sh failover-sentinel # SENTINEL FAILOVER, wait until it settles, print the seconds
#   scripts/redis-modes.sh failover-cluster  # CLUSTER FAILOVER of the busiest master, the same
#   scripts/redis-modes.sh stop              # stop everything started here, remove its files
#
# start first stops what an earlier start left, then waits until every
# Cluster node says cluster_state:ok and every master's replica is linked
# and in sync, and every Sentinel sees the replica and the other Sentinels.
# Progress goes to stderr, the exports to stdout. Files (configs, logs,
# data, pid files) live in $WABULK_MODES_DIR (default:
# $TMPDIR/wabulk-redis-modes). The ports can be moved with
# WABULK_MODES_CLUSTER_PORTS (an even number, at least 6: the first half
# become masters), WABULK_MODES_MASTER_PORT, WABULK_MODES_REPLICA_PORT and
# WABULK_MODES_SENTINEL_PORTS.
#
# Durability, as production should run it:
#
#   - Every data node (Cluster and Sentinel's) has appendonly yes (fsync
#     every second), no RDB snapshots: a node that restarts reloads what
#     it acknowledged, up to the last second, instead of coming back empty
#     and handing its emptiness on to its replica.
#   - Sentinel's master and replica have min-replicas-to-write 1 and
#     min-replicas-max-lag 10 (both nodes, as either may be master after a
#     failover): a master refuses writes (NOREPLICAS) while no replica has
#     acknowledged it within 10 s. A master cut off from its replica, which
#     the Sentinels may be replacing at that moment, stops acknowledging
#     claims that the promoted replica would never see. Replication stays
#     asynchronous: what the replica had not received when it was promoted
#     is still lost, so a claim that must survive a failover is confirmed
#     with WAIT before anything acts on it. With one replica the master
#     also refuses writes while its replica is down or resyncing, which is
#     the stall a failover costs. The Cluster's masters keep the default
#     (0): CLUSTER FAILOVER, the failover benchmarks use, waits for the
#     replica to catch up before it switches.
#
# failover-sentinel runs SENTINEL FAILOVER wabulk, waits until a Sentinel
# names the new master and the new master has its replica (the old master)
# linked, and prints the seconds each took. failover-cluster picks the
# master holding the most keys (the owner of slot 0 when none holds any),
# runs CLUSTER FAILOVER on its replica, waits until the replica is master,
# every node agrees and says cluster_state:ok, then until the old master
# is linked as its replica, and prints the seconds. Both first wait for a
# healthy topology, so they can run back to back.
set -euo pipefail

DIR=${WABULK_MODES_DIR:-${TMPDIR:-/tmp}/wabulk-redis-modes}
read -r -a CLUSTER_PORTS <<<"${WABULK_MODES_CLUSTER_PORTS:-7101 7102 7103 7104 7105 7106}"
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

# info_field PORT PASSWORD SECTION NAME: one field of INFO SECTION.
info_field() {
  cli "$1" "$2" info "$3" | tr -d '\r' | awk -F: -v k="$4" '$1 == k { print $2; exit }'
}

# now_us: the wall clock in microseconds; secs_since T0: seconds since a
# now_us, with two decimals.
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }
secs_since() {
  local d=$(($(now_us) - $1))
  printf '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000))
}

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

# cluster_nodes PORT: CLUSTER NODES as node PORT sees it, one node a line:
# id host:port@bus flags master-id ... slots.
cluster_nodes() { cli "$1" "$CLUSTER_PASSWORD" cluster nodes | tr -d '\r'; }

# The Cluster serves: every node says cluster_state:ok, knows every node
# (none failing or still in handshake), and sees half of them as masters
# with slots and half as replicas.
cluster_ok() {
  local p nodes half=$((${#CLUSTER_PORTS[@]} / 2))
  for p in "${CLUSTER_PORTS[@]}"; do
    cli "$p" "$CLUSTER_PASSWORD" cluster info | grep -q '^cluster_state:ok' || return 1
    nodes=$(cluster_nodes "$p") || return 1
    [[ $(grep -c . <<<"$nodes") == "${#CLUSTER_PORTS[@]}" ]] || return 1
    ! grep -Eq 'fail|handshake|noaddr' <<<"$nodes" || return 1
    [[ $(awk '$3 ~ /master/ && NF > 8' <<<"$nodes" | grep -c .) == "$half" ]] || return 1
    [[ $(awk '$3 ~ /slave/' <<<"$nodes" | grep -c .) == "$half" ]] || return 1
  done
}

# linked PORT PASSWORD: the node is a master with a replica online, or a
# replica whose link to its master is up.
linked() {
  local rep
  rep=$(cli "$1" "$2" info replication | tr -d '\r') || return 1
  case $(awk -F: '$1 == "role" { print $2 }' <<<"$rep") in
  master) grep -Eq '^slave[0-9]+:.*state=online' <<<"$rep" ;;
  slave) grep -q '^master_link_status:up' <<<"$rep" ;;
  *) return 1 ;;
  esac
}

# Every Cluster node is linked: each master has its replica in sync.
cluster_replicated() {
  local p
  for p in "${CLUSTER_PORTS[@]}"; do linked "$p" "$CLUSTER_PASSWORD" || return 1; done
}

cluster_ready() { cluster_ok && cluster_replicated; }

replica_up() { cli "$REPLICA_PORT" "$MASTER_PASSWORD" info replication | grep -q '^master_link_status:up'; }

# Every Sentinel knows the master, its replica (healthy) and the others.
sentinels_ready() {
  local p m
  for p in "${SENTINEL_PORTS[@]}"; do
    m=$(cli "$p" "$SENTINEL_PASSWORD" sentinel master "$MASTER_NAME") || return 1
    [[ $(field num-slaves <<<"$m") == 1 ]] || return 1
    [[ $(field num-other-sentinels <<<"$m") == $((${#SENTINEL_PORTS[@]} - 1)) ]] || return 1
    [[ $(cli "$p" "$SENTINEL_PASSWORD" sentinel replicas "$MASTER_NAME" | field flags) == slave ]] || return 1
    [[ $(cli "$p" "$SENTINEL_PASSWORD" sentinel replicas "$MASTER_NAME" | field master-link-status) == ok ]] || return 1
  done
}

start() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    die "redis-server and redis-cli are needed (apt-get install redis-server)"
  local n=${#CLUSTER_PORTS[@]}
  ((n >= 6 && n % 2 == 0)) || die "WABULK_MODES_CLUSTER_PORTS names $n ports: the Cluster needs an even number, at least 6 (3 masters, a replica each)"
  stop
  local p
  for p in "${CLUSTER_PORTS[@]}" "$MASTER_PORT" "$REPLICA_PORT" "${SENTINEL_PORTS[@]}"; do
    port_free "$p" || die "port $p on 127.0.0.1 is in use: stop what listens there, or move the ports (see the script's header)"
  done
  mkdir -p "$DIR"

  # Durability: see the header.
  local persist=("save \"\"" "appendonly yes" "appendfsync everysec" "repl-diskless-sync yes" "repl-diskless-sync-delay 0")
  local guard=("min-replicas-to-write 1" "min-replicas-max-lag 10")
  for p in "${CLUSTER_PORTS[@]}"; do
    server "cluster-$p" "port $p" "${persist[@]}" "cluster-enabled yes" "cluster-config-file nodes.conf" \
      "cluster-node-timeout 3000" "requirepass $CLUSTER_PASSWORD" "masterauth $CLUSTER_PASSWORD"
  done
  server master "port $MASTER_PORT" "${persist[@]}" "${guard[@]}" "requirepass $MASTER_PASSWORD" "masterauth $MASTER_PASSWORD"

  # The Cluster forms in the background (redis-cli waits for the nodes to
  # agree, the replicas then sync) while the Sentinels' side comes up.
  local nodes=() create
  for p in "${CLUSTER_PORTS[@]}"; do
    wait_until "cluster node $p" cli "$p" "$CLUSTER_PASSWORD" ping
    nodes+=("127.0.0.1:$p")
  done
  REDISCLI_AUTH=$CLUSTER_PASSWORD redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes \
    >"$DIR/cluster-create.log" 2>&1 &
  create=$!

  # The replica starts once the master answers, and the Sentinels once the
  # master lists the replica: they learn of it from the master's INFO,
  # which they read every 10 s only.
  wait_until "the master on $MASTER_PORT" cli "$MASTER_PORT" "$MASTER_PASSWORD" ping
  server replica "port $REPLICA_PORT" "${persist[@]}" "${guard[@]}" "requirepass $MASTER_PASSWORD" "masterauth $MASTER_PASSWORD" \
    "replicaof 127.0.0.1 $MASTER_PORT"
  wait_until "the replica on $REPLICA_PORT to sync" replica_up
  for p in "${SENTINEL_PORTS[@]}"; do
    server "sentinel-$p" "port $p" "requirepass $SENTINEL_PASSWORD" "sentinel sentinel-pass $SENTINEL_PASSWORD" \
      "sentinel monitor $MASTER_NAME 127.0.0.1 $MASTER_PORT 2" "sentinel auth-pass $MASTER_NAME $MASTER_PASSWORD" \
      "sentinel down-after-milliseconds $MASTER_NAME 2000" "sentinel failover-timeout $MASTER_NAME 10000"
  done

  wait "$create" || die "redis-cli --cluster create failed: $(tail -3 "$DIR/cluster-create.log")"
  wait_until "cluster_state:ok and every replica in sync on ${CLUSTER_PORTS[*]}" cluster_ready
  say "cluster of $((n / 2)) masters, a replica each, up on ${CLUSTER_PORTS[*]}"
  wait_until "the Sentinels on ${SENTINEL_PORTS[*]} to see the replica and each other" sentinels_ready
  say "master $MASTER_PORT + replica $REPLICA_PORT watched by Sentinels on ${SENTINEL_PORTS[*]} (master name $MASTER_NAME)"
  env_lines
}

# sentinel_master: host:port of the master, as the first Sentinel that
# answers names it.
sentinel_master() {
  local p a
  for p in "${SENTINEL_PORTS[@]}"; do
    a=$(cli "$p" "$SENTINEL_PASSWORD" sentinel get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | paste -sd:) || continue
    [[ $a == *:* ]] && echo "$a" && return 0
  done
  return 1
}

# A Sentinel names a master other than OLD; it goes to $NEW.
NEW=""
new_master_named() {
  local p a
  for p in "${SENTINEL_PORTS[@]}"; do
    a=$(cli "$p" "$SENTINEL_PASSWORD" sentinel get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | paste -sd:) || continue
    if [[ $a == *:* && $a != "$1" ]]; then
      NEW=$a
      return 0
    fi
  done
  return 1
}

failover_sentinel() {
  local old t0 named
  wait_until "a master with its replica in sync, known to every Sentinel" sentinels_ready
  old=$(sentinel_master) || die "no Sentinel on ${SENTINEL_PORTS[*]} names master $MASTER_NAME"
  wait_until "the master $old to have its replica online" linked "${old##*:}" "$MASTER_PASSWORD"
  say "SENTINEL FAILOVER $MASTER_NAME (master $old)"
  t0=$(now_us)
  local ok
  ok=$(cli "${SENTINEL_PORTS[0]}" "$SENTINEL_PASSWORD" sentinel failover "$MASTER_NAME" 2>&1 | tr -d '\r')
  [[ $ok == OK ]] || die "SENTINEL FAILOVER $MASTER_NAME: $ok"
  wait_until "a Sentinel to name a master other than $old" new_master_named "$old"
  named=$(secs_since "$t0")
  say "a Sentinel names $NEW master after ${named} s"
  wait_until "the new master $NEW to have its replica online" linked "${NEW##*:}" "$MASTER_PASSWORD"
  echo "sentinel failover $old -> $NEW: new master named after $named s, its replica online after $(secs_since "$t0") s"
}

# cluster_masters: "port dbsize" of each Cluster master.
cluster_masters() {
  local p
  for p in "${CLUSTER_PORTS[@]}"; do
    [[ $(info_field "$p" "$CLUSTER_PASSWORD" replication role) == master ]] || continue
    echo "$p $(cli "$p" "$CLUSTER_PASSWORD" dbsize | tr -d '\r')"
  done
}

# port_is_master PORT ID: node PORT is a master, and every node sees node
# ID as a master.
port_is_master() {
  local p
  [[ $(info_field "$1" "$CLUSTER_PASSWORD" replication role) == master ]] || return 1
  for p in "${CLUSTER_PORTS[@]}"; do
    cluster_nodes "$p" | awk -v id="$2" '$1 == id && $3 ~ /master/ { found = 1 } END { exit !found }' || return 1
  done
}

failover_cluster() {
  local victim keys nodes master_id replica t0 promoted
  wait_until "cluster_state:ok and every replica in sync on ${CLUSTER_PORTS[*]}" cluster_ready
  read -r victim keys < <(cluster_masters | sort -k2,2nr | head -1) || true
  if [[ -z $victim || $keys == 0 ]]; then
    # No keys anywhere: the owner of slot 0.
    victim=$(cluster_nodes "${CLUSTER_PORTS[0]}" |
      awk '$3 ~ /master/ { for (i = 9; i <= NF; i++) if ($i ~ /^0(-|$)/) { split($2, a, "[:@]"); print a[2]; exit } }')
    keys=0
  fi
  [[ -n $victim ]] || die "no Cluster master found on ${CLUSTER_PORTS[*]}"
  nodes=$(cluster_nodes "$victim")
  master_id=$(awk '$3 ~ /myself/ { print $1 }' <<<"$nodes")
  replica=$(awk -v id="$master_id" '$3 ~ /slave/ && $4 == id { split($2, a, "[:@]"); print a[2]; exit }' <<<"$nodes")
  [[ -n $replica ]] || die "master $victim has no replica"
  local replica_id
  replica_id=$(cluster_nodes "$replica" | awk '$3 ~ /myself/ { print $1 }')
  say "CLUSTER FAILOVER on $replica, replica of master $victim ($keys keys)"
  t0=$(now_us)
  local ok
  ok=$(cli "$replica" "$CLUSTER_PASSWORD" cluster failover 2>&1 | tr -d '\r')
  [[ $ok == OK ]] || die "CLUSTER FAILOVER on $replica: $ok"
  wait_until "$replica to be master, every node to agree, and cluster_state:ok" \
    eval "port_is_master $replica $replica_id && cluster_ok"
  promoted=$(secs_since "$t0")
  say "$replica is master after $promoted s"
  wait_until "the old master $victim to be linked as a replica of $replica" linked "$victim" "$CLUSTER_PASSWORD"
  echo "cluster failover 127.0.0.1:$victim -> 127.0.0.1:$replica ($keys keys): promoted, cluster_state:ok after $promoted s, old master linked as its replica after $(secs_since "$t0") s"
}

status() {
  local p
  for p in "${CLUSTER_PORTS[@]}"; do
    echo "cluster node $p: $(cli "$p" "$CLUSTER_PASSWORD" cluster info 2>&1 | grep -E '^cluster_state' | tr -d '\r' || echo down)," \
      "role $(info_field "$p" "$CLUSTER_PASSWORD" replication role 2>/dev/null || echo down), $(cli "$p" "$CLUSTER_PASSWORD" dbsize 2>/dev/null | tr -d '\r') keys"
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
failover-sentinel) failover_sentinel ;;
failover-cluster) failover_cluster ;;
*)
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
