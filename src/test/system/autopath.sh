#!/usr/bin/env bash
# autopath.sh - system tests of autopath and filter_aaaa with real resolvers: the nodedns jar
# in a node network namespace, nsd as kube-dns and as the node's resolver, and a pod namespace
# with the Kubernetes resolv.conf whose glibc (getent ahosts) and musl (a static getaddrinfo
# program built here with musl-gcc) look names up through nodedns.
#
# Usage: bash src/test/system/autopath.sh JAR
#
#   NODE namespace   nodelocaldns (bridge)  169.254.20.10/32   nodedns :53, /metrics :9253
#                    kube-dns-up (bridge)   10.96.0.11/32      nsd: cluster.local (kube-dns)
#                                           10.96.0.12/32      nsd: . and corp.example (node's resolver)
#                                           10.96.0.13/32      slow_upstream.py -> .11, +50 ms
#                                           10.96.0.14/32      slow_upstream.py -> .12, +50 ms
#                    /etc/netns/NODE/resolv.conf: nameserver 10.96.0.12, search corp.example
#   POD namespace    eth0 10.244.0.2/24 via veth; resolv.conf: nameserver 169.254.20.10,
#                    search default.svc.cluster.local svc.cluster.local cluster.local corp.example,
#                    options ndots:5 (what kubelet writes for a pod in namespace default on that node)
#
# nodedns runs as netns.sh's harness scenario runs it: node mode (-localip) with
# -setupinterface=false -setupiptables=false next to a hand-made link, so node networking is
# not what is tested here; the Corefile (-conf) is the node-local-dns one plus the directive
# under test. Every lookup uses a name no cache has seen (NAME.example.com is a wildcard).
#
# Checks, per client (glibc, musl): without autopath, one lookup of an external name costs
# 10 queries to nodedns (5 search names x A, AAAA) and 10 upstream; with autopath, 2 queries
# (1 round trip) and the same 10 upstream, the right address, the CNAME on the wire, the
# counters; a service of another namespace (db.other): found in the cluster, so none of its
# search names reaches the node's resolver (the names under the cluster zone go out together,
# those outside it only once all of them are NXDOMAIN); with filter_aaaa as well, AAAA never
# leaves the node (5 upstream). Then the latency of one lookup against
# upstreams 50 ms away, with and without autopath: a table, also written to $TMP/latency.md.
#
# Needs root, java 17, ip, nsd, dig, curl, python3, getent (libc-bin), musl-gcc (musl-tools).
# Prints PASS/FAIL per check and "N passed, N failed"; exit 0 only if nothing failed.
# Environment: SYSTEM_SUMMARY_FILE (also write the last line there), KEEP_TMP=1 (keep the temp
# dir), NODEDNS_JAVA_OPTS (extra JVM options), LATENCY_RUNS (lookups per cell, default 7).
set -uo pipefail   # no -e: a failing check is recorded and the run goes on
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/checks.sh"   # check, finish_checks, start_bg/stop_pid, wait_until, the cleanup trap, TMP
source "$HERE/lib/netns.sh"    # namespaces, the node's nsd, the pod, LOCAL_IP and the other addresses, stop_daemon
require_jar "$@"
[ "$(id -u)" = 0 ] || { echo "autopath.sh: needs root (network namespaces)" >&2; exit 2; }
require_commands java ip nsd nsd-checkconf dig curl python3 getent musl-gcc timeout

PREFIX=ndns-ap-$$-
SLOW_CLUSTER_DNS=10.96.0.13 SLOW_NODE_RESOLVER=10.96.0.14
DB_IP=10.96.6.1 API_IP=10.20.0.5
DELAY_MS=50
LATENCY_RUNS=${LATENCY_RUNS:-7}
make_tmp autopath

