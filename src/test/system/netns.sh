#!/usr/bin/env bash
# netns.sh - system tests of node networking: the nodedns jar in node-cache mode inside
# network namespaces, as the node-local-dns DaemonSet runs it on a node, with a real
# upstream (nsd), a "pod" namespace whose glibc resolves through it, and conntrack.
#
# Usage: bash src/test/system/netns.sh JAR
#
# Every scenario gets fresh namespaces named ndns-<PID>-NAME (this script's PID, so
# parallel runs never clash); nothing runs in, or changes, the host namespace.
#
#   NODE namespace (one per scenario)
#     nodelocaldns   169.254.20.10/32 (and 10.96.0.10/32, fd00::10/128)   nodedns binds :53,
#                    /health :8080 (the template), setup errors on 169.254.20.10:9353
#     kube-dns-up    10.96.0.11/32  nsd: the kube-dns-upstream ClusterIP (cluster.local, TCP and UDP)
#                    10.96.0.12/32  nsd: the node's resolver, /etc/netns/NODE/resolv.conf (example.com)
#     vpod           10.244.0.1/24  veth to the pod
#   POD namespace    eth0 10.244.0.2/24, route to 169.254.20.10 via 10.244.0.1,
#                    /etc/netns/POD/resolv.conf the Kubernetes one (ndots:5, search list)
#
# nodedns runs as the published DaemonSet does (nodelocaldns.yaml): the Corefile template
# after the operator's sed step, -localip, -upstreamsvc kube-dns-upstream with
# KUBE_DNS_UPSTREAM_SERVICE_HOST, -syncinterval 2s. The kernel may lack the dummy link
# type, so most scenarios pre-create nodelocaldns as an empty bridge, which the daemon
# adopts as node-cache adopts an existing link.
#
# Scenarios: harness (the daemon with -setupinterface=false -setupiptables=false, a
# hand-made link and hand-made rules: proves that every piece of evidence below can fail),
# node (link, addresses, 12 rules per local IP, re-added after deletion, pod resolution
# without conntrack entries, teardown on SIGTERM), keep (-skipteardown), legacy
# (kube-proxy's iptables-legacy), dual (IPv4 and IPv6 local IPs), taken (-localip already
# on another link), nolink (no pre-created link).
#
# Needs root, java 17, ip (iproute2), iptables-nft and iptables-legacy with the ip6tables
# pair (iptables), conntrack, getent (libc-bin), nsd, dig (dnsutils), curl, python3.
# Prints "PASS name" / "FAIL name" (with the evidence indented below) per check, then a
# last line "N passed, N failed". Exit status 0 only if nothing failed. Every wait is
# bounded; the whole run takes about a minute, well under three.
#
# Environment: SYSTEM_SUMMARY_FILE  also write the final line to this file
#              NODEDNS_JAVA_OPTS    extra JVM options for the daemon
#              KEEP_TMP=1           keep the temp dir (configs, logs) for inspection
set -uo pipefail   # no -e: a failing check is recorded and the run goes on
export LC_ALL=C    # sort and grep the same way on every machine

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/checks.sh"   # check, finish_checks, start_bg/stop_pid, wait_until, the cleanup trap, TMP
source "$HERE/lib/netns.sh"    # namespaces, nsd in the node, the daemon in node-cache mode, rules, link
require_jar "$@"
[ "$(id -u)" = 0 ] || { echo "netns.sh: needs root (network namespaces, iptables)" >&2; exit 2; }
require_commands java ip iptables-nft iptables-nft-save ip6tables-nft-save iptables-legacy iptables-legacy-save \
  conntrack getent nsd nsd-checkconf dig curl python3 timeout

PREFIX=ndns-$$-                 # every namespace this run creates
make_tmp netns

# ============================================================ the checks ====

