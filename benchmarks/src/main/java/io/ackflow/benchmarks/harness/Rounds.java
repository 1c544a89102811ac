package io.ackflow.benchmarks.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs one cell (a workload on one topic): every arm once per round, {@code rounds} rounds, the
 * order rotated by one arm each round so that no arm always follows the same one. Each run's
 * records/s is divided by the plain loop's of the same round, so a machine that slows down for
 * a while slows both sides of the ratio. Writes each round's raw figures when the round is done
 * and returns one summary per arm. Only the harness thread uses it.
 */
final class Rounds {

    private final ArmRun runner;

    private final ResultsLog log;

    private final Plan plan;

    Rounds(ArmRun runner, ResultsLog log, Plan plan) {
        this.runner = runner;
        this.log = log;
        this.plan = plan;
    }

    List<Summary> run(Workload workload, Topic topic) throws Exception {
        List<Variant> variants = this.plan.variants();
        int rounds = this.plan.rounds();
        RunResult[][] results = new RunResult[variants.size()][rounds];
        double[][] ratios = new double[variants.size()][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < variants.size(); i++) {
                int v = (i + round) % variants.size();
                RunResult result = this.runner.run(variants.get(v), workload, topic, this.plan.warmup(),
                        this.plan.window(workload), round + 1, i + 1);
                results[v][round] = result;
                progress(workload, topic, result);
            }
            double plain = results[plainIndex(variants)][round].recordsPerSecond();
            for (int v = 0; v < variants.size(); v++) {
                ratios[v][round] = (plain > 0) ? results[v][round].recordsPerSecond() / plain : 0;
                this.log.round(workload, topic.keys, results[v][round], ratios[v][round], limit(workload, topic, variants.get(v)));
            }
        }
        List<Summary> rows = new ArrayList<>();
        for (int v = 0; v < variants.size(); v++) {
            Summary row = new Summary(workload, topic.keys, variants.get(v), List.of(results[v]), ratios[v],
                    limit(workload, topic, variants.get(v)), this.plan.window(workload));
            this.log.summary(row);
            rows.add(row);
        }
        return rows;
    }

    private static double limit(Workload workload, Topic topic, Variant variant) {
        return workload.cpuBound() ? 0 : variant.limit(workload.serviceMillis, topic.keys, topic.partitions());
    }

    private static int plainIndex(List<Variant> variants) {
        for (int v = 0; v < variants.size(); v++) {
            if (variants.get(v).plain()) {
                return v;
            }
        }
        throw new IllegalStateException("Every cell runs the plain loop, the ratios' denominator");
    }

    private static void progress(Workload workload, Topic topic, RunResult run) {
        System.out.println(String.format(Locale.ROOT,
                "round %d #%-2d %-8s k=%-6d %-38s %,11.0f records/s over %.1f s (%,d records)  poll %,5.0f ns/rec  "
                        + "process %,6.0f ns/rec  broker %,6.0f ns/rec  start %.1f s  stop %.1f s%s%s",
                run.round(), run.position(), workload.label, topic.keys, run.variant(), run.recordsPerSecond(),
                run.windowSeconds(), run.windowRecords(), run.pollNanosPerRecord(), run.processNanosPerRecord(),
                run.brokerNanosPerRecord(), run.startSeconds(), run.stopSeconds(), run.stopClean() ? "" : "  STOP TIMED OUT",
                (run.missing() + run.duplicates() + run.badValues() > 0) ? String.format(Locale.ROOT,
                        "  CHECK: %d committed but not handled, %d duplicates, %d bad values", run.missing(),
                        run.duplicates(), run.badValues()) : ""));
    }

}
