package io.nodedns.bench;

import io.netty.buffer.ByteBuf;
import io.nodedns.wire.ParsedQuery;
import io.nodedns.wire.QueryVerdict;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Step 1 of a cache hit: {@link ParsedQuery#parse} of a pod's A query for
 * {@value DnsFixtures#POD_QUERY_NAME} held in a pooled direct buffer, as a received
 * datagram is, into the event loop's reused scratch instance. Two shapes: glibc's
 * and musl's default (no EDNS) and a client that sends an OPT record (which adds
 * the additional-section walk).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class QueryParseBenchmark {
    private final ParsedQuery scratch = new ParsedQuery();
    private ByteBuf plainQuery;
    private ByteBuf ednsQuery;

    @Setup
    public void receiveQueries() {
        plainQuery = DnsFixtures.directCopy(
                DnsFixtures.query(DnsFixtures.POD_QUERY_NAME, DnsFixtures.TYPE_A, 0x2a17, false));
        ednsQuery = DnsFixtures.directCopy(
                DnsFixtures.query(DnsFixtures.POD_QUERY_NAME, DnsFixtures.TYPE_A, 0x2a18, true));
        DnsFixtures.check(scratch.parse(plainQuery) == QueryVerdict.ANSWER && !scratch.edns()
                && scratch.id() == 0x2a17, "plain query parses as an answerable A query without EDNS");
        DnsFixtures.check(scratch.parse(ednsQuery) == QueryVerdict.ANSWER && scratch.edns()
                && scratch.ednsUdpSize() == DnsFixtures.CLIENT_UDP_SIZE, "EDNS query parses with its UDP size");
        DnsFixtures.check(scratch.key().nameText().equals(DnsFixtures.POD_QUERY_NAME), "key holds the name");
    }

    @TearDown
    public void releaseQueries() {
        plainQuery.release();
        ednsQuery.release();
    }

    @Benchmark
    public QueryVerdict parseWithoutEdns() {
        return scratch.parse(plainQuery);
    }

    @Benchmark
    public QueryVerdict parseWithEdns() {
        return scratch.parse(ednsQuery);
    }
}
