package io.nodedns.wire;

/** Mnemonics of common RR types for log lines (RFC 3597 §5 form {@code TYPEnnn} for the rest). */
public final class DnsTypes {
    private DnsTypes() {}

    public static String name(int type) {
        switch (type) {
            case 1: return "A";
            case 2: return "NS";
            case 5: return "CNAME";
            case 6: return "SOA";
            case 12: return "PTR";
            case 15: return "MX";
            case 16: return "TXT";
            case 28: return "AAAA";
            case 33: return "SRV";
            case 35: return "NAPTR";
            case 41: return "OPT";
            case 43: return "DS";
            case 46: return "RRSIG";
            case 47: return "NSEC";
            case 48: return "DNSKEY";
            case 64: return "SVCB";
            case 65: return "HTTPS";
            case 255: return "ANY";
            case 257: return "CAA";
            default: return "TYPE" + type;
        }
    }
}
