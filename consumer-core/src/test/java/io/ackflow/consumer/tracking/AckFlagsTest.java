package io.ackflow.consumer.tracking;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AckFlagsTest {

    private final AckFlags flags = new AckFlags(128);

    @Test
    void firstUnsetStopsAtTheFirstFlagNotSet() {
        set(0, 1, 2, 4, 5);
        assertThat(this.flags.firstUnset(0, 6)).isEqualTo(3);
        assertThat(this.flags.firstUnset(4, 6)).isEqualTo(6);
    }

    @Test
    void firstUnsetNeverPassesTheEnd() {
        set(0, 1, 2);
        assertThat(this.flags.firstUnset(0, 2)).isEqualTo(2);
        assertThat(this.flags.firstUnset(0, 0)).isZero();
    }

    @Test
    void firstUnsetRunsAcrossWords() {
        setRange(10, 70);
        assertThat(this.flags.firstUnset(10, 100)).isEqualTo(70);
    }

    @Test
    void aWordTheScanLeftIsClearedForTheNextLap() {
        setRange(0, AckFlags.FLAGS);
        set(AckFlags.FLAGS + 1);
        assertThat(this.flags.firstUnset(0, 40)).isEqualTo(AckFlags.FLAGS);
        assertThat(this.flags.isSet(0)).as("word 0 was left").isFalse();
        assertThat(this.flags.isSet(128)).as("same word, next lap").isFalse();
        assertThat(this.flags.isSet(AckFlags.FLAGS + 1)).as("word 1 was not left").isTrue();
    }

    @Test
    void aWordTheScanStoppedInKeepsItsFlags() {
        setRange(0, 10);
        assertThat(this.flags.firstUnset(0, 10)).isEqualTo(10);
        assertThat(this.flags.isSet(9)).isTrue();
        // Flags below the start are stale: the scan ignores them.
        assertThat(this.flags.firstUnset(10, 20)).isEqualTo(10);
    }

    @Test
    void growCarriesTheFlagsOfTheWindowToTheirNewPlacesAndNoOthers() {
        // Window [100, 160) of a ring of 128: sequence number 150 sits at index 22 before growth.
        set(90, 120, 150);
        this.flags.grow(100, 160, 256);
        assertThat(this.flags.capacity()).isEqualTo(256);
        assertThat(this.flags.isSet(90)).as("below the window").isFalse();
        assertThat(this.flags.isSet(120)).isTrue();
        assertThat(this.flags.isSet(150)).isTrue();
        assertThat(this.flags.isSet(149)).isFalse();
        assertThat(this.flags.isSet(150 + 128)).as("index 22 of the new ring belongs to 22 and 278").isFalse();
        this.flags.set(100);
        assertThat(this.flags.firstUnset(100, 160)).isEqualTo(101);
    }

    @Test
    void setAfterGrowLandsInTheNewRing() {
        this.flags.grow(0, 0, 256);
        this.flags.set(200);
        assertThat(this.flags.isSet(200)).isTrue();
        assertThat(this.flags.isSet(200 - 128)).isFalse();
    }

    private void set(long... seqs) {
        for (long seq : seqs) {
            this.flags.set(seq);
        }
    }

    private void setRange(long from, long to) {
        for (long seq = from; seq < to; seq++) {
            this.flags.set(seq);
        }
    }

}
