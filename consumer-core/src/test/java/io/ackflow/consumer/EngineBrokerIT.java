package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.ackflow.consumer.commit.CommitObserver;
import io.ackflow.consumer.testing.EmbeddedBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The engine against a real KRaft broker: two subscriptions on one topic, every record seen
 * exactly once by each, per-key order under KEY ordering, nothing committed before both
 * released it, and everything committed after a clean stop.
 */
class EngineBrokerIT {

    private static final String TOPIC = "orders";

    private static final int PARTITIONS = 4;

    private static final int RECORDS = 20_000;

    private static final int KEYS = 500;

    private static final String BLOCKED_TOPIC = "blocked";

    private static final String QUEUED_TOPIC = "queued";

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(PARTITIONS, TOPIC, BLOCKED_TOPIC, QUEUED_TOPIC);

    @Test
    void twoSubscriptionsSeeEveryRecordOnceKeepKeyOrderAndCommitOnlyReleasedRecords() throws Exception {
        produce();

        // Per subscription, per partition: how often each offset was handled, and the handled set.
        Handled byPartition = new Handled();
        Handled byKey = new Handled();
        Map<String, List<Integer>> keySequence = new ConcurrentHashMap<>();
        Set<String> keysRunning = ConcurrentHashMap.newKeySet();
        List<String> violations = Collections.synchronizedList(new ArrayList<>());

        Subscription<String, String> partitionOrdered = Subscription.builder("ledger").topics(TOPIC)
            .keyDeserializer(new StringDeserializer())
            .valueDeserializer(new StringDeserializer())
            .handler(RecordHandler.<String, String>blocking(byPartition::handled))
            .build();
        Subscription<String, String> keyOrdered = Subscription.builder("charge").topics(TOPIC)
            .ordering(Ordering.KEY)
            .concurrency(32)
            .keyDeserializer(new StringDeserializer())
            .valueDeserializer(new StringDeserializer())
            .handler((record) -> {
                if (!keysRunning.add(record.key())) {
                    violations.add("key " + record.key() + " ran twice at once at " + record.offset());
                }
                keySequence.computeIfAbsent(record.key(), (k) -> Collections.synchronizedList(new ArrayList<>()))
                    .add(Integer.parseInt(record.value()));
                long delay = ThreadLocalRandom.current().nextLong(0, 4);
                return CompletableFuture.runAsync(() -> {
                    byKey.handled(record);
                    keysRunning.remove(record.key());
                }, CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS));
            })
            .build();

