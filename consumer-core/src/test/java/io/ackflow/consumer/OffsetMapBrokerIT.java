package io.ackflow.consumer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.ackflow.consumer.commit.OffsetMapCodec;
import io.ackflow.consumer.testing.BrokerOffsets;
import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * On a real broker: one record held by a slow handler while 5,000 later records of its partition
 * are acked. When the member stops, or when a rebalance moves the partition to another member,
 * the next owner processes the held record again and none of the 5,000.
 */
class OffsetMapBrokerIT {

    private static final int LATER = 5_000;

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(2, "held", "moved");

    private final CountDownLatch release = new CountDownLatch(1);

    private final List<AckflowEngine> engines = new java.util.ArrayList<>();

    @AfterEach
    void stopEngines() throws InterruptedException {
        this.release.countDown();
        for (AckflowEngine engine : this.engines) {
            engine.stop();
        }
    }

    @Test
    void afterAStopTheNextOwnerProcessesOnlyTheHeldRecord() throws Exception {
        produce("held", 0, LATER + 1);
        Map<Integer, Set<Long>> first = new ConcurrentHashMap<>();
        AckflowEngine before = engine("held", "held-group", first, EngineConfig.builder()
            .shutdownTimeout(Duration.ofSeconds(1)), true);
        await().atMost(Duration.ofSeconds(60)).until(() -> count(first) == LATER);
        assertThat(before.stop(Duration.ofSeconds(10))).isTrue();
        BrokerOffsets offsets = broker.offsets();
        OffsetAndMetadata committed = offsets.committed("held-group").get(new TopicPartition("held", 0));
        assertThat(committed.offset()).isZero();
        assertThat(OffsetMapCodec.decode(committed.metadata()).cardinality()).isEqualTo(LATER);
        assertThat(before.stats().failed()).as("a handler interrupted by the stop is not a failure").isZero();
        this.release.countDown();

        Map<Integer, Set<Long>> second = new ConcurrentHashMap<>();
        AckflowEngine after = engine("held", "held-group", second, EngineConfig.builder(), false);
        TopicPartition held = new TopicPartition("held", 0);
        long end = offsets.end("held", 1).get(held);
        await().atMost(Duration.ofSeconds(60))
            .until(() -> offsets.committedOffsets("held-group").getOrDefault(held, -1L) == end);
        assertThat(second).isEqualTo(Map.of(0, Set.of(0L)));
        assertThat(after.stats().alreadyAcked()).isEqualTo(LATER);
        System.out.printf("[stop] processed again: %d of %d records%n", count(second), LATER + 1);
    }

    @Test
    void afterARebalanceTheNewOwnerProcessesOnlyTheHeldRecordOfThePartitionItGot() throws Exception {
        produce("moved", 0, LATER + 1);
        produce("moved", 1, LATER + 1);
        Map<Integer, Set<Long>> first = new ConcurrentHashMap<>();
        AckflowEngine before = engine("moved", "moved-group", first, EngineConfig.builder()
            .rebalanceDrainTimeout(Duration.ofMillis(300)), true);
        await().atMost(Duration.ofSeconds(60)).until(() -> count(first) == 2 * LATER);

        Map<Integer, Set<Long>> second = new ConcurrentHashMap<>();
        AckflowEngine after = engine("moved", "moved-group", second, EngineConfig.builder(), false);
        await().atMost(Duration.ofSeconds(60)).until(() -> !second.isEmpty());
        int moved = second.keySet().iterator().next();
        this.release.countDown();
        BrokerOffsets offsets = broker.offsets();
        Map<TopicPartition, Long> end = offsets.end("moved", 2);
        await().atMost(Duration.ofSeconds(60)).until(() -> offsets.committedOffsets("moved-group").equals(end));
        assertThat(second).isEqualTo(Map.of(moved, Set.of(0L)));
        assertThat(after.stats().alreadyAcked()).isEqualTo(LATER);
        assertThat(first.get(1 - moved)).hasSize(LATER + 1);
        System.out.printf("[rebalance] partition %d moved; processed again: %d of %d records%n", moved, count(second),
                LATER + 1);
        assertThat(before.state()).isEqualTo(EngineState.RUNNING);
    }

    /**
     * An engine that records what it handles, by partition; with {@code holds}, its handler holds
     * offset 0 of each partition until the test releases it.
     */
    private AckflowEngine engine(String topic, String group, Map<Integer, Set<Long>> handled, EngineConfig.Builder config,
            boolean holds) {
        AckflowEngine engine = AckflowEngine.builder()
            .name(group + "-" + this.engines.size())
            .consumerFactory(() -> new KafkaConsumer<>(consumerProperties(group), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer()))
            .config(config.commitInterval(Duration.ofMillis(200)).build())
            .subscription(Subscription.builder("slow").topics(topic).ordering(Ordering.UNORDERED).concurrency(32)
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> {
                    if (holds && record.offset() == 0) {
                        this.release.await();
                    }
                    handled.computeIfAbsent(record.partition(), (p) -> ConcurrentHashMap.newKeySet()).add(record.offset());
                }))
                .build())
            .build();
        this.engines.add(engine);
        engine.start();
        return engine;
    }

    private static int count(Map<Integer, Set<Long>> handled) {
        return handled.values().stream().mapToInt(Set::size).sum();
    }

    private static void produce(String topic, int partition, int count) throws Exception {
        broker.produce(count, (i) -> new ProducerRecord<>(topic, partition, "k" + i, "v" + i));
    }

    private static Map<String, Object> consumerProperties(String group) {
        Map<String, Object> props = broker.consumerProperties(group);
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        return props;
    }

}
