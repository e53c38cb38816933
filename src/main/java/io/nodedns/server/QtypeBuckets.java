package io.nodedns.server;

/**
 * The query types CoreDNS gives their own {@code type} label in {@code coredns_dns_requests_total}
 * and {@code coredns_dns_request_duration_seconds} (plugin/metrics/vars/monitor.go); every other type
 * counts as {@code "other"}. Keeping the same list keeps the label bounded and dashboards unchanged.
 */
public final class QtypeBuckets {
    /** Label values by bucket; the last one is {@code "other"}. */
    private static final String[] LABELS = {
        "A", "AAAA", "CNAME", "DNSKEY", "DS", "MX", "NSEC3", "NSEC", "NS", "PTR", "RRSIG", "SOA", "SRV", "TXT",
        "HTTPS", "IXFR", "AXFR", "ANY", "other"};

    public static final int COUNT = LABELS.length;
    public static final int OTHER = COUNT - 1;

    private QtypeBuckets() {
    }

    /** The bucket of {@code qtype}: a switch the JIT compiles to a jump table, no map lookup. */
    public static int of(int qtype) {
        switch (qtype) {
            case 1: return 0;
            case 28: return 1;
            case 5: return 2;
            case 48: return 3;
            case 43: return 4;
            case 15: return 5;
            case 50: return 6;
            case 47: return 7;
            case 2: return 8;
            case 12: return 9;
            case 46: return 10;
            case 6: return 11;
            case 33: return 12;
            case 16: return 13;
            case 65: return 14;
            case 251: return 15;
            case 252: return 16;
            case 255: return 17;
            default: return OTHER;
        }
    }

    public static String label(int bucket) {
        return LABELS[bucket];
    }
}
