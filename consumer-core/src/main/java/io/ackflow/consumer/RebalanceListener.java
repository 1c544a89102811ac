package io.ackflow.consumer;

import java.util.Collection;

import org.apache.kafka.common.TopicPartition;

/**
 * Told of the engine's partition assignment changes, on the poll thread, after the engine has
 * done its own part: on revoke, after the revoked partitions' final commit; on assignment, after
 * their trackers exist. Implementations must not block for long (the group waits) and must not
 * call the consumer.
 */
public interface RebalanceListener {

    /**
     * Partitions newly assigned to this member.
     * @param generationId the consumer group generation of this assignment
     */
    default void onPartitionsAssigned(Collection<TopicPartition> partitions, int generationId) {
    }

    /** Partitions taken away in an orderly rebalance; what was acked has been committed. */
    default void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    }

    /** Partitions lost without a chance to commit (another member may own them already). */
    default void onPartitionsLost(Collection<TopicPartition> partitions) {
    }

}
