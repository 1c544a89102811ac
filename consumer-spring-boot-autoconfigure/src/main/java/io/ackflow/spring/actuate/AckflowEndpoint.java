package io.ackflow.spring.actuate;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.state.EngineSnapshot;
import io.ackflow.consumer.state.PartitionSnapshot;
import io.ackflow.consumer.state.SubscriptionSnapshot;
import io.ackflow.spring.AckflowOperations;
import io.ackflow.spring.StreamListenerRegistry;

/**
 * {@code /actuator/ackflow}: per consumer, its group, generation, member id and state; per
 * assigned partition, the committed and committable offsets, the fetch position, the in-flight
 * count, the first unacked record (offset, age, the subscriptions still holding it, the handler
 * thread) and why it is paused; per subscription, ordering, concurrency, in-flight and totals.
 * Never a payload or a key: they may hold personal data.
 * <p>
 * Read-only by default. {@code POST /actuator/ackflow/pause} and {@code /resume} with
 * {@code {"topic": "orders", "partition": 3}} (partition optional: the whole topic) pause and
 * resume fetching; they need {@code management.endpoint.ackflow.access=unrestricted}.
 */
@Endpoint(id = "ackflow", defaultAccess = Access.READ_ONLY)
public class AckflowEndpoint {

    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);

    private final StreamListenerRegistry registry;

    private final AckflowOperations operations;

    public AckflowEndpoint(StreamListenerRegistry registry, AckflowOperations operations) {
        this.registry = registry;
        this.operations = operations;
    }

    @ReadOperation
    public Map<String, Object> consumers() {
        Map<String, Object> consumers = new LinkedHashMap<>();
        this.registry.getEngines().forEach((name, engine) -> consumers.put(name, describe(engine)));
        return Map.of("consumers", consumers);
    }

    /**
     * Pauses or resumes a topic, or one partition of it, on the consumers that read it.
     * @param action {@code pause} or {@code resume}
     */
    @WriteOperation
    public Map<String, Object> changeFetching(@Selector String action, String topic, @Nullable Integer partition)
            throws Exception {
        CompletableFuture<Void> done = switch (action) {
            case "pause" -> (partition != null) ? this.operations.pause(List.of(new TopicPartition(topic, partition)))
                    : this.operations.pause(topic);
            case "resume" -> (partition != null) ? this.operations.resume(List.of(new TopicPartition(topic, partition)))
                    : this.operations.resume(topic);
            default -> throw new IllegalArgumentException("Unknown action '" + action + "': use pause or resume");
        };
        done.get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("action", action);
        result.put("topic", topic);
        if (partition != null) {
            result.put("partition", partition);
        }
        return result;
    }

    private static Map<String, Object> describe(AckflowEngine engine) {
        EngineSnapshot snapshot = engine.snapshot();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("state", engine.state().name());
        Throwable failure = engine.failure();
        if (failure != null) {
            out.put("failure", failure.toString());
        }
        out.put("groupId", snapshot.groupId());
        out.put("generation", snapshot.generationId());
        out.put("memberId", snapshot.memberId());
        out.put("snapshotAt", snapshot.takenAt().toString());
        List<Map<String, Object>> partitions = new ArrayList<>();
        for (PartitionSnapshot partition : snapshot.partitions()) {
            partitions.add(describe(partition, snapshot.takenAt()));
        }
        out.put("partitions", partitions);
        List<Map<String, Object>> subscriptions = new ArrayList<>();
        for (SubscriptionSnapshot subscription : snapshot.subscriptions()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("id", subscription.id());
            one.put("topics", subscription.topics());
            one.put("ordering", subscription.ordering().name());
            one.put("concurrency", subscription.concurrency());
            one.put("inFlight", subscription.inFlight());
            one.put("handled", subscription.handled());
            one.put("failed", subscription.failed());
            one.put("retried", subscription.retried());
            one.put("deadLettered", subscription.deadLettered());
            one.put("skipped", subscription.skipped());
            subscriptions.add(one);
        }
        out.put("subscriptions", subscriptions);
        return out;
    }

    private static Map<String, Object> describe(PartitionSnapshot partition, Instant takenAt) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("topic", partition.partition().topic());
        out.put("partition", partition.partition().partition());
        out.put("committed", partition.committed());
        out.put("committable", partition.committable());
        out.put("position", partition.position());
        out.put("inFlight", partition.inFlight());
        out.put("commitLag", partition.commitLag());
        if (partition.oldestPendingOffset() >= 0) {
            Map<String, Object> oldest = new LinkedHashMap<>();
            oldest.put("offset", partition.oldestPendingOffset());
            oldest.put("heldBy", partition.oldestPendingHolders());
            if (partition.oldestPendingStartedAt() != null) {
                oldest.put("runningSince", partition.oldestPendingStartedAt().toString());
                oldest.put("age", partition.oldestPendingAge(takenAt).toString());
                oldest.put("thread", partition.oldestPendingThread());
            }
            out.put("oldestPending", oldest);
        }
        out.put("stuck", partition.stuck());
        Set<?> reasons = partition.pauseReasons();
        out.put("paused", reasons.stream().map(Object::toString).sorted().toList());
        return out;
    }

}
