package io.ackflow.consumer.testing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Elapsed nanoseconds that move only when a test moves them, for the engine's ticker
 * ({@code EngineConfig.Builder.ticker}): drains, the shutdown wait and aborts then end by moving
 * time, not by waiting for it. {@link #steppingBy} makes every read move it, so a wait on a
 * deadline ends after a few reads whatever thread reads it.
 * <p>
 * Threads: any; reads and moves are atomic.
 */
public final class MutableTicker implements LongSupplier {

    private final AtomicLong nanos = new AtomicLong();

    private volatile long stepNanos;

    /** A ticker that moves by {@code step} at every read (after the read). */
    public static MutableTicker steppingBy(Duration step) {
        MutableTicker ticker = new MutableTicker();
        ticker.stepNanos = step.toNanos();
        return ticker;
    }

    public void advance(Duration duration) {
        this.nanos.addAndGet(duration.toNanos());
    }

    @Override
    public long getAsLong() {
        return this.nanos.getAndAdd(this.stepNanos);
    }

}
