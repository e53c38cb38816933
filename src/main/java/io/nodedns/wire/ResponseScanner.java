package io.nodedns.wire;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.function.IntUnaryOperator;

/**
 * Validates an upstream response and turns it into an {@link AnswerTemplate}:
 * walks every record once (RFC 1035 §4.1.3), following lengths, to find the TTL
 * fields, the OPT record and the SOA of a negative answer; compression pointers are
 * followed only to refuse a name a replay would change (one reading the header or a TTL).
 */
public final class ResponseScanner {
    private ResponseScanner() {}

    /** The smallest possible resource record: root owner (1) + type, class, TTL, RDLENGTH (10). */
    private static final int MIN_RECORD_LENGTH = 11;

    /**
     * Scans {@code response} (its readable bytes; indices and reference count
     * untouched, the caller keeps ownership).
     *
     * @return the template, or null if the message is malformed or not a
     *     response with exactly one question
     */
    public static AnswerTemplate scan(ByteBuf response) {
        int base = response.readerIndex();
        int end = response.writerIndex();
        if (end - base < DnsWire.HEADER_LENGTH) {
            return null;
        }
        int flags = DnsWire.flags(response, base);
        if ((flags & DnsWire.FLAG_QR) == 0 || DnsWire.count(response, base, DnsWire.OFFSET_QDCOUNT) != 1) {
            return null;
        }
        // One byte reader for every record's RDATA name locator, not one per record.
        IntUnaryOperator u8 = response::getUnsignedByte;
        int p = DnsWire.skipName(response, base + DnsWire.HEADER_LENGTH, end);
        if (p < 0 || p + 4 > end) {
            return null;
        }
        p += 4;
        int answers = DnsWire.count(response, base, DnsWire.OFFSET_ANCOUNT);
        int authority = DnsWire.count(response, base, DnsWire.OFFSET_NSCOUNT);
        int additional = DnsWire.count(response, base, DnsWire.OFFSET_ARCOUNT);
        int total = answers + authority + additional;
        if ((long) total * MIN_RECORD_LENGTH > end - p) {
            return null; // the counts promise more records than the bytes can hold
        }

        int[] ttlOffsets = new int[total];
        int ttlCount = 0;
        // Every TTL field so far, relative to the message start (the OPT's too): pointers may not land there.
        int[] ttlFields = new int[total];
        long minTtl = Long.MAX_VALUE;
        long negativeTtl = -1;
        int optStart = -1;
        int optLength = 0;
        int extendedRcode = 0;
        // The trailing run of additional records that only concern the upstream exchange:
        // OPT, TSIG (RFC 8945 §5.1) and SIG(0) (RFC 2931 §3). Dropped as a whole.
        int tailStart = -1;
        int tailTtlCount = 0;
        int tailRecords = 0;
        for (int i = 0; i < total; i++) {
            int recordStart = p;
            p = DnsWire.skipName(response, p, end);
            if (p < 0 || p + 10 > end) {
                return null;
            }
            int type = response.getUnsignedShort(p);
            long ttl = ttlSeconds(response.getUnsignedInt(p + 4));
            int rdlength = response.getUnsignedShort(p + 8);
            int rdata = p + 10;
            // This record's own TTL counts too: it lies before the RDATA, so an RDATA name may point
            // back at it (the owner cannot: it ends before the TTL).
            ttlFields[i] = p + 4 - base;
            if (rdata + rdlength > end || !pointersStable(response, base, recordStart, p, ttlFields, i, optStart, optLength)
                    || !rdataPointersStable(response, u8, base, type, rdata, rdata + rdlength, ttlFields, i + 1,
                            optStart, optLength)) {
                return null;
            }
            boolean inAdditional = i >= answers + authority;
            if (inAdditional && (type == DnsWire.TYPE_OPT || type == TYPE_TSIG || type == TYPE_SIG)) {
                if (tailStart < 0) {
                    tailStart = recordStart - base;
                    tailTtlCount = ttlCount;
                }
                tailRecords++;
            } else {
                tailStart = -1;
                tailRecords = 0;
            }
            if (type == DnsWire.TYPE_OPT && inAdditional) {
                if (optStart >= 0 || p != recordStart + 1) {
                    return null; // two OPT records, or one not owned by the root (RFC 6891 §6.1.1)
                }
                optStart = recordStart - base;
                optLength = rdata + rdlength - recordStart;
                extendedRcode = response.getUnsignedByte(p + 4);
            } else {
                // Offsets are those in the template, which lacks the OPT record.
                ttlOffsets[ttlCount++] = p + 4 - base - (optStart >= 0 ? optLength : 0);
                if (!inAdditional) {
                    minTtl = Math.min(minTtl, ttl);
                }
                if (type == DnsWire.TYPE_SOA && i >= answers && !inAdditional) {
                    long soaMinimum = soaMinimum(response, rdata, rdlength);
                    if (soaMinimum >= 0) {
                        long candidate = Math.min(ttl, soaMinimum);
                        negativeTtl = negativeTtl < 0 ? candidate : Math.min(negativeTtl, candidate);
                    }
                }
            }
            p = rdata + rdlength;
        }
        if (negativeTtl >= 0) {
            // A CNAME leading to the denial expires with it (RFC 2308 §5 caps by every TTL involved).
            negativeTtl = Math.min(negativeTtl, minTtl);
        }

        // Cut the trailing run; an OPT before it (followed by glue) is spliced out instead.
        int kept = tailStart >= 0 ? tailStart : p - base;
        boolean optInside = optStart >= 0 && optStart < kept;
        byte[] message = optInside ? withoutOpt(response, base, kept, optStart, optLength)
                : copy(response, base, kept);
        if (message == null) {
            return null;
        }
        setArcount(message, additional - (tailStart >= 0 ? tailRecords : 0) - (optInside ? 1 : 0));
        if (tailStart >= 0) {
            ttlCount = tailTtlCount;
        }
        int rcode = (extendedRcode << 4) | DnsWire.rcode(flags);
        boolean truncated = (flags & DnsWire.FLAG_TC) != 0;
        ResponseKind kind = classify(rcode, answers);
        return new AnswerTemplate(message, Arrays.copyOf(ttlOffsets, ttlCount), kind, rcode, truncated,
                minTtl == Long.MAX_VALUE ? -1 : minTtl, negativeTtl);
    }

