#!/usr/bin/env bash
# Benchmarks of a worker fleet on every Redis form, failovers included:
# `wabulk loadtest fleet` (real worker processes, a simulated provider
# enforcing its rate) on topologies scripts/redis-modes.sh starts on
# loopback, plus one plain node beside them.
#
#   scripts/failover-bench.sh                # all three, in this order:
#   scripts/failover-bench.sh throughput     # (a) BENCH_N recipients, BENCH_WORKERS workers: one node, then the Cluster
#   scripts/failover-bench.sh sentinel       # (b) SENTINEL FAILOVER mid-campaign, BENCH_FAILOVER_N recipients
#   scripts/failover-bench.sh cluster        # (c) CLUSTER FAILOVER mid-campaign, BENCH_FAILOVER_N recipients
#
# Each run prints the fleet's JSON report (recipients, sends the provider
# took, duplicates, lost, outcomes, the longest stalls in sending, the run's
# keys per master) and the script ends with a summary line per run. A run
# that fails (a lost or duplicated message, a Redis error) does not stop
# the others; the script exits non-zero if any failed.
#
# Settings (environment):
#   WABULK_BIN            the binary (default bin/wabulk; `make build` when missing)
#   BENCH_N               recipients of the throughput runs (default 200000)
#   BENCH_FAILOVER_N      recipients of the failover runs (default 50000)
#   BENCH_RATE            the provider's limit, messages/s (default 2000: above what
#                         a 2-core box sends, about 1000/s, so the runs measure the fleet)
#   BENCH_WORKERS         worker processes (default 3)
#   BENCH_CONCURRENCY     each worker's concurrency (default 50)
#   BENCH_FAILOVER_AFTER  when the failover starts, after the import (default 10s)
#   BENCH_TIMEOUT         each run gives up after this long (default 10m)
#   BENCH_SINGLE_PORT     the plain node's port (default 6397)
#   BENCH_OUT             where reports and worker logs go (default $WABULK_MODES_DIR-reports)
#   BENCH_KEEP=1          leave the Redis servers running afterwards
# and redis-modes.sh's own (WABULK_MODES_DIR, WABULK_MODES_CLUSTER_PORTS,
# WABULK_MODES_MASTER_PORT, WABULK_MODES_REPLICA_PORT,
# WABULK_MODES_SENTINEL_PORTS), which the failover commands inherit.
#
# The plain node has the Cluster's persistence (appendonly yes, fsync every
# second) and no replica. The topologies are started fresh and stopped at
# the end (unless BENCH_KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."

export WABULK_MODES_DIR=${WABULK_MODES_DIR:-${TMPDIR:-/tmp}/wabulk-redis-modes}
BIN=${WABULK_BIN:-bin/wabulk}
N=${BENCH_N:-200000}
FN=${BENCH_FAILOVER_N:-50000}
RATE=${BENCH_RATE:-2000}
WORKERS=${BENCH_WORKERS:-3}
CONC=${BENCH_CONCURRENCY:-50}
AFTER=${BENCH_FAILOVER_AFTER:-10s}
TIMEOUT=${BENCH_TIMEOUT:-10m}
SINGLE_PORT=${BENCH_SINGLE_PORT:-6397}
OUT=${BENCH_OUT:-$WABULK_MODES_DIR-reports}
SINGLE_DIR=$WABULK_MODES_DIR-single

say() { echo "failover-bench: $*" >&2; }

