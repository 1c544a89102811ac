package io.ackflow.consumer;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.loop.PollLoop;
import io.ackflow.consumer.state.ProgressSnapshot;
import io.ackflow.consumer.testing.FaultyCoordinatorConsumer;
import io.ackflow.consumer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the poll thread publishes for health ({@link ProgressSnapshot}), on kafka-clients'
 * MockConsumer with a clock the test moves: its last return from poll while a rebalance listener
 * holds it, commits that keep failing until one succeeds or their partition goes, and the last
 * heartbeat read from the consumer's metric.
 */
class LoopProgressTest {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private static final Duration INTERVAL = Duration.ofSeconds(1);

    private static final String COMMIT_FAILURE = "org.apache.kafka.clients.consumer.RetriableCommitFailedException:"
            + " Offset commit failed with a retriable exception. You should retry committing the latest consumed offsets.";

    private final MutableClock clock = new MutableClock();

    private final FaultyCoordinatorConsumer consumer = new FaultyCoordinatorConsumer();

    private final CountDownLatch release = new CountDownLatch(1);

    private AckflowEngine engine;

    private PollLoop loop;

    @AfterEach
    void stop() throws InterruptedException {
        this.release.countDown();
        if (this.engine != null) {
            this.engine.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void aPollThreadHeldInItsFirstAssignmentIsAwayFromPollSinceTheLoopBegan() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        this.consumer.schedulePollTask(() -> this.consumer.assignAtZero(P0));
        Instant began = this.clock.instant();
        start(holdingOn((partitions) -> true, held));
        assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();

        this.clock.advance(Duration.ofMinutes(6));

        ProgressSnapshot progress = this.engine.snapshot().progress();
        assertThat(progress.startedAt()).isEqualTo(began);
        assertThat(progress.lastPollAt()).as("the first poll has not returned").isNull();
        assertThat(progress.awayFromPoll(this.clock.instant())).isEqualTo(Duration.ofMinutes(6));

        this.release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> this.engine.snapshot().progress().lastPollAt() != null);
        assertThat(this.engine.snapshot().progress().lastPollAt()).isEqualTo(this.clock.instant());
        assertThat(this.engine.snapshot().progress().awayFromPoll(this.clock.instant())).isZero();
    }

    @Test
    void aPollThreadHeldInARebalanceListenerKeepsItsLastPollUntilItComesBack() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        start(holdingOn((partitions) -> partitions.contains(P1), held));
        this.consumer.schedulePollTask(() -> this.consumer.assignAtZero(P0));
        // The clock stands still until the poll thread is held: every poll returns at this instant.
        Instant lastPoll = this.clock.instant();
        await().atMost(Duration.ofSeconds(10)).until(() -> this.engine.snapshot().partition(P0) != null);
        assertThat(this.engine.snapshot().progress().lastPollAt()).isEqualTo(lastPoll);

        this.consumer.schedulePollTask(() -> this.consumer.assignAtZero(P0, P1));
        assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
        this.clock.advance(Duration.ofMinutes(6));

        ProgressSnapshot progress = this.engine.snapshot().progress();
        assertThat(progress.lastPollAt()).isEqualTo(lastPoll);
        assertThat(progress.awayFromPoll(this.clock.instant())).isEqualTo(Duration.ofMinutes(6));