# answers_udp_in NS SERVER NAME ADDRESS: dig inside NS gets exactly ADDRESS over UDP (the slow
# relays speak only UDP)
answers_udp_in() {
  local got; got=$(in_ns "$1" dig @"$2" +time=2 +tries=1 +short "$3" A 2>&1)
  [ "$got" = "$4" ] || { echo "dig @$2 $3 A in $1: expected '$4', got '$got'"; return 1; }
}

add_ns node; NODE=$NS
ip -n "$NODE" link add kube-dns-up type bridge
for a in $CLUSTER_DNS $NODE_RESOLVER $SLOW_CLUSTER_DNS $SLOW_NODE_RESOLVER; do ip -n "$NODE" addr add "$a/32" dev kube-dns-up; done
ip -n "$NODE" link set kube-dns-up up
ip -n "$NODE" link add "$LINK" type bridge          # the hand-made link (no dummy type in this kernel)
ip -n "$NODE" addr add "$LOCAL_IP/32" dev "$LINK"
ip -n "$NODE" link set "$LINK" up
netns_resolv_conf "$NODE" "nameserver $NODE_RESOLVER" "search corp.example"
node_nsd_conf "$TMP" "$HERE/autopath/zones" cluster.local . corp.example >"$TMP/nsd.conf"
start_node_nsd "$TMP"
start_bg "$TMP/slow-cluster.log" ip netns exec "$NODE" python3 "$HERE/autopath/slow_upstream.py" \
  "$SLOW_CLUSTER_DNS" "$CLUSTER_DNS" "$DELAY_MS"
start_bg "$TMP/slow-node.log" ip netns exec "$NODE" python3 "$HERE/autopath/slow_upstream.py" \
  "$SLOW_NODE_RESOLVER" "$NODE_RESOLVER" "$DELAY_MS"

pod_ns "$NODE" pod corp.example

if ! musl-gcc -static -O2 -o "$TMP/gai-musl" "$HERE/autopath/gai.c" 2>"$TMP/musl-gcc.log"; then
  echo "autopath.sh: musl-gcc failed:" >&2; cat "$TMP/musl-gcc.log" >&2; exit 2
fi

check "setup: nsd answers the node's resolver names on $NODE_RESOLVER (. wildcard, corp.example)" \
  sh -c "$(declare -f answers_udp_in in_ns); answers_udp_in $NODE $NODE_RESOLVER x.example.com $WWW_IP && answers_udp_in $NODE $NODE_RESOLVER api.corp.example $API_IP"
# the relays were started before the pod namespace and musl-gcc, but python may still be starting
# on a loaded machine: give them the time nsd gets
wait_until 20 answers_udp_in "$NODE" "$SLOW_NODE_RESOLVER" y0.example.com "$WWW_IP"
wait_until 20 answers_udp_in "$NODE" "$SLOW_CLUSTER_DNS" svc-1.default.svc.cluster.local "$SVC_IP"
check "setup: the slow relays answer through $SLOW_NODE_RESOLVER and $SLOW_CLUSTER_DNS" \
  sh -c "$(declare -f answers_udp_in in_ns); answers_udp_in $NODE $SLOW_NODE_RESOLVER y.example.com $WWW_IP && answers_udp_in $NODE $SLOW_CLUSTER_DNS svc-1.default.svc.cluster.local $SVC_IP"
check "setup: the musl program is static (it resolves with musl, not the host's glibc)" \
  sh -c "file -b '$TMP/gai-musl' 2>/dev/null | grep -q 'statically linked' || ! ldd '$TMP/gai-musl' >/dev/null 2>&1"

# ------------------------------------------------------------------ daemon --
# corefile FILE CLUSTER-UPSTREAM NODE-UPSTREAM EXTRA-CLUSTER-LINES EXTRA-ROOT-LINES: node-local-dns's
# Corefile (cluster.local over TCP to kube-dns, . to the node's resolver), plus the directives tested
corefile() {
  cat >"$1" <<COREFILE
cluster.local:53 {
    errors
    cache {
        success 9984 30
        denial 9984 5
    }
    bind $LOCAL_IP
    forward . $2
    prometheus $LOCAL_IP:9253
$4
}
.:53 {
    errors
    cache 30
    bind $LOCAL_IP
    forward . $3
    prometheus $LOCAL_IP:9253
$5
}
COREFILE
}

