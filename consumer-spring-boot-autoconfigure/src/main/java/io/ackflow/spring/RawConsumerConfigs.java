package io.ackflow.spring;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;
import org.springframework.core.env.Environment;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;

/**
 * The Kafka client settings of each Ackflow consumer, and the raw consumer made from them. They
 * are the context's {@link ConsumerFactory} settings (Spring Boot's {@code spring.kafka.*}) with
 * the consumer's own group and client id, auto-commit off and no deserializers (the consumer reads
 * raw bytes, which the engine deserializes with {@link #deserializers}, and the engine commits
 * offsets itself), and {@code read_committed} under exactly-once. Refuses
 * auto-commit, a missing group, and, under exactly-once, any other isolation level.
 * <p>
 * Threads: {@link #forConsumer} runs on the container's thread during refresh, while the registry
 * registers its endpoints; {@link #create} on an engine's poll thread, each time it starts.
 * Immutable.
 */
final class RawConsumerConfigs {

    private final ConsumerFactory<?, ?> factory;

    /** For the consumer settings that exactly-once refuses; null outside a Spring environment. */
    private final @Nullable Environment environment;

    RawConsumerConfigs(ConsumerFactory<?, ?> factory, @Nullable Environment environment) {
        this.factory = factory;
        this.environment = environment;
    }

    /**
     * The client settings of the consumer {@code consumerName}.
     * @param groupId the consumer's own group ({@code ackflow.consumers.<name>.group-id}), null or blank when none
     * @throws AckflowConfigurationException when the settings ask for auto-commit, name no group,
     * or read uncommitted records under exactly-once
     */
    Map<String, Object> forConsumer(String consumerName, @Nullable String groupId, boolean exactlyOnce) {
        Map<String, Object> configs = rawConsumerConfigs(groupId, consumerName);
        if (exactlyOnce) {
            readCommitted(configs);
        }
        return configs;
    }

    /**
     * The deserializers the application configured for the consumer made with {@code configs}
     * (the settings {@link #forConsumer} gave): the factory's instances, else the classes of its
     * settings, configured with the consumer's settings.
     */
    ConsumerDeserializers deserializers(Map<String, Object> configs) {
        Map<String, Object> withClasses = new HashMap<>(configs);
        Map<String, Object> original = this.factory.getConfigurationProperties();
        for (String property : List.of(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG)) {
            Object value = original.get(property);
            if (value != null) {
                withClasses.put(property, value);
            }
        }
        return ConsumerDeserializers.of(this.factory, withClasses);
    }

    /** A consumer with the context factory's settings, listeners and post-processors, reading raw bytes. */
    @SuppressWarnings("unchecked")
    Consumer<byte[], byte[]> create(Map<String, Object> configs) {
        DefaultKafkaConsumerFactory<byte[], byte[]> raw = new DefaultKafkaConsumerFactory<>(configs,
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        ConsumerFactory<byte[], byte[]> typed = (ConsumerFactory<byte[], byte[]>) this.factory;
        typed.getListeners().forEach(raw::addListener);
        typed.getPostProcessors().forEach(raw::addPostProcessor);
        return raw.createConsumer();
    }

    /**
     * The factory's client settings with raw deserializers and auto-commit off, and the consumer's
     * own group when it has one; refuses auto-commit and a missing group.
     */
    private Map<String, Object> rawConsumerConfigs(@Nullable String groupId, String consumerName) {
        Map<String, Object> configs = new HashMap<>(this.factory.getConfigurationProperties());
        boolean named = !ListenerPlacement.DEFAULT_CONSUMER.equals(consumerName);
        if (groupId != null && !groupId.isBlank()) {
            configs.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        else if (named && configs.get(ConsumerConfig.GROUP_ID_CONFIG) != null) {
            // A group of its own: in the default consumer's group it would split the partitions of
            // a shared topic with it, and each handler would see only part of the records.
            configs.put(ConsumerConfig.GROUP_ID_CONFIG, configs.get(ConsumerConfig.GROUP_ID_CONFIG) + "-" + consumerName);
        }
        if (named) {
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

}
