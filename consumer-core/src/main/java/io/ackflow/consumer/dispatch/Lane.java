package io.ackflow.consumer.dispatch;

import java.util.ArrayDeque;

/**
 * A queue of one subscription's deliveries that run in the order they were queued, at most
 * {@link #maxActive} at once: a partition, a key within a partition, or the one unordered lane.
 * Guarded by the monitor of its {@link LaneScheduler}.
 */
final class Lane {

    /** The key of the lane in its {@link LaneTable}; null for the unordered lane. */
    final Object key;

    final int maxActive;

    /**
     * Whether the lane holds back its later deliveries while one runs or waits for a retry (a
     * partition or a key lane); false for the unordered lane, whose parked deliveries give back
     * their lane slot.
     */
    final boolean ordered;

    final ArrayDeque<Delivery> queue = new ArrayDeque<>();

    /** Deliveries taken from the queue and not finished; in an ordered lane a parked one still counts. */
    int active;

    /** Whether the lane waits in its scheduler's ready queue. */
    boolean inReady;

    private Lane(Object key, int maxActive, boolean ordered) {
        this.key = key;
        this.maxActive = maxActive;
        this.ordered = ordered;
    }

    /** A partition or key lane: one delivery at a time. */
    static Lane ofKey(Object key) {
        return new Lane(key, 1, true);
    }

    /** The lane of an unordered subscription: up to its concurrency at once. */
    static Lane unordered(int concurrency) {
        return new Lane(null, concurrency, false);
    }

    /** Whether the lane has queued work and a free slot to run it. */
    boolean canStart() {
        return !this.queue.isEmpty() && this.active < this.maxActive;
    }

}