# --- harness: everything but node networking, which is done by hand here ------
# The daemon runs with -setupinterface=false -setupiptables=false next to a hand-made
# link and hand-made rules: the upstream, the pod, glibc and conntrack are proven, and
# each piece of evidence the node scenarios rely on is shown to be able to fail.
scenario_harness() {
  local nx0 nx1
  node_ns harness; local node=$NODE dir=$NODE_DIR
  pre_create_link "$node" up "$LOCAL_IP/32"
  conntrack_on "$node"
  pod_ns "$node" harness-pod; local pod=$POD
  corefile_base "$dir" "$LOCAL_IP"

  check "harness: nsd in the node answers cluster.local on $CLUSTER_DNS (UDP, TCP)" \
    answers_in "$node" "$CLUSTER_DNS" "$SVC_NAME.default.svc.cluster.local" "$SVC_IP"
  check "harness: nsd in the node answers example.com on the resolv.conf nameserver $NODE_RESOLVER" \
    answers_in "$node" "$NODE_RESOLVER" "$WWW_NAME" "$WWW_IP"
  check "harness: no node-local-dns rules before the daemon starts (the rule listing parses to nothing)" \
    expect_no_rules "$node" iptables-nft-save "$LOCAL_IP"

  start_daemon "$node" "$dir" "$LOCAL_IP" -setupinterface=false -setupiptables=false
  if ! check "harness: -setupinterface=false -setupiptables=false: answers on $LOCAL_IP:53 (UDP, TCP)" \
         expect_ready "$node" "$LOCAL_IP" "$DAEMON_PID" "$DAEMON_LOG"; then skip_rest harness; return; fi

  nx0=$(nxdomains "$node")
  check "harness: pod: getent ahosts $SVC_NAME -> $SVC_IP (first search domain)" expect_pod_resolves "$pod" "$SVC_NAME" "$SVC_IP"
  check "harness: pod: getent ahosts $WWW_NAME -> $WWW_IP (through the . block)" expect_pod_resolves "$pod" "$WWW_NAME" "$WWW_IP"
  nx1=$(nxdomains "$node")
  # ndots:5: glibc tries the 3 search domains first, A and AAAA each, before the name as given
  check "harness: ... $WWW_NAME went through the search list first: 6 NXDOMAIN answered (3 domains x A, AAAA)" \
    expect_equal "coredns_dns_responses_total{rcode=NXDOMAIN} before and after" "$nx0 $nx1" "$nx0 $((nx0 + 6))"
  check "harness: control: without NOTRACK rules the pod's lookups DO leave conntrack entries for $LOCAL_IP:53" \
    expect_conntrack_entries "$pod" "$node"
  check "harness: setup errors on $SETUP_METRICS, all 5 types at 0" expect_setup_errors_at_zero "$node"

  add_rules_by_hand "$node" iptables-nft "$LOCAL_IP"
  check "harness: the 12 node-cache rules added by hand are read back exactly (iptables-nft-save)" \
    expect_rules "$node" iptables-nft-save "$LOCAL_IP/32"
  check "harness: with the hand-made NOTRACK rules, no conntrack entries for $LOCAL_IP:53" \
    expect_no_conntrack_entries "$pod" "$node"

  delete_rules_by_hand "$node" iptables-nft "$LOCAL_IP"
  ip -n "$node" addr del "$LOCAL_IP/32" dev "$LINK"
  sleep "$BACK_WITHIN"
  check "harness: control: -setupiptables=false: 2 rules deleted by hand stay deleted for $BACK_WITHIN s (10 left)" \
    expect_rule_count "$node" iptables-nft-save 10 "$LOCAL_IP"
  check "harness: control: -setupinterface=false: the address deleted by hand stays deleted" expect_link "$node" up
  ip -n "$node" addr add "$LOCAL_IP/32" dev "$LINK"
  # what the node scenario's re-added address relies on: sockets bound to an address outlive it
  check "harness: address re-added by hand: the pod resolves again through the daemon's bound sockets" \
    expect_pod_resolves "$pod" "$SVC_NAME" "$SVC_IP"

  stop_daemon "harness: SIGTERM -> exit 0"
  check "harness: control: nothing torn down that the daemon did not set up (link, address, 10 rules stay)" \
    expect_equal "link and rule count" "$(link_state "$node"; rules_in "$node" iptables-nft-save "$LOCAL_IP" | grep -c .)" \
    "$(printf '%s\n' up "$LOCAL_IP/32" 10)"
  stop_pid "$NSD_PID"
}

