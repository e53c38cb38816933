#!/usr/bin/env bash
# rollout.sh - system tests of issue 7's rollout and crash safety: the nodedns jar in node-cache
# mode inside network namespaces (the layout of netns.sh, whose helpers this script copies), a
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
JAR=${1:?usage: rollout.sh JAR}
[ -f "$JAR" ] || { echo "rollout.sh: no such jar: $JAR" >&2; exit 2; }
JAR=$(cd "$(dirname "$JAR")" && pwd)/$(basename "$JAR")
[ "$(id -u)" = 0 ] || { echo "rollout.sh: needs root (network namespaces, iptables)" >&2; exit 2; }
for c in java ip iptables-nft iptables-nft-save nsd nsd-checkconf dig dnsperf python3 timeout; do
  command -v "$c" >/dev/null 2>&1 || { echo "rollout.sh: missing command: $c" >&2; exit 2; }
done

PREFIX=ndro-$$-
QPS=${ROLLOUT_QPS:-2000}
LOAD_SECONDS=${ROLLOUT_SECONDS:-20}
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

TMP=$(mktemp -d /tmp/nodedns-rollout.XXXXXX)

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
trap 'echo "rollout.sh: interrupted"; exit 130' INT TERM

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
  ip netns add "$NS" || { echo "rollout.sh: cannot create namespace $NS" >&2; exit 2; }
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
  nsd-checkconf "$NODE_DIR/nsd.conf" || { echo "rollout.sh: generated nsd.conf is invalid" >&2; exit 2; }
  start_bg "$NODE_DIR/nsd.out" ip netns exec "$NODE" nsd -d -c "$NODE_DIR/nsd.conf"; NSD_PID=$BG_PID
  if ! wait_until 20 answers_in "$NODE" "$CLUSTER_DNS" "$SVC_NAME.default.svc.cluster.local" "$SVC_IP"; then
    echo "rollout.sh: nsd did not start in $NODE:" >&2; cat "$NODE_DIR/nsd.out" "$NODE_DIR/nsd.log" >&2 2>/dev/null; exit 2
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

echo "$PASSED passed, $FAILED failed"
[ -n "${SYSTEM_SUMMARY_FILE:-}" ] && echo "$PASSED passed, $FAILED failed" >"$SYSTEM_SUMMARY_FILE"
[ "$FAILED" = 0 ]
