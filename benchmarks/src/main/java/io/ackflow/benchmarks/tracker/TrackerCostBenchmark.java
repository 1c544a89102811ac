package io.ackflow.benchmarks.tracker;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

import org.apache.kafka.common.TopicPartition;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import io.ackflow.consumer.tracking.OffsetTracker;

/**
 * Where the ring tracker's time per record goes, by taking the operations of
 * {@link OffsetTrackerBenchmark} ({@code ring}, window 4096, shuffled acks) away one at a time,
 * next to the floor of one compare-and-set per record and of one plain write per record in the
 * same loop shape. This machine has no hardware counters for {@code perf}, so the breakdown is
 * measured by subtraction.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xmx1g" })
public class TrackerCostBenchmark {

    static final int BATCH = 32_768;

    static final int WINDOW = 4096;

    private final OffsetTracker tracker = new OffsetTracker(new TopicPartition("t", 0));

    private final long[] handles = new long[WINDOW];

    private final int[] order = new int[WINDOW];

    private final AtomicLongArray words = new AtomicLongArray(WINDOW / 63 + 1);

    private final long[] plain = new long[WINDOW / 63 + 1];

    private long offset;

    @Setup(Level.Trial)
    public void setUp() {
        for (int i = 0; i < WINDOW; i++) {
            this.order[i] = i;
        }
        Random random = new Random(42);
        for (int i = WINDOW - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = this.order[i];
            this.order[i] = this.order[j];
            this.order[j] = swap;
        }
    }

    /** What {@link OffsetTrackerBenchmark} measures: a committable call after every ack. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long trackAckCommittableEachAck() {
        long sink = 0;
        for (int done = 0; done < BATCH; done += WINDOW) {
            trackWindow();
            for (int i = 0; i < WINDOW; i++) {
                this.tracker.ack(this.handles[this.order[i]]);
                sink += this.tracker.committable();
            }
        }
        return sink;
    }

    /** As the engine does: committable once per commit or poll, not per ack (here once per window). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long trackAckCommittableEachWindow() {
        long sink = 0;
        for (int done = 0; done < BATCH; done += WINDOW) {
            trackWindow();
            for (int i = 0; i < WINDOW; i++) {
                this.tracker.ack(this.handles[this.order[i]]);
            }
            sink += this.tracker.committable();
        }
        return sink;
    }

    /** Track only; the window is emptied by acking in order without measuring committable per ack. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long trackOnly() {
        long sink = 0;
        for (int done = 0; done < BATCH; done += WINDOW) {
            trackWindow();
            sink += this.handles[WINDOW - 1];
            for (int i = 0; i < WINDOW; i++) {
                this.tracker.ack(this.handles[i]);
            }
            sink += this.tracker.committable();
        }
        return sink;
    }

    /** The floor of an ack done with one compare-and-set: a CAS per record on a flag word, shuffled. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long casPerRecord() {
        long sink = 0;
        for (int done = 0; done < BATCH; done += WINDOW) {
            for (int i = 0; i < WINDOW; i++) {
                int index = this.order[i];
                int word = index / 63;
                long value = this.words.get(word);
                this.words.compareAndSet(word, value, value ^ (1L << (index % 63)));
            }
            sink += this.words.get(0);
        }
        return sink;
    }

    /** The same loop with a plain write instead of the compare-and-set. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long plainWritePerRecord() {
        long sink = 0;
        for (int done = 0; done < BATCH; done += WINDOW) {
            for (int i = 0; i < WINDOW; i++) {
                int index = this.order[i];
                this.plain[index / 63] ^= 1L << (index % 63);
            }
            sink += this.plain[0];
        }
        return sink;
    }

    private void trackWindow() {
        for (int i = 0; i < WINDOW; i++) {
            this.handles[i] = this.tracker.track(this.offset++);
        }
    }

}
