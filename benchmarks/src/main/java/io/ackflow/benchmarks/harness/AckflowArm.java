package io.ackflow.benchmarks.harness;

import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.Subscription;
import io.ackflow.consumer.state.PartitionSnapshot;

/**
 * Ackflow with the spec's ordering and concurrency; one subscription per handler, all sharing
 * one consumer and, through one deserializer instance, one deserialization per record. An
 * asynchronous handler returns its future; a blocking one sleeps on its handler thread (virtual
 * on 21+, else a pool sized to the concurrency). The poll thread is {@code ackflow-poll-<engine>}.
 * <p>
 * For the in-flight memory probe the arm can be built with in-flight bounds and a gate that every
 * handler waits at, so that records pile up to the bound.
 */
final class AckflowArm implements Arm {

    private final int maxInFlight;

    private final CountDownLatch gate;

    private AckflowEngine engine;

    /** The engine's defaults, handlers not held. */
    AckflowArm() {
        this(0, null);
    }

    /** At most {@code maxInFlight} records in flight (0: the default); handlers wait at {@code gate} when not null. */
    AckflowArm(int maxInFlight, CountDownLatch gate) {
        this.maxInFlight = maxInFlight;
        this.gate = gate;
    }

    @Override
    public String name() {
        return "ackflow";
    }

    @Override
    public void start(Spec spec, Completions completions) {
        Deserializer<String> keys = new StringDeserializer();
        Workload workload = spec.workload();
        Deserializer<Object> values = workload.payload.deserializer();
        EngineConfig.Builder config = EngineConfig.builder().handlerThreads(Math.max(spec.concurrency(), 8));
        if (this.maxInFlight > 0) {
            config.maxInFlight(this.maxInFlight).maxInFlightPerPartition(this.maxInFlight);
        }
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .name("bench")
            .consumerFactory(() -> new KafkaConsumer<>(spec.consumerProperties(""), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer()))
            .config(config.build());
        for (int h = 0; h < workload.handlers; h++) {
            int handler = h;
            builder.subscription(Subscription.builder("handler-" + h).topics(spec.topic())
                .ordering(Ordering.valueOf(spec.ordering()))
                .concurrency(spec.concurrency())
                .keyDeserializer(keys)
                .valueDeserializer(values)
                .handler((record) -> {
                    long startedAt = Completions.started(record.offset());
                    if (this.gate != null) {
                        this.gate.await();
                    }
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

    /** Records in flight as the poll thread last published them (at most half a second old). */
    long inFlight() {
        return this.engine.snapshot().partitions().stream().mapToLong(PartitionSnapshot::inFlight).sum();
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
