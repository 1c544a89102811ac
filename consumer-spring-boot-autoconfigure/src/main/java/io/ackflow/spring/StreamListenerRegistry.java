package io.ackflow.spring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.Environment;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.support.converter.MessagingMessageConverter;
import org.springframework.messaging.handler.annotation.support.DefaultMessageHandlerMethodFactory;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.EngineState;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.RebalanceListener;
import io.ackflow.consumer.Subscription;

/**
 * Holds the {@code @StreamListener} endpoints of the application and the engine that runs them
 * all: one consumer, one group membership, one poll thread. Listeners placed on a named consumer
 * with {@code ackflow.consumers.<name>.listeners} get an engine of their own (optionally in a
 * group of their own). Started and stopped with the application context.
 * <p>
 * Kafka client settings come from the context's {@link ConsumerFactory} (Spring Boot's
 * {@code spring.kafka.*}); the engine reads raw bytes and owns offset commits, so it overrides
 * the deserializers and turns auto-commit off, and refuses to start when auto-commit is asked for.
 * <p>
 * Threads: {@link #register} runs on the container's thread during refresh; {@link #start} and
 * {@link #stop} on the lifecycle processor's thread; the engine has its own.
 */
public class StreamListenerRegistry implements SmartLifecycle {

    private static final Logger logger = LoggerFactory.getLogger(StreamListenerRegistry.class);

    /** Name of the consumer of listeners that {@code ackflow.consumers} does not place elsewhere. */
    public static final String DEFAULT_CONSUMER = ListenerPlacement.DEFAULT_CONSUMER;

    /** Starts after, and stops before, other lifecycle beans, as spring-kafka's containers do. */
    public static final int PHASE = Integer.MAX_VALUE - 100;

    private final AckflowProperties properties;

    private final EngineConfig engineConfig;

    private final @Nullable ConsumerFactory<?, ?> consumerFactory;

    private final PayloadDeserializers deserializers;

    private final List<RebalanceListener> rebalanceListeners;

    private final DeadLetterPublishers deadLetters;

    private final List<AckflowEngineCustomizer> customizers;

    private final DefaultMessageHandlerMethodFactory methodFactory = new DefaultMessageHandlerMethodFactory();

    private final MessagingMessageConverter messageConverter = new MessagingMessageConverter();

    private volatile List<StreamListenerEndpoint> endpoints = List.of();

    /** One per consumer, by consumer name, in registration order. */
    private volatile Map<String, ConsumerSlot> consumers = Map.of();

    private volatile boolean running;

    /** The application's producer settings, for exactly-once; null when there are none. */
    private @Nullable ProducerFactory<?, ?> producerFactory;

    /** For the consumer settings that exactly-once refuses; null outside a Spring environment. */
    private @Nullable Environment environment;

    public StreamListenerRegistry(AckflowProperties properties, @Nullable ConsumerFactory<?, ?> consumerFactory,
            PayloadDeserializers deserializers, List<RebalanceListener> rebalanceListeners, BeanFactory beanFactory) {
        this(properties, consumerFactory, deserializers, rebalanceListeners, new DeadLetterPublishers(null), List.of(),
                beanFactory);
    }

    public StreamListenerRegistry(AckflowProperties properties, @Nullable ConsumerFactory<?, ?> consumerFactory,
            PayloadDeserializers deserializers, List<RebalanceListener> rebalanceListeners,
            DeadLetterPublishers deadLetters, List<AckflowEngineCustomizer> customizers, BeanFactory beanFactory) {
        this.customizers = List.copyOf(customizers);
        this.properties = properties;
        this.engineConfig = EngineConfigMapper.toEngineConfig(properties);
        ErrorPolicyMapper.resolve(properties, null);
        this.deadLetters = deadLetters;
        this.consumerFactory = consumerFactory;
        this.deserializers = deserializers;
        this.rebalanceListeners = List.copyOf(rebalanceListeners);
        this.methodFactory.setBeanFactory(beanFactory);
        this.methodFactory.afterPropertiesSet();
    }

    /** The producer settings an exactly-once engine makes its transactional producer from. */
    public void setProducerFactory(@Nullable ProducerFactory<?, ?> producerFactory) {
        this.producerFactory = producerFactory;
    }

