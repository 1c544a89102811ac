package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.ackflow.consumer.testing.BrokerOffsets;
import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * On a real broker, a {@code read_committed} group that has handled everything commits the end
 * offsets, also where a log ends in offsets such a consumer reads but never receives: the marker
 * of the last transaction, an aborted transaction's records and its marker, records compacted
 * away. Each committed record is handled exactly once, and no aborted or compacted one.
 * <p>
 * The compacted tail: compaction never cleans the active segment, which holds the log's last
 * batch, so a tail is removed only once a later append rolled the segment, and a tombstone only
 * by a cleaning after the one that first saw it. An append a consumer receives would be the new
 * tail; the appends it never receives are transaction markers and aborted records. So the topic
 * (segments rolled after 1 ms, each batch lingering 5 ms; tombstones kept 0 ms; the cleaner
 * looking for work every 100 ms) gets a transaction of 5 kept and 5 replaced values, then one of
 * tombstones for the replaced ones, whose marker rolls the segment: the first cleaning removes
 * the replaced values. Once it has, an aborted transaction of one record, whose marker rolls the
 * segment again: the next cleaning removes the tombstones. The log ends at offset 19, the last
 * record a consumer receives is at 4. Each cleaning (about a second) is awaited by reading the
 * partition, before the engine starts.
 */
class TailCommitBrokerIT {

    private static final int PARTITIONS = 2;

    /** Records each transaction writes to each partition. */
    private static final int PER_TRANSACTION = 5;

    private static final String COMPACTED = "compacted";

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker
        .withTopics(PARTITIONS, "committed-at-least-once", "committed-exactly-once", "aborted-at-least-once",
                "aborted-exactly-once")
        .transactional()
        .brokerProperties(Map.of("log.cleaner.backoff.ms", "100"));

    @ParameterizedTest
    @EnumSource(ProcessingGuarantee.class)
    void behindACommittedTransactionTheCommitsReachTheEndOffsets(ProcessingGuarantee guarantee) throws Exception {
        String topic = "committed-" + tag(guarantee);
        List<String> committed = writeTransactions(topic, true, true, true);
        // Three transactions of 5 records and a marker each.
        Map<TopicPartition, Long> end = awaitEnd(topic, PARTITIONS, 3 * (PER_TRANSACTION + 1));

        Map<String, Integer> handled = consumeUntilCommitted(guarantee, topic, end);
        assertThat(handled).isEqualTo(once(committed));
    }

    @ParameterizedTest
    @EnumSource(ProcessingGuarantee.class)
    void behindAnAbortedTransactionTheCommitsReachTheEndOffsetsAndNoAbortedRecordIsHandled(
            ProcessingGuarantee guarantee) throws Exception {
        String topic = "aborted-" + tag(guarantee);
        List<String> committed = writeTransactions(topic, true, true, false);
        // Two committed transactions, then an aborted one, each of 5 records and a marker.
        Map<TopicPartition, Long> end = awaitEnd(topic, PARTITIONS, 3 * (PER_TRANSACTION + 1));

        Map<String, Integer> handled = consumeUntilCommitted(guarantee, topic, end);
        assertThat(handled).as("the committed records once each, no aborted one").isEqualTo(once(committed));
    }

    @Test
    void behindACompactedTailTheCommitsReachTheEndOffset() throws Exception {
        createCompactedTopic();
        TopicPartition partition = new TopicPartition(COMPACTED, 0);
        List<String> kept = writeCompactedTail(partition);
        // 10 records, a marker, 5 tombstones, a marker, an aborted record, a marker.
        Map<TopicPartition, Long> end = awaitEnd(COMPACTED, 1, 19);
        awaitReadable(partition, 19, List.of(0L, 1L, 2L, 3L, 4L));

        Map<String, Integer> handled = consumeUntilCommitted(ProcessingGuarantee.AT_LEAST_ONCE, COMPACTED, end);
        assertThat(handled).as("the kept records once each").isEqualTo(once(kept));
    }

    /**
     * Writes the compacted tail of the class comment to {@code partition} and waits for both
     * cleanings.
     * @return the values of the records kept
     */
    private static List<String> writeCompactedTail(TopicPartition partition) throws Exception {
        List<String> kept = new ArrayList<>();
        try (KafkaProducer<String, String> writer = transactionalProducer("writer-" + COMPACTED)) {
            writer.beginTransaction();
            for (int i = 0; i < PER_TRANSACTION; i++) {
                kept.add("kept-" + i);
                writer.send(new ProducerRecord<>(COMPACTED, 0, "keep-" + i, "kept-" + i));
            }
            for (int i = 0; i < PER_TRANSACTION; i++) {
                writer.send(new ProducerRecord<>(COMPACTED, 0, "gone-" + i, "replaced-" + i));
            }
            writer.commitTransaction();
            writer.beginTransaction();
            for (int i = 0; i < PER_TRANSACTION; i++) {
                writer.send(new ProducerRecord<>(COMPACTED, 0, "gone-" + i, null)).get(30, TimeUnit.SECONDS);
            }
            writer.commitTransaction();
            awaitEnd(COMPACTED, 1, 17);
            awaitReadable(partition, 17, List.of(0L, 1L, 2L, 3L, 4L, 11L, 12L, 13L, 14L, 15L));
            writer.beginTransaction();
            writer.send(new ProducerRecord<>(COMPACTED, 0, "gone-0", "aborted")).get(30, TimeUnit.SECONDS);
            writer.abortTransaction();
        }
        return kept;
    }

