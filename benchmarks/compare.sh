#!/usr/bin/env bash
# compare.sh - A/B of nodedns builds or JVM flags (and Unbound or the C responder for reference), in
# interleaved rounds on one pinned CPU, for questions the full table (issue9.sh) is too slow or too
# coarse to answer: "did this commit or flag change CPU per cached query, the cold pass, the tail?"
#
#   benchmarks/compare.sh hot     ROUNDS SECONDS         NAME SPEC [NAME SPEC...]
#   benchmarks/compare.sh cold    ROUNDS WARM_SECONDS    NAME SPEC [NAME SPEC...]
#   benchmarks/compare.sh mixed   ROUNDS SECONDS         NAME SPEC [NAME SPEC...]
#   benchmarks/compare.sh latency ROUNDS SECONDS RATE    NAME SPEC [NAME SPEC...]
#
# SPEC is "JAR JAVA_OPTS..." (run as MALLOC_ARENA_MAX=2 java JAVA_OPTS -jar JAR, as the image does;
# pass @src/main/image/jvm.options for the image's flags), or "unbound", or "limit" (the harness's
# C responder: no cache, it answers every name itself; for hot and latency).
#   hot      per round and variant: start it, 10 s of hot names (WARM), then SECONDS measured:
#            QPS, server user/system CPU per cached query (from /proc), dnsperf's max latency, and
#            the steal time of CPU 1 as a share of the run (every mode prints it: the hypervisor gave
#            the server's CPU to another guest; compare rounds without it)
#            (for max latency use WARM=30 or more: in the first 10-20 s the JIT compilers still
#            preempt the event loop for milliseconds; RESULTS.md, issue 9's third session);
#            with SYSCALLS=1 also the server's system calls per answer, by kind (perf stat)
#   cold     per round and variant: start it, WARM_SECONDS of the harness's warm-up names, then one
#            pass of the 100,000 cold names (every query a miss): QPS, CPU per miss, and from
#            -Xlog:gc the young and full pauses inside the pass, and for a JVM the CPU of its
#            threads in the pass (event loops, JIT compilers, the VM thread that runs Serial's
#            collections). PASSES=N sends N passes of names never asked before, one after the
#            other to the same process: the harness's cold names, then the same under
#            example2.net, example3.net... (zones made from example.net's for this script's nsd).
#            The first pass is the harness's; the later ones show the miss path without the JIT's
#            first encounter with it (and, the cache being full, with evictions)
#   mixed    per round and variant: start it, WARM s of the harness's warm-up names, one pass of the
#            mixed set (the harness's mixed warm-up), then SECONDS of the mixed set measured: QPS and
#            server CPU per answer (answers keep their own TTLs, so the harness's misses are in it
#            too; unlike the harness, no cold or hot runs come before it)
#   latency  all variants started once and warmed (WARM s of hot names each), then per round and
#            variant ../shared/bench/latency.sh at RATE for SECONDS (p50 ... p99.9, max, lost)
# In hot and latency modes the servers keep answers at least an hour (nodedns `success ... 3600
# 3600`, Unbound `cache-min-ttl: 3600`): the hot names' 30 s TTL would otherwise run out inside a
# measurement, which would then time misses and the compilations they bring, not cached answers.
# Example (the image's flags with and without one more flag, 3 rounds of 10 s; the pinned JVM gets
# one event loop, as issue9.sh runs it; paths relative to the repository root):
#   benchmarks/compare.sh hot 3 10 base "target/nodedns.jar @src/main/image/jvm.options -XX:ActiveProcessorCount=1" \
#       more "target/nodedns.jar @src/main/image/jvm.options -XX:ActiveProcessorCount=1 -XX:+SomeFlag"
# The variants take turns in a rotated order each round. In latency mode every server stays up for
# the whole comparison on the same CPU, so the idle ones' background work (collections, the native
# heap trim) also lands in the measured one's rounds.
#
# Layout as in ../shared/bench/run-peers.sh: servers on CPU 1, dnsperf and the upstream (nsd over
# TCP, with the harness's zones) on CPU 0. Own addresses, so it can run beside nothing else that
# measures: nsd on 127.0.8.12:53, servers on 127.0.8.11 ports 5350+ (metrics 9360+). Their Corefile: one `.`
# block, `cache` with the peers' capacity (benchmarks/peer.Corefile), forward over TCP.
# Env: WORK [/tmp/nodedns-compare], WARM [hot: 10, latency: 15; cold takes WARM_SECONDS], JAVA [java],
# SYSCALLS [0; 1: hot mode counts system calls too], PASSES [1; cold mode], BENCH_DIR [../shared/bench].
# Needs dnsperf, nsd, dig (the harness installs them), unbound for "unbound", perf for SYSCALLS=1.
# Each run is bounded by timeouts; every server is stopped by its PID at the end of its round (or
# of the script).
set -u -f -o pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=${BENCH_DIR:-$repo/../shared/bench}
work=${WORK:-/tmp/nodedns-compare}
java=${JAVA:-java}
ADDR=127.0.8.11 UPSTREAM=127.0.8.12

