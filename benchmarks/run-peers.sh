#!/usr/bin/env bash
# Benchmarks nodedns beside the peers of ../shared/bench/run-peers.sh (dnsperf on loopback,
# server pinned to CPU 1, client and upstream to CPU 0), in two configurations:
#   nodedns            peer.Corefile: a cache as large as the peers' (port 5311)
#   nodedns-nodelocal  nodelocal.Corefile: node-local-dns's shape, 9984 entries, 5 s denials (port 5310)
#
#   benchmarks/run-peers.sh                       both + unbound, dnsdist, dnsmasq, kresd, limit
#   benchmarks/run-peers.sh --peers "unbound"     both + a subset (any run-peers.sh option passes through)
#
# Env: BENCH_DIR (default ../shared/bench beside this repo), JAVA (default java),
#      NODEDNS_JAVA_OPTS (default below), EXTRA_WARMUP (default 15 s: JIT warm-up before measuring).
# Needs root for apt-get (the harness installs dnsperf, nsd and the peers when missing).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=${BENCH_DIR:-$repo/../shared/bench}
[ -x "$bench/run-peers.sh" ] || { echo "no harness at $bench/run-peers.sh (set BENCH_DIR)" >&2; exit 2; }

if [ ! -f "$repo/target/nodedns.jar" ]; then
  (cd "$repo" && mvn -q -B -DskipTests package)
fi
java=${JAVA:-java}
# The harness pins the server to one CPU, so availableProcessors() is 1: one event loop. Serial
# GC and a bounded heap: a cache hit allocates nothing, so the collector has little to do.
opts=${NODEDNS_JAVA_OPTS:--XX:+UseSerialGC -Xms32m -Xmx128m}

# The command runs inside the harness's environment (UPSTREAM_IP, UPSTREAM_PORT, BENCH_WORK).
server() {
  local corefile=$1
  echo "sed \"s/UPSTREAM/\$UPSTREAM_IP:\$UPSTREAM_PORT/\" '$repo/benchmarks/$corefile' > \"\$BENCH_WORK/$corefile\" && exec $java $opts -jar '$repo/target/nodedns.jar' -conf \"\$BENCH_WORK/$corefile\""
}

EXTRA_WARMUP=${EXTRA_WARMUP:-15} exec "$bench/run-peers.sh" "$@" \
  --extra "$(server peer.Corefile)" 5311 --extra-name nodedns \
  --extra "$(server nodelocal.Corefile)" 5310 --extra-name nodedns-nodelocal
