package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import io.ackflow.consumer.flow.PauseReason;
import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.state.EngineSnapshot;
import io.ackflow.consumer.state.LivelockDetector;
import io.ackflow.consumer.state.PartitionSnapshot;
import io.ackflow.consumer.testing.MutableClock;
import io.ackflow.consumer.testing.MutableTicker;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * In-flight bounds, the stuck-partition warning and rebalance listeners, on MockConsumer with a
 * clock the test moves.
 */
class FlowAndLivelockTest {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private final MutableClock clock = new MutableClock();

    private final RecordingConsumer consumer = new RecordingConsumer();

    private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

    private final ListAppender<ILoggingEvent> warnings = new ListAppender<>();

    private final Logger livelockLogger = (Logger) LoggerFactory.getLogger(LivelockDetector.class);

    private AckflowEngine engine;

    private PollLoop loop;

    @AfterEach
    void detachAppender() {
        this.livelockLogger.detachAppender(this.warnings);
    }

    @Test
    void partitionOverItsBoundIsPausedAndResumesAtTheLowMark() {
        start(Ordering.UNORDERED, 100, (config) -> config.maxInFlightPerPartition(4).lowMark(0.5));
        add(P0, 0, 6);
        add(P1, 0, 1);
        this.loop.runOnce();
        assertThat(this.consumer.paused()).containsExactly(P0);
        assertThat(this.loop.pauseReasons(P0)).containsExactly(PauseReason.FLOW_CONTROL);

        complete(P0, 0, 1, 2);
        this.loop.runOnce();
        assertThat(this.consumer.paused()).as("3 in flight, low mark 2").containsExactly(P0);

        complete(P0, 3);
        this.loop.runOnce();
        assertThat(this.consumer.paused()).isEmpty();
        assertThat(this.loop.pauseReasons(P0)).isEmpty();
    }

    @Test
    void ackedRecordsAboveAStuckOneStillCountAsInFlight() {
        start(Ordering.UNORDERED, 100, (config) -> config.maxInFlightPerPartition(4).lowMark(0.5));
        add(P0, 0, 5);
        this.loop.runOnce();
        complete(P0, 1, 2, 3, 4);
        this.loop.runOnce();
        assertThat(this.consumer.paused()).as("offset 0 holds the window open").containsExactly(P0);
        complete(P0, 0);
        this.loop.runOnce();
        assertThat(this.consumer.paused()).isEmpty();
    }

    @Test
    void totalBoundPausesEveryPartitionUntilTheSumIsDownToTheLowMark() {
        start(Ordering.UNORDERED, 100, (config) -> config.maxInFlight(6).maxInFlightPerPartition(100).lowMark(0.5));
        add(P0, 0, 3);
        add(P1, 0, 3);
        this.loop.runOnce();
        assertThat(this.consumer.paused()).containsExactlyInAnyOrder(P0, P1);
        complete(P0, 0, 1);
        this.loop.runOnce();
        assertThat(this.consumer.paused()).as("4 in flight, low mark 3").containsExactlyInAnyOrder(P0, P1);
        complete(P1, 0);
        this.loop.runOnce();
        assertThat(this.consumer.paused()).isEmpty();
    }

    @Test
    void aRecordThatHoldsARevokeIsReportedStuckWhileTheDrainWaitsForIt() {
        captureWarnings();
        start(Ordering.PARTITION, 1, (config) -> config.commitLivelockSoftTimeout(Duration.ofSeconds(60))
            .rebalanceDrainTimeout(Duration.ofSeconds(30)).ticker(MutableTicker.steppingBy(Duration.ofSeconds(1))));
        add(P0, 0, 1);
        this.loop.runOnce();
        this.clock.advance(Duration.ofSeconds(61));

        this.consumer.rebalance(List.of(P1));

        assertThat(this.warnings.list).extracting(ILoggingEvent::getFormattedMessage).as("reported by the drain's wait,"
                + " with no turn of the loop in between").singleElement().asString()
            .startsWith("Partition orders-0 is stuck at offset 0: in progress for PT1M1S and still held by subscriptions"
                    + " [async]");
        assertThat(this.consumer.commits()).as("the drain timed out: nothing of orders-0 is acked").isEmpty();
    }

