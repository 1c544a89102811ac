package io.ackflow.benchmarks.commit;

import java.util.BitSet;

import io.ackflow.consumer.commit.OffsetMapCodec;

/**
 * Prints the metadata size of the offset map for each pattern of {@link OffsetMapCodecBenchmark}
 * (10,000 offsets above the committed one), with the encoding chosen and the size of a plain list
 * of the acked offsets as text for comparison.
 */
public final class OffsetMapSizes {

    private OffsetMapSizes() {
    }

    public static void main(String[] args) {
        OffsetMapCodec codec = new OffsetMapCodec(Integer.MAX_VALUE);
        System.out.printf("%-10s %8s %8s %9s %14s%n", "pattern", "acked", "chars", "encoding", "decimal list");
        for (String name : new String[] { "acked1", "acked10", "acked50", "gaps10", "gaps1",
            "stuckHead" }) {
            BitSet acked = OffsetMapCodecBenchmark.pattern(name);
            String metadata = codec.encode(acked);
            if (!acked.equals(OffsetMapCodec.decode(metadata))) {
                throw new IllegalStateException("round trip failed for " + name);
            }
            long listChars = acked.stream().mapToLong((bit) -> Integer.toString(bit).length() + 1).sum();
            System.out.printf("%-10s %8d %8d %9s %14d%s%n", name, acked.cardinality(), metadata.length(),
                    metadata.charAt(OffsetMapCodec.PREFIX.length()), listChars,
                    (metadata.length() > 4096) ? "  (over Kafka's default 4096: left out)" : "");
        }
    }

}
