package io.ackflow.consumer;

import java.util.concurrent.atomic.LongAdder;

/**
 * Running totals of one subscription, safe to update and read from any thread; the engine's
 * totals ({@link EngineStats}) are their sums.
 */
public final class SubscriptionStats {

    private final LongAdder handled = new LongAdder();

    private final LongAdder failed = new LongAdder();

    private final LongAdder retried = new LongAdder();

    private final LongAdder deadLettered = new LongAdder();

    private final LongAdder skipped = new LongAdder();

    /** Handler invocations that completed normally. */
    public long handled() {
        return this.handled.sum();
    }

    /** Records this subscription failed on for good (after its retries, or undeserializable). */
    public long failed() {
        return this.failed.sum();
    }

    /** Retries scheduled. */
    public long retried() {
        return this.retried.sum();
    }

    /** Records published to the dead-letter topic. */
    public long deadLettered() {
        return this.deadLettered.sum();
    }

    /** Records the handler declined with {@code SkipRecordException}. */
    public long skipped() {
        return this.skipped.sum();
    }

    public void recordHandled() {
        this.handled.increment();
    }

    public void recordFailed() {
        this.failed.increment();
    }

    public void recordRetried() {
        this.retried.increment();
    }

    public void recordDeadLettered() {
        this.deadLettered.increment();
    }

    public void recordSkipped() {
        this.skipped.increment();
    }

}
