package io.nodedns.node;

import java.util.List;

/**
 * Runs one external command to completion; the only way this package touches the system, so that
 * tests can record the exact command lines and script what the commands answer.
 */
public interface CommandRunner {
    /**
     * Runs {@code argv} and waits for it. Never throws for a command that fails, cannot be found
     * or runs too long: that is all in the result's exit code and stderr.
     *
     * @param argv the program name and its arguments, passed without a shell
     */
    CommandResult run(List<String> argv);
}
