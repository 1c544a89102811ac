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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import io.ackflow.consumer.testing.BrokerOffsets;

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

    private static EmbeddedKafkaKraftBroker broker;

    @BeforeAll
    static void startBroker() {
        // Both topics exist before any producer writes: created later, a topic's first writes can
        // race its leader election.
        broker = new EmbeddedKafkaKraftBroker(1, PARTITIONS, "orders-classic", "orders-consumer");
        broker.afterPropertiesSet();
        new BrokerOffsets(broker.getBrokersAsString()).awaitLeaders("orders-classic", "orders-consumer");
    }

    @AfterAll
    static void stopBroker() {
        broker.destroy();
    }

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
        Map<TopicPartition, Long> end = endOffsets(topic);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
            .until(() -> committedOffsets(group).equals(end));
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
        assertThat(committedOffsets(group)).isEqualTo(end);
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
        // A send fails by itself (naming its cause) well before the wait for it gives up.
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString(),
                ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 45_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
            for (int i = 0; i < RECORDS; i++) {
                sends.add(producer.send(new ProducerRecord<>(topic, "key-" + (i % KEYS), Integer.toString(i / KEYS))));
            }
            for (int i = 0; i < sends.size(); i++) {
                try {
                    sends.get(i).get(60, TimeUnit.SECONDS);
                }
                catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex) {
                    long pending = sends.stream().filter((send) -> !send.isDone()).count();
                    throw new AssertionError("Writing the input to " + topic + " failed at record " + i + " of "
                            + RECORDS + " (" + pending + " sends not done)", ex);
                }
            }
        }
    }

    private static Map<String, Object> consumerProperties(String group, String protocol) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        if (protocol.equals("classic")) {
            props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        }
        return props;
    }

    private static Map<TopicPartition, Long> endOffsets(String topic) throws Exception {
        return new BrokerOffsets(broker.getBrokersAsString()).end(topic, PARTITIONS);
    }

    private static Map<TopicPartition, Long> committedOffsets(String group) throws Exception {
        return new BrokerOffsets(broker.getBrokersAsString()).committedOffsets(group);
    }

}
