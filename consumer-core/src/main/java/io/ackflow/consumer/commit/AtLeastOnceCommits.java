package io.ackflow.consumer.commit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToIntFunction;

import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.tracking.Drain;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * At-least-once: each partition's acked prefix is committed with the consumer, asynchronously at
 * the deadline and synchronously on revoke, on a commit asked for and on stop. A revoke hands
 * queued records back, lets running ones finish within the drain timeout and commits what is
 * committable then; what was still running is read again by the next owner.
 * <p>
 * Threads: the poll thread (revokes run inside {@code poll}, in the rebalance callback).
 */
public final class AtLeastOnceCommits implements CommitStrategy {

    private static final Logger logger = LoggerFactory.getLogger(AtLeastOnceCommits.class);

    private final Committer committer;

    private final CommitPlanner planner;

    private final ToIntFunction<Set<TopicPartition>> dropQueued;

    /** The revoke's wait for handlers still running. */
    private final Drain drain;

    /**
     * @param dropQueued drops the queued deliveries of the partitions and returns how many it dropped
     * @param drain how a revoke waits for handlers still running, up to the drain timeout
     */
    public AtLeastOnceCommits(Committer committer, CommitPlanner planner, ToIntFunction<Set<TopicPartition>> dropQueued,
            Drain drain) {
        this.committer = committer;
        this.planner = planner;
        this.dropQueued = dropQueued;
        this.drain = drain;
    }

    @Override
    public void advance() {
    }

    @Override
    public boolean holding() {
        return false;
    }

    @Override
    public long untilResume(long now) {
        return Long.MAX_VALUE;
    }

    @Override
    public boolean admit(ConsumerRecords<byte[], byte[]> records) {
        return true;
    }

    @Override
    public void commitDue() {
        this.committer.commitAsync();
    }

    @Override
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitNow(Collection<TopicPartition> scope) {
        return CompletableFuture.completedFuture(this.committer.commitSync(scope));
    }

    @Override
    public boolean deferSeek(TopicPartition partition, long offset) {
        return false;
    }

    /** Nothing to abort: at-least-once runners retry in place and never ask for it. */
    @Override
    public void abortFor(TrackedRecord record, long retryDelayMillis) {
    }

    @Override
    public boolean endWaitOnStop() {
        return false;
    }

    @Override
    public void stop(long deadlineNanos, Throwable failure) {
        this.committer.commitSync(null);
    }

    /**
     * Queued records of the revoked partitions go back to Kafka; running ones may finish, and one
     * that fails now is left for the next owner rather than retried here.
     */
    @Override
    public String revoke(Set<TopicPartition> revoked) {
        for (TopicPartition partition : revoked) {
            OffsetTracker tracker = this.planner.tracker(partition);
            if (tracker != null) {
                tracker.beginDrain();
            }
        }
        int dropped = this.dropQueued.applyAsInt(revoked);
        boolean drained = drain(revoked);
        try {
            this.committer.commitSync(revoked);
        }
        catch (RuntimeException ex) {
            logger.warn("Commit on revoke of {} failed; the next owner reads acked records again", revoked, ex);
        }
        return " (" + dropped + " queued records handed back"
                + (drained ? "" : ", drain timed out: records still running are left uncommitted") + ")";
    }

    /** Waits up to the drain timeout for handlers running on records of {@code partitions}. */
    private boolean drain(Set<TopicPartition> partitions) {
        List<OffsetTracker> trackers = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            OffsetTracker tracker = this.planner.tracker(partition);
            if (tracker != null) {
                trackers.add(tracker);
            }
        }
        return this.drain.await(trackers);
    }

    @Override
    public void lose(Set<TopicPartition> lost) {
    }

    @Override
    public void assigned(TopicPartition partition) {
    }

    @Override
    public void forget(Collection<TopicPartition> partitions) {
    }

    @Override
    public void close() {
    }

}
