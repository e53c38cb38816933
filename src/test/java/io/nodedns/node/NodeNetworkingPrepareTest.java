package io.nodedns.node;

import static io.nodedns.node.NodeFixtures.NODE_ADDRESSES;
import static io.nodedns.node.NodeFixtures.healthyNode;
import static io.nodedns.node.NodeFixtures.prepare;
import static io.nodedns.node.NodeFixtures.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nodedns.metrics.SetupErrors;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeNetworkingPrepareTest {
    private final SetupErrors errors = new SetupErrors();
    private final RecordingRunner runner = healthyNode(new FakeIptables());

    @Test
    void preflightOnAHealthyNodeOnlyReadsAndDescribesWhatItWillManage() {
        NodeNetworking node = prepare(settings(false, "169.254.20.10", "fd00::10"), runner, errors);

        assertEquals(List.of("ip -o addr show", "iptables-nft-save -t mangle", "iptables-nft --version",
                "ip6tables-nft --version"), runner.lines());
        assertEquals("interface nodelocaldns (169.254.20.10/32, fd00::10/128); 24 iptables rules with "
                + "iptables-nft/ip6tables-nft (nft: kubelet's KUBE-IPTABLES-HINT chain is in iptables-nft)",
                node.describe());
    }

    @Test
    void aLocalIpOnAnotherLinkStopsTheStartBeforeAnythingChanges() {
        NodeSetupException thrown = assertThrows(NodeSetupException.class,
                () -> NodeNetworking.prepare(settings(false, "169.254.20.10", "10.0.0.5"), runner, errors));

        assertEquals("-localip 10.0.0.5 is already an address of link eth0; nodedns would take it over from that "
                + "link (choose a free link-local address such as 169.254.20.10, or -setupinterface=false if you "
                + "manage the addresses yourself)", thrown.getMessage());
        assertEquals(List.of("ip -o addr show"), runner.lines());
    }

    @Test
    void anIpv6LocalIpOnAnotherLinkIsFoundByValueNotByText() {
        NodeSetupException thrown = assertThrows(NodeSetupException.class,
                () -> NodeNetworking.prepare(settings(false, "fd00:0:0:0:0:0:0:5"), runner, errors));

        assertEquals("-localip fd00::5 is already an address of link eth0", thrown.getMessage().split(";")[0]);
    }

    @Test
    void theLocalIpAlreadyOnOurOwnLinkIsNoConflict() {
        runner.on("ip -o addr show", RecordingRunner.ok(NODE_ADDRESSES
                + "7: nodelocaldns    inet 169.254.20.10/32 scope global nodelocaldns\\       valid_lft forever\n"));

        prepare(settings(false, "169.254.20.10"), runner, errors);
    }

    @Test
    void aMissingIpCommandStopsTheStart() {
        runner.on("ip", RecordingRunner.exit(127, "ip: not found in /usr/bin, /usr/sbin, /sbin"));

        NodeSetupException thrown = assertThrows(NodeSetupException.class,
                () -> NodeNetworking.prepare(settings(false, "169.254.20.10"), runner, errors));

        assertEquals("ip (iproute2) not found in PATH, /usr/sbin, /sbin; -setupinterface=true needs it to create link "
                + "nodelocaldns (install iproute2, or -setupinterface=false if you manage the link yourself)",
                thrown.getMessage());
    }

    @Test
    void noIptablesAtAllStopsTheStart() {
        runner.on(argv -> argv.get(0).contains("tables"), argv -> RecordingRunner.exit(127, "not found"));

        NodeSetupException thrown = assertThrows(NodeSetupException.class,
                () -> NodeNetworking.prepare(settings(false, "169.254.20.10"), runner, errors));

        assertEquals("no iptables binary (iptables-nft, iptables-legacy or iptables) found in PATH, /usr/sbin, /sbin; "
                + "-setupiptables=true needs one (install iptables, or -setupiptables=false if the rules are managed "
                + "elsewhere)", thrown.getMessage());
        assertEquals(List.of("ip -o addr show", "iptables-nft-save -t mangle", "ip6tables-nft-save -t mangle",
                "iptables-legacy-save", "ip6tables-legacy-save", "iptables-nft --version", "iptables-legacy --version", "iptables --version"), runner.lines());
    }

    @Test
    void kubeletChainsInNftButNoIp6tablesNftForAnIpv6LocalIpStopsTheStart() {
        runner.on("ip6tables-nft --version", RecordingRunner.exit(127, "not found"));

        NodeSetupException thrown = assertThrows(NodeSetupException.class,
                () -> NodeNetworking.prepare(settings(false, "fd00::10"), runner, errors));

        assertEquals("nft: kubelet's KUBE-IPTABLES-HINT chain is in iptables-nft, but ip6tables-nft is not found in "
                + "PATH, /usr/sbin, /sbin; nodedns must write its rules with the backend kube-proxy uses (install "
                + "the iptables package, or -setupiptables=false)", thrown.getMessage());
    }

    @Test
    void withoutSetupInterfaceAndSetupIptablesNothingRunsAtAll() {
        NodeNetworkSettings neither = new NodeNetworkSettings(List.of(NodeFixtures.ip("10.0.0.5")), 53, 8080,
                false, "nodelocaldns", false, false);

        NodeNetworking node = prepare(neither, runner, errors);
        node.ensureRules();
        node.reconcile();
        node.teardown();

        assertEquals(List.of(), runner.lines());
        assertEquals("interface not managed (-setupinterface=false); iptables rules not managed "
                + "(-setupiptables=false)", node.describe());
    }

    @Test
    void settingsRefuseWhatTheKernelOrIpWouldRefuse() {
        List<java.net.InetAddress> ips = List.of(NodeFixtures.ip("169.254.20.10"));
        assertThrows(IllegalArgumentException.class,
                () -> new NodeNetworkSettings(List.of(), 53, 8080, true, "nodelocaldns", true, false));
        assertThrows(IllegalArgumentException.class,
                () -> new NodeNetworkSettings(ips, 0, 8080, true, "nodelocaldns", true, false));
        assertThrows(IllegalArgumentException.class,
                () -> new NodeNetworkSettings(ips, 53, 65536, true, "nodelocaldns", true, false));
        assertThrows(IllegalArgumentException.class,
                () -> new NodeNetworkSettings(ips, 53, 8080, true, "nodelocaldns-too-long", true, false));
        assertThrows(IllegalArgumentException.class,
                () -> new NodeNetworkSettings(ips, 53, 8080, true, "-dev", true, false));
        IllegalArgumentException repeated = assertThrows(IllegalArgumentException.class,
                () -> new NodeNetworkSettings(List.of(NodeFixtures.ip("169.254.20.10"), NodeFixtures.ip("fd00::10"),
                        NodeFixtures.ip("169.254.20.10")), 53, 8080, true, "nodelocaldns", true, false));
        assertEquals("-localip 169.254.20.10 is given more than once", repeated.getMessage());
    }
}
