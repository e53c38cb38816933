package io.nodedns.wire;

import java.io.ByteArrayOutputStream;
import java.util.Locale;

/** Conversions between presentation-form names and lower-cased wire names (RFC 1035 §3.1). */
public final class WireNames {
    private WireNames() {}

    /**
     * Encodes a presentation name such as {@code cluster.local.} or {@code .} to
     * lower-cased wire form. Escapes are not supported (zone names in a Corefile
     * do not need them).
     *
     * @throws IllegalArgumentException for an empty label or one longer than 63 bytes
     */
    public static byte[] toWire(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!n.isEmpty()) {
            for (String label : n.split("\\.", -1)) {
                byte[] bytes = label.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                if (bytes.length == 0 || bytes.length > DnsWire.MAX_LABEL_LENGTH) {
                    throw new IllegalArgumentException("bad label in name: " + name);
                }
                out.write(bytes.length);
                out.write(bytes, 0, bytes.length);
            }
        }
        out.write(0);
        if (out.size() > DnsWire.MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("name too long: " + name);
        }
        return out.toByteArray();
    }

    /** Presentation form of an uncompressed wire name, for logs. */
    public static String toText(byte[] wire, int offset, int length) {
        StringBuilder sb = new StringBuilder();
        int p = offset;
        int end = offset + length;
        while (p < end) {
            int len = wire[p] & 0xFF;
            if (len == 0) {
                break;
            }
            for (int i = 1; i <= len && p + i < end; i++) {
                char c = (char) (wire[p + i] & 0xFF);
                if (c == '.' || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c < 0x21 || c > 0x7E) {
                    sb.append('\\').append(String.format("%03d", (int) c));
                } else {
                    sb.append(c);
                }
            }
            sb.append('.');
            p += len + 1;
        }
        return sb.length() == 0 ? "." : sb.toString();
    }
}
