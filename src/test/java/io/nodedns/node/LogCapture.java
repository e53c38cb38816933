package io.nodedns.node;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects what the package logs while open; a strong reference keeps the logger's level. */
final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger = Logger.getLogger("io.nodedns.node");
    private final Level previousLevel = logger.getLevel();
    private final List<LogRecord> records = new ArrayList<>();

    LogCapture() {
        setLevel(Level.ALL);
        logger.setLevel(Level.ALL);
        logger.addHandler(this);
    }

    /** "LEVEL message" of each record at {@code minimum} or above. */
    synchronized List<String> lines(Level minimum) {
        return records.stream().filter(r -> r.getLevel().intValue() >= minimum.intValue())
                .map(r -> r.getLevel() + " " + r.getMessage()).toList();
    }

    @Override
    public synchronized void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(previousLevel);
    }
}
