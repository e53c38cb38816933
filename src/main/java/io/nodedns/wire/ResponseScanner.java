package io.nodedns.wire;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * Validates an upstream response and turns it into an {@link AnswerTemplate}:
 * walks every record once (RFC 1035 §4.1.3), following nothing but lengths, to
 * find the TTL fields, the OPT record and the SOA of a negative answer.
 */
public final class ResponseScanner {
    private ResponseScanner() {}

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
        int p = DnsWire.skipName(response, base + DnsWire.HEADER_LENGTH, end);
        if (p < 0 || p + 4 > end) {
            return null;
        }
        p += 4;
        int answers = DnsWire.count(response, base, DnsWire.OFFSET_ANCOUNT);
        int authority = DnsWire.count(response, base, DnsWire.OFFSET_NSCOUNT);
        int additional = DnsWire.count(response, base, DnsWire.OFFSET_ARCOUNT);
        int total = answers + authority + additional;

        int[] ttlOffsets = new int[total];
        int ttlCount = 0;
        long minTtl = Long.MAX_VALUE;
        long negativeTtl = -1;
        int optStart = -1;
        int extendedRcode = 0;
        int recordsBeforeOpt = 0;
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
            if (rdata + rdlength > end) {
                return null;
            }
            boolean inAdditional = i >= answers + authority;
            if (type == DnsWire.TYPE_OPT && inAdditional) {
                if (optStart >= 0) {
                    return null; // two OPT records, RFC 6891 §6.1.1
                }
                optStart = recordStart - base;
                extendedRcode = response.getUnsignedByte(p + 4);
            } else if (optStart < 0) {
                ttlOffsets[ttlCount++] = p + 4 - base;
                recordsBeforeOpt++;
                if (!inAdditional) {
                    minTtl = Math.min(minTtl, ttl);
                }
                if (type == DnsWire.TYPE_SOA && i >= answers && !inAdditional) {
                    long soaMinimum = soaMinimum(response, rdata, rdlength, end);
                    if (soaMinimum >= 0) {
                        long candidate = Math.min(ttl, soaMinimum);
                        negativeTtl = negativeTtl < 0 ? candidate : Math.min(negativeTtl, candidate);
                    }
                }
            }
            // Records after OPT can only be TSIG or SIG(0) (RFC 8945 §5.1, RFC 2931 §3), which
            // sign the upstream exchange and mean nothing to our clients: they are dropped.
            p = rdata + rdlength;
        }

        int rcode = DnsWire.rcode(flags);
        boolean truncated = (flags & DnsWire.FLAG_TC) != 0;
        int length = (optStart >= 0 ? optStart : p - base);
        byte[] message = new byte[length];
        response.getBytes(base, message);
        if (optStart >= 0) {
            int keptAdditional = recordsBeforeOpt - answers - authority;
            message[DnsWire.OFFSET_ARCOUNT] = (byte) (keptAdditional >>> 8);
            message[DnsWire.OFFSET_ARCOUNT + 1] = (byte) keptAdditional;
        }
        ResponseKind kind = classify(rcode, extendedRcode, answers);
        return new AnswerTemplate(message, Arrays.copyOf(ttlOffsets, ttlCount), kind, rcode, truncated,
                minTtl == Long.MAX_VALUE ? -1 : minTtl, negativeTtl);
    }

    private static ResponseKind classify(int rcode, int extendedRcode, int answers) {
        if (extendedRcode != 0) {
            return ResponseKind.OTHER;
        }
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
    private static long soaMinimum(ByteBuf msg, int rdata, int rdlength, int end) {
        int rdataEnd = rdata + rdlength;
        int p = DnsWire.skipName(msg, rdata, rdataEnd);
        if (p < 0) {
            return -1;
        }
        p = DnsWire.skipName(msg, p, rdataEnd);
        if (p < 0 || p + 20 != rdataEnd || rdataEnd > end) {
            return -1;
        }
        return ttlSeconds(msg.getUnsignedInt(p + 16));
    }
}
