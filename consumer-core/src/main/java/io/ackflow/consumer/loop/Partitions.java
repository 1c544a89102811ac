package io.ackflow.consumer.loop;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.commit.CommitPlanner;
import io.ackflow.consumer.commit.Committer;
import io.ackflow.consumer.commit.OffsetMapCodec;
import io.ackflow.consumer.commit.PartitionOwner;
import io.ackflow.consumer.dispatch.Conductor;
import io.ackflow.consumer.rebalance.PendingSeeks;
import io.ackflow.consumer.tracking.Drain;
import io.ackflow.consumer.tracking.OffsetTracker;

/**
 * What the poll loop does to the partitions it owns when their work in progress must end: drop
 * their queued deliveries, retire their trackers (completions that come later are late and do
 * not count), read some from other offsets once their running handlers are done, and keep the
 * seeks that wait for an assignment or an abort. The commit strategies and the rebalance handling reach the loop through this.
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

    /** A seek's wait for the handlers running on the partitions it moves. */
    private final Drain drain;

    private final PendingSeeks seeks = new PendingSeeks();

    Partitions(Consumer<byte[], byte[]> consumer, CommitPlanner planner, Committer committer, Conductor conductor,
            EngineStats stats, SnapshotPublisher snapshots, Drain drain) {
        this.consumer = consumer;
        this.planner = planner;
        this.committer = committer;
        this.conductor = conductor;
        this.stats = stats;
        this.snapshots = snapshots;
        this.drain = drain;
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
     * Reads each assigned partition of {@code targets} from its offset next, as a revoke hands a
     * partition over: its queued records are dropped, the handlers running on its records are
     * waited for up to the drain timeout (a record that fails meanwhile is not retried), what
     * they finish later is late, and its tracker starts afresh at the offset. A target whose
     * metadata is an offset map (a seek to the committed offset) has the offsets it names acked
     * at once when they are read, as after an assignment. Nothing is committed: the group's
     * committed offset moves when records read from the new offset are acked.
     */
    void seekNow(Map<TopicPartition, OffsetAndMetadata> targets) {
        if (targets.isEmpty()) {
            return;
        }
        Set<TopicPartition> sought = targets.keySet();
        List<OffsetTracker> running = new ArrayList<>();
        for (TopicPartition partition : sought) {
            OffsetTracker tracker = this.planner.tracker(partition);
            if (tracker != null) {
                tracker.beginDrain();
                running.add(tracker);
            }
        }
        int dropped = dropQueued(sought);
        boolean drained = this.drain.await(running);
        retire(sought);
        this.planner.remove(sought);
        this.committer.forget(sought);
        Map<TopicPartition, Long> offsets = new TreeMap<>(Comparator.comparing(TopicPartition::topic)
            .thenComparingInt(TopicPartition::partition));
        targets.forEach((partition, target) -> {
            OffsetTracker tracker = this.planner.assign(partition);
            this.consumer.seek(partition, target.offset());
            tracker.startAt(target.offset());
            skipAckedAbove(tracker, target);
            offsets.put(partition, target.offset());
        });
        this.snapshots.publishSoon();
        logger.info("Partitions sought to {} ({} queued records dropped{})", offsets, dropped,
                drained ? "" : "; handlers still running after " + this.drain.timeout() + " finish late and are ignored");
    }

    /** The offsets the target's offset map names as acked above it are skipped when read. */
    private static void skipAckedAbove(OffsetTracker tracker, OffsetAndMetadata target) {
        String metadata = target.metadata();
        if (metadata == null || metadata.isEmpty()) {
            return;
        }
        BitSet acked = OffsetMapCodec.decode(metadata);
        if (acked == null) {
            logger.debug("Commit metadata of {} is not an Ackflow offset map; ignored", tracker.partition());
            return;
        }
        tracker.ackedBefore(target.offset(), acked);
        logger.debug("Partition {}: {} offsets acked above the committed offset {} are skipped", tracker.partition(),
                acked.cardinality(), target.offset());
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
