package io.ackflow.benchmarks.chaos;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.TopicPartition;

/**
 * The figures of one chaos run. The promise holds when nothing is lost (every input is in the
 * output or, for a poison pill, on the dead-letter topic, and every input reached the count
 * listener), the last processing of each record is in its key's order, and the group's committed
 * offsets are the input's end offsets.
 *
 * @param settings the run's settings, described
 * @param producerAcked records the producer had acknowledged
 * @param produced records in the input topic
 * @param poisonPills poison pills among them
 * @param processed distinct non-poison inputs in the output
 * @param lost inputs neither in the output nor on the dead-letter topic
 * @param deadLetteredNotPoison non-poison inputs on the dead-letter topic instead of the output
 * @param deadLetters records on the dead-letter topic
 * @param deadLetterDuplicates poison pills dead-lettered more than once (extra copies)
 * @param outputRecords records in the output (processings)
 * @param duplicatedRecords inputs processed more than once
 * @param duplicateProcessings processings beyond the first
 * @param inFlightDuplicates duplicated inputs that were in flight at a fault
 * @param inFlightDuplicatesByFault those, by the kind of the first fault that caught them in flight
 * @param orderViolations keys' sequences whose last processing came before that of an earlier sequence
 * @param counted processings the count listener recorded
 * @param countedDistinct distinct inputs the count listener saw
 * @param countedLost inputs the count listener never saw
 * @param committed the group's committed offsets of the input at the end
 * @param end the input's end offsets
 * @param events the faults and restarts, in order
 * @param logs what the instances' logs say
 * @param notes anything out of the ordinary
 * @param drained when the group had committed the end of the input, since the start
 * @param wall the run's wall time
 */
public record ChaosReport(String settings, long producerAcked, long produced, long poisonPills, long processed, long lost,
        long deadLetteredNotPoison, long deadLetters, long deadLetterDuplicates, long outputRecords, long duplicatedRecords,
        long duplicateProcessings, long inFlightDuplicates, Map<String, Long> inFlightDuplicatesByFault, long orderViolations, long counted, long countedDistinct,
        long countedLost, Map<TopicPartition, Long> committed, Map<TopicPartition, Long> end, List<FaultEvent> events,
        LogFacts logs, List<String> notes, Duration drained, Duration wall) {

    public boolean committedAtEnd() {
        return this.committed.equals(this.end);
    }

    public boolean promiseHeld() {
        return this.lost == 0 && this.countedLost == 0 && this.orderViolations == 0 && committedAtEnd() && this.produced > 0;
    }

    public String describe() {
        StringBuilder text = new StringBuilder();
        text.append("chaos run: ").append(this.settings).append('\n');
        text.append("faults:\n");
        for (FaultEvent event : this.events) {
            text.append("  ").append(event).append('\n');
        }
        row(text, "produced (in the input topic)", "%,d (%,d poison pills; the producer acknowledged %,d)", this.produced,
                this.poisonPills, this.producerAcked);
        row(text, "processed (distinct inputs in the output)", "%,d of %,d", this.processed, this.produced - this.poisonPills);
        row(text, "dead-lettered", "%,d records (%,d poison pills twice; %,d records that were not poison pills)",
                this.deadLetters, this.deadLetterDuplicates, this.deadLetteredNotPoison);
        row(text, "lost", "%,d", this.lost);
        row(text, "duplicates", "%,d records processed more than once (%,d extra processings, %,d output records)",
                this.duplicatedRecords, this.duplicateProcessings, this.outputRecords);
        row(text, "  of them in flight at a fault", "%,d %s", this.inFlightDuplicates, this.inFlightDuplicatesByFault);
        row(text, "per-key order violations (last processing)", "%,d", this.orderViolations);
        row(text, "second listener (count)", "%,d calls, %,d distinct inputs, %,d never seen, %,d calls again",
                this.counted, this.countedDistinct, this.countedLost, this.counted - this.countedDistinct);
        row(text, "committed = end offsets", "%s (committed %s, end %s)", committedAtEnd() ? "yes" : "NO",
                new TreeMap<>(by(this.committed)), new TreeMap<>(by(this.end)));
        row(text, "stalls reported stuck by the engine", "%d of %d (the longest held %,d ms; stuck-partition warnings in all: %d)",
                this.logs.stallsReported(), this.logs.stalls(), this.logs.longestStallMillis(), this.logs.stuckWarnings());
        row(text, "first attempts failed on purpose (retried)", "at least %,d", this.logs.failedOnPurpose());
        row(text, "ERROR lines in the instances' logs", "%d", this.logs.errorLines());
        row(text, "drained at / wall time", "%.1f s / %.1f s", this.drained.toMillis() / 1000.0, this.wall.toMillis() / 1000.0);
        for (String example : this.logs.examples()) {
            text.append("  log: ").append(example).append('\n');
        }
        for (String note : this.notes) {
            text.append("  note: ").append(note).append('\n');
        }
        text.append(promiseHeld() ? "PROMISE HELD" : "PROMISE BROKEN").append('\n');
        return text.toString();
    }

    private static Map<Integer, Long> by(Map<TopicPartition, Long> offsets) {
        Map<Integer, Long> byPartition = new TreeMap<>();
        offsets.forEach((tp, offset) -> byPartition.put(tp.partition(), offset));
        return byPartition;
    }

    private static void row(StringBuilder text, String label, String format, Object... args) {
        text.append(String.format(Locale.ROOT, "  %-44s ", label)).append(String.format(Locale.ROOT, format, args)).append('\n');
    }

}
