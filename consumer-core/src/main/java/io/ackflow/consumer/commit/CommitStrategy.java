package io.ackflow.consumer.commit;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * How the engine makes its progress durable: the one seam between the processing guarantees.
 * At-least-once ({@link AtLeastOnceCommits}) commits each partition's acked prefix with the
 * consumer; exactly-once ({@code transaction.TransactionalCommits}) commits it in the producer's
 * transaction at a barrier. The poll loop and the rebalance handling call these steps and never
 * ask which guarantee is in force.
 * <p>
 * Threads: the poll thread calls every method but {@link #abortFor}, which handler threads call.
 */
public interface CommitStrategy {

    /** Moves a barrier or an abort on when what it waits for is there. At each turn, first. */
    void advance();

    /** Whether commits and dispatch wait for acks (a barrier or an abort): the poll looks again soon. */
    boolean holding();

    /** Milliseconds until a partition paused for a back-off may be read again; {@code Long.MAX_VALUE} when none. */
    long untilResume(long now);

    /**
     * Before {@code records} are dispatched. False when they must not be: they are read again
     * from the first of them.
     */
    boolean admit(ConsumerRecords<byte[], byte[]> records);

    /** The commit deadline came and nothing holds commits. */
    void commitDue();

    /**
     * Commits what is committable now in {@code scope}, the assigned partitions when null.
     * Exactly-once commits every partition of the open transaction, whatever the scope: a
     * transaction cannot commit part of itself.
     * @return the offsets committed (empty when nothing moved), completed once they are
     */
    CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitNow(Collection<TopicPartition> scope);

    /**
     * The application asks to read an assigned partition from {@code offset}.
     * @return false when the caller applies the seek now; true when the strategy applies it later
     */
    boolean deferSeek(TopicPartition partition, long offset);

    /**
     * A handler failed on {@code record} in a way that voids the work in progress (exactly-once);
     * its partition is read again no sooner than {@code retryDelayMillis}. Any thread.
     */
    void abortFor(TrackedRecord record, long retryDelayMillis);

    /** Whether the stop must end its wait for acks now (an abort is asked for). */
    boolean endWaitOnStop();

    /** The final commit on stop; {@code failure} is why the engine stops, or null. */
    void stop(long deadlineNanos, Throwable failure);

    /**
     * {@code revoked} leave this member: the work of theirs that can be finished and committed
     * is, within the drain timeout. Inside the rebalance callback.
     * @return a note for the revoke's log line (empty when there is nothing to say)
     */
    String revoke(Set<TopicPartition> revoked);

    /** {@code lost} were taken by another member: nothing of theirs may be committed. */
    void lose(Set<TopicPartition> lost);

    /** A partition was assigned, its tracker ready: it joins what is under way. */
    void assigned(TopicPartition partition);

    /** Partitions left. */
    void forget(Collection<TopicPartition> partitions);

    /** Releases what the strategy holds (a producer); the consumer is closed next. */
    void close();

}
