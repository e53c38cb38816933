package io.nodedns.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.metrics.SetupErrors;
import io.nodedns.node.CommandResult;
import io.nodedns.node.CommandRunner;
import io.nodedns.node.NodeSetupException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The order node networking follows along the daemon's life: rules only once the listeners are
 * bound, one teardown whoever asks, a teardown that an interrupted thread cannot cut short.
 * The commands themselves are {@code io.nodedns.node}'s tests; here a fake node answers them.
 */
class NodeNetworkLifecycleTest {

    /** A node with kube-proxy on nft, link nodelocaldns up with 169.254.20.10, iptables as a set. */
    static final class FakeNode implements CommandRunner {
        final List<String> commands = new ArrayList<>();
        final List<Boolean> interruptedWhileRunning = new ArrayList<>();
        final Set<String> rules = new HashSet<>();

        @Override
        public synchronized CommandResult run(List<String> argv) {
            String line = String.join(" ", argv);
            commands.add(line);
            interruptedWhileRunning.add(Thread.currentThread().isInterrupted());
            if (line.startsWith("iptables-nft -w 5 -t ")) {
                String table = argv.get(4);
                String op = argv.get(5);
                String rule = table + " " + String.join(" ", argv.subList(6, argv.size()));
                boolean present = rules.contains(rule);
                switch (op) {
                    case "-C":
                        return new CommandResult(present ? 0 : 1, "", present ? "" : "Bad rule");
                    case "-I":
                        rules.add(rule);
                        return new CommandResult(0, "", "");
                    case "-D":
                        return new CommandResult(rules.remove(rule) ? 0 : 1, "", "");
                    default:
                        throw new AssertionError(line);
                }
            }
            if (line.equals("ip -o link show dev nodelocaldns")) {
                return new CommandResult(0, "7: nodelocaldns: <BROADCAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue "
                        + "state UNKNOWN\\    link/ether 8a:46:db:41:6a:4f brd ff:ff:ff:ff:ff:ff\n", "");
            }
            if (line.equals("ip -o addr show dev nodelocaldns")) {
                return new CommandResult(0, "7: nodelocaldns    inet 169.254.20.10/32 scope global nodelocaldns\\"
                        + "       valid_lft forever preferred_lft forever\n", "");
            }
            // ip -o addr show (no conflict), the *-save commands (no kubelet chain), --version
            return new CommandResult(0, "", "");
        }

        synchronized long count(String prefix) {
            return commands.stream().filter(c -> c.startsWith(prefix)).count();
        }
    }

