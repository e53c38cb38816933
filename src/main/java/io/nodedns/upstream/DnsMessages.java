package io.nodedns.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.nodedns.wire.DnsWire;

/**
 * The few checks the forwarder makes on message bytes (RFC 1035 §4.1), on top of the
 * format facts in {@link DnsWire}. All offsets are absolute indices into messages that
 * start at index 0, which holds for every buffer the forwarder allocates itself. No
 * method here takes or releases a reference.
 */
final class DnsMessages {
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
        if (query.readableBytes() < DnsWire.HEADER_LENGTH + 5) {
            throw new IllegalArgumentException("query too short: " + query.readableBytes() + " bytes");
        }
        int qdcount = query.getUnsignedShort(start + DnsWire.OFFSET_QDCOUNT);
        if (qdcount != 1) {
            throw new IllegalArgumentException("query must have exactly one question, QDCOUNT=" + qdcount);
        }
        int offset = start + DnsWire.HEADER_LENGTH;
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
            if (labelLength > DnsWire.MAX_LABEL_LENGTH) {
                throw new IllegalArgumentException("compressed or invalid label in question at offset " + offset);
            }
            offset += 1 + labelLength;
        }
        int length = offset + 4 - start - DnsWire.HEADER_LENGTH;
        if (start + DnsWire.HEADER_LENGTH + length > end) {
            throw new IllegalArgumentException("question type/class runs past the end of the query");
        }
        return length;
    }

    static int id(ByteBuf message) {
        return DnsWire.id(message, 0);
    }

    /** The header RCODE (low 4 bits of byte 3; RFC 1035 §4.1.1), without any EDNS extension. */
    static int rcode(ByteBuf response) {
        return DnsWire.rcode(DnsWire.flags(response, 0));
    }

    /** TC=1 (RFC 1035 §4.1.1): the UDP answer did not fit; RFC 7766 §5 says retry over TCP. */
    static boolean isTruncated(ByteBuf response) {
        return (DnsWire.flags(response, 0) & DnsWire.FLAG_TC) != 0;
    }

    /** Sets TC=1 on {@code message}, for a datagram that may have been cut short on receipt. */
    static void markTruncated(ByteBuf message) {
        message.setShort(DnsWire.OFFSET_FLAGS, DnsWire.flags(message, 0) | DnsWire.FLAG_TC);
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
        if (response.readableBytes() < DnsWire.HEADER_LENGTH || (DnsWire.flags(response, 0) & DnsWire.FLAG_QR) == 0) {
            return false;
        }
        int qdcount = DnsWire.count(response, 0, DnsWire.OFFSET_QDCOUNT);
        if (qdcount == 0) {
            return rcode(response) != DnsWire.RCODE_NOERROR;
        }
        if (qdcount != 1 || response.readableBytes() < DnsWire.HEADER_LENGTH + questionLength) {
            return false;
        }
        int nameEnd = DnsWire.HEADER_LENGTH + questionLength - 4;
        for (int i = DnsWire.HEADER_LENGTH; i < nameEnd; i++) {
            if (DnsWire.toLowerAscii(response.getByte(i)) != DnsWire.toLowerAscii(query.getByte(i))) {
                return false;
            }
        }
        return response.getInt(nameEnd) == query.getInt(nameEnd);
    }

    /**
     * RFC 6891 §7: a FORMERR or NOTIMP answer carrying no OPT (no additional records at all)
     * is how a server without EDNS answers a query that has one.
     */
    static boolean rejectsEdns(ByteBuf response) {
        int rcode = rcode(response);
        return (rcode == DnsWire.RCODE_FORMERR || rcode == DnsWire.RCODE_NOTIMP)
                && DnsWire.count(response, 0, DnsWire.OFFSET_ARCOUNT) == 0;
    }

    static boolean hasAdditional(ByteBuf query) {
        return DnsWire.count(query, 0, DnsWire.OFFSET_ARCOUNT) > 0;
    }

    /**
     * A copy of {@code query}'s header and question with ARCOUNT 0: the query without its OPT.
     * The caller owns the result.
     */
    static ByteBuf withoutAdditional(ByteBuf query, int questionLength) {
        int length = DnsWire.HEADER_LENGTH + questionLength;
        ByteBuf plain = query.alloc().buffer(length);
        plain.writeBytes(query, 0, length);
        plain.setShort(DnsWire.OFFSET_ARCOUNT, 0);
        return plain;
    }

    /**
     * The health probe CoreDNS's forward plugin sends by default: {@code . IN NS} with RD=1
     * (its {@code no_rec} option, not supported here, would clear RD). ID 0; the channel
     * assigns its own. The caller owns the returned buffer.
     */
    static ByteBuf healthProbe(ByteBufAllocator alloc) {
        ByteBuf probe = alloc.buffer(DnsWire.HEADER_LENGTH + 5);
        probe.writeShort(0); // ID
        probe.writeShort(DnsWire.FLAG_RD); // QUERY, RD=1
        probe.writeShort(1); // QDCOUNT
        probe.writeShort(0); // ANCOUNT
        probe.writeShort(0); // NSCOUNT
        probe.writeShort(0); // ARCOUNT
        probe.writeByte(0); // root name
        probe.writeShort(DnsWire.TYPE_NS);
        probe.writeShort(DnsWire.CLASS_IN);
        return probe;
    }
}
