package io.nodedns.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Turns IP address literals into {@link InetAddress}es without ever asking a resolver.
 *
 * <p>{@link InetAddress#getByName} quietly falls back to a DNS lookup when its argument is not a
 * literal; a DNS forwarder reading its own configuration must never do that (it may be the
 * resolver it would ask). So IPv4 is parsed here, strictly as four decimal octets without leading
 * zeros (as glibc's {@code inet_pton} does), and IPv6 is only handed to the JDK after checking its
 * characters and wrapped in brackets, the form the JDK never looks up.
 */
public final class IpLiterals {
    private IpLiterals() {
    }

    /**
     * Parses {@code text} as an IPv4 or IPv6 literal; IPv6 may carry a zone id ({@code fe80::1%eth0}
     * or {@code fe80::1%2}), kept as the numeric scope id. An unknown interface name makes the
     * literal invalid.
     *
     * @return the address, or empty if {@code text} is not an IP literal
     */
    public static Optional<InetAddress> parse(String text) {
        if (text.indexOf(':') >= 0) {
            return parseIpv6(text);
        }
        byte[] ipv4 = parseIpv4(text);
        if (ipv4 == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByAddress(ipv4));
        } catch (UnknownHostException impossibleForFourBytes) {
            throw new AssertionError(impossibleForFourBytes);
        }
    }

    private static byte[] parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0')) {
                return null;
            }
            int value = 0;
            for (int j = 0; j < part.length(); j++) {
                char c = part.charAt(j);
                if (c < '0' || c > '9') {
                    return null;
                }
                value = value * 10 + (c - '0');
            }
            if (value > 255) {
                return null;
            }
            bytes[i] = (byte) value;
        }
        return bytes;
    }

    private static Optional<InetAddress> parseIpv6(String text) {
        int percent = text.indexOf('%');
        String address = percent < 0 ? text : text.substring(0, percent);
        if (address.isEmpty()) {
            return Optional.empty();
        }
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            boolean allowed = c == ':' || c == '.' || (c < 0x80 && Character.digit(c, 16) >= 0);
            if (!allowed) {
                return Optional.empty();
            }
        }
        InetAddress parsed;
        try {
            // Brackets make the JDK treat the text as an IPv6 literal or fail; it never resolves it.
            parsed = InetAddress.getByName("[" + address + "]");
        } catch (UnknownHostException notALiteral) {
            return Optional.empty();
        }
        if (percent < 0) {
            return Optional.of(parsed);
        }
        if (!(parsed instanceof Inet6Address)) {
            return Optional.empty();
        }
        int scopeId = scopeId(text.substring(percent + 1));
        if (scopeId < 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(Inet6Address.getByAddress(null, parsed.getAddress(), scopeId));
        } catch (UnknownHostException impossibleForSixteenBytes) {
            throw new AssertionError(impossibleForSixteenBytes);
        }
    }

    /**
     * A zone id as glibc reads it (RFC 4007 section 11): an interface name, mapped to its index
     * like {@code if_nametoindex}, or a decimal index.
     *
     * @return the scope id, or -1 for an empty zone or an interface that does not exist
     */
    private static int scopeId(String zone) {
        if (zone.isEmpty()) {
            return -1;
        }
        if (zone.length() <= 9 && zone.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Integer.parseInt(zone);
        }
        try {
            NetworkInterface nif = NetworkInterface.getByName(zone);
            return nif == null ? -1 : nif.getIndex();
        } catch (SocketException unreadableInterfaces) {
            return -1;
        }
    }

    /**
     * An address as Go and {@code ip} print it: dotted quad, or IPv6 in RFC 5952 form (section 4:
     * lower case, the longest run of zero groups as {@code ::}).
     */
    public static String format(InetAddress ip) {
        if (!(ip instanceof Inet6Address)) {
            return ip.getHostAddress();
        }
        byte[] bytes = ip.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        // RFC 5952 section 4.2: "::" replaces the longest run of two or more zero groups, the first if tied.
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && groups[i] == 0) {
                i++;
            }
            if (i - start > bestLength) {
                bestStart = start;
                bestLength = i - start;
            }
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }
}