# --- node: the DaemonSet as published, node networking by the daemon -----------
scenario_node() {
  node_ns node; local node=$NODE dir=$NODE_DIR
  pre_create_link "$node"   # down, no address: the daemon adopts it and sets it up
  conntrack_on "$node"
  pod_ns "$node" node-pod; local pod=$POD
  corefile_base "$dir" "$LOCAL_IP" "$DNS_SERVER_IP"

  start_daemon "$node" "$dir" "$LOCAL_IP,$DNS_SERVER_IP"
  if ! check "node: DaemonSet args (-localip $LOCAL_IP,$DNS_SERVER_IP) answer on $LOCAL_IP:53 (UDP, TCP)" \
         expect_ready "$node" "$LOCAL_IP" "$DAEMON_PID" "$DAEMON_LOG"; then skip_rest node; return; fi
  check "node: ... and on $DNS_SERVER_IP:53" answers_in "$node" "$DNS_SERVER_IP" "$SVC_NAME.default.svc.cluster.local" "$SVC_IP"
  check "node: link $LINK up with $LOCAL_IP/32 and $DNS_SERVER_IP/32" expect_link "$node" up "$DNS_SERVER_IP/32" "$LOCAL_IP/32"
  wait_until 5 expect_rules "$node" iptables-nft-save "$LOCAL_IP/32" "$DNS_SERVER_IP/32"
  check "node: 24 rules (12 per local IP) in iptables-nft-save, each exactly once" \
    expect_rules "$node" iptables-nft-save "$LOCAL_IP/32" "$DNS_SERVER_IP/32"
  check "node: none in iptables-legacy-save" expect_no_rules "$node" iptables-legacy-save "$LOCAL_IP" "$DNS_SERVER_IP"
  check "node: the start log names the backend: iptables-nft (no KUBE-IPTABLES-HINT anywhere: nft, the wrapper's default)" \
    expect_log_has "$DAEMON_LOG" iptables-nft
  check "node: setup errors on $SETUP_METRICS, all 5 types at 0" expect_setup_errors_at_zero "$node"

  check "node: pod: getent ahosts $SVC_NAME -> $SVC_IP" expect_pod_resolves "$pod" "$SVC_NAME" "$SVC_IP"
  check "node: pod: getent ahosts $WWW_NAME -> $WWW_IP" expect_pod_resolves "$pod" "$WWW_NAME" "$WWW_IP"
  check "node: pod's lookups leave no conntrack entries for $LOCAL_IP:53 in the node" \
    expect_no_conntrack_entries "$pod" "$node"

  delete_rules_by_hand "$node" iptables-nft "$LOCAL_IP"
  # Fewer than 24, not exactly 22: the daemon reconciles every 2 s, and on a loaded machine a
  # reconcile may put the first rule back before the second is gone or before the count.
  check "node: 2 rules deleted by hand (raw PREROUTING udp, filter INPUT tcp): fewer than 24 left" \
    expect_rule_count_below "$node" iptables-nft-save 24 "$LOCAL_IP" "$DNS_SERVER_IP"
  wait_until "$BACK_WITHIN" expect_rules "$node" iptables-nft-save "$LOCAL_IP/32" "$DNS_SERVER_IP/32"
  check "node: ... back within $BACK_WITHIN s (-syncinterval ${SYNC_SECONDS}s), all 24 exactly once" \
    expect_rules "$node" iptables-nft-save "$LOCAL_IP/32" "$DNS_SERVER_IP/32"

  ip -n "$node" addr del "$LOCAL_IP/32" dev "$LINK"
  wait_until "$BACK_WITHIN" expect_link "$node" up "$DNS_SERVER_IP/32" "$LOCAL_IP/32"
  check "node: address $LOCAL_IP/32 deleted by hand: back within $BACK_WITHIN s" \
    expect_link "$node" up "$DNS_SERVER_IP/32" "$LOCAL_IP/32"
  check "node: ... and the pod resolves through it again" expect_pod_resolves "$pod" "$SVC_NAME" "$SVC_IP"

  ip -n "$node" link set "$LINK" down
  wait_until "$BACK_WITHIN" expect_link "$node" up "$DNS_SERVER_IP/32" "$LOCAL_IP/32"
  check "node: link set down by hand: up again within $BACK_WITHIN s, addresses kept" \
    expect_link "$node" up "$DNS_SERVER_IP/32" "$LOCAL_IP/32"
  check "node: still 24 rules, none duplicated by the reconciles" \
    expect_rules "$node" iptables-nft-save "$LOCAL_IP/32" "$DNS_SERVER_IP/32"

  stop_daemon "node: SIGTERM -> exit 0 within 15 s"
  check "node: after SIGTERM no node-local-dns rule is left (iptables-nft-save)" \
    expect_no_rules "$node" iptables-nft-save "$LOCAL_IP" "$DNS_SERVER_IP"
  check "node: after SIGTERM link $LINK is gone" expect_link "$node" absent
  stop_pid "$NSD_PID"
}

