package io.ackflow.benchmarks.engine;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.ackflow.benchmarks.harness.Payload;
import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.RecordHandler;
import io.ackflow.consumer.Subscription;

/**
 * The engine's own cost, without a broker: records come from a {@link GeneratedConsumer} as fast
 * as the poll thread takes them, and no-op handlers count them. Each arm (the plain loop: poll and
 * a no-op per record on one thread; Ackflow per ordering with 1, 2 or 4 handlers) handles
 * {@code records} records after a warm-up of the same size, in {@code rounds} interleaved rounds;
 * the table gives records/s, the ratio to the plain loop of the same round (median of the
 * rounds), the poll thread's CPU per record and the whole process's (every thread, the garbage
 * collector's included), which moves less than records/s when other work shares the machine.
 * <p>
 * {@code payload=json} gives every record the harness's order of about 1 KB, read by its Jackson
 * deserializer in every arm (the plain loop on its one thread); {@code inflight=} sets the
 * engine's in-flight bound, total and per partition.
 * <p>
 * {@code java -cp ... io.ackflow.benchmarks.engine.EngineProbe records=3000000 rounds=3 keys=10000}
 */
public final class EngineProbe {

    private static final String TOPIC = "probe";

    private static final int PARTITIONS = 6;

    private static final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    private static final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** What the records hold: a short String ({@code text}) or an order of about 1 KB ({@code json}). */
    private static Payload payload;

    /** The engine's in-flight bound, total and per partition; 0 keeps the defaults. */
    private static int inFlight;

