package io.ackflow.consumer.loop;

import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.commit.CommitPlanner;
import io.ackflow.consumer.commit.Committer;
import io.ackflow.consumer.commit.PartitionOwner;
import io.ackflow.consumer.dispatch.Conductor;
import io.ackflow.consumer.rebalance.PendingSeeks;
import io.ackflow.consumer.tracking.OffsetTracker;

/**
 * What the poll loop does to the partitions it owns when their work in progress must end: drop
 * their queued deliveries, retire their trackers (completions that come later are late and do
 * not count), read one again from an offset, and keep the seeks that wait for an assignment or
 * an abort. The commit strategies and the rebalance handling reach the loop through this.
 * <p>
 * Threads: the poll thread alone.
 */
final class Partitions implements PartitionOwner {

    private static final Logger logger = LoggerFactory.getLogger(Partitions.class);

    private final Consumer<byte[], byte[]> consumer;

    private final CommitPlanner planner;

    private final Committer committer;

    private final Conductor conductor;

    private final EngineStats stats;

    private final SnapshotPublisher snapshots;

    private final PendingSeeks seeks = new PendingSeeks();

    Partitions(Consumer<byte[], byte[]> consumer, CommitPlanner planner, Committer committer, Conductor conductor,
            EngineStats stats, SnapshotPublisher snapshots) {
        this.consumer = consumer;
        this.planner = planner;
        this.committer = committer;
        this.conductor = conductor;
        this.stats = stats;
        this.snapshots = snapshots;
    }

    /** Drops the queued deliveries of {@code partitions}, counted; returns how many. */
    int dropQueued(Set<TopicPartition> partitions) {
        int dropped = this.conductor.dropQueued(partitions);
        this.stats.recordDroppedOnRebalance(dropped);
        return dropped;
    }

    @Override
    public void retire(Set<TopicPartition> partitions) {
        dropQueued(partitions);
        for (TopicPartition partition : partitions) {
            OffsetTracker tracker = this.planner.tracker(partition);
            if (tracker != null) {
                tracker.retire();
            }
        }
    }

    /**
     * Reads the assigned {@code partition} from {@code offset} next: its queued and running
     * records are dropped (their late completions ignored) and its tracker starts afresh.
     */
    void seekNow(TopicPartition partition, long offset) {
        retire(Set.of(partition));
        this.planner.remove(Set.of(partition));
        this.committer.forget(Set.of(partition));
        OffsetTracker tracker = this.planner.assign(partition);
        this.consumer.seek(partition, offset);
        tracker.startAt(offset);
        logger.info("Partition {} sought to offset {}", partition, offset);
    }

    @Override
    public void seekLater(TopicPartition partition, long offset) {
        this.seeks.put(partition, offset);
    }

    @Override
    public Long takeSeek(TopicPartition partition) {
        return this.seeks.take(partition);
    }

    @Override
    public Map<TopicPartition, Long> dropUnappliedSeeks() {
        return this.seeks.dropUnapplied();
    }

    @Override
    public void publishSoon() {
        this.snapshots.publishSoon();
    }

}
