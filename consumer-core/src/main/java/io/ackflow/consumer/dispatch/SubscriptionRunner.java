package io.ackflow.consumer.dispatch;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.RecordHandler;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.SubscriptionStats;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.Recovery;
import io.ackflow.consumer.failure.RetryScheduler;
import io.ackflow.consumer.state.EngineMetrics;
import io.ackflow.consumer.tracking.TrackedRecord;
import io.ackflow.consumer.state.HandlerRun;

/**
 * Runs one subscription's handler under its ordering mode and concurrency: the face that the
 * engine builds, the conductor feeds and the poll loop asks. It puts together the parts that
 * do the work, one job each:
 * <ul>
 * <li>the {@link LaneScheduler} decides which deliveries run and in what order: a lane per
 * partition, per key or one for all, at most {@code concurrency} running at once, round robin
 * across lanes;</li>
 * <li>the {@link DeliveryWorker} hands them to the executor and takes each through its turns;</li>
 * <li>the {@link HandlerInvoker} calls the handler, synchronous or asynchronous, and times it;</li>
 * <li>the {@link Settlement} decides what follows an attempt under the subscription's
 * {@link ErrorPolicy}: a release, a retry (parked on the {@link RetryScheduler}, holding no thread
 * and no concurrency slot) or a recovery. A {@link Recovery#STOP} leaves the record unreleased,
 * closes the runner and asks the engine to stop;</li>
 * <li>under exactly-once, the {@link AttemptMemory} remembers the attempts of records whose
 * failure aborted the transaction, until they are read again.</li>
 * </ul>
 * A batch subscription ({@link Subscription#isBatch()}) runs its records through a
 * {@link BatchDispatch} instead of the lanes: batches gathered per partition, per key or for
 * all, concurrency counting batches, each record still settled and released on its own.
 * <p>
 * Revoking a partition drops its queued deliveries and abandons its waiting retries: their
 * records stay unreleased, so uncommitted, and the next owner reads them.
 * <p>
 * Threads: {@link #submitAll} is called by the poll thread, as are {@link #dropQueued} and the
 * {@code forget} methods; deliveries run on the handler executor (see {@link DeliveryWorker});
 * {@link #close}, {@link #backlog} and {@link #runningOn} are safe from any thread. All lane
 * state is guarded by the lane scheduler's monitor, held only for queue bookkeeping, never while
 * a handler runs.
 */
public final class SubscriptionRunner {

    private final Subscription<?, ?> subscription;

    private final LaneScheduler lanes;

    private final FailedAttempts attempts;

    private final DeliveryWorker worker;

    /** The batches of a batch subscription; null for a subscription that handles one record at a time. */
    private final BatchDispatch batches;

    /** A runner whose failures follow the subscription's policy but that can neither retry nor stop an engine; for tests. */
    public SubscriptionRunner(Subscription<?, ?> subscription, Executor executor, EngineStats stats, Clock clock) {
        this(subscription, executor, stats, clock, (task, delay) -> {
            throw new IllegalStateException("no retry scheduler");
        }, (cause) -> {
        }, EngineMetrics.NONE);
    }

    /**
     * @param scheduler where retries wait
     * @param stopper told, from a handler thread, when a failure must stop the engine
     * @param metrics told how long each handler call took
     */
    public SubscriptionRunner(Subscription<?, ?> subscription, Executor executor, EngineStats stats, Clock clock,
            RetryScheduler scheduler, Consumer<Throwable> stopper, EngineMetrics metrics) {
        this(subscription, executor, stats, clock, scheduler, stopper, metrics, null);
    }

    /**
     * @param transactionAbort under exactly-once, told when a handler failure must abort the open
     *        transaction; null at-least-once
     */
    public SubscriptionRunner(Subscription<?, ?> subscription, Executor executor, EngineStats stats, Clock clock,
            RetryScheduler scheduler, Consumer<Throwable> stopper, EngineMetrics metrics,
            TransactionAbort transactionAbort) {
        this.subscription = subscription;
        this.lanes = new LaneScheduler(subscription.ordering(), subscription.concurrency());
        SubscriptionStats totals = stats.subscription(subscription.id());
        this.attempts = (transactionAbort != null)
                ? new AttemptMemory(subscription.id(), subscription.errorPolicy(), totals, transactionAbort)
                : FailedAttempts.IN_PLACE;
        Settlement settlement = new Settlement(subscription.id(), subscription.errorPolicy(), totals, this.attempts,
                stopper, this::isClosed);
        @SuppressWarnings("unchecked")
        RecordHandler<Object, Object> handler = (RecordHandler<Object, Object>) subscription.handler();
        HandlerInvoker invoker = new HandlerInvoker(subscription.id(), handler, clock, metrics);
        this.worker = new DeliveryWorker(executor, scheduler, this.lanes, invoker, settlement,
                subscription.ordering() == io.ackflow.consumer.Ordering.PARTITION);
        this.batches = subscription.isBatch()
                ? new BatchDispatch(subscription, executor, scheduler, clock, metrics, settlement, totals) : null;
    }

