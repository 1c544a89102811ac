package io.ackflow.spring.actuate;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;

import io.ackflow.consumer.Seek;
import io.ackflow.consumer.SeekResult;
import io.ackflow.spring.AckflowOperations;

/**
 * One write request to {@code /actuator/ackflow}, checked field by field: {@code pause},
 * {@code resume}, {@code seek} or {@code commit}, the topic, the partitions (all of the topic's
 * when none is named) and, for a seek, where to. Spring Boot reads an endpoint's JSON body as
 * scalar values only, so several partitions come as one string, {@code "0,1"}. A field that is missing, unknown to the action
 * or malformed is refused with an {@link InvalidEndpointRequestException} that says which and what
 * to send instead; nothing is asked of the consumers then.
 * <p>
 * Immutable; any thread.
 */
final class AckflowWriteRequest {

    private static final String ACTIONS = "pause, resume, seek or commit";

    private static final String TARGETS = "beginning, end, committed, offset or timestamp";

    private final String action;

    private final @Nullable String topic;

    /** The partitions named, as given: one {@code partition}, or the list {@code partitions}; null for all. */
    private final @Nullable List<Integer> partitions;

    private final boolean onePartition;

    private final @Nullable Seek seek;

    private AckflowWriteRequest(String action, @Nullable String topic, @Nullable List<Integer> partitions,
            boolean onePartition, @Nullable Seek seek) {
        this.action = action;
        this.topic = topic;
        this.partitions = partitions;
        this.onePartition = onePartition;
        this.seek = seek;
    }

    /**
     * Checks the fields of a request.
     * @throws InvalidEndpointRequestException naming what is wrong
     */
    static AckflowWriteRequest parse(String action, @Nullable String topic, @Nullable Integer partition,
            @Nullable String partitions, @Nullable String to, @Nullable Long offset, @Nullable String timestamp) {
        if (!List.of("pause", "resume", "seek", "commit").contains(action)) {
            throw invalid("Unknown action '" + action + "': use " + ACTIONS);
        }
        if (topic == null || topic.isBlank()) {
            if (!action.equals("commit")) {
                throw invalid("'topic' is required: the topic to " + action);
            }
            if (partition != null || partitions != null) {
                throw invalid("'partition' and 'partitions' need the 'topic' they belong to");
            }
            topic = null;
        }
        if (partition != null && partitions != null) {
            throw invalid("Give either 'partition' or 'partitions', not both");
        }
        if (partition != null && partition < 0) {
            throw invalid("'partition' is a partition number, 0 or more; got " + partition);
        }
        List<Integer> numbers = (partition != null) ? List.of(partition) : numbers(partitions);
        Seek seek = action.equals("seek") ? seek(to, offset, timestamp) : null;
        if (seek == null && (to != null || offset != null || timestamp != null)) {
            throw invalid("'to', 'offset' and 'timestamp' are read by seek only, not by " + action);
        }
        return new AckflowWriteRequest(action, topic, numbers, partition != null, seek);
    }

    /** Asks the consumers through {@code operations}; completes with the response body. */
    CompletableFuture<Map<String, Object>> send(AckflowOperations operations) {
        List<TopicPartition> named = named();
        return switch (this.action) {
            case "pause" -> ((named != null) ? operations.pause(named) : operations.pause(this.topic))
                .thenApply((done) -> body());
            case "resume" -> ((named != null) ? operations.resume(named) : operations.resume(this.topic))
                .thenApply((done) -> body());
            case "seek" -> ((named != null) ? operations.seek(named, this.seek) : operations.seek(this.topic, this.seek))
                .thenApply(this::sought);
            default -> ((named != null) ? operations.commitNow(named)
                    : (this.topic != null) ? operations.commitNow(this.topic) : operations.commitNow())
                .thenApply(this::committed);
        };
    }

    private @Nullable List<TopicPartition> named() {
        if (this.partitions == null) {
            return null;
        }
        return this.partitions.stream().map((number) -> new TopicPartition(this.topic, number)).toList();
    }

