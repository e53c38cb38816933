package io.nodedns.wire;

import io.netty.buffer.Unpooled;

/**
 * Answers nodedns makes itself rather than relays: the NODATA of {@code filter_aaaa} and the CNAME
 * answer of {@code autopath}. Both are built as complete messages and then read back by
 * {@link ResponseScanner}, so they are replayed to the client like any upstream answer (its ID, flags,
 * name case, OPT) and validated by the same code. They allocate; only the queries these directives
 * take pay for it.
 */
public final class SynthesizedAnswers {
    private SynthesizedAnswers() {}

    private static final int TYPE_CNAME = 5;
    /** A compression pointer to offset 12: the question name (RFC 1035 section 4.1.4). */
    private static final int POINTER_TO_QUESTION = 0xC000 | DnsWire.HEADER_LENGTH;
    /** Offsets a compression pointer can reach: 14 bits. */
    private static final int MAX_POINTER_TARGET = 0x3FFF;
    /** MNAME and RNAME of the synthesized SOA: RFC 6761's {@code invalid.} says no server holds the zone. */
    private static final byte[] SOA_MNAME = WireNames.toWire("nodedns.invalid.");
    private static final byte[] SOA_RNAME = WireNames.toWire("hostmaster.nodedns.invalid.");

    /**
     * NOERROR with no answer and an SOA for {@code zoneWire} in the authority section, whose TTL and
     * MINIMUM are {@code ttlSeconds}: RFC 2308 section 2.2's NODATA, which resolvers may cache for
     * that long (section 5). SERIAL 1, REFRESH 7200, RETRY 1800, EXPIRE 86400 (RFC 1912's suggestions).
     */
    public static AnswerTemplate nodata(QuestionKey key, byte[] zoneWire, long ttlSeconds) {
        int rdlength = SOA_MNAME.length + SOA_RNAME.length + 20;
        byte[] m = new byte[DnsWire.HEADER_LENGTH + key.nameLength() + 4 + zoneWire.length + 10 + rdlength];
        int p = header(m, DnsWire.FLAG_QR | DnsWire.FLAG_RD | DnsWire.FLAG_RA, 0, 1, 0);
        p = question(m, p, key);
        System.arraycopy(zoneWire, 0, m, p, zoneWire.length);
        p += zoneWire.length;
        p = putShort(m, p, DnsWire.TYPE_SOA);
        p = putShort(m, p, DnsWire.CLASS_IN);
        p = putInt(m, p, ttlSeconds);
        p = putShort(m, p, rdlength);
        System.arraycopy(SOA_MNAME, 0, m, p, SOA_MNAME.length);
        p += SOA_MNAME.length;
        System.arraycopy(SOA_RNAME, 0, m, p, SOA_RNAME.length);
        p += SOA_RNAME.length;
        p = putInt(m, p, 1);
        p = putInt(m, p, 7200);
        p = putInt(m, p, 1800);
        p = putInt(m, p, 86400);
        putInt(m, p, ttlSeconds);
        return scan(m);
    }

