/**
 * JMH benchmarks of the cache-hit hot path (DESIGN.md §4): what one answered-from-cache
 * query costs the server, piece by piece and in full.
 *
 * <ul>
 *   <li>{@link io.nodedns.bench.QueryParseBenchmark}: {@code ParsedQuery.parse} of a pod's query,
 *       with and without an EDNS OPT record;</li>
 *   <li>{@link io.nodedns.bench.CacheLookupBenchmark}: {@code ResponseCache.get} over 10,000 cached
 *       names drawn with a Zipf distribution, hits and misses;</li>
 *   <li>{@link io.nodedns.bench.ResponseWriteBenchmark}: {@code ResponseWriter.writeAnswer} of a
 *       one-record and a six-record answer with TTLs lowered by the entry's age;</li>
 *   <li>{@link io.nodedns.bench.CacheHitPathBenchmark}: parse, lookup, write into a pooled buffer and
 *       release it, as the UDP handler does per query.</li>
 * </ul>
 *
 * <p>Surefire skips this package; run it with {@code benchmarks/jmh.sh} (which adds
 * {@code -prof gc}, so every result carries {@code gc.alloc.rate.norm}, the bytes
 * allocated per operation: the hot-path rule is that this stays at about zero).
 * Examples:
 * <pre>
 *   benchmarks/jmh.sh                                  # everything, about 3 minutes
 *   benchmarks/jmh.sh CacheHitPath -i 10               # one class, more iterations
 *   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 benchmarks/jmh.sh CacheHitPath
 * </pre>
 *
 * <p>Fixtures are built with dnsjava (an independent encoder, with its own name
 * compression) and turned into templates by {@code ResponseScanner}, exactly as
 * upstream answers are; every benchmark checks in its setup that the operation
 * does what it claims before timing it.
 */
package io.nodedns.bench;