# --- keep: -skipteardown ------------------------------------------------------
scenario_keep() {
  node_ns keep; local node=$NODE dir=$NODE_DIR
  pre_create_link "$node"
  corefile_base "$dir" "$LOCAL_IP"
  start_daemon "$node" "$dir" "$LOCAL_IP" -skipteardown
  if ! check "keep: -skipteardown: answers on $LOCAL_IP:53" \
         expect_ready "$node" "$LOCAL_IP" "$DAEMON_PID" "$DAEMON_LOG"; then skip_rest keep; return; fi
  wait_until 5 expect_rules "$node" iptables-nft-save "$LOCAL_IP/32"
  check "keep: 12 rules in place" expect_rules "$node" iptables-nft-save "$LOCAL_IP/32"
  stop_daemon "keep: SIGTERM -> exit 0 within 15 s"
  check "keep: after the exit the 12 rules stay" expect_rules "$node" iptables-nft-save "$LOCAL_IP/32"
  check "keep: after the exit link $LINK stays, up with $LOCAL_IP/32" expect_link "$node" up "$LOCAL_IP/32"
  stop_pid "$NSD_PID"
}

# --- legacy: kube-proxy on iptables-legacy ------------------------------------
scenario_legacy() {
  node_ns legacy; local node=$NODE dir=$NODE_DIR
  pre_create_link "$node"
  # kubelet's hint chain (iptables-wrappers detect.go): this node's kube-proxy uses legacy
  in_ns "$node" iptables-legacy -w 5 -t mangle -N KUBE-IPTABLES-HINT
  corefile_base "$dir" "$LOCAL_IP"
  start_daemon "$node" "$dir" "$LOCAL_IP"
  if ! check "legacy: KUBE-IPTABLES-HINT in iptables-legacy: answers on $LOCAL_IP:53" \
         expect_ready "$node" "$LOCAL_IP" "$DAEMON_PID" "$DAEMON_LOG"; then skip_rest legacy; return; fi
  wait_until 5 expect_rules "$node" iptables-legacy-save "$LOCAL_IP/32"
  check "legacy: 12 rules in iptables-legacy-save, each exactly once" expect_rules "$node" iptables-legacy-save "$LOCAL_IP/32"
  check "legacy: none in iptables-nft-save" expect_no_rules "$node" iptables-nft-save "$LOCAL_IP"
  check "legacy: the start log names the backend: iptables-legacy" expect_log_has "$DAEMON_LOG" iptables-legacy
  in_ns "$node" iptables-legacy -w 5 -t raw -D PREROUTING -p udp -d "$LOCAL_IP" --dport 53 -m comment --comment "$C1" -j NOTRACK
  wait_until "$BACK_WITHIN" expect_rules "$node" iptables-legacy-save "$LOCAL_IP/32"
  check "legacy: a rule deleted by hand is back within $BACK_WITHIN s, all 12 exactly once" \
    expect_rules "$node" iptables-legacy-save "$LOCAL_IP/32"
  stop_daemon "legacy: SIGTERM -> exit 0 within 15 s"
  check "legacy: after SIGTERM no node-local-dns rule is left (iptables-legacy-save)" \
    expect_no_rules "$node" iptables-legacy-save "$LOCAL_IP"
  check "legacy: after SIGTERM link $LINK is gone" expect_link "$node" absent
  stop_pid "$NSD_PID"
}

# --- dual: IPv4 and IPv6 local IPs in one process (node-cache refuses mixed families) ---
scenario_dual() {
  node_ns dual; local node=$NODE dir=$NODE_DIR
  pre_create_link "$node"
  corefile_base "$dir" "$LOCAL_IP" "$LOCAL_IP6"
  start_daemon "$node" "$dir" "$LOCAL_IP,$LOCAL_IP6"
  if ! check "dual: -localip $LOCAL_IP,$LOCAL_IP6: answers on $LOCAL_IP:53" \
         expect_ready "$node" "$LOCAL_IP" "$DAEMON_PID" "$DAEMON_LOG"; then skip_rest dual; return; fi
  check "dual: dig @$LOCAL_IP6 (UDP, TCP) -> $SVC_IP" answers_in "$node" "$LOCAL_IP6" "$SVC_NAME.default.svc.cluster.local" "$SVC_IP"
  check "dual: link $LINK up with $LOCAL_IP/32 and $LOCAL_IP6/128" expect_link "$node" up "$LOCAL_IP/32" "$LOCAL_IP6/128"
  wait_until 5 expect_rules "$node" ip6tables-nft-save "$LOCAL_IP6/128"
  check "dual: 12 rules for $LOCAL_IP in iptables-nft-save" expect_rules "$node" iptables-nft-save "$LOCAL_IP/32"
  check "dual: 12 rules for $LOCAL_IP6 in ip6tables-nft-save" expect_rules "$node" ip6tables-nft-save "$LOCAL_IP6/128"
  stop_daemon "dual: SIGTERM -> exit 0 within 15 s"
  check "dual: after SIGTERM no rule left in iptables-nft-save nor ip6tables-nft-save" \
    expect_equal "rules left" "$(rules_in "$node" iptables-nft-save "$LOCAL_IP"; rules_in "$node" ip6tables-nft-save "$LOCAL_IP6")" ""
  check "dual: after SIGTERM link $LINK is gone" expect_link "$node" absent
  stop_pid "$NSD_PID"
}

