package io.nodedns.config;

import java.util.Locale;

/**
 * Normalizes zone names the way CoreDNS does before comparing them: lower case (RFC 4343 section 2:
 * names compare case-insensitively) and fully qualified with a trailing dot.
 */
final class Zones {
    /** RFC 1035 section 2.3.4. */
    private static final int MAX_LABEL_LENGTH = 63;
    private static final int MAX_NAME_LENGTH = 255;

    private Zones() {
    }

    /**
     * @return the normalized zone ({@code Cluster.Local} gives {@code cluster.local.}, {@code .} stays)
     * @throws IllegalArgumentException with a message saying what is wrong with {@code text}
     */
    static String normalize(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty zone name");
        }
        if (text.indexOf('/') >= 0) {
            // CoreDNS expands 10.0.0.0/8 into reverse zones; nodedns does not (yet).
            throw new IllegalArgumentException("reverse CIDR zones are not supported: " + GoDuration.quote(text)
                    + " (write the in-addr.arpa or ip6.arpa zone instead)");
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.equals(".")) {
            return ".";
        }
        String fqdn = lower.endsWith(".") ? lower : lower + ".";
        // Wire length: one length octet per label plus the label, plus the root's zero octet.
        if (fqdn.length() + 1 > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("zone name longer than 255 octets: " + GoDuration.quote(text));
        }
        for (String label : fqdn.substring(0, fqdn.length() - 1).split("\\.", -1)) {
            if (label.isEmpty()) {
                throw new IllegalArgumentException("empty label in zone name " + GoDuration.quote(text));
            }
            if (label.length() > MAX_LABEL_LENGTH) {
                throw new IllegalArgumentException(
                        "label longer than 63 octets in zone name " + GoDuration.quote(text));
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
                if (!allowed) {
                    throw new IllegalArgumentException(
                            "invalid character '" + c + "' in zone name " + GoDuration.quote(text));
                }
            }
        }
        return fqdn;
    }
}
