package io.nodedns.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.nodedns.cache.CachedAnswer;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.SynthesizedAnswers;
import io.nodedns.wire.WireNames;
import java.util.List;

/**
 * One block's {@code filter_aaaa}: AAAA queries under its zones, but not under its exceptions, are
 * answered NODATA here and never forwarded. For IPv4-only clusters: the AAAA half of every
 * glibc/musl lookup is what doubles kube-dns's load and races the A query in conntrack. Thread-safe:
 * its settings are fixed, its kept answers a Caffeine cache.
 */
public final class AaaaFilter {
    /** How many filtered names keep their built answer. */
    static final int KEPT_ANSWERS = 4096;

    private final byte[][] zones;
    private final byte[][] except;
    private final long ttlSeconds;
    /**
     * The answers built so far, by question: at most {@link #KEPT_ANSWERS} (~0.5 KiB each). The
     * zone a name belongs to never changes, so an answer kept is always the one to send.
     */
    private final Cache<QuestionKey, CachedAnswer> answers =
            Caffeine.newBuilder().maximumSize(KEPT_ANSWERS).executor(Runnable::run).build();

    /** @param zones and {@code except} absolute names; {@code ttlSeconds} the SOA's TTL and MINIMUM */
    public AaaaFilter(List<String> zones, List<String> except, long ttlSeconds) {
        this.zones = zones.stream().map(WireNames::toWire).toArray(byte[][]::new);
        this.except = except.stream().map(WireNames::toWire).toArray(byte[][]::new);
        this.ttlSeconds = ttlSeconds;
    }

    /** The index of the zone whose SOA answers {@code key}, or -1 when it is not filtered. */
    int filteredZone(QuestionKey key) {
        if (key.qtype() != DnsWire.TYPE_AAAA || key.isInAnyZone(except)) {
            return -1;
        }
        // The longest zone that contains the name owns the SOA, as the longest block zone owns the query.
        int best = -1;
        for (int z = 0; z < zones.length; z++) {
            if (key.isInZone(zones[z]) && (best < 0 || zones[z].length > zones[best].length)) {
                best = z;
            }
        }
        return best;
    }

    /**
     * The NODATA answer for {@code key} (a scratch key is fine), with zone {@code zone}'s
     * synthesized SOA (RFC 2308 section 3), never aged. Built once per name and kept: the filtered
     * half of every lookup repeats the same few names, and a filtered query then allocates nothing.
     */
    CachedAnswer answer(QuestionKey key, int zone) {
        CachedAnswer built = answers.getIfPresent(key);
        if (built == null) {
            built = new CachedAnswer(SynthesizedAnswers.nodata(key, zones[zone], ttlSeconds), Long.MAX_VALUE, 0);
            answers.put(key.copy(), built);
        }
        return built;
    }
}
