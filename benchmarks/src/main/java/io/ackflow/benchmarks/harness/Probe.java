package io.ackflow.benchmarks.harness;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.ConcurrentHistogram;

/**
 * What one run measures: records completed, when the first and the last completed, service
 * latency (handler start to the record's completion, HdrHistogram), peak heap and process CPU.
 * Safe from any thread.
 */
final class Probe {

    private final long target;

    private final AtomicLong completed = new AtomicLong();

    private final AtomicLong firstAt = new AtomicLong();

    private final AtomicLong lastAt = new AtomicLong();

    private final CountDownLatch done = new CountDownLatch(1);

    private final ConcurrentHistogram latency = new ConcurrentHistogram(TimeUnit.MINUTES.toNanos(10), 3);

    private final long cpuStart;

    Probe(long target) {
        this.target = target;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
        this.cpuStart = processCpuNanos();
    }

    /** A record completed; {@code fetchedAt} is when the arm first saw it (System.nanoTime). */
    void completed(long fetchedAt) {
        long now = System.nanoTime();
        this.latency.recordValue(Math.max(0, now - fetchedAt));
        long n = this.completed.incrementAndGet();
        if (n == 1) {
            this.firstAt.set(now);
        }
        this.lastAt.set(now);
        if (n == this.target) {
            this.done.countDown();
        }
    }

    /** Waits until the target count completed or {@code seconds} passed; returns the count. */
    long await(long seconds) throws InterruptedException {
        this.done.await(seconds, TimeUnit.SECONDS);
        return this.completed.get();
    }

    long completed() {
        return this.completed.get();
    }

    double recordsPerSecond() {
        long n = this.completed.get();
        long elapsed = this.lastAt.get() - this.firstAt.get();
        return (n <= 1 || elapsed <= 0) ? 0 : (n - 1) / (elapsed / 1e9);
    }

    double p50Millis() {
        return this.latency.getValueAtPercentile(50) / 1e6;
    }

    double p99Millis() {
        return this.latency.getValueAtPercentile(99) / 1e6;
    }

    static double peakHeapMb() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak / (1024.0 * 1024.0);
    }

    double cpuMicrosPerRecord() {
        long n = this.completed.get();
        return (n == 0) ? 0 : (processCpuNanos() - this.cpuStart) / 1e3 / n;
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

}