    /** Where the consumer settings are read from, to refuse those that break exactly-once. */
    public void setEnvironment(@Nullable Environment environment) {
        this.environment = environment;
    }

    /**
     * Builds the engines for the endpoints: one for the listeners that {@code ackflow.consumers}
     * does not place, one per configured consumer. Called once, when every singleton exists.
     * @throws AckflowConfigurationException when an endpoint or the Kafka settings cannot run
     */
    public void register(List<StreamListenerEndpoint> endpoints) {
        this.endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            return;
        }
        Map<String, StreamListenerEndpoint> byId = EndpointChecks.byUniqueId(endpoints);
        ConsumerFactory<?, ?> factory = EndpointChecks.requireConsumerFactory(this.consumerFactory);
        EndpointChecks.checkListenerSettings(this.properties, byId.keySet());
        EndpointChecks.checkDeadLettersCanBeSent(this.properties, this.engineConfig, this.deadLetters, endpoints);
        ListenerPlacement placement = ListenerPlacement.of(this.properties, byId.keySet());
        placement.checkGroupsDoNotShareTopics(endpoints, factory);
        Map<String, ConsumerSlot> slots = new LinkedHashMap<>();
        for (StreamListenerEndpoint endpoint : endpoints) {
            String name = placement.consumerOf(endpoint);
            ConsumerSlot slot = slots.get(name);
            if (slot == null) {
                Map<String, Object> configs = rawConsumerConfigs(factory, placement.groupIdOf(name), name);
                EngineTransactions transactions = null;
                if (this.engineConfig.exactlyOnce()) {
                    readCommitted(configs);
                    transactions = EngineTransactions.create(this.producerFactory, name);
                }
                AckflowEngine.Builder builder = AckflowEngine.builder()
                    .name(name)
                    .config(this.engineConfig)
                    .consumerFactory(() -> rawConsumer(factory, configs));
                if (transactions != null) {
                    builder.transactionalProducer(transactions::producer);
                }
                this.rebalanceListeners.forEach(builder::rebalanceListener);
                slot = new ConsumerSlot(builder, configs, transactions);
                slots.put(name, slot);
            }
            Subscription<?, ?> subscription = subscription(endpoint, (String) slot.configs.get(ConsumerConfig.GROUP_ID_CONFIG),
                    slot.transactions);
            slot.builder.subscription(subscription);
            slot.subscriptions.add(subscription);
        }
        slots.forEach((name, slot) -> {
            for (AckflowEngineCustomizer customizer : this.customizers) {
                customizer.customize(name, List.copyOf(slot.subscriptions), slot.builder, () -> slot.engine);
            }
            slot.engine = slot.builder.build();
        });
        this.consumers = slots;
        slots.forEach((name, slot) -> logger.info("Ackflow consumer '{}': {} @StreamListener handler(s): {}", name,
                slot.engine.subscriptions().size(), slot.engine.subscriptions()));
    }

    /** The engine settings mapped from {@code ackflow.*}. */
    public EngineConfig getEngineConfig() {
        return this.engineConfig;
    }

    /** The registered endpoints. */
    public List<StreamListenerEndpoint> getEndpoints() {
        return this.endpoints;
    }

    /**
     * The engine of the default consumer (or, when every listener is placed on a named consumer,
     * of the first one); the latest after a restart; null when there are no listeners.
     */
    public @Nullable AckflowEngine getEngine() {
        Map<String, ConsumerSlot> slots = this.consumers;
        ConsumerSlot slot = slots.getOrDefault(DEFAULT_CONSUMER,
                slots.isEmpty() ? null : slots.values().iterator().next());
        return (slot != null) ? slot.engine : null;
    }

    /** Every engine by consumer name; the latest after a restart. */
    public Map<String, AckflowEngine> getEngines() {
        Map<String, AckflowEngine> engines = new LinkedHashMap<>();
        this.consumers.forEach((name, slot) -> engines.put(name, slot.engine));
        return engines;
    }

    /** The Kafka client settings of a consumer, for tests and diagnostics; null for an unknown name. */
    @Nullable Map<String, Object> consumerConfigs(String name) {
        ConsumerSlot slot = this.consumers.get(name);
        return (slot != null) ? slot.configs : null;
    }

    @Override
    public synchronized void start() {
        if (this.running) {
            return;
        }
        for (ConsumerSlot slot : this.consumers.values()) {
            if (slot.engine.state() != EngineState.NEW) {
                slot.engine = slot.builder.build();
            }
            slot.engine.start();
        }
        this.running = true;
    }

    /** Stops every engine at once (each drains and commits) and returns when all have stopped. */
    @Override
    public synchronized void stop() {
        if (!this.running) {
            return;
        }
        List<Thread> stoppers = new ArrayList<>();
        for (ConsumerSlot slot : this.consumers.values()) {
            AckflowEngine engine = slot.engine;
            Thread stopper = new Thread(() -> {
                try {
                    engine.stop();
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                logger.info("Ackflow consumer '{}' stopped: {}", engine.name(), engine.stats());
            }, "ackflow-stop-" + engine.name());
            stopper.start();
            stoppers.add(stopper);
        }
        for (Thread stopper : stoppers) {
            try {
                stopper.join();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        this.running = false;
    }

    @Override
    public void stop(Runnable callback) {
        if (!this.running) {
            callback.run();
            return;
        }
        Thread stopper = new Thread(() -> {
            try {
                stop();
            }
            finally {
                callback.run();
            }
        }, "ackflow-stop");
        stopper.start();
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    @Override
    public boolean isAutoStartup() {
        return this.properties.isAutoStartup();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /**
     * Exactly-once reads {@code read_committed}: a consumer reading uncommitted records would
     * process the effects of transactions that are later aborted. An explicit
     * {@code read_uncommitted} is refused.
     */
    private void readCommitted(Map<String, Object> configs) {
        if (this.environment != null) {
            for (String property : List.of("spring.kafka.consumer.isolation-level",
                    "spring.kafka.consumer.properties.isolation.level", "spring.kafka.properties.isolation.level")) {
                String value = this.environment.getProperty(property);
                if (value != null && !value.trim().replace('-', '_').equalsIgnoreCase("read_committed")) {
                    throw new AckflowConfigurationException("ackflow.processing-guarantee is EXACTLY_ONCE, but " + property
                            + " is '" + value + "': the consumer would read records of transactions that are aborted"
                            + " later, and handlers would send their effects as if they had happened.",
                            "Remove " + property + " or set it to read_committed (Ackflow reads read_committed under"
                                    + " exactly-once), or set ackflow.processing-guarantee to AT_LEAST_ONCE.");
                }
            }
        }
        configs.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    }

    private Subscription<?, ?> subscription(StreamListenerEndpoint endpoint, @Nullable String groupId,
            @Nullable EngineTransactions transactions) {
        Ordering ordering = (endpoint.ordering() != null) ? endpoint.ordering() : this.properties.getOrdering();
        int concurrency = (endpoint.concurrency() != StreamListener.DEFAULT_CONCURRENCY) ? endpoint.concurrency()
                : this.properties.getConcurrency();
        MethodRecordHandler handler = new MethodRecordHandler(endpoint.id(),
                this.methodFactory.createInvocableHandlerMethod(endpoint.bean(), endpoint.method()), this.messageConverter);
        return Subscription.builder(endpoint.id())
            .topics(endpoint.topics().toArray(String[]::new))
            .ordering(ordering)
            .concurrency(concurrency)
            .keyDeserializer(this.deserializers.forType(endpoint.keyType(), endpoint.describe()))
            .valueDeserializer(this.deserializers.forType(endpoint.payloadType(), endpoint.describe()))
            .handler((transactions != null) ? castHandler(inTransaction(handler, transactions)) : castHandler(handler))
            .errorPolicy(ErrorPolicyMapper.resolve(this.properties, endpoint.id())
                .toErrorPolicy((topic) -> this.deadLetters.publisher(endpoint.id(), topic, groupId, transactions)))
            .build();
    }

    /** One consumer: how to build its engine, and the engine of the current run. */
    private static final class ConsumerSlot {

        final AckflowEngine.Builder builder;

        final Map<String, Object> configs;

        final List<Subscription<?, ?>> subscriptions = new ArrayList<>();

        volatile @Nullable AckflowEngine engine;

        /** Exactly-once: the engine's transactional producer; null at-least-once. */
        final @Nullable EngineTransactions transactions;

        ConsumerSlot(AckflowEngine.Builder builder, Map<String, Object> configs, @Nullable EngineTransactions transactions) {
            this.builder = builder;
            this.configs = Map.copyOf(configs);
            this.transactions = transactions;
        }

    }

    /** The handler, with the application's KafkaTemplate joining the engine's open transaction while it runs. */
    private static io.ackflow.consumer.RecordHandler<Object, Object> inTransaction(MethodRecordHandler handler,
            EngineTransactions transactions) {
        return (record) -> transactions.bound(() -> handler.handle(record));
    }

    @SuppressWarnings("unchecked")
    private static <K, V> io.ackflow.consumer.RecordHandler<K, V> castHandler(
            io.ackflow.consumer.RecordHandler<Object, Object> handler) {
        return (io.ackflow.consumer.RecordHandler<K, V>) (io.ackflow.consumer.RecordHandler<?, ?>) handler;
    }

    /**
     * The factory's client settings with raw deserializers and auto-commit off, and the consumer's
     * own group when it has one; refuses auto-commit and a missing group.
     */
    private static Map<String, Object> rawConsumerConfigs(ConsumerFactory<?, ?> factory, @Nullable String groupId,
            String consumerName) {
        Map<String, Object> configs = new HashMap<>(factory.getConfigurationProperties());
        if (groupId != null && !groupId.isBlank()) {
            configs.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        else if (!DEFAULT_CONSUMER.equals(consumerName) && configs.get(ConsumerConfig.GROUP_ID_CONFIG) != null) {
            // A group of its own: in the default consumer's group it would split the partitions of
            // a shared topic with it, and each handler would see only part of the records.
            configs.put(ConsumerConfig.GROUP_ID_CONFIG, configs.get(ConsumerConfig.GROUP_ID_CONFIG) + "-" + consumerName);
        }
        if (!DEFAULT_CONSUMER.equals(consumerName)) {
            Object clientId = configs.get(ConsumerConfig.CLIENT_ID_CONFIG);
            if (clientId != null) {
                configs.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-" + consumerName);
            }
        }
        Object autoCommit = configs.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);
        // Kafka reads " TRUE " as true too.
        if (autoCommit != null && "true".equalsIgnoreCase(autoCommit.toString().trim())) {
            throw new AckflowConfigurationException("Kafka auto-commit is enabled (enable.auto.commit=true), but Ackflow"
                    + " commits offsets itself: a record is committed only once every handler is done with it, and"
                    + " auto-commit would commit records still in progress (lost if the application stops).",
                    "Remove spring.kafka.consumer.enable-auto-commit, spring.kafka.consumer.properties.enable.auto.commit"
                            + " and spring.kafka.properties.enable.auto.commit (or set them to false), or the"
                            + " enable.auto.commit of your ConsumerFactory bean: Ackflow turns auto-commit off itself.");
        }
        Object group = configs.get(ConsumerConfig.GROUP_ID_CONFIG);
        if (group == null || group.toString().isBlank()) {
            throw new AckflowConfigurationException("No Kafka consumer group is configured for the Ackflow consumer '"
                    + consumerName + "'; Ackflow commits the offsets of @StreamListener handlers for a group.",
                    "Set spring.kafka.consumer.group-id.");
        }
        configs.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        configs.remove(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG);
        configs.remove(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);
        return configs;
    }

    /** A consumer with the context factory's settings, listeners and post-processors, reading raw bytes. */
    @SuppressWarnings("unchecked")
    private static Consumer<byte[], byte[]> rawConsumer(ConsumerFactory<?, ?> factory, Map<String, Object> configs) {
        DefaultKafkaConsumerFactory<byte[], byte[]> raw = new DefaultKafkaConsumerFactory<>(configs,
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        ConsumerFactory<byte[], byte[]> typed = (ConsumerFactory<byte[], byte[]>) factory;
        typed.getListeners().forEach(raw::addListener);
        typed.getPostProcessors().forEach(raw::addPostProcessor);
        return raw.createConsumer();
    }

}
