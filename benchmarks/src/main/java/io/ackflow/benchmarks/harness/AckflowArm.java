package io.ackflow.benchmarks.harness;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.Subscription;

/**
 * Ackflow with the spec's ordering and concurrency; one subscription per handler (two for
 * {@code fanout2}, sharing one deserialization and one consumer). An asynchronous handler returns
 * its future; a blocking one sleeps on its handler thread (virtual on 21+, else a pool sized to
 * the concurrency).
 */
final class AckflowArm implements Arm {

    private AckflowEngine engine;

    @Override
    public String name() {
        return "ackflow";
    }

    @Override
    public void start(Spec spec, Probe probe) {
        FanOutCounter counter = new FanOutCounter(spec.workload().handlers, probe);
        StringDeserializer strings = new StringDeserializer();
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .name("bench")
            .consumerFactory(() -> new KafkaConsumer<>(spec.consumerProperties(""), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer()))
            .config(EngineConfig.builder().handlerThreads(Math.max(spec.concurrency(), 8)).build());
        Workload workload = spec.workload();
        for (int h = 0; h < workload.handlers; h++) {
            builder.subscription(Subscription.builder("handler-" + h).topics(spec.topic())
                .ordering(Ordering.valueOf(spec.ordering()))
                .concurrency(spec.concurrency())
                .keyDeserializer(strings)
                .valueDeserializer(strings)
                .handler((record) -> {
                    long startedAt = System.nanoTime();
                    if (workload == Workload.ASYNC5) {
                        return workload.runAsync()
                            .thenRun(() -> counter.done(record.partition(), record.offset(), startedAt));
                    }
                    workload.runBlocking();
                    counter.done(record.partition(), record.offset(), startedAt);
                    return null;
                })
                .build());
        }
        this.engine = builder.build();
        this.engine.start();
    }

    @Override
    public void stop() throws InterruptedException {
        this.engine.stop();
    }

}
