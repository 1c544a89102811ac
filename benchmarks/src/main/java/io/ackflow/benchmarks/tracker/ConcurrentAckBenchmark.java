package io.ackflow.benchmarks.tracker;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One poll thread tracks records and reads the committable offset while one handler thread
 * acks them: the cross-thread cost of an ack. Tracked handles are published through a counter
 * (handles are consecutive for the ring; offsets for the baselines), and the acker acks what is
 * published, in blocks of 64 in reverse order, so acks arrive out of order. The poll thread
 * stops tracking when it is a window ahead, as flow control would.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xmx1g" })
public class ConcurrentAckBenchmark {

    private static final int WINDOW = 4096;

    @Param({ "ring", "skipListSet", "skipListMap" })
    public String tracker;

    private Tracker subject;

    private final AtomicLong published = new AtomicLong();

    private final AtomicLong acked = new AtomicLong();

    private long nextOffset;

    private long ackerNext;

    @Setup
    public void setUp() {
        this.subject = Trackers.create(this.tracker);
    }

    /** Poll thread: track one record and read the committable offset. */
    @Benchmark
    @Group("pollAndAck")
    @GroupThreads(1)
    public long poll() {
        if (this.published.get() - this.acked.get() >= WINDOW) {
            return this.subject.committable();
        }
        this.subject.track(this.nextOffset++);
        this.published.lazySet(this.nextOffset);
        return this.subject.committable();
    }

    /** Handler thread: ack a published record (reverse order within blocks of 64). */
    @Benchmark
    @Group("pollAndAck")
    @GroupThreads(1)
    public void ack() {
        long available = this.published.get();
        long blockStart = this.ackerNext & ~63L;
        if (blockStart + 64 > available) {
            return;
        }
        long inBlock = this.ackerNext - blockStart;
        this.subject.ack(blockStart + 63 - inBlock);
        this.ackerNext++;
        this.acked.lazySet(this.ackerNext);
    }

}
