package io.nodedns.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.nodedns.testing.Templates;
import io.nodedns.wire.AnswerTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Wire-format queries and upstream responses for the benchmarks, encoded by
 * dnsjava so that the bytes (name compression included) come from an
 * independent implementation rather than from nodedns itself.
 */
final class DnsFixtures {
    private DnsFixtures() {}

    /** A typical pod lookup of a Service in its own namespace. */
    static final String POD_QUERY_NAME = "svc-123.default.svc.cluster.local.";
    /** The TTL CoreDNS's kubernetes plugin is commonly configured with for cluster records. */
    static final long CLUSTER_TTL = 30;
    /** What the client advertises in its OPT record: dig's and the DNS flag day's default. */
    static final int CLIENT_UDP_SIZE = 1232;
    /** QTYPE codes (RFC 1035 §3.2.2, RFC 3596 §2.1), re-exported so benchmarks need no dnsjava import. */
    static final int TYPE_A = Type.A;
    static final int TYPE_AAAA = Type.AAAA;
    /** An empty section. */
    static final Record[] NO_RECORDS = new Record[0];

    /** The name of the {@code index}-th Service of the cluster, same shape as {@link #POD_QUERY_NAME}. */
    static String serviceName(int index) {
        return "svc-" + index + ".default.svc.cluster.local.";
    }

    /**
     * A recursive query for {@code name}/{@code type} with the given ID; with
     * {@code edns}, an OPT record advertising {@link #CLIENT_UDP_SIZE} and DO clear.
     */
    static byte[] query(String name, int type, int id, boolean edns) {
        Message query = Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
        query.getHeader().setID(id);
        if (edns) {
            query.addRecord(new OPTRecord(CLIENT_UDP_SIZE, 0, 0), Section.ADDITIONAL);
        }
        return query.toWire();
    }

    /**
     * The upstream's answer to {@code queryWire}: NOERROR, RA, the given answer and
     * authority records, and an OPT record (nodedns always asks upstream with EDNS,
     * and the scanner must strip the upstream's OPT).
     */
    static byte[] response(byte[] queryWire, Record[] answers, Record[] authority) {
        Message query = parse(queryWire);
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.RD);
        response.getHeader().setFlag(Flags.RA);
        response.addRecord(query.getQuestion(), Section.QUESTION);
        for (Record r : answers) {
            response.addRecord(r, Section.ANSWER);
        }
        for (Record r : authority) {
            response.addRecord(r, Section.AUTHORITY);
        }
        response.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        return response.toWire();
    }

    /** One A record: what a ClusterIP Service resolves to. */
    static Record[] serviceAddress(String name, int index) {
        return new Record[] {new ARecord(name(name), DClass.IN, CLUSTER_TTL,
                address(10, 96, (index >>> 8) & 0xFF, index & 0xFF))};
    }

    /**
     * A typical external name behind a CDN: a CNAME, four A records for its target,
     * and the target zone's SOA in the authority section (six records, three owner
     * names, compression pointers throughout, TTLs of 300, 60 and 900 seconds).
     */
    static Record[][] cdnAnswer(String name) {
        Name owner = name(name);
        Name target = name("api.example.com.edgekey.net.");
        Name zone = name("edgekey.net.");
        Record[] answers = {
            new CNAMERecord(owner, DClass.IN, 300, target),
            new ARecord(target, DClass.IN, 60, address(203, 0, 113, 10)),
            new ARecord(target, DClass.IN, 60, address(203, 0, 113, 11)),
            new ARecord(target, DClass.IN, 60, address(203, 0, 113, 12)),
            new ARecord(target, DClass.IN, 60, address(203, 0, 113, 13)),
        };
        Record[] authority = {
            new SOARecord(zone, DClass.IN, 900, name("ns1.edgekey.net."), name("hostmaster.edgekey.net."),
                    2024010101L, 3600, 600, 604800, 60),
        };
        return new Record[][] {answers, authority};
    }

    /** A pooled direct buffer holding {@code wire}, as a received datagram would; the caller must release it. */
    static ByteBuf directCopy(byte[] wire) {
        ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(wire.length, wire.length);
        buf.writeBytes(wire);
        return buf;
    }

    /** The template nodedns would cache for the upstream response {@code responseWire}. */
    static AnswerTemplate template(byte[] responseWire) {
        AnswerTemplate template = Templates.scan(responseWire);
        check(template != null, "ResponseScanner rejected the fixture response");
        return template;
    }

    /** Parses the readable bytes of {@code buf} with dnsjava (indices untouched, the caller keeps ownership). */
    static Message parse(ByteBuf buf) {
        byte[] wire = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), wire);
        return parse(wire);
    }

    static Message parse(byte[] wire) {
        try {
            return new Message(wire);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The TTL of the first record of {@code section}, as the client would see it. */
    static long firstTtl(Message message, int section) {
        return message.getSection(section).get(0).getTTL();
    }

    /** Fails a benchmark's setup: numbers measured on a broken path would mean nothing. */
    static void check(boolean condition, String what) {
        if (!condition) {
            throw new IllegalStateException("benchmark fixture check failed: " + what);
        }
    }

    private static Name name(String text) {
        try {
            return Name.fromString(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InetAddress address(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