    private EngineProbe() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (String arg : argv) {
            String[] pair = arg.split("=", 2);
            args.put(pair[0], pair[1]);
        }
        long records = Long.parseLong(args.getOrDefault("records", "3000000"));
        int rounds = Integer.parseInt(args.getOrDefault("rounds", "3"));
        int keys = Integer.parseInt(args.getOrDefault("keys", "10000"));
        inFlight = Integer.parseInt(args.getOrDefault("inflight", "0"));
        payload = Payload.valueOf(args.getOrDefault("payload", "text").toUpperCase(Locale.ROOT));
        List<String> arms = List.of(args.getOrDefault("arms",
                "plain,PARTITION:1,KEY:1,UNORDERED:1,PARTITION:2,KEY:2,UNORDERED:2,PARTITION:4,UNORDERED:4").split(","));
        Map<String, List<double[]>> results = new LinkedHashMap<>();
        for (int round = 0; round <= rounds; round++) {
            for (String arm : arms) {
                double[] result = run(arm, records, keys);
                if (round > 0) {
                    results.computeIfAbsent(arm, (k) -> new ArrayList<>()).add(result);
                }
                System.out.printf(Locale.ROOT, "%s %-12s %,12.0f rec/s  poll %6.0f ns/rec  process %6.0f ns/rec%n",
                        (round == 0) ? "warm-up" : "round " + round, arm, result[0], result[1], result[2]);
            }
        }
        System.out.printf(Locale.ROOT, "%n| arm | records/s (median, min-max) | x plain (median of rounds) | poll thread ns/record | process CPU ns/record |%n");
        System.out.printf("|---|---|---|---|---|%n");
        List<double[]> plain = results.get("plain");
        for (Map.Entry<String, List<double[]>> entry : results.entrySet()) {
            List<double[]> runs = entry.getValue();
            double[] rates = runs.stream().mapToDouble((r) -> r[0]).sorted().toArray();
            double[] ratios = new double[runs.size()];
            for (int i = 0; i < runs.size(); i++) {
                ratios[i] = (plain != null) ? runs.get(i)[0] / plain.get(i)[0] : Double.NaN;
            }
            java.util.Arrays.sort(ratios);
            double[] cpu = runs.stream().mapToDouble((r) -> r[1]).sorted().toArray();
            double[] process = runs.stream().mapToDouble((r) -> r[2]).sorted().toArray();
            System.out.printf(Locale.ROOT, "| %s | %,.0f (%,.0f-%,.0f) | %.2f (%.2f-%.2f) | %.0f | %.0f (%.0f-%.0f) |%n",
                    entry.getKey(), rates[rates.length / 2], rates[0], rates[rates.length - 1], ratios[ratios.length / 2],
                    ratios[0], ratios[ratios.length - 1], cpu[cpu.length / 2], process[process.length / 2], process[0],
                    process[process.length - 1]);
        }
    }

    /** @return records/s and the poll thread's CPU nanoseconds per record */
    private static double[] run(String arm, long records, int keys) throws Exception {
        byte[] value = (payload == Payload.TEXT) ? "{\"id\":1}".getBytes(StandardCharsets.UTF_8)
                : payload.recordValues()[0];
        if (arm.equals("plain")) {
            return plain(records, keys, value);
        }
        String[] spec = arm.split(":");
        int handlers = Integer.parseInt(spec[1]);
        LongAdder handled = new LongAdder();
        StringDeserializer strings = new StringDeserializer();
        Deserializer<Object> values = payload.deserializer();
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .name("probe")
            .consumerFactory(() -> new GeneratedConsumer(TOPIC, PARTITIONS, keys, value, 500))
            .config(config());
        for (int h = 0; h < handlers; h++) {
            builder.subscription(Subscription.builder("h" + h).topics(TOPIC)
                .ordering(Ordering.valueOf(spec[0]))
                .concurrency(100)
                .keyDeserializer(strings)
                .valueDeserializer(values)
                .handler(RecordHandler.<String, Object>blocking((record) -> {
                    if (payload == Payload.JSON && !payload.valid(record.value())) {
                        throw new IllegalStateException("not an order: " + record.value());
                    }
                    handled.increment();
                }))
                .build());
        }
        AckflowEngine engine = builder.build();
        long target = records * handlers;
        long processCpu = os.getProcessCpuTime();
        long started = System.nanoTime();
        engine.start();
        long pollThread = find("ackflow-poll-probe");
        while (handled.sum() < target) {
            Thread.sleep(1);
        }
        long elapsed = System.nanoTime() - started;
        long cpu = (pollThread >= 0) ? threads.getThreadCpuTime(pollThread) : -1;
        long process = os.getProcessCpuTime() - processCpu;
        engine.stop();
        return new double[] { records * 1e9 / elapsed, (double) cpu / records, (double) process / records };
    }

    private static EngineConfig config() {
        EngineConfig.Builder config = EngineConfig.builder().commitInterval(Duration.ofMillis(500));
        if (inFlight > 0) {
            config.maxInFlight(inFlight).maxInFlightPerPartition(inFlight);
        }
        return config.build();
    }

    private static double[] plain(long records, int keys, byte[] value) throws Exception {
        AtomicLong cpu = new AtomicLong();
        AtomicLong elapsed = new AtomicLong();
        long processCpu = os.getProcessCpuTime();
        Thread loop = new Thread(() -> {
            long started = System.nanoTime();
            GeneratedConsumer consumer = new GeneratedConsumer(TOPIC, PARTITIONS, keys, value, 500);
            consumer.subscribe(List.of(TOPIC), new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(java.util.Collection<org.apache.kafka.common.TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(java.util.Collection<org.apache.kafka.common.TopicPartition> partitions) {
                }
            });
            StringDeserializer strings = new StringDeserializer();
            Deserializer<Object> values = payload.deserializer();
            long count = 0;
            long sink = 0;
            while (count < records) {
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
                for (ConsumerRecord<byte[], byte[]> record : batch) {
                    String key = strings.deserialize(TOPIC, record.key());
                    Object read = values.deserialize(TOPIC, record.value());
                    sink += key.length() + read.hashCode();
                    count++;
                }
            }
            elapsed.set(System.nanoTime() - started);
            cpu.set(threads.getCurrentThreadCpuTime());
            if (sink == 42) {
                System.out.println();
            }
        }, "plain-loop");
        loop.start();
        loop.join();
        long process = os.getProcessCpuTime() - processCpu;
        return new double[] { records * 1e9 / elapsed.get(), (double) cpu.get() / records, (double) process / records };
    }

    /** The id of the thread whose name starts with {@code prefix}, waiting up to 10 s for it to start. */
    @SuppressWarnings("deprecation")
    private static long find(String prefix) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (Thread thread : Thread.getAllStackTraces().keySet()) {
                if (thread.getName().startsWith(prefix)) {
                    return thread.getId(); // threadId() is Java 19+
                }
            }
            Thread.sleep(1);
        }
        return -1;
    }

}