        this.release.countDown();
        await().atMost(Duration.ofSeconds(10))
            .until(() -> this.clock.instant().equals(this.engine.snapshot().progress().lastPollAt()));
        assertThat(this.engine.snapshot().progress().awayFromPoll(this.clock.instant())).isZero();
    }

    @Test
    void commitsThatKeepFailingArePublishedWithTheirPartitionsAndFirstFailureUntilOneSucceeds() {
        startOnTestThread();
        this.consumer.assignAtZero(P0, P1);
        addRecords(P0, 3);
        addRecords(P1, 2);
        this.loop.runOnce();
        this.consumer.failCommits();

        tick();
        Instant firstFailure = this.clock.instant();
        ProgressSnapshot failing = this.loop.snapshot().progress();
        assertThat(failing.commitFailures()).isEqualTo(1);
        assertThat(failing.commitsFailingSince()).isEqualTo(firstFailure);
        assertThat(failing.failingPartitions()).containsExactly(P0, P1);
        assertThat(failing.lastCommitFailure()).isEqualTo(COMMIT_FAILURE);

        tick();
        tick();
        failing = this.loop.snapshot().progress();
        assertThat(failing.commitFailures()).as("retried at every interval").isEqualTo(3);
        assertThat(failing.commitsFailingSince()).isEqualTo(firstFailure);
        assertThat(failing.commitsFailingFor(this.loop.snapshot().takenAt())).isEqualTo(INTERVAL.multipliedBy(2));

        this.consumer.commitsSucceed();
        tick();
        ProgressSnapshot committed = this.loop.snapshot().progress();
        assertThat(committed.commitFailures()).isZero();
        assertThat(committed.commitsFailingSince()).isNull();
        assertThat(committed.failingPartitions()).isEmpty();
        assertThat(committed.lastCommitFailure()).isNull();
        assertThat(this.consumer.committed(Set.of(P0, P1)).get(P0).offset()).isEqualTo(3);
        assertThat(this.consumer.committed(Set.of(P0, P1)).get(P1).offset()).isEqualTo(2);
    }

    @Test
    void aCommitTheGroupRefusedWhileRebalancingIsNotAFailure() {
        startOnTestThread();
        this.consumer.assignAtZero(P0);
        addRecords(P0, 3);
        this.loop.runOnce();
        this.consumer.failCommits(new RebalanceInProgressException("the group is rebalancing"));

        tick();
        tick();

        ProgressSnapshot progress = this.loop.snapshot().progress();
        assertThat(progress.commitFailures()).isZero();
        assertThat(progress.failingPartitions()).isEmpty();
        assertThat(this.engine.stats().commitFailures()).as("counted as failures all the same").isEqualTo(2);
    }

    @Test
    void aFailingPartitionThatIsRevokedNoLongerCounts() {
        startOnTestThread();
        this.consumer.assignAtZero(P0, P1);
        addRecords(P0, 3);
        this.loop.runOnce();
        this.consumer.failCommits();
        tick();
        assertThat(this.loop.snapshot().progress().failingPartitions()).containsExactly(P0);

        this.consumer.rebalance(List.of(P1));
        tick();

        ProgressSnapshot progress = this.loop.snapshot().progress();
        assertThat(progress.failingPartitions()).as("its commit on revoke failed too; its next owner commits it")
            .isEmpty();
        assertThat(progress.commitFailures()).isZero();
        assertThat(progress.commitsFailingSince()).isNull();
    }

    @Test
    void theLastHeartbeatIsReadFromTheConsumersMetricAndStaysWhileHeartbeatsStop() {
        startOnTestThread();
        Instant began = this.clock.instant();
        ProgressSnapshot none = this.loop.snapshot().progress();
        assertThat(none.heartbeatsReported()).isTrue();
        assertThat(none.brokerConnections()).isEqualTo(1);
        assertThat(none.lastHeartbeatAt()).as("the metric reads -1 before the first heartbeat").isNull();
        assertThat(none.withoutHeartbeatFor(began.plusSeconds(4))).as("counted from the start")
            .isEqualTo(Duration.ofSeconds(4));

        this.consumer.heartbeatSecondsAgo(0);
        tick();
        Instant heartbeat = this.clock.instant().minusMillis(999);
        assertThat(this.loop.snapshot().progress().lastHeartbeatAt()).as("no later than it was sent").isEqualTo(heartbeat);

        this.consumer.heartbeatSecondsAgo(10);
        this.clock.advance(Duration.ofSeconds(9));
        tick();
        ProgressSnapshot silent = this.loop.snapshot().progress();
        assertThat(silent.lastHeartbeatAt()).isEqualTo(heartbeat);
        assertThat(silent.withoutHeartbeatFor(this.loop.snapshot().takenAt())).isEqualTo(Duration.ofMillis(10_999));
    }

    @Test
    void aConsumerThatReportsNoHeartbeatsIsNeverWithoutOne() {
        RecordingConsumer plain = new RecordingConsumer();
        this.engine = builder(plain).build();
        this.loop = this.engine.newLoop(plain, Runnable::run);
        this.loop.subscribe();
        plain.assignAtZero(P0);
        this.clock.advance(Duration.ofMinutes(10));
        this.loop.runOnce();

        ProgressSnapshot progress = this.loop.snapshot().progress();
        assertThat(progress.heartbeatsReported()).isFalse();
        assertThat(progress.brokerConnections()).isEqualTo(-1);
        assertThat(progress.withoutHeartbeatFor(this.clock.instant())).isZero();
    }

    /** A rebalance listener that, on an assignment matching {@code when}, counts {@code held} down and waits for the release. */
    private RebalanceListener holdingOn(Predicate<Collection<TopicPartition>> when, CountDownLatch held) {
        return new RebalanceListener() {

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions, int generationId) {
                if (!when.test(partitions)) {
                    return;
                }
                held.countDown();
                try {
                    LoopProgressTest.this.release.await();
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }

        };
    }

    private void start(RebalanceListener listener) {
        this.engine = builder(this.consumer).rebalanceListener(listener).build();
        this.engine.start();
    }

    private void startOnTestThread() {
        this.engine = builder(this.consumer).build();
        this.loop = this.engine.newLoop(this.consumer, Runnable::run);
        this.loop.subscribe();
    }

    private AckflowEngine.Builder builder(org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer) {
        return AckflowEngine.builder()
            .name("orders-consumer")
            .consumerFactory(() -> consumer)
            .config(EngineConfig.builder().clock(this.clock).commitInterval(INTERVAL).offsetMaps(false)
                .shutdownTimeout(Duration.ofSeconds(1)).build())
            .subscription(Subscription.builder("audit").topics("orders")
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> { }))
                .build());
    }

    private void addRecords(TopicPartition partition, int count) {
        for (int offset = 0; offset < count; offset++) {
            this.consumer.addRecord(new ConsumerRecord<>(partition.topic(), partition.partition(), offset, null,
                    ("r" + offset).getBytes()));
        }
    }

    /** One commit interval later, one turn of the loop: a commit is due and a snapshot is published. */
    private void tick() {
        this.clock.advance(INTERVAL);
        this.loop.runOnce();
    }

}
