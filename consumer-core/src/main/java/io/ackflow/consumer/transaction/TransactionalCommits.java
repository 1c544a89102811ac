package io.ackflow.consumer.transaction;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
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
 * doubling back-off before it is read again.
 *
 * <h2>Threads</h2>
 * The poll thread runs every step; handler threads only call {@link #abortFor}, which sets a
 * flag and a back-off deadline and wakes the poll.
 */
public final class TransactionalCommits implements CommitStrategy {

    private static final Logger logger = LoggerFactory.getLogger(TransactionalCommits.class);

    /** the longest wait before reading again after commits that keep failing. */
    private static final Duration MAX_COMMIT_BACK_OFF = Duration.ofSeconds(30);

    /** Longest wait for the committed offsets to read again from after an abort. */
    private static final Duration REWIND_TIMEOUT = Duration.ofSeconds(60);

    /** The producer whose transactions carry the offsets. Poll thread. */
    private final Transactions transactions;

    /** where the open transaction stands. Poll thread. */
    private TransactionPhase phase = TransactionPhase.OPEN;

    /** when an abort gives up waiting for running handlers (ticker nanos). Poll thread. */
    private long abortDeadline;

    /** set by a handler thread whose failure must abort the open transaction. */
    private final AtomicBoolean abortRequested = new AtomicBoolean();

    /** partitions read again only after a retry back-off, with when they may be (clock millis). */
    private final Map<TopicPartition, Long> retryAt = new ConcurrentHashMap<>();

    /** barrier commits failed since the last one that succeeded. Poll thread. */
    private int failedCommitsInARow;

    /**
     * Until when (clock millis) partitions are not read after failed commits; a
     * partition assigned before then waits too. Poll thread.
     */
    private long commitBackOffUntil = Long.MIN_VALUE;

    /** {@link #commitNow} callers waiting for the barrier. Poll thread. */
    private final List<CompletableFuture<Map<TopicPartition, OffsetAndMetadata>>> barrierWaiters = new ArrayList<>();

    /** Where an exactly-once engine's open transaction stands. */
    private enum TransactionPhase {

        /** Dispatching. */
        OPEN,

        /** Paused until every record of the transaction is acked, then commits. */
        BARRIER,

        /** Paused until no handler of the transaction runs, then aborts and reads again. */
        ABORTING

    }


    private final Consumer<byte[], byte[]> consumer;

    private final CommitPlanner planner;

    private final Committer committer;

    private final CommitSchedule schedule;

    private final Conductor conductor;

    private final PauseController pauses;

    private final PartitionOwner owner;

    private final EngineStats stats;

    private final CommitObserver observer;

    private final EngineMetrics metrics;

    private final Clock clock;

    private final LongSupplier ticker;

    private final Duration drainTimeout;

    /** Wakes the poll thread if it is inside {@code poll}. */
    private final Runnable wakeup;

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
        this.consumer = parts.consumer();
        this.planner = parts.planner();
        this.committer = parts.committer();
        this.schedule = parts.schedule();
        this.conductor = parts.conductor();
        this.pauses = parts.pauses();
        this.owner = parts.owner();
        this.stats = parts.stats();
        this.observer = parts.observer();
        this.metrics = parts.metrics();
        this.clock = parts.clock();
        this.ticker = parts.ticker();
        this.drainTimeout = parts.drainTimeout();
        this.wakeup = parts.wakeup();
    }

    @Override
    public void advance() {
        advanceTransaction();
    }

    @Override
    public boolean holding() {
        return this.phase != TransactionPhase.OPEN;
    }

    @Override
    public long untilResume(long now) {
        return this.retryAt.isEmpty() ? Long.MAX_VALUE : Math.max(0, resumeDueRetries(now));
    }

    @Override
    public boolean admit(ConsumerRecords<byte[], byte[]> records) {
        return beginTransaction(records);
    }

    @Override
    public void commitDue() {
        if (this.transactions.isOpen()) {
            enterBarrier();
        }
    }

    /** The open transaction is committed at a barrier, once its records are acked. */
    @Override
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitNow() {
        CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> done = new CompletableFuture<>();
        if (!this.transactions.isOpen() && this.phase == TransactionPhase.OPEN) {
            done.complete(Map.of());
            return done;
        }
        this.barrierWaiters.add(done);
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
        this.owner.seekLater(partition, offset);
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
        holdDuringCommitBackOff(partition);
    }

    @Override
    public void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(this.retryAt::remove);
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
        completeBarrierWaiters(new IllegalStateException("The engine has stopped"), Map.of());
    }

    /**
     * Exactly-once: a handler failed on {@code record}, so the open transaction is aborted and
     * the records read again, those of the record's partition no sooner than
     * {@code retryDelayMillis} from now. Any thread (a handler's, before its slot is freed).
     */
    @Override
    public void abortFor(TrackedRecord record, long retryDelayMillis) {
        if (retryDelayMillis > 0) {
            TopicPartition partition = record.tracker().partition();
            this.retryAt.merge(partition, this.clock.millis() + retryDelayMillis, Math::max);
        }
        this.abortRequested.set(true);
        this.wakeup.run();
    }

    /**
     * Exactly-once: opens a transaction for the records about to be dispatched. When none can be
     * opened (or a barrier or an abort is under way for a partition not paused yet), the records
     * are not dispatched and their partitions are read again from the first of them. Poll thread.
     */
    private boolean beginTransaction(ConsumerRecords<byte[], byte[]> records) {
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
            pauseAllForTransaction();
        }
        for (TopicPartition partition : records.partitions()) {
            if (this.consumer.assignment().contains(partition)) {
                this.consumer.seek(partition, records.records(partition).get(0).offset());
            }
        }
        return false;
    }

    /** Exactly-once: the commit is due; dispatching stops until the open transaction's records are acked. Poll thread. */
    private void enterBarrier() {
        this.phase = TransactionPhase.BARRIER;
        pauseAllForTransaction();
    }

    /** Exactly-once: moves a barrier or an abort on when what it waits for is there. Poll thread. */
    private void advanceTransaction() {
        if (this.abortRequested.get() && this.phase != TransactionPhase.ABORTING) {
            beginAbort();
        }
        if (this.phase == TransactionPhase.ABORTING) {
            boolean idle = this.planner.allIdle();
            if (idle || this.ticker.getAsLong() - this.abortDeadline > 0) {
                abortOpenTransaction(idle);
                rewind(Set.copyOf(this.consumer.assignment()));
                endTransactionPhase(new IllegalStateException("The transaction was aborted: a handler failed"), Map.of());
            }
        }
        else if (this.phase == TransactionPhase.BARRIER && this.planner.allAcked()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = this.planner.due(null);
            RuntimeException failed = commitOpenTransaction(offsets);
            if (failed != null) {
                backOffAfterFailedCommit(failed);
                rewind(Set.copyOf(this.consumer.assignment()));
            }
            endTransactionPhase(failed, offsets);
        }
    }

    /**
     * Exactly-once: a barrier commit failed with no record to blame (an output send that failed
     * after its handler returned, a producer error). The first failure reads again at once; each
     * one after it in a row waits twice as long as the one before, from one second up to
     * {@link #MAX_COMMIT_BACK_OFF}, every partition paused with reason {@link PauseReason#RETRY}
     * (also those assigned meanwhile), so a cause that persists does not redo the same work
     * without end. A commit refused for the group's generation is not counted: the rebalance
     * under way rereads what it must. Poll thread.
     */
    private void backOffAfterFailedCommit(RuntimeException failure) {
        if (failure instanceof CommitFailedException || failure instanceof RebalanceInProgressException) {
            // The group moved on (a new generation): the rebalance rereads what it must; no back-off.
            return;
        }
        this.failedCommitsInARow++;
        long delay = commitBackOffMillis(this.failedCommitsInARow);
        if (delay == 0) {
            return;
        }
        long at = this.clock.millis() + delay;
        this.commitBackOffUntil = at;
        for (TopicPartition partition : this.consumer.assignment()) {
            this.retryAt.merge(partition, at, Math::max);
        }
        logger.warn("Transactions of {} failed to commit {} times in a row; reading again in {} ms: {}",
                this.conductor.topics(), this.failedCommitsInARow, delay, failure.toString());
    }

    /** Milliseconds to wait before reading again after the {@code failures}-th failed commit in a row. */
    private static long commitBackOffMillis(int failures) {
        if (failures <= 1) {
            return 0;
        }
        return Math.min(MAX_COMMIT_BACK_OFF.toMillis(), 1000L << Math.min(failures - 2, 15));
    }

    /**
     * Exactly-once: a partition assigned while failed commits are being waited out waits with the
     * others, paused with reason {@link PauseReason#RETRY} until the back-off ends. Poll thread.
     */
    private void holdDuringCommitBackOff(TopicPartition partition) {
        if (this.clock.millis() >= this.commitBackOffUntil) {
            return;
        }
        this.retryAt.merge(partition, this.commitBackOffUntil, Math::max);
        this.pauses.pause(partition, PauseReason.RETRY);
    }

    /** Exactly-once: a handler failed; nothing more starts, and the transaction aborts once running handlers are done. */
    private void beginAbort() {
        this.phase = TransactionPhase.ABORTING;
        this.abortDeadline = this.ticker.getAsLong() + this.drainTimeout.toNanos();
        pauseAllForTransaction();
        this.conductor.dropQueued(Set.copyOf(this.consumer.assignment()));
    }

    /**
     * Exactly-once: aborts the open transaction. When handlers of it still run, the producer is
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
        this.stats.recordTransactionAborted();
        logger.info("Transaction of {} aborted; its records are read again from the committed offsets",
                this.conductor.topics());
    }

    /**
     * Exactly-once: sends {@code offsets} to the open transaction and commits it.
     * @return null when committed, else why not (the transaction is then aborted)
     */
    private RuntimeException commitOpenTransaction(Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (!this.transactions.isOpen()) {
            return null;
        }
        if (!offsets.isEmpty()) {
            this.observer.beforeCommit(offsets);
        }
        long started = this.ticker.getAsLong();
        try {
            this.transactions.commit(offsets, this.consumer.groupMetadata());
        }
        catch (RuntimeException ex) {
            this.metrics.commitFinished(this.ticker.getAsLong() - started, false);
            this.planner.failed(offsets);
            this.stats.recordCommitFailure();
            this.stats.recordTransactionAborted();
            logger.warn("Transaction of {} with offsets {} could not commit and was aborted; its records are read again"
                    + " from the committed offsets: {}", this.conductor.topics(), Committer.describe(offsets), ex.toString());
            this.observer.afterCommit(offsets, ex);
            return ex;
        }
        this.metrics.commitFinished(this.ticker.getAsLong() - started, true);
        this.failedCommitsInARow = 0;
        this.commitBackOffUntil = Long.MIN_VALUE;
        this.stats.recordTransactionCommitted();
        if (!offsets.isEmpty()) {
            this.committer.answered(offsets, null);
            Map<TopicPartition, Long> next = new HashMap<>();
            offsets.forEach((partition, offset) -> next.put(partition, offset.offset()));
            this.conductor.forgetCommitted(next);
        }
        return null;
    }

    /** Exactly-once: dispatching resumes; the next transaction begins with the next dispatch. Poll thread. */
    private void endTransactionPhase(RuntimeException failure, Map<TopicPartition, OffsetAndMetadata> offsets) {
        this.phase = TransactionPhase.OPEN;
        this.schedule.restart();
        this.pauses.resumeAll(PauseReason.TRANSACTION);
        completeBarrierWaiters(failure, offsets);
    }

    /** Tells {@link #commitNow} callers how the transaction they waited for ended. Poll thread. */
    private void completeBarrierWaiters(RuntimeException failure, Map<TopicPartition, OffsetAndMetadata> offsets) {
        List<CompletableFuture<Map<TopicPartition, OffsetAndMetadata>>> waiters = List.copyOf(this.barrierWaiters);
        this.barrierWaiters.clear();
        for (CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> waiter : waiters) {
            if (failure == null) {
                waiter.complete(offsets);
            }
            else {
                waiter.completeExceptionally(failure);
            }
        }
    }

    /** Exactly-once: pauses every assigned partition while the open transaction ends. Poll thread. */
    private void pauseAllForTransaction() {
        this.pauses.pauseAll(PauseReason.TRANSACTION);
    }

    /**
     * Exactly-once, after an abort: reads {@code partitions} again from the offsets the broker
     * has committed for them (a {@code read_committed} consumer waits for a transaction whose
     * outcome is pending), or from where this assignment started reading when none is
     * committed. A partition whose record failed waits out its retry back-off. Poll thread.
     */
    private void rewind(Set<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> committed;
        try {
            try {
                committed = this.consumer.committed(partitions, REWIND_TIMEOUT);
            }
            catch (WakeupException stray) {
                // A wakeup meant for a poll that had just returned; the request itself was not tried.
                committed = this.consumer.committed(partitions, REWIND_TIMEOUT);
            }
        }
        catch (RuntimeException ex) {
            // After a commit whose outcome is unknown, a guess could read again what a committed
            // transaction already wrote: the consumer stops instead, and its restart asks again.
            throw new IllegalStateException("Committed offsets of " + partitions + " are not known after an abort;"
                    + " stopping rather than guessing where to read again", ex);
        }
        long now = this.clock.millis();
        Map<TopicPartition, Long> targets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            OffsetTracker old = this.planner.tracker(partition);
            OffsetAndMetadata offset = (committed != null) ? committed.get(partition) : null;
            Long sought = this.owner.takeSeek(partition);
            long target;
            if (sought != null) {
                target = sought;
            }
            else if (offset != null) {
                target = offset.offset();
            }
            else {
                target = (old != null) ? old.firstTrackedOffset() : -1;
            }
            this.owner.retire(Set.of(partition));
            OffsetTracker tracker = this.planner.restart(partition);
            if (target >= 0) {
                this.consumer.seek(partition, target);
                tracker.startAt(target);
                targets.put(partition, target);
            }
            Long at = this.retryAt.get(partition);
            if (at != null) {
                if (at > now) {
                    this.pauses.pause(partition, PauseReason.RETRY);
                }
                else {
                    // Its back-off is over: a pause for it from an earlier abort ends here, since
                    // nothing else would end it once the entry is gone.
                    this.retryAt.remove(partition);
                    this.pauses.resume(partition, PauseReason.RETRY);
                }
            }
        }
        this.owner.publishSoon();
        logger.debug("Partitions read again after an abort from {}", targets);
    }

    /**
     * Exactly-once: resumes partitions whose retry back-off is over. Poll thread.
     * @return milliseconds until the next back-off ends
     */
    private long resumeDueRetries(long now) {
        long next = Long.MAX_VALUE;
        var entries = this.retryAt.entrySet().iterator();
        while (entries.hasNext()) {
            Map.Entry<TopicPartition, Long> entry = entries.next();
            TopicPartition partition = entry.getKey();
            if (entry.getValue() <= now) {
                entries.remove();
                this.pauses.resume(partition, PauseReason.RETRY);
            }
            else if (this.pauses.has(partition, PauseReason.RETRY)) {
                next = Math.min(next, entry.getValue() - now);
            }
        }
        return next;
    }

    /**
     * Exactly-once, on revoke or loss: ends the open transaction before partitions leave. On a
     * revoke it commits when every record of it is acked within the drain timeout; otherwise,
     * and always on a loss (the generation is over, its offsets would be refused), it aborts and
     * reads the partitions it keeps again. Poll thread, inside the rebalance callback.
     */
    private void endTransactionForRebalance(Set<TopicPartition> leaving, boolean lost) {
        if (!this.transactions.isOpen()) {
            if (this.phase != TransactionPhase.OPEN) {
                endTransactionPhase(null, Map.of());
            }
            return;
        }
        pauseAllForTransaction();
        long deadline = this.ticker.getAsLong() + this.drainTimeout.toNanos();
        RuntimeException failure = new IllegalStateException("The transaction was aborted by a rebalance");
        Map<TopicPartition, OffsetAndMetadata> offsets = Map.of();
        if (!lost && this.phase != TransactionPhase.ABORTING) {
            while (!this.abortRequested.get() && !this.planner.allAcked() && this.ticker.getAsLong() - deadline < 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            if (!this.abortRequested.get() && this.planner.allAcked()) {
                offsets = this.planner.due(null);
                failure = commitOpenTransaction(offsets);
            }
        }
        if (failure != null) {
            this.conductor.dropQueued(Set.copyOf(this.consumer.assignment()));
            boolean idle = true;
            for (OffsetTracker tracker : this.planner.trackers()) {
                idle &= tracker.awaitIdle(deadline);
            }
            abortOpenTransaction(idle);
            Set<TopicPartition> kept = new HashSet<>(this.consumer.assignment());
            kept.removeAll(leaving);
            rewind(kept);
        }
        endTransactionPhase(failure, offsets);
    }

    /**
     * Exactly-once, on stop: commits the open transaction when every record of it is acked and
     * nothing failed; otherwise waits for running handlers until {@code deadlineNanos} and aborts
     * it, and its records are read again on restart. Poll thread.
     */
    private void endTransactionOnStop(long deadlineNanos, Throwable failure) {
        if (failure == null && !this.abortRequested.get() && this.planner.allAcked()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = this.planner.due(null);
            endTransactionPhase(commitOpenTransaction(offsets), offsets);
            return;
        }
        for (OffsetTracker tracker : this.planner.trackers()) {
            tracker.awaitIdle(deadlineNanos);
        }
        abortOpenTransaction(true);
        endTransactionPhase(new IllegalStateException("The transaction was aborted: the engine stopped"), Map.of());
    }

}
