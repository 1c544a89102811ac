package io.ackflow.spring;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineNotRunningException;
import io.ackflow.consumer.Seek;
import io.ackflow.consumer.SeekResult;

/**
 * What an application may ask of the running consumers: pause and resume topics or partitions,
 * seek, commit now. A request about a topic or partition goes to the consumers that read that
 * topic; a request about everything goes to all. Each request is carried out by the poll thread
 * of each consumer (the only thread that touches its Kafka consumer); the returned future
 * completes when every one has, and fails when one fails, for example with an
 * {@link EngineNotRunningException} when a consumer is not running. A pause asked for by the
 * application is kept across rebalances and is separate from flow control: neither undoes the
 * other.
 * <p>
 * A seek moves only the partitions assigned to this instance of the application: to rewind a
 * whole group, ask every instance.
 */
public class AckflowOperations {

    private final StreamListenerRegistry registry;

    public AckflowOperations(StreamListenerRegistry registry) {
        this.registry = registry;
    }

    /** Pauses every partition of {@code topic}, also those assigned later, until {@link #resume(String)}. */
    public CompletableFuture<Void> pause(String topic) {
        return ask(() -> allOf(enginesReading(Set.of(topic)), (engine) -> engine.pause(topic)));
    }

    /** Resumes a topic paused by {@link #pause(String)}. */
    public CompletableFuture<Void> resume(String topic) {
        return ask(() -> allOf(enginesReading(Set.of(topic)), (engine) -> engine.resume(topic)));
    }

    /** Pauses {@code partitions} until {@link #resume(Collection)}. */
    public CompletableFuture<Void> pause(Collection<TopicPartition> partitions) {
        return ask(() -> allOf(enginesReading(topics(partitions)), (engine) -> engine.pause(partitions)));
    }

    /** Resumes partitions paused by {@link #pause(Collection)}. */
    public CompletableFuture<Void> resume(Collection<TopicPartition> partitions) {
        return ask(() -> allOf(enginesReading(topics(partitions)), (engine) -> engine.resume(partitions)));
    }

    /**
     * Reads {@code partition} from {@code offset} next; see {@link #seek(Collection, Seek)}.
     * @throws IllegalArgumentException when {@code offset} is negative
     */
    public CompletableFuture<Void> seek(TopicPartition partition, long offset) {
        Seek to = Seek.toOffset(offset);
        return seek(List.of(partition), to).thenApply((results) -> null);
    }

    /**
     * Seeks {@code partitions} to {@code to}: an offset, the beginning, the end, a timestamp or
     * the group's committed offset. Each partition assigned to a consumer is handed over as in a
     * revoke: its queued records are dropped, the handlers running on it are waited for up to
     * {@code ackflow.rebalance-drain-timeout}, what they finish later is ignored, and it is read
     * from the new offset. A partition not assigned to this instance is sought if the next
     * rebalance assigns it here.
     * @return where each consumer's partitions are read from next, by consumer name; fails, with
     *         nothing sought by that consumer, when an offset cannot be found (a partition without
     *         a committed offset, a broker that does not answer)
     */
    public CompletableFuture<Map<String, SeekResult>> seek(Collection<TopicPartition> partitions, Seek to) {
        return ask(() -> byConsumer(enginesReading(topics(partitions)), (engine) -> engine.seek(partitions.stream()
            .filter((partition) -> reads(engine, Set.of(partition.topic()))).toList(), to)));
    }

    /** Seeks every partition of {@code topic} assigned to a consumer of this instance; see {@link #seek(Collection, Seek)}. */
    public CompletableFuture<Map<String, SeekResult>> seek(String topic, Seek to) {
        return ask(() -> byConsumer(enginesReading(Set.of(topic)), (engine) -> engine.seek(topic, to)));
    }

    /** Seeks every partition assigned to every consumer of this instance; see {@link #seek(Collection, Seek)}. */
    public CompletableFuture<Map<String, SeekResult>> seek(Seek to) {
        return ask(() -> byConsumer(allEngines(), (engine) -> engine.seek(to)));
    }

