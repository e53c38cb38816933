package io.nodedns.node;

import static io.nodedns.node.NodeFixtures.argvOf;
import static io.nodedns.node.NodeFixtures.checkThenInsert;
import static io.nodedns.node.NodeFixtures.healthyNode;
import static io.nodedns.node.NodeFixtures.prepare;
import static io.nodedns.node.NodeFixtures.rules;
import static io.nodedns.node.NodeFixtures.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.metrics.SetupErrors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

class IptablesRulesTest {
    private final SetupErrors errors = new SetupErrors();
    private final FakeIptables iptables = new FakeIptables();
    private final RecordingRunner runner = healthyNode(iptables);

    @Test
    void anEmptyNodeGetsTheTwelveRulesOfNodeCacheEachCheckedThenInserted() {
        NodeNetworking node = prepare(settings(false, "169.254.20.10"), runner, errors);
        runner.clear();

        node.ensureRules();

        assertEquals(checkThenInsert(rules("iptables-nft", "-C", "169.254.20.10")), runner.lines());
        assertEquals(12, iptables.total());
        assertEquals(0, errors.errors(SetupErrors.Type.IPTABLES));
    }

    @Test
    void mixedFamiliesGetTwelveIptablesAndTwelveIp6tablesRules() {
        NodeNetworking node = prepare(settings(false, "169.254.20.10", "fd00::10"), runner, errors);
        runner.clear();

        node.ensureRules();

        List<String> expected = new ArrayList<>(checkThenInsert(rules("iptables-nft", "-C", "169.254.20.10")));
        expected.addAll(checkThenInsert(rules("ip6tables-nft", "-C", "fd00::10")));
        assertEquals(expected, runner.lines());
        assertEquals(24, iptables.total());
    }

    @Test
    void aPresentRuleIsOnlyCheckedAndAMissingOneInsertedOnce() {
        NodeNetworking node = prepare(settings(false, "169.254.20.10"), runner, errors);
        List<String> checks = rules("iptables-nft", "-C", "169.254.20.10");
        for (String check : checks.subList(1, 12)) {
            iptables.put(argvOf(check), 1);
        }
        runner.clear();

        node.ensureRules();

        List<String> expected = new ArrayList<>(checks);
        expected.add(1, checks.get(0).replace(" -C ", " -I "));
        assertEquals(expected, runner.lines());
        assertEquals(Collections.nCopies(12, 1), iptables.counts());
    }

    @Test
    void reconcilingTwiceWithEverythingPresentAddsNothing() {
        NodeNetworking node = prepare(settings(false, "169.254.20.10", "fd00::10"), runner, errors);
        node.reconcile();
        runner.clear();

        node.reconcile();

        List<String> expected = new ArrayList<>(List.of("ip -o link show dev nodelocaldns",
                "ip -o addr show dev nodelocaldns"));
        expected.addAll(rules("iptables-nft", "-C", "169.254.20.10"));
        expected.addAll(rules("ip6tables-nft", "-C", "fd00::10"));
        assertEquals(expected, runner.lines());
        assertEquals(Collections.nCopies(24, 1), iptables.counts());
    }

    @Test
    void aHeldXtablesLockCountsAsIptablesLockAndOtherFailuresAsIptables() {
        String lockHeld = "Another app is currently holding the xtables lock. Stopped waiting after 5s.";
        runner.on("iptables-nft -w 5 -t raw -C PREROUTING", RecordingRunner.exit(4, lockHeld));
        runner.on("iptables-nft -w 5 -t filter -I INPUT", RecordingRunner.exit(2,
                "iptables v1.8.9 (nf_tables): Couldn't load match `comment':No such file or directory"));
        NodeNetworking node = prepare(settings(false, "169.254.20.10"), runner, errors);

        try (LogCapture log = new LogCapture()) {
            node.ensureRules();

            assertEquals(2, errors.errors(SetupErrors.Type.IPTABLES_LOCK));
            assertEquals(2, errors.errors(SetupErrors.Type.IPTABLES));
            String firstRule = rules("iptables-nft", "-C", "169.254.20.10").get(0);
            assertEquals("WARNING iptables: cannot check {raw PREROUTING -p tcp -d 169.254.20.10 --dport 53 -m comment "
                    + "--comment \"NodeLocal DNS Cache: skip conntrack\" -j NOTRACK}: " + firstRule + " exited 4: "
                    + lockHeld + " (another program holds the xtables lock; the next sync retries)",
                    log.lines(Level.WARNING).get(0));
        }
        // Of 12 rules, the 2 whose check met the lock and the 2 whose insert failed are missing.
        assertEquals(8, iptables.total());
    }

    @Test
    void teardownDeletesEveryCopyUntilCheckSaysItIsGone() {
        NodeNetworking node = prepare(settings(false, "169.254.20.10"), runner, errors);
        node.ensureRules();
        node.ensureRules();
        List<String> checks = rules("iptables-nft", "-C", "169.254.20.10");
        // Three copies of the first rule, as a previous instance or another writer may leave them.
        iptables.put(argvOf(checks.get(0)), 3);
        runner.clear();

        node.teardown();

        List<String> expected = new ArrayList<>();
        String delete = checks.get(0).replace(" -C ", " -D ");
        for (int copy = 0; copy < 3; copy++) {
            expected.add(delete);
            expected.add(checks.get(0));
        }
        for (String check : checks.subList(1, 12)) {
            expected.add(check.replace(" -C ", " -D "));
            expected.add(check);
        }
        expected.add("ip link del nodelocaldns");
        assertEquals(expected, runner.lines());
        assertEquals(0, iptables.total());
        assertEquals(0, errors.errors(SetupErrors.Type.IPTABLES));
    }

    @Test
    void teardownGivesUpOnARuleThatStaysAfterTenDeletionsAndCountsIt() {
        runner.on("iptables-nft -w 5 -t raw -C", RecordingRunner.ok());
        NodeNetworking node = prepare(settings(false, "169.254.20.10"), runner, errors);
        runner.clear();

        try (LogCapture log = new LogCapture()) {
            node.teardown();

            // 8 raw rules never go away: 10 rounds of -D and -C each; 4 filter rules: one round.
            assertEquals(8 * 20 + 4 * 2 + 1, runner.lines().size());
            assertEquals(8, errors.errors(SetupErrors.Type.IPTABLES));
            assertTrue(log.lines(Level.WARNING).get(0).startsWith("WARNING iptables: cannot remove {raw PREROUTING -p "
                    + "tcp -d 169.254.20.10 --dport 53 -m comment --comment \"NodeLocal DNS Cache: skip conntrack\" "
                    + "-j NOTRACK}: still present after 10 deletions"), log.lines(Level.WARNING).get(0));
        }
    }

    @Test
    void skipTeardownRunsNoCommandAndASecondTeardownNeither() {
        NodeNetworking node = prepare(settings(true, "169.254.20.10"), runner, errors);
        node.ensureRules();
        runner.clear();

        node.teardown();
        node.teardown();

        assertEquals(List.of(), runner.lines());
        assertEquals(12, iptables.total());
    }

    @Test
    void nothingIsAddedBackAfterTeardown() {
        NodeNetworking node = prepare(settings(false, "169.254.20.10"), runner, errors);
        node.ensureRules();
        node.teardown();
        runner.clear();

        node.reconcile();
        node.ensureRules();

        assertEquals(List.of(), runner.lines());
        assertEquals(0, iptables.total());
    }
}
