#!/usr/bin/env bash
# rollout.sh - system tests of issue 7's rollout and crash safety: the nodedns jar in node-cache
# mode inside network namespaces (the layout of netns.sh, whose helpers, lib/netns.sh, it shares), a
# steady dnsperf load from a pod namespace through a rolling update's handover, and a crash.
#
# Usage: bash src/test/system/rollout.sh JAR
#
#   NODE namespace   nodelocaldns 169.254.20.10/32 (pre-created as an empty bridge: the kernel
#                    may lack the dummy type), kube-dns-up with nsd (cluster.local, example.com),
#                    vpod 10.244.0.1/24
#   POD namespace    eth0 10.244.0.2/24, route to 169.254.20.10; dnsperf and dig run here
#
# Scenarios:
#   handover  A serves; dnsperf sends 2000 queries/s for 20 s; B starts on the same addresses
#             (SO_REUSEPORT), then A gets SIGTERM, sees B, leaves link and rules, answers what it
#             had queued, exits 0. Checked: dnsperf lost 0 queries, 0 SERVFAIL; the 12 rules
#             each once and the link with its address after A exited; B did not insert any rule;
#             B answers. Control: B's SIGTERM with no successor tears both down.
#   crash     C serves, is SIGKILLed: the link and rules stay; a pod's query gets "connection
#             refused" at once (ICMP port unreachable), not a 5 s timeout; D starts and adopts
#             them: time to its first answer, rules not duplicated.
#
# Needs root, java 17, ip (iproute2), iptables-nft, nsd, dig (dnsutils), dnsperf, python3.
# Namespaces are named ndro-<PID>-NAME; nothing runs in, or changes, the host namespace.
# Prints "PASS name" / "FAIL name" per check, then "N passed, N failed"; the dnsperf summary
# and the measured times are printed as "INFO" lines (benchmarks/RESULTS.md quotes them).
# Environment: SYSTEM_SUMMARY_FILE, NODEDNS_JAVA_OPTS, KEEP_TMP=1, as netns.sh;
#              ROLLOUT_QPS (2000), ROLLOUT_SECONDS (20).
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/checks.sh"   # check, finish_checks, start_bg/stop_pid, wait_until, the cleanup trap, TMP
source "$HERE/lib/netns.sh"    # namespaces, nsd in the node, the daemon in node-cache mode, rules, link
require_jar "$@"
[ "$(id -u)" = 0 ] || { echo "rollout.sh: needs root (network namespaces, iptables)" >&2; exit 2; }
require_commands java ip iptables-nft iptables-nft-save nsd nsd-checkconf dig dnsperf python3 timeout

PREFIX=ndro-$$-
QPS=${ROLLOUT_QPS:-2000}
LOAD_SECONDS=${ROLLOUT_SECONDS:-20}
make_tmp rollout

# ============================================================ the checks ====
info() { echo "INFO $*"; }

# queries_file FILE: the load: a Service name (cluster.local, forwarded over TCP to nsd) and an
# external name (the . block, over UDP to the node's resolver), both cached after the first miss,
# plus a name that does not exist (NXDOMAIN, cached as a denial)
queries_file() {
  printf '%s\n' "$SVC_NAME.default.svc.cluster.local A" "$WWW_NAME A" "nope.default.svc.cluster.local A" \
    "$SVC_NAME.default.svc.cluster.local AAAA" >"$1"
}

# dnsperf_field OUT LABEL: the number after "LABEL:" in dnsperf's summary
dnsperf_field() { awk -v l="$2:" '$0 ~ "^ *"l { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) { print $i; exit } }' "$1"; }

