package io.ackflow.benchmarks.harness;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * Prints summaries as a markdown table: median records/s and the ratio to the plain loop of the
 * same round, each with its min-max over the rounds; CPU per record of the poll threads and of
 * the process; the ceiling of one consumer; heap; p99; the longest stop; and what the checks found.
 */
final class Table {

    private final PrintStream out;

    Table(PrintStream out) {
        this.out = out;
    }

    void print(List<Summary> rows) {
        this.out.println();
        this.out.println("| workload | keys | arm | ordering | C | records/s | min-max | x plain | min-max | x limit "
                + "| poll CPU ns/record | ceiling records/s | process CPU ns/record | broker CPU ns/record | peak heap MB | live heap MB "
                + "| p99 ms | stop s | notes |");
        this.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (Summary row : rows) {
            this.out.println(String.format(Locale.ROOT,
                    "| %s | %,d | %s | %s | %,d | %,.0f | %,.0f-%,.0f | %.2f | %.2f-%.2f | %s | %,.0f | %s | %,.0f | %s | %.0f | %s "
                            + "| %.1f | %.1f | %s |",
                    row.workload().label, row.keys(), row.variant().arm(), row.variant().ordering(),
                    row.variant().concurrency(), row.rate(), row.minRate(), row.maxRate(), row.ratio(), row.minRatio(),
                    row.maxRatio(), (row.limit() > 0) ? String.format(Locale.ROOT, "%.2f", row.rate() / row.limit()) : "-",
                    row.pollNanos(), (row.ceiling() > 0) ? String.format(Locale.ROOT, "%,.0f", row.ceiling()) : "-",
                    row.processNanos(),
                    (row.brokerNanos() >= 0) ? String.format(Locale.ROOT, "%,.0f", row.brokerNanos()) : "-", row.peakHeapMb(),
                    (row.liveHeapMb() > 0) ? String.format(Locale.ROOT, "%.0f", row.liveHeapMb()) : "-", row.p99Millis(), row.maxStopSeconds(),
                    row.notes()));
        }
        this.out.println();
        this.out.flush();
    }

    void printInFlight(List<InFlightMemory.Result> rows) {
        this.out.println();
        this.out.println("| arm | ordering | keys | C | bound | in flight | heap over idle MB | bound | in flight "
                + "| heap over idle MB | bytes per in-flight record |");
        this.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (InFlightMemory.Result row : rows) {
            this.out.println(String.format(Locale.ROOT, "| ackflow | %s | %,d | %,d | %,d | %,d | %.1f | %,d | %,d | %.1f | %s |",
                    row.ordering(), row.keys(), row.concurrency(), row.low().bound(), row.low().inFlight(),
                    row.low().heapBytes() / 1048576.0, row.high().bound(), row.high().inFlight(),
                    row.high().heapBytes() / 1048576.0,
                    Double.isNaN(row.bytesPerRecord()) ? "-" : String.format(Locale.ROOT, "%,.0f", row.bytesPerRecord())));
        }
        this.out.println();
        this.out.flush();
    }

}
