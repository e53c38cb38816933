package io.nodedns.config;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The parts of a resolv.conf file (man 5 resolv.conf) that nodedns uses: name servers, the search
 * list and {@code ndots}.
 *
 * <p>Read the way glibc reads it, except that every {@code nameserver} is kept rather than the
 * first three, as CoreDNS's {@code forward . /etc/resolv.conf} does:
 * <ul>
 *   <li>lines whose first non-blank character is {@code #} or {@code ;} are comments, and so is
 *       anything from a word starting with one of them to the end of the line;</li>
 *   <li>{@code nameserver ADDRESS}: an IPv4 or IPv6 literal, IPv6 optionally with a zone id
 *       ({@code fe80::1%eth0}); lines that do not hold one are skipped (with a warning);</li>
 *   <li>{@code search DOMAIN...} and {@code domain DOMAIN} both set the search list, the last such
 *       line wins; domains are kept as written;</li>
 *   <li>{@code options ndots:N}: N is capped at 15 like glibc; malformed values are ignored.</li>
 * </ul>
 * Nothing is ever resolved: addresses are literals.
 */
public final class ResolvConf {
    private static final Logger LOG = Logger.getLogger(ResolvConf.class.getName());

    /** glibc's RES_MAXNDOTS. */
    static final int MAX_NDOTS = 15;
    static final int DEFAULT_NDOTS = 1;

    private final List<InetAddress> nameservers;
    private final List<String> search;
    private final int ndots;

    private ResolvConf(List<InetAddress> nameservers, List<String> search, int ndots) {
        this.nameservers = List.copyOf(nameservers);
        this.search = List.copyOf(search);
        this.ndots = ndots;
    }

    /** Reads and parses {@code file} (UTF-8; resolv.conf is ASCII in practice). */
    public static ResolvConf parse(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** Parses resolv.conf text; never fails, malformed lines are skipped. */
    public static ResolvConf parse(String text) {
        List<InetAddress> nameservers = new ArrayList<>();
        List<String> search = List.of();
        int ndots = DEFAULT_NDOTS;
        for (String line : text.split("\n", -1)) {
            List<String> words = words(line);
            if (words.isEmpty()) {
                continue;
            }
            List<String> args = words.subList(1, words.size());
            switch (words.get(0)) {
                case "nameserver":
                    Optional<InetAddress> address = args.isEmpty() ? Optional.empty() : IpLiterals.parse(args.get(0));
                    if (address.isPresent()) {
                        nameservers.add(address.get());
                    } else {
                        LOG.warning("resolv.conf: ignoring malformed line: " + line.strip());
                    }
                    break;
                case "search":
                    search = List.copyOf(args);
                    break;
                case "domain":
                    search = args.isEmpty() ? List.of() : List.of(args.get(0));
                    break;
                case "options":
                    ndots = ndotsOption(args, ndots);
                    break;
                default:
                    // sortlist, unknown keywords: not needed by a forwarder.
                    break;
            }
        }
        return new ResolvConf(nameservers, search, ndots);
    }

    /** The words of a line, up to the first word that starts a comment. */
    private static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        for (String word : line.strip().split("\\s+")) {
            if (word.isEmpty()) {
                continue;
            }
            if (word.charAt(0) == '#' || word.charAt(0) == ';') {
                break;
            }
            words.add(word);
        }
        return words;
    }

    private static int ndotsOption(List<String> options, int current) {
        int ndots = current;
        for (String option : options) {
            if (!option.startsWith("ndots:")) {
                continue;
            }
            String value = option.substring("ndots:".length());
            if (value.isEmpty() || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                continue;
            }
            // Long digit strings are capped rather than overflowing.
            String digits = value.replaceFirst("^0+(?=.)", "");
            ndots = digits.length() > 2 ? MAX_NDOTS : Math.min(Integer.parseInt(digits), MAX_NDOTS);
        }
        return ndots;
    }

    /** The {@code nameserver} addresses in file order; possibly empty. */
    public List<InetAddress> nameservers() {
        return nameservers;
    }

    /** The search list from the last {@code search} or {@code domain} line; possibly empty. */
    public List<String> search() {
        return search;
    }

    /** {@code options ndots:N}, 0 to 15; 1 when absent. */
    public int ndots() {
        return ndots;
    }

    @Override
    public String toString() {
        return "ResolvConf[nameservers=" + nameservers + ", search=" + search + ", ndots=" + ndots + "]";
    }
}
