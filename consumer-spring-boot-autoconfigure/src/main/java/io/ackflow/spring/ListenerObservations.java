package io.ackflow.spring;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.support.micrometer.KafkaListenerObservation;
import org.springframework.kafka.support.micrometer.KafkaListenerObservation.DefaultKafkaListenerObservationConvention;
import org.springframework.kafka.support.micrometer.KafkaListenerObservationConvention;
import org.springframework.kafka.support.micrometer.KafkaRecordReceiverContext;

import io.ackflow.consumer.RecordHandler;

/**
 * What the observation of a record handled by a {@code @StreamListener} is: spring-kafka's
 * {@link KafkaListenerObservation#LISTENER_OBSERVATION} in the application's registry, with the
 * application's {@link KafkaListenerObservationConvention} (else spring-kafka's default), and a
 * {@link KafkaRecordReceiverContext} that carries the record (whose headers the tracing bridge reads
 * the sender's trace context from), the listener id, the consumer's group and client id (its
 * {@code client.id} setting; none when Kafka generates one) and the cluster id.
 * <p>
 * The cluster id is the {@link KafkaAdmin}'s, as for spring-kafka's containers: the application's
 * admin when it talks to the consumer's bootstrap servers, else an admin of the same settings made
 * for those servers; none without an admin. One {@link ClusterIdLookup} per set of servers.
 * <p>
 * Threads: made with the registry; {@link #observe} runs on the container's thread during
 * refresh, while the registry registers its endpoints. The handlers it returns run on the engine's
 * handler threads and share nothing mutable but their cluster-id lookup.
 */
final class ListenerObservations {

    private final ObservationRegistry registry;

    private final @Nullable KafkaListenerObservationConvention convention;

    private final @Nullable KafkaAdmin kafkaAdmin;

    /** By the consumers' bootstrap servers; registration only. */
    private final Map<List<String>, Supplier<@Nullable String>> clusterIds = new HashMap<>();

    ListenerObservations(ObservationRegistry registry, @Nullable KafkaListenerObservationConvention convention,
            @Nullable KafkaAdmin kafkaAdmin) {
        this.registry = registry;
        this.convention = convention;
        this.kafkaAdmin = kafkaAdmin;
    }

    /**
     * {@code handler}, each of its calls inside an observation of the record.
     * @param listenerId the {@code @StreamListener} id
     * @param consumerConfigs the Kafka client settings of the consumer the listener runs on
     */
    RecordHandler<Object, Object> observe(String listenerId, Map<String, Object> consumerConfigs,
            RecordHandler<Object, Object> handler) {
        String groupId = text(consumerConfigs.get(ConsumerConfig.GROUP_ID_CONFIG));
        String clientId = text(consumerConfigs.get(ConsumerConfig.CLIENT_ID_CONFIG));
        Supplier<@Nullable String> clusterId = clusterId(consumerConfigs.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG));
        return new ObservedHandler(handler, (record) -> KafkaListenerObservation.LISTENER_OBSERVATION.observation(
                this.convention, DefaultKafkaListenerObservationConvention.INSTANCE,
                () -> new KafkaRecordReceiverContext(record, listenerId, clientId, groupId, clusterId), this.registry));
    }

    private Supplier<@Nullable String> clusterId(@Nullable Object bootstrapServers) {
        KafkaAdmin admin = this.kafkaAdmin;
        if (admin == null) {
            return () -> null;
        }
        List<String> servers = servers(bootstrapServers);
        return this.clusterIds.computeIfAbsent(servers, (key) -> new ClusterIdLookup(adminFor(admin, bootstrapServers)));
    }

    /** The application's admin when it reaches the same servers, else one of its settings that does (spring-kafka's rule). */
    private static KafkaAdmin adminFor(KafkaAdmin admin, @Nullable Object bootstrapServers) {
        Object adminServers = admin.getConfigurationProperties().get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG);
        if (bootstrapServers == null || servers(adminServers).equals(servers(bootstrapServers))) {
            return admin;
        }
        Map<String, Object> settings = new HashMap<>(admin.getConfigurationProperties());
        settings.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        KafkaAdmin own = new KafkaAdmin(settings);
        own.setOperationTimeout(admin.getOperationTimeout());
        return own;
    }

    /** Bootstrap servers as Kafka reads them: a comma-separated string or a list. */
    private static List<String> servers(@Nullable Object servers) {
        Collection<?> entries = (servers instanceof Collection<?> collection) ? collection
                : (servers != null) ? Arrays.asList(servers.toString().split(",")) : List.of();
        return entries.stream().map((server) -> server.toString().trim()).filter((server) -> !server.isEmpty()).sorted()
            .toList();
    }

    private static @Nullable String text(@Nullable Object value) {
        return (value != null && !value.toString().isBlank()) ? value.toString() : null;
    }

    /**
     * Whether handlers are observed in {@code registry} at all: not in {@link ObservationRegistry#NOOP}.
     * A registry without handlers yet is used: Boot and applications may add them after it is made,
     * and Micrometer skips the observations of a registry that has none.
     */
    static boolean observes(@Nullable ObservationRegistry registry) {
        return registry != null && registry != ObservationRegistry.NOOP;
    }

    /** The observation of one handler call on a record, not started yet. */
    @FunctionalInterface
    interface RecordObservation {

        Observation of(ConsumerRecord<?, ?> record);

    }

}
