package io.ackflow.consumer.tracking;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class TrackedRecordTest {

    private final OffsetTracker tracker = new OffsetTracker(new TopicPartition("orders", 2));

    private final List<TrackedRecord> acked = new ArrayList<>();

    @Test
    void recordIsAckedOnlyWhenEverySubscriptionReleasedIt() {
        TrackedRecord record = track(40, 3);
        assertThat(record.release(1)).isFalse();
        assertThat(record.release(0)).isFalse();
        assertThat(this.acked).isEmpty();
        assertThat(this.tracker.committable()).isEqualTo(40);
        assertThat(record.release(2)).isTrue();
        assertThat(this.acked).containsExactly(record);
        assertThat(this.tracker.committable()).isEqualTo(41);
    }

    @Test
    void secondReleaseThrowsNamingTheRecordAndSubscriptionAndDoesNotCountTwice() {
        TrackedRecord record = track(7, 2);
        record.release(0);
        assertThatIllegalStateException().isThrownBy(() -> record.release(0))
            .withMessageContaining("'charge'")
            .withMessageContaining("orders-2@7");
        assertThat(record.isHeldBy(1)).isTrue();
        assertThat(record.holders()).containsExactly("audit");
        assertThat(this.acked).isEmpty();
        assertThat(this.tracker.committable()).isEqualTo(7);
        record.release(1);
        assertThat(this.acked).containsExactly(record);
    }

    @Test
    void releaseAfterAckIsASecondRelease() {
        TrackedRecord record = track(0, 1);
        record.release(0);
        assertThatIllegalStateException().isThrownBy(() -> record.release(0));
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
            assertThat(record.release(i)).isFalse();
        }
        assertThat(record.release(63)).isTrue();
    }

    @Test
    void trackingARecordPutsItAtTheHeadOfItsTracker() {
        TrackedRecord first = track(5, 1);
        track(6, 1);
        assertThat(this.tracker.committable()).isEqualTo(5);
        assertThat(this.tracker.head()).isSameAs(first);
        assertThat(this.tracker.pendingCount()).isEqualTo(2);
        assertThat(first.tracker()).isSameAs(this.tracker);
    }

    @Test
    void tooManyHoldersAreRefusedBeforeTheRecordIsTracked() {
        assertThatIllegalArgumentException().isThrownBy(() -> track(5, TrackedRecord.MAX_HOLDERS + 1))
            .withMessageContaining("65");
        assertThat(this.tracker.lastTrackedOffset()).isEqualTo(-1);
        assertThat(this.tracker.committable()).isEqualTo(-1);
        TrackedRecord record = track(5, 0);
        assertThat(this.acked).containsExactly(record);
        assertThat(this.tracker.committable()).isEqualTo(6);
    }

    @Test
    void anOffsetNotAboveTheLastIsRefusedWithoutAnAck() {
        track(5, 0);
        assertThatIllegalStateException().isThrownBy(() -> track(5, 0)).withMessageContaining("orders-2");
        assertThat(this.acked).hasSize(1);
        assertThat(this.tracker.committable()).isEqualTo(6);
    }

    private TrackedRecord track(long offset, int holders) {
        String[] ids = new String[holders];
        String[] names = { "charge", "audit", "notify" };
        for (int i = 0; i < holders; i++) {
            ids[i] = (i < names.length) ? names[i] : "s" + i;
        }
        return this.tracker.track(new ConsumerRecord<>("orders", 2, offset, new byte[0], new byte[0]), ids,
                this.acked::add);
    }

}
