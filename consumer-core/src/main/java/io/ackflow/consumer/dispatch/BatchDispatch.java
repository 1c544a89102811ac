package io.ackflow.consumer.dispatch;

import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;

import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.BatchHandler;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.failure.RetryScheduler;
import io.ackflow.consumer.state.EngineMetrics;

/**
 * The batch side of a {@link SubscriptionRunner}: the {@link BatchScheduler} that gathers records
 * into batches, the {@link BatchWorker} that runs them, and the engine's clock that the batches'
 * {@code maxWait} is measured on.
 * <p>
 * Threads: as the runner's methods that delegate here: {@link #submitAll}, {@link #startDue},
 * {@link #nextDueAt} and {@link #dropQueued} on the poll thread, the rest from any thread.
 */
final class BatchDispatch {

    private final BatchScheduler scheduler;

    private final BatchWorker worker;

    private final Clock clock;

    BatchDispatch(Subscription<?, ?> subscription, Executor executor, RetryScheduler retries, Clock clock,
            EngineMetrics metrics, Settlement records, io.ackflow.consumer.SubscriptionStats stats) {
        this.clock = clock;
        this.scheduler = new BatchScheduler(subscription.ordering(), subscription.concurrency(),
                subscription.batching());
        @SuppressWarnings("unchecked")
        BatchHandler<Object, Object> handler = (BatchHandler<Object, Object>) subscription.batchHandler();
        BatchSettlement settlement = new BatchSettlement(subscription.id(), subscription.errorPolicy(), stats, records,
                this.scheduler::isClosed);
        this.worker = new BatchWorker(executor, retries, this.scheduler,
                new BatchInvoker(subscription.id(), handler, clock, metrics), settlement, records, clock);
    }

    /** Whether the runner was closed or halted. */
    boolean isClosed() {
        return this.scheduler.isClosed();
    }

    void submitAll(List<Delivery> deliveries) {
        this.worker.execute(this.scheduler.enqueue(deliveries, this.clock.millis()));
    }

    void startDue(long now) {
        this.worker.execute(this.scheduler.startDue(now));
    }

    long nextDueAt(long now) {
        return this.scheduler.nextDueAt(now);
    }

    void close() {
        this.scheduler.close();
    }

    int dropQueued(Set<TopicPartition> partitions) {
        return this.scheduler.dropQueued(partitions);
    }

    int backlog() {
        return this.scheduler.backlog();
    }

}
