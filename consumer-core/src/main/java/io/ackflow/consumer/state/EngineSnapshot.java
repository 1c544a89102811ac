package io.ackflow.consumer.state;

import java.time.Instant;
import java.util.List;

/**
 * The engine's partitions as the poll thread published them at {@code takenAt}. Immutable;
 * published at most every half second and after every rebalance, so readers (health checks,
 * endpoints) never touch the consumer.
 *
 * @param takenAt when the poll thread took it
 * @param generationId the consumer group generation, or -1 before the first assignment
 * @param memberId the member id in the group, or empty before the first assignment
 * @param partitions the assigned partitions
 */
public record EngineSnapshot(Instant takenAt, int generationId, String memberId, List<PartitionSnapshot> partitions) {

    /** Before the poll thread published anything. */
    public static final EngineSnapshot EMPTY = new EngineSnapshot(Instant.EPOCH, -1, "", List.of());

    /** The partitions that are stuck (see the commit livelock soft timeout). */
    public List<PartitionSnapshot> stuckPartitions() {
        return this.partitions.stream().filter(PartitionSnapshot::stuck).toList();
    }

}
