package io.ackflow.consumer.loop;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.errors.WakeupException;

/**
 * The consumer's {@code poll}, who may interrupt it, and when it last returned.
 * <p>
 * Other threads wake the consumer only while the poll thread is inside {@code poll} (the
 * {@link #inPoll} flag): a wakeup outside it would abort the next {@code commitSync} instead.
 * The time of the last return is what tells health that the poll thread came back; a poll
 * thread held inside {@code poll} (in a rebalance callback) or elsewhere does not update it.
 * <p>
 * Threads: {@link #poll} and {@link #lastReturnAt} on the poll thread; {@link #wakeupIfPolling}
 * from any thread. The rebalance handler, on the poll thread inside {@code poll}, clears the
 * flag while it commits.
 */
final class Poller {

    private final Consumer<byte[], byte[]> consumer;

    private final Clock clock;

    private final AtomicBoolean inPoll = new AtomicBoolean();

    /** Clock millis of the last return from poll, or MIN_VALUE before the first. Poll thread. */
    private long lastReturnAt = Long.MIN_VALUE;

    Poller(Consumer<byte[], byte[]> consumer, Clock clock) {
        this.consumer = consumer;
        this.clock = clock;
    }

    /**
     * Polls for at most {@code timeout}; empty when woken. Poll thread.
     */
    ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        this.inPoll.set(true);
        try {
            return this.consumer.poll(timeout);
        }
        catch (WakeupException woken) {
            // A command, a stop or commitEvery acks are waiting; the caller's turn handles them.
            return ConsumerRecords.empty();
        }
        finally {
            this.inPoll.set(false);
            this.lastReturnAt = this.clock.millis();
        }
    }

    /** Wakes the consumer if the poll thread is inside {@code poll}. Any thread. */
    void wakeupIfPolling() {
        if (this.inPoll.get()) {
            this.consumer.wakeup();
        }
    }

    /** Set while the poll thread is inside {@code poll}. */
    AtomicBoolean inPoll() {
        return this.inPoll;
    }

    /** Clock millis of the last return from poll, or MIN_VALUE before the first. Poll thread. */
    long lastReturnAt() {
        return this.lastReturnAt;
    }

}
