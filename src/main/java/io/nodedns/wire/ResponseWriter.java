package io.nodedns.wire;

import io.netty.buffer.ByteBuf;

/**
 * Writes responses for one client query: replays of an {@link AnswerTemplate}
 * (cache hits and fresh upstream answers alike) and locally made error answers.
 *
 * <p>Every method appends one message at {@code out}'s writer index; the caller
 * owns {@code out}. Offsets inside the new message are relative to where it starts,
 * so a TCP caller may reserve its two-byte length prefix first.
 */
public final class ResponseWriter {
    private ResponseWriter() {}

    /** The UDP payload size we advertise and the most we send over UDP (DNS flag day 2020). */
    public static final int DEFAULT_MAX_UDP_SIZE = 1232;

    /**
     * Replays {@code answer} for {@code query}.
     *
     * <p>The copy gets the client's ID, RD and CD bits and name case; each TTL
     * becomes {@code min(ttl, lifetimeSeconds) - ageSeconds}, never below zero, so a
     * cached answer never promises more than the cache entry has left. AA is
     * cleared when {@code fromCache} (we are not the authority, RFC 1035 §4.1.1).
     * The client gets an OPT record exactly when it sent one (RFC 6891 §6.1.1).
     *
     * @param sizeLimit the largest message this client may receive over its
     *     transport; if the answer is larger, a truncated answer (TC=1, question
     *     only) is written instead (RFC 1035 §4.2.1, RFC 6891 §7)
     * @return true if the full answer was written, false if it was truncated
     */
    public static boolean writeAnswer(ByteBuf out, AnswerTemplate answer, long lifetimeSeconds, long ageSeconds,
                                      boolean fromCache, ParsedQuery query, int sizeLimit) {
        int optLength = query.edns() ? DnsWire.OPT_RECORD_LENGTH : 0;
        byte[] message = answer.bytes();
        if (message.length + optLength > sizeLimit) {
            writeTruncated(out, answer, fromCache, query);
            return false;
        }
        int base = out.writerIndex();
        out.writeBytes(message);
        out.setShort(base + DnsWire.OFFSET_ID, query.id());
        out.setShort(base + DnsWire.OFFSET_FLAGS, replayFlags(message, fromCache, query));
        query.writeRawName(out, base + DnsWire.HEADER_LENGTH);
        long cap = Math.min(lifetimeSeconds, Integer.MAX_VALUE);
        for (int i = 0, n = answer.ttlCount(); i < n; i++) {
            int offset = answer.ttlOffset(i);
            long lowered = Math.max(0, Math.min(answer.ttlAt(offset), cap) - ageSeconds);
            out.setInt(base + offset, (int) lowered);
        }
        if (query.edns()) {
            appendOpt(out, base, 0, query.dnssecOk());
        }
        return true;
    }

    /**
     * A truncated answer: the template's header flags and RCODE with TC set (AA
     * cleared when served from the cache, as for full answers), the
     * client's question, no records but our OPT (RFC 2181 §9: a client that sees
     * TC retries over TCP and ignores partial sections).
     */
    private static void writeTruncated(ByteBuf out, AnswerTemplate answer, boolean fromCache, ParsedQuery query) {
        int flags = replayFlags(answer.bytes(), fromCache, query) | DnsWire.FLAG_TC;
        writeHeaderAndQuestion(out, query, flags, query.edns(), 0);
    }

    /** The most {@link #writeError} writes for {@code query}: header, question, OPT. */
    public static int maxErrorLength(ParsedQuery query) {
        return DnsWire.HEADER_LENGTH + query.nameLength() + 4 + DnsWire.OPT_RECORD_LENGTH;
    }

    /**
     * An answer made here with {@code rcode} (FORMERR, SERVFAIL, NOTIMP, REFUSED,
     * or the extended BADVERS). The question is echoed when it was readable; an OPT
     * record is added when the client sent a valid one, or always for BADVERS,
     * whose upper RCODE bits live in the OPT (RFC 6891 §6.1.3).
     */
    public static void writeError(ByteBuf out, ParsedQuery query, int rcode) {
        int flags = DnsWire.FLAG_QR | (query.flags() & (DnsWire.OPCODE_MASK | DnsWire.FLAG_RD | DnsWire.FLAG_CD))
                | DnsWire.FLAG_RA | (rcode & DnsWire.RCODE_MASK);
        writeHeaderAndQuestion(out, query, flags, query.edns() || rcode > DnsWire.RCODE_MASK, rcode >>> 4);
    }

    /**
     * The flags of a replay of {@code message}: the client's RD and CD bits replace the upstream's,
     * QR is set (RFC 1035 §4.1.1), AA is cleared when served from the cache.
     */
    private static int replayFlags(byte[] message, boolean fromCache, ParsedQuery query) {
        int upstreamFlags = ((message[2] & 0xFF) << 8) | (message[3] & 0xFF);
        int clientBits = query.flags() & (DnsWire.FLAG_RD | DnsWire.FLAG_CD);
        int flags = (upstreamFlags & ~(DnsWire.FLAG_RD | DnsWire.FLAG_CD)) | clientBits | DnsWire.FLAG_QR;
        return fromCache ? flags & ~DnsWire.FLAG_AA : flags;
    }

    /** Writes a header (no records but the question, if readable, and optionally our OPT). */
    private static void writeHeaderAndQuestion(ByteBuf out, ParsedQuery query, int flags, boolean withOpt,
                                               int extendedRcode) {
        int base = out.writerIndex();
        boolean echo = query.questionValid();
        out.writeShort(query.id());
        out.writeShort(flags);
        out.writeShort(echo ? 1 : 0);
        out.writeShort(0);
        out.writeShort(0);
        out.writeShort(0);
        if (echo) {
            int nameAt = out.writerIndex();
            out.writeZero(query.nameLength());
            query.writeRawName(out, nameAt);
            out.writeShort(query.qtype());
            out.writeShort(query.qclass());
        }
        if (withOpt) {
            appendOpt(out, base, extendedRcode, query.dnssecOk());
        }
    }

    /**
     * Appends our OPT record (RFC 6891 §6.1.2): root owner, our UDP payload size,
     * the upper RCODE bits, version 0, the DO bit echoed (RFC 3225 §3), no options.
     * Increments ARCOUNT of the message at {@code base}.
     */
    private static void appendOpt(ByteBuf out, int base, int extendedRcode, boolean dnssecOk) {
        int arcountAt = base + DnsWire.OFFSET_ARCOUNT;
        out.setShort(arcountAt, out.getUnsignedShort(arcountAt) + 1);
        out.writeByte(0);
        out.writeShort(DnsWire.TYPE_OPT);
        out.writeShort(DEFAULT_MAX_UDP_SIZE);
        out.writeByte(extendedRcode);
        out.writeByte(0);
        out.writeShort(dnssecOk ? DnsWire.EDNS_DO : 0);
        out.writeShort(0);
    }
}
