package io.ackflow.spring;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaResourceHolder;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.core.ProducerPostProcessor;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Exactly-once for one engine: its transactional producer, made from the application's
 * {@link ProducerFactory} ({@code spring.kafka.producer.*}), and the binding that lets the
 * application's {@code KafkaTemplate} join the engine's open transaction inside a handler.
 * <p>
 * The producer's {@code transactional.id} is the factory's prefix
 * ({@code spring.kafka.producer.transaction-id-prefix}) followed by {@code ackflow-<consumer>}:
 * stable for the instance, so a producer that replaces a closed one fences it on the broker.
 * Its serializers are the factory's, except that {@code byte[]} keys and values are written as
 * they are ({@link TransactionalSerializers}), so the dead-letter publisher can send a failed
 * record's original bytes in the same transaction. The factory's producer post-processors are
 * applied, and its listeners told of each producer (so Spring Boot's Micrometer producer metrics
 * cover the engine's producers too).
 * <p>
 * Threads: the engine's poll thread creates producers through {@link #producer()} (only while no
 * handler runs, so a handler always sees the producer of its transaction); handler threads call
 * {@link #bound} and the dead-letter publisher, which read {@link #current}.
 */
final class EngineTransactions {

    private static final Logger logger = LoggerFactory.getLogger(EngineTransactions.class);

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final ProducerFactory<Object, Object> factory;

    private final String transactionalId;

    /** Producers created so far: numbers each one for the factory's listeners. */
    private final AtomicInteger created = new AtomicInteger();

    /** The producer of the open transaction, the last one created. */
    private volatile @Nullable Producer<Object, Object> current;

    @SuppressWarnings("unchecked")
    private EngineTransactions(ProducerFactory<?, ?> factory, String transactionalId) {
        this.factory = (ProducerFactory<Object, Object>) factory;
        this.transactionalId = transactionalId;
    }

    /**
     * @throws AckflowConfigurationException when the application has no transactional producer settings
     */
    static EngineTransactions create(@Nullable ProducerFactory<?, ?> factory, String consumerName) {
        if (factory == null) {
            throw new AckflowConfigurationException("ackflow.processing-guarantee is EXACTLY_ONCE, but there is no Kafka"
                    + " ProducerFactory to commit the offsets in a transaction with.",
                    "Add spring-boot-kafka (through io.ackflow:consumer-spring-boot-starter) or define a ProducerFactory"
                            + " bean, and set spring.kafka.producer.transaction-id-prefix.");
        }
        if (!factory.transactionCapable() || factory.getTransactionIdPrefix() == null) {
            throw new AckflowConfigurationException("ackflow.processing-guarantee is EXACTLY_ONCE, but the Kafka producer"
                    + " is not transactional: handlers' sends and the consumed offsets can only be committed together"
                    + " in a Kafka transaction.",
                    "Set spring.kafka.producer.transaction-id-prefix to a prefix unique to each instance of the"
                            + " application (for example ${spring.application.name}-${HOSTNAME}-), or set"
                            + " ackflow.processing-guarantee to AT_LEAST_ONCE.");
        }
        return new EngineTransactions(factory, factory.getTransactionIdPrefix() + "ackflow-" + consumerName);
    }

    String transactionalId() {
        return this.transactionalId;
    }

    /** The application's factory, under which the open transaction's producer is bound for its template. */
    ProducerFactory<?, ?> factory() {
        return this.factory;
    }

    /** The producer of the open transaction, or null before the first one. */
    @Nullable Producer<Object, Object> current() {
        return this.current;
    }

    /**
     * A new producer with its transactions initialized (which fences a previous producer of this
     * transactional id); it becomes {@link #current}. Poll thread.
     */
    Producer<Object, Object> producer() {
        Map<String, Object> configs = new HashMap<>(this.factory.getConfigurationProperties());
        configs.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, this.transactionalId);
        Serializer<Object> keys = TransactionalSerializers.rawBytesFirst(this.factory.getKeySerializerSupplier(), configs,
                true);
        Serializer<Object> values = TransactionalSerializers.rawBytesFirst(this.factory.getValueSerializerSupplier(),
                configs, false);
        KafkaProducer<Object, Object> producer = new KafkaProducer<>(configs, keys, values);
        try {
            producer.initTransactions();
        }
        catch (RuntimeException ex) {
            producer.close(CLOSE_TIMEOUT);
            throw ex;
        }
        Producer<Object, Object> result = producer;
        for (ProducerPostProcessor<Object, Object> postProcessor : this.factory.getPostProcessors()) {
            result = postProcessor.apply(result);
        }
        result = announced(result);
        this.current = result;
        return result;
    }

    /**
     * {@code producer}, told to the factory's listeners (Spring Boot's Micrometer producer
     * metrics among them) as the factory's own producers are: added now, removed once closed.
     * A listener that throws is logged and does not keep the engine from its producer.
     */
    private Producer<Object, Object> announced(Producer<Object, Object> producer) {
        List<ProducerFactory.Listener<Object, Object>> listeners = List.copyOf(this.factory.getListeners());
        if (listeners.isEmpty()) {
            return producer;
        }
        String id = this.transactionalId + "." + this.created.incrementAndGet();
        tell(listeners, id, (listener) -> listener.producerAdded(id, producer));
        AtomicBoolean removed = new AtomicBoolean();
        return ProducerCloseProxy.withClose(producer, (realClose) -> {
            try {
                realClose.run();
            }
            finally {
                if (removed.compareAndSet(false, true)) {
                    tell(listeners, id, (listener) -> listener.producerRemoved(id, producer));
                }
            }
        });
    }

    private static void tell(List<ProducerFactory.Listener<Object, Object>> listeners, String id,
            Consumer<ProducerFactory.Listener<Object, Object>> call) {
        for (ProducerFactory.Listener<Object, Object> listener : listeners) {
            try {
                call.accept(listener);
            }
            catch (RuntimeException ex) {
                logger.warn("Producer factory listener {} failed on producer '{}': {}", listener, id, ex.toString());
            }
        }
    }

    /**
     * Runs {@code call} with the open transaction's producer bound to the application's
     * {@link ProducerFactory} on this thread, as a transaction-synchronized resource: the
     * application's {@code KafkaTemplate} then sends through it, inside the transaction, as it
     * does inside a transaction that a spring-kafka container started. Handler threads.
     */
    <T> T bound(Callable<T> call) throws Exception {
        Producer<Object, Object> producer = this.current;
        if (producer == null || TransactionSynchronizationManager.hasResource(this.factory)) {
            return call.call();
        }
        TransactionSynchronizationManager.bindResource(this.factory, new KafkaResourceHolder<>(producer, CLOSE_TIMEOUT));
        try {
            return call.call();
        }
        finally {
            TransactionSynchronizationManager.unbindResource(this.factory);
        }
    }

    /** The producer factory a dead-letter template sends with under exactly-once: the open transaction's producer, never closed by it. */
    ProducerFactory<byte[], byte[]> deadLetterFactory() {
        return () -> {
            Producer<Object, Object> producer = this.current;
            if (producer == null) {
                throw new IllegalStateException("No transaction is open to publish the dead letter in");
            }
            @SuppressWarnings("unchecked")
            Producer<byte[], byte[]> raw = (Producer<byte[], byte[]>) (Producer<?, ?>) producer;
            return ProducerCloseProxy.unclosed(raw);
        };
    }

}
