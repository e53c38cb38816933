package io.nodedns.app;

import io.nodedns.config.GoDuration;
import io.nodedns.config.HostPorts;
import io.nodedns.config.InterfaceNames;
import io.nodedns.config.NodeCacheInputs;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The command line: node-cache's flags with node-cache's names and defaults (kubernetes/dns
 * cmd/node-cache/main.go {@code parseAndValidateFlags}, plus the CoreDNS flags node-cache passes
 * through: {@code -conf}, {@code -dns.port}, {@code -pidfile}, {@code -version}), so that the
 * DaemonSet of nodelocaldns.yaml runs unchanged, and nodedns's own {@code -resolv-conf} and
 * {@code -check}.
 *
 * <p>Syntax is Go's flag package: {@code -name=value} or {@code -name value}, one or two leading
 * dashes; booleans as {@code -name} or {@code -name=VALUE} with VALUE one of Go's
 * {@code strconv.ParseBool} spellings (never {@code -name false}: Go reads that as a stray
 * argument); {@code --} ends the flags; a flag given twice keeps its last value. Errors use Go's
 * wording ({@code flag provided but not defined: -x}, {@code invalid value "x" for flag -y: why}).
 *
 * <p>Node mode is {@code -localip} given: the Corefile is then rendered from {@code -basecorefile}
 * as node-cache does (see {@link io.nodedns.config.NodeCacheCorefile}) and served from
 * {@link #servedCorefile()}. Without {@code -localip} and {@code -conf}, nodedns runs its laptop
 * default.
 *
 * @param conf              {@code -conf}: the Corefile to serve; null when absent
 * @param resolvConf        {@code -resolv-conf} (or $NODEDNS_RESOLV_CONF): the node's resolvers, for
 *                          the laptop default and node-cache's {@code __PILLAR__UPSTREAM__SERVERS__}
 * @param dnsPort           {@code -dns.port}: the port of server keys that name none; null when absent
 * @param metricsListenAddress {@code -metrics-listen-address} as given, or null when absent
 * @param version           {@code -version}
 * @param help              {@code -h}, {@code -help}
 * @param check             {@code -check} (or {@code -validate}): validate the configuration and exit,
 *                          binding nothing
 * @param localIps          {@code -localip}: the node-local addresses; empty outside node mode
 * @param baseCorefile      {@code -basecorefile}: the node-local-dns ConfigMap's Corefile template
 * @param corefile          {@code -corefile}: where node mode writes the rendered Corefile unless
 *                          {@code -conf} names another file
 * @param kubeDnsConfigDir  {@code -kubednscm}: the mounted kube-dns ConfigMap directory
 * @param upstreamService   {@code -upstreamsvc}: the Service whose ClusterIP is kube-dns for node-cache
 * @param setupInterface    {@code -setupinterface}: create the dummy interface holding {@link #localIps}
 * @param interfaceName     {@code -interfacename}: that interface's name
 * @param setupIptables     {@code -setupiptables}: install the NOTRACK and ACCEPT rules
 * @param setupEbtables     {@code -setupebtables}: install the ebtables broute rules
 * @param skipTeardown      {@code -skipteardown}: leave interface and rules in place on exit
 * @param syncInterval      {@code -syncinterval}: how often interface and rules are re-ensured
 * @param initialDelay      {@code -initialdelay}: node-cache's delay before configuring iptables
 * @param healthPort        {@code -health-port}: the health port the iptables rules exempt from conntrack
 * @param pidfile           {@code -pidfile}: where to write the process id once serving; null for nowhere
 * @param cacheDir          {@code -cache-dir}: where the caches are saved at stop and loaded at start (warm
 *                          restart); null (the default) for never
 * @param nodeFlagsGiven    the node-mode-only flags given, as {@code -name}, in command line order
 */
public record CommandLine(Path conf, Path resolvConf, Integer dnsPort, String metricsListenAddress, boolean version,
                          boolean help, boolean check, List<InetAddress> localIps, Path baseCorefile,
                          Path corefile, Path kubeDnsConfigDir, String upstreamService, boolean setupInterface,
                          String interfaceName, boolean setupIptables, boolean setupEbtables, boolean skipTeardown,
                          Duration syncInterval, Duration initialDelay, int healthPort, Path pidfile,
                          Path cacheDir, List<String> nodeFlagsGiven) {

    /** Environment variable that overrides the resolv.conf path (tests point it at their own server). */
    public static final String RESOLV_CONF_ENV = "NODEDNS_RESOLV_CONF";
    public static final Path DEFAULT_RESOLV_CONF = Path.of("/etc/resolv.conf");
    // node-cache's defaults (main.go; configmap.go's DefaultKubednsCMPath).
    public static final Path DEFAULT_BASE_COREFILE = Path.of("/etc/coredns/Corefile.base");
    public static final Path DEFAULT_COREFILE = Path.of("/etc/Corefile");
    public static final Path DEFAULT_KUBE_DNS_CONFIG_DIR = Path.of("/etc/kube-dns");
    public static final String DEFAULT_UPSTREAM_SERVICE = "kube-dns";
    public static final String DEFAULT_INTERFACE_NAME = "nodelocaldns";
    public static final Duration DEFAULT_SYNC_INTERVAL = Duration.ofSeconds(60);
    public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofSeconds(10);
    public static final int DEFAULT_HEALTH_PORT = 8080;

    /** node-cache's default for {@code -metrics-listen-address}. */
    static final String NODE_METRICS_ADDRESS = "0.0.0.0:9353";
    /** The laptop default's: loopback only, a laptop's metrics are nobody else's business. */
    static final String LAPTOP_METRICS_ADDRESS = "127.0.0.1:9353";

    static final String USAGE = String.join("\n",
            "Usage: java -jar nodedns.jar [flags]",
            "Without -localip and -conf: the laptop default, a cache on 127.0.0.1:5353 forwarding to the",
            "resolvers of resolv.conf. With -localip: node mode, as node-cache of node-local-dns.",
            "",
            "  -localip IP[,IP...]     node-local addresses, IPv4, IPv6 or both; turns node mode on",
            "  -conf FILE              Corefile to serve; in node mode also where the rendered",
            "                          template is written (default: -corefile in node mode)",
            "  -basecorefile FILE      Corefile template of the node-local-dns ConfigMap",
            "                          (default /etc/coredns/Corefile.base)",
            "  -corefile FILE          where node mode writes the rendered Corefile (default /etc/Corefile)",
            "  -kubednscm DIR          mounted kube-dns ConfigMap: stubDomains, upstreamNameservers",
            "                          (default /etc/kube-dns)",
            "  -upstreamsvc NAME       Service whose ClusterIP ($NAME_SERVICE_HOST) replaces",
            "                          __PILLAR__CLUSTER__DNS__ (default kube-dns)",
            "  -setupinterface[=BOOL]  create the interface holding the local IPs (default true)",
            "  -interfacename NAME     that interface's name (default nodelocaldns)",
            "  -setupiptables[=BOOL]   install NOTRACK/ACCEPT rules for the local IPs (default true)",
            "  -setupebtables[=BOOL]   install ebtables broute rules (default false)",
            "  -skipteardown[=BOOL]    keep interface and rules on exit (default false)",
            "  -syncinterval DURATION  how often interface and rules are checked; seconds or a Go",
            "                          duration (default 60s)",
            "  -initialdelay DURATION  accepted for node-cache; not needed: the rules go in as soon as",
            "                          the listeners are bound (default 10s)",
            "  -health-port N          health port exempted from conntrack (default 8080)",
            "  -metrics-listen-address [HOST]:PORT",
            "                          where coredns_nodecache_setup_errors_total is served (default",
            "                          0.0.0.0:9353 with -conf or -localip, 127.0.0.1:9353 without;",
            "                          \"\" for nowhere)",
            "  -pidfile FILE           write the process id there once serving (default: none)",
            "  -cache-dir DIR          save the caches there at stop and load them at start, so a",
            "                          restart begins warm (default: none)",
            "  -dns.port N             port of server blocks that name none (default 53;",
            "                          the laptop default listens on 5353)",
            "  -resolv-conf FILE       the node's resolvers (default /etc/resolv.conf, or $" + RESOLV_CONF_ENV + ")",
            "  -check, -validate       parse and validate the configuration, print the first problem",
            "                          as FILE:LINE, exit 0 (valid) or 1 (not); binds nothing",
            "  -version                print the version and exit",
            "  -h, -help               print this help and exit",
            "Flags take one or two dashes and -flag=value or -flag value; booleans -flag or -flag=false.");

    /**
     * Flags that mean something only in node mode: node-cache has no other mode, so a DaemonSet
     * that lost its {@code -localip} must not quietly run as a plain forwarder.
     */
    static final java.util.Set<String> NODE_ONLY_FLAGS = java.util.Set.of("basecorefile", "corefile", "kubednscm",
            "upstreamsvc", "setupinterface", "interfacename", "setupiptables", "setupebtables", "skipteardown",
            "syncinterval", "initialdelay", "health-port");

    public CommandLine {
        localIps = List.copyOf(localIps);
        nodeFlagsGiven = List.copyOf(nodeFlagsGiven);
    }

    /** A command line that cannot be run; the message says why (exit code 2). */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** Parses {@code args}; {@code env} is consulted for {@value #RESOLV_CONF_ENV} only. */
    public static CommandLine parse(String[] args, Map<String, String> env) throws UsageException {
        Values values = new Values();
        String resolvFromEnv = env.get(RESOLV_CONF_ENV);
        if (resolvFromEnv != null && !resolvFromEnv.isEmpty()) {
            values.resolvConf = Path.of(resolvFromEnv);
        }
        Map<String, Flag> flags = flags();
        int i = 0;
        while (i < args.length) {
            String arg = args[i++];
            // Go's FlagSet.parseOne: "-" and words without a dash end the flags, "--" is consumed.
            if (arg.length() < 2 || arg.charAt(0) != '-') {
                throw new UsageException("unexpected argument: " + arg);
            }
            if (arg.equals("--")) {
                if (i < args.length) {
                    throw new UsageException("unexpected argument: " + args[i]);
                }
                break;
            }
            String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            if (body.isEmpty() || body.charAt(0) == '-' || body.charAt(0) == '=') {
                throw new UsageException("bad flag syntax: " + arg);
            }
            int eq = body.indexOf('=');
            String name = eq < 0 ? body : body.substring(0, eq);
            String inline = eq < 0 ? null : body.substring(eq + 1);
            Flag flag = flags.get(name);
            if (flag == null) {
                throw new UsageException("flag provided but not defined: -" + name);
            }
            if (NODE_ONLY_FLAGS.contains(name) && !values.nodeFlagsGiven.contains("-" + name)) {
                values.nodeFlagsGiven.add("-" + name);
            }
            if (flag.bool()) {
                String text = inline == null ? "true" : inline;
                Boolean value = parseGoBool(text);
                if (value == null) {
                    throw new UsageException("invalid boolean value \"" + text + "\" for -" + name
                            + ": parse error (want true or false)");
                }
                flag.setter().set(values, value.toString());
                continue;
            }
            String value = inline;
            if (value == null) {
                // Go takes the next word whatever it looks like: "-conf -x" sets conf to "-x".
                if (i >= args.length) {
                    throw new UsageException("flag needs an argument: -" + name);
                }
                value = args[i++];
            }
            try {
                flag.setter().set(values, value);
            } catch (IllegalArgumentException invalid) {
                throw new UsageException("invalid value \"" + value + "\" for flag -" + name + ": "
                        + invalid.getMessage());
            }
        }
        return values.toCommandLine();
    }

    /** Node mode: {@code -localip} was given, as every node-cache DaemonSet does. */
    public boolean nodeMode() {
        return !localIps.isEmpty();
    }

    /**
     * The Corefile the daemon serves: {@code -conf} if given, else in node mode {@code -corefile}
     * (node-cache's main.go lets {@code -conf} override {@code -corefile}); null for the laptop
     * default. In node mode it is also where the rendered template is written.
     */
    public Path servedCorefile() {
        if (conf != null) {
            return conf;
        }
        return nodeMode() ? corefile : null;
    }

    /**
     * Why this command line must not start, if it must not: node-mode flags without {@code -localip}
     * (node-cache refuses to start without it: its flag check rejects the empty address), or
     * {@code -setupebtables}, which nodedns does not do. Empty when it may start.
     */
    public Optional<String> nodeSetupRefusal() {
        if (!nodeMode() && !nodeFlagsGiven.isEmpty()) {
            return Optional.of("-localip is required with " + String.join(", ", nodeFlagsGiven)
                    + ": they configure node mode, and -localip names the addresses it serves");
        }
        if (nodeMode() && setupEbtables) {
            return Optional.of("-setupebtables=true: nodedns does not install ebtables broute rules (node-cache's "
                    + "option for pods behind a bridge that must not see the local addresses); run with "
                    + "-setupebtables=false");
        }
        return Optional.empty();
    }

    /**
     * What node-cache's Corefile rendering reads, from these flags and {@code env} (for
     * {@code <SVC>_SERVICE_HOST}).
     *
     * @throws IllegalStateException outside node mode
     */
    public NodeCacheInputs nodeCacheInputs(Map<String, String> env) {
        if (!nodeMode()) {
            throw new IllegalStateException("node-cache inputs exist only in node mode (-localip)");
        }
        return new NodeCacheInputs(baseCorefile, kubeDnsConfigDir, upstreamService, env, localIps,
                dnsPort != null ? dnsPort : Main.DEFAULT_DNS_PORT, resolvConf);
    }

    /**
     * Where node-cache's setup error metric is served: the flag's address, else node-cache's
     * default with {@code -conf} or in node mode and loopback without; null (nowhere) for an
     * empty flag value.
     */
    public InetSocketAddress setupMetricsAddress() {
        String value = metricsListenAddress != null ? metricsListenAddress
                : conf != null || nodeMode() ? NODE_METRICS_ADDRESS : LAPTOP_METRICS_ADDRESS;
        return value.isEmpty() ? null : HostPorts.parse(value).orElseThrow();
    }

    /** Every flag name, aliases included, in definition order (USAGE must list them all). */
    static java.util.Set<String> flagNames() {
        return flags().keySet();
    }

    /** The flags by every name they answer to. */
    private static Map<String, Flag> flags() {
        Map<String, Flag> flags = new LinkedHashMap<>();
        value(flags, "localip", (v, s) -> v.localIps = NodeCacheInputs.parseLocalIps(s));
        // CoreDNS reads an empty -conf as "not given"; so does nodedns.
        value(flags, "conf", (v, s) -> v.conf = s.isEmpty() ? null : Path.of(s));
        value(flags, "basecorefile", (v, s) -> v.baseCorefile = path(s));
        value(flags, "corefile", (v, s) -> v.corefile = path(s));
        // node-cache's initDNSConfigSync falls back to /etc/kube-dns for an empty -kubednscm.
        value(flags, "kubednscm", (v, s) -> v.kubeDnsConfigDir = s.isEmpty() ? DEFAULT_KUBE_DNS_CONFIG_DIR : Path.of(s));
        value(flags, "upstreamsvc", (v, s) -> v.upstreamService = serviceName(s));
        bool(flags, "setupinterface", (v, s) -> v.setupInterface = Boolean.parseBoolean(s));
        value(flags, "interfacename", (v, s) -> v.interfaceName = interfaceName(s));
        bool(flags, "setupiptables", (v, s) -> v.setupIptables = Boolean.parseBoolean(s));
        bool(flags, "setupebtables", (v, s) -> v.setupEbtables = Boolean.parseBoolean(s));
        bool(flags, "skipteardown", (v, s) -> v.skipTeardown = Boolean.parseBoolean(s));
        value(flags, "syncinterval", (v, s) -> v.syncInterval = interval(s, false));
        value(flags, "initialdelay", (v, s) -> v.initialDelay = interval(s, true));
        value(flags, "health-port", (v, s) -> v.healthPort = port(s));
        value(flags, "metrics-listen-address", (v, s) -> v.metricsListenAddress = listenAddress(s));
        value(flags, "pidfile", (v, s) -> v.pidfile = s.isEmpty() ? null : Path.of(s));
        value(flags, "cache-dir", (v, s) -> v.cacheDir = s.isEmpty() ? null : Path.of(s));
        value(flags, "dns.port", (v, s) -> v.dnsPort = port(s));
        value(flags, "resolv-conf", (v, s) -> v.resolvConf = s.isEmpty() ? DEFAULT_RESOLV_CONF : Path.of(s));
        bool(flags, "check", (v, s) -> v.check = Boolean.parseBoolean(s));
        flags.put("validate", flags.get("check"));
        bool(flags, "version", (v, s) -> v.version = Boolean.parseBoolean(s));
        bool(flags, "h", (v, s) -> v.help = Boolean.parseBoolean(s));
        flags.put("help", flags.get("h"));
        return flags;
    }

    private static void value(Map<String, Flag> flags, String name, Setter setter) {
        flags.put(name, new Flag(false, setter));
    }

    private static void bool(Map<String, Flag> flags, String name, Setter setter) {
        flags.put(name, new Flag(true, setter));
    }

    /** Sets one flag's value; throws IllegalArgumentException saying why a value is invalid. */
    @FunctionalInterface
    private interface Setter {
        void set(Values values, String text);
    }

    private record Flag(boolean bool, Setter setter) {
    }

    /** Go's strconv.ParseBool, which the flag package uses; null for anything else. */
    static Boolean parseGoBool(String text) {
        switch (text) {
            case "1": case "t": case "T": case "TRUE": case "true": case "True":
                return Boolean.TRUE;
            case "0": case "f": case "F": case "FALSE": case "false": case "False":
                return Boolean.FALSE;
            default:
                return null;
        }
    }

    private static Path path(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty path");
        }
        return Path.of(text);
    }

    private static int port(String text) {
        // Digits only: Integer.parseInt would also take "+53" and "-0", which no port number is.
        if (!text.isEmpty() && text.length() <= 5 && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            int port = Integer.parseInt(text);
            if (port <= 65535) {
                return port;
            }
        }
        throw new IllegalArgumentException("not a port number (0 to 65535)");
    }

    /**
     * node-cache declares {@code -syncinterval} as a Go duration but multiplies it by a second
     * (cache_app.go {@code time.NewTicker(c.params.Interval * time.Second)}), so its documented
     * unit is seconds; a bare number is read as seconds and anything else as a Go duration.
     */
    private static Duration interval(String text, boolean zeroAllowed) {
        Duration duration;
        if (!text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            if (text.length() > 12) {
                throw new IllegalArgumentException("too large");
            }
            duration = Duration.ofSeconds(Long.parseLong(text));
        } else {
            duration = GoDuration.parse(text); // its message quotes the text and says what is wrong
        }
        if (duration.isNegative() || (!zeroAllowed && duration.isZero())) {
            throw new IllegalArgumentException(zeroAllowed ? "must not be negative" : "must be positive");
        }
        return duration;
    }

    private static String listenAddress(String text) {
        if (!text.isEmpty() && HostPorts.parse(text).isEmpty()) {
            throw new IllegalArgumentException("not [HOST]:PORT with HOST an IP or localhost");
        }
        return text;
    }

    private static String serviceName(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty service name");
        }
        return text;
    }

    private static String interfaceName(String text) {
        if (!InterfaceNames.isValid(text)) {
            throw new IllegalArgumentException("not a Linux interface name (1 to 15 characters, "
                    + "no '/', ':' or spaces)");
        }
        return text;
    }

    /** The flags' values while parsing, starting at node-cache's defaults. */
    private static final class Values {
        Path conf;
        Path resolvConf = DEFAULT_RESOLV_CONF;
        Integer dnsPort;
        String metricsListenAddress;
        boolean version;
        boolean help;
        boolean check;
        List<InetAddress> localIps = List.of();
        Path baseCorefile = DEFAULT_BASE_COREFILE;
        Path corefile = DEFAULT_COREFILE;
        Path kubeDnsConfigDir = DEFAULT_KUBE_DNS_CONFIG_DIR;
        String upstreamService = DEFAULT_UPSTREAM_SERVICE;
        boolean setupInterface = true;
        String interfaceName = DEFAULT_INTERFACE_NAME;
        boolean setupIptables = true;
        boolean setupEbtables;
        boolean skipTeardown;
        Duration syncInterval = DEFAULT_SYNC_INTERVAL;
        Duration initialDelay = DEFAULT_INITIAL_DELAY;
        int healthPort = DEFAULT_HEALTH_PORT;
        Path pidfile;
        Path cacheDir;
        final List<String> nodeFlagsGiven = new ArrayList<>();

        CommandLine toCommandLine() {
            return new CommandLine(conf, resolvConf, dnsPort, metricsListenAddress, version, help, check, localIps,
                    baseCorefile, corefile, kubeDnsConfigDir, upstreamService, setupInterface, interfaceName,
                    setupIptables, setupEbtables, skipTeardown, syncInterval, initialDelay, healthPort, pidfile,
                    cacheDir, nodeFlagsGiven);
        }
    }
}