    /**
     * Waits until each of the topic's first {@code partitions} partitions ends at {@code offset}:
     * a transaction's markers reach the partitions after its commit or abort has returned.
     * @return the end offsets
     */
    private static Map<TopicPartition, Long> awaitEnd(String topic, int partitions, long offset) {
        Map<TopicPartition, Long> expected = new HashMap<>();
        BrokerOffsets.partitions(topic, partitions).forEach((partition) -> expected.put(partition, offset));
        BrokerOffsets offsets = broker.offsets();
        await().atMost(Duration.ofSeconds(30)).until(() -> offsets.end(topic, partitions), expected::equals);
        return expected;
    }

    /** Waits until a {@code read_committed} reader of {@code partition} up to {@code end} receives the records at {@code offsets} only. */
    private static void awaitReadable(TopicPartition partition, long end, List<Long> offsets) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
            .until(() -> readableOffsets(partition, end), offsets::equals);
    }

    /**
     * Runs an engine on {@code topic} until its group has committed {@code end}, then stops it.
     * @return how often each record value was handled
     */
    private static Map<String, Integer> consumeUntilCommitted(ProcessingGuarantee guarantee, String topic,
            Map<TopicPartition, Long> end) throws Exception {
        String group = "group-" + topic;
        Map<String, Integer> handled = new ConcurrentHashMap<>();
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .name(group)
            .consumerFactory(() -> new KafkaConsumer<>(consumerProperties(group), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer()))
            .config(EngineConfig.builder().processingGuarantee(guarantee).commitInterval(Duration.ofMillis(100)).build())
            .subscription(Subscription.builder("tail").topics(topic)
                .keyDeserializer(new StringDeserializer())
                .valueDeserializer(new StringDeserializer())
                .handler(RecordHandler.<String, String>blocking(
                        (record) -> handled.merge(String.valueOf(record.value()), 1, Integer::sum)))
                .build());
        if (guarantee == ProcessingGuarantee.EXACTLY_ONCE) {
            builder.transactionalProducer(() -> transactionalProducer(group + "-engine"));
        }
        AckflowEngine engine = builder.build();
        engine.start();
        BrokerOffsets offsets = broker.offsets();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> offsets.committedOffsets(group), end::equals);
        }
        finally {
            engine.stop(Duration.ofSeconds(10));
        }
        assertThat(engine.state()).isEqualTo(EngineState.STOPPED);
        return handled;
    }

    /**
     * Writes one transaction per element of {@code commits} to every partition of {@code topic},
     * {@link #PER_TRANSACTION} records each, committed or aborted as it says.
     * @return the values of the records of the committed transactions
     */
    private static List<String> writeTransactions(String topic, boolean... commits) {
        List<String> committed = new ArrayList<>();
        try (KafkaProducer<String, String> writer = transactionalProducer("writer-" + topic)) {
            for (int t = 0; t < commits.length; t++) {
                writer.beginTransaction();
                List<String> values = new ArrayList<>();
                for (int p = 0; p < PARTITIONS; p++) {
                    for (int i = 0; i < PER_TRANSACTION; i++) {
                        String value = "t" + t + "-p" + p + "-" + i;
                        values.add(value);
                        writer.send(new ProducerRecord<>(topic, p, "k" + i, value));
                    }
                }
                if (commits[t]) {
                    writer.commitTransaction();
                    committed.addAll(values);
                }
                else {
                    // Its records reach the log first, so the abort leaves them there behind a marker.
                    writer.flush();
                    writer.abortTransaction();
                }
            }
        }
        return committed;
    }

    /** A producer with transactions initialized. */
    private static KafkaProducer<String, String> transactionalProducer(String transactionalId) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
        producer.initTransactions();
        return producer;
    }

    /** One partition that compacts at once: segments roll after 1 ms, tombstones go in the next cleaning. */
    private static void createCompactedTopic() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(COMPACTED, 1, (short) 1).configs(Map.of("cleanup.policy", "compact",
                    "segment.ms", "1", "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", "0",
                    "min.compaction.lag.ms", "0"))))
                .all()
                .get(30, TimeUnit.SECONDS);
        }
        broker.offsets().awaitLeaders(COMPACTED);
    }

    /** The offsets of the records a {@code read_committed} reader receives from the partition, up to {@code end}. */
    private static List<Long> readableOffsets(TopicPartition partition, long end) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<Long> offsets = new ArrayList<>();
        try (KafkaConsumer<String, String> reader = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            reader.assign(List.of(partition));
            reader.seekToBeginning(List.of(partition));
            for (int polls = 0; reader.position(partition) < end; polls++) {
                if (polls == 100) {
                    throw new AssertionError("Reading " + partition + " stopped at " + reader.position(partition));
                }
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(100))) {
                    offsets.add(record.offset());
                }
            }
        }
        return offsets;
    }

    private static Map<String, Object> consumerProperties(String group) {
        Map<String, Object> props = broker.consumerProperties(group);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }

    private static Map<String, Integer> once(List<String> values) {
        Map<String, Integer> once = new HashMap<>();
        values.forEach((value) -> once.put(value, 1));
        return once;
    }

    private static String tag(ProcessingGuarantee guarantee) {
        return guarantee.name().toLowerCase().replace('_', '-');
    }

}
