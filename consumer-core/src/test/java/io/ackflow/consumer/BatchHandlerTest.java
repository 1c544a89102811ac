package io.ackflow.consumer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.failure.BatchFailedException;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.FailedRecord;
import io.ackflow.consumer.failure.Recovery;
import io.ackflow.consumer.failure.RetryBackOff;
import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.state.PartitionSnapshot;
import io.ackflow.consumer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Batch subscriptions seen from what their handler gets and from the commits, on MockConsumer with
 * a clock the test moves, handlers run on the test thread and retries waiting until the test runs them.
 */
class BatchHandlerTest {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private static final Duration COMMIT_INTERVAL = Duration.ofSeconds(5);

    private final MutableClock clock = new MutableClock();

    private final RecordingConsumer consumer = new RecordingConsumer();

    /** Each call of the batch handler: the records it got, as partition@offset. */
    private final List<List<String>> batches = Collections.synchronizedList(new ArrayList<>());

    private final List<FailedRecord> deadLetters = Collections.synchronizedList(new ArrayList<>());

    private final List<Runnable> timers = new ArrayList<>();

    private AckflowEngine engine;

    private PollLoop loop;

    @Test
    void aFullBatchIsHandedOverAtOnceAndAPartialOneWhenItsFirstRecordHasWaitedMaxWait() {
        start(Batching.of(3, Duration.ofMillis(100)), Ordering.PARTITION, ErrorPolicy.DEFAULT, blocking(null));
        addRecords(P0, 0, 7);
        this.loop.runOnce();
        assertThat(this.batches).containsExactly(List.of("0@0", "0@1", "0@2"), List.of("0@3", "0@4", "0@5"));
        tick(Duration.ofMillis(99));
        assertThat(this.batches).as("0@6 waits for more until 100 ms after it was polled").hasSize(2);
        tick(Duration.ofMillis(1));
        assertThat(this.batches).hasSize(3).last().isEqualTo(List.of("0@6"));
        tick(COMMIT_INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 7L));
        assertThat(this.engine.stats().subscription("bulk").handled()).isEqualTo(7);
    }

    @Test
    void thePollWaitsNoLongerThanTheNextBatchDeadline() {
        start(Batching.of(10, Duration.ofMillis(40)), Ordering.PARTITION, ErrorPolicy.DEFAULT, blocking(null));
        addRecords(P0, 0, 1);
        this.loop.runOnce();
        this.clock.advance(Duration.ofMillis(15));
        this.loop.runOnce();
        assertThat(this.consumer.lastPollTimeout()).isEqualTo(Duration.ofMillis(25));
        assertThat(this.batches).isEmpty();
        tick(Duration.ofMillis(25));
        assertThat(this.batches).containsExactly(List.of("0@0"));
    }

    @Test
    void aFailureNamingARecordReleasesTheOnesBeforeRetriesAndDeadLettersItAloneThenHandsTheRestOverAgain() {
        ErrorPolicy policy = ErrorPolicy.builder().backOff(RetryBackOff.fixed(Duration.ofSeconds(1), 2))
            .recovery(Recovery.DEAD_LETTER).deadLetterPublisher(this.deadLetters::add).build();
        start(Batching.of(10, Duration.ofMillis(100)), Ordering.PARTITION, policy, blocking((records) -> {
            for (int i = 0; i < records.size(); i++) {
                if (records.get(i).offset() == 3) {
                    throw new BatchFailedException(i, new IllegalStateException("row 3 refused"));
                }
            }
        }));
        addRecords(P0, 0, 10);
        this.loop.runOnce();
        assertThat(this.batches).containsExactly(ids(0, 10));
        tick(COMMIT_INTERVAL);
        assertThat(this.consumer.commits()).as("the records before the failed one are done").containsExactly(Map.of(P0, 3L));
        this.timers.remove(0).run();
        this.timers.remove(0).run();
        assertThat(this.timers).isEmpty();
        assertThat(this.batches).containsExactly(ids(0, 10), List.of("0@3"), List.of("0@3"), ids(4, 10));
        assertThat(this.deadLetters).singleElement().satisfies((failed) -> {
            assertThat(failed.coordinates()).isEqualTo("orders-0@3");
            assertThat(failed.attempts()).isEqualTo(3);
            assertThat(failed.cause()).hasMessage("row 3 refused");
        });
        tick(COMMIT_INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 3L), Map.of(P0, 10L));
        SubscriptionStats stats = this.engine.stats().subscription("bulk");
        assertThat(stats.handled()).isEqualTo(9);
        assertThat(stats.deadLettered()).isEqualTo(1);
        assertThat(stats.retried()).isEqualTo(2);
    }

    @Test
    void aFailureNamingTheRecordItselfIsFoundInTheBatch() {
        ErrorPolicy policy = ErrorPolicy.builder().backOff(RetryBackOff.fixed(Duration.ofSeconds(1), 0))
            .recovery(Recovery.SKIP).build();
        start(Batching.of(5, Duration.ofMillis(100)), Ordering.PARTITION, policy, blocking((records) -> {
            for (ConsumerRecord<byte[], byte[]> record : records) {
                if (record.offset() == 1) {
                    throw new BatchFailedException(record, new IllegalStateException("refused"));
                }
            }
        }));
        addRecords(P0, 0, 5);
        this.loop.runOnce();
        assertThat(this.batches).as("no retries: 0@1 is skipped at once, the others are handed over again")
            .containsExactly(ids(0, 5), ids(2, 5));
        tick(COMMIT_INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 5L));
    }

    @Test
    void anyOtherFailureRetriesTheWholeBatchThenRecoversEachRecord() {
        ErrorPolicy policy = ErrorPolicy.builder().backOff(RetryBackOff.fixed(Duration.ofSeconds(1), 1))
            .recovery(Recovery.DEAD_LETTER).deadLetterPublisher(this.deadLetters::add).build();
        start(Batching.of(4, Duration.ofMillis(100)), Ordering.PARTITION, policy, blocking((records) -> {
            throw new IllegalStateException("database down");
        }));
        addRecords(P0, 0, 4);
        this.loop.runOnce();
        this.timers.remove(0).run();
        assertThat(this.batches).containsExactly(ids(0, 4), ids(0, 4));
        assertThat(this.deadLetters).extracting(FailedRecord::coordinates)
            .containsExactly("orders-0@0", "orders-0@1", "orders-0@2", "orders-0@3");
        assertThat(this.deadLetters).allSatisfy((failed) -> assertThat(failed.attempts()).isEqualTo(2));
        tick(COMMIT_INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 4L));
        assertThat(this.engine.stats().subscription("bulk").failed()).isEqualTo(4);
    }

    @Test
    void aPoisonPillIsRecoveredAloneAndLeftOutOfTheBatch() {
        ErrorPolicy policy = ErrorPolicy.builder().recovery(Recovery.DEAD_LETTER)
            .deadLetterPublisher(this.deadLetters::add).build();
        Deserializer<String> strict = (topic, data) -> {
            String value = new String(data, StandardCharsets.UTF_8);
            if (value.equals("v2")) {
                throw new IllegalArgumentException("not an order");
            }
            return value;
        };
        List<List<String>> values = new ArrayList<>();
        this.engine = builder(UnaryOperator.identity())
            .subscription(Subscription.builder("bulk").topics("orders").valueDeserializer(strict)
                .batching(Batching.of(5, Duration.ofMillis(100))).errorPolicy(policy)
                .batchHandler(BatchHandler.<byte[], String>blocking((records) -> values
                    .add(records.stream().map(ConsumerRecord::value).toList())))
                .build())
            .build();
        open();
        addRecords(P0, 0, 5);
        this.loop.runOnce();
        assertThat(values).containsExactly(List.of("v0", "v1", "v3", "v4"));
        assertThat(this.deadLetters).singleElement().satisfies((failed) -> {
            assertThat(failed.coordinates()).isEqualTo("orders-0@2");
            assertThat(failed.cause()).isInstanceOf(RecordDeserializationException.class);
        });
        tick(COMMIT_INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 5L));
    }

    @Test
    void underPartitionTheNextBatchOfAPartitionStartsOnlyWhenThisOneIsDone() {
        Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
        start(Batching.of(3, Duration.ZERO), Ordering.PARTITION, ErrorPolicy.DEFAULT, pendingHandler(pending));
        addRecords(P0, 0, 6);
        addRecords(P1, 0, 3);
        this.loop.runOnce();
        assertThat(this.batches).containsExactlyInAnyOrder(ids(0, 3), List.of("1@0", "1@1", "1@2"));
        pending.get("0@0").complete(null);
        assertThat(this.batches).hasSize(3).last().isEqualTo(ids(3, 6));
        pending.get("1@0").complete(null);
        tick(COMMIT_INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 3L, P1, 3L));
    }

    @Test
    void concurrencyCountsBatches() {
        Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
        startWith(Subscription.builder("bulk").topics("orders").concurrency(1)
            .batching(Batching.of(2, Duration.ZERO)).batchHandler(recording(pendingHandler(pending))));
        addRecords(P0, 0, 2);
        addRecords(P1, 0, 2);
        this.loop.runOnce();
        assertThat(this.batches).hasSize(1);
        String first = this.batches.get(0).get(0);
        pending.get(first).complete(null);
        assertThat(this.batches).hasSize(2);
    }

    @Test
    void underKeyABatchNeverTakesARecordWhoseKeyAnotherBatchHolds() {
        Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
        start(Batching.of(2, Duration.ZERO), Ordering.KEY, ErrorPolicy.DEFAULT, pendingHandler(pending));
        String[] keys = { "a", "b", "a", "c", "b", "d" };
        for (int offset = 0; offset < keys.length; offset++) {
            this.consumer.add("orders", 0, offset, keys[offset], "v" + offset);
        }
        this.loop.runOnce();
        assertThat(this.batches).containsExactly(List.of("0@0", "0@1"), List.of("0@3", "0@5"));
        pending.get("0@0").complete(null);
        assertThat(this.batches).hasSize(3).last().isEqualTo(List.of("0@2", "0@4"));
    }

    @Test
    void unorderedBatchesMixPartitions() {
        start(Batching.of(5, Duration.ofMillis(100)), Ordering.UNORDERED, ErrorPolicy.DEFAULT, blocking(null));
        addRecords(P0, 0, 2);
        addRecords(P1, 0, 2);
        this.loop.runOnce();
        assertThat(this.batches).isEmpty();
        tick(Duration.ofMillis(100));
        assertThat(this.batches).singleElement().asList().containsExactlyInAnyOrder("0@0", "0@1", "1@0", "1@1");
    }

    @Test
    void withARecordHandlerOnTheSameTopicTheCommitAdvancesOnlyOverRecordsBothReleased() {
        Map<String, CompletableFuture<Void>> audits = new ConcurrentHashMap<>();
        List<String> audited = Collections.synchronizedList(new ArrayList<>());
        this.engine = builder(UnaryOperator.identity())
            .subscription(Subscription.builder("bulk").topics("orders").batching(Batching.of(3, Duration.ZERO))
                .batchHandler(recording(blocking(null))).build())
            .subscription(Subscription.builder("audit").topics("orders").ordering(Ordering.UNORDERED)
                .handler((record) -> {
                    String id = record.partition() + "@" + record.offset();
                    audited.add(id);
                    return (record.offset() == 4) ? audits.computeIfAbsent(id, (k) -> new CompletableFuture<>()) : null;
                })
                .build())
            .build();
        open();
        addRecords(P0, 0, 6);
        this.loop.runOnce();
        tick(COMMIT_INTERVAL);
        assertThat(this.batches).containsExactly(ids(0, 3), ids(3, 6));
        assertThat(audited).containsExactlyElementsOf(ids(0, 6));
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 4L));
        audits.get("0@4").complete(null);
        tick(COMMIT_INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 4L), Map.of(P0, 6L));
    }

    @Test
    void aRunningBatchIsNamedForEachOfItsRecordsInTheStuckReport() {
        Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
        start(Batching.of(3, Duration.ZERO), Ordering.PARTITION, ErrorPolicy.DEFAULT, pendingHandler(pending));
        addRecords(P0, 0, 3);
        long startedAt = this.clock.millis();
        this.loop.runOnce();
        tick(Duration.ofSeconds(1));
        PartitionSnapshot p0 = this.loop.snapshot().partitions().stream()
            .filter((partition) -> partition.partition().equals(P0)).findFirst().orElseThrow();
        assertThat(p0.oldestPendingOffset()).isZero();
        assertThat(p0.oldestPendingHolders()).containsExactly("bulk");
        assertThat(p0.oldestPendingStartedAt()).isEqualTo(java.time.Instant.ofEpochMilli(startedAt));
        assertThat(this.loop.snapshot().subscriptions()).singleElement()
            .satisfies((subscription) -> assertThat(subscription.inFlight()).isEqualTo(3));
    }

    @Test
    void aBatchHandlerUnderExactlyOnceIsRefused() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> AckflowEngine.builder().name("ledger").consumerFactory(() -> this.consumer)
                .transactionalProducer(() -> new MockProducer<>())
                .config(EngineConfig.builder().processingGuarantee(ProcessingGuarantee.EXACTLY_ONCE).build())
                .subscription(Subscription.builder("bulk").topics("orders").batchHandler((records) -> null).build())
                .build())
            .withMessageContaining("subscription 'bulk' has a batch handler");
    }

    @Test
    void invalidBatchSettingsAreRefusedNamingTheSetting() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> Subscription.builder("bulk").topics("orders").batching(Batching.of(0, Duration.ZERO))
                .batchHandler((records) -> null).build())
            .withMessageContaining("batch.maxRecords");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> Subscription.builder("bulk").topics("orders")
                .batching(Batching.of(5, Duration.ofMillis(-1))).batchHandler((records) -> null).build())
            .withMessageContaining("batch.maxWait");
    }

    private void start(Batching batching, Ordering ordering, ErrorPolicy policy, BatchHandler<byte[], byte[]> handler) {
        startWith(Subscription.builder("bulk").topics("orders").ordering(ordering).concurrency(4).batching(batching)
            .errorPolicy(policy).batchHandler(recording(handler)));
    }

    private void startWith(Subscription.Builder<byte[], byte[]> subscription) {
        this.engine = builder(UnaryOperator.identity()).subscription(subscription.build()).build();
        open();
    }

    private AckflowEngine.Builder builder(UnaryOperator<EngineConfig.Builder> config) {
        return AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .retryScheduler((task, delay) -> this.timers.add(task))
            .config(config.apply(EngineConfig.builder().clock(this.clock).commitInterval(COMMIT_INTERVAL)
                .shutdownTimeout(Duration.ZERO)).build());
    }

    private void open() {
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
        this.consumer.assignAtZero(P0, P1);
    }

    /** Records each call's records in {@link #batches}, then runs {@code handler}. */
    private BatchHandler<byte[], byte[]> recording(BatchHandler<byte[], byte[]> handler) {
        return (records) -> {
            this.batches.add(records.stream().map((record) -> record.partition() + "@" + record.offset()).toList());
            return handler.handle(records);
        };
    }

    private static BatchHandler<byte[], byte[]> blocking(BatchHandler.BlockingBatchHandler<byte[], byte[]> body) {
        return BatchHandler.blocking((records) -> {
            if (body != null) {
                body.handle(records);
            }
        });
    }

    /** A handler whose batch is done when the test completes the future of its first record. */
    private static BatchHandler<byte[], byte[]> pendingHandler(Map<String, CompletableFuture<Void>> pending) {
        Function<ConsumerRecord<byte[], byte[]>, String> id = (record) -> record.partition() + "@" + record.offset();
        return (records) -> pending.computeIfAbsent(id.apply(records.get(0)), (k) -> new CompletableFuture<>());
    }

    private static List<String> ids(int from, int to) {
        List<String> ids = new ArrayList<>();
        for (int offset = from; offset < to; offset++) {
            ids.add("0@" + offset);
        }
        return ids;
    }

    private void addRecords(TopicPartition partition, long from, int count) {
        for (long offset = from; offset < from + count; offset++) {
            this.consumer.add(partition.topic(), partition.partition(), offset, "k" + offset, "v" + offset);
        }
    }

    private void tick(Duration duration) {
        this.clock.advance(duration);
        this.loop.runOnce();
    }

}