expect_no_loss() { # expect_no_loss DNSPERF-OUT: all sent completed, none lost, no SERVFAIL
  local out=$1 sent completed lost
  sent=$(dnsperf_field "$out" "Queries sent"); completed=$(dnsperf_field "$out" "Queries completed")
  lost=$(dnsperf_field "$out" "Queries lost")
  if [ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$lost" = 0 ] && [ "$completed" = "$sent" ] \
     && ! grep -q SERVFAIL "$out"; then return 0; fi
  echo "dnsperf: sent=$sent completed=$completed lost=$lost; its output:"; cat "$out"; return 1
}

log_count() { grep -cF -- "$2" "$1"; }

expect_log_count() { # expect_log_count LOG FIXED-STRING N
  expect_equal "lines with '$2' in $(basename "$1")" "$(log_count "$1" "$2")" "$3"
}

# refused_fast POD: a query from the pod gets "connection refused" (ICMP port unreachable) well
# within dig's 5 s timeout; prints the milliseconds it took
REFUSED_MS=""
refused_fast() {
  local t0 out
  t0=$(date +%s%N)
  out=$(in_ns "$1" dig @"$LOCAL_IP" +tries=1 +time=5 "$SVC_NAME.default.svc.cluster.local" A 2>&1)
  REFUSED_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
  grep -qi "connection refused" <<<"$out" && [ "$REFUSED_MS" -lt 2000 ] && return 0
  echo "expected 'connection refused' within 2 s; after $REFUSED_MS ms dig said:"; echo "$out"; return 1
}

# first_answer_ms NODE PID LOG LIMIT-S: polls dig every 50 ms from the daemon's launch (T0_NS)
# until svc-1 is answered; prints the milliseconds since T0_NS
first_answer_ms() {
  local end=$(( $(date +%s) + $4 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    kill -0 "$2" 2>/dev/null || { echo "the daemon exited; log:"; tail -n 20 "$3"; return 1; }
    if [ "$(in_ns "$1" dig @"$LOCAL_IP" +tries=1 +time=1 +short "$SVC_NAME.default.svc.cluster.local" A 2>/dev/null)" = "$SVC_IP" ]; then
      echo $(( ($(date +%s%N) - T0_NS) / 1000000 )); return 0
    fi
    sleep 0.05
  done
  echo "no answer within $4 s"; return 1
}

expect_status() { cat "$2"; return "$1"; } # expect_status RC FILE: RC, with FILE as the evidence

wait_started() { # wait_started LOG PID: the daemon logged its start line (bound, rules ensured)
  wait_until 30 grep -q "started from" "$1" && return 0
  echo "no start line in 30 s; log:"; tail -n 20 "$1"; return 1
}

# --- handover: a rolling update with maxSurge under steady load -------------
scenario_handover() {
  node_ns handover; local node=$NODE dir=$NODE_DIR
  pre_create_link "$node"
  pod_ns "$node" handover-pod; local pod=$POD
  corefile_base "$dir" "$LOCAL_IP"
  mkdir -p "$dir/a" "$dir/b"; cp -r "$dir/kube-dns" "$dir/Corefile.base" "$dir/a/"; cp -r "$dir/kube-dns" "$dir/Corefile.base" "$dir/b/"

  start_daemon "$node" "$dir/a" "$LOCAL_IP"; local a=$DAEMON_PID alog=$DAEMON_LOG
  if ! check "handover: A answers on $LOCAL_IP:53" expect_ready "$node" "$LOCAL_IP" "$a" "$alog"; then
    stop_pid "$a" 15 >/dev/null; return; fi
  check "handover: A logged its start (the rules go in after the first answers)" wait_started "$alog" "$a"
  check "handover: A set up the 12 rules" expect_rules "$node" iptables-nft-save "$LOCAL_IP/32"

  queries_file "$dir/queries"
  local perf_out=$dir/dnsperf.out
  start_bg "$perf_out" ip netns exec "$pod" dnsperf -s "$LOCAL_IP" -d "$dir/queries" -l "$LOAD_SECONDS" \
    -Q "$QPS" -c 4 -t 2 -S 5; local perf=$BG_PID
  sleep 4
  start_daemon "$node" "$dir/b" "$LOCAL_IP"; local b=$DAEMON_PID blog=$DAEMON_LOG
  check "handover: B starts next to A on the same addresses (SO_REUSEPORT)" wait_started "$blog" "$b"
  sleep 3   # both serve for a while: the kernel spreads the load over both processes' sockets
  stop_pid "$a" 15
  check "handover: A exits 0 on SIGTERM within 15 s" expect_exit 0 "$STOP_RC" "$STOP_MS" 15000 "$alog"
  info "handover: A stopped in $STOP_MS ms"
  check "handover: A saw B and left link and rules in place" expect_log_has "$alog" "Another process serves" "in place for it"
  check "handover: A removed nothing" expect_log_count "$alog" "Tearing down" 0
  check "handover: after A exited, the 12 rules each once" expect_rules "$node" iptables-nft-save "$LOCAL_IP/32"
  check "handover: after A exited, the link is up with $LOCAL_IP" expect_link "$node" up "$LOCAL_IP/32"
  check "handover: B inserted no rule (each -C found A's)" expect_log_count "$blog" "Added back" 0
  check "handover: B answers (UDP, TCP)" answers_in "$node" "$LOCAL_IP" "$SVC_NAME.default.svc.cluster.local" "$SVC_IP"
  wait "$perf" 2>/dev/null; forget_pid "$perf"
  check "handover: dnsperf at $QPS q/s for $LOAD_SECONDS s through the handover: 0 lost, 0 SERVFAIL" expect_no_loss "$perf_out"
  sed -n '/Statistics:/,$p' "$perf_out" | sed 's/^/INFO dnsperf: /'

  # control: without a successor the SIGTERM tears down, as before
  DAEMON_PID=$b DAEMON_LOG=$blog
  stop_daemon "handover: control: B, alone, exits 0 on SIGTERM"
  check "handover: control: B saw no successor and tore down" expect_log_has "$blog" "Tearing down"
  check "handover: control: no node-local-dns rules left" expect_no_rules "$node" iptables-nft-save "$LOCAL_IP"
  check "handover: control: the link is gone" expect_link "$node" absent
}

# --- crash: SIGKILL, what pods see, the restart ------------------------------
scenario_crash() {
  node_ns crash; local node=$NODE dir=$NODE_DIR
  pre_create_link "$node"
  pod_ns "$node" crash-pod; local pod=$POD
  corefile_base "$dir" "$LOCAL_IP"

  start_daemon "$node" "$dir" "$LOCAL_IP"; local c=$DAEMON_PID clog=$DAEMON_LOG
  if ! check "crash: C answers on $LOCAL_IP:53" expect_ready "$node" "$LOCAL_IP" "$c" "$clog"; then
    stop_pid "$c" 15 >/dev/null; return; fi
  check "crash: C logged its start (the rules go in after the first answers)" wait_started "$clog" "$c"
  kill -KILL "$c"; wait "$c" 2>/dev/null; forget_pid "$c"
  check "crash: after SIGKILL the 12 rules stay" expect_rules "$node" iptables-nft-save "$LOCAL_IP/32"
  check "crash: after SIGKILL the link stays up with $LOCAL_IP" expect_link "$node" up "$LOCAL_IP/32"
  local rc; refused_fast "$pod" >"$dir/refused.out"; rc=$?
  check "crash: a pod's query meanwhile is refused at once (ICMP port unreachable), no 5 s timeout" \
    expect_status "$rc" "$dir/refused.out"
  info "crash: dig in the pod got 'connection refused' after $REFUSED_MS ms"

  mv "$clog" "$dir/nodedns-c.log"
  T0_NS=$(date +%s%N)
  start_daemon "$node" "$dir" "$LOCAL_IP"; local d=$DAEMON_PID dlog=$DAEMON_LOG
  local ms
  if ms=$(first_answer_ms "$pod" "$d" "$dlog" 30); then
    check "crash: D, started after the crash, answers the pod" true
    info "crash: D's first answer to the pod $ms ms after its launch (JVM start included)"
  else
    check "crash: D, started after the crash, answers the pod" bash -c "echo '$ms'; exit 1"
  fi
  check "crash: D logged its start" wait_started "$dlog" "$d"
  check "crash: D adopted the link (did not add it, nor its address)" expect_log_count "$dlog" "Added " 0
  check "crash: the rules are not duplicated: 12, each once" expect_rules "$node" iptables-nft-save "$LOCAL_IP/32"
  stop_daemon "crash: D exits 0 on SIGTERM"
  check "crash: D tore down: no rules" expect_no_rules "$node" iptables-nft-save "$LOCAL_IP"
  check "crash: D tore down: no link" expect_link "$node" absent
}

scenario_handover
scenario_crash

finish_checks
