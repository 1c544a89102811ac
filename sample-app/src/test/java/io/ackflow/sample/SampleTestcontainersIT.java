package io.ackflow.sample;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

import static org.awaitility.Awaitility.await;

/**
 * The sample against Kafka in a container through {@code @ServiceConnection}. Runs where Docker
 * is available; skipped cleanly elsewhere.
 */
@SpringBootTest(properties = { "sample.embedded-broker=false", "sample.order-every=10ms" })
@Testcontainers(disabledWithoutDocker = true)
class SampleTestcontainersIT {

    @Container
    @ServiceConnection
    static final KafkaContainer kafka = new KafkaContainer("apache/kafka-native:4.1.0");

    @Autowired
    private OrderHandlers handlers;

    @Test
    void bothHandlersProcessOrdersFromAContainerBroker() {
        await().atMost(Duration.ofSeconds(60)).until(() -> this.handlers.audited() >= 50 && this.handlers.charged() >= 50);
    }

}
