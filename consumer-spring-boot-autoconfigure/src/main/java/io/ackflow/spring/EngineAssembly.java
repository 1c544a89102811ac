package io.ackflow.spring;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.core.ProducerFactory;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.RebalanceListener;

/**
 * Builds the engine of each Ackflow consumer from the placed endpoints: the consumer's raw client
 * settings, its transactions under exactly-once, an engine builder with the application's
 * rebalance listeners and one subscription per endpoint the consumer runs, the customizers'
 * additions, and the engine of the first run.
 * <p>
 * Threads: made and used once, on the container's thread during refresh, while the registry
 * registers its endpoints.
 */
final class EngineAssembly {

    private final EngineConfig engineConfig;

    private final RawConsumerConfigs rawConfigs;

    private final SubscriptionFactory subscriptions;

    /** The application's producer settings, for exactly-once; null when there are none. */
    private final @Nullable ProducerFactory<?, ?> producerFactory;

    private final List<RebalanceListener> rebalanceListeners;

    private final List<AckflowEngineCustomizer> customizers;

    EngineAssembly(EngineConfig engineConfig, RawConsumerConfigs rawConfigs, SubscriptionFactory subscriptions,
            @Nullable ProducerFactory<?, ?> producerFactory, List<RebalanceListener> rebalanceListeners,
            List<AckflowEngineCustomizer> customizers) {
        this.engineConfig = engineConfig;
        this.rawConfigs = rawConfigs;
        this.subscriptions = subscriptions;
        this.producerFactory = producerFactory;
        this.rebalanceListeners = rebalanceListeners;
        this.customizers = customizers;
    }

    /**
     * The consumers that run {@code endpoints}, by name, in the order of their first endpoint,
     * each with its first engine built.
     * @throws AckflowConfigurationException when a consumer's Kafka settings cannot run
     */
    Map<String, ConsumerSlot> assemble(List<StreamListenerEndpoint> endpoints, ListenerPlacement placement) {
        Map<String, ConsumerSlot> slots = new LinkedHashMap<>();
        for (StreamListenerEndpoint endpoint : endpoints) {
            String name = placement.consumerOf(endpoint);
            ConsumerSlot slot = slots.get(name);
            if (slot == null) {
                slot = placement.isShare(name) ? shareSlot(name, placement.groupIdOf(name))
                        : slot(name, placement.groupIdOf(name));
                slots.put(name, slot);
            }
            slot.add(this.subscriptions.subscription(endpoint, slot));
        }
        slots.values().forEach((slot) -> slot.build(this.customizers));
        return slots;
    }

    /**
     * A share consumer: the consumer settings less what a share consumer refuses, in explicit
     * acknowledgement mode; no transactions and no rebalance listeners (it has no partitions).
     */
    private ConsumerSlot shareSlot(String name, @Nullable String groupId) {
        if (this.engineConfig.exactlyOnce()) {
            throw new AckflowConfigurationException("ackflow.consumers." + name + ".group-type is share, but"
                    + " ackflow.processing-guarantee is EXACTLY_ONCE: a share consumer acknowledges records one by one"
                    + " and has no offsets to commit in a transaction.",
                    "Set ackflow.processing-guarantee to AT_LEAST_ONCE, or make '" + name + "' a consumer group.");
        }
        Map<String, Object> configs = ShareConsumerConfigs.forShareConsumer(name,
                this.rawConfigs.forConsumer(name, groupId, false), this.engineConfig.maxInFlight());
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .name(name)
            .config(this.engineConfig)
            .shareConsumer((String) configs.get(ConsumerConfig.GROUP_ID_CONFIG),
                    () -> ShareConsumerConfigs.create(name, configs));
        return new ConsumerSlot(name, builder, configs, this.rawConfigs.deserializers(configs), null, true);
    }

    private ConsumerSlot slot(String name, @Nullable String groupId) {
        Map<String, Object> configs = this.rawConfigs.forConsumer(name, groupId, this.engineConfig.exactlyOnce());
        EngineTransactions transactions = null;
        if (this.engineConfig.exactlyOnce()) {
            transactions = EngineTransactions.create(this.producerFactory, name);
        }
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .name(name)
            .config(this.engineConfig)
            .consumerFactory(() -> this.rawConfigs.create(configs));
        if (transactions != null) {
            builder.transactionalProducer(transactions::producer);
        }
        this.rebalanceListeners.forEach(builder::rebalanceListener);
        return new ConsumerSlot(name, builder, configs, this.rawConfigs.deserializers(configs), transactions, false);
    }

}
