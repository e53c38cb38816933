package io.nodedns.node;

/**
 * What one external command did.
 *
 * @param exitCode the exit status; {@value #NOT_FOUND} = the program was not found (as a shell
 *                 reports it), {@value #TIMED_OUT} = it ran past its time limit and was killed
 * @param stdout   everything it wrote to standard output
 * @param stderr   everything it wrote to standard error (or why it could not run)
 */
public record CommandResult(int exitCode, String stdout, String stderr) {
    /** The exit status a shell gives a program it cannot find. */
    public static final int NOT_FOUND = 127;
    /** The exit status this package gives a command it had to kill. */
    public static final int TIMED_OUT = -1;

    public CommandResult {
        stdout = stdout == null ? "" : stdout;
        stderr = stderr == null ? "" : stderr;
    }

    /** True if the command ran and exited 0. */
    public boolean ok() {
        return exitCode == 0;
    }

    /** True if the program does not exist on this machine. */
    public boolean notFound() {
        return exitCode == NOT_FOUND;
    }

    /** The command's own explanation for the log: stderr trimmed, or stdout when stderr is empty. */
    String explanation() {
        String text = stderr.isBlank() ? stdout : stderr;
        return text.strip().replace('\n', ' ');
    }
}
