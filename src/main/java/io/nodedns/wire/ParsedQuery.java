package io.nodedns.wire;

import io.netty.buffer.ByteBuf;

/**
 * The header and question of one received query, parsed in place from its wire
 * bytes without building a record graph (hot path: DESIGN.md §4).
 *
 * <p>Instances are scratch space owned by one event loop and refilled by
 * {@link #parse} for every message; nothing here retains the buffer. Offsets are
 * relative to the message start.
 */
public final class ParsedQuery {
    private final QuestionKey key;
    /** The question name exactly as the client sent it, for echoing its case (RFC 1035 §7.3, 0x20 clients). */
    private final byte[] rawName;
    private final boolean frozen;

    private int id;
    private int flags;
    private int nameLength;
    private int questionEnd;
    private boolean questionValid;
    private int qtype;
    private int qclass;
    private boolean edns;
    private int ednsVersion;
    private int ednsUdpSize;
    private boolean dnssecOk;

    /** Scratch space for one event loop. */
    public ParsedQuery() {
        this.key = QuestionKey.scratch();
        this.rawName = new byte[DnsWire.MAX_NAME_LENGTH];
        this.frozen = false;
    }

    private ParsedQuery(ParsedQuery from) {
        this.key = from.key.copy();
        this.rawName = java.util.Arrays.copyOf(from.rawName, from.nameLength);
        this.frozen = true;
        this.id = from.id;
        this.flags = from.flags;
        this.nameLength = from.nameLength;
        this.questionEnd = from.questionEnd;
        this.questionValid = from.questionValid;
        this.qtype = from.qtype;
        this.qclass = from.qclass;
        this.edns = from.edns;
        this.ednsVersion = from.ednsVersion;
        this.ednsUdpSize = from.ednsUdpSize;
        this.dnssecOk = from.dnssecOk;
    }

    /**
     * An immutable copy that outlives the received buffer and this scratch
     * instance: what a query waiting for an upstream answer keeps.
     */
    public ParsedQuery copy() {
        return new ParsedQuery(this);
    }

    /**
     * Parses the message occupying {@code msg}'s readable bytes. Does not change
     * the buffer's indices or reference count.
     */
    public QueryVerdict parse(ByteBuf msg) {
        if (frozen) {
            throw new IllegalStateException("a copied ParsedQuery cannot be reused");
        }
        int base = msg.readerIndex();
        int end = msg.writerIndex();
        questionValid = false;
        edns = false;
        dnssecOk = false;
        ednsVersion = 0;
        ednsUdpSize = DnsWire.CLASSIC_UDP_LIMIT;
        if (end - base < DnsWire.HEADER_LENGTH) {
            return QueryVerdict.DROP_SHORT;
        }
        id = DnsWire.id(msg, base);
        flags = DnsWire.flags(msg, base);
        if ((flags & DnsWire.FLAG_QR) != 0) {
            return QueryVerdict.DROP_RESPONSE;
        }
        int qdcount = DnsWire.count(msg, base, DnsWire.OFFSET_QDCOUNT);
        boolean questionParsed = qdcount == 1 && parseQuestion(msg, base, end);
        if (DnsWire.opcode(flags) != DnsWire.OPCODE_QUERY) {
            return QueryVerdict.NOTIMP;
        }
        if (!questionParsed) {
            return QueryVerdict.FORMERR;
        }
        if (!parseAdditional(msg, base, end)) {
            return QueryVerdict.FORMERR;
        }
        if (edns && ednsVersion > 0) {
            return QueryVerdict.BADVERS;
        }
        if (qtype == DnsWire.TYPE_OPT) {
            return QueryVerdict.FORMERR; // OPT is a pseudo-type and cannot be asked for, RFC 6891 §6.1.1
        }
        if (qtype == DnsWire.TYPE_AXFR || qtype == DnsWire.TYPE_IXFR
                || qtype == DnsWire.TYPE_MAILA || qtype == DnsWire.TYPE_MAILB) {
            return QueryVerdict.NOTIMP;
        }
        key.finish(qtype, qclass, dnssecOk, (flags & DnsWire.FLAG_CD) != 0);
        return QueryVerdict.ANSWER;
    }