# --- taken: -localip is already an address of another link ----------------------
expect_refused_unchanged() { # expect_refused_unchanged NS RC LOG STRING... : exit 1, a log line with every STRING, nothing changed
  local ns=$1 rc=$2 log=$3 bad=0; shift 3
  [ "$rc" = 1 ] || { echo "expected exit 1, got $rc"; bad=1; }
  expect_log_has "$log" "$@" || bad=1
  expect_link "$ns" down || bad=1                              # the pre-created link: not set up, no address
  expect_no_rules "$ns" iptables-nft-save "$LOCAL_IP" || bad=1
  expect_no_rules "$ns" iptables-legacy-save "$LOCAL_IP" || bad=1
  expect_equal "other0's addresses" "$(ip -n "$ns" -o addr show dev other0 scope global | awk '{ print $4 }')" "$LOCAL_IP/32" || bad=1
  return $bad
}

scenario_taken() {
  local rc
  node_ns taken; local node=$NODE dir=$NODE_DIR
  pre_create_link "$node"
  ip -n "$node" link add other0 type veth peer name other1
  ip -n "$node" addr add "$LOCAL_IP/32" dev other0
  corefile_base "$dir" "$LOCAL_IP"
  run_daemon_fg "$node" "$dir" "$LOCAL_IP"; rc=$?
  check "taken: $LOCAL_IP already on link other0 -> exit 1 naming both, nothing changed" \
    expect_refused_unchanged "$node" "$rc" "$dir/nodedns.log" "$LOCAL_IP" "other0"
  stop_pid "$NSD_PID"
}

# --- nolink: nothing pre-created: the daemon must add the link itself ----------
scenario_nolink() {
  local rc probe=${PREFIX}dummy-probe
  node_ns nolink; local node=$NODE dir=$NODE_DIR
  corefile_base "$dir" "$LOCAL_IP"
  if ip -n "$node" link add "$probe" type dummy 2>/dev/null; then
    # A kernel with dummy links: node-cache's own case, the daemon adds nodelocaldns.
    ip -n "$node" link del "$probe"
    start_daemon "$node" "$dir" "$LOCAL_IP"
    if ! check "nolink: kernel has dummy links: the daemon adds $LINK itself and answers on $LOCAL_IP:53" \
           expect_ready "$node" "$LOCAL_IP" "$DAEMON_PID" "$DAEMON_LOG"; then skip_rest nolink; return; fi
    check "nolink: $LINK is a dummy link, up with $LOCAL_IP/32" \
      expect_equal "link" "$(ip -n "$node" -d -o link show dev "$LINK" | grep -o 'dummy' | head -1; link_state "$node")" \
      "$(printf '%s\n' dummy up "$LOCAL_IP/32")"
    stop_daemon "nolink: SIGTERM -> exit 0 within 15 s"
    check "nolink: after SIGTERM link $LINK is gone" expect_link "$node" absent
  else
    # This kernel: `ip link add X type dummy` says "Error: Unknown device type."
    run_daemon_fg "$node" "$dir" "$LOCAL_IP"; rc=$?
    check "nolink: no $LINK and no dummy link type -> exit 1 with ip's error in the log" \
      expect_equal "exit status" "$rc" 1
    check "nolink: ... the log names $LINK and the failure (Unknown device type)" \
      expect_log_has "$dir/nodedns.log" "$LINK" "Unknown device type"
    check "nolink: ... no link, no rules left behind" \
      expect_equal "link, then rules" "$(link_state "$node"; rules_in "$node" iptables-nft-save "$LOCAL_IP")" absent
  fi
  stop_pid "$NSD_PID"
}

# ------------------------------------------------------------------ main ---
echo "netns.sh: namespaces ${PREFIX}*; jar: $JAR"
scenario_harness
scenario_node
scenario_keep
scenario_legacy
scenario_dual
scenario_taken
scenario_nolink

finish_checks
