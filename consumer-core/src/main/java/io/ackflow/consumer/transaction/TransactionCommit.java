package io.ackflow.consumer.transaction;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.commit.CommitObserver;
import io.ackflow.consumer.commit.CommitPlanner;
import io.ackflow.consumer.commit.Committer;
import io.ackflow.consumer.dispatch.Conductor;
import io.ackflow.consumer.state.EngineMetrics;

/**
 * Exactly-once: the commit at a barrier. The offsets go to the open transaction with the
 * consumer's group metadata and the transaction commits; the books are kept as for a consumer
 * commit (planner, stats, metrics, observer), and the attempts remembered for records of the
 * committed offsets are forgotten. When no transaction is open (nothing was dispatched since the
 * last commit) and offsets moved all the same (positions past a transaction marker, aborted
 * records or a compacted tail), a transaction that carries the offsets only is begun for them.
 * Callers of a commit now wait here for the barrier's outcome.
 * <p>
 * Threads: the poll thread alone.
 */
final class TransactionCommit {

    private static final Logger logger = LoggerFactory.getLogger(TransactionalCommits.class);

    private final Transactions transactions;

    private final Consumer<byte[], byte[]> consumer;

    private final CommitPlanner planner;

    private final Committer committer;

    private final Conductor conductor;

    private final RetryHold retries;

    private final EngineStats stats;

    private final CommitObserver observer;

    private final EngineMetrics metrics;

    private final LongSupplier ticker;

    /** Commit-now callers waiting for the barrier. */
    private final List<CompletableFuture<Map<TopicPartition, OffsetAndMetadata>>> waiters = new ArrayList<>();

    TransactionCommit(Transactions transactions, TransactionalCommits.Parts parts, RetryHold retries) {
        this.transactions = transactions;
        this.consumer = parts.consumer();
        this.planner = parts.planner();
        this.committer = parts.committer();
        this.conductor = parts.conductor();
        this.retries = retries;
        this.stats = parts.stats();
        this.observer = parts.observer();
        this.metrics = parts.metrics();
        // Latencies for the metrics: elapsed time as it is, whatever a test does with the ticker.
        this.ticker = System::nanoTime;
    }

    /**
     * Sends {@code offsets} to the open transaction, or to one begun for them, and commits it.
     * @return null when committed (or there was nothing to commit), else why not (the transaction
     *         is then aborted)
     */
    RuntimeException commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (!this.transactions.isOpen()) {
            if (offsets.isEmpty()) {
                return null;
            }
            try {
                this.transactions.begin();
            }
            catch (RuntimeException ex) {
                this.planner.failed(offsets);
                this.stats.recordCommitFailure();
                logger.warn("Consumer of {} could not begin a transaction for offsets {}; they are committed later: {}",
                        this.conductor.topics(), Committer.describe(offsets), ex.toString());
                return ex;
            }
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
        this.retries.commitSucceeded();
        this.stats.recordTransactionCommitted();
        if (!offsets.isEmpty()) {
            this.committer.answered(offsets, null);
            Map<TopicPartition, Long> next = new HashMap<>();
            offsets.forEach((partition, offset) -> next.put(partition, offset.offset()));
            this.conductor.forgetCommitted(next);
        }
        return null;
    }

    /** {@code done} completes with the outcome of the barrier under way or next. */
    void await(CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> done) {
        this.waiters.add(done);
    }

    /** Tells the waiting callers how the transaction they waited for ended. */
    void tell(RuntimeException failure, Map<TopicPartition, OffsetAndMetadata> offsets) {
        List<CompletableFuture<Map<TopicPartition, OffsetAndMetadata>>> told = List.copyOf(this.waiters);
        this.waiters.clear();
        for (CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> waiter : told) {
            if (failure == null) {
                waiter.complete(offsets);
            }
            else {
                waiter.completeExceptionally(failure);
            }
        }
    }

}
