package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's commits, on kafka-clients' MockConsumer with a clock the test moves. Handlers run
 * on the test thread; asynchronous ones complete when the test completes their future.
 */
class EngineCommitTest {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private static final Duration INTERVAL = Duration.ofSeconds(5);

    private final MutableClock clock = new MutableClock();

    private final RecordingConsumer consumer = new RecordingConsumer();

    /** Futures of the asynchronous handler, by partition and offset. */
    private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

    private final List<String> seen = Collections.synchronizedList(new ArrayList<>());

    private AckflowEngine engine;

    private PollLoop loop;

    @Test
    void outOfOrderAcksCommitOnlyTheContiguousPrefix() {
        start(asyncUnordered(), (config) -> config.offsetMaps(false));
        addRecords(P0, 0, 5);
        this.loop.runOnce();
        assertThat(this.seen).containsExactly("0@0", "0@1", "0@2", "0@3", "0@4");

        complete(P0, 1, 2, 3);
        tick(INTERVAL);
        assertThat(this.consumer.commits()).as("offset 0 is in flight: nothing moved").isEmpty();

        complete(P0, 0);
        tick(INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 4L));

        complete(P0, 4);
        tick(INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 4L), Map.of(P0, 5L));
        assertThat(this.consumer.committed(java.util.Set.of(P0)).get(P0).offset()).isEqualTo(5);
        assertThat(this.consumer.commitKinds()).containsOnly("async");
    }

    @Test
    void aHeldGapCommitsTheSameOffsetWithTheAckedOffsetsAboveItInTheMetadata() {
        start(asyncUnordered(), (config) -> config);
        addRecords(P0, 0, 6);
        this.loop.runOnce();
        complete(P0, 2, 3, 5);
        tick(INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 0L));
        OffsetAndMetadata first = this.consumer.committed(java.util.Set.of(P0)).get(P0);
        assertThat(io.ackflow.consumer.commit.OffsetMapCodec.decode(first.metadata())).isEqualTo(bits(2, 3, 5));

        tick(INTERVAL);
        assertThat(this.consumer.commits()).as("the same map is not sent again").hasSize(1);

        complete(P0, 0);
        tick(INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 0L), Map.of(P0, 1L));
        OffsetAndMetadata second = this.consumer.committed(java.util.Set.of(P0)).get(P0);
        assertThat(io.ackflow.consumer.commit.OffsetMapCodec.decode(second.metadata()))
            .as("relative to the new committed offset 1").isEqualTo(bits(1, 2, 4));

        complete(P0, 1, 4);
        tick(INTERVAL);
        assertThat(this.consumer.committed(java.util.Set.of(P0)).get(P0)).isEqualTo(new OffsetAndMetadata(6, ""));
    }

    private static java.util.BitSet bits(int... set) {
        java.util.BitSet bits = new java.util.BitSet();
        for (int bit : set) {
            bits.set(bit);
        }
        return bits;
    }

    @Test
    void commitIntervalCommitsAtTheDeadlineNotBefore() {
        start(blocking(), (config) -> config);
        addRecords(P0, 0, 3);
        this.loop.runOnce();
        assertThat(this.consumer.commits()).isEmpty();
        tick(INTERVAL.minusMillis(1));
        assertThat(this.consumer.commits()).isEmpty();
        tick(Duration.ofMillis(1));
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 3L));
    }

    @Test
    void commitEveryCommitsBeforeTheIntervalOnceEnoughAcksArrived() {
        start(blocking(), (config) -> config.commitEvery(4));
        addRecords(P0, 0, 3);
        this.loop.runOnce();
        assertThat(this.consumer.commits()).as("3 acks of 4").isEmpty();
        addRecords(P0, 3, 2);
        this.loop.runOnce();
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 5L));
        addRecords(P0, 5, 1);
        this.loop.runOnce();
        assertThat(this.consumer.commits()).as("the count restarts after a commit").hasSize(1);
    }

    @Test
    void partitionsWhoseOffsetDidNotMoveAreNotCommittedAgain() {
        start(blocking(), (config) -> config);
        addRecords(P0, 0, 2);
        addRecords(P1, 0, 3);
        this.loop.runOnce();
        tick(INTERVAL);
        addRecords(P0, 2, 1);
        this.loop.runOnce();
        tick(INTERVAL);
        tick(INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 2L, P1, 3L), Map.of(P0, 3L));
    }

    @Test
    void anIdlePartitionCommitsThePositionPollReadItToPastItsLastRecord() {
        start(blocking(), (config) -> config);
        addRecords(P0, 0, 3);
        this.consumer.readPastTo(P0, 4);
        this.loop.runOnce();
        tick(INTERVAL);
        assertThat(this.consumer.commits()).as("past the marker at 3, read with the records")
            .containsExactly(Map.of(P0, 4L));

        this.consumer.readPastTo(P0, 9);
        this.loop.runOnce();
        tick(INTERVAL);
        tick(INTERVAL);
        assertThat(this.consumer.commits()).as("a poll with no record read past an aborted transaction")
            .containsExactly(Map.of(P0, 4L), Map.of(P0, 9L));
        assertThat(this.loop.committedOffsets()).isEqualTo(Map.of(P0, 9L));
    }

    @Test
    void aPositionPastTheLastRecordWaitsForEveryRecordBeforeIt() {
        start(asyncUnordered(), (config) -> config.offsetMaps(false));
        addRecords(P0, 0, 3);
        this.consumer.readPastTo(P0, 5);
        this.loop.runOnce();
        complete(P0, 0, 2);
        tick(INTERVAL);
        assertThat(this.consumer.commits()).as("offset 1 is in flight").containsExactly(Map.of(P0, 1L));
        complete(P0, 1);
        tick(INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 1L), Map.of(P0, 5L));
    }

    @Test
    void aSeekIsNotOvertakenByThePositionReadBeforeIt() {
        start(blocking(), (config) -> config);
        addRecords(P0, 0, 5);
        this.consumer.readPastTo(P0, 7);
        this.loop.runOnce();
        this.loop.controls().seek(P0, 2);
        tick(INTERVAL);
        assertThat(this.consumer.commits()).as("nothing read since the seek").isEmpty();

        addRecords(P0, 2, 3);
        this.loop.runOnce();
        tick(INTERVAL);
        assertThat(this.consumer.commits()).as("read again to 5; position 7 was before the seek")
            .containsExactly(Map.of(P0, 5L));
    }

    @Test
    void theFinalCommitOnStopCarriesThePosition() {
        start(blocking(), (config) -> config);
        addRecords(P0, 0, 2);
        this.consumer.readPastTo(P0, 3);
        this.loop.runOnce();
        this.loop.shutdown();
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 3L));
        assertThat(this.consumer.commitKinds()).containsExactly("sync");
    }

    @Test
    void failedCommitIsRetriedAtTheNextDeadline() {
        start(blocking(), (config) -> config);
        addRecords(P0, 0, 2);
        this.loop.runOnce();
        this.consumer.failNextAsyncCommit();
        tick(INTERVAL);
        assertThat(this.engine.stats().commitFailures()).isEqualTo(1);
        tick(INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 2L), Map.of(P0, 2L));
        assertThat(this.engine.stats().commits()).isEqualTo(1);
    }

    @Test
    void handlerThatThrowsReleasesTheRecordAndTheCommitPassesIt() {
        Subscription<byte[], byte[]> failing = Subscription.builder("failing").topics("orders")
            .handler(RecordHandler.<byte[], byte[]>blocking((record) -> {
                this.seen.add(record.partition() + "@" + record.offset());
                if (record.offset() == 1) {
                    throw new IllegalStateException("boom");
                }
            }))
            .build();
        start(List.of(failing), (config) -> config);
        addRecords(P0, 0, 3);
        this.loop.runOnce();
        tick(INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 3L));
        assertThat(this.engine.stats().failed()).isEqualTo(1);
        assertThat(this.engine.stats().handled()).isEqualTo(2);
        assertThat(this.engine.stats().acked()).isEqualTo(3);
    }

    @Test
    void futureThatCompletesExceptionallyReleasesTheRecord() {
        start(asyncUnordered(), (config) -> config);
        addRecords(P0, 0, 1);
        this.loop.runOnce();
        this.inFlight.get("0@0").completeExceptionally(new RuntimeException("downstream down"));
        tick(INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 1L));
        assertThat(this.engine.stats().failed()).isEqualTo(1);
    }

    @Test
    void recordIsCommittedOnlyAfterEverySubscriptionReleasedIt() {
        Subscription<byte[], byte[]> quick = Subscription.builder("quick").topics("orders")
            .handler(RecordHandler.<byte[], byte[]>blocking((record) -> this.seen.add("quick " + record.offset())))
            .build();
        start(List.of(quick, asyncUnordered().get(0)), (config) -> config);
        addRecords(P0, 0, 2);
        this.loop.runOnce();
        tick(INTERVAL);
        assertThat(this.consumer.commits()).as("the async subscription holds both").isEmpty();
        complete(P0, 0);
        tick(INTERVAL);
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 1L));
        assertThat(this.seen).containsExactlyInAnyOrder("quick 0", "0@0", "quick 1", "0@1")
            .containsSubsequence("quick 0", "quick 1").containsSubsequence("0@0", "0@1");
    }

    @Test
    void commitNowCommitsSynchronouslyOnThePollThread() {
        start(blocking(), (config) -> config);
        addRecords(P0, 0, 4);
        this.loop.runOnce();
        CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> result = this.loop.commitNow();
        assertThat(result).isNotDone();
        this.loop.runOnce();
        assertThat(result).isCompletedWithValue(Map.of(P0, new OffsetAndMetadata(4)));
        assertThat(this.consumer.commitKinds()).containsExactly("sync");
        assertThat(this.loop.committedOffsets()).isEqualTo(Map.of(P0, 4L));
    }

    @Test
    void aCommitOfSomePartitionsOrOfATopicCommitsThoseOnly() {
        start(asyncUnordered(), (config) -> config);
        addRecords(P0, 0, 2);
        addRecords(P1, 0, 3);
        this.loop.runOnce();
        complete(P0, 0, 1);
        complete(P1, 0, 1, 2);

        CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> p0 = this.loop.controls().commitPartitions(List.of(P0));
        this.loop.runOnce();
        assertThat(p0).isCompletedWithValue(Map.of(P0, new OffsetAndMetadata(2)));
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 2L));

        CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> topic = this.loop.controls().commitTopic("orders");
        this.loop.runOnce();
        assertThat(topic).as("P0 did not move since").isCompletedWithValue(Map.of(P1, new OffsetAndMetadata(3)));
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 2L), Map.of(P1, 3L));
        assertThat(this.consumer.commitKinds()).containsExactly("sync", "sync");
    }

    @Test
    void shutdownCommitsTheAckedPrefixSynchronouslyAndClosesTheConsumer() {
        start(asyncUnordered(), (config) -> config.shutdownTimeout(Duration.ZERO));
        addRecords(P0, 0, 4);
        addRecords(P1, 0, 2);
        this.loop.runOnce();
        complete(P0, 0, 1, 3);
        complete(P1, 0, 1);
        this.loop.shutdown();
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 2L, P1, 2L));
        assertThat(this.consumer.commitKinds()).containsExactly("sync");
        assertThat(this.consumer.closed()).isTrue();
    }

    @Test
    void revokeCommitsTheRevokedPartitionSynchronously() {
        start(blocking(), (config) -> config);
        addRecords(P0, 0, 3);
        addRecords(P1, 0, 1);
        this.loop.runOnce();
        this.consumer.rebalance(List.of(P1));
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 3L));
        assertThat(this.consumer.commitKinds()).containsExactly("sync");
    }

    private void start(List<Subscription<?, ?>> subscriptions, UnaryOperator<EngineConfig.Builder> config) {
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .config(config.apply(EngineConfig.builder().clock(this.clock).commitInterval(INTERVAL).commitEvery(1000)).build());
        subscriptions.forEach(builder::subscription);
        this.engine = builder.build();
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
        this.consumer.assignAtZero(P0, P1);
    }

    private List<Subscription<?, ?>> asyncUnordered() {
        return List.of(Subscription.builder("async").topics("orders").ordering(Ordering.UNORDERED).concurrency(100)
            .handler((record) -> {
                String id = record.partition() + "@" + record.offset();
                this.seen.add(id);
                return this.inFlight.computeIfAbsent(id, (k) -> new CompletableFuture<>());
            })
            .build());
    }

    private List<Subscription<?, ?>> blocking() {
        return List.of(Subscription.builder("blocking").topics("orders")
            .handler(RecordHandler.<byte[], byte[]>blocking((record) -> this.seen.add(record.partition() + "@" + record.offset())))
            .build());
    }

    private void addRecords(TopicPartition partition, long from, int count) {
        for (long offset = from; offset < from + count; offset++) {
            this.consumer.add(partition.topic(), partition.partition(), offset, "k" + offset, "v" + offset);
        }
    }

    private void complete(TopicPartition partition, long... offsets) {
        for (long offset : offsets) {
            this.inFlight.get(partition.partition() + "@" + offset).complete(null);
        }
    }

    private void tick(Duration duration) {
        this.clock.advance(duration);
        this.loop.runOnce();
    }

}