    private static final int TYPE_SIG = 24;
    private static final int TYPE_TSIG = 250;

    private static void setArcount(byte[] message, int arcount) {
        message[DnsWire.OFFSET_ARCOUNT] = (byte) (arcount >>> 8);
        message[DnsWire.OFFSET_ARCOUNT + 1] = (byte) arcount;
    }

    private static byte[] copy(ByteBuf response, int base, int length) {
        byte[] message = new byte[length];
        response.getBytes(base, message);
        return message;
    }

    /**
     * The first {@code length} bytes with the OPT record cut out (the caller fixes
     * ARCOUNT). The OPT may sit
     * anywhere in the additional section (RFC 6891 §6.1.1); compression pointers in
     * the records after it that point past it are moved back by its length.
     * Returns null if a pointer points into the OPT record.
     */
    private static byte[] withoutOpt(ByteBuf response, int base, int length, int optStart, int optLength) {
        int optEnd = optStart + optLength;
        byte[] message = new byte[length - optLength];
        response.getBytes(base, message, 0, optStart);
        response.getBytes(base + optEnd, message, optStart, length - optEnd);
        int p = optStart;
        while (p < message.length) {
            p = shiftPointers(message, p, message.length, optStart, optLength);
            if (p < 0) {
                return null;
            }
            int type = (message[p] & 0xFF) << 8 | (message[p + 1] & 0xFF);
            int rdlength = (message[p + 8] & 0xFF) << 8 | (message[p + 9] & 0xFF);
            int rdata = p + 10;
            if (!shiftRdataPointers(message, type, rdata, rdata + rdlength, optStart, optLength)) {
                return null;
            }
            p = rdata + rdlength;
        }
        return message;
    }

