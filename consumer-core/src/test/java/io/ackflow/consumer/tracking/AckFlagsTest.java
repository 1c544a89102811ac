package io.ackflow.consumer.tracking;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AckFlagsTest {

    private final AckFlags flags = new AckFlags(128);

    @Test
    void firstUnsetStopsAtTheFirstFlagNotSet() {
        for (long seq : new long[] { 0, 1, 2, 4, 5 }) {
            this.flags.set(seq);
        }
        assertThat(this.flags.firstUnset(0, 6)).isEqualTo(3);
        assertThat(this.flags.firstUnset(4, 6)).isEqualTo(6);
    }

    @Test
    void firstUnsetNeverPassesTheEnd() {
        this.flags.set(0);
        this.flags.set(1);
        this.flags.set(2);
        assertThat(this.flags.firstUnset(0, 2)).isEqualTo(2);
        assertThat(this.flags.firstUnset(0, 0)).isZero();
    }

    @Test
    void firstUnsetRunsAcrossWords() {
        for (long seq = 10; seq < 70; seq++) {
            this.flags.set(seq);
        }
        assertThat(this.flags.firstUnset(10, 100)).isEqualTo(70);
    }

    @Test
    void aWordTheScanLeftIsClearedForTheNextLap() {
        for (long seq = 0; seq < AckFlags.FLAGS; seq++) {
            this.flags.set(seq);
        }
        this.flags.set(AckFlags.FLAGS + 1);
        assertThat(this.flags.firstUnset(0, 40)).isEqualTo(AckFlags.FLAGS);
        assertThat(this.flags.isSet(0)).as("word 0 was left").isFalse();
        assertThat(this.flags.isSet(128)).as("same word, next lap").isFalse();
        assertThat(this.flags.isSet(AckFlags.FLAGS + 1)).as("word 1 was not left").isTrue();
    }

    @Test
    void aWordTheScanStoppedInKeepsItsFlags() {
        for (long seq = 0; seq < 10; seq++) {
            this.flags.set(seq);
        }
        assertThat(this.flags.firstUnset(0, 10)).isEqualTo(10);
        assertThat(this.flags.isSet(9)).isTrue();
        // Flags below the start are stale: the scan ignores them.
        assertThat(this.flags.firstUnset(10, 20)).isEqualTo(10);
    }

    @Test
    void growCarriesTheFlagsOfTheWindowToTheirNewPlaces() {
        // Window [100, 160) of a ring of 128: sequence number 150 sits at index 22 before growth.
        this.flags.set(120);
        this.flags.set(150);
        this.flags.grow(100, 160, 256);
        assertThat(this.flags.capacity()).isEqualTo(256);
        assertThat(this.flags.isSet(120)).isTrue();
        assertThat(this.flags.isSet(150)).isTrue();
        assertThat(this.flags.isSet(149)).isFalse();
        assertThat(this.flags.isSet(150 + 128)).as("index 22 of the new ring belongs to 22 and 278").isFalse();
        this.flags.set(100);
        assertThat(this.flags.firstUnset(100, 160)).isEqualTo(101);
    }

    @Test
    void growDropsFlagsOutsideTheWindow() {
        this.flags.set(5);
        this.flags.set(12);
        this.flags.grow(10, 20, 256);
        assertThat(this.flags.isSet(5)).isFalse();
        assertThat(this.flags.isSet(12)).isTrue();
    }

    @Test
    void setAfterGrowLandsInTheNewRing() {
        this.flags.grow(0, 0, 256);
        this.flags.set(200);
        assertThat(this.flags.isSet(200)).isTrue();
        assertThat(this.flags.isSet(200 - 128)).isFalse();
    }

}
