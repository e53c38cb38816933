package io.nodedns.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The few wire-format facts the forwarder needs, read straight from message bytes
 * (RFC 1035 §4.1). All offsets are absolute indices into messages that start at index 0,
 * which holds for every buffer the forwarder allocates itself. No method here takes or
 * releases a reference.
 */
final class DnsMessages {
    static final int HEADER_LENGTH = 12;
    private static final int FLAGS_HIGH = 2;
    private static final int FLAGS_LOW = 3;
    private static final int QDCOUNT = 4;
    private static final int QR_BIT = 0x80;
    private static final int TC_BIT = 0x02;
    private static final int RCODE_MASK = 0x0F;
    private static final int TYPE_NS = 2;
    private static final int CLASS_IN = 1;

    private DnsMessages() {
    }

    /**
     * Length of the single question section of {@code query} (name, type, class), starting
     * at {@code start + 12}.
     *
     * @throws IllegalArgumentException if the message does not hold exactly one well-formed,
     *         uncompressed question
     */
    static int questionLength(ByteBuf query, int start) {
        int end = start + query.readableBytes();
        if (query.readableBytes() < HEADER_LENGTH + 5) {
            throw new IllegalArgumentException("query too short: " + query.readableBytes() + " bytes");
        }
        int qdcount = query.getUnsignedShort(start + QDCOUNT);
        if (qdcount != 1) {
            throw new IllegalArgumentException("query must have exactly one question, QDCOUNT=" + qdcount);
        }
        int offset = start + HEADER_LENGTH;
        while (true) {
            if (offset >= end) {
                throw new IllegalArgumentException("question name runs past the end of the query");
            }
            int labelLength = query.getUnsignedByte(offset);
            if (labelLength == 0) {
                offset++;
                break;
            }
            // RFC 1035 §4.1.4: a query's first name has nothing to point back to.
            if (labelLength > 63) {
                throw new IllegalArgumentException("compressed or invalid label in question at offset " + offset);
            }
            offset += 1 + labelLength;
        }
        int length = offset + 4 - start - HEADER_LENGTH;
        if (start + HEADER_LENGTH + length > end) {
            throw new IllegalArgumentException("question type/class runs past the end of the query");
        }
        return length;
    }

    static int id(ByteBuf message) {
        return message.getUnsignedShort(0);
    }

    /** The header RCODE (low 4 bits of byte 3; RFC 1035 §4.1.1), without any EDNS extension. */
    static int rcode(ByteBuf response) {
        return response.getUnsignedByte(3) & 0x0F;
    }

    /** TC=1 (RFC 1035 §4.1.1): the UDP answer did not fit; RFC 7766 §5 says retry over TCP. */
    static boolean isTruncated(ByteBuf response) {
        return (response.getByte(FLAGS_HIGH) & TC_BIT) != 0;
    }

    /** Sets TC=1 on {@code message}, for a datagram that may have been cut short on receipt. */
    static void markTruncated(ByteBuf message) {
        message.setByte(FLAGS_HIGH, message.getByte(FLAGS_HIGH) | TC_BIT);
    }

    /**
     * Whether {@code response} answers {@code query}, beyond their IDs matching (RFC 5452 §9.1:
     * accept only a response whose question equals the query's). Requires QR=1 and the same
     * question section, the name compared ASCII-case-insensitively (RFC 4343) and type and class
     * exactly; label length bytes are below 64 and so never fold. An error response without a
     * question (QDCOUNT=0, RCODE != 0: FORMERR, NOTIMP, REFUSED as some servers send them) is
     * accepted on its ID alone.
     */
    static boolean answers(ByteBuf response, ByteBuf query, int questionLength) {
        if (response.readableBytes() < HEADER_LENGTH || (response.getByte(FLAGS_HIGH) & QR_BIT) == 0) {
            return false;
        }
        int qdcount = response.getUnsignedShort(QDCOUNT);
        if (qdcount == 0) {
            return (response.getByte(FLAGS_LOW) & RCODE_MASK) != 0;
        }
        if (qdcount != 1 || response.readableBytes() < HEADER_LENGTH + questionLength) {
            return false;
        }
        int nameEnd = HEADER_LENGTH + questionLength - 4;
        for (int i = HEADER_LENGTH; i < nameEnd; i++) {
            if (asciiLower(response.getByte(i)) != asciiLower(query.getByte(i))) {
                return false;
            }
        }
        return response.getInt(nameEnd) == query.getInt(nameEnd);
    }

    /**
     * The health probe CoreDNS's forward plugin sends by default: {@code . IN NS} with RD=1
     * (its {@code no_rec} option, not supported here, would clear RD). ID 0; the channel
     * assigns its own. The caller owns the returned buffer.
     */
    static ByteBuf healthProbe(ByteBufAllocator alloc) {
        ByteBuf probe = alloc.buffer(HEADER_LENGTH + 5);
        probe.writeShort(0); // ID
        probe.writeShort(0x0100); // flags: QUERY, RD=1
        probe.writeShort(1); // QDCOUNT
        probe.writeShort(0); // ANCOUNT
        probe.writeShort(0); // NSCOUNT
        probe.writeShort(0); // ARCOUNT
        probe.writeByte(0); // root name
        probe.writeShort(TYPE_NS);
        probe.writeShort(CLASS_IN);
        return probe;
    }

    private static int asciiLower(byte b) {
        return b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b;
    }
}
