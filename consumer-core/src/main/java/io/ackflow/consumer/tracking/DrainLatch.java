package io.ackflow.consumer.tracking;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.concurrent.locks.LockSupport;

/**
 * The handlers running on records of one partition, and the wait for them to finish before the
 * partition is handed over or a transaction commits (a <em>drain</em>).
 * <p>
 * A handler counts as <em>running</em> from the moment its subscription takes the record until it
 * is done with it, a retry waiting on a timer included. Once a drain has {@link #begin begun}, a
 * record that fails is left for the partition's next owner instead of waiting here for a retry.
 *
 * <h2>Threads</h2>
 * {@link #started}, {@link #finished}, {@link #running}, {@link #begin} and {@link #isDraining}
 * are safe from any thread. {@link #awaitIdle} has one caller at a time, the poll thread; the
 * {@link #finished} call that brings the count to zero unparks it.
 */
final class DrainLatch {

    /** Longest single park of a wait: how soon it sees a ticker moved by a test. */
    static final long LONGEST_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final AtomicInteger running = new AtomicInteger();

    /** The thread inside {@link #awaitIdle}, else null. */
    private volatile Thread waiter;

    /** Set when a drain begins: failed records are no longer retried here. */
    private volatile boolean draining;

    /** A handler started on a record of the partition. Any thread. */
    void started() {
        this.running.incrementAndGet();
    }

    /** A handler finished with a record of the partition; wakes a waiting drain at zero. Any thread. */
    void finished() {
        if (this.running.decrementAndGet() == 0) {
            Thread waiter = this.waiter;
            if (waiter != null) {
                LockSupport.unpark(waiter);
            }
        }
    }

    /** Handlers running now. Any thread. */
    int running() {
        return this.running.get();
    }

    /**
     * Waits until no handler runs, or until {@code deadlineNanos} on {@code ticker} passes: a
     * drain needs elapsed time whatever clock the engine runs commits on. The last handler to
     * finish wakes the wait at once; otherwise it looks at the ticker again at least every
     * {@link #LONGEST_PARK_NANOS}, so a ticker that a test moves ends it too. Poll thread.
     * @return whether no handler runs
     */
    boolean awaitIdle(long deadlineNanos, LongSupplier ticker) {
        this.waiter = Thread.currentThread();
        try {
            while (this.running.get() > 0) {
                long remaining = deadlineNanos - ticker.getAsLong();
                if (remaining <= 0) {
                    return false;
                }
                LockSupport.parkNanos(this, Math.min(remaining, LONGEST_PARK_NANOS));
            }
            return true;
        }
        finally {
            this.waiter = null;
        }
    }

    /** The partition is being handed over. Any thread. */
    void begin() {
        this.draining = true;
    }

    /** Whether {@link #begin} was called. Any thread. */
    boolean isDraining() {
        return this.draining;
    }

}
