package io.ackflow.consumer.dispatch;

import java.util.ArrayDeque;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;

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

    /**
     * The first queued delivery, else null; the ones behind it wait in {@link #behind}. Most key
     * lanes never queue more than one delivery, so they never make a deque.
     */
    private Delivery first;

    /** The queued deliveries after {@link #first}; made when a second one is queued. */
    private ArrayDeque<Delivery> behind;

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
        return this.first != null && this.active < this.maxActive;
    }

    /** Queues {@code delivery} last. */
    void add(Delivery delivery) {
        if (this.first == null) {
            this.first = delivery;
            return;
        }
        if (this.behind == null) {
            this.behind = new ArrayDeque<>();
        }
        this.behind.addLast(delivery);
    }

    /** Takes the first queued delivery, or null. */
    Delivery poll() {
        Delivery head = this.first;
        this.first = (this.behind != null) ? this.behind.pollFirst() : null;
        return head;
    }

    boolean isQueueEmpty() {
        return this.first == null;
    }

    /** Whether nothing is queued or running in the lane. */
    boolean isIdle() {
        return this.first == null && this.active == 0;
    }

    int queued() {
        return (this.first == null) ? 0 : 1 + ((this.behind != null) ? this.behind.size() : 0);
    }

    /**
     * Removes the queued deliveries of records of {@code partitions}, in place, keeping the order
     * of the others.
     * @return how many were removed
     */
    int removeQueued(Set<TopicPartition> partitions) {
        if (this.first == null) {
            return 0;
        }
        int removed = 0;
        if (LaneTable.belongs(this.first, partitions)) {
            this.first = null;
            removed++;
        }
        if (this.behind != null) {
            removed += LaneTable.remove(this.behind, partitions, null);
            if (this.first == null) {
                this.first = this.behind.pollFirst();
            }
        }
        return removed;
    }

}
