package io.nodedns.wire;

/**
 * An upstream response in wire form, prepared for replay to any number of
 * clients: its OPT record removed (each client gets its own, RFC 6891 §6.1.1),
 * the offsets of every TTL field recorded so a replay can lower them without
 * walking the message again, and what the cache needs to decide its lifetime.
 *
 * <p>Immutable; the byte array is never exposed. Created by {@link ResponseScanner}.
 */
public final class AnswerTemplate {
    private final byte[] message;
    private final int[] ttlOffsets;
    private final ResponseKind kind;
    private final int rcode;
    private final boolean truncated;
    private final long minTtl;
    private final long negativeTtl;

    AnswerTemplate(byte[] message, int[] ttlOffsets, ResponseKind kind, int rcode, boolean truncated,
                   long minTtl, long negativeTtl) {
        this.message = message;
        this.ttlOffsets = ttlOffsets;
        this.kind = kind;
        this.rcode = rcode;
        this.truncated = truncated;
        this.minTtl = minTtl;
        this.negativeTtl = negativeTtl;
    }

    public ResponseKind kind() {
        return kind;
    }

    /**
     * The full response code: the header's four bits plus the upper eight from the
     * upstream's OPT (RFC 6891 §6.1.3). Above 15 it concerns our exchange with the
     * upstream (BADVERS, BADCOOKIE), not the client's question.
     */
    public int rcode() {
        return rcode;
    }

    /** TC was set: never cached (the client must retry over TCP). */
    public boolean truncated() {
        return truncated;
    }

    /**
     * Smallest TTL over the answer and authority sections, in seconds; -1 when
     * both are empty.
     */
    public long minTtl() {
        return minTtl;
    }

    /**
     * Negative-caching TTL per RFC 2308 §5: the smaller of the authority SOA's TTL
     * and its MINIMUM field, and of any answer-section TTL (a CNAME leading to the
     * denial); -1 when there is no SOA (then the denial is not cached).
     */
    public long negativeTtl() {
        return negativeTtl;
    }

    /** Message length without OPT. */
    public int length() {
        return message.length;
    }

    /**
     * A copy of the message as stored (without OPT, the upstream's TTLs), for writing the cache to
     * disk; {@link ResponseScanner#scan} of these bytes makes an equal template again.
     */
    public byte[] messageCopy() {
        return message.clone();
    }

    int ttlCount() {
        return ttlOffsets.length;
    }

    int ttlOffset(int i) {
        return ttlOffsets[i];
    }

    /** The TTL stored at template offset {@code offset}, as RFC 2181 §8 reads it. */
    long ttlAt(int offset) {
        long raw = (message[offset] & 0xFFL) << 24 | (message[offset + 1] & 0xFF) << 16
                | (message[offset + 2] & 0xFF) << 8 | (message[offset + 3] & 0xFF);
        return ResponseScanner.ttlSeconds(raw);
    }

    byte[] bytes() {
        return message;
    }
}
