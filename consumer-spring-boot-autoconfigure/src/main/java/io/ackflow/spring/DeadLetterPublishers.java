package io.ackflow.spring;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.kafka.support.serializer.DeserializationException;

import io.ackflow.consumer.failure.DeadLetterPublisher;

/**
 * Dead-letter publishing for {@code @StreamListener} methods, with spring-kafka's
 * {@link DeadLetterPublishingRecoverer}: the record's original key and value bytes and headers,
 * plus spring-kafka's standard exception and original-coordinate headers ({@code kafka_dlt-*}:
 * the exception is a {@link ListenerExecutionFailedException} as in spring-kafka's containers,
 * with the handler's exception as its cause, and the consumer group is included) and
 * {@link #SUBSCRIPTION_HEADER}. Sends go through a
 * {@link KafkaTemplate} over the application's producer settings ({@code spring.kafka.producer.*},
 * the context's {@link ProducerFactory}) with byte-array serializers, so the bytes are sent as they
 * were read. The send is awaited: a record is released only once the broker acknowledged it.
 * <p>
 * Threads: publishers are made during start-up and called from handler threads; the template is
 * created once, on first use, and is thread-safe. Its producer is closed with the context.
 */
public class DeadLetterPublishers implements DisposableBean {

    /** Header that names the subscription ({@code @StreamListener} id) that failed on the record. */
    public static final String SUBSCRIPTION_HEADER = "ackflow_dlt-subscription";

    private final @Nullable ProducerFactory<?, ?> producerFactory;

    private @Nullable DefaultKafkaProducerFactory<byte[], byte[]> rawFactory;

    private @Nullable KafkaTemplate<byte[], byte[]> template;

    public DeadLetterPublishers(@Nullable ProducerFactory<?, ?> producerFactory) {
        this.producerFactory = producerFactory;
    }

    /**
     * A publisher for one subscription.
     * @param topicTemplate the dead-letter topic, {@code {topic}} standing for the record's topic
     * @param groupId the consumer group, written to the {@code kafka_dlt-original-consumer-group} header
     * @throws AckflowConfigurationException when the context has no producer settings to publish with
     */
    public DeadLetterPublisher publisher(String subscriptionId, String topicTemplate, @Nullable String groupId) {
        return publisher(subscriptionId, topicTemplate, groupId, null);
    }

    /**
     * A publisher for one subscription of an exactly-once engine when {@code transactions} is set:
     * the dead letter is sent with the engine's producer, in the transaction that commits the
     * record's offset, so it is published exactly once too.
     */
    DeadLetterPublisher publisher(String subscriptionId, String topicTemplate, @Nullable String groupId,
            @Nullable EngineTransactions transactions) {
        KafkaTemplate<byte[], byte[]> template = (transactions != null)
                ? new KafkaTemplate<>(transactions.deadLetterFactory()) : template(subscriptionId);
        DeadLetterPublishingRecoverer recoverer = new DeadLetterPublishingRecoverer(template,
                (record, exception) -> new TopicPartition(topicTemplate.replace("{topic}", record.topic()), -1));
        byte[] id = subscriptionId.getBytes(StandardCharsets.UTF_8);
        recoverer.addHeadersFunction((record, exception) -> new RecordHeaders().add(SUBSCRIPTION_HEADER, id));
        // As spring-kafka's containers do: the failure wrapped in a ListenerExecutionFailedException
        // that carries the group, so the headers are the ones spring-kafka users know.
        return (failed) -> recoverer.accept(failed.raw(), null, new ListenerExecutionFailedException(
                "Subscription '" + subscriptionId + "' failed on " + failed.coordinates(), groupId,
                causeAsSpringKafkaGivesIt(failed.cause())));
    }

    /**
     * The failure as the dead letter names it: for a record an {@code ErrorHandlingDeserializer}'s
     * delegate refused, spring-kafka's {@link DeserializationException} itself, as its containers
     * give it (so {@code kafka_dlt-exception-cause-fqcn} is the same); anything else as it is.
     */
    private static Throwable causeAsSpringKafkaGivesIt(Throwable cause) {
        if (cause instanceof RecordDeserializationException poisonPill
                && poisonPill.getCause() instanceof DeserializationException deserialization) {
            return deserialization;
        }
        return cause;
    }

    /**
     * Checks, before any publisher is made, that the listeners that recover with a dead letter can
     * send one.
     * @param subscriptionIds the ids of those listeners
     * @throws AckflowConfigurationException naming every one of them, in order of id, when there
     * is no producer to send with
     */
    public void checkCanPublishFor(Collection<String> subscriptionIds) {
        if (this.producerFactory == null && !subscriptionIds.isEmpty()) {
            throw noProducerFor(subscriptionIds);
        }
    }

    private static AckflowConfigurationException noProducerFor(Collection<String> subscriptionIds) {
        List<String> ids = subscriptionIds.stream().sorted().distinct().toList();
        String named = ids.stream().map((id) -> "'" + id + "'").collect(Collectors.joining(", "));
        String properties = ids.stream().map((id) -> "ackflow.listeners." + id + ".errors.recovery")
            .collect(Collectors.joining(", "));
        boolean one = ids.size() == 1;
        return new AckflowConfigurationException((one ? "The @StreamListener " + named + " sends"
                : "The @StreamListener methods " + named + " send")
                + " failed records to a dead-letter topic, but there is no Kafka ProducerFactory to send with.",
                "Add spring-boot-kafka (through io.ackflow:consumer-spring-boot-starter) or define a ProducerFactory"
                        + " bean, or choose another recovery for " + (one ? "it" : "them")
                        + " (ackflow.errors.recovery, or " + properties + ").");
    }

    private synchronized KafkaTemplate<byte[], byte[]> template(String subscriptionId) {
        if (this.template == null) {
            if (this.producerFactory == null) {
                throw noProducerFor(List.of(subscriptionId));
            }
            Map<String, Object> configs = new HashMap<>(this.producerFactory.getConfigurationProperties());
            configs.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
            configs.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
            configs.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
            DefaultKafkaProducerFactory<byte[], byte[]> raw = new DefaultKafkaProducerFactory<>(configs,
                    new ByteArraySerializer(), new ByteArraySerializer());
            @SuppressWarnings("unchecked")
            ProducerFactory<byte[], byte[]> typed = (ProducerFactory<byte[], byte[]>) this.producerFactory;
            typed.getListeners().forEach(raw::addListener);
            typed.getPostProcessors().forEach(raw::addPostProcessor);
            this.rawFactory = raw;
            this.template = new KafkaTemplate<>(raw);
        }
        return this.template;
    }

    @Override
    public synchronized void destroy() {
        if (this.rawFactory != null) {
            this.rawFactory.destroy();
        }
    }

}
