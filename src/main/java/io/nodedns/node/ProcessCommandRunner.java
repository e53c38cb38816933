package io.nodedns.node;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real {@link CommandRunner}: {@link ProcessBuilder}, no shell. {@code argv[0]} is looked up in
 * {@code PATH}, then in {@code /usr/sbin} and {@code /sbin}, where Debian puts {@code ip} and
 * {@code iptables} but which a container's {@code PATH} may lack. Every command is bounded by the
 * timeout given here, one deadline for the command and the reading of its output together (a
 * command that exits leaving a child that holds its pipes open does not get more time to be
 * read), plus at most {@value #READER_GRACE_MILLIS} ms after a kill for the text it left: a hung
 * {@code iptables} (waiting on a lock or a stuck netlink socket) must not stop the reconcile loop
 * or the shutdown for good.
 *
 * <p>Commands run with {@code LC_ALL=C}: the callers recognise some stderr texts ("does not
 * exist", "holding the xtables lock"), which a translated message would hide. Standard input is
 * closed at once, so a command that reads it sees end of file instead of waiting.
 */
public final class ProcessCommandRunner implements CommandRunner {
    /** How long to wait for the output readers after a kill, for text a killed command left. */
    private static final long READER_GRACE_MILLIS = 200;

    private final Duration timeout;
    private final List<Path> searchPath;

    /** A runner that looks programs up in this process's {@code PATH}, then /usr/sbin and /sbin. */
    public ProcessCommandRunner(Duration timeout) {
        this(timeout, defaultSearchPath(System.getenv("PATH")));
    }

    ProcessCommandRunner(Duration timeout, List<Path> searchPath) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("command timeout must be positive: " + timeout);
        }
        this.timeout = timeout;
        this.searchPath = List.copyOf(searchPath);
    }

    static List<Path> defaultSearchPath(String pathVariable) {
        List<Path> dirs = new ArrayList<>();
        if (pathVariable != null) {
            for (String dir : pathVariable.split(File.pathSeparator)) {
                if (!dir.isEmpty() && !dirs.contains(Path.of(dir))) {
                    dirs.add(Path.of(dir));
                }
            }
        }
        for (String sbin : List.of("/usr/sbin", "/sbin")) {
            if (!dirs.contains(Path.of(sbin))) {
                dirs.add(Path.of(sbin));
            }
        }
        return dirs;
    }

    @Override
    public CommandResult run(List<String> argv) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        Optional<Path> program = locate(argv.get(0));
        if (program.isEmpty()) {
            return new CommandResult(CommandResult.NOT_FOUND, "",
                    argv.get(0) + ": not found in " + searchPathText());
        }
        List<String> command = new ArrayList<>(argv);
        command.set(0, program.get().toString());
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("LC_ALL", "C");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            // 126: found but cannot be executed, the shell's code for it.
            return new CommandResult(126, "", program.get() + ": cannot run: " + e.getMessage());
        }
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // Standard input is only closed as a courtesy; a command that does not read it is fine.
        }
        // Both streams are drained at once: a command that fills one pipe (a big iptables-save)
        // while we block reading the other would otherwise never finish.
        StreamCollector stdout = StreamCollector.start(process.getInputStream(), "stdout of " + argv.get(0));
        StreamCollector stderr = StreamCollector.start(process.getErrorStream(), "stderr of " + argv.get(0));
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            if (!process.waitFor(remainingMillis(deadline), TimeUnit.MILLISECONDS)) {
                kill(process);
                long grace = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READER_GRACE_MILLIS);
                process.waitFor(remainingMillis(grace), TimeUnit.MILLISECONDS);
                String partialErr = stderr.text(remainingMillis(grace));
                String message = (partialErr.isEmpty() ? "" : partialErr + "\n")
                        + "timed out after " + timeout.toMillis() + " ms";
                return new CommandResult(CommandResult.TIMED_OUT, stdout.text(remainingMillis(grace)), message);
            }
            int exitCode = process.exitValue();
            // The same deadline: a child left holding the pipes is not waited for past it.
            String out = stdout.text(remainingMillis(deadline));
            return new CommandResult(exitCode, out, stderr.text(remainingMillis(deadline)));
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            return new CommandResult(CommandResult.TIMED_OUT, "", "interrupted while waiting; killed");
        }
    }

    /** Milliseconds left until {@code deadline} ({@link System#nanoTime}), at least 1. */
    private static long remainingMillis(long deadline) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    /**
     * SIGKILL to the command and to its descendants, which would otherwise keep the pipes open
     * (a shell's child). The descendants are listed first, while they are still the command's,
     * and killed after it, so a shell cannot report their death on stderr.
     */
    private static void kill(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
    }

    private Optional<Path> locate(String name) {
        if (name.contains("/")) {
            Path path = Path.of(name);
            return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
        }
        for (Path dir : searchPath) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private String searchPathText() {
        List<String> dirs = new ArrayList<>();
        searchPath.forEach(dir -> dirs.add(dir.toString()));
        return String.join(", ", dirs);
    }

    /** Reads one stream to its end on its own thread, keeping everything read so far. */
    private static final class StreamCollector implements Runnable {
        private final InputStream in;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final Thread thread;

        private StreamCollector(InputStream in, String name) {
            this.in = in;
            this.thread = new Thread(this, "nodedns-command " + name);
            // Daemon: a reader stuck on a pipe some orphan still holds must not keep the JVM alive.
            thread.setDaemon(true);
        }

        static StreamCollector start(InputStream in, String name) {
            StreamCollector collector = new StreamCollector(in, name);
            collector.thread.start();
            return collector;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    synchronized (bytes) {
                        bytes.write(buffer, 0, n);
                    }
                }
            } catch (IOException closed) {
                // The process went away mid-read; what arrived is kept.
            }
        }

        /** What was read, after waiting at most {@code waitMillis} for the end of the stream. */
        String text(long waitMillis) throws InterruptedException {
            thread.join(Math.max(1, waitMillis));
            synchronized (bytes) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
