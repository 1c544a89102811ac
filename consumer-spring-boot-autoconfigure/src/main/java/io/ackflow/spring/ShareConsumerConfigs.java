package io.ackflow.spring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.DefaultShareConsumerFactory;

/**
 * The Kafka client settings of an Ackflow share consumer ({@code ackflow.consumers.<name>.group-type=share}),
 * and the share consumer made from them through spring-kafka's {@link DefaultShareConsumerFactory}.
 * They are the consumer settings the other consumers get ({@link RawConsumerConfigs}: Spring Boot's
 * {@code spring.kafka.*} client, security and group settings, the consumer's own group and client
 * id, no deserializers), with explicit acknowledgement mode
 * ({@code share.acknowledgement.mode=explicit}) and without the settings a share consumer refuses
 * because a share group has no say in them per member ({@code auto.offset.reset},
 * {@code isolation.level}, {@code enable.auto.commit}, session and heartbeat settings, assignors,
 * {@code group.protocol}, {@code group.instance.id}, {@code interceptor.classes}): the group's
 * own configuration ({@code share.auto.offset.reset}, {@code share.isolation.level}) decides those.
 * {@code max.poll.records} (500 unless set) is held at or below {@code ackflow.max-in-flight.total}.
 * The settings left out are logged once at INFO.
 * <p>
 * Threads: {@link #forShareConsumer} on the container's thread during refresh; {@link #create} on
 * the engine's poll thread, each time it starts. Stateless.
 */
final class ShareConsumerConfigs {

    private static final Logger logger = LoggerFactory.getLogger(ShareConsumerConfigs.class);

    /** What kafka-clients' share consumer refuses: consumer-group settings with no meaning for a share group member. */
    static final List<String> REFUSED = List.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, ConsumerConfig.GROUP_INSTANCE_ID_CONFIG,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
            ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
            ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, ConsumerConfig.GROUP_PROTOCOL_CONFIG,
            ConsumerConfig.GROUP_REMOTE_ASSIGNOR_CONFIG);

    private ShareConsumerConfigs() {
    }

    /**
     * The share consumer settings of {@code consumerName} from its consumer settings.
     * @param consumerConfigs what {@link RawConsumerConfigs#forConsumer} gave the consumer
     */
    static Map<String, Object> forShareConsumer(String consumerName, Map<String, Object> consumerConfigs,
            int maxInFlight) {
        Map<String, Object> configs = new HashMap<>(consumerConfigs);
        List<String> dropped = new ArrayList<>();
        for (String refused : REFUSED) {
            Object value = configs.remove(refused);
            // Ackflow itself turns auto-commit off for the other consumers; that one is not the application's.
            if (value != null && !refused.equals(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG)) {
                dropped.add(refused + "=" + value);
            }
        }
        configs.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        // Explicit mode polls again only when the last poll's records are all acknowledged: they are
        // the records in flight, bounded by ackflow.max-in-flight.total.
        Object set = configs.get(ConsumerConfig.MAX_POLL_RECORDS_CONFIG);
        int records;
        try {
            records = (set != null) ? Integer.parseInt(set.toString().trim()) : ConsumerConfig.DEFAULT_MAX_POLL_RECORDS;
        }
        catch (NumberFormatException ex) {
            throw new AckflowConfigurationException("The Kafka setting max.poll.records is '" + set + "', not a number.",
                    "Set spring.kafka.consumer.max-poll-records (or max.poll.records) to a positive number.");
        }
        configs.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.min(records, maxInFlight));
        if (!dropped.isEmpty()) {
            logger.info("Ackflow share consumer '{}' leaves out {}: a share consumer refuses them; set the share"
                    + " group's own share.auto.offset.reset and share.isolation.level instead", consumerName, dropped);
        }
        return Map.copyOf(configs);
    }

    /** A share consumer with those settings, reading raw bytes, made by spring-kafka's factory. */
    static ShareConsumer<byte[], byte[]> create(String consumerName, Map<String, Object> configs) {
        DefaultShareConsumerFactory<byte[], byte[]> factory = new DefaultShareConsumerFactory<>(configs,
                new ByteArrayDeserializer(), new ByteArrayDeserializer(), false);
        Object clientId = configs.get(ConsumerConfig.CLIENT_ID_CONFIG);
        return factory.createShareConsumer((String) configs.get(ConsumerConfig.GROUP_ID_CONFIG),
                (clientId != null) ? clientId.toString() : "ackflow-" + consumerName);
    }

}
