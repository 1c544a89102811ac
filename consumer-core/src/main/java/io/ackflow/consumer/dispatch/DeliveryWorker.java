package io.ackflow.consumer.dispatch;

import java.util.List;
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
 * Threads: deliveries run on the handler executor. Started deliveries wait in the
 * {@link Handoff} for a worker thread; a worker is asked of the executor, one at a time, only
 * when every worker is inside a handler call, beyond as many workers as cores only when the
 * {@link TurnWatch} finds that those calls block; and a worker runs deliveries back to back: the next
 * one its lane scheduler starts when it finishes one, those waiting in the hand-off, and after a
 * handler that returned a stage still running, whatever waits. A burst of quick handlers so costs
 * a few executor hand-offs rather than one per delivery, and blocking handlers still get a thread
 * each. The continuation after an
 * asynchronous handler runs on whichever thread completes its stage and hands the next delivery
 * to the hand-off; a failed stage is settled on the executor, never on the completing thread. A
 * parked delivery's wait ends on the retry scheduler's thread, which hands it to the hand-off.
 * Slots and lanes are the scheduler's, under its monitor; the hand-off is lock-free; a delivery's
 * attempt state belongs to the one thread that runs it at a time.
 */
final class DeliveryWorker {

    private final Executor executor;

    private final RetryScheduler retries;

    private final LaneScheduler lanes;

    private final HandlerInvoker invoker;

    private final Settlement settlement;

    /** Started deliveries waiting for a worker thread. */
    private final Handoff handoff = new Handoff();

    /** Asks for more workers when every worker is inside a call that blocks. */
    private final TurnWatch watch;

    /** Where an asynchronous handler's end goes: made once, not per call. */
    private final BiConsumer<Delivery, Throwable> completed = this::completed;

    /** What a worker asked of the executor runs: made once, not per worker. */
    private final Runnable worker = this::work;

    /**
     * The worker thread asking the executor for another worker, while it asks: an executor that
     * runs the task on the calling thread (a direct executor) must not run the waiting deliveries
     * inside the asking worker's turn, ahead of the delivery that worker is about to run.
     */
    private volatile Thread asking;

    /**
     * Whether a worker runs the next delivery its lane scheduler starts itself, before any that
     * waits in the hand-off: under {@code PARTITION}, whose lanes are few (one per partition), so a
     * worker per busy partition costs few threads and saves a trip through the hand-off per record.
     * Under {@code KEY} and {@code UNORDERED} the lanes with work outnumber the threads that quick
     * handlers need, so what the scheduler starts queues behind what waits, and the few workers
     * take turns at all of it.
     */
    private final boolean keepsNext;

    DeliveryWorker(Executor executor, RetryScheduler retries, LaneScheduler lanes, HandlerInvoker invoker,
            Settlement settlement, boolean keepsNext) {
        this.keepsNext = keepsNext;
        this.executor = executor;
        this.retries = retries;
        this.lanes = lanes;
        this.invoker = invoker;
        this.settlement = settlement;
        this.watch = new TurnWatch(this.handoff, (count) -> askWorkers(count, false), lanes::isClosed);
    }

    /**
     * Hands deliveries the lane scheduler started to the workers, asking the executor for one if
     * none is on its way. The poll thread.
     */
    void start(List<Delivery> starts) {
        for (int i = 0; i < starts.size(); i++) {
            this.handoff.add(starts.get(i));
        }
        requestWorker(false);
    }

    /** Hands a started delivery, if any, to the workers. Any thread. */
    private void offer(Delivery delivery) {
        if (delivery != null) {
            this.handoff.add(delivery);
            requestWorker(false);
        }
    }

    /**
     * Asks the executor for a worker if a delivery waits, none is on its way and every worker is
     * inside a turn. Under {@code KEY} and {@code UNORDERED}, only while fewer than
     * {@link TurnWatch#EAGER_WORKERS} serve; beyond that, the watch decides whether the turns
     * block. Under {@code PARTITION} (a worker {@link #keepsNext keeps} its next) no more
     * deliveries run than partitions, and each waiting one gets a worker: a worker that keeps
     * its partition's records would not take it.
     * @param fromWorker whether the caller is a worker about to run a delivery itself
     */
    private void requestWorker(boolean fromWorker) {
        if (this.handoff.needsWorker(this.keepsNext ? Integer.MAX_VALUE : TurnWatch.EAGER_WORKERS)) {
            askWorkers(1, fromWorker);
        }
        else if (!this.keepsNext && this.handoff.allBusyWhileWaiting()) {
            this.watch.arm();
        }
    }

