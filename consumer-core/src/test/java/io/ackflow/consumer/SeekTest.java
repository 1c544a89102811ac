package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.commit.OffsetMapCodec;
import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.testing.MutableClock;
import io.ackflow.consumer.testing.MutableTicker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Seeks on MockConsumer, step by step on the test thread: where
 * each seek goes, which records the handler sees again or never, what is committed after, and
 * that a seek waits for the handlers running on the partition as a revoke does. MockConsumer
 * forgets the records it returned, so a test adds again those a broker would deliver again.
 */
class SeekTest {

    /** Moves 10 s at every read: a drain that waits for a held record ends after a few looks. */
    private static final MutableTicker DRAIN_PASSES = MutableTicker.steppingBy(Duration.ofSeconds(10));

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private static final TopicPartition P2 = new TopicPartition("orders", 2);

    private final MutableClock clock = new MutableClock();

    private final RecordingConsumer consumer = new RecordingConsumer();

    private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

    /** Each handler call as {@code partition@offset}, and each completion as {@code done partition@offset}. */
    private final List<String> seen = Collections.synchronizedList(new ArrayList<>());

    private AckflowEngine engine;

    private PollLoop loop;

    @Test
    void aSeekToTheBeginningReadsTheRecordsAgain() {
        start(Ordering.UNORDERED, UnaryOperator.identity());
        add(P0, 0, 3);
        this.loop.runOnce();
        complete(P0, 0, 1, 2);
        commitDue();
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 3L));

        CompletableFuture<SeekResult> sought = this.loop.controls().seekPartitions(List.of(P0), Seek.toBeginning());
        this.inFlight.clear();
        add(P0, 0, 3);
        this.loop.runOnce();

        assertThat(sought).isCompletedWithValue(new SeekResult(Map.of(P0, 0L), Map.of()));
        assertThat(this.seen).containsExactly("0@0", "0@1", "0@2", "0@0", "0@1", "0@2");
        complete(P0, 0, 1, 2);
        commitDue();
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 3L), Map.of(P0, 3L));
    }

    @Test
    void aSeekToTheEndSkipsEveryRecordWrittenBeforeIt() {
        start(Ordering.UNORDERED, UnaryOperator.identity());
        add(P0, 0, 4);
        this.consumer.updateEndOffsets(Map.of(P0, 4L));

        CompletableFuture<SeekResult> sought = this.loop.controls().seekPartitions(List.of(P0), Seek.toEnd());
        this.loop.runOnce();
        assertThat(sought).isCompletedWithValue(new SeekResult(Map.of(P0, 4L), Map.of()));
        assertThat(this.seen).as("the seek runs before the poll: offsets 0-3 are never handled").isEmpty();

        add(P0, 4, 2);
        this.loop.runOnce();
        complete(P0, 4, 5);
        commitDue();
        assertThat(this.seen).containsExactly("0@4", "0@5");
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 6L));
    }

    @Test
    void aSeekToTheCommittedOffsetReadsAgainWhatWasNotCommittedAndSkipsWhatItsOffsetMapNames() {
        start(Ordering.UNORDERED, (config) -> config.ticker(DRAIN_PASSES));
        add(P0, 0, 6);
        this.loop.runOnce();
        complete(P0, 0, 2, 3, 4, 5);
        CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> committed = this.loop.commitNow();
        this.loop.runOnce();
        OffsetAndMetadata heldAt1 = committed.join().get(P0);
        assertThat(heldAt1.offset()).isEqualTo(1);
        assertThat(OffsetMapCodec.decode(heldAt1.metadata()).stream().boxed().toList())
            .as("2-5, relative to 1").containsExactly(1, 2, 3, 4);

        CompletableFuture<SeekResult> sought = this.loop.controls().seekPartitions(List.of(P0), Seek.toCommitted());
        CompletableFuture<Void> held = this.inFlight.remove("0@1");
        add(P0, 1, 5);
        this.loop.runOnce();
        assertThat(sought).isCompletedWithValue(new SeekResult(Map.of(P0, 1L), Map.of()));
        held.complete(null);
        assertThat(this.engine.stats().lateAcks()).as("offset 1 outlived the drain of the seek").isEqualTo(1);

        assertThat(this.seen).as("offset 1 again, and none of the offsets acked above it")
            .containsExactly("0@0", "0@1", "0@2", "0@3", "0@4", "0@5", "0@1");
        assertThat(this.engine.stats().alreadyAcked()).isEqualTo(4);
        complete(P0, 1);
        commitDue();
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 1L), Map.of(P0, 6L));
    }

    @Test
    void aSeekToTheCommittedOffsetOfAPartitionWithoutOneFailsAndMovesNothing() {
        start(Ordering.UNORDERED, UnaryOperator.identity());
        add(P0, 0, 2);
        add(P1, 0, 2);
        this.loop.runOnce();
        complete(P0, 0, 1);
        CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> committed = this.loop.commitNow();
        this.loop.runOnce();
        assertThat(committed.join()).containsOnlyKeys(P0);

        CompletableFuture<SeekResult> sought = this.loop.controls().seekPartitions(List.of(P0, P1), Seek.toCommitted());
        this.loop.runOnce();

        assertThatThrownBy(sought::join).cause().isInstanceOf(IllegalArgumentException.class)
            .hasMessage("Partitions [orders-1] have no committed offset in group 'dummy.group.id', so they cannot be"
                    + " sought to it; seek them to the beginning, the end, a timestamp or an offset instead."
                    + " Nothing was sought.");
        complete(P1, 0, 1);
        assertThat(this.engine.stats().lateAcks()).as("P1 was not touched").isZero();
        assertThat(this.consumer.position(P0)).isEqualTo(2);
    }

    @Test
    void aSeekWaitsForTheHandlerRunningOnThePartitionBeforeItIsReadAgain() {
        start(Ordering.PARTITION, UnaryOperator.identity());
        add(P0, 0, 2);
        this.loop.runOnce();
        assertThat(this.seen).as("1 waits behind 0 in the partition's lane").containsExactly("0@0");
        this.inFlight.get("0@0").completeAsync(() -> {
            this.seen.add("done 0@0");
            return null;
        }, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS));

        CompletableFuture<SeekResult> sought = this.loop.controls().seekPartitions(List.of(P0), Seek.toOffset(0));
        this.inFlight.clear();
        add(P0, 0, 2);
        this.loop.runOnce();

        assertThat(sought).isCompletedWithValue(new SeekResult(Map.of(P0, 0L), Map.of()));
        assertThat(this.seen).as("the record is handled again only after its first run ended")
            .containsExactly("0@0", "done 0@0", "0@0");
        assertThat(this.engine.stats().lateAcks()).isZero();
        assertThat(this.engine.stats().droppedOnRebalance()).as("offset 1, queued").isEqualTo(1);
    }

    @Test
    void aSeekOfAPartitionNotAssignedIsResolvedNowAndAppliedWhenItIsAssigned() {
        start(Ordering.UNORDERED, UnaryOperator.identity());
        this.consumer.updateBeginningOffsets(Map.of(P2, 3L));

        CompletableFuture<SeekResult> sought = this.loop.controls().seekPartitions(List.of(P2), Seek.toBeginning());
        this.loop.runOnce();
        assertThat(sought).isCompletedWithValue(new SeekResult(Map.of(), Map.of(P2, 3L)));

        this.consumer.rebalance(List.of(P0, P1, P2));
        add(P2, 3, 2);
        this.loop.runOnce();
        assertThat(this.seen).containsExactly("2@3", "2@4");
    }

    @Test
    void aSeekOfATopicOrOfEverythingMovesTheAssignedPartitionsOnly() {
        start(Ordering.UNORDERED, UnaryOperator.identity());
        CompletableFuture<SeekResult> topic = this.loop.controls().seekTopic("orders", Seek.toOffset(5));
        CompletableFuture<SeekResult> all = this.loop.controls().seekAll(Seek.toOffset(7));
        this.loop.runOnce();
        assertThat(topic).isCompletedWithValue(new SeekResult(Map.of(P0, 5L, P1, 5L), Map.of()));
        assertThat(all).isCompletedWithValue(new SeekResult(Map.of(P0, 7L, P1, 7L), Map.of()));
        assertThat(this.consumer.position(P0)).isEqualTo(7);
        assertThat(this.consumer.position(P1)).isEqualTo(7);
    }

    @Test
    void theEngineRefusesToSeekATopicItDoesNotRead() {
        start(Ordering.UNORDERED, UnaryOperator.identity());
        assertThatIllegalArgumentException()
            .isThrownBy(() -> this.engine.seek(List.of(new TopicPartition("payments", 0)), Seek.toBeginning()))
            .withMessage("Engine 'ackflow' does not read topic 'payments'");
        assertThatIllegalArgumentException().isThrownBy(() -> this.engine.seek("payments", Seek.toEnd()))
            .withMessage("Engine 'ackflow' does not read topic 'payments'");
        assertThatIllegalArgumentException().isThrownBy(() -> Seek.toOffset(-1))
            .withMessage("Offset to seek to must not be negative, was -1");
    }

    private void start(Ordering ordering, UnaryOperator<EngineConfig.Builder> config) {
        this.engine = AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .config(config.apply(EngineConfig.builder().clock(this.clock).commitInterval(Duration.ofSeconds(5))).build())
            .subscription(Subscription.builder("s").topics("orders").ordering(ordering).concurrency(100)
                .handler((record) -> {
                    String id = record.partition() + "@" + record.offset();
                    this.seen.add(id);
                    return this.inFlight.computeIfAbsent(id, (k) -> new CompletableFuture<>());
                })
                .build())
            .build();
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
        this.consumer.assignAtZero(P0, P1);
    }

    private void commitDue() {
        this.clock.advance(Duration.ofSeconds(5));
        this.loop.runOnce();
    }

    private void add(TopicPartition partition, long from, int count) {
        for (long offset = from; offset < from + count; offset++) {
            this.consumer.add(partition.topic(), partition.partition(), offset, "k", "v");
        }
    }

    private void complete(TopicPartition partition, long... offsets) {
        for (long offset : offsets) {
            this.inFlight.get(partition.partition() + "@" + offset).complete(null);
        }
    }

}
