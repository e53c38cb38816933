package io.nodedns.node;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A {@link CommandRunner} that runs nothing: it records every command line and answers from a
 * script. Later scripts win over earlier ones, so a test can start from a healthy node and
 * break one command. Unscripted commands exit 0 with no output.
 */
final class RecordingRunner implements CommandRunner {
    private record Script(Predicate<List<String>> matches, Function<List<String>, CommandResult> answer) {
    }

    private final List<List<String>> commands = new ArrayList<>();
    private final List<Script> scripts = new ArrayList<>();

    static CommandResult ok() {
        return new CommandResult(0, "", "");
    }

    static CommandResult ok(String stdout) {
        return new CommandResult(0, stdout, "");
    }

    static CommandResult exit(int code, String stderr) {
        return new CommandResult(code, "", stderr);
    }

    /** Answers {@code result} to every command starting with the words of {@code prefix}. */
    RecordingRunner on(String prefix, CommandResult result) {
        return on(prefix, argv -> result);
    }

    RecordingRunner on(String prefix, Function<List<String>, CommandResult> answer) {
        List<String> words = Arrays.asList(prefix.split(" "));
        return on(argv -> argv.size() >= words.size() && argv.subList(0, words.size()).equals(words), answer);
    }

    RecordingRunner on(Predicate<List<String>> matches, Function<List<String>, CommandResult> answer) {
        scripts.add(new Script(matches, answer));
        return this;
    }

    @Override
    public synchronized CommandResult run(List<String> argv) {
        commands.add(List.copyOf(argv));
        for (int i = scripts.size() - 1; i >= 0; i--) {
            if (scripts.get(i).matches().test(argv)) {
                return scripts.get(i).answer().apply(argv);
            }
        }
        return ok();
    }

    /** Every command so far, as {@link CommandLines#format} prints it. */
    synchronized List<String> lines() {
        return commands.stream().map(CommandLines::format).toList();
    }

    synchronized void clear() {
        commands.clear();
    }
}
