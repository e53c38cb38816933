package io.nodedns.node;

import io.nodedns.config.IpLiterals;
import io.nodedns.metrics.SetupErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The node's side of NodeLocal DNSCache, as node-cache (cmd/node-cache/app/cache_app.go) runs it:
 * the link holding the local IPs before the listeners bind, the NOTRACK/ACCEPT rules once they
 * are bound (node-cache holds the rules back until CoreDNS is up, so a cache that cannot start
 * does not leave pods' DNS diverted to nothing), both re-ensured every {@code -syncinterval},
 * and both removed on exit unless {@code -skipteardown}.
 *
 * <p>The methods are synchronized: the reconcile timer and the shutdown run on different
 * threads, and a pass that is still running when teardown starts must not add back what
 * teardown removes. Once torn down, reconcile and ensure* do nothing.
 */
public final class NodeNetworking {
    private static final Logger LOG = Logger.getLogger(NodeNetworking.class.getPackageName());

    private final NodeNetworkSettings settings;
    private final Optional<LocalLink> link;
    private final Optional<IptablesRules> rules;
    private final Optional<IptablesBackend> backend;
    private boolean tornDown;
    private boolean linkRemoved;

    private NodeNetworking(NodeNetworkSettings settings, Optional<LocalLink> link, Optional<IptablesRules> rules,
                           Optional<IptablesBackend> backend) {
        this.settings = settings;
        this.link = link;
        this.rules = rules;
        this.backend = backend;
    }

    /**
     * Checks that the setup can go ahead, changing nothing: {@code ip} is installed and no local
     * IP is an address of another link (with {@code -setupinterface}); an iptables backend is
     * detected and its binaries installed (with {@code -setupiptables}).
     *
     * @throws NodeSetupException with the operator's explanation; the caller exits 1 before
     *                            anything was changed
     */
    public static NodeNetworking prepare(NodeNetworkSettings settings, CommandRunner runner, SetupErrors errors)
            throws NodeSetupException {
        Optional<LocalLink> link = Optional.empty();
        if (settings.setupInterface()) {
            checkAddressesAreFree(settings, runner);
            link = Optional.of(new LocalLink(settings.interfaceName(), settings.localIps(), runner, errors));
        }
        Optional<IptablesRules> rules = Optional.empty();
        Optional<IptablesBackend> backend = Optional.empty();
        if (settings.setupIptables()) {
            backend = Optional.of(new IptablesBackendDetector(runner, settings.hasIpv4(), settings.hasIpv6()).detect());
            rules = Optional.of(new IptablesRules(
                    NodeCacheRules.forAll(settings.localIps(), settings.dnsPort(), settings.healthPort()),
                    backend.get(), runner, errors));
        }
        return new NodeNetworking(settings, link, rules, backend);
    }

    /**
     * A local IP on another link would be moved under nodedns's control and deleted with its link
     * at teardown: taking a node's own address away is worse than not starting. node-cache does
     * not check and adds the address to its link as well.
     */
    private static void checkAddressesAreFree(NodeNetworkSettings settings, CommandRunner runner)
            throws NodeSetupException {
        List<String> show = List.of("ip", "-o", "addr", "show");
        CommandResult shown = runner.run(show);
        if (shown.notFound()) {
            throw new NodeSetupException("ip (iproute2) not found in PATH, /usr/sbin, /sbin; -setupinterface=true "
                    + "needs it to create link " + settings.interfaceName()
                    + " (install iproute2, or -setupinterface=false if you manage the link yourself)");
        }
        if (!shown.ok()) {
            throw new NodeSetupException("cannot list the node's addresses to check the -localip addresses are free: "
                    + CommandLines.failure(show, shown));
        }
        for (IpOutput.LinkAddress entry : IpOutput.addresses(shown.stdout())) {
            if (settings.localIps().contains(entry.address()) && !entry.link().equals(settings.interfaceName())) {
                throw new NodeSetupException("-localip " + IpLiterals.format(entry.address())
                        + " is already an address of link " + entry.link()
                        + "; nodedns would take it over from that link (choose a free link-local address such as "
                        + "169.254.20.10, or -setupinterface=false if you manage the addresses yourself)");
            }
        }
    }

    /**
     * Before binding: the link exists (created as a dummy link if not), is up, and holds every
     * local IP as /32 or /128. No-op without {@code -setupinterface}.
     *
     * @throws NodeSetupException after counting and logging the failure: the listeners cannot
     *                            bind without the addresses
     */
    public synchronized void ensureInterface() throws NodeSetupException {
        if (link.isPresent() && !tornDown) {
            link.get().ensure();
        }
    }

    /**
     * After the listeners are bound: each rule checked with {@code -C} and inserted at the top
     * if missing. Never throws; failures are logged and counted. No-op without
     * {@code -setupiptables}.
     */
    public synchronized void ensureRules() {
        if (rules.isPresent() && !tornDown) {
            rules.get().ensureAll();
        }
    }

    /**
     * One {@code -syncinterval} pass: link, up, addresses, then the rules; re-adds what is
     * missing, never duplicates. Never throws; failures are logged and counted.
     */
    public synchronized void reconcile() {
        if (tornDown) {
            LOG.fine("node networking already torn down; not reconciling");
            return;
        }
        try {
            ensureInterface();
        } catch (NodeSetupException alreadyCountedAndLogged) {
            // The next pass tries again; the rules below do not depend on the link.
        }
        ensureRules();
    }

    /**
     * On exit, both halves of the teardown in order: {@link #removeRules}, {@link #removeLink}.
     * For a caller with nothing to drain in between. Never throws.
     */
    public void teardown() {
        removeRules();
        removeLink();
    }

    /**
     * First half of the teardown: every rule deleted until {@code -C} says it is gone (bounded).
     * From here on reconcile and ensure* do nothing. In transparent mode this is what hands the
     * kube-dns IP back to kube-proxy: without NOTRACK its DNAT applies again, though the address
     * is still local. With {@code -skipteardown} nothing changes, as in node-cache, so a
     * restarting pod leaves pods' DNS path in place. Runs once; never throws.
     */
    public synchronized void removeRules() {
        if (tornDown) {
            return;
        }
        tornDown = true;
        if (settings.skipTeardown()) {
            LOG.info("-skipteardown: leaving " + describe() + " in place");
            return;
        }
        LOG.info("Tearing down " + describe());
        rules.ifPresent(IptablesRules::removeAll);
    }

    /**
     * Instead of the teardown, when another process serves the local IPs (a successor, see
     * {@link SuccessorProbe}): the link and the rules stay, they are its now. From here on
     * reconcile, ensure* and both halves of the teardown do nothing. Runs once; never throws.
     */
    public synchronized void handOver() {
        if (tornDown) {
            return;
        }
        tornDown = true;
        linkRemoved = true;
        LOG.info("Another process serves " + settings.localIps().stream().map(IpLiterals::format).toList()
                + " port " + settings.dnsPort() + ": leaving " + describe() + " in place for it");
    }

    /**
     * Second half: the link deleted, with its addresses. It comes after the listeners drained:
     * the answers to queries already read leave from those addresses, and the kernel refuses a
     * source address that is no longer local. Runs the first half first if it has not run. Runs
     * once; never throws.
     */
    public synchronized void removeLink() {
        removeRules();
        if (linkRemoved) {
            return;
        }
        linkRemoved = true;
        if (!settings.skipTeardown()) {
            link.ifPresent(LocalLink::remove);
        }
    }

    /** True with {@code -skipteardown}: the stop removes nothing, whoever else serves. */
    public boolean skipsTeardown() {
        return settings.skipTeardown();
    }

    /**
     * One line for the start log: {@code interface nodelocaldns (169.254.20.10/32, fd00::10/128);
     * 24 iptables rules with iptables-nft/ip6tables-nft (nft: kubelet's KUBE-IPTABLES-HINT chain
     * is in iptables-nft)}.
     */
    public String describe() {
        List<String> parts = new ArrayList<>();
        parts.add(link.map(l -> "interface " + l.describe())
                .orElse("interface not managed (-setupinterface=false)"));
        if (rules.isPresent()) {
            IptablesBackend chosen = backend.orElseThrow();
            List<String> binaries = new ArrayList<>();
            if (settings.hasIpv4()) {
                binaries.add(chosen.iptables());
            }
            if (settings.hasIpv6()) {
                binaries.add(chosen.ip6tables());
            }
            parts.add(rules.get().size() + " iptables rules with " + String.join("/", binaries)
                    + " (" + chosen.reason() + ")");
        } else {
            parts.add("iptables rules not managed (-setupiptables=false)");
        }
        return String.join("; ", parts);
    }
}
