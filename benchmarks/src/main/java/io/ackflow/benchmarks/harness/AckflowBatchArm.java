package io.ackflow.benchmarks.harness;

import java.time.Duration;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.Batching;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.Subscription;

/**
 * Ackflow with batch handlers: one batch subscription per handler of the workload, batches of at
 * most {@value #MAX_RECORDS} records (handed over after {@code 100 ms} when not full), the spec's
 * ordering and concurrency counting batches. The workload's service time is per batch, not per
 * record: {@code noop} does nothing with the batch, {@code sleep5} blocks 5 ms per batch and
 * {@code async5} returns a future completed 5 ms later, so the limit is partitions (under
 * PARTITION) × {@value #MAX_RECORDS} / 5 ms. Each record of a batch counts as handled when its
 * batch is done.
 */
final class AckflowBatchArm implements Arm {

    /** Records per batch at most. */
    static final int MAX_RECORDS = 500;

    private AckflowEngine engine;

    @Override
    public String name() {
        return Variant.BATCH;
    }

    @Override
    public void start(Spec spec, Completions completions) {
        Deserializer<String> keys = new StringDeserializer();
        Workload workload = spec.workload();
        Deserializer<Object> values = workload.payload.deserializer();
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .name("bench-batch")
            .consumerFactory(() -> new KafkaConsumer<>(spec.consumerProperties(""), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer()))
            .config(EngineConfig.builder().handlerThreads(Math.max(spec.concurrency(), 8)).build());
        for (int h = 0; h < workload.handlers; h++) {
            int handler = h;
            builder.subscription(Subscription.builder("batch-" + h).topics(spec.topic())
                .ordering(Ordering.valueOf(spec.ordering()))
                .concurrency(spec.concurrency())
                .keyDeserializer(keys)
                .valueDeserializer(values)
                .batching(Batching.of(MAX_RECORDS, Duration.ofMillis(100)))
                .batchHandler((records) -> {
                    long startedAt = Completions.started(records.get(0).offset());
                    if (workload == Workload.ASYNC5) {
                        return workload.runAsync().thenRun(() -> handled(completions, handler, records, startedAt));
                    }
                    workload.runBlocking();
                    handled(completions, handler, records, startedAt);
                    return null;
                })
                .build());
        }
        this.engine = builder.build();
        this.engine.start();
    }

    private static void handled(Completions completions, int handler, List<ConsumerRecord<String, Object>> records,
            long startedAt) {
        for (int i = 0; i < records.size(); i++) {
            ConsumerRecord<String, Object> record = records.get(i);
            completions.handled(handler, record.partition(), record.offset(), record.value(), startedAt);
        }
    }

    @Override
    public boolean stop() throws InterruptedException {
        return this.engine.stop();
    }

    @Override
    public boolean isPollThread(String threadName) {
        return threadName.startsWith("ackflow-poll-");
    }

}
