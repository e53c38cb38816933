package io.nodedns.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses server block keys: {@code [dns://]ZONE[:PORT]}, several per word when separated by commas
 * ({@code cluster.local:53,in-addr.arpa:53}).
 */
final class ServerKeys {
    private ServerKeys() {
    }

    /** @throws CorefileException naming the key and what is wrong with it */
    static List<ServerKey> parse(Token word, ParseContext context) throws CorefileException {
        List<ServerKey> keys = new ArrayList<>();
        for (String key : word.text().split(",")) {
            if (!key.isEmpty()) {
                keys.add(parseOne(key, word.line(), context));
            }
        }
        return keys;
    }

    private static ServerKey parseOne(String key, int line, ParseContext context) throws CorefileException {
        String rest = key;
        int schemeEnd = key.indexOf("://");
        if (schemeEnd >= 0) {
            String scheme = key.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
            if (!scheme.equals("dns")) {
                throw keyError(context, line, key, "transport '" + scheme + "' is not supported (only dns://)");
            }
            rest = key.substring(schemeEnd + 3);
        }
        if (rest.startsWith("[")) {
            throw keyError(context, line, key, "an IP address is not a zone");
        }
        int port = context.defaultPort();
        int colon = rest.lastIndexOf(':');
        if (colon >= 0) {
            port = parsePort(rest.substring(colon + 1));
            if (port < 0) {
                throw keyError(context, line, key, "invalid port " + GoDuration.quote(rest.substring(colon + 1)));
            }
            rest = rest.substring(0, colon);
        }
        if (rest.isEmpty()) {
            throw keyError(context, line, key, "missing zone (write '.' for the root)");
        }
        try {
            return new ServerKey(Zones.normalize(rest), port);
        } catch (IllegalArgumentException badZone) {
            throw keyError(context, line, key, badZone.getMessage());
        }
    }

    /** @return the port, or -1 if {@code text} is not a decimal number from 0 to 65535 */
    static int parsePort(String text) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        int port = Integer.parseInt(text);
        return port <= 65535 ? port : -1;
    }

    private static CorefileException keyError(ParseContext context, int line, String key, String problem) {
        return context.error(line, null, "server block key " + GoDuration.quote(key) + ": " + problem);
    }
}
