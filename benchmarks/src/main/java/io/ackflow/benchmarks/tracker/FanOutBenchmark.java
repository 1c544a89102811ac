package io.ackflow.benchmarks.tracker;

import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
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

import io.ackflow.consumer.tracking.OffsetTracker;
import io.ackflow.consumer.tracking.TrackedRecord;

/**
 * Cost per record of reference counting: a record is tracked with a count of 1, 3 or 8
 * subscriptions, each releases it once, the last release acks it, and the committable offset is
 * read. The record object ({@link TrackedRecord}) is the one allocation per record.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xmx1g" })
public class FanOutBenchmark {

    private static final int BATCH = 4096;

    @Param({ "1", "3", "8" })
    public int subscriptions;

    private OffsetTracker tracker;

    private ConsumerRecord<byte[], byte[]>[] records;

    private TrackedRecord[] tracked;

    private String[] ids;

    private long offset;

    @SuppressWarnings("unchecked")
    @Setup(Level.Trial)
    public void setUp() {
        this.tracker = new OffsetTracker(new TopicPartition("bench", 0));
        this.records = new ConsumerRecord[BATCH];
        this.tracked = new TrackedRecord[BATCH];
        this.ids = new String[this.subscriptions];
        for (int i = 0; i < this.subscriptions; i++) {
            this.ids[i] = "s" + i;
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long trackReleaseAck() {
        for (int i = 0; i < BATCH; i++) {
            // A fresh record per offset, as poll delivers them; not counted as tracker cost below.
            this.records[i] = new ConsumerRecord<>("bench", 0, this.offset++, null, null);
            this.tracked[i] = this.tracker.track(this.records[i], this.ids, (record) -> {
            });
        }
        for (int s = 0; s < this.subscriptions; s++) {
            for (int i = 0; i < BATCH; i++) {
                this.tracked[i].release(s);
            }
        }
        return this.tracker.committable();
    }

}
