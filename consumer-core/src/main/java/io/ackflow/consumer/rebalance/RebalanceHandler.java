package io.ackflow.consumer.rebalance;

import java.time.Duration;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.RebalanceListener;
import io.ackflow.consumer.commit.CommitPlanner;
import io.ackflow.consumer.commit.CommitSchedule;
import io.ackflow.consumer.commit.CommitStrategy;
import io.ackflow.consumer.commit.Committer;
import io.ackflow.consumer.commit.OffsetMapCodec;
import io.ackflow.consumer.commit.PartitionOwner;
import io.ackflow.consumer.dispatch.Conductor;
import io.ackflow.consumer.flow.PauseController;
import io.ackflow.consumer.state.LivelockDetector;
import io.ackflow.consumer.tracking.OffsetTracker;

/**
 * What the engine does when the group moves partitions, then tells the application's
 * {@link RebalanceListener}s (one that throws is logged and does not stop the others).
 * <ul>
 * <li><b>Revoked</b>: the commit strategy finishes and commits what it can of the partitions'
 * work within the drain timeout (at-least-once hands queued records back and commits the acked
 * prefix; exactly-once commits or aborts the open transaction), then their queued deliveries
 * are dropped, their trackers retired and forgotten.</li>
 * <li><b>Lost</b>: nothing of theirs is committed (another member owns them); they are retired and
 * forgotten.</li>
 * <li><b>Assigned</b>: a tracker per partition, started at the consumer's position; a seek the
 * application asked for is applied, else the offsets the previous owner acked above its commit
 * (its offset map) are skipped; pauses under way (a transaction ending, the application's) are
 * applied to it. The end of a rebalance also sends at once a commit that it refused.</li>
 * </ul>
 * <p>
 * Threads: the poll thread, inside {@code poll}. While a callback runs, the poll is marked as
 * left, so a wakeup from another thread cannot abort the callback's commit.
 */
public final class RebalanceHandler implements ConsumerRebalanceListener {

    private static final Logger logger = LoggerFactory.getLogger(RebalanceHandler.class);

    /** Longest wait for the consumer to tell a committed offset or a position at assignment. */
    private static final Duration POSITION_TIMEOUT = Duration.ofSeconds(5);

    private final Consumer<byte[], byte[]> consumer;

    private final CommitPlanner planner;

    private final Committer committer;

    private final CommitSchedule schedule;

    private final CommitStrategy commits;

    private final Conductor conductor;

    private final PauseController pauses;

    private final LivelockDetector livelock;

    private final PartitionOwner owner;

    private final List<RebalanceListener> listeners;

    /** The poll loop's flag: set while it is inside {@code poll}, where a wakeup is safe. */
    private final AtomicBoolean inPoll;

    /** Whether the consumer is closing after the final commit: nothing is left to do then. */
    private final BooleanSupplier closing;

    /** Whether commits carry offset maps, so assignments read the previous owner's. */
    private final boolean offsetMaps;

    /** The poll loop's parts a rebalance acts on. */
    public record Parts(Consumer<byte[], byte[]> consumer, CommitPlanner planner, Committer committer,
            CommitSchedule schedule, CommitStrategy commits, Conductor conductor, PauseController pauses,
            LivelockDetector livelock, PartitionOwner owner, AtomicBoolean inPoll,
            BooleanSupplier closing, boolean offsetMaps) {
    }

    public RebalanceHandler(Parts parts, List<RebalanceListener> listeners) {
        this.consumer = parts.consumer();
        this.planner = parts.planner();
        this.committer = parts.committer();
        this.schedule = parts.schedule();
        this.commits = parts.commits();
        this.conductor = parts.conductor();
        this.pauses = parts.pauses();
        this.livelock = parts.livelock();
        this.owner = parts.owner();
        this.inPoll = parts.inPoll();
        this.closing = parts.closing();
        this.offsetMaps = parts.offsetMaps();
        this.listeners = List.copyOf(listeners);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        outsidePoll(() -> revoked(Set.copyOf(partitions)));
    }

    private void revoked(Set<TopicPartition> revoked) {
        if (this.closing.getAsBoolean()) {
            // The consumer is closing after the shutdown drain and final commit: nothing is left.
            forget(revoked);
            tell((listener) -> listener.onPartitionsRevoked(revoked));
            return;
        }
        String note = this.commits.revoke(revoked);
        this.owner.retire(revoked);
        forget(revoked);
        logger.info("Partitions revoked: {}{}", revoked, note);
        tell((listener) -> listener.onPartitionsRevoked(revoked));
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        Set<TopicPartition> lost = Set.copyOf(partitions);
        outsidePoll(() -> {
            if (!this.closing.getAsBoolean()) {
                this.commits.lose(lost);
            }
            this.owner.retire(lost);
            forget(lost);
            logger.info("Partitions lost (not committed, another member owns them): {}", lost);
            tell((listener) -> listener.onPartitionsLost(lost));
        });
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        // A rebalance ends here, also one that assigned nothing new (cooperative protocols).
        if (this.committer.takeDeferredByRebalance()) {
            // It refused the last commit: commit at the next turn rather than a commit
            // interval later, so a crash now replays less.
            this.schedule.dueNow();
        }
        if (partitions.isEmpty()) {
            return;
        }
        outsidePoll(() -> assigned(partitions));
    }

