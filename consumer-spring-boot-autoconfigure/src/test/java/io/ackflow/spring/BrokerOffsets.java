package io.ackflow.spring;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import static org.awaitility.Awaitility.await;

/**
 * End offsets, a group's committed offsets and partition leaders, read with Kafka's {@link Admin},
 * for broker tests.
 */
final class BrokerOffsets {

    private final String bootstrapServers;

    BrokerOffsets(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    Map<TopicPartition, Long> end(String topic, int partitions) throws Exception {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                request.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            return admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, (e) -> e.getValue().offset()));
        }
    }

    Map<TopicPartition, OffsetAndMetadata> committed(String group) throws Exception {
        try (Admin admin = admin()) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        }
    }

    Map<TopicPartition, Long> committedOffsets(String group) throws Exception {
        return committed(group).entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, (e) -> e.getValue().offset()));
    }

    /**
     * Waits until every partition of the topics has a leader. A topic created just before can still
     * be electing them; batches written then bounce and come back out of sequence.
     */
    void awaitLeaders(String... topics) {
        try (Admin admin = admin()) {
            // Right after creation the topics can still be unknown to the broker answering.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> admin.describeTopics(List.of(topics)).allTopicNames().get(10, TimeUnit.SECONDS)
                    .values().stream().flatMap((topic) -> topic.partitions().stream())
                    .allMatch((partition) -> partition.leader() != null && !partition.leader().isEmpty()));
        }
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrapServers));
    }

}
