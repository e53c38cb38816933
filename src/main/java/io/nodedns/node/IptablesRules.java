package io.nodedns.node;

import io.nodedns.metrics.SetupErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Keeps nodedns's iptables rules in place and removes them, with the binaries of one backend.
 * Ensuring follows kube's utiliptables {@code EnsureRule(Prepend, ...)}, which node-cache calls:
 * {@code -C}, and {@code -I} (at the top, ahead of anything kube-proxy adds) only if the rule is
 * missing, so a rule is never duplicated however often this runs. Every failure is logged with
 * its command line and stderr, and counted as node-cache counts it: {@code iptables_lock} when
 * the xtables lock was held, {@code iptables} otherwise.
 */
final class IptablesRules {
    private static final Logger LOG = Logger.getLogger(IptablesRules.class.getPackageName());

    /**
     * How often a rule is deleted before teardown gives up on it. node-cache loops until the
     * rule is gone, unbounded; a rule some other writer keeps adding back, or an iptables whose
     * {@code -D} "succeeds" without effect, would then hang the pod's termination.
     */
    static final int MAX_DELETE_ROUNDS = 10;

    /** kube's utiliptables {@code isResourceError}/node-cache's {@code isLockedErr}: the lock text. */
    private static final String LOCK_HELD = "holding the xtables lock";

    /** What {@code -C} says. */
    private enum Presence { PRESENT, ABSENT, UNKNOWN }

    private final List<IptablesRule> rules;
    private final IptablesBackend backend;
    private final CommandRunner runner;
    private final SetupErrors errors;

    IptablesRules(List<IptablesRule> rules, IptablesBackend backend, CommandRunner runner, SetupErrors errors) {
        this.rules = List.copyOf(rules);
        this.backend = backend;
        this.runner = runner;
        this.errors = errors;
    }

    int size() {
        return rules.size();
    }

    /** Checks every rule and inserts the missing ones; never throws. */
    void ensureAll() {
        for (IptablesRule rule : rules) {
            Presence presence = check(rule);
            if (presence == Presence.PRESENT) {
                LOG.fine(() -> "iptables rule " + rule + " for nodelocaldns already exists");
            } else if (presence == Presence.ABSENT) {
                List<String> insert = command(rule, "-I");
                CommandResult inserted = runner.run(insert);
                if (inserted.ok()) {
                    LOG.info("Added back nodelocaldns rule - " + rule);
                } else {
                    fail("insert", rule, insert, inserted);
                }
            }
        }
    }

    /**
     * Deletes every rule until {@code -C} says it is gone (more than one copy may exist: a
     * previous run's, another writer's), at most {@link #MAX_DELETE_ROUNDS} times per rule;
     * never throws.
     */
    void removeAll() {
        for (IptablesRule rule : rules) {
            remove(rule);
        }
    }

    private void remove(IptablesRule rule) {
        int deleted = 0;
        for (int round = 0; round < MAX_DELETE_ROUNDS; round++) {
            List<String> delete = command(rule, "-D");
            CommandResult result = runner.run(delete);
            if (result.ok()) {
                deleted++;
            } else if (result.exitCode() != 1) {
                // Exit 1 is "Bad rule (does a matching rule exist in that chain?)": nothing to delete.
                fail("delete", rule, delete, result);
                return;
            }
            Presence presence = check(rule);
            if (presence == Presence.ABSENT) {
                if (deleted > 0) {
                    int copies = deleted;
                    LOG.info("Removed nodelocaldns rule - " + rule + (copies > 1 ? " (" + copies + " copies)" : ""));
                } else {
                    LOG.fine(() -> "iptables rule " + rule + " for nodelocaldns was already absent");
                }
                return;
            }
            if (presence == Presence.UNKNOWN) {
                return;
            }
        }
        errors.count(SetupErrors.Type.IPTABLES);
        LOG.warning("iptables: cannot remove " + rule + ": still present after " + MAX_DELETE_ROUNDS + " deletions ("
                + CommandLines.format(command(rule, "-D")) + "); something keeps adding it back");
    }

    /** {@code -C}: exit 0 present, 1 absent, anything else an error (logged and counted). */
    private Presence check(IptablesRule rule) {
        List<String> check = command(rule, "-C");
        CommandResult result = runner.run(check);
        if (result.ok()) {
            return Presence.PRESENT;
        }
        if (result.exitCode() == 1) {
            return Presence.ABSENT;
        }
        fail("check", rule, check, result);
        return Presence.UNKNOWN;
    }

    private void fail(String action, IptablesRule rule, List<String> argv, CommandResult result) {
        boolean lockHeld = result.stderr().contains(LOCK_HELD);
        errors.count(lockHeld ? SetupErrors.Type.IPTABLES_LOCK : SetupErrors.Type.IPTABLES);
        LOG.warning("iptables: cannot " + action + " " + rule + ": " + CommandLines.failure(argv, result)
                + (lockHeld ? " (another program holds the xtables lock; the next sync retries)" : ""));
    }

    private List<String> command(IptablesRule rule, String operation) {
        List<String> argv = new ArrayList<>();
        argv.add(backend.binary(rule.ipv6()));
        argv.addAll(rule.arguments(operation));
        return argv;
    }
}