# start_autopath_daemon NAME COREFILE -> DAEMON_PID, DAEMON_LOG: the jar in the node namespace, node
# mode without node networking and without the DaemonSet's template (lib/netns.sh's start_daemon
# would render -basecorefile over -conf) (main shell)
start_autopath_daemon() {
  DAEMON_LOG=$TMP/nodedns-$1.log
  start_bg "$DAEMON_LOG" ip netns exec "$NODE" env -u NODEDNS_RESOLV_CONF java ${NODEDNS_JAVA_OPTS:-} -jar "$JAR" \
    -localip "$LOCAL_IP" -conf "$2" -basecorefile "$TMP/no-template" -kubednscm "$TMP/no-configmap" \
    -setupinterface=false -setupiptables=false -metrics-listen-address ""
  DAEMON_PID=$BG_PID
}
expect_answering() { expect_ready "$NODE" "$LOCAL_IP" "$DAEMON_PID" "$DAEMON_LOG"; }  # within READY_SECONDS (30)

# metric SERIES-REGEX: the sum of every sample of the series (scraped in the node namespace)
metric() {
  local body _
  for _ in 1 2 3; do
    if body=$(in_ns "$NODE" curl -sS -f --max-time 5 "http://$LOCAL_IP:9253/metrics" 2>&1); then
      awk -v re="$1" '$0 ~ re { n += $NF } END { printf "%d\n", n }' <<<"$body"
      return 0
    fi
    sleep 0.5
  done
  echo no-scrape
}
# settled_metric SERIES-REGEX: metric, once two scrapes 0.2 s apart agree (at most 2 s): an autopath
# search answers the client before the search names after the one found are back from upstream,
# and those are counted when they are
settled_metric() {
  local prev cur _
  prev=$(metric "$1")
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    sleep 0.2
    cur=$(metric "$1")
    [ "$cur" = "$prev" ] && break
    prev=$cur
  done
  echo "$prev"
}
REQ='^coredns_dns_requests_total[{]'
UP='^coredns_proxy_request_duration_seconds_count[{]'
UP_NODE="^coredns_proxy_request_duration_seconds_count[{].*to=\"$NODE_RESOLVER:53\""

# lookup CLIENT NAME: the addresses the client resolves in the pod, one per line, sorted
lookup() {
  case $1 in
    glibc) in_ns "$POD" timeout 10 getent ahosts "$2" | awk '{ print $1 }' | sort -u ;;
    musl) in_ns "$POD" timeout 10 "$TMP/gai-musl" "$2" | sort -u ;;
  esac
}

# expect_lookup CLIENT NAME ADDRESS REQUESTS UPSTREAM: the client resolves NAME to ADDRESS, and
# nodedns received REQUESTS queries and sent UPSTREAM queries for it
expect_lookup() {
  local r0 u0 got r1 u1
  r0=$(metric "$REQ"); u0=$(metric "$UP")
  got=$(lookup "$1" "$2" 2>&1)
  r1=$(metric "$REQ"); u1=$(settled_metric "$UP")
  expect_equal "$1: addresses of $2, queries received, queries sent upstream" \
    "$(printf '%s\nreceived %s\nupstream %s' "$got" "$((r1 - r0))" "$((u1 - u0))")" \
    "$(printf '%s\nreceived %s\nupstream %s' "$3" "$4" "$5")"
}

# --- without autopath: the search path as the pods walk it -------------------
corefile "$TMP/plain.Corefile" "$CLUSTER_DNS { force_tcp }" /etc/resolv.conf "" ""
start_autopath_daemon plain "$TMP/plain.Corefile"
if check "plain: nodedns answers on $LOCAL_IP:53" expect_answering; then
  for client in glibc musl; do
    check "plain: $client: one lookup of an external name: 10 queries received (5 names x A, AAAA), 10 upstream" \
      expect_lookup "$client" "plain-$client.example.com" "$WWW_IP" 10 10
  done
  stop_daemon "plain: SIGTERM -> exit 0"
