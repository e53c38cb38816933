#!/usr/bin/env bash
# issue9.sh - issue 9's table with one command: nodedns beside Unbound (and the C responder) on
# loopback, ratios against Unbound, each target PASS/MISS. From the repository root, as root
# (the harness installs dnsperf, nsd, unbound... with apt-get when missing and binds port 53):
#
#   benchmarks/issue9.sh                    the full run, about 25 minutes
#   benchmarks/issue9.sh --smoke            CI's smoke test, about 5 minutes: fails only when
#                                           something is broken, never on a timing
#
# Phases (each server pinned to CPU 1, dnsperf and the NSD upstream to CPU 0):
#   peers    ../shared/bench/run-peers.sh, ROUNDS times, with --peers PEERS and nodedns twice as
#            --extra: "nodedns" with benchmarks/peer.Corefile (the peers' cache capacity: the
#            mixed-QPS comparison) and "nodedns-nodelocal" with benchmarks/nodelocal.Corefile
#            (node-local-dns's capacities and prometheus: the memory target); a sampler counts
#            each server's own TCP connections to the upstream (issue9_conns.py)
#   start    exec -> first answered query (issue9_start.py), START_N times for nodedns-nodelocal
#            and, for reference, Unbound, alternating
#   latency  ../shared/bench/latency.sh (1,000 hot names at a fixed rate) against LAT_PEERS at
#            each of LAT_RATES, LAT_ROUNDS interleaved rounds, each after a 1 s closed-loop refresh
#            of names that have all expired (LAT_EXPIRE), so that it measures cached answers only
#   Both of the last two run servers started here: an NSD with the harness's zones on
#   UPSTREAM_ADDR:53, Unbound with the harness's config (copied from $BENCH_WORK/peers/unbound,
#   only addresses changed) and nodedns on ADDR, stopped at the end.
# Output: OUT/table.md (issue 9's table, the targets, each target round by round with the rounds
# that had steal time marked, details, checks; also printed), raw data
# beside it (OUT/peers/run-N = the harness's results directory). Exit status: 0, or 1 when
# something is broken (a server did not start or died, a run answered nothing, no numbers),
# 2 on bad usage or when another harness run is going on. A MISSed target is not a failure.
#
# Usage: benchmarks/issue9.sh [options] [JAR] [-- run-peers.sh options...]
#   --smoke            ROUNDS=1, the harness's --quick, EXTRA_WARMUP=5, LAT_SECS=2, LAT_ROUNDS=1,
#                      LAT_EXPIRE=0, START_N=2
#   --rounds N         harness runs (ROUNDS, default 3; each one interleaves its own hot rounds)
#   --out DIR          output directory (default benchmarks/runs/<date>-<time>-issue9)
#   --peers "LIST"     the harness's built-in peers (default "unbound limit"; unbound is needed
#                      for the ratios)
#   --phases "LIST"    any of "peers start latency" (default all three); start and latency reuse
#                      the zones and Unbound config of an earlier peers phase in BENCH_WORK
#   JAR                the nodedns jar (default $NODEDNS_BUILD_DIR/nodedns.jar, built with
#                      `mvn -q -DskipTests package` when missing)
#   -- ...             everything after -- goes to run-peers.sh (e.g. --udp-upstream)
# Environment (defaults in brackets): JAVA [java]; NODEDNS_JVM_EXTRA [-XX:ActiveProcessorCount=1]:
# flags after the shipped `@src/main/image/jvm.options` (the harness pins each server to one CPU,
# where Unbound runs num-threads 1); NODEDNS_BUILD_DIR [target]; BENCH_DIR [../shared/bench beside
# the repository]; BENCH_WORK [/tmp/dnsbench]; ADDR [127.0.9.41]: where this script's nodedns and
# Unbound listen (nodedns on ports 5310, 5311 and metrics 9253, 9353, 9354; Unbound 5302);
# UPSTREAM_ADDR [127.0.9.42]: this script's NSD; EXTRA_WARMUP [75: the harness's warm-up traffic
# for extra servers; its names' 30 s TTLs run out twice, so the miss path is JIT-compiled before the
# cold pass, as on a node that has been up for a minute]; NODEDNS_PEER_HEAP [-Xms128m -Xmx256m]: see HEAP; LAT_PEERS
# ["unbound nodedns nodedns-nodelocal"]; LAT_RATES ["30000 100000"]; LAT_SECS [10];
# LAT_ROUNDS [3]; LAT_WARM [15; 5 with --smoke] (closed-loop warm-up of each server before the
# latency rounds, for the JIT); LAT_EXPIRE [31] (a round starts at least this long after the
# server's previous traffic, then refreshes the hot names: the round sees only cached answers);
# START_N [5]; START_TIMEOUT [30]. The harness's own variables (DUR, WARMUP...) pass through to it.
set -u -o pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here="$repo/benchmarks"
bench=${BENCH_DIR:-$repo/../shared/bench}
WORK=${BENCH_WORK:-/tmp/dnsbench}
JAVA=${JAVA:-java}
NODEDNS_JVM_EXTRA=${NODEDNS_JVM_EXTRA--XX:ActiveProcessorCount=1}
build_dir=${NODEDNS_BUILD_DIR:-target}
case "$build_dir" in /*) ;; *) build_dir="$repo/$build_dir" ;; esac
ADDR=${ADDR:-127.0.9.41}
UPSTREAM_ADDR=${UPSTREAM_ADDR:-127.0.9.42}
LAT_PEERS=${LAT_PEERS:-"unbound nodedns nodedns-nodelocal"}
LAT_RATES=${LAT_RATES:-"30000 100000"}
START_TIMEOUT=${START_TIMEOUT:-30}
JVM_OPTIONS="$repo/src/main/image/jvm.options"
SERVER_CPU=1
CLIENT_CPU=0

rounds=3 smoke=0 out="" peers="unbound limit" phases="peers start latency" jar=""
harness_args=()
invocation="benchmarks/issue9.sh $*"

die() { echo "issue9: ERROR: $*" >&2; exit 2; }
log() { printf '[%s] issue9: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
usage() { sed -n '2,/^set -u/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1; shift ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --peers) peers=${2:?}; shift 2 ;;
    --phases) phases=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; harness_args=("$@"); break ;;
    -*) die "unknown option: $1 (see --help)" ;;
    *) [ -z "$jar" ] || die "one JAR only"; jar=$1; shift ;;
  esac
done
if [ "$smoke" = 1 ]; then
  rounds=1
  harness_args=(--quick "${harness_args[@]}")
  EXTRA_WARMUP=${EXTRA_WARMUP:-5} LAT_SECS=${LAT_SECS:-2} LAT_ROUNDS=${LAT_ROUNDS:-1}
  LAT_EXPIRE=${LAT_EXPIRE:-0} START_N=${START_N:-2} LAT_WARM=${LAT_WARM:-5}
fi
EXTRA_WARMUP=${EXTRA_WARMUP:-75} LAT_SECS=${LAT_SECS:-10} LAT_ROUNDS=${LAT_ROUNDS:-3}
LAT_WARM=${LAT_WARM:-15} LAT_EXPIRE=${LAT_EXPIRE:-31} START_N=${START_N:-5}
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds needs a positive number"
for ph in $phases; do case "$ph" in peers|start|latency) ;; *) die "unknown phase '$ph'" ;; esac; done
has_phase() { [[ " $phases " == *" $1 "* ]]; }
if [ ! -x "$bench/run-peers.sh" ] && [ -z "${BENCH_DIR:-}" ] && [ -x /work/shared/bench/run-peers.sh ]; then
  bench=/work/shared/bench # a clone outside the work folder (CI's) still finds the shared harness
fi
if [ ! -x "$bench/run-peers.sh" ] && [ "$smoke" = 1 ]; then
  # CI on a machine without the shared harness: nothing to smoke-test, and nothing broken.
  log "SKIP: no harness at $bench/run-peers.sh (set BENCH_DIR); the smoke test needs it"
  [ -n "${SYSTEM_SUMMARY_FILE:-}" ] && echo "0 passed, 0 failed" >"$SYSTEM_SUMMARY_FILE"
  echo "0 passed, 0 failed"
  exit 0
fi
[ -x "$bench/run-peers.sh" ] || die "no harness at $bench/run-peers.sh (set BENCH_DIR)"
[ -z "$out" ] && out="$here/runs/$(date +%Y-%m-%d-%H%M)-issue9"
mkdir -p "$out" || die "cannot create $out"
out=$(cd "$out" && pwd)
: >"$out/problems.txt"
problem() { log "PROBLEM: $*"; echo "$*" >>"$out/problems.txt"; }

# The harness binds fixed ports (127.0.0.1:53xx, 127.0.0.2:53): one run at a time on the machine.
if has_phase peers && pgrep -f 'bench/run-peers\.sh' >/dev/null; then
  die "another run-peers.sh is running (pgrep -f bench/run-peers.sh); try again when it is done"
fi

if [ -z "$jar" ]; then
  jar="$build_dir/nodedns.jar"
  if [ ! -f "$jar" ]; then
    log "building $jar"
    (cd "$repo" && mvn -q -B -DskipTests "-Dnodedns.buildDir=$build_dir" package) || die "build failed"
  fi
fi
[ -f "$jar" ] || die "no jar at $jar"
jar=$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")

# ------------------------------------------------------------ process management ---
MINE=()   # PIDs this script started with setsid: each is its own process group

start_bg() { # start_bg CPU LOG CMD... -> BG_PID
  setsid taskset -c "$1" "${@:3}" >"$2" 2>&1 </dev/null &
  BG_PID=$!
  MINE+=("$BG_PID")
}

stop_group() { # TERM the group, KILL after 8 s; only groups this script started
  local pid=$1 i keep=() p
  if kill -0 -- "-$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null
    for i in $(seq 80); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 -- "-$pid" 2>/dev/null && { log "pid $pid ignored SIGTERM; SIGKILL"; kill -KILL -- "-$pid" 2>/dev/null; }
  fi
  wait "$pid" 2>/dev/null
  for p in "${MINE[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  MINE=("${keep[@]}")
}

HARNESS_PID="" SAMPLER_PID=""
cleanup() {
  local p
  [ -n "$HARNESS_PID" ] && kill -TERM "$HARNESS_PID" 2>/dev/null && wait "$HARNESS_PID" 2>/dev/null
  [ -n "$SAMPLER_PID" ] && kill -TERM "$SAMPLER_PID" 2>/dev/null
  for p in "${MINE[@]}"; do stop_group "$p"; done
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

answers() { # answers ADDR PORT -> 0 when svc-0 resolves NOERROR (the harness's readiness test)
  dig +tries=1 +time=1 -p "$2" @"$1" svc-0.default.svc.cluster.local A +noall +comments 2>/dev/null |
    grep -q 'status: NOERROR'
}

wait_answers() { # wait_answers ADDR PORT SECONDS PID
  local end=$(( $(date +%s) + $3 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    kill -0 "$4" 2>/dev/null || return 1
    answers "$1" "$2" && return 0
    sleep 0.2
  done
  return 1
}

udp_busy() { # udp_busy ADDR PORT -> 0 when something listens there (or on the wildcard)
  ss -Hlun "( sport = :$2 )" 2>/dev/null |
    awk -v a="$1:$2" '$4 == a || $4 ~ /^(0\.0\.0\.0|\*|\[::\]):/ {f=1} END {exit !f}'
}

# ------------------------------------------------------------------ nodedns ---
# The JVM exactly as the Dockerfile starts it (java @jvm.options), plus NODEDNS_JVM_EXTRA; the
# setup-errors endpoint (node-cache's -metrics-listen-address) on ADDR, as each variant needs its own.
nodedns_java() { # nodedns_java NAME COREFILE METRICS_PORT -> the java command line, one word per line
  # MALLOC_ARENA_MAX=2: the image's environment (Dockerfile ENV), for nodedns only. The image's class
  # archive is not used here (it is trained for the image's runtime and jar path): it changes the
  # start time (benchmarks/footprint.sh measures that), not the query path.
  printf '%s\n' env MALLOC_ARENA_MAX=2 "$JAVA" "@$JVM_OPTIONS" $NODEDNS_JVM_EXTRA ${HEAP[$1]} -jar "$jar" -conf "$2" \
    -metrics-listen-address "$ADDR:$3"
}

# Corefiles: LISTEN -> ADDR, UPSTREAM -> the upstream's ADDR:PORT.
render_corefile() { sed -e "s/LISTEN/$ADDR/g" -e "s/UPSTREAM/$2/g" "$here/$1" >"$3"; }

declare -A COREFILE=([nodedns]=peer.Corefile [nodedns-nodelocal]=nodelocal.Corefile)
declare -A PORT=([nodedns]=5311 [nodedns-nodelocal]=5310 [unbound]=5302)
declare -A METRICS=([nodedns]=9354 [nodedns-nodelocal]=9353)
# The peer variant caches as much as the peers (100,000 entries each way, the cold pass alone fills
# 100,000): ~60 MiB live, more than the image's heap is sized for (node-local-dns's 9984), so it gets
# a heap sized for its caches as the peers' are (Unbound: 64 MiB message + 128 MiB RRset cache, set
# in its config), 128 MiB of it committed at the start: Serial grows a heap only at full
# collections, and on the image's 16 MiB initial heap the cold pass paid 5 of them (0.6 s of its
# ~7 s; with -Xms128m: none). The node-local variant runs the image's flags unchanged.
declare -A HEAP=([nodedns]=${NODEDNS_PEER_HEAP--Xms128m -Xmx256m} [nodedns-nodelocal]="")

# The harness renders the Corefile in its own environment ($UPSTREAM_IP:$UPSTREAM_PORT).
harness_extra() { # harness_extra NAME -> the --extra command string
  local name=$1 conf="\$BENCH_WORK/issue9-${COREFILE[$1]}" cmd w
  cmd="sed -e 's/LISTEN/$ADDR/g' -e \"s/UPSTREAM/\$UPSTREAM_IP:\$UPSTREAM_PORT/g\" '$here/${COREFILE[$name]}' > \"$conf\" && exec"
  while IFS= read -r w; do
    case "$w" in "\$BENCH_WORK"*) cmd+=" \"$w\"" ;; *) cmd+=" '$w'" ;; esac
  done < <(nodedns_java "$name" "$conf" "${METRICS[$name]}")
  echo "$cmd"
}

# ----------------------------------------------------------------- settings ---
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "command: $invocation"
  echo "mode: $([ $smoke = 1 ] && echo smoke || echo full), $rounds harness run(s), peers \"$peers\", phases \"$phases\""
  echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "commit: $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown); jar: $jar ($(date -u -r "$jar" '+%Y-%m-%d %H:%M UTC'))"
  echo "java: $("$JAVA" -version 2>&1 | head -1)"
  echo "nodedns JVM flags: @src/main/image/jvm.options ($(grep -v '^#' "$JVM_OPTIONS" | tr '\n' ' ')) then NODEDNS_JVM_EXTRA=\"$NODEDNS_JVM_EXTRA\"; the peer variant also ${HEAP[nodedns]}"
  echo "harness: $bench/run-peers.sh x $rounds, BENCH_WORK=$WORK, EXTRA_WARMUP=$EXTRA_WARMUP${harness_args[*]:+, options ${harness_args[*]}}"
  echo "latency: latency.sh, hot set, peers \"$LAT_PEERS\", rates \"$LAT_RATES\" QPS, $LAT_ROUNDS round(s) x $LAT_SECS s, $LAT_WARM s warm-up, rounds $LAT_EXPIRE s after the previous; start: $START_N attempt(s) each"
  echo "servers here: $ADDR (nodedns ${PORT[nodedns]}, nodedns-nodelocal ${PORT[nodedns-nodelocal]}, unbound ${PORT[unbound]}), NSD $UPSTREAM_ADDR:53"
} >"$out/settings.txt"
cat "$out/settings.txt" >&2

# ------------------------------------------------------------- phase: peers ---
run_harness() { # run_harness N
  local dir="$out/peers/run-$1" stop rc name extras=()
  # The harness runs the suites in a fixed order (its peers, then the extras as given): the two
  # nodedns variants swap places every other run, so neither always follows the other.
  local order=(nodedns nodedns-nodelocal)
  (( $1 % 2 == 0 )) && order=(nodedns-nodelocal nodedns)
  for name in "${order[@]}"; do
    extras+=(--extra "$(harness_extra "$name")" "$ADDR:${PORT[$name]}" --extra-name "$name")
  done
  mkdir -p "$dir"
  stop="$dir/.sampler-stop"
  rm -f "$stop"
  # 127.0.0.2:53 is the harness's upstream (fixed in run-peers.sh).
  taskset -c "$CLIENT_CPU" python3 "$here/issue9_conns.py" "$WORK/pids" 127.0.0.2:53 0.5 "$stop" "$dir/conns.csv" &
  SAMPLER_PID=$!
  log "harness run $1 of $rounds -> $dir"
  RESULTS_DIR="$dir" BENCH_WORK="$WORK" EXTRA_WARMUP="$EXTRA_WARMUP" "$bench/run-peers.sh" \
    --peers "$peers" "${extras[@]}" "${harness_args[@]}" > >(tee "$dir/harness.log" >&2) 2>&1 &
  HARNESS_PID=$!
  wait "$HARNESS_PID"; rc=$?
  HARNESS_PID=""
  touch "$stop"; wait "$SAMPLER_PID" 2>/dev/null; SAMPLER_PID=""; rm -f "$stop"
  [ "$rc" = 0 ] || problem "harness run $1 exited with status $rc (see $dir/harness.log)"
}

if has_phase peers; then
  for port in "${PORT[nodedns]}" "${PORT[nodedns-nodelocal]}"; do
    udp_busy "$ADDR" "$port" && die "udp $ADDR:$port is in use (set ADDR)"
  done
  udp_busy 127.0.0.2 53 && die "udp 127.0.0.2:53, the harness's upstream address, is in use: $(ss -Hlunp '( sport = :53 )' | grep -o 'users:.*' | head -1)"
  mkdir -p "$out/peers"
  echo "$peers nodedns nodedns-nodelocal" >"$out/peers/expected.txt"
  for (( i = 1; i <= rounds; i++ )); do run_harness "$i"; done
fi

# ------------------------------------------------------ own upstream and servers ---
# The harness stopped its servers; the start and latency phases run their own with the same
# configuration: the harness's NSD config and Unbound config with only the addresses changed.
UP_PID=""
start_upstream() {
  local d="$out/upstream" src="$WORK/upstream/nsd.conf"
  [ -f "$src" ] && [ -f "$WORK/data/queries/hot.txt" ] || { problem "no harness data in $WORK (run the peers phase)"; return 1; }
  udp_busy "$UPSTREAM_ADDR" 53 && { problem "udp $UPSTREAM_ADDR:53 is in use (set UPSTREAM_ADDR)"; return 1; }
  mkdir -p "$d"
  sed -e "s|ip-address: .*|ip-address: $UPSTREAM_ADDR@53|" -e "s|$WORK/upstream|$d|g" "$src" >"$d/nsd.conf"
  start_bg "$CLIENT_CPU" "$d/nsd.out" nsd -d -c "$d/nsd.conf"; UP_PID=$BG_PID
  wait_answers "$UPSTREAM_ADDR" 53 30 "$UP_PID" || { problem "own NSD did not answer on $UPSTREAM_ADDR:53"; return 1; }
  log "NSD on $UPSTREAM_ADDR:53 (pid $UP_PID)"
}
upstream_queries() { nsd-control -c "$out/upstream/nsd.conf" stats_noreset 2>/dev/null | awk -F= '$1=="num.queries"{print $2}'; }

server_cmd() { # server_cmd NAME DIR -> SERVER_CMD (array)
  local name=$1 d=$2
  case "$name" in
    unbound)
      [ -f "$WORK/peers/unbound/unbound.conf" ] || return 1
      sed -e "s|127\.0\.0\.1@|$ADDR@|" -e "s|127\.0\.0\.2@53|$UPSTREAM_ADDR@53|" \
          -e "s|$WORK/peers/unbound|$d|g" "$WORK/peers/unbound/unbound.conf" >"$d/unbound.conf"
      SERVER_CMD=(unbound -d -c "$d/unbound.conf") ;;
    nodedns|nodedns-nodelocal)
      render_corefile "${COREFILE[$name]}" "$UPSTREAM_ADDR:53" "$d/${COREFILE[$name]}"
      mapfile -t SERVER_CMD < <(nodedns_java "$name" "$d/${COREFILE[$name]}" "${METRICS[$name]}") ;;
    *) return 1 ;;
  esac
}

# --------------------------------------------------------------- phase: start ---
phase_start() {
  local d="$out/start" k name ms
  mkdir -p "$d"
  echo "attempt,peer,ms" >"$d/start.csv"
  for (( k = 1; k <= START_N; k++ )); do
    for name in nodedns-nodelocal unbound; do
      mkdir -p "$d/$name"
      server_cmd "$name" "$d/$name" || { problem "start: no command for $name"; return; }
      ms=$(taskset -c "$CLIENT_CPU" python3 "$here/issue9_start.py" "$ADDR" "${PORT[$name]}" "$START_TIMEOUT" \
             "$d/$name/server.log" -- taskset -c "$SERVER_CPU" "${SERVER_CMD[@]}")
      echo "$k,$name,${ms:-fail}" >>"$d/start.csv"
      log "start $k/$START_N: $name answered after ${ms:-fail} ms"
    done
  done
}

# ------------------------------------------------------------- phase: latency ---
phase_latency() {
  local d="$out/latency" name rate r k list=() pid n q0 q1 line wait_s
  declare -A pid_of last_traffic
  mkdir -p "$d"
  for name in $LAT_PEERS; do
    mkdir -p "$d/$name"
    server_cmd "$name" "$d/$name" || { problem "latency: no command for $name"; continue; }
    udp_busy "$ADDR" "${PORT[$name]}" && { problem "latency: udp $ADDR:${PORT[$name]} is in use"; continue; }
    start_bg "$SERVER_CPU" "$d/$name/server.log" "${SERVER_CMD[@]}"; pid=$BG_PID
    if ! wait_answers "$ADDR" "${PORT[$name]}" 90 "$pid"; then
      problem "latency: $name did not answer on $ADDR:${PORT[$name]} (see $d/$name/server.log)"
      stop_group "$pid"; continue
    fi
    pid_of[$name]=$pid; list+=("$name")
    log "latency: $name ready (pid $pid); warming up for $LAT_WARM s"
    timeout $(( LAT_WARM + 15 )) taskset -c "$CLIENT_CPU" dnsperf -s "$ADDR" -p "${PORT[$name]}" \
      -d "$WORK/data/queries/hot.txt" -c 32 -q 100 -t 2 -l "$LAT_WARM" >"$d/$name/warmup.txt" 2>&1
    last_traffic[$name]=$(date +%s)
  done
  echo "round,peer,rate,seconds,n,lost,p50,p90,p99,p999,max,upstream_queries" >"$d/latency.csv"
  n=${#list[@]}
  for (( r = 1; r <= LAT_ROUNDS; r++ )); do
    for rate in $LAT_RATES; do
      for (( k = 0; k < n; k++ )); do
        name=${list[$(( (k + r - 1) % n ))]}
        # Only cached answers: the hot names have a 30 s TTL, so a name fetched less than 30 s
        # ago could expire, and go upstream, inside the round. Waiting until LAT_EXPIRE s after
        # this server's last traffic lets every name expire; the 1 s refresh then fetches them
        # all again, fresh for the whole round (the upstream column shows any that still went).
        wait_s=$(( last_traffic[$name] + LAT_EXPIRE - $(date +%s) ))
        (( wait_s > 0 )) && sleep "$wait_s"
        timeout 20 taskset -c "$CLIENT_CPU" dnsperf -s "$ADDR" -p "${PORT[$name]}" \
          -d "$WORK/data/queries/hot.txt" -c 32 -q 100 -t 2 -l 1 >/dev/null 2>&1
        q0=$(upstream_queries)
        line=$("$bench/latency.sh" "$ADDR" "${PORT[$name]}" "$WORK/data/queries/hot.txt" "$rate" "$LAT_SECS")
        q1=$(upstream_queries)
        last_traffic[$name]=$(date +%s)
        echo "$line" >>"$d/$name/latency.txt"
        log "latency round $r, $name: $line; upstream queries $(( ${q1:-0} - ${q0:-0} ))"
        kill -0 "${pid_of[$name]}" 2>/dev/null || problem "latency: $name died (see $d/$name/server.log)"
        # "rate R: n=N lost=L p50 A p90 B p99 C p99.9 D max E ms"
        awk -v r="$r" -v p="$name" -v s="$LAT_SECS" -v up=$(( ${q1:-0} - ${q0:-0} )) '{
            n = $3; sub(/n=/, "", n); l = $4; sub(/lost=/, "", l); if (l == "") l = 0
            printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", r, p, $2 + 0, s, n, l, $6, $8, $10, $12, $14, up }' \
          <<<"$line" >>"$d/latency.csv"
      done
    done
  done
  for name in "${list[@]}"; do stop_group "${pid_of[$name]}"; done
}

if has_phase start || has_phase latency; then
  if start_upstream; then
    has_phase start && phase_start
    has_phase latency && phase_latency
  fi
  [ -n "$UP_PID" ] && stop_group "$UP_PID"
fi

# ------------------------------------------------------------------- table ---
python3 "$here/issue9_table.py" "$out" >"$out/table.md"; rc=$?
cat "$out/table.md"
summary=$(tail -1 "$out/table.md")
[[ "$summary" =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]] || { summary="0 passed, 1 failed"; echo "$summary"; }
# .ci/run's convention for system tests: the last line, also in $SYSTEM_SUMMARY_FILE.
[ -n "${SYSTEM_SUMMARY_FILE:-}" ] && echo "$summary" >"$SYSTEM_SUMMARY_FILE"
log "table and raw data in $out"
exit $(( rc == 0 ? 0 : 1 ))
