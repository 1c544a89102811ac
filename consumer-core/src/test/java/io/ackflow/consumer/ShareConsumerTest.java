package io.ackflow.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;

import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.Recovery;
import io.ackflow.consumer.share.ShareLoop;
import io.ackflow.consumer.state.ShareSnapshot;
import io.ackflow.consumer.testing.MutableClock;
import io.ackflow.consumer.testing.RecordingShareConsumer;

import static io.ackflow.consumer.testing.RecordingShareConsumer.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * A share consumer's loop on a recording {@code MockShareConsumer}, step by step on the test
 * thread, with a clock the test moves: what it acknowledges, when, and how each acknowledgement
 * reaches the broker.
 */
class ShareConsumerTest {

    private final MutableClock clock = new MutableClock();

    private final RecordingShareConsumer consumer = new RecordingShareConsumer();

    /** Per subscription and record ({@code audit:0@3}), the stage the test completes. */
    private final Map<String, CompletableFuture<Void>> running = new ConcurrentHashMap<>();

    private final List<String> seen = Collections.synchronizedList(new ArrayList<>());

    private AckflowEngine engine;

    private ShareLoop loop;

    @Test
    void aRecordIsAcceptedOnceWhenBothSubscriptionsReleasedIt() {
        start(ErrorPolicy.DEFAULT);
        this.consumer.addRecord(record("jobs", 0, 1));
        this.consumer.addRecord(record("jobs", 1, 1));
        this.loop.runOnce();
        assertThat(this.seen).containsExactlyInAnyOrder("audit:0@0", "charge:0@0", "audit:0@1", "charge:0@1");

        this.running.get("audit:0@0").complete(null);
        this.running.get("charge:0@1").complete(null);
        this.loop.runOnce();
        assertThat(this.consumer.acknowledgements()).as("each still held by one of its two subscriptions").isEmpty();

        this.running.get("charge:0@0").complete(null);
        this.loop.runOnce();
        assertThat(this.consumer.acknowledgements()).containsExactly("0@0=ACCEPT");
        this.running.get("audit:0@1").complete(null);
        this.loop.runOnce();
        assertThat(this.consumer.acknowledgements()).containsExactly("0@0=ACCEPT", "0@1=ACCEPT");
        assertThat(this.consumer.sent()).as("sent with the next poll").isEmpty();

        this.loop.runOnce();
        assertThat(this.consumer.sent()).containsExactly("0@0=ACCEPT", "0@1=ACCEPT");
        assertThat(this.engine.shareStats().accepted()).isEqualTo(2);
        assertThat(this.engine.shareStats().acquired()).isEqualTo(2);
    }

    @Test
    void acknowledgementsOfABatchStillInHandAreSentAtTheCommitInterval() {
        start(ErrorPolicy.DEFAULT);
        this.consumer.addRecord(record("jobs", 0, 1));
        this.consumer.addRecord(record("jobs", 1, 1));
        this.loop.runOnce();
        complete("0@0");
        this.loop.runOnce();
        assertThat(this.consumer.sent()).isEmpty();
        this.clock.advance(EngineConfig.DEFAULT_COMMIT_INTERVAL);
        this.loop.runOnce();
        assertThat(this.consumer.sent()).containsExactly("0@0=ACCEPT");
        assertThat(this.consumer.commits()).isEqualTo(1);
    }

    @Test
    void aReleaseRecoveryReleasesTheRecordOnceEverySubscriptionIsDoneAndTheOtherOneStillRuns() {
        start(ErrorPolicy.builder().recovery(Recovery.RELEASE).build());
        this.consumer.addRecord(record("jobs", 0, 1));
        this.loop.runOnce();
        this.running.get("audit:0@0").completeExceptionally(new IllegalStateException("not yet"));
        this.loop.runOnce();
        assertThat(this.consumer.acknowledgements()).as("charge still holds it").isEmpty();
        this.running.get("charge:0@0").complete(null);
        this.loop.runOnce();
        assertThat(this.consumer.acknowledgements()).containsExactly("0@0=RELEASE");
        assertThat(this.engine.shareStats().released()).isEqualTo(1);
        assertThat(this.engine.shareStats().accepted()).isZero();
    }

    @Test
    void rejectWinsOverReleaseWhenTwoSubscriptionsRecoverDifferently() {
        start(ErrorPolicy.builder().recovery(Recovery.REJECT).build());
        this.consumer.addRecord(record("jobs", 0, 3));
        this.loop.runOnce();
        this.running.get("audit:0@0").completeExceptionally(new IllegalStateException("bad"));
        this.running.get("charge:0@0").complete(null);
        this.loop.runOnce();
        assertThat(this.consumer.acknowledgements()).containsExactly("0@0=REJECT");
        assertThat(this.engine.shareStats().rejected()).isEqualTo(1);
    }

