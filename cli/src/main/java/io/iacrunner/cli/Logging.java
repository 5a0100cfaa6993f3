package io.iacrunner.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import org.slf4j.LoggerFactory;

/** Switches the process's log lines (logback.xml's STDERR appender) to JSON, for log collectors. */
final class Logging {
    private Logging() {}

    /** One JSON object per line (Logback's own encoder): timestamp, level, thread, logger, formatted message, throwable, MDC. */
    static void useJson() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        if (!(root.getAppender("STDERR") instanceof OutputStreamAppender<ILoggingEvent> appender)) {
            throw new IllegalStateException("logback.xml has no STDERR appender to switch to JSON");
        }
        JsonEncoder json = new JsonEncoder();
        json.setContext(context);
        json.setWithSequenceNumber(false);
        json.setWithNanoseconds(false);
        json.setWithContext(false);
        json.setWithArguments(false);
        json.setWithMessage(false); // the template ("listening on {}"): the formatted message says it all
        json.setWithFormattedMessage(true);
        json.start();
        appender.stop();
        appender.setEncoder(json);
        appender.start();
    }
}
