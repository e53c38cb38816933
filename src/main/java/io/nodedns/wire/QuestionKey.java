package io.nodedns.wire;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * What a cached answer is keyed on: the lower-cased question name in wire form,
 * QTYPE, QCLASS, and the DO and CD bits (an answer with DNSSEC records, or one not
 * validated, must not be served to a client that asked otherwise: RFC 4035 §3.2).
 *
 * <p>Two flavours share this class so that Caffeine can compare them: a
 * <em>scratch</em> key owned by one event loop, refilled for every query and used
 * only for lookups (no allocation per query), and immutable <em>stored</em> keys
 * made by {@link #copy()}, which are the only ones ever put in a map. Equality and
 * hash depend only on content.
 *
 * <p>Query names are chosen by clients, so the hash is seeded per process and keys
 * are {@link Comparable}: a flood of names built to collide cannot turn the
 * cache's hash buckets into linear lists (ConcurrentHashMap orders colliding
 * comparable keys in a tree).
 */
public final class QuestionKey implements Comparable<QuestionKey> {
    /** Per-process hash seed; fixed at class initialisation, never changed. */
    private static final int SEED = new SecureRandom().nextInt();
    private final byte[] name;
    private int nameLength;
    private int qtype;
    private int qclass;
    private boolean dnssecOk;
    private boolean checkingDisabled;
    private int hash;
    private final boolean stored;

    private QuestionKey(byte[] name, int nameLength, int qtype, int qclass, boolean dnssecOk,
                        boolean checkingDisabled, int hash, boolean stored) {
        this.name = name;
        this.nameLength = nameLength;
        this.qtype = qtype;
        this.qclass = qclass;
        this.dnssecOk = dnssecOk;
        this.checkingDisabled = checkingDisabled;
        this.hash = hash;
        this.stored = stored;
    }

    /** A reusable lookup key; not for storing in a map. */
    public static QuestionKey scratch() {
        return new QuestionKey(new byte[DnsWire.MAX_NAME_LENGTH], 0, 0, 0, false, false, 0, false);
    }

    /**
     * A stored key from a wire name given as bytes (lower-cased here), for tests and
     * for building keys outside the query path.
     */
    public static QuestionKey of(byte[] wireName, int qtype, int qclass, boolean dnssecOk, boolean checkingDisabled) {
        QuestionKey key = scratch();
        key.setName(wireName, wireName.length);
        key.finish(qtype, qclass, dnssecOk, checkingDisabled);
        return key.copy();
    }

    /** Takes the first {@code length} bytes of {@code wireName}, lower-casing ASCII letters. */
    void setName(byte[] wireName, int length) {
        checkMutable();
        for (int i = 0; i < length; i++) {
            name[i] = DnsWire.toLowerAscii(wireName[i]);
        }
        nameLength = length;
    }

    void finish(int qtype, int qclass, boolean dnssecOk, boolean checkingDisabled) {
        this.qtype = qtype;
        this.qclass = qclass;
        this.dnssecOk = dnssecOk;
        this.checkingDisabled = checkingDisabled;
        int h = SEED ^ (qtype << 16 | qclass);
        for (int i = 0; i < nameLength; i++) {
            h = (h ^ name[i]) * 0x9E3779B1;
        }
        h ^= flagBits();
        // murmur3's fmix32: every input bit reaches the low bits that pick a hash bucket
        // (a plain h ^ h >>> 16 would be undone by ConcurrentHashMap's own spread()).
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        this.hash = h ^ (h >>> 16);
    }

    private void checkMutable() {
        if (stored) {
            throw new IllegalStateException("stored keys are immutable");
        }
    }

    /** An immutable copy fit for storing in a map. */
    public QuestionKey copy() {
        return new QuestionKey(Arrays.copyOf(name, nameLength), nameLength, qtype, qclass, dnssecOk,
                checkingDisabled, hash, true);
    }

    /** Length of the wire name, including the root label. */
    public int nameLength() {
        return nameLength;
    }

    /** The lower-cased wire name byte at {@code index}. */
    public byte nameByte(int index) {
        return name[index];
    }

    public int qtype() {
        return qtype;
    }

    public int qclass() {
        return qclass;
    }

    public boolean dnssecOk() {
        return dnssecOk;
    }

    public boolean checkingDisabled() {
        return checkingDisabled;
    }

    /**
     * True when the name equals {@code zoneWire} or lies below it (label-aligned
     * suffix). {@code zoneWire} is a lower-cased wire name; the root ({0}) matches all.
     */
    public boolean isInZone(byte[] zoneWire) {
        int zoneLength = zoneWire.length;
        if (zoneLength == 1) {
            return true; // the root, whose wire form is the empty label every name ends with
        }
        if (zoneLength > nameLength) {
            return false;
        }
        int start = nameLength - zoneLength;
        // Walk labels from the front so the suffix is only accepted at a label boundary.
        int p = 0;
        while (p < start) {
            p += (name[p] & 0xFF) + 1;
        }
        if (p != start) {
            return false;
        }
        for (int i = 0; i < zoneLength; i++) {
            if (name[start + i] != zoneWire[i]) {
                return false;
            }
        }
        return true;
    }

    /** True when the name is in at least one of {@code zonesWire} (see {@link #isInZone}). */
    public boolean isInAnyZone(byte[][] zonesWire) {
        for (byte[] zone : zonesWire) {
            if (isInZone(zone)) {
                return true;
            }
        }
        return false;
    }

    /** The name in presentation form, e.g. {@code www.example.com.}; for logs only. */
    public String nameText() {
        return WireNames.toText(name, 0, nameLength);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof QuestionKey)) {
            return false;
        }
        QuestionKey other = (QuestionKey) o;
        return hash == other.hash && qtype == other.qtype && qclass == other.qclass
                && dnssecOk == other.dnssecOk && checkingDisabled == other.checkingDisabled
                && Arrays.equals(name, 0, nameLength, other.name, 0, other.nameLength);
    }

    /** Orders by name bytes, then type, class and flags; consistent with {@link #equals}. */
    @Override
    public int compareTo(QuestionKey other) {
        int c = Arrays.compare(name, 0, nameLength, other.name, 0, other.nameLength);
        if (c != 0) {
            return c;
        }
        c = Integer.compare(qtype, other.qtype);
        if (c != 0) {
            return c;
        }
        c = Integer.compare(qclass, other.qclass);
        if (c != 0) {
            return c;
        }
        return Integer.compare(flagBits(), other.flagBits());
    }

    private int flagBits() {
        return (dnssecOk ? 1 : 0) | (checkingDisabled ? 2 : 0);
    }

    @Override
    public String toString() {
        return nameText() + " " + qtype + "/" + qclass + (dnssecOk ? " DO" : "") + (checkingDisabled ? " CD" : "");
    }
}
