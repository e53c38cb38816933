#!/usr/bin/env bash
# hostile.sh - system test of nodedns under hostile traffic: the jar as a process on loopback
# in front of a real upstream (nsd), a legitimate client measured alone and then while
# attackers send garbage, malformed queries and abusive TCP connections.
#
# Usage: bash src/test/system/hostile.sh JAR
#
#   nsd       127.0.5.1:5300   the upstream: zone hostile.test (web0..web19 and a wildcard)
#   nodedns   127.0.5.2:5353   Corefile below, /metrics on 127.0.5.2:9255, run with the
#                              container's JVM flags (src/main/image/jvm.options)
# No other system script uses 127.0.5.x or port 9255, so this one may run beside them.
#
# Phases (about 50 s in all):
#   probes    exact malformed queries over UDP (hostile/probe.py): FORMERR, NOTIMP, BADVERS or
#             no answer as RFC 1035 / RFC 6891 say, each counted once in
#             nodedns_query_parse_errors_total{kind}; an oversized TCP frame closes its
#             connection and counts in nodedns_tcp_connections_rejected_total; a cut TCP frame
#             leaves the daemon answering
#   baseline  the legitimate client alone: dnsperf, 20 cached names at a fixed 2,000 queries/s
#             for 8 s (a node's pods ask ~100/s; 2,000 is 20x that). A fixed offered rate, not
#             "as fast as possible": on 2 shared cores the attackers' own CPU would otherwise be
#             measured, not nodedns
#   attack    the same client again, while hostile/attack.py sends for 14 s: 4,000 datagrams/s
#             of random bytes, mutated queries and compression-pointer loops; a short-lived TCP
#             connection every 50 ms with an oversized frame, a frame over the 4096-byte cap, a
#             frame cut short, a 1-byte message; 2,000 idle connections and 500 that send one
#             byte of a length prefix and stall (half-open without raw sockets). A TCP query from
#             dig must still be answered while they are held.
# Checks: the client answered under attack >= 90% of its baseline answered count; nodedns's
# peak VmRSS (sampled every 0.25 s) < 256 MiB, the DaemonSet's memory limit (daemonset.yaml:
# a container over it is OOM-killed; jvm.options' 96 MiB heap plus metaspace, code cache, thread
# stacks and Netty's direct arenas fit under it, benchmarks/RESULTS.md measured 159 MiB at
# 10,000 queries/s); every idle and stalled connection closed by the server after its 10 s idle
# timeout (between 9 and 13 s), none left open after; more FORMERRs counted after the attack; each
# bad frame counted as a rejected connection; the daemon still answers and SIGTERM exits 0.
#
# Needs java 17, nsd, dnsperf (dnsperf), dig (dnsutils), curl, python3, ss (iproute2).
# Prints "PASS name" / "FAIL name" (evidence indented below) per check, then the last line
# "N passed, N failed". Exit status 0 only if nothing failed. Every wait is bounded.
#
# Environment: SYSTEM_SUMMARY_FILE  also write the final line to this file
#              NODEDNS_JAVA_OPTS    extra JVM options for the daemon (after jvm.options)
#              KEEP_TMP=1           keep the temp dir (configs, logs, reports) for inspection
set -uo pipefail   # no -e: a failing check is recorded and the run goes on
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/checks.sh"   # check, finish_checks, start_bg/stop_pid, wait_until, the cleanup trap, TMP
source "$HERE/lib/nsd.sh"      # nsd_server_conf
require_jar "$@"
require_commands java nsd dnsperf dig curl python3 ss timeout

UP_ADDR=127.0.5.1 UP_PORT=5300
DNS_ADDR=127.0.5.2 DNS_PORT=5353 METRICS_PORT=9255
METRICS_URL=http://$DNS_ADDR:$METRICS_PORT/metrics
JVM_OPTIONS=$HERE/../../main/image/jvm.options
RSS_LIMIT_KIB=$((256 * 1024))      # the DaemonSet's memory limit, see above
CLIENT_QPS=2000 CLIENT_SECONDS=8   # the legitimate client's fixed offered load
ATTACK_SECONDS=14 ATTACK_UDP_RATE=4000 ATTACK_IDLE=2000 ATTACK_STALLED=500
DAEMON_NOFILE=16384                # > idle + stalled + the 4096 connection cap's worth, under most hard limits
READY_SECONDS=30

make_tmp hostile

finish() { finish_checks; exit $?; }

# ----------------------------------------------------------- the upstream --
NAMES=()
for i in $(seq 0 19); do NAMES+=("web$i.hostile.test"); done

