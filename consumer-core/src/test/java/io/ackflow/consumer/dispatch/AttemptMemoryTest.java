package io.ackflow.consumer.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.junit.jupiter.api.Test;

import io.ackflow.consumer.SubscriptionStats;
import io.ackflow.consumer.failure.ErrorPolicy;
import io.ackflow.consumer.failure.Recovery;
import io.ackflow.consumer.failure.RetryBackOff;
import io.ackflow.consumer.tracking.TrackedRecord;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exactly-once attempts across aborts: each test fails a delivery, then reads its record again
 * as the engine would after the abort, and asserts what the new delivery carries.
 */
class AttemptMemoryTest {

    /** Abort requests, in order, as "coordinates+delay". */
    private final List<String> aborts = new ArrayList<>();

    private final SubscriptionStats stats = new SubscriptionStats();

    private final ErrorPolicy oneRetry = ErrorPolicy.builder()
        .backOff(RetryBackOff.fixed(Duration.ofMillis(200), 1))
        .recovery(Recovery.DEAD_LETTER)
        .deadLetterPublisher((failed) -> {
        })
        .deadLetterRetryInterval(Duration.ofMillis(1500))
        .notRetryable(IllegalArgumentException.class)
        .build();

    private final AttemptMemory memory = new AttemptMemory("s", this.oneRetry, this.stats,
            (record, delay) -> this.aborts.add(record + "+" + delay));

    @Test
    void aRetryableFailureAbortsWithItsBackOffDelayAndTheRecordComesBackWithItsAttempts() {
        Delivery first = failedCall(0, 5, 1);
        IllegalStateException failure = new IllegalStateException("downstream down");
        this.memory.abort(first, failure);
        assertThat(this.aborts).containsExactly("t-0@5+200");
        assertThat(first.tracked.tracker().handlersRunning()).as("the delivery is done with its record").isZero();
        assertThat(this.stats.retried()).isEqualTo(1);

        Delivery second = readAgain(0, 5);
        assertThat(second.attempts).isEqualTo(1);
        assertThat(second.backOff).isNotNull();
        assertThat(second.recovering).as("a retry is left: the handler is called again").isNull();

        second.attempts++;
        this.memory.abort(second, failure);
        assertThat(this.aborts).containsExactly("t-0@5+200", "t-0@5+0");
        assertThat(this.stats.failed()).isEqualTo(1);
        Delivery third = readAgain(0, 5);
        assertThat(third.attempts).isEqualTo(2);
        assertThat(third.recovering).as("no retry left: straight to the recovery").isSameAs(failure);
    }

    @Test
    void aNotRetryableFailureGoesToItsRecoveryWhenTheRecordIsReadAgain() {
        IllegalArgumentException failure = new IllegalArgumentException("bad order");
        this.memory.abort(failedCall(0, 5, 1), failure);
        assertThat(this.aborts).containsExactly("t-0@5+0");
        assertThat(this.stats.retried()).isZero();
        assertThat(readAgain(0, 5).recovering).isSameAs(failure);
    }

    @Test
    void aRecordThatCannotBeDeserializedWhenReadAgainIsNotSentToTheHandlersRecovery() {
        this.memory.abort(failedCall(0, 5, 1), new IllegalArgumentException("bad order"));
        Delivery poisonPill = Delivery.undeserializable(track(0, 5), 0,
                new RecordDeserializationException(new TopicPartition("t", 0), 5, "bad bytes", null));
        this.memory.resume(poisonPill);
        poisonPill.applyResumedRecovery();
        assertThat(poisonPill.attempts).isEqualTo(1);
        assertThat(poisonPill.recovering).isNull();
    }

    @Test
    void aFailureAfterTheRecordWasRetiredAbortsButIsNotRemembered() {
        Delivery late = failedCall(0, 5, 1);
        late.tracked.tracker().retire();
        this.memory.abort(late, new IllegalStateException("too late"));
        assertThat(this.aborts).containsExactly("t-0@5+0");
        assertThat(late.tracked.tracker().handlersRunning()).isZero();
        assertThat(this.stats.retried()).isZero();
        assertThat(this.stats.failed()).isZero();
        assertThat(readAgain(0, 5).attempts).as("attempts afresh").isZero();
    }

    @Test
    void aFailedDeadLetterSendAbortsWithTheResendIntervalAndRecoversAgainOnTheNextRead() {
        IllegalStateException failure = new IllegalStateException("declined");
        this.memory.deadLetterFailed(failedCall(0, 5, 2), failure, new IllegalStateException("broker down"));
        assertThat(this.aborts).containsExactly("t-0@5+1500");
        Delivery again = readAgain(0, 5);
        assertThat(again.attempts).isEqualTo(2);
        assertThat(again.recovering).isSameAs(failure);
    }

    @Test
    void committedOffsetsForgetTheAttemptsBelowThemOnly() {
        IllegalArgumentException failure = new IllegalArgumentException("bad order");
        this.memory.abort(failedCall(0, 5, 1), failure);
        this.memory.abort(failedCall(0, 7, 1), failure);
        this.memory.abort(failedCall(1, 5, 1), failure);
        this.memory.forgetCommitted(Map.of(new TopicPartition("t", 0), 7L));
        assertThat(readAgain(0, 5).recovering).isNull();
        assertThat(readAgain(0, 7).recovering).isSameAs(failure);
        assertThat(readAgain(1, 5).recovering).isSameAs(failure);
    }

    @Test
    void partitionsThatWentForgetTheirAttempts() {
        IllegalArgumentException failure = new IllegalArgumentException("bad order");
        this.memory.abort(failedCall(0, 5, 1), failure);
        this.memory.abort(failedCall(1, 5, 1), failure);
        this.memory.forgetAttempts(Set.of(new TopicPartition("t", 1)));
        assertThat(readAgain(0, 5).recovering).isSameAs(failure);
        assertThat(readAgain(1, 5).recovering).isNull();
    }

    @Test
    void atLeastOnceRetriesInPlaceAndRemembersNothing() {
        IllegalArgumentException failure = new IllegalArgumentException("bad order");
        Delivery delivery = failedCall(0, 5, 1);
        assertThat(FailedAttempts.IN_PLACE.takeOver(delivery, failure)).isNull();
        assertThat(FailedAttempts.IN_PLACE.publishFailed(delivery, failure, new IllegalStateException("DLT down"))).isNull();
        assertThat(this.aborts).isEmpty();
        assertThat(this.memory.takeOver(failedCall(0, 6, 1), failure)).as("exactly-once aborts instead")
            .isEqualTo(Step.ABANDON);
    }

    /** A delivery taken to run, whose handler has been called {@code attempts} times. */
    private Delivery failedCall(int partition, long offset, int attempts) {
        Delivery delivery = Deliveries.of(track(partition, offset));
        delivery.tracked.taken();
        delivery.attempts = attempts;
        return delivery;
    }

    /** The record read again after the abort, as the runner queues it. */
    private Delivery readAgain(int partition, long offset) {
        Delivery delivery = Deliveries.of(track(partition, offset));
        this.memory.resume(delivery);
        delivery.applyResumedRecovery();
        return delivery;
    }

    private static TrackedRecord track(int partition, long offset) {
        return Deliveries.track(Deliveries.tracker(partition), offset, null, (record) -> {
        });
    }

}
