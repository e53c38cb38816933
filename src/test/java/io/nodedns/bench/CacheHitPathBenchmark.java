package io.nodedns.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.nodedns.cache.CachedAnswer;
import io.nodedns.cache.ResponseCache;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.ParsedQuery;
import io.nodedns.wire.QueryVerdict;
import io.nodedns.wire.ResponseWriter;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;

/**
 * The whole per-query cost of a cache hit inside the server, as
 * {@code QueryProcessor} and {@code UdpQueryHandler.answer} spend it: parse the
 * received query into the scratch instance, look its scratch key up, allocate the
 * response from the channel's allocator ({@link ByteBufAllocator#DEFAULT}, pooled,
 * direct), write the replay, release the buffer (standing in for the transport,
 * which releases it after sendmmsg). Zone routing, counters and the socket I/O are
 * not included.
 *
 * <p>Queries for the 10,000 Services of {@link CachedCluster} are held in pooled
 * direct buffers and chosen Zipf (s = 1) from a precomputed sequence; {@code edns}
 * selects clients that send an OPT record.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CacheHitPathBenchmark {
    private static final int DRAWS = 1 << 16;
    private static final int MASK = DRAWS - 1;

    @Param({"false", "true"})
    public boolean edns;

    private final ParsedQuery scratch = new ParsedQuery();
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private ResponseCache cache;
    private ByteBuf[] receivedQueries;
    private int[] zipfOrder;
    private int next;

    @Setup
    public void prepare() {
        cache = new CachedCluster().cache();
        receivedQueries = new ByteBuf[CachedCluster.SERVICES];
        for (int i = 0; i < CachedCluster.SERVICES; i++) {
            receivedQueries[i] = DnsFixtures.directCopy(
                    DnsFixtures.query(DnsFixtures.serviceName(i), DnsFixtures.TYPE_A, i, edns));
        }
        zipfOrder = ZipfIndices.draw(CachedCluster.SERVICES, 1.0, DRAWS, 42);
        checkOneAnswer(4321);
    }

    @TearDown
    public void releaseQueries() {
        for (ByteBuf query : receivedQueries) {
            query.release();
        }
    }

    @Benchmark
    public int answerFromCache() {
        ByteBuf out = answer(receivedQueries[zipfOrder[next++ & MASK]]);
        try {
            return out.readableBytes();
        } finally {
            out.release();
        }
    }

    /** One hit, up to the response leaving for the transport; the caller must release the result. */
    private ByteBuf answer(ByteBuf received) {
        if (scratch.parse(received) != QueryVerdict.ANSWER) {
            throw new IllegalStateException("fixture query not answerable");
        }
        CachedAnswer hit = cache.get(scratch.key());
        long ageSeconds = hit.ageSeconds(cache.nowNanos());
        // UdpQueryHandler.sizeLimit: 512 without EDNS, else the client's size capped by ours (RFC 6891 §6.2.5).
        int limit = scratch.edns() ? Math.min(scratch.ednsUdpSize(), ResponseWriter.DEFAULT_MAX_UDP_SIZE)
                : DnsWire.CLASSIC_UDP_LIMIT;
        ByteBuf out = alloc.ioBuffer(Math.min(limit, hit.template().length() + DnsWire.OPT_RECORD_LENGTH));
        try {
            ResponseWriter.writeAnswer(out, hit.template(), hit.lifetimeSeconds(), ageSeconds, true, scratch, limit);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        return out;
    }

    /** Service {@code index}'s reply, read by dnsjava: its ID, its address, TTL lowered by the age, OPT as asked. */
    private void checkOneAnswer(int index) {
        ByteBuf out = answer(receivedQueries[index]);
        try {
            Message reply = DnsFixtures.parse(out);
            DnsFixtures.check(reply.getHeader().getID() == index, "reply carries the client's ID");
            DnsFixtures.check(reply.getSection(Section.ANSWER).size() == 1
                    && reply.getSection(Section.ANSWER).get(0).rdataToString().equals("10.96.16.225"),
                    "reply holds the Service's address");
            DnsFixtures.check(DnsFixtures.firstTtl(reply, Section.ANSWER)
                    == CachedCluster.POLICY.successMaxTtl() - CachedCluster.AGE_SECONDS, "TTL lowered by the age");
            DnsFixtures.check((reply.getOPT() != null) == edns, "OPT record present exactly when the client sent one");
        } finally {
            out.release();
        }
    }
}
