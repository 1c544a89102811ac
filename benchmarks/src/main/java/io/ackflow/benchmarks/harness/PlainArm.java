package io.ackflow.benchmarks.harness;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The physical limit for a CPU-bound handler and the serial baseline for slow ones: one thread,
 * one KafkaConsumer that deserializes (String, or JSON into {@link Order}), the handler(s) called
 * in turn, commitAsync per poll. A stop ends after the record in hand and commits what was
 * handled.
 */
final class PlainArm implements Arm {

    private static final String THREAD = "bench-plain";

    private volatile boolean running;

    private Thread thread;

    @Override
    public String name() {
        return "plain";
    }

    @Override
    public void start(Spec spec, Completions completions) {
        this.running = true;
        Workload workload = spec.workload();
        this.thread = new Thread(() -> {
            long[] next = new long[spec.partitions()];
            Arrays.fill(next, -1);
            try (KafkaConsumer<String, Object> consumer = new KafkaConsumer<>(spec.consumerProperties(""),
                    new StringDeserializer(), workload.payload.deserializer())) {
                consumer.subscribe(List.of(spec.topic()));
                poll: while (this.running) {
                    ConsumerRecords<String, Object> records = consumer.poll(Duration.ofMillis(100));
                    for (ConsumerRecord<String, Object> record : records) {
                        if (!this.running) {
                            break poll;
                        }
                        long startedAt = Completions.started(record.offset());
                        for (int h = 0; h < workload.handlers; h++) {
                            workload.runBlocking();
                            completions.handled(h, record.partition(), record.offset(), record.value(), startedAt);
                        }
                        next[record.partition()] = record.offset() + 1;
                    }
                    if (!records.isEmpty()) {
                        consumer.commitAsync();
                    }
                }
                consumer.commitSync(handled(spec.topic(), next));
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }, THREAD);
        this.thread.start();
    }

    private static Map<TopicPartition, OffsetAndMetadata> handled(String topic, long[] next) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (int p = 0; p < next.length; p++) {
            if (next[p] >= 0) {
                offsets.put(new TopicPartition(topic, p), new OffsetAndMetadata(next[p]));
            }
        }
        return offsets;
    }

    @Override
    public boolean stop() throws InterruptedException {
        this.running = false;
        this.thread.join();
        return true;
    }

    @Override
    public boolean isPollThread(String threadName) {
        return threadName.equals(THREAD);
    }

}
