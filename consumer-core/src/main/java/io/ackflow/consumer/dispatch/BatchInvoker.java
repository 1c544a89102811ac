package io.ackflow.consumer.dispatch;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import io.ackflow.consumer.BatchHandler;
import io.ackflow.consumer.state.EngineMetrics;

/**
 * Calls one batch subscription's handler on a batch's records and turns what it did into an
 * outcome: it returned, it threw, or it returned a stage that completes later (a stage already
 * complete counts as a return). Each call is timed and its size reported to the
 * {@link EngineMetrics}; each record of the batch records when and on which thread the handler was
 * first called on it, for the stuck-partition diagnostics.
 * <p>
 * Threads: {@link #call} runs on the thread that runs the batch; {@link #ended} on whichever
 * thread ends the call. The invoker keeps no state of its own.
 */
final class BatchInvoker {

    private final String subscriptionId;

    private final BatchHandler<Object, Object> handler;

    private final Clock clock;

    private final EngineMetrics metrics;

    BatchInvoker(String subscriptionId, BatchHandler<Object, Object> handler, Clock clock, EngineMetrics metrics) {
        this.subscriptionId = subscriptionId;
        this.handler = handler;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * Calls the handler once with the records of {@code live}, which every one of them can read.
     * @return the stage of a call still running, or a completed one: normally, or with the failure
     */
    CompletionStage<?> call(Batch batch, List<Delivery> live) {
        long now = this.clock.millis();
        Thread thread = Thread.currentThread();
        List<ConsumerRecord<Object, Object>> records = new ArrayList<>(live.size());
        for (int i = 0; i < live.size(); i++) {
            Delivery delivery = live.get(i);
            delivery.attempts++;
            // What the stuck-partition report reads, per record, as for a record handler.
            delivery.called(thread, now);
            records.add(delivery.record());
        }
        batch.attemptStartedNanos = System.nanoTime();
        try {
            CompletionStage<?> stage = this.handler.handle(java.util.Collections.unmodifiableList(records));
            return (stage != null) ? stage : CompletableFuture.completedFuture(null);
        }
        catch (Throwable ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /** Times a call of {@code size} records that ended; returns its failure unwrapped, or null. */
    Throwable ended(Batch batch, int size, Throwable failure) {
        long nanos = System.nanoTime() - batch.attemptStartedNanos;
        this.metrics.handlerFinished(this.subscriptionId, nanos, failure == null);
        this.metrics.batchFinished(this.subscriptionId, size, nanos, failure == null);
        return (failure != null) ? unwrap(failure) : null;
    }

    /** Whether a stage is complete, so the caller may go on at once. */
    static boolean isDone(CompletionStage<?> stage) {
        return stage instanceof CompletableFuture<?> future && future.isDone();
    }

    /** The handler's own exception inside the wrappers that futures add. */
    static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

}
