#!/usr/bin/env bash
# benchmarks/footprint.sh - memory footprint and start time of nodedns with given JVM flags (issue 9).
#
# Starts nsd (the harness's zones, ../shared/bench/gen-data.py) as the upstream and nodedns pinned to
# one CPU, measures the time from exec to the first NOERROR answer, then (unless --load none) sends
# the harness's query files with dnsperf in the order of run-peers.sh's suite: warm-up, cold pass
# (100k misses), hot warm-up, hot, saturation sweep, mixed warm-up, mixed; and reads VmRSS/VmHWM
# right after the mixed run, as run-peers.sh does. Last line, machine-readable:
#   footprint java=17.0.15 mode=nodelocal start_ms=566 starts=557/788/538/478/491 idle_rss_mib=69.3
#             rss_mib=95.2 hwm_mib=108.5 lost=0 hot_qps=138833 hot_cpu_us=5.68   (one line)
# (hot_cpu_us: the server's CPU time per answered query in the 10 s hot run.)
#
# Usage: benchmarks/footprint.sh [options] [-- JVM flags appended after @OPTIONS]
#   --jar JAR          default: target/nodedns.jar
#   --java JAVA        java executable (e.g. a jlinked runtime's bin/java); default: java
#   --options FILE     JVM flags file passed as @FILE (default src/main/image/jvm.options, as the
#                      Dockerfile's ENTRYPOINT); "none" for no file
#   --mode M           nodelocal: benchmarks/nodelocal.Corefile with -conf (the harness's
#                      nodedns-nodelocal, two blocks, 9984+9984 entries each) [default]
#                      daemonset: the DaemonSet's args and daemonset/configmap.yaml's Corefile after
#                      the operator's sed step, -setupinterface=false -setupiptables=false
#                      (as .ci/deploy-checks runs it; four blocks, port 53)
#   --load L           mixed: the suite above [default]; none: only start time and idle RSS
#   --starts N         start N times, report the median start time (the last start takes the load)
#   --breakdown        after the load: smaps by mapping, NMT summary (needs
#                      -XX:NativeMemoryTracking=summary among the flags), cache entries (/metrics),
#                      what a malloc_trim gives back, heap and largest classes after a full GC
#                      (jcmd), RSS after each; printed above the last line, which gains their keys
#   --cpus LIST        taskset CPU list of nodedns (default 1, as the harness pins servers)
# Env: BENCH_WORK (default /tmp/dnsbench-footprint), BENCH_DIR (default ../shared/bench beside this
#   repo), FOOTPRINT_NET (default 127.0.9: nodedns on .61 (.63 and .64 in daemonset mode), nsd on .62:53),
#   WARMUP (default 15, benchmarks/run-peers.sh's EXTRA_WARMUP), DUR (10), SAT_DUR (3), COLD_CAP
#   (15), MIXED_WARM_CAP (10), CLIENT_CPU (0), FOOTPRINT_WAIT (1200: seconds to wait, before
#   anything starts, for a running run-peers.sh, benchmarks/issue9.sh or latency.sh to end; a
#   script that runs this one itself passes 0). The environment reaches nodedns: the image's
#   MALLOC_ARENA_MAX=2 is set here. As the image runs: --java of `jlink @src/main/image/jlink.args`
#   and, after --, -XX:SharedArchiveFile= an archive src/main/image/cds-training.sh made for that
#   runtime and jar (benchmarks/RESULTS.md, "Memory and start time (issue 9)").
# Needs: root (nsd on port 53), nsd, dnsperf, python3, jcmd of the same JDK for --breakdown.
# Traffic stays on $FOOTPRINT_NET.0/24; every process started here is stopped by its PID at exit.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/../shared/bench}
JAR=$ROOT/target/nodedns.jar JAVA=java OPTIONS=$ROOT/src/main/image/jvm.options MODE=nodelocal LOAD=mixed
STARTS=1 BREAKDOWN=0 CPUS=1
EXTRA=()
die() { echo "footprint: $*" >&2; exit 2; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR=${2:?}; shift 2 ;;
    --java) JAVA=${2:?}; shift 2 ;;
    --options) OPTIONS=${2:?}; shift 2 ;;
    --mode) MODE=${2:?}; shift 2 ;;
    --load) LOAD=${2:?}; shift 2 ;;
    --starts) STARTS=${2:?}; shift 2 ;;
    --breakdown) BREAKDOWN=1; shift ;;
    --cpus) CPUS=${2:?}; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
