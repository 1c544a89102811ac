package io.ackflow.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.Environment;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.support.micrometer.KafkaListenerObservationConvention;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.RebalanceListener;

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
public class StreamListenerRegistry implements SmartLifecycle, DisposableBean {

    private static final Logger logger = LoggerFactory.getLogger(StreamListenerRegistry.class);

    /** Name of the consumer of listeners that {@code ackflow.consumers} does not place elsewhere. */
    public static final String DEFAULT_CONSUMER = ListenerPlacement.DEFAULT_CONSUMER;

    /** Starts after, and stops before, other lifecycle beans, as spring-kafka's containers do. */
    public static final int PHASE = Integer.MAX_VALUE - 100;

    private final AckflowProperties properties;

    /** Remapped once by {@link #setEnvironment}, for the shutdown phase it sets. */
    private EngineConfig engineConfig;

    private final @Nullable ConsumerFactory<?, ?> consumerFactory;

    private final List<RebalanceListener> rebalanceListeners;

    private final DeadLetterPublishers deadLetters;

    private final List<AckflowEngineCustomizer> customizers;

    private final SubscriptionFactory subscriptions;

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
        this.rebalanceListeners = List.copyOf(rebalanceListeners);
        this.subscriptions = new SubscriptionFactory(properties, deserializers, deadLetters, beanFactory);
    }

    /** The producer settings an exactly-once engine makes its transactional producer from. */
    public void setProducerFactory(@Nullable ProducerFactory<?, ?> producerFactory) {
        this.producerFactory = producerFactory;
    }

    /**
     * Runs each call of each listener's handler inside a receiver observation of {@code registry}
     * that follows spring-kafka's {@code KafkaListenerObservation}; without a registry (the
     * default), or with {@link ObservationRegistry#NOOP}, handlers are not wrapped at all. Before
     * {@link #register}.
     * @param convention the name and tags of the observations; null for spring-kafka's default
     * @param kafkaAdmin where the observations' cluster id comes from; null for none
     */
    public void setObservationRegistry(@Nullable ObservationRegistry registry,
            @Nullable KafkaListenerObservationConvention convention, @Nullable KafkaAdmin kafkaAdmin) {
        this.subscriptions.setObservations(ListenerObservations.observes(registry)
                ? new ListenerObservations(registry, convention, kafkaAdmin) : null);
    }

    /**
     * Where the consumer settings are read from, to refuse those that break exactly-once, and
     * Spring Boot's shutdown phase, which the default {@code ackflow.shutdown-timeout} fits in.
     */
    public void setEnvironment(@Nullable Environment environment) {
        this.environment = environment;
        Duration shutdownPhase = ShutdownTimeouts.phase(environment);
        this.engineConfig = EngineConfigMapper.toEngineConfig(this.properties, shutdownPhase);
        ShutdownTimeouts.warnIfPastThePhase(this.properties.getShutdownTimeout(), shutdownPhase);
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
        EndpointChecks.checkBatchListeners(this.properties, this.engineConfig, endpoints);
        EndpointChecks.checkDeadLettersCanBeSent(this.properties, this.engineConfig, this.deadLetters, endpoints);
        ListenerPlacement placement = ListenerPlacement.of(this.properties, byId.keySet());
        placement.checkGroupsDoNotShareTopics(endpoints, factory);
        EngineAssembly assembly = new EngineAssembly(this.engineConfig, new RawConsumerConfigs(factory, this.environment),
                this.subscriptions, this.producerFactory, this.rebalanceListeners, this.customizers);
        Map<String, ConsumerSlot> slots = assembly.assemble(endpoints, placement);
        this.consumers = slots;
        slots.forEach((name, slot) -> logger.info("Ackflow consumer '{}': {} @StreamListener handler(s): {}", name,
                slot.engine().subscriptions().size(), slot.engine().subscriptions()));
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
        return (slot != null) ? slot.engine() : null;
    }

    /** Every engine by consumer name; the latest after a restart. */
    public Map<String, AckflowEngine> getEngines() {
        Map<String, AckflowEngine> engines = new LinkedHashMap<>();
        this.consumers.forEach((name, slot) -> engines.put(name, slot.engine()));
        return engines;
    }

    /** The Kafka client settings of a consumer, for tests and diagnostics; null for an unknown name. */
    @Nullable Map<String, Object> consumerConfigs(String name) {
        ConsumerSlot slot = this.consumers.get(name);
        return (slot != null) ? slot.configs() : null;
    }

    @Override
    public synchronized void start() {
        if (this.running) {
            return;
        }
        for (ConsumerSlot slot : this.consumers.values()) {
            slot.start();
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
            AckflowEngine engine = slot.engine();
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

    /** Closes the deserializers the consumers were given, once the engines have stopped. */
    @Override
    public void destroy() {
        this.consumers.values().forEach((slot) -> slot.deserializers().close());
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

}