    /**
     * Question at offset 12: an uncompressed name (a pointer here could only point
     * into the header). The bytes that can hold the name are copied into
     * {@link #rawName} with one bulk read and parsed there: per-byte ByteBuf reads
     * each pay a bounds and reference-count check.
     */
    private boolean parseQuestion(ByteBuf msg, int base, int end) {
        int start = base + DnsWire.HEADER_LENGTH;
        int available = Math.min(end - start, DnsWire.MAX_NAME_LENGTH);
        if (available <= 0) {
            return false;
        }
        msg.getBytes(start, rawName, 0, available);
        int n = 0;
        while (true) {
            if (n >= available) {
                return false; // runs past the message, or past 255 bytes
            }
            int len = rawName[n] & 0xFF;
            if (len == 0) {
                n++;
                break;
            }
            if (len > DnsWire.MAX_LABEL_LENGTH) {
                return false; // a pointer or a reserved label type
            }
            n += len + 1;
        }
        int p = start + n;
        if (p + 4 > end) {
            return false;
        }
        key.setName(rawName, n);
        nameLength = n;
        qtype = msg.getUnsignedShort(p);
        qclass = msg.getUnsignedShort(p + 2);
        questionEnd = p + 4 - base;
        questionValid = true;
        return true;
    }

    /** Skips answer and authority records and reads the OPT record of the additional section, if any. */
    private boolean parseAdditional(ByteBuf msg, int base, int end) {
        int records = DnsWire.count(msg, base, DnsWire.OFFSET_ANCOUNT) + DnsWire.count(msg, base, DnsWire.OFFSET_NSCOUNT);
        int additional = DnsWire.count(msg, base, DnsWire.OFFSET_ARCOUNT);
        int p = base + questionEnd;
        for (int i = 0; i < records + additional; i++) {
            int nameStart = p;
            p = DnsWire.skipName(msg, p, end);
            if (p < 0 || p + 10 > end) {
                return false;
            }
            int type = msg.getUnsignedShort(p);
            int rdlength = msg.getUnsignedShort(p + 8);
            if (p + 10 + rdlength > end) {
                return false;
            }
            if (i >= records && type == DnsWire.TYPE_OPT) {
                // RFC 6891 §6.1.1: one OPT at most, owned by the root name.
                if (edns || p != nameStart + 1 || msg.getByte(nameStart) != 0) {
                    return false;
                }
                edns = true;
                ednsUdpSize = Math.max(DnsWire.CLASSIC_UDP_LIMIT, msg.getUnsignedShort(p + 2));
                ednsVersion = msg.getUnsignedByte(p + 5);
                dnssecOk = (msg.getUnsignedShort(p + 6) & DnsWire.EDNS_DO) != 0;
            }
            p += 10 + rdlength;
        }
        return true;
    }

    /** The cache key of the last successfully parsed query; scratch, see {@link QuestionKey}. */
    public QuestionKey key() {
        return key;
    }

    /** The client's question name byte at {@code index} (original case). */
    public byte rawNameByte(int index) {
        return rawName[index];
    }

    /** Copies the client's question name (original case) into {@code out} at {@code index}. */
    public void writeRawName(ByteBuf out, int index) {
        out.setBytes(index, rawName, 0, nameLength);
    }

    public int id() {
        return id;
    }

    public int flags() {
        return flags;
    }

    public boolean recursionDesired() {
        return (flags & DnsWire.FLAG_RD) != 0;
    }

    /** True when the question section was read (error responses then echo it). */
    public boolean questionValid() {
        return questionValid;
    }

    /** Length of the question name as the client sent it (offset 12 onwards). */
    public int nameLength() {
        return nameLength;
    }

    /** Offset just past QCLASS, relative to the message start. */
    public int questionEnd() {
        return questionEnd;
    }

    public int qtype() {
        return qtype;
    }

    public int qclass() {
        return qclass;
    }

    public boolean edns() {
        return edns;
    }

    /** The client's advertised UDP payload size (at least 512); 512 without EDNS. */
    public int ednsUdpSize() {
        return ednsUdpSize;
    }

    public boolean dnssecOk() {
        return dnssecOk;
    }
}