usage() { sed -n '2,/^set -u/p' "$0" | sed '$d' >&2; exit 2; }
mode=${1:-}; shift || true
case $mode in
  hot|cold|mixed) [ $# -ge 4 ] || usage; rounds=$1 secs=$2; shift 2;;
  latency) [ $# -ge 5 ] || usage; rounds=$1 secs=$2 rate=$3; shift 3;;
  *) usage;;
esac
names=() specs=()
while [ $# -ge 2 ]; do names+=("$1"); specs+=("$2"); shift 2; done
[ $# -eq 0 ] || usage
for tool in dnsperf nsd dig; do command -v $tool >/dev/null || { echo "compare.sh: $tool is missing (../shared/bench/run-peers.sh installs it)" >&2; exit 2; }; done
passes=1; [ $mode = cold ] && passes=${PASSES:-1}
[[ $passes =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: PASSES must be a positive number" >&2; exit 2; }
[ "${SYSCALLS:-0}" = 1 ] && ! command -v perf >/dev/null && { echo "compare.sh: SYSCALLS=1 needs perf (Debian: linux-perf)" >&2; exit 2; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT

mkdir -p "$work"
[ -f "$work/data/queries/cold.txt" ] || python3 "$bench/gen-data.py" "$work/data" >/dev/null
{
  printf 'server:\n  ip-address: %s@53\n  do-ip6: no\n  server-count: 1\n  username: ""\n  chroot: ""\n' $UPSTREAM
  printf '  zonesdir: "%s"\n  database: ""\n  zonelistfile: "%s/zone.list"\n  xfrdfile: "%s/xfrd.state"\n' "$work/data/zones" "$work" "$work"
  printf '  xfrdir: "%s"\n  pidfile: "%s/nsd.pid"\n  logfile: "%s/nsd.log"\n' "$work" "$work" "$work"
  printf '  tcp-count: 1000\n  tcp-query-count: 0\n  tcp-timeout: 120\n  rrl-ratelimit: 0\n'
  for z in cluster.local example.com example.org example.net; do printf 'zone:\n  name: %s\n  zonefile: %s.zone\n' $z $z; done
  for p in $(seq 2 $passes); do printf 'zone:\n  name: example%d.net\n  zonefile: example%d.net.zone\n' $p $p; done
} > "$work/nsd.conf"
for p in $(seq 2 $passes); do # PASSES: the cold names again under example2.net, example3.net...
  sed "s/example\.net\./example$p.net./g" "$work/data/zones/example.net.zone" > "$work/data/zones/example$p.net.zone"
  sed "s/example\.net /example$p.net /" "$work/data/queries/cold.txt" > "$work/data/queries/cold$p.txt"
done
taskset -c 0 nsd -d -c "$work/nsd.conf" >"$work/nsd.out" 2>&1 & pids+=($!)

# start_server INDEX -> sets $pid; the server listens on ADDR:5350+INDEX
start_server() {
  local i=$1 port=$((5350 + $1)) jar opts
  read -r jar opts <<<"${specs[$i]}"
  case $jar in
    unbound)
      printf 'server:\n  interface: %s\n  port: %s\n  num-threads: 1\n  msg-cache-size: 64m\n  rrset-cache-size: 128m\n' $ADDR $port > "$work/unbound-$i.conf"
      printf '  do-ip6: no\n  username: ""\n  chroot: ""\n  directory: "%s"\n  pidfile: ""\n  use-syslog: no\n' "$work" >> "$work/unbound-$i.conf"
      printf '  access-control: 127.0.0.0/8 allow\n  do-not-query-localhost: no\n  tcp-upstream: yes\n  module-config: "iterator"\n' >> "$work/unbound-$i.conf"
      case $mode in hot|latency) printf '  cache-min-ttl: 3600\n' >> "$work/unbound-$i.conf";; esac
      printf 'forward-zone:\n  name: "."\n  forward-addr: %s@53\n' $UPSTREAM >> "$work/unbound-$i.conf"
      taskset -c 1 unbound -d -c "$work/unbound-$i.conf" >"$work/${names[$i]}.log" 2>&1 & pid=$!;;
    limit)
      [ -x "${LIMIT:-/tmp/dnsbench/bin/dnslimit}" ] || { echo "compare.sh: no C responder at ${LIMIT:-/tmp/dnsbench/bin/dnslimit} (run-peers.sh builds it; LIMIT=...)" >&2; exit 2; }
      taskset -c 1 "${LIMIT:-/tmp/dnsbench/bin/dnslimit}" -a $ADDR -p $port >"$work/${names[$i]}.log" 2>&1 & pid=$!;;
    *)
      local keep=; case $mode in hot|latency) keep=" 3600 3600";; esac
      sed -e "s/LISTEN/$ADDR/" -e "s/UPSTREAM/$UPSTREAM:53/" -e "s/:5311/:$port/" -e "s/success 100000\$/success 100000$keep/" \
        "$repo/benchmarks/peer.Corefile" > "$work/Corefile-$i"
      # shellcheck disable=SC2086 # opts are words on purpose (globbing is off: set -f)
      (cd "$repo" && exec env MALLOC_ARENA_MAX=2 taskset -c 1 "$java" $opts -Xlog:gc:file="$work/${names[$i]}.gc" \
        -jar "$jar" -conf "$work/Corefile-$i" -metrics-listen-address "$ADDR:$((9360 + i))" \
        >"$work/${names[$i]}.log" 2>&1) & pid=$!;;
  esac
  pids+=($pid)
  for _ in $(seq 150); do
    dig +short +time=1 +tries=1 -p $port @$ADDR svc-1.default.svc.cluster.local >/dev/null 2>&1 && return 0
    kill -0 $pid 2>/dev/null || break; sleep 0.2
  done
  echo "compare.sh: ${names[$i]} did not answer on $ADDR:$port (log: $work/${names[$i]}.log)" >&2; exit 1
}
stop_pid() { # stop_pid PID [SIGNAL]: and forget it, so that the exit trap cannot hit a reused PID
  kill -"${2:-TERM}" "$1" 2>/dev/null; wait "$1" 2>/dev/null
  local keep=() p; for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; pids=("${keep[@]}")
}
load() { # load PORT QUERYFILE SECONDS|pass [OUT]
  local how=(-l "$3"); [ "$3" = pass ] && how=(-n 1)
  timeout $(( ${3/pass/30} + 30 )) taskset -c 0 dnsperf -s $ADDR -p "$1" -d "$work/data/queries/$2" "${how[@]}" -c 32 -q 100 -t 2 >"${4:-/dev/null}" 2>&1
}
# cpu PID: the server's user and system ticks, and the steal ticks of CPU 1 (the hypervisor running
# someone else on the server's CPU; a round with much of it says more about the host than the server)
steal1() { awk '$1 == "cpu1" {print $9}' /proc/stat; }
cpu() { echo "$(awk '{print $14, $15}' "/proc/$1/stat") $(steal1)"; }
measured() { # measured PORT QUERYFILE SECONDS|pass: load into $work/dnsperf.txt, with cpu $pid before (c0) and after (c1)
  c0=$(cpu $pid); load "$1" "$2" "$3" "$work/dnsperf.txt"; c1=$(cpu $pid)
}
report() { # report NAME ROUND "U0 S0 T0" "U1 S1 T1" WHAT: QPS, CPU per query, max latency (dnsperf.txt), steal
  local u0 s0 t0 u1 s1 t1; read -r u0 s0 t0 <<<"$3"; read -r u1 s1 t1 <<<"$4"
  awk -v n="$1" -v r="$2" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v st=$((t1 - t0)) -v tick="$(getconf CLK_TCK)" -v what="$5" '
    /Queries completed:/ {q = $3} /Queries per second:/ {qps = $4} /Queries lost:/ {lost = $3}
    /Run time \(s\):/ {secs = $4} /Average Latency/ {max = $NF; sub(/\)/, "", max)}
    END {printf "%s %-12s %8.0f qps, lost %s, per %s: user %.2f us, system %.2f us, total %.2f us, max latency %.2f ms, steal %s\n",
         r, n, qps, lost, what, u * 1e6 / tick / q, s * 1e6 / tick / q, (u + s) * 1e6 / tick / q, max * 1e3,
         (secs > 0 ? sprintf("%.0f%%", 100 * st / tick / secs) : "?")}' "$work/dnsperf.txt"
}
gc_since() { # gc_since NAME LINE: pauses logged after LINE
  [ -f "$work/$1.gc" ] || return 0
  tail -n +$(($2 + 1)) "$work/$1.gc" | awk '
    /Pause Young/ {y++; v = $NF; sub("ms", "", v); yt += v} /Pause Full/ {f++; v = $NF; sub("ms", "", v); ft += v}
    END {printf "             gc in the pass: %d young (%.0f ms), %d full (%.0f ms)\n", y, yt, f, ft}'
}
lines() { [ -f "$work/$1.gc" ] && wc -l < "$work/$1.gc" || echo 0; }
threads() { # threads PID: "tid comm ticks" of each thread (names with spaces joined by _)
  (set +f; for t in /proc/"$1"/task/*; do   # the script runs with globbing off
    echo "${t##*/} $(tr ' ' _ < "$t/comm") $(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"
  done 2>/dev/null)
}
# threads_since BEFORE AFTER: a JVM's CPU in the pass by kind of thread (nothing for other servers).
# Per thread ID; a thread that ended inside the pass is not counted. "VM thread" is where Serial
# (jvm.options) collects; another collector's threads would count as "other".
threads_since() {
  grep -q ' VM_Thread ' <<<"$2" || return 0
  awk -v tick="$(getconf CLK_TCK)" 'NR == FNR {b[$1] = $3; next} {d = ($3 - b[$1]) * 1000 / tick
      if ($2 ~ /^nodedns-io/) loop += d; else if ($2 ~ /CompilerThre/) jit += d; else if ($2 == "VM_Thread") vm += d; else other += d}
    END {printf "             threads in the pass: event loops %.0f ms, JIT compilers %.0f ms, VM thread (collections) %.0f ms, other %.0f ms\n", loop, jit, vm, other}' \
    <(echo "$1") <(echo "$2")
}
# SYSCALLS=1: system calls of the server's threads while it is measured, per answered query (perf's
# syscall tracepoints). Each traced call costs a little more, so a server that makes more calls pays
# more: CPU times of a SYSCALLS=1 run are not comparable with a run without it.
SYSCALL_EVENTS=raw_syscalls:sys_enter,syscalls:sys_enter_recvmmsg,syscalls:sys_enter_recvmsg,syscalls:sys_enter_recvfrom
SYSCALL_EVENTS+=,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendto
SYSCALL_EVENTS+=,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_epoll_pwait2
SYSCALL_EVENTS+=,syscalls:sys_enter_futex,syscalls:sys_enter_getsockopt
perf_pid=
count_syscalls_start() { # count_syscalls_start PID
  [ "${SYSCALLS:-0}" = 1 ] || return 0
  rm -f "$work/syscalls.txt"
  perf stat -x, -o "$work/syscalls.txt" -e "$SYSCALL_EVENTS" -p "$1" & perf_pid=$!; pids+=($perf_pid); sleep 0.5
  kill -0 $perf_pid 2>/dev/null || { echo "compare.sh: perf stat did not attach (see $work/syscalls.txt)" >&2; exit 1; }
}
# SIGINT makes perf print its counts and exit. (A background job of a script starts with SIGINT
# ignored; perf installs its own handler, so it still gets it.)
count_syscalls_stop() { [ -n "$perf_pid" ] || return 0; stop_pid $perf_pid INT; perf_pid=; }
syscalls_report() { # per answered query (dnsperf.txt), one line: all calls, each kind seen, the other calls
  [ -f "$work/syscalls.txt" ] && [ "${SYSCALLS:-0}" = 1 ] || return 0
  awk -F, -v q="$(awk '/Queries completed:/ {print $3}' "$work/dnsperf.txt")" '
    NF > 3 && $1 ~ /^[0-9]+$/ {e = $3; sub(/^.*:(sys_enter_)?/, "", e); if (e == "sys_enter") e = "all"; c[e] = $1; o[++n] = e}
    END {if (q + 0 == 0) {print "             syscalls per answer: no answers"; exit}
         line = "             syscalls per answer:"; other = c["all"]
         for (i = 1; i <= n; i++) if (c[o[i]] > 0) {line = line sprintf(" %s %.3f", o[i], c[o[i]] / q); if (o[i] != "all") other -= c[o[i]]}
         print line sprintf(" other %.3f", other / q)}' "$work/syscalls.txt"
}

