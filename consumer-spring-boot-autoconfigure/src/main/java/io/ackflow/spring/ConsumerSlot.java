package io.ackflow.spring;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.jspecify.annotations.Nullable;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineState;
import io.ackflow.consumer.Subscription;

/**
 * One Ackflow consumer: its Kafka client settings, how to build its engine, and the engine of the
 * current run. An engine runs once, so a restart builds a new one from the same builder.
 * <p>
 * Threads: made and filled on the container's thread during refresh, while the registry registers
 * its endpoints; {@link #start} runs on the lifecycle thread; {@link #engine} is read from any
 * thread (volatile).
 */
final class ConsumerSlot {

    private final String name;

    private final AckflowEngine.Builder builder;

    private final Map<String, Object> configs;

    /** Exactly-once: the engine's transactional producer; null at-least-once. */
    private final @Nullable EngineTransactions transactions;

    private final ConsumerDeserializers deserializers;

    private final List<Subscription<?, ?>> subscriptions = new ArrayList<>();

    private volatile @Nullable AckflowEngine engine;

    /** Whether it is a share consumer ({@code ackflow.consumers.<name>.group-type=share}). */
    private final boolean share;

    ConsumerSlot(String name, AckflowEngine.Builder builder, Map<String, Object> configs,
            ConsumerDeserializers deserializers, @Nullable EngineTransactions transactions, boolean share) {
        this.share = share;
        this.name = name;
        this.deserializers = deserializers;
        this.builder = builder;
        this.configs = Map.copyOf(configs);
        this.transactions = transactions;
    }

    /** The Kafka client settings its engines' consumers are made with. */
    Map<String, Object> configs() {
        return this.configs;
    }

    String name() {
        return this.name;
    }

    /** Whether its engines are share consumers. */
    boolean isShare() {
        return this.share;
    }

    /** The consumer group (or share group) its engines join. */
    @Nullable String groupId() {
        return (String) this.configs.get(ConsumerConfig.GROUP_ID_CONFIG);
    }

    /** The deserializers the application configured, shared by its listeners. */
    ConsumerDeserializers deserializers() {
        return this.deserializers;
    }

    @Nullable EngineTransactions transactions() {
        return this.transactions;
    }

    /** Adds a subscription to the engines it builds. Registration only. */
    void add(Subscription<?, ?> subscription) {
        this.builder.subscription(subscription);
        this.subscriptions.add(subscription);
    }

    /** Lets each customizer add to the builder, in order, then builds the first engine. Registration only. */
    void build(List<AckflowEngineCustomizer> customizers) {
        for (AckflowEngineCustomizer customizer : customizers) {
            customizer.customize(this.name, List.copyOf(this.subscriptions), this.builder, this::engine);
        }
        this.engine = this.builder.build();
    }

    /** Starts the current engine, after building a new one if it has run before. Lifecycle thread. */
    void start() {
        AckflowEngine current = this.engine;
        if (current.state() != EngineState.NEW) {
            current = this.builder.build();
            this.engine = current;
        }
        current.start();
    }

    /** The engine of the current run; null only before {@link #build}. */
    @Nullable AckflowEngine engine() {
        return this.engine;
    }

}