    @Test
    void recordsHeldPastFourFifthsOfTheLockAreReportedAndAtExpiryWrittenOffAndTheirLateCompletionIsNotAcknowledged() {
        start(ErrorPolicy.DEFAULT);
        this.consumer.addRecord(record("jobs", 0, 1));
        this.consumer.addRecord(record("jobs", 1, 2));
        this.loop.runOnce();
        complete("0@0");
        this.clock.advance(Duration.ofSeconds(23));
        this.loop.runOnce();
        assertThat(this.engine.shareStats().lockWarnings()).isZero();
        this.clock.advance(Duration.ofSeconds(1));
        this.loop.runOnce();
        assertThat(this.engine.shareStats().lockWarnings()).isEqualTo(1);
        ShareSnapshot held = this.loop.shareSnapshot();
        assertThat(held.acquired()).isEqualTo(1);
        assertThat(held.lockWarning()).isTrue();
        assertThat(held.oldest()).singleElement().satisfies((record) -> {
            assertThat(record.record()).isEqualTo("jobs-0@1");
            assertThat(record.deliveryCount()).isEqualTo(2);
            assertThat(record.holders()).containsExactlyInAnyOrder("audit", "charge");
        });

        this.clock.advance(Duration.ofSeconds(6));
        this.loop.runOnce();
        assertThat(this.consumer.acknowledgements()).as("written off so that the consumer may poll again")
            .containsExactly("0@0=ACCEPT", "0@1=RELEASE");
        assertThat(this.engine.shareStats().expired()).isEqualTo(1);
        assertThat(this.engine.shareStats().released()).as("an expiry is no release of ours").isZero();

        complete("0@1");
        this.loop.runOnce();
        assertThat(this.consumer.acknowledgements()).hasSize(2);
        assertThat(this.engine.shareStats().lateCompletions()).isEqualTo(1);
        assertThat(this.engine.shareStats().accepted()).isEqualTo(1);
    }

    @Test
    void stopReleasesWhatWasAcquiredButNeverStartedAndSettlesWhatFinished() {
        start(ErrorPolicy.DEFAULT, 1);
        this.consumer.addRecord(record("jobs", 0, 1));
        this.consumer.addRecord(record("jobs", 1, 1));
        this.consumer.addRecord(record("jobs", 2, 1));
        this.loop.runOnce();
        assertThat(this.seen).containsExactlyInAnyOrder("audit:0@0", "charge:0@0");
        complete("0@0");
        this.loop.requestStop();
        this.loop.run();
        assertThat(this.seen).as("nothing more started").hasSize(4).contains("audit:0@1", "charge:0@1");
        assertThat(this.consumer.sent()).containsExactlyInAnyOrder("0@0=ACCEPT", "0@1=RELEASE", "0@2=RELEASE");
    }

    @Test
    void aWakeupLeftByTheStopDoesNotCostTheLastAcknowledgementsTheirCommit() {
        start(ErrorPolicy.DEFAULT, 1);
        this.consumer.addRecord(record("jobs", 0, 1));
        this.loop.runOnce();
        complete("0@0");
        int commitsBefore = this.consumer.commits();
        this.consumer.wakeupBeforeNextCommit();
        this.loop.requestStop();
        this.loop.run();
        assertThat(this.consumer.commits()).as("the commit is asked again after the stray wakeup")
            .isEqualTo(commitsBefore + 1);
        assertThat(this.consumer.sent()).containsExactly("0@0=ACCEPT");
    }

    @Test
    void aShareConsumerRefusesOrderedSubscriptions() {
        assertThatIllegalArgumentException().isThrownBy(() -> AckflowEngine.builder().name("jobs")
            .shareConsumer("workers", () -> this.consumer)
            .subscription(Subscription.builder("audit").topics("jobs").ordering(Ordering.KEY)
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> {
                }))
                .build())
            .build())
            .withMessage("Engine 'jobs': subscription 'audit' orders by KEY, but a share consumer can only run"
                    + " UNORDERED: the broker hands the records of one partition to several members at once, so no"
                    + " member sees a partition's or a key's records in order");
    }

    @Test
    void aShareConsumerRefusesBatchHandlers() {
        assertThatIllegalArgumentException().isThrownBy(() -> AckflowEngine.builder().name("jobs")
            .shareConsumer("workers", () -> this.consumer)
            .subscription(Subscription.builder("rows").topics("jobs")
                .ordering(Ordering.UNORDERED)
                .batchHandler(BatchHandler.<byte[], byte[]>blocking((records) -> {
                }))
                .build())
            .build())
            .withMessageStartingWith("Engine 'jobs': subscription 'rows' is a batch handler, which a share consumer"
                    + " does not run: in explicit acknowledgement mode the consumer polls again only once every record"
                    + " of its last poll is settled");
    }

    @Test
    void aConsumerGroupRefusesShareRecoveries() {
        assertThatIllegalArgumentException().isThrownBy(() -> AckflowEngine.builder().name("orders")
            .consumerFactory(() -> null)
            .subscription(Subscription.builder("audit").topics("orders")
                .errorPolicy(ErrorPolicy.builder().recovery(Recovery.REJECT).build())
                .handler(RecordHandler.<byte[], byte[]>blocking((record) -> {
                }))
                .build())
            .build())
            .withMessageContaining("subscription 'audit' recovers with REJECT, which only a share consumer can do");
    }

    private void complete(String coordinates) {
        this.running.get("audit:" + coordinates).complete(null);
        this.running.get("charge:" + coordinates).complete(null);
    }

    private void start(ErrorPolicy policy) {
        start(policy, 16);
    }

    private void start(ErrorPolicy policy, int concurrency) {
        EngineConfig config = EngineConfig.builder().clock(this.clock).pollTimeout(Duration.ofMillis(1))
            .shutdownTimeout(Duration.ZERO).build();
        AckflowEngine.Builder builder = AckflowEngine.builder().name("jobs").config(config)
            .shareConsumer("workers", () -> this.consumer);
        for (String id : List.of("audit", "charge")) {
            builder.subscription(Subscription.builder(id).topics("jobs").ordering(Ordering.UNORDERED)
                .concurrency(concurrency).errorPolicy(policy)
                .handler((RecordHandler<byte[], byte[]>) (record) -> {
                    String key = id + ":" + record.partition() + "@" + record.offset();
                    this.seen.add(key);
                    CompletableFuture<Void> done = new CompletableFuture<>();
                    this.running.put(key, done);
                    return done;
                })
                .build());
        }
        this.engine = builder.build();
        this.loop = this.engine.newShareLoop(Runnable::run);
        this.loop.subscribe();
    }

}
