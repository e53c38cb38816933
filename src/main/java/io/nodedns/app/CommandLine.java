package io.nodedns.app;

import io.nodedns.config.HostPorts;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;

/**
 * The command line, in Go's flag syntax as node-cache uses it: {@code -name=value}
 * or {@code -name value}, one or two leading dashes, booleans as {@code -name} or
 * {@code -name=true|false}.
 *
 * @param conf the Corefile to run; null runs the laptop default
 * @param resolvConf where the laptop default takes its upstreams from
 * @param dnsPort the port of server keys that name none ({@code -dns.port})
 * @param metricsListenAddress {@code -metrics-listen-address} as given, or null when absent
 * @param check {@code -check} (or {@code -validate}): validate the configuration and exit, binding nothing
 */
public record CommandLine(Path conf, Path resolvConf, Integer dnsPort, String metricsListenAddress, boolean version,
                          boolean help, boolean check) {

    /** Environment variable that overrides the resolv.conf path (tests point it at their own server). */
    public static final String RESOLV_CONF_ENV = "NODEDNS_RESOLV_CONF";
    public static final Path DEFAULT_RESOLV_CONF = Path.of("/etc/resolv.conf");

    static final String USAGE = String.join("\n",
            "Usage: java -jar nodedns.jar [flags]",
            "  -conf FILE          Corefile to serve (default: the laptop default, see README)",
            "  -resolv-conf FILE   upstreams of the laptop default (default /etc/resolv.conf,",
            "                      or $" + RESOLV_CONF_ENV + ")",
            "  -dns.port N         port of server blocks that name none (default 53;",
            "                      the laptop default listens on 5353)",
            "  -metrics-listen-address [HOST]:PORT",
            "                      where coredns_nodecache_setup_errors_total is served (default",
            "                      0.0.0.0:9353 with -conf, 127.0.0.1:9353 without; \"\" for nowhere)",
            "  -check, -validate   parse and validate the configuration, print the first problem",
            "                      as FILE:LINE, exit 0 (valid) or 1 (not); binds nothing",
            "  -version            print the version and exit",
            "  -h, -help           print this help and exit");

    /** A command line that cannot be run; the message says why (exit code 2). */
    public static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    public static CommandLine parse(String[] args, Map<String, String> env) throws UsageException {
        Path conf = null;
        String resolv = env.get(RESOLV_CONF_ENV);
        Integer dnsPort = null;
        String metricsListenAddress = null;
        boolean version = false;
        boolean help = false;
        boolean check = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-") || arg.equals("-") || arg.equals("--")) {
                throw new UsageException("unexpected argument: " + arg);
            }
            String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            int eq = body.indexOf('=');
            String name = eq < 0 ? body : body.substring(0, eq);
            String inline = eq < 0 ? null : body.substring(eq + 1);
            switch (name) {
                case "version":
                    version = parseBoolean(name, inline);
                    break;
                case "h":
                case "help":
                    help = parseBoolean(name, inline);
                    break;
                case "check":
                case "validate":
                    check = parseBoolean(name, inline);
                    break;
                case "conf":
                case "resolv-conf":
                case "dns.port":
                case "metrics-listen-address": {
                    String value = inline;
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new UsageException("flag needs an argument: -" + name);
                        }
                        value = args[++i];
                    }
                    if (name.equals("conf")) {
                        conf = Path.of(value);
                    } else if (name.equals("resolv-conf")) {
                        resolv = value;
                    } else if (name.equals("metrics-listen-address")) {
                        if (!value.isEmpty() && HostPorts.parse(value).isEmpty()) {
                            throw new UsageException("invalid value \"" + value + "\" for -metrics-listen-address: "
                                    + "not [HOST]:PORT with HOST an IP or localhost");
                        }
                        metricsListenAddress = value;
                    } else {
                        dnsPort = parsePort(value);
                    }
                    break;
                }
                default:
                    throw new UsageException("flag provided but not defined: -" + name);
            }
        }
        Path resolvConf = resolv == null || resolv.isEmpty() ? DEFAULT_RESOLV_CONF : Path.of(resolv);
        return new CommandLine(conf, resolvConf, dnsPort, metricsListenAddress, version, help, check);
    }

    /** node-cache's default for {@code -metrics-listen-address}. */
    static final String NODE_METRICS_ADDRESS = "0.0.0.0:9353";
    /** The laptop default's: loopback only, a laptop's metrics are nobody else's business. */
    static final String LAPTOP_METRICS_ADDRESS = "127.0.0.1:9353";

    /**
     * Where node-cache's setup error metric is served: the flag's address, else node-cache's
     * default with {@code -conf} and loopback without; null (nowhere) for an empty flag value.
     */
    public InetSocketAddress setupMetricsAddress() {
        String value = metricsListenAddress != null ? metricsListenAddress
                : conf != null ? NODE_METRICS_ADDRESS : LAPTOP_METRICS_ADDRESS;
        return value.isEmpty() ? null : HostPorts.parse(value).orElseThrow();
    }

    private static boolean parseBoolean(String name, String value) throws UsageException {
        if (value == null || value.equals("true") || value.equals("1")) {
            return true;
        }
        if (value.equals("false") || value.equals("0")) {
            return false;
        }
        throw new UsageException("invalid boolean value \"" + value + "\" for -" + name);
    }

    private static int parsePort(String value) throws UsageException {
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // fall through to the usage error
        }
        throw new UsageException("invalid value \"" + value + "\" for -dns.port: not a port number");
    }
}