    @Test
    void stuckPartitionIsReportedOncePerTimeoutNamingOffsetHoldersAndThread() {
        captureWarnings();
        start(Ordering.PARTITION, 1, (config) -> config.commitLivelockSoftTimeout(Duration.ofSeconds(60)));
        add(P0, 0, 2);
        add(P1, 0, 1);
        this.loop.runOnce();

        this.clock.advance(Duration.ofSeconds(59));
        this.loop.runOnce();
        assertThat(this.warnings.list).isEmpty();

        this.clock.advance(Duration.ofSeconds(1));
        this.loop.runOnce();
        assertThat(this.warnings.list).hasSize(1);
        assertThat(this.warnings.list.get(0).getFormattedMessage())
            .isEqualTo("Partition orders-0 is stuck at offset 0: in progress for PT1M and still held by subscriptions"
                    + " [async] (running: async since 2026-01-01T00:00:00Z on thread '" + Thread.currentThread().getName()
                    + "'); no later offset of the partition is committed until it is released");
        assertThat(this.engine.stats().stuckPartitionReports()).as("orders-1@0 is queued, not running").isEqualTo(1);
        EngineSnapshot snapshot = this.loop.snapshot();
        assertThat(snapshot.stuckPartitions()).extracting(PartitionSnapshot::partition).containsExactly(P0);
        PartitionSnapshot stuck = snapshot.partitions().get(0);
        assertThat(stuck.oldestPendingOffset()).isZero();
        assertThat(stuck.oldestPendingHolders()).containsExactly("async");
        assertThat(stuck.oldestPendingStartedAt()).isEqualTo(java.time.Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(stuck.oldestPendingThread()).isEqualTo(Thread.currentThread().getName());
        assertThat(stuck.inFlight()).isEqualTo(2);
        assertThat(stuck.committable()).isZero();
        PartitionSnapshot queued = snapshot.partitions().get(1);
        assertThat(queued.partition()).isEqualTo(P1);
        assertThat(queued.stuck()).isFalse();
        assertThat(queued.oldestPendingOffset()).isZero();
        assertThat(queued.oldestPendingStartedAt()).as("queued, never started").isNull();

        this.clock.advance(Duration.ofSeconds(59));
        this.loop.runOnce();
        assertThat(this.warnings.list).hasSize(1);
        this.clock.advance(Duration.ofSeconds(1));
        this.loop.runOnce();
        assertThat(this.warnings.list).hasSize(2);

        complete(P0, 0);
        this.loop.runOnce();
        this.clock.advance(Duration.ofSeconds(59));
        this.loop.runOnce();
        assertThat(this.warnings.list).as("orders-1@0 started only when orders-0@0 was released").hasSize(2);
        this.clock.advance(Duration.ofSeconds(1));
        this.loop.runOnce();
        assertThat(this.warnings.list).hasSize(3);
        assertThat(this.warnings.list.get(2).getFormattedMessage()).startsWith("Partition orders-1 is stuck at offset 0:"
                + " in progress for PT1M");
    }

    @Test
    void recordDoneByOneSubscriptionAndQueuedForAnotherIsNotStuck() {
        captureWarnings();
        List<String> audited = new ArrayList<>();
        this.engine = AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .config(EngineConfig.builder().clock(this.clock).commitLivelockSoftTimeout(Duration.ofSeconds(60)).build())
            .subscription(Subscription.builder("audit").topics("orders")
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> audited.add(record.partition() + "@" + record.offset())))
                .build())
            .subscription(Subscription.builder("charge").topics("orders").concurrency(1)
                .handler((record) -> this.inFlight.computeIfAbsent(record.partition() + "@" + record.offset(),
                        (k) -> new CompletableFuture<>()))
                .build())
            .build();
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
        this.consumer.assignAtZero(P0, P1);
        add(P0, 0, 1);
        add(P1, 0, 1);
        this.loop.runOnce();
        assertThat(audited).containsExactlyInAnyOrder("0@0", "1@0");

        this.clock.advance(Duration.ofSeconds(90));
        this.loop.runOnce();

        assertThat(this.warnings.list).extracting(ILoggingEvent::getFormattedMessage).singleElement().asString()
            .startsWith("Partition orders-0 is stuck at offset 0: in progress for PT1M30S and still held by"
                    + " subscriptions [charge] (running: charge since 2026-01-01T00:00:00Z");
        assertThat(this.loop.snapshot().stuckPartitions()).extracting(PartitionSnapshot::partition).containsExactly(P0);
    }

    @Test
    void rebalanceListenersHearAssignmentWithGenerationAndRevokeAfterTheCommit() {
        List<String> heard = new ArrayList<>();
        RebalanceListener listener = new RebalanceListener() {
            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions, int generationId) {
                heard.add("assigned " + partitions + " generation " + generationId);
            }

            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                heard.add("revoked " + partitions + " after commits " + FlowAndLivelockTest.this.consumer.commits());
            }
        };
        this.engine = AckflowEngine.builder().consumerFactory(() -> this.consumer)
            .config(EngineConfig.builder().clock(this.clock).build())
            .subscription(Subscription.builder("s").topics("orders").handler((record) -> null).build())
            .rebalanceListener(listener)
            .build();
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
        this.consumer.assignAtZero(P0);
        add(P0, 0, 2);
        this.loop.runOnce();
        this.consumer.rebalance(List.of());
        assertThat(heard).containsExactly("assigned [orders-0] generation " + this.consumer.groupMetadata().generationId(),
                "revoked [orders-0] after commits [{orders-0=2}]");
    }

    private void captureWarnings() {
        this.warnings.start();
        this.livelockLogger.addAppender(this.warnings);
    }

    private void start(Ordering ordering, int concurrency, UnaryOperator<EngineConfig.Builder> config) {
        this.engine = AckflowEngine.builder()
            .consumerFactory(() -> this.consumer)
            .config(config.apply(EngineConfig.builder().clock(this.clock)).build())
            .subscription(Subscription.builder("async").topics("orders").ordering(ordering)
                .concurrency(concurrency)
                .handler((record) -> this.inFlight.computeIfAbsent(record.partition() + "@" + record.offset(),
                        (k) -> new CompletableFuture<>()))
                .build())
            .build();
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
        this.consumer.assignAtZero(P0, P1);
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
