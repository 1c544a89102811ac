package io.ackflow.spring.actuate;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
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
 * thread) and why it is paused; per subscription, ordering, concurrency, in-flight and totals, and
 * whether it is a record or a batch handler (with a batch's max records and max wait); for a share
 * consumer, its records in hand and their lock ({@link ShareDescription}).
 * Never a payload or a key: they may hold personal data.
 * <p>
 * Read-only by default. With {@code management.endpoint.ackflow.access=unrestricted},
 * {@code POST /actuator/ackflow/{pause|resume|seek|commit}} with a JSON body such as
 * {@code {"topic": "orders", "partitions": "0,1", "to": "timestamp", "timestamp": "2026-12-01T06:00:00Z"}}
 * does what {@link AckflowOperations} does (see {@link #operate}); over HTTP,
 * {@link AckflowEndpointWebExtension} answers a bad request with a 400 that says what is wrong.
 */
@Endpoint(id = "ackflow", defaultAccess = Access.READ_ONLY)
public class AckflowEndpoint {

    /** How long a write waits for the consumers, besides a seek's wait for running handlers. */
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

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
     * Pauses, resumes, seeks or commits, on the consumers that read the topic, and waits until
     * their poll threads have done it: {@code POST /actuator/ackflow/{action}} with a JSON body.
     * Needs {@code management.endpoint.ackflow.access=unrestricted}.
     * @param action {@code pause}, {@code resume}, {@code seek} or {@code commit}
     * @param topic the topic; optional for {@code commit} only (then every partition is committed)
     * @param partition one partition of the topic
     * @param partitions some partitions of the topic, separated by commas ({@code "0,1"}: Spring
     *        Boot reads an endpoint's body as scalar values); without {@code partition} or
     *        {@code partitions}, every partition of the topic assigned to this instance
     * @param to for {@code seek}: {@code beginning}, {@code end}, {@code committed}, {@code offset}
     *        or {@code timestamp}
     * @param offset for {@code "to": "offset"}: the offset to read next
     * @param timestamp for {@code "to": "timestamp"}: an ISO-8601 instant or milliseconds since
     *        1970; each partition is read from its first record at or after it, or from its end
     * @return what was asked and, for a seek, where each partition is read from next; for a commit,
     *         the offsets committed
     * @throws InvalidEndpointRequestException when a field is missing, malformed or does not fit the
     *         action, or names a topic no consumer reads, or a partition a seek cannot find an offset for
     * @throws IllegalStateException when a consumer is not running or could not carry it out in time
     */
    @WriteOperation
    public Map<String, Object> operate(@Selector String action, @Nullable String topic, @Nullable Integer partition,
            @Nullable String partitions, @Nullable String to, @Nullable Long offset, @Nullable String timestamp) {
        AckflowWriteRequest request = AckflowWriteRequest.parse(action, topic, partition, partitions, to, offset,
                timestamp);
        Duration timeout = writeTimeout();
        try {
            return request.send(this.operations).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (ExecutionException ex) {
            throw failure(action, ex.getCause());
        }
        catch (TimeoutException ex) {
            throw new IllegalStateException("The consumers did not " + action + " within " + timeout
                    + "; they may still do it: see GET /actuator/ackflow");
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the consumers to " + action, ex);
        }
    }

    /**
     * How long a write waits for the consumers: a seek may wait for running handlers as long as
     * the longest {@code ackflow.rebalance-drain-timeout}, and then for the broker.
     */
    private Duration writeTimeout() {
        Duration drain = Duration.ZERO;
        for (AckflowEngine engine : this.registry.getEngines().values()) {
            Duration timeout = engine.config().rebalanceDrainTimeout();
            drain = (timeout.compareTo(drain) > 0) ? timeout : drain;
        }
        return WRITE_TIMEOUT.plus(drain);
    }

    /** A request the consumers refused as invalid is the caller's to fix; the rest is the consumers' state. */
    private static RuntimeException failure(String action, Throwable cause) {
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof IllegalArgumentException) {
            return new InvalidEndpointRequestException(cause.getMessage(), cause.getMessage());
        }
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        return new IllegalStateException("The consumers could not " + action + ": " + cause, cause);
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
            one.put("handler", subscription.isBatch() ? "batch" : "record");
            if (subscription.isBatch()) {
                one.put("batch", Map.of("maxRecords", subscription.batching().maxRecords(), "maxWait",
                        subscription.batching().maxWait().toString()));
            }
            one.put("inFlight", subscription.inFlight());
            one.put("handled", subscription.handled());
            one.put("failed", subscription.failed());
            one.put("retried", subscription.retried());
            one.put("deadLettered", subscription.deadLettered());
            one.put("skipped", subscription.skipped());
            subscriptions.add(one);
        }
        out.put("subscriptions", subscriptions);
        Map<String, Object> share = ShareDescription.of(engine);
        if (share != null) {
            out.put("share", share);
        }
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
