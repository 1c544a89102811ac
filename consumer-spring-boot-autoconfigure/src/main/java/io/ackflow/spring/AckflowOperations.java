package io.ackflow.spring;

import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
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
 * seek, commit now. A request about a topic or partition goes to the consumers that read that
 * topic; commit now goes to all. Each request is carried out by the poll thread (the only thread that touches
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
        return onEnginesReading(Set.of(topic), (engine) -> engine.pause(topic));
    }

    /** Resumes a topic paused by {@link #pause(String)}. */
    public CompletableFuture<Void> resume(String topic) {
        return onEnginesReading(Set.of(topic), (engine) -> engine.resume(topic));
    }

    /** Pauses {@code partitions} until {@link #resume(Collection)}. */
    public CompletableFuture<Void> pause(Collection<TopicPartition> partitions) {
        return onEnginesReading(topics(partitions), (engine) -> engine.pause(partitions));
    }

    /** Resumes partitions paused by {@link #pause(Collection)}. */
    public CompletableFuture<Void> resume(Collection<TopicPartition> partitions) {
        return onEnginesReading(topics(partitions), (engine) -> engine.resume(partitions));
    }

    /**
     * Reads {@code partition} from {@code offset} next. Its records in flight are dropped (their
     * completions are ignored). A partition not assigned to this member is sought if it is
     * assigned in the next rebalance; the future completes when the seek is applied or stored.
     */
    public CompletableFuture<Void> seek(TopicPartition partition, long offset) {
        return onEnginesReading(Set.of(partition.topic()), (engine) -> engine.seek(partition, offset));
    }

    private static Set<String> topics(Collection<TopicPartition> partitions) {
        Set<String> topics = new HashSet<>();
        partitions.forEach((partition) -> topics.add(partition.topic()));
        return topics;
    }

    /** Applies {@code action} to the engines that read one of {@code topics}; fails when none does. */
    private CompletableFuture<Void> onEnginesReading(Set<String> topics,
            Function<AckflowEngine, CompletableFuture<Void>> action) {
        List<AckflowEngine> engines = this.registry.getEngines().values().stream()
            .filter((engine) -> engine.subscriptions().stream().anyMatch((s) -> !Collections.disjoint(s.topics(), topics)))
            .toList();
        if (engines.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "No Ackflow consumer of this application reads " + topics));
        }
        return CompletableFuture.allOf(engines.stream().map(action).toArray(CompletableFuture[]::new));
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

    private static <T> CompletableFuture<T> noConsumer() {
        return CompletableFuture.failedFuture(new IllegalStateException(
                "No @StreamListener method is registered, so there is no consumer to operate on"));
    }

}
