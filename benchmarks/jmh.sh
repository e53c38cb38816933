#!/usr/bin/env bash
# Runs the JMH benchmarks of the cache-hit hot path (src/test/java/io/nodedns/bench, and the
# package-private query path and metrics in src/test/java/io/nodedns/server/*Benchmark).
#
# Usage: benchmarks/jmh.sh [PATTERN] [JMH options...]
#   PATTERN       benchmark regexp replacing the default (all of them)
#                 (e.g. CacheHitPath, or 'ResponseWrite.*Cdn')
#   JMH options   passed through; one given here replaces the default of the same
#                 option below (e.g. -i 10, -f 2, -p edns=true, -prof jfr); `-h`
#                 lists them all.
#
# Environment:
#   NODEDNS_BUILD_DIR  Maven build directory (default: target); concurrent builds
#                      of one work tree should each use their own
#   JAVA_HOME          JDK that runs the benchmarks (classes are always built for 17
#                      by whatever JDK Maven uses)
#   JMH_RESULT         JSON result file (default: $NODEDNS_BUILD_DIR/jmh/jmh-result.json)
#
# Defaults suit a 2-core shared VM: one fork, 3 x 2 s warm-up, 5 x 2 s measurement,
# with the gc profiler so that every row reports gc.alloc.rate.norm (bytes per op).
set -euo pipefail

cd "$(dirname "$0")/.."
build_dir="${NODEDNS_BUILD_DIR:-target}"
case "$build_dir" in
  /*) ;;
  *) build_dir="$PWD/$build_dir" ;;
esac
result="${JMH_RESULT:-$build_dir/jmh/jmh-result.json}"
java_cmd="${JAVA_HOME:+$JAVA_HOME/bin/}java"

pattern='io\.nodedns\.(bench\..*|server\..*Benchmark.*)'
if [[ $# -gt 0 && "$1" != -* ]]; then
  pattern="$1"
  shift
fi

mvn -q -Dnodedns.buildDir="$build_dir" -DskipTests test-compile
mvn -q -Dnodedns.buildDir="$build_dir" dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$build_dir/jmh-classpath.txt"
mkdir -p "$(dirname "$result")"

echo "JDK: $("$java_cmd" -version 2>&1 | head -n 1)" >&2
# JMH rejects an option given twice, so a default goes in only if the caller did not give it.
# The forks run with Netty's leak detection off, as the daemon does in production (app.Main).
defaults=(-f 1 -wi 3 -w 2s -i 5 -r 2s -rf json -rff "$result" -jvmArgsAppend -Dio.netty.leakDetection.level=disabled)
options=()
for ((i = 0; i < ${#defaults[@]}; i += 2)); do
  given=false
  for arg in "$@"; do
    [[ "$arg" == "${defaults[i]}" ]] && given=true
  done
  $given || options+=("${defaults[i]}" "${defaults[i + 1]}")
done

"$java_cmd" -cp "$build_dir/test-classes:$build_dir/classes:$(cat "$build_dir/jmh-classpath.txt")" \
    org.openjdk.jmh.Main "$pattern" -prof gc "${options[@]}" "$@"
if [[ " $* " == *" -rff "* ]]; then
  echo "JMH results written where -rff said" >&2
else
  echo "JMH results written to $result" >&2
fi
