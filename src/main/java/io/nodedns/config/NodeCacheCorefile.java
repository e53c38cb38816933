package io.nodedns.config;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the node-local-dns ConfigMap's Corefile template ({@code -basecorefile}) into the Corefile
 * to serve, exactly as node-cache's {@code updateCorefile} does (kubernetes/dns
 * cmd/node-cache/app/configmap.go), so that an unchanged nodelocaldns.yaml keeps working:
 * <ol>
 *   <li>{@code __PILLAR__UPSTREAM__SERVERS__}: the kube-dns ConfigMap's {@code upstreamNameservers}
 *       joined with spaces, or, when it names none, the resolv.conf path (CoreDNS's forward reads
 *       it). With custom upstreams node-cache also turns the old template's
 *       {@code forward . __PILLAR__UPSTREAM__SERVERS__ { force_tcp }} into plain UDP forwarding;
 *       so does this.</li>
 *   <li>{@code __PILLAR__CLUSTER__DNS__}: the ClusterIP of {@code -upstreamsvc}, from the
 *       environment variable {@code <SVC>_SERVICE_HOST} ({@code toSvcEnv}).</li>
 *   <li>{@code __PILLAR__LOCAL__DNS__}: the {@code -localip} addresses joined with spaces.</li>
 *   <li>{@code __PILLAR__DNS__SERVER__}: removed (its addresses are all in {@code -localip}).</li>
 *   <li>one server block per stub domain appended, node-cache's {@code stubDomainBlock} template:
 *       {@code ZONE:PORT { errors; cache 30; bind LOCALIPS; forward . SERVERS }}.</li>
 * </ol>
 * {@code __PILLAR__DNS__DOMAIN__} is not node-cache's to replace: the nodelocaldns instructions
 * have the operator substitute it (and usually the local and DNS server ones) with sed.
 *
 * <p>Two deliberate differences, both where node-cache would go on with a broken Corefile:
 * a template still holding {@code __PILLAR__CLUSTER__DNS__} without a usable
 * {@code <SVC>_SERVICE_HOST} is an error (node-cache logs a warning and writes {@code <nil>},
 * which CoreDNS then refuses), and so is any other {@code __PILLAR__...__} left after substitution
 * (CoreDNS would serve a zone literally named after it). Stub domains are written in zone order
 * (Go's map order is random) so that the same inputs always give the same text and
 * {@link #write} only touches the file when something really changed.
 */
public final class NodeCacheCorefile {
    static final String UPSTREAM_SERVERS = "__PILLAR__UPSTREAM__SERVERS__";
    static final String CLUSTER_DNS = "__PILLAR__CLUSTER__DNS__";
    static final String LOCAL_DNS = "__PILLAR__LOCAL__DNS__";
    static final String DNS_SERVER = "__PILLAR__DNS__SERVER__";
    /** node-cache's defaultTTL for stub domain blocks ("cache TTL is 30s by default"). */
    static final int STUB_DOMAIN_CACHE_TTL = 30;

    /** configmap.go's upstreamTCPBlock, byte for byte: only this exact text is rewritten to UDP. */
    private static final String UPSTREAM_TCP_BLOCK = "\n    forward . " + UPSTREAM_SERVERS + " {\n"
            + "            force_tcp\n"
            + "    }\n";
    /** configmap.go's upstreamUDPBlock. */
    private static final String UPSTREAM_UDP_BLOCK = "\n    forward . " + UPSTREAM_SERVERS + "\n";
    private static final Pattern ANY_PILLAR = Pattern.compile("__PILLAR__(?:[A-Z0-9]+__)+");

    private NodeCacheCorefile() {
    }

    /**
     * Reads the template and the kube-dns ConfigMap and returns the Corefile text; writes nothing.
     *
     * @throws CorefileException if the template cannot be read or cannot be completed (see the
     *                           class comment), or the kube-dns ConfigMap is bad (naming its file)
     */
    public static String render(NodeCacheInputs in) throws CorefileException {
        return render(in, KubeDnsConfigMap.read(in.kubeDnsConfigDir()));
    }

    /**
     * As {@link #render(NodeCacheInputs)} with a kube-dns ConfigMap already read, e.g.
     * {@link KubeDnsConfigMap#EMPTY} to go on as node-cache does when the ConfigMap is bad: its
     * {@code Init} renders the template with an empty kube-dns config before reading the ConfigMap,
     * and a ConfigMap that fails to load or validate is logged and left out.
     */
    public static String render(NodeCacheInputs in, KubeDnsConfigMap kubeDns) throws CorefileException {
        String base = readTemplate(in.baseCorefile());
        String text = base;
        if (kubeDns.upstreamNameservers().isEmpty()) {
            // "forward plugin supports both nameservers as well as resolv.conf": node-cache writes the path.
            text = text.replace(UPSTREAM_SERVERS, corefileWord(in.resolvConf().toString()));
        } else {
            String servers = String.join(" ", kubeDns.upstreamNameservers());
            // "Use UDP to connect to custom upstream DNS servers."
            text = text.replace(UPSTREAM_TCP_BLOCK, UPSTREAM_UDP_BLOCK.replace(UPSTREAM_SERVERS, servers));
            text = text.replace(UPSTREAM_SERVERS, servers);
        }
        if (text.contains(CLUSTER_DNS)) {
            text = text.replace(CLUSTER_DNS, clusterDnsIp(in, base));
        }
        String localIps = addresses(in.localIps());
        text = text.replace(LOCAL_DNS, localIps);
        text = text.replace(DNS_SERVER, "");
        Matcher leftover = ANY_PILLAR.matcher(text);
        if (leftover.find()) {
            String marker = leftover.group();
            throw CorefileException.atFirst(in.baseCorefile().toString(), base, marker,
                    marker + " is not replaced by node-cache: substitute it before deploying, as the "
                            + "nodelocaldns instructions do with sed");
        }
        StringBuilder corefile = new StringBuilder(text);
        for (Map.Entry<String, List<String>> stub : kubeDns.stubDomains().entrySet()) {
            corefile.append(stubDomainBlock(stub.getKey(), in.dnsPort(), localIps, stub.getValue()));
        }
        return corefile.toString();
    }

    /**
     * Writes {@code text} to {@code dest} if it differs from what is there: into a temporary file
     * in the same directory, then renamed over {@code dest}, so that a reader (the reload watcher,
     * CoreDNS's reload) never sees half a Corefile.
     *
     * @return true if the file was written, false if it already held {@code text}; the caller logs
     *         the write, naming what it was rendered from
     */
    public static boolean write(Path dest, String text) throws IOException {
        Optional<String> current = readIfPresent(dest);
        if (current.isPresent() && current.get().equals(text)) {
            return false;
        }
        Path dir = dest.toAbsolutePath().getParent();
        Path temp = Files.createTempFile(dir, "." + dest.getFileName() + ".", ".tmp");
        try {
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            // node-cache writes the Corefile with mode 0666 (before umask); readable by all is what matters.
            temp.toFile().setReadable(true, false);
            try {
                Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, dest, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        return true;
    }

    private static String readTemplate(Path file) throws CorefileException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException unreadable) {
            throw new CorefileException(file.toString(), 0, null,
                    "cannot read the node-cache Corefile template (-basecorefile): " + unreadable, unreadable);
        }
    }

    private static Optional<String> readIfPresent(Path file) throws IOException {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException absent) {
            return Optional.empty();
        } catch (java.nio.charset.MalformedInputException notOurs) {
            return Optional.empty(); // not UTF-8, so not what we would write: replace it
        }
    }

    private static String clusterDnsIp(NodeCacheInputs in, String base) throws CorefileException {
        String variable = in.upstreamServiceHostVariable();
        String value = in.env().get(variable);
        String problem;
        if (value == null || value.isEmpty()) {
            problem = "environment variable " + variable + " is not set; Kubernetes sets it to the ClusterIP of "
                    + "the -upstreamsvc service \"" + in.upstreamService() + "\" in pods started after that "
                    + "service exists";
        } else {
            Optional<InetAddress> ip = value.indexOf('%') >= 0 ? Optional.empty() : IpLiterals.parse(value);
            if (ip.isPresent()) {
                return IpLiterals.format(ip.get());
            }
            problem = "environment variable " + variable + " is \"" + value + "\", not an IP address";
        }
        throw CorefileException.atFirst(in.baseCorefile().toString(), base, CLUSTER_DNS, CLUSTER_DNS + ": " + problem);
    }

    /** configmap.go's stubDomainBlock with node-cache's values filled in. */
    private static String stubDomainBlock(String zone, int port, String localIps, List<String> servers) {
        return "\n" + zone + ":" + port + " {\n"
                + "    errors\n"
                + "    cache " + STUB_DOMAIN_CACHE_TTL + "\n"
                + "    bind " + localIps + "\n"
                + "    forward . " + String.join(" ", servers) + "\n"
                + "}\n";
    }

    private static String addresses(List<InetAddress> ips) {
        List<String> words = new ArrayList<>();
        for (InetAddress ip : ips) {
            words.add(IpLiterals.format(ip));
        }
        return String.join(" ", words);
    }

    /** A Corefile word for {@code text}: as is, or quoted when the lexer would split or cut it. */
    static String corefileWord(String text) {
        boolean plain = !text.isEmpty() && text.chars().noneMatch(c -> Character.isWhitespace(c)
                || c == '"' || c == '#' || c == '{' || c == '}');
        // Inside quotes the lexer drops a backslash only before a quote; other characters stay as they are.
        return plain ? text : '"' + text.replace("\"", "\\\"") + '"';
    }
}
