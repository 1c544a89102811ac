package io.ackflow.spring.actuate;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import io.ackflow.consumer.state.EngineSnapshot;
import io.ackflow.consumer.testing.EmbeddedBroker;
import io.ackflow.spring.StreamListener;
import io.ackflow.spring.StreamListenerRegistry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The write operations of {@code /actuator/ackflow} over HTTP, allowed with
 * {@code management.endpoint.ackflow.access=unrestricted}, on a live group against a real broker:
 * each seek and a commit answer 200 with where each partition is read from next or what was
 * committed, and the listener handles exactly the records they say; a wrong request answers 400
 * with a message that says what is wrong. Nothing commits but what a test asks for.
 */
@SpringBootTest(classes = AckflowEndpointWritesBrokerIT.Application.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.kafka.consumer.group-id=endpoint-writes-it",
            "spring.kafka.consumer.auto-offset-reset=earliest", "ackflow.commit-interval=1h",
            "ackflow.rebalance-drain-timeout=1s", "management.endpoints.web.exposure.include=ackflow",
            "management.endpoint.ackflow.access=unrestricted" })
@DirtiesContext
class AckflowEndpointWritesBrokerIT {

    private static final String GROUP = "endpoint-writes-it";

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static final JsonMapper json = JsonMapper.builder().build();

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(2, "ledger");

    @DynamicPropertySource
    static void kafka(DynamicPropertyRegistry registry) {
        registry.add("spring.kafka.bootstrap-servers", broker::bootstrapServers);
    }

    /** The test context, to stop its consumers before the broker stops (which is before the context closes). */
    private static ConfigurableApplicationContext running;

    @LocalServerPort
    private int port;

    @Autowired
    private ConfigurableApplicationContext context;

    @Autowired
    private StreamListenerRegistry registry;

    @Autowired
    private Ledger ledger;

    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void awaitAssignment() {
        running = this.context;
        await().atMost(WAIT).until(() -> this.registry.getEngine().snapshot().partitions().size() == 2);
    }

    @AfterAll
    static void stopConsumers() {
        if (running != null) {
            running.stop();
        }
    }

    @Test
    void eachSeekAndACommitAnswerWhatTheyDidAndTheListenerHandlesExactlyThat() throws Exception {
        // Offset o of each partition is written at t0 + o s.
        Instant t0 = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        broker.produce(6, (i) -> new ProducerRecord<>("ledger", i % 2, t0.plusSeconds(i / 2).toEpochMilli(), "k", "v"));
        awaitHandled(6);

        assertAnswer(post("seek", "{\"topic\": \"ledger\", \"partitions\": \"1\", \"to\": \"committed\"}"), 400, """
                {"status": 400, "error": "Bad Request", "action": "seek", "message": "Partitions [ledger-1] have no committed\
                 offset in group 'endpoint-writes-it', so they cannot be sought to it; seek them to the beginning, the end,\
                 a timestamp or an offset instead. Nothing was sought."}""");
        assertAnswer(post("commit", "{\"topic\": \"ledger\", \"partitions\": \"0\"}"), 200, """
                {"action": "commit", "topic": "ledger", "partitions": [0],
                 "committed": [{"topic": "ledger", "partition": 0, "offset": 3}]}""");
        assertThat(broker.offsets().committedOffsets(GROUP)).isEqualTo(Map.of(new TopicPartition("ledger", 0), 3L));
        assertAnswer(post("commit", "{}"), 200, """
                {"action": "commit", "committed": [{"topic": "ledger", "partition": 1, "offset": 3}]}""");

        assertAnswer(post("seek", "{\"topic\": \"ledger\", \"to\": \"beginning\"}"), 200, """
                {"action": "seek", "topic": "ledger", "to": "beginning", "consumers": {"ackflow": {
                 "sought": [{"topic": "ledger", "partition": 0, "offset": 0}, {"topic": "ledger", "partition": 1, "offset": 0}],
                 "awaitingAssignment": []}}}""");
        awaitHandled(12);
        assertAnswer(post("seek", "{\"topic\": \"ledger\", \"partition\": 1, \"to\": \"offset\", \"offset\": 2}"), 200, """
                {"action": "seek", "topic": "ledger", "partition": 1, "to": "offset", "offset": 2, "consumers": {"ackflow": {
                 "sought": [{"topic": "ledger", "partition": 1, "offset": 2}], "awaitingAssignment": []}}}""");
        awaitHandled(13);
        String at = t0.plusSeconds(2).toString();
        assertAnswer(post("seek", "{\"topic\": \"ledger\", \"partitions\": \"0,1\", \"to\": \"timestamp\", \"timestamp\": \""
                + at + "\"}"), 200, """
                {"action": "seek", "topic": "ledger", "partitions": [0, 1], "to": "timestamp", "timestamp": "%s",
                 "consumers": {"ackflow": {
                 "sought": [{"topic": "ledger", "partition": 0, "offset": 2}, {"topic": "ledger", "partition": 1, "offset": 2}],
                 "awaitingAssignment": []}}}""".formatted(at));
        awaitHandled(15);
        assertAnswer(post("seek", "{\"topic\": \"ledger\", \"to\": \"end\"}"), 200, """
                {"action": "seek", "topic": "ledger", "to": "end", "consumers": {"ackflow": {
                 "sought": [{"topic": "ledger", "partition": 0, "offset": 3}, {"topic": "ledger", "partition": 1, "offset": 3}],
                 "awaitingAssignment": []}}}""");
        assertAnswer(post("seek", "{\"topic\": \"ledger\", \"partitions\": \"0\", \"to\": \"committed\"}"), 200, """
                {"action": "seek", "topic": "ledger", "partitions": [0], "to": "committed", "consumers": {"ackflow": {
                 "sought": [{"topic": "ledger", "partition": 0, "offset": 3}], "awaitingAssignment": []}}}""");

        broker.produce(2, (i) -> new ProducerRecord<>("ledger", i % 2, t0.plusSeconds(3).toEpochMilli(), "k", "v"));
        awaitHandled(17);
        assertThat(this.ledger.counts()).isEqualTo(Map.of("0@0", 2, "0@1", 2, "0@2", 3, "0@3", 1, "1@0", 2, "1@1", 2,
                "1@2", 4, "1@3", 1));
        assertAnswer(post("commit", "{\"topic\": \"ledger\"}"), 200, """
                {"action": "commit", "topic": "ledger", "committed": [{"topic": "ledger", "partition": 0, "offset": 4},
                 {"topic": "ledger", "partition": 1, "offset": 4}]}""");
        assertThat(broker.offsets().committedOffsets(GROUP))
            .isEqualTo(Map.of(new TopicPartition("ledger", 0), 4L, new TopicPartition("ledger", 1), 4L));
    }

