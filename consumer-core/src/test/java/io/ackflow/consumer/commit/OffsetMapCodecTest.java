package io.ackflow.consumer.commit;

import java.util.BitSet;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Offset maps survive the round trip through the commit metadata for every pattern, the shortest
 * encoding is kept, and what is not ours or does not fit is handled as specified.
 */
class OffsetMapCodecTest {

    private final OffsetMapCodec codec = new OffsetMapCodec(4096);

    @Test
    void nothingAckedEncodesAsNoMetadata() {
        assertThat(this.codec.encode(new BitSet())).isEmpty();
    }

    @Test
    void everythingAckedAboveTheHeadRoundTrips() {
        BitSet acked = new BitSet();
        acked.set(1, 5001);
        String metadata = this.codec.encode(acked);
        assertThat(metadata).startsWith(OffsetMapCodec.PREFIX + "R").hasSizeLessThan(20);
        assertThat(OffsetMapCodec.decode(metadata)).isEqualTo(acked);
    }

    @Test
    void singleGapsFarApartRoundTripInFewBytes() {
        BitSet acked = new BitSet();
        acked.set(1, 100_000);
        for (int gap = 10_000; gap < 100_000; gap += 10_000) {
            acked.clear(gap);
        }
        String metadata = this.codec.encode(acked);
        assertThat(metadata.length()).isLessThan(60);
        assertThat(OffsetMapCodec.decode(metadata)).isEqualTo(acked);
    }

    @Test
    void randomPatternsOfEveryDensityRoundTrip() {
        Random random = new Random(20261201);
        for (int round = 0; round < 2_000; round++) {
            int size = 1 + random.nextInt((round % 10 == 0) ? 20_000 : 600);
            double density = random.nextDouble();
            BitSet acked = new BitSet();
            for (int bit = 1; bit < size; bit++) {
                if (random.nextDouble() < density) {
                    acked.set(bit);
                }
            }
            String metadata = this.codec.encode(acked);
            if (acked.isEmpty()) {
                assertThat(metadata).isEmpty();
                continue;
            }
            if (metadata.isEmpty()) {
                assertThat(size).as("only a large map may fail to fit in 4096 characters").isGreaterThan(20_000);
                continue;
            }
            assertThat(metadata.length()).isLessThanOrEqualTo(4096);
            assertThat(OffsetMapCodec.decode(metadata)).as("round %d, %d bits at %.2f", round, size, density)
                .isEqualTo(acked);
        }
    }

    @Test
    void theShortestEncodingWins() {
        BitSet alternating = new BitSet();
        for (int bit = 1; bit < 2_000; bit += 2) {
            alternating.set(bit);
        }
        assertThat(this.codec.encode(alternating)).as("a regular pattern deflates well")
            .startsWith(OffsetMapCodec.PREFIX + "b");
        BitSet fewRuns = new BitSet();
        fewRuns.set(1, 1_000);
        fewRuns.set(1_500, 3_000);
        assertThat(this.codec.encode(fewRuns)).startsWith(OffsetMapCodec.PREFIX + "R");
    }

    @Test
    void aMapThatDoesNotFitIsLeftOut() {
        Random random = new Random(7);
        BitSet noise = new BitSet();
        for (int bit = 1; bit < 200_000; bit++) {
            if (random.nextBoolean()) {
                noise.set(bit);
            }
        }
        assertThat(this.codec.encode(noise)).isEmpty();
        assertThat(new OffsetMapCodec(64).encode(noise)).isEmpty();
    }

    @Test
    void metadataThatIsNotAnAckflowOffsetMapIsIgnored() {
        assertThat(OffsetMapCodec.decode(null)).isNull();
        assertThat(OffsetMapCodec.decode("")).isNull();
        assertThat(OffsetMapCodec.decode("written by another tool")).isNull();
        assertThat(OffsetMapCodec.decode("ackflow2:Rxyz")).as("a future version").isNull();
        assertThat(OffsetMapCodec.decode(OffsetMapCodec.PREFIX + "Q" + "AAAA")).as("an unknown encoding").isNull();
        assertThat(OffsetMapCodec.decode(OffsetMapCodec.PREFIX + "R" + "!!!")).as("not Base64").isNull();
        assertThat(OffsetMapCodec.decode(OffsetMapCodec.PREFIX + "R" + "gICAgIA")).as("a broken varint").isNull();
        assertThat(OffsetMapCodec.decode(OffsetMapCodec.PREFIX + "b" + "AAAA")).as("not deflate").isNull();
    }

}