    /**
     * The answer to {@code asked} when its search found {@code found}'s name: the question is
     * {@code asked}'s, the answer section starts with {@code asked CNAME <found's name>} (TTL
     * {@code cnameTtl}), followed by {@code found}'s records, header flags but AA and AD, and RCODE (NOERROR). Each
     * copied TTL becomes {@code min(ttl, foundLifetime) - foundAge} (what a replay of {@code found}
     * would say, never below 0), then at most {@code ttlCap}.
     *
     * <p>{@code found}'s names may point (RFC 1035 section 4.1.4 compression) at its question name,
     * which is now the CNAME's target, written out in full, or at its records, which move as a whole:
     * every pointer in owner names and in the RDATA names of RFC 1035 types is moved accordingly.
     *
     * @return the template, or null if {@code found} cannot be rewritten (a pointer into its
     *     header or question type, a message that would exceed what pointers reach)
     */
    public static AnswerTemplate cnameTo(QuestionKey asked, AnswerTemplate found, long foundLifetime, long foundAge,
                                         long cnameTtl, long ttlCap) {
        byte[] f = found.bytes();
        int foundNameEnd = nameEnd(f, DnsWire.HEADER_LENGTH);
        if (foundNameEnd < 0 || foundNameEnd + 4 > f.length) {
            return null;
        }
        int foundNameLength = foundNameEnd - DnsWire.HEADER_LENGTH;
        int foundRecords = foundNameEnd + 4;
        int cnameRdata = DnsWire.HEADER_LENGTH + asked.nameLength() + 4 + 2 + 10;
        int records = cnameRdata + foundNameLength;
        int length = records + f.length - foundRecords;
        if (length > DnsWire.MAX_MESSAGE_LENGTH) {
            return null;
        }
        byte[] m = new byte[length];
        // Without AA: whoever answered for found's name, nodedns made the CNAME and holds no zone for
        // the asked name (RFC 1035 section 4.1.1: AA speaks for the question's name). Without AD: the
        // made-up CNAME is not validated data (RFC 4035 section 3.2.3).
        int flags = ((f[2] & 0xFF) << 8 | (f[3] & 0xFF))
                & ~(DnsWire.RCODE_MASK | DnsWire.FLAG_AA | DnsWire.FLAG_AD);
        int p = header(m, flags, count(f, DnsWire.OFFSET_ANCOUNT) + 1, count(f, DnsWire.OFFSET_NSCOUNT),
                count(f, DnsWire.OFFSET_ARCOUNT));
        p = question(m, p, asked);
        p = putShort(m, p, POINTER_TO_QUESTION);
        p = putShort(m, p, TYPE_CNAME);
        p = putShort(m, p, asked.qclass());
        p = putInt(m, p, Math.max(0, cnameTtl));
        p = putShort(m, p, foundNameLength);
        System.arraycopy(f, DnsWire.HEADER_LENGTH, m, p, foundNameLength);
        System.arraycopy(f, foundRecords, m, records, f.length - foundRecords);
        Relocation move = new Relocation(foundNameEnd, cnameRdata - DnsWire.HEADER_LENGTH, foundRecords,
                records - foundRecords);
        int total = count(f, DnsWire.OFFSET_ANCOUNT) + count(f, DnsWire.OFFSET_NSCOUNT)
                + count(f, DnsWire.OFFSET_ARCOUNT);
        long cap = Math.min(foundLifetime, Integer.MAX_VALUE);
        int q = records;
        for (int i = 0; i < total; i++) {
            q = move.name(m, q, m.length);
            if (q < 0 || q + 10 > m.length) {
                return null;
            }
            int type = (m[q] & 0xFF) << 8 | (m[q + 1] & 0xFF);
            long ttl = ResponseScanner.ttlSeconds(getInt(m, q + 4));
            putInt(m, q + 4, Math.min(ttlCap, Math.max(0, Math.min(ttl, cap) - foundAge)));
            int rdlength = (m[q + 8] & 0xFF) << 8 | (m[q + 9] & 0xFF);
            int rdata = q + 10;
            if (rdata + rdlength > m.length || !move.rdataNames(m, type, rdata, rdata + rdlength)) {
                return null;
            }
            q = rdata + rdlength;
        }
        return q == m.length ? scan(m) : null;
    }

    /**
     * Where the bytes of the found message went: its question name to the CNAME's RDATA, its records
     * after the CNAME; a pointer anywhere else (header, QTYPE, QCLASS) has no new home.
     */
    private record Relocation(int nameEnd, int nameShift, int recordsStart, int recordsShift) {
        int target(int old) {
            if (old >= DnsWire.HEADER_LENGTH && old < nameEnd) {
                return old + nameShift;
            }
            if (old >= recordsStart) {
                return old + recordsShift;
            }
            return -1;
        }

