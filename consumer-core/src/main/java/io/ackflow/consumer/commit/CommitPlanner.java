package io.ackflow.consumer.commit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.tracking.OffsetTracker;

/**
 * What to commit: the trackers of the assigned partitions and, per partition, the offset last
 * sent in a commit and the offset last confirmed by the broker. A partition is due when its
 * committable offset moved past the last sent one and past where reading started; partitions
 * that did not move are not committed again. A failed commit rolls the sent offset back to the confirmed one, so the next
 * commit carries it again.
 * <p>
 * A partition whose every delivered record is acked commits the consumer's position, as the
 * last poll told it ({@link #polledTo}): behind the last record a log can hold offsets poll
 * reads but never delivers (the marker of the last transaction, an aborted transaction's
 * records and its marker, records compacted away), and only the position passes them, so an
 * idle group's commits reach the end offsets. The position is learned from the poll whose
 * records were just tracked, never asked of the consumer later, so it cannot pass records that
 * were fetched and not tracked; a seek or a rewind starts a new tracker, which forgets it.
 * <p>
 * Threads: the poll thread alone uses this class (commit callbacks run inside {@code poll}).
 */
public final class CommitPlanner {

    private final Map<TopicPartition, PartitionCommits> partitions = new HashMap<>();

    /** Writes the acked offsets above a gap into the commit's metadata; null when that is turned off. */
    private final OffsetMapCodec codec;

    /** Told of offset maps that did not fit; may be null. */
    private final io.ackflow.consumer.EngineStats stats;

    /** A planner that commits offsets only, without offset maps. */
    public CommitPlanner() {
        this(null, null);
    }

    /**
     * @param codec encodes acked offsets above a gap into the metadata, or null for none
     * @param stats counts offset maps that did not fit, or null
     */
    public CommitPlanner(OffsetMapCodec codec, io.ackflow.consumer.EngineStats stats) {
        this.codec = codec;
        this.stats = stats;
    }

    /** Starts tracking a newly assigned partition and returns its tracker; keeps an existing one. */
    public OffsetTracker assign(TopicPartition partition) {
        return this.partitions.computeIfAbsent(partition, PartitionCommits::new).tracker;
    }

    /**
     * Replaces the tracker of an assigned partition with a new one, keeping what was sent and
     * confirmed: the partition is read again from an earlier offset (exactly-once, after an abort).
     */
    public OffsetTracker restart(TopicPartition partition) {
        PartitionCommits old = this.partitions.get(partition);
        PartitionCommits fresh = new PartitionCommits(partition);
        if (old != null) {
            fresh.sent = old.confirmed;
            fresh.confirmed = old.confirmed;
        }
        this.partitions.put(partition, fresh);
        return fresh.tracker;
    }

    /** The tracker of an assigned partition, or null. */
    public OffsetTracker tracker(TopicPartition partition) {
        PartitionCommits commits = this.partitions.get(partition);
        return (commits != null) ? commits.tracker : null;
    }

    /** Forgets partitions that are no longer assigned. */
    public void remove(Collection<TopicPartition> partitions) {
        partitions.forEach(this.partitions::remove);
    }

    public Collection<TopicPartition> partitions() {
        return this.partitions.keySet();
    }

    /** The trackers of the assigned partitions. */
    public List<OffsetTracker> trackers() {
        List<OffsetTracker> trackers = new ArrayList<>(this.partitions.size());
        for (PartitionCommits commits : this.partitions.values()) {
            trackers.add(commits.tracker);
        }
        return trackers;
    }

    /**
     * A poll reached {@code nextOffsets} ({@code ConsumerRecords.nextOffsets()}: each partition
     * whose position it moved, with or without records), and the records it delivered are
     * tracked: each assigned partition's tracker learns its position.
     */
    public void polledTo(Map<TopicPartition, OffsetAndMetadata> nextOffsets) {
        nextOffsets.forEach((partition, next) -> {
            PartitionCommits commits = this.partitions.get(partition);
            if (commits != null) {
                commits.tracker.readTo(next.offset());
            }
        });
    }