echo "compare.sh $mode on $(nproc) CPUs, $(uname -r), $("$java" -version 2>&1 | head -1); $(date -u '+%F %H:%M UTC')"
case $mode in
  hot|cold|mixed)
    for r in $(seq "$rounds"); do
      for k in "${!names[@]}"; do
        i=$(( (k + r - 1) % ${#names[@]} ))
        start_server "$i"; port=$((5350 + i))
        if [ $mode = hot ]; then
          load $port hot.txt "${WARM:-10}"
          count_syscalls_start $pid
          measured $port hot.txt "$secs"
          count_syscalls_stop
          report "${names[$i]}" "$r" "$c0" "$c1" "cached answer"; syscalls_report
        elif [ $mode = mixed ]; then
          load $port warm.txt "${WARM:-10}"; load $port mixed.txt pass
          measured $port mixed.txt "$secs"
          report "${names[$i]}" "$r" "$c0" "$c1" "answer"
        else
          load $port warm.txt "$secs"
          for p in $(seq $passes); do
            qf=cold.txt; [ "$p" = 1 ] || qf=cold$p.txt
            mark=$(lines "${names[$i]}"); t0=$(threads $pid)
            measured $port $qf pass
            report "${names[$i]}" "$r$( [ $passes = 1 ] || echo ".$p")" "$c0" "$c1" "miss"
            gc_since "${names[$i]}" "$mark"; threads_since "$t0" "$(threads $pid)"
          done
        fi
        stop_pid $pid
      done
    done;;
  latency)
    for i in "${!names[@]}"; do start_server "$i"; load $((5350 + i)) hot.txt "${WARM:-15}"; done
    for r in $(seq "$rounds"); do
      for k in "${!names[@]}"; do
        i=$(( (k + r - 1) % ${#names[@]} )); port=$((5350 + i))
        t0=$(steal1); line=$(bash "$bench/latency.sh" $ADDR $port "$work/data/queries/hot.txt" "$rate" "$secs"); t1=$(steal1)
        # steal over the whole latency.sh call (its dnsperf start and end included), per second measured
        printf '%d %-12s %s, steal %.0f%%\n' "$r" "${names[$i]}" "$line" "$(awk -v d=$((t1 - t0)) -v t="$(getconf CLK_TCK)" -v s="$secs" 'BEGIN {print 100 * d / t / s}')"
      done
    done;;
esac
