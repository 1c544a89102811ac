package io.ackflow.benchmarks.harness;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import io.ackflow.benchmarks.BenchmarkArgs;

/**
 * The side-by-side harness: every arm reads the same pre-produced records from the same broker,
 * cell by cell (a workload on one key count), in interleaved rounds; prints a markdown table per
 * cell and all of them at the end, then Ackflow's bytes per in-flight record, and writes JSON
 * lines to {@code <results>/<start time>-<mode>.jsonl}. Started by {@code benchmarks/run}, which
 * starts the broker as its own process. See {@link Plan} for what each mode runs and
 * {@link ArmRun} for how one run is measured.
 * <p>
 * Arguments: {@code bootstrap=host:port mode=quick|full|smoke results=dir command=<as typed>},
 * optionally {@code rounds=}, {@code warmup=}, {@code window=}, {@code workloads=noop,json}
 * and {@code inflight=no|only} (skip the in-flight memory probe, or run nothing else);
 * {@code brokerPid=} (given by {@code benchmarks/run}) adds the broker's CPU per record.
 */
public final class SideBySide {

    private final String bootstrap;

    private final Plan plan;

    private final Map<String, String> args;

    private SideBySide(Map<String, String> args) {
        this.bootstrap = require(args, "bootstrap");
        this.plan = Plan.of(args);
        this.args = args;
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = BenchmarkArgs.parse(argv);
        args.putIfAbsent("command", "SideBySide " + String.join(" ", argv));
        new SideBySide(args).run();
        System.exit(0);
    }

    private void run() throws Exception {
        long started = System.nanoTime();
        ResultsLog log = new ResultsLog(Path.of(this.args.getOrDefault("results", "benchmarks/results")), this.plan.mode());
        log.header(this.args.get("command"), this.plan);
        System.out.println(Machine.summary());
        System.out.printf(Locale.ROOT, "%s: %d rounds; CPU-bound arms %.1f s of warm-up and %.1f s measured, "
                + "latency-bound %.1f s measured%n", this.plan.mode(), this.plan.rounds(), this.plan.warmup(),
                this.plan.cpuWindow(), this.plan.latencyWindow());
        LogWatch logs = LogWatch.install();
        HeapWatch.get();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrap))) {
            Map<String, Topic> topics = produce(new TopicData(this.bootstrap, admin));
            ArmRun runner = new ArmRun(this.bootstrap, admin, logs, new BrokerCpu(this.args.get("brokerPid")));
            boolean cells = !this.args.getOrDefault("inflight", "yes").equals("only");
            if (cells) {
                warmUp(runner, topics);
            }
            Table table = new Table(System.out);
            Rounds rounds = new Rounds(runner, log, this.plan);
            List<Summary> rows = new ArrayList<>();
            for (Workload workload : cells ? this.plan.workloads() : List.<Workload>of()) {
                for (int keys : this.plan.keys()) {
                    System.out.printf(Locale.ROOT, "%n### %s, %,d keys%n", workload.label, keys);
                    List<Summary> cell = rounds.run(workload, topics.get(key(workload.payload, keys)));
                    table.print(cell);
                    rows.addAll(cell);
                }
            }
            List<InFlightMemory.Result> memory = inFlight(topics, log);
            if (!rows.isEmpty()) {
                System.out.println("## All rows");
                table.print(rows);
            }
            if (!memory.isEmpty()) {
                System.out.println("## Bytes per in-flight record");
                table.printInFlight(memory);
            }
        }
        System.out.printf(Locale.ROOT, "results: %s (%.1f minutes)%n", log.file(), (System.nanoTime() - started) / 60e9);
    }

    private Map<String, Topic> produce(TopicData data) throws Exception {
        Map<String, Topic> topics = new HashMap<>();
        for (int keys : this.plan.keys()) {
            for (Payload payload : this.plan.payloads()) {
                topics.put(key(payload, keys), data.produce(payload, keys, this.plan.records(payload), Plan.PARTITIONS));
            }
        }
        return topics;
    }

    /**
     * Not recorded: each arm once, so that the JIT has compiled the client's and each arm's hot
     * paths (and Jackson's, when a workload reads JSON) before the first round.
     */
    private void warmUp(ArmRun runner, Map<String, Topic> topics) throws Exception {
        Set<String> arms = new LinkedHashSet<>();
        for (Variant variant : this.plan.variants()) {
            if (arms.add(variant.arm())) {
                for (Payload payload : this.plan.payloads()) {
                    Workload workload = (payload == Payload.JSON) ? Workload.JSON : Workload.FANOUT2;
                    Topic topic = topics.get(key(payload, this.plan.keys().get(this.plan.keys().size() - 1)));
                    RunResult run = runner.run(variant, workload, topic, this.plan.warmup(), 1, 0, 0);
                    System.out.printf(Locale.ROOT, "warm-up %-8s %-34s %,11.0f records/s%n", workload.label, variant,
                            run.recordsPerSecond());
                }
            }
        }
    }

    /** Ackflow's bytes per in-flight record, for each ordering, key count and concurrency, on the text topics. */
    private List<InFlightMemory.Result> inFlight(Map<String, Topic> topics, ResultsLog log) throws Exception {
        List<InFlightMemory.Result> results = new ArrayList<>();
        if (this.args.getOrDefault("inflight", "yes").equals("no") || !this.plan.payloads().contains(Payload.TEXT)) {
            return results;
        }
        InFlightMemory memory = new InFlightMemory(this.bootstrap);
        int[] bounds = this.plan.inFlightBounds();
        for (int keys : this.plan.keys()) {
            for (int concurrency : this.plan.concurrencies()) {
                for (String ordering : List.of("PARTITION", "KEY", "UNORDERED")) {
                    InFlightMemory.Result result = memory.measure(topics.get(key(Payload.TEXT, keys)), ordering,
                            concurrency, bounds[0], bounds[1]);
                    System.out.printf(Locale.ROOT, "in flight  ackflow %-9s k=%-6d C=%-5d %,7d -> %,7d records, "
                            + "%.1f -> %.1f MB: %,.0f bytes per record%n", ordering, keys, concurrency,
                            result.low().inFlight(), result.high().inFlight(), result.low().heapBytes() / 1048576.0,
                            result.high().heapBytes() / 1048576.0, result.bytesPerRecord());
                    log.inFlight(result);
                    results.add(result);
                }
            }
        }
        return results;
    }

    private static String key(Payload payload, int keys) {
        return payload.label + "/" + keys;
    }

    private static String require(Map<String, String> args, String name) {
        String value = args.get(name);
        if (value == null) {
            throw new IllegalArgumentException("Argument " + name + "=... is required");
        }
        return value;
    }

}