    /**
     * Whether the committable offset of some assigned partition moved past the last one sent, so
     * that {@link #due} would carry it; marks nothing as sent.
     */
    public boolean anyMoved() {
        for (PartitionCommits commits : this.partitions.values()) {
            if (moved(commits, commits.tracker.committable())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The offsets to commit now for {@code scope} (all assigned partitions when null), marked as
     * sent. Kafka's convention: each value is the next offset to read.
     */
    public Map<TopicPartition, OffsetAndMetadata> due(Collection<TopicPartition> scope) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
        Iterable<TopicPartition> candidates = (scope != null) ? scope : this.partitions.keySet();
        for (TopicPartition partition : candidates) {
            PartitionCommits commits = this.partitions.get(partition);
            if (commits == null) {
                continue;
            }
            long committable = commits.tracker.committable();
            String metadata = offsetMap(commits.tracker);
            // A new offset map (records acked above the gap) is worth a commit of the same offset.
            boolean newMap = !metadata.isEmpty() && !metadata.equals(commits.sentMetadata) && committable >= 0;
            if (moved(commits, committable) || newMap) {
                commits.sent = committable;
                commits.sentMetadata = metadata;
                offsets.put(partition, new OffsetAndMetadata(committable, metadata));
            }
        }
        return offsets;
    }

    /** Whether {@code committable} passed the last offset sent and where reading started (nothing is acked there yet). */
    private static boolean moved(PartitionCommits commits, long committable) {
        return committable > commits.sent && committable > commits.tracker.firstTrackedOffset();
    }

    /** The offset map of the records acked above the tracker's head, or "" when there are none, it is off or it does not fit. */
    private String offsetMap(OffsetTracker tracker) {
        if (this.codec == null) {
            return "";
        }
        java.util.BitSet acked = tracker.ackedAboveHead();
        if (acked.isEmpty()) {
            return "";
        }
        String encoded = this.codec.encode(acked);
        if (encoded.isEmpty() && this.stats != null) {
            this.stats.recordOffsetMapTooLarge();
        }
        return encoded;
    }

    /** The broker confirmed {@code offsets}. */
    public void confirmed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((partition, offset) -> {
            PartitionCommits commits = this.partitions.get(partition);
            if (commits != null && offset.offset() > commits.confirmed) {
                commits.confirmed = offset.offset();
            }
        });
    }

    /** The commit of {@code offsets} failed: they are due again at the next commit. */
    public void failed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((partition, offset) -> {
            PartitionCommits commits = this.partitions.get(partition);
            if (commits != null && commits.sent == offset.offset()) {
                commits.sent = commits.confirmed;
                commits.sentMetadata = null;
            }
        });
    }

    /** Whether no handler runs on a record of any assigned partition. Poll thread. */
    public boolean allIdle() {
        for (OffsetTracker tracker : trackers()) {
            if (tracker.handlersRunning() > 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether every tracked record of every assigned partition is acked. */
    public boolean allAcked() {
        for (PartitionCommits commits : this.partitions.values()) {
            commits.tracker.committable();
            if (commits.tracker.pendingCount() > 0) {
                return false;
            }
        }
        return true;
    }

    /** The last offset the broker confirmed for {@code partition}, or -1. */
    public long confirmed(TopicPartition partition) {
        PartitionCommits commits = this.partitions.get(partition);
        return (commits != null) ? commits.confirmed : -1;
    }

    private static final class PartitionCommits {

        final OffsetTracker tracker;

        long sent = -1;

        /** The offset map of the last commit sent, so an unchanged one is not sent again. */
        String sentMetadata;

        long confirmed = -1;

        PartitionCommits(TopicPartition partition) {
            this.tracker = new OffsetTracker(partition);
        }

    }

}