case "$MODE" in nodelocal|daemonset) ;; *) die "--mode is nodelocal or daemonset" ;; esac
case "$LOAD" in mixed|none) ;; *) die "--load is mixed or none" ;; esac
[ -f "$JAR" ] || die "no jar $JAR (mvn -DskipTests package)"
[ "$OPTIONS" = none ] || [ -f "$OPTIONS" ] || die "no options file $OPTIONS"
JAVA_BIN=$(command -v "$JAVA") || die "no java $JAVA"
JCMD=$(dirname "$(readlink -f "$JAVA_BIN")")/jcmd
[ -x "$JCMD" ] || JCMD=jcmd   # a jlinked runtime has no jcmd; the JDK's attaches to it all the same

WORK=${BENCH_WORK:-/tmp/dnsbench-footprint}
NET=${FOOTPRINT_NET:-127.0.9}
UP=$NET.62
WARMUP=${WARMUP:-15} DUR=${DUR:-10} SAT_DUR=${SAT_DUR:-3} COLD_CAP=${COLD_CAP:-15}
MIXED_WARM_CAP=${MIXED_WARM_CAP:-10} CLIENT_CPU=${CLIENT_CPU:-0}
RUN=$WORK/run.$$
mkdir -p "$WORK" "$RUN" || die "cannot create $WORK"

# ------------------------------------------------------------------ processes --
STARTED=()
stop_pid() { # SIGTERM, 10 s, SIGKILL
  local pid=$1 keep=() p
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  for p in "${STARTED[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done; STARTED=("${keep[@]}")
}
cleanup() { local p; for p in "${STARTED[@]}"; do stop_pid "$p"; done; rm -rf "$RUN"; }
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

# ----------------------------------------------------------------- upstream --
DATA=$WORK/data
if [ ! -s "$DATA/queries/mixed.txt" ]; then
  python3 "$BENCH/gen-data.py" "$DATA" >/dev/null || die "gen-data.py failed"
fi
cat >"$RUN/nsd.conf" <<EOF
server:
  ip-address: $UP@53
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$DATA/zones"
  database: ""
  zonelistfile: "$RUN/zone.list"
  xfrdfile: "$RUN/xfrd.state"
  xfrdir: "$RUN"
  pidfile: "$RUN/nsd.pid"
  logfile: "$RUN/nsd.log"
  refuse-any: yes
  tcp-count: 1000
  tcp-query-count: 0
  tcp-timeout: 120
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
EOF
for z in cluster.local example.com example.org example.net; do
  printf 'zone:\n  name: %s\n  zonefile: %s.zone\n' "$z" "$z" >>"$RUN/nsd.conf"
done
taskset -c "$CLIENT_CPU" nsd -d -c "$RUN/nsd.conf" >"$RUN/nsd.out" 2>&1 </dev/null &
NSD=$!; STARTED+=("$NSD")
for _ in $(seq 1 100); do
  dig @"$UP" +time=1 +tries=1 svc-0.default.svc.cluster.local A 2>/dev/null | grep -q 'status: NOERROR' && break
  kill -0 "$NSD" 2>/dev/null || { cat "$RUN/nsd.out" "$RUN/nsd.log" >&2; die "nsd did not start on $UP:53"; }
  sleep 0.2
done

# ------------------------------------------------------------------ nodedns --
ENVS=()
if [ "$MODE" = nodelocal ]; then
  ADDR=$NET.61 PORT=5310
  sed -e "s/UPSTREAM/$UP:53/; s/LISTEN/$ADDR/g" "$ROOT/benchmarks/nodelocal.Corefile" >"$RUN/Corefile"
  ARGS=(-conf "$RUN/Corefile" -metrics-listen-address "$ADDR:9353")
