package io.ackflow.spring;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.Seek;
import io.ackflow.consumer.SeekResult;
import io.ackflow.consumer.commit.OffsetMapCodec;
import io.ackflow.consumer.state.EngineSnapshot;
import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Every seek and a commit of some partitions through {@link AckflowOperations}, on a live group
 * against a real broker: which records each listener handles again after a seek back, which it
 * never handles after a seek forward, and which offsets are committed. Each test has a topic of
 * its own; nothing commits but what a test asks for ({@code ackflow.commit-interval=1h}).
 */
@SpringBootTest(classes = AckflowOperationsBrokerIT.Application.class,
        properties = { "spring.kafka.consumer.group-id=operations-it", "spring.kafka.consumer.auto-offset-reset=earliest",
            "ackflow.commit-interval=1h", "ackflow.rebalance-drain-timeout=1s" })
@DirtiesContext
class AckflowOperationsBrokerIT {

    private static final String GROUP = "operations-it";

    private static final List<String> TOPICS = List.of("rewind", "skip", "replay", "held", "some");

    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(2, TOPICS.toArray(String[]::new));

    @DynamicPropertySource
    static void kafka(DynamicPropertyRegistry registry) {
        registry.add("spring.kafka.bootstrap-servers", broker::bootstrapServers);
    }

    @Autowired
    private AckflowOperations operations;

    @Autowired
    private StreamListenerRegistry registry;

    @Autowired
    private Handlers handlers;

    @Autowired
    private ConfigurableApplicationContext context;

    /** The test context, to stop its consumers before the broker stops (which is before the context closes). */
    private static ConfigurableApplicationContext running;

    @BeforeEach
    void awaitAssignment() {
        running = this.context;
        await().atMost(WAIT).until(() -> this.registry.getEngine().snapshot().partitions().size() == 2 * TOPICS.size());
    }

    @AfterEach
    void release() {
        this.handlers.release.countDown();
    }

    @AfterAll
    static void stopConsumers() {
        if (running != null) {
            running.stop();
        }
    }

    @Test
    void aSeekToTheBeginningHandlesEveryRecordOnceMore() throws Exception {
        produce("rewind", 6, (i) -> null);
        awaitHandled("rewind", 6);
        assertThat(commit("rewind")).isEqualTo(Map.of(tp("rewind", 0), 3L, tp("rewind", 1), 3L));

        assertThat(this.operations.seek("rewind", Seek.toBeginning()).get(30, TimeUnit.SECONDS))
            .isEqualTo(Map.of("ackflow", new SeekResult(Map.of(tp("rewind", 0), 0L, tp("rewind", 1), 0L), Map.of())));

        awaitHandled("rewind", 12);
        assertThat(this.handlers.counts("rewind")).isEqualTo(counts("0@0=2", "0@1=2", "0@2=2", "1@0=2", "1@1=2", "1@2=2"));
        assertThat(commit("rewind")).isEqualTo(Map.of(tp("rewind", 0), 3L, tp("rewind", 1), 3L));
        assertThat(committed("rewind")).isEqualTo(Map.of(tp("rewind", 0), 3L, tp("rewind", 1), 3L));
    }

    @Test
    void aSeekToTheEndSkipsTheRecordsWrittenBeforeIt() throws Exception {
        this.operations.pause("skip").get(30, TimeUnit.SECONDS);
        produce("skip", 6, (i) -> null);
        assertThat(this.operations.seek("skip", Seek.toEnd()).get(30, TimeUnit.SECONDS))
            .isEqualTo(Map.of("ackflow", new SeekResult(Map.of(tp("skip", 0), 3L, tp("skip", 1), 3L), Map.of())));
        this.operations.resume("skip").get(30, TimeUnit.SECONDS);
        produce("skip", 4, (i) -> null);

        awaitHandled("skip", 4);
        assertThat(this.handlers.counts("skip")).isEqualTo(counts("0@3=1", "0@4=1", "1@3=1", "1@4=1"));
        assertThat(commit("skip")).isEqualTo(Map.of(tp("skip", 0), 5L, tp("skip", 1), 5L));
        assertThat(committed("skip")).isEqualTo(Map.of(tp("skip", 0), 5L, tp("skip", 1), 5L));
    }

