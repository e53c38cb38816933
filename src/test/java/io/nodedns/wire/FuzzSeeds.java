package io.nodedns.wire;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.CookieOption;

/**
 * Writes the seed corpora of {@link QueryParserFuzzTest} and {@link ResponseReplayFuzzTest}: real
 * messages built with dnsjava (what glibc, musl, dig and CoreDNS send and answer) plus the
 * hand-made hostile shapes each parser must refuse (pointer loops, truncation, two OPTs).
 * Run from the project root when a seed is added; the files are committed:
 * {@code java -cp target/test-classes:target/classes:$(deps) io.nodedns.wire.FuzzSeeds}.
 */
public final class FuzzSeeds {
    private FuzzSeeds() {
    }

    public static void main(String[] args) throws Exception {
        Path resources = Path.of(args.length > 0 ? args[0] : "src/test/resources");
        write(resources.resolve("io/nodedns/wire/QueryParserFuzzTestInputs/parse"), queries());
        write(resources.resolve("io/nodedns/wire/ResponseReplayFuzzTestInputs/replay"), responses());
    }

    private static void write(Path dir, Map<String, byte[]> seeds) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> seed : seeds.entrySet()) {
            Files.write(dir.resolve(seed.getKey()), seed.getValue());
        }
    }

    static Map<String, byte[]> queries() throws Exception {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("a-plain", query("kubernetes.default.svc.cluster.local.", Type.A, false, false).toWire());
        seeds.put("aaaa-edns-do", query("Example.COM.", Type.AAAA, true, true).toWire());
        Message cd = query("www.example.org.", Type.HTTPS, true, false);
        cd.getHeader().setFlag(Flags.CD);
        seeds.put("https-cd", cd.toWire());
        Message cookie = query("x.example.", Type.A, false, false);
        cookie.addRecord(new OPTRecord(1232, 0, 0, 0, java.util.List.<EDNSOption>of(
                new CookieOption(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))), Section.ADDITIONAL);
        seeds.put("a-edns-cookie", cookie.toWire());
        seeds.put("root-ns", query(".", Type.NS, false, false).toWire());
        seeds.put("axfr", query("cluster.local.", Type.AXFR, false, false).toWire());
        seeds.put("qtype-opt", query("example.", Type.OPT, false, false).toWire());
        Message notify = query("example.", Type.SOA, false, false);
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        seeds.put("notify", notify.toWire());
        Message badvers = query("example.", Type.A, false, false);
        badvers.addRecord(new OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);
        seeds.put("edns-version-1", badvers.toWire());
        Message twoOpt = query("example.", Type.A, true, false);
        twoOpt.addRecord(new OPTRecord(512, 0, 0, 0), Section.ADDITIONAL);
        seeds.put("two-opt", twoOpt.toWire());
        Message twoQuestions = query("a.example.", Type.A, false, false);
        twoQuestions.addRecord(Record.newRecord(Name.fromString("b.example."), Type.A, DClass.IN), Section.QUESTION);
        seeds.put("two-questions", twoQuestions.toWire());
        Message update = query("example.", Type.A, false, false);
        update.addRecord(new ARecord(Name.fromString("a.example."), DClass.IN, 60,
                java.net.InetAddress.getByName("192.0.2.1")), Section.AUTHORITY);
        seeds.put("with-authority", update.toWire());
        seeds.put("longest-name", query(longName(), Type.A, false, false).toWire());
        byte[] plain = query("svc.example.", Type.A, false, false).toWire();
        seeds.put("truncated-question", Arrays.copyOf(plain, plain.length - 3));
        seeds.put("header-only", Arrays.copyOf(plain, 12));
        seeds.put("short", Arrays.copyOf(plain, 7));
        byte[] response = plain.clone();
        response[2] |= (byte) 0x80;
        seeds.put("qr-set", response);
        // Question name is a pointer to itself: RFC 1035 §4.1.4 compression, but looping.
        seeds.put("question-pointer-loop", concat(header(0x4242, 0x0100, 1, 0, 0, 0),
                new byte[] {(byte) 0xC0, 12, 0, 1, 0, 1}));
        // A label type 01 (RFC 6891 §5 reserved) in the question.
        seeds.put("question-label-type-01", concat(header(0x4243, 0x0100, 1, 0, 0, 0),
                new byte[] {0x41, 'a', 0, 0, 1, 0, 1}));
        // ARCOUNT 1 with an OPT owned by a compressed root.
        seeds.put("opt-compressed-owner", concat(Arrays.copyOf(header(0x4244, 0x0100, 1, 0, 0, 1), 12),
                Arrays.copyOfRange(plain, 12, plain.length),
                new byte[] {(byte) 0xC0, 12, 0, 41, 4, (byte) 0xD0, 0, 0, 0, 0, 0, 0}));
        return seeds;
    }

    static Map<String, byte[]> responses() throws Exception {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        Name name = Name.fromString("web.default.svc.cluster.local.");
        Message a = response(query(name.toString(), Type.A, true, false));
        a.addRecord(new ARecord(name, DClass.IN, 30, java.net.InetAddress.getByName("10.96.0.7")), Section.ANSWER);
        seeds.put("a-with-opt", params(1, 0, 5, 0xFFFF, 0, a.toWire()));
        seeds.put("a-truncated-for-client", params(0, 0, 0, 30, 5, a.toWire()));

        Name www = Name.fromString("www.Example.com.");
        Message cname = response(query(www.toString(), Type.AAAA, true, true));
        Name edge = Name.fromString("edge.cdn.example.net.");
        cname.addRecord(new CNAMERecord(www, DClass.IN, 300, edge), Section.ANSWER);
        cname.addRecord(new AAAARecord(edge, DClass.IN, 20, java.net.InetAddress.getByName("2001:db8::1")),
                Section.ANSWER);
        seeds.put("cname-chain-do", params(3 | 4, 0, 25, 30, 0, cname.toWire()));

        Name missing = Name.fromString("nope.cluster.local.");
        Message nx = response(query(missing.toString(), Type.A, true, false));
        nx.getHeader().setRcode(Rcode.NXDOMAIN);
        nx.addRecord(soa("cluster.local."), Section.AUTHORITY);
        seeds.put("nxdomain-soa", params(1 | 4, 0, 2, 5, 0, nx.toWire()));

        seeds.put("opt-before-glue", params(0, 0, 100, 0xFFFF, 0, optBeforeGlue()));

        Name srvName = Name.fromString("_dns._udp.kube-dns.kube-system.svc.cluster.local.");
        Message srv = response(query(srvName.toString(), Type.SRV, true, false));
        srv.addRecord(new SRVRecord(srvName, DClass.IN, 30, 0, 100, 53,
                Name.fromString("10-96-0-10.kube-dns.kube-system.svc.cluster.local.")), Section.ANSWER);
        srv.addRecord(new TXTRecord(srvName, DClass.IN, 30, "v=1"), Section.ADDITIONAL);
        seeds.put("srv-txt", params(1, 0, 0, 0xFFFF, 0, srv.toWire()));

        Message signed = response(query("signed.example.", Type.A, false, false));
        signed.addRecord(new ARecord(Name.fromString("signed.example."), DClass.IN, 60,
                java.net.InetAddress.getByName("192.0.2.9")), Section.ANSWER);
        TSIG tsig = new TSIG(TSIG.HMAC_SHA256, "key.example.", "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=");
        signed.setTSIG(tsig, Rcode.NOERROR, null);
        seeds.put("tsig-tail", params(0, 0, 1, 0xFFFF, 0, signed.toWire()));

        Message servfail = response(query("down.example.", Type.A, true, false));
        servfail.getHeader().setRcode(Rcode.SERVFAIL);
        seeds.put("servfail", params(1, 0, 0, 0xFFFF, 0, servfail.toWire()));

        // An answer whose owner is a pointer to itself, and one whose two pointers point at each other.
        byte[] question = Arrays.copyOfRange(query("loop.example.", Type.A, false, false).toWire(), 12, 12 + 18);
        int answerAt = 12 + question.length;
        seeds.put("pointer-loop-self", params(0, 0, 0, 0xFFFF, 0, concat(header(7, 0x8180, 1, 1, 0, 0), question,
                new byte[] {(byte) 0xC0, (byte) answerAt, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1})));
        seeds.put("pointer-loop-pair", params(0, 0, 0, 0xFFFF, 0, concat(header(8, 0x8180, 1, 1, 0, 0), question,
                new byte[] {(byte) 0xC0, (byte) (answerAt + 16), 0, 5, 0, 1, 0, 0, 0, 60, 0, 2,
                    (byte) 0xC0, (byte) answerAt})));
        // A CNAME whose target points at its own TTL (01 'A' 00 00 reads as "A."): the replay one
        // second later writes 01 40 FF FF there, no name at all.
        seeds.put("rdata-points-into-own-ttl", params(0, 0, 1, 0xFFFF, 0, concat(header(9, 0x8180, 1, 1, 0, 0),
                question, new byte[] {(byte) 0xC0, 12, 0, 5, 0, 1, 1, 'A', 0, 0, 0, 2,
                    (byte) 0xC0, (byte) (answerAt + 6)})));
        byte[] aWire = a.toWire();
        seeds.put("response-cut-short", params(0, 0, 0, 0xFFFF, 0, Arrays.copyOf(aWire, aWire.length - 5)));
        return seeds;
    }

    /**
     * An MX answer whose additional section is OPT first, then glue: dnsjava writes OPT last, and
     * RFC 6891 §6.1.1 allows it anywhere, so the glue is laid out by hand. The first glue record's
     * owner points before the OPT, the third's at the second's owner, past the OPT: removing the
     * OPT must move that pointer back by 11 bytes.
     */
    private static byte[] optBeforeGlue() throws Exception {
        Name zone = Name.fromString("example.org.");
        Message m = response(query(zone.toString(), Type.MX, false, false));
        m.addRecord(new MXRecord(zone, DClass.IN, 3600, 10, Name.fromString("mail.example.org.")), Section.ANSWER);
        m.addRecord(new NSRecord(zone, DClass.IN, 3600, Name.fromString("ns1.example.org.")), Section.AUTHORITY);
        byte[] prefix = m.toWire();
        prefix[10] = 0;
        prefix[11] = 4;
        int mail = indexOf(prefix, new byte[] {4, 'm', 'a', 'i', 'l'});
        int extraAt = prefix.length + DnsWire.OPT_RECORD_LENGTH + 16;
        return concat(prefix,
                new byte[] {0, 0, 41, 4, (byte) 0xD0, 0, 0, 0, 0, 0, 0},
                new byte[] {(byte) (0xC0 | mail >>> 8), (byte) mail, 0, 1, 0, 1, 0, 0, 14, 16, 0, 4, (byte) 192, 0, 2, 25},
                new byte[] {5, 'e', 'x', 't', 'r', 'a', 4, 'g', 'l', 'u', 'e', 4, 't', 'e', 's', 't', 0,
                    0, 1, 0, 1, 0, 0, 14, 16, 0, 4, (byte) 192, 0, 2, 26},
                new byte[] {(byte) (0xC0 | extraAt >>> 8), (byte) extraAt, 0, 28, 0, 1, 0, 0, 14, 16, 0, 16,
                    0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1a});
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new IllegalArgumentException("not found");
    }

    private static SOARecord soa(String zone) throws Exception {
        Name z = Name.fromString(zone);
        return new SOARecord(z, DClass.IN, 30, Name.fromString("ns.dns." + zone),
                Name.fromString("hostmaster." + zone), 1, 7200, 1800, 86400, 5);
    }

    private static String longName() {
        StringBuilder sb = new StringBuilder();
        String label = "a".repeat(63);
        for (int i = 0; i < 3; i++) {
            sb.append(label).append('.');
        }
        sb.append("b".repeat(61)).append('.');
        return sb.toString(); // wire form: 3 * (1 + 63) + (1 + 61) + 1 (root) = 255 bytes, RFC 1035 §2.3.4's limit
    }

    static Message query(String name, int type, boolean edns, boolean dnssecOk) throws Exception {
        Message m = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        m.getHeader().setID(0x1234);
        if (edns) {
            m.addRecord(new OPTRecord(1232, 0, 0, dnssecOk ? 0x8000 : 0), Section.ADDITIONAL);
        }
        return m;
    }

    private static Message response(Message query) {
        Message m = query.clone();
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RA);
        return m;
    }

    /** The replay fuzz test's six parameter bytes before {@code message}. */
    private static byte[] params(int options, int ageHigh, int age, int lifetime, int sizeField, byte[] message) {
        return concat(new byte[] {(byte) options, (byte) ageHigh, (byte) age, (byte) (lifetime >>> 8),
            (byte) lifetime, (byte) sizeField}, message);
    }

    private static byte[] header(int id, int flags, int qd, int an, int ns, int ar) {
        return new byte[] {(byte) (id >>> 8), (byte) id, (byte) (flags >>> 8), (byte) flags, (byte) (qd >>> 8),
            (byte) qd, (byte) (an >>> 8), (byte) an, (byte) (ns >>> 8), (byte) ns, (byte) (ar >>> 8), (byte) ar};
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
