package io.ackflow.consumer.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.SubscriptionStats;
import io.ackflow.consumer.failure.DeadLetterPublisher;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.FailedRecord;
import io.ackflow.consumer.failure.Recovery;
import io.ackflow.consumer.failure.RetryBackOff;
import io.ackflow.consumer.failure.SkipRecordException;
import io.ackflow.consumer.failure.SubscriptionFailedException;
import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The error policy's decisions, one attempt at a time, with no runner around them: each test
 * settles a taken delivery and asserts the step, the release, the counts and what was asked of
 * the dead-letter topic, the engine and the transaction.
 */
class SettlementTest {

    private static final IllegalStateException DOWN = new IllegalStateException("downstream down");

    /** Not retryable under every policy here. */
    private static final IllegalArgumentException BAD_ORDER = new IllegalArgumentException("bad order");

    private final OffsetTracker tracker = Deliveries.tracker(0);

    private final List<String> acked = new ArrayList<>();

    private final List<FailedRecord> deadLetters = new ArrayList<>();

    private final List<Throwable> stops = new ArrayList<>();

    private final List<String> aborts = new ArrayList<>();

    private final AtomicBoolean stopping = new AtomicBoolean();

    private final SubscriptionStats stats = new SubscriptionStats();

    @Test
    void aSuccessReleasesTheRecord() {
        Delivery delivery = taken(0);
        assertThat(settlement(policy(Recovery.SKIP), null).settle(delivery, null)).isEqualTo(Step.DONE);
        assertThat(this.acked).containsExactly("t-0@0");
        assertThat(this.stats.handled()).isEqualTo(1);
        assertThat(this.tracker.handlersRunning()).isZero();
    }

    @Test
    void aRetryableFailureWaitsEachBackOffDelayThenGoesToItsRecovery() {
        Settlement settlement = settlement(policy(Recovery.SKIP), null);
        Delivery delivery = taken(0);
        List<Long> delays = new ArrayList<>();
        Step step;
        while ((step = settlement.settle(delivery, DOWN)) == Step.WAIT) {
            delays.add(delivery.retryDelayMillis);
            assertThat(this.tracker.handlersRunning()).as("a waiting retry counts as running").isEqualTo(1);
        }
        assertThat(delays).containsExactly(100L, 100L);
        assertThat(step).isEqualTo(Step.DONE);
        assertThat(this.acked).containsExactly("t-0@0");
        assertThat(this.stats.retried()).isEqualTo(2);
        assertThat(this.stats.failed()).isEqualTo(1);
        assertThat(this.tracker.handlersRunning()).isZero();
    }

    @Test
    void aSkipRecordExceptionReleasesWithoutRetryOrRecovery() {
        Delivery delivery = taken(0);
        Step step = settlement(policy(Recovery.DEAD_LETTER), null).settle(delivery, new SkipRecordException("not ours"));
        assertThat(step).isEqualTo(Step.DONE);
        assertThat(this.acked).containsExactly("t-0@0");
        assertThat(this.deadLetters).isEmpty();
        assertThat(this.stats.skipped()).isEqualTo(1);
        assertThat(this.stats.retried()).isZero();
    }

    @Test
    void aNotRetryableFailureIsDeadLetteredWithItsAttemptsAndReleased() {
        assertThat(settlement(policy(Recovery.DEAD_LETTER), null).settle(calledOnce(0), BAD_ORDER)).isEqualTo(Step.DONE);
        assertThat(this.deadLetters).singleElement().satisfies((failed) -> {
            assertThat(failed.coordinates()).isEqualTo("t-0@0");
            assertThat(failed.attempts()).isEqualTo(1);
            assertThat(failed.cause()).isSameAs(BAD_ORDER);
        });
        assertThat(this.acked).containsExactly("t-0@0");
        assertThat(this.stats.deadLettered()).isEqualTo(1);
    }

    @Test
    void aFailedDeadLetterSendWaitsTheResendIntervalAndRecoversOnTheNextTurn() {
        boolean[] brokerDown = { true };
        Settlement settlement = settlement(policy(Recovery.DEAD_LETTER, (failed) -> {
            if (brokerDown[0]) {
                throw new IllegalStateException("broker down");
            }
            this.deadLetters.add(failed);
        }), null);
        Delivery delivery = taken(0);
        assertThat(settlement.settle(delivery, BAD_ORDER)).isEqualTo(Step.WAIT);
        assertThat(delivery.retryDelayMillis).isEqualTo(1500);
        assertThat(delivery.recovering).isSameAs(BAD_ORDER);
        assertThat(this.acked).isEmpty();
        brokerDown[0] = false;
        assertThat(settlement.recover(delivery, delivery.recovering)).isEqualTo(Step.DONE);
        assertThat(this.deadLetters).hasSize(1);
        assertThat(this.acked).containsExactly("t-0@0");
    }

    @Test
    void underExactlyOnceAFailedDeadLetterSendAbortsTheTransaction() {
        Settlement settlement = settlement(policy(Recovery.DEAD_LETTER, (failed) -> {
            throw new IllegalStateException("broker down");
        }), this::abort);
        Delivery recovering = taken(0);
        recovering.recovering = DOWN;
        assertThat(settlement.recover(recovering, DOWN)).isEqualTo(Step.ABANDON);
        assertThat(this.aborts).containsExactly("t-0@0+1500");
        assertThat(this.acked).isEmpty();
        assertThat(this.tracker.handlersRunning()).isZero();
    }

    @Test
    void underExactlyOnceAHandlerFailureAbortsInsteadOfWaiting() {
        Delivery delivery = taken(0);
        assertThat(settlement(policy(Recovery.SKIP), this::abort).settle(delivery, DOWN)).isEqualTo(Step.ABANDON);
        assertThat(this.aborts).containsExactly("t-0@0+100");
        assertThat(this.acked).isEmpty();
        assertThat(this.tracker.handlersRunning()).isZero();
    }