    /**
     * Asks the executor for {@code count} workers, counted as on their way. A rejection leaves
     * what waits unreleased.
     * @param fromWorker whether the caller is a worker about to run a delivery itself
     */
    private void askWorkers(int count, boolean fromWorker) {
        int asked = 0;
        try {
            if (fromWorker) {
                this.asking = Thread.currentThread();
            }
            for (; asked < count; asked++) {
                this.executor.execute(this.worker);
            }
        }
        catch (RejectedExecutionException ex) {
            // Nobody may come for what waits. A rejected delivery stays unreleased (so
            // uncommitted, read again after a restart); its slots go to the next one, tried in turn.
            // A rejection while the runner is open means the executor cannot run this
            // subscription: the engine is asked to stop rather than let the partition stall unnoticed.
            for (int refused = asked; refused < count; refused++) {
                this.handoff.refused();
            }
            for (Delivery delivery; (delivery = this.handoff.poll()) != null;) {
                Delivery next = rejected(delivery, "the handler executor rejected it: " + ex);
                if (next != null) {
                    this.handoff.add(next);
                }
            }
        }
        finally {
            if (fromWorker) {
                this.asking = null;
            }
        }
    }

    /** A worker the executor started: serves what waits in the hand-off, then ends. */
    private void work() {
        if (this.asking == Thread.currentThread()) {
            // Run by a direct executor inside the asking worker, which takes what waits itself.
            this.handoff.refused();
            return;
        }
        this.handoff.arrived();
        serve(this.handoff.poll());
    }

    /**
     * Runs deliveries on this thread, from {@code first}, until none is left for it, then stops
     * serving; a delivery added meanwhile, whose adder saw this worker still serving, is taken
     * before it ends. This thread counts as serving on entry.
     */
    private void serve(Delivery first) {
        Delivery delivery = first;
        while (true) {
            runFrom(delivery);
            this.handoff.left();
            if (this.handoff.isEmpty()) {
                return;
            }
            this.handoff.joined();
            delivery = this.handoff.poll();
        }
    }

    /** Leaves a delivery that cannot run unreleased, frees its slots and returns the next one to run, if any. */
    private Delivery rejected(Delivery delivery, String why) {
        this.settlement.cannotRun(delivery, why);
        return this.lanes.finished(delivery);
    }

    /** The wait of a parked delivery is over: it runs before any ready lane. Retry scheduler thread. */
    private void waitOver(Delivery delivery) {
        offer(this.lanes.waitOver(delivery));
    }

    /**
     * Runs deliveries one after another on this thread until none is left for it: the next one
     * its lane scheduler starts, else one waiting in the hand-off (the longest-waiting first).
     */
    private void runFrom(Delivery first) {
        Delivery delivery = first;
        while (delivery != null) {
            Step step;
            this.handoff.turnStarted();
            try {
                // Others wait and every worker is in a turn: one more before this one may block.
                requestWorker(true);
                step = this.settlement.turn(delivery, this.invoker);
            }
            finally {
                this.handoff.turnEnded();
            }
            Delivery next = null;
            if (step == Step.ASYNC) {
                this.invoker.whenDone(delivery, this.completed);
            }
            else {
                next = next(delivery, step);
            }
            delivery = take(next);
        }
    }

    /**
     * What this worker runs next: {@code next} itself when it {@link #keepsNext keeps} it, else the
     * longest-waiting delivery, {@code next} queued behind those that wait.
     */
    private Delivery take(Delivery next) {
        if ((next != null && this.keepsNext) || this.handoff.isEmpty()) {
            return next;
        }
        if (next != null) {
            this.handoff.add(next);
        }
        return this.handoff.poll();
    }

    /** The stage of an asynchronous handler completed: settles the attempt and runs on. Completing thread. */
    private void completed(Delivery delivery, Throwable failure) {
        if (failure == null) {
            offer(next(delivery, this.settlement.settle(delivery, null)));
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
            this.executor.execute(() -> {
                this.handoff.joined();
                serve(next(delivery, this.settlement.settle(delivery, failure)));
            });
        }
        catch (RejectedExecutionException ex) {
            offer(rejected(delivery, "the handler executor rejected its failure handling: " + ex));
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
                    offer(next);
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

}