write_zone() {
  {
    printf '%s\n' '$ORIGIN hostile.test.' '$TTL 300' \
      '@ IN SOA ns.hostile.test. hostmaster.hostile.test. 1 7200 1800 86400 30' \
      '@ IN NS ns' 'ns IN A 127.0.5.1' '* IN A 192.0.2.99'
    for i in $(seq 0 19); do printf 'web%d IN A 192.0.2.%d\n' "$i" "$((i + 1))"; done
  } >"$TMP/hostile.test.zone"
  {
    nsd_server_conf "$TMP" "$TMP" "$UP_ADDR@$UP_PORT"
    cat <<EOF
  rrl-ratelimit: 0
zone:
  name: hostile.test
  zonefile: hostile.test.zone
EOF
  } >"$TMP/nsd.conf"
}

answers_noerror() { # answers_noerror ADDR PORT NAME [DIG ARGS...]
  local addr=$1 port=$2 name=$3; shift 3
  dig -p "$port" @"$addr" +time=1 +tries=1 "$@" "$name" A 2>/dev/null | grep -q 'status: NOERROR'
}

# --------------------------------------------------------------- nodedns --
write_corefile() {
  cat >"$TMP/Corefile" <<EOF
# hostile.test over UDP to the test's nsd; everything else REFUSED (no "." block).
hostile.test:$DNS_PORT {
    bind $DNS_ADDR
    prometheus $DNS_ADDR:$METRICS_PORT
    cache 300
    forward . $UP_ADDR:$UP_PORT
}
EOF
}

DAEMON_PID=""
start_daemon() {
  # The container's JVM flags, one per line in jvm.options (comments skipped), so memory is
  # measured as deployed. A subshell raises the open-file limit for the daemon alone.
  local opts=()
  mapfile -t opts < <(grep -v '^[[:space:]]*#' "$JVM_OPTIONS" | grep -v '^[[:space:]]*$')
  start_bg "$TMP/nodedns.log" bash -c 'ulimit -n "$1" 2>/dev/null || ulimit -n "$(ulimit -Hn)"; shift; exec "$@"' _ \
    "$DAEMON_NOFILE" env NODEDNS_RESOLV_CONF="$TMP/resolv.conf" \
    java "${opts[@]}" ${NODEDNS_JAVA_OPTS:-} -jar "$JAR" -conf "$TMP/Corefile" -metrics-listen-address ""
  DAEMON_PID=$BG_PID
}

scrape() { curl -sf --max-time 5 "$METRICS_URL"; }

metric() { # metric 'SERIES{labels}' -> its value as an integer ("absent" if not exposed)
  scrape | awk -v s="$1" '$1 == s { v = $2 } END { if (v == "") print "absent"; else printf "%d\n", v }'
}

