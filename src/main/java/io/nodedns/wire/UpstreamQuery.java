package io.nodedns.wire;

import io.netty.buffer.ByteBuf;

/**
 * The query nodedns sends upstream for a cache key. One upstream query answers
 * every client waiting on that key, so it is built from the key, not copied from
 * any one client: lower-case name, RD set (we are a forwarder), the key's CD bit,
 * and an OPT advertising {@link ResponseWriter#DEFAULT_MAX_UDP_SIZE} with the key's
 * DO bit (RFC 6891 §6.1.2, RFC 3225 §3).
 */
public final class UpstreamQuery {
    private UpstreamQuery() {}

    /** The length of the query {@link #write} writes for {@code key}: header, question, OPT. */
    public static int length(QuestionKey key) {
        return DnsWire.HEADER_LENGTH + key.nameLength() + 4 + DnsWire.OPT_RECORD_LENGTH;
    }

    /** Appends the query at {@code out}'s writer index with ID 0 (the forwarder assigns IDs). */
    public static void write(ByteBuf out, QuestionKey key) {
        int flags = DnsWire.FLAG_RD | (key.checkingDisabled() ? DnsWire.FLAG_CD : 0);
        out.writeShort(0);
        out.writeShort(flags);
        out.writeShort(1);
        out.writeShort(0);
        out.writeShort(0);
        out.writeShort(1);
        for (int i = 0, n = key.nameLength(); i < n; i++) {
            out.writeByte(key.nameByte(i));
        }
        out.writeShort(key.qtype());
        out.writeShort(key.qclass());
        out.writeByte(0);
        out.writeShort(DnsWire.TYPE_OPT);
        out.writeShort(ResponseWriter.DEFAULT_MAX_UDP_SIZE);
        out.writeByte(0);
        out.writeByte(0);
        out.writeShort(key.dnssecOk() ? DnsWire.EDNS_DO : 0);
        out.writeShort(0);
    }
}
