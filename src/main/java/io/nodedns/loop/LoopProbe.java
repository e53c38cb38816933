package io.nodedns.loop;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.UpstreamQuery;
import io.nodedns.wire.WireNames;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * One server block's loop probe: the random name it asks, whether queries for that name are
 * being watched for ("armed"), and reporting a loop once.
 *
 * <p>The name is CoreDNS's, {@code <random>.<random>.<zone>} with two non-negative 63-bit
 * numbers (plugin/loop setup.go {@code qname}: {@code strconv.Itoa(r.Int())} twice), asked with
 * type HINFO (loop.go {@code exchange}). Nobody else can guess it, so any query for it that the
 * block is about to forward can only be the probe coming back.
 *
 * <p>Threading: {@link #isArmed()} and {@link #matches} are called on event loops for every
 * forwarded miss; the rest from anywhere.
 */
final class LoopProbe {
    /** RFC 1035 §3.2.2. */
    static final int TYPE_HINFO = 13;
    /** The most the two random labels add to the zone's wire length: 19 digits and a length byte each. */
    static final int MAX_LABELS_LENGTH = 2 * (1 + 19);

    private final String zone;
    private final String nameText;
    private final byte[] wireName;
    private final QuestionKey key;
    private final String sentTo;
    private final String cameBackTo;
    private final Consumer<String> onLoop;
    private final AtomicBoolean reported = new AtomicBoolean();
    private volatile boolean armed;

    /**
     * @param zone       the zone probed, lower-case with a trailing dot; short enough that
     *                   {@link #MAX_LABELS_LENGTH} more bytes fit ({@link LoopDetector#probeZone})
     * @param sentTo     where probes go (the forward's upstreams), the "A" of "Loop (A -&gt; B)"
     * @param cameBackTo the server block the probe would come back to, the "B"
     * @param onLoop     told the log line once, on the thread that saw the probe come back
     */
    LoopProbe(String zone, RandomGenerator random, String sentTo, String cameBackTo, Consumer<String> onLoop) {
        this.zone = Objects.requireNonNull(zone, "zone");
        this.nameText = randomLabel(random) + "." + randomLabel(random) + "." + (zone.equals(".") ? "" : zone);
        this.wireName = WireNames.toWire(nameText);
        this.key = QuestionKey.of(wireName, TYPE_HINFO, DnsWire.CLASS_IN, false, false);
        this.sentTo = Objects.requireNonNull(sentTo, "sentTo");
        this.cameBackTo = Objects.requireNonNull(cameBackTo, "cameBackTo");
        this.onLoop = Objects.requireNonNull(onLoop, "onLoop");
    }

    /** A non-negative 63-bit number in decimal, as Go's {@code rand.Int()} gives on 64-bit platforms. */
    private static String randomLabel(RandomGenerator random) {
        return Long.toString(random.nextLong() >>> 1);
    }

    /** The probe name in presentation form, e.g. {@code 5577006791947779410.8674665223082153551.}. */
    String name() {
        return nameText;
    }

    /**
     * A new probe query in {@code alloc}'s buffer, which the caller owns and must release. It is
     * built like every query the block forwards ({@link UpstreamQuery}), so an upstream that sends
     * it back to us sends what a client's HINFO query for the name would look like.
     */
    ByteBuf newQuery(ByteBufAllocator alloc) {
        ByteBuf query = alloc.buffer(UpstreamQuery.length(key));
        UpstreamQuery.write(query, key);
        return query;
    }

    void arm() {
        armed = true;
    }

    void disarm() {
        armed = false;
    }

    /** Whether forwarded queries are being checked: the one read the miss path pays when not. */
    boolean isArmed() {
        return armed;
    }

    /**
     * Whether {@code query} (a message, header at its reader index, not consumed) asks HINFO for
     * the probe name. Names compare without regard to ASCII case (RFC 4343 §3).
     */
    boolean matches(ByteBuf query) {
        int start = query.readerIndex() + DnsWire.HEADER_LENGTH;
        if (query.writerIndex() < start + wireName.length + 4 || query.getUnsignedShort(query.readerIndex()
                + DnsWire.OFFSET_QDCOUNT) != 1) {
            return false;
        }
        for (int i = 0; i < wireName.length; i++) {
            if (DnsWire.toLowerAscii(query.getByte(start + i)) != wireName[i]) {
                return false;
            }
        }
        return query.getUnsignedShort(start + wireName.length) == TYPE_HINFO;
    }

    /**
     * Reports the loop to {@code onLoop}, the first time only. The message is CoreDNS's
     * (loop.go {@code log.Fatalf}), with the forward's upstreams for CoreDNS's client address: nodedns
     * sends the probe to them directly, so that is where it was last seen leaving.
     *
     * @return whether this call reported it
     */
    boolean reportLoop() {
        if (!reported.compareAndSet(false, true)) {
            return false;
        }
        onLoop.accept(message());
        return true;
    }

    boolean loopReported() {
        return reported.get();
    }

    String message() {
        return "Loop (" + sentTo + " -> " + cameBackTo + ") detected for zone \"" + zone
                + "\", see https://coredns.io/plugins/loop#troubleshooting. Query: \"HINFO " + nameText + "\"";
    }
}