    private boolean isClosed() {
        return (this.batches != null) ? this.batches.isClosed() : this.lanes.isClosed();
    }

    public Subscription<?, ?> subscription() {
        return this.subscription;
    }

    /**
     * Queues a delivery in its lane and starts it when there is room. Poll thread.
     */
    void submit(Delivery delivery) {
        submitAll(List.of(delivery));
    }

    /**
     * Queues deliveries in their lanes, in order, under one acquisition of the lock, and starts as
     * many as there is room for. Poll thread.
     */
    void submitAll(List<Delivery> deliveries) {
        if (this.batches != null) {
            this.batches.submitAll(deliveries);
            return;
        }
        for (int i = 0; i < deliveries.size(); i++) {
            this.attempts.resume(deliveries.get(i));
        }
        List<Delivery> starts = this.lanes.enqueue(deliveries);
        if (!starts.isEmpty()) {
            this.worker.start(starts);
        }
    }

    /**
     * Starts nothing more: queued deliveries stay unreleased (their records are not acked, so
     * not committed, and are read again by the next owner). Running ones finish. Any thread.
     */
    public void close() {
        this.lanes.close();
        if (this.batches != null) {
            this.batches.close();
        }
    }

    /**
     * Starts the batches of a batch subscription that are due at {@code now} (clock millis): full,
     * or whose first record has waited its {@code maxWait}. Nothing for other subscriptions. Poll thread.
     */
    public void startDueBatches(long now) {
        if (this.batches != null) {
            this.batches.startDue(now);
        }
    }

    /**
     * When a batch of this subscription will next be due (clock millis); {@link Long#MAX_VALUE} when
     * none waits, or for a subscription that handles one record at a time. Poll thread.
     */
    public long nextBatchDueAt(long now) {
        return (this.batches != null) ? this.batches.nextDueAt(now) : Long.MAX_VALUE;
    }

    /**
     * Drops the queued (not started) deliveries of {@code partitions}: their records stay
     * unreleased, so uncommitted, and are read again by whoever owns the partition next. Poll thread.
     * @return how many were dropped
     */
    public int dropQueued(Set<TopicPartition> partitions) {
        if (this.batches != null) {
            return this.batches.dropQueued(partitions);
        }
        return this.lanes.dropQueued(partitions);
    }

    /**
     * Forgets the failed attempts of records below the committed offsets: their outcome is
     * committed. Until then an abort may bring them back, and they must come back with their
     * attempts (a record whose retries are over goes to its recovery again, not to its handler).
     * Poll thread.
     */
    public void forgetCommitted(Map<TopicPartition, Long> committed) {
        this.attempts.forgetCommitted(committed);
    }

    /**
     * Forgets the failed attempts remembered for records of {@code partitions}: they went to
     * another member, which counts its own. Poll thread.
     */
    public void forgetAttempts(Set<TopicPartition> partitions) {
        this.attempts.forgetAttempts(partitions);
    }

    /** Deliveries queued or running, for diagnostics. */
    public int backlog() {
        return (this.batches != null) ? this.batches.backlog() : this.lanes.backlog();
    }

    /**
     * The handler of this subscription, at {@code holderIndex} among the subscriptions of the
     * record's topic, running on {@code record}, or null when it has not been
     * called (queued, or taken and not yet started) or is done. Any thread.
     */
    public HandlerRun runningOn(TrackedRecord record, int holderIndex) {
        return Delivery.runningOn(record, holderIndex, this.subscription.id());
    }

    /**
     * Exactly-once: aborts the open transaction because a handler failed on {@code record}; the
     * engine reads the records again from the last committed offsets, those of the record's
     * partition no sooner than {@code retryDelayMillis} from now. Called on a handler thread
     * before the failed handler's slot is freed.
     */
    @FunctionalInterface
    public interface TransactionAbort {

        void abortFor(TrackedRecord record, long retryDelayMillis);

    }

}