    @Test
    void aWrongRequestIsAnswered400WithWhatIsWrong() throws Exception {
        assertAnswer(post("seek", "{\"topic\": \"ledger\", \"to\": \"sideways\"}"), 400, """
                {"status": 400, "error": "Bad Request", "action": "seek",
                 "message": "Unknown 'to' 'sideways': use beginning, end, committed, offset or timestamp"}""");
        assertAnswer(post("seek", "{\"topic\": \"unread\", \"to\": \"end\"}"), 400, """
                {"status": 400, "error": "Bad Request", "action": "seek",
                 "message": "No Ackflow consumer of this application reads [unread]"}""");
        assertAnswer(post("seek", "{\"topic\": \"ledger\", \"to\": \"timestamp\", \"timestamp\": \"yesterday\"}"), 400, """
                {"status": 400, "error": "Bad Request", "action": "seek", "message": "'timestamp' is an ISO-8601 instant\
                 such as 2026-12-01T06:00:00Z, or milliseconds since 1970; got yesterday"}""");
        assertAnswer(post("rewind", "{\"topic\": \"ledger\"}"), 400, """
                {"status": 400, "error": "Bad Request", "action": "rewind",
                 "message": "Unknown action 'rewind': use pause, resume, seek or commit"}""");
        assertThat(post("seek", "{\"topic\": \"ledger\", \"to\": \"offset\", \"offset\": \"ten\"}").statusCode())
            .as("a value Spring Boot cannot convert is refused before the operation runs").isEqualTo(400);
        assertThat(post("seek", "{\"topic\": \"ledger\", \"partitions\": [0, 1], \"to\": \"end\"}").statusCode())
            .as("Spring Boot reads an endpoint's body as scalar values: partitions come as \"0,1\"").isEqualTo(400);
    }

    /** Waits until the listener was called {@code calls} times, then for a snapshot taken since in which it holds nothing. */
    private void awaitHandled(int calls) {
        await().atMost(WAIT).until(() -> this.ledger.calls() >= calls);
        assertThat(this.ledger.calls()).isEqualTo(calls);
        Instant from = Instant.now();
        await().atMost(WAIT).until(() -> {
            EngineSnapshot snapshot = this.registry.getEngine().snapshot();
            return snapshot.takenAt().isAfter(from)
                    && snapshot.subscriptions().stream().allMatch((subscription) -> subscription.inFlight() == 0);
        });
    }

    private HttpResponse<String> post(String action, String body) throws Exception {
        return this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/actuator/ackflow/" + action))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertAnswer(HttpResponse<String> response, int status, String body) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(json.readTree(response.body())).isEqualTo(json.readTree(body));
    }

    /** Counts its calls by {@code partition@offset}. */
    static class Ledger {

        private final Map<String, Integer> calls = new ConcurrentHashMap<>();

        @StreamListener(id = "ledger", topics = "ledger")
        void handle(String value, ConsumerRecord<String, String> record) {
            this.calls.merge(record.partition() + "@" + record.offset(), 1, Integer::sum);
        }

        int calls() {
            return this.calls.values().stream().mapToInt(Integer::intValue).sum();
        }

        Map<String, Integer> counts() {
            return new TreeMap<>(this.calls);
        }

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Application {

        @Bean
        Ledger ledger() {
            return new Ledger();
        }

    }

}
