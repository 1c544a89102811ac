package io.ackflow.consumer.dispatch;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;

import io.ackflow.consumer.failure.RetryScheduler;

/**
 * Takes one subscription's deliveries through their turns: hands each delivery that the
 * {@link LaneScheduler} starts to the executor, calls its handler through the
 * {@link HandlerInvoker}, lets the {@link Settlement} decide what follows, and acts on that
 * {@link Step}: frees the delivery's slots, parks it on the retry scheduler, or halts.
 * <p>
 * Threads: deliveries run on the handler executor. A worker thread that finishes a delivery
 * takes the next ready one itself, so a steady stream costs one executor hand-off per burst
 * rather than per record. The continuation after an asynchronous handler runs on whichever
 * thread completes its stage and hands the next delivery back to the executor; a failed stage is
 * settled on the executor, never on the completing thread. A parked delivery's wait ends on the
 * retry scheduler's thread, which hands it back to the executor. The worker keeps no state of its
 * own: slots and queues are the scheduler's, under its monitor, and a delivery's attempt state
 * belongs to the one thread that runs it at a time.
 */
final class DeliveryWorker {

    private final Executor executor;

    private final RetryScheduler retries;

    private final LaneScheduler lanes;

    private final HandlerInvoker invoker;

    private final Settlement settlement;

    /** Where an asynchronous handler's end goes: made once, not per call. */
    private final BiConsumer<Delivery, Throwable> completed = this::completed;

    DeliveryWorker(Executor executor, RetryScheduler retries, LaneScheduler lanes, HandlerInvoker invoker,
            Settlement settlement) {
        this.executor = executor;
        this.retries = retries;
        this.lanes = lanes;
        this.invoker = invoker;
        this.settlement = settlement;
    }

    /**
     * Hands {@code first} to the executor. A rejected delivery stays unreleased (so uncommitted,
     * read again after a restart); its slots go to the next one, which is tried in turn. A
     * rejection while the runner is open means the executor cannot run this subscription: the
     * engine is asked to stop rather than let the partition stall unnoticed.
     */
    void execute(Delivery first) {
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
        this.settlement.cannotRun(delivery, why);
        return this.lanes.finished(delivery);
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
                    this.retries.schedule(() -> waitOver(delivery), delivery.retryDelayMillis);
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
     * One turn of a delivery: deserializes the record if no handler of it has yet, calls the
     * handler (or, for a record that could not be deserialized or whose recovery is under way,
     * the error policy) and settles the turn, unless the handler returned a stage still running
     * ({@link Step#ASYNC}).
     */
    private Step turn(Delivery delivery) {
        if (delivery.tracked.isLate()) {
            // Its partition was revoked, lost or sought away from while it waited: the next owner
            // (or the new position) reads it again, so the handler is not called.
            return this.settlement.release(delivery);
        }
        delivery.applyResumedRecovery();
        if (delivery.recovering != null) {
            return this.settlement.recover(delivery, delivery.recovering);
        }
        RuntimeException poisonPill = delivery.deserializationFailure();
        if (poisonPill != null) {
            return this.settlement.settle(delivery, poisonPill);
        }
        Throwable failure = this.invoker.call(delivery);
        if (delivery.stage != null) {
            return Step.ASYNC;
        }
        return this.settlement.settle(delivery, failure);
    }

}
