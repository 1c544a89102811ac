package io.ackflow.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import io.ackflow.consumer.AckflowEngine;
import io.ackflow.consumer.EngineState;
import io.ackflow.spring.StreamListenerRegistry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Starts the sample as its main class does (with its own in-JVM broker), waits with a deadline
 * until both handlers have processed orders and a commit happened, reads its health, the
 * {@code /actuator/ackflow} endpoint and the Prometheus scrape, and stops it cleanly.
 */
class SampleApplicationIT {

    @Test
    void sampleHandlesOrdersWithBothHandlersAndStopsCleanly() throws Exception {
        AckflowEngine engine;
        try (ConfigurableApplicationContext context = SampleApplication.run("--server.port=0", "--sample.order-every=10ms",
                "--ackflow.commit-interval=200ms", "--sample.progress-every=1s")) {
            OrderHandlers handlers = context.getBean(OrderHandlers.class);
            engine = context.getBean(StreamListenerRegistry.class).getEngine();
            await().atMost(Duration.ofSeconds(60)).until(() -> handlers.audited() >= 100 && handlers.charged() >= 100
                    && !engine.committedOffsets().isEmpty());
            String base = "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port");
            assertThat(get(base + "/actuator/health"))
                .contains("\"ackflow\":{\"details\":{\"consumers\":{\"ackflow\":{\"state\":\"RUNNING\"}}},\"status\":\"UP\"}");
            assertThat(get(base + "/actuator/ackflow")).contains("\"groupId\":\"ackflow-sample\"", "\"topic\":\"orders\"",
                    "\"id\":\"charge\"", "\"ordering\":\"KEY\"");
            assertThat(get(base + "/actuator/prometheus")).contains("ackflow_records_received_total{consumer=\"ackflow\"",
                    "ackflow_partition_committed_offset{consumer=\"ackflow\",partition=\"0\",topic=\"orders\"",
                    "ackflow_handler_duration_seconds_count{consumer=\"ackflow\",outcome=\"success\",subscription=\"audit\"",
                    "kafka_consumer_fetch_manager_records_consumed_total");
        }
        assertThat(engine.state()).isEqualTo(EngineState.STOPPED);
        // The stop starts no queued record: those received but not acked are read again on the next start.
        assertThat(engine.stats().acked()).isLessThanOrEqualTo(engine.stats().received());
        assertThat(engine.stats().failed()).as("declined orders only, each dead-lettered")
            .isEqualTo(engine.stats().deadLettered());
        assertThat(engine.stats().handled() + engine.stats().failed()).as("each acked order finished by both handlers")
            .isGreaterThanOrEqualTo(2 * engine.stats().acked())
            .isLessThanOrEqualTo(2 * engine.stats().received());
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url).isEqualTo(200);
        return response.body();
    }

}
