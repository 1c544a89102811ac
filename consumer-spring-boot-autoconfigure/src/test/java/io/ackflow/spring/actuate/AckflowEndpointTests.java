package io.ackflow.spring.actuate;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;

import io.ackflow.consumer.EngineNotRunningException;
import io.ackflow.consumer.Seek;
import io.ackflow.consumer.SeekResult;
import io.ackflow.spring.AckflowOperations;
import io.ackflow.spring.StreamListenerRegistry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

/**
 * The endpoint's write operations, which the application must allow: what each request asks of
 * the consumers, what it answers, and how a wrong request is refused (and, over HTTP, with which
 * status and message).
 */
class AckflowEndpointTests {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);

    private static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);

    private final AckflowOperations operations = mock(AckflowOperations.class);

    private final AckflowEndpoint endpoint = new AckflowEndpoint(mock(StreamListenerRegistry.class), this.operations);

    private final AckflowEndpointWebExtension web = new AckflowEndpointWebExtension(this.endpoint);

    @Test
    void pausesOnePartitionSomeOrAWholeTopic() {
        when(this.operations.pause(List.of(ORDERS_0))).thenReturn(done());
        when(this.operations.pause(List.of(ORDERS_0, ORDERS_1))).thenReturn(done());
        when(this.operations.pause("orders")).thenReturn(done());
        assertThat(this.endpoint.operate("pause", "orders", 0, null, null, null, null))
            .isEqualTo(Map.of("action", "pause", "topic", "orders", "partition", 0));
        assertThat(this.endpoint.operate("pause", "orders", null, "0, 1", null, null, null))
            .isEqualTo(Map.of("action", "pause", "topic", "orders", "partitions", List.of(0, 1)));
        assertThat(this.endpoint.operate("pause", "orders", null, null, null, null, null))
            .isEqualTo(Map.of("action", "pause", "topic", "orders"));
        verify(this.operations).pause(List.of(ORDERS_0));
        verify(this.operations).pause(List.of(ORDERS_0, ORDERS_1));
        verify(this.operations).pause("orders");
    }

    @Test
    void resumesWhatWasPaused() {
        when(this.operations.resume("orders")).thenReturn(done());
        this.endpoint.operate("resume", "orders", null, null, null, null, null);
        verify(this.operations).resume("orders");
    }

    @Test
    void seeksAndAnswersWhereEachPartitionIsReadFromByConsumer() {
        when(this.operations.seek(List.of(ORDERS_0, ORDERS_1), Seek.toTimestamp(Instant.parse("2026-12-01T06:00:00Z"))))
            .thenReturn(CompletableFuture.completedFuture(Map.of("ackflow",
                    new SeekResult(Map.of(ORDERS_1, 40L, ORDERS_0, 12L), Map.of()))));
        assertThat(this.endpoint.operate("seek", "orders", null, "0,1", "timestamp", null, "2026-12-01T06:00:00Z"))
            .isEqualTo(Map.of("action", "seek", "topic", "orders", "partitions", List.of(0, 1), "to", "timestamp",
                    "timestamp", "2026-12-01T06:00:00Z", "consumers", Map.of("ackflow", Map.of(
                            "sought", List.of(offset("orders", 0, 12), offset("orders", 1, 40)),
                            "awaitingAssignment", List.of()))));
    }

    @Test
    void readsEachSeekTarget() {
        SeekResult none = SeekResult.NONE;
        for (Seek seek : List.of(Seek.toBeginning(), Seek.toEnd(), Seek.toCommitted(), Seek.toOffset(7),
                Seek.toTimestamp(Instant.ofEpochMilli(1_764_568_800_000L)))) {
            when(this.operations.seek("orders", seek)).thenReturn(CompletableFuture.completedFuture(Map.of("ackflow", none)));
        }
        this.endpoint.operate("seek", "orders", null, null, "beginning", null, null);
        this.endpoint.operate("seek", "orders", null, null, "END", null, null);
        this.endpoint.operate("seek", "orders", null, null, "committed", null, null);
        assertThat(this.endpoint.operate("seek", "orders", null, null, "offset", 7L, null)).containsEntry("offset", 7L);
        assertThat(this.endpoint.operate("seek", "orders", null, null, "timestamp", null, "1764568800000"))
            .as("milliseconds since 1970").containsEntry("timestamp", "2025-12-01T06:00:00Z");
        verify(this.operations).seek("orders", Seek.toBeginning());
        verify(this.operations).seek("orders", Seek.toEnd());
        verify(this.operations).seek("orders", Seek.toCommitted());
        verify(this.operations).seek("orders", Seek.toOffset(7));
        verify(this.operations).seek("orders", Seek.toTimestamp(Instant.ofEpochMilli(1_764_568_800_000L)));
    }

    @Test
    void commitsSomePartitionsATopicOrEverything() {
        when(this.operations.commitNow(List.of(ORDERS_1)))
            .thenReturn(CompletableFuture.completedFuture(Map.of(ORDERS_1, new OffsetAndMetadata(9))));
        when(this.operations.commitNow()).thenReturn(CompletableFuture.completedFuture(Map.of()));
        assertThat(this.endpoint.operate("commit", "orders", 1, null, null, null, null)).isEqualTo(Map.of("action",
                "commit", "topic", "orders", "partition", 1, "committed", List.of(offset("orders", 1, 9))));
        assertThat(this.endpoint.operate("commit", null, null, null, null, null, null))
            .isEqualTo(Map.of("action", "commit", "committed", List.of()));
    }

    @Test
    void aWrongRequestIsRefusedNamingWhatIsWrongAndAsksNothingOfTheConsumers() {
        assertRefused("Unknown action 'rewind': use pause, resume, seek or commit", "rewind", "orders", null, null, null,
                null, null);
        assertRefused("'topic' is required: the topic to seek", "seek", null, null, null, "end", null, null);
        assertRefused("'to' is required for seek: beginning, end, committed, offset or timestamp", "seek", "orders", null,
                null, null, null, null);
        assertRefused("Unknown 'to' 'start': use beginning, end, committed, offset or timestamp", "seek", "orders", null,
                null, "start", null, null);
        assertRefused("\"to\": \"offset\" needs 'offset', the offset to read next (0 or more); got null", "seek", "orders",
                null, null, "offset", null, null);
        assertRefused("\"to\": \"offset\" needs 'offset', the offset to read next (0 or more); got -1", "seek", "orders",
                null, null, "offset", -1L, null);
        assertRefused("'offset' is read only with \"to\": \"offset\"", "seek", "orders", null, null, "end", 5L, null);
        assertRefused("'timestamp' is an ISO-8601 instant such as 2026-12-01T06:00:00Z, or milliseconds since 1970;"
                + " got yesterday", "seek", "orders", null, null, "timestamp", null, "yesterday");
        assertRefused("Give either 'partition' or 'partitions', not both", "seek", "orders", 0, "1", "end", null, null);
        assertRefused("'partitions' lists partition numbers separated by commas, like \"0,1\"; got \"0,-2\"", "pause",
                "orders", null, "0,-2", null, null, null);
        assertRefused("'partitions' lists partition numbers separated by commas, like \"0,1\"; got \"\"", "commit",
                "orders", null, "", null, null, null);
        assertRefused("'partitions' lists partition numbers separated by commas, like \"0,1\"; got \"[0, 1]\"", "pause",
                "orders", null, "[0, 1]", null, null, null);
        assertRefused("'partition' is a partition number, 0 or more; got -1", "pause", "orders", -1, null, null, null,
                null);
        assertRefused("'to', 'offset' and 'timestamp' are read by seek only, not by pause", "pause", "orders", null, null,
                "end", null, null);
        assertRefused("'partition' and 'partitions' need the 'topic' they belong to", "commit", null, 0, null, null, null,
                null);
        verifyNoInteractions(this.operations);
    }

    @Test
    void aTopicNoConsumerReadsIsABadRequestAndAConsumerThatIsNotRunningIsUnavailable() {
        when(this.operations.seek("refunds", Seek.toEnd())).thenReturn(CompletableFuture
            .failedFuture(new IllegalArgumentException("No Ackflow consumer of this application reads [refunds]")));
        when(this.operations.seek("orders", Seek.toEnd()))
            .thenReturn(CompletableFuture.failedFuture(new EngineNotRunningException("ackflow", "STOPPED")));

        WebEndpointResponse<Map<String, Object>> unknown = this.web.operate("seek", "refunds", null, null, "end", null, null);
        assertThat(unknown.getStatus()).isEqualTo(400);
        assertThat(unknown.getBody()).isEqualTo(Map.of("status", 400, "error", "Bad Request", "action", "seek",
                "message", "No Ackflow consumer of this application reads [refunds]"));

        WebEndpointResponse<Map<String, Object>> stopped = this.web.operate("seek", "orders", null, null, "end", null, null);
        assertThat(stopped.getStatus()).isEqualTo(503);
        assertThat(stopped.getBody()).containsEntry("error", "Service Unavailable").containsEntry("message",
                "Engine 'ackflow' is not running (STOPPED); pause, resume, seek and commit need a running engine: start"
                        + " it, or ask one that runs");
    }

    private void assertRefused(String message, String action, String topic, Integer partition, String partitions,
            String to, Long offset, String timestamp) {
        assertThatExceptionOfType(InvalidEndpointRequestException.class)
            .isThrownBy(() -> this.endpoint.operate(action, topic, partition, partitions, to, offset, timestamp))
            .withMessage(message);
        WebEndpointResponse<Map<String, Object>> response = this.web.operate(action, topic, partition, partitions, to,
                offset, timestamp);
        assertThat(response.getStatus()).isEqualTo(400);
        assertThat(response.getBody()).containsEntry("message", message);
    }

    private static Map<String, Object> offset(String topic, int partition, long offset) {
        return Map.of("topic", topic, "partition", partition, "offset", offset);
    }

    private static CompletableFuture<Void> done() {
        return CompletableFuture.completedFuture(null);
    }

}
