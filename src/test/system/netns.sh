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
JAR=${1:?usage: netns.sh JAR}
[ -f "$JAR" ] || { echo "netns.sh: no such jar: $JAR" >&2; exit 2; }
JAR=$(cd "$(dirname "$JAR")" && pwd)/$(basename "$JAR")
[ "$(id -u)" = 0 ] || { echo "netns.sh: needs root (network namespaces, iptables)" >&2; exit 2; }
for c in java ip iptables-nft iptables-nft-save ip6tables-nft-save iptables-legacy iptables-legacy-save \
         conntrack getent nsd nsd-checkconf dig curl python3 timeout; do
  command -v "$c" >/dev/null 2>&1 || { echo "netns.sh: missing command: $c" >&2; exit 2; }
done

PREFIX=ndns-$$-                 # every namespace this run creates
LOCAL_IP=169.254.20.10          # __PILLAR__LOCAL__DNS__, the link-local address pods use
DNS_SERVER_IP=10.96.0.10        # __PILLAR__DNS__SERVER__, the kube-dns ClusterIP node-local-dns also takes
LOCAL_IP6=fd00::10              # the dual-stack scenario's second local IP
CLUSTER_DNS=10.96.0.11          # kube-dns-upstream's ClusterIP: nsd with cluster.local
NODE_RESOLVER=10.96.0.12        # the node's resolv.conf nameserver: nsd with example.com
POD_GW=10.244.0.1 POD_IP=10.244.0.2
HEALTH_PORT=8080                # the template's health line and -health-port
SETUP_METRICS=$LOCAL_IP:9353    # -metrics-listen-address
SYNC_SECONDS=2                  # -syncinterval
BACK_WITHIN=6                   # what was removed by hand must be back this soon (3 sync intervals)
READY_SECONDS=30
LINK=nodelocaldns
C1="NodeLocal DNS Cache: skip conntrack" C2="NodeLocal DNS Cache: allow DNS traffic"
SVC_NAME=svc-1 SVC_IP=10.96.5.1 WWW_NAME=www.example.com WWW_IP=93.184.215.14
RULES_PY=$HERE/netns/iptables_rules.py
TEMPLATE=$HERE/../resources/config/nodecache/Corefile.base

TMP=$(mktemp -d /tmp/nodedns-netns.XXXXXX)

# ------------------------------------------------------- process management --
STARTED=()      # PIDs of the background processes this script started, nothing else
NAMESPACES=()   # namespaces this script created
NETNS_DIRS=()   # /etc/netns/NAME directories this script created
ETC_NETNS_CREATED=0
BG_PID=""

start_bg() { # start_bg LOGFILE CMD... -> BG_PID (call in the main shell, not in $(...))
  local logf=$1; shift
  "$@" >"$logf" 2>&1 </dev/null &
  BG_PID=$!
  STARTED+=("$BG_PID")
}

forget_pid() {
  local keep=() p
  for p in "${STARTED[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  STARTED=("${keep[@]}")
}

