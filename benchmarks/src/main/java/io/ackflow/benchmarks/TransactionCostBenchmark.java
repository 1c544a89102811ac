package io.ackflow.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.core.ConditionTimeoutException;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.ProcessingGuarantee;
import io.ackflow.consumer.Subscription;

import static org.awaitility.Awaitility.await;

/**
 * What exactly-once costs: consume, transform, produce one output record per input, under
 * at-least-once (the handler returns the output send's future, so a record is acked once its
 * output is on the broker), with no guarantee (the output is sent and not awaited: what
 * producing alone costs), and under exactly-once (sends join the open transaction; offsets are
 * committed in it at each barrier), on the same in-JVM KRaft broker in the same run. The time
 * runs from the first record handled until the group's committed offsets reach the end of the
 * input: under exactly-once, outputs become visible to {@code read_committed} readers only then.
 * Rounds alternate the contenders; the report gives each one's median and its ratio to
 * at-least-once with the output awaited.
 * <p>
 * Arguments (all optional): {@code records=200000 rounds=3 partitions=4 valueBytes=100 keys=1000 concurrency=64}
 */
public final class TransactionCostBenchmark {

    private static final String IN = "tx-in";

    private final int records;

    private final int rounds;

    private final int partitions;

    private final int valueBytes;

    private final int keys;

    private final int concurrency;

    private EmbeddedKafkaKraftBroker broker;

    private int runs;

    private TransactionCostBenchmark(Map<String, String> args) {
        this.records = Integer.parseInt(args.getOrDefault("records", "200000"));
        this.rounds = Integer.parseInt(args.getOrDefault("rounds", "3"));
        this.partitions = Integer.parseInt(args.getOrDefault("partitions", "4"));
        this.valueBytes = Integer.parseInt(args.getOrDefault("valueBytes", "100"));
        this.keys = Integer.parseInt(args.getOrDefault("keys", "1000"));
        this.concurrency = Integer.parseInt(args.getOrDefault("concurrency", "64"));
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = BenchmarkArgs.parse(argv);
        new TransactionCostBenchmark(args).run();
    }

    private void run() throws Exception {
        this.broker = new EmbeddedKafkaKraftBroker(1, this.partitions, IN);
        this.broker.brokerProperties(Map.of("transaction.state.log.replication.factor", "1",
                "transaction.state.log.min.isr", "1"));
        this.broker.afterPropertiesSet();
        try {
            produce();
            Map<String, Contender> contenders = new LinkedHashMap<>();
            contenders.put("at-least-once, output awaited", () -> engine(ProcessingGuarantee.AT_LEAST_ONCE,
                    EngineConfig.DEFAULT_COMMIT_INTERVAL, true));
            contenders.put("no guarantee, output not awaited", () -> engine(ProcessingGuarantee.AT_LEAST_ONCE,
                    EngineConfig.DEFAULT_COMMIT_INTERVAL, false));
            contenders.put("exactly-once, commit-interval 2.8s", () -> engine(ProcessingGuarantee.EXACTLY_ONCE,
                    EngineConfig.DEFAULT_COMMIT_INTERVAL, false));
            contenders.put("exactly-once, commit-interval 100ms", () -> engine(ProcessingGuarantee.EXACTLY_ONCE,
                    Duration.ofMillis(100), false));
            Map<String, List<double[]>> results = new LinkedHashMap<>();
            for (int round = 1; round <= this.rounds; round++) {
                for (Map.Entry<String, Contender> contender : contenders.entrySet()) {
                    double[] result = contender.getValue().run();
                    results.computeIfAbsent(contender.getKey(), (k) -> new ArrayList<>()).add(result);
                    System.out.printf("round %d  %-40s %,10.0f records/s  %,6.0f transactions%n", round,
                            contender.getKey(), result[0], result[1]);
                }
            }
            double baseline = median(results.values().iterator().next(), 0);
            System.out.println();
            System.out.printf("Java %s, %d cores, %,d records of %d bytes over %d partitions, KEY ordering over %,d keys,"
                    + " concurrency %d, %d rounds (median)%n", System.getProperty("java.version"),
                    Runtime.getRuntime().availableProcessors(), this.records, this.valueBytes, this.partitions, this.keys,
                    this.concurrency, this.rounds);
            System.out.printf("%-40s %12s %8s %14s%n", "contender", "records/s", "ratio", "transactions");
            results.forEach((name, values) -> System.out.printf("%-40s %,12.0f %8.2f %,14.0f%n", name,
                    median(values, 0), median(values, 0) / baseline, median(values, 1)));
        }
        finally {
            this.broker.destroy();
        }
    }

