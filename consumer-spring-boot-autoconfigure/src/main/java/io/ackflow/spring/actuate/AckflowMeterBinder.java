package io.ackflow.spring.actuate;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.Subscription;
import io.ackflow.spring.AckflowEngineCustomizer;

/**
 * Binds the {@code ackflow.*} meters of every Ackflow consumer to the application's
 * {@link MeterRegistry}: one {@link AckflowMeters} per consumer, told of its engines' timings and
 * rebalances. Kafka's own client metrics ({@code kafka.consumer.*}) are bound by Spring Boot's
 * Kafka metrics auto-configuration through the consumer factory, which Ackflow's consumers are
 * made from.
 */
public class AckflowMeterBinder implements AckflowEngineCustomizer {

    private final MeterRegistry registry;

    private final Map<String, AckflowMeters> meters = new ConcurrentHashMap<>();

    public AckflowMeterBinder(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void customize(String consumerName, List<Subscription<?, ?>> subscriptions, AckflowEngine.Builder builder,
            Supplier<@Nullable AckflowEngine> engine) {
        AckflowMeters consumerMeters = this.meters.computeIfAbsent(consumerName,
                (name) -> new AckflowMeters(this.registry, name, subscriptions, engine, builder.isShareConsumer()));
        builder.metrics(consumerMeters).rebalanceListener(consumerMeters);
    }

    /** The partitions of {@code consumerName} whose meters are registered now. */
    public Collection<TopicPartition> partitionsWithMeters(String consumerName) {
        AckflowMeters consumerMeters = this.meters.get(consumerName);
        return (consumerMeters != null) ? consumerMeters.partitionsWithMeters() : List.of();
    }

}