STOP_RC="" STOP_MS=""
stop_pid() { # stop_pid PID [SECONDS] -> SIGTERM, wait up to SECONDS (8), then SIGKILL; sets STOP_RC, STOP_MS
  local pid=$1 limit=${2:-8} t0 i children
  t0=$(date +%s%N)
  children=$(pgrep -P "$pid" 2>/dev/null | tr '\n' ' ')   # nsd's server/xfrd children
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 $((limit * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "  (pid $pid ignored SIGTERM for $limit s; sending SIGKILL)"
    kill -KILL "$pid" $children 2>/dev/null
  fi
  wait "$pid" 2>/dev/null; STOP_RC=$?
  STOP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
  forget_pid "$pid"
}

cleanup() {
  local p n
  for p in "${STARTED[@]}"; do stop_pid "$p" >/dev/null; done
  # Deleting a namespace deletes its links (bridges, veths) and its iptables rules with it.
  for n in "${NAMESPACES[@]}"; do ip netns del "$n" 2>/dev/null; done
  for n in "${NETNS_DIRS[@]}"; do rm -rf "/etc/netns/$n"; done
  [ "$ETC_NETNS_CREATED" = 1 ] && rmdir /etc/netns 2>/dev/null
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "temp dir kept: $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'echo "netns.sh: interrupted"; exit 130' INT TERM

# ------------------------------------------------------------------ checks --
PASSED=0 FAILED=0 FAILED_NAMES=()

# check NAME CMD... : CMD runs in a subshell; it returns non-zero and prints the
# evidence when the check fails. Returns CMD's status.
check() {
  local name=$1 out rc; shift
  out=$("$@" 2>&1); rc=$?
  if [ $rc = 0 ]; then
    PASSED=$((PASSED + 1)); echo "PASS $name"
  else
    FAILED=$((FAILED + 1)); FAILED_NAMES+=("$name"); echo "FAIL $name"
    printf '%s\n' "$out" | head -n 60 | sed 's/^/      /'
  fi
  return $rc
}

expect_equal() { # expect_equal WHAT GOT WANT
  [ "$2" = "$3" ] && return 0
  echo "$1: expected"; echo "$3"; echo "got:"; echo "$2"; return 1
}

wait_until() { # wait_until SECONDS CMD... : CMD succeeds before the deadline (polled every 0.2 s)
  local end=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    [ "$(date +%s%N)" -lt "$end" ] || return 1
    sleep 0.2
  done
}

# ------------------------------------------------------------- namespaces --
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

NS=""
add_ns() { # add_ns NAME -> NS=ndns-PID-NAME, created with lo up (main shell)
  NS=$PREFIX$1
  ip netns add "$NS" || { echo "netns.sh: cannot create namespace $NS" >&2; exit 2; }
  NAMESPACES+=("$NS")
  ip -n "$NS" link set lo up
}

netns_resolv_conf() { # netns_resolv_conf NS LINE... : /etc/netns/NS/resolv.conf, which `ip netns exec` mounts on /etc/resolv.conf
  [ -d /etc/netns ] || { mkdir /etc/netns && ETC_NETNS_CREATED=1; }
  mkdir -p "/etc/netns/$1" && NETNS_DIRS+=("$1")
  local ns=$1; shift
  printf '%s\n' "$@" >"/etc/netns/$ns/resolv.conf"
}

# --------------------------------------------------------------- the node --
# node_ns NAME: a node namespace with the cluster's DNS (nsd) on kube-dns-up and the
# node's resolv.conf; sets NODE, NODE_DIR, NSD_PID. Exits the script if nsd cannot serve:
# without an upstream no check would mean anything.
NODE="" NODE_DIR="" NSD_PID=""
node_ns() {
  add_ns "$1"; NODE=$NS
  NODE_DIR=$TMP/$1; mkdir -p "$NODE_DIR/kube-dns"   # an empty kube-dns ConfigMap: no stub domains
  ip -n "$NODE" link add kube-dns-up type bridge
  ip -n "$NODE" addr add "$CLUSTER_DNS/32" dev kube-dns-up
  ip -n "$NODE" addr add "$NODE_RESOLVER/32" dev kube-dns-up
  ip -n "$NODE" link set kube-dns-up up
  netns_resolv_conf "$NODE" "# the node's resolver: nsd inside this namespace" "nameserver $NODE_RESOLVER"
  cat >"$NODE_DIR/nsd.conf" <<EOF
server:
  ip-address: $CLUSTER_DNS@53
  ip-address: $NODE_RESOLVER@53
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$HERE/netns/zones"
  database: ""
  zonelistfile: "$NODE_DIR/nsd.zonelist"
  xfrdfile: "$NODE_DIR/nsd.xfrd.state"
  xfrdir: "$NODE_DIR"
  pidfile: "$NODE_DIR/nsd.pid"
  logfile: "$NODE_DIR/nsd.log"
  verbosity: 1
  tcp-query-count: 0
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: cluster.local
  zonefile: cluster.local.zone
zone:
  name: example.com
  zonefile: example.com.zone
EOF
  nsd-checkconf "$NODE_DIR/nsd.conf" || { echo "netns.sh: generated nsd.conf is invalid" >&2; exit 2; }
  start_bg "$NODE_DIR/nsd.out" ip netns exec "$NODE" nsd -d -c "$NODE_DIR/nsd.conf"; NSD_PID=$BG_PID
  if ! wait_until 20 answers_in "$NODE" "$CLUSTER_DNS" "$SVC_NAME.default.svc.cluster.local" "$SVC_IP"; then
    echo "netns.sh: nsd did not start in $NODE:" >&2; cat "$NODE_DIR/nsd.out" "$NODE_DIR/nsd.log" >&2 2>/dev/null; exit 2
  fi
}

# conntrack is off in a namespace until something there needs it; kube-proxy's filter rules
# (-m conntrack --ctstate) are what turn it on on a real node, so the same here.
conntrack_on() { in_ns "$1" iptables-nft -w 5 -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT; }

# pre_create_link NS [up ADDR/LEN...]: nodelocaldns as an empty bridge (no dummy type in this kernel)
pre_create_link() {
  local ns=$1 a; shift
  ip -n "$ns" link add "$LINK" type bridge
  [ "${1:-}" = up ] || return 0
  shift
  for a in "$@"; do ip -n "$ns" addr add "$a" dev "$LINK"; done
  ip -n "$ns" link set "$LINK" up
}

# ---------------------------------------------------------------- the pod --
POD=""
pod_ns() { # pod_ns NODE NAME -> POD, joined to NODE by a veth pair, resolving through 169.254.20.10
  add_ns "$2"; POD=$NS
  ip -n "$1" link add vpod type veth peer name eth0 netns "$POD"
  ip -n "$1" addr add "$POD_GW/24" dev vpod
  ip -n "$1" link set vpod up
  ip -n "$POD" addr add "$POD_IP/24" dev eth0
  ip -n "$POD" link set eth0 up
  ip -n "$POD" route add "$LOCAL_IP/32" via "$POD_GW"
  netns_resolv_conf "$POD" "nameserver $LOCAL_IP" "search default.svc.cluster.local svc.cluster.local cluster.local" \
    "options ndots:5"
}

# pod_addresses POD NAME: the distinct addresses glibc's getaddrinfo gives in the pod, one per line
pod_addresses() { in_ns "$1" timeout 10 getent ahosts "$2" | awk '{ print $1 }' | sort -u; }

expect_pod_resolves() { # expect_pod_resolves POD NAME ADDRESS
  expect_equal "getent ahosts $2 in the pod" "$(pod_addresses "$1" "$2" 2>&1)" "$3"
}

# conntrack_dns NODE ADDR: the conntrack entries whose original direction is to ADDR port 53;
# fails, saying why, when the table cannot be listed (an empty answer must mean "none")
conntrack_dns() {
  local table
  table=$(in_ns "$1" conntrack -L 2>/dev/null) || { echo "conntrack -L failed in $1"; return 1; }
  grep -E "dst=${2//./\\.} sport=[0-9]+ dport=53( |$)" <<<"$table"
  return 0
}

# pod_lookups_tracked POD NODE: flush NODE's conntrack table, resolve both names in the pod,
# print the entries for 169.254.20.10:53 those lookups left (none when NOTRACK works)
pod_lookups_tracked() {
  in_ns "$2" conntrack -F >/dev/null 2>&1 || { echo "conntrack -F failed in $2"; return 1; }
  pod_addresses "$1" "$SVC_NAME" >/dev/null; pod_addresses "$1" "$WWW_NAME" >/dev/null
  conntrack_dns "$2" "$LOCAL_IP"
}

expect_no_conntrack_entries() { # expect_no_conntrack_entries POD NODE
  local got; got=$(pod_lookups_tracked "$1" "$2") || { echo "$got"; return 1; }
  [ -z "$got" ] && [ -n "$(pod_addresses "$1" "$SVC_NAME")" ] && return 0
  echo "after the pod's lookups, conntrack in the node has entries for $LOCAL_IP:53 (or the lookups failed):"
  echo "${got:-(none; but getent ahosts $SVC_NAME found nothing)}"; return 1
}

expect_conntrack_entries() { # the control: without NOTRACK rules the same lookups are tracked
  local got; got=$(pod_lookups_tracked "$1" "$2") || { echo "$got"; return 1; }
  [ -n "$got" ] && return 0
  echo "expected conntrack entries with dst=$LOCAL_IP dport=53 after the pod's lookups; conntrack -L:"
  in_ns "$2" conntrack -L 2>&1 | head -n 20; return 1
}

# ------------------------------------------------------------------ queries --
# answers_in NS SERVER NAME ADDRESS: dig inside NS (UDP, then TCP) gets exactly ADDRESS
answers_in() {
  local ns=$1 server=$2 name=$3 want=$4 tcp got
  for tcp in +notcp +tcp; do
    got=$(in_ns "$ns" dig @"$server" +time=2 +tries=1 "$tcp" +short "$name" A 2>&1)
    [ "$got" = "$want" ] || { echo "dig @$server $tcp $name A in $ns: expected '$want', got '$got'"; return 1; }
  done
}

# nxdomains NS: the NXDOMAIN responses nodedns counted (coredns_dns_responses_total, all zones)
nxdomains() { # a scrape that fails 3 times prints "no-scrape", never a silent 0
  local body _
  for _ in 1 2 3; do
    if body=$(in_ns "$1" curl -sS -f --max-time 5 "http://$LOCAL_IP:9253/metrics" 2>&1); then
      awk '/^coredns_dns_responses_total\{/ && /rcode="NXDOMAIN"/ { n += $NF } END { print n + 0 }' <<<"$body"
      return 0
    fi
    echo "nxdomains: scrape of $LOCAL_IP:9253 failed: $body" >&2
    sleep 0.5
  done
  echo no-scrape
}

expect_setup_errors_at_zero() { # expect_setup_errors_at_zero NODE: the 5 series on -metrics-listen-address, all 0
  local body n
  body=$(in_ns "$1" curl -sf --max-time 5 "http://$SETUP_METRICS/metrics") || { echo "no answer on $SETUP_METRICS"; return 1; }
  n=$(grep -cE '^coredns_nodecache_setup_errors_total\{errortype="(iptables|iptables_lock|interface_add|interface_check|configmap)"\} 0(\.0)?$' <<<"$body")
  [ "$n" = 5 ] && return 0
  echo "want 5 zero series, got $n:"; grep setup_errors <<<"$body"; return 1
}

# ------------------------------------------------------------------- rules --
# node_cache_rules ADDR/LEN: the 12 rules node-cache keeps per local IP (cache_app.go
# initIptables), in iptables_rules.py's canonical form, sorted.
node_cache_rules() {
  local a=$1 p
  {
    for p in tcp udp; do
      echo "raw PREROUTING -p $p -d $a --dport 53 -j NOTRACK \"$C1\""      # pods' queries
      echo "filter INPUT -p $p -d $a --dport 53 -j ACCEPT \"$C2\""         # past kube-proxy's filter rules
      echo "raw OUTPUT -p $p -s $a --sport 53 -j NOTRACK \"$C1\""          # the answers
      echo "filter OUTPUT -p $p -s $a --sport 53 -j ACCEPT \"$C2\""
      echo "raw OUTPUT -p $p -d $a --dport 53 -j NOTRACK \"$C1\""          # hostNetwork pods' queries
    done
    echo "raw OUTPUT -p tcp -d $a --dport $HEALTH_PORT -j NOTRACK \"$C1\"" # kubelet's liveness probe
    echo "raw OUTPUT -p tcp -s $a --sport $HEALTH_PORT -j NOTRACK \"$C1\""
  } | sort
}

# rules_in NS SAVE-COMMAND ADDR...: the node-local-dns rules SAVE-COMMAND shows in NS, canonical,
# sorted; fails (saying why) when the listing cannot be had, so that "no rules" is never an error's silence
rules_in() {
  local ns=$1 save=$2 listing; shift 2
  listing=$(in_ns "$ns" "$save" 2>&1) || { echo "cannot list rules: $save in $ns: $listing"; return 1; }
  python3 "$RULES_PY" "$@" <<<"$listing"
}

# expect_rules NS SAVE-COMMAND ADDR/LEN...: exactly the 12 rules per ADDR, each once, nothing else about them
expect_rules() {
  local ns=$1 save=$2 want="" a got; shift 2
  for a in "$@"; do want+=$(node_cache_rules "$a")$'\n'; done
  want=$(sort <<<"${want%$'\n'}")
  got=$(rules_in "$ns" "$save" "${@%/*}") || { echo "$got"; return 1; }
  expect_equal "$save in $ns (canonical form, sorted)" "$got" "$want"
}

expect_no_rules() { # expect_no_rules NS SAVE-COMMAND ADDR...: no rule about ADDR, none with node-local-dns's comment
  local ns=$1 save=$2 got; shift 2
  got=$(rules_in "$ns" "$save" "$@") || { echo "$got"; return 1; }
  [ -z "$got" ] && return 0
  echo "$save in $ns still shows:"; echo "$got"; return 1
}

# add_rules_by_hand NS IPTABLES ADDR: the 12 rules, with the commands node-cache's utiliptables runs
add_rules_by_hand() {
  local ns=$1 bin=$2 a=$3 p
  for p in tcp udp; do
    in_ns "$ns" "$bin" -w 5 -t raw -I PREROUTING -p "$p" -d "$a" --dport 53 -m comment --comment "$C1" -j NOTRACK
    in_ns "$ns" "$bin" -w 5 -t filter -I INPUT -p "$p" -d "$a" --dport 53 -m comment --comment "$C2" -j ACCEPT
    in_ns "$ns" "$bin" -w 5 -t raw -I OUTPUT -p "$p" -s "$a" --sport 53 -m comment --comment "$C1" -j NOTRACK
    in_ns "$ns" "$bin" -w 5 -t filter -I OUTPUT -p "$p" -s "$a" --sport 53 -m comment --comment "$C2" -j ACCEPT
    in_ns "$ns" "$bin" -w 5 -t raw -I OUTPUT -p "$p" -d "$a" --dport 53 -m comment --comment "$C1" -j NOTRACK
  done
  in_ns "$ns" "$bin" -w 5 -t raw -I OUTPUT -p tcp -d "$a" --dport "$HEALTH_PORT" -m comment --comment "$C1" -j NOTRACK
  in_ns "$ns" "$bin" -w 5 -t raw -I OUTPUT -p tcp -s "$a" --sport "$HEALTH_PORT" -m comment --comment "$C1" -j NOTRACK
}

# the two rules the reconcile checks delete by hand, one per table
delete_rules_by_hand() { # delete_rules_by_hand NS IPTABLES ADDR
  in_ns "$1" "$2" -w 5 -t raw -D PREROUTING -p udp -d "$3" --dport 53 -m comment --comment "$C1" -j NOTRACK &&
    in_ns "$1" "$2" -w 5 -t filter -D INPUT -p tcp -d "$3" --dport 53 -m comment --comment "$C2" -j ACCEPT
}

expect_rule_count() { # expect_rule_count NS SAVE-COMMAND N ADDR...
  local ns=$1 save=$2 n=$3 got; shift 3
  got=$(rules_in "$ns" "$save" "$@") || { echo "$got"; return 1; }
  expect_equal "number of node-local-dns rules in $save" "$(grep -c . <<<"$got")" "$n"
}

# -------------------------------------------------------------------- link --
# link_state NS: "up" or "down" and the link's global addresses, sorted ("absent" without the link)
link_state() {
  local flags
  flags=$(ip -n "$1" -o link show dev "$LINK" 2>/dev/null) || { echo absent; return; }
  [[ $flags =~ \<([^>]*)\> ]] && [[ ,${BASH_REMATCH[1]}, == *,UP,* ]] && echo up || echo down
  ip -n "$1" -o addr show dev "$LINK" scope global | awk '{ print $4 }' | sort
}

expect_link() { # expect_link NS up|down [ADDR/LEN...] | expect_link NS absent
  local ns=$1 state=$2; shift 2
  expect_equal "link $LINK in $ns (state, then addresses)" "$(link_state "$ns")" \
    "$(echo "$state"; [ $# = 0 ] || printf '%s\n' "$@" | sort)"
}

# ------------------------------------------------------------------ daemon --
# corefile_base DIR LOCAL [SERVER]: the operator's sed step of the nodelocaldns instructions
# (as run.sh's nc_sed_template): the template with its three sed-filled PILLARs
corefile_base() {
  local server_sed="s/ __PILLAR__DNS__SERVER__//g"
  [ -n "${3:-}" ] && server_sed="s/__PILLAR__DNS__SERVER__/$3/g"
  sed -e "s/__PILLAR__LOCAL__DNS__/$2/g; $server_sed" -e "s/__PILLAR__DNS__DOMAIN__/cluster.local/g" \
    "$TEMPLATE" >"$1/Corefile.base"
}

# daemon_args DIR LOCALIPS: the DaemonSet's args (nodelocaldns.yaml), paths under DIR, -syncinterval 2s
DAEMON_ARGS=()
daemon_args() {
  DAEMON_ARGS=(-localip "$2" -conf "$1/Corefile" -basecorefile "$1/Corefile.base" -upstreamsvc kube-dns-upstream
    -kubednscm "$1/kube-dns" -health-port "$HEALTH_PORT" -syncinterval "${SYNC_SECONDS}s"
    -metrics-listen-address "$SETUP_METRICS")
}

# The jar runs inside NS with the DaemonSet's environment (the kube-dns-upstream Service's
# variable) and NODEDNS_RESOLV_CONF unset, so the "." block reads /etc/resolv.conf: the one
# `ip netns exec` mounts from /etc/netns/NS. `ip netns exec` and env exec, so the PID is java's.
DAEMON_PID="" DAEMON_LOG=""
start_daemon() { # start_daemon NS DIR LOCALIPS EXTRA-ARGS... -> DAEMON_PID, DAEMON_LOG (main shell)
  local ns=$1 dir=$2 ips=$3; shift 3
  daemon_args "$dir" "$ips"
  DAEMON_LOG=$dir/nodedns.log
  start_bg "$DAEMON_LOG" ip netns exec "$ns" env -u NODEDNS_RESOLV_CONF KUBE_DNS_UPSTREAM_SERVICE_HOST="$CLUSTER_DNS" \
    java ${NODEDNS_JAVA_OPTS:-} -jar "$JAR" "${DAEMON_ARGS[@]}" "$@"
  DAEMON_PID=$BG_PID
}

# run_daemon_fg NS DIR LOCALIPS EXTRA-ARGS... : the daemon in the foreground, bounded; its
# output in DIR/nodedns.log; returns its exit status (124: still running after 20 s)
run_daemon_fg() {
  local ns=$1 dir=$2 ips=$3; shift 3
  daemon_args "$dir" "$ips"
  timeout 20 ip netns exec "$ns" env -u NODEDNS_RESOLV_CONF KUBE_DNS_UPSTREAM_SERVICE_HOST="$CLUSTER_DNS" \
    java ${NODEDNS_JAVA_OPTS:-} -jar "$JAR" "${DAEMON_ARGS[@]}" "$@" >"$dir/nodedns.log" 2>&1 </dev/null
}

expect_ready() { # expect_ready NS ADDR PID LOG: the daemon answers svc-1 on ADDR:53 within READY_SECONDS
  local end=$(( $(date +%s) + READY_SECONDS ))
  while [ "$(date +%s)" -lt "$end" ]; do
    kill -0 "$3" 2>/dev/null || { echo "the daemon exited; its log:"; tail -n 30 "$4"; return 1; }
    answers_in "$1" "$2" "$SVC_NAME.default.svc.cluster.local" "$SVC_IP" >/dev/null 2>&1 && return 0
    sleep 0.3
  done
  echo "no answer for $SVC_NAME on $2:53 within $READY_SECONDS s; log tail:"; tail -n 30 "$4"; return 1
}

expect_log_has() { # expect_log_has LOG FIXED-STRING...: one line holds every string
  local log=$1 lines; shift
  lines=$(cat "$log"); local s
  for s in "$@"; do lines=$(grep -F -- "$s" <<<"$lines"); done
  [ -n "$lines" ] && return 0
  printf "expected a log line with:"; printf " '%s'" "$@"; echo "; log tail:"; tail -n 20 "$log"; return 1
}

expect_exit() { # expect_exit WANT RC MS LIMIT-MS LOG
  [ "$2" = "$1" ] && [ "$3" -le "$4" ] && return 0
  echo "expected exit $1 within $4 ms; got exit $2 after $3 ms"
  [ "$2" = 143 ] && echo "(143 is the JVM's default status for SIGTERM: the daemon must exit 0 itself)"
  echo "log tail:"; tail -n 20 "$5"; return 1
}

# stop_daemon NAME: SIGTERM, checked: exit 0 within 15 s (teardown runs up to 48 iptables commands)
stop_daemon() {
  stop_pid "$DAEMON_PID" 15
  check "$1" expect_exit 0 "$STOP_RC" "$STOP_MS" 15000 "$DAEMON_LOG"
}

# skip_rest NAME: the daemon never became ready; the scenario's other checks are not run
skip_rest() { echo "      (the other checks of scenario '$1' are skipped)"; stop_pid "$DAEMON_PID" 15 >/dev/null; }

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
  check "node: 2 rules deleted by hand (raw PREROUTING udp, filter INPUT tcp): 22 left" \
    expect_rule_count "$node" iptables-nft-save 22 "$LOCAL_IP" "$DNS_SERVER_IP"
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

if [ "$FAILED" -gt 0 ]; then
  echo "failed checks:"; printf '  %s\n' "${FAILED_NAMES[@]}"
fi
SUMMARY="$PASSED passed, $FAILED failed"
[ -n "${SYSTEM_SUMMARY_FILE:-}" ] && echo "$SUMMARY" >"$SYSTEM_SUMMARY_FILE"
echo "$SUMMARY"
[ "$FAILED" = 0 ]
