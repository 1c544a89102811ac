package io.ackflow.consumer.tracking;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class TrackedRecordTest {

    private final OffsetTracker tracker = new OffsetTracker(new TopicPartition("orders", 2));

    private final List<TrackedRecord> acked = new ArrayList<>();

    @Test
    void recordIsAckedOnlyWhenEverySubscriptionReleasedIt() {
        TrackedRecord record = track(40, 3);
        assertThat(record.release(1, "audit")).isFalse();
        assertThat(record.release(0, "charge")).isFalse();
        assertThat(this.acked).isEmpty();
        assertThat(this.tracker.committable()).isEqualTo(40);
        assertThat(record.release(2, "notify")).isTrue();
        assertThat(this.acked).containsExactly(record);
        assertThat(this.tracker.committable()).isEqualTo(41);
    }

    @Test
    void secondReleaseThrowsNamingTheRecordAndSubscriptionAndDoesNotCountTwice() {
        TrackedRecord record = track(7, 2);
        record.release(0, "audit");
        assertThatIllegalStateException().isThrownBy(() -> record.release(0, "audit"))
            .withMessageContaining("'audit'")
            .withMessageContaining("orders-2@7");
        assertThat(record.isHeldBy(1)).isTrue();
        assertThat(this.acked).isEmpty();
        assertThat(this.tracker.committable()).isEqualTo(7);
        record.release(1, "charge");
        assertThat(this.acked).containsExactly(record);
    }

    @Test
    void releaseAfterAckIsASecondRelease() {
        TrackedRecord record = track(0, 1);
        record.release(0, "only");
        assertThatIllegalStateException().isThrownBy(() -> record.release(0, "only"));
        assertThat(this.acked).hasSize(1);
    }

    @Test
    void recordWithoutSubscriptionsIsAckedAtOnce() {
        TrackedRecord record = track(3, 0);
        assertThat(this.acked).containsExactly(record);
        assertThat(this.tracker.committable()).isEqualTo(4);
    }

    @Test
    void sixtyFourHoldersUseEveryBit() {
        TrackedRecord record = track(0, 64);
        for (int i = 0; i < 63; i++) {
            assertThat(record.release(i, "s" + i)).isFalse();
        }
        assertThat(record.release(63, "s63")).isTrue();
    }

    private TrackedRecord track(long offset, int holders) {
        return new TrackedRecord(new ConsumerRecord<>("orders", 2, offset, new byte[0], new byte[0]), this.tracker,
                holders, this.acked::add);
    }

}
