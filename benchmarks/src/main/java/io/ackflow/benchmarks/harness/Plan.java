package io.ackflow.benchmarks.harness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What a mode runs and for how long. A cell is one workload on one key count; each cell runs
 * its arms interleaved in {@code rounds} rounds. CPU-bound workloads measure {@code cpuWindow}
 * seconds after {@code warmup} seconds from their first record; latency-bound ones
 * {@code latencyWindow} seconds.
 * <ul>
 * <li>{@code quick}: noop, json, fanout2, fanout4 and async5 with 10,000 keys, C = 100, the plain
 * loop, spring-kafka and Ackflow's three orderings.
 * <li>{@code full}: every workload with 10 and 10,000 keys, C = 100 and 1000, Parallel Consumer too.
 * <li>{@code smoke}: a plumbing check of every arm with windows too short for figures.
 * </ul>
 * Arguments {@code rounds=}, {@code warmup=}, {@code window=} (the CPU-bound window),
 * {@code workloads=} (labels, comma-separated), {@code keys=} and {@code concurrency=} (numbers,
 * comma-separated), {@code share=yes} and {@code arms=} (names, comma-separated; the plain loop
 * always runs, as every ratio's denominator) override the mode's. The batch arm
 * ({@code ackflow-batch}, Ackflow with batch handlers of 500 records under PARTITION order) runs
 * only when {@code arms=} names it: {@code arms=ackflow-batch workloads=noop,sleep5} compares a
 * no-op batch handler with the plain loop and measures a 5 ms-per-batch handler against its limit.
 * The share arms run with {@code share=yes}.
 *
 * @param mode quick, full or smoke
 * @param rounds rounds per cell
 * @param warmup seconds from an arm's first record to its window
 * @param cpuWindow seconds measured for a CPU-bound workload
 * @param latencyWindow seconds measured for a latency-bound workload
 * @param workloads the workloads, in order
 * @param keys the key counts
 * @param concurrencies the concurrencies of the arms that have the knob
 * @param parallelConsumer whether Parallel Consumer runs
 * @param textRecords records of each text topic
 * @param jsonRecords records of each JSON topic
 * @param inFlightBounds the low and high in-flight bounds of the memory probe
 * @param arms the arms that run besides the plain loop, empty for all of the mode's
 * @param share whether the share arms run too (argument {@code share=yes}): spring-kafka's share
 *        container (one share group per handler) and Ackflow's share consumer, UNORDERED at each
 *        concurrency
 */
record Plan(String mode, int rounds, double warmup, double cpuWindow, double latencyWindow, List<Workload> workloads,
        List<Integer> keys, List<Integer> concurrencies, boolean parallelConsumer, int textRecords, int jsonRecords,
        int[] inFlightBounds, List<String> arms, boolean share) {

    static final int PARTITIONS = 6;

    static Plan of(Map<String, String> args) {
        String mode = args.getOrDefault("mode", "quick");
        Plan plan = switch (mode) {
            case "quick" -> new Plan(mode, 3, 1, 3, 2, List.of(Workload.NOOP, Workload.JSON, Workload.FANOUT2,
                    Workload.FANOUT4, Workload.ASYNC5), List.of(10_000), List.of(100), false, 16_000_000, 2_500_000,
                    new int[] { 20_000, 80_000 }, List.of(), false);
            case "full" -> new Plan(mode, 3, 2, 3, 3, List.of(Workload.values()), List.of(10, 10_000),
                    List.of(100, 1000), true, 16_000_000, 2_500_000, new int[] { 20_000, 80_000 },
                    List.of(), false);
            case "smoke" -> new Plan(mode, 2, 0.3, 0.5, 0.5, List.of(Workload.NOOP, Workload.JSON, Workload.FANOUT4,
                    Workload.ASYNC5), List.of(10_000), List.of(100), true, 400_000, 100_000, new int[] { 2_000, 8_000 },
                    List.of(), false);
            default -> throw new IllegalArgumentException("mode is quick, full or smoke, not '" + mode + "'");
        };
        return plan.with(args);
    }

    private Plan with(Map<String, String> args) {
        List<Workload> chosen = this.workloads;
        if (args.containsKey("workloads")) {
            chosen = Arrays.stream(args.get("workloads").split(",")).map(String::trim).map(Workload::of).toList();
        }
        List<String> arms = this.arms;
        if (args.containsKey("arms")) {
            arms = Arrays.stream(args.get("arms").split(",")).map(String::trim).toList();
        }
        List<Integer> keys = numbers(args, "keys", this.keys);
        List<Integer> concurrencies = numbers(args, "concurrency", this.concurrencies);
        return new Plan(this.mode, Integer.parseInt(args.getOrDefault("rounds", String.valueOf(this.rounds))),
                Double.parseDouble(args.getOrDefault("warmup", String.valueOf(this.warmup))),
                Double.parseDouble(args.getOrDefault("window", String.valueOf(this.cpuWindow))), this.latencyWindow,
                chosen, keys, concurrencies, this.parallelConsumer, this.textRecords, this.jsonRecords,
                this.inFlightBounds, arms, args.getOrDefault("share", this.share ? "yes" : "no").equals("yes"));
    }

    /** The positive numbers of argument {@code name} (comma-separated), else {@code otherwise}. */
    private static List<Integer> numbers(Map<String, String> args, String name, List<Integer> otherwise) {
        String value = args.get(name);
        if (value == null) {
            return otherwise;
        }
        List<Integer> numbers = new ArrayList<>();
        for (String part : value.split(",")) {
            try {
                int number = Integer.parseInt(part.trim().replace("_", ""));
                if (number <= 0) {
                    throw new NumberFormatException();
                }
                numbers.add(number);
            }
            catch (NumberFormatException ex) {
                throw new IllegalArgumentException(name + "= takes positive whole numbers separated by commas, not '"
                        + value + "'");
            }
        }
        return List.copyOf(numbers);
    }

    /**
     * The arms of one cell, in the order of round 1: the plain loop, spring-kafka with one consumer
     * per partition, then for each concurrency Parallel Consumer (KEY, UNORDERED) and Ackflow
     * (PARTITION, KEY, UNORDERED), and the batch arm when {@code arms=} names it.
     */
    List<Variant> variants() {
        List<Variant> variants = new ArrayList<>();
        variants.add(new Variant(Variant.PLAIN, "-", 1));
        variants.add(new Variant("spring-kafka", "PARTITION", PARTITIONS));
        for (int concurrency : this.concurrencies) {
            if (this.parallelConsumer) {
                variants.add(new Variant("parallel-consumer", "KEY", concurrency));
                variants.add(new Variant("parallel-consumer", "UNORDERED", concurrency));
            }
            for (String ordering : List.of("PARTITION", "KEY", "UNORDERED")) {
                variants.add(new Variant("ackflow", ordering, concurrency));
            }
            if (this.arms.contains(Variant.BATCH)) {
                variants.add(new Variant(Variant.BATCH, "PARTITION", concurrency));
            }
        }
        if (this.share) {
            for (int concurrency : this.concurrencies) {
                variants.add(new Variant("spring-kafka-share", "UNORDERED", concurrency));
                variants.add(new Variant("ackflow-share", "UNORDERED", concurrency));
            }
        }
        variants.removeIf((variant) -> !variant.plain() && !this.arms.isEmpty() && !this.arms.contains(variant.arm()));
        return variants;
    }

    double window(Workload workload) {
        return workload.cpuBound() ? this.cpuWindow : this.latencyWindow;
    }

    int records(Payload payload) {
        return (payload == Payload.JSON) ? this.jsonRecords : this.textRecords;
    }

    /** The payloads the workloads need, each produced once per key count. */
    List<Payload> payloads() {
        return this.workloads.stream().map((workload) -> workload.payload).distinct().toList();
    }

}
