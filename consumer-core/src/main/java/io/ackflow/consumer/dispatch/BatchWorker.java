package io.ackflow.consumer.dispatch;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import io.ackflow.consumer.failure.RetryScheduler;

/**
 * Takes one batch subscription's batches through their turns: hands each batch that the
 * {@link BatchScheduler} starts to the executor, settles the records that do not go to the handler,
 * calls the handler through the {@link BatchInvoker}, lets the {@link BatchSettlement} decide what
 * follows, and acts on it: hands records back, frees the batch's slot, pool and keys, parks it on
 * the retry scheduler, or halts.
 * <p>
 * Threads: each batch runs on the handler executor, one turn at a time. The end of an asynchronous
 * handler that succeeded is settled on the thread that completes its stage; one that failed is
 * settled on the executor (a retry or a blocking dead-letter send must not run on a client's I/O
 * thread). A parked batch's wait ends on the retry scheduler's thread, which hands it back to the
 * executor. The worker keeps no state of its own.
 */
final class BatchWorker {

    private final Executor executor;

    private final RetryScheduler retries;

    private final BatchScheduler scheduler;

    private final BatchInvoker invoker;

    private final BatchSettlement settlement;

    private final Settlement records;

    private final Clock clock;

    BatchWorker(Executor executor, RetryScheduler retries, BatchScheduler scheduler, BatchInvoker invoker,
            BatchSettlement settlement, Settlement records, Clock clock) {
        this.executor = executor;
        this.retries = retries;
        this.scheduler = scheduler;
        this.invoker = invoker;
        this.settlement = settlement;
        this.records = records;
        this.clock = clock;
    }

    /** Hands each batch to the executor. */
    void execute(List<Batch> batches) {
        for (int i = 0; i < batches.size(); i++) {
            execute(batches.get(i));
        }
    }

    private void execute(Batch batch) {
        try {
            this.executor.execute(() -> turn(batch));
        }
        catch (RejectedExecutionException ex) {
            rejected(batch, "the handler executor rejected it: " + ex);
        }
    }

    /** Leaves the records of a batch that cannot run unreleased and frees its slot for the next ones. */
    private void rejected(Batch batch, String why) {
        for (Delivery delivery : batch.deliveries) {
            this.records.cannotRun(delivery, why);
        }
        batch.deliveries = List.of();
        execute(this.scheduler.finished(batch, this.clock.millis()));
    }

    /** One turn: settles the records apart, calls the handler with the others and settles them. Handler thread. */
    private void turn(Batch batch) {
        BatchSettlement.Outcome outcome = new BatchSettlement.Outcome();
        List<Delivery> live = this.settlement.settleApart(batch, outcome);
        if (live.isEmpty()) {
            end(batch, outcome);
            return;
        }
        CompletionStage<?> stage = this.invoker.call(batch, live);
        if (BatchInvoker.isDone(stage)) {
            called(batch, live, outcome, failureOf((CompletableFuture<?>) stage));
            return;
        }
        stage.whenComplete((result, failure) -> {
            if (failure == null) {
                called(batch, live, outcome, null);
                return;
            }
            try {
                this.executor.execute(() -> called(batch, live, outcome, failure));
            }
            catch (RejectedExecutionException ex) {
                called(batch, live, outcome, failure);
            }
        });
    }

    private void called(Batch batch, List<Delivery> live, BatchSettlement.Outcome outcome, Throwable failure) {
        this.settlement.settleCall(batch, live, this.invoker.ended(batch, live.size(), failure), outcome);
        end(batch, outcome);
    }

    /** Acts on the outcome of a turn: hands records back, then frees, parks or halts the batch. */
    private void end(Batch batch, BatchSettlement.Outcome outcome) {
        if (!outcome.rest.isEmpty()) {
            this.scheduler.handBack(batch, outcome.rest);
        }
        if (outcome.halted) {
            outcome.leftOver.forEach((delivery) -> delivery.tracked.finished());
            outcome.waiting.forEach((delivery) -> delivery.tracked.finished());
            this.scheduler.halt(batch);
            return;
        }
        List<Delivery> waiting = new ArrayList<>(outcome.waiting.size());
        for (Delivery delivery : outcome.waiting) {
            if (delivery.tracked.tracker().isDraining() || delivery.tracked.isLate()) {
                // Its partition is being handed over: the next owner reads the record again, and
                // the drain must not wait out a back-off.
                delivery.tracked.finished();
            }
            else {
                waiting.add(delivery);
            }
        }
        batch.deliveries = waiting;
        if (waiting.isEmpty()) {
            execute(this.scheduler.finished(batch, this.clock.millis()));
            return;
        }
        batch.retryDelayMillis = outcome.delayMillis;
        List<Batch> next = this.scheduler.parked(batch, this.clock.millis());
        try {
            this.retries.schedule(() -> execute(this.scheduler.waitOver(batch, this.clock.millis())),
                    batch.retryDelayMillis);
        }
        catch (RuntimeException ex) {
            if (this.scheduler.unpark(batch)) {
                execute(next);
                rejected(batch, "the retry scheduler rejected its retry: " + ex);
                return;
            }
        }
        execute(next);
    }

    private static Throwable failureOf(CompletableFuture<?> done) {
        try {
            done.join();
            return null;
        }
        catch (Throwable ex) {
            return ex;
        }
    }

}