    /** Commits what is committable now; completes with the offsets committed. */
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitNow() {
        return ask(() -> merged(allEngines(), AckflowEngine::commitNow));
    }

    /**
     * Commits what is committable now in {@code partitions}; completes with the offsets committed.
     * Under exactly-once each consumer's open transaction commits whole.
     */
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitNow(Collection<TopicPartition> partitions) {
        return ask(() -> merged(enginesReading(topics(partitions)), (engine) -> engine.commitNow(partitions.stream()
            .filter((partition) -> reads(engine, Set.of(partition.topic()))).toList())));
    }

    /** Commits what is committable now in the partitions of {@code topic}; completes with the offsets committed. */
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> commitNow(String topic) {
        return ask(() -> merged(enginesReading(Set.of(topic)), (engine) -> engine.commitNow(topic)));
    }

    private static Set<String> topics(Collection<TopicPartition> partitions) {
        Set<String> topics = new HashSet<>();
        partitions.forEach((partition) -> topics.add(partition.topic()));
        return topics;
    }

    private static boolean reads(AckflowEngine engine, Set<String> topics) {
        return engine.subscriptions().stream().anyMatch((s) -> s.topics().stream().anyMatch(topics::contains));
    }

    /**
     * Sends a request: a request that names no consumer, or that a consumer refuses at once (a
     * topic it does not read), fails its future rather than throwing, as a request a consumer
     * cannot carry out does.
     */
    private static <T> CompletableFuture<T> ask(Supplier<CompletableFuture<T>> request) {
        try {
            return request.get();
        }
        catch (IllegalArgumentException | IllegalStateException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * The consumers that read one of {@code topics}, by name.
     * @throws IllegalArgumentException when none does
     */
    private Map<String, AckflowEngine> enginesReading(Set<String> topics) {
        Map<String, AckflowEngine> engines = new LinkedHashMap<>();
        this.registry.getEngines().forEach((name, engine) -> {
            if (reads(engine, topics)) {
                engines.put(name, engine);
            }
        });
        if (engines.isEmpty()) {
            throw new IllegalArgumentException("No Ackflow consumer of this application reads " + topics);
        }
        return engines;
    }

    private Map<String, AckflowEngine> allEngines() {
        Map<String, AckflowEngine> engines = this.registry.getEngines();
        if (engines.isEmpty()) {
            throw new IllegalStateException("No @StreamListener method is registered, so there is no consumer to operate on");
        }
        return engines;
    }

    /** Applies {@code action} to every engine; completes when all did. */
    private static CompletableFuture<Void> allOf(Map<String, AckflowEngine> engines,
            Function<AckflowEngine, CompletableFuture<Void>> action) {
        return CompletableFuture.allOf(engines.values().stream().map(action).toArray(CompletableFuture[]::new));
    }

    /** Applies {@code action} to every engine; completes with each one's result, by consumer name. */
    private static <T> CompletableFuture<Map<String, T>> byConsumer(Map<String, AckflowEngine> engines,
            Function<AckflowEngine, CompletableFuture<T>> action) {
        Map<String, CompletableFuture<T>> results = new LinkedHashMap<>();
        engines.forEach((name, engine) -> results.put(name, action.apply(engine)));
        return CompletableFuture.allOf(results.values().toArray(CompletableFuture[]::new)).thenApply((done) -> {
            Map<String, T> all = new LinkedHashMap<>();
            results.forEach((name, result) -> all.put(name, result.join()));
            return all;
        });
    }

    /** Applies {@code action} to every engine; completes with the union of their offsets. */
    private static CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> merged(Map<String, AckflowEngine> engines,
            Function<AckflowEngine, CompletableFuture<Map<TopicPartition, OffsetAndMetadata>>> action) {
        return byConsumer(engines, action).thenApply((byConsumer) -> {
            Map<TopicPartition, OffsetAndMetadata> all = new HashMap<>();
            byConsumer.values().forEach(all::putAll);
            return all;
        });
    }

}