runs=("$@")
((${#runs[@]})) || runs=(throughput sentinel cluster)
for r in "${runs[@]}"; do
  case $r in
  throughput | sentinel | cluster) ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
  esac
done

if [[ ! -x $BIN ]]; then
  say "building $BIN"
  make build BIN="$BIN" >&2
fi

single_started=0
# shellcheck disable=SC2317 # run by the EXIT trap
stop_all() {
  [[ ${BENCH_KEEP:-} != 1 ]] || return 0
  if ((single_started)); then
    redis-cli -h 127.0.0.1 -p "$SINGLE_PORT" shutdown nosave >/dev/null 2>&1 || true
    rm -rf "$SINGLE_DIR"
  fi
  scripts/redis-modes.sh stop || true
}
trap stop_all EXIT

started=$SECONDS
eval "$(scripts/redis-modes.sh start)"
say "topologies up in $((SECONDS - started)) s"
if [[ " ${runs[*]} " == *" throughput "* ]]; then
  (echo >"/dev/tcp/127.0.0.1/$SINGLE_PORT") 2>/dev/null && {
    say "port $SINGLE_PORT is in use: set BENCH_SINGLE_PORT"
    exit 1
  }
  mkdir -p "$SINGLE_DIR"
  redis-server --port "$SINGLE_PORT" --bind 127.0.0.1 --dir "$SINGLE_DIR" --save '' --appendonly yes \
    --appendfsync everysec --daemonize yes --logfile "$SINGLE_DIR/redis.log"
  single_started=1
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$SINGLE_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
mkdir -p "$OUT"

# field NAME FILE: a number from a report.
field() { grep -o "\"$1\": [0-9.]*" "$2" | head -1 | awk '{ print $2 }'; }

summary=()
failed=0
# fleet NAME URL N [FLEET FLAGS...]: one run, its report in $OUT/NAME.json.
fleet() {
  local name=$1 url=$2 n=$3 rc=0
  shift 3
  say "$name: $n recipients, $WORKERS workers × $CONC, provider limit $RATE/s (uptime: $(uptime | sed 's/.*load/load/'))"
  "$BIN" loadtest fleet --redis "$url" -n "$n" --workers "$WORKERS" --concurrency "$CONC" --rate "$RATE" \
    --timeout "$TIMEOUT" --logs "$OUT/$name-logs" "$@" >"$OUT/$name.json" 2>"$OUT/$name.log" || rc=$?
  # The progress, without the progress bar and go-redis's Sentinel lines.
  grep -Ev '^redis: |sending +[0-9.]+%' "$OUT/$name.log" | tr '\r' '\n' | grep -Ev '^ *$|sending +[0-9.]+%' >&2 || true
  cat "$OUT/$name.json"
  local f=$OUT/$name.json line
  if [[ -s $f ]]; then
    line=$(printf '%-18s rc=%d recipients=%s provider_sends=%s duplicates=%s lost=%s without_outcome=%s drain=%s/s elapsed=%ss longest_gap=%ss' \
      "$name" "$rc" "$(field recipients "$f")" "$(field provider_sends "$f")" "$(field duplicates "$f")" "$(field lost "$f")" \
      "$(field without_outcome "$f")" "$(field drain_per_sec "$f")" "$(field elapsed_sec "$f")" "$(field longest_send_gap_sec "$f")")
    if grep -q '"failover"' "$f"; then
      line+=" failover_stall=$(field stall_sec "$f")s resumed=$(field resumed_sec "$f")s"
    fi
    if grep -q '"keys_per_master"' "$f"; then
      line+=" max_master_share=$(field max_master_share "$f")"
    fi
  else
    line=$(printf '%-18s rc=%d no report: %s' "$name" "$rc" "$(grep -v '^redis:' "$OUT/$name.log" | tail -1)")
  fi
  summary+=("$line")
  ((rc == 0)) || failed=1
}

single="redis://127.0.0.1:$SINGLE_PORT/0"
for r in "${runs[@]}"; do
  case $r in
  throughput)
    fleet single "$single" "$N"
    fleet cluster "$WABULK_TEST_REDIS_CLUSTER" "$N"
    ;;
  sentinel)
    fleet sentinel-failover "$WABULK_TEST_REDIS_SENTINEL" "$FN" \
      --failover-after "$AFTER" --failover-cmd "scripts/redis-modes.sh failover-sentinel"
    ;;
  cluster)
    fleet cluster-failover "$WABULK_TEST_REDIS_CLUSTER" "$FN" \
      --failover-after "$AFTER" --failover-cmd "scripts/redis-modes.sh failover-cluster"
    ;;
  esac
done

echo
echo "summary (reports and worker logs in $OUT):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
