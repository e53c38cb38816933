package io.nodedns.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** kube-proxy's choice of backend (kubernetes-sigs/iptables-wrappers pkg/xtables/detect.go), case by case. */
class IptablesBackendDetectorTest {
    private static final String HINT = "*mangle\n:PREROUTING ACCEPT [0:0]\n:KUBE-IPTABLES-HINT - [0:0]\nCOMMIT\n";
    private static final String CANARY = "*mangle\n:KUBE-KUBELET-CANARY - [0:0]\nCOMMIT\n*nat\n:POSTROUTING ACCEPT\n";
    private static final String NO_KUBELET = "*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j KUBE-IPTABLES-HINT\n"
            + "COMMIT\n";

    private final RecordingRunner runner = new RecordingRunner()
            .on("iptables-nft-save", RecordingRunner.ok(NO_KUBELET))
            .on("ip6tables-nft-save", RecordingRunner.ok(NO_KUBELET))
            .on("iptables-legacy-save", RecordingRunner.ok(""))
            .on("ip6tables-legacy-save", RecordingRunner.ok(""))
            .on("iptables-nft --version", RecordingRunner.ok("iptables v1.8.9 (nf_tables)\n"))
            .on("ip6tables-nft --version", RecordingRunner.ok("ip6tables v1.8.9 (nf_tables)\n"))
            .on("iptables-legacy --version", RecordingRunner.ok("iptables v1.8.9 (legacy)\n"))
            .on("ip6tables-legacy --version", RecordingRunner.ok("ip6tables v1.8.9 (legacy)\n"))
            .on("iptables --version", RecordingRunner.ok("iptables v1.8.9 (legacy)\n"))
            .on("ip6tables --version", RecordingRunner.ok("ip6tables v1.8.9 (legacy)\n"));

    private IptablesBackend detect(boolean ipv4, boolean ipv6) {
        try {
            return new IptablesBackendDetector(runner, ipv4, ipv6).detect();
        } catch (NodeSetupException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    @Test
    void theHintChainInNftMeansNft() {
        runner.on("iptables-nft-save -t mangle", RecordingRunner.ok(HINT));

        IptablesBackend backend = detect(true, false);

        assertEquals("iptables-nft", backend.iptables());
        assertEquals("nft: kubelet's KUBE-IPTABLES-HINT chain is in iptables-nft", backend.reason());
        assertEquals(List.of("iptables-nft-save -t mangle", "iptables-nft --version"), runner.lines());
    }

    @Test
    void theCanaryInLegacyIpv6MeansLegacyAndLegacyIsNeverAskedForTheMangleTable() {
        runner.on("ip6tables-legacy-save", RecordingRunner.ok(CANARY));

        IptablesBackend backend = detect(true, true);

        assertEquals("iptables-legacy", backend.iptables());
        assertEquals("ip6tables-legacy", backend.ip6tables());
        assertEquals("legacy: kubelet's KUBE-KUBELET-CANARY (IPv6) chain is in iptables-legacy", backend.reason());
        assertEquals(List.of("iptables-nft-save -t mangle", "ip6tables-nft-save -t mangle", "iptables-legacy-save",
                "ip6tables-legacy-save", "iptables-legacy --version", "ip6tables-legacy --version"), runner.lines());
    }

    @Test
    void noKubeletChainAnywhereMeansNftTheWrappersDefault() {
        IptablesBackend backend = detect(true, false);

        assertEquals("iptables-nft", backend.iptables());
        assertEquals("nft: no kubelet chain in either backend; nft is the default of kube-proxy's iptables wrapper",
                backend.reason());
    }

    @Test
    void onlyLegacyInstalledMeansLegacy() {
        runner.on(argv -> argv.get(0).contains("-nft"), argv -> RecordingRunner.exit(127, "not found"));

        IptablesBackend backend = detect(true, false);

        assertEquals("iptables-legacy", backend.iptables());
        assertEquals("legacy: no kubelet chain in either backend, and iptables-nft is not installed", backend.reason());
    }

    @Test
    void onlyThePlainBinaryInstalledMeansItAsItIs() {
        runner.on(argv -> argv.get(0).contains("-nft") || argv.get(0).contains("-legacy"),
                argv -> RecordingRunner.exit(127, "not found"));

        IptablesBackend backend = detect(true, false);

        assertEquals("iptables", backend.iptables());
        assertEquals("default: neither iptables-nft nor iptables-legacy is installed; using iptables v1.8.9 (legacy)",
                backend.reason());
    }

    @Test
    void aFailingSaveStillCountsByWhatItPrintedAsTheWrapperDoes() {
        runner.on("iptables-nft-save", RecordingRunner.exit(4, "iptables-nft-save: Permission denied (you must be root)"));
        runner.on("iptables-legacy-save", new CommandResult(1, HINT, "can't initialize iptables table"));

        IptablesBackend backend = detect(true, false);

        assertEquals("legacy", backend.mode());
        assertEquals("legacy: kubelet's KUBE-IPTABLES-HINT chain is in iptables-legacy", backend.reason());
    }
}
