package io.ackflow.spring.actuate;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.RebalanceListener;
import io.ackflow.consumer.RecordHandler;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.testing.FaultyCoordinatorConsumer;
import io.ackflow.consumer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code ackflow} health of an engine that stops making progress, on kafka-clients'
 * MockConsumer with a clock the test moves: a poll thread held in a rebalance listener, commits
 * that keep failing, a group coordinator without heartbeats (and a classic member whose missing
 * heartbeats a rebalance may explain). Each is DOWN just past its limit, names what it concerns,
 * and is UP again once progress resumes.
 */
class AckflowHealthIndicatorTests {

    private static final String CONSUMER = "orders-consumer";

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private static final Duration INTERVAL = Duration.ofSeconds(1);

    private static final Duration HALF_INTERVAL = INTERVAL.dividedBy(2);

    /** Under the classic protocol: a rebalance may keep heartbeats away for up to a minute. */
    private static final HealthLimits LIMITS = new HealthLimits(Duration.ofMinutes(1), 3, Duration.ofSeconds(6),
            Duration.ofMinutes(1));

    private final MutableClock clock = new MutableClock();

    private final FaultyCoordinatorConsumer consumer = new FaultyCoordinatorConsumer();

    private final CountDownLatch release = new CountDownLatch(1);

    private final CountDownLatch held = new CountDownLatch(1);

    private AckflowEngine engine;

    private AckflowHealthIndicator health = new AckflowHealthIndicator(() -> Map.of(CONSUMER, this.engine),
            (name) -> LIMITS);