        CommitObserver releasedBeforeCommit = new CommitObserver() {
            @Override
            public void beforeCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
                offsets.forEach((partition, offset) -> {
                    for (Handled handled : List.of(byPartition, byKey)) {
                        int firstMissing = handled.firstMissing(partition.partition());
                        if (firstMissing < offset.offset()) {
                            violations.add("commit of " + partition + " at " + offset.offset() + " before offset "
                                    + firstMissing + " was released");
                        }
                    }
                });
            }
        };

        AckflowEngine engine = AckflowEngine.builder()
            .name("it")
            .consumerFactory(() -> new KafkaConsumer<>(broker.consumerProperties("engine-it"),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer()))
            .config(EngineConfig.builder().commitInterval(Duration.ofMillis(200)).commitEvery(2000).build())
            .subscription(partitionOrdered)
            .subscription(keyOrdered)
            .commitObserver(releasedBeforeCommit)
            .build();
        engine.start();
        await().atMost(Duration.ofSeconds(90))
            .until(() -> byPartition.total() == RECORDS && byKey.total() == RECORDS);
        assertThat(engine.stop()).isTrue();
        assertThat(engine.state()).isEqualTo(EngineState.STOPPED);

        assertThat(byPartition.duplicates()).as("ledger saw each record once").isEmpty();
        assertThat(byKey.duplicates()).as("charge saw each record once").isEmpty();
        assertThat(violations).isEmpty();
        assertThat(keySequence).hasSize(KEYS);
        keySequence.forEach((key, sequence) -> assertThat(sequence).as("order of key " + key)
            .isEqualTo(java.util.stream.IntStream.range(0, RECORDS / KEYS).boxed().toList()));

        Map<TopicPartition, Long> endOffsets = broker.offsets().end(TOPIC, PARTITIONS);
        assertThat(endOffsets.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(RECORDS);
        assertThat(broker.offsets().committedOffsets("engine-it")).isEqualTo(endOffsets);
        assertThat(engine.stats().received()).isEqualTo(RECORDS);
        assertThat(engine.stats().acked()).isEqualTo(RECORDS);
        assertThat(engine.stats().failed()).isZero();
    }

    @Test
    void inFlightRecordsStayWithinTheBoundsWhileHandlersBlockAndAllCompleteAfter() throws Exception {
        int records = 5_000;
        int perPartition = 150;
        int maxPollRecords = 50;
        broker.produce(records, (i) -> new ProducerRecord<>(BLOCKED_TOPIC, "k" + i, "v" + i));
        java.util.concurrent.CountDownLatch unblock = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger handled = new java.util.concurrent.atomic.AtomicInteger();
        Map<String, Object> props = broker.consumerProperties("blocked-it");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        AckflowEngine engine = AckflowEngine.builder()
            .name("blocked")
            .consumerFactory(() -> new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer()))
            .config(EngineConfig.builder().commitInterval(Duration.ofMillis(200)).maxInFlight(10_000)
                .maxInFlightPerPartition(perPartition).lowMark(0.5).build())
            .subscription(Subscription.builder("blocking").topics(BLOCKED_TOPIC).ordering(Ordering.UNORDERED)
                .concurrency(8)
                .handler(RecordHandler.blocking((record) -> {
                    unblock.await();
                    handled.incrementAndGet();
                }))
                .build())
            .build();
        // Observes fetched-but-unacked records from a second thread for the whole run.
        java.util.concurrent.atomic.AtomicLong maxInFlight = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean sampling = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                maxInFlight.accumulateAndGet(engine.stats().received() - engine.stats().acked(), Math::max);
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
        });
        sampler.start();
        engine.start();
        // Blocked handlers: fetching stops at the bound and stays stopped.
        await().atMost(Duration.ofSeconds(30)).until(() -> engine.stats().received() >= perPartition * PARTITIONS);
        long plateau = engine.stats().received();
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(10))
            .until(() -> engine.stats().received() == plateau);
        assertThat(plateau).isLessThanOrEqualTo((long) perPartition * PARTITIONS + maxPollRecords);

        unblock.countDown();
        await().atMost(Duration.ofSeconds(60)).until(() -> handled.get() == records);
        assertThat(engine.stop()).isTrue();
        sampling.set(false);
        sampler.join();
        assertThat(maxInFlight.get()).as("fetched but unacked, at any moment")
            .isLessThanOrEqualTo((long) perPartition * PARTITIONS + maxPollRecords);
        assertThat(engine.stats().acked()).isEqualTo(records);
        assertThat(broker.offsets().committedOffsets("blocked-it"))
            .isEqualTo(broker.offsets().end(BLOCKED_TOPIC, PARTITIONS));
    }

    @Test
    void aStopLeavesTheQueuedRecordsForTheNextStartCommitsTheHandledPrefixAndLosesNothing() throws Exception {
        broker.produce(RECORDS, (i) -> new ProducerRecord<>(QUEUED_TOPIC, "k" + i, "v" + i));
        Handled handled = new Handled();
        AckflowEngine first = queuedEngine(handled);
        first.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> handled.total() >= 200);
        assertThat(first.stop()).isTrue();
        int afterStop = handled.total();

        // 20,000 records at 5 ms each, one partition's at a time: waiting for the queue (within the
        // 5 minute shutdown timeout) would handle them all; the stop handles only what runs.
        assertThat(afterStop).as("thousands were queued behind a 5 ms handler").isLessThan(RECORDS / 2);
        Map<TopicPartition, Long> committed = broker.offsets().committedOffsets("queued-it");
        for (int p = 0; p < PARTITIONS; p++) {
            assertThat(committed.getOrDefault(new TopicPartition(QUEUED_TOPIC, p), 0L))
                .as("partition " + p + ": the handled prefix, no less and no more").isEqualTo(handled.firstMissing(p));
        }

        AckflowEngine second = queuedEngine(handled);
        second.start();
        Map<TopicPartition, Long> end = broker.offsets().end(QUEUED_TOPIC, PARTITIONS);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
            .until(() -> broker.offsets().committedOffsets("queued-it").equals(end));
        assertThat(second.stop()).isTrue();
        assertThat(handled.total()).as("every record once over both runs").isEqualTo(RECORDS);
        assertThat(handled.duplicates()).isEmpty();
    }

    /** One PARTITION listener taking 5 ms a record, on group {@code queued-it}. */
    private static AckflowEngine queuedEngine(Handled handled) {
        Map<String, Object> props = broker.consumerProperties("queued-it");
        return AckflowEngine.builder()
            .name("queued")
            .consumerFactory(() -> new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer()))
            .config(EngineConfig.builder().commitInterval(Duration.ofMillis(200)).shutdownTimeout(Duration.ofMinutes(5))
                .build())
            .subscription(Subscription.builder("slow").topics(QUEUED_TOPIC)
                .keyDeserializer(new StringDeserializer())
                .valueDeserializer(new StringDeserializer())
                .handler(RecordHandler.<String, String>blocking((record) -> {
                    Thread.sleep(5);
                    handled.handled(record);
                }))
                .build())
            .build();
    }

    private static void produce() throws Exception {
        // value: the record's sequence number within its key
        broker.produce(RECORDS, (i) -> new ProducerRecord<>(TOPIC, "key-" + (i % KEYS), Integer.toString(i / KEYS)));
    }

    /** How often one subscription handled each offset of each partition; thread-safe. */
    private static final class Handled {

        private final AtomicIntegerArray[] counts = new AtomicIntegerArray[PARTITIONS];

        private final BitSet[] done = new BitSet[PARTITIONS];

        private final java.util.concurrent.atomic.AtomicInteger total = new java.util.concurrent.atomic.AtomicInteger();

        Handled() {
            for (int p = 0; p < PARTITIONS; p++) {
                this.counts[p] = new AtomicIntegerArray(RECORDS);
                this.done[p] = new BitSet();
            }
        }

        void handled(ConsumerRecord<String, String> record) {
            this.counts[record.partition()].incrementAndGet((int) record.offset());
            synchronized (this.done[record.partition()]) {
                this.done[record.partition()].set((int) record.offset());
            }
            this.total.incrementAndGet();
        }

        int firstMissing(int partition) {
            synchronized (this.done[partition]) {
                return this.done[partition].nextClearBit(0);
            }
        }

        int total() {
            return this.total.get();
        }

        List<String> duplicates() {
            List<String> duplicates = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                for (int o = 0; o < RECORDS; o++) {
                    if (this.counts[p].get(o) > 1) {
                        duplicates.add(p + "@" + o + " x" + this.counts[p].get(o));
                    }
                }
            }
            return duplicates;
        }

    }

}
