package io.ackflow.benchmarks.harness;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.Subscription;

/**
 * Ackflow with the spec's ordering and concurrency; one subscription per handler, all sharing
 * one consumer and, through one deserializer instance, one deserialization per record. An
 * asynchronous handler returns its future; a blocking one sleeps on its handler thread (virtual
 * on 21+, else a pool sized to the concurrency). The poll thread is {@code ackflow-poll-<engine>}.
 */
final class AckflowArm implements Arm {

    private AckflowEngine engine;

    @Override
    public String name() {
        return "ackflow";
    }

    @Override
    public void start(Spec spec, Completions completions) {
        Deserializer<String> keys = new StringDeserializer();
        Workload workload = spec.workload();
        Deserializer<Object> values = workload.payload.deserializer();
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .name("bench")
            .consumerFactory(() -> new KafkaConsumer<>(spec.consumerProperties(""), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer()))
            .config(EngineConfig.builder().handlerThreads(Math.max(spec.concurrency(), 8)).build());
        for (int h = 0; h < workload.handlers; h++) {
            int handler = h;
            builder.subscription(Subscription.builder("handler-" + h).topics(spec.topic())
                .ordering(Ordering.valueOf(spec.ordering()))
                .concurrency(spec.concurrency())
                .keyDeserializer(keys)
                .valueDeserializer(values)
                .handler((record) -> {
                    long startedAt = Completions.started(record.offset());
                    if (workload == Workload.ASYNC5) {
                        return workload.runAsync().thenRun(() -> completions.handled(handler, record.partition(),
                                record.offset(), record.value(), startedAt));
                    }
                    workload.runBlocking();
                    completions.handled(handler, record.partition(), record.offset(), record.value(), startedAt);
                    return null;
                })
                .build());
        }
        this.engine = builder.build();
        this.engine.start();
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
