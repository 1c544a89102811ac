package io.ackflow.benchmarks.harness;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.AppInfoParser;

import io.ackflow.benchmarks.BenchmarkArgs;

/**
 * The side-by-side harness: every arm reads the same pre-produced records from the same broker
 * in one run, for each workload, key count and concurrency; prints a table and appends one JSON
 * line per run to {@code results/<timestamp>.jsonl}. Started by {@code benchmarks/run}, which
 * starts the broker as its own process.
 * <p>
 * Arguments: {@code bootstrap=host:port mode=quick|full results=dir}.
 */
public final class SideBySide {

    private static final int PARTITIONS = 6;

    private static final int VALUE_BYTES = 100;

    private final String bootstrap;

    private final boolean full;

    private final Path resultsFile;

    private final Map<String, Double> plainRates = new HashMap<>();

    private int runs;

    private SideBySide(Map<String, String> args) throws IOException {
        this.bootstrap = require(args, "bootstrap");
        this.full = args.getOrDefault("mode", "quick").equals("full");
        Path dir = Path.of(args.getOrDefault("results", "benchmarks/results"));
        Files.createDirectories(dir);
        this.resultsFile = dir.resolve(Instant.now().toString().replace(':', '-') + "-" + (this.full ? "full" : "quick")
                + ".jsonl");
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = BenchmarkArgs.parse(argv);
        new SideBySide(args).run();
        System.exit(0);
    }

    private void run() throws Exception {
        int[] keyCounts = this.full ? new int[] { 10, 10_000 } : new int[] { 10_000 };
        int[] concurrencies = this.full ? new int[] { 100, 1000 } : new int[] { 100 };
        List<Workload> workloads = this.full ? List.of(Workload.values())
                : List.of(Workload.NOOP, Workload.ASYNC5, Workload.FANOUT2);
        int records = this.full ? 1_000_000 : 300_000;
        long seconds = this.full ? 12 : 6;
        for (int keys : keyCounts) {
            produce("bench-k" + keys, keys, records);
        }
        // Warm-up, not recorded: the JIT compiles the client's and each arm's hot paths first.
        String warmTopic = "bench-k" + keyCounts[keyCounts.length - 1];
        for (Arm arm : List.<Arm>of(new PlainArm(), new SpringKafkaArm(), new ParallelConsumerArm(), new AckflowArm())) {
            measure(arm, warmTopic, Workload.NOOP, arm instanceof PlainArm ? "" : "KEY", 100, 0, records, seconds, false);
        }
        this.plainRates.clear();
        System.out.printf("%-18s %-10s %-8s %6s %5s %12s %8s %8s %9s %7s %7s%n", "arm", "ordering", "workload",
                "keys", "C", "records/s", "p50 ms", "p99 ms", "heap MB", "x plain", "x limit");
        for (Workload workload : workloads) {
            for (int keys : keyCounts) {
                String topic = "bench-k" + keys;
                measure(new PlainArm(), topic, workload, "", 1, keys, records, seconds);
                measure(new SpringKafkaArm(), topic, workload, "PARTITION", PARTITIONS, keys, records, seconds);
                for (int c : concurrencies) {
                    for (String ordering : List.of("KEY", "UNORDERED")) {
                        measure(new ParallelConsumerArm(), topic, workload, ordering, c, keys, records, seconds);
                    }
                    for (String ordering : List.of("PARTITION", "KEY", "UNORDERED")) {
                        measure(new AckflowArm(), topic, workload, ordering, c, keys, records, seconds);
                    }
                }
            }
        }
        System.out.println("results: " + this.resultsFile);
    }

    private void measure(Arm arm, String topic, Workload workload, String ordering, int concurrency, int keys,
            int records, long seconds) throws Exception {
        measure(arm, topic, workload, ordering, concurrency, keys, records, seconds, true);
    }

