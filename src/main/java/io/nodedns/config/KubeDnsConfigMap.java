package io.nodedns.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The two keys of the kube-dns ConfigMap that node-cache honours, as mounted into the pod at
 * {@code -kubednscm} (one file per key, see nodelocaldns.yaml's {@code kube-dns-config} volume):
 * <ul>
 *   <li>{@code stubDomains}: a JSON object, zone to a list of name servers, e.g.
 *       {@code {"acme.local": ["1.2.3.4", "5.6.7.8:5353"]}};</li>
 *   <li>{@code upstreamNameservers}: a JSON array of at most three name servers, e.g.
 *       {@code ["8.8.8.8", "8.8.4.4"]}, replacing the node's resolv.conf for names outside the
 *       cluster.</li>
 * </ul>
 * A name server is {@code IP}, {@code IP:PORT} or {@code [IPV6]:PORT}. Either file may be missing,
 * and so may the whole directory (the volume is {@code optional: true}): then there are no stub
 * domains and the node's resolv.conf is used. Hidden files (the {@code ..data} symlinks of a
 * ConfigMap volume) and other keys ({@code federations}) are ignored, as node-cache ignores them.
 *
 * <p>Checks follow kube-dns {@code pkg/dns/config}: JSON decoded strictly into
 * {@code map[string][]string} / {@code []string} (Go's encoding/json), {@code validateStubDomains}
 * (a stub domain must be a DNS-1123 subdomain), {@code validateUpstreamNameserver} (at most three),
 * and node-cache's {@code ValidateNodeLocalCacheConfig} (every server must be an address
 * CoreDNS's forward accepts; host names are not, CoreDNS would not resolve them). Where node-cache
 * logs and ignores a bad ConfigMap, this throws a {@link CorefileException} naming the file (and
 * line), so the caller decides; see {@link NodeCacheCorefile}.
 *
 * @param stubDomains         zone (as written: a DNS-1123 subdomain) to its name servers (as written), sorted
 *                            by zone so the rendered Corefile does not change between reads
 * @param upstreamNameservers the name servers as written; empty for "use resolv.conf"
 */
public record KubeDnsConfigMap(Map<String, List<String>> stubDomains, List<String> upstreamNameservers) {

    /** The ConfigMap key (mounted file name) holding stub domains. */
    public static final String STUB_DOMAINS = "stubDomains";
    /** The ConfigMap key (mounted file name) holding upstream name servers. */
    public static final String UPSTREAM_NAMESERVERS = "upstreamNameservers";
    /** kube-dns {@code validateUpstreamNameserver}: "cannot have more than three entries". */
    static final int MAX_UPSTREAM_NAMESERVERS = 3;

    /** No ConfigMap: no stub domains, upstreams from resolv.conf. */
    public static final KubeDnsConfigMap EMPTY = new KubeDnsConfigMap(Map.of(), List.of());

    /** RFC 1123 label as Kubernetes validates it (IsDNS1123Subdomain): lower case, digits, '-'. */
    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    /** IsDNS1123Subdomain's length limit. */
    private static final int DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
    private static final int DNS_LABEL_MAX_LENGTH = 63;

    public KubeDnsConfigMap {
        Map<String, List<String>> copy = new TreeMap<>();
        stubDomains.forEach((zone, servers) -> copy.put(zone, List.copyOf(servers)));
        stubDomains = Collections.unmodifiableMap(copy);
        upstreamNameservers = List.copyOf(upstreamNameservers);
    }

    /**
     * Reads the mounted ConfigMap directory.
     *
     * @param dir the {@code -kubednscm} directory; null or missing means no ConfigMap
     * @throws CorefileException naming the file (and line) if {@code dir} is not a directory, or a
     *                           file cannot be read or holds malformed JSON, the wrong JSON types,
     *                           or an invalid zone or server
     */
    public static KubeDnsConfigMap read(Path dir) throws CorefileException {
        if (dir == null || Files.notExists(dir)) {
            return EMPTY;
        }
        if (!Files.isDirectory(dir)) {
            // kube-dns's directory sync: "config path %q is not a directory".
            throw new CorefileException(dir.toString(), 0, null,
                    "not a directory (-kubednscm names the directory the kube-dns ConfigMap is mounted on)");
        }
        Path stubFile = dir.resolve(STUB_DOMAINS);
        Path upstreamFile = dir.resolve(UPSTREAM_NAMESERVERS);
        String stubText = readIfPresent(stubFile);
        String upstreamText = readIfPresent(upstreamFile);
        Map<String, List<String>> stubDomains = stubText == null ? Map.of() : stubDomains(stubFile, stubText);
        List<String> upstreams = upstreamText == null ? List.of() : upstreamNameservers(upstreamFile, upstreamText);
        return new KubeDnsConfigMap(stubDomains, upstreams);
    }

    private static String readIfPresent(Path file) throws CorefileException {
        try {
            // kube-dns's directory sync refuses non-UTF-8 data ("non-utf8 data in FILE").
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (NoSuchFileException absent) {
            return null;
        } catch (CharacterCodingException notUtf8) {
            throw new CorefileException(file.toString(), 0, null, "not UTF-8 text", notUtf8);
        } catch (IOException unreadable) {
            throw new CorefileException(file.toString(), 0, null, "cannot read: " + unreadable, unreadable);
        }
    }

    private static Map<String, List<String>> stubDomains(Path file, String text) throws CorefileException {
        Object json = json(file, text);
        if (json == null) {
            return Map.of(); // Go decodes null into a nil map
        }
        if (!(json instanceof Map)) {
            throw wrongType(file, null, "a JSON object of zone to name server list", json);
        }
        Map<String, List<String>> zones = new TreeMap<>();
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) json).entrySet()) {
            String zone = (String) entry.getKey();
            List<String> servers = stringList(file, "stub domain \"" + zone + "\"", entry.getValue());
            if (!isDns1123Subdomain(zone)) {
                throw invalid(file, text, zone, "invalid domain name: \"" + zone + "\" (kube-dns wants a "
                        + "lower-case DNS-1123 subdomain, e.g. \"acme.local\")");
            }
            for (String server : servers) {
                checkNameserver(file, text, "stub domain \"" + zone + "\"", server);
            }
            // kube-dns would accept an empty list; CoreDNS's forward would not start without a target.
            if (servers.isEmpty()) {
                throw invalid(file, text, zone, "stub domain \"" + zone + "\" has no name servers");
            }
            zones.put(zone, servers);
        }
        return zones;
    }

    private static List<String> upstreamNameservers(Path file, String text) throws CorefileException {
        List<String> servers = stringList(file, UPSTREAM_NAMESERVERS, json(file, text));
        if (servers.size() > MAX_UPSTREAM_NAMESERVERS) {
            throw new CorefileException(file.toString(), 0, null,
                    "upstreamNameserver cannot have more than three entries (has " + servers.size() + ")");
        }
        for (String server : servers) {
            checkNameserver(file, text, UPSTREAM_NAMESERVERS, server);
        }
        return servers;
    }

    private static Object json(Path file, String text) throws CorefileException {
        try {
            return JsonReader.parse(text);
        } catch (JsonReader.JsonSyntaxException e) {
            throw new CorefileException(file.toString(), e.line(), null,
                    "invalid JSON at column " + e.column() + ": " + e.problem(), e);
        }
    }

    /** A Go {@code []string}: null (nil) or an array of strings. */
    private static List<String> stringList(Path file, String what, Object json) throws CorefileException {
        if (json == null) {
            return List.of();
        }
        if (!(json instanceof List)) {
            throw wrongType(file, what, "a JSON array of name servers", json);
        }
        List<String> strings = new ArrayList<>();
        for (Object element : (List<?>) json) {
            if (!(element instanceof String)) {
                throw wrongType(file, what, "name servers as JSON strings", element);
            }
            strings.add((String) element);
        }
        return strings;
    }

    /**
     * The forms CoreDNS's forward takes as a node-cache upstream ({@code parse.HostPortOrFile}
     * without the file case, which would read a file of the node-cache container).
     */
    private static void checkNameserver(Path file, String text, String what, String server)
            throws CorefileException {
        if (!isNameserver(server)) {
            throw invalid(file, text, server, what + ": invalid nameserver: \"" + server
                    + "\" (want IP, IP:PORT or [IPv6]:PORT)");
        }
    }

    static boolean isNameserver(String server) {
        if (server.indexOf('%') >= 0) {
            return false; // a zone id belongs to one node's interfaces, not to a cluster-wide ConfigMap
        }
        if (IpLiterals.parse(server).isPresent()) {
            return true;
        }
        // HostPorts reads an empty host as "every address" and knows "localhost"; neither names a server.
        return HostPorts.parse(server).isPresent() && !server.startsWith(":") && !server.startsWith("localhost:");
    }

    /** Kubernetes' IsDNS1123Subdomain. */
    static boolean isDns1123Subdomain(String name) {
        if (name.isEmpty() || name.length() > DNS1123_SUBDOMAIN_MAX_LENGTH) {
            return false;
        }
        for (String label : name.split("\\.", -1)) {
            // Kubernetes checks only the total length; a label over 63 octets is no DNS name at all
            // (RFC 1035 section 2.3.4), and CoreDNS would refuse the zone in the rendered Corefile.
            if (label.length() > DNS_LABEL_MAX_LENGTH || !DNS1123_LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    /** Go's "cannot unmarshal X into Go value of type Y", said for people. */
    private static CorefileException wrongType(Path file, String what, String expected, Object found) {
        return new CorefileException(file.toString(), 0, null,
                (what == null ? "" : what + ": ") + "want " + expected + ", found " + jsonType(found));
    }

    /** An error at the line where {@code value} first appears quoted in {@code text}, if it does. */
    private static CorefileException invalid(Path file, String text, String value, String problem) {
        return CorefileException.atFirst(file.toString(), text, '"' + value + '"', problem);
    }

    private static String jsonType(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Map) {
            return "an object";
        }
        if (value instanceof List) {
            return "an array";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        return "a number";
    }
}
