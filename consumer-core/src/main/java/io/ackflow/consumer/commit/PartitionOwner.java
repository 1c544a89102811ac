package io.ackflow.consumer.commit;

import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;

/**
 * What the {@link CommitStrategy} and the rebalance handling ask of the poll loop, which owns the
 * assigned partitions.
 * <p>
 * Threads: the poll thread.
 */
public interface PartitionOwner {

    /** Drops the queued deliveries of {@code partitions} and marks their trackers' completions late. */
    void retire(Set<TopicPartition> partitions);

    /** Remembers a seek to apply when {@code partition} is read again. */
    void seekLater(TopicPartition partition, long offset);

    /** Takes the seek waiting for {@code partition}, or null. */
    Long takeSeek(TopicPartition partition);

    /** Drops the seeks an assignment did not apply, and returns them: a seek waits for one rebalance only. */
    Map<TopicPartition, Long> dropUnappliedSeeks();

    /** Publishes the engine's snapshot at the next turn, not at its usual interval. */
    void publishSoon();

}
