package io.ackflow.spring;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.AckflowEngine;

/**
 * What an application may ask of the running consumers: pause and resume topics or partitions,
 * seek, commit now; each request goes to every Ackflow consumer of the application (a consumer
 * ignores partitions it is not assigned, apart from remembering pauses and seeks for later). Each request is carried out by the poll thread (the only thread that touches
 * the Kafka consumer); the returned future completes when it has been. A pause asked for by the
 * application is kept across rebalances and is separate from flow control: neither undoes the
 * other.
 */
public class AckflowOperations {

    private final StreamListenerRegistry registry;

    public AckflowOperations(StreamListenerRegistry registry) {
        this.registry = registry;
    }

    /** Pauses every partition of {@code topic}, also those assigned later, until {@link #resume(String)}. */
    public CompletableFuture<Void> pause(String topic) {
        return withEngine((engine) -> engine.pause(topic));
    }

    /** Resumes a topic paused by {@link #pause(String)}. */
    public CompletableFuture<Void> resume(String topic) {
        return withEngine((engine) -> engine.resume(topic));
    }

    /** Pauses {@code partitions} until {@link #resume(Collection)}. */
    public CompletableFuture<Void> pause(Collection<TopicPartition> partitions) {
        return withEngine((engine) -> engine.pause(partitions));
    }

    /** Resumes partitions paused by {@link #pause(Collection)}. */
    public CompletableFuture<Void> resume(Collection<TopicPartition> partitions) {
        return withEngine((engine) -> engine.resume(partitions));
    }

    /**
     * Reads {@code partition} from {@code offset} next. Its records in flight are dropped (their
     * completions are ignored); a partition not assigned yet is sought when it is.
     */
    public CompletableFuture<Void> seek(TopicPartition partition, long offset) {
        return withEngine((engine) -> engine.seek(partition, offset));
    }

    /** Commits what is committable now; completes with the offsets committed. */
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitNow() {
        Collection<AckflowEngine> engines = this.registry.getEngines().values();
        if (engines.isEmpty()) {
            return noConsumer();
        }
        List<CompletableFuture<Map<TopicPartition, OffsetAndMetadata>>> commits = engines.stream()
            .map(AckflowEngine::commitNow).toList();
        return CompletableFuture.allOf(commits.toArray(CompletableFuture[]::new)).thenApply((done) -> {
            Map<TopicPartition, OffsetAndMetadata> all = new HashMap<>();
            commits.forEach((commit) -> all.putAll(commit.join()));
            return all;
        });
    }

    /** Applies {@code action} to every consumer's engine; completes when all are done. */
    private CompletableFuture<Void> withEngine(Function<AckflowEngine, CompletableFuture<Void>> action) {
        Collection<AckflowEngine> engines = this.registry.getEngines().values();
        if (engines.isEmpty()) {
            return noConsumer();
        }
        return CompletableFuture.allOf(engines.stream().map(action).toArray(CompletableFuture[]::new));
    }

    private static <T> CompletableFuture<T> noConsumer() {
        return CompletableFuture.failedFuture(new IllegalStateException(
                "No @StreamListener method is registered, so there is no consumer to operate on"));
    }

}
