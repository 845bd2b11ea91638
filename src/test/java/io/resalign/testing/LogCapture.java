package io.resalign.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jboss.logmanager.ExtLogRecord;

/**
 * Collects what one class logs while a test runs, so that a test can check that a failure path
 * says what happened (the tests run under JBoss LogManager, the JUL manager surefire sets, which
 * JBoss Logging writes to). Close it to detach.
 */
public final class LogCapture implements AutoCloseable {
    /** One captured line: its level, its message with the arguments filled in, and its exception. */
    public record Line(Level level, String message, Throwable thrown) {}

    private final Logger logger;
    private final List<Line> lines = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            String message = r instanceof ExtLogRecord ext ? ext.getFormattedMessage() : r.getMessage();
            lines.add(new Line(r.getLevel(), message, r.getThrown()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private LogCapture(Class<?> source) {
        this.logger = Logger.getLogger(source.getName());
        logger.addHandler(handler);
    }

    /** Starts capturing what {@code source}'s logger writes. */
    public static LogCapture of(Class<?> source) {
        return new LogCapture(source);
    }

    /** Returns the lines captured so far, in order. */
    public List<Line> lines() {
        return List.copyOf(lines);
    }

    /** Returns the captured lines at {@code level} whose message contains {@code text}. */
    public List<Line> find(Level level, String text) {
        return lines.stream().filter(l -> l.level().intValue() == level.intValue() && l.message().contains(text)).toList();
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
    }
}
