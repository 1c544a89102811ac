package io.ackflow.benchmarks.harness;

import java.util.Set;

/**
 * The raw figures of one run of one arm (one round). Rates and CPU are of the measured window
 * only; heap, warnings and checks are of the whole run.
 *
 * @param variant the arm, ordering and concurrency
 * @param round the round, from 1
 * @param position the arm's place in its round, from 1
 * @param loadAverage the machine's one-minute load average when the run started
 * @param startSeconds from the arm's start to its first completed record (group join, first fetch)
 * @param windowRecords records completed by every handler in the measured window
 * @param windowSeconds length of the measured window
 * @param exhausted whether the window ended because the topic had no records left
 * @param pollCpuNanos CPU time of the poll threads in the window
 * @param pollThreads names of the threads counted as poll threads
 * @param hasCeiling whether 1 / poll CPU per record is the ceiling of one consumer (see {@link Arm#hasCeiling})
 * @param processCpuNanos CPU time of the whole harness process in the window (the broker is another process)
 * @param brokerCpuNanos CPU time of the broker's process in the window, -1 when unknown
 * @param peakHeapMb the most heap used, just before a collection
 * @param liveHeapMb the most heap still used just after a collection
 * @param collections garbage collections during the run
 * @param collectionMillis their total duration
 * @param p50Millis median service latency of the sampled records in the window
 * @param p99Millis 99th percentile of the same
 * @param stopSeconds how long the arm's stop took
 * @param stopClean false when the library reported that its shutdown timeout passed
 * @param committedRecords records below the committed offsets after the stop
 * @param missing committed records that some handler had not done
 * @param duplicates handler deliveries of a record that handler had done before
 * @param badValues values that were not what the payload deserializes to
 * @param warnings WARN and ERROR lines logged during the run
 * @param firstWarning the first of them, or null
 */
record RunResult(Variant variant, int round, int position, double loadAverage, double startSeconds,
        long windowRecords, double windowSeconds, boolean exhausted, long pollCpuNanos, Set<String> pollThreads,
        boolean hasCeiling, long processCpuNanos, long brokerCpuNanos, double peakHeapMb, double liveHeapMb, long collections,
        long collectionMillis, double p50Millis, double p99Millis, double stopSeconds, boolean stopClean,
        long committedRecords, long missing, long duplicates, long badValues, long warnings, String firstWarning) {

    /** A window shorter than planned is flagged unless it holds at least this many records. */
    static final long MIN_RECORDS = 2_000_000;

    double recordsPerSecond() {
        return (this.windowSeconds <= 0) ? 0 : this.windowRecords / this.windowSeconds;
    }

    double pollNanosPerRecord() {
        return (this.windowRecords == 0) ? 0 : (double) this.pollCpuNanos / this.windowRecords;
    }

    double processNanosPerRecord() {
        return (this.windowRecords == 0) ? 0 : (double) this.processCpuNanos / this.windowRecords;
    }

    /** The broker's CPU per record in the window, -1 when unknown. */
    double brokerNanosPerRecord() {
        return (this.windowRecords == 0 || this.brokerCpuNanos < 0) ? -1 : (double) this.brokerCpuNanos / this.windowRecords;
    }

    /** Whether the window met neither the planned length nor the record minimum. */
    boolean shortWindow(double minSeconds) {
        return this.windowSeconds < minSeconds - 0.05 && this.windowRecords < MIN_RECORDS;
    }

}
