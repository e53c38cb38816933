#!/usr/bin/env bash
# run.sh - system tests: the nodedns jar as a process, nsd as its upstream,
# dig and kdig as clients. Everything stays on 127.0.0.0/8.
#
# Usage: bash src/test/system/run.sh JAR
#
#   nsd      127.0.2.1:5300 and 127.0.2.1:53   zones from zones/ (the "kube-dns")
#   nodedns  127.0.2.2:5353                    corefiles/nodedns.Corefile
#            127.0.2.2:9253 /metrics, 127.0.2.2:9353 (-metrics-listen-address)
#   prometheus 127.0.2.1:9090                  scrapes 127.0.2.2:9253 every second
#   nodedns  127.0.0.1:5353 / :5354            laptop default (no -conf), resolv.conf -> 127.0.2.1
#   node-cache mode, first (it takes *:9253 and *:9353, as the published DaemonSet does):
#   nodedns  127.0.3.10:53 and 127.0.3.11:53   the node-local-dns ConfigMap and DaemonSet args;
#            127.0.3.10:8080 /health           kube-dns ConfigMap dir: upstreamNameservers, stubDomains
#   stub     127.0.3.12:5300                   python3: answers every A with 192.0.2.77 (a stub domain's server)
#   nodedns  127.0.3.20:5353, :8080, :8181     health { lameduck 2s } and ready
#   nodedns  127.0.3.30:5353 <-> 127.0.3.31:5353  "." forwarded to each other, with loop
#
# Needs root (nsd binds port 53 for the laptop-default check, whose resolv.conf
# nameserver has no port; the node-local-dns template binds port 53 too), java 17,
# dig, kdig, nsd, nsd-control, curl, python3, and promtool and prometheus (Debian
# package prometheus).
# Prints "PASS name" / "FAIL name" (with the evidence indented below) per check,
# then a last line "N passed, N failed". Exit status 0 only if nothing failed.
# Every query is bounded (+time=2, one try; the SERVFAIL timing check waits 8 s),
# every process start is bounded; the whole run takes well under 3 minutes.
#
# Environment: SYSTEM_SUMMARY_FILE  also write the final line to this file
#              NODEDNS_JAVA_OPTS    extra JVM options for the daemon
#              KEEP_TMP=1           keep the temp dir (configs, logs) for inspection
set -uo pipefail   # no -e: a failing check is recorded and the run goes on

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/checks.sh"   # check, finish_checks, start_bg/stop_pid, the cleanup trap, TMP
source "$HERE/lib/nsd.sh"      # nsd_server_conf
require_jar "$@"

UP_ADDR=127.0.2.1     UP_PORT=5300     # nsd; also on port 53 for resolv.conf
NODE_ADDR=127.0.2.2   NODE_PORT=5353   # nodedns from the Corefile fixture
LAPTOP_ADDR=127.0.0.1 LAPTOP_PORT=5353 # nodedns without -conf
READY_SECONDS=30
METRICS_PORT=9253 SETUP_METRICS_PORT=9353   # prometheus directive, -metrics-listen-address
PROM_ADDR=127.0.2.1:9090                    # the Prometheus server of the scrape check

require_commands java dig kdig nsd nsd-control ss curl python3 sha512sum promtool prometheus
make_tmp system

# ----------------------------------------------------------------- queries --
# ask CLIENT PROTO ADDR PORT ARGS... : one bounded query with dig or kdig over udp or tcp
ask() {
  local client=$1 proto=$2 addr=$3 port=$4; shift 4
  local tcp=(); [ "$proto" = tcp ] && tcp=(+tcp)
  case "$client" in
    dig)  dig  @"$addr" -p "$port" +time=2 +tries=1 "${tcp[@]}" "$@" ;;
    kdig) kdig @"$addr" -p "$port" +time=2 +retry=0 "${tcp[@]}" "$@" ;;
  esac
}
node()     { local c=$1 p=$2; shift 2; ask "$c" "$p" "$NODE_ADDR" "$NODE_PORT" "$@"; }
upstream() { local c=$1; shift; ask "$c" tcp "$UP_ADDR" "$UP_PORT" "$@"; }   # TCP: never truncated

CLIENTS="dig/udp dig/tcp kdig/udp kdig/tcp"

# Parsers over dig/kdig text output (kdig writes "Flags:" and ";" where dig writes "flags:" and ",").
rcode_of()  { grep -- '->>HEADER<<-' | head -1 | grep -o 'status: [A-Z]*' | cut -d' ' -f2; }
flags_of()  { grep -i '^;; flags:' | head -1 | sed 's/^;; [Ff]lags: *//; s/;.*//'; }
count_of()  { grep -i '^;; flags:' | head -1 | grep -o "$1: [0-9]*" | cut -d' ' -f2; }
# section_of NAME: the records of one section, one per line, TTL dropped, owner lower-cased
section_of() {
  awk -v want="$1 SECTION:" '
    index($0, want) { s = 1; next }
    s && /^$/       { s = 0 }
    s && !/^;/      { $1 = tolower($1); $2 = ""; print }' | sort
}
first_ttl_of() { # first_ttl_of NAME: TTL of the first record of a section
  awk -v want="$1 SECTION:" 'index($0, want) { s = 1; next } s && !/^;/ && NF { print $2; exit }'
}
has_flag() { [[ " $1 " == *" $2 "* ]]; }

# expect_rcode WANT CMD... : CMD's answer has status WANT
expect_rcode() {
  local want=$1 out got; shift
  out=$("$@" 2>&1); got=$(rcode_of <<<"$out")
  [ "$got" = "$want" ] && return 0
  echo "expected status $want, got '${got:-no answer}' from: $*"; echo "$out"; return 1
}

# expect_same_answer NAME TYPE : every client/proto gets from nodedns the records nsd gives
expect_same_answer() {
  local name=$1 type=$2 cp client proto want got out bad=0
  for cp in $CLIENTS; do
    client=${cp%/*} proto=${cp#*/}
    want=$(upstream "$client" "$name" "$type" | section_of ANSWER)
    out=$(node "$client" "$proto" "$name" "$type" 2>&1)
    got=$(section_of ANSWER <<<"$out")
    if [ -z "$want" ]; then echo "$cp: nsd itself gave no answer records (fixture broken?)"; bad=1
    elif [ "$(rcode_of <<<"$out")" != NOERROR ] || [ "$got" != "$want" ]; then
      echo "$cp: expected NOERROR with"; echo "$want"; echo "got:"; echo "$out"; bad=1
    fi
  done
  return $bad
}

# expect_negative RCODE NAME TYPE ZONE : RCODE, no answer, the zone's SOA in authority (RFC 2308 section 3)
expect_negative() {
  local rcode=$1 name=$2 type=$3 zone=$4 cp out bad=0
  for cp in $CLIENTS; do
    out=$(node "${cp%/*}" "${cp#*/}" "$name" "$type" 2>&1)
    if [ "$(rcode_of <<<"$out")" != "$rcode" ] || [ "$(count_of ANSWER <<<"$out")" != 0 ] \
       || ! section_of AUTHORITY <<<"$out" | grep -qE "^$zone\. +IN SOA "; then
      echo "$cp: expected $rcode, ANSWER 0 and the SOA of $zone. in authority; got:"; echo "$out"; bad=1
    fi
  done
  return $bad
}

# expect_truncated CMD... : TC=1 with the question only (RFC 1035 section 4.2.1, RFC 6891 section 7)
expect_truncated() {
  local out flags size; out=$("$@" 2>&1); flags=$(flags_of <<<"$out")
  size=$(grep -oE 'MSG SIZE  rcvd: [0-9]+|Received [0-9]+ B' <<<"$out" | grep -oE '[0-9]+' | head -1)
  if has_flag "$flags" tc && [ "$(count_of QUERY <<<"$out")" = 1 ] && [ "$(count_of ANSWER <<<"$out")" = 0 ] \
     && [ "$(rcode_of <<<"$out")" = NOERROR ] && [ "${size:-0}" -le 1232 ]; then return 0; fi
  echo "expected NOERROR, tc set, QUERY 1, ANSWER 0, at most 1232 bytes; got:"; echo "$out"; return 1
}

