package io.ackflow.consumer.flow;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Pause reasons kept apart, and the consumer's pauses kept in step with them, on MockConsumer. */
class PauseControllerTest {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private static final TopicPartition Q0 = new TopicPartition("payments", 0);

    /** As KafkaConsumer: an assignment starts unpaused, and a partition not assigned cannot be resumed. */
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest") {

        @Override
        public synchronized void assign(Collection<TopicPartition> partitions) {
            super.resume(paused());
            super.assign(partitions);
        }

        @Override
        public synchronized void resume(Collection<TopicPartition> partitions) {
            for (TopicPartition partition : partitions) {
                if (!assignment().contains(partition)) {
                    throw new IllegalStateException("No current assignment for partition " + partition);
                }
            }
            super.resume(partitions);
        }

    };

    private final PauseController pauses = new PauseController(this.consumer, new FlowControl(100, 10, 0.5));

    @BeforeEach
    void assign() {
        this.consumer.assign(List.of(P0, P1, Q0));
    }

    @Test
    void aPartitionIsFetchedAgainOnlyWhenItsLastReasonIsGone() {
        this.pauses.pause(P0, PauseReason.USER);
        this.pauses.pauseAll(PauseReason.TRANSACTION);
        assertThat(this.consumer.paused()).containsExactlyInAnyOrder(P0, P1, Q0);

        this.pauses.resumeAll(PauseReason.TRANSACTION);
        assertThat(this.consumer.paused()).containsExactly(P0);
        assertThat(this.pauses.reasons(P0)).containsExactly(PauseReason.USER);

        this.pauses.resume(P0, PauseReason.RETRY);
        assertThat(this.consumer.paused()).as("a reason it did not have changes nothing").containsExactly(P0);
        this.pauses.resume(P0, PauseReason.USER);
        assertThat(this.consumer.paused()).isEmpty();
        assertThat(this.pauses.reasons(P0)).isEmpty();
    }

    @Test
    void flowControlPausesAPartitionAtItsBoundAndResumesItAtTheLowMark() {
        long acksToResume = this.pauses.applyFlowControl(Map.of(P0, 10L, P1, 3L));
        assertThat(this.consumer.paused()).containsExactly(P0);
        assertThat(acksToResume).as("10 in flight down to the low mark of 5").isEqualTo(5);
        assertThat(this.pauses.anyFlowPaused()).isTrue();

        assertThat(this.pauses.applyFlowControl(Map.of(P0, 6L, P1, 3L))).isEqualTo(1);
        assertThat(this.consumer.paused()).containsExactly(P0);
        assertThat(this.pauses.applyFlowControl(Map.of(P0, 5L, P1, 3L))).isZero();
        assertThat(this.consumer.paused()).isEmpty();
    }

    @Test
    void whatTheApplicationPausedIsPausedAgainWhenAssignedAgain() {
        this.pauses.userPause(Set.of(P1));
        this.pauses.userPauseTopic("payments");
        assertThat(this.consumer.paused()).containsExactlyInAnyOrder(P1, Q0);

        this.pauses.remove(List.of(P0, P1, Q0));
        this.consumer.assign(List.of(P0, P1, Q0));
        assertThat(this.consumer.paused()).as("a new assignment fetches everything").isEmpty();
        for (TopicPartition partition : List.of(P0, P1, Q0)) {
            this.pauses.assigned(partition);
        }
        assertThat(this.consumer.paused()).containsExactlyInAnyOrder(P1, Q0);

        this.pauses.userResumeTopic("payments");
        this.pauses.userResume(Set.of(P1));
        assertThat(this.consumer.paused()).isEmpty();
    }

    @Test
    void resumingAPartitionNoLongerAssignedLeavesTheConsumerAlone() {
        this.pauses.pause(P1, PauseReason.RETRY);
        this.consumer.assign(List.of(P0));
        this.pauses.resume(P1, PauseReason.RETRY);
        assertThat(this.pauses.reasons(P1)).isEmpty();
        assertThat(this.consumer.paused()).isEmpty();
    }

}
