package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.ackflow.consumer.testing.BrokerOffsets;
import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Several engines in one group while members join and leave, with both rebalance protocols of
 * Kafka 4: classic with the cooperative-sticky assignor, and the consumer protocol (KIP-848).
 * Every record is processed at least once, the last processing of each record keeps key order,
 * and at the end the committed offsets equal the end offsets.
 */
class MultiInstanceRebalanceIT {

    private static final int PARTITIONS = 8;

    private static final int RECORDS = 60_000;

    private static final int KEYS = 1_000;

    // Both topics exist before any producer writes: created later, a topic's first writes can
    // race its leader election.
    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(PARTITIONS, "orders-classic", "orders-consumer");

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = { "classic", "consumer" })
    void membersJoinAndLeaveWithoutLosingRecordsOrKeyOrder(String protocol) throws Exception {
        String topic = "orders-" + protocol;
        String group = "multi-" + protocol;
        produce(topic);

        AtomicLong stamps = new AtomicLong();
        // Per key: (sequence number, stamp at handler start) of every processing.
        Map<String, ConcurrentLinkedQueue<long[]>> processings = new ConcurrentHashMap<>();
        AtomicLong processed = new AtomicLong();
        Map<String, Boolean> seen = new ConcurrentHashMap<>();

        List<AckflowEngine> running = new ArrayList<>();
        List<AckflowEngine> all = new ArrayList<>();
        java.util.function.Supplier<AckflowEngine> newEngine = () -> {
            StringDeserializer strings = new StringDeserializer();
            AckflowEngine engine = AckflowEngine.builder()
                .name(protocol + "-" + all.size())
                .consumerFactory(() -> new KafkaConsumer<>(consumerProperties(group, protocol),
                        new ByteArrayDeserializer(), new ByteArrayDeserializer()))
                .config(EngineConfig.builder().commitInterval(Duration.ofMillis(500))
                    .maxInFlightPerPartition(500).maxInFlight(4000).build())
                .subscription(Subscription.builder("charge").topics(topic).ordering(Ordering.KEY).concurrency(32)
                    .keyDeserializer(strings).valueDeserializer(strings)
                    .handler((record) -> {
                        long stamp = stamps.incrementAndGet();
                        processings.computeIfAbsent(record.key(), (k) -> new ConcurrentLinkedQueue<>())
                            .add(new long[] { Long.parseLong(record.value()), stamp });
                        seen.put(record.partition() + "@" + record.offset(), Boolean.TRUE);
                        processed.incrementAndGet();
                        return CompletableFuture.runAsync(() -> { }, CompletableFuture
                            .delayedExecutor(ThreadLocalRandom.current().nextInt(0, 3), TimeUnit.MILLISECONDS));
                    })
                    .build())
                .build();
            all.add(engine);
            running.add(engine);
            engine.start();
            return engine;
        };

        newEngine.get();
        awaitProcessed(seen, 8_000, running);
        newEngine.get();
        newEngine.get();
        awaitProcessed(seen, 25_000, running);
        AckflowEngine leaving = running.remove(1);
        assertThat(leaving.stop()).isTrue();
        awaitProcessed(seen, 40_000, running);
        newEngine.get();
        awaitProcessed(seen, RECORDS, running);
        // Every record was seen once, but a member that took over a partition (revoked, or lost
        // with its commits deferred by the rebalance) may still be reading it again from the
        // committed offset. The group is done when its commits reach the end offsets; stopping
        // earlier would cut such a replay short and leave an earlier record processed last.
        BrokerOffsets offsets = broker.offsets();
        Map<TopicPartition, Long> end = offsets.end(topic, PARTITIONS);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
            .until(() -> offsets.committedOffsets(group).equals(end));
        for (AckflowEngine engine : running) {
            assertThat(engine.stop()).isTrue();
        }

        assertThat(seen).hasSize(RECORDS);
        List<String> orderViolations = new ArrayList<>();
        processings.forEach((key, events) -> {
            Map<Long, Long> lastStamp = new HashMap<>();
            for (long[] event : events) {
                lastStamp.merge(event[0], event[1], Math::max);
            }
            long previous = -1;
            for (long sequence = 0; sequence < RECORDS / KEYS; sequence++) {
                long stamp = lastStamp.getOrDefault(sequence, -1L);
                if (stamp <= previous) {
                    orderViolations.add(key + " #" + sequence);
                }
                previous = stamp;
            }
        });
        assertThat(orderViolations).isEmpty();
        assertThat(offsets.committedOffsets(group)).isEqualTo(end);
        long duplicates = processed.get() - RECORDS;
        long lateAcks = all.stream().mapToLong((engine) -> engine.stats().lateAcks()).sum();
        System.out.printf("[%s] %d engines, %d records, %d processed more than once, %d late acks, %d handed back%n",
                protocol, all.size(), RECORDS, duplicates, lateAcks,
                all.stream().mapToLong((engine) -> engine.stats().droppedOnRebalance()).sum());
        assertThat(all).allMatch((engine) -> engine.state() == EngineState.STOPPED);
    }

    private static void awaitProcessed(Map<String, Boolean> seen, int count, List<AckflowEngine> running) {
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> seen.size() >= count);
        }
        catch (org.awaitility.core.ConditionTimeoutException ex) {
            // Say where it stopped before failing: each engine's totals and committed offsets.
            System.out.println("processed " + seen.size() + " of " + count);
            for (AckflowEngine engine : running) {
                System.out.println(engine.name() + " " + engine.state() + " " + engine.stats() + " committed "
                        + engine.committedOffsets());
            }
            throw ex;
        }
    }

    private static void produce(String topic) throws Exception {
        broker.produce(RECORDS, (i) -> new ProducerRecord<>(topic, "key-" + (i % KEYS), Integer.toString(i / KEYS)));
    }

    private static Map<String, Object> consumerProperties(String group, String protocol) {
        Map<String, Object> props = broker.consumerProperties(group);
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        if (protocol.equals("classic")) {
            props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        }
        return props;
    }

}
