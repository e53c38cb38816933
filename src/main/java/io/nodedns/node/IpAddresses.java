package io.nodedns.node;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * IP addresses as {@code ip} and {@code iptables} read and print them. Parsing never asks a
 * resolver ({@link InetAddress#getByName} would look up anything that is not a literal), and
 * IPv6 is printed in RFC 5952 form ({@code fd00::10}), the form {@code ip} prints, so log lines
 * and {@code describe()} show what an operator sees in {@code ip addr}.
 */
final class IpAddresses {
    private IpAddresses() {
    }

    /** {@code 169.254.20.10}, {@code fd00::10} (RFC 5952 section 4: lower case, longest zero run as ::). */
    static String text(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        byte[] bytes = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        // RFC 5952 4.2.2/4.2.3: only a run of two or more zero groups is shortened, the longest,
        // the first of equal ones.
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
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

    /** The host prefix length {@code ip addr add} gets: 32 for IPv4, 128 for IPv6. */
    static int hostPrefixLength(InetAddress address) {
        return address instanceof Inet6Address ? 128 : 32;
    }

    /** {@code text/prefix} for one host: {@code 169.254.20.10/32}, {@code fd00::10/128}. */
    static String hostCidr(InetAddress address) {
        return text(address) + "/" + hostPrefixLength(address);
    }

    /** Parses an IPv4 or IPv6 literal as {@code ip} prints it; empty for anything else. */
    static Optional<InetAddress> parse(String text) {
        return text.indexOf(':') >= 0 ? parseIpv6(text) : parseIpv4(text);
    }

    private static Optional<InetAddress> parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return Optional.empty();
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return Optional.empty();
            }
            int value = Integer.parseInt(part);
            if (value > 255) {
                return Optional.empty();
            }
            bytes[i] = (byte) value;
        }
        try {
            return Optional.of(InetAddress.getByAddress(bytes));
        } catch (UnknownHostException impossibleForFourBytes) {
            throw new AssertionError(impossibleForFourBytes);
        }
    }

    private static Optional<InetAddress> parseIpv6(String text) {
        boolean literalCharacters = text.chars().allMatch(c -> c == ':' || c == '.'
                || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
        if (!literalCharacters) {
            return Optional.empty();
        }
        try {
            // In brackets the JDK accepts only an IPv6 literal and never asks a resolver.
            return Optional.of(InetAddress.getByName("[" + text + "]"));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }
}