    @Test
    void aSeekToATimestampReadsFromTheFirstRecordAtOrAfterItAndFromTheEndPastTheLast() throws Exception {
        // Offset i of partition 0 is written at t0 + i s, of partition 1 at t0 + 2i s.
        Instant t0 = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        produce("replay", 10, (i) -> t0.plusSeconds((long) (i / 2) * ((i % 2) + 1)).toEpochMilli());
        awaitHandled("replay", 10);

        assertThat(this.operations.seek("replay", Seek.toTimestamp(t0.plusSeconds(3))).get(30, TimeUnit.SECONDS))
            .as("partition 0 from its record at t0 + 3 s, partition 1 from its record at t0 + 4 s")
            .isEqualTo(Map.of("ackflow", new SeekResult(Map.of(tp("replay", 0), 3L, tp("replay", 1), 2L), Map.of())));
        awaitHandled("replay", 15);
        assertThat(this.operations.seek("replay", Seek.toTimestamp(t0.plusSeconds(5))).get(30, TimeUnit.SECONDS))
            .as("partition 0 has no record that recent: its end")
            .isEqualTo(Map.of("ackflow", new SeekResult(Map.of(tp("replay", 0), 5L, tp("replay", 1), 3L), Map.of())));
        awaitHandled("replay", 17);
        produce("replay", 2, (i) -> t0.plusSeconds(10).toEpochMilli());
        awaitHandled("replay", 19);

        assertThat(this.handlers.counts("replay")).isEqualTo(counts("0@0=1", "0@1=1", "0@2=1", "0@3=2", "0@4=2", "0@5=1",
                "1@0=1", "1@1=1", "1@2=2", "1@3=3", "1@4=3", "1@5=1"));
        assertThat(commit("replay")).isEqualTo(Map.of(tp("replay", 0), 6L, tp("replay", 1), 6L));
    }

    @Test
    void aSeekToTheCommittedOffsetHandlesAgainWhatWasNotCommittedButNotWhatItsOffsetMapNames() throws Exception {
        TopicPartition held0 = tp("held", 0);
        produce(held0, 3);
        awaitHandled("held", 3);
        assertThat(commit("held")).isEqualTo(Map.of(held0, 3L));
        produce(held0, 2);
        awaitHandled("held", 5);

        assertThat(this.operations.seek(List.of(held0), Seek.toCommitted()).get(30, TimeUnit.SECONDS))
            .isEqualTo(Map.of("ackflow", new SeekResult(Map.of(held0, 3L), Map.of())));
        awaitHandled("held", 7);
        assertThat(this.handlers.counts("held")).as("3 and 4 were acked after the commit")
            .isEqualTo(counts("0@0=1", "0@1=1", "0@2=1", "0@3=2", "0@4=2"));

        // Offset 5 is held by its first handler call while 6-9 are acked: the commit stops at 5
        // and names 6-9 in its offset map.
        produce(held0, 5);
        awaitHandled("held", 12, 1);
        assertThat(commit("held")).isEqualTo(Map.of(held0, 5L));
        OffsetAndMetadata withMap = broker.offsets().committed(GROUP).get(held0);
        assertThat(OffsetMapCodec.decode(withMap.metadata()).stream().boxed().toList()).containsExactly(1, 2, 3, 4);

        assertThat(this.operations.seek(List.of(held0), Seek.toCommitted()).get(30, TimeUnit.SECONDS))
            .as("after a drain of 1 s that offset 5 outlives")
            .isEqualTo(Map.of("ackflow", new SeekResult(Map.of(held0, 5L), Map.of())));
        awaitHandled("held", 13, 1);
        this.handlers.release.countDown();
        assertThat(commit("held")).isEqualTo(Map.of(held0, 10L));
        assertThat(this.handlers.counts("held")).as("5 again, and none of 6-9").isEqualTo(counts("0@0=1", "0@1=1",
                "0@2=1", "0@3=2", "0@4=2", "0@5=2", "0@6=1", "0@7=1", "0@8=1", "0@9=1"));
        assertThat(committed("held")).isEqualTo(Map.of(held0, 10L));

        assertThatThrownBy(() -> this.operations.seek(List.of(tp("held", 1)), Seek.toCommitted()).get(30, TimeUnit.SECONDS))
            .cause().isInstanceOf(IllegalArgumentException.class)
            .hasMessage("Partitions [held-1] have no committed offset in group 'operations-it', so they cannot be sought"
                    + " to it; seek them to the beginning, the end, a timestamp or an offset instead. Nothing was sought.");
    }

    @Test
    void aCommitOfSomePartitionsCommitsThoseOnlyAndASeekToAnOffsetReadsFromIt() throws Exception {
        produce("some", 8, (i) -> null);
        awaitHandled("some", 8);

        assertThat(this.operations.commitNow(List.of(tp("some", 0))).get(30, TimeUnit.SECONDS))
            .isEqualTo(Map.of(tp("some", 0), new OffsetAndMetadata(4)));
        assertThat(committed("some")).isEqualTo(Map.of(tp("some", 0), 4L));
        assertThat(commit("some")).as("partition 0 did not move since").isEqualTo(Map.of(tp("some", 1), 4L));
        assertThat(committed("some")).isEqualTo(Map.of(tp("some", 0), 4L, tp("some", 1), 4L));

        assertThat(this.operations.seek(List.of(tp("some", 1)), Seek.toOffset(1)).get(30, TimeUnit.SECONDS))
            .isEqualTo(Map.of("ackflow", new SeekResult(Map.of(tp("some", 1), 1L), Map.of())));
        awaitHandled("some", 11);
        assertThat(this.handlers.counts("some")).isEqualTo(counts("0@0=1", "0@1=1", "0@2=1", "0@3=1", "1@0=1", "1@1=2",
                "1@2=2", "1@3=2"));
    }

