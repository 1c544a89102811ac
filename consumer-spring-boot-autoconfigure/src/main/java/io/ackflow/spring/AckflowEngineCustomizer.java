package io.ackflow.spring;

import java.util.List;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.Subscription;

/**
 * Adds to each Ackflow consumer's engine builder before its first engine is built: rebalance
 * listeners, {@code metrics(...)}, a handler executor. Every bean of this type is applied, in
 * {@code @Order} order; Ackflow's own Micrometer meters come in this way.
 */
@FunctionalInterface
public interface AckflowEngineCustomizer {

    /**
     * @param consumerName the consumer ({@code ackflow} for the default one, or a name under {@code ackflow.consumers})
     * @param subscriptions its subscriptions, one per {@code @StreamListener} method it runs
     * @param builder the builder its engines are built with (again on each restart)
     * @param engine the consumer's current engine, null until the first is built
     */
    void customize(String consumerName, List<Subscription<?, ?>> subscriptions, AckflowEngine.Builder builder,
            Supplier<@Nullable AckflowEngine> engine);

}
