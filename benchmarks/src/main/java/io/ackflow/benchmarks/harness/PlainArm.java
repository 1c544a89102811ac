package io.ackflow.benchmarks.harness;

import java.time.Duration;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The physical limit for a no-op handler and the serial baseline for slow ones: one thread, one
 * KafkaConsumer, String deserialization, the handler(s) called in turn, commitAsync per poll.
 */
final class PlainArm implements Arm {

    private volatile boolean running;

    private Thread thread;

    @Override
    public String name() {
        return "plain";
    }

    @Override
    public void start(Spec spec, Probe probe) {
        this.running = true;
        FanOutCounter counter = new FanOutCounter(1, probe);
        this.thread = new Thread(() -> {
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(spec.consumerProperties(""),
                    new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(spec.topic()));
                while (this.running) {
                    ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
                    for (ConsumerRecord<String, String> record : records) {
                        long startedAt = System.nanoTime();
                        for (int h = 0; h < spec.workload().handlers; h++) {
                            spec.workload().runBlocking();
                        }
                        counter.done(record.partition(), record.offset(), startedAt);
                    }
                    if (!records.isEmpty()) {
                        consumer.commitAsync();
                    }
                }
                consumer.commitSync();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }, "bench-plain");
        this.thread.start();
    }

    @Override
    public void stop() throws InterruptedException {
        this.running = false;
        this.thread.join();
    }

}
