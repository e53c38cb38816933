#!/usr/bin/env bash
# cds-training.sh JAVA OPTIONS JAR ADDR UPSTREAM -- ARCHIVE-FLAGS...
#
# The training run of the container's class archive: starts nodedns on the runtime JAVA with
# @OPTIONS (jvm.options) and ARCHIVE-FLAGS (-XX:ArchiveClassesAtExit=FILE on JDK 17) in node mode,
# as the DaemonSet runs it (node-local-dns's Corefile template rendered with -basecorefile,
# -kubednscm, -upstreamsvc, -cache-dir; networking flags off), sends it what a node sends at start
# (DNS over UDP and TCP: answers forwarded from upstream, a refusal, a failed upstream; scrapes of
# /metrics, /health and /ready), stops it with SIGTERM and checks that it exited 0: the JVM writes
# the archive at that exit. Run by the Dockerfile (127.0.0.1 and 127.0.0.2, inside the build's own
# network namespace) and by .ci/deploy-checks (its 127.0.4.x addresses).
#
# Why: the archive holds the classes those paths load, parsed and verified, so a start maps them
# instead of loading ~3,000 classes from the jar (benchmarks/RESULTS.md, "Memory and start time
# (issue 9)"). It is only valid for this JAVA and this JAR at this path (the JVM checks the jar's
# path, size and time and refuses an archive that does not match): build it where both stay. Uses
# bash's /dev/udp and /dev/tcp only, as the image has no DNS or HTTP client.
#
# Addresses and ports: ADDR:53 the node-local address (DNS), ADDR:5306-5309 (HTTP); UPSTREAM:53
# plays kube-dns and the node's resolver. That one is the same nodedns too: a block for
# train.example answers AAAA itself (filter_aaaa: NODATA) and forwards the rest over TCP to
# UPSTREAM:5302, where nothing listens (SERVFAIL); it refuses other zones. Exit status 0 only if
# nodedns answered and exited 0.
set -uo pipefail
usage="usage: cds-training.sh JAVA OPTIONS JAR ADDR UPSTREAM -- ARCHIVE-FLAGS..."
JAVA=${1:?$usage} OPTIONS=${2:?$usage} JAR=${3:?$usage} ADDR=${4:?$usage} UPSTREAM=${5:?$usage}
shift 5
[ "${1:-}" = -- ] && shift
DIR=$(mktemp -d /tmp/nodedns-training.XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT

# node-local-dns's template (daemonset/configmap.yaml) with HTTP on ports of ADDR, plus the upstream.
mkdir -p "$DIR/kube-dns" "$DIR/cache"
cat >"$DIR/Corefile.base" <<EOF
cluster.local:53 {
    errors
    cache {
        success 9984 30
        denial 9984 5
    }
    reload
    loop
    bind __PILLAR__LOCAL__DNS__
    forward . __PILLAR__CLUSTER__DNS__ {
        force_tcp
    }
    prometheus __PILLAR__LOCAL__DNS__:5309
    health __PILLAR__LOCAL__DNS__:5308
    ready __PILLAR__LOCAL__DNS__:5307
}
.:53 {
    errors
    cache 30
    reload
    loop
    bind __PILLAR__LOCAL__DNS__
    forward . __PILLAR__UPSTREAM__SERVERS__
    prometheus __PILLAR__LOCAL__DNS__:5309
}
train.example:53 {
    bind $UPSTREAM
    filter_aaaa
    forward . $UPSTREAM:5302 {
        force_tcp
    }
}
EOF
echo "nameserver $UPSTREAM" >"$DIR/resolv.conf"
KUBE_DNS_UPSTREAM_SERVICE_HOST=$UPSTREAM NODEDNS_RESOLV_CONF=$DIR/resolv.conf \
  "$JAVA" "$@" @"$OPTIONS" -jar "$JAR" -localip "$ADDR" -conf "$DIR/Corefile" -upstreamsvc kube-dns-upstream \
  -cache-dir "$DIR/cache" -basecorefile "$DIR/Corefile.base" -kubednscm "$DIR/kube-dns" \
  -setupinterface=false -setupiptables=false -metrics-listen-address "$ADDR:5306" \
  >"$DIR/log" 2>&1 </dev/null &
PID=$!

query() { # query ID TYPE NAME-LABELS: a DNS query (ID one byte in hex; TYPE 01 A, 1c AAAA; NAME as
  #       printf escapes, e.g. '\x05train\x07example\x00')
  printf "\\x$1\\x01\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00$3\\x00\\x$2\\x00\\x01"
}
TRAIN='\x05train\x07example\x00'                           # 15 bytes
SVC='\x03web\x07default\x03svc\x07cluster\x05local\x00'   # 31 bytes
tcp_answer() { # tcp_answer ID TYPE NAME LENGTH: the query over TCP (RFC 1035 4.2.2: its LENGTH in hex
  #            first, 16 + the name's bytes); prints the answer's length field, nothing if none in 10 s
  ( exec 3<>"/dev/tcp/$ADDR/53" && { printf "\\x00\\x$4"; query "$1" "$2" "$3"; } >&3 &&
    timeout 10 head -c 2 <&3 | od -An -tx1 ) 2>/dev/null
}
http_get() { # http_get PORT PATH
  ( exec 3<>"/dev/tcp/$ADDR/$1" && printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&3 && timeout 10 cat <&3 >/dev/null ) 2>/dev/null
}

# Up to 2 minutes for the first answer: an arm64 image built under emulation starts slowly.
answered=0
for _ in $(seq 1 600); do
  [ -n "$(tcp_answer 01 1c "$TRAIN" 1f)" ] && { answered=1; break; }
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.2
done
if [ $answered = 1 ]; then
  for i in 1 2 3 4 5 6 7 8; do
    query "1$i" 1c "$TRAIN" >"/dev/udp/$ADDR/53"
    query "2$i" 01 "$TRAIN" >"/dev/udp/$ADDR/53"
    query "3$i" 01 "$SVC" >"/dev/udp/$ADDR/53"
    tcp_answer "4$i" 1c "$TRAIN" 1f >/dev/null
    tcp_answer "5$i" 01 "$SVC" 2f >/dev/null
  done
  http_get 5309 /metrics; http_get 5308 /health; http_get 5307 /ready; http_get 5306 /metrics
  sleep 1   # the forwarded A queries fail and are answered meanwhile
fi
kill -TERM "$PID" 2>/dev/null
wait "$PID"; rc=$?
PID=""
if [ $answered = 1 ] && [ $rc = 0 ]; then
  grep -v '^\[' "$DIR/log" | grep -v ' INFO ' || true
  exit 0
fi
echo "cds-training: nodedns $([ $answered = 1 ] && echo "exited $rc" || echo "did not answer on $ADDR:53"):" >&2
tail -n 30 "$DIR/log" >&2
exit 1
