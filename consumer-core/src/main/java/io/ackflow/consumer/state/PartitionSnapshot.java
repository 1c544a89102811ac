package io.ackflow.consumer.state;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.flow.PauseReason;

/**
 * One assigned partition as the poll thread last saw it. Immutable; holds no record payloads
 * or keys.
 *
 * @param partition the partition
 * @param committed the last offset the broker confirmed (next to read), or -1 before the first commit
 * @param committable the offset a commit would carry now, or -1 when nothing was fetched yet
 * @param position the next offset the consumer fetches, or -1 when it is not known yet
 * @param inFlight records fetched from the first unacked one on
 * @param oldestPendingOffset offset of the first unacked record, or -1 when every fetched record is acked
 * @param oldestPendingHolders subscriptions still holding that record
 * @param oldestPendingStartedAt when the longest-running handler on it was called, or null if none runs
 * @param oldestPendingThread thread of that handler, or null
 * @param stuck whether it has been in progress for the commit livelock soft timeout or longer
 * @param pauseReasons why the partition is paused; empty when it is fetched
 */
public record PartitionSnapshot(TopicPartition partition, long committed, long committable, long position, long inFlight,
        long oldestPendingOffset, List<String> oldestPendingHolders, Instant oldestPendingStartedAt,
        String oldestPendingThread, boolean stuck, Set<PauseReason> pauseReasons) {

    /**
     * Records acked but not committed yet: from the last committed offset up to the committable
     * one (0 before the first commit or the first fetch).
     */
    public long commitLag() {
        return (this.committed >= 0 && this.committable > this.committed) ? this.committable - this.committed : 0;
    }

    /**
     * How long the longest-running handler on the first unacked record has been running at
     * {@code now}, or zero when none runs on it.
     */
    public java.time.Duration oldestPendingAge(java.time.Instant now) {
        return (this.oldestPendingStartedAt != null && now.isAfter(this.oldestPendingStartedAt))
                ? java.time.Duration.between(this.oldestPendingStartedAt, now) : java.time.Duration.ZERO;
    }

}