else
  ADDR=$NET.63 PORT=53 SERVER=$NET.64
  NC=$RUN/node; mkdir -p "$NC/kube-dns" "$NC/cache"
  # The ConfigMap's Corefile, the operator's sed step (daemonset/README.md), and prometheus on the
  # local IP instead of *:9253, which a harness run beside this one may hold.
  awk '/^  Corefile: \|/ {on = 1; next} on && /^    / {print substr($0, 5); next} on && NF {exit}' \
    "$ROOT/daemonset/configmap.yaml" |
    sed -e "s/__PILLAR__LOCAL__DNS__/$ADDR/g; s/__PILLAR__DNS__SERVER__/$SERVER/g; s/__PILLAR__DNS__DOMAIN__/cluster.local/g" \
        -e "s/prometheus :9253/prometheus $ADDR:9253/" >"$NC/Corefile.base"
  echo "nameserver $UP" >"$NC/resolv.conf"
  ENVS=(KUBE_DNS_UPSTREAM_SERVICE_HOST="$UP" NODEDNS_RESOLV_CONF="$NC/resolv.conf")
  ARGS=(-localip "$ADDR,$SERVER" -conf "$NC/Corefile" -upstreamsvc kube-dns-upstream -cache-dir "$NC/cache"
        -basecorefile "$NC/Corefile.base" -kubednscm "$NC/kube-dns" -setupinterface=false -setupiptables=false
        -metrics-listen-address "$ADDR:9353")
fi
JVM=()
[ "$OPTIONS" = none ] || JVM+=("@$OPTIONS")
JVM+=("${EXTRA[@]}")

