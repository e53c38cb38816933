#!/usr/bin/env bash
# Where nodedns's CPU goes per query: nodedns under JFR at full load, then user and system CPU per
# query (from /proc) and the Java samples by category (benchmarks/profile_breakdown.py).
#
#   benchmarks/profile.sh hot  [SECONDS] [-- JAVA_OPTS...]   cached answers: the harness's 1,000 hot names
#   benchmarks/profile.sh cold [SECONDS] [-- JAVA_OPTS...]   every query a miss: the 100,000 cold names,
#                                                            cache TTL capped at 1 s so each repeat misses
#
# Same machine layout as ../shared/bench/run-peers.sh: nodedns pinned to CPU 1, dnsperf and nsd (the upstream,
# over TCP) to CPU 0; its own addresses (nsd 127.0.8.2:53, nodedns 127.0.8.1:5330) so it can run beside a
# harness. Warm-up before measuring: 15 s (hot) or 60 s (cold: the miss path must be JIT-compiled).
# Env: JAR (default target/nodedns.jar), JAVA (default java), WORK (default /tmp/nodedns-profile).
# Default JAVA_OPTS: the image's src/main/image/jvm.options. Needs dnsperf, nsd (the harness installs them).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:?usage: profile.sh hot|cold [SECONDS] [-- JAVA_OPTS...]}; shift
secs=20
if [[ $# -gt 0 && $1 != -- ]]; then secs=$1; shift; fi
[[ $# -gt 0 && $1 == -- ]] && shift
opts=("$@"); [ ${#opts[@]} -gt 0 ] || opts=("@$repo/src/main/image/jvm.options")
jar=${JAR:-$repo/target/nodedns.jar}; java=${JAVA:-java}; work=${WORK:-/tmp/nodedns-profile}
[ -f "$jar" ] || (cd "$repo" && mvn -q -B -DskipTests package)
case $mode in hot) warm=15; queries=hot.txt; cache="cache";; cold) warm=60; queries=cold.txt; cache="cache 1";;
  *) echo "mode must be hot or cold" >&2; exit 2;; esac
mkdir -p "$work"; rm -f "$work"/*.jfr
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
python3 "$repo/../shared/bench/gen-data.py" "$work/data" >/dev/null
cat > "$work/nsd.conf" <<NSD
server:
  ip-address: 127.0.8.2@53
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$work/data/zones"
  database: ""
  zonelistfile: "$work/zone.list"
  xfrdfile: "$work/xfrd.state"
  xfrdir: "$work"
  pidfile: "$work/nsd.pid"
  logfile: "$work/nsd.log"
  tcp-count: 1000
  tcp-query-count: 0
  tcp-timeout: 120
  rrl-ratelimit: 0
NSD
for z in cluster.local example.com example.org example.net; do printf 'zone:\n  name: %s\n  zonefile: %s.zone\n' $z $z >> "$work/nsd.conf"; done
taskset -c 0 nsd -d -c "$work/nsd.conf" & pids+=($!)
cat > "$work/Corefile" <<CF
.:5330 {
    bind 127.0.8.1
    $cache
    forward . 127.0.8.2:53 {
        force_tcp
    }
}
CF
taskset -c 1 "$java" "${opts[@]}" -XX:StartFlightRecording=filename="$work/nodedns.jfr",settings=profile \
  -jar "$jar" -conf "$work/Corefile" > "$work/nodedns.log" 2>&1 & pid=$!; pids+=($pid)
for _ in $(seq 100); do
  dig +short +time=1 +tries=1 -p 5330 @127.0.8.1 svc-1.default.svc.cluster.local >/dev/null 2>&1 && break; sleep 0.2
done
load() { timeout $(($1 + 10)) taskset -c 0 dnsperf -s 127.0.8.1 -p 5330 -d "$work/data/queries/$queries" -l "$1" -c 32 -q 100 -t 2; }
load "$warm" > /dev/null 2>&1
read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
load "$secs" > "$work/dnsperf.txt" 2>&1
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
kill "$pid"; wait "$pid" 2>/dev/null || true   # SIGTERM: JFR writes the recording at exit
tick=$(getconf CLK_TCK)
awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v tick="$tick" -v mode="$mode" '
  /Queries completed:/ {q = $3} /Queries per second:/ {qps = $4} /Queries lost:/ {lost = $3}
  END {printf "%s: %.0f qps, %d lost; per query: user %.2f us, system %.2f us (process CPU incl. JIT and GC threads)\n",
       mode, qps, lost, u * 1e6 / tick / q, s * 1e6 / tick / q}' "$work/dnsperf.txt"
python3 "$repo/benchmarks/profile_breakdown.py" "$work/nodedns.jfr"
