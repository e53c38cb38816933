#!/usr/bin/env bash
# src/test/fuzz.sh - a short real fuzzing run of every Jazzer @FuzzTest target, for CI.
#
# Usage: bash src/test/fuzz.sh [JAR]   (the JAR argument is ignored: accepted so that .ci/run
#                                       can list this script with the system scripts)
#
# `mvn test` runs each target's seeds only (Jazzer's regression mode, inputs under
# src/test/resources/<package>/<Class>Inputs/<method>/). Here each target is fuzzed for its
# @FuzzTest maxDuration (60 s) in its own Maven run (JAZZER_FUZZ=1 fuzzes one target per JVM).
# A finding fails its target; Jazzer writes the input into that Inputs directory as crash-<sha1>,
# where `mvn test` replays it from then on: fix the bug, rename the file after what it shows,
# and commit it with the fix.
#
# Prints "PASS fuzz CLASS" / "FAIL fuzz CLASS" (the finding below), then "N passed, N failed";
# also to $SYSTEM_SUMMARY_FILE. Needs mvn and java 17+. About 1.5 minutes per target.
# Environment: FUZZ_BUILD_DIR  Maven build directory (default: the project's target/)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

TARGETS=(io.nodedns.wire.QueryParserFuzzTest io.nodedns.wire.ResponseReplayFuzzTest
         io.nodedns.config.CorefileParserFuzzTest)
BUILD_ARGS=()
[ -n "${FUZZ_BUILD_DIR:-}" ] && BUILD_ARGS=(-Dnodedns.buildDir="$FUZZ_BUILD_DIR")
LOGS=$(mktemp -d /tmp/nodedns-fuzz.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT

PASSED=0 FAILED=0
for target in "${TARGETS[@]}"; do
  log=$LOGS/${target##*.}.log
  # 512 MiB heap: unbounded, the fuzzing JVM grows to gigabytes on a shared machine. The timeout
  # bounds a hang that Jazzer's own per-input timeout would not end.
  JAVA_TOOL_OPTIONS=-Xmx512m JAZZER_FUZZ=1 timeout 300 \
    mvn -B -q "${BUILD_ARGS[@]}" test -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" | tail -n 1)
  if [ $rc = 0 ] && [ -n "$runs" ]; then
    PASSED=$((PASSED + 1)); echo "PASS fuzz $target: ${runs#Done }"
  else
    FAILED=$((FAILED + 1)); echo "FAIL fuzz $target (exit $rc${runs:+, ${runs#Done }})"
    grep -E 'FuzzTestFinding|Caused by|crash-[0-9a-f]+|ERROR' "$log" | grep -v '^INFO' | head -n 20 | sed 's/^/      /'
    git status --porcelain -- 'src/test/resources/*Inputs/*' | sed 's/^/      new input: /'
  fi
done
line="$PASSED passed, $FAILED failed"
[ -n "${SYSTEM_SUMMARY_FILE:-}" ] && echo "$line" >"$SYSTEM_SUMMARY_FILE"
echo "$line"
[ "$FAILED" = 0 ]
