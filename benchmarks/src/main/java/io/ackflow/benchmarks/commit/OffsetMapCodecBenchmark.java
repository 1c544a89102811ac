package io.ackflow.benchmarks.commit;

import java.util.BitSet;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import io.ackflow.consumer.commit.OffsetMapCodec;

/**
 * Encoded size and time of the offset map for 10,000 offsets above the committed one, by
 * pattern: {@code acked1}, {@code acked10}, {@code acked50} (that share of the
 * offsets acked, at random), {@code gaps10}, {@code gaps1} (that share not acked,
 * at random, the rest acked) and {@code stuckHead} (everything acked but the head). The encoded
 * sizes of the same patterns are printed by {@link OffsetMapSizes}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xmx1g" })
public class OffsetMapCodecBenchmark {

    static final int OFFSETS = 10_000;

    @Param({ "acked1", "acked10", "acked50", "gaps10", "gaps1", "stuckHead" })
    public String pattern;

    private final OffsetMapCodec codec = new OffsetMapCodec(4096);

    private BitSet acked;

    private String encoded;

    @Setup(Level.Trial)
    public void setUp() {
        this.acked = pattern(this.pattern);
        this.encoded = this.codec.encode(this.acked);
    }

    /** The offset map of a named pattern over {@value #OFFSETS} offsets, the same in every run. */
    static BitSet pattern(String name) {
        Random random = new Random(42);
        BitSet acked = new BitSet();
        double share = switch (name) {
            case "acked1" -> 0.01;
            case "acked10" -> 0.10;
            case "acked50" -> 0.50;
            case "gaps1" -> 0.99;
            case "gaps10" -> 0.90;
            case "stuckHead" -> 1.0;
            default -> throw new IllegalArgumentException("unknown pattern " + name);
        };
        for (int bit = 1; bit < OFFSETS; bit++) {
            if (random.nextDouble() < share) {
                acked.set(bit);
            }
        }
        return acked;
    }

    @Benchmark
    public String encode() {
        return this.codec.encode(this.acked);
    }

    @Benchmark
    public BitSet decode() {
        return OffsetMapCodec.decode(this.encoded);
    }

}