    /** Writes {@code count} records to the topic, record {@code i} to partition {@code i % 2}, at the timestamp given (null: now). */
    private static void produce(String topic, int count, java.util.function.IntFunction<Long> timestamp) throws Exception {
        broker.produce(count, (i) -> new ProducerRecord<>(topic, i % 2, timestamp.apply(i), "k" + i, "v" + i));
    }

    private static void produce(TopicPartition partition, int count) throws Exception {
        broker.produce(count, (i) -> new ProducerRecord<>(partition.topic(), partition.partition(), "k" + i, "v" + i));
    }

    /** Waits until the topic's listener was called {@code calls} times and every record it was given is acked. */
    private void awaitHandled(String topic, int calls) {
        awaitHandled(topic, calls, 0);
    }

    /**
     * Waits until the topic's listener (whose id is the topic's name) was called {@code calls}
     * times, then for a snapshot taken since in which it holds {@code held} records: the others
     * are acked, so a commit now takes them.
     */
    private void awaitHandled(String topic, int calls, int held) {
        await().atMost(WAIT).until(() -> this.handlers.calls(topic) >= calls);
        assertThat(this.handlers.calls(topic)).isEqualTo(calls);
        Instant from = Instant.now();
        await().atMost(WAIT).until(() -> {
            EngineSnapshot snapshot = this.registry.getEngine().snapshot();
            return snapshot.takenAt().isAfter(from) && snapshot.subscriptions().stream()
                .anyMatch((subscription) -> subscription.id().equals(topic) && subscription.inFlight() == held);
        });
    }

    /** Commits the topic now; the offsets committed, as offsets. */
    private Map<TopicPartition, Long> commit(String topic) throws Exception {
        Map<TopicPartition, Long> offsets = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
        this.operations.commitNow(topic).get(30, TimeUnit.SECONDS)
            .forEach((partition, offset) -> offsets.put(partition, offset.offset()));
        return Map.copyOf(offsets);
    }

    /** The group's committed offsets of the topic, as the broker has them. */
    private static Map<TopicPartition, Long> committed(String topic) throws Exception {
        Map<TopicPartition, Long> offsets = new java.util.HashMap<>(broker.offsets().committedOffsets(GROUP));
        offsets.keySet().removeIf((partition) -> !partition.topic().equals(topic));
        return offsets;
    }

    private static TopicPartition tp(String topic, int partition) {
        return new TopicPartition(topic, partition);
    }

    /** {@code "partition@offset=calls"} entries as a map. */
    private static Map<String, Integer> counts(String... entries) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String entry : entries) {
            String[] parts = entry.split("=");
            counts.put(parts[0], Integer.parseInt(parts[1]));
        }
        return counts;
    }

    /** One listener per topic; each counts its calls by {@code partition@offset}. */
    static class Handlers {

        final CountDownLatch release = new CountDownLatch(1);

        private final AtomicBoolean heldOnce = new AtomicBoolean();

        private final Map<String, Map<String, Integer>> calls = new ConcurrentHashMap<>();

        @StreamListener(id = "rewind", topics = "rewind")
        void rewind(String value, ConsumerRecord<String, String> record) {
            count(record);
        }

        @StreamListener(id = "skip", topics = "skip")
        void skip(String value, ConsumerRecord<String, String> record) {
            count(record);
        }

        @StreamListener(id = "replay", topics = "replay")
        void replay(String value, ConsumerRecord<String, String> record) {
            count(record);
        }

        /** Holds the first call on offset 5 until the test releases it; the others go on meanwhile. */
        @StreamListener(id = "held", topics = "held", ordering = Ordering.UNORDERED)
        void held(String value, ConsumerRecord<String, String> record) throws InterruptedException {
            count(record);
            if (record.offset() == 5 && this.heldOnce.compareAndSet(false, true)) {
                this.release.await();
            }
        }

        @StreamListener(id = "some", topics = "some")
        void some(String value, ConsumerRecord<String, String> record) {
            count(record);
        }

        private void count(ConsumerRecord<String, String> record) {
            this.calls.computeIfAbsent(record.topic(), (topic) -> new ConcurrentHashMap<>())
                .merge(record.partition() + "@" + record.offset(), 1, Integer::sum);
        }

        int calls(String topic) {
            return this.calls.getOrDefault(topic, Map.of()).values().stream().mapToInt(Integer::intValue).sum();
        }

        Map<String, Integer> counts(String topic) {
            return new TreeMap<>(this.calls.getOrDefault(topic, Map.of()));
        }

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Application {

        @Bean
        Handlers handlers() {
            return new Handlers();
        }

    }

}
