package io.ackflow.consumer.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

import static org.awaitility.Awaitility.await;

/**
 * End offsets, a group's committed offsets and partition leaders, read with Kafka's {@link Admin},
 * for broker tests: what a test compares the engine's commits with.
 * <p>
 * Any thread may use it: every call opens an {@link Admin} of its own and closes it before it
 * returns, so an awaited condition may call it again and again.
 */
public final class BrokerOffsets {

    private final String bootstrapServers;

    public BrokerOffsets(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    /** The end offset of each of the topic's first {@code partitions} partitions. */
    public Map<TopicPartition, Long> end(String topic, int partitions) throws Exception {
        return end(partitions(topic, partitions), IsolationLevel.READ_UNCOMMITTED);
    }

    /**
     * The end offset of each partition as a reader at {@code isolation} sees it: under
     * {@code READ_COMMITTED}, the last stable offset, short of any open transaction.
     */
    public Map<TopicPartition, Long> end(Collection<TopicPartition> partitions, IsolationLevel isolation)
            throws Exception {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            partitions.forEach((partition) -> request.put(partition, OffsetSpec.latest()));
            return admin.listOffsets(request, new ListOffsetsOptions(isolation)).all().get(30, TimeUnit.SECONDS)
                .entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, (e) -> e.getValue().offset()));
        }
    }

    /** The group's committed offsets, with their metadata. */
    public Map<TopicPartition, OffsetAndMetadata> committed(String group) throws Exception {
        try (Admin admin = admin()) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        }
    }

    /** The group's committed offsets. */
    public Map<TopicPartition, Long> committedOffsets(String group) throws Exception {
        return committed(group).entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, (e) -> e.getValue().offset()));
    }

    /**
     * Waits until every partition of the topics has a leader, and the leader answers for it. A topic
     * created just before can still be electing them, or its leader can still be taking the
     * partition over; batches written then bounce and come back out of sequence.
     */
    public void awaitLeaders(String... topics) {
        try (Admin admin = admin()) {
            // Right after creation the topics can still be unknown to the broker answering.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> {
                    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
                    for (TopicDescription topic : admin.describeTopics(List.of(topics)).allTopicNames()
                        .get(10, TimeUnit.SECONDS).values()) {
                        for (TopicPartitionInfo partition : topic.partitions()) {
                            if (partition.leader() == null || partition.leader().isEmpty()) {
                                return false;
                            }
                            request.put(new TopicPartition(topic.name(), partition.partition()), OffsetSpec.latest());
                        }
                    }
                    // Each partition's leader answers this only once it leads the partition.
                    admin.listOffsets(request).all().get(10, TimeUnit.SECONDS);
                    return true;
                });
        }
    }

    /** Partitions 0 to {@code count - 1} of the topic. */
    public static List<TopicPartition> partitions(String topic, int count) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < count; p++) {
            partitions.add(new TopicPartition(topic, p));
        }
        return partitions;
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrapServers));
    }

}
