package io.nodedns.node;

import java.util.ArrayList;
import java.util.List;

/**
 * One iptables rule nodedns owns: table, chain, the match, the node-cache comment and the target.
 * The same rule text serves {@code -C} (is it there), {@code -I} (insert at the top) and
 * {@code -D} (delete one copy), so what is checked is exactly what was inserted.
 *
 * @param ipv6    whether the rule belongs to ip6tables
 * @param table   {@code raw} or {@code filter}
 * @param chain   {@code PREROUTING}, {@code INPUT} or {@code OUTPUT}
 * @param match   the match arguments, e.g. {@code -p udp -d 169.254.20.10 --dport 53}
 * @param comment the {@code -m comment} text node-cache gives the rule
 * @param target  {@code NOTRACK} or {@code ACCEPT}
 */
record IptablesRule(boolean ipv6, String table, String chain, List<String> match, String comment, String target) {
    IptablesRule {
        match = List.copyOf(match);
    }

    /**
     * The arguments after the binary for {@code operation} ({@code -C}, {@code -I}, {@code -D}):
     * {@code -w 5 -t TABLE OP CHAIN MATCH -m comment --comment C -j TARGET}. {@code -w 5} waits for
     * the xtables lock up to 5 s, as kube's utiliptables does, instead of failing at once while
     * kube-proxy holds it.
     */
    List<String> arguments(String operation) {
        List<String> args = new ArrayList<>(List.of("-w", "5", "-t", table, operation, chain));
        args.addAll(match);
        args.addAll(List.of("-m", "comment", "--comment", comment, "-j", target));
        return args;
    }

    /** {@code {raw PREROUTING -p udp -d 169.254.20.10 --dport 53 -m comment --comment "..." -j NOTRACK}}. */
    @Override
    public String toString() {
        return "{" + table + " " + chain + " " + String.join(" ", match) + " -m comment --comment \"" + comment
                + "\" -j " + target + "}";
    }
}