    private static double median(List<double[]> values, int index) {
        double[] sorted = values.stream().mapToDouble((v) -> v[index]).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    private void produce() {
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, this.broker.getBrokersAsString(),
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        char[] fill = new char[this.valueBytes];
        Arrays.fill(fill, 'x');
        String value = new String(fill);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            for (int i = 0; i < this.records; i++) {
                producer.send(new ProducerRecord<>(IN, "key-" + (i % this.keys), value));
            }
            producer.flush();
        }
    }

    /**
     * One run: records per second to the last commit, and the transactions committed. Under
     * at-least-once, {@code awaitOutput} acks a record only once its output is on the broker; without it
     * an output lost in a crash is not sent again (no guarantee: the cost of producing alone).
     */
    private double[] engine(ProcessingGuarantee guarantee, Duration commitInterval, boolean awaitOutput)
            throws Exception {
        int run = ++this.runs;
        String out = "tx-out-" + run;
        boolean exactlyOnce = guarantee == ProcessingGuarantee.EXACTLY_ONCE;
        Map<String, Object> producerProps = new HashMap<>();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, this.broker.getBrokersAsString());
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        List<Producer<String, String>> producers = new ArrayList<>();
        java.util.concurrent.atomic.AtomicReference<Producer<String, String>> current = new java.util.concurrent.atomic.AtomicReference<>();
        if (!exactlyOnce) {
            current.set(new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer()));
            producers.add(current.get());
        }
        Map<String, Object> consumerProps = new HashMap<>();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, this.broker.getBrokersAsString());
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "tx-bench-" + run);
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, exactlyOnce ? "read_committed" : "read_uncommitted");
        AtomicLong first = new AtomicLong();
        StringDeserializer strings = new StringDeserializer();
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .name("tx-bench-" + run)
            .consumerFactory(() -> new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer()))
            .config(EngineConfig.builder().processingGuarantee(guarantee).commitInterval(commitInterval).build())
            .subscription(Subscription.builder("transform").topics(IN).ordering(Ordering.KEY).concurrency(this.concurrency)
                .keyDeserializer(strings).valueDeserializer(strings)
                .handler((record) -> {
                    first.compareAndSet(0, System.nanoTime());
                    ProducerRecord<String, String> output = new ProducerRecord<>(out, record.key(), record.value());
                    if (!awaitOutput) {
                        current.get().send(output);
                        return null;
                    }
                    CompletableFuture<Void> sent = new CompletableFuture<>();
                    current.get().send(output, (metadata, failure) -> {
                        if (failure != null) {
                            sent.completeExceptionally(failure);
                        }
                        else {
                            sent.complete(null);
                        }
                    });
                    return sent;
                })
                .build());
        if (exactlyOnce) {
            builder.transactionalProducer(() -> {
                Map<String, Object> props = new HashMap<>(producerProps);
                props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-bench-" + run);
                KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                        new StringSerializer());
                producer.initTransactions();
                producers.add(producer);
                current.set(producer);
                return producer;
            });
        }
        AckflowEngine engine = builder.build();
        engine.start();
        long end;
        try {
            try {
                // Polled often: the moment the last offset is committed ends the timing.
                await().atMost(Duration.ofMinutes(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                    .until(() -> allCommitted(engine));
            }
            catch (ConditionTimeoutException ex) {
                throw new IllegalStateException(guarantee + " did not commit every record: " + engine.stats(), ex);
            }
            end = System.nanoTime();
        }
        finally {
            engine.stop();
            if (!exactlyOnce) {
                producers.forEach(Producer::close);
            }
        }
        return new double[] { this.records / ((end - first.get()) / 1e9), engine.stats().transactionsCommitted() };
    }

    private boolean allCommitted(AckflowEngine engine) {
        Map<TopicPartition, Long> committed = engine.committedOffsets();
        long sum = 0;
        for (int p = 0; p < this.partitions; p++) {
            sum += committed.getOrDefault(new TopicPartition(IN, p), 0L);
        }
        return sum == this.records;
    }

    @FunctionalInterface
    private interface Contender {

        double[] run() throws Exception;

    }

}
