package io.ackflow.consumer.share;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * The records one poll of a share consumer acquired, until each is settled with the broker.
 * <p>
 * A share consumer in explicit acknowledgement mode must acknowledge every record of a poll
 * before it polls again, so the records of one poll form a batch that ends when the last of them
 * is settled (or its acquisition lock expires, see {@link LockWatch}). Each partition of the batch
 * has an {@link OffsetTracker} of its own, made for this batch only: it counts the handlers
 * running on its records and, once retired, marks whatever completes later as late. A share
 * group may deliver a partition's records again below offsets it delivered before, so a tracker
 * never outlives its batch.
 * <p>
 * Threads: the poll thread only.
 */
final class AcquiredBatch {

    /** Records not settled yet, by identity: the very objects poll returned. */
    private final Map<ConsumerRecord<byte[], byte[]>, Boolean> pending = new IdentityHashMap<>();

    private final Map<TopicPartition, OffsetTracker> trackers = new java.util.LinkedHashMap<>();

    private final long acquiredAt;

    private final long lockMillis;

    private final int size;

    private boolean warned;

    /**
     * @param acquiredAt when poll returned the records (clock millis)
     * @param lockMillis how long the broker holds their acquisition lock
     */
    AcquiredBatch(long acquiredAt, long lockMillis, int size) {
        this.acquiredAt = acquiredAt;
        this.lockMillis = lockMillis;
        this.size = size;
    }

    /** A tracker for the batch's records of {@code partition}, holding {@code records} of them. */
    OffsetTracker trackerFor(TopicPartition partition, List<ConsumerRecord<byte[], byte[]>> records) {
        OffsetTracker tracker = new OffsetTracker(partition, Math.max(128, records.size()));
        this.trackers.put(partition, tracker);
        for (ConsumerRecord<byte[], byte[]> record : records) {
            this.pending.put(record, Boolean.TRUE);
        }
        return tracker;
    }

    /** Whether {@code record} belongs to this batch and is not settled yet. */
    boolean isPending(ConsumerRecord<byte[], byte[]> record) {
        return this.pending.containsKey(record);
    }

    /** Marks {@code record} settled. */
    void settled(ConsumerRecord<byte[], byte[]> record) {
        this.pending.remove(record);
    }

    /** Whether every record of the batch is settled: the consumer may poll again. */
    boolean isDone() {
        return this.pending.isEmpty();
    }

    int size() {
        return this.size;
    }

    int pendingCount() {
        return this.pending.size();
    }

    /** The records not settled yet, in no particular order. */
    List<ConsumerRecord<byte[], byte[]>> pendingRecords() {
        return new ArrayList<>(this.pending.keySet());
    }

    Set<TopicPartition> partitions() {
        return this.trackers.keySet();
    }

    /** Per partition, the first record not yet released by every subscription; none for a partition all released. */
    List<TrackedRecord> oldestHeld() {
        List<TrackedRecord> oldest = new ArrayList<>();
        for (OffsetTracker tracker : this.trackers.values()) {
            tracker.committable();
            if (tracker.head() instanceof TrackedRecord record && isPending(record.raw())) {
                oldest.add(record);
            }
        }
        return oldest;
    }

    /** Handlers running on the batch's records now. */
    int handlersRunning() {
        int running = 0;
        for (OffsetTracker tracker : this.trackers.values()) {
            running += tracker.handlersRunning();
        }
        return running;
    }

    /**
     * Waits until no handler runs on the batch's records, or until {@code deadlineNanos}.
     * @return whether none runs
     */
    boolean awaitIdle(long deadlineNanos, java.util.function.LongSupplier ticker) {
        for (OffsetTracker tracker : this.trackers.values()) {
            if (!tracker.awaitIdle(deadlineNanos, ticker)) {
                return false;
            }
        }
        return true;
    }

    /** Marks the batch's records late: whatever their subscriptions finish from now on is not acknowledged. */
    void retire() {
        this.trackers.values().forEach(OffsetTracker::retire);
    }

    long acquiredAt() {
        return this.acquiredAt;
    }

    /** When the acquisition lock expires (clock millis). */
    long lockExpiresAt() {
        return this.acquiredAt + this.lockMillis;
    }

    /**
     * When records still held are reported (clock millis): once four fifths of the lock have
     * passed, so that an operator hears of it while the records can still be settled.
     */
    long warnAt() {
        return this.acquiredAt + this.lockMillis - this.lockMillis / 5;
    }

    boolean warned() {
        return this.warned;
    }

    void markWarned() {
        this.warned = true;
    }

}
