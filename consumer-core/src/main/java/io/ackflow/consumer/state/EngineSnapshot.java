package io.ackflow.consumer.state;

import java.time.Instant;
import java.util.List;

/**
 * The engine's partitions and progress as the poll thread published them at {@code takenAt}.
 * Immutable; published every half second, when the loop begins to poll and after every
 * rebalance, so readers (health checks, endpoints) never touch the consumer.
 *
 * @param takenAt when the poll thread took it
 * @param groupId the consumer group, or empty before the first assignment
 * @param generationId the consumer group generation, or -1 before the first assignment
 * @param memberId the member id in the group, or empty before the first assignment
 * @param partitions the assigned partitions, by topic and partition number
 * @param subscriptions the subscriptions, in the order they were added to the engine
 * @param progress the loop's last poll, failing commits and last heartbeat, for health
 */
public record EngineSnapshot(Instant takenAt, String groupId, int generationId, String memberId,
        List<PartitionSnapshot> partitions, List<SubscriptionSnapshot> subscriptions, ProgressSnapshot progress) {

    /** Before the poll thread published anything. */
    public static final EngineSnapshot EMPTY = new EngineSnapshot(Instant.EPOCH, "", -1, "", List.of(), List.of(),
            ProgressSnapshot.NONE);

    /** The snapshot of {@code partition}, or null when it is not assigned. */
    public PartitionSnapshot partition(org.apache.kafka.common.TopicPartition partition) {
        for (PartitionSnapshot candidate : this.partitions) {
            if (candidate.partition().equals(partition)) {
                return candidate;
            }
        }
        return null;
    }

    /** The partitions that are stuck (see the commit livelock soft timeout). */
    public List<PartitionSnapshot> stuckPartitions() {
        return this.partitions.stream().filter(PartitionSnapshot::stuck).toList();
    }

}
