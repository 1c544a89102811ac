package io.ackflow.benchmarks.harness;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Records completed by every handler, and the service latency of the sampled ones (from the
 * first handler's start to the last handler's end). Handler threads call {@link #completed}; the
 * harness thread reads the count at the edges of the measured window and takes the latencies
 * of that window alone. Both are contention-free on the handler side (a striped counter, a
 * wait-free recorder), so the probe does not slow down arms with many handler threads more than
 * the plain loop.
 */
final class Probe {

    private final LongAdder completed = new LongAdder();

    private final Recorder latency = new Recorder(TimeUnit.MINUTES.toNanos(10), 3);

    private Histogram window;

    /** A record completed; {@code startedAt} is its first handler's start, or 0 when it is not sampled. */
    void completed(long startedAt) {
        this.completed.increment();
        if (startedAt != 0) {
            this.latency.recordValue(Math.max(0, System.nanoTime() - startedAt));
        }
    }

    long completed() {
        return this.completed.sum();
    }

    /** Starts the latency window: latencies recorded so far are dropped. */
    void startWindow() {
        this.latency.getIntervalHistogram();
    }

    /** Ends the latency window. */
    void endWindow() {
        this.window = this.latency.getIntervalHistogram();
    }

    double p50Millis() {
        return (this.window == null) ? 0 : this.window.getValueAtPercentile(50) / 1e6;
    }

    double p99Millis() {
        return (this.window == null) ? 0 : this.window.getValueAtPercentile(99) / 1e6;
    }

}