# --------------------------------------------------------------------- nsd --
write_nsd_conf() {
  {
    nsd_server_conf "$TMP" "$HERE/zones" "$UP_ADDR@$UP_PORT" "$UP_ADDR@53"
    cat <<EOF
  tcp-query-count: 0
  rrl-ratelimit: 0
remote-control:
  # a unix socket needs no TLS keys; used only to read query counters
  control-enable: yes
  control-interface: $TMP/nsd.ctl
EOF
  } >"$TMP/nsd.conf"
  local z
  for z in cluster.local example.test 2.0.127.in-addr.arpa; do
    printf 'zone:\n  name: %s\n  zonefile: %s.zone\n' "$z" "$z" >>"$TMP/nsd.conf"
  done
}

# nsd_queries TYPE: how many queries of TYPE nsd has answered so far
nsd_queries() {
  nsd-control -c "$TMP/nsd.conf" stats_noreset 2>/dev/null |
    awk -F= -v k="num.type.$1" '$1 == k { n = $2 } END { print n + 0 }'
}

udp_port_busy() { ss -Hlun "( sport = :$2 )" 2>/dev/null | grep -qE "(^|[[:space:]])($1|0\.0\.0\.0|\*|\[::\]):$2[[:space:]]"; }

wait_answering() { # wait_answering ADDR PORT PID NAME SECONDS: NOERROR for NAME before the deadline
  local addr=$1 port=$2 pid=$3 name=$4 end=$(( $(date +%s) + $5 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    kill -0 "$pid" 2>/dev/null || return 2
    ask dig udp "$addr" "$port" "$name" A 2>/dev/null | rcode_of | grep -qx NOERROR && return 0
    sleep 0.3
  done
  return 1
}

NSD_PID=""
start_nsd() {
  write_nsd_conf
  nsd-checkconf "$TMP/nsd.conf" || { echo "run.sh: generated nsd.conf is invalid" >&2; exit 2; }
  local p
  for p in "$UP_PORT" 53; do
    if udp_port_busy "$UP_ADDR" "$p"; then
      echo "run.sh: udp $UP_ADDR:$p is already in use (a system nsd/resolver?):" >&2
      ss -Hlunp "( sport = :$p )" >&2; exit 2
    fi
  done
  start_bg "$TMP/nsd.out" nsd -d -c "$TMP/nsd.conf"; NSD_PID=$BG_PID
  if ! wait_answering "$UP_ADDR" "$UP_PORT" "$NSD_PID" web.default.svc.cluster.local 20; then
    echo "run.sh: nsd did not start:" >&2; cat "$TMP/nsd.out" "$TMP/nsd.log" >&2 2>/dev/null; exit 2
  fi
}

# ----------------------------------------------------------------- nodedns --
# The resolv.conf every daemon start sees: even a test that gives -conf sets it, so
# a daemon that fell back to the default could never reach the machine's resolvers.
write_resolv_confs() {
  printf '%s\n' "# test resolv.conf: the test's nsd only" "search default.svc.cluster.local svc.cluster.local cluster.local" \
    "nameserver $UP_ADDR" "options ndots:5" >"$TMP/resolv.conf"
  printf '%s\n' "# nothing listens here" "nameserver 127.0.2.9" >"$TMP/resolv-dead.conf"
}

nodedns_fg() { # nodedns_fg ARGS... : the daemon in the foreground, bounded (exit-code checks)
  NODEDNS_RESOLV_CONF="$TMP/resolv-dead.conf" timeout 20 java ${NODEDNS_JAVA_OPTS:-} -jar "$JAR" "$@"
}

NODE_PID=""
start_nodedns() { # start_nodedns LOG [ENV=VALUE...] -- ARGS... -> NODE_PID
  local logf=$1 envs=(); shift
  while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
  start_bg "$logf" env NODEDNS_RESOLV_CONF="$TMP/resolv.conf" "${envs[@]}" \
    java ${NODEDNS_JAVA_OPTS:-} -jar "$JAR" "$@"
  NODE_PID=$BG_PID
}

expect_ready() { # expect_ready ADDR PORT PID LOG
  local rc; wait_answering "$1" "$2" "$3" web.default.svc.cluster.local "$READY_SECONDS"; rc=$?
  [ $rc = 0 ] && return 0
  [ $rc = 2 ] && echo "the daemon exited; its log:" || echo "no NOERROR on $1:$2 within $READY_SECONDS s; its log:"
  tail -n 30 "$4"
  echo "udp sockets on port $2 now (another server there, e.g. an mDNS daemon on 5353?):"
  ss -Hlunp "( sport = :$2 )"
  return 1
}

# check_sigterm NAME PID LOG : SIGTERM -> exit status 0 within 5 s. stop_pid runs here,
# in the main shell, because only the parent shell can `wait` for the exit status.
check_sigterm() {
  stop_pid "$2"
  check "$1" exited_cleanly "$STOP_RC" "$STOP_MS" "$3"
}
exited_cleanly() { # exited_cleanly RC MS LOG
  [ "$1" = 0 ] && [ "$2" -le 5000 ] && return 0
  echo "expected exit 0 within 5000 ms after SIGTERM; got exit $1 after $2 ms"
  [ "$1" = 143 ] && echo "(143 is the JVM's default status for SIGTERM: the daemon must exit 0 itself)"
  echo "log tail:"; tail -n 10 "$3"; return 1
}

# ============================================================ the checks ====

# --- command line ------------------------------------------------------------
expect_usage_exit_2() {
  local err rc; err=$(nodedns_fg -no-such-flag 2>&1 >/dev/null); rc=$?
  [ $rc = 2 ] && grep -qi usage <<<"$err" && return 0
  echo "expected exit 2 and a usage text on stderr; got exit $rc, stderr:"; echo "$err"; return 1
}

expect_bad_corefile_exit_1() {
  local f="$HERE/corefiles/bad-directive.Corefile" err rc
  err=$(nodedns_fg -conf "$f" 2>&1 >/dev/null); rc=$?
  if [ $rc = 1 ] && grep -q 'bad-directive.Corefile:3' <<<"$err" && grep -q frobnicate <<<"$err"; then return 0; fi
  echo "expected exit 1 and stderr naming bad-directive.Corefile:3 and 'frobnicate'; got exit $rc, stderr:"
  echo "$err"; return 1
}

expect_check_validates_without_binding() { # -check: the system tests' own Corefile is valid, the bad one is not
  local out err rc
  out=$(nodedns_fg -check -conf "$HERE/corefiles/nodedns.Corefile" 2>&1); rc=$?
  if [ $rc != 0 ] || ! grep -q valid <<<"$out"; then echo "-check on a valid Corefile: exit $rc: $out"; return 1; fi
  if ss -Hlnt "( sport = :$NODE_PORT )" 2>/dev/null | grep -q "$NODE_ADDR"; then
    echo "-check left something listening on $NODE_ADDR:$NODE_PORT"; return 1
  fi
  err=$(nodedns_fg -validate -conf "$HERE/corefiles/bad-directive.Corefile" 2>&1 >/dev/null); rc=$?
  if [ $rc = 1 ] && grep -q 'bad-directive.Corefile:3' <<<"$err"; then return 0; fi
  echo "-validate on a bad Corefile: expected exit 1 naming bad-directive.Corefile:3; got exit $rc: $err"; return 1
}

# --- the Corefile daemon ----------------------------------------------------
expect_startup_line() { # one line naming nodedns, the listener and the upstream
  local i   # logged once metrics are bound too, a moment after DNS answers: wait up to 5 s
  for i in $(seq 1 50); do
    grep -i nodedns "$1" | grep "$NODE_ADDR" | grep -q "$UP_ADDR" && return 0
    sleep 0.1
  done
  echo "no stderr line containing 'nodedns', '$NODE_ADDR' (listener) and '$UP_ADDR' (upstream):"
  head -n 20 "$1"; return 1
}

expect_question_case_kept() { # expect_question_case_kept NAME: the question comes back byte for byte (DNS 0x20)
  local out; out=$(node dig udp "$1" A)
  if grep -qF ";$1." <<<"$out" && [ "$(rcode_of <<<"$out")" = NOERROR ] && [ "$(count_of ANSWER <<<"$out")" = 1 ]; then
    return 0; fi
  echo "expected NOERROR, one answer and the question ';$1.' in that exact case; got:"; echo "$out"; return 1
}

expect_full_big_answer_over_tcp() {
  local cp want got bad=0
  for cp in dig/tcp kdig/tcp; do
    want=$(upstream "${cp%/*}" big.example.test TXT | section_of ANSWER)
    got=$(node "${cp%/*}" tcp big.example.test TXT | section_of ANSWER)
    if [ "$(wc -l <<<"$got")" != 20 ] || [ "$got" != "$want" ]; then
      echo "$cp: expected the 20 TXT records nsd has; got $(grep -c . <<<"$got"):"; echo "$got"; bad=1
    fi
  done
  return $bad
}

expect_keepopen_all_answered() { # kdig sends each query on the same TCP connection (RFC 7766 section 6.2.1)
  local out statuses
  out=$(node kdig tcp +keepopen web.default.svc.cluster.local A cache-pipelined.default.svc.cluster.local A \
          www.example.test AAAA gone.example.test A _http._tcp.web.default.svc.cluster.local SRV 2>&1)
  statuses=$(grep -- '->>HEADER<<-' <<<"$out" | grep -o 'status: [A-Z]*' | cut -d' ' -f2 | tr '\n' ' ')
  [ "$statuses" = "NOERROR NOERROR NOERROR NXDOMAIN NOERROR " ] && return 0
  echo "expected statuses 'NOERROR NOERROR NOERROR NXDOMAIN NOERROR', got '$statuses':"; echo "$out"; return 1
}

# dns_query ID NAME QTYPE: one query message (RFC 1035 section 4.1), RD set, written to stdout
dns_query() {
  local id=$1 qtype=$3 label labels
  printf "\\x$(printf %02x $((id >> 8)))\\x$(printf %02x $((id & 255)))\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00"
  IFS=. read -ra labels <<<"$2"
  for label in "${labels[@]}"; do printf "\\x$(printf %02x ${#label})%s" "$label"; done
  printf "\\x00\\x$(printf %02x $((qtype >> 8)))\\x$(printf %02x $((qtype & 255)))\\x00\\x01"
}

# tcp_pipelined ADDR PORT ID:NAME:QTYPE... : writes every query in one send on one
# connection (RFC 7766 section 6.2.1.1), then reads one response per query in
# whatever order they come; prints "ID RCODE ANCOUNT" per response.
tcp_pipelined() {
  local addr=$1 port=$2 q id name qtype len n=0 hdr b
  shift 2
  : >"$TMP/pipelined.out"
  for q in "$@"; do
    IFS=: read -r id name qtype <<<"$q"
    dns_query "$id" "$name" "$qtype" >"$TMP/one.msg"
    len=$(stat -c %s "$TMP/one.msg")
    printf "\\x$(printf %02x $((len >> 8)))\\x$(printf %02x $((len & 255)))" >>"$TMP/pipelined.out"
    cat "$TMP/one.msg" >>"$TMP/pipelined.out"
    n=$((n + 1))
  done
  exec 3<>"/dev/tcp/$addr/$port" || return 1
  cat "$TMP/pipelined.out" >&3   # one write(2): all queries are in flight before any answer
  while [ $n -gt 0 ]; do
    hdr=$(timeout 5 head -c 2 <&3 | od -An -tu1) || break
    read -ra b <<<"$hdr"; [ ${#b[@]} = 2 ] || { echo "connection closed with $n answers missing"; break; }
    len=$(( b[0] * 256 + b[1] ))
    timeout 5 head -c "$len" <&3 >"$TMP/one.resp" || break
    read -ra b <<<"$(od -An -tu1 -N8 "$TMP/one.resp")"
    echo "$(( b[0] * 256 + b[1] )) $(( b[3] & 15 )) $(( b[6] * 256 + b[7] ))"
    n=$((n - 1))
  done
  exec 3<&-
}

expect_pipelined_all_answered() {
  local got want
  got=$(tcp_pipelined "$NODE_ADDR" "$NODE_PORT" 4101:pods.default.svc.cluster.local:1 \
          4102:web.default.svc.cluster.local:1 4103:nothing-here.cluster.local:1 \
          4104:www.example.test:28 4105:2.2.0.127.in-addr.arpa:12 | sort)
  # ID RCODE(0 NOERROR, 3 NXDOMAIN) ANCOUNT
  want=$(printf '%s\n' "4101 0 3" "4102 0 1" "4103 3 0" "4104 0 2" "4105 0 1")
  [ "$got" = "$want" ] && return 0
  echo "expected (id rcode ancount):"; echo "$want"; echo "got:"; echo "$got"; return 1
}

expect_servfail_within_5s() { # expect_servfail_within_5s NAME: waits up to 8 s, so a late answer is measured, not lost
  local t0 ms out
  t0=$(date +%s%N); out=$(dig @"$NODE_ADDR" -p "$NODE_PORT" +time=8 +tries=1 "$1" A 2>&1)
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ "$(rcode_of <<<"$out")" = SERVFAIL ] && [ "$ms" -le 5500 ] && return 0
  echo "expected SERVFAIL within 5 s; got '$(rcode_of <<<"$out")' after $ms ms:"; echo "$out"; return 1
}

# Caching (RFC 1035 section 7.4, RFC 2308 section 5): two misses, then after 2 s the same
# two queries must come from the cache: TTLs lowered by the age, and nsd sees no new
# A query (health checks, if any, use other types).
CACHE_POS=cache-positive.default.svc.cluster.local CACHE_NEG=cache-negative.cluster.local
check_cache() {
  local pos1 neg1 pos2 neg2 count1 count2 p1 n1 p2 n2
  pos1=$(node dig udp "$CACHE_POS" A); neg1=$(node dig udp "$CACHE_NEG" A)
  count1=$(nsd_queries A)
  sleep 2
  pos2=$(node dig udp "$CACHE_POS" A); neg2=$(node dig udp "$CACHE_NEG" A)
  count2=$(nsd_queries A)
  p1=$(first_ttl_of ANSWER <<<"$pos1") p2=$(first_ttl_of ANSWER <<<"$pos2")
  n1=$(first_ttl_of AUTHORITY <<<"$neg1") n2=$(first_ttl_of AUTHORITY <<<"$neg2")
  check "positive answer from cache: TTL lowered by age (30 -> 26..29)" ttl_aged "$p1" "$p2" "$pos1" "$pos2"
  check "negative answer from cache: SOA TTL lowered by age" ttl_aged "$n1" "$n2" "$neg1" "$neg2"
  check "negative answer from cache: still NXDOMAIN" expect_rcode NXDOMAIN printf '%s\n' "$neg2"
  check "cache hits send nothing upstream (nsd's count of A queries)" expect_equal "A queries seen by nsd" "$count2" "$count1"
}
ttl_aged() { # ttl_aged FIRST SECOND OUT1 OUT2: FIRST in 1..30 and SECOND 1..4 s lower after sleeping 2 s
  local a=${1:-x} b=${2:-x}
  if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && [ "$a" -le 30 ] && [ "$b" -le $((a - 1)) ] && [ "$b" -ge $((a - 4)) ]; then
    return 0; fi
  echo "expected a TTL <= 30, then 1 to 4 lower 2 s later; got '$a' then '$b'"; echo "$3"; echo "$4"; return 1
}

# ----------------------------------------------------------------- main ---
write_resolv_confs
start_nsd
echo "nsd (pid $NSD_PID) serving $UP_ADDR:$UP_PORT and $UP_ADDR:53; jar: $JAR"

check "fixture: nsd serves the big TXT RRset (20 records)" \
  expect_equal "TXT records" "$(upstream dig big.example.test TXT | section_of ANSWER | grep -c ' TXT ')" 20
check "cli: unknown flag -> usage on stderr, exit 2" expect_usage_exit_2
check "cli: unknown directive on line 3 -> FILE:3 and the directive on stderr, exit 1" expect_bad_corefile_exit_1
check "cli: -check/-validate: exit 0 for a valid Corefile, 1 with FILE:LINE for a bad one, nothing bound" \
  expect_check_validates_without_binding

# --- metrics (run by the corefile daemon's checks, after its traffic) ---------
scrape() { # scrape URL [CURL ARGS...] : the body, bounded; fails on HTTP errors
  local url=$1; shift
  curl -sf --max-time 5 "$@" "$url"
}

expect_promtool_accepts() { # the Prometheus text format as served, linted by promtool
  local body
  body=$(scrape "http://$NODE_ADDR:$METRICS_PORT/metrics") || { echo "no answer from /metrics"; return 1; }
  printf '%s\n' "$body" | promtool check metrics && return 0
  echo "(scrape of $(wc -l <<<"$body") lines)"; return 1
}

expect_counter_positive() { # expect_counter_positive SERIES-REGEX : some sample matches and is > 0
  local body
  body=$(scrape "http://$NODE_ADDR:$METRICS_PORT/metrics") || { echo "no answer from /metrics"; return 1; }
  awk -v re="$1" '$0 ~ "^" re && $NF + 0 > 0 { found = 1 } END { exit !found }' <<<"$body" && return 0
  echo "no sample of $1 above 0:"; grep -E "^$1" <<<"$body" | head -n 10; return 1
}

expect_openmetrics_when_accepted() { # Accept: application/openmetrics-text -> OpenMetrics 1.0.0
  local headers body
  headers=$(scrape "http://$NODE_ADDR:$METRICS_PORT/metrics" -o "$TMP/openmetrics.txt" -D - \
    -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5') || return 1
  body=$(cat "$TMP/openmetrics.txt")
  if grep -qi '^content-type: application/openmetrics-text; version=1.0.0' <<<"$headers" \
     && [ "$(tail -n 1 <<<"$body")" = "# EOF" ]; then return 0; fi
  echo "headers:"; echo "$headers"; echo "last line: $(tail -n 1 <<<"$body")"; return 1
}

expect_setup_errors_at_zero() { # node-cache's metric on -metrics-listen-address, all five types at 0
  local body n
  body=$(scrape "http://$NODE_ADDR:$SETUP_METRICS_PORT/metrics") || { echo "no answer on :$SETUP_METRICS_PORT"; return 1; }
  n=$(grep -cE '^coredns_nodecache_setup_errors_total\{errortype="(iptables|iptables_lock|interface_add|interface_check|configmap)"\} 0(\.0)?$' <<<"$body")
  [ "$n" = 5 ] && return 0
  echo "want 5 zero series, got $n:"; grep setup_errors <<<"$body"; return 1
}

expect_prometheus_scrapes_cache_hits() { # a real Prometheus scrapes nodedns; its API has the cache hits
  local dir="$TMP/prometheus" pid body i ok=1
  mkdir -p "$dir/data"
  printf '%s\n' "global:" "  scrape_interval: 1s" "  scrape_timeout: 1s" "scrape_configs:" \
    "  - job_name: nodedns" "    static_configs:" "      - targets: ['$NODE_ADDR:$METRICS_PORT']" >"$dir/prometheus.yml"
  prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="$PROM_ADDR" >"$dir/prometheus.log" 2>&1 </dev/null &
  pid=$!
  for i in $(seq 1 60); do   # at most ~30 s: start, first scrape, query
    body=$(curl -sf --max-time 2 "http://$PROM_ADDR/api/v1/query?query=coredns_cache_hits_total" 2>/dev/null)
    if python3 -c 'import json,sys
r = json.loads(sys.argv[1])["data"]["result"]
sys.exit(0 if any(float(x["value"][1]) > 0 for x in r) else 1)' "$body" 2>/dev/null; then ok=0; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  [ "$ok" = 0 ] && return 0
  echo "no coredns_cache_hits_total above 0 from Prometheus's API; last answer: ${body:-none}"
  curl -sf --max-time 2 "http://$PROM_ADDR/api/v1/targets" 2>/dev/null | head -c 600; echo
  tail -n 15 "$dir/prometheus.log"; return 1
}

expect_dashboard_metrics_served() { # the Grafana dashboard is valid JSON and queries only served series
  local dashboard="$HERE/../../../daemonset/grafana-dashboard.json" served
  served=$( { scrape "http://$NODE_ADDR:$METRICS_PORT/metrics"; scrape "http://$NODE_ADDR:$SETUP_METRICS_PORT/metrics"; } \
    | grep -v '^#' | sed 's/[{ ].*//' | sort -u) || { echo "no scrape"; return 1; }
  python3 - "$dashboard" "$served" <<'PY'
import json, re, sys
dashboard = json.load(open(sys.argv[1]))
served = set(sys.argv[2].split())
exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
wanted = {m for e in exprs for m in re.findall(r"\b(?:coredns|nodedns|jvm)_[a-z_]+", e)}
missing = sorted(wanted - served)
if missing:
    print("queried by the dashboard but not served:", ", ".join(missing))
    sys.exit(1)
PY
}

check_metrics() {
  check "metrics: promtool check metrics accepts /metrics" expect_promtool_accepts
  check "metrics: coredns_dns_requests_total counted the queries" expect_counter_positive 'coredns_dns_requests_total\{[^}]*zone="cluster.local."'
  check "metrics: coredns_cache_hits_total counted the cache hits" expect_counter_positive 'coredns_cache_hits_total\{[^}]*type="success"'
  check "metrics: REFUSED counted under zone \"dropped\"" expect_counter_positive 'coredns_dns_responses_total\{[^}]*rcode="REFUSED"[^}]*zone="dropped"'
  check "metrics: OpenMetrics 1.0.0 when the Accept header asks" expect_openmetrics_when_accepted
  check "metrics: -metrics-listen-address serves setup errors, all 5 types at 0" expect_setup_errors_at_zero
  check "metrics: daemonset/grafana-dashboard.json is valid and queries only served series" \
    expect_dashboard_metrics_served
  check "metrics: a Prometheus server scrapes nodedns; its API returns coredns_cache_hits_total" \
    expect_prometheus_scrapes_cache_hits
}

# ============================================ node-local-dns drop-in ====
# The published node-local-dns ConfigMap and DaemonSet (kubernetes/kubernetes
# cluster/addons/dns/nodelocaldns/nodelocaldns.yaml) run unchanged but for paths:
# the operator's sed step, the DaemonSet's args, the kube-dns ConfigMap mounted
# as a directory. Runs before the corefile daemon starts: the template's
# "prometheus :9253" and node-cache's default -metrics-listen-address 0.0.0.0:9353
# take those ports on every address.
NC_LOCAL=127.0.3.10 NC_SERVER=127.0.3.11   # __PILLAR__LOCAL__DNS__, __PILLAR__DNS__SERVER__
NC_STUB=127.0.3.12                         # a one-answer DNS server for the stub domain added by a reload
NC_DIR=$TMP/nodecache
NC_TEMPLATE=$HERE/../resources/config/nodecache/Corefile.base
NC_STUB_ANSWER=192.0.2.77
LD_ADDR=127.0.3.20                         # the lameduck daemon
LOOP_A=127.0.3.30 LOOP_B=127.0.3.31        # two daemons forwarding to each other

# at_node ADDR PORT CMD... : CMD with the node() helpers aimed at ADDR:PORT (check's subshell only)
at_node() { NODE_ADDR=$1 NODE_PORT=$2; shift 2; "$@"; }

tcp_port_busy() { ss -Hltn "( sport = :$2 )" 2>/dev/null | grep -qE "(^|[[:space:]])($1|0\.0\.0\.0|\*|\[::\]|\[::ffff:$1\]):$2[[:space:]]"; }

expect_ports_free() { # the template's fixed ports: DNS on both bind IPs, health, metrics, setup metrics
  local busy=""
  udp_port_busy "$NC_LOCAL" 53 && busy+=" udp/$NC_LOCAL:53"
  udp_port_busy "$NC_SERVER" 53 && busy+=" udp/$NC_SERVER:53"
  tcp_port_busy "$NC_LOCAL" 53 && busy+=" tcp/$NC_LOCAL:53"
  tcp_port_busy "$NC_LOCAL" 8080 && busy+=" tcp/$NC_LOCAL:8080"
  tcp_port_busy "$NC_LOCAL" 9253 && busy+=" tcp/*:9253"
  tcp_port_busy "$NC_LOCAL" 9353 && busy+=" tcp/*:9353"
  udp_port_busy "$NC_STUB" 5300 && busy+=" udp/$NC_STUB:5300"
  [ -z "$busy" ] && return 0
  echo "in use:$busy"; ss -Hlntup | grep -E ':(53|5300|8080|9253|9353)[[:space:]]'; return 1
}

# The operator's step of the nodelocaldns instructions (iptables mode): sed the
# three PILLARs node-cache does not fill in; node-cache renders the rest.
nc_sed_template() { # nc_sed_template DEST
  sed -e "s/__PILLAR__LOCAL__DNS__/$NC_LOCAL/g; s/__PILLAR__DNS__SERVER__/$NC_SERVER/g" \
      -e "s/__PILLAR__DNS__DOMAIN__/cluster.local/g" "$NC_TEMPLATE" >"$1"
}

# The kube-dns ConfigMap as kubelet mounts it: one file per key (stubDomains, upstreamNameservers).
nc_write_stub_domains() { # nc_write_stub_domains JSON-LINE...
  printf '%s\n' "$@" >"$NC_DIR/kube-dns/stubDomains.tmp" && mv "$NC_DIR/kube-dns/stubDomains.tmp" "$NC_DIR/kube-dns/stubDomains"
}
NC_STUBS_START=('{' '  "example.test": ["127.0.2.1:5300"]' '}')
NC_STUBS_BROKEN=('{' '  "example.test": ["127.0.2.1:5300"],' '  "stub.test" ["127.0.3.12:5300"]' '}')   # no ':' on line 3
NC_STUBS_ADDED=('{' '  "example.test": ["127.0.2.1:5300"],' '  "stub.test": ["127.0.3.12:5300"]' '}')

# The DaemonSet's args (nodelocaldns.yaml), with the ConfigMap mounts' paths under
# $NC_DIR. Each start here adds -setupinterface=false -setupiptables=false: this script runs in
# the host's namespace, whose links and iptables are not ours (netns.sh checks the node networking).
NC_DAEMONSET_ARGS=()
nc_daemonset_args() {
  NC_DAEMONSET_ARGS=(-localip "$NC_LOCAL,$NC_SERVER" -conf "$NC_DIR/Corefile" -upstreamsvc kube-dns-upstream
    -pidfile "$NC_DIR/node-cache.pid" -basecorefile "$NC_DIR/coredns/Corefile.base" -kubednscm "$NC_DIR/kube-dns")
}

nc_setup() {
  mkdir -p "$NC_DIR/coredns" "$NC_DIR/kube-dns"
  nc_sed_template "$NC_DIR/coredns/Corefile.base"
  printf '%s\n' '["127.0.2.1"]' >"$NC_DIR/kube-dns/upstreamNameservers"
  nc_write_stub_domains "${NC_STUBS_START[@]}"
  nc_daemonset_args
}

# --- check 4: the command line in node mode ----------------------------------
expect_refused() { # expect_refused MESSAGE ARGS...: exit 1 with MESSAGE on stderr, nothing served
  local message=$1 err rc; shift
  rm -f "$NC_DIR/node-cache.pid"
  err=$(KUBE_DNS_UPSTREAM_SERVICE_HOST=$UP_ADDR nodedns_fg "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc = 1 ] && grep -qF -- "$message" <<<"$err" && [ ! -e "$NC_DIR/node-cache.pid" ]; then return 0; fi
  echo "expected exit 1, '$message' on stderr, no pidfile;"
  echo "got exit $rc, pidfile $([ -e "$NC_DIR/node-cache.pid" ] && echo written || echo absent), stderr:"; echo "$err"; return 1
}

expect_node_mode_unknown_flag_exit_2() {
  local err rc
  err=$(KUBE_DNS_UPSTREAM_SERVICE_HOST=$UP_ADDR nodedns_fg "${NC_DAEMONSET_ARGS[@]}" -setupinterface=false \
          -setupiptables=false -no-such-flag 2>&1 >/dev/null); rc=$?
  [ $rc = 2 ] && grep -q 'flag provided but not defined: -no-such-flag' <<<"$err" && return 0
  echo "expected exit 2 and Go's 'flag provided but not defined: -no-such-flag'; got exit $rc:"; echo "$err"; return 1
}

expect_node_mode_check_valid() { # -check renders the sed-substituted template and validates it, binding nothing
  local out rc want="$NC_DIR/Corefile: valid, 5 server blocks"   # the template's 4 and the example.test stub domain
  out=$(KUBE_DNS_UPSTREAM_SERVICE_HOST=$UP_ADDR nodedns_fg -check "${NC_DAEMONSET_ARGS[@]}" 2>&1); rc=$?
  if [ $rc != 0 ] || ! grep -qxF "$want" <<<"$out"; then
    echo "expected exit 0 and '$want'; got exit $rc:"; echo "$out"; return 1
  fi
  expect_ports_free >/dev/null && return 0
  echo "-check left something bound:"; expect_ports_free; return 1
}

# --- check 1: the DaemonSet as published -------------------------------------
http_status_body() { # http_status_body URL : "STATUS BODY", bounded
  local body status
  body=$(curl -s --max-time 2 -o - -w '\n%{http_code}' "$1" 2>/dev/null)
  status=$(tail -n 1 <<<"$body"); body=$(sed '$d' <<<"$body")
  echo "$status $body"
}

expect_http() { # expect_http URL "STATUS BODY"
  expect_equal "GET $1" "$(http_status_body "$1")" "$2"
}

expect_pidfile() { # expect_pidfile FILE PID
  local got; got=$(cat "$1" 2>/dev/null) || { echo "no pidfile $1"; return 1; }
  expect_equal "pidfile $1" "$got" "$2"
}

# the block node-cache's stubDomainBlock template gives (configmap.go): errors, cache 30, bind, forward
nc_stub_block() { # nc_stub_block ZONE SERVER
  printf '%s\n' "$1:53 {" "    errors" "    cache 30" "    bind $NC_LOCAL $NC_SERVER" "    forward . $2" "}"
}
expect_rendered_stub_block() { # expect_rendered_stub_block ZONE SERVER: -conf holds exactly that block
  local got
  got=$(awk -v key="$1:53 {" '$0 == key { s = 1 } s { print } s && $0 == "}" { exit }' "$NC_DIR/Corefile")
  if [ "$got" = "$(nc_stub_block "$1" "$2")" ] && ! grep -q __PILLAR__ "$NC_DIR/Corefile"; then return 0; fi
  echo "expected in $NC_DIR/Corefile (and no __PILLAR__ left):"; nc_stub_block "$1" "$2"
  echo "the file:"; cat "$NC_DIR/Corefile"; return 1
}

nc_scrape() { scrape "${1:-http://$NC_LOCAL:9253/metrics}"; }
nc_sample() { # nc_sample SERIES [URL] : the value of one exact series (name and labels as printed), or "absent"
  nc_scrape "${2:-}" | awk -v s="$1" 'index($0, s " ") == 1 { v = $NF } END { print (v == "" ? "absent" : v) }'
}
expect_sample() { # expect_sample SERIES WANT [URL] : the sample's value equals WANT (1 and 1.0 alike)
  local got; got=$(nc_sample "$1" "${3:-}")
  [ "$got" != absent ] && awk -v g="$got" -v w="$2" 'BEGIN { exit !(g + 0 == w + 0) }' && return 0
  echo "$1: expected $2, got $got; related series:"; nc_scrape "${3:-}" | grep -F "${1%%\{*}" | head -n 20; return 1
}

expect_reload_version_is_served_file() { # coredns_reload_version_info carries the SHA-512 of the Corefile served
  local want; want=$(sha512sum "$NC_DIR/Corefile" | cut -d' ' -f1)
  expect_sample "coredns_reload_version_info{hash=\"sha512\",value=\"$want\"}" 1
}

expect_stub_block_served() { # the example.test answer came through the stub domain block, not the "." block
  local body
  body=$(nc_scrape) || { echo "no /metrics on $NC_LOCAL:9253"; return 1; }
  awk '/^coredns_dns_requests_total\{/ && /zone="example.test."/ && $NF + 0 > 0 { f = 1 } END { exit !f }' <<<"$body" && return 0
  echo "no coredns_dns_requests_total sample for zone example.test. above 0:"; grep '^coredns_dns_requests_total' <<<"$body"; return 1
}

# --- check 2: reloads ---------------------------------------------------------
wait_log() { # wait_log FILE FIXED-STRING SECONDS : the line appears before the deadline
  local i
  for i in $(seq 1 $(($3 * 10))); do grep -qF -- "$2" "$1" && return 0; sleep 0.1; done
  return 1
}

expect_log_line_once() { # expect_log_line_once LOG PHRASE...: exactly one line holds every PHRASE
  local log=$1 lines; shift
  lines=$(cat "$log"); local p
  for p in "$@"; do lines=$(grep -F -- "$p" <<<"$lines"); done
  [ -n "$lines" ] && [ "$(grep -c . <<<"$lines")" = 1 ] && return 0
  printf "expected one log line with:"; printf " '%s'" "$@"; echo "; got:"
  [ -n "$lines" ] && echo "$lines"; echo "log tail:"; tail -n 15 "$log"; return 1
}
# a refused reload: one line naming WHERE and WHAT
expect_reload_refused() { expect_log_line_once "$1" "reload: " "$2" "$3" "the previous configuration keeps serving"; }
# a broken kube-dns ConfigMap: one warning naming WHERE and WHAT, the last good one kept
expect_configmap_kept() { expect_log_line_once "$1" "$2" "$3" "using the last kube-dns ConfigMap that could be read"; }

expect_stub_answer() { # expect_stub_answer NAME: the stub.test server's one address, via the node
  expect_equal "$1 A via $NC_LOCAL" "$(ask dig udp "$NC_LOCAL" 53 "$1" A +short)" "$NC_STUB_ANSWER"
}

wait_stub_answer() { # wait_stub_answer SECONDS: the stub.test block answers before the deadline
  local i
  for i in $(seq 1 $(($1 * 5))); do
    [ "$(ask dig udp "$NC_LOCAL" 53 "w$i.stub.test" A +short 2>/dev/null)" = "$NC_STUB_ANSWER" ] && return 0
    sleep 0.2
  done
  return 1
}

# STUB_SERVER_PY ADDR PORT ADDRESS: a UDP DNS server that answers every A question with
# ADDRESS (TTL 30, AA) and every other type with NODATA (RFC 1035 section 4.1); EDNS is
# left out of the answer, which RFC 6891 section 7 allows. Run it under timeout, started
# by start_bg directly, so that stop_pid's SIGTERM reaches it through timeout.
STUB_SERVER_PY='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
addr = bytes(int(x) for x in sys.argv[3].split("."))
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 17:
        continue
    i = 12
    while q[i]:
        i += q[i] + 1
    is_a = q[i + 1:i + 3] == b"\x00\x01"
    header = q[:2] + bytes([0x84 | (q[2] & 0x01), 0x00]) + b"\x00\x01" + (b"\x00\x01" if is_a else b"\x00\x00") + b"\x00" * 4
    answer = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x1e\x00\x04" + addr if is_a else b""
    s.sendto(header + q[12:i + 5] + answer, peer)
'

# query_flow ADDR PORT N OUT: N queries 0.1 s apart, alternating UDP and TCP, a cached
# name and a fresh NXDOMAIN name; one "NAME PROTO STATUS" line each in OUT
query_flow() {
  local addr=$1 port=$2 n=$3 out=$4 i name proto status
  : >"$out"
  for i in $(seq 1 "$n"); do
    if [ $((i % 2)) = 1 ]; then name=web.default.svc.cluster.local; else name=flow$i.default.svc.cluster.local; fi
    if [ $((i % 4)) -lt 2 ]; then proto=udp; else proto=tcp; fi
    status=$(ask dig "$proto" "$addr" "$port" "$name" A 2>/dev/null | rcode_of)
    echo "$name $proto ${status:-none}" >>"$out"
    sleep 0.1
  done
}
query_flow_want() { # what query_flow N must have seen
  local i
  for i in $(seq 1 "$1"); do
    if [ $((i % 2)) = 1 ]; then printf 'web.default.svc.cluster.local '; else printf 'flow%s.default.svc.cluster.local ' "$i"; fi
    if [ $((i % 4)) -lt 2 ]; then printf 'udp '; else printf 'tcp '; fi
    if [ $((i % 2)) = 1 ]; then echo NOERROR; else echo NXDOMAIN; fi
  done
}

# --- check 3: lameduck --------------------------------------------------------
expect_lameduck_stop() { # expect_lameduck_STOP RC MS PROBES-FILE PIDFILE LOG
  local rc=$1 ms=$2 probes=$3 pidfile=$4 log=$5 bad=0
  local want; want=$(printf '%s\n' "health 503 Shutting down" "ready 503 Shutting down" "dns NOERROR" "alive yes")
  expect_equal "during lameduck (probes right after SIGTERM)" "$(cat "$probes")" "$want" || bad=1
  if [ "$rc" != 0 ] || [ "$ms" -lt 2000 ] || [ "$ms" -gt 9000 ]; then
    echo "expected exit 0 between 2000 ms (lameduck 2s) and 9000 ms after SIGTERM; got exit $rc after $ms ms"; bad=1
  fi
  [ -e "$pidfile" ] && { echo "pidfile $pidfile still there after the exit"; bad=1; }
  [ $bad = 0 ] || { echo "log tail:"; tail -n 10 "$log"; }
  return $bad
}

# --- check 5: loop --------------------------------------------------------------
expect_loop_exit() { # expect_loop_exit RESULTS-FILE : lines "NAME RC LOGFILE"; at least one exited 1 with "Loop" logged
  local name rc logf ok=1
  while read -r name rc logf; do
    [ "$rc" = 1 ] && grep -qE 'Loop \(.* -> .*\) detected for zone "\."' "$logf" && ok=0
  done <"$1"
  [ $ok = 0 ] && return 0
  echo "expected at least one daemon to exit 1 within 12 s, logging CoreDNS's 'Loop (A -> B) detected for zone \".\"'; got (name, exit status or 'running'):"
  while read -r name rc logf; do echo "  $name $rc"; tail -n 5 "$logf" | sed 's/^/    /'; done <"$1"
  return 1
}

check_node_local_dns() {
  nc_setup
  check "node-local-dns: the template's ports are free (53 on both bind IPs, 8080, 9253, 9353; the stub server's)" expect_ports_free \
    || { echo "      (the node-local-dns checks are skipped)"; return; }

  # check 4: the command line in node mode
  # (the node networking itself is checked in network namespaces by netns.sh: never on this host's links)
  check "node-local-dns: DaemonSet args plus -setupebtables -> exit 1, not supported, nothing changed" \
    expect_refused "-setupebtables=true: nodedns does not install ebtables broute rules" \
    "${NC_DAEMONSET_ARGS[@]}" -setupinterface=false -setupiptables=false -setupebtables
  check "node-local-dns: node-only flags without -localip -> exit 1 naming them" \
    expect_refused "-localip is required with -basecorefile, -kubednscm" \
    -conf "$NC_DIR/Corefile" -basecorefile "$NC_DIR/coredns/Corefile.base" -kubednscm "$NC_DIR/kube-dns"
  check "node-local-dns: DaemonSet args plus an unknown flag -> exit 2" expect_node_mode_unknown_flag_exit_2
  check "node-local-dns: -check on the sed-substituted template -> exit 0, valid, nothing bound" expect_node_mode_check_valid
  rm -f "$NC_DIR/Corefile"   # -check rendered it; the daemon must write it itself

  # check 1: the DaemonSet as published
  local log=$NC_DIR/node-cache.log nc_pid
  start_nodedns "$log" KUBE_DNS_UPSTREAM_SERVICE_HOST="$UP_ADDR" -- "${NC_DAEMONSET_ARGS[@]}" \
    -setupinterface=false -setupiptables=false
  nc_pid=$NODE_PID
  if ! check "node-local-dns: DaemonSet args answer on $NC_LOCAL:53" expect_ready "$NC_LOCAL" 53 "$nc_pid" "$log"; then
    stop_pid "$nc_pid"; return
  fi
  local q
  for q in "web.default.svc.cluster.local A" "_http._tcp.web.default.svc.cluster.local SRV"; do
    check "node-local-dns: same answer as nsd on $NC_LOCAL ($CLIENTS): $q" at_node "$NC_LOCAL" 53 expect_same_answer $q
    check "node-local-dns: same answer as nsd on $NC_SERVER ($CLIENTS): $q" at_node "$NC_SERVER" 53 expect_same_answer $q
  done
  check "node-local-dns: NXDOMAIN with SOA for cluster.local on $NC_SERVER" \
    at_node "$NC_SERVER" 53 expect_negative NXDOMAIN nope.cluster.local A cluster.local
  check "node-local-dns: in-addr.arpa block: same answer as nsd (2.2.0.127.in-addr.arpa PTR)" \
    at_node "$NC_LOCAL" 53 expect_same_answer 2.2.0.127.in-addr.arpa PTR
  check "node-local-dns: stub domain example.test answers as nsd" at_node "$NC_LOCAL" 53 expect_same_answer www.example.test A
  check "node-local-dns: ... and through the stub domain block (coredns_dns_requests_total zone example.test.)" \
    expect_stub_block_served
  check "node-local-dns: rendered -conf holds node-cache's stub domain block" \
    expect_rendered_stub_block example.test 127.0.2.1:5300
  check "node-local-dns: /health on $NC_LOCAL:8080 -> 200 OK" expect_http "http://$NC_LOCAL:8080/health" "200 OK"
  # The published template has no ready directive; CoreDNS then serves no /ready (404 from Go's mux).
  check "node-local-dns: /ready not served without a ready directive -> 404" \
    expect_http "http://$NC_LOCAL:8080/ready" "404 404 page not found"
  check "node-local-dns: -pidfile holds the daemon's PID" expect_pidfile "$NC_DIR/node-cache.pid" "$nc_pid"
  check "node-local-dns: coredns_reload_version_info has the SHA-512 of -conf" expect_reload_version_is_served_file
  check "node-local-dns: setup errors on the default 0.0.0.0:9353, all 5 types at 0" \
    at_node "$NC_LOCAL" 53 expect_setup_errors_at_zero

  # check 2: reloads on SIGUSR1 (the template's bare reload checks every 30 s +-15 s)
  check "node-local-dns: before the reload, stub.test is not a stub domain (the . block: nsd refuses it)" \
    at_node "$NC_LOCAL" 53 expect_rcode REFUSED node dig udp before.stub.test A
  local stub_pid
  start_bg "$NC_DIR/stub-server.log" timeout 60 python3 -c "$STUB_SERVER_PY" "$NC_STUB" 5300 "$NC_STUB_ANSWER"
  stub_pid=$BG_PID

  nc_write_stub_domains "${NC_STUBS_BROKEN[@]}"
  kill -USR1 "$nc_pid"
  wait_log "$log" "$NC_DIR/kube-dns/stubDomains:3" 5
  check "node-local-dns: a broken kube-dns ConfigMap is logged with stubDomains:3, the last good one kept" \
    expect_configmap_kept "$log" "$NC_DIR/kube-dns/stubDomains:3" "invalid JSON"
  check "node-local-dns: ... not a failed reload (coredns_reload_failed_total 0), as node-cache keeps its config" \
    expect_sample "coredns_reload_failed_total" 0
  check "node-local-dns: ... counted as a configmap setup error" \
    expect_sample 'coredns_nodecache_setup_errors_total{errortype="configmap"}' 1 "http://$NC_LOCAL:9353/metrics"
  check "node-local-dns: ... the old configuration answers (example.test stub)" \
    at_node "$NC_LOCAL" 53 expect_same_answer txt.example.test TXT

  nc_write_stub_domains "${NC_STUBS_START[@]}"
  # A new line 3, inside the cluster.local block before "cache {". The rendered -conf keeps the
  # template's lines (node-cache only replaces words and appends stub blocks), so it is -conf's line 3 too.
  sed -i '3i\    frobnicate on' "$NC_DIR/coredns/Corefile.base"
  kill -USR1 "$nc_pid"
  wait_log "$log" "$NC_DIR/Corefile:3" 5
  check "node-local-dns: reload of a broken template line is refused, logged with -conf's FILE:3 and the directive" \
    expect_reload_refused "$log" "$NC_DIR/Corefile:3" "frobnicate"
  check "node-local-dns: ... coredns_reload_failed_total 1" expect_sample "coredns_reload_failed_total" 1
  check "node-local-dns: ... the old configuration answers (cluster.local)" \
    at_node "$NC_LOCAL" 53 expect_same_answer pods.default.svc.cluster.local A

  nc_sed_template "$NC_DIR/coredns/Corefile.base"
  nc_write_stub_domains "${NC_STUBS_ADDED[@]}"
  local flow_pid; start_bg "$NC_DIR/flow.log" query_flow "$NC_LOCAL" 53 30 "$NC_DIR/flow.out"; flow_pid=$BG_PID
  sleep 1
  kill -USR1 "$nc_pid"
  wait_stub_answer 5
  wait "$flow_pid"; forget_pid "$flow_pid"
  check "node-local-dns: SIGUSR1 after adding a stub domain: stub.test answers from its server" expect_stub_answer new.stub.test
  check "node-local-dns: ... rendered -conf holds the new stub domain block" \
    expect_rendered_stub_block stub.test "$NC_STUB:5300"
  # 2: the SIGUSR1 with the broken kube-dns ConfigMap re-applied the same text (SIGUSR1 always
  # reloads, as in CoreDNS), then this one.
  check "node-local-dns: ... nodedns_config_reloads_total{outcome=\"applied\"} 2" \
    expect_sample 'nodedns_config_reloads_total{outcome="applied"}' 2
  check "node-local-dns: ... coredns_reload_version_info has the new SHA-512" expect_reload_version_is_served_file
  check "node-local-dns: 30 queries (UDP and TCP) across the SIGUSR1 reload all answered" \
    expect_equal "statuses" "$(cat "$NC_DIR/flow.out")" "$(query_flow_want 30)"
  stop_pid "$stub_pid"

  check_sigterm "node-local-dns: SIGTERM -> exit 0 within 5 s" "$nc_pid" "$log"
  check "node-local-dns: -pidfile removed at exit" test ! -e "$NC_DIR/node-cache.pid"
}

check_lameduck() { # check 3: a stop with health { lameduck 2s }
  local dir=$TMP/lameduck pid t0 ms rc i
  mkdir -p "$dir"
  printf '%s\n' "cluster.local:5353 {" "    bind $LD_ADDR" "    cache 30" "    forward . $UP_ADDR:$UP_PORT {" \
    "        force_tcp" "    }" "    health $LD_ADDR:8080 {" "        lameduck 2s" "    }" "    ready $LD_ADDR:8181" "}" \
    >"$dir/Corefile"
  start_nodedns "$dir/nodedns.log" -- -conf "$dir/Corefile" -pidfile "$dir/nodedns.pid" -metrics-listen-address ""
  pid=$NODE_PID
  if ! check "lameduck: daemon answers on $LD_ADDR:5353" expect_ready "$LD_ADDR" 5353 "$pid" "$dir/nodedns.log"; then
    stop_pid "$pid"; return
  fi
  check "lameduck: /health 200 OK before the stop" expect_http "http://$LD_ADDR:8080/health" "200 OK"
  check "lameduck: /ready 200 OK once listening" expect_http "http://$LD_ADDR:8181/ready" "200 OK"
  check "lameduck: -pidfile holds the daemon's PID" expect_pidfile "$dir/nodedns.pid" "$pid"
  # A single SIGTERM (stop_pid would send a second one, which cuts the stop short), then probes
  # during the 2 s of lameduck: /health and /ready 503 while DNS is still answered.
  t0=$(date +%s%N)
  kill -TERM "$pid"
  sleep 0.3
  {
    echo "health $(http_status_body "http://$LD_ADDR:8080/health")"
    echo "ready $(http_status_body "http://$LD_ADDR:8181/ready")"
    echo "dns $(ask dig udp "$LD_ADDR" 5353 pods.default.svc.cluster.local A | rcode_of)"
    kill -0 "$pid" 2>/dev/null && echo "alive yes" || echo "alive no"
  } >"$dir/probes"
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  wait "$pid" 2>/dev/null; rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  forget_pid "$pid"
  check "lameduck: SIGTERM -> /health, /ready 503 and DNS answered for 2 s, then exit 0, pidfile removed" \
    expect_lameduck_stop "$rc" "$ms" "$dir/probes" "$dir/nodedns.pid" "$dir/nodedns.log"
}

check_loop() { # check 5: two daemons whose "." blocks forward to each other, with loop
  local dir=$TMP/loop a b pa pb i rc_a=running rc_b=running
  mkdir -p "$dir"
  for a in "$LOOP_A $LOOP_B" "$LOOP_B $LOOP_A"; do
    set -- $a
    printf '%s\n' ".:5353 {" "    bind $1" "    loop" "    forward . $2:5353" "}" >"$dir/$1.Corefile"
  done
  start_nodedns "$dir/$LOOP_A.log" -- -conf "$dir/$LOOP_A.Corefile" -metrics-listen-address ""; pa=$NODE_PID
  start_nodedns "$dir/$LOOP_B.log" -- -conf "$dir/$LOOP_B.Corefile" -metrics-listen-address ""; pb=$NODE_PID
  # CoreDNS's loop plugin probes for 30 s at most but reports a loop at the third returning probe.
  for i in $(seq 1 120); do
    kill -0 "$pa" 2>/dev/null && kill -0 "$pb" 2>/dev/null || break
    sleep 0.1
  done
  sleep 1   # the other one may be exiting too
  kill -0 "$pa" 2>/dev/null || { wait "$pa"; rc_a=$?; forget_pid "$pa"; }
  kill -0 "$pb" 2>/dev/null || { wait "$pb"; rc_b=$?; forget_pid "$pb"; }
  printf '%s\n' "$LOOP_A $rc_a $dir/$LOOP_A.log" "$LOOP_B $rc_b $dir/$LOOP_B.log" >"$dir/results"
  [ "$rc_a" = running ] && stop_pid "$pa"
  [ "$rc_b" = running ] && stop_pid "$pb"
  check "loop: two daemons forwarding . to each other -> one exits 1 with 'Loop' logged" expect_loop_exit "$dir/results"
}

check_node_local_dns
check_lameduck
check_loop

start_nodedns "$TMP/nodedns.log" -- -conf "$HERE/corefiles/nodedns.Corefile" \
  -metrics-listen-address "$NODE_ADDR:$SETUP_METRICS_PORT"
MAIN_PID=$NODE_PID
MAIN_READY=0
if ! check "corefile daemon answers on $NODE_ADDR:$NODE_PORT" \
       expect_ready "$NODE_ADDR" "$NODE_PORT" "$MAIN_PID" "$TMP/nodedns.log"; then
  echo "      (the checks that need this daemon are skipped)"
else
  MAIN_READY=1
  node dig udp kept.example.test A >/dev/null   # cached now, TTL 300; asked again once nsd is stopped
  check "startup line names nodedns, listener and upstream" expect_startup_line "$TMP/nodedns.log"

  for q in "web.default.svc.cluster.local A" "pods.default.svc.cluster.local A" \
           "_http._tcp.web.default.svc.cluster.local SRV" "_dns._udp.kube-dns.kube-system.svc.cluster.local SRV" \
           "www.example.test A" "www.example.test AAAA" "example.test MX" "txt.example.test TXT" \
           "2.2.0.127.in-addr.arpa PTR"; do
    check "same answer as nsd ($CLIENTS): $q" expect_same_answer $q
  done
  check "NXDOMAIN with SOA ($CLIENTS)" expect_negative NXDOMAIN nope.cluster.local A cluster.local
  check "NODATA with SOA ($CLIENTS)" expect_negative NOERROR web.default.svc.cluster.local AAAA cluster.local
  check "NXDOMAIN with SOA, UDP-forwarded zone" expect_negative NXDOMAIN nope.example.test A example.test
  check_cache

  check "udp without EDNS: big answer -> TC=1, question only" expect_truncated node dig udp +noedns +ignore big.example.test TXT
  check "udp +bufsize=4096: still TC=1 (server limit 1232)" expect_truncated node dig udp +bufsize=4096 +ignore big.example.test TXT
  check "kdig udp: big answer -> TC=1" expect_truncated node kdig udp +ignore big.example.test TXT
  check "tcp: full big answer (dig, kdig)" expect_full_big_answer_over_tcp

  check "kdig +tcp +keepopen: 5 queries on one connection all answered" expect_keepopen_all_answered
  check "tcp pipelining: 5 queries in one write, 5 answers matched by id" expect_pipelined_all_answered

  check "question case kept (DNS 0x20): DnS0x20.Example.TEST" expect_question_case_kept DnS0x20.Example.TEST
  check "question case kept on a cache hit: dNS0X20.eXAMPLE.test" expect_question_case_kept dNS0X20.eXAMPLE.test

  check "name outside every block -> REFUSED (dig udp)" expect_rcode REFUSED node dig udp www.outside.invalid A
  check "name outside every block -> REFUSED (kdig tcp)" expect_rcode REFUSED node kdig tcp www.outside.invalid A
  check "dead forward target -> SERVFAIL within 5 s" expect_servfail_within_5s x.dead.test

  check "EDNS version 1 -> BADVERS (RFC 6891 section 6.1.3)" expect_rcode BADVERS node dig udp +edns=1 +noednsnegotiation www.example.test A
  check "opcode STATUS -> NOTIMP (RFC 1035 section 4.1.1)" expect_rcode NOTIMP node dig udp +opcode=status www.example.test A
  check "opcode NOTIFY over tcp -> NOTIMP" expect_rcode NOTIMP node dig tcp +opcode=notify www.example.test A

  check_metrics
fi

# --- laptop default: no -conf, resolv.conf from the environment -------------
start_nodedns "$TMP/laptop-env.log" --
if check "no -conf: answers on $LAPTOP_ADDR:$LAPTOP_PORT via NODEDNS_RESOLV_CONF" \
     expect_ready "$LAPTOP_ADDR" "$LAPTOP_PORT" "$NODE_PID" "$TMP/laptop-env.log"; then
  check "no -conf: same answer as nsd (example.test MX over tcp)" expect_equal "MX answer" \
    "$(ask dig tcp "$LAPTOP_ADDR" "$LAPTOP_PORT" example.test MX | section_of ANSWER)" \
    "$(upstream dig example.test MX | section_of ANSWER)"
  check_sigterm "no -conf: SIGTERM -> exit 0 within 5 s" "$NODE_PID" "$TMP/laptop-env.log"
else
  stop_pid "$NODE_PID"
fi

# --- laptop default with flags: -resolv-conf wins over the environment, -dns.port ---
start_nodedns "$TMP/laptop-flag.log" NODEDNS_RESOLV_CONF="$TMP/resolv-dead.conf" -- \
  -resolv-conf "$TMP/resolv.conf" -dns.port 5354
if check "-resolv-conf FILE (over a dead env one) and -dns.port 5354: answers on $LAPTOP_ADDR:5354" \
     expect_ready "$LAPTOP_ADDR" 5354 "$NODE_PID" "$TMP/laptop-flag.log"; then
  check_sigterm "-dns.port 5354: SIGTERM -> exit 0 within 5 s" "$NODE_PID" "$TMP/laptop-flag.log"
else
  stop_pid "$NODE_PID"
fi

# --- a stop that is waiting on a silent upstream: a second SIGTERM ends it at once ---
expect_second_sigterm_exits_now() { # a query in flight to an upstream that never answers keeps the drain busy
  local silent_pid nd_pid t0 rc ms
  python3 -c '
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.2.3", 5300))
time.sleep(20)' >/dev/null 2>&1 </dev/null &
  silent_pid=$!
  STARTED+=("$silent_pid")
  printf '.:5355 {\n    bind 127.0.2.2\n    forward . 127.0.2.3:5300\n}\n' >"$TMP/silent.Corefile"
  start_bg "$TMP/silent.log" java -jar "$JAR" -conf "$TMP/silent.Corefile" -metrics-listen-address ""
  nd_pid=$BG_PID
  for _ in $(seq 1 100); do grep -q started "$TMP/silent.log" 2>/dev/null && break; sleep 0.1; done
  dig @127.0.2.2 -p 5355 +time=8 +tries=1 waiting.example A >/dev/null 2>&1 &
  sleep 0.5
  kill -TERM "$nd_pid"; sleep 1.5   # a second signal within 1 s counts as the same stop
  t0=$(date +%s%N); kill -TERM "$nd_pid"
  for _ in $(seq 1 30); do kill -0 "$nd_pid" 2>/dev/null || break; sleep 0.1; done
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  wait "$nd_pid" 2>/dev/null; rc=$?
  forget_pid "$nd_pid"; stop_pid "$silent_pid" >/dev/null; wait 2>/dev/null
  if [ "$rc" = 1 ] && [ "$ms" -lt 2000 ] && grep -q "second SIGTERM" "$TMP/silent.log"; then return 0; fi
  echo "exit $rc after ${ms} ms (want 1, under 2000 ms)"; tail -n 5 "$TMP/silent.log"; return 1
}
check "draining on a silent upstream: second SIGTERM -> exit 1 at once" expect_second_sigterm_exits_now

# --- upstream gone: cached answers stay, misses fail fast ---------------------
stop_pid "$NSD_PID"
if [ "$MAIN_READY" = 1 ] && kill -0 "$MAIN_PID" 2>/dev/null; then
  check "nsd stopped: cached answer still served (kept.example.test)" \
    expect_equal "kept.example.test A" "$(node dig udp kept.example.test A +short)" 192.0.2.30
  check "nsd stopped: uncached name -> SERVFAIL within 5 s" expect_servfail_within_5s not-cached.example.test
  check_sigterm "corefile daemon: SIGTERM -> exit 0 within 5 s" "$MAIN_PID" "$TMP/nodedns.log"
elif [ "$MAIN_READY" = 1 ]; then
  FAILED=$((FAILED + 1)); FAILED_NAMES+=("corefile daemon survives the whole run")
  echo "FAIL corefile daemon survives the whole run (it exited; upstream-down and SIGTERM checks not run)"
  tail -n 20 "$TMP/nodedns.log" | sed 's/^/      /'
fi

if [ "$FAILED" -gt 0 ]; then
  for f in "$TMP"/nodedns.log "$TMP"/laptop-*.log; do
    [ -s "$f" ] && { echo "--- last lines of $(basename "$f")"; tail -n 15 "$f"; }
  done
fi
finish_checks