    /** What was asked: the action, the topic, the partitions as given and, for a seek, where to. */
    private Map<String, Object> body() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("action", this.action);
        if (this.topic != null) {
            body.put("topic", this.topic);
        }
        if (this.partitions != null) {
            body.put(this.onePartition ? "partition" : "partitions",
                    this.onePartition ? this.partitions.get(0) : this.partitions);
        }
        if (this.seek != null) {
            body.put("to", this.seek.kind().name().toLowerCase(Locale.ROOT));
            if (this.seek.kind() == Seek.Kind.OFFSET) {
                body.put("offset", this.seek.offset());
            }
            else if (this.seek.kind() == Seek.Kind.TIMESTAMP) {
                body.put("timestamp", this.seek.timestamp().toString());
            }
        }
        return body;
    }

    /** Per consumer, the partitions sought and those that wait for an assignment, with the offsets they are read from. */
    private Map<String, Object> sought(Map<String, SeekResult> results) {
        Map<String, Object> consumers = new LinkedHashMap<>();
        results.forEach((name, result) -> {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("sought", offsets(result.sought()));
            one.put("awaitingAssignment", offsets(result.awaitingAssignment()));
            consumers.put(name, one);
        });
        Map<String, Object> body = body();
        body.put("consumers", consumers);
        return body;
    }

    private Map<String, Object> committed(Map<TopicPartition, OffsetAndMetadata> committed) {
        Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
        committed.forEach((partition, offset) -> offsets.put(partition, offset.offset()));
        Map<String, Object> body = body();
        body.put("committed", offsets(offsets));
        return body;
    }

    /** {@code [{"topic": "orders", "partition": 0, "offset": 12}, ...]}, in partition order. */
    private static List<Map<String, Object>> offsets(Map<TopicPartition, Long> offsets) {
        List<Map<String, Object>> list = new ArrayList<>();
        offsets.entrySet().stream()
            .sorted(Map.Entry.comparingByKey((a, b) -> (a.topic().equals(b.topic()))
                    ? Integer.compare(a.partition(), b.partition()) : a.topic().compareTo(b.topic())))
            .forEach((entry) -> {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("topic", entry.getKey().topic());
                one.put("partition", entry.getKey().partition());
                one.put("offset", entry.getValue());
                list.add(one);
            });
        return list;
    }

    /** {@code "0,1"}: partition numbers separated by commas (Spring Boot gives an endpoint scalar values only). */
    private static @Nullable List<Integer> numbers(@Nullable String partitions) {
        if (partitions == null) {
            return null;
        }
        List<Integer> numbers = new ArrayList<>();
        for (String number : partitions.split(",", -1)) {
            try {
                int parsed = Integer.parseInt(number.trim());
                if (parsed >= 0) {
                    numbers.add(parsed);
                    continue;
                }
            }
            catch (NumberFormatException ex) {
                // refused below
            }
            throw invalid("'partitions' lists partition numbers separated by commas, like \"0,1\"; got \"" + partitions
                    + "\"");
        }
        return List.copyOf(numbers);
    }

    private static Seek seek(@Nullable String to, @Nullable Long offset, @Nullable String timestamp) {
        if (to == null) {
            throw invalid("'to' is required for seek: " + TARGETS);
        }
        String target = to.trim().toLowerCase(Locale.ROOT);
        if (offset != null && !target.equals("offset")) {
            throw invalid("'offset' is read only with \"to\": \"offset\"");
        }
        if (timestamp != null && !target.equals("timestamp")) {
            throw invalid("'timestamp' is read only with \"to\": \"timestamp\"");
        }
        return switch (target) {
            case "beginning" -> Seek.toBeginning();
            case "end" -> Seek.toEnd();
            case "committed" -> Seek.toCommitted();
            case "offset" -> {
                if (offset == null || offset < 0) {
                    throw invalid("\"to\": \"offset\" needs 'offset', the offset to read next (0 or more); got "
                            + offset);
                }
                yield Seek.toOffset(offset);
            }
            case "timestamp" -> Seek.toTimestamp(instant(timestamp));
            default -> throw invalid("Unknown 'to' '" + to + "': use " + TARGETS);
        };
    }

    /** An ISO-8601 instant ({@code 2026-12-01T06:00:00Z}) or milliseconds since 1970. */
    private static Instant instant(@Nullable String timestamp) {
        String hint = "an ISO-8601 instant such as 2026-12-01T06:00:00Z, or milliseconds since 1970";
        if (timestamp == null || timestamp.isBlank()) {
            throw invalid("\"to\": \"timestamp\" needs 'timestamp': " + hint);
        }
        try {
            Instant instant = timestamp.chars().allMatch(Character::isDigit) ? Instant.ofEpochMilli(Long.parseLong(timestamp))
                    : Instant.parse(timestamp.trim());
            if (instant.isBefore(Instant.EPOCH)) {
                throw invalid("'timestamp' must not be before 1970; got " + timestamp);
            }
            return instant;
        }
        catch (DateTimeParseException | NumberFormatException ex) {
            throw invalid("'timestamp' is " + hint + "; got " + timestamp);
        }
    }

    private static InvalidEndpointRequestException invalid(String message) {
        return new InvalidEndpointRequestException(message, message);
    }

}
