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

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.flow.PauseReason;
import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.testing.MutableClock;
import io.ackflow.consumer.testing.MutableTicker;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exact rebalance sequences on MockConsumer: revoke with records in flight, lost, seeks, a quick
 * revoke and re-assign, and user pauses against flow control.
 */
class RebalanceTest {

    /** Moves 10 s at every read: a 30 s drain ends after a few looks, without waiting for it. */
    private static final MutableTicker DRAIN_PASSES = MutableTicker.steppingBy(Duration.ofSeconds(10));

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private final MutableClock clock = new MutableClock();

    private final RecordingConsumer consumer = new RecordingConsumer();

    private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

    private final List<String> seen = Collections.synchronizedList(new ArrayList<>());

    private AckflowEngine engine;

    private PollLoop loop;

    @Test
    void revokeCommitsTheAckedPrefixAndIgnoresCompletionsAfterTheDrainTimeout() {
        start(Ordering.UNORDERED, (config) -> config.rebalanceDrainTimeout(Duration.ofSeconds(30)).ticker(DRAIN_PASSES));
        add(P0, 0, 6);
        add(P1, 0, 1);
        this.loop.runOnce();
        complete(P0, 0, 1, 3);

        this.consumer.rebalance(List.of(P1));

        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 2L));
        complete(P0, 2, 4, 5);
        assertThat(this.engine.stats().lateAcks()).as("offsets 2, 4 and 5 finished after the drain").isEqualTo(3);
        complete(P1, 0);
        this.clock.advance(Duration.ofSeconds(5));
        this.loop.runOnce();
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 2L), Map.of(P1, 1L));
    }

    @Test
    void revokeWaitsForRunningHandlersUpToTheDrainTimeout() {
        start(Ordering.UNORDERED, (config) -> config.rebalanceDrainTimeout(Duration.ofSeconds(30)));
        add(P0, 0, 2);
        this.loop.runOnce();
        complete(P0, 1);
        // The handler of offset 0 finishes on another thread while the revoke drains.
        this.inFlight.get("0@0").completeAsync(() -> null, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS));

        this.consumer.rebalance(List.of(P1));

        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 2L));
        assertThat(this.engine.stats().lateAcks()).isZero();
    }

    @Test
    void revokeHandsQueuedRecordsBackWithoutRunningThem() {
        start(Ordering.PARTITION, (config) -> config.rebalanceDrainTimeout(Duration.ofSeconds(30)));
        add(P0, 0, 4);
        this.loop.runOnce();
        assertThat(this.seen).containsExactly("0@0");
        this.inFlight.get("0@0").completeAsync(() -> null, CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));

        this.consumer.rebalance(List.of(P1));

        assertThat(this.seen).as("1-3 were queued behind 0 and are left to the next owner").containsExactly("0@0");
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 1L));
        assertThat(this.engine.stats().droppedOnRebalance()).isEqualTo(3);
    }

    @Test
    void recordTakenForAHandlerButNotStartedAtARevokeIsWaitedForAndThenNotRun() {
        java.util.Queue<Runnable> pool = new java.util.ArrayDeque<>();
        this.engine = engine(Ordering.UNORDERED, (config) -> config.rebalanceDrainTimeout(Duration.ofSeconds(30)).ticker(DRAIN_PASSES));
        this.loop = this.engine.newLoop(this.consumer, pool::add);
        this.loop.subscribe();
        this.consumer.assignAtZero(P0, P1);
        add(P0, 0, 1);
        this.loop.runOnce();
        assertThat(pool).as("taken from its lane, waiting for a thread").hasSize(1);

        this.consumer.rebalance(List.of(P1));
        assertThat(this.consumer.commits()).as("the drain waited for it and timed out: nothing acked").isEmpty();

        pool.poll().run();
        assertThat(this.seen).as("its partition is gone: the handler is not called").isEmpty();
        assertThat(this.engine.stats().lateAcks()).isEqualTo(1);
    }

    @Test
    void rebalanceListenerThatThrowsIsLoggedAndTheEngineGoesOn() {
        List<String> heard = new ArrayList<>();
        this.engine = AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .config(EngineConfig.builder().clock(this.clock).commitInterval(Duration.ofSeconds(5)).build())
            .subscription(Subscription.builder("s").topics("orders").handler((record) -> null).build())
            .rebalanceListener(new RebalanceListener() {
                @Override
                public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions, int generationId) {
                    throw new IllegalStateException("listener bug");
                }
            })
            .rebalanceListener(new RebalanceListener() {
                @Override
                public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions, int generationId) {
                    heard.add("second " + partitions);
                }
            })
            .build();
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
        this.consumer.assignAtZero(P0);
        add(P0, 0, 2);
        this.loop.runOnce();
        this.clock.advance(Duration.ofSeconds(5));
        this.loop.runOnce();
        assertThat(heard).containsExactly("second [orders-0]");
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 2L));
    }

    @Test
    void requestsAfterTheEngineStoppedFailInsteadOfHanging() {
        start(Ordering.UNORDERED, (config) -> config.shutdownTimeout(Duration.ZERO));
        this.loop.shutdown();
        for (CompletableFuture<?> request : List.of(this.loop.controls().pausePartitions(Set.of(P0)), this.loop.commitNow(),
                this.loop.controls().seek(P0, 3), this.loop.controls().seekAll(Seek.toEnd()))) {
            assertThat(request).failsWithin(Duration.ZERO).withThrowableThat().havingCause()
                .isInstanceOf(EngineNotRunningException.class).withMessageStartingWith("Engine 'ackflow' is not running");
        }
    }

    @Test
    void lostPartitionsAreNotCommittedAndTheirCompletionsAreLate() {
        start(Ordering.UNORDERED, (config) -> config);
        add(P0, 0, 2);
        this.loop.runOnce();
        complete(P0, 0);

        this.consumer.rebalanceListener().onPartitionsLost(List.of(P0));

        complete(P0, 1);
        assertThat(this.engine.stats().lateAcks()).isEqualTo(1);
        this.clock.advance(Duration.ofSeconds(5));
        this.loop.runOnce();
        assertThat(this.consumer.commits()).as("offset 0 was acked but P0 is lost: nothing is committed").isEmpty();
    }

    @Test
    void partitionRevokedAndReassignedStartsAFreshTrackerAndIgnoresOldCompletions() {
        start(Ordering.UNORDERED, (config) -> config.rebalanceDrainTimeout(Duration.ofSeconds(30)).ticker(DRAIN_PASSES).offsetMaps(false));
        add(P0, 0, 3);
        this.loop.runOnce();
        complete(P0, 0);
        this.consumer.rebalance(List.of(P1));
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 1L));

        this.consumer.rebalance(List.of(P0, P1));
        this.inFlight.clear();
        this.seen.clear();
        add(P0, 1, 3); // the new owner (us again) reads from the committed offset
        this.loop.runOnce();
        assertThat(this.seen).containsExactly("0@1", "0@2", "0@3");
        complete(P0, 2);
        this.clock.advance(Duration.ofSeconds(5));
        this.loop.runOnce();
        assertThat(this.consumer.commits()).as("offset 1 of the new assignment is still running")
            .containsExactly(Map.of(P0, 1L));
        complete(P0, 1);
        this.clock.advance(Duration.ofSeconds(5));
        this.loop.runOnce();
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 1L), Map.of(P0, 3L));
    }

    @Test
    void seekAskedBeforeAssignmentIsAppliedOnAssignment() {
        this.engine = engine(Ordering.UNORDERED, (config) -> config);
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
        CompletableFuture<Void> sought = this.loop.controls().seek(P0, 3);
        this.loop.runOnce(); // runs the command: P0 is not assigned yet
        assertThat(sought).isDone();
        this.consumer.assignAtZero(P0, P1);
        add(P0, 0, 6);
        this.loop.runOnce();
        assertThat(this.seen).containsExactly("0@3", "0@4", "0@5");
    }

    @Test
    void seekOnAnAssignedPartitionDropsWhatIsInFlightAndRestartsTheTracker() {
        start(Ordering.UNORDERED, (config) -> config.ticker(DRAIN_PASSES));
        add(P0, 0, 3);
        this.loop.runOnce();
        complete(P0, 0);
        this.loop.controls().seek(P0, 10);
        this.loop.runOnce();
        complete(P0, 1, 2);
        assertThat(this.engine.stats().lateAcks()).isEqualTo(2);
        add(P0, 10, 2);
        this.loop.runOnce();
        complete(P0, 10, 11);
        this.clock.advance(Duration.ofSeconds(5));
        this.loop.runOnce();
        assertThat(this.consumer.commits()).containsExactly(Map.of(P0, 12L));
    }

    @Test
    void userPauseSurvivesAFlowControlResume() {
        start(Ordering.UNORDERED, (config) -> config.maxInFlightPerPartition(2).lowMark(0.5));
        add(P0, 0, 2);
        this.loop.runOnce();
        assertThat(this.loop.pauseReasons(P0)).containsExactly(PauseReason.FLOW_CONTROL);
        this.loop.controls().pausePartitions(Set.of(P0));
        this.loop.runOnce();
        assertThat(this.loop.pauseReasons(P0)).containsExactlyInAnyOrder(PauseReason.FLOW_CONTROL, PauseReason.USER);

        complete(P0, 0, 1);
        this.loop.runOnce();
        assertThat(this.loop.pauseReasons(P0)).containsExactly(PauseReason.USER);
        assertThat(this.consumer.paused()).containsExactly(P0);

        this.loop.controls().resumePartitions(Set.of(P0));
        this.loop.runOnce();
        assertThat(this.consumer.paused()).isEmpty();
    }

    @Test
    void pausedTopicStaysPausedAcrossARebalance() {
        start(Ordering.UNORDERED, (config) -> config.rebalanceDrainTimeout(Duration.ZERO));
        this.loop.controls().pauseTopic("orders");
        this.loop.runOnce();
        assertThat(this.consumer.paused()).containsExactlyInAnyOrder(P0, P1);
        this.consumer.rebalance(List.of(P1));
        this.consumer.rebalance(List.of(P0, P1));
        assertThat(this.consumer.paused()).containsExactlyInAnyOrder(P0, P1);
        this.loop.controls().resumeTopic("orders");
        this.loop.runOnce();
        assertThat(this.consumer.paused()).isEmpty();
    }

    @Test
    void aCommitDeferredByARebalanceIsSentAgainAsSoonAsTheRebalanceEnds() {
        start(Ordering.UNORDERED, UnaryOperator.identity());
        add(P0, 0, 2);
        this.loop.runOnce();
        complete(P0, 0, 1);
        this.consumer.failNextAsyncCommit(new RebalanceInProgressException("the group is rebalancing"));
        this.clock.advance(Duration.ofSeconds(5));
        this.loop.runOnce();
        assertThat(this.consumer.commits()).as("refused").containsExactly(Map.of(P0, 2L));

        // A cooperative rebalance ends with an assignment callback, also when nothing moved.
        this.consumer.rebalanceListener().onPartitionsAssigned(List.of());
        this.loop.runOnce();
        assertThat(this.consumer.commits()).as("sent again at once, not a commit interval later")
            .containsExactly(Map.of(P0, 2L), Map.of(P0, 2L));
        assertThat(this.consumer.committed(Set.of(P0)).get(P0).offset()).isEqualTo(2L);

        this.consumer.rebalanceListener().onPartitionsAssigned(List.of());
        this.loop.runOnce();
        assertThat(this.consumer.commits()).as("only the refused commit is hurried").hasSize(2);
    }

    private void start(Ordering ordering, UnaryOperator<EngineConfig.Builder> config) {
        this.engine = engine(ordering, config);
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
        this.consumer.assignAtZero(P0, P1);
    }

    private AckflowEngine engine(Ordering ordering, UnaryOperator<EngineConfig.Builder> config) {
        return AckflowEngine.builder()
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
