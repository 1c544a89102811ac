package io.ackflow.spring;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaTemplate;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Spring Boot convention for a real broker: a Kafka container wired in through
 * {@code @ServiceConnection}. Runs where Docker is available and is skipped cleanly elsewhere.
 */
@SpringBootTest(classes = StreamListenerTestcontainersIT.Application.class,
        properties = { "spring.kafka.consumer.group-id=testcontainers-it",
            "spring.kafka.consumer.auto-offset-reset=earliest" })
@Testcontainers(disabledWithoutDocker = true)
class StreamListenerTestcontainersIT {

    @Container
    @ServiceConnection
    static final KafkaContainer kafka = new KafkaContainer("apache/kafka-native:4.1.0");

    @Autowired
    private KafkaTemplate<String, String> template;

    @Autowired
    private Handlers handlers;

    @Test
    void bothHandlersSeeEveryRecordFromAContainerBroker() {
        for (int i = 0; i < 100; i++) {
            this.template.send("orders", "k" + (i % 10), "order-" + i);
        }
        this.template.flush();
        await().atMost(Duration.ofSeconds(60))
            .until(() -> this.handlers.first.size() == 100 && this.handlers.second.size() == 100);
        assertThat(this.handlers.first).isEqualTo(this.handlers.second);
    }

    static class Handlers {

        final Set<String> first = ConcurrentHashMap.newKeySet();

        final Set<String> second = ConcurrentHashMap.newKeySet();

        @StreamListener(topics = "orders")
        void first(String order) {
            this.first.add(order);
        }

        @StreamListener(topics = "orders", ordering = io.ackflow.consumer.Ordering.KEY)
        void second(ConsumerRecord<String, String> record) {
            this.second.add(record.value());
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
