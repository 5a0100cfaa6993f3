package io.iacrunner.server.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * What the server logs while a test runs: every event that passes the configured levels (logback-test.xml mirrors
 * the levels the CLI's logback.xml sets for the libraries), collected from the root logger until closed.
 */
public final class LogCapture implements AutoCloseable {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);

    private LogCapture() {}

    public static LogCapture start() {
        LogCapture capture = new LogCapture();
        capture.appender.setName("capture-" + System.identityHashCode(capture));
        capture.appender.start();
        capture.root.addAppender(capture.appender);
        return capture;
    }

    /** A copy of the events so far. */
    public List<ILoggingEvent> events() {
        synchronized (appender.list) {
            return List.copyOf(appender.list);
        }
    }

    /** Events at {@code level} or above. */
    public List<ILoggingEvent> atLeast(Level level) {
        return events().stream()
                .filter(e -> e.getLevel().isGreaterOrEqual(level))
                .toList();
    }

    /** Events whose formatted message contains {@code text}. */
    public List<ILoggingEvent> containing(String text) {
        return events().stream()
                .filter(e -> e.getFormattedMessage().contains(text))
                .toList();
    }

    /** One line per event, for assertion messages. */
    public static String describe(List<ILoggingEvent> events) {
        StringBuilder b = new StringBuilder();
        for (ILoggingEvent e : events) {
            b.append(e.getLevel())
                    .append(' ')
                    .append(e.getLoggerName())
                    .append(" - ")
                    .append(e.getFormattedMessage());
            if (e.getThrowableProxy() != null)
                b.append(" [").append(e.getThrowableProxy().getClassName()).append(']');
            b.append('\n');
        }
        return b.toString();
    }

    @Override
    public void close() {
        root.detachAppender(appender);
        appender.stop();
    }
}
