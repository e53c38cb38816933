package io.nodedns.wire;

import io.netty.buffer.ByteBuf;

/**
 * Constants and small accessors of the DNS message format (RFC 1035 §4.1), read
 * and written at absolute offsets relative to a message start ({@code base}) so
 * that one buffer may hold a message behind a TCP length prefix.
 */
public final class DnsWire {
    private DnsWire() {}

    public static final int HEADER_LENGTH = 12;
    /** RFC 1035 §4.2.2: the TCP length prefix is 16 bits, so no DNS message is longer. */
    public static final int MAX_MESSAGE_LENGTH = 0xFFFF;
    /** Largest name in wire form, RFC 1035 §2.3.4. */
    public static final int MAX_NAME_LENGTH = 255;
    public static final int MAX_LABEL_LENGTH = 63;

    // Header field offsets (RFC 1035 §4.1.1).
    public static final int OFFSET_ID = 0;
    public static final int OFFSET_FLAGS = 2;
    public static final int OFFSET_QDCOUNT = 4;
    public static final int OFFSET_ANCOUNT = 6;
    public static final int OFFSET_NSCOUNT = 8;
    public static final int OFFSET_ARCOUNT = 10;

    // Flag bits of the 16-bit flags word.
    public static final int FLAG_QR = 0x8000;
    public static final int FLAG_AA = 0x0400;
    public static final int FLAG_TC = 0x0200;
    public static final int FLAG_RD = 0x0100;
    public static final int FLAG_RA = 0x0080;
    /** AD, RFC 4035 §3.2.3. */
    public static final int FLAG_AD = 0x0020;
    /** CD, RFC 4035 §3.2.2. */
    public static final int FLAG_CD = 0x0010;
    public static final int OPCODE_MASK = 0x7800;
    public static final int OPCODE_SHIFT = 11;
    public static final int RCODE_MASK = 0x000F;

    public static final int OPCODE_QUERY = 0;

    public static final int RCODE_NOERROR = 0;
    public static final int RCODE_FORMERR = 1;
    public static final int RCODE_SERVFAIL = 2;
    public static final int RCODE_NXDOMAIN = 3;
    public static final int RCODE_NOTIMP = 4;
    public static final int RCODE_REFUSED = 5;
    /** Extended RCODE 16, carried as 1 in the OPT's upper bits and 0 in the header (RFC 6891 §6.1.3). */
    public static final int RCODE_BADVERS = 16;

    public static final int TYPE_A = 1;
    public static final int TYPE_NS = 2;
    public static final int TYPE_SOA = 6;
    public static final int TYPE_AAAA = 28;
    public static final int TYPE_OPT = 41;
    public static final int TYPE_IXFR = 251;
    public static final int TYPE_AXFR = 252;
    public static final int TYPE_MAILB = 253;
    public static final int TYPE_MAILA = 254;
    public static final int CLASS_IN = 1;

    /** OPT TTL-field bit for DNSSEC OK, RFC 3225 §3. */
    public static final int EDNS_DO = 0x8000;
    /** Length of an OPT record with no options: root name, type, class, ttl, rdlength. */
    public static final int OPT_RECORD_LENGTH = 11;
    /** A UDP message without EDNS may not exceed this, RFC 1035 §4.2.1. */
    public static final int CLASSIC_UDP_LIMIT = 512;

    public static int id(ByteBuf msg, int base) {
        return msg.getUnsignedShort(base + OFFSET_ID);
    }

    public static int flags(ByteBuf msg, int base) {
        return msg.getUnsignedShort(base + OFFSET_FLAGS);
    }

    public static int count(ByteBuf msg, int base, int countOffset) {
        return msg.getUnsignedShort(base + countOffset);
    }

    public static int rcode(int flags) {
        return flags & RCODE_MASK;
    }

    public static int opcode(int flags) {
        return (flags & OPCODE_MASK) >>> OPCODE_SHIFT;
    }

    /**
     * Returns the offset just past the name starting at {@code offset}, following
     * the rules of RFC 1035 §4.1.4: a name is labels ending in a zero byte or in a
     * two-byte compression pointer. Returns -1 if the name runs past {@code end},
     * uses the reserved label types 01/10 (RFC 6891 §5), or a label is too long.
     * Pointers are not followed: the caller only needs to get past the name.
     */
    public static int skipName(ByteBuf msg, int offset, int end) {
        int p = offset;
        int length = 1; // the root label's zero byte
        while (p < end) {
            int len = msg.getUnsignedByte(p);
            if (len == 0) {
                return p + 1;
            }
            int kind = len & 0xC0;
            if (kind == 0xC0) {
                return p + 2 <= end ? p + 2 : -1;
            }
            if (kind != 0) {
                return -1;
            }
            length += len + 1;
            if (length > MAX_NAME_LENGTH) {
                return -1;
            }
            p += len + 1;
        }
        return -1;
    }

    /** ASCII lower case (RFC 4343: DNS names compare case-insensitively in ASCII only). */
    public static byte toLowerAscii(byte b) {
        return (b >= 'A' && b <= 'Z') ? (byte) (b + 32) : b;
    }
}
