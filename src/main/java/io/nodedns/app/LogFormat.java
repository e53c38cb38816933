package io.nodedns.app;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/** One line per record: {@code 2026-11-21T05:17:52.123Z INFO nodedns: message}, the cause appended. */
final class LogFormat extends Formatter {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_INSTANT.withZone(ZoneOffset.UTC);

    @Override
    public String format(LogRecord record) {
        StringBuilder sb = new StringBuilder(128);
        sb.append(TIME.format(Instant.ofEpochMilli(record.getMillis()))).append(' ')
                .append(levelName(record.getLevel())).append(' ')
                .append(shortName(record.getLoggerName())).append(": ")
                .append(formatMessage(record));
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            sb.append(": ").append(trace.toString().stripTrailing());
        }
        return sb.append('\n').toString();
    }

    private static String levelName(Level level) {
        if (level == Level.SEVERE) {
            return "ERROR";
        }
        if (level == Level.WARNING) {
            return "WARN";
        }
        return level.getName();
    }

    private static String shortName(String logger) {
        if (logger == null) {
            return "nodedns";
        }
        int dot = logger.lastIndexOf('.');
        return dot < 0 ? logger : logger.substring(dot + 1);
    }
}
