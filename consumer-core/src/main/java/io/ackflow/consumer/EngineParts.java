package io.ackflow.consumer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.clients.producer.Producer;

import io.ackflow.consumer.commit.CommitObserver;
import io.ackflow.consumer.dispatch.Conductor;
import io.ackflow.consumer.dispatch.LoopSignals;
import io.ackflow.consumer.dispatch.SubscriptionRunner;
import io.ackflow.consumer.failure.RetryScheduler;
import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.share.ShareLoop;
import io.ackflow.consumer.state.EngineMetrics;

/**
 * What {@link AckflowEngine.Builder} settled, immutable, and how one run of the engine is wired
 * from it: a {@link SubscriptionRunner} per subscription, the {@link Conductor} over them, and
 * the {@link PollLoop}, which answers both through {@link LoopSignals}.
 * <p>
 * Threads: any; {@link #newLoop} runs on the poll thread.
 *
 * @param handlerExecutor the application's executor for every subscription, or null for one each
 * @param retryScheduler the application's retry scheduler, or null for the engine's timer
 * @param transactionalProducer exactly-once: makes the engine's transactional producer; else null
 * @param share what makes the engine a share consumer; null for a consumer group
 */
record EngineParts(String name, Supplier<Consumer<byte[], byte[]>> consumerFactory,
        Map<String, Object> consumerConfigs, EngineConfig config, List<Subscription<?, ?>> subscriptions,
        CommitObserver commitObserver, Executor handlerExecutor, List<RebalanceListener> rebalanceListeners,
        RetryScheduler retryScheduler, EngineMetrics metrics, Supplier<? extends Producer<?, ?>> transactionalProducer,
        ShareGroup share) {

    EngineParts {
        subscriptions = List.copyOf(subscriptions);
        rebalanceListeners = List.copyOf(rebalanceListeners);
    }

    /** The poll loop of one run around {@code consumer}, its handlers on {@code executors}. */
    PollLoop newLoop(Consumer<byte[], byte[]> consumer, Function<Subscription<?, ?>, Executor> executors,
            RetryScheduler retries, EngineStats stats) {
        return new PollLoop(consumer, conductor(executors, retries, stats), this.config, stats, this.commitObserver,
                this.rebalanceListeners, this.metrics, this.config.exactlyOnce() ? this.transactionalProducer : null,
                this.name);
    }

    /** The share loop of one run around a share consumer made now, its handlers on {@code executors}. */
    ShareLoop newShareLoop(Function<Subscription<?, ?>, Executor> executors, RetryScheduler retries, EngineStats stats,
            ShareStats shareStats) {
        ShareConsumer<byte[], byte[]> consumer = Objects.requireNonNull(this.share.factory().get(),
                "the share consumer factory returned null");
        return new ShareLoop(consumer, conductor(executors, retries, stats), this.share.group(), this.config, stats,
                shareStats, this.metrics, this.name, this.share.lockDuration());
    }

    private Function<LoopSignals, Conductor> conductor(Function<Subscription<?, ?>, Executor> executors,
            RetryScheduler retries, EngineStats stats) {
        return (signals) -> {
            List<SubscriptionRunner> runners = new ArrayList<>();
            for (Subscription<?, ?> subscription : this.subscriptions) {
                runners.add(new SubscriptionRunner(subscription, executors.apply(subscription), stats,
                        this.config.clock(), retries, signals::requestStop, this.metrics,
                        this.config.exactlyOnce() ? signals::abortFor : null));
            }
            return new Conductor(runners, stats, signals);
        };
    }

}
