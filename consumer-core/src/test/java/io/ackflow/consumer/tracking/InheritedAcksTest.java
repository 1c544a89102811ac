package io.ackflow.consumer.tracking;

import java.util.BitSet;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class InheritedAcksTest {

    private final InheritedAcks inherited = new InheritedAcks();

    @Test
    void answersForTheOffsetsOfTheMapFromItsBase() {
        this.inherited.remember(100, bits(2, 5));
        assertThat(this.inherited.contains(99)).isFalse();
        assertThat(this.inherited.contains(100)).isFalse();
        assertThat(this.inherited.contains(102)).isTrue();
        assertThat(this.inherited.contains(103)).isFalse();
        assertThat(this.inherited.contains(105)).isTrue();
    }

    @Test
    void theMapIsDroppedOnceAnOffsetPassesIt() {
        this.inherited.remember(100, bits(2, 5));
        assertThat(this.inherited.contains(106)).isFalse();
        assertThat(this.inherited.contains(105)).as("dropped").isFalse();
    }

    @Test
    void anEmptyOrMissingMapOrANegativeBaseIsIgnored() {
        this.inherited.remember(100, bits(1));
        this.inherited.remember(200, new BitSet());
        this.inherited.remember(200, null);
        this.inherited.remember(-1, bits(1));
        assertThat(this.inherited.contains(101)).as("the first map stays").isTrue();
    }

    @Test
    void nothingIsInheritedWithoutAMap() {
        assertThat(this.inherited.contains(0)).isFalse();
    }

    private static BitSet bits(int... indexes) {
        BitSet bits = new BitSet();
        for (int index : indexes) {
            bits.set(index);
        }
        return bits;
    }

}
