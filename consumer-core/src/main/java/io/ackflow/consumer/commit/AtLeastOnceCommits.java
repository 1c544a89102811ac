package io.ackflow.consumer.commit;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    /** How often a drain that waits runs the checks of a turn. */
    static final Duration CHECK_EVERY = Duration.ofMillis(500);

    private static final long CHECK_EVERY_NANOS = CHECK_EVERY.toNanos();

    private final Committer committer;

    private final CommitPlanner planner;

    private final ToIntFunction<Set<TopicPartition>> dropQueued;

    private final Duration drainTimeout;

    private final LongSupplier ticker;

    /** What a turn of the poll loop checks (stuck partitions, the snapshot), run while a drain waits. */
    private final Runnable whileDraining;

    /**
     * @param dropQueued drops the queued deliveries of the partitions and returns how many it dropped
     * @param drainTimeout how long a revoke waits for handlers still running
     * @param ticker nanoseconds for the drain's deadline
     * @param whileDraining run about every {@link #CHECK_EVERY} while a drain waits, since the poll
     *        thread runs no turn then: a record that holds the revoke is reported stuck all the same
     */
    public AtLeastOnceCommits(Committer committer, CommitPlanner planner, ToIntFunction<Set<TopicPartition>> dropQueued,
            Duration drainTimeout, LongSupplier ticker, Runnable whileDraining) {
        this.committer = committer;
        this.planner = planner;
        this.dropQueued = dropQueued;
        this.drainTimeout = drainTimeout;
        this.ticker = ticker;
        this.whileDraining = whileDraining;
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
        long deadline = this.ticker.getAsLong() + this.drainTimeout.toNanos();
        boolean idle = true;
        for (TopicPartition partition : partitions) {
            OffsetTracker tracker = this.planner.tracker(partition);
            while (tracker != null && !tracker.awaitIdle(Math.min(deadline, this.ticker.getAsLong() + CHECK_EVERY_NANOS),
                    this.ticker)) {
                if (this.ticker.getAsLong() - deadline >= 0) {
                    idle = false;
                    break;
                }
                this.whileDraining.run();
            }
        }
        return idle;
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
