package io.ackflow.consumer.failure;

/**
 * Runs a task after a delay: the retries of failed handlers wait here without holding a handler
 * thread. The engine's own is one daemon thread; tests pass one they fire by hand.
 */
@FunctionalInterface
public interface RetryScheduler {

    /** Runs {@code task} once, {@code delayMillis} from now, on any thread. */
    void schedule(Runnable task, long delayMillis);

}
