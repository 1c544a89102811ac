package io.ackflow.spring.actuate;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import io.ackflow.consumer.Ordering;
import io.ackflow.consumer.testing.EmbeddedBroker;
import io.ackflow.spring.StreamListener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code /actuator/ackflow}, {@code /actuator/health} and {@code /actuator/metrics} over HTTP
 * in a web application on a real broker, while one handler is deliberately blocked on one record:
 * the endpoint names the stuck partition, its offset and the subscription holding it, and shows
 * no payload; health is DOWN naming the same; writes are refused unless enabled.
 */
@SpringBootTest(classes = AckflowEndpointBrokerIT.Application.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.kafka.consumer.group-id=endpoint-it", "spring.kafka.consumer.auto-offset-reset=earliest",
            "ackflow.commit-interval=200ms", "ackflow.commit-livelock-soft-timeout=1s",
            "management.endpoints.web.exposure.include=health,ackflow,metrics",
            "management.endpoint.health.show-details=always" })
@DirtiesContext
class AckflowEndpointBrokerIT {

    @RegisterExtension
    static final EmbeddedBroker broker = EmbeddedBroker.withTopics(2, "payments");

    @DynamicPropertySource
    static void kafka(DynamicPropertyRegistry registry) {
        registry.add("spring.kafka.bootstrap-servers", broker::bootstrapServers);
    }

    @LocalServerPort
    private int port;

    @Autowired
    private KafkaTemplate<String, String> template;

    @Autowired
    private Handlers handlers;

    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void unblock() {
        this.handlers.release.countDown();
    }

    @Test
    void theEndpointAndHealthNameTheStuckPartitionOffsetAndSubscriptionWithoutPayloads() throws Exception {
        for (int i = 0; i < 20; i++) {
            this.template.send("payments", 0, "customer-" + i, "SECRET-card-4111-" + i);
        }
        this.template.flush();
        await().atMost(Duration.ofSeconds(30)).until(() -> this.handlers.audited.get() == 20);

        JsonNode stuck = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
            .until(() -> partition(get("/actuator/ackflow"), 0), (node) -> node != null && node.get("stuck").asBoolean());
        assertThat(stuck.get("topic").asString()).isEqualTo("payments");
        assertThat(stuck.get("committed").asLong()).isEqualTo(5);
        assertThat(stuck.get("committable").asLong()).isEqualTo(5);
        assertThat(stuck.get("inFlight").asLong()).isEqualTo(15);
        assertThat(stuck.get("position").asLong()).isEqualTo(20);
        assertThat(stuck.get("oldestPending").get("offset").asLong()).isEqualTo(5);
        assertThat(stuck.get("oldestPending").get("heldBy").get(0).asString()).isEqualTo("slow");
        assertThat(stuck.get("oldestPending").get("thread").asString()).as("the listener's own thread, named on every JDK")
            .isEqualTo(this.handlers.holder.getName()).matches("ackflow-ackflow-slow-\\d+");
        assertThat(isVirtual(this.handlers.holder)).as("virtual threads on 21+")
            .isEqualTo(Runtime.version().feature() >= 21);
        assertThat(stuck.get("paused").isEmpty()).isTrue();

        String body = get("/actuator/ackflow").body();
        assertThat(body).doesNotContain("SECRET").doesNotContain("customer-");
        JsonNode consumer = JsonMapper.builder().build().readTree(body).get("consumers").get("ackflow");
        assertThat(consumer.get("state").asString()).isEqualTo("RUNNING");
        assertThat(consumer.get("groupId").asString()).isEqualTo("endpoint-it");
        assertThat(consumer.get("generation").asInt()).isPositive();
        JsonNode slow = null;
        for (JsonNode subscription : consumer.get("subscriptions")) {
            if (subscription.get("id").asString().equals("slow")) {
                slow = subscription;
            }
        }
        assertThat(slow).isNotNull();
        assertThat(slow.get("ordering").asString()).isEqualTo("PARTITION");
        assertThat(slow.get("inFlight").asInt()).as("the blocked record and the 14 queued behind it").isEqualTo(15);
        assertThat(slow.get("handled").asLong()).isEqualTo(5);

        HttpResponse<String> health = get("/actuator/health");
        assertThat(health.statusCode()).isEqualTo(503);
        JsonNode ackflow = JsonMapper.builder().build().readTree(health.body()).get("components").get("ackflow");
        assertThat(ackflow.get("status").asString()).isEqualTo("DOWN");
        JsonNode stuckDetail = ackflow.get("details").get("consumers").get("ackflow").get("stuckPartitions").get(0);
        assertThat(stuckDetail.get("partition").asString()).isEqualTo("payments-0");
        assertThat(stuckDetail.get("offset").asLong()).isEqualTo(5);
        assertThat(stuckDetail.get("heldBy").get(0).asString()).isEqualTo("slow");
        assertThat(stuckDetail.get("thread").asString()).isEqualTo(this.handlers.holder.getName());

        for (String write : List.of("pause", "resume", "seek", "commit")) {
            HttpResponse<String> refused = this.http.send(HttpRequest.newBuilder(uri("/actuator/ackflow/" + write))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"topic\":\"payments\",\"to\":\"beginning\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as("%s: writes are off by default: %s", write, refused.body()).isEqualTo(404);
        }
        assertThat(this.handlers.audited.get()).as("nothing was sought").isEqualTo(20);

        HttpResponse<String> meter = get("/actuator/metrics/ackflow.partitions.stuck");
        assertThat(JsonMapper.builder().build().readTree(meter.body()).get("measurements").get(0).get("value").asDouble())
            .isEqualTo(1.0);

        this.handlers.release.countDown();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
            .until(() -> get("/actuator/health").statusCode() == 200);
    }

    /** {@code Thread.isVirtual()}, a Java 21 method, on any JDK. */
    private static boolean isVirtual(Thread thread) throws ReflectiveOperationException {
        return Runtime.version().feature() >= 21 && (boolean) Thread.class.getMethod("isVirtual").invoke(thread);
    }

    private static JsonNode partition(HttpResponse<String> response, int number) {
        JsonNode consumer = JsonMapper.builder().build().readTree(response.body()).get("consumers").get("ackflow");
        for (JsonNode partition : consumer.get("partitions")) {
            if (partition.get("topic").asString().equals("payments") && partition.get("partition").asInt() == number) {
                return partition;
            }
        }
        return null;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return this.http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + this.port + path);
    }

    static class Handlers {

        final CountDownLatch release = new CountDownLatch(1);

        final AtomicInteger audited = new AtomicInteger();

        volatile Thread holder;

        @StreamListener(id = "audit", topics = "payments")
        void audit(String value) {
            this.audited.incrementAndGet();
        }

        @StreamListener(id = "slow", topics = "payments", ordering = Ordering.PARTITION)
        void slow(String value, org.apache.kafka.clients.consumer.ConsumerRecord<String, String> record)
                throws InterruptedException {
            if (record.offset() == 5) {
                this.holder = Thread.currentThread();
                this.release.await();
            }
        }

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Application {

        @Bean
        Handlers handlers() {
            return new Handlers();
        }

    }

}
