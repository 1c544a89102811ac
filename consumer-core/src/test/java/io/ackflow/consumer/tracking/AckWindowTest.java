package io.ackflow.consumer.tracking;

import java.util.BitSet;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class AckWindowTest {

    private final AckWindow window = new AckWindow(new TopicPartition("orders", 1), 64);

    @Test
    void capacityIsAPowerOfTwoOfAtLeast128() {
        assertThat(this.window.capacity()).isEqualTo(128);
        assertThat(new AckWindow(new TopicPartition("orders", 1), 129).capacity()).isEqualTo(256);
        assertThatIllegalArgumentException().isThrownBy(() -> new AckWindow(new TopicPartition("orders", 1), 0))
            .withMessageContaining("initialCapacity");
    }

    @Test
    void theStartPositionIsCommittableUntilARecordIsTracked() {
        this.window.startAt(40);
        assertThat(this.window.committable()).isEqualTo(40);
        assertThat(this.window.firstTrackedOffset()).isEqualTo(40);
        this.window.track(42, null);
        this.window.startAt(7);
        assertThat(this.window.committable()).as("the first record not acked").isEqualTo(42);
        assertThat(this.window.firstTrackedOffset()).isEqualTo(40);
        assertThat(this.window.lastTrackedOffset()).isEqualTo(42);
    }

    @Test
    void aPositionPastTheLastRecordIsCommittableOnceEveryRecordIsAcked() {
        long a = this.window.track(10, null);
        long b = this.window.track(11, null);
        this.window.readTo(14);
        this.window.ack(b);
        assertThat(this.window.committable()).as("10 is pending").isEqualTo(10);
        this.window.ack(a);
        assertThat(this.window.committable()).isEqualTo(14);
        this.window.readTo(13);
        assertThat(this.window.committable()).as("a position never moves back").isEqualTo(14);
    }

    @Test
    void aPositionIsForgottenWhenTheNextRecordIsTracked() {
        this.window.ack(this.window.track(10, null));
        this.window.readTo(20);
        this.window.ack(this.window.track(15, null));
        assertThat(this.window.committable()).as("no poll told a position after 15").isEqualTo(16);
        assertThat(this.window.pendingCount()).isZero();
    }

    @Test
    void aPositionMovesTheStartWhenNothingIsTracked() {
        this.window.startAt(40);
        this.window.readTo(43);
        assertThat(this.window.committable()).isEqualTo(43);
        assertThat(this.window.firstTrackedOffset()).as("where reading started").isEqualTo(40);

        AckWindow unstarted = new AckWindow(new TopicPartition("orders", 2), 64);
        unstarted.readTo(7);
        assertThat(unstarted.committable()).isEqualTo(7);
        assertThat(unstarted.firstTrackedOffset()).as("a window with no start starts there").isEqualTo(7);
    }

    @Test
    void nextSeqIsTheSequenceNumberTrackHandsOut() {
        assertThat(this.window.nextSeq()).isZero();
        assertThat(this.window.track(10, null)).isZero();
        assertThat(this.window.nextSeq()).isEqualTo(1);
        assertThat(this.window.track(12, null)).isEqualTo(1);
    }

    @Test
    void theHeadIsTheAttachmentOfTheFirstRecordNotAcked() {
        long a = this.window.track(10, "a");
        this.window.track(11, "b");
        assertThat(this.window.head()).isEqualTo("a");
        this.window.ack(a);
        assertThat(this.window.head()).as("until committable moves the head").isEqualTo("a");
        assertThat(this.window.committable()).isEqualTo(11);
        assertThat(this.window.head()).isEqualTo("b");
        assertThat(this.window.pendingCount()).isEqualTo(1);
    }

    @Test
    void anEmptyWindowHasNoHead() {
        long a = this.window.track(10, "a");
        this.window.ack(a);
        assertThat(this.window.committable()).isEqualTo(11);
        assertThat(this.window.head()).isNull();
    }

    @Test
    void ackedAboveTheHeadIsAnOffsetMapFromTheCommittableOffset() {
        // Delivered 10, 12, 13, 15 (11 and 14 compacted away); 13 and 15 acked, 10 and 12 not.
        this.window.track(10, null);
        this.window.track(12, null);
        long thirteen = this.window.track(13, null);
        long fifteen = this.window.track(15, null);
        this.window.ack(thirteen);
        this.window.ack(fifteen);
        assertThat(this.window.committable()).isEqualTo(10);
        assertThat(this.window.ackedAboveHead()).isEqualTo(bits(3, 5));
    }

    @Test
    void nothingAckedAboveTheHeadIsAnEmptyMap() {
        long a = this.window.track(3, null);
        this.window.track(4, null);
        assertThat(this.window.ackedAboveHead()).isEqualTo(new BitSet());
        this.window.ack(a);
        this.window.committable();
        assertThat(this.window.ackedAboveHead()).isEqualTo(new BitSet());
    }

    @Test
    void growthKeepsOffsetsAttachmentsAndAcks() {
        long[] seqs = new long[300];
        for (int i = 0; i < seqs.length; i++) {
            seqs[i] = this.window.track(1000 + 2L * i, "r" + i);
        }
        assertThat(this.window.capacity()).isEqualTo(512);
        for (int i = 0; i < 200; i++) {
            this.window.ack(seqs[i]);
        }
        this.window.ack(seqs[250]);
        assertThat(this.window.committable()).isEqualTo(1400);
        assertThat(this.window.head()).isEqualTo("r200");
        assertThat(this.window.ackedAboveHead()).isEqualTo(bits(100));
    }

    @Test
    void aNegativeOffsetIsRefusedNamingThePartition() {
        assertThatIllegalStateException().isThrownBy(() -> this.window.track(-1, null))
            .withMessageContaining("orders-1");
    }

    private static BitSet bits(int... indexes) {
        BitSet bits = new BitSet();
        for (int index : indexes) {
            bits.set(index);
        }
        return bits;
    }

}
