package io.nodedns.node;

/**
 * The iptables binaries nodedns runs, and why these.
 *
 * @param mode      {@code nft}, {@code legacy}, or {@code default} for the plain
 *                  {@code iptables}/{@code ip6tables} of the image, whatever they point at
 * @param iptables  the IPv4 binary ({@code iptables-nft}, {@code iptables-legacy}, {@code iptables})
 * @param ip6tables the IPv6 binary of the same backend
 * @param reason    why this backend, for the start log line
 */
record IptablesBackend(String mode, String iptables, String ip6tables, String reason) {
    static final IptablesBackend NFT = new IptablesBackend("nft", "iptables-nft", "ip6tables-nft", "");
    static final IptablesBackend LEGACY = new IptablesBackend("legacy", "iptables-legacy", "ip6tables-legacy", "");
    static final IptablesBackend DEFAULT = new IptablesBackend("default", "iptables", "ip6tables", "");

    IptablesBackend withReason(String why) {
        return new IptablesBackend(mode, iptables, ip6tables, why);
    }

    /** The binary for a rule of that family. */
    String binary(boolean ipv6) {
        return ipv6 ? ip6tables : iptables;
    }
}
