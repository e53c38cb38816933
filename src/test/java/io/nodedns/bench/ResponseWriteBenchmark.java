package io.nodedns.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.nodedns.wire.AnswerTemplate;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * Step 3 of a cache hit: {@link ResponseWriter#writeAnswer} replaying a cached
 * template into a pooled direct buffer (reused and cleared per operation, so only
 * the write is timed): copy, patch ID, flags and name case, lower every TTL by
 * the entry's age ({@value CachedCluster#AGE_SECONDS} s).
 *
 * <ul>
 *   <li>{@code writeServiceAddress}: a Service's single A record to a client without
 *       EDNS (glibc, musl), limit 512;</li>
 *   <li>{@code writeCdnAnswer}: a CNAME, four A and an authority SOA (six TTLs,
 *       compressed names) to a client with EDNS, so our OPT record is appended.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ResponseWriteBenchmark {
    private static final String CDN_NAME = "api.example.com.";

    private final ParsedQuery serviceQuery = new ParsedQuery();
    private final ParsedQuery cdnQuery = new ParsedQuery();
    private AnswerTemplate serviceAnswer;
    private AnswerTemplate cdnAnswer;
    private long serviceLifetime;
    private long cdnLifetime;
    private ByteBuf out;

    @Setup
    public void prepare() {
        byte[] serviceWire = DnsFixtures.query(DnsFixtures.POD_QUERY_NAME, DnsFixtures.TYPE_A, 0x1111, false);
        serviceAnswer = DnsFixtures.template(DnsFixtures.response(serviceWire,
                DnsFixtures.serviceAddress(DnsFixtures.POD_QUERY_NAME, 123), DnsFixtures.NO_RECORDS));
        serviceLifetime = CachedCluster.POLICY.lifetimeSeconds(serviceAnswer);
        parseInto(serviceQuery, serviceWire);

        byte[] cdnWire = DnsFixtures.query(CDN_NAME, DnsFixtures.TYPE_A, 0x2222, true);
        Record[][] sections = DnsFixtures.cdnAnswer(CDN_NAME);
        cdnAnswer = DnsFixtures.template(DnsFixtures.response(cdnWire, sections[0], sections[1]));
        cdnLifetime = CachedCluster.POLICY.lifetimeSeconds(cdnAnswer);
        parseInto(cdnQuery, cdnWire);

        out = ByteBufAllocator.DEFAULT.directBuffer(ResponseWriter.DEFAULT_MAX_UDP_SIZE);
        writeServiceAddress();
        checkReplay(0x1111, 1, 0, false);
        writeCdnAnswer();
        checkReplay(0x2222, 5, 1, true);
    }

    @TearDown
    public void releaseBuffer() {
        out.release();
    }

    @Benchmark
    public boolean writeServiceAddress() {
        out.clear();
        return ResponseWriter.writeAnswer(out, serviceAnswer, serviceLifetime, CachedCluster.AGE_SECONDS, true,
                serviceQuery, DnsWire.CLASSIC_UDP_LIMIT);
    }

    @Benchmark
    public boolean writeCdnAnswer() {
        out.clear();
        return ResponseWriter.writeAnswer(out, cdnAnswer, cdnLifetime, CachedCluster.AGE_SECONDS, true,
                cdnQuery, ResponseWriter.DEFAULT_MAX_UDP_SIZE);
    }

    private static void parseInto(ParsedQuery scratch, byte[] queryWire) {
        ByteBuf received = DnsFixtures.directCopy(queryWire);
        try {
            DnsFixtures.check(scratch.parse(received) == QueryVerdict.ANSWER, "fixture query is answerable");
        } finally {
            received.release();
        }
    }

    /** The written answer, read by dnsjava: the client's ID, every TTL lowered to 30 - age, OPT as asked. */
    private void checkReplay(int id, int answers, int authority, boolean opt) {
        Message reply = DnsFixtures.parse(out);
        long expectedTtl = CachedCluster.POLICY.successMaxTtl() - CachedCluster.AGE_SECONDS;
        DnsFixtures.check(reply.getHeader().getID() == id, "reply carries the client's ID");
        DnsFixtures.check(reply.getSection(Section.ANSWER).size() == answers
                && reply.getSection(Section.AUTHORITY).size() == authority, "reply has all records");
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY}) {
            for (Record r : reply.getSection(section)) {
                DnsFixtures.check(r.getTTL() == expectedTtl, "TTL of " + r + " lowered to " + expectedTtl);
            }
        }
        DnsFixtures.check((reply.getOPT() != null) == opt, "OPT record present exactly when the client sent one");
    }
}
