package io.ackflow.spring;

import java.util.HashMap;
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
import org.springframework.kafka.core.ConsumerFactory;
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
 * Holds the {@code @StreamListener} endpoints of the application and the one engine that runs
 * them all: one consumer, one group membership, one poll thread. Started and stopped with the
 * application context.
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

    /** Starts after, and stops before, other lifecycle beans, as spring-kafka's containers do. */
    public static final int PHASE = Integer.MAX_VALUE - 100;

    private final AckflowProperties properties;

    private final EngineConfig engineConfig;

    private final @Nullable ConsumerFactory<?, ?> consumerFactory;

    private final PayloadDeserializers deserializers;

    private final List<RebalanceListener> rebalanceListeners;

    private final DefaultMessageHandlerMethodFactory methodFactory = new DefaultMessageHandlerMethodFactory();

    private final MessagingMessageConverter messageConverter = new MessagingMessageConverter();

    private volatile List<StreamListenerEndpoint> endpoints = List.of();

    /** Builds a fresh engine for each start: an engine runs once, a lifecycle bean may be restarted. */
    private volatile AckflowEngine.@Nullable Builder engineBuilder;

    private volatile @Nullable AckflowEngine engine;

    private volatile boolean running;

    public StreamListenerRegistry(AckflowProperties properties, @Nullable ConsumerFactory<?, ?> consumerFactory,
            PayloadDeserializers deserializers, List<RebalanceListener> rebalanceListeners, BeanFactory beanFactory) {
        this.properties = properties;
        this.engineConfig = EngineConfigMapper.toEngineConfig(properties);
        this.consumerFactory = consumerFactory;
        this.deserializers = deserializers;
        this.rebalanceListeners = List.copyOf(rebalanceListeners);
        this.methodFactory.setBeanFactory(beanFactory);
        this.methodFactory.afterPropertiesSet();
    }

    /**
     * Builds the engine for the endpoints. Called once, when every singleton exists.
     * @throws AckflowConfigurationException when an endpoint or the Kafka settings cannot run
     */
    public void register(List<StreamListenerEndpoint> endpoints) {
        this.endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            return;
        }
        Map<String, StreamListenerEndpoint> byId = new HashMap<>();
        for (StreamListenerEndpoint endpoint : endpoints) {
            StreamListenerEndpoint other = byId.putIfAbsent(endpoint.id(), endpoint);
            if (other != null) {
                throw new AckflowConfigurationException("Two @StreamListener methods have the id '" + endpoint.id()
                        + "': " + other.describe() + " and " + endpoint.describe() + ".",
                        "Give each of them a unique id with @StreamListener(id = \"...\").");
            }
        }
        ConsumerFactory<?, ?> factory = this.consumerFactory;
        if (factory == null) {
            throw new AckflowConfigurationException("@StreamListener methods need a Kafka ConsumerFactory and there is none.",
                    "Add spring-boot-kafka (through io.ackflow:consumer-spring-boot-starter) or define a ConsumerFactory bean.");
        }
        Map<String, Object> configs = rawConsumerConfigs(factory);
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .name("ackflow")
            .config(this.engineConfig)
            .consumerFactory(() -> rawConsumer(factory, configs));
        for (StreamListenerEndpoint endpoint : endpoints) {
            builder.subscription(subscription(endpoint));
        }
        this.rebalanceListeners.forEach(builder::rebalanceListener);
        this.engine = builder.build();
        this.engineBuilder = builder;
        logger.info("Ackflow: {} @StreamListener handler(s) on one consumer: {}", endpoints.size(),
                this.engine.subscriptions());
    }

    /** The engine settings mapped from {@code ackflow.*}. */
    public EngineConfig getEngineConfig() {
        return this.engineConfig;
    }

    /** The registered endpoints. */
    public List<StreamListenerEndpoint> getEndpoints() {
        return this.endpoints;
    }

    /** The engine running the endpoints (the latest, after a restart), or null when there are none. */
    public @Nullable AckflowEngine getEngine() {
        return this.engine;
    }

    @Override
    public synchronized void start() {
        AckflowEngine current = this.engine;
        if (current != null && !this.running) {
            if (current.state() != EngineState.NEW) {
                current = this.engineBuilder.build();
                this.engine = current;
            }
            current.start();
        }
        this.running = true;
    }

    @Override
    public synchronized void stop() {
        AckflowEngine current = this.engine;
        if (current != null && this.running) {
            try {
                current.stop();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            logger.info("Ackflow stopped: {}", current.stats());
        }
        this.running = false;
    }

    @Override
    public void stop(Runnable callback) {
        if (this.engine == null || !this.running) {
            this.running = false;
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

    private Subscription<?, ?> subscription(StreamListenerEndpoint endpoint) {
        Ordering ordering = (endpoint.ordering() != null) ? endpoint.ordering() : this.properties.getOrdering();
        int concurrency = (endpoint.concurrency() != StreamListener.DEFAULT_CONCURRENCY) ? endpoint.concurrency()
                : this.properties.getConcurrency();
        MethodRecordHandler handler = new MethodRecordHandler(
                this.methodFactory.createInvocableHandlerMethod(endpoint.bean(), endpoint.method()), this.messageConverter);
        return Subscription.builder(endpoint.id())
            .topics(endpoint.topics().toArray(String[]::new))
            .ordering(ordering)
            .concurrency(concurrency)
            .keyDeserializer(this.deserializers.forType(endpoint.keyType(), endpoint.describe()))
            .valueDeserializer(this.deserializers.forType(endpoint.payloadType(), endpoint.describe()))
            .handler(castHandler(handler))
            .build();
    }

    @SuppressWarnings("unchecked")
    private static <K, V> io.ackflow.consumer.RecordHandler<K, V> castHandler(MethodRecordHandler handler) {
        return (io.ackflow.consumer.RecordHandler<K, V>) (io.ackflow.consumer.RecordHandler<?, ?>) handler;
    }

    /** The factory's client settings with raw deserializers and auto-commit off; refuses auto-commit and a missing group. */
    private static Map<String, Object> rawConsumerConfigs(ConsumerFactory<?, ?> factory) {
        Map<String, Object> configs = new HashMap<>(factory.getConfigurationProperties());
        Object autoCommit = configs.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);
        if (autoCommit != null && Boolean.parseBoolean(autoCommit.toString())) {
            throw new AckflowConfigurationException("Kafka auto-commit is enabled (enable.auto.commit=true), but Ackflow"
                    + " commits offsets itself: a record is committed only once every handler is done with it, and"
                    + " auto-commit would commit records still in progress.",
                    "Remove spring.kafka.consumer.enable-auto-commit (or set it to false).");
        }
        Object group = configs.get(ConsumerConfig.GROUP_ID_CONFIG);
        if (group == null || group.toString().isBlank()) {
            throw new AckflowConfigurationException("No Kafka consumer group is configured; Ackflow commits the offsets"
                    + " of @StreamListener handlers for a group.", "Set spring.kafka.consumer.group-id.");
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
