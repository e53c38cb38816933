package io.nodedns.node;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A scripted iptables with state, for {@link RecordingRunner#on(String, Function)}: {@code -I}
 * adds a copy of the rule, {@code -D} removes one (exit 1 when there is none), {@code -C} exits
 * 0 while a copy is there and 1 otherwise, as iptables-nft and iptables-legacy do.
 */
final class FakeIptables implements Function<List<String>, CommandResult> {
    private final Map<List<String>, Integer> copies = new HashMap<>();

    @Override
    public CommandResult apply(List<String> argv) {
        int operation = argv.indexOf("-C") >= 0 ? argv.indexOf("-C")
                : argv.indexOf("-I") >= 0 ? argv.indexOf("-I") : argv.indexOf("-D");
        List<String> key = key(argv, operation);
        int count = copies.getOrDefault(key, 0);
        switch (argv.get(operation)) {
            case "-C":
                return count > 0 ? RecordingRunner.ok()
                        : RecordingRunner.exit(1, "iptables: Bad rule (does a matching rule exist in that chain?).");
            case "-I":
                copies.put(key, count + 1);
                return RecordingRunner.ok();
            default:
                if (count == 0) {
                    return RecordingRunner.exit(1, "iptables: Bad rule (does a matching rule exist in that chain?).");
                }
                copies.put(key, count - 1);
                return RecordingRunner.ok();
        }
    }

    /** Puts {@code n} copies of the rule that {@code argv} (any operation) names. */
    void put(List<String> argv, int n) {
        int operation = Math.max(argv.indexOf("-C"), Math.max(argv.indexOf("-I"), argv.indexOf("-D")));
        copies.put(key(argv, operation), n);
    }

    /** How many rules in all (copies counted). */
    int total() {
        return copies.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** The copies of each distinct rule. */
    List<Integer> counts() {
        return new ArrayList<>(copies.values());
    }

    private static List<String> key(List<String> argv, int operation) {
        List<String> key = new ArrayList<>(argv);
        key.remove(operation);
        return key;
    }
}
