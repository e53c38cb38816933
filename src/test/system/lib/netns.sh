# lib/netns.sh - sourced by netns.sh, rollout.sh and autopath.sh, after lib/checks.sh: the node and pod
# network namespaces of node-local-dns, nsd as kube-dns inside the node, the nodedns jar in
# node-cache mode inside it, and the listings of link, rules and conntrack the checks compare.
#
# The sourcing script sets HERE (src/test/system), and before calling these PREFIX (the
# names of its namespaces), JAR and TMP. Namespaces and /etc/netns directories made here are
# removed at exit (an on_cleanup hook), after the processes are stopped.
source "$HERE/lib/nsd.sh"
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

# ------------------------------------------------------------- namespaces --
NAMESPACES=()   # namespaces this script created
NETNS_DIRS=()   # /etc/netns/NAME directories this script created
ETC_NETNS_CREATED=0

netns_cleanup() {
  local n
  # Deleting a namespace deletes its links (bridges, veths) and its iptables rules with it.
  for n in "${NAMESPACES[@]}"; do ip netns del "$n" 2>/dev/null; done
  for n in "${NETNS_DIRS[@]}"; do rm -rf "/etc/netns/$n"; done
  [ "$ETC_NETNS_CREATED" = 1 ] && rmdir /etc/netns 2>/dev/null
  return 0
}
on_cleanup netns_cleanup

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

NS=""
add_ns() { # add_ns NAME -> NS=ndns-PID-NAME, created with lo up (main shell)
  NS=$PREFIX$1
  ip netns add "$NS" || { echo "$ME: cannot create namespace $NS" >&2; exit 2; }
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
# node's resolv.conf; sets NODE, NODE_DIR, NSD_PID (start_node_nsd: exits the script if nsd
# cannot serve).
NODE="" NODE_DIR="" NSD_PID=""
node_ns() {
  add_ns "$1"; NODE=$NS
  NODE_DIR=$TMP/$1; mkdir -p "$NODE_DIR/kube-dns"   # an empty kube-dns ConfigMap: no stub domains
  ip -n "$NODE" link add kube-dns-up type bridge
  ip -n "$NODE" addr add "$CLUSTER_DNS/32" dev kube-dns-up
  ip -n "$NODE" addr add "$NODE_RESOLVER/32" dev kube-dns-up
  ip -n "$NODE" link set kube-dns-up up
  netns_resolv_conf "$NODE" "# the node's resolver: nsd inside this namespace" "nameserver $NODE_RESOLVER"
  node_nsd_conf "$NODE_DIR" "$HERE/netns/zones" cluster.local example.com >"$NODE_DIR/nsd.conf"
  start_node_nsd "$NODE_DIR"
}

# node_nsd_conf DIR ZONESDIR ZONE... : the nsd.conf of the node's nsd, kube-dns on CLUSTER_DNS and
# the node's resolver on NODE_RESOLVER, its state in DIR, zone Z from ZONESDIR/Z.zone ("." from root.zone)
node_nsd_conf() {
  local dir=$1 zonesdir=$2 z; shift 2
  nsd_server_conf "$dir" "$zonesdir" "$CLUSTER_DNS@53" "$NODE_RESOLVER@53"
  cat <<EOF
  tcp-query-count: 0
  rrl-ratelimit: 0
remote-control:
  control-enable: no
EOF
  for z in "$@"; do
    if [ "$z" = . ]; then printf 'zone:\n  name: "."\n  zonefile: root.zone\n'
    else printf 'zone:\n  name: %s\n  zonefile: %s.zone\n' "$z" "$z"; fi
  done
}

# start_node_nsd DIR: nsd in NODE with DIR/nsd.conf -> NSD_PID, once it answers svc-1 on CLUSTER_DNS.
# Exits the script if nsd cannot serve: without an upstream no check would mean anything.
start_node_nsd() {
  nsd-checkconf "$1/nsd.conf" || { echo "$ME: generated nsd.conf is invalid" >&2; exit 2; }
  start_bg "$1/nsd.out" ip netns exec "$NODE" nsd -d -c "$1/nsd.conf"; NSD_PID=$BG_PID
  if ! wait_until 20 answers_in "$NODE" "$CLUSTER_DNS" "$SVC_NAME.default.svc.cluster.local" "$SVC_IP"; then
    echo "$ME: nsd did not start in $NODE:" >&2; cat "$1/nsd.out" "$1/nsd.log" >&2 2>/dev/null; exit 2
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
pod_ns() { # pod_ns NODE NAME [SEARCH-DOMAIN...] -> POD, joined to NODE by a veth pair, resolving through 169.254.20.10
  local node=$1 search="default.svc.cluster.local svc.cluster.local cluster.local" d
  add_ns "$2"; POD=$NS; shift 2
  for d in "$@"; do search+=" $d"; done   # the node's own search domains, which kubelet appends
  ip -n "$node" link add vpod type veth peer name eth0 netns "$POD"
  ip -n "$node" addr add "$POD_GW/24" dev vpod
  ip -n "$node" link set vpod up
  ip -n "$POD" addr add "$POD_IP/24" dev eth0
  ip -n "$POD" link set eth0 up
  ip -n "$POD" route add "$LOCAL_IP/32" via "$POD_GW"
  netns_resolv_conf "$POD" "nameserver $LOCAL_IP" "search $search" "options ndots:5"
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

# expect_rule_count_below NS SAVE-COMMAND N ADDR...: fewer than N node-local-dns rules
expect_rule_count_below() {
  local ns=$1 save=$2 n=$3 got count; shift 3
  got=$(rules_in "$ns" "$save" "$@") || { echo "$got"; return 1; }
  count=$(grep -c . <<<"$got")
  [ "$count" -lt "$n" ] || { echo "number of node-local-dns rules in $save: $count, expected fewer than $n"; return 1; }
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
