package io.nodedns.server;

/**
 * Response codes as CoreDNS names them in its {@code rcode} labels (miekg/dns RcodeToString, RFC 6895
 * §2.3): codes 0-23 by name, anything above as one {@code "other"} bucket. nodedns never sends codes
 * above 23 (an upstream's extended RCODE becomes SERVFAIL), so the last bucket stays empty in practice.
 */
public final class RcodeBuckets {
    private static final String[] LABELS = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
        "NOTAUTH", "NOTZONE", "RCODE11", "RCODE12", "RCODE13", "RCODE14", "RCODE15",
        // 16 is BADVERS for OPT and BADSIG for TSIG; miekg/dns (and so CoreDNS) prints BADSIG.
        "BADSIG", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE", "other"};

    public static final int COUNT = LABELS.length;

    private RcodeBuckets() {
    }

    public static int of(int rcode) {
        return rcode >= 0 && rcode < COUNT - 1 ? rcode : COUNT - 1;
    }

    public static String label(int bucket) {
        return LABELS[bucket];
    }
}
