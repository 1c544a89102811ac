package io.ackflow.consumer.state;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * Faust's commit livelock check: reports a partition whose first unacked record has had a
 * handler running on it for the soft timeout or longer.
 * <p>
 * The age is counted per subscription from the moment its handler was called, not from the
 * fetch, so a record that merely waits in a queue (behind flow control, a busy lane, or another
 * subscription's lane) is not reported. A stuck partition is reported once, then at most once
 * per timeout while it stays stuck, with the partition, the offset, how long it has been stuck,
 * the subscriptions that still hold the record, and for each running handler since when and on
 * which thread.
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
    public void check(Collection<OffsetTracker> trackers, long nowMillis,
            Function<TrackedRecord, List<HandlerRun>> runningHandlers) {
        for (OffsetTracker tracker : trackers) {
            HandlerRun oldest = stuckRun(tracker, nowMillis, runningHandlers);
            if (oldest == null) {
                this.lastWarnedAt.remove(tracker.partition());
                continue;
            }
            Long warned = this.lastWarnedAt.get(tracker.partition());
            if (warned != null && nowMillis - warned < this.timeoutMillis) {
                continue;
            }
            this.lastWarnedAt.put(tracker.partition(), nowMillis);
            this.stats.recordStuckPartition();
            TrackedRecord record = (TrackedRecord) tracker.head();
            logger.warn("Partition {} is stuck at offset {}: in progress for {} and still held by subscriptions {}"
                    + " (running: {}); no later offset of the partition is committed until it is released",
                    tracker.partition(), record.raw().offset(), Duration.ofMillis(nowMillis - oldest.startedAt()),
                    record.holders(), describe(runningHandlers.apply(record)));
        }
    }

    /**
     * The oldest handler run on the partition's first unacked record when it has run for the
     * timeout or longer, else null. Poll thread.
     */
    public HandlerRun stuckRun(OffsetTracker tracker, long nowMillis,
            Function<TrackedRecord, List<HandlerRun>> runningHandlers) {
        if (!(tracker.head() instanceof TrackedRecord record)) {
            return null;
        }
        HandlerRun oldest = oldest(runningHandlers.apply(record));
        return (oldest != null && nowMillis - oldest.startedAt() >= this.timeoutMillis) ? oldest : null;
    }

    /** The run that started first, or null. */
    public static HandlerRun oldest(List<HandlerRun> runs) {
        HandlerRun oldest = null;
        for (HandlerRun run : runs) {
            if (oldest == null || run.startedAt() < oldest.startedAt()) {
                oldest = run;
            }
        }
        return oldest;
    }

    private static String describe(List<HandlerRun> runs) {
        StringBuilder text = new StringBuilder();
        for (HandlerRun run : runs) {
            text.append((text.length() > 0) ? ", " : "").append(run.subscriptionId()).append(" since ")
                .append(Instant.ofEpochMilli(run.startedAt())).append(" on thread '").append(run.thread()).append('\'');
        }
        return text.toString();
    }

    /** Forgets partitions that are no longer assigned. */
    public void remove(Collection<TopicPartition> partitions) {
        partitions.forEach(this.lastWarnedAt::remove);
    }

}
