package io.ackflow.spring;

import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metadata that the build's annotation processors write, on every JDK: the IDE metadata that
 * spring-boot-configuration-processor generates from the properties' field comments (every
 * property there, typed and described), and the auto-configuration metadata of
 * spring-boot-autoconfigure-processor that Boot reads to skip conditions early.
 */
class ConfigurationMetadataTests {

    @Test
    void autoConfigurationMetadataGivesEachAutoConfigurationItsOrderAndClassConditions() throws Exception {
        Properties metadata = new Properties();
        try (InputStream properties = getClass().getResourceAsStream("/META-INF/spring-autoconfigure-metadata.properties")) {
            assertThat(properties).as("generated auto-configuration metadata").isNotNull();
            metadata.load(properties);
        }
        assertThat(metadata.getProperty("io.ackflow.spring.AckflowAutoConfiguration.AutoConfigureAfter"))
            .isEqualTo("org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration,"
                    + "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration");
        assertThat(metadata.getProperty("io.ackflow.spring.AckflowAutoConfiguration.ConditionalOnClass"))
            .isEqualTo("io.ackflow.consumer.AckflowEngine,org.springframework.kafka.core.ConsumerFactory");
        assertThat(metadata.getProperty("io.ackflow.spring.AckflowActuatorAutoConfiguration.ConditionalOnBean"))
            .isEqualTo("io.ackflow.spring.StreamListenerRegistry");
    }

    @Test
    void everyPropertyIsDescribedWithItsTypeAndDefault() throws Exception {
        Map<String, JsonNode> properties = new HashMap<>();
        try (InputStream json = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(json).as("generated metadata").isNotNull();
            for (JsonNode property : new JsonMapper().readTree(json).get("properties")) {
                properties.put(property.get("name").asString(), property);
            }
        }
        assertThat(properties).containsOnlyKeys("ackflow.commit-interval", "ackflow.commit-every",
                "ackflow.commit-livelock-soft-timeout", "ackflow.shutdown-timeout", "ackflow.poll-timeout",
                "ackflow.rebalance-drain-timeout",
                "ackflow.ordering", "ackflow.processing-guarantee", "ackflow.concurrency", "ackflow.auto-startup",
                "ackflow.handler-threads",
                "ackflow.virtual-threads", "ackflow.observation-enabled", "ackflow.max-in-flight.total", "ackflow.max-in-flight.per-partition",
                "ackflow.max-in-flight.low-mark", "ackflow.consumers", "ackflow.errors.recovery",
                "ackflow.errors.not-retryable", "ackflow.errors.retry.attempts", "ackflow.errors.retry.delay",
                "ackflow.errors.retry.multiplier", "ackflow.errors.retry.max-delay", "ackflow.errors.dead-letter.topic",
                "ackflow.errors.dead-letter.retry-interval", "ackflow.listeners", "ackflow.batch.max-records",
                "ackflow.batch.max-wait", "ackflow.incomplete-offsets.enabled",
                "ackflow.incomplete-offsets.max-metadata-bytes", "ackflow.health.poll-stall-timeout",
                "ackflow.health.commit-failure-intervals", "ackflow.health.coordinator-timeout",
                "management.endpoint.ackflow.access",
                "management.endpoint.ackflow.cache.time-to-live");
        properties.forEach((name, property) -> assertThat(property.path("description").asString())
            .as("description of " + name).isNotBlank());
        assertThat(properties.get("ackflow.commit-interval").get("type").asString()).isEqualTo("java.time.Duration");
        assertThat(properties.get("ackflow.commit-interval").get("description").asString())
            .isEqualTo("Longest time between two commits of acked records.");
        assertThat(properties.get("ackflow.ordering").get("type").asString()).isEqualTo("io.ackflow.consumer.Ordering");
        assertThat(properties.get("ackflow.processing-guarantee").get("defaultValue").asString()).isEqualTo("at-least-once");
        assertThat(properties.get("ackflow.max-in-flight.per-partition").get("defaultValue").asInt()).isEqualTo(10000);
        assertThat(properties.get("ackflow.commit-every").get("defaultValue").asInt()).isEqualTo(10000);
        assertThat(properties.get("ackflow.shutdown-timeout").has("defaultValue"))
            .as("derived from spring.lifecycle.timeout-per-shutdown-phase, so no fixed default").isFalse();
        assertThat(properties.get("ackflow.shutdown-timeout").get("description").asString())
            .contains("spring.lifecycle.timeout-per-shutdown-phase (30s by default) less 5s");
        assertThat(properties.get("ackflow.errors.recovery").get("type").asString())
            .isEqualTo("io.ackflow.consumer.failure.Recovery");
        assertThat(properties.get("ackflow.errors.retry.delay").get("type").asString()).isEqualTo("java.time.Duration");
        assertThat(properties.get("ackflow.observation-enabled").get("type").asString()).isEqualTo("java.lang.Boolean");
        assertThat(properties.get("ackflow.observation-enabled").has("defaultValue"))
            .as("unset follows spring.kafka.listener.observation-enabled").isFalse();
        assertThat(properties.get("ackflow.health.commit-failure-intervals").get("defaultValue").asInt()).isEqualTo(10);
        assertThat(properties.get("ackflow.health.poll-stall-timeout").has("defaultValue"))
            .as("the consumer's max.poll.interval.ms unless set").isFalse();
        assertThat(properties.get("ackflow.health.poll-stall-timeout").get("description").asString())
            .contains("the consumer's max.poll.interval.ms (5m unless set)");
        assertThat(properties.get("ackflow.health.coordinator-timeout").get("type").asString())
            .isEqualTo("java.time.Duration");
        assertThat(properties.get("ackflow.health.coordinator-timeout").get("description").asString())
            .contains("the consumer's session.timeout.ms (45s unless set)");
        assertThat(properties.get("management.endpoint.ackflow.access").get("defaultValue").asString())
            .as("the endpoint is read-only unless the application allows more").isEqualTo("read_only");
    }

}
