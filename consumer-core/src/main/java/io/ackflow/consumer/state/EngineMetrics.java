package io.ackflow.consumer.state;

/**
 * Timings the engine reports as they happen, for a metrics library to record (the Spring Boot
 * starter records them with Micrometer). Counts and levels are not reported here: they are read
 * from {@code EngineStats}, {@code SubscriptionStats} and the {@link EngineSnapshot} when a meter
 * is read.
 * <p>
 * Threads: {@link #handlerFinished} and {@link #batchFinished} are called on handler threads (or the
 * thread that completed a handler's stage), {@link #commitFinished} and {@link #shareRecordAcquired}
 * on the poll thread; implementations must be
 * thread-safe and quick.
 */
public interface EngineMetrics {

    /** Records nothing. */
    EngineMetrics NONE = new EngineMetrics() {
    };

    /**
     * One handler call of a subscription ended: it returned, or the stage it returned completed.
     * @param durationNanos from the call to its end
     * @param succeeded whether it ended normally
     */
    default void handlerFinished(String subscriptionId, long durationNanos, boolean succeeded) {
    }

    /**
     * One call of a batch handler ended: it returned, or the stage it returned completed.
     * Reported with {@link #handlerFinished} for the same call.
     * @param size how many records the batch held
     * @param durationNanos from the call to its end
     * @param succeeded whether it ended normally
     */
    default void batchFinished(String subscriptionId, int size, long durationNanos, boolean succeeded) {
    }

    /**
     * An offset commit got its answer.
     * @param durationNanos from the request to the answer
     * @param succeeded whether the broker confirmed it
     */
    default void commitFinished(long durationNanos, boolean succeeded) {
    }

    /**
     * A share consumer acquired a record for its {@code deliveryCount}-th delivery (1 the first
     * time). Called on the poll thread.
     */
    default void shareRecordAcquired(int deliveryCount) {
    }

}