# Sends svc-0.default.svc.cluster.local A every 2 ms until a NOERROR answer with a record comes
# back; prints milliseconds since T0 (ns, CLOCK_REALTIME, taken right before the exec).
cat >"$RUN/probe.py" <<'EOF'
import os, socket, struct, sys, time
addr, port, t0, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
qname = b"".join(bytes([len(l)]) + l for l in b"svc-0.default.svc.cluster.local".split(b".")) + b"\0"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.002)
deadline = time.time() + 60
qid = 0
while time.time() < deadline:
    qid = (qid + 1) & 0xFFFF
    s.sendto(struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1), (addr, port))
    end = time.time() + 0.002
    while True:
        try:
            data = s.recv(4096)
        except (socket.timeout, ConnectionRefusedError):
            break
        if len(data) >= 12:
            _, flags, _, ancount = struct.unpack(">HHHH", data[:8])
            if flags & 0x8000 and flags & 0xF == 0 and ancount > 0:
                print((time.time_ns() - t0) // 1000000)
                sys.exit(0)
        if time.time() >= end:
            break
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(1)
sys.exit(1)
EOF

PID=""
start_nodedns() { # sets PID, START_MS
  local t0 log=$RUN/nodedns.$1.log
  rm -rf "${NC:-/nonexistent}/cache"/*   # a cold start each time (no warm-restart file)
  t0=$(date +%s%N)
  env "${ENVS[@]}" taskset -c "$CPUS" "$JAVA" "${JVM[@]}" -jar "$JAR" "${ARGS[@]}" >"$log" 2>&1 </dev/null &
  PID=$!; STARTED+=("$PID")
  START_MS=$(taskset -c "$CLIENT_CPU" python3 "$RUN/probe.py" "$ADDR" "$PORT" "$t0" "$PID") ||
    { tail -20 "$log" >&2; die "nodedns did not answer on $ADDR:$PORT"; }
}
status_mib() { awk -v k="$2:" '$1 == k {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# The harness pins its servers to the same CPU: two benchmarks at once would spoil both runs'
# numbers, start times included.
for _ in $(seq 1 "$(( ${FOOTPRINT_WAIT:-1200} / 10 ))"); do
  pgrep -f 'bench/run-peers\.sh|benchmarks/issue9\.sh|bench/latency\.sh' >/dev/null || break
  log "a benchmark (run-peers.sh, issue9.sh or latency.sh) is running; waiting for it to end"; sleep 10
done

START_LIST=()
for i in $(seq 1 "$STARTS"); do
  start_nodedns "$i"
  START_LIST+=("$START_MS")
  log "start $i: first answer after $START_MS ms"
  [ "$i" -lt "$STARTS" ] && stop_pid "$PID"
done
START_MED=$(printf '%s\n' "${START_LIST[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
sleep 3
IDLE_RSS=$(status_mib "$PID" VmRSS)
log "idle (3 s after the first answer): VmRSS $IDLE_RSS MiB"

# -------------------------------------------------------------------- load --
LOST=0 PHASES=""
phase() { # phase NAME FILE Q time:S|pass:CAP
  local name=$1 file=$DATA/queries/$2 q=$3 mode=$4 lim args out
  case "$mode" in time:*) lim=${mode#time:}; args=(-l "$lim") ;; pass:*) lim=${mode#pass:}; args=(-n 1 -l "$lim") ;; esac
  local t0; t0=$(cpu_ticks)
  out=$(timeout $((lim + 20)) taskset -c "$CLIENT_CPU" dnsperf -s "$ADDR" -p "$PORT" -d "$file" -c 32 -q "$q" -t 2 "${args[@]}" 2>&1)
  # Server CPU (utime+stime, every thread) per answered query: a ratio, less sensitive to a busy
  # machine than the QPS, though not immune to it.
  local summary; summary=$(awk -v ticks=$(($(cpu_ticks) - t0)) -v hz="$(getconf CLK_TCK)" '
      /Queries sent:/ {s = $3} /Queries completed:/ {c = $3} /Queries lost:/ {l = $3} /Queries per second:/ {qps = $4}
      /Average Latency/ {gsub(/[(,)]/, ""); avg = $4 * 1000; mx = $8 * 1000}
      END {cpu = 0; if (c > 0) cpu = ticks / hz * 1e6 / c
           printf "sent=%d lost=%d qps=%.0f cpu_us_per_query=%.2f avg_ms=%.2f max_ms=%.1f", s, l, qps, cpu, avg, mx}' <<<"$out")
  log "  $name q=$q: $summary; VmRSS $(status_mib "$PID" VmRSS) MiB"
  case "$name" in sat-q1000) ;; *) LOST=$((LOST + $(sed 's/.*lost=\([0-9]*\).*/\1/' <<<"$summary"))) ;; esac
  [ "$name" = hot ] && HOT=" hot_qps=$(sed 's/.*qps=\([0-9]*\).*/\1/' <<<"$summary") hot_cpu_us=$(sed 's/.*cpu_us_per_query=\([0-9.]*\).*/\1/' <<<"$summary")"
}
cpu_ticks() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$PID/stat"; }
HOT=""
RSS="" HWM=""
if [ "$LOAD" = mixed ]; then
  phase warmup warm.txt 100 "time:$WARMUP"
  phase cold cold.txt 100 "pass:$COLD_CAP"
  phase hot-warm hot.txt 100 time:2
  phase hot hot.txt 100 "time:$DUR"
  for q in 20 50 200 1000; do phase "sat-q$q" hot.txt "$q" "time:$SAT_DUR"; done
  phase mixed-warm mixed.txt 100 "pass:$MIXED_WARM_CAP"
  phase mixed mixed.txt 100 "time:$DUR"
  RSS=$(status_mib "$PID" VmRSS) HWM=$(status_mib "$PID" VmHWM)
  kill -0 "$PID" 2>/dev/null || die "nodedns died during the load: $(tail -5 "$RUN"/nodedns.*.log)"
  log "after the mixed run: VmRSS $RSS MiB, VmHWM $HWM MiB"
fi

# --------------------------------------------------------------- breakdown --
MORE=""
if [ "$BREAKDOWN" = 1 ]; then
  echo "---- smaps_rollup: $(grep -E "^(Rss|Anonymous|Pss_File):" "/proc/$PID/smaps_rollup" | tr -s " \n" " ")"
  echo "---- threads: $(ls "/proc/$PID/task" | wc -l)"
  python3 - "/proc/$PID/smaps" <<'PYEOF'
import collections, sys
# Rss per mapped file, and the largest anonymous mappings with their size: malloc arenas are 64 MiB
# (65404 kB + guard), thread stacks 1 MiB + guard, the heap one contiguous block.
files, anon, cur = collections.Counter(), [], None
for line in open(sys.argv[1]):
    f = line.split()
    if '-' in f[0] and len(f) >= 5 and not f[0].endswith(':'):
        lo, hi = (int(x, 16) for x in f[0].split('-'))
        cur = [(hi - lo) // 1024, f[5].rsplit('/', 1)[-1] if len(f) > 5 else '[anon]']
    elif f[0] == 'Rss:':
        files[cur[1]] += int(f[1])
        if cur[1] == '[anon]':
            anon.append((int(f[1]), cur[0]))
print('---- Rss by mapping (kB):', ', '.join('%s %d' % (k, v) for k, v in files.most_common(8)))
print('---- largest anonymous mappings (Rss kB / size kB):', ', '.join('%d/%d' % a for a in sorted(anon, reverse=True)[:12]))
PYEOF
  if "$JCMD" "$PID" VM.native_memory summary >"$RUN/nmt.txt" 2>&1 && grep -q 'Total:' "$RUN/nmt.txt"; then
    echo "---- NMT"; grep -E '^(Total|-|\s+\(malloc|\s+\(mmap)' "$RUN/nmt.txt" | grep -v 'reserved=0KB'
    MORE+=" nmt_committed_mib=$(awk '/^Total:/ {sub(/.*committed=/, ""); sub(/KB.*/, ""); printf "%.1f", $0 / 1024}' "$RUN/nmt.txt")"
  fi
  # Cache entries of every block and type, for the live heap per entry.
  ENTRIES=$(curl -s --max-time 5 "http://$ADDR:9253/metrics" | awk '/^coredns_cache_entries[{ ]/ {s += $NF} END {printf "%d", s}')
  MORE+=" entries=$ENTRIES"
  # Memory glibc holds for malloc but nothing uses (freed compiler arenas, mostly): what a trim gives back.
  echo "---- $("$JCMD" "$PID" System.trim_native_heap 2>&1 | sed 1d)"
  MORE+=" rss_after_trim_mib=$(status_mib "$PID" VmRSS)"
  "$JCMD" "$PID" GC.run >/dev/null 2>&1
  echo "---- heap after GC.run"; "$JCMD" "$PID" GC.heap_info 2>&1 | sed 1d
  echo "---- live objects by class (the largest; count, bytes, class)"
  "$JCMD" "$PID" GC.class_histogram 2>&1 | awk 'NR > 3 && NR <= 19 {print "   ", $2, $3, $4}' 
  # The generations' (or G1's whole heap's) "used", summed; not Metaspace's.
  live=$("$JCMD" "$PID" GC.heap_info 2>&1 | awk '!/Metaspace|class space/ && match($0, /total [0-9]+K, used [0-9]+K/) {
      u = substr($0, RSTART, RLENGTH); sub(/.*used /, "", u); s += u + 0} END {print s + 0}')
  MORE+=" heap_live_mib=$(awk -v k="${live:-0}" 'BEGIN {printf "%.1f", k / 1024}') rss_after_gc_mib=$(status_mib "$PID" VmRSS)"
fi

VERSION=$("$JAVA" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')
stop_pid "$PID"
echo "footprint java=$VERSION mode=$MODE start_ms=$START_MED starts=$(IFS=/; echo "${START_LIST[*]}") idle_rss_mib=$IDLE_RSS${RSS:+ rss_mib=$RSS hwm_mib=$HWM lost=$LOST}$HOT$MORE"
