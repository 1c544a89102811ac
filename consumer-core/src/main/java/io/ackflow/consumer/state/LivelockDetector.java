package io.ackflow.consumer.state;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * Faust's commit livelock check: reports a partition whose committable offset has not moved
 * for the soft timeout although a handler has been running on its first unacked record.
 * <p>
 * The age is counted from the moment the first handler started on that record, not from its
 * fetch, so a record that merely waits in a queue (behind flow control or a busy lane) is not
 * reported. A stuck partition is reported once, then at most once per timeout while it stays
 * stuck, with the partition, the offset, how long it has been stuck, the subscriptions that still
 * hold the record, and the thread of the last handler that started on it.
 * <p>
 * Threads: the poll thread alone uses this class. Reports are counted in
 * {@link EngineStats#stuckPartitionReports()}.
 */
public final class LivelockDetector {

    private static final Logger logger = LoggerFactory.getLogger(LivelockDetector.class);

    private final long timeoutMillis;

    private final Map<TopicPartition, Long> lastWarnedAt = new HashMap<>();

    private final EngineStats stats;

    public LivelockDetector(Duration timeout, EngineStats stats) {
        this.timeoutMillis = timeout.toMillis();
        this.stats = stats;
    }

    /**
     * Checks each partition's head record. Call after the trackers' committable offsets were
     * brought up to date. Poll thread.
     */
    public void check(Collection<OffsetTracker> trackers, long nowMillis) {
        for (OffsetTracker tracker : trackers) {
            Object head = tracker.head();
            if (!(head instanceof TrackedRecord record) || record.startedAt() == 0
                    || nowMillis - record.startedAt() < this.timeoutMillis) {
                this.lastWarnedAt.remove(tracker.partition());
                continue;
            }
            Long warned = this.lastWarnedAt.get(tracker.partition());
            if (warned != null && nowMillis - warned < this.timeoutMillis) {
                continue;
            }
            this.lastWarnedAt.put(tracker.partition(), nowMillis);
            Thread thread = record.lastThread();
            this.stats.recordStuckPartition();
            logger.warn("Partition {} is stuck at offset {}: in progress for {} and still held by subscriptions {}"
                    + " (handler started at {} on thread '{}'); no later offset of the partition is committed"
                    + " until it is released", tracker.partition(), record.raw().offset(),
                    Duration.ofMillis(nowMillis - record.startedAt()), record.holders(),
                    Instant.ofEpochMilli(record.startedAt()), (thread != null) ? thread.getName() : "?");
        }
    }

    /** Whether the partition's oldest pending record has been in progress for the timeout or longer. */
    public boolean isStuck(OffsetTracker tracker, long nowMillis) {
        return tracker.head() instanceof TrackedRecord record && record.startedAt() != 0
                && nowMillis - record.startedAt() >= this.timeoutMillis;
    }

    /** Forgets partitions that are no longer assigned. */
    public void remove(Collection<TopicPartition> partitions) {
        partitions.forEach(this.lastWarnedAt::remove);
    }

}