    @Test
    void stopLeavesTheRecordUnreleasedAndAsksTheEngineToStop() {
        assertThat(settlement(policy(Recovery.STOP), null).settle(calledOnce(0), BAD_ORDER)).isEqualTo(Step.HALT);
        assertThat(this.acked).isEmpty();
        assertThat(this.stops).singleElement().isInstanceOf(SubscriptionFailedException.class)
            .satisfies((stop) -> assertThat(stop).hasMessageContaining("Subscription 's' failed on t-0@0")
                .hasCause(BAD_ORDER));
        assertThat(this.tracker.handlersRunning()).isZero();
    }

    @Test
    void aFailureWhileStoppingIsNeitherRetriedNorRecovered() {
        this.stopping.set(true);
        Delivery delivery = taken(0);
        assertThat(settlement(policy(Recovery.DEAD_LETTER), null).settle(delivery, DOWN)).isEqualTo(Step.HALT);
        assertThat(this.deadLetters).isEmpty();
        assertThat(this.stops).as("the engine is stopping already").isEmpty();
        assertThat(this.acked).isEmpty();
        assertThat(this.stats.failed()).isZero();
        assertThat(this.stats.retried()).isZero();
    }

    @Test
    void aFailureWhileItsPartitionDrainsIsLeftForTheNextOwnerWithoutAWait() {
        this.tracker.beginDrain();
        Delivery delivery = taken(0);
        assertThat(settlement(policy(Recovery.DEAD_LETTER), null).settle(delivery, DOWN)).isEqualTo(Step.ABANDON);
        assertThat(this.deadLetters).isEmpty();
        assertThat(this.acked).isEmpty();
        assertThat(this.stats.retried()).isZero();
        assertThat(this.tracker.handlersRunning()).isZero();
    }

    @Test
    void aRecordThatCannotBeDeserializedGoesToItsRecoveryWithoutRetryEvenUnderExactlyOnce() {
        TrackedRecord tracked = track(0);
        tracked.taken();
        RecordDeserializationException failure = new RecordDeserializationException(new TopicPartition("t", 0), 0,
                "bad bytes", null);
        Delivery poisonPill = Delivery.undeserializable(tracked, 0, failure);
        assertThat(settlement(policy(Recovery.DEAD_LETTER), this::abort).settle(poisonPill, failure)).isEqualTo(Step.DONE);
        assertThat(this.deadLetters).extracting(FailedRecord::attempts).containsExactly(0);
        assertThat(this.aborts).isEmpty();
        assertThat(this.stats.failed()).isEqualTo(1);
        assertThat(this.acked).containsExactly("t-0@0");
    }

    @Test
    void aDeliveryThatCannotRunStaysUnreleasedAndStopsTheEngineUnlessItIsStoppingAlready() {
        Settlement settlement = settlement(policy(Recovery.SKIP), null);
        Delivery refused = taken(0);
        settlement.cannotRun(refused, "the handler executor rejected it");
        assertThat(this.stops).singleElement().satisfies((stop) -> assertThat(stop)
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("Subscription 's' cannot run t-0@0: the handler executor rejected it"));
        this.stopping.set(true);
        settlement.cannotRun(taken(1), "the handler executor rejected it");
        assertThat(this.stops).hasSize(1);
        assertThat(this.acked).isEmpty();
        assertThat(this.tracker.handlersRunning()).isZero();
    }

    @Test
    void theRecoveryOfARetiredRecordOnlyReleasesIt() {
        Delivery delivery = taken(0);
        this.tracker.retire();
        assertThat(settlement(policy(Recovery.STOP), null).recover(delivery, DOWN)).isEqualTo(Step.DONE);
        assertThat(this.stops).isEmpty();
        assertThat(this.acked).containsExactly("t-0@0");
    }

    private Settlement settlement(ErrorPolicy policy, SubscriptionRunner.TransactionAbort abort) {
        FailedAttempts attempts = (abort != null) ? new AttemptMemory("s", policy, this.stats, abort) : FailedAttempts.IN_PLACE;
        return new Settlement("s", policy, this.stats, attempts, this.stops::add,
                this.stopping::get);
    }

    private ErrorPolicy policy(Recovery recovery) {
        return policy(recovery, this.deadLetters::add);
    }

    /** Two retries 100 ms apart; IllegalArgumentException is not retried; dead letters are resent after 1.5 s. */
    private static ErrorPolicy policy(Recovery recovery, DeadLetterPublisher publisher) {
        ErrorPolicy.Builder builder = ErrorPolicy.builder()
            .backOff(RetryBackOff.fixed(Duration.ofMillis(100), 2))
            .recovery(recovery)
            .notRetryable(IllegalArgumentException.class)
            .deadLetterRetryInterval(Duration.ofMillis(1500));
        if (recovery == Recovery.DEAD_LETTER) {
            builder.deadLetterPublisher(publisher);
        }
        return builder.build();
    }

    private void abort(TrackedRecord record, long delay) {
        this.aborts.add(record + "+" + delay);
    }

    /** A delivery taken from its lane, as the runner hands it to its first turn. */
    private Delivery taken(long offset) {
        TrackedRecord tracked = track(offset);
        tracked.taken();
        return Deliveries.of(tracked);
    }

    /** A taken delivery whose handler was called once. */
    private Delivery calledOnce(long offset) {
        Delivery delivery = taken(offset);
        delivery.attempts = 1;
        return delivery;
    }

    private TrackedRecord track(long offset) {
        return Deliveries.track(this.tracker, offset, null, (record) -> this.acked.add(record.toString()));
    }

}
