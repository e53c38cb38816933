package io.nodedns.node;

import java.util.List;
import java.util.stream.Collectors;

/** Command lines and their failures as log lines show them. */
final class CommandLines {
    private CommandLines() {
    }

    /** {@code iptables-nft -w 5 -t raw -I PREROUTING ... --comment "NodeLocal DNS Cache: skip conntrack" ...}. */
    static String format(List<String> argv) {
        return argv.stream()
                .map(arg -> arg.isEmpty() || arg.chars().anyMatch(Character::isWhitespace) ? "\"" + arg + "\"" : arg)
                .collect(Collectors.joining(" "));
    }

    /** {@code COMMAND exited N: STDERR}, what an operator needs to rerun and understand a failure. */
    static String failure(List<String> argv, CommandResult result) {
        String explanation = result.explanation();
        return format(argv) + " exited " + result.exitCode() + (explanation.isEmpty() ? "" : ": " + explanation);
    }
}
