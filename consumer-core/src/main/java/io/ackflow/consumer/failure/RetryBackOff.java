package io.ackflow.consumer.failure;

import java.time.Duration;

/**
 * How long to wait before each retry of a failed handler, and when to stop retrying. Each
 * failed record gets its own {@link Execution}, so back-off state is never shared between records.
 * Spring's {@code BackOff} (fixed, exponential) maps onto it one to one.
 */
@FunctionalInterface
public interface RetryBackOff {

    /** Returned by {@link Execution#nextDelayMillis()} when no retry is left. */
    long STOP = -1;

    /** Never retries. */
    RetryBackOff NONE = () -> () -> STOP;

    /** Starts the back-off of one failed record. */
    Execution start();

    /** Retries {@code retries} times (after the first attempt), waiting {@code delay} before each. */
    static RetryBackOff fixed(Duration delay, int retries) {
        if (delay == null || delay.isNegative()) {
            throw new IllegalArgumentException("delay must be zero or positive, was " + delay);
        }
        if (retries < 0) {
            throw new IllegalArgumentException("retries must be zero or more, was " + retries);
        }
        long millis = delay.toMillis();
        return () -> new Execution() {

            private int left = retries;

            @Override
            public long nextDelayMillis() {
                return (this.left-- > 0) ? millis : STOP;
            }

        };
    }

    /** The back-off of one failed record; used by one thread at a time. */
    @FunctionalInterface
    interface Execution {

        /** Milliseconds to wait before the next attempt, or {@link #STOP}. */
        long nextDelayMillis();

    }

}