fi

# --- with autopath: one round trip per lookup ---------------------------------
corefile "$TMP/autopath.Corefile" "$CLUSTER_DNS { force_tcp }" /etc/resolv.conf "    autopath /etc/resolv.conf" ""
start_autopath_daemon autopath "$TMP/autopath.Corefile"
if check "autopath: nodedns answers on $LOCAL_IP:53" expect_answering; then
  # the first lookup also learns that namespace default exists (default.svc.cluster.local, cached 30 s)
  check "autopath: glibc: first lookup: 2 queries received (A, AAAA: one round trip), 11 upstream (the namespace check once)" \
    expect_lookup glibc warm.example.com "$WWW_IP" 2 11
  for client in glibc musl; do
    check "autopath: $client: one lookup of an external name: 2 queries received, 10 upstream" \
      expect_lookup "$client" "ap-$client.example.com" "$WWW_IP" 2 10
  done
  a0=$(metric '^nodedns_autopath_answers_total') s0=$(metric '^nodedns_autopath_queries_saved_total')
  lookup glibc counted.example.com >/dev/null
  check "autopath: per lookup, nodedns_autopath_answers_total +2 and nodedns_autopath_queries_saved_total +8" \
    expect_equal "answers, saved" "$(( $(metric '^nodedns_autopath_answers_total') - a0 )) $(( $(metric '^nodedns_autopath_queries_saved_total') - s0 ))" "2 8"
  check "autopath: on the wire: a CNAME from the first search name to the name found, then its address" \
    expect_equal "dig answer section" "$(in_ns "$POD" dig @$LOCAL_IP +time=2 +tries=1 +noall +answer wire.example.com.default.svc.cluster.local A | awk '{ print $1, $4, $5 }')" \
    "$(printf 'wire.example.com.default.svc.cluster.local. CNAME wire.example.com.\nwire.example.com. A %s' "$WWW_IP")"
  for client in glibc musl; do
    # found at the first search name, db.other.svc.cluster.local; db.other.cluster.local was in
    # flight with it (the names under the cluster zone go out together): A and AAAA of the asked
    # name and of those 2 search names, cached for the next lookup; db.other.corp.example and
    # db.other. are never sent (they would leave the cluster)
    n0=$(metric "$UP_NODE")
    check "autopath: $client: a service of another namespace (db.other): 2 queries received, its address (upstream: 6 the first time, then cached)" \
      expect_lookup "$client" db.other "$DB_IP" 2 "$([ $client = glibc ] && echo 6 || echo 0)"
    # (the series exists: the external lookups above went there)
    check "autopath: $client: ... no query for db.other reached the node's resolver ($NODE_RESOLVER)" \
      expect_equal "queries sent to $NODE_RESOLVER before, and since" \
      "$([ "$n0" -gt 0 ] 2>/dev/null && echo some || echo "none: $n0"), $(( $(settled_metric "$UP_NODE") - n0 ))" "some, 0"
    check "autopath: $client: one label (api) is no candidate: the client's own search finds api.corp.example" \
      sh -c "$(declare -f lookup in_ns); POD=$POD TMP=$TMP; got=\$(lookup $client api); [ \"\$got\" = $API_IP ] || { echo \"got '\$got'\"; exit 1; }"
    check "autopath: $client: the pod's own service (svc-1) as before" \
      sh -c "$(declare -f lookup in_ns); POD=$POD TMP=$TMP; got=\$(lookup $client svc-1); [ \"\$got\" = $SVC_IP ] || { echo \"got '\$got'\"; exit 1; }"
  done
  check "autopath: a name that exists nowhere: NXDOMAIN for the asked name, no CNAME" \
    expect_equal "dig status and answer count" \
    "$(in_ns "$POD" dig @$LOCAL_IP +time=2 +tries=1 nowhere.invalid.default.svc.cluster.local A | grep -oE 'status: [A-Z]+|ANSWER: [0-9]+' | tr '\n' ' ')" \
    "status: NXDOMAIN ANSWER: 0 "
  stop_daemon "autopath: SIGTERM -> exit 0"
