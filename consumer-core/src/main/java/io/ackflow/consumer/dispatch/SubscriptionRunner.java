package io.ackflow.consumer.dispatch;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.EngineStats;
import io.ackflow.consumer.SubscriptionStats;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.Recovery;
import io.ackflow.consumer.failure.RetryScheduler;
import io.ackflow.consumer.state.EngineMetrics;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * Runs one subscription's handler under its ordering mode and concurrency.
 *
 * <h2>Lanes</h2>
 * Which deliveries may run, and in what order, is the {@link LaneScheduler}'s to decide: a lane
 * per partition, per key or one for all, at most {@code concurrency} running at once, round
 * robin across lanes. The runner hands what the scheduler gives it to the executor.
 *
 * <h2>Failures</h2>
 * What follows a failed attempt is the {@link Settlement}'s to decide under the subscription's
 * {@link ErrorPolicy}: a retry, which the runner parks on the {@link RetryScheduler} holding no
 * thread and no concurrency slot, or a recovery. A {@link Recovery#STOP} leaves the record
 * unreleased, closes the runner and asks the engine to stop. Revoking a partition abandons its
 * waiting retries: their records stay unreleased, so uncommitted, and the next owner reads them.
 * Under exactly-once a handler's failure aborts the open transaction instead, and the
 * {@link AttemptMemory} keeps the attempt until the record is read again.
 *
 * <h2>Calls</h2>
 * The {@link HandlerInvoker} calls the handler, synchronous or asynchronous, and times each call.
 *
 * <h2>Threads</h2>
 * {@link #submit} is called by the poll thread; deliveries run on the handler executor; the
 * continuation after an asynchronous handler runs on whichever thread completes its stage and
 * hands the next delivery back to the executor. All lane state is guarded by the lane
 * scheduler's monitor, held only for queue bookkeeping, never while a handler runs. A worker thread that
 * finishes a delivery takes the next ready one itself, so a steady stream costs one executor
 * hand-off per burst rather than per record.
 */
public final class SubscriptionRunner {

    private static final Logger logger = LoggerFactory.getLogger(SubscriptionRunner.class);

    private final Subscription<Object, Object> subscription;

    private final Executor executor;

    private final RetryScheduler scheduler;

    /** Told when the subscription cannot go on and the engine must stop. */
    private final Consumer<Throwable> stopper;

    private final LaneScheduler lanes;

    private final AttemptMemory attempts;

    private final HandlerInvoker invoker;

    private final Settlement settlement;

    /** Where an asynchronous handler's end goes: made once, not per call. */
    private final BiConsumer<Delivery, Throwable> completed = this::completed;

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
    @SuppressWarnings("unchecked")
    public SubscriptionRunner(Subscription<?, ?> subscription, Executor executor, EngineStats stats, Clock clock,
            RetryScheduler scheduler, Consumer<Throwable> stopper, EngineMetrics metrics,
            TransactionAbort transactionAbort) {
        this.subscription = (Subscription<Object, Object>) subscription;
        this.scheduler = scheduler;
        this.stopper = stopper;
        this.executor = executor;
        this.invoker = new HandlerInvoker(subscription.id(), this.subscription.handler(), clock, metrics);
        this.lanes = new LaneScheduler(subscription.ordering(), subscription.concurrency());
        SubscriptionStats totals = stats.subscription(subscription.id());
        this.attempts = new AttemptMemory(subscription.id(), subscription.errorPolicy(), totals, transactionAbort);
        this.settlement = new Settlement(subscription.id(), subscription.errorPolicy(), totals, this.attempts, stopper,
                this.lanes::isClosed);
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
        for (int i = 0; i < deliveries.size(); i++) {
            this.attempts.resume(deliveries.get(i));
        }
        List<Delivery> starts = this.lanes.enqueue(deliveries);
        for (int i = 0; i < starts.size(); i++) {
            execute(starts.get(i));
        }
    }

    /**
     * Starts nothing more: queued deliveries stay unreleased (their records are not acked, so
     * not committed, and are read again by the next owner). Running ones finish. Any thread.
     */
    public void close() {
        this.lanes.close();
    }

    /**
     * Drops the queued (not started) deliveries of {@code partitions}: their records stay
     * unreleased, so uncommitted, and are read again by whoever owns the partition next. Poll thread.
     * @return how many were dropped
     */
    public int dropQueued(Set<TopicPartition> partitions) {
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
        return this.lanes.backlog();
    }

    /**
     * Hands {@code first} to the executor. A rejected delivery stays unreleased (so uncommitted,
     * read again after a restart); its slots go to the next one, which is tried in turn. A
     * rejection while the runner is open means the executor cannot run this subscription: the
     * engine is asked to stop rather than let the partition stall unnoticed.
     */
    private void execute(Delivery first) {
        Delivery delivery = first;
        while (delivery != null) {
            Delivery run = delivery;
            try {
                this.executor.execute(() -> runFrom(run));
                return;
            }
            catch (RejectedExecutionException ex) {
                delivery = rejected(delivery, "the handler executor rejected it: " + ex);
            }
        }
    }

    /** Leaves a delivery that cannot run unreleased, frees its slots and returns the next one to run, if any. */
    private Delivery rejected(Delivery delivery, String why) {
        boolean stopping = this.lanes.isClosed();
        if (!stopping) {
            logger.error("Subscription '{}' cannot run {}: {}; stopping the engine", this.subscription.id(),
                    delivery.tracked, why);
            this.stopper.accept(new IllegalStateException(
                    "Subscription '" + this.subscription.id() + "' cannot run " + delivery.tracked + ": " + why));
        }
        else {
            logger.debug("Subscription '{}' did not run {} while stopping: {}", this.subscription.id(), delivery.tracked,
                    why);
        }
        delivery.tracked.finished();
        return this.lanes.finished(delivery);
    }

    /**
     * The handler of this subscription running on {@code record}, or null when it has not been
     * called (queued, or taken and not yet started) or is done. Any thread.
     */
    public HandlerRun runningOn(TrackedRecord record) {
        return this.lanes.runningOn(record, this.subscription.id());
    }

    /** The wait of a parked delivery is over: it runs before any ready lane. Retry scheduler thread. */
    private void waitOver(Delivery delivery) {
        Delivery start = this.lanes.waitOver(delivery);
        if (start != null) {
            execute(start);
        }
    }

    /** Runs deliveries one after another on this thread until none is ready or one goes asynchronous. */
    private void runFrom(Delivery first) {
        Delivery delivery = first;
        while (delivery != null) {
            Step step = turn(delivery);
            if (step == Step.ASYNC) {
                this.invoker.whenDone(delivery, this.completed);
                return;
            }
            delivery = next(delivery, step);
        }
    }

    /** The stage of an asynchronous handler completed: settles the attempt and runs on. Completing thread. */
    private void completed(Delivery delivery, Throwable failure) {
        if (failure == null) {
            Delivery next = next(delivery, this.settlement.settle(delivery, null));
            if (next != null) {
                execute(next);
            }
        }
        else {
            // The completing thread may be a client's I/O thread: a retry or a blocking
            // dead-letter send must not run on it.
            settleOnExecutor(delivery, failure);
        }
    }

    /** Settles a failed asynchronous attempt on a handler thread, then runs on from there. */
    private void settleOnExecutor(Delivery delivery, Throwable failure) {
        try {
            this.executor.execute(() -> runFrom(next(delivery, this.settlement.settle(delivery, failure))));
        }
        catch (RejectedExecutionException ex) {
            execute(rejected(delivery, "the handler executor rejected its failure handling: " + ex));
        }
    }

    /** Frees what the step frees and returns the next delivery this thread should run, if any. */
    private Delivery next(Delivery delivery, Step step) {
        switch (step) {
            case DONE:
                return this.lanes.finished(delivery);
            case WAIT:
                if (delivery.tracked.tracker().isDraining() || delivery.tracked.isLate()) {
                    // A dead-letter resend of a partition being handed over: the next owner reads
                    // the record again, and the drain must not wait for the resend.
                    delivery.tracked.finished();
                    return this.lanes.finished(delivery);
                }
                Delivery next = this.lanes.parked(delivery);
                try {
                    this.scheduler.schedule(() -> waitOver(delivery), delivery.retryDelayMillis);
                }
                catch (RuntimeException ex) {
                    if (!this.lanes.unpark(delivery)) {
                        return next; // abandoned by a revoke or a close meanwhile
                    }
                    execute(next);
                    return rejected(delivery, "the retry scheduler rejected its retry: " + ex);
                }
                return next;
            case ABANDON:
                return this.lanes.finished(delivery);
            default:
                this.lanes.halt(delivery);
                return null;
        }
    }

    /**
     * One turn of a delivery: calls the handler (or, for a record that could not be deserialized
     * or whose recovery is under way, the error policy) and settles the turn, unless the handler
     * returned a stage still running ({@link Step#ASYNC}).
     */
    private Step turn(Delivery delivery) {
        if (delivery.tracked.isLate()) {
            // Its partition was revoked, lost or sought away from while it waited: the next owner
            // (or the new position) reads it again, so the handler is not called.
            return this.settlement.release(delivery);
        }
        if (delivery.recovering != null) {
            return this.settlement.recover(delivery, delivery.recovering);
        }
        if (delivery.deserializationFailure != null) {
            return this.settlement.settle(delivery, delivery.deserializationFailure);
        }
        Throwable failure = this.invoker.call(delivery);
        if (delivery.stage != null) {
            return Step.ASYNC;
        }
        return this.settlement.settle(delivery, failure);
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