    private static CommandLine nodeMode(String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("-localip", "169.254.20.10", "-conf", "/nonexistent/Corefile"));
        args.addAll(List.of(more));
        return CommandLine.parse(args.toArray(String[]::new), Map.of());
    }

    @Test
    void rulesGoInOnceTheListenersAreBoundOutAtTheStopAndTheLinkGoesOnlyAfterTheDrain() throws Exception {
        FakeNode node = new FakeNode();
        NodeNetworkLifecycle network = NodeNetworkLifecycle.prepare(nodeMode(), new SetupErrors(), node);
        network.beforeBind();
        assertEquals(0, node.count("iptables-nft -w 5 -t"), "no rule before the listeners are bound");
        network.afterBind(() -> { });
        assertEquals(12, node.rules.size());
        assertEquals(12, node.count("iptables-nft -w 5 -t raw -I") + node.count("iptables-nft -w 5 -t filter -I"));

        network.stop();
        assertEquals(Set.of(), node.rules, "every rule removed");
        assertEquals(0, node.count("ip link del"), "the link stays: the drain answers from its addresses");
        network.finish();
        assertEquals(1, node.count("ip link del nodelocaldns"));
        int afterFinish = node.commands.size();
        network.stop();
        network.finish();
        assertEquals(afterFinish, node.commands.size(), "the finally after the orderly stop does nothing");
    }

    @Test
    void aFailedStartRemovesRulesAndLinkAtOnce() throws Exception {
        FakeNode node = new FakeNode();
        NodeNetworkLifecycle network = NodeNetworkLifecycle.prepare(nodeMode(), new SetupErrors(), node);
        network.beforeBind();
        network.afterBind(() -> { });
        network.finish();
        assertEquals(Set.of(), node.rules);
        assertEquals(1, node.count("ip link del nodelocaldns"));
    }

    @Test
    void aStopBeforeTheListenersBoundLeavesNoRuleEvenIfTheStartGoesOn() throws Exception {
        FakeNode node = new FakeNode();
        NodeNetworkLifecycle network = NodeNetworkLifecycle.prepare(nodeMode(), new SetupErrors(), node);
        network.beforeBind();
        network.stop();   // e.g. the daemon failed to bind
        network.afterBind(() -> { });
        assertEquals(0, node.count("iptables-nft -w 5 -t raw -I") + node.count("iptables-nft -w 5 -t filter -I"));
        assertEquals(Set.of(), node.rules);
    }

    @Test
    void theTeardownRunsUninterruptedWhenTheStoppingThreadWasInterrupted() throws Exception {
        FakeNode node = new FakeNode();
        NodeNetworkLifecycle network = NodeNetworkLifecycle.prepare(nodeMode(), new SetupErrors(), node);
        network.beforeBind();
        network.afterBind(() -> { });
        int before = node.commands.size();
        Thread.currentThread().interrupt();
        try {
            network.finish();
            assertTrue(Thread.currentThread().isInterrupted(), "the caller's interrupt is kept for it");
        } finally {
            Thread.interrupted();
        }
        assertEquals(Set.of(), node.rules);
        assertEquals(1, node.count("ip link del nodelocaldns"));
        assertFalse(node.interruptedWhileRunning.subList(before, node.commands.size()).contains(true),
                "no teardown command ran on an interrupted thread (it would be killed at once)");
    }

    @Test
    void settingsTheRulesCannotHoldAreRefusedBeforeAnyCommand() throws Exception {
        FakeNode node = new FakeNode();
        NodeSetupException refused = assertThrows(NodeSetupException.class,
                () -> NodeNetworkLifecycle.prepare(nodeMode("-health-port", "0"), new SetupErrors(), node));
        assertTrue(refused.getMessage().contains("-health-port 0"), refused.getMessage());
        assertEquals(List.of(), node.commands);
    }

    @Test
    void nothingIsSetUpOutsideNodeModeForCheckOrWithBothSetupFlagsOff() throws Exception {
        FakeNode node = new FakeNode();
        for (CommandLine cmd : List.of(CommandLine.parse(new String[] {"-conf", "/x"}, Map.of()),
                nodeMode("-check"), nodeMode("-setupinterface=false", "-setupiptables=false"))) {
            NodeNetworkLifecycle network = NodeNetworkLifecycle.prepare(cmd, new SetupErrors(), node);
            network.beforeBind();
            network.afterBind(() -> { });
            assertEquals("", network.describe());
            assertEquals(Duration.ZERO, network.teardownBudget());
            network.stop();
            network.finish();
        }
        assertEquals(List.of(), node.commands);
    }

    /**
     * The successor check as a script: the answers it gives in turn, each call and each withdrawal
     * recorded in {@code events} in order.
     */
    private static final class ScriptedSuccessor implements BooleanSupplier {
        final List<String> events = new ArrayList<>();
        private final boolean[] answers;
        private int asked;

        ScriptedSuccessor(boolean... answers) {
            this.answers = answers;
        }

        @Override
        public boolean getAsBoolean() {
            boolean answer = answers[asked++];
            events.add("probe:" + answer);
            return answer;
        }

        Runnable withdraw() {
            return () -> events.add("withdraw");
        }
    }

    private static NodeNetworkLifecycle prepare(FakeNode node, BooleanSupplier successor, String... flags)
            throws Exception {
        return NodeNetworkLifecycle.prepare(nodeMode(flags), new SetupErrors(), node, settings -> successor);
    }

    @Test
    void aSuccessorSeenBeforeAndAfterTheWithdrawalKeepsTheLinkAndTheRules() throws Exception {
        FakeNode node = new FakeNode();
        ScriptedSuccessor successor = new ScriptedSuccessor(true, true);
        NodeNetworkLifecycle network = prepare(node, successor);
        network.beforeBind();
        network.afterBind(successor.withdraw());
        Set<String> rules = Set.copyOf(node.rules);
        int before = node.commands.size();

        network.stop();
        network.finish();
        assertEquals(List.of("probe:true", "withdraw", "probe:true"), successor.events);
        assertEquals(rules, node.rules);
        assertEquals(12, node.rules.size());
        assertEquals(List.of(), node.commands.subList(before, node.commands.size()), "not one command: no -D, no link del");
    }

    @Test
    void aSuccessorGoneAfterTheWithdrawalMeansTheTeardownAsUsual() throws Exception {
        // Both instances stopping at once: the one that looks second sees the other withdrawn.
        FakeNode node = new FakeNode();
        ScriptedSuccessor successor = new ScriptedSuccessor(true, false);
        NodeNetworkLifecycle network = prepare(node, successor);
        network.beforeBind();
        network.afterBind(successor.withdraw());
        network.stop();
        network.finish();
        assertEquals(List.of("probe:true", "withdraw", "probe:false"), successor.events);
        assertEquals(Set.of(), node.rules);
        assertEquals(1, node.count("ip link del nodelocaldns"));
    }

    @Test
    void withoutASuccessorNothingIsWithdrawnBeforeTheTeardown() throws Exception {
        FakeNode node = new FakeNode();
        ScriptedSuccessor successor = new ScriptedSuccessor(false);
        NodeNetworkLifecycle network = prepare(node, successor);
        network.beforeBind();
        network.afterBind(successor.withdraw());
        network.stop();
        network.finish();
        assertEquals(List.of("probe:false"), successor.events, "asked once; the listeners drain as before");
        assertEquals(Set.of(), node.rules);
        assertEquals(1, node.count("ip link del nodelocaldns"));
    }

    @Test
    void aStartThatFailsWhileAnotherInstanceServesLeavesThatInstancesLinkAndRules() throws Exception {
        FakeNode node = new FakeNode();
        NodeNetworkLifecycle old = prepare(node, new ScriptedSuccessor());
        old.beforeBind();
        old.afterBind(() -> { });
        Set<String> rules = Set.copyOf(node.rules);
        ScriptedSuccessor oldServes = new ScriptedSuccessor(true, true);
        NodeNetworkLifecycle next = prepare(node, oldServes);
        next.beforeBind();
        int before = node.commands.size();
        next.finish();   // Main's path when Daemon.start throws
        assertEquals(rules, node.rules);
        assertEquals(List.of(), node.commands.subList(before, node.commands.size()));
    }

    @Test
    void withSkipTeardownNobodyIsAskedAndNothingWithdrawn() throws Exception {
        FakeNode node = new FakeNode();
        ScriptedSuccessor successor = new ScriptedSuccessor();
        NodeNetworkLifecycle network = prepare(node, successor, "-skipteardown");
        network.beforeBind();
        network.afterBind(successor.withdraw());
        network.stop();
        network.finish();
        assertEquals(List.of(), successor.events);
        assertEquals(12, node.rules.size());
        assertEquals(0, node.count("ip link del"));
    }
}