    private void measure(Arm arm, String topic, Workload workload, String ordering, int concurrency, int keys,
            int records, long seconds, boolean recorded) throws Exception {
        System.gc();
        Spec spec = new Spec(this.bootstrap, topic, "bench-" + (++this.runs) + "-" + System.nanoTime(), workload,
                ordering, concurrency, PARTITIONS);
        Probe probe = new Probe(records);
        arm.start(spec, probe);
        long done = probe.await(seconds);
        double rate = probe.recordsPerSecond();
        double heap = Probe.peakHeapMb();
        double cpu = probe.cpuMicrosPerRecord();
        arm.stop();
        if (!recorded) {
            return;
        }
        String plainKey = workload.label + "/" + keys;
        if (arm instanceof PlainArm) {
            this.plainRates.put(plainKey, rate);
        }
        double plain = this.plainRates.getOrDefault(plainKey, rate);
        double limit = limit(arm, workload, ordering, concurrency, keys, plain);
        System.out.printf(Locale.ROOT, "%-18s %-10s %-8s %6d %5d %,12.0f %8.2f %8.2f %9.0f %7.2f %7.2f%s%n",
                arm.name(), ordering, workload.label, keys, concurrency, rate, probe.p50Millis(), probe.p99Millis(), heap,
                rate / plain, rate / limit, (done < 2) ? "  (no records)" : "");
        String json = String.format(Locale.ROOT, "{\"arm\":\"%s\",\"ordering\":\"%s\",\"workload\":\"%s\",\"keys\":%d,"
                + "\"concurrency\":%d,\"records\":%d,\"records_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                + "\"peak_heap_mb\":%.1f,\"cpu_us_per_record\":%.3f,\"ratio_to_plain\":%.3f,\"ratio_to_limit\":%.3f,"
                + "\"limit_records_per_s\":%.1f,\"jdk\":\"%s\",\"kafka\":\"%s\",\"cpu\":\"%s\",\"cores\":%d,"
                + "\"partitions\":%d,\"value_bytes\":%d,\"time\":\"%s\"}",
                arm.name(), ordering, workload.label, keys, concurrency, done, rate, probe.p50Millis(), probe.p99Millis(),
                heap, cpu, rate / plain, rate / limit, limit, System.getProperty("java.version"),
                AppInfoParser.getVersion(), cpuModel(), Runtime.getRuntime().availableProcessors(), PARTITIONS,
                VALUE_BYTES, Instant.now());
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(this.resultsFile, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND))) {
            out.println(json);
        }
    }

    /**
     * The theoretical limit: the plain loop for a no-op handler; for a handler of S ms, the
     * records that can be in progress at once (min of concurrency and keys under KEY order, the
     * partitions under PARTITION order, one for the plain loop) divided by S.
     */
    private static double limit(Arm arm, Workload workload, String ordering, int concurrency, int keys, double plain) {
        if (workload.serviceMillis == 0) {
            return plain;
        }
        int parallel = switch (ordering) {
            case "KEY" -> Math.min(concurrency, keys);
            case "PARTITION" -> Math.min(concurrency, PARTITIONS);
            case "UNORDERED" -> concurrency;
            default -> 1;
        };
        return parallel * 1000.0 / workload.serviceMillis;
    }

    private void produce(String topic, int keys, int records) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrap))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            if (!existing.contains(topic)) {
                admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
        }
        char[] fill = new char[VALUE_BYTES];
        Arrays.fill(fill, 'x');
        String value = new String(fill);
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrap,
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
                ProducerConfig.ACKS_CONFIG, "1");
        long start = System.nanoTime();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            List<Future<?>> last = new ArrayList<>();
            for (int i = 0; i < records; i++) {
                Future<?> sent = producer.send(new ProducerRecord<>(topic, "key-" + (i % keys), value));
                if (i >= records - 1000) {
                    last.add(sent);
                }
            }
            producer.flush();
            for (Future<?> sent : last) {
                sent.get(60, TimeUnit.SECONDS);
            }
        }
        System.out.printf("produced %,d records over %,d keys to %s in %.1f s%n", records, keys, topic,
                (System.nanoTime() - start) / 1e9);
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim().replace("\"", "'");
                }
            }
        }
        catch (IOException ex) {
            // not Linux: leave it unknown
        }
        return "unknown";
    }

    private static String require(Map<String, String> args, String name) {
        String value = args.get(name);
        if (value == null) {
            throw new IllegalArgumentException("Argument " + name + "=... is required");
        }
        return value;
    }

}