fi

# --- with autopath and filter_aaaa: AAAA never leaves the node ----------------
corefile "$TMP/filter.Corefile" "$CLUSTER_DNS { force_tcp }" /etc/resolv.conf \
  "    autopath /etc/resolv.conf
    filter_aaaa" "    filter_aaaa"
start_autopath_daemon filter "$TMP/filter.Corefile"
if check "filter_aaaa: nodedns answers on $LOCAL_IP:53" expect_answering; then
  lookup glibc warm.example.com >/dev/null   # the namespace check, once
  for client in glibc musl; do
    f0=$(metric '^nodedns_filtered_aaaa_total')
    check "filter_aaaa: $client: one lookup: 2 queries received, 5 upstream (A only: the asked name and 4 search names)" \
      expect_lookup "$client" "filter-$client.example.com" "$WWW_IP" 2 5
    check "filter_aaaa: $client: ... its AAAA was answered here (nodedns_filtered_aaaa_total +1)" \
      expect_equal "nodedns_filtered_aaaa_total delta" "$(( $(metric '^nodedns_filtered_aaaa_total') - f0 ))" 1
  done
  check "filter_aaaa: AAAA is NOERROR, no answer, the zone's SOA with TTL 30 in the authority section" \
    expect_equal "dig" "$(in_ns "$POD" dig @$LOCAL_IP +time=2 +tries=1 +noall +answer +authority www.example.com AAAA | awk '{ print $1, $2, $4 }')" \
    ". 30 SOA"
  stop_daemon "filter: SIGTERM -> exit 0"
fi

# --- latency with upstreams 50 ms away ----------------------------------------
# median_ms CLIENT PREFIX: the median wall time of LATENCY_RUNS lookups of new names, in ms
median_ms() {
  local i t0 times=()
  for i in $(seq 1 "$LATENCY_RUNS"); do
    t0=$(date +%s%N)
    lookup "$1" "$2-$1-$i.example.com" >/dev/null
    times+=($(( ($(date +%s%N) - t0) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
declare -A LATENCY
for mode in plain autopath; do
  extra=""; [ $mode = autopath ] && extra="    autopath /etc/resolv.conf"
  corefile "$TMP/slow-$mode.Corefile" "$SLOW_CLUSTER_DNS { prefer_udp }" "$SLOW_NODE_RESOLVER { prefer_udp }" "$extra" ""
  start_autopath_daemon "slow-$mode" "$TMP/slow-$mode.Corefile"
  if check "latency: $mode against upstreams ${DELAY_MS} ms away: nodedns answers" expect_answering; then
    lookup glibc warm.example.com >/dev/null
    for client in glibc musl; do LATENCY[$mode,$client]=$(median_ms "$client" "lat-$mode"); done
    stop_daemon "latency: $mode: SIGTERM -> exit 0"
  fi
done
{
  echo "| client | without autopath | with autopath |"
  echo "|---|---|---|"
  for client in glibc musl; do
    echo "| $client | ${LATENCY[plain,$client]:-n/a} ms | ${LATENCY[autopath,$client]:-n/a} ms |"
  done
} >"$TMP/latency.md"
echo "latency of one lookup of a new external name (median of $LATENCY_RUNS), upstreams +$DELAY_MS ms:"
sed 's/^/  /' "$TMP/latency.md"
check "latency: every cell measured" expect_equal "cells" "$(grep -c ' ms |.* ms |' "$TMP/latency.md")" 2

finish_checks
