package io.nodedns.node;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picks the iptables backend the node's kube-proxy uses, as kube-proxy's own image does
 * (kubernetes-sigs/iptables-wrappers, pkg/xtables/detect.go): rules written with the other
 * backend would sit in a table the kernel also evaluates but that nobody looks at, and an
 * operator listing kube-proxy's rules would not see nodedns's next to them.
 *
 * <ol>
 * <li>{@code iptables-nft-save -t mangle}, then {@code ip6tables-nft-save -t mangle}: a chain
 *     {@code KUBE-IPTABLES-HINT} or {@code KUBE-KUBELET-CANARY} (the kubelet creates them since
 *     Kubernetes 1.17) means nft.</li>
 * <li>{@code iptables-legacy-save}, {@code ip6tables-legacy-save}, without {@code -t mangle},
 *     which would make the legacy kernel module create that table: the same chains mean legacy.</li>
 * <li>Otherwise nft, the wrapper's default, if {@code iptables-nft} is installed; else legacy if
 *     {@code iptables-legacy} is; else the plain {@code iptables} of the image.</li>
 * </ol>
 * A save command's stdout is matched whatever its exit status, as the wrapper does
 * ({@code _ = c.Run()}, then the regex over what it printed): a save that fails part way (one
 * table it cannot read) may still have printed the kubelet chain. A command that is not installed
 * (exit 127) prints nothing and so points at no backend.
 */
final class IptablesBackendDetector {
    private static final Pattern KUBELET_CHAIN = Pattern.compile("(?m)^:(KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY)\\b");

    private final CommandRunner runner;
    private final boolean needIpv4;
    private final boolean needIpv6;

    /**
     * @param needIpv4 whether iptables itself must be there (an IPv4 local IP)
     * @param needIpv6 whether ip6tables must be there (an IPv6 local IP)
     */
    IptablesBackendDetector(CommandRunner runner, boolean needIpv4, boolean needIpv6) {
        this.runner = runner;
        this.needIpv4 = needIpv4;
        this.needIpv6 = needIpv6;
    }

    IptablesBackend detect() throws NodeSetupException {
        Optional<String> nftChain = kubeletChain(List.of("iptables-nft-save", "-t", "mangle"))
                .or(() -> kubeletChain(List.of("ip6tables-nft-save", "-t", "mangle")).map(c -> c + " (IPv6)"));
        if (nftChain.isPresent()) {
            return requireInstalled(IptablesBackend.NFT.withReason(
                    "nft: kubelet's " + nftChain.get() + " chain is in iptables-nft"));
        }
        Optional<String> legacyChain = kubeletChain(List.of("iptables-legacy-save"))
                .or(() -> kubeletChain(List.of("ip6tables-legacy-save")).map(c -> c + " (IPv6)"));
        if (legacyChain.isPresent()) {
            return requireInstalled(IptablesBackend.LEGACY.withReason(
                    "legacy: kubelet's " + legacyChain.get() + " chain is in iptables-legacy"));
        }
        if (missing(IptablesBackend.NFT).isEmpty()) {
            return IptablesBackend.NFT.withReason(
                    "nft: no kubelet chain in either backend; nft is the default of kube-proxy's iptables wrapper");
        }
        if (missing(IptablesBackend.LEGACY).isEmpty()) {
            return IptablesBackend.LEGACY.withReason(
                    "legacy: no kubelet chain in either backend, and iptables-nft is not installed");
        }
        if (missing(IptablesBackend.DEFAULT).isEmpty()) {
            return IptablesBackend.DEFAULT.withReason(
                    "default: neither iptables-nft nor iptables-legacy is installed; using " + defaultVersion());
        }
        throw new NodeSetupException("no iptables binary (iptables-nft, iptables-legacy or iptables) found in PATH, "
                + "/usr/sbin, /sbin" + (needIpv6 ? " (with its ip6tables, for the IPv6 -localip)" : "")
                + "; -setupiptables=true needs one (install iptables, or -setupiptables=false if the rules are "
                + "managed elsewhere)");
    }

    /** The kubelet chain the save command prints, if any, whatever its exit status. */
    private Optional<String> kubeletChain(List<String> saveCommand) {
        CommandResult saved = runner.run(saveCommand);
        Matcher matcher = KUBELET_CHAIN.matcher(saved.stdout());
        return matcher.find() ? Optional.of(matcher.group(1)) : Optional.empty();
    }

    private IptablesBackend requireInstalled(IptablesBackend backend) throws NodeSetupException {
        List<String> missing = missing(backend);
        if (!missing.isEmpty()) {
            throw new NodeSetupException(backend.reason() + ", but " + String.join(" and ", missing)
                    + " is not found in PATH, /usr/sbin, /sbin; nodedns must write its rules with the backend "
                    + "kube-proxy uses (install the iptables package, or -setupiptables=false)");
        }
        return backend;
    }

    /** The binaries of {@code backend} that the local IPs need and that are not installed. */
    private List<String> missing(IptablesBackend backend) {
        List<String> missing = new ArrayList<>();
        if (needIpv4 && runner.run(List.of(backend.iptables(), "--version")).notFound()) {
            missing.add(backend.iptables());
        }
        if (needIpv6 && runner.run(List.of(backend.ip6tables(), "--version")).notFound()) {
            missing.add(backend.ip6tables());
        }
        return missing;
    }

    /** "iptables v1.8.9 (nf_tables)": which backend the plain binary is. */
    private String defaultVersion() {
        String binary = needIpv4 ? "iptables" : "ip6tables";
        CommandResult version = runner.run(List.of(binary, "--version"));
        String firstLine = version.stdout().strip().lines().findFirst().orElse("");
        return firstLine.isEmpty() ? binary : firstLine;
    }
}
