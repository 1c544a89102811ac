package io.ackflow.consumer.loop;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.commit.CommitPlanner;
import io.ackflow.consumer.commit.CommitStrategy;
import io.ackflow.consumer.dispatch.Conductor;
import io.ackflow.consumer.flow.PauseController;
import io.ackflow.consumer.flow.PauseReason;

/**
 * The end of the poll thread: stops fetching and, as a revoke does, starts nothing more and hands
 * the queued records back (they are not acked, so not committed, and whoever reads their
 * partitions next gets them again), waits up to the shutdown timeout for the handlers already
 * running, makes the final commit of the acked prefix through the commit strategy and closes the
 * consumer. A stop therefore takes as long as the longest running handler, not as long as the
 * queue. Whatever fails on the way, the consumer is closed, so a member whose poll thread is gone
 * leaves its group instead of holding its partitions.
 * <p>
 * The deadline is elapsed time from the ticker, not the injected clock: like the rebalance
 * drain, a stop must end in real time even when the clock that drives commits and stuck reports
 * stands still.
 * <p>
 * Threads: the poll thread alone.
 */
final class Shutdown {

    private static final Logger logger = LoggerFactory.getLogger(Shutdown.class);

    /** Longest single poll while waiting: it keeps the member in its group and runs commit callbacks. */
    private static final long WAIT_POLL_MILLIS = 50;

    private final Consumer<byte[], byte[]> consumer;

    private final Conductor conductor;

    private final CommitPlanner planner;

    private final CommitStrategy commits;

    private final PauseController pauses;

    private final CommandQueue commands;

    private final Duration timeout;

    private final LongSupplier ticker;

    Shutdown(Consumer<byte[], byte[]> consumer, Conductor conductor, CommitPlanner planner, CommitStrategy commits,
            PauseController pauses, CommandQueue commands, Duration timeout, LongSupplier ticker) {
        this.consumer = consumer;
        this.conductor = conductor;
        this.planner = planner;
        this.commits = commits;
        this.pauses = pauses;
        this.commands = commands;
        this.timeout = timeout;
        this.ticker = ticker;
    }

    /**
     * @param failure why the engine stops, or null; read again during the wait, as one may come then
     * @param pollPaused polls the paused consumer for at most the given time
     * @param closing told just before the consumer closes: the revoke that closing runs must not drain again
     */
    void run(Supplier<Throwable> failure, java.util.function.Consumer<Duration> pollPaused, Runnable closing) {
        try {
            this.pauses.pauseAll(PauseReason.REBALANCE);
            long deadline = this.ticker.getAsLong() + this.timeout.toNanos();
            int dropped = this.conductor.dropQueued(Set.copyOf(this.planner.partitions()));
            this.conductor.close();
            if (dropped > 0) {
                logger.info("Stopping {}: {} queued record deliveries were not started and are read again by the next"
                        + " owner of their partitions; waiting up to {} for the handlers running", this.conductor.topics(),
                        dropped, this.timeout);
            }
            while (!this.planner.allIdle() && !this.commits.endWaitOnStop()) {
                long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - this.ticker.getAsLong());
                if (remaining <= 0) {
                    logger.warn("Shutdown timeout {} passed with handlers still running; committing the acked prefix,"
                            + " the rest is read again on restart", this.timeout);
                    break;
                }
                this.commands.runAll();
                // Paused, it returns no records, and any it did return would be neither tracked
                // nor committed, so read again.
                pollPaused.accept(Duration.ofMillis(Math.min(remaining, WAIT_POLL_MILLIS)));
            }
            this.conductor.close();
            this.commits.stop(deadline, failure.get());
        }
        catch (RuntimeException ex) {
            if (StoppingErrors.isStopping(ex)) {
                logger.info("Final commit of {} interrupted by the stop; records acked since the last commit are read"
                        + " again on restart: {}", this.conductor.topics(), ex.toString());
            }
            else {
                logger.error("Final commit of {} failed; records acked since the last commit are read again on restart",
                        this.conductor.topics(), ex);
            }
        }
        finally {
            this.conductor.close();
            runLateCommands();
            this.commits.close();
            closing.run();
            closeConsumer();
            this.commands.close();
        }
    }

    /** Commands queued after the last turn run, so their futures complete: commits are still possible here. */
    private void runLateCommands() {
        try {
            this.commands.runAll();
        }
        catch (RuntimeException ex) {
            logger.debug("Command after shutdown failed", ex);
        }
    }

    private void closeConsumer() {
        try {
            this.consumer.close();
        }
        catch (RuntimeException ex) {
            if (StoppingErrors.isStopping(ex)) {
                logger.debug("Closing the consumer was interrupted: {}", ex.toString());
            }
            else {
                logger.warn("Closing the consumer failed", ex);
            }
        }
    }

}
