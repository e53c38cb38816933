package io.nodedns.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.nodedns.cache.CachePolicy;
import io.nodedns.cache.CachedAnswer;
import io.nodedns.cache.ResponseCache;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.ParsedQuery;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.ResponseScanner;
import io.nodedns.wire.ResponseWriter;
import io.nodedns.wire.WireNames;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A query as a UDP listener handles it between the socket read and the socket write:
 * {@link QueryProcessor#process} (parse, zone routing, request and cache-hit counters, the lookup,
 * the response counters) and the listener's answer (a pooled direct buffer from the allocator, the
 * template replayed into it, released as the transport does after sendmmsg). Here rather than in
 * {@code io.nodedns.bench} because the processor is package-private.
 *
 * <p>Two blocks in node-local-dns's shape: {@code cluster.local} with 10,000 cached Service answers
 * stored 7 s before the measurement, and {@code .} with {@code filter_aaaa}. {@code kind}:
 * {@code serviceHit} asks the Services' A records (a cache hit, TTL 30 lowered to 23);
 * {@code filteredAaaa} asks AAAA of 1,000 names under {@code .} (answered NODATA by the filter, each
 * built once and kept: fewer names than the filter keeps). Names are drawn uniformly from a
 * precomputed sequence (seed 42).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class QueryPathBenchmark {
    private static final int SERVICES = 10_000;
    private static final int FILTERED_NAMES = 1_000;
    private static final int DRAWS = 1 << 16;
    private static final long AGE_SECONDS = 7;

    @Param({"serviceHit", "filteredAaaa"})
    public String kind;

    private final ParsedQuery scratch = new ParsedQuery();
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private final InetSocketAddress client = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
    private final ListenerStandIn listener = new ListenerStandIn();
    private QueryProcessor processor;
    private ByteBuf[] received;
    private int[] order;
    private int next;

    @Setup
    public void prepare() throws Exception {
        AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
        CachePolicy policy = new CachePolicy(SERVICES, 30, 5, SERVICES, 5, 5, 5);
        ResponseCache clusterCache = new ResponseCache(policy, nanos::get);
        QueryCounters counters = new QueryCounters();
        PendingQueries pending = new PendingQueries();
        boolean serviceHit = kind.equals("serviceHit");
        int names = serviceHit ? SERVICES : FILTERED_NAMES;
        received = new ByteBuf[names];
        for (int i = 0; i < SERVICES; i++) {
            Name service = Name.fromString("svc-" + i + ".default.svc.cluster.local.");
            Message query = Message.newQuery(Record.newRecord(serviceHit ? service
                    : Name.fromString("host-" + i + ".example.com."), serviceHit ? Type.A : Type.AAAA, DClass.IN));
            query.getHeader().setID(i);
            if (i < names) {
                received[i] = alloc.directBuffer().writeBytes(query.toWire());
            }
            Message response = Message.newQuery(Record.newRecord(service, Type.A, DClass.IN));
            response.getHeader().setFlag(Flags.QR);
            response.addRecord(new ARecord(service, DClass.IN, 30,
                    InetAddress.getByAddress(new byte[] {10, 96, (byte) (i >> 8), (byte) i})), Section.ANSWER);
            clusterCache.put(QuestionKey.of(WireNames.toWire(service.toString()), Type.A, DnsWire.CLASS_IN, false, false),
                    ResponseScanner.scan(Unpooled.wrappedBuffer(response.toWire())));
        }
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(AGE_SECONDS));
        BlockResolver cluster = new BlockResolver("cluster.local.:53", clusterCache, null,
                WireNames.toWire("cluster.local."), null, counters, pending, null, false, null, null);
        BlockResolver root = new BlockResolver(".:53", new ResponseCache(policy, nanos::get), null,
                WireNames.toWire("."), null, counters, pending, null, false, null,
                new AaaaFilter(List.of("."), List.of(), 30));
        processor = new QueryProcessor(ZoneRouter.of(List.of(
                new ZoneRouter.Route(WireNames.toWire("cluster.local."), cluster),
                new ZoneRouter.Route(WireNames.toWire("."), root))), counters);
        order = new Random(42).ints(DRAWS, 0, names).toArray();
        checkOneAnswer(names / 2 + 21, serviceHit);
    }

    @TearDown
    public void release() {
        for (ByteBuf query : received) {
            query.release();
        }
    }

    @Benchmark
    public int process() {
        processor.process(received[order[next++ & (DRAWS - 1)]], scratch, listener, client, false, false, alloc);
        return listener.lastLength;
    }

    private void checkOneAnswer(int index, boolean serviceHit) throws Exception {
        listener.keep = true;
        processor.process(received[index], scratch, listener, client, false, false, alloc);
        listener.keep = false;
        Message reply = new Message(listener.kept);
        check(reply.getHeader().getID() == index, "reply carries the client's ID");
        if (serviceHit) {
            check(reply.getSection(Section.ANSWER).size() == 1
                    && reply.getSection(Section.ANSWER).get(0).getTTL() == 30 - AGE_SECONDS, "A record, TTL lowered by the age");
        } else {
            check(reply.getSection(Section.ANSWER).isEmpty()
                    && reply.getSection(Section.AUTHORITY).get(0).getType() == Type.SOA, "NODATA with the zone's SOA");
        }
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new IllegalStateException("fixture check failed: " + what);
        }
    }

    /** {@code UdpQueryHandler.answer} without the channel: allocate, replay, release. */
    private final class ListenerStandIn implements Responder {
        int lastLength;
        boolean keep;
        byte[] kept;

        @Override
        public void answer(ParsedQuery query, Object to, CachedAnswer answer, long ageSeconds, boolean fromCache) {
            int limit = query.edns() ? Math.min(query.ednsUdpSize(), ResponseWriter.DEFAULT_MAX_UDP_SIZE)
                    : DnsWire.CLASSIC_UDP_LIMIT;
            ByteBuf out = alloc.ioBuffer(Math.min(limit, answer.template().length() + DnsWire.OPT_RECORD_LENGTH));
            try {
                ResponseWriter.writeAnswer(out, answer.template(), answer.lifetimeSeconds(), ageSeconds, fromCache,
                        query, limit);
                lastLength = out.readableBytes();
                if (keep) {
                    kept = new byte[out.readableBytes()];
                    out.getBytes(out.readerIndex(), kept);
                }
            } finally {
                out.release();
            }
        }

        @Override
        public void error(ParsedQuery query, Object to, int rcode) {
            throw new IllegalStateException("fixture query answered with RCODE " + rcode);
        }
    }
}
