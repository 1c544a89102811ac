package io.ackflow.benchmarks.tracker;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost per record of tracking: track it, ack it out of order within a window, and ask for the
 * committable offset, for Ackflow's ring bitset and the baselines, in the same loop shape. One
 * invocation runs {@value #BATCH} records in windows of {@code window} records: all offsets of a
 * window are tracked, then acked in order or in a shuffled order, with a committable call after
 * each ack. {@code stuckHead} holds each window's first record until the rest are acked.
 * Run with {@code -prof gc} for B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xmx1g" })
public class OffsetTrackerBenchmark {

    static final int BATCH = 32_768;

    @Param({ "ring", "skipListSet", "skipListMap", "linkedList" })
    public String tracker;

    @Param({ "64", "512", "4096", "32768" })
    public int window;

    @Param({ "inOrder", "shuffled", "stuckHead" })
    public String acks;

    private Tracker subject;

    private long offset;

    private int[] order;

    private long[] handles;

    @Setup(Level.Trial)
    public void setUp() {
        this.subject = Trackers.create(this.tracker);
        this.handles = new long[this.window];
        this.order = new int[this.window];
        for (int i = 0; i < this.window; i++) {
            this.order[i] = i;
        }
        if (this.acks.equals("shuffled")) {
            Random random = new Random(42);
            for (int i = this.window - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = this.order[i];
                this.order[i] = this.order[j];
                this.order[j] = swap;
            }
        }
        else if (this.acks.equals("stuckHead")) {
            for (int i = 0; i < this.window - 1; i++) {
                this.order[i] = i + 1;
            }
            this.order[this.window - 1] = 0;
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long trackAckCommittable() {
        long sink = 0;
        for (int done = 0; done < BATCH; done += this.window) {
            for (int i = 0; i < this.window; i++) {
                this.handles[i] = this.subject.track(this.offset++);
            }
            for (int i = 0; i < this.window; i++) {
                this.subject.ack(this.handles[this.order[i]]);
                sink += this.subject.committable();
            }
        }
        return sink;
    }

}