    @AfterEach
    void stop() throws InterruptedException {
        this.release.countDown();
        if (this.engine != null) {
            this.engine.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void aPollThreadHeldInARebalanceListenerIsDownPastTheLimitAndUpOnceItPollsAgain() throws Exception {
        start();
        // The clock stands still until the poll thread is held: every poll returns at this instant.
        Instant lastPoll = this.clock.instant();
        await().atMost(Duration.ofSeconds(10)).until(() -> this.engine.snapshot().partition(P0) != null);
        assertThat(consumerDetails(up())).isEqualTo(Map.of("state", "RUNNING"));

        this.consumer.schedulePollTask(() -> this.consumer.assignAtZero(P0, P1));
        assertThat(this.held.await(10, TimeUnit.SECONDS)).isTrue();
        this.clock.advance(Duration.ofMinutes(1));
        assertThat(this.health.health(true).getStatus()).as("at the limit, not past it").isEqualTo(Status.UP);
        this.clock.advance(Duration.ofMillis(1));

        assertThat(consumerDetails(down())).isEqualTo(Map.of("state", "RUNNING", "reasons", List.of("poll-stalled"),
                "pollStalled", Map.of("thread", "ackflow-poll-orders-consumer", "since", lastPoll.toString(),
                        "for", "PT1M0.001S", "limit", "PT1M")));

        this.release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> this.health.health(true).getStatus().equals(Status.UP));
    }

    @Test
    void commitsThatKeepFailingAreDownPastTheIntervalsAndUpOnceOneSucceeds() {
        start();
        await().atMost(Duration.ofSeconds(10)).until(() -> this.engine.stats().acked() == 3);
        this.consumer.failCommits();
        step(HALF_INTERVAL);
        commitStep();
        Instant firstFailure = this.clock.instant().minus(HALF_INTERVAL);
        commitStep();
        commitStep();
        assertThat(this.health.health(true).getStatus()).as("3 failures, for 2.5 s").isEqualTo(Status.UP);

        commitStep();

        assertThat(consumerDetails(down())).isEqualTo(Map.of("state", "RUNNING", "reasons", List.of("commits-failing"),
                "commitsFailing", Map.of("partitions", List.of("orders-0"), "failures", 4,
                        "since", firstFailure.toString(), "for", "PT3.5S", "limit", "PT3S", "lastFailure",
                        "org.apache.kafka.clients.consumer.RetriableCommitFailedException: Offset commit failed with"
                                + " a retriable exception. You should retry committing the latest consumed offsets.")));

        this.consumer.commitsSucceed();
        commitStep();
        assertThat(consumerDetails(up())).isEqualTo(Map.of("state", "RUNNING"));
        assertThat(this.consumer.committed(Set.of(P0)).get(P0).offset()).isEqualTo(3);
    }

    @Test
    void aCoordinatorWithoutHeartbeatsAndNoBrokerConnectedIsDownPastTheTimeoutAndUpOnceOneIsSent() {
        start();
        step(INTERVAL);
        Instant heartbeat = this.clock.instant().minusMillis(999);
        assertThat(up().getStatus()).isEqualTo(Status.UP);

        // No heartbeat since (kafka-clients' metric reads whole seconds since the last one), no connection.
        this.consumer.heartbeatSecondsAgo(6);
        this.consumer.connections(0);
        step(Duration.ofMillis(5_001));
        assertThat(this.health.health(true).getStatus()).as("6 s without, not more").isEqualTo(Status.UP);
        // The snapshot, and the heartbeat it read, is published every half second.
        step(Duration.ofMillis(500));

        assertThat(consumerDetails(down())).isEqualTo(Map.of("state", "RUNNING",
                "reasons", List.of("coordinator-unreachable"), "coordinatorUnreachable", Map.of("groupId",
                        "dummy.group.id", "brokerConnections", 0, "since", heartbeat.toString(), "for", "PT6.5S",
                        "limit", "PT6S")));

        this.consumer.heartbeatSecondsAgo(0);
        this.consumer.connections(1);
        step(INTERVAL);
        assertThat(consumerDetails(up())).isEqualTo(Map.of("state", "RUNNING"));
    }

    @Test
    void aClassicMemberWithoutHeartbeatsButConnectedIsUpForAsLongAsARebalanceMayWait() {
        start();
        step(INTERVAL);
        Instant heartbeat = this.clock.instant().minusMillis(999);

        // Its JoinGroup waits for a slow member: no heartbeat, the connections stay open.
        this.consumer.heartbeatSecondsAgo(6);
        step(Duration.ofMillis(5_501));
        assertThat(this.health.health(true).getStatus()).as("6.5 s: a rebalance may explain it").isEqualTo(Status.UP);
        this.consumer.heartbeatSecondsAgo(60);
        step(Duration.ofMillis(53_500));
        assertThat(this.health.health(true).getStatus()).as("60 s: the rebalance timeout, not more")
            .isEqualTo(Status.UP);
        step(Duration.ofMillis(500));

        assertThat(consumerDetails(down())).isEqualTo(Map.of("state", "RUNNING",
                "reasons", List.of("coordinator-unreachable"), "coordinatorUnreachable", Map.of("groupId",
                        "dummy.group.id", "brokerConnections", 1, "since", heartbeat.toString(), "for", "PT1M0.5S",
                        "limit", "PT6S")));
    }

    @Test
    void underTheConsumerProtocolASilentCoordinatorIsDownPastTheTimeoutThoughConnected() {
        this.health = new AckflowHealthIndicator(() -> Map.of(CONSUMER, this.engine),
                (name) -> new HealthLimits(Duration.ofMinutes(1), 3, Duration.ofSeconds(6), Duration.ZERO));
        start();
        step(INTERVAL);

        this.consumer.heartbeatSecondsAgo(6);
        step(Duration.ofMillis(5_001));
        assertThat(this.health.health(true).getStatus()).isEqualTo(Status.UP);
        step(Duration.ofMillis(500));

        assertThat(reasons(down())).containsExactly("coordinator-unreachable");
    }

    /**
     * An engine on the test's consumer, its clock and a listener that holds the poll thread once
     * {@code orders-1} is assigned; {@code orders-0} is assigned with three records, heartbeats
     * are being sent and commits succeed.
     */
    private void start() {
        this.consumer.heartbeatSecondsAgo(0);
        this.consumer.schedulePollTask(() -> {
            this.consumer.assignAtZero(P0);
            for (int offset = 0; offset < 3; offset++) {
                this.consumer.addRecord(new ConsumerRecord<>("orders", 0, offset, null, ("o" + offset).getBytes()));
            }
        });
        this.engine = AckflowEngine.builder()
            .name(CONSUMER)
            .consumerFactory(() -> this.consumer)
            .config(EngineConfig.builder().clock(this.clock).commitInterval(INTERVAL).offsetMaps(false)
                .shutdownTimeout(Duration.ofSeconds(1)).build())
            .subscription(Subscription.builder("audit").topics("orders")
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> { }))
                .build())
            .rebalanceListener(new RebalanceListener() {

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions, int generationId) {
                    if (partitions.contains(P1)) {
                        holdPollThread();
                    }
                }

            })
            .build();
        this.engine.start();
    }

    private void holdPollThread() {
        this.held.countDown();
        try {
            this.release.await();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * From half a second before a commit deadline: moves the clock to the deadline and waits for
     * that commit, then half a second on and waits for the snapshot, which shows the commit's
     * answer. (A snapshot published at the deadline itself may come from a turn that looked at
     * the clock for its commit before the clock moved.)
     */
    private void commitStep() {
        int attempts = this.consumer.commitAttempts();
        this.clock.advance(HALF_INTERVAL);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.consumer.commitAttempts() > attempts);
        step(HALF_INTERVAL);
    }

    /** Moves the clock and waits for the poll thread to publish at the new time. */
    private void step(Duration by) {
        this.clock.advance(by);
        Instant now = this.clock.instant();
        await().atMost(Duration.ofSeconds(10)).until(() -> now.equals(this.engine.snapshot().takenAt()));
    }

    private Health up() {
        Health health = this.health.health(true);
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        return health;
    }

    private Health down() {
        Health health = this.health.health(true);
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        return health;
    }

    @SuppressWarnings("unchecked")
    private static List<String> reasons(Health health) {
        return (List<String>) consumerDetails(health).get("reasons");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> consumerDetails(Health health) {
        return (Map<String, Object>) ((Map<String, Object>) health.getDetails().get("consumers")).get(CONSUMER);
    }

}
