package io.ackflow.benchmarks.harness;

import java.util.List;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineConfig;
import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.Subscription;

/**
 * Ackflow's share consumer: one share consumer in one share group, one UNORDERED subscription per
 * handler with the spec's concurrency, every record fetched once, deserialized once and
 * acknowledged once all handlers are done with it. A blocking handler sleeps on its handler thread
 * (virtual on 21+). The poll thread is {@code ackflow-poll-<engine>}.
 */
final class AckflowShareArm implements Arm {

    private AckflowEngine engine;

    @Override
    public String name() {
        return "ackflow-share";
    }

    @Override
    public void start(Spec spec, Completions completions) throws Exception {
        String group = groups(spec).get(0);
        ShareGroups.fromEarliest(spec.bootstrap(), List.of(group));
        Deserializer<String> keys = new StringDeserializer();
        Workload workload = spec.workload();
        Deserializer<Object> values = workload.payload.deserializer();
        AckflowEngine.Builder builder = AckflowEngine.builder()
            .name("bench-share")
            .shareConsumerConfigs(ShareGroups.consumerProperties(spec, group))
            .config(EngineConfig.builder().handlerThreads(Math.max(spec.concurrency(), 8)).build());
        for (int h = 0; h < workload.handlers; h++) {
            int handler = h;
            builder.subscription(Subscription.builder("handler-" + h).topics(spec.topic())
                .ordering(Ordering.UNORDERED)
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

    @Override
    public boolean commitsOffsets() {
        return false;
    }

    @Override
    public List<String> groups(Spec spec) {
        return List.of(spec.group() + "-share");
    }

}
