package io.ackflow.consumer.dispatch;

import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;

import io.ackflow.consumer.RecordHandler;
import io.ackflow.consumer.state.EngineMetrics;

/**
 * Calls one subscription's handler on a delivery and turns what it did into an outcome: it
 * returned, it threw, or it returned a stage that completes later. A stage that is already
 * complete counts as a return, so a handler that completes its future at once costs no
 * continuation. Each call is timed for the {@link EngineMetrics} (unless they are
 * {@link EngineMetrics#NONE}), and the delivery records when
 * and on which thread its handler was called, for the stuck-partition diagnostics.
 * <p>
 * Threads: {@link #call} runs on the thread that runs the delivery; the continuation that
 * {@link #whenDone} registers runs on whichever thread completes the handler's stage. The
 * invoker keeps no state of its own.
 */
final class HandlerInvoker {

    private final String subscriptionId;

    private final RecordHandler<Object, Object> handler;

    private final Clock clock;

    private final EngineMetrics metrics;

    /** Whether calls are timed: not when no metrics are recorded, which saves two clock reads per call. */
    private final boolean timed;

    HandlerInvoker(String subscriptionId, RecordHandler<Object, Object> handler, Clock clock, EngineMetrics metrics) {
        this.subscriptionId = subscriptionId;
        this.handler = handler;
        this.clock = clock;
        this.metrics = metrics;
        this.timed = (metrics != EngineMetrics.NONE);
    }

    /**
     * Calls the handler once on the delivery's record.
     * @return the failure of a call that completed, null when it succeeded; null too when the
     *         handler returned a stage still running, which is left in {@link Delivery#stage}
     *         for {@link #whenDone}
     */
    Throwable call(Delivery delivery) {
        CompletionStage<?> stage = null;
        Throwable failure = null;
        delivery.called(Thread.currentThread(), delivery.wasCalled() ? 0 : this.clock.millis());
        delivery.attempts++;
        if (this.timed) {
            delivery.attemptStartedNanos = System.nanoTime();
        }
        try {
            stage = this.handler.handle(delivery.record());
        }
        catch (Throwable ex) {
            failure = ex;
        }
        if (stage instanceof CompletableFuture<?> future && future.isDone()) {
            try {
                future.join();
            }
            catch (Throwable ex) {
                failure = unwrap(ex);
            }
            stage = null;
        }
        if (stage != null) {
            delivery.stage = stage;
            return null;
        }
        timed(delivery, failure == null);
        return failure;
    }

    /**
     * Takes the running stage off the delivery and, when it completes, times the call and tells
     * {@code then} of its failure (unwrapped; null when it succeeded), on the completing thread.
     */
    void whenDone(Delivery delivery, BiConsumer<Delivery, Throwable> then) {
        CompletionStage<?> stage = delivery.stage;
        delivery.stage = null;
        stage.whenComplete((result, failure) -> {
            timed(delivery, failure == null);
            then.accept(delivery, (failure != null) ? unwrap(failure) : null);
        });
    }

    private void timed(Delivery delivery, boolean succeeded) {
        if (!this.timed) {
            return;
        }
        this.metrics.handlerFinished(this.subscriptionId, System.nanoTime() - delivery.attemptStartedNanos, succeeded);
    }

    /** The handler's own exception inside the wrappers that futures add. */
    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

}