        /** Moves the pointer ending the name at {@code p}, if any; the offset after the name, or -1. */
        int name(byte[] msg, int p, int limit) {
            while (p < limit) {
                int len = msg[p] & 0xFF;
                if (len == 0) {
                    return p + 1;
                }
                if ((len & 0xC0) == 0xC0) {
                    if (p + 1 >= limit) {
                        return -1;
                    }
                    int moved = target((len & 0x3F) << 8 | (msg[p + 1] & 0xFF));
                    if (moved < 0 || moved > MAX_POINTER_TARGET) {
                        return -1;
                    }
                    msg[p] = (byte) (0xC0 | moved >>> 8);
                    msg[p + 1] = (byte) moved;
                    return p + 2;
                }
                if ((len & 0xC0) != 0) {
                    return -1;
                }
                p += len + 1;
            }
            return -1;
        }

        /** The RDATA names RFC 1035 types may compress (as ResponseScanner's OPT splice knows them). */
        boolean rdataNames(byte[] msg, int type, int rdata, int rdataEnd) {
            int prefix;
            int names;
            switch (type) {
                case 2: case 3: case 4: case 5: case 7: case 8: case 9: case 12: // NS MD MF CNAME MB MG MR PTR
                    prefix = 0;
                    names = 1;
                    break;
                case 6: case 14: case 17: // SOA MINFO RP
                    prefix = 0;
                    names = 2;
                    break;
                case 15: case 18: case 21: case 36: // MX AFSDB RT KX
                    prefix = 2;
                    names = 1;
                    break;
                case 33: // SRV
                    prefix = 6;
                    names = 1;
                    break;
                default:
                    return true;
            }
            int p = rdata + prefix;
            for (int i = 0; i < names; i++) {
                p = name(msg, p, rdataEnd);
                if (p < 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Offset after the uncompressed name at {@code p}, or -1 (a question name is never compressed). */
    private static int nameEnd(byte[] msg, int p) {
        while (p < msg.length) {
            int len = msg[p] & 0xFF;
            if (len == 0) {
                return p + 1;
            }
            if (len > DnsWire.MAX_LABEL_LENGTH) {
                return -1;
            }
            p += len + 1;
        }
        return -1;
    }

    private static int header(byte[] m, int flags, int ancount, int nscount, int arcount) {
        putShort(m, DnsWire.OFFSET_FLAGS, flags);
        putShort(m, DnsWire.OFFSET_QDCOUNT, 1);
        putShort(m, DnsWire.OFFSET_ANCOUNT, ancount);
        putShort(m, DnsWire.OFFSET_NSCOUNT, nscount);
        putShort(m, DnsWire.OFFSET_ARCOUNT, arcount);
        return DnsWire.HEADER_LENGTH;
    }

    private static int question(byte[] m, int p, QuestionKey key) {
        for (int i = 0, n = key.nameLength(); i < n; i++) {
            m[p++] = key.nameByte(i);
        }
        p = putShort(m, p, key.qtype());
        return putShort(m, p, key.qclass());
    }

    private static int count(byte[] m, int offset) {
        return (m[offset] & 0xFF) << 8 | (m[offset + 1] & 0xFF);
    }

    private static int putShort(byte[] m, int p, int value) {
        m[p] = (byte) (value >>> 8);
        m[p + 1] = (byte) value;
        return p + 2;
    }

    private static int putInt(byte[] m, int p, long value) {
        m[p] = (byte) (value >>> 24);
        m[p + 1] = (byte) (value >>> 16);
        m[p + 2] = (byte) (value >>> 8);
        m[p + 3] = (byte) value;
        return p + 4;
    }

    private static long getInt(byte[] m, int p) {
        return (m[p] & 0xFFL) << 24 | (m[p + 1] & 0xFF) << 16 | (m[p + 2] & 0xFF) << 8 | (m[p + 3] & 0xFF);
    }

    private static AnswerTemplate scan(byte[] message) {
        return ResponseScanner.scan(Unpooled.wrappedBuffer(message));
    }
}
