package io.ackflow.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.RecordHandler;
import io.ackflow.consumer.Subscription;

/**
 * Records per second through the engine with no-op handlers, next to a plain
 * {@link KafkaConsumer} loop (String deserialization, {@code commitAsync} per poll) reading the
 * same topic from the same in-JVM KRaft broker in the same run. Each contender reads the whole
 * topic in its own consumer group; the time runs from the first record handled to the last, so
 * group joins do not count. Rounds alternate the contenders and the report gives each one's
 * median and its ratio to the plain loop's median.
 * <p>
 * Arguments (all optional): {@code records=2000000 rounds=3 partitions=4 valueBytes=100 keys=1000 only=<text>
 * perPartition=5000 total=20000}
 * ({@code only} keeps the contenders whose name contains the text, besides the plain loop).
 */
public final class EndToEndBenchmark {

    private static final String TOPIC = "bench";

    private final int records;

    private final int rounds;

    private final int partitions;

    private final int valueBytes;

    private final int keys;

    /** Runs only the contenders whose name contains this text (and the plain loop). */
    private final String only;

    /** The engine's in-flight bounds. */
    private final int perPartition;

    private final int total;

    private EmbeddedKafkaKraftBroker broker;

    private int groups;

    private EndToEndBenchmark(Map<String, String> args) {
        this.records = Integer.parseInt(args.getOrDefault("records", "2000000"));
        this.rounds = Integer.parseInt(args.getOrDefault("rounds", "3"));
        this.partitions = Integer.parseInt(args.getOrDefault("partitions", "4"));
        this.valueBytes = Integer.parseInt(args.getOrDefault("valueBytes", "100"));
        this.keys = Integer.parseInt(args.getOrDefault("keys", "1000"));
        this.only = args.getOrDefault("only", "");
        this.perPartition = Integer.parseInt(args.getOrDefault("perPartition",
                Integer.toString(EngineConfig.DEFAULT_MAX_IN_FLIGHT_PER_PARTITION)));
        this.total = Integer.parseInt(args.getOrDefault("total", Integer.toString(EngineConfig.DEFAULT_MAX_IN_FLIGHT)));
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = BenchmarkArgs.parse(argv);
        new EndToEndBenchmark(args).run();
    }

    private void run() throws Exception {
        this.broker = new EmbeddedKafkaKraftBroker(1, this.partitions, TOPIC);
        this.broker.afterPropertiesSet();
        try {
            produce();
            Map<String, Contender> contenders = new LinkedHashMap<>();
            contenders.put("plain KafkaConsumer loop", this::plainLoop);
            contenders.put("ackflow PARTITION x1 subscription", (n) -> engine(n, Ordering.PARTITION, 16, 1));
            contenders.put("ackflow KEY concurrency 32", (n) -> engine(n, Ordering.KEY, 32, 1));
            contenders.put("ackflow UNORDERED concurrency 16", (n) -> engine(n, Ordering.UNORDERED, 16, 1));
            contenders.put("ackflow PARTITION x3 subscriptions (fan-out)", (n) -> engine(n, Ordering.PARTITION, 16, 3));
            contenders.keySet().removeIf((name) -> !name.startsWith("plain") && !name.contains(this.only));
            Map<String, List<Double>> rates = new LinkedHashMap<>();
            for (int round = 1; round <= this.rounds; round++) {
                for (Map.Entry<String, Contender> contender : contenders.entrySet()) {
                    double rate = contender.getValue().recordsPerSecond(this.records);
                    rates.computeIfAbsent(contender.getKey(), (k) -> new ArrayList<>()).add(rate);
                    System.out.printf("round %d  %-46s %,12.0f records/s%n", round, contender.getKey(), rate);
                }
            }
            report(rates);
        }
        finally {
            this.broker.destroy();
        }
    }

    private void report(Map<String, List<Double>> rates) {
        double baseline = median(rates.values().iterator().next());
        System.out.println();
        System.out.printf("Java %s, %d cores, %,d records of %d bytes over %d partitions, %d rounds (median)%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), this.records,
                this.valueBytes, this.partitions, this.rounds);
        System.out.printf("%-46s %14s %8s%n", "contender", "records/s", "ratio");
        rates.forEach((name, values) -> {
            double median = median(values);
            System.out.printf("%-46s %,14.0f %8.2f%n", name, median, median / baseline);
        });
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    private void produce() {
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, this.broker.getBrokersAsString(),
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
                ProducerConfig.ACKS_CONFIG, "1", ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        char[] fill = new char[this.valueBytes];
        Arrays.fill(fill, 'x');
        String value = new String(fill);
        long start = System.nanoTime();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            for (int i = 0; i < this.records; i++) {
                producer.send(new ProducerRecord<>(TOPIC, "key-" + (i % this.keys), value));
            }
            producer.flush();
        }
        System.out.printf("produced %,d records in %.1f s%n", this.records, (System.nanoTime() - start) / 1e9);
    }

    private Map<String, Object> consumerProperties() {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, this.broker.getBrokersAsString());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + (++this.groups));
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return props;
    }

    private double plainLoop(int expected) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProperties(), new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            long count = 0;
            long first = 0;
            long blackhole = 0;
            while (count < expected) {
                ConsumerRecords<String, String> batch = consumer.poll(Duration.ofMillis(100));
                if (batch.isEmpty()) {
                    continue;
                }
                if (first == 0) {
                    first = System.nanoTime();
                }
                for (var record : batch) {
                    blackhole += record.value().length();
                    count++;
                }
                consumer.commitAsync();
            }
            long elapsed = System.nanoTime() - first;
            consumer.commitSync();
            if (blackhole < 0) {
                throw new IllegalStateException("unreachable: keeps the values read");
            }
            return expected / (elapsed / 1e9);
        }
    }

    private double engine(int expected, Ordering ordering, int concurrency, int subscriptions) throws Exception {
        long total = (long) expected * subscriptions;
        AtomicLong handled = new AtomicLong();
        AtomicLong first = new AtomicLong();
        AtomicLong last = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        RecordHandler<String, String> noop = RecordHandler.blocking((record) -> {
            long n = handled.incrementAndGet();
            if (n == 1) {
                first.set(System.nanoTime());
            }
            if (n == total) {
                last.set(System.nanoTime());
                done.countDown();
            }
        });
        StringDeserializer strings = new StringDeserializer();
        Map<String, Object> props = consumerProperties();
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .name("bench")
            .consumerFactory(() -> new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer()))
            .config(EngineConfig.builder().maxInFlightPerPartition(this.perPartition).maxInFlight(this.total).build());
        for (int i = 0; i < subscriptions; i++) {
            builder.subscription(Subscription.builder("noop-" + i).topics(TOPIC).ordering(ordering)
                .concurrency(concurrency).keyDeserializer(strings).valueDeserializer(strings).handler(noop).build());
        }
        AckflowEngine engine = builder.build();
        engine.start();
        try {
            if (!done.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("engine handled only " + handled.get() + " of " + total);
            }
        }
        finally {
            engine.stop();
        }
        if (engine.stats().acked() != expected) {
            throw new IllegalStateException("engine acked " + engine.stats().acked() + " of " + expected);
        }
        return expected / ((last.get() - first.get()) / 1e9);
    }

    @FunctionalInterface
    private interface Contender {

        double recordsPerSecond(int records) throws Exception;

    }

}