    /** Moves the pointers in RDATA names ({@link RdataNames}) past the cut back; false if one is malformed. */
    private static boolean shiftRdataPointers(byte[] msg, int type, int rdata, int rdataEnd, int optStart,
                                              int optLength) {
        RdataNames names = RdataNames.of(type, i -> msg[i] & 0xFF, rdata, rdataEnd);
        if (names == RdataNames.MALFORMED) {
            return false;
        }
        int p = names.start();
        for (int n = names.count(); n > 0 && !(names.toEnd() && p >= rdataEnd); n--) {
            p = shiftPointers(msg, p, rdataEnd, optStart, optLength);
            if (p < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the name from {@code nameStart} to {@code nameEnd} (already known to be well formed)
     * reads the same after a replay. A replay rewrites the ID, the flags and every TTL; a name that
     * ends in a compression pointer is read on from wherever it points, so it must not read any of
     * those bytes. Each pointer is followed, and must point back (RFC 1035 §4.1.4: to a prior
     * occurrence) past the header, and every byte read after it must lie before it; positions then
     * only decrease, so there is no loop to follow, and only earlier records' TTLs can be met.
     *
     * @param ttlFields the TTL fields that lie before this name (the earlier records', and for an
     *                  RDATA name its own record's), relative to the message start
     * @param optStart  where the OPT record seen so far starts (relative), or -1: the template lacks
     *                  its {@code optLength} bytes, so a name read across them would read other bytes,
     *                  and a pointer met along the way must not point past them (it is not moved)
     */
    private static boolean pointersStable(ByteBuf msg, int base, int nameStart, int nameEnd, int[] ttlFields,
                                          int records, int optStart, int optLength) {
        if (nameEnd - nameStart < 2 || (msg.getUnsignedByte(nameEnd - 2) & 0xC0) != 0xC0) {
            return true;
        }
        int limit = nameEnd - 2 - base; // what is read next must lie before the pointer that led there
        int q = msg.getUnsignedShort(nameEnd - 2) & 0x3FFF;
        int length = nameEnd - 2 - nameStart;
        int hops = 1;
        while (true) {
            if (q < DnsWire.HEADER_LENGTH || q >= limit) {
                return false;
            }
            int len = msg.getUnsignedByte(base + q);
            if ((len & 0xC0) == 0xC0) {
                // Each hop reads at least one label or ends the name, so a name of at most 255
                // bytes never needs more than 127: a longer chain is built to cost time.
                if (q + 2 > limit || ++hops > MAX_POINTER_HOPS || rewritten(q, 2, ttlFields, records)
                        || removed(q, 2, optStart, optLength)) {
                    return false;
                }
                limit = q;
                q = msg.getUnsignedShort(base + q) & 0x3FFF;
                // Only pointers that end a name's own labels are moved back when the OPT is cut out
                // (withoutOpt); this one was reached through a pointer, possibly into opaque RDATA
                // (RFC 3597 §4), and pointing past the OPT it would point elsewhere in the template.
                if (optStart >= 0 && q >= optStart + optLength) {
                    return false;
                }
                continue;
            }
            length += len + 1;
            if ((len & 0xC0) != 0 || q + 1 + len > limit || length > DnsWire.MAX_NAME_LENGTH
                    || rewritten(q, len + 1, ttlFields, records) || removed(q, len + 1, optStart, optLength)) {
                return false;
            }
            if (len == 0) {
                return true;
            }
            q += len + 1;
        }
    }

    private static final int MAX_POINTER_HOPS = DnsWire.MAX_NAME_LENGTH / 2;

    /** Whether the {@code n} bytes at {@code q} overlap the OPT record the template leaves out. */
    private static boolean removed(int q, int n, int optStart, int optLength) {
        return optStart >= 0 && q < optStart + optLength && q + n > optStart;
    }

    /**
     * Whether the {@code n} bytes at {@code q} overlap one of the first {@code records} TTL fields
     * (increasing, since records follow each other): only the last one starting before
     * {@code q + n} can.
     */
    private static boolean rewritten(int q, int n, int[] ttlFields, int records) {
        int i = Arrays.binarySearch(ttlFields, 0, records, q + n);
        int below = (i >= 0 ? i : -i - 1) - 1;
        return below >= 0 && ttlFields[below] + 4 > q;
    }

    /**
     * {@link #pointersStable} for every domain name in RDATA that a reader may decompress; false if
     * one is malformed or the RDATA is too short for its type's layout. Not only RFC 1035's types:
     * RFC 3597 section 4 lets receivers decompress RP, AFSDB, RT, SIG, PX, NXT, NAPTR and SRV too,
     * and common readers (dnsjava among them) decompress any name field of a type they know, such as
     * DNAME's target or NSEC's next name, though their senders must not compress them.
     */
    private static boolean rdataPointersStable(ByteBuf msg, IntUnaryOperator u8, int base, int type, int rdata,
                                               int rdataEnd, int[] ttlFields, int records, int optStart,
                                               int optLength) {
        if (type == DnsWire.TYPE_A || type == DnsWire.TYPE_AAAA) {
            return true; // the bulk of answers: no names in RDATA, and no locator built for them
        }
        RdataNames names = RdataNames.of(type, u8, rdata, rdataEnd);
        if (names == RdataNames.MALFORMED) {
            return false;
        }
        int p = names.start();
        for (int n = names.count(); n > 0 && !(names.toEnd() && p >= rdataEnd); n--) {
            if (p > rdataEnd) {
                return false;
            }
            int nameEnd = DnsWire.skipName(msg, p, rdataEnd);
            if (nameEnd < 0 || !pointersStable(msg, base, p, nameEnd, ttlFields, records, optStart, optLength)) {
                return false;
            }
            p = nameEnd;
        }
        return true;
    }

    /**
     * Where the domain names in RDATA of a type start and how many follow each other there: every
     * name a reader may decompress. Not only RFC 1035's types: RFC 3597 section 4 lets receivers
     * decompress RP, AFSDB, RT, SIG, PX, NXT, NAPTR and SRV too, and common readers (dnsjava among
     * them) decompress any name field of a type they know, such as DNAME's target or NSEC's next
     * name, though senders must not compress those.
     *
     * @param toEnd names follow each other up to the end of RDATA (HIP's rendezvous servers)
     */
    private record RdataNames(int start, int count, boolean toEnd) {
        static final RdataNames NONE = new RdataNames(0, 0, false);
        static final RdataNames MALFORMED = new RdataNames(0, 0, false);

        static RdataNames of(int type, IntUnaryOperator u8, int rdata, int rdataEnd) {
            switch (type) {
                case 2: case 3: case 4: case 5: case 7: case 8: case 9: case 12: // NS MD MF CNAME MB MG MR PTR
                case 23: case 30: case 39: case 47: case 249: case 250: // NSAP-PTR NXT DNAME NSEC TKEY TSIG
                    return new RdataNames(rdata, 1, false);
                case 6: case 14: case 17: case 58: // SOA MINFO RP TALINK
                    return new RdataNames(rdata, 2, false);
                case 15: case 18: case 21: case 36: case 64: case 65: case 107: // MX AFSDB RT KX SVCB HTTPS LP
                    return new RdataNames(rdata + 2, 1, false);
                case 26: // PX: preference, MAP822, MAPX400
                    return new RdataNames(rdata + 2, 2, false);
                case 33: // SRV: priority, weight, port, target
                    return new RdataNames(rdata + 6, 1, false);
                case 24: case 46: // SIG RRSIG: the signer after 18 fixed bytes
                    return new RdataNames(rdata + 18, 1, false);
                case 35: { // NAPTR: order, preference, flags, services, regexp, then the replacement
                    int p = rdata + 4;
                    for (int k = 0; k < 3; k++) {
                        if (p >= rdataEnd) {
                            return MALFORMED;
                        }
                        p += 1 + u8.applyAsInt(p);
                    }
                    return new RdataNames(p, 1, false);
                }
                case 45: // IPSECKEY: a name only for gateway type 3, after precedence, type, algorithm
                    if (rdata + 3 > rdataEnd) {
                        return MALFORMED;
                    }
                    return u8.applyAsInt(rdata + 1) == 3 ? new RdataNames(rdata + 3, 1, false) : NONE;
                case 260: // AMTRELAY: a name only for relay type 3, after precedence and D/type
                    if (rdata + 2 > rdataEnd) {
                        return MALFORMED;
                    }
                    return (u8.applyAsInt(rdata + 1) & 0x7F) == 3 ? new RdataNames(rdata + 2, 1, false) : NONE;
                case 38: { // A6: prefix length, the address suffix, then a prefix name unless the length is 0
                    if (rdata >= rdataEnd) {
                        return MALFORMED;
                    }
                    int prefixBits = u8.applyAsInt(rdata);
                    if (prefixBits > 128) {
                        return MALFORMED;
                    }
                    return prefixBits == 0 ? NONE : new RdataNames(rdata + 1 + (128 - prefixBits + 7) / 8, 1, false);
                }
                case 55: // HIP: HIT and public key, then rendezvous server names up to the end
                    if (rdata + 4 > rdataEnd) {
                        return MALFORMED;
                    }
                    return new RdataNames(rdata + 4 + u8.applyAsInt(rdata)
                            + (u8.applyAsInt(rdata + 2) << 8 | u8.applyAsInt(rdata + 3)), Integer.MAX_VALUE, true);
                default:
                    return NONE;
            }
        }
    }

    /**
     * Walks the name at {@code p}, which must end before {@code limit} (the record's
     * RDATA end, or the message end for owner names), moving a pointer past the cut
     * back; returns the offset after the name, or -1.
     */
    private static int shiftPointers(byte[] msg, int p, int limit, int optStart, int optLength) {
        while (p < limit) {
            int len = msg[p] & 0xFF;
            if (len == 0) {
                return p + 1;
            }
            if ((len & 0xC0) == 0xC0) {
                if (p + 1 >= limit) {
                    return -1;
                }
                int target = (len & 0x3F) << 8 | (msg[p + 1] & 0xFF);
                if (target >= optStart + optLength) {
                    target -= optLength;
                } else if (target >= optStart) {
                    return -1;
                }
                msg[p] = (byte) (0xC0 | target >>> 8);
                msg[p + 1] = (byte) target;
                return p + 2;
            }
            p += len + 1;
        }
        return -1;
    }

    private static ResponseKind classify(int rcode, int answers) {
        switch (rcode) {
            case DnsWire.RCODE_NOERROR:
                return answers > 0 ? ResponseKind.SUCCESS : ResponseKind.NODATA;
            case DnsWire.RCODE_NXDOMAIN:
                return ResponseKind.NXDOMAIN;
            case DnsWire.RCODE_SERVFAIL:
                return ResponseKind.SERVFAIL;
            default:
                return ResponseKind.OTHER;
        }
    }

    /** TTL values with the top bit set are treated as zero, RFC 2181 §8. */
    static long ttlSeconds(long raw) {
        return raw > Integer.MAX_VALUE ? 0 : raw;
    }

    /** MINIMUM is the last 32-bit field of SOA RDATA after two names and four counters, RFC 1035 §3.3.13. */
    private static long soaMinimum(ByteBuf msg, int rdata, int rdlength) {
        int rdataEnd = rdata + rdlength;
        int p = DnsWire.skipName(msg, rdata, rdataEnd);
        if (p < 0) {
            return -1;
        }
        p = DnsWire.skipName(msg, p, rdataEnd);
        if (p < 0 || p + 20 != rdataEnd) {
            return -1;
        }
        return ttlSeconds(msg.getUnsignedInt(p + 16));
    }
}
