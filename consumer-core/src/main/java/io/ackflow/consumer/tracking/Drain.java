package io.ackflow.consumer.tracking;

import java.time.Duration;
import java.util.Collection;
import java.util.function.LongSupplier;

/**
 * The wait for the handlers still running on records of partitions whose work in progress ends
 * (revoked, or sought elsewhere), up to a timeout: what a handler finishes within it is acked and
 * may be committed; what it finishes later is late and ignored. While it waits, the poll thread
 * runs no turn of its loop, so the checks of a turn (stuck partitions, the snapshot) run here
 * about every {@link #CHECK_EVERY}: a record that holds the wait is reported stuck all the same.
 * <p>
 * The deadline is elapsed time from the ticker, not the engine's clock: a drain must end in real
 * time even when the clock that drives commits stands still in a test.
 * <p>
 * Threads: the poll thread alone.
 */
public final class Drain {

    /** How often a drain that waits runs the checks of a turn. */
    public static final Duration CHECK_EVERY = Duration.ofMillis(500);

    private static final long CHECK_EVERY_NANOS = CHECK_EVERY.toNanos();

    private final Duration timeout;

    private final LongSupplier ticker;

    private final Runnable whileWaiting;

    /**
     * @param timeout how long a drain waits for handlers still running
     * @param ticker nanoseconds for the deadline ({@code System::nanoTime} outside tests)
     * @param whileWaiting the checks of a turn, run about every {@link #CHECK_EVERY} while it waits
     */
    public Drain(Duration timeout, LongSupplier ticker, Runnable whileWaiting) {
        this.timeout = timeout;
        this.ticker = ticker;
        this.whileWaiting = whileWaiting;
    }

    /** How long a drain waits at the most. */
    public Duration timeout() {
        return this.timeout;
    }

    /**
     * Waits until no handler runs on a record of the {@code trackers}' partitions, or until the
     * timeout passes.
     * @return whether they are all idle
     */
    public boolean await(Collection<OffsetTracker> trackers) {
        long deadline = this.ticker.getAsLong() + this.timeout.toNanos();
        boolean idle = true;
        for (OffsetTracker tracker : trackers) {
            while (!tracker.awaitIdle(Math.min(deadline, this.ticker.getAsLong() + CHECK_EVERY_NANOS), this.ticker)) {
                if (this.ticker.getAsLong() - deadline >= 0) {
                    idle = false;
                    break;
                }
                this.whileWaiting.run();
            }
        }
        return idle;
    }

}