parse_errors() { # the five nodedns_query_parse_errors_total kinds and the TCP rejections, one line
  local body k out=""
  body=$(scrape) || { echo "scrape failed"; return 1; }
  for k in short response formerr notimp badvers; do
    out+="$k=$(awk -v s="nodedns_query_parse_errors_total{kind=\"$k\"}" '$1 == s { printf "%d", $2 }' <<<"$body") "
  done
  out+="tcp_rejected=$(awk '$1 == "nodedns_tcp_connections_rejected_total" { printf "%d", $2 }' <<<"$body")"
  echo "$out"
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

daemon_alive() { kill -0 "$DAEMON_PID" 2>/dev/null || { echo "nodedns (pid $DAEMON_PID) exited; log:"; tail -n 20 "$TMP/nodedns.log"; return 1; }; }

# ------------------------------------------------------------------- setup --
printf '%s\n' "# nodedns must not need this: every name it serves goes to $UP_ADDR:$UP_PORT" \
  "nameserver 127.0.5.9" >"$TMP/resolv.conf"
write_zone
write_corefile
start_bg "$TMP/nsd.out" nsd -d -c "$TMP/nsd.conf"; NSD_PID=$BG_PID
if ! wait_until 10 answers_noerror "$UP_ADDR" "$UP_PORT" web0.hostile.test; then
  echo "hostile.sh: nsd does not answer on $UP_ADDR:$UP_PORT; its log:" >&2
  cat "$TMP/nsd.out" "$TMP/nsd.log" 2>/dev/null | tail -n 20 >&2
  exit 2
fi
start_daemon
if ! wait_until "$READY_SECONDS" answers_noerror "$DNS_ADDR" "$DNS_PORT" web0.hostile.test; then
  echo "FAIL nodedns answers on $DNS_ADDR:$DNS_PORT within $READY_SECONDS s"; tail -n 30 "$TMP/nodedns.log"
  FAILED=$((FAILED + 1)); FAILED_NAMES+=("start"); finish
fi
wait_until 5 scrape >/dev/null
echo "nodedns pid $DAEMON_PID, open-file limit $(awk '/Max open files/ { print $4 }' "/proc/$DAEMON_PID/limits")"

# ------------------------------------------------------------------ probes --
delta_is() { # delta_is BEFORE AFTER KIND=N... : the counters grew by exactly these amounts
  local before=$1 after=$2 want got b a k; shift 2
  for want in "$@"; do
    k=${want%%=*}
    b=$(grep -o "$k=[0-9]*" <<<"$before" | cut -d= -f2); a=$(grep -o "$k=[0-9]*" <<<"$after" | cut -d= -f2)
    got=$(( ${a:-0} - ${b:-0} ))
    [ "$got" = "${want#*=}" ] || { echo "$k grew by $got, expected ${want#*=} (before: $before; after: $after)"; return 1; }
  done
}

before=$(parse_errors)
check "probes: each malformed UDP query gets the RFC's answer (FORMERR, NOTIMP, BADVERS) or none" \
  python3 "$HERE/hostile/probe.py" "$DNS_ADDR" "$DNS_PORT" udp
after=$(parse_errors)
check "probes: counted once each in nodedns_query_parse_errors_total{kind}" \
  delta_is "$before" "$after" formerr=6 notimp=1 badvers=1 short=1 response=1 tcp_rejected=0

before=$after
check "probes: a TCP frame announcing 65535 bytes (cap 4096) closes that connection" \
  python3 "$HERE/hostile/probe.py" "$DNS_ADDR" "$DNS_PORT" tcp-oversized
check "probes: a TCP frame cut short, then a new connection's query is answered" \
  python3 "$HERE/hostile/probe.py" "$DNS_ADDR" "$DNS_PORT" tcp-cut
sleep 0.3   # the close is counted on the event loop after the client saw it
after=$(parse_errors)
check "probes: the oversized frame counted once in nodedns_tcp_connections_rejected_total" \
  delta_is "$before" "$after" tcp_rejected=1 formerr=0

# ---------------------------------------------------------------- baseline --
printf '%s A\n' "${NAMES[@]}" >"$TMP/queries.txt"
for n in "${NAMES[@]}"; do answers_noerror "$DNS_ADDR" "$DNS_PORT" "$n"; done   # warm the cache

client() { # client LABEL : dnsperf at the fixed rate -> TMP/dnsperf-LABEL.txt
  timeout $((CLIENT_SECONDS + 10)) dnsperf -s "$DNS_ADDR" -p "$DNS_PORT" -d "$TMP/queries.txt" \
    -l "$CLIENT_SECONDS" -Q "$CLIENT_QPS" -t 1 -c 4 >"$TMP/dnsperf-$1.txt" 2>&1
}
completed() { awk '/Queries completed:/ { print $3 }' "$TMP/dnsperf-$1.txt"; }

client baseline
BASE=$(completed baseline)
expect_baseline() {
  local want=$((CLIENT_QPS * CLIENT_SECONDS * 99 / 100))
  [ -n "$BASE" ] && [ "$BASE" -ge "$want" ] && return 0
  echo "the client alone must get >= 99% of $((CLIENT_QPS * CLIENT_SECONDS)) queries answered ($want); got ${BASE:-none}:"
  cat "$TMP/dnsperf-baseline.txt"; return 1
}
check "baseline: the client alone is answered ($CLIENT_QPS queries/s for $CLIENT_SECONDS s)" expect_baseline

# ------------------------------------------------------------------ attack --
formerr_before=$(metric 'nodedns_query_parse_errors_total{kind="formerr"}')
tcp_rejected_before=$(metric nodedns_tcp_connections_rejected_total)
start_bg "$TMP/attack.out" python3 "$HERE/hostile/attack.py" "$DNS_ADDR" "$DNS_PORT" "$ATTACK_SECONDS" \
  "$TMP/attack.json" --udp-rate "$ATTACK_UDP_RATE" --idle "$ATTACK_IDLE" --stalled "$ATTACK_STALLED"
ATTACK_PID=$BG_PID
# RSS sampler for the whole attack, in the background; writes the peak (KiB) when stopped.
( peak=0; while kill -0 "$ATTACK_PID" 2>/dev/null; do
    r=$(rss_kib "$DAEMON_PID"); [ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r; echo "$peak" >"$TMP/rss-peak"
    sleep 0.25
  done ) &
SAMPLER_PID=$!; STARTED+=("$SAMPLER_PID")

# Let the held connections open (2,500 connects take a moment), then measure the client.
wait_until 10 bash -c "[ \$(ss -Htn state established '( dport = :$DNS_PORT and dst $DNS_ADDR )' | wc -l) -ge $((ATTACK_IDLE + ATTACK_STALLED)) ]"
held=$(ss -Htn state established "( dport = :$DNS_PORT and dst $DNS_ADDR )" | wc -l)
echo "attack: $held TCP connections held to $DNS_ADDR:$DNS_PORT"
tcp_during=0
answers_noerror "$DNS_ADDR" "$DNS_PORT" web3.hostile.test +tcp && tcp_during=1
client attack
wait "$ATTACK_PID" 2>/dev/null; forget_pid "$ATTACK_PID"
wait "$SAMPLER_PID" 2>/dev/null; forget_pid "$SAMPLER_PID"
UNDER=$(completed attack)

expect_kept_rate() {
  [ -n "$UNDER" ] && [ -n "$BASE" ] && [ $((UNDER * 100)) -ge $((BASE * 90)) ] && return 0
  echo "answered under attack: ${UNDER:-none}, alone: ${BASE:-none}; expected >= 90%"
  cat "$TMP/dnsperf-attack.txt"; return 1
}
check "attack: the client keeps >= 90% of its answered queries" expect_kept_rate
echo "      answered: ${BASE:-?} alone, ${UNDER:-?} under attack ($CLIENT_QPS/s offered for $CLIENT_SECONDS s)"
expect_tcp_during() {
  [ "$tcp_during" = 1 ] && return 0
  echo "dig +tcp got no NOERROR with $held attacking connections held"; return 1
}
check "attack: a TCP query is answered while $((ATTACK_IDLE + ATTACK_STALLED)) idle and stalled connections are held" \
  expect_tcp_during

expect_rss() {
  local peak; peak=$(cat "$TMP/rss-peak" 2>/dev/null)
  echo "peak VmRSS ${peak:-?} KiB, limit $RSS_LIMIT_KIB KiB"
  [ -n "$peak" ] && [ "$peak" -gt 0 ] && [ "$peak" -lt "$RSS_LIMIT_KIB" ]
}
check "attack: nodedns's peak RSS stays under the DaemonSet's 256 MiB memory limit" expect_rss
grep -o 'peak VmRSS.*' <<<"$(expect_rss)" | sed 's/^/      /'

report() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$TMP/attack.json" "$1"; }
expect_connections_closed() {
  [ -s "$TMP/attack.json" ] || { echo "no attack report:"; cat "$TMP/attack.out"; return 1; }
  local io so ic sc lo hi
  io=$(report idle_opened) so=$(report stalled_opened) ic=$(report idle_closed_by_server)
  sc=$(report stalled_closed_by_server) lo=$(report stalled_close_seconds_min) hi=$(report stalled_close_seconds_max)
  echo "idle: $ic of $io closed by the server; stalled: $sc of $so, after $lo to $hi s"
  [ "$io" = "$ATTACK_IDLE" ] && [ "$so" = "$ATTACK_STALLED" ] && [ "$ic" = "$io" ] && [ "$sc" = "$so" ] &&
    python3 -c "import sys; sys.exit(0 if 9 <= float('$lo') and float('$hi') <= 13 else 1)"
}
check "attack: every idle and stalled connection is closed by the server's 10 s idle timeout" expect_connections_closed
cat "$TMP/attack.json" | tr -d '\n' | sed 's/^/      attack report: /'; echo

expect_formerr_grew() {
  local now; now=$(metric 'nodedns_query_parse_errors_total{kind="formerr"}')
  echo "formerr before the attack: $formerr_before, after: $now"
  [ "$now" != absent ] && [ "$formerr_before" != absent ] && [ "$now" -gt "$formerr_before" ]
}
check "attack: the malformed datagrams are counted as FORMERR" expect_formerr_grew

expect_rejections_counted() { # every short-lived connection the server closed was a rejection
  local closed opened now; closed=$(report tcp_short_lived_closed_by_server) opened=$(report tcp_short_lived)
  now=$(metric nodedns_tcp_connections_rejected_total)
  echo "short-lived connections: $opened opened, $closed closed by the server;" \
    "nodedns_tcp_connections_rejected_total grew by $((now - tcp_rejected_before))"
  [ $((now - tcp_rejected_before)) -ge "$closed" ] && [ $((now - tcp_rejected_before)) -le "$opened" ]
}
check "attack: the bad frames are counted in nodedns_tcp_connections_rejected_total" expect_rejections_counted
check "attack: none of the attackers' connections is left open (nodedns_tcp_connections_open 0)" \
  wait_until 5 bash -c "[ \"\$(curl -sf --max-time 5 $METRICS_URL | awk '\$1 == \"nodedns_tcp_connections_open\" { printf \"%d\", \$2 }')\" = 0 ]"

# -------------------------------------------------------------------- end --
check "end: nodedns is alive" daemon_alive
check "end: nodedns still answers" answers_noerror "$DNS_ADDR" "$DNS_PORT" web7.hostile.test
stop_pid "$DAEMON_PID"
expect_exit_0() {
  [ "$STOP_RC" = 0 ] && [ "$STOP_MS" -le 10000 ] && return 0
  echo "exit $STOP_RC after $STOP_MS ms; log tail:"; tail -n 20 "$TMP/nodedns.log"; return 1
}
check "end: SIGTERM exits 0" expect_exit_0
finish