    /**
     * Runs a callback with the poll marked as left: a wakeup from another thread now would
     * abort the callback's commit instead of a poll.
     */
    private void outsidePoll(Runnable callback) {
        boolean polling = this.inPoll.getAndSet(false);
        try {
            callback.run();
        }
        finally {
            this.inPoll.set(polling);
        }
    }

    /** Tells every listener; one that throws is logged and does not stop the others or the engine. */
    private void tell(java.util.function.Consumer<RebalanceListener> call) {
        for (RebalanceListener listener : this.listeners) {
            try {
                call.accept(listener);
            }
            catch (RuntimeException ex) {
                logger.error("Rebalance listener {} failed", listener, ex);
            }
        }
    }

    private void assigned(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> committed = committedWithOffsetMaps(partitions);
        for (TopicPartition partition : partitions) {
            OffsetTracker previous = this.planner.tracker(partition);
            if (previous != null) {
                // Assigned again without a revoke in between: start afresh all the same.
                this.owner.retire(Set.of(partition));
                this.planner.remove(Set.of(partition));
            }
            OffsetTracker tracker = this.planner.assign(partition);
            Long seek = this.owner.takeSeek(partition);
            if (seek != null) {
                this.consumer.seek(partition, seek);
                logger.info("Partition {} sought to offset {} on assignment", partition, seek);
            }
            else {
                skipAckedByPreviousOwner(tracker, committed.get(partition));
            }
            startAtPosition(tracker);
            this.commits.assigned(partition);
            this.pauses.assigned(partition);
        }
        Map<TopicPartition, Long> unapplied = this.owner.dropUnappliedSeeks();
        if (!unapplied.isEmpty()) {
            // A seek waits for one rebalance only: applied hours later it would replay or skip data.
            logger.info("Seeks of partitions not assigned to this member dropped: {}", unapplied);
        }
        int generation = this.consumer.groupMetadata().generationId();
        logger.info("Partitions assigned in generation {}: {}", generation, partitions);
        this.owner.publishSoon();
        tell((listener) -> listener.onPartitionsAssigned(partitions, generation));
    }

    /**
     * The committed offsets of {@code partitions} with their metadata, when offset maps are on
     * and the consumer can tell them quickly; empty otherwise (plain at-least-once).
     */
    private Map<TopicPartition, OffsetAndMetadata> committedWithOffsetMaps(Collection<TopicPartition> partitions) {
        if (!this.offsetMaps) {
            return Map.of();
        }
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = this.consumer.committed(Set.copyOf(partitions),
                    POSITION_TIMEOUT);
            return (committed != null) ? committed : Map.of();
        }
        catch (RuntimeException ex) {
            logger.debug("Committed offsets of {} not known at assignment: {}", partitions, ex.toString());
            return Map.of();
        }
    }

    /** Marks the offsets the previous owner acked above its commit (its offset map) as acked in the new tracker. */
    private void skipAckedByPreviousOwner(OffsetTracker tracker, OffsetAndMetadata committed) {
        if (committed == null || committed.metadata() == null || committed.metadata().isEmpty()) {
            return;
        }
        BitSet acked = OffsetMapCodec.decode(committed.metadata());
        if (acked == null) {
            logger.debug("Commit metadata of {} is not an Ackflow offset map; ignored", tracker.partition());
            return;
        }
        tracker.ackedBefore(committed.offset(), acked);
        logger.debug("Partition {}: {} offsets above {} were acked by its previous owner and are skipped",
                tracker.partition(), acked.cardinality(), committed.offset());
    }

    /** Starts a new tracker at the consumer's position, when the consumer can tell it quickly. */
    private void startAtPosition(OffsetTracker tracker) {
        try {
            tracker.startAt(this.consumer.position(tracker.partition(), POSITION_TIMEOUT));
        }
        catch (RuntimeException ex) {
            // No committed offset and no reset policy, or the coordinator is slow: the tracker
            // starts at the first record fetched instead.
            logger.debug("Position of {} not known at assignment: {}", tracker.partition(), ex.toString());
        }
    }

    private void forget(Collection<TopicPartition> partitions) {
        this.owner.publishSoon();
        this.planner.remove(partitions);
        this.committer.forget(partitions);
        this.pauses.remove(partitions);
        this.livelock.remove(partitions);
        this.commits.forget(partitions);
        this.conductor.forgetAttempts(Set.copyOf(partitions));
    }

}
