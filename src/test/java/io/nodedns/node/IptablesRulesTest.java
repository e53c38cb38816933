package io.nodedns.node;

import static io.nodedns.node.NodeFixtures.argvOf;
import static io.nodedns.node.NodeFixtures.checkThenInsert;
import static io.nodedns.node.NodeFixtures.healthyNode;
import static io.nodedns.node.NodeFixtures.ip;
import static io.nodedns.node.NodeFixtures.prepare;
import static io.nodedns.node.NodeFixtures.rules;
import static io.nodedns.node.NodeFixtures.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.metrics.SetupErrors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
    void teardownStopsAtOnceOnARuleThatCheckFindsButDeleteDoesNotDelete() {
        // -C says present, -D exits 1 ("Bad rule"): nothing is deleted, deleting again cannot help.
        runner.on("iptables-nft -w 5 -t raw -C", RecordingRunner.ok());
        NodeNetworking node = prepare(settings(false, "169.254.20.10"), runner, errors);
        runner.clear();

        try (LogCapture log = new LogCapture()) {
            node.teardown();

            // 8 raw rules: one -D and one -C each, then given up; 4 filter rules: one round.
            assertEquals(8 * 2 + 4 * 2 + 1, runner.lines().size());
            assertEquals(8, errors.errors(SetupErrors.Type.IPTABLES));
            String warning = log.lines(Level.WARNING).get(0);
            assertTrue(warning.startsWith("WARNING iptables: cannot remove {raw PREROUTING -p tcp -d 169.254.20.10 "
                    + "--dport 53 -m comment --comment \"NodeLocal DNS Cache: skip conntrack\" -j NOTRACK}: -C finds it "
                    + "but -D does not delete it (check/delete mismatch): "), warning);
            assertFalse(warning.contains("keeps adding it back"), warning);
        }
    }

    @Test
    void teardownGivesUpOnARuleThatKeepsComingBackAfterTenDeletionsAndCountsIt() {
        // Every -D deletes a copy (exit 0), yet -C keeps finding one: another writer adds it back.
        runner.on("iptables-nft -w 5 -t raw -C", RecordingRunner.ok());
        runner.on("iptables-nft -w 5 -t raw -D", RecordingRunner.ok());
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
    void teardownRetriesADeleteThatMetTheXtablesLock() {
        NodeNetworking node = prepare(settings(false, "169.254.20.10"), runner, errors);
        node.ensureRules();
        List<String> checks = rules("iptables-nft", "-C", "169.254.20.10");
        String delete = checks.get(0).replace(" -C ", " -D ");
        AtomicInteger locked = new AtomicInteger(1);
        runner.on(argv -> CommandLines.format(argv).equals(delete), argv -> locked.getAndDecrement() > 0
                ? RecordingRunner.exit(4, "Another app is currently holding the xtables lock. Stopped waiting after 5s.")
                : iptables.apply(argv));
        runner.clear();

        node.teardown();

        assertEquals(List.of(delete, delete, checks.get(0)), runner.lines().subList(0, 3));
        assertEquals(0, iptables.total());
        assertEquals(1, errors.errors(SetupErrors.Type.IPTABLES_LOCK));
        assertEquals(0, errors.errors(SetupErrors.Type.IPTABLES));
    }

    @Test
    @Timeout(10)
    void teardownGivesUpOnTheRulesLeftWhenItsDeadlinePasses() {
        AtomicLong now = new AtomicLong(123);
        List<String> checks = rules("iptables-nft", "-C", "169.254.20.10");
        checks.forEach(check -> iptables.put(argvOf(check), 1));
        String lockedDelete = checks.get(1).replace(" -C ", " -D ");
        // The second rule's -D meets the lock every time, each try taking the 5 s of -w 5.
        runner.on(argv -> CommandLines.format(argv).equals(lockedDelete), argv -> {
            now.addAndGet(Duration.ofSeconds(5).toNanos());
            return RecordingRunner.exit(4, "Another app is currently holding the xtables lock. Stopped waiting after 5s.");
        });
        List<IptablesRule> all = NodeCacheRules.forAll(List.of(ip("169.254.20.10")), 53, 8080);
        IptablesRules rules = new IptablesRules(all, IptablesBackend.NFT, runner, errors, now::get);

        try (LogCapture log = new LogCapture()) {
            rules.removeAll();

            // The first rule removed; the second tried 4 times in 20 s; the other 10 not tried.
            assertEquals(List.of(checks.get(0).replace(" -C ", " -D "), checks.get(0),
                    lockedDelete, lockedDelete, lockedDelete, lockedDelete), runner.lines());
            assertEquals(11, iptables.total());
            assertEquals(4 + 11, errors.errors(SetupErrors.Type.IPTABLES_LOCK));
            assertEquals(0, errors.errors(SetupErrors.Type.IPTABLES));
            List<String> warnings = log.lines(Level.WARNING);
            assertEquals(5, warnings.size(), String.join("\n", warnings));
            String last = warnings.get(4);
            assertTrue(last.startsWith("WARNING iptables: teardown deadline of 20 s passed; giving up on 11 rules left "
                    + "(each counted as iptables_lock): {raw PREROUTING -p udp -d 169.254.20.10 --dport 53 "), last);
            for (IptablesRule rule : all.subList(1, 12)) {
                assertTrue(last.contains(rule.toString()), rule + " not in " + last);
            }
            assertFalse(last.contains(all.get(0).toString()), last);
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
    void theRulesGoFirstAndTheLinkOnlyWhenAskedForAfterwards() {
        NodeNetworking node = prepare(settings(false, "169.254.20.10"), runner, errors);
        node.ensureRules();
        runner.clear();

        node.removeRules();
        assertEquals(0, iptables.total());
        assertFalse(runner.lines().stream().anyMatch(l -> l.startsWith("ip link del")), runner.lines().toString());

        runner.clear();
        node.removeLink();
        node.removeLink();
        assertEquals(List.of("ip link del nodelocaldns"), runner.lines(), "the link once, the rules not again");
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
