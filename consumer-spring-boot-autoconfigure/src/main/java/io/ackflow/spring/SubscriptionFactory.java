package io.ackflow.spring;

import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.apache.kafka.common.serialization.Deserializer;
import org.springframework.kafka.support.converter.MessagingMessageConverter;

import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.RecordHandler;
import io.ackflow.consumer.Subscription;

/**
 * Turns a {@code @StreamListener} endpoint into the engine's {@link Subscription}: its topics, its
 * ordering and concurrency (the endpoint's own, else {@code ackflow.*}), its deserializers (those
 * the application configured for its consumer, else the shared ones of its key and payload
 * types), a handler that calls the method through spring-messaging (inside
 * the engine's open transaction under exactly-once), or for a batch listener (a {@code List}
 * payload) a batch handler with the batching of {@code ackflow.listeners.<id>.batch} and
 * {@code ackflow.batch}, and the error policy of
 * {@code ackflow.listeners.<id>.errors} with its dead-letter publisher.
 * <p>
 * Threads: made with the registry; {@link #subscription} runs on the container's thread during
 * refresh, while the registry registers its endpoints. The handlers it makes are stateless and
 * run on the engine's handler threads.
 */
final class SubscriptionFactory {

    private final AckflowProperties properties;

    private final PayloadDeserializers deserializers;

    private final DeadLetterPublishers deadLetters;

    private final ListenerMethodFactory methodFactory;

    private final MessagingMessageConverter messageConverter = new MessagingMessageConverter();

    /** Wraps each handler in an observation of its calls; null (the default) leaves handlers as they are. */
    private @Nullable ListenerObservations observations;

    SubscriptionFactory(AckflowProperties properties, PayloadDeserializers deserializers, DeadLetterPublishers deadLetters,
            BeanFactory beanFactory) {
        this.properties = properties;
        this.deserializers = deserializers;
        this.deadLetters = deadLetters;
        this.methodFactory = new ListenerMethodFactory(beanFactory);
    }

    /** Observes the handlers of the subscriptions made after it; registration only. */
    void setObservations(@Nullable ListenerObservations observations) {
        this.observations = observations;
    }

    /**
     * The subscription of {@code endpoint} on the consumer {@code slot}: its group (for the dead
     * letters' headers), the deserializers the application configured for it, its transactions
     * under exactly-once, and its Kafka client settings (for the observations).
     */
    Subscription<?, ?> subscription(StreamListenerEndpoint endpoint, ConsumerSlot slot) {
        String groupId = slot.groupId();
        ConsumerDeserializers configured = slot.deserializers();
        EngineTransactions transactions = slot.transactions();
        Ordering ordering = ShareConsumerChecks.ordering(endpoint, slot, this.properties.getOrdering());
        ErrorPolicyMapper.Resolved errors = ErrorPolicyMapper.resolve(this.properties, endpoint.id());
        ShareConsumerChecks.checkRecovery(this.properties, endpoint, slot, errors.recovery());
        int concurrency = (endpoint.concurrency() != StreamListener.DEFAULT_CONCURRENCY) ? endpoint.concurrency()
                : this.properties.getConcurrency();
        Subscription.Builder<Object, Object> builder = castBuilder(Subscription.builder(endpoint.id())
            .topics(endpoint.topics().toArray(String[]::new))
            .ordering(ordering)
            .concurrency(concurrency)
            .keyDeserializer(orByType(configured.key(), endpoint.keyType(), endpoint))
            .valueDeserializer(orByType(configured.value(), endpoint.payloadType(), endpoint)));
        BatchShape batch = endpoint.batchShape();
        if (batch != null) {
            builder.batchHandler(new MethodBatchHandler(this.methodFactory.create(endpoint.bean(), endpoint.method()),
                    batch, this.messageConverter))
                .batching(BatchingMapper.resolve(this.properties, endpoint.id()));
        }
        else {
            MethodRecordHandler handler = new MethodRecordHandler(endpoint.id(),
                    this.methodFactory.create(endpoint.bean(), endpoint.method()), this.messageConverter);
            builder.handler(observed(endpoint.id(), slot.configs(),
                    (transactions != null) ? inTransaction(handler, transactions) : handler));
        }
        return builder
            .errorPolicy(errors.toErrorPolicy(
                    (topic) -> this.deadLetters.publisher(endpoint.id(), topic, groupId, transactions)))
            .build();
    }

    private Deserializer<?> orByType(@Nullable Deserializer<?> configured, java.lang.reflect.Type type,
            StreamListenerEndpoint endpoint) {
        return (configured != null) ? configured : this.deserializers.forType(type, endpoint.describe());
    }

    /** The handler, with the application's KafkaTemplate joining the engine's open transaction while it runs. */
    private static RecordHandler<Object, Object> inTransaction(MethodRecordHandler handler,
            EngineTransactions transactions) {
        return (record) -> transactions.bound(() -> handler.handle(record));
    }

    private RecordHandler<Object, Object> observed(String listenerId, Map<String, Object> consumerConfigs,
            RecordHandler<Object, Object> handler) {
        return (this.observations != null) ? this.observations.observe(listenerId, consumerConfigs, handler) : handler;
    }

    @SuppressWarnings("unchecked")
    private static Subscription.Builder<Object, Object> castBuilder(Subscription.Builder<?, ?> builder) {
        return (Subscription.Builder<Object, Object>) builder;
    }

}
