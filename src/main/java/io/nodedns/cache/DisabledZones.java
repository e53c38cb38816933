package io.nodedns.cache;

import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.ResponseKind;
import io.nodedns.wire.WireNames;
import java.util.List;

/**
 * CoreDNS cache's {@code disable success|denial [ZONES...]}: answers of one kind for names in some
 * zones are passed on but never cached (CoreDNS's {@code pexcept} and {@code nexcept}). Success is
 * NOERROR with records; denial is what the denial cache holds: NXDOMAIN, NODATA and SERVFAIL, as
 * CoreDNS's nexcept covers NameError, NoData and ServerError. Immutable.
 */
public final class DisabledZones {
    /** Every kind of answer may be cached everywhere. */
    public static final DisabledZones NONE = new DisabledZones(List.of(), List.of());

    private final List<String> success;
    private final List<String> denial;
    private final byte[][] successWire;
    private final byte[][] denialWire;

    /**
     * @param success zones (lower-case FQDNs) whose positive answers are not cached
     * @param denial zones whose denials are not cached
     */
    public DisabledZones(List<String> success, List<String> denial) {
        this.success = List.copyOf(success);
        this.denial = List.copyOf(denial);
        this.successWire = this.success.stream().map(WireNames::toWire).toArray(byte[][]::new);
        this.denialWire = this.denial.stream().map(WireNames::toWire).toArray(byte[][]::new);
    }

    public List<String> success() {
        return success;
    }

    public List<String> denial() {
        return denial;
    }

    /** Whether an answer of {@code kind} to {@code key} must not be cached. */
    public boolean excludes(QuestionKey key, ResponseKind kind) {
        switch (kind) {
            case SUCCESS:
                return key.isInAnyZone(successWire);
            case NODATA:
            case NXDOMAIN:
            case SERVFAIL:
                return key.isInAnyZone(denialWire);
            default:
                return false;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DisabledZones other && success.equals(other.success) && denial.equals(other.denial);
    }

    @Override
    public int hashCode() {
        return 31 * success.hashCode() + denial.hashCode();
    }

    @Override
    public String toString() {
        return "DisabledZones[success=" + success + ", denial=" + denial + "]";
    }
}
