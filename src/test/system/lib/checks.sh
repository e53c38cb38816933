# lib/checks.sh - sourced by the system test scripts (run.sh, netns.sh, rollout.sh, hostile.sh):
# the command line and the temp dir, background processes started and stopped by PID with
# bounded waits, the cleanup trap, and check / PASS / FAIL with the summary line.
#
#   source "$HERE/lib/checks.sh"
#   require_jar "$@"                 -> JAR (absolute); exit 2 without one
#   require_commands java nsd ...    exit 2 naming the first missing command
#   make_tmp NAME                    -> TMP=/tmp/nodedns-NAME.XXXXXX, removed at exit unless KEEP_TMP=1
#   on_cleanup FUNCTION              FUNCTION runs at exit, after the started processes are stopped
#   check "what it proves" CMD...    PASS/FAIL, the evidence (CMD's output) indented under a FAIL
#   finish_checks                    "failed checks:" with their names when some failed, then the
#                                    line "N passed, N failed" (also to $SYSTEM_SUMMARY_FILE);
#                                    returns 0 only if nothing failed
#
# ME (the running script's file name) prefixes the script's own error messages.
ME=$(basename "$0")

require_jar() { # require_jar "$@" -> JAR, the first argument made absolute
  JAR=${1:?usage: $ME JAR}
  [ -f "$JAR" ] || { echo "$ME: no such jar: $JAR" >&2; exit 2; }
  JAR=$(cd "$(dirname "$JAR")" && pwd)/$(basename "$JAR")
}

require_commands() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || { echo "$ME: missing command: $c" >&2; exit 2; }
  done
}

TMP=""
make_tmp() { TMP=$(mktemp -d "/tmp/nodedns-$1.XXXXXX"); }

# ------------------------------------------------------- process management --
STARTED=()   # PIDs of the background processes this script started, nothing else
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

wait_until() { # wait_until SECONDS CMD... : CMD succeeds before the deadline (polled every 0.2 s)
  local end=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    [ "$(date +%s%N)" -lt "$end" ] || return 1
    sleep 0.2
  done
}

# ------------------------------------------------------------------ cleanup --
CLEANUP_HOOKS=()
on_cleanup() { CLEANUP_HOOKS+=("$1"); }

cleanup() {
  local p h
  for p in "${STARTED[@]}"; do stop_pid "$p" >/dev/null; done
  for h in "${CLEANUP_HOOKS[@]}"; do "$h"; done
  [ -n "$TMP" ] || return 0
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "temp dir kept: $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'echo "$ME: interrupted"; exit 130' INT TERM

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

finish_checks() {
  local summary="$PASSED passed, $FAILED failed"
  if [ "$FAILED" -gt 0 ]; then
    echo "failed checks:"; printf '  %s\n' "${FAILED_NAMES[@]}"
  fi
  [ -n "${SYSTEM_SUMMARY_FILE:-}" ] && echo "$summary" >"$SYSTEM_SUMMARY_FILE"
  echo "$summary"
  [ "$FAILED" = 0 ]
}
