package io.ackflow.benchmarks.harness;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;

/**
 * Counts the WARN and ERROR lines logged during one arm and keeps the first, so that a stop that
 * ran into a shutdown timeout, or a rebalance in the middle of a run, shows in the table and not
 * only in the scrolling log. Logging threads append; the harness thread resets and reads.
 */
final class LogWatch extends AppenderBase<ILoggingEvent> {

    private final AtomicLong warnings = new AtomicLong();

    private final AtomicReference<String> first = new AtomicReference<>();

    private LogWatch() {
    }

    /** Attaches a watch to the root logger. */
    static LogWatch install() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        LogWatch watch = new LogWatch();
        watch.setContext(context);
        watch.setName("bench-log-watch");
        watch.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(watch);
        return watch;
    }

    @Override
    protected void append(ILoggingEvent event) {
        if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
            this.warnings.incrementAndGet();
            this.first.compareAndSet(null, event.getLoggerName().replaceAll(".*\\.", "") + ": "
                    + event.getFormattedMessage());
        }
    }

    void reset() {
        this.warnings.set(0);
        this.first.set(null);
    }

    long warnings() {
        return this.warnings.get();
    }

    /** The first warning since the reset, or null. */
    String first() {
        return this.first.get();
    }

}
