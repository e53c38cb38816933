package io.nodedns.node;

import io.nodedns.metrics.SetupErrors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.logging.Logger;
import java.util.stream.Collectors;

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
     * How often a rule is deleted (each {@code -D} exiting 0) before teardown gives up on it.
     * node-cache loops until the rule is gone, unbounded; a rule some other writer keeps adding
     * back would then hang the pod's termination.
     */
    static final int MAX_DELETE_ROUNDS = 10;

    /**
     * The time the whole teardown (all rules) may take, retries included. A {@code -D} or
     * {@code -C} that met the xtables lock (after the 5 s of {@code -w 5}) or timed out is
     * retried until then; past it, the rules left are given up with one warning.
     */
    static final Duration TEARDOWN_DEADLINE = Duration.ofSeconds(20);

    /** kube's utiliptables {@code isResourceError}/node-cache's {@code isLockedErr}: the lock text. */
    private static final String LOCK_HELD = "holding the xtables lock";
    /** The log's note on a failure that the next reconcile retries. */
    private static final String NEXT_SYNC = "the next sync retries";
    /** The log's note on a teardown failure retried at once. */
    private static final String RETRYING = "retrying until the teardown deadline";

    private final List<IptablesRule> rules;
    private final IptablesBackend backend;
    private final CommandRunner runner;
    private final SetupErrors errors;
    private final LongSupplier nanoTime;

    IptablesRules(List<IptablesRule> rules, IptablesBackend backend, CommandRunner runner, SetupErrors errors) {
        this(rules, backend, runner, errors, System::nanoTime);
    }

    /** @param nanoTime the clock of the teardown deadline, {@link System#nanoTime} but in tests */
    IptablesRules(List<IptablesRule> rules, IptablesBackend backend, CommandRunner runner, SetupErrors errors,
                  LongSupplier nanoTime) {
        this.rules = List.copyOf(rules);
        this.backend = backend;
        this.runner = runner;
        this.errors = errors;
        this.nanoTime = nanoTime;
    }

    int size() {
        return rules.size();
    }

    /** Checks every rule and inserts the missing ones; never throws. */
    void ensureAll() {
        for (IptablesRule rule : rules) {
            List<String> check = command(rule, "-C");
            CommandResult checked = runner.run(check);
            if (checked.ok()) {
                LOG.fine(() -> "iptables rule " + rule + " for nodelocaldns already exists");
            } else if (checked.exitCode() == 1) {
                List<String> insert = command(rule, "-I");
                CommandResult inserted = runner.run(insert);
                if (inserted.ok()) {
                    LOG.info("Added back nodelocaldns rule - " + rule);
                } else {
                    fail("insert", rule, insert, inserted, NEXT_SYNC);
                }
            } else {
                fail("check", rule, check, checked, NEXT_SYNC);
            }
        }
    }

    /**
     * Deletes every rule until {@code -C} says it is gone (more than one copy may exist: a
     * previous run's, another writer's), at most {@link #MAX_DELETE_ROUNDS} deletions per rule.
     * A {@code -D} or {@code -C} that met the xtables lock or timed out is retried, all rules
     * together within {@link #TEARDOWN_DEADLINE}; past it, the rules left are given up with one
     * warning, each counted once. Never throws.
     */
    void removeAll() {
        long deadline = nanoTime.getAsLong() + TEARDOWN_DEADLINE.toNanos();
        for (int i = 0; i < rules.size(); i++) {
            Optional<SetupErrors.Type> left = remove(rules.get(i), deadline);
            if (left.isPresent()) {
                giveUp(rules.subList(i, rules.size()), left.get());
                return;
            }
        }
    }

    /**
     * Removes one rule.
     *
     * @return empty when done with the rule (gone, or a failure logged and counted); else the
     *         deadline passed first, with the type to count the rules left as: that of the last
     *         retried failure ({@code iptables_lock} when it was the lock), {@code iptables} if none
     */
    private Optional<SetupErrors.Type> remove(IptablesRule rule, long deadline) {
        int deleted = 0;
        SetupErrors.Type retried = SetupErrors.Type.IPTABLES;
        while (nanoTime.getAsLong() - deadline < 0) {
            List<String> delete = command(rule, "-D");
            CommandResult result = runner.run(delete);
            if (retryable(result)) {
                retried = fail("delete", rule, delete, result, RETRYING);
                continue;
            }
            if (result.ok()) {
                deleted++;
            } else if (result.exitCode() != 1) {
                // Exit 1 is "Bad rule (does a matching rule exist in that chain?)": nothing to delete.
                fail("delete", rule, delete, result, "");
                return Optional.empty();
            }
            List<String> check = command(rule, "-C");
            CommandResult checked = runner.run(check);
            if (retryable(checked)) {
                retried = fail("check", rule, check, checked, RETRYING);
                continue;
            }
            if (checked.exitCode() == 1) {
                if (deleted > 0) {
                    int copies = deleted;
                    LOG.info("Removed nodelocaldns rule - " + rule + (copies > 1 ? " (" + copies + " copies)" : ""));
                } else {
                    LOG.fine(() -> "iptables rule " + rule + " for nodelocaldns was already absent");
                }
                return Optional.empty();
            }
            if (!checked.ok()) {
                fail("check", rule, check, checked, "");
                return Optional.empty();
            }
            if (!result.ok()) {
                // -D found nothing to delete, yet -C finds the rule: deleting again cannot help.
                errors.count(SetupErrors.Type.IPTABLES);
                LOG.warning("iptables: cannot remove " + rule + ": -C finds it but -D does not delete it "
                        + "(check/delete mismatch): " + CommandLines.failure(delete, result));
                return Optional.empty();
            }
            if (deleted >= MAX_DELETE_ROUNDS) {
                errors.count(SetupErrors.Type.IPTABLES);
                LOG.warning("iptables: cannot remove " + rule + ": still present after " + MAX_DELETE_ROUNDS
                        + " deletions (" + CommandLines.format(delete) + "); something keeps adding it back");
                return Optional.empty();
            }
        }
        return Optional.of(retried);
    }

    private void giveUp(List<IptablesRule> left, SetupErrors.Type type) {
        left.forEach(rule -> errors.count(type));
        LOG.warning("iptables: teardown deadline of " + TEARDOWN_DEADLINE.toSeconds() + " s passed; giving up on "
                + left.size() + " rule" + (left.size() == 1 ? "" : "s") + " left (each counted as "
                + type.label() + "): "
                + left.stream().map(IptablesRule::toString).collect(Collectors.joining(", ")));
    }

    /** The xtables lock was held past {@code -w 5}, or the command timed out: worth another try. */
    private static boolean retryable(CommandResult result) {
        return result.exitCode() == CommandResult.TIMED_OUT || lockHeld(result);
    }

    private static boolean lockHeld(CommandResult result) {
        return !result.ok() && result.stderr().contains(LOCK_HELD);
    }

    /** Logs and counts a failed command; returns the type counted. */
    private SetupErrors.Type fail(String action, IptablesRule rule, List<String> argv, CommandResult result,
                                  String retry) {
        boolean lockHeld = lockHeld(result);
        SetupErrors.Type type = lockHeld ? SetupErrors.Type.IPTABLES_LOCK : SetupErrors.Type.IPTABLES;
        errors.count(type);
        String why = lockHeld ? "another program holds the xtables lock" : "";
        String when = retry.isEmpty() || (!lockHeld && retry.equals(NEXT_SYNC)) ? "" : retry;
        String hint = why.isEmpty() ? when : when.isEmpty() ? why : why + "; " + when;
        LOG.warning("iptables: cannot " + action + " " + rule + ": " + CommandLines.failure(argv, result)
                + (hint.isEmpty() ? "" : " (" + hint + ")"));
        return type;
    }

    private List<String> command(IptablesRule rule, String operation) {
        List<String> argv = new ArrayList<>();
        argv.add(backend.binary(rule.ipv6()));
        argv.addAll(rule.arguments(operation));
        return argv;
    }
}
