package io.ackflow.benchmarks.harness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * One row of the table: an arm's rounds in one cell (workload and keys), reduced to medians with
 * their min-max spread. The ratio to the plain loop is taken within each round, then its median.
 *
 * @param workload what the handlers did
 * @param keys distinct keys of the topic
 * @param variant the arm, ordering and concurrency
 * @param runs the arm's runs, one per round
 * @param ratios each round's records/s divided by the plain loop's in the same round
 * @param limit the latency-bound limit in records/s, or 0 for a CPU-bound workload
 * @param minWindowSeconds the window a CPU-bound run should have measured
 */
record Summary(Workload workload, int keys, Variant variant, List<RunResult> runs, double[] ratios, double limit,
        double minWindowSeconds) {

    double rate() {
        return median(RunResult::recordsPerSecond);
    }

    double minRate() {
        return this.runs.stream().mapToDouble(RunResult::recordsPerSecond).min().orElse(0);
    }

    double maxRate() {
        return this.runs.stream().mapToDouble(RunResult::recordsPerSecond).max().orElse(0);
    }

    double ratio() {
        return median(this.ratios);
    }

    double minRatio() {
        return Arrays.stream(this.ratios).min().orElse(0);
    }

    double maxRatio() {
        return Arrays.stream(this.ratios).max().orElse(0);
    }

    double pollNanos() {
        return median(RunResult::pollNanosPerRecord);
    }

    double processNanos() {
        return median(RunResult::processNanosPerRecord);
    }

    /** The broker's CPU per record, median of the rounds; -1 when unknown. */
    double brokerNanos() {
        return median(RunResult::brokerNanosPerRecord);
    }

    /** Records/s one consumer could feed if its poll thread had a core to itself; 0 when the arm has no such figure. */
    double ceiling() {
        double poll = pollNanos();
        return (poll <= 0 || !this.runs.get(0).hasCeiling()) ? 0 : 1e9 / poll;
    }

    double peakHeapMb() {
        return this.runs.stream().mapToDouble(RunResult::peakHeapMb).max().orElse(0);
    }

    /** The most heap left after a collection in any round; 0 when no round collected. */
    double liveHeapMb() {
        return this.runs.stream().mapToDouble(RunResult::liveHeapMb).max().orElse(0);
    }

    double p99Millis() {
        return median(RunResult::p99Millis);
    }

    double maxStopSeconds() {
        return this.runs.stream().mapToDouble(RunResult::stopSeconds).max().orElse(0);
    }

    /** What went wrong or needs a second look, empty when nothing did. */
    String notes() {
        List<String> notes = new ArrayList<>();
        long missing = this.runs.stream().mapToLong(RunResult::missing).sum();
        long duplicates = this.runs.stream().mapToLong(RunResult::duplicates).sum();
        long bad = this.runs.stream().mapToLong(RunResult::badValues).sum();
        long none = this.runs.stream().filter((run) -> run.windowRecords() == 0 && !run.exhausted()).count();
        long ranOut = this.runs.stream().filter(RunResult::exhausted).count();
        long timedOut = this.runs.stream().filter((run) -> !run.stopClean()).count();
        long shortWindows = this.runs.stream().filter((run) -> run.shortWindow(this.minWindowSeconds)).count();
        long warnings = this.runs.stream().mapToLong(RunResult::warnings).sum();
        add(notes, missing, "committed but not handled");
        add(notes, duplicates, "duplicate deliveries");
        add(notes, bad, "bad values");
        add(notes, none, "run(s) without records");
        add(notes, ranOut, "run(s) that read the whole topic");
        add(notes, timedOut, "stop(s) past the shutdown timeout");
        add(notes, shortWindows, "short window(s)");
        add(notes, warnings, "warning(s)");
        return String.join("; ", notes);
    }

    private static void add(List<String> notes, long count, String what) {
        if (count > 0) {
            notes.add(String.format("%,d %s", count, what));
        }
    }

    private double median(ToDoubleFunction<RunResult> figure) {
        return median(this.runs.stream().mapToDouble(figure).toArray());
    }

    static double median(double[] values) {
        if (values.length == 0) {
            return 0;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return (sorted.length % 2 == 1) ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

}
