package io.ackflow.consumer.transaction;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.commit.CommitObserver;
import io.ackflow.consumer.commit.CommitPlanner;
import io.ackflow.consumer.commit.CommitSchedule;
import io.ackflow.consumer.commit.CommitStrategy;
import io.ackflow.consumer.commit.Committer;
import io.ackflow.consumer.commit.PartitionOwner;
import io.ackflow.consumer.dispatch.Conductor;
import io.ackflow.consumer.flow.PauseController;
import io.ackflow.consumer.flow.PauseReason;
import io.ackflow.consumer.state.EngineMetrics;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * Exactly-once as a {@link CommitStrategy}: offsets are committed in the producer's transaction,
 * never by the consumer.
 *
 * <h2>States</h2>
 * {@code OPEN}: records are dispatched inside an open transaction (begun by the first dispatch).
 * At the commit deadline it moves to {@code BARRIER}: every partition is paused (so the consumer
 * stays in its group and runs no new handler) until every record dispatched in the transaction
 * is acked; then the offsets go to the transaction with the consumer's group metadata, it
 * commits, and the state is {@code OPEN} again. A handler failure (told by {@link #abortFor})
 * moves it to {@code ABORTING}: queued records are dropped, running handlers finish (up to the
 * drain timeout, after which the producer is closed instead), the transaction is aborted and
 * every partition is read again from the offsets the broker has committed. The barrier and the
 * abort are steps of the loop ({@link #advance}), not a blocking wait, so the consumer keeps
 * polling, paused, while they last. A revoke commits the transaction when its records finish
 * within the drain timeout and aborts it otherwise; a lost partition aborts it. A barrier commit
 * that fails is an abort too; when such failures follow each other, every partition waits out a
 * doubling back-off before it is read again. With no transaction open, a partition whose position
 * moved past offsets poll never delivers (a marker, aborted records) is committed all the same, at
 * a barrier whose transaction carries offsets only.
 *
 * <h2>Threads</h2>
 * The poll thread runs every step; handler threads only call {@link #abortFor}, which sets a
 * flag and a back-off deadline and wakes the poll.
 */
public final class TransactionalCommits implements CommitStrategy {

    private static final Logger logger = LoggerFactory.getLogger(TransactionalCommits.class);

    /** The producer whose transactions carry the offsets. Poll thread. */
    private final Transactions transactions;

    /** Where the open transaction stands. Poll thread. */
    private TransactionPhase phase = TransactionPhase.OPEN;

    /** When an abort gives up waiting for running handlers (ticker nanos). Poll thread. */
    private long abortDeadline;

    /** Set by a handler thread whose failure must abort the open transaction. */
    private final AtomicBoolean abortRequested = new AtomicBoolean();

    /** Partitions read again only after a back-off. */
    private final RetryHold retries;

    private final Rewind rewind;

    /** The commit at a barrier, and who waits for it. */
    private final TransactionCommit barrier;

    /** The poll loop's parts this strategy shares; those used most also have a field. */
    private final Parts parts;

    private final Consumer<byte[], byte[]> consumer;

    private final CommitPlanner planner;

    private final Conductor conductor;

    private final PauseController pauses;

    private final LongSupplier ticker;

    private final Duration drainTimeout;

    /** The poll loop's collaborators, which this strategy shares with it. */
    public record Parts(Consumer<byte[], byte[]> consumer, CommitPlanner planner, Committer committer,
            CommitSchedule schedule, Conductor conductor, PauseController pauses, PartitionOwner owner,
            EngineStats stats, CommitObserver observer, EngineMetrics metrics, Clock clock, LongSupplier ticker,
            Duration drainTimeout, Runnable wakeup) {
    }

    /**
     * @param producer creates the producer whose transactions carry the offsets (transactions initialized)
     * @param name the engine's name, for messages
     */
    public TransactionalCommits(Supplier<? extends Producer<?, ?>> producer, String name, Parts parts) {
        this.transactions = new Transactions(producer, name);
        this.parts = parts;
        this.consumer = parts.consumer();
        this.planner = parts.planner();
        this.conductor = parts.conductor();
        this.pauses = parts.pauses();
        this.ticker = parts.ticker();
        this.drainTimeout = parts.drainTimeout();
        this.retries = new RetryHold(this.pauses, this.parts.clock());
        this.barrier = new TransactionCommit(this.transactions, parts, this.retries);
        this.rewind = new Rewind(this.consumer, this.planner, this.parts.owner(), this.retries, this.parts.clock());
    }

    @Override
    public boolean holding() {
        return this.phase != TransactionPhase.OPEN;
    }

    @Override
    public long untilResume(long now) {
        return this.retries.resumeDue(now);
    }

    @Override
    public void commitDue() {
        if (this.transactions.isOpen() || this.planner.anyMoved()) {
            enterBarrier();
        }
    }

    /** The open transaction (or one for positions that moved) is committed whole at a barrier, once its records are acked; {@code scope} cannot narrow it. */
    @Override
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitNow(Collection<TopicPartition> scope) {
        CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> done = new CompletableFuture<>();
        if (!this.transactions.isOpen() && this.phase == TransactionPhase.OPEN && !this.planner.anyMoved()) {
            done.complete(Map.of());
            return done;
        }
        this.barrier.await(done);
        if (this.phase == TransactionPhase.OPEN) {
            enterBarrier();
        }
        return done;
    }

    /**
     * Handlers of the open transaction may have sent output for records of the partition: the
     * seek is applied by an abort, once none of them runs.
     */
    @Override
    public boolean deferSeek(TopicPartition partition, long offset) {
        this.parts.owner().seekLater(partition, offset);
        this.abortRequested.set(true);
        logger.info("Partition {} is sought to offset {} once the open transaction is aborted", partition, offset);
        return true;
    }

    @Override
    public boolean endWaitOnStop() {
        return this.abortRequested.get();
    }

    @Override
    public void stop(long deadlineNanos, Throwable failure) {
        endTransactionOnStop(deadlineNanos, failure);
    }

    @Override
    public String revoke(Set<TopicPartition> revoked) {
        endTransactionForRebalance(revoked, false);
        return "";
    }

    @Override
    public void lose(Set<TopicPartition> lost) {
        endTransactionForRebalance(lost, true);
    }

    /** A partition assigned while a transaction ends, or while failed commits are waited out, waits too. */
    @Override
    public void assigned(TopicPartition partition) {
        if (this.phase != TransactionPhase.OPEN) {
            this.pauses.pause(partition, PauseReason.TRANSACTION);
        }
        this.retries.assigned(partition);
    }

    @Override
    public void forget(Collection<TopicPartition> partitions) {
        this.retries.forget(partitions);
    }

    /** Closes the producer (whatever it does, the consumer is closed next) and fails waiting commits. */
    @Override
    public void close() {
        try {
            this.transactions.close();
        }
        catch (RuntimeException ex) {
            logger.debug("Closing the transactional producer failed", ex);
        }
        this.barrier.tell(new IllegalStateException("The engine has stopped"), Map.of());
    }

    /**
     * A handler failed on {@code record}, so the open transaction is aborted and
     * the records read again, those of the record's partition no sooner than
     * {@code retryDelayMillis} from now. Any thread (a handler's, before its slot is freed).
     */
    @Override
    public void abortFor(TrackedRecord record, long retryDelayMillis) {
        this.retries.holdAfterFailure(record.tracker().partition(), retryDelayMillis);
        this.abortRequested.set(true);
        this.parts.wakeup().run();
    }

    /**
     * Opens a transaction for the records about to be dispatched. When none can be
     * opened (or a barrier or an abort is under way for a partition not paused yet), the records
     * are not dispatched and their partitions are read again from the first of them. Poll thread.
     */
    @Override
    public boolean admit(ConsumerRecords<byte[], byte[]> records) {
        if (this.phase == TransactionPhase.OPEN) {
            try {
                this.transactions.begin();
                return true;
            }
            catch (RuntimeException ex) {
                logger.warn("Consumer of {} could not begin a transaction; the {} records fetched are read again: {}",
                        this.conductor.topics(), records.count(), ex.toString());
            }
        }
        else {
            this.pauses.pauseAll(PauseReason.TRANSACTION);
        }
        for (TopicPartition partition : records.partitions()) {
            if (this.consumer.assignment().contains(partition)) {
                this.consumer.seek(partition, records.records(partition).get(0).offset());
            }
        }
        return false;
    }

    /** The commit is due; dispatching stops until the open transaction's records are acked. Poll thread. */
    private void enterBarrier() {
        this.phase = TransactionPhase.BARRIER;
        this.pauses.pauseAll(PauseReason.TRANSACTION);
    }

    /** Moves a barrier or an abort on when what it waits for is there. Poll thread. */
    @Override
    public void advance() {
        if (this.abortRequested.get() && this.phase != TransactionPhase.ABORTING) {
            beginAbort();
        }
        if (this.phase == TransactionPhase.ABORTING) {
            boolean idle = this.planner.allIdle();
            if (idle || this.ticker.getAsLong() - this.abortDeadline > 0) {
                abortOpenTransaction(idle);
                this.rewind.rewind(Set.copyOf(this.consumer.assignment()));
                endTransactionPhase(new IllegalStateException("The transaction was aborted: a handler failed"), Map.of());
            }
        }
        else if (this.phase == TransactionPhase.BARRIER && this.planner.allAcked()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = this.planner.due(null);
            RuntimeException failed = this.barrier.commit(offsets);
            if (failed != null) {
                this.retries.commitFailed(failed, this.consumer.assignment(), this.conductor.topics());
                this.rewind.rewind(Set.copyOf(this.consumer.assignment()));
            }
            endTransactionPhase(failed, offsets);
        }
    }

    /** A handler failed; nothing more starts, and the transaction aborts once running handlers are done. */
    private void beginAbort() {
        this.phase = TransactionPhase.ABORTING;
        this.abortDeadline = this.ticker.getAsLong() + this.drainTimeout.toNanos();
        this.pauses.pauseAll(PauseReason.TRANSACTION);
        this.conductor.dropQueued(Set.copyOf(this.consumer.assignment()));
    }

    /**
     * Aborts the open transaction. When handlers of it still run, the producer is
     * closed instead, so that what they send later fails rather than joining the next
     * transaction. Poll thread.
     */
    private void abortOpenTransaction(boolean idle) {
        // Failures told until now belong to this transaction; no handler of it runs to tell more
        // (or, when some still run, the producer they would send with is closed).
        this.abortRequested.set(false);
        if (!this.transactions.isOpen()) {
            return;
        }
        if (idle) {
            this.transactions.abort();
        }
        else {
            this.transactions.replace("handlers of its aborted transaction still ran after "
                    + this.drainTimeout);
        }
        this.parts.stats().recordTransactionAborted();
        logger.info("Transaction of {} aborted; its records are read again from the committed offsets",
                this.conductor.topics());
    }

    /** Dispatching resumes; the next transaction begins with the next dispatch. Poll thread. */
    private void endTransactionPhase(RuntimeException failure, Map<TopicPartition, OffsetAndMetadata> offsets) {
        this.phase = TransactionPhase.OPEN;
        this.parts.schedule().restart();
        this.pauses.resumeAll(PauseReason.TRANSACTION);
        this.barrier.tell(failure, offsets);
    }

    /**
     * On revoke or loss: ends the open transaction before partitions leave. On a
     * revoke it commits when every record of it is acked within the drain timeout (with none open,
     * positions that moved are committed in one of offsets only); otherwise, and always on a loss
     * (the generation is over, its offsets would be refused), it aborts and reads the partitions
     * it keeps again. Poll thread, inside the rebalance callback.
     */
    private void endTransactionForRebalance(Set<TopicPartition> leaving, boolean lost) {
        if (!this.transactions.isOpen() && (lost || this.phase != TransactionPhase.OPEN || this.abortRequested.get()
                || !this.planner.anyMoved())) {
            if (this.phase != TransactionPhase.OPEN) {
                endTransactionPhase(null, Map.of());
            }
            return;
        }
        this.pauses.pauseAll(PauseReason.TRANSACTION);
        long deadline = this.ticker.getAsLong() + this.drainTimeout.toNanos();
        RuntimeException failure = new IllegalStateException("The transaction was aborted by a rebalance");
        Map<TopicPartition, OffsetAndMetadata> offsets = Map.of();
        if (!lost && this.phase != TransactionPhase.ABORTING) {
            while (!this.abortRequested.get() && !this.planner.allAcked() && this.ticker.getAsLong() - deadline < 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            if (!this.abortRequested.get() && this.planner.allAcked()) {
                offsets = this.planner.due(null);
                failure = this.barrier.commit(offsets);
            }
        }
        if (failure != null) {
            this.conductor.dropQueued(Set.copyOf(this.consumer.assignment()));
            boolean idle = true;
            for (OffsetTracker tracker : this.planner.trackers()) {
                idle &= tracker.awaitIdle(deadline, this.ticker);
            }
            abortOpenTransaction(idle);
            Set<TopicPartition> kept = new HashSet<>(this.consumer.assignment());
            kept.removeAll(leaving);
            this.rewind.rewind(kept);
        }
        endTransactionPhase(failure, offsets);
    }

    /**
     * On stop: commits the open transaction when every record of it is acked and
     * nothing failed; otherwise waits for running handlers until {@code deadlineNanos} and aborts
     * it, and its records are read again on restart. Poll thread.
     */
    private void endTransactionOnStop(long deadlineNanos, Throwable failure) {
        if (failure == null && !this.abortRequested.get() && this.planner.allAcked()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = this.planner.due(null);
            endTransactionPhase(this.barrier.commit(offsets), offsets);
            return;
        }
        for (OffsetTracker tracker : this.planner.trackers()) {
            tracker.awaitIdle(deadlineNanos, this.ticker);
        }
        abortOpenTransaction(true);
        endTransactionPhase(new IllegalStateException("The transaction was aborted: the engine stopped"), Map.of());
    }

}
